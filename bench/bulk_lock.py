"""How long other writers wait while the admin regrades many facilities on SQLite.

`python bench/bulk_lock.py [FACILITIES] [BATCH]` makes a fresh SQLite database in a temporary
folder (WAL, BEGIN IMMEDIATE, 20 s busy timeout: the production settings), adds FACILITIES
facilities (990) rated B for last year, then runs the admin's bulk grade edit
(supervision.admin.actions.apply_to_all with services.set_grade, BATCH facilities per
transaction; 0 = all in one, as before) while another thread saves one facility every 100 ms,
and prints the edit's total time and the other writer's waits (median, 95th percentile, max).
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FOLDER = tempfile.mkdtemp(prefix="bulk-lock-")
os.environ["DATABASE_URL"] = f"sqlite:///{FOLDER}/db.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supervision.settings")
os.environ["DJANGO_LOG_LEVEL"] = "WARNING"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from supervision import services  # noqa: E402
from supervision.admin import actions  # noqa: E402
from supervision.choices import Grade  # noqa: E402
from supervision.models import CreditRating, Facility  # noqa: E402

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 990
BATCH = int(sys.argv[2]) if len(sys.argv) > 2 else actions.BULK_BATCH
YEAR = 2024


def make_data() -> list[Facility]:
    call_command("migrate", verbosity=0)
    from tests.factories import FacilityFactory, UserFactory

    user = UserFactory(username="bulk-admin", is_superuser=True)
    facilities = [FacilityFactory(pharmacy=True) for _ in range(COUNT)]
    for facility in facilities:
        services.set_grade(
            facility=facility, year=YEAR, grade=Grade.B, reason="年度信用初评结果", user=user
        )
    return facilities, user


def other_writer(stop: threading.Event, target: int, waits: list[float]) -> None:
    """A colleague saving a facility's note every 100 ms: how long each save waits."""
    try:
        n = 0
        while not stop.is_set():
            started = time.perf_counter()
            with transaction.atomic():
                Facility.objects.filter(pk=target).update(note=f"电话已核实 {n}")
            waits.append(time.perf_counter() - started)
            n += 1
            time.sleep(0.1)
    finally:
        connection.close()


def main() -> None:
    facilities, user = make_data()
    target = facilities[-1].pk  # left out of the regrade: the colleague's record
    stop, waits = threading.Event(), []
    writer = threading.Thread(target=other_writer, args=(stop, target, waits))
    writer.start()
    time.sleep(0.3)

    def apply_one(facility: Facility) -> bool:
        services.set_grade(
            facility=facility, year=YEAR, grade=Grade.C, reason="复核后批量调整", user=user
        )
        return True

    started = time.perf_counter()
    outcome = actions.apply_to_all(
        facilities[:-1],
        apply_one,
        before=lambda batch: services.lock_for_grade_changes(batch, YEAR),
        batch_size=BATCH or COUNT,
    )
    total = time.perf_counter() - started
    time.sleep(0.3)
    stop.set()
    writer.join()
    assert len(outcome.done) == COUNT - 1, outcome
    assert CreditRating.objects.filter(year=YEAR, grade=Grade.C).count() == COUNT - 1
    waits_ms = sorted(w * 1000 for w in waits)
    p95 = waits_ms[int(len(waits_ms) * 0.95) - 1]
    label = "all in one transaction" if not BATCH else f"{BATCH} per transaction"
    print(f"regrade of {COUNT - 1} facilities, {label}: {total:.1f} s")
    print(
        f"  other writer: {len(waits_ms)} saves, median {statistics.median(waits_ms):.0f} ms, "
        f"p95 {p95:.0f} ms, max {waits_ms[-1]:.0f} ms"
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(FOLDER, ignore_errors=True)
