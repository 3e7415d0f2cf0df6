"""The daily reminders at national scale: part of `make bench`.

    .venv/bin/python bench/digest.py     # the 1,000,000-facility database of bench/run.py

On the PostgreSQL database `make bench` generates (BENCH_SIZE facilities, 5 inspections and 2
tips each), makes BENCH_STAFF (default 5,000) staff accounts with e-mail addresses: per district
BENCH_SUPERVISORS supervisors, BENCH_TIP_DESKS tip desk and 2 credit evaluators, a few city-wide
accounts (no district: every district's items), and inspectors for the rest, each linked to one
of the enforcement officers, so the planned inspections those officers are on are theirs. Then
it times services.reminders.run_daily three times — the first run (every notification new), the
same day again (nothing new, every e-mail already claimed) and the next day (the steady state:
few new notifications, every e-mail again) — with the e-mails kept in memory (Django's locmem
backend: each message is built in full, nothing leaves the machine). The accounts and all they
received are removed at the end, and the officers unlinked, so the database is left as it was.
Figures go to bench/RESULTS.md between the digest markers.
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = int(os.environ.get("BENCH_SIZE", "1000000"))
STAFF = int(os.environ.get("BENCH_STAFF", "5000"))
SUPERVISORS = int(os.environ.get("BENCH_SUPERVISORS", "10"))
TIP_DESKS = int(os.environ.get("BENCH_TIP_DESKS", "5"))
PG = os.environ.get("BENCH_PG", "postgres://supervision:supervision@127.0.0.1:5432").rstrip("/")
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- digest:start -->", "<!-- digest:end -->"
PREFIX = "bench-staff-"

os.environ.setdefault("DATABASE_URL", f"{PG}/supervision_bench_{SIZE}")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_HTTPS", "false")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supervision.settings")
sys.path.insert(0, str(ROOT))


def log(message: str) -> None:
    print(f"[digest] {message}", flush=True)


def remove_staff() -> None:
    """The bench's accounts and their officers' links gone, and every notification and daily
    e-mail row of the bench database's accounts (all "bench-…": the other benches' too, which
    the runs here told as well)."""
    from django.contrib.auth.models import User
    from django.db import connection

    from supervision.models import DigestDelivery, Notification, ReminderPreference, UserDistrict

    everyone = User.objects.filter(username__startswith="bench-").values("pk")
    Notification.objects.filter(user_id__in=everyone).delete()
    DigestDelivery.objects.filter(user_id__in=everyone).delete()
    ids = list(User.objects.filter(username__startswith=PREFIX).values_list("pk", flat=True))
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE supervision_inspector SET user_id = NULL WHERE user_id = ANY(%s)", [ids]
        )
    for model in (ReminderPreference, UserDistrict):
        model.objects.filter(user_id__in=ids).delete()
    User.groups.through.objects.filter(user_id__in=ids).delete()
    User.objects.filter(pk__in=ids).delete()


def make_staff() -> dict[str, int]:
    """STAFF accounts with e-mails, roles and districts; inspectors linked to officers."""
    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction

    from supervision.choices import District
    from supervision.models import UserDistrict
    from supervision.roles import AUDITOR, CREDIT_EVALUATOR, INSPECTOR, SUPERVISOR, TIP_DESK

    plan: list[tuple[str, str | None]] = []
    for district in District.values:
        plan += [(SUPERVISOR, district)] * SUPERVISORS
        plan += [(TIP_DESK, district)] * TIP_DESKS
        plan += [(CREDIT_EVALUATOR, district)] * 2
    plan += [(SUPERVISOR, None)] * 2 + [(TIP_DESK, None)] * 2 + [(AUDITOR, None)] * 4
    plan += [(INSPECTOR, None)] * max(STAFF - len(plan), 0)
    groups = {group.name: group for group in Group.objects.all()}
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(
                    username=f"{PREFIX}{n:05d}",
                    email=f"{PREFIX}{n:05d}@ybj.example.cn",
                    password="!",  # noqa: S106 (an unusable password: nobody signs in)
                    is_staff=True,
                    is_active=True,
                )
                for n in range(len(plan))
            ]
        )
        User.groups.through.objects.bulk_create(
            [
                User.groups.through(user_id=user.pk, group_id=groups[role].pk)
                for user, (role, _district) in zip(users, plan, strict=True)
            ]
        )
        UserDistrict.objects.bulk_create(
            [
                UserDistrict(user_id=user.pk, district=district)
                for user, (_role, district) in zip(users, plan, strict=True)
                if district
            ]
        )
        inspectors = [
            user.pk for user, (role, _d) in zip(users, plan, strict=True) if role == INSPECTOR
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE supervision_inspector AS i SET user_id = pairs.user_id "
                "FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM supervision_inspector "
                "      WHERE user_id IS NULL) AS free "
                "JOIN unnest(%s::bigint[]) WITH ORDINALITY AS pairs(user_id, n) "
                "  ON pairs.n = free.n "
                "WHERE i.id = free.id",
                [inspectors],
            )
            linked = cursor.rowcount
            # As autovacuum would have by the time a bureau's accounts sign in: without it the
            # first run plans the officers' accounts as if none had one.
            for table in ("auth_user", "supervision_inspector", "supervision_userdistrict"):
                cursor.execute(f"ANALYZE {table}")
    counts: dict[str, int] = {}
    for role, _district in plan:
        counts[role] = counts.get(role, 0) + 1
    counts["linked officers"] = linked
    return counts


class Counted:
    """Statements sent to the database while it is on (connection.execute_wrapper)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed_run(label: str, day: datetime.date) -> dict:
    from django.core import mail
    from django.db import connection

    from supervision.services import due_items, reminders

    mail.outbox = []
    counter = Counted()
    figures: dict = {"label": label}
    window = due_items.Window.of(day)
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        items = list(due_items.all_items(window))
        figures["items s"] = time.perf_counter() - started
        step = time.perf_counter()
        owners = reminders.gather(window, items)
        figures["owners s"] = time.perf_counter() - step
        step = time.perf_counter()
        figures["notifications"] = reminders.notify(window, owners=owners)
        figures["notify s"] = time.perf_counter() - step
        step = time.perf_counter()
        counts = reminders.send_digests(window, worker="bench", owners=owners)
        figures["digests s"] = time.perf_counter() - step
        figures["total s"] = time.perf_counter() - started
    figures.update(counts.as_dict())
    figures["items"] = len(items)
    figures["e-mails"] = len(mail.outbox)
    figures["statements"] = counter.count
    largest = max((len(m.body) for m in mail.outbox), default=0)
    figures["largest kB"] = largest / 1024
    log(
        f"{label}: {len(items):,} items in {figures['items s']:.1f} s; "
        f"owners and piles in {figures['owners s']:.1f} s; "
        f"{figures['notifications']:,} new notifications in {figures['notify s']:.1f} s; "
        f"{counts.sent:,} e-mails sent, {counts.empty:,} empty, {counts.skipped:,} skipped in "
        f"{figures['digests s']:.1f} s; total {figures['total s']:.1f} s, "
        f"{counter.count:,} statements"
    )
    return figures


def write_results(runs: list[dict], staff: dict[str, int], notifications: int) -> None:
    roles = ", ".join(f"{count:,} {role}" for role, count in staff.items())
    people = sum(count for role, count in staff.items() if role != "linked officers")
    lines = [
        START,
        f"### Daily reminders, {SIZE:,} facilities, {people:,} staff",
        "",
        f"Staff: {roles}; every account has an e-mail address. E-mails built in full and kept "
        "in memory (locmem backend). Three runs of `services.reminders.run_daily`'s steps: the "
        "first of a day (every notification new), the same day again, and the next day. "
        f"{notifications:,} notification rows after the runs. "
        "`.venv/bin/python bench/digest.py`.",
        "",
        "| run | items | items s | owners s | new notifications | notify s | e-mails | empty | "
        "skipped | digests s | total s | statements |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run['label']} | {run['items']:,} | {run['items s']:.1f} | {run['owners s']:.1f} | "
            f"{run['notifications']:,} | {run['notify s']:.1f} | {run['sent']:,} | "
            f"{run['empty']:,} | {run['skipped']:,} | {run['digests s']:.1f} | "
            f"{run['total s']:.1f} | {run['statements']:,} |"
        )
    lines.append(END)
    block = "\n".join(lines)
    text = RESULTS.read_text() if RESULTS.exists() else ""
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text)


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone, translation

    from supervision.models import Notification

    call_command("migrate", verbosity=0)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    remove_staff()  # a run stopped half-way left them
    started = time.perf_counter()
    staff = make_staff()
    log(f"staff made in {time.perf_counter() - started:.1f} s: {staff}")
    today = timezone.localdate()
    try:
        with translation.override(settings.LANGUAGE_CODE):
            runs = [
                timed_run("first run of the day", today),
                timed_run("the same day again", today),
                timed_run("the next day", today + datetime.timedelta(days=1)),
            ]
        notifications = Notification.objects.filter(user__username__startswith=PREFIX).count()
    finally:
        started = time.perf_counter()
        remove_staff()
        log(f"staff and their reminders removed in {time.perf_counter() - started:.1f} s")
    write_results(runs, staff, notifications)


if __name__ == "__main__":
    main()
