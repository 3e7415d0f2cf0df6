"""Reminders (提醒): the daily run that tells each person what is due (services.due_items).

Once a day (supervision.tasks, on the task worker) the due items are computed once and given to
everyone who owns them: the person named on the record, the role of its district, and for an
item overdue past the escalation the district's supervisors (due_items.owned_by). Each owner

* gets an in-app notification (Notification) per item and state, once: the row is unique by
  (person, "kind:pk:state"), so a second run the same day, or the next day's, adds only what is
  new — an item that became due soon, then overdue, is told twice in its life, never more. At
  most NOTIFY_LIMIT items a person and run are offered, the latest due first, so a backlog of
  thousands is not copied into thousands of notifications (it is on "my work");
* gets one e-mail a day (每日待办邮件) listing their items, overdue first, grouped by kind.

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
  person at most per worker death.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.core import mail
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Concat, Left
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from supervision.choices import DigestState
from supervision.formats.values import ymd
from supervision.models import DigestDelivery, Notification, ReminderPreference, UserDistrict
from supervision.models.reminders import KEY_LENGTH, TITLE_LENGTH
from supervision.roles import SUPERVISOR
from supervision.services import due_items
from supervision.services.due_items import DueItem, Window

logger = logging.getLogger(__name__)

# Items listed in one e-mail; the rest are counted ("还有N项") and are on "my work".
DIGEST_LIMIT = 50
# Notifications a person may be given in one run, the latest due first (see notify()).
NOTIFY_LIMIT = 100
# A claim older than this whose row still says "claimed": its worker died mid-send.
STALE_CLAIM = datetime.timedelta(hours=1)
# The error of a row taken again (a failed e-mail, a stale claim) starts with this: it is never
# taken a third time.
RETRY_MARK = "【重试】"
# Notifications written per INSERT; people claimed per round of e-mails.
NOTIFY_BATCH = 50_000
CLAIM_BATCH = 200
ERROR_LENGTH = DigestDelivery._meta.get_field("error").max_length
URL_LENGTH = Notification._meta.get_field("url").max_length
WORKER_LENGTH = DigestDelivery._meta.get_field("worker").max_length


@dataclass(frozen=True)
class Recipient:
    """An active account as the daily run sees it (read in bulk by recipients())."""

    pk: int
    name: str
    email: str
    roles: frozenset[str]
    districts: frozenset[str] | None  # None: every district
    readable: frozenset[str]  # the kinds of due item whose records the person may open
    muted_in_app: frozenset[str] = frozenset()
    muted_by_email: frozenset[str] = frozenset()
    email_digest: bool = True

    def owns(self, item: DueItem) -> bool:
        return item.kind in self.readable and due_items.owned_by(
            item, self.pk, self.roles, self.districts
        )


def _view_codenames() -> dict[tuple[str, str], set[str]]:
    """(app label, view codename) of each kind's model → the kinds of that model."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for kind, source in due_items.KINDS.items():
        opts = source.model._meta
        found[(opts.app_label, f"view_{opts.model_name}")].add(kind)
    return found


def recipients() -> list[Recipient]:
    """Every active account with its roles, districts, readable kinds and preferences: seven
    queries whatever the number of people."""
    users = list(
        User.objects.filter(is_active=True)
        .order_by("pk")
        .values(
            "pk",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_superuser",
            "inspector__name",
        )
    )
    groups: dict[int, set[str]] = defaultdict(set)
    group_ids: dict[int, set[int]] = defaultdict(set)
    for user_id, group_id, name in User.groups.through.objects.filter(
        user__is_active=True
    ).values_list("user_id", "group_id", "group__name"):
        groups[user_id].add(name)
        group_ids[user_id].add(group_id)
    # The view permissions of the kinds' models, held through a group or by the account itself.
    codenames = _view_codenames()
    wanted = Q()
    for app_label, codename in codenames:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    kind_of = {
        pk: codenames[(app_label, codename)]
        for pk, app_label, codename in Permission.objects.filter(wanted).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    by_group: dict[int, set[str]] = defaultdict(set)
    for group_id, permission_id in Permission.group_set.through.objects.filter(
        permission_id__in=kind_of
    ).values_list("group_id", "permission_id"):
        by_group[group_id] |= kind_of[permission_id]
    readable: dict[int, set[str]] = defaultdict(set)
    for user_id, permission_id in User.user_permissions.through.objects.filter(
        permission_id__in=kind_of, user__is_active=True
    ).values_list("user_id", "permission_id"):
        readable[user_id] |= kind_of[permission_id]
    districts: dict[int, set[str]] = defaultdict(set)
    for user_id, district in UserDistrict.objects.filter(user__is_active=True).values_list(
        "user_id", "district"
    ):
        districts[user_id].add(district)
    preferences = {
        row["user_id"]: row
        for row in ReminderPreference.objects.filter(user__is_active=True).values(
            "user_id", "muted_in_app", "muted_by_email", "email_digest"
        )
    }
    every_kind = frozenset(due_items.KINDS)
    found = []
    for row in users:
        pk = row["pk"]
        if row["is_superuser"]:
            # The same rule as roles_of(); a superuser holds every permission.
            roles = due_items.roles_of(User(pk=pk, is_superuser=True))
            kinds = every_kind
        else:
            roles = frozenset(groups.get(pk, ()))
            kinds = frozenset(readable.get(pk, set()).union(*(by_group[g] for g in group_ids[pk])))
        preference = preferences.get(pk, {})
        found.append(
            Recipient(
                pk=pk,
                name=row["inspector__name"]
                or f"{row['last_name']}{row['first_name']}".strip()
                or row["username"],
                email=row["email"],
                roles=roles,
                districts=frozenset(districts[pk]) if pk in districts else None,
                readable=kinds,
                muted_in_app=frozenset(preference.get("muted_in_app") or ()),
                muted_by_email=frozenset(preference.get("muted_by_email") or ()),
                email_digest=preference.get("email_digest", True),
            )
        )
    return found


def _urgency(item: DueItem) -> tuple:
    """The e-mail's order: overdue first, the longest overdue first; then due soon, the
    nearest first."""
    return (not item.overdue, item.due_on, item.kind, item.pk)


def _latest(item: DueItem) -> tuple:
    """The notifications' order: the latest due first, so what has just come due soon or just
    become overdue comes before an old backlog."""
    return (-item.due_on.toordinal(), item.kind, item.pk)


@dataclass
class Pile:
    """Owned items as they stream past: the count of each kind, the DIGEST_LIMIT most urgent
    (the e-mail) and the NOTIFY_LIMIT latest due (the notifications). One per audience and kind,
    one per person and kind for the items naming them; a person's are merged at the end."""

    urgent: list[DueItem] = field(default_factory=list)
    latest: list[DueItem] = field(default_factory=list)
    total: int = 0
    overdue: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, item: DueItem) -> None:
        self.total += 1
        self.overdue += item.overdue
        self.by_kind[item.kind] = self.by_kind.get(item.kind, 0) + 1
        self.urgent.append(item)
        self.latest.append(item)
        if len(self.urgent) >= 4 * DIGEST_LIMIT:
            self.urgent = self.most_urgent()
        if len(self.latest) >= 4 * NOTIFY_LIMIT:
            self.latest = self.latest_due()

    def most_urgent(self) -> list[DueItem]:
        return sorted(self.urgent, key=_urgency)[:DIGEST_LIMIT]

    def latest_due(self) -> list[DueItem]:
        return sorted(self.latest, key=_latest)[:NOTIFY_LIMIT]

    @classmethod
    def merged(cls, parts: Iterable[Pile]) -> Pile:
        whole = cls()
        for part in parts:
            whole.total += part.total
            whole.overdue += part.overdue
            for kind, count in part.by_kind.items():
                whole.by_kind[kind] = whole.by_kind.get(kind, 0) + count
            whole.urgent.extend(part.urgent)
            whole.latest.extend(part.latest)
        whole.urgent = whole.most_urgent()
        whole.latest = whole.latest_due()
        return whole


@dataclass
class Audience:
    """The people who own every item of one shape (kind, district, role, escalation, state)
    through their role and districts, whoever the item's own people are."""

    members: list[Recipient]
    pks: frozenset[int]
    pile: Pile = field(default_factory=Pile)


class Owners:
    """Who owns each item, and each person's pile of them.

    Ownership is decided by due_items.owned_by once per shape of item (its audience) and once
    per person named on an item, instead of for every person and every item (owned_by reads
    nothing of an item but its people, role, district and escalation); an item is added once to
    its audience's pile and once to each of its own people's, never to a pile per person."""

    def __init__(self, people: Iterable[Recipient]) -> None:
        self.by_pk: dict[int, Recipient] = {}
        self.by_role: dict[tuple[str, str | None], list[Recipient]] = defaultdict(list)
        for person in people:
            self.by_pk[person.pk] = person
            for role in person.roles:
                for district in person.districts or (None,):
                    self.by_role[(role, district)].append(person)
        self.audiences: dict[tuple, Audience] = {}
        self.named: dict[tuple[int, str], Pile] = defaultdict(Pile)
        self.items = 0

    def audience(self, item: DueItem) -> Audience:
        shape = (item.kind, item.district, item.role, item.escalated, item.state)
        found = self.audiences.get(shape)
        if found is None:
            anyone = replace(item, people=frozenset())
            roles = {item.role, SUPERVISOR if item.escalated else ""} - {""}
            candidates = {
                person.pk: person
                for role in roles
                for district in (None, item.district)
                for person in self.by_role.get((role, district), ())
            }
            members = [person for person in candidates.values() if person.owns(anyone)]
            found = Audience(members, frozenset(person.pk for person in members))
            self.audiences[shape] = found
        return found

    def collect(self, items: Iterable[DueItem]) -> Owners:
        for item in items:
            self.items += 1
            audience = self.audience(item)
            if audience.members:
                audience.pile.add(item)
            for pk in item.people:
                person = self.by_pk.get(pk)
                if person is not None and pk not in audience.pks and person.owns(item):
                    self.named[(pk, item.kind)].add(item)
        return self

    def piles(self, muted: Callable[[Recipient], frozenset[str]]) -> dict[int, Pile]:
        """Each person's items, but the kinds muted(person) names, merged into one pile."""
        parts: dict[int, list[Pile]] = defaultdict(list)
        for (kind, *_shape), audience in self.audiences.items():
            if audience.pile.total:
                for person in audience.members:
                    if kind not in muted(person):
                        parts[person.pk].append(audience.pile)
        for (pk, kind), pile in self.named.items():
            if kind not in muted(self.by_pk[pk]):
                parts[pk].append(pile)
        return {pk: Pile.merged(found) for pk, found in parts.items()}


def _title(item: DueItem) -> str:
    title = f"{item.title}：{item.subject}" if item.subject else item.title
    return title[:TITLE_LENGTH]


_NOTIFICATION_COLUMNS = ("user", "kind", "key", "title", "url", "due_on", "overdue")


def _write_notifications(rows: list[tuple]) -> int:
    """Insert rows (values of _NOTIFICATION_COLUMNS) that are not there yet; how many were new.

    PostgreSQL: COPY into a temporary table, then one INSERT … ON CONFLICT DO NOTHING, which
    says how many it wrote (a million rows in seconds, no model instances). Elsewhere (SQLite,
    a laptop's few rows): bulk_create, counted by the rows written since it started."""
    if not rows:
        return 0
    now = timezone.now()
    opts = Notification._meta
    if connection.vendor != "postgresql":
        names = [opts.get_field(name).attname for name in _NOTIFICATION_COLUMNS]
        Notification.objects.bulk_create(
            [Notification(**dict(zip(names, row, strict=True))) for row in rows],
            ignore_conflicts=True,
        )
        users = {row[0] for row in rows}
        return Notification.objects.filter(user_id__in=users, created_at__gte=now).count()
    columns = [opts.get_field(name).column for name in _NOTIFICATION_COLUMNS]
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE reminder_rows ON COMMIT DROP AS "  # noqa: S608 (names from _meta)
            f"SELECT {quoted} FROM {opts.db_table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY reminder_rows ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {opts.db_table} ({quoted}, created_at) "  # noqa: S608 (names from _meta)
            f"SELECT {quoted}, %s FROM reminder_rows ON CONFLICT DO NOTHING",
            [now],
        )
        created = cursor.rowcount
        # Dropped now, not only at commit: a caller's own transaction may call again.
        cursor.execute("DROP TABLE reminder_rows")
    return created


def gather(window: Window, items: Iterable[DueItem] | None = None) -> Owners:
    """Every active account and the day's items (read now unless given), piled by owner."""
    items = due_items.all_items(window) if items is None else items
    return Owners(recipients()).collect(items)


def notify(
    window: Window, items: Iterable[DueItem] | None = None, *, owners: Owners | None = None
) -> int:
    """Write the in-app notifications of the day's items for their owners, except the kinds each
    person muted; returns how many were new. Running it again adds nothing: the unique (person,
    "kind:pk:state") skips what an earlier run, or another worker, wrote.

    A person is told of at most NOTIFY_LIMIT items a run, the latest due first: what has just
    come due soon or become overdue is told the day it does; an old backlog (a supervisor's
    thousands of escalated items) stays on 我的待办, counted in the e-mail, and is not copied
    into a notification per item."""
    owners = owners or gather(window, items)
    piles = owners.piles(lambda person: person.muted_in_app)
    created = 0
    rows: list[tuple] = []
    for pk, pile in piles.items():
        for item in pile.latest_due():
            rows.append(
                (
                    pk,
                    item.kind,
                    item.key[:KEY_LENGTH],
                    _title(item),
                    item.url[:URL_LENGTH],
                    item.due_on,
                    item.overdue,
                )
            )
        if len(rows) >= NOTIFY_BATCH:
            created += _write_notifications(rows)
            rows = []
    created += _write_notifications(rows)
    logger.info("reminders: %s new notifications", created)
    return created


# --- the daily e-mail ------------------------------------------------------------------------


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
    """The e-mails' rows, each item's made once per run: the same items go to many people."""

    def __init__(self, today: datetime.date) -> None:
        self.today = today
        self.made: dict[str, Row] = {}

    def __call__(self, item: DueItem) -> Row:
        row = self.made.get(item.key)
        if row is None:
            link = settings.SITE_URL + item.url
            due = ymd(item.due_on)
            if item.overdue:
                days = item.days_overdue(self.today)
                state = ngettext("逾期%(days)d天", "逾期%(days)d天", days) % {"days": days}
                state_html = format_html("<strong>{}</strong>", state)
            else:
                state = state_html = gettext("即将到期")
            subject = f" · {item.subject}" if item.subject else ""
            deadline = gettext("期限 %(day)s") % {"day": due}
            row = self.made[item.key] = Row(
                text=f"- {state} · {item.title}{subject} · {deadline}\n  {link}",
                html=format_html(
                    '<tr><td>{}</td><td><a href="{}">{}</a></td><td>{}</td><td>{}</td></tr>',
                    state_html,
                    link,
                    item.title,
                    item.subject or "—",
                    due,
                ),
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
                html=mark_safe("".join(row.html for row in found)),  # noqa: S308 (format_html's)
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


# --- the daily run ---------------------------------------------------------------------------


def run_daily(day: datetime.date | None = None, *, worker: str = "") -> dict:
    """The day's reminders: the due items computed once, the notifications, then the e-mails.
    Returns a summary (JSON: it is the task's result)."""
    window = Window.of(day)
    worker = worker or "run_daily"
    # Stored titles and e-mails are in the bureau's language, whatever the caller's.
    with translation.override(settings.LANGUAGE_CODE):
        # The items read once and piled by owner for both: the notifications, then the e-mails.
        owners = gather(window)
        created = notify(window, owners=owners)
        counts = send_digests(window, worker=worker, owners=owners)
    return {
        "day": window.today.isoformat(),
        "items": owners.items,
        "notifications": created,
        **counts.as_dict(),
    }


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


# --- a person's notifications and settings (the pages) ------------------------------------------


def notifications_of(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Notification]:
    """The person's own notifications, newest first: the only way the pages read them."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user_id=user.pk).order_by("-created_at", "-id")


def unread_count(user: AbstractBaseUser | AnonymousUser) -> int:
    """How many of the person's notifications are unread (one query on the unread index)."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def mark_all_read(user: AbstractBaseUser) -> int:
    """Mark every unread notification of the person read; how many were."""
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preference_of(user: AbstractBaseUser) -> ReminderPreference:
    """The person's settings, or the defaults (everything, the daily e-mail on) unsaved."""
    return ReminderPreference.objects.filter(user_id=user.pk).first() or ReminderPreference(
        user_id=user.pk
    )


def save_preference(
    user: AbstractBaseUser, *, in_app: Iterable[str], by_email: Iterable[str], email_digest: bool
) -> ReminderPreference:
    """Keep what the person wants: the kinds chosen in the product and by e-mail (the others are
    muted), and whether the daily e-mail comes."""
    kinds = list(due_items.KINDS)
    in_app, by_email = set(in_app), set(by_email)
    with transaction.atomic():
        preference, _created = ReminderPreference.objects.update_or_create(
            user_id=user.pk,
            defaults={
                "muted_in_app": [kind for kind in kinds if kind not in in_app],
                "muted_by_email": [kind for kind in kinds if kind not in by_email],
                "email_digest": email_digest,
            },
        )
    return preference
