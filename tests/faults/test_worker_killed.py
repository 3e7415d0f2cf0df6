"""A gunicorn worker killed with SIGKILL in the middle of writes (20 staff reading and writing):
the requests it was serving get no answer (they were not acknowledged), every other answer is
a proper one, the master starts a new worker and the service answers on; every acknowledged
write is in the database exactly once, none half-written; the overview's totals match a recount.

    .venv/bin/pytest -m faults tests/faults/test_worker_killed.py -n 0 -s
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import psycopg
import pytest

from tests.faults.load import staff_load, written
from tests.faults.servers import Site, site

PORT = 5442
WORKERS = 3
KILLS = 3
BEFORE_SECONDS = 8
BETWEEN_SECONDS = 6
# A new worker loads the application in a second or two; then every request is answered.
SETTLE_SECONDS = 5
AFTER_SECONDS = 10


@pytest.fixture
def served() -> Iterator[Site]:
    with site(PORT, workers=WORKERS) as running:
        yield running


def test_a_worker_killed_mid_write_loses_no_acknowledged_write(served: Site):
    load = staff_load(served)
    killed: list[int] = []
    mid_write = 0
    load.start()
    try:
        time.sleep(BEFORE_SECONDS)
        with served.cluster.connect() as watch:
            for _ in range(KILLS):
                victim = wait_for_a_worker_in_a_write(served, watch)
                mid_write += victim is not None
                victim = victim or served.server.workers()[0]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
                last_kill = load.clock()
                time.sleep(BETWEEN_SECONDS)
        time.sleep(AFTER_SECONDS)
    finally:
        load.stop()
    workers = served.server.workers()
    settled = last_kill + SETTLE_SECONDS
    no_answer = [a for a in load.answers if a.status is None]
    with served.cluster.connect() as conn:
        writes = written(conn, load)
    totals = served.totals_check()
    log = served.server.log.read_text()
    figures = (
        f"Worker killed: {len(load.answers)} requests by {load.users} users; {KILLS} workers "
        f"killed ({BETWEEN_SECONDS} s apart), {mid_write} of them inside a write transaction; "
        f"answers {dict(load.statuses())}; without an answer "
        f"{len(no_answer)} ({sum(a.method == 'POST' for a in no_answer)} of them writes); "
        f"after the last kill settled {dict(load.statuses(settled))}; {writes.summary()}; "
        f"workers now {len(workers)}; rebuild_tallies: {totals}"
    )
    print(f"\n{figures}")

    assert mid_write > 0, figures  # the kill did cut a write
    assert load.problems() == [], figures
    assert set(load.statuses()) <= {"200", "201", "no answer"}, figures
    assert len(workers) == WORKERS and not set(workers) & set(killed), figures
    assert set(load.statuses(settled)) <= {"200", "201"}, figures
    assert served.server.answers(), figures
    assert writes.missing == [] and writes.half_written == [], figures
    assert writes.found == writes.acknowledged > 0, figures
    assert "differed" not in totals and "all as the triggers kept them" in totals, figures
    assert "Traceback" not in log, figures


def wait_for_a_worker_in_a_write(served: Site, watch: psycopg.Connection) -> int | None:
    """A worker caught inside an uncommitted write transaction (None after a few seconds)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        worker = served.server.worker_in_a_write(watch)
        if worker is not None:
            return worker
        time.sleep(0.005)
    return None
