"""Random-check draws at national scale (issue 15): part of `make bench`.

    .venv/bin/python bench/random_checks.py     # the 1,000,000-facility database of bench/run.py

On the PostgreSQL database `make bench` generates (BENCH_SIZE facilities), tops the enforcement
staff up to BENCH_INSPECTORS (default 5,000) spread over the districts, then draws plans whose
pool is every facility (and a second one: grades C and D of the latest rated year, not inspected
for 12 months), 1,000 targets weighted C ×2 and D ×3, two inspectors each, excluding inspectors
who checked the facility in the last 12 months and those based in its district. Each run is
timed step by step (the draw with its pool query and storage, the verification from the stored
seed and pools, the publication that makes the 1,000 planned inspections) inside a transaction
rolled back at the end, so the database is left as it was. Figures go to bench/RESULTS.md
between the random-check markers.
"""

from __future__ import annotations

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = int(os.environ.get("BENCH_SIZE", "1000000"))
INSPECTORS = int(os.environ.get("BENCH_INSPECTORS", "5000"))
RUNS = int(os.environ.get("BENCH_DRAW_RUNS", "3"))
TARGETS = int(os.environ.get("BENCH_DRAW_TARGETS", "1000"))
PG = os.environ.get("BENCH_PG", "postgres://supervision:supervision@127.0.0.1:5432").rstrip("/")
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- random-checks:start -->", "<!-- random-checks:end -->"

os.environ.setdefault("DATABASE_URL", f"{PG}/supervision_bench_{SIZE}")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_HTTPS", "false")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supervision.settings")
sys.path.insert(0, str(ROOT))


class Rollback(Exception):
    """Leaves the bench database as it was after a timed run."""


def log(message: str) -> None:
    print(f"[random-checks] {message}", flush=True)


def top_up_inspectors() -> None:
    from django.db import connection

    from supervision.choices import District
    from supervision.models import Inspector

    have = Inspector.objects.count()
    if have >= INSPECTORS:
        return
    districts = District.values
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO supervision_inspector (name, badge_number, is_active, district, user_id) "
            "SELECT '示例执法人员' || n, 'ZFB' || lpad(n::text, 9, '0'), true, "
            "(%s::text[])[1 + n %% %s], NULL "
            "FROM generate_series(%s, %s) AS n",
            [districts, len(districts), have + 1, INSPECTORS],
        )
    log(f"inspectors topped up from {have:,} to {Inspector.objects.count():,}")


def timed_run(label: str, criteria: dict, seed: str) -> dict[str, float]:
    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction

    from supervision.services import random_checks

    user, _ = User.objects.get_or_create(username="bench-random-supervisor", is_staff=True)
    user.groups.set([Group.objects.get(name="supervisor")])
    figures: dict[str, float] = {}
    try:
        with transaction.atomic():
            plan = random_checks.create_plan(user=user, **criteria)
            started = time.perf_counter()
            pool_size = random_checks.pool_queryset(plan).count()
            figures["pool count"] = time.perf_counter() - started
            started = time.perf_counter()
            random_checks.draw(plan, seed=seed, seed_source="bench", user=user)
            figures["draw"] = time.perf_counter() - started
            plan.refresh_from_db()
            started = time.perf_counter()
            check = random_checks.verify(plan)
            figures["verify"] = time.perf_counter() - started
            if not check.ok:
                raise SystemExit(f"verification failed: {check.problems}")
            started = time.perf_counter()
            random_checks.publish(plan, user=user)
            figures["publish"] = time.perf_counter() - started
            figures["pool"] = pool_size
            figures["stored kB"] = (len(plan.pool) + len(plan.inspector_pool)) / 1024
            figures["targets"] = plan.targets.count()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            raise Rollback
    except Rollback:
        pass
    log(
        f"{label}: pool {figures['pool']:,.0f}, draw {figures['draw']:.2f} s, verify "
        f"{figures['verify']:.2f} s, publish {figures['publish']:.2f} s, "
        f"stored {figures['stored kB']:.0f} kB"
    )
    return figures


def write_results(rows: list[tuple[str, list[dict[str, float]]]], inspectors: int) -> None:
    lines = [
        START,
        f"### Random-check draws (issue 15), {SIZE:,} facilities, {inspectors:,} inspectors",
        "",
        f"{TARGETS:,} targets, 2 inspectors each, weights C ×2 and D ×3, inspectors who checked "
        "the facility in 12 months and those of its district excluded; each run in a transaction "
        f"rolled back; median (max) of {RUNS} runs; `.venv/bin/python bench/random_checks.py`.",
        "",
        "| plan | pool | draw s | verify s | publish s | stored kB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, runs in rows:

        def cell(key: str, runs=runs) -> str:
            values = [run[key] for run in runs]
            return f"{statistics.median(values):.2f} ({max(values):.2f})"

        lines.append(
            f"| {label} | {runs[0]['pool']:,.0f} | {cell('draw')} | {cell('verify')} | "
            f"{cell('publish')} | {runs[0]['stored kB']:.0f} |"
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
    from django.core.management import call_command

    from supervision.models import CreditRating, Inspector

    call_command("migrate", verbosity=0)
    top_up_inspectors()
    latest = CreditRating.objects.order_by("-year").values_list("year", flat=True).first() or 2024
    starts = datetime.date(latest + 1, 3, 1)
    base = {
        "name": "示例全市双随机抽查（基准）",
        "starts_on": starts,
        "ends_on": starts + datetime.timedelta(days=120),
        "target_count": TARGETS,
        "weights": {"C": 2, "D": 3},
        "inspectors_per_target": 2,
        "inspector_rest_months": 12,
        "exclude_home_district": True,
        "grade_year": latest,
    }
    plans = [
        ("every facility", base),
        (
            "grades C and D, not inspected for 12 months",
            {
                **base,
                "grades": ["C", "D"],
                "not_inspected_months": 12,
            },
        ),
    ]
    rows = []
    for label, criteria in plans:
        runs = [timed_run(label, criteria, seed=f"bench-{n}") for n in range(RUNS)]
        rows.append((label, runs))
    write_results(rows, Inspector.objects.filter(is_active=True).count())


if __name__ == "__main__":
    main()
