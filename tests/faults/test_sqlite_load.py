"""SQLite, the embedded default, under its realistic load: 10 staff writing at once.

A fresh SQLite database with the demo data (`manage.py setup_demo`) and 10 staff accounts,
served as `make serve` serves it (gunicorn gthread workers and threads as the Makefile sets
them, DEBUG off, the task worker beside it). Ten client threads, one per staff member, record
inspections (the API and the page's form), change grades and register tips, with lists and pages
read in between, for FAULTS_SQLITE_SECONDS (default 300). Every answer must be 2xx (or the 400 of
an inspection deliberately sent with its end before its start), "database is locked" must appear
nowhere, and every write the server acknowledged must be in the database afterwards.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.faults.replica_support import (
    PYTHON,
    ROOT,
    app_env,
    describe_ms,
    gunicorn,
    makefile_value,
    manage,
    percentile,
    post_form,
    serve_workers,
    sign_in,
    stop_process_group,
)

SECONDS = int(os.environ.get("FAULTS_SQLITE_SECONDS", "300"))
# UserFactory's password is not used here: the accounts are made by STAFF_SCRIPT.
PASSWORD = "Faults-staff-2024!"
LOCKED = "database is locked"
# A staff member's pause between two actions, seconds (a person reads what a page shows).
THINK = (0.05, 0.3)

# Ten staff: four inspectors, three at the tip desk, three supervisors (they change grades;
# their pages want a second factor, so they work through the API with their tokens).
STAFF_SCRIPT = f"""
import json
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from supervision.models import CreditRating, Facility, Inspector
from supervision.roles import INSPECTOR, SUPERVISOR, TIP_DESK
roles = [INSPECTOR] * 4 + [TIP_DESK] * 3 + [SUPERVISOR] * 3
staff = []
for number, role in enumerate(roles, 1):
    user = User.objects.create_user(f"staff{{number:02d}}", password={PASSWORD!r}, is_staff=True)
    user.groups.set([Group.objects.get(name=role)])
    staff.append({{"username": user.username, "role": role,
                  "token": Token.objects.create(user=user).key}})
facilities = list(Facility.objects.order_by("pk").values("pk", "insurance_code"))
rated = list(
    CreditRating.objects.filter(year=2024).order_by("pk").values_list("facility", flat=True)
)
inspectors = list(Inspector.objects.filter(is_active=True).values_list("pk", flat=True))
print(json.dumps({{"staff": staff, "facilities": facilities, "rated": rated,
                  "inspectors": inspectors}}))
"""


@dataclass
class Tally:
    """What the clients saw: every request's time, the failures, the acknowledged writes."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    times: list[float] = field(default_factory=list)
    write_times: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    refused_as_expected: int = 0
    # kind -> [(id, marker)]
    acked: dict[str, list[tuple[int, str]]] = field(
        default_factory=lambda: {"inspection": [], "tip": [], "rating_change": []}
    )

    def request(
        self, label: str, send: Callable[[], requests.Response], expect: int, write: bool
    ) -> requests.Response | None:
        """send() timed; a failure recorded unless it answered expect."""
        started = time.perf_counter()
        try:
            response = send()
        except requests.RequestException as error:
            with self.lock:
                self.failures.append(f"{label}: {error!r}")
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.times.append(elapsed)
            if write:
                self.write_times.append(elapsed)
            if response.status_code != expect or LOCKED in response.text:
                self.failures.append(f"{label}: HTTP {response.status_code} {response.text[:300]}")
                return None
        return response

    def ack(self, kind: str, pk: int, marker: str) -> None:
        with self.lock:
            self.acked[kind].append((pk, marker))


_markers = itertools.count(1)


class StaffMember:
    """One person at work: a signed-in browser for the pages, a token for the API."""

    def __init__(self, base: str, account: dict, sample: dict, tally: Tally, pool: list[int]):
        self.base = base
        self.role = account["role"]
        self.name = account["username"]
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Token {account['token']}"
        # Supervisors' pages want a second factor: they use the API only.
        self.pages = None if self.role == "supervisor" else sign_in(base, self.name, PASSWORD)
        self.sample = sample
        self.tally = tally
        self.grade_targets = itertools.cycle(pool)
        self.random = random.Random(self.name)

    def marker(self) -> str:
        return f"faults-sqlite {self.name} #{next(_markers)}"

    def work_until(self, deadline: float) -> None:
        actions = self.actions()
        while time.monotonic() < deadline:
            self.random.choices(*zip(*actions, strict=True))[0]()
            time.sleep(self.random.uniform(*THINK))

    def actions(self) -> list[tuple[Callable[[], None], int]]:
        """(action, weight): about half writes, half reads."""
        reads = [(self.api_list, 2)]
        if self.pages is not None:
            reads += [(self.page_list, 3), (self.facility_page, 1)]
        if self.role == "inspector":
            return [*reads, (self.api_inspection, 3), (self.page_inspection, 2), (self.bad, 1)]
        if self.role == "tip_desk":
            return [*reads, (self.register_tip, 5), (self.bad, 1)]
        return [*reads, (self.change_grade, 4)]

    # Reads -------------------------------------------------------------------------------------

    def get(self, browser: requests.Session, path: str) -> requests.Response | None:
        return self.tally.request(
            f"GET {path}",
            lambda: browser.get(f"{self.base}{path}", timeout=60),
            200,
            write=False,
        )

    def page_list(self) -> None:
        lists = ["/", "/facilities/", "/inspections/"]
        if self.role == "tip_desk":
            lists.append("/tips/")
        self.get(self.pages, self.random.choice(lists))

    def facility_page(self) -> None:
        facility = self.random.choice(self.sample["facilities"])["pk"]
        self.get(self.pages, f"/facilities/{facility}/")

    def api_list(self) -> None:
        facility = self.random.choice(self.sample["facilities"])["pk"]
        self.get(
            self.api,
            self.random.choice(
                [
                    f"/api/inspections/?facility={facility}",
                    "/api/facilities/?district=540102",
                    "/api/ratings/?year=2024&grade=A",
                ]
            ),
        )

    # Writes ------------------------------------------------------------------------------------

    def inspection_body(self, marker: str) -> dict:
        today = datetime.date.today()
        return {
            "facility": self.random.choice(self.sample["facilities"])["pk"],
            "kind": "routine",
            "status": "planned",
            "start_date": (today - datetime.timedelta(days=1)).isoformat(),
            "inspectors": self.random.sample(self.sample["inspectors"], 2),
            "findings": marker,
        }

    def api_inspection(self) -> None:
        marker = self.marker()
        response = self.tally.request(
            "POST /api/inspections/",
            lambda: self.api.post(
                f"{self.base}/api/inspections/", json=self.inspection_body(marker), timeout=60
            ),
            201,
            write=True,
        )
        if response is not None:
            self.tally.ack("inspection", response.json()["id"], marker)

    def page_inspection(self) -> None:
        marker = self.marker()
        # The page's facility field takes a code typed by the user: an insurer has no
        # insurance code (its form would come back asking for the facility).
        coded = [f for f in self.sample["facilities"] if f["insurance_code"]]
        facility = self.random.choice(coded)
        body = {
            "facility": facility["insurance_code"],
            "kind": "self",
            "status": "planned",
            "start_date": (datetime.date.today() - datetime.timedelta(days=1)).isoformat(),
            "amount_involved": "0.00",
            "amount_recovered": "0.00",
            "findings": marker,
        }
        response = self.tally.request(
            "POST /inspections/new/",
            lambda: post_form(self.pages, self.base, "/inspections/new/", body),
            302,
            write=True,
        )
        if response is not None:
            match = re.search(r"/inspections/(\d+)/$", response.headers.get("Location", ""))
            if match is None:
                with self.tally.lock:
                    self.tally.failures.append(f"page inspection: {response.headers}")
                return
            self.tally.ack("inspection", int(match.group(1)), marker)

    def bad(self) -> None:
        """An inspection ending before it starts: refused (400), nothing written."""
        body = self.inspection_body(self.marker() + " refused")
        body["end_date"] = "2000-01-01"
        response = self.tally.request(
            "POST /api/inspections/ (end before start)",
            lambda: self.api.post(f"{self.base}/api/inspections/", json=body, timeout=60),
            400,
            write=True,
        )
        if response is not None:
            with self.tally.lock:
                self.tally.refused_as_expected += 1

    def register_tip(self) -> None:
        marker = self.marker()
        body = {
            "channel": "city_hotline",
            "facility": self.random.choice(self.sample["facilities"])["pk"],
            "allegation": f"示例：{marker}",
            "reporter": {"name": "示例王五", "phone": "13900000000"},
        }
        response = self.tally.request(
            "POST /api/tips/",
            lambda: self.api.post(f"{self.base}/api/tips/", json=body, timeout=60),
            201,
            write=True,
        )
        if response is not None:
            self.tally.ack("tip", response.json()["id"], marker)

    def change_grade(self) -> None:
        facility = next(self.grade_targets)
        ratings = self.get(self.api, f"/api/ratings/?facility={facility}&year=2024")
        if ratings is None:
            return
        rows = ratings.json()["results"]
        grade = self.random.choice([g for g in "ABCD" if not rows or g != rows[0]["grade"]])
        marker = self.marker()
        body = {
            "year": 2024,
            "grade": grade,
            "score": None,  # the old score is outside the new grade's band
            "reason": marker,
            "confirm_downgrade": grade == "D",
        }
        response = self.tally.request(
            "POST /api/facilities/{id}/grade/",
            lambda: self.api.post(
                f"{self.base}/api/facilities/{facility}/grade/", json=body, timeout=60
            ),
            201,
            write=True,
        )
        if response is not None:
            self.tally.ack("rating_change", response.json()["id"], marker)


@dataclass
class Served:
    base: str
    database: Path
    logs: list[Path]
    sample: dict


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    data_dir = Path(tempfile.mkdtemp(prefix="faults-sqlite-"))
    try:
        database = data_dir / "db.sqlite3"
        env = app_env(data_dir, DATABASE_URL=f"sqlite:///{database}", DJANGO_STATIC_MANIFEST="true")
        # As `make serve`: static files collected, migrated, reminders scheduled, a task worker.
        manage(env, "collectstatic", "--noinput", "-v0")
        manage(env, "migrate", "--noinput", "-v0")
        # The demo data and its accounts are made on DEBUG installs only.
        manage({**env, "DJANGO_DEBUG": "true"}, "setup_demo")
        sample = json.loads(manage(env, "shell", "-c", STAFF_SCRIPT).strip().splitlines()[-1])
        manage(env, "schedule_reminders")
        worker_log = data_dir / "db_worker.log"
        with worker_log.open("w") as out:
            worker = subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
                [PYTHON, "manage.py", "db_worker"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            server_log = data_dir / "gunicorn.log"
            threads = int(makefile_value("THREADS"))
            with gunicorn(env, server_log, workers=serve_workers(), threads=threads) as (base, _):
                yield Served(base, database, [server_log, worker_log], sample)
        finally:
            stop_process_group(worker)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def load(served) -> Tally:
    """The 10 staff at work for SECONDS; what they saw."""
    tally = Tally()
    accounts = served.sample["staff"]
    supervisors = [a for a in accounts if a["role"] == "supervisor"]
    rated = served.sample["rated"]
    staff = []
    for account in accounts:
        # Each supervisor changes grades of facilities of their own: two people never race to
        # the same change (the workflow refuses a grade that is already set).
        pool = (
            rated[supervisors.index(account) :: len(supervisors)] if account in supervisors else []
        )
        staff.append(StaffMember(served.base, account, served.sample, tally, pool))
    deadline = time.monotonic() + SECONDS
    threads = [threading.Thread(target=member.work_until, args=(deadline,)) for member in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def test_ten_staff_writing_at_once_get_no_error(load):
    writes = sum(len(rows) for rows in load.acked.values())
    print(
        f"\nSQLite, 10 staff for {SECONDS} s: {len(load.times)} requests, {writes} writes "
        f"acknowledged ({', '.join(f'{k} {len(v)}' for k, v in load.acked.items())}), "
        f"{load.refused_as_expected} refused as expected (400); "
        f"all requests {describe_ms(load.times)}; "
        f"writes {describe_ms(load.write_times)}"
    )
    assert load.failures == [], load.failures[:20]
    assert writes > 0
    assert percentile(load.times, 0.95) < 10


def test_no_database_is_locked_in_the_servers_logs(load, served):
    for log in served.logs:
        text = log.read_text()
        assert LOCKED not in text, log
        assert "Traceback" not in text, (log, text[text.find("Traceback") :][:3000])


def test_every_acknowledged_write_is_in_the_database(load, served):
    tables = {
        "inspection": ("supervision_inspection", "findings"),
        "tip": ("supervision_tip", "allegation"),
        "rating_change": ("supervision_ratingchange", "reason"),
    }
    found = 0
    with sqlite3.connect(f"file:{served.database}?mode=ro", uri=True) as db:
        for kind, rows in load.acked.items():
            table, text_column = tables[kind]
            stored = dict(db.execute(f"SELECT id, {text_column} FROM {table}"))  # noqa: S608
            missing = [(pk, marker) for pk, marker in rows if marker not in stored.get(pk, "")]
            assert missing == [], (kind, missing[:10])
            found += len(rows)
        refused = db.execute(
            "SELECT count(*) FROM supervision_inspection WHERE findings LIKE '%refused'"
        ).fetchone()[0]
    print(f"\nacknowledged writes found in the database: {found}")
    assert refused == 0
