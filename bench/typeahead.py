"""Server time of the type-ahead (/lookup/facilities/) and the facility list's search on a
generated database (issue 10: finding a facility by typing, pinyin included).

    .venv/bin/python bench/typeahead.py                 # 10,000 facilities, SQLite, in-process
    BENCH_FACILITIES=100000 .venv/bin/python bench/typeahead.py

The database (bench/out/typeahead-N.sqlite3) is generated once and reused. Each URL is requested
in-process through the full Django stack with DEBUG off, signed in as an inspector; the figure
is the wall time of the request, p50 and p95 over BENCH_REPEAT runs after one warm-up, the
number of SQL queries of one request, and how many facilities it found (the list: on its page).
On PostgreSQL the same script runs with DATABASE_URL set (then `python bench/explain.py URL`
prints the plans).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
FACILITIES = int(os.environ.get("BENCH_FACILITIES", "10000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
DB = ROOT / "bench" / "out" / f"typeahead-{FACILITIES}.sqlite3"

os.environ.setdefault("DATABASE_URL", f"sqlite:///{DB}")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_HTTPS", "false")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supervision.settings")
sys.path.insert(0, str(ROOT))

# (label, what is typed): generated names are 示例 + two of twelve words + a suffix + a number.
QUERIES = [
    ("initials, 5 letters", "gsygdyf"),
    ("initials, 2 letters (start of a key)", "sl"),
    ("full pinyin", "gesangyangguang"),
    ("two pinyin words", "gesang yaofang"),
    ("Chinese, 2 characters", "格桑"),
    ("Chinese, two words", "格桑 诊所"),
    ("one facility's whole name", None),  # filled in from the database
    ("insurance-code prefix", "H540102"),
    ("credit-code prefix", "915401"),
    ("nothing found", "zzzzqqq"),
]


def prepare() -> None:
    from django.core.management import call_command

    from supervision.models import Facility

    call_command("migrate", verbosity=0)
    if not Facility.objects.exists():
        call_command("generate_data", facilities=FACILITIES, inspections=0, years=1, seed=1)


def timed(client, url: str, count_results) -> tuple[float, float, int, int]:
    from django.db import connection

    response = client.get(url)  # warm-up
    assert response.status_code == 200, (url, response.status_code)
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        found = count_results(client.get(url))
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95, len(queries), found


def main() -> None:
    import django

    DB.parent.mkdir(parents=True, exist_ok=True)
    django.setup()
    prepare()
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    from supervision.models import Facility
    from supervision.roles import INSPECTOR

    user, _ = User.objects.get_or_create(username="bench-typeahead", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name=INSPECTOR))
    client = Client()
    client.force_login(user)
    print(f"{Facility.objects.count():,} facilities · {connection.vendor} · {REPEAT} runs each")
    print(f"{'search':<40} {'where':<10} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'found':>6}")
    whole_name = Facility.objects.order_by("pk").values_list("name", flat=True)[123]
    for label, text in QUERIES:
        text = text or whole_name
        for where, url, count_results in (
            (
                "type-ahead",
                f"/lookup/facilities/?q={quote(text)}",
                lambda r: len(r.json()["results"]),
            ),
            (
                "list",
                f"/facilities/?q={quote(text)}",
                lambda r: r.content.decode().count('<td><a href="/facilities/'),
            ),
        ):
            p50, p95, queries, found = timed(client, url, count_results)
            print(f"{label:<40} {where:<10} {p50:>8.1f} {p95:>8.1f} {queries:>8} {found:>6}")


if __name__ == "__main__":
    main()
