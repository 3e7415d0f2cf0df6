"""The public pages (信息公开) at national scale (issue 15): part of `make bench`.

    .venv/bin/python bench/public.py     # the 1,000,000-facility database of bench/run.py

On the PostgreSQL database `make bench` generates, publishes once (marked, kept): the latest
rated year's grades of every facility category, the published sanctions of the D grades, and a
random-check plan of 1,000 targets over every facility (drawn and published through the
services). Then:

1. server time, in-process through the whole stack (DEBUG off): each public page first right
   after a publication (the edition moved on: rendered from the database) and then from the
   cache, p50/p95 over BENCH_REPEAT requests and the queries of one request; the pages users
   open: the home page, the A-grade list (first page and page 50), a search by the commonest
   name start and by a whole credit code, every filter, D handling, sanctions in force, the
   plans, the plan with its 1,000 targets, the cases and a case; and the largest download, the
   year's grades as CSV (every published facility), streamed;
2. throughput from the cache: gunicorn as `make serve` runs it (gthread, 2 workers × 4 threads)
   on 127.0.0.1, and BENCH_CLIENTS keep-alive clients in separate processes asking the cached
   pages for BENCH_LOAD_SECONDS; requests per second and the client-side p50/p95.

Figures go to bench/RESULTS.md between the public markers.
"""

from __future__ import annotations

import datetime
import http.client
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
SIZE = int(os.environ.get("BENCH_SIZE", "1000000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "15"))
PORT = int(os.environ.get("BENCH_PUBLIC_PORT", "8765"))
PG = os.environ.get("BENCH_PG", "postgres://supervision:supervision@127.0.0.1:5432").rstrip("/")
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- public:start -->", "<!-- public:end -->"
PLAN_NAME = "示例全国双随机抽查（公开页面基准）"

os.environ.setdefault("DATABASE_URL", f"{PG}/supervision_bench_{SIZE}")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1")
os.environ.setdefault("DJANGO_HTTPS", "false")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supervision.settings")
# The load comes from one address: the per-client limit would answer 429 to it.
os.environ.setdefault("DJANGO_PUBLIC_RATE_LIMIT", "100000000/m")
sys.path.insert(0, str(ROOT))


def log(message: str) -> None:
    print(f"[public] {message}", flush=True)


def publish_once() -> int:
    """Publish what the public pages show, once; returns the plan's id."""
    from django.contrib.auth.models import Group, User
    from django.db import transaction

    from supervision.choices import CATEGORY_FACILITY_KINDS
    from supervision.models import CreditRating, GradePublication, RandomCheckPlan, Sanction
    from supervision.services import publication, random_checks

    plan = RandomCheckPlan.objects.filter(name=PLAN_NAME, status="published").first()
    if plan is not None:
        return plan.pk
    user, _ = User.objects.get_or_create(username="bench-public-supervisor", is_staff=True)
    user.groups.set([Group.objects.get(name="supervisor")])
    year = CreditRating.objects.order_by("-year").values_list("year", flat=True).first()
    started = time.perf_counter()
    with transaction.atomic():
        for category in CATEGORY_FACILITY_KINDS:
            if not GradePublication.objects.filter(year=year, category_id=category).exists():
                publication.publish_grades(year=year, category=category, user=user)
        for sanction in Sanction.objects.filter(
            published_on__isnull=True, rating__grade="D", rating__year=year
        ).exclude(legal_basis="")[:2000]:
            publication.publish_sanction(sanction, user=user)
        starts = datetime.date(year + 1, 3, 1)
        plan = random_checks.create_plan(
            user=user,
            name=PLAN_NAME,
            starts_on=starts,
            ends_on=starts + datetime.timedelta(days=120),
            target_count=1000,
            weights={"C": 2, "D": 3},
            grade_year=year,
        )
        random_checks.draw(plan, seed="bench-public", seed_source="bench", user=user)
        random_checks.publish(plan, user=user)
    log(f"published {year} grades, D sanctions and a plan in {time.perf_counter() - started:.0f} s")
    return plan.pk


def pages(plan_id: int) -> list[tuple[str, str]]:
    from django.urls import reverse

    from supervision.models import Facility, TypicalCase

    code = Facility.objects.order_by("pk").values_list("credit_code", flat=True).first()
    grades = reverse("public:grades")
    listed = [
        ("home", reverse("public:home")),
        ("hotlines", reverse("public:hotlines")),
        ("grades, first page (A first)", grades),
        ("grades, page 50", f"{grades}?page=50"),
        ("grades, grade A", f"{grades}?grade=A"),
        ("grades, grade D", f"{grades}?grade=D"),
        ("grades, district 540102", f"{grades}?district=540102"),
        ("grades, kind pharmacy", f"{grades}?kind=pharmacy"),
        # Bench names all start 示例: the commonest start a visitor types.
        ("grades, search 示例", f"{grades}?q={quote('示例')}"),
        ("grades, search a whole credit code", f"{grades}?q={code}"),
        ("D-grade handling", reverse("public:d-grade")),
        ("sanctions in force", reverse("public:sanctions")),
        ("random-check plans", reverse("public:plans")),
        ("a plan with 1,000 targets", reverse("public:plan", args=[plan_id])),
        ("typical cases", reverse("public:cases")),
        ("English grades", reverse("public_en:grades")),
    ]
    case = TypicalCase.objects.filter(status="published").values_list("pk", flat=True).first()
    if case:
        listed.append(("a typical case", reverse("public:case", args=[case])))
    return listed


def server_times(listed: list[tuple[str, str]]) -> list[tuple[str, float, float, float, int]]:
    """Per page: uncached time (after an edition bump), then cached p50/p95 and queries."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from supervision.public import cache as public_cache
    from supervision.services import publication

    client = Client()
    rows = []
    for label, url in listed:
        cold = []
        for _ in range(5):
            publication.bump_edition()
            public_cache.forget_edition()
            started = time.perf_counter()
            response = client.get(url)
            cold.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        times = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        p95 = sorted(times)[int(len(times) * 0.95) - 1]
        rows.append((label, statistics.median(cold), statistics.median(times), p95, len(queries)))
        log(
            f"{label}: uncached {statistics.median(cold):.1f} ms, cached p50 "
            f"{statistics.median(times):.2f} ms p95 {p95:.2f} ms, {len(queries)} q cached"
        )
    return rows


def csv_download() -> tuple[float, int]:
    from django.test import Client
    from django.urls import reverse

    started = time.perf_counter()
    response = Client().get(reverse("public:grades-csv"))
    size = sum(len(chunk) for chunk in response.streaming_content)
    seconds = time.perf_counter() - started
    log(f"grades CSV: {size / 1e6:.1f} MB in {seconds:.1f} s")
    return seconds, size


def _client(paths: list[str], seconds: float, out: multiprocessing.Queue) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    latencies = []
    done = 0
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        path = paths[n % len(paths)]
        n += 1
        started = time.perf_counter()
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
        except (http.client.HTTPException, OSError):
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
            continue
        if response.status == 200:
            done += 1
            latencies.append(time.perf_counter() - started)
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    out.put((done, latencies))


def throughput(paths: list[str]) -> tuple[float, float, float]:
    env = dict(os.environ, DJANGO_ALLOWED_HOSTS="127.0.0.1,testserver")
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "supervision.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                warm = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
                warm.request("GET", paths[0])
                warm.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        for _ in range(4):  # every page into both workers' caches
            for path in paths:
                warm = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                warm.request("GET", path)
                warm.getresponse().read()
        queue: multiprocessing.Queue = multiprocessing.Queue()
        workers = [
            multiprocessing.Process(target=_client, args=(paths, LOAD_SECONDS, queue))
            for _ in range(CLIENTS)
        ]
        for worker in workers:
            worker.start()
        results = [queue.get() for _ in workers]
        for worker in workers:
            worker.join()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    done = sum(n for n, _ in results)
    latencies = sorted(x for _, lat in results for x in lat)
    rate = done / LOAD_SECONDS
    p50 = latencies[len(latencies) // 2] * 1000 if latencies else 0.0
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000 if latencies else 0.0
    log(
        f"throughput: {rate:,.0f} requests/s from the cache "
        f"(client p50 {p50:.1f} ms, p95 {p95:.1f})"
    )
    return rate, p50, p95


def write_results(rows, csv_figures, load) -> None:
    seconds, size = csv_figures
    rate, p50, p95 = load
    lines = [
        START,
        f"### Public pages (issue 15), {SIZE:,} facilities",
        "",
        "Server time in-process through the whole stack (DEBUG off): uncached = the first "
        f"request after a publication (median of 5), cached = p50/p95 of {REPEAT}; "
        "`.venv/bin/python bench/public.py`.",
        "",
        "| page | uncached ms | cached p50 ms | cached p95 ms | queries (cached) |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, cold, warm, high, queries in rows:
        lines.append(f"| {label} | {cold:.1f} | {warm:.2f} | {high:.2f} | {queries} |")
    lines += [
        "",
        f"Largest download: the year's grades as CSV, {size / 1e6:.1f} MB streamed in "
        f"{seconds:.1f} s.",
        "",
        f"Throughput from the cache: **{rate:,.0f} requests/s** with gunicorn (gthread, 2 workers "
        f"× 4 threads) and {CLIENTS} keep-alive clients on the same 2-core machine for "
        f"{LOAD_SECONDS:.0f} s, over the pages above; client-side p50 {p50:.1f} ms, p95 "
        f"{p95:.1f} ms.",
        END,
    ]
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

    call_command("migrate", verbosity=0)
    plan_id = publish_once()
    listed = pages(plan_id)
    rows = server_times(listed)
    csv_figures = csv_download()
    load = throughput([url for _label, url in listed])
    write_results(rows, csv_figures, load)


if __name__ == "__main__":
    main()
