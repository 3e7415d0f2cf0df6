"""我的待办 ("my work") at national scale (issue 16): part of `make bench`.

    .venv/bin/python bench/my_work.py     # the 1,000,000-facility database of bench/run.py

On the PostgreSQL database `make bench` generates (BENCH_SIZE facilities, 5 inspections each,
so 5,000,000 inspections; a tenth of them in progress without an end date, so overdue), this
adds once what the other benches do not make: 50,000 rectification orders (half of them past
their deadline), 20,000 referrals still waiting for the agency's answer, and links 40 inspectors
to staff accounts. Then it times the page as each owner opens it, through the whole stack (DEBUG
off), BENCH_REPEAT times after a warm-up: an inspector (their own inspections and orders), a
supervisor of every district (their referrals, suspensions and check plan, and the team's items
overdue past the escalation), a supervisor of one district, the tip desk (2,000,000 tips) and a
credit evaluator. Figures go to bench/RESULTS.md between the
my-work markers.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = int(os.environ.get("BENCH_SIZE", "1000000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
RECTIFICATIONS = 50_000
REFERRALS = 20_000
PG = os.environ.get("BENCH_PG", "postgres://supervision:supervision@127.0.0.1:5432").rstrip("/")
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- my-work:start -->", "<!-- my-work:end -->"
MARK = "示例：基准整改"

os.environ.setdefault("DATABASE_URL", f"{PG}/supervision_bench_{SIZE}")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_HTTPS", "false")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supervision.settings")
sys.path.insert(0, str(ROOT))


def log(message: str) -> None:
    print(f"[my-work] {message}", flush=True)


def spread_inspectors(cursor) -> None:
    """bench/run.py gives every inspection two of its first 200 officers (46,000 inspections and
    4,500 open ones each); a bureau of this size has thousands. The two officers of each
    inspection are spread over every active officer instead (two different ones, in turn), once:
    about 2,000 inspections and 200 open ones each."""
    cursor.execute(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM supervision_inspection_inspectors "
        "GROUP BY inspector_id) s"
    )
    (most,) = cursor.fetchone()
    cursor.execute("SELECT array_agg(id ORDER BY id) FROM supervision_inspector WHERE is_active")
    (officers,) = cursor.fetchone()
    if not most or most <= 10 * 5_000_000 // max(len(officers), 1):
        return
    started = time.perf_counter()
    cursor.execute("TRUNCATE supervision_inspection_inspectors")
    cursor.execute(
        "INSERT INTO supervision_inspection_inspectors (inspection_id, inspector_id) "
        "SELECT i.id, (%s::bigint[])[1 + i.id %% %s] FROM supervision_inspection i "
        "UNION ALL "
        "SELECT i.id, (%s::bigint[])[1 + (i.id + 1) %% %s] FROM supervision_inspection i",
        [officers, len(officers), officers, len(officers)],
    )
    log(
        f"{cursor.rowcount if cursor.rowcount > 0 else 0:,} links: two of {len(officers):,} "
        f"officers per inspection, in {time.perf_counter() - started:.0f} s (was {most:,} for one)"
    )


def generate(cursor) -> None:
    """Rectification orders on completed inspections (every other one past its deadline),
    referrals still at 已移送, and staff accounts for the busiest inspectors."""
    started = time.perf_counter()
    cursor.execute(
        "INSERT INTO supervision_rectification (inspection_id, facility_id, requirement, "
        "ordered_on, workdays, due_on, status, reported_on, report, follow_up_id, checked_on, "
        "outcome, created_by_id, version, created_at, updated_at) "
        "SELECT i.id, i.facility_id, %s, i.end_date, 20, "
        "i.end_date + CASE WHEN i.id %% 2 = 0 THEN 28 ELSE 28 + (CURRENT_DATE - i.end_date) END, "
        "'ordered', NULL, '', NULL, NULL, '', NULL, 1, now(), now() "
        "FROM supervision_inspection i WHERE i.status = 'completed' AND i.end_date IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM supervision_rectification r WHERE r.inspection_id = i.id) "
        "ORDER BY i.id LIMIT %s",
        [MARK, RECTIFICATIONS],
    )
    log(f"{cursor.rowcount:,} rectification orders")
    cursor.execute(
        "INSERT INTO supervision_referral (inspection_id, agency, status, referred_on, summary, "
        "case_number, decided_on, closed_on, outcome, created_by_id, version, created_at, "
        "updated_at) "
        "SELECT i.id, 'police', 'referred', i.end_date, %s, '', NULL, NULL, '', NULL, 1, now(), "
        "now() FROM supervision_inspection i WHERE i.status = 'completed' "
        "AND NOT EXISTS (SELECT 1 FROM supervision_referral r WHERE r.inspection_id = i.id) "
        "ORDER BY i.id DESC LIMIT %s",
        [MARK, REFERRALS],
    )
    log(f"{cursor.rowcount:,} referrals waiting for an answer")
    for table in ("rectification", "referral"):
        cursor.execute(f"ANALYZE supervision_{table}")
    log(f"generated in {time.perf_counter() - started:.0f} s")


def client_of(username: str, role: str, district: str | None = None):
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from supervision.models import UserDistrict

    user, _ = User.objects.get_or_create(username=username, is_staff=True)
    user.groups.set([Group.objects.get(name=role)])
    UserDistrict.objects.filter(user=user).delete()
    if district:
        UserDistrict.objects.create(user=user, district=district)
    client = Client()
    client.force_login(user)
    # Those who must sign in with a second factor: the session has passed it.
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client, user


def inspector_user(rank: str):
    """The staff account of an inspector by the number of their inspections in progress: the
    busiest ("busiest") or the middle one ("median")."""
    from django.contrib.auth.models import Group, User
    from django.db import connection

    from supervision.models import Inspector

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ii.inspector_id FROM supervision_inspection_inspectors ii "
            "JOIN supervision_inspection i ON i.id = ii.inspection_id "
            "WHERE i.status = 'in_progress' GROUP BY ii.inspector_id "
            "ORDER BY count(*) DESC, ii.inspector_id"
        )
        ranked = [row[0] for row in cursor.fetchall()]
    inspector_id = ranked[0] if rank == "busiest" else ranked[len(ranked) // 2]
    inspector = Inspector.objects.get(pk=inspector_id)
    if inspector.user_id is None:
        user, _ = User.objects.get_or_create(username=f"bench-my-work-{rank}", is_staff=True)
        Inspector.objects.filter(user=user).update(user=None)
        inspector.user = user
        inspector.save(update_fields=["user"])
    user = inspector.user
    user.groups.set([Group.objects.get(name="inspector")])
    return user, inspector_id


def timed(client, url: str, connection) -> tuple[float, float, int, int]:
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    status = response.status_code
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], len(queries), status


def measure() -> list[tuple[str, float, float, int, int, str]]:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from supervision.services import due_items

    url = reverse("my-work")
    rows = []
    personas = []
    for rank, label in [
        ("busiest", "inspector (busiest: most inspections in progress)"),
        ("median", "inspector (the middle one by inspections in progress)"),
    ]:
        user, inspector_id = inspector_user(rank)
        client = Client()
        client.force_login(user)
        personas.append((label, client, user))
        log(f"{rank} inspector id {inspector_id}")
    personas += [
        ("supervisor, every district", *client_of("bench-my-work-supervisor", "supervisor")),
        (
            "supervisor, one district (540102)",
            *client_of("bench-my-work-chengguan", "supervisor", "540102"),
        ),
        ("tip desk, every district", *client_of("bench-my-work-tips", "tip_desk")),
        ("credit evaluator", *client_of("bench-my-work-credit", "credit_evaluator")),
    ]
    for label, client, user in personas:
        p50, p95, queries, status = timed(client, url, connection)
        work = due_items.for_user(user)
        shown = f"{len(work.items())} shown, {work.count:,} due, {len(work.team_items())} team"
        rows.append((label, p50, p95, queries, status, shown))
        log(f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, {queries} q, HTTP {status}; {shown}")
    return rows


def write_results(rows, figures: str) -> None:
    lines = [
        START,
        f"### My work (issue 16), {SIZE:,} facilities",
        "",
        f"{figures} In-process requests through the full stack (DEBUG off), {REPEAT} after a "
        "warm-up, PostgreSQL with the README's `random_page_cost = 1.1`; "
        "`.venv/bin/python bench/my_work.py`.",
        "",
        "| who | p50 ms | p95 ms | queries | what the page holds |",
        "|---|---:|---:|---:|---|",
    ]
    for label, p50, p95, queries, status, shown in rows:
        if status != 200:
            lines.append(f"| {label} | — | — | — | HTTP {status} |")
        else:
            lines.append(f"| {label} | {p50:.1f} | {p95:.1f} | {queries or '—'} | {shown} |")
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
    from django.core.management import call_command
    from django.db import connection, transaction

    from supervision.models import Inspection, Rectification, Referral, Tip

    call_command("migrate", "--noinput", verbosity=0)
    with connection.cursor() as cursor:
        # The README's setting for SSDs, as bench/run.py gives the database it creates.
        cursor.execute("SELECT current_database()")
        (name,) = cursor.fetchone()
        cursor.execute(f'ALTER DATABASE "{name}" SET random_page_cost = 1.1')
    connection.close()
    with transaction.atomic(), connection.cursor() as cursor:
        spread_inspectors(cursor)
    with connection.cursor() as cursor:
        # The links' visibility map, so an officer's inspections are read from the index only.
        cursor.execute("VACUUM ANALYZE supervision_inspection_inspectors")
    if not Rectification.objects.filter(requirement=MARK).exists():
        with transaction.atomic(), connection.cursor() as cursor:
            generate(cursor)
    figures = (
        f"{Inspection.objects.count():,} inspections, "
        f"{Rectification.objects.count():,} rectification orders, "
        f"{Referral.objects.count():,} referrals, {Tip.objects.count():,} tips."
    )
    log(figures)
    write_results(measure(), figures)


if __name__ == "__main__":
    main()
