"""The daily e-mail (每日待办邮件): one e-mail a day to each person with something due, their
items overdue first, grouped by kind, at most DIGEST_LIMIT listed (services.reminders runs it).

The e-mail's guarantee, held by DigestDelivery (unique per person and day):

* A worker claims a person's e-mail of the day by inserting its row; a second worker (or a
  second run) finds the row and leaves the person alone. So two workers at once, a run repeated
  or a run catching up on a missed day never send a second e-mail.
* The row says what became of it: sent, empty (nothing to tell: nothing is sent) or failed (with
  the error). A failed e-mail, and a claim still "claimed" an hour after it was made (its worker
  died between claim and result), is tried once more by a later run of the same day (the
  catch-up job, supervision.tasks) and then left as it is for an administrator to read: the
  retried row's error starts with RETRY_MARK.
* At least once, not exactly once: a worker that dies after the mail server accepted a message
  but before the row says "sent" leaves a claim that is retried after the hour, and that person
  gets the e-mail twice. Rows are marked one by one right after each message, so this is one
  person at most per worker death. (On PostgreSQL the marks commit without waiting for the disk,
  see _quick_commits: a crash of the database server itself may likewise resend the e-mails of
  its last fraction of a second.)
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.db import connection
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Left
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from supervision.choices import DigestState
from supervision.formats.values import ymd
from supervision.models import DigestDelivery
from supervision.services import due_items
from supervision.services.due_items import DueItem, Window
from supervision.services.reminder_owners import Owners, Pile, Recipient, gather

logger = logging.getLogger(__name__)

# A claim older than this whose row still says "claimed": its worker died mid-send.
STALE_CLAIM = datetime.timedelta(hours=1)
# The error of a row taken again (a failed e-mail, a stale claim) starts with this: it is never
# taken a third time.
RETRY_MARK = "【重试】"
# People claimed per round of e-mails.
CLAIM_BATCH = 200
ERROR_LENGTH = DigestDelivery._meta.get_field("error").max_length
WORKER_LENGTH = DigestDelivery._meta.get_field("worker").max_length


@dataclass(frozen=True)
class KindGroup:
    """One kind's part of an e-mail: its label, how many in all, its listed rows joined."""

    label: str
    count: int
    text: str
    html: SafeString


@dataclass(frozen=True)
class Row:
    """One item as a line of the e-mail's text and a row of its HTML table."""

    text: str
    html: SafeString


class Rows:
    """The e-mails' rows, each item's made once per run: the same items go to many people. The
    words they share are translated once per run, and the rows escaped by hand (format_html
    per row was a fifth of the e-mails' time)."""

    def __init__(self, today: datetime.date) -> None:
        self.today = today
        self.made: dict[str, Row] = {}
        self.soon = gettext("即将到期")
        self.deadline = gettext("期限 %(day)s")
        self.late: dict[int, str] = {}

    def _late(self, days: int) -> str:
        found = self.late.get(days)
        if found is None:
            found = self.late[days] = ngettext("逾期%(days)d天", "逾期%(days)d天", days) % {
                "days": days
            }
        return found

    def __call__(self, item: DueItem) -> Row:
        row = self.made.get(item.key)
        if row is None:
            link = settings.SITE_URL + item.url
            due = ymd(item.due_on)
            if item.overdue:
                state = self._late(item.days_overdue(self.today))
                state_html = f"<strong>{escape(state)}</strong>"
            else:
                state, state_html = self.soon, escape(self.soon)
            subject = f" · {item.subject}" if item.subject else ""
            deadline = self.deadline % {"day": due}
            html = (
                f'<tr><td>{state_html}</td><td><a href="{escape(link)}">{escape(item.title)}</a>'
                f"</td><td>{escape(item.subject or '—')}</td><td>{escape(due)}</td></tr>"
            )
            row = self.made[item.key] = Row(
                text=f"- {state} · {item.title}{subject} · {deadline}\n  {link}",
                html=mark_safe(html),  # noqa: S308 (every value escaped above)
            )
        return row


def _message(person: Recipient, digest: Pile, rows: Rows) -> mail.EmailMultiAlternatives:
    labels = dict(due_items.kind_choices())
    listed = digest.most_urgent()
    groups: dict[str, list[Row]] = {}
    for item in listed:  # the kinds in the order of their most urgent item
        groups.setdefault(item.kind, []).append(rows(item))
    context = {
        "person": person,
        "today": rows.today,
        "total": digest.total,
        "overdue": digest.overdue,
        "soon": digest.total - digest.overdue,
        "groups": [
            KindGroup(
                label=str(labels.get(kind, kind)),
                count=digest.by_kind[kind],
                text="\n".join(row.text for row in found),
                html=mark_safe("".join(row.html for row in found)),  # noqa: S308 (rows escaped by Rows)
            )
            for kind, found in groups.items()
        ],
        "more": digest.total - len(listed),
        "my_work": settings.SITE_URL + reverse("my-work"),
        "settings_url": settings.SITE_URL + reverse("notification-settings"),
    }
    subject = render_to_string("notifications/digest_subject.txt", context).strip()
    message = mail.EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string("notifications/digest.txt", context),
        to=[person.email],
    )
    message.attach_alternative(render_to_string("notifications/digest.html", context), "text/html")
    return message


@dataclass
class DigestCounts:
    """What one send_digests call did: e-mails sent, people with nothing to tell, failures,
    people another worker (or an earlier run) had already, and rows taken again."""

    sent: int = 0
    empty: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _retryable(now: datetime.datetime) -> Q:
    """A failed e-mail, or a claim whose worker died; each taken again once only."""
    stale = Q(state=DigestState.CLAIMED, claimed_at__lt=now - STALE_CLAIM)
    return (Q(state=DigestState.FAILED) | stale) & ~Q(error__startswith=RETRY_MARK)


def _claim(people: list[int], day: datetime.date, tag: str) -> tuple[dict[int, str], int]:
    """Claim the e-mails of day for people: insert the rows nobody has, take again the retryable
    ones. Returns the rows this call holds (user id → its error so far) and how many were taken
    again. The unique (user, day) row decides between workers: what this call's tag is on after
    the insert and the update is this call's, and no other's."""
    now = timezone.now()
    DigestDelivery.objects.bulk_create(
        [DigestDelivery(user_id=pk, day=day, worker=tag) for pk in people],
        ignore_conflicts=True,
    )
    retried = (
        DigestDelivery.objects.filter(day=day, user_id__in=people)
        .filter(_retryable(now))
        .update(
            state=DigestState.CLAIMED,
            worker=tag,
            claimed_at=now,
            error=Left(Concat(Value(RETRY_MARK), F("error")), ERROR_LENGTH),
        )
    )
    held = dict(
        DigestDelivery.objects.filter(
            day=day, user_id__in=people, worker=tag, state=DigestState.CLAIMED
        ).values_list("user_id", "error")
    )
    return held, retried


def _mark(user_id: int, day: datetime.date, tag: str, **values) -> None:
    DigestDelivery.objects.filter(user_id=user_id, day=day, worker=tag).update(**values)


@contextlib.contextmanager
def _quick_commits() -> Iterator[None]:
    """On PostgreSQL, the claims and marks commit without waiting for the disk (this session,
    while the e-mails go out): a mark costs a fraction of a millisecond instead of a flush. A
    crash of the database itself may forget its last fraction of a second of them; the e-mails
    they were about are then sent again, the at-least-once edge the module describes."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def send_digests(
    window: Window,
    *,
    worker: str,
    items: Iterable[DueItem] | None = None,
    owners: Owners | None = None,
) -> DigestCounts:
    """Send each person who wants it (an e-mail address, the daily e-mail on) one e-mail of the
    day's items, at most once per day whatever else runs (see the module's docstring)."""
    owners = owners or gather(window, items)
    people = [person for person in owners.by_pk.values() if person.email and person.email_digest]
    digests = owners.piles(lambda person: person.muted_by_email)
    day = window.today
    tag = f"{worker[: WORKER_LENGTH - 9]}/{secrets.token_hex(4)}"
    counts = DigestCounts()
    rows = Rows(day)
    outbox = mail.get_connection()
    with _quick_commits():
        try:
            for start in range(0, len(people), CLAIM_BATCH):
                chunk = people[start : start + CLAIM_BATCH]
                held, retried = _claim([person.pk for person in chunk], day, tag)
                counts.retried += retried
                counts.skipped += len(chunk) - len(held)
                empty = [pk for pk in held if pk not in digests]
                if empty:
                    DigestDelivery.objects.filter(day=day, user_id__in=empty, worker=tag).update(
                        state=DigestState.EMPTY, items=0
                    )
                    counts.empty += len(empty)
                for person in chunk:
                    if person.pk not in held or person.pk not in digests:
                        continue
                    digest = digests[person.pk]
                    try:
                        message = _message(person, digest, rows)
                        # Opened once (again after a failure) and kept for the following messages.
                        outbox.open()
                        message.connection = outbox
                        message.send()
                    except Exception as exc:  # any failure of one e-mail is recorded, not raised
                        logger.warning("digest for user %s not sent: %s", person.pk, exc)
                        mark = RETRY_MARK if held[person.pk].startswith(RETRY_MARK) else ""
                        _mark(
                            person.pk,
                            day,
                            tag,
                            state=DigestState.FAILED,
                            items=digest.total,
                            error=f"{mark}{type(exc).__name__}: {exc}"[:ERROR_LENGTH],
                        )
                        counts.failed += 1
                        # A broken connection is opened again for the next message.
                        with contextlib.suppress(Exception):
                            outbox.close()
                        continue
                    _mark(
                        person.pk,
                        day,
                        tag,
                        state=DigestState.SENT,
                        items=digest.total,
                        sent_at=timezone.now(),
                    )
                    counts.sent += 1
        finally:
            outbox.close()
    logger.info("reminders: digests of %s: %s", day, counts.as_dict())
    return counts


@dataclass(frozen=True)
class Leftover:
    """What the catch-up of a day finds: e-mails to try (again) now, and the earliest time a
    claim made within the hour would become retryable (None when there is none)."""

    due_now: int
    wait_until: datetime.datetime | None


def digests_left(day: datetime.date) -> Leftover:
    """The e-mails of day not settled: people who want one and have no row yet, retryable rows,
    and fresh claims (another worker busy, or one that died less than an hour ago)."""
    now = timezone.now()
    unclaimed = (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .exclude(reminder_preference__email_digest=False)
        .exclude(digests__day=day)
        .count()
    )
    rows = DigestDelivery.objects.filter(day=day)
    retryable = rows.filter(_retryable(now)).count()
    fresh = (
        rows.filter(state=DigestState.CLAIMED, claimed_at__gte=now - STALE_CLAIM)
        .exclude(error__startswith=RETRY_MARK)
        .order_by("claimed_at")
        .values_list("claimed_at", flat=True)
        .first()
    )
    return Leftover(unclaimed + retryable, fresh + STALE_CLAIM if fresh else None)
