"""The annual credit evaluation at national scale (issue 13): part of `make bench`.

    .venv/bin/python bench/credit.py        # the 1,000,000-facility database of bench/run.py

On the PostgreSQL database `make bench` generates (BENCH_SIZE facilities, 5 inspections and 2
tips each, inspections dated 2022–2025), for the year 2025:
    1. an indicator system for each of the three facility categories (医疗机构, 零售药店,
       商业保险), shaped like the fixture's: fact indicators on violations, suspensions, money
       recovered and substantiated tips, a manual indicator, a veto, a bonus;
    2. open_cycle and score_cycle of each category, timed: together they score every facility;
    3. the cycle walked to publication, then the final step of the largest category in batches
       of 10,000 subjects, timed batch by batch (BENCH_FINAL_BATCHES batches, then stopped as an
       interrupted run would be: finalisation is resumable);
    4. the pages, in-process through the full Django stack with DEBUG off, signed in as an
       auditor: the cycle page, its subject list (default order, every sort, a grade filter, the
       commonest name word, the last page of the keyset), the objection list, a scorecard with
       the most deductions; p50/p95 wall time over BENCH_REPEAT requests after a warm-up, and
       the number of queries of one request.
Then the bench's 2025 credit data are removed again (BENCH_KEEP_CREDIT=1 keeps them), so the
other figures of the bench are not changed by it. Figures go to bench/RESULTS.md between the
credit markers.
"""

from __future__ import annotations

import datetime
import os
import re
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = int(os.environ.get("BENCH_SIZE", "1000000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
FINAL_BATCHES = int(os.environ.get("BENCH_FINAL_BATCHES", "10"))
KEEP = os.environ.get("BENCH_KEEP_CREDIT") == "1"
PG = os.environ.get("BENCH_PG", "postgres://supervision:supervision@127.0.0.1:5432").rstrip("/")
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- credit:start -->", "<!-- credit:end -->"
YEAR = 2025
D = datetime.date

os.environ.setdefault("DATABASE_URL", f"{PG}/supervision_bench_{SIZE}")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_HTTPS", "false")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supervision.settings")
sys.path.insert(0, str(ROOT))


def log(message: str) -> None:
    print(f"[credit {datetime.datetime.now():%H:%M:%S}] {message}", flush=True)


class Stop(Exception):
    """Raised after the measured batches: the run stops as an interrupted one would."""


def remove_credit_data() -> None:
    """The bench's 2025 evaluation, its ratings and systems, removed (raw deletes, in order)."""
    from django.db import connection

    statements = [
        "DELETE FROM supervision_historicalassessmentitem WHERE assessment_id IN "
        "(SELECT a.id FROM supervision_assessment a JOIN supervision_evaluationcycle c "
        "ON c.id = a.cycle_id WHERE c.year = %(y)s)",
        "DELETE FROM supervision_assessmentitem WHERE assessment_id IN "
        "(SELECT a.id FROM supervision_assessment a JOIN supervision_evaluationcycle c "
        "ON c.id = a.cycle_id WHERE c.year = %(y)s)",
        "DELETE FROM supervision_historicalratingchange WHERE rating_id IN "
        "(SELECT id FROM supervision_creditrating WHERE year = %(y)s)",
        "DELETE FROM supervision_ratingchange WHERE rating_id IN "
        "(SELECT id FROM supervision_creditrating WHERE year = %(y)s)",
        "DELETE FROM supervision_historicalcreditrating WHERE year = %(y)s",
        "DELETE FROM supervision_creditrating WHERE year = %(y)s",
        "DELETE FROM supervision_historicalobjection WHERE assessment_id IN "
        "(SELECT a.id FROM supervision_assessment a JOIN supervision_evaluationcycle c "
        "ON c.id = a.cycle_id WHERE c.year = %(y)s)",
        "DELETE FROM supervision_objection WHERE assessment_id IN "
        "(SELECT a.id FROM supervision_assessment a JOIN supervision_evaluationcycle c "
        "ON c.id = a.cycle_id WHERE c.year = %(y)s)",
        "DELETE FROM supervision_historicalassessment WHERE cycle_id IN "
        "(SELECT id FROM supervision_evaluationcycle WHERE year = %(y)s)",
        "DELETE FROM supervision_assessment WHERE cycle_id IN "
        "(SELECT id FROM supervision_evaluationcycle WHERE year = %(y)s)",
        "DELETE FROM supervision_historicalevaluationcycle WHERE year = %(y)s",
        "DELETE FROM supervision_evaluationcycle WHERE year = %(y)s",
        "DELETE FROM supervision_indicator WHERE system_id IN "
        "(SELECT id FROM supervision_indicatorsystem WHERE year = %(y)s)",
        "DELETE FROM supervision_dimension WHERE system_id IN "
        "(SELECT id FROM supervision_indicatorsystem WHERE year = %(y)s)",
        "DELETE FROM supervision_indicatorsystem WHERE year = %(y)s",
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, {"y": YEAR})


def build_system(category: str):
    from supervision.choices import Grade, IndicatorFact, IndicatorMethod, SanctionKind
    from supervision.models import CreditCategory, Dimension, Indicator, IndicatorSystem

    system = IndicatorSystem.objects.create(
        category=CreditCategory.objects.get(pk=category), year=YEAR, name=f"{YEAR}年度基准指标体系"
    )
    basic = Dimension.objects.create(system=system, position=1, name="基础管理", full_points=200)
    fund = Dimension.objects.create(system=system, position=2, name="基金使用", full_points=600)
    social = Dimension.objects.create(system=system, position=3, name="社会评价", full_points=200)
    rows = [
        ("1.1", "内部管理制度", IndicatorMethod.MANUAL, basic, 200, "", "", "0"),
        ("2.1", "检查发现违规", IndicatorMethod.FACT, fund, 300, "inspection_violation", "", "50"),
        ("2.2", "暂停协议", IndicatorMethod.FACT, fund, 200, "sanction", "suspension", "100"),
        ("2.3", "追回医保基金", IndicatorMethod.FACT, fund, 100, "money_recovered", "", "10"),
        ("3.1", "举报查实", IndicatorMethod.FACT, social, 200, "substantiated_tip", "", "20"),
    ]
    for position, (code, name, method, dimension, full, fact, qualifier, per) in enumerate(rows):
        Indicator.objects.create(
            system=system,
            dimension=dimension,
            position=position,
            code=code,
            name=name,
            method=method,
            fact=fact,
            qualifier=qualifier,
            points_per_unit=Decimal(per),
            full_points=full,
        )
    Indicator.objects.create(
        system=system,
        position=10,
        code="V1",
        name="移送公安",
        method=IndicatorMethod.VETO,
        fact=IndicatorFact.REFERRAL,
        qualifier="police",
        veto_grade=Grade.D,
    )
    Indicator.objects.create(
        system=system,
        position=11,
        code="B1",
        name="加分",
        method=IndicatorMethod.BONUS,
        full_points=20,
    )
    assert SanctionKind.SUSPENSION == "suspension"
    return system


def timed(label: str, function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    seconds = time.perf_counter() - started
    log(f"{label}: {seconds:.1f} s")
    return result, seconds


def evaluate(user) -> tuple[list[tuple[str, int, float, float, int]], object]:
    """Open and score each facility category; returns (category, subjects, open s, score s,
    items) rows and the largest cycle."""
    from supervision.choices import CATEGORY_FACILITY_KINDS
    from supervision.services import evaluation

    rows = []
    largest = None
    for category in CATEGORY_FACILITY_KINDS:
        build_system(category)
        cycle, open_seconds = timed(
            f"open {category}",
            evaluation.open_cycle,
            category=category,
            year=YEAR,
            user=user,
            opened_on=D(2026, 1, 5),
            self_assessment_due=D(2026, 1, 23),
        )
        items, score_seconds = timed(f"score {category}", evaluation.score_cycle, cycle, user=user)
        rows.append((category, cycle.subject_count, open_seconds, score_seconds, items))
        if largest is None or cycle.subject_count > largest.subject_count:
            largest = cycle
    return rows, largest


def finalise_batches(cycle, user) -> list[float]:
    """Walk the cycle to publication, then finalise FINAL_BATCHES batches of 10,000, timed."""
    from supervision.services import evaluation

    evaluation.complete_initial_scoring(cycle, user=user, on=D(2026, 2, 2))
    evaluation.publish_cycle(cycle, user=user, starts_on=D(2026, 2, 9))
    real = evaluation._finalise_batch
    seconds: list[float] = []

    def measured(*args, **kwargs):
        if len(seconds) == FINAL_BATCHES:
            raise Stop
        started = time.perf_counter()
        real(*args, **kwargs)
        seconds.append(time.perf_counter() - started)

    evaluation._finalise_batch = measured
    try:
        evaluation.finalise_cycle(cycle, user=user, on=D(2026, 3, 2), batch_size=10_000)
    except Stop:
        pass
    finally:
        evaluation._finalise_batch = real
    log(f"final step: {len(seconds)} batches of 10,000, mean {statistics.mean(seconds):.2f} s")
    return seconds


def measure_pages(cycle) -> list[tuple[str, float, float, int, str]]:
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from supervision.models import Assessment

    reader, _ = User.objects.get_or_create(username="bench-credit-reader", is_staff=True)
    reader.groups.set([Group.objects.get(name="auditor")])
    client = Client()
    client.force_login(reader)
    worst = (
        Assessment.objects.filter(cycle=cycle).order_by("score", "id").values_list("pk", flat=True)
    ).first()
    cycle_url = reverse("evaluationcycle-detail", args=[cycle.pk])
    pages = [
        ("cycle page (steps, counts, first 50 subjects)", cycle_url),
        ("subjects, grade D", f"{cycle_url}?grade=D"),
        ("subjects, vetoed", f"{cycle_url}?vetoed=true"),
        ("subjects, name word 格桑", f"{cycle_url}?q=%E6%A0%BC%E6%A1%91"),
        ("subjects, pending objection", f"{cycle_url}?pending_objection=true"),
        ("scorecard, most deductions", reverse("assessment-detail", args=[worst])),
        ("objections", reverse("objection-list")),
        ("cycle list", reverse("evaluationcycle-list")),
    ]
    for sort in ["subject_name", "-subject_name", "score", "-score", "grade", "-grade"]:
        pages.append((f"subjects, sort {sort}", f"{cycle_url}?ordering={sort}"))
    pages.append(("subjects, sort -district", f"{cycle_url}?ordering=-district"))
    results = []
    for label, url in pages:
        response = client.get(url)
        if response.status_code != 200:
            results.append((label, 0.0, 0.0, 0, f"HTTP {response.status_code}"))
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
        log(f"{label}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms")
    return results


def write_results(rows, batches, pages) -> None:
    total_open = sum(r[2] for r in rows)
    total_score = sum(r[3] for r in rows)
    subjects = sum(r[1] for r in rows)
    lines = [
        START,
        "",
        f"Run {datetime.date.today()}, PostgreSQL, {SIZE:,} facilities "
        f"(`python bench/credit.py`), year {YEAR}.",
        "",
        "| category | subjects | open (s) | automatic scoring (s) | fact items |",
        "|---|---:|---:|---:|---:|",
    ]
    for category, count, open_s, score_s, items in rows:
        lines.append(f"| {category} | {count:,} | {open_s:.1f} | {score_s:.1f} | {items:,} |")
    lines.append(f"| **all** | **{subjects:,}** | **{total_open:.1f}** | **{total_score:.1f}** | |")
    if batches:
        lines += [
            "",
            f"Final step, batches of 10,000 subjects ({len(batches)} measured): mean "
            f"{statistics.mean(batches):.2f} s, max {max(batches):.2f} s per 10,000 "
            "(ratings, rating changes and both histories written, grade totals kept by the "
            "triggers).",
        ]
    lines += ["", "| page | p50 (ms) | p95 (ms) | queries |", "|---|---:|---:|---:|"]
    for label, p50, p95, queries, note in pages:
        if queries == 0 and note.startswith("HTTP"):
            lines.append(f"| {label} | {note} | | |")
        else:
            lines.append(f"| {label} | {p50:.1f} | {p95:.1f} | {queries} |")
    lines += ["", END]
    text = RESULTS.read_text(encoding="utf-8")
    block = "\n".join(lines)
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), block, text, flags=re.S)
    else:
        text += "\n## Credit evaluation at scale\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def main() -> None:
    import django

    django.setup()
    from django.contrib.auth.models import User

    log(f"database {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}")
    remove_credit_data()
    user, _ = User.objects.get_or_create(username="bench-credit", is_superuser=True)
    try:
        rows, largest = evaluate(user)
        batches = finalise_batches(largest, user)
        pages = measure_pages(largest)
        write_results(rows, batches, pages)
    finally:
        if not KEEP:
            log("removing the bench's 2025 credit data")
            remove_credit_data()


if __name__ == "__main__":
    main()
