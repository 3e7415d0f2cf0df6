"""EXPLAIN ANALYZE every SQL query a page or endpoint runs, slowest first.

    DATABASE_URL=postgres://…/supervision_bench_1000000 python bench/explain.py /facilities/ …

Each URL is requested in-process as a staff account with the auditor role, who sees every page
and every district (a superuser would be asked for a second factor first), after one warm-up;
the queries it ran are explained with their parameters. Figures are the database's own execution
times.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_HTTPS", "false")  # the test client speaks plain HTTP
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supervision.settings")
sys.path.insert(0, str(ROOT))

SHOW = int(os.environ.get("EXPLAIN_SHOW", "3"))  # plans printed per URL (the slowest)
TIME = re.compile(r"Execution Time: ([\d.]+) ms")


def main(urls: list[str]) -> None:
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    from supervision.roles import AUDITOR

    user, _ = User.objects.get_or_create(username="bench-explain", defaults={"is_staff": True})
    user.groups.set([Group.objects.get(name=AUDITOR)])
    client = Client()
    client.force_login(user)
    for url in urls:
        client.get(url)  # warm-up
        captured: list[tuple[str, tuple]] = []

        def capture(execute, sql, params, many, context, captured=captured):
            captured.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(capture):
            status = client.get(url).status_code
        plans = []
        with connection.cursor() as cursor:
            for sql, params in captured:
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                plans.append((float(TIME.search(plan).group(1)), sql, plan))
        plans.sort(key=lambda p: p[0], reverse=True)
        total = sum(p[0] for p in plans)
        print(f"\n=== {url} → {status}: {len(captured)} queries, {total:.1f} ms in the database")
        for ms, _sql, _plan in plans:
            print(f"  {ms:8.2f} ms  {_sql[:150]}")
        for ms, sql, plan in plans[:SHOW]:
            print(f"\n--- {ms:.2f} ms\n{sql}\n{plan}")


if __name__ == "__main__":
    main(sys.argv[1:])
