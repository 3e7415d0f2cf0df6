"""The reports for the region (报表) at bench scale (issue 17): `python bench/reports.py`.

On the PostgreSQL database bench/run.py generates (supervision_bench_<BENCH_SIZE>, made by
`make bench` when missing; this script does not make it), builds the annual report of
BENCH_REPORT_YEAR and the monthly report of its last month as the whole city and as an auditor
limited to one district, then writes them as XLSX and as PDF (when the server has the CJK fonts),
BENCH_REPEAT times after a warm-up, and prints p50/p95 of each step and the number of queries of
one build. It reads only: nothing is written to the database.

Settings (environment): BENCH_SIZE=1000000  BENCH_REPORT_YEAR=2024  BENCH_REPEAT=5
BENCH_PG=postgres://supervision:supervision@127.0.0.1:5432 (see bench/run.py).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = int(os.environ.get("BENCH_SIZE", "1000000"))
YEAR = int(os.environ.get("BENCH_REPORT_YEAR", "2024"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
PG = os.environ.get("BENCH_PG", "postgres://supervision:supervision@127.0.0.1:5432").rstrip("/")

os.environ.setdefault("DATABASE_URL", f"{PG}/supervision_bench_{SIZE}")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_HTTPS", "false")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supervision.settings")
sys.path.insert(0, str(ROOT))


def timed(step: Callable[[], object]) -> tuple[list[float], object]:
    """Milliseconds of each of REPEAT runs after one warm-up, and the last result."""
    result = step()
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        result = step()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def line(name: str, times: list[float], extra: str = "") -> str:
    p95 = sorted(times)[max(0, round(len(times) * 0.95) - 1)]
    return f"{name:<44} p50 {statistics.median(times):9.1f} ms   p95 {p95:9.1f} ms   {extra}"


def main() -> None:
    import logging

    import django

    django.setup()
    # fontTools logs every subset glyph list at INFO (the root logger's level here).
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from supervision import pdf
    from supervision.choices import District
    from supervision.models import UserDistrict
    from supervision.reports import Period, Scope, build_report, to_pdf, to_xlsx
    from supervision.roles import AUDITOR

    # An auditor of one district, found or made in memory only: the scope needs its districts,
    # which are read from the table, so a bench account is used when there is one.
    users = get_user_model().objects.filter(groups__name=AUDITOR, is_active=True)
    limited = users.filter(districts__district=District.CHENGGUAN).first()
    scopes = [("city", Scope(None))]
    if limited is not None:
        scopes.append((f"{limited.get_username()} (城关区)", Scope(limited)))
    else:
        count = UserDistrict.objects.count()
        print(f"(no auditor limited to 城关区 in this database, {count} district rows: city only)")
    database = connection.settings_dict["NAME"]
    print(f"{database}: reports of {YEAR} and {YEAR}-12, {REPEAT} runs each")
    for label, scope in scopes:
        for period in (Period(YEAR), Period(YEAR, 12)):
            name = f"{label} {period.slug}"
            with CaptureQueriesContext(connection) as queries:
                build_report(scope, period, made_by="bench")
            times, report = timed(lambda s=scope, p=period: build_report(s, p, made_by="bench"))
            print(line(f"{name} build", times, f"{len(queries)} queries"))
            times, content = timed(lambda r=report: to_xlsx(r))
            print(line(f"{name} xlsx", times, f"{len(content):,} bytes"))
            if pdf.fonts_available():
                times, content = timed(lambda r=report: to_pdf(r))
                print(line(f"{name} pdf", times, f"{len(content):,} bytes"))


if __name__ == "__main__":
    main()
