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

The e-mails, and their once-a-day guarantee, are services.digests; the owners and their piles,
shared by both, services.reminder_owners.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from supervision.formats.punctuation import labelled
from supervision.models import Notification, ReminderPreference
from supervision.models.reminders import KEY_LENGTH, TITLE_LENGTH
from supervision.services import due_items
from supervision.services.digests import (
    RETRY_MARK,
    STALE_CLAIM,
    DigestCounts,
    Leftover,
    digests_left,
    send_digests,
)
from supervision.services.due_items import DueItem, Window
from supervision.services.reminder_owners import Owners, gather, recipients

__all__ = [
    "RETRY_MARK",
    "STALE_CLAIM",
    "DigestCounts",
    "Leftover",
    "digests_left",
    "gather",
    "mark_all_read",
    "notifications_of",
    "notify",
    "preference_of",
    "recipients",
    "run_daily",
    "save_preference",
    "send_digests",
    "unread_count",
]

logger = logging.getLogger(__name__)

# Notifications written per INSERT.
NOTIFY_BATCH = 50_000
URL_LENGTH = Notification._meta.get_field("url").max_length


def _title(item: DueItem) -> str:
    title = labelled(item.title, item.subject) if item.subject else item.title
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
