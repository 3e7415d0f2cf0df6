"""PostgreSQL restarted under load (20 staff reading and writing through gunicorn): the requests
of the outage get the 503 page or the API's 503 error, never a traceback; the service recovers
by itself when the database is back; every acknowledged write is in the database exactly once,
none half-written; the overview's totals match a recount.

    .venv/bin/pytest -m faults tests/faults/test_postgres_restart.py -n 0 -s
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.faults.load import staff_load, written
from tests.faults.servers import Site, site, writer_token

PORT = 5442
WORKERS = 3
THREADS = 4
BEFORE_SECONDS = 10
DOWN_SECONDS = 5
AFTER_SECONDS = 20


@pytest.fixture
def served() -> Iterator[Site]:
    with site(PORT, workers=WORKERS, threads=THREADS) as running:
        yield running


def test_a_postgresql_restart_under_load_costs_503s_only_during_the_outage(served: Site):
    load = staff_load(served)
    load.start()
    try:
        time.sleep(BEFORE_SECONDS)
        down = load.clock()
        served.cluster.stop("fast")  # ends every session: transactions in flight are cut
        time.sleep(DOWN_SECONDS)
        served.cluster.start()  # returns once it accepts connections
        back = load.clock()
        time.sleep(AFTER_SECONDS)
    finally:
        load.stop()
    after = [a for a in load.answers if a.started >= back]
    first_success = min((a.ended for a in after if a.status in (200, 201)), default=back - 1)
    refused = [a for a in load.answers if a.status == 503]
    refused_api = sum(a.path.startswith("/api/") for a in refused)
    with served.cluster.connect() as conn:
        writes = written(conn, load)
    totals = served.totals_check()
    log = served.server.log.read_text()
    figures = (
        f"PostgreSQL restart: {len(load.answers)} requests by {load.users} users in "
        f"{load.clock():.0f} s, the database down from {down:.1f} s to {back:.1f} s; "
        f"answered before it stopped {dict(load.statuses(0, down, ended=True))}; "
        f"answered during the outage {dict(load.statuses(down, back, ended=True))}; "
        f"made after it was back {dict(load.statuses(back))}, the first success "
        f"{first_success - back:.2f} s after; {writes.summary()}; "
        f"503s: {len(refused) - refused_api} pages and admin, {refused_api} API, "
        f"{log.count('database unavailable:')} one-line warnings logged; "
        f"rebuild_tallies: {totals}"
    )
    print(f"\n{figures}")

    assert load.problems() == [], figures
    assert not [a for a in load.answers if a.status is None], figures
    assert load.statuses(0, down, ended=True)["503"] == 0, figures
    assert load.statuses(down, back, ended=True)["503"] > 0, figures  # the outage was felt
    assert 0 < refused_api < len(refused), figures  # by the pages and by the API
    # Requests made once the database is back all succeed: no stale connection fails one.
    assert {a.status for a in after} <= {200, 201} and after, figures
    assert writes.missing == [] and writes.half_written == [], figures
    assert writes.found == writes.acknowledged > 0, figures
    assert "differed" not in totals and "all as the triggers kept them" in totals, figures
    assert "Traceback" not in log and log.count("database unavailable:") == len(refused), figures


def test_after_a_restart_nobody_saw_the_first_requests_succeed(served: Site):
    """Between requests each server thread keeps its connection (CONN_MAX_AGE); a restart
    while nobody asks anything breaks them all. Each is tested before it is used again
    (CONN_HEALTH_CHECKS) and replaced, so no user pays for it with a 503."""
    api = {"Authorization": f"Token {writer_token(served.cluster)}"}

    def ask(_: int) -> int:
        url = f"{served.server.base}/api/ratings/?year=2024&grade=D"
        return requests.get(url, headers=api, timeout=30).status_code

    threads = WORKERS * THREADS
    with ThreadPoolExecutor(threads) as pool:
        warm = Counter(pool.map(ask, range(4 * threads)))  # every thread connects
        served.cluster.stop("fast")
        served.cluster.start()
        answers = Counter(pool.map(ask, range(4 * threads)))
    print(f"\nQuiet restart: before {dict(warm)}, after {dict(answers)}")
    assert warm == {200: 4 * threads}
    assert answers == {200: 4 * threads}
