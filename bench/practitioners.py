"""Practitioners at national scale (issue 14): part of `make bench`.

    .venv/bin/python bench/practitioners.py     # the 1,000,000-facility database of bench/run.py

On the PostgreSQL database `make bench` generates (BENCH_SIZE facilities), adds once
BENCH_PRACTITIONERS practitioners (default 5 per facility), set-based in SQL:
    - each with an ID number (PractitionerIdentity) and a registration with a facility, every
      10th with a second one (一医一档);
    - points this year for 1 in 100 (1–6 points), 9 points for 1 in 1,000 (suspended today, the
      measure in force) and 12 in one event for 1 in 5,000 (terminated), each from an inspection
      of the person's facility.
Then the pages, in-process through the full Django stack with DEBUG off, signed in as an auditor
(who sees masked ID numbers) and as a supervisor (who may search by a whole one): the list
(default, every sort, every status, a profession, a facility, points ≥ 9, the commonest
surname and a whole name, an ID number), a practitioner's page (the one with the most records,
one at two facilities), the facility page with its practitioners, the API list and detail;
p50/p95 wall time over BENCH_REPEAT requests after a warm-up, and the number of queries of one
request. Figures go to bench/RESULTS.md between the practitioner markers.
"""

from __future__ import annotations

import datetime
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
SIZE = int(os.environ.get("BENCH_SIZE", "1000000"))
PEOPLE = int(os.environ.get("BENCH_PRACTITIONERS", str(SIZE * 5)))
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
PG = os.environ.get("BENCH_PG", "postgres://supervision:supervision@127.0.0.1:5432").rstrip("/")
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- practitioners:start -->", "<!-- practitioners:end -->"
MARK = "bench practitioner"

os.environ.setdefault("DATABASE_URL", f"{PG}/supervision_bench_{SIZE}")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_HTTPS", "false")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supervision.settings")
sys.path.insert(0, str(ROOT))

SURNAMES = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "赵",
    "黄",
    "周",
    "吴",
    "扎西",
    "次仁",
    "格桑",
    "达瓦",
]
GIVEN = ["伟", "芳", "敏", "静", "磊", "卓玛", "央金", "拉姆", "尼玛", "普布", "旦增", "军"]
PROFESSIONS = ["doctor", "nurse", "pharmacist", "technician", "pharmacy_head"]
DISTRICTS = ["540102", "540103", "540104", "540121", "540122", "540123", "540124", "540127"]


def log(message: str) -> None:
    print(f"[practitioners {datetime.datetime.now():%H:%M:%S}] {message}", flush=True)


def _array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def generate(cursor) -> None:
    """The practitioners, their identities, registrations, points and measures, in SQL."""
    today = datetime.date.today()
    started = time.perf_counter()
    cursor.execute(
        # Constant arrays of this file and generate_series: no outside value in the SQL.
        "INSERT INTO supervision_practitioner (created_at, updated_at, version, name, "  # noqa: S608
        "profession, certificate_number, district, id_masked, note) "
        f"SELECT now(), now(), 1, '示例' || ({_array(SURNAMES)})[1 + (g * 7919) %% {len(SURNAMES)}]"
        f" || ({_array(GIVEN)})[1 + (g * 104729) %% {len(GIVEN)}], "
        f"({_array(PROFESSIONS)})[1 + g %% {len(PROFESSIONS)}], 'SL' || lpad(g::text, 10, '0'), "
        f"({_array(DISTRICTS)})[1 + (g / 7) %% {len(DISTRICTS)}], "
        "'540102********' || lpad((g %% 10000)::text, 4, '0'), %s "
        "FROM generate_series(1::bigint, %s) g",
        [MARK, PEOPLE],
    )
    log(f"{PEOPLE:,} practitioners in {time.perf_counter() - started:.0f} s")
    cursor.execute(
        "INSERT INTO supervision_practitioneridentity (practitioner_id, id_number) "
        "SELECT id, '5401021980' || lpad(id::text, 8, '0') FROM supervision_practitioner "
        "WHERE note = %s",
        [MARK],
    )
    cursor.execute("SELECT min(id), count(*) FROM supervision_facility")
    first, count = cursor.fetchone()
    cursor.execute(
        "INSERT INTO supervision_registration (created_at, updated_at, version, practitioner_id, "
        "facility_id, department, registered_on, end_reason) "
        "SELECT now(), now(), 1, p.id, %s + (p.id::bigint * 7919) %% %s, '', "
        "DATE '2015-01-01' + (p.id %% 3000)::int, '' FROM supervision_practitioner p "
        "WHERE p.note = %s "
        "UNION ALL "
        "SELECT now(), now(), 1, p.id, %s + ((p.id::bigint * 7919) %% %s + 1 + p.id %% 997) %% %s, "
        "'多点执业', "
        "DATE '2020-01-01' + (p.id %% 1500)::int, '' FROM supervision_practitioner p "
        "WHERE p.note = %s AND p.id %% 10 = 0",
        [first, count, MARK, first, count, count, MARK],
    )
    log(f"identities and registrations in {time.perf_counter() - started:.0f} s")
    # Points: (selector, points, responsibility, decided days ago).
    for condition, points, responsibility, days in [
        ("p.id %% 100 = 0", "1 + (p.id / 100) %% 6", "'general'", 60),
        ("p.id %% 1000 = 1", "9", "'main'", 20),
        ("p.id %% 5000 = 2", "12", "'main'", 40),
    ]:
        decided = today - datetime.timedelta(days=days)
        cursor.execute(
            # The conditions and expressions are this file's constants.
            "INSERT INTO supervision_pointsrecord (created_at, updated_at, version, "  # noqa: S608
            "practitioner_id, inspection_id, facility_id, violation_id, responsibility, points, "
            "basis, decision_number, decided_on, year, state, objection_grounds, "
            "objection_reason) "
            f"SELECT now(), now(), 1, p.id, i.id, r.facility_id, 'overcharging', {responsibility}, "
            f"{points}, '基准测试', 'BENCH-' || p.id, %s, %s, 'scored', '', '' "
            "FROM supervision_practitioner p "
            "JOIN supervision_registration r ON r.practitioner_id = p.id "
            "JOIN LATERAL (SELECT id FROM supervision_inspection i "
            "WHERE i.facility_id = r.facility_id ORDER BY id LIMIT 1) i ON true "
            f"WHERE p.note = %s AND {condition} AND r.department = ''",
            [decided, decided.year, MARK],
        )
    # The measures those points give (the service's rules: 9 → 2 months; 12 at once → 36).
    cursor.execute(
        "INSERT INTO supervision_qualificationmeasure (version, practitioner_id, year, kind, "
        "starts_on, ends_on, points, single_event, points_record_id, lift_reason, created_at) "
        "SELECT 1, r.practitioner_id, r.year, "
        "CASE WHEN r.points >= 12 THEN 'termination' ELSE 'suspension' END, r.decided_on, "
        "(r.decided_on + CASE WHEN r.points >= 12 THEN interval '36 months' "
        "ELSE interval '2 months' END - interval '1 day')::date, r.points, r.points >= 12, r.id, "
        "'', now() FROM supervision_pointsrecord r "
        "WHERE r.basis = '基准测试' AND r.points >= 9"
    )
    for table in [
        "practitioner",
        "practitioneridentity",
        "registration",
        "pointsrecord",
        "qualificationmeasure",
    ]:
        cursor.execute(f"ANALYZE supervision_{table}")
    log(f"generated in {time.perf_counter() - started:.0f} s")


def timed_pages(client, pages, connection) -> list[tuple[str, float, float, int, str]]:
    from django.test.utils import CaptureQueriesContext

    results = []
    for label, url in pages:
        response = client.get(url)
        if response.status_code != 200:
            results.append((label, 0.0, 0.0, 0, f"HTTP {response.status_code}"))
            log(f"{label}: HTTP {response.status_code}")
            continue
        times = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        results.append((label, statistics.median(times), p95, len(queries), url))
        log(f"{label}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, {len(queries)} q")
    return results


def measure() -> list[tuple[str, float, float, int, str]]:
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from supervision.models import PointsRecord, Practitioner, PractitionerIdentity, Registration

    def client_of(username: str, role: str) -> Client:
        user, _ = User.objects.get_or_create(username=username, is_staff=True)
        user.groups.set([Group.objects.get(name=role)])
        client = Client()
        client.force_login(user)
        if role == "supervisor":
            # A supervisor signs in with a second factor: the session has passed it.
            from django_otp import DEVICE_ID_SESSION_KEY
            from django_otp.plugins.otp_totp.models import TOTPDevice

            device, _ = TOTPDevice.objects.get_or_create(
                user=user, name="bench", defaults={"confirmed": True}
            )
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    auditor = client_of("bench-practitioner-reader", "auditor")
    supervisor = client_of("bench-practitioner-supervisor", "supervisor")
    most = (
        PointsRecord.objects.values("practitioner_id")
        .annotate(n=Count("id"))
        .order_by("-n", "practitioner_id")
        .values_list("practitioner_id", flat=True)
        .first()
    )
    two = (
        Registration.objects.filter(department="多点执业")
        .order_by("practitioner_id")
        .values_list("practitioner_id", flat=True)
        .first()
    )
    facility = (
        Registration.objects.filter(practitioner_id=two)
        .order_by("id")
        .values_list("facility_id", flat=True)
        .first()
    )
    number = (
        PractitionerIdentity.objects.filter(practitioner_id=most)
        .values_list("id_number", flat=True)
        .first()
    )
    listing = reverse("practitioner-list")
    whole_name = Practitioner.objects.filter(pk=most).values_list("name", flat=True).first()
    pages = [
        ("list, first page", listing),
        ("list, status suspended", f"{listing}?status=qualification_suspended"),
        ("list, status terminated", f"{listing}?status=qualification_terminated"),
        ("list, status active", f"{listing}?status=active"),
        ("list, profession pharmacist", f"{listing}?profession=pharmacist"),
        ("list, facility", f"{listing}?facility={facility}"),
        ("list, points this year ≥ 9", f"{listing}?points_min=9"),
        # Names are typed from their start; every bench name starts 示例, so the commonest
        # surname typed is 示例王 here (1 name in 14), a whole name 示例王伟伟.
        ("list, commonest surname 示例王", f"{listing}?q=%E7%A4%BA%E4%BE%8B%E7%8E%8B"),
        ("list, a whole name", f"{listing}?q={quote(whole_name)}"),
        ("list, district 540102", f"{listing}?district=540102"),
    ]
    for sort in [
        "name",
        "-name",
        "profession",
        "-profession",
        "district",
        "-district",
        "created_at",
        "-created_at",
    ]:
        pages.append((f"list, sort {sort}", f"{listing}?ordering={sort}"))
    pages += [
        ("practitioner page (most points)", reverse("practitioner-detail", args=[most])),
        ("practitioner page (two facilities)", reverse("practitioner-detail", args=[two])),
        ("facility page with its practitioners", reverse("facility-detail", args=[facility])),
    ]
    try:
        api = reverse("api:practitioner-list")
        pages += [
            ("API list", api),
            ("API list, status suspended", f"{api}?status=qualification_suspended"),
            ("API detail", reverse("api:practitioner-detail", args=[most])),
        ]
    except Exception as error:
        log(f"no API route: {error}")
    results = timed_pages(auditor, pages, connection)
    results += timed_pages(
        supervisor, [("list, whole ID number (supervisor)", f"{listing}?q={number}")], connection
    )
    log(f"{Practitioner.objects.count():,} practitioners measured")
    return results


def write_results(rows, people: int, registrations: int, records: int, generated: str) -> None:
    lines = [
        START,
        f"### Practitioners (issue 14), {SIZE:,} facilities, {people:,} practitioners",
        "",
        f"{registrations:,} registrations, {records:,} points records; {generated}. "
        f"In-process requests through the full stack (DEBUG off), {REPEAT} after a warm-up; "
        "`.venv/bin/python bench/practitioners.py`.",
        "",
        "| page | p50 ms | p95 ms | queries |",
        "|---|---:|---:|---:|",
    ]
    for label, p50, p95, queries, url in rows:
        if not queries:
            lines.append(f"| {label} | — | — | {url} |")
        else:
            lines.append(f"| {label} | {p50:.1f} | {p95:.1f} | {queries} |")
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
    from django.db import connection, transaction

    from supervision.models import PointsRecord, Practitioner, Registration

    generated = "generated earlier"
    if not Practitioner.objects.filter(note=MARK).exists():
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            generate(cursor)
        generated = f"generated in {time.perf_counter() - started:.0f} s"
    rows = measure()
    people = Practitioner.objects.count()
    write_results(
        rows, people, Registration.objects.count(), PointsRecord.objects.count(), generated
    )


if __name__ == "__main__":
    main()
