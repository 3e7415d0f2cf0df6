"""Server time of the admin changelists on a generated database (issue: 100,000 facilities).

    make bench-admin                    # 100,000 facilities in bench/out/admin-100000.sqlite3
    BENCH_FACILITIES=10000 make bench-admin

Each page is requested in-process through the full Django stack (middleware, admin, templates)
with DEBUG off; the figure is the wall time of the request, p50 and p95 over BENCH_REPEAT runs
after one warm-up, and the number of SQL queries of one request.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACILITIES = int(os.environ.get("BENCH_FACILITIES", "100000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
DB = ROOT / "bench" / "out" / f"admin-{FACILITIES}.sqlite3"

os.environ.setdefault("DATABASE_URL", f"sqlite:///{DB}")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supervision.settings")
sys.path.insert(0, str(ROOT))

PAGES = [
    ("Facility changelist, unfiltered", "/admin/supervision/facility/"),
    ("Facility changelist, page 200", "/admin/supervision/facility/?p=200"),
    (
        "Facility changelist, district + kind",
        "/admin/supervision/facility/?district__exact=540103&kind__exact=pharmacy",
    ),
    ("Facility changelist, grade 2024 D", "/admin/supervision/facility/?grade_in_year=2024-D"),
    ("Facility changelist, suspended today", "/admin/supervision/facility/?agreement=suspended"),
    (
        "Facility changelist, search name",
        "/admin/supervision/facility/?q=%E7%A4%BA%E4%BE%8B%E6%A0%BC",
    ),
    ("CreditRating changelist, unfiltered", "/admin/supervision/creditrating/"),
    (
        "CreditRating changelist, 2024 grade D",
        "/admin/supervision/creditrating/?year=2024&grade__exact=D",
    ),
    (
        "CreditRating changelist, district filter",
        "/admin/supervision/creditrating/?facility__district=540124",
    ),
    ("Inspection changelist, unfiltered", "/admin/supervision/inspection/"),
    ("Sanction changelist, unfiltered", "/admin/supervision/sanction/"),
]


def prepare() -> None:
    """Build the benchmark database once; later runs reuse it."""
    from django.core.management import call_command

    from supervision.models import Facility

    call_command("migrate", verbosity=0)
    if not Facility.objects.exists():
        call_command(
            "generate_data",
            facilities=FACILITIES,
            inspections=FACILITIES * 2,
            years=3,
            seed=1,
        )


def main() -> None:
    import django

    DB.parent.mkdir(parents=True, exist_ok=True)
    django.setup()
    prepare()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from supervision.models import Facility

    user, _ = User.objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    print(f"{Facility.objects.count():,} facilities · {connection.vendor} · {REPEAT} runs each")
    print(f"{'page':<42} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for label, url in PAGES:
        response = client.get(url)  # warm-up
        assert response.status_code == 200, (url, response.status_code)
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        # Counted with a wrapper: the request_started signal clears connection.queries.
        with connection.execute_wrapper(count):
            client.get(url)
        times = []
        for _ in range(REPEAT):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        print(f"{label:<42} {statistics.median(times):>8.1f} {p95:>8.1f} {len(queries):>8}")


if __name__ == "__main__":
    main()
