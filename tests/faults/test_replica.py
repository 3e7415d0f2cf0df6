"""The list routing of supervision/db_routers.py against a real streaming replica.

A primary PostgreSQL (127.0.0.1:5452, wal_level=replica, a replication role) and a hot standby
made from it with `pg_basebackup -R` (127.0.0.1:5453), both throwaway clusters run as the
postgres OS user; the application served by gunicorn with DATABASE_URL on the primary and
DATABASE_REPLICA_URL on the standby. Replay on the standby is paused to tell the two apart: a
row written meanwhile is on the primary only, so a page that shows it read the primary.
"""

from __future__ import annotations

import datetime
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.faults.replica_support import (
    Cluster,
    app_env,
    describe_ms,
    gunicorn,
    makefile_value,
    manage,
    post_form,
    postgres_owned_dir,
    sign_in,
    wait_until,
)

PRIMARY_PORT = 5452
STANDBY_PORT = 5453
REPLICATOR_PASSWORD = "replicator-faults"
APP_URL = "postgres://supervision:supervision@127.0.0.1:{port}/supervision"
# UserFactory's password (tests/factories.py).
PASSWORD = "correct-horse-battery-staple"
# Short, so that the test can see the replica used again after it comes back.
RETRY_SECONDS = 5
# The lists a reader's browser opens: pages, the dashboard and an API list.
LISTS = ["/inspections/", "/facilities/", "/api/inspections/", "/"]

LOAD_DATA = """
from supervision.roles import INSPECTOR
from tests.factories import FacilityFactory, InspectionFactory, UserFactory
UserFactory(username="reader", role=INSPECTOR)
UserFactory(username="writer", role=INSPECTOR)
facilities = FacilityFactory.create_batch(20)
for facility in facilities[:10]:
    InspectionFactory(facility=facility)
print(facilities[0].pk, facilities[0].insurance_code)
"""


@dataclass
class Replicated:
    """The two clusters, the server and two browsers: a reader that has not written (its lists
    read the replica) and a writer."""

    primary: Cluster
    standby: Cluster
    base: str
    log: Path
    facility: int
    # What the form's facility field takes (a code or the full name, not the id).
    facility_code: str
    reader: requests.Session
    writer: requests.Session
    replica_failed_at: float = 0.0

    def get(self, path: str, browser: requests.Session | None = None) -> requests.Response:
        response = (browser or self.reader).get(f"{self.base}{path}", timeout=60)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return response

    def record_inspection(self, marker: str) -> int:
        """The writer records an inspection through the page's form; its id."""
        response = post_form(
            self.writer,
            self.base,
            "/inspections/new/",
            {
                "facility": self.facility_code,
                "kind": "self",
                "status": "planned",
                "start_date": (datetime.date.today() - datetime.timedelta(days=1)).isoformat(),
                "amount_involved": "0.00",
                "amount_recovered": "0.00",
                "findings": marker,
            },
        )
        assert response.status_code == 302, response.text[:2000]
        match = re.search(r"/inspections/(\d+)/$", response.headers["Location"])
        assert match, response.headers["Location"]
        return int(match.group(1))

    def standby_caught_up(self) -> None:
        lsn = self.primary.sql("SELECT pg_current_wal_lsn()")
        wait_until(
            lambda: self.standby.sql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'") == "t",
            30,
            "the standby replaying the primary's latest WAL",
        )

    def pause_replay(self) -> None:
        self.standby_caught_up()
        self.standby.sql("SELECT pg_wal_replay_pause()")
        wait_until(
            lambda: self.standby.sql("SELECT pg_get_wal_replay_pause_state()") == "paused",
            30,
            "replay paused",
        )

    def resume_replay(self) -> None:
        if self.standby.running():
            self.standby.sql("SELECT pg_wal_replay_resume()")


def listed(response: requests.Response, inspection: int) -> bool:
    """Whether a list (page or API) shows the inspection."""
    if response.headers.get("Content-Type", "").startswith("application/json"):
        return any(row["id"] == inspection for row in response.json()["results"])
    return f'href="/inspections/{inspection}/"' in response.text


def make_clusters(stack: ExitStack) -> tuple[Cluster, Cluster]:
    """A primary with a replication role, and a hot standby streaming from it."""
    root = postgres_owned_dir("faults-replica-")
    stack.callback(shutil.rmtree, root, ignore_errors=True)
    primary = Cluster(root / "primary", PRIMARY_PORT)
    standby = Cluster(root / "standby", STANDBY_PORT)
    for cluster in (standby, primary):  # stopped in this order, whatever happens
        stack.callback(stop_quietly, cluster)
    primary.pg(
        "initdb",
        "-D",
        str(primary.data),
        "-U",
        "postgres",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
        "--auth-local=peer",
        "--auth-host=scram-sha-256",
    )
    with (primary.data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"listen_addresses = '127.0.0.1'\n"
            f"port = {PRIMARY_PORT}\n"
            f"unix_socket_directories = '{root}'\n"
            "wal_level = replica\n"
            "max_wal_senders = 4\n"
            "hot_standby = on\n"
            "max_connections = 60\n"
            "shared_buffers = 32MB\n"
            # A throwaway cluster on a shared machine: no flush to disk needed.
            "fsync = off\n"
        )
    with (primary.data / "pg_hba.conf").open("a") as hba:
        hba.write("host replication replicator 127.0.0.1/32 scram-sha-256\n")
    primary.start()
    primary.sql(f"CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '{REPLICATOR_PASSWORD}'")
    primary.sql("CREATE ROLE supervision LOGIN CREATEDB PASSWORD 'supervision'")
    primary.sql("CREATE DATABASE supervision OWNER supervision")
    primary.sql("CREATE EXTENSION pg_trgm", database="supervision")

    standby.pg(
        "pg_basebackup",
        "-h",
        "127.0.0.1",
        "-p",
        str(PRIMARY_PORT),
        "-U",
        "replicator",
        "-D",
        str(standby.data),
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
        env={"PGPASSWORD": REPLICATOR_PASSWORD},
    )
    with (standby.data / "postgresql.auto.conf").open("a") as conf:
        conf.write(f"port = {STANDBY_PORT}\n")
    assert (standby.data / "standby.signal").exists()
    standby.start()
    wait_until(
        lambda: primary.sql("SELECT state FROM pg_stat_replication") == "streaming",
        60,
        "the standby streaming from the primary",
    )
    return primary, standby


def stop_quietly(cluster: Cluster) -> None:
    if cluster.data.exists() and cluster.running():
        cluster.stop("immediate")


@pytest.fixture(scope="module")
def replicated() -> Iterator[Replicated]:
    with ExitStack() as stack:
        primary, standby = make_clusters(stack)
        data_dir = Path(tempfile.mkdtemp(prefix="faults-replica-app-"))
        stack.callback(shutil.rmtree, data_dir, ignore_errors=True)
        env = app_env(
            data_dir,
            DATABASE_URL=APP_URL.format(port=PRIMARY_PORT),
            DATABASE_REPLICA_URL=APP_URL.format(port=STANDBY_PORT),
            DJANGO_REPLICA_RETRY_SECONDS=str(RETRY_SECONDS),
        )
        manage(env, "migrate", "--noinput", "-v0")
        pk, code = manage(env, "shell", "-c", LOAD_DATA).strip().splitlines()[-1].split()
        log = data_dir / "gunicorn.log"
        base, _server = stack.enter_context(
            gunicorn(env, log, workers=2, threads=int(makefile_value("THREADS")))
        )
        reader = sign_in(base, "reader", PASSWORD)
        # Signing in is a POST, which pins the browser to the primary: let the pin lapse.
        del reader.cookies["primary_reads"]
        writer = sign_in(base, "writer", PASSWORD)
        yield Replicated(primary, standby, base, log, int(pk), code, reader, writer)


def test_the_standby_streams_from_the_primary_and_refuses_writes(replicated):
    assert replicated.primary.sql("SELECT state FROM pg_stat_replication") == "streaming"
    assert replicated.standby.sql("SELECT pg_is_in_recovery()") == "t"
    replicated.standby_caught_up()
    facilities = "SELECT count(*) FROM supervision_facility"
    assert replicated.standby.sql(facilities, "supervision") == "20"


def test_a_list_reads_the_replica_and_a_record_page_the_primary(replicated):
    replicated.pause_replay()
    try:
        written = replicated.record_inspection("faults: written while replay is paused")
        for path in ("/inspections/", f"/api/inspections/?facility={replicated.facility}"):
            assert not listed(replicated.get(path), written), path
        page = replicated.get(f"/inspections/{written}/").text
        assert "faults: written while replay is paused" in page
        facility_page = replicated.get(f"/facilities/{replicated.facility}/").text
        assert f'href="/inspections/{written}/"' in facility_page
    finally:
        replicated.resume_replay()
    # Once replayed, the replica's list shows it too.
    wait_until(
        lambda: listed(replicated.get("/inspections/"), written), 30, "the list after replay"
    )


def test_a_browser_that_just_wrote_sees_its_write_on_the_next_list(replicated):
    replicated.pause_replay()
    try:
        written = replicated.record_inspection("faults: the writer's own inspection")
        assert "primary_reads" in replicated.writer.cookies
        assert listed(replicated.get("/inspections/", replicated.writer), written)
        assert not listed(replicated.get("/inspections/"), written)  # the replica, paused
    finally:
        replicated.resume_replay()


def test_with_the_replica_stopped_lists_are_read_from_the_primary_without_an_error(replicated):
    # Every worker thread that read a list holds a connection to the replica: lose them all.
    before: list[float] = []
    for _ in range(8):
        for path in LISTS:
            started = time.perf_counter()
            replicated.get(path)
            before.append(time.perf_counter() - started)
    replicated.standby.stop("immediate")
    written = replicated.record_inspection("faults: written with the replica stopped")
    times: list[float] = []
    for _ in range(10):
        for path in LISTS:
            started = time.perf_counter()
            response = replicated.get(path)
            times.append(time.perf_counter() - started)
            if path == "/inspections/":
                assert listed(response, written)  # the primary's data
    # The last request may have found the replica's retry period over, tried it and failed.
    replicated.replica_failed_at = time.monotonic()
    log = replicated.log.read_text()
    assert "Internal Server Error" not in log
    assert "Traceback" not in log
    assert "The replica failed" in log
    first, later = times[:2], times[2:]
    print(
        f"\nreplica up: {len(before)} list requests, {describe_ms(before)}"
        f"\nreplica stopped: first 2 list requests {[round(t * 1000) for t in first]} ms; "
        f"the next {len(later)}: {describe_ms(later)}"
    )
    # Not a connect timeout per request: the replica is left alone after it failed.
    assert max(times) < 2.0


def test_the_replica_is_read_again_once_it_is_back(replicated):
    if not replicated.standby.running():
        replicated.standby.start()
    wait_until(
        lambda: replicated.primary.sql("SELECT state FROM pg_stat_replication") == "streaming",
        60,
        "the standby streaming again",
    )
    time.sleep(max(0.0, replicated.replica_failed_at + RETRY_SECONDS + 1 - time.monotonic()))
    replicated.pause_replay()
    try:
        written = replicated.record_inspection("faults: written after the replica came back")
        assert not listed(replicated.get("/inspections/"), written)
    finally:
        replicated.resume_replay()
