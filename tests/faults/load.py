"""A small load for the fault tests: staff reading the pages, the admin and the API and writing
through the API from threads, every answer checked, every acknowledged write kept; then what
the database holds of those writes.

Each write carries a marker of its own (an inspection's findings, a grade change's reason), so
that it can be found afterwards, acknowledged or not, and counted.
"""

from __future__ import annotations

import datetime
import itertools
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import psycopg
import requests

from tests.faults.replica_support import sign_in
from tests.faults.servers import READER, Site, writer_token

PAGES = ("/", "/facilities/", "/inspections/", "/admin/supervision/facility/")
API_READS = ("/api/facilities/?district=540102", "/api/ratings/?year=2024&grade=D")
# The heading of templates/503.html.
PAGE_503 = "系统暂时无法访问"
# What a traceback or Django's own error page looks like in a body.
TRACEBACK_SIGNS = ("Traceback", "Internal Server Error", 'File "/', "Exception Value")


@dataclass(frozen=True)
class Answer:
    """One request and what came back of it."""

    started: float  # seconds since the load began
    ended: float
    method: str
    path: str
    status: int | None  # None: no answer at all (connection refused, reset or cut)
    error: str = ""  # why there was no answer
    problem: str = ""  # what is wrong with the answer; "" when a user may be given it


def problem_of(response: requests.Response, expected: int) -> str:
    """What a user should never be given: a traceback, an error other than a proper 503, a
    sign-in page instead of the page."""
    body = response.text
    if any(sign in body for sign in TRACEBACK_SIGNS):
        return "a traceback in the body"
    if response.status_code == expected:
        return ""
    if response.status_code != 503:
        return f"HTTP {response.status_code}: {body[:200]!r}"
    if "Retry-After" not in response.headers:
        return "a 503 without Retry-After"
    if response.request.path_url.startswith("/api/"):
        try:
            detail = response.json()["detail"]
        except (ValueError, KeyError, TypeError):
            return f"an API 503 without the API's error shape: {body[:200]!r}"
        return "" if detail else "an API 503 with an empty detail"
    page = response.headers.get("Content-Type", "").startswith("text/html")
    if not page or PAGE_503 not in body:
        return f"a page 503 that is not the 503 page: {body[:200]!r}"
    return ""


@dataclass
class Load:
    """users threads, each a member of staff, until stop(). Grade changes: each user has its own
    facilities, so two users never race to the same change (the workflow refuses a grade that
    is already set, which would be a 400 unrelated to the fault)."""

    base: str
    token: str
    cookies: dict[str, str]
    facilities: list[int]
    inspectors: list[int]
    users: int = 20
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    answers: list[Answer] = field(default_factory=list)
    inspections: list[tuple[int, str]] = field(default_factory=list)  # acknowledged: id, marker
    grade_changes: list[tuple[int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._markers = itertools.count(1)
        self._threads: list[threading.Thread] = []
        self._began = 0.0

    # --- Running ----------------------------------------------------------------------------

    def clock(self) -> float:
        return time.monotonic() - self._began

    def start(self) -> None:
        self._began = time.monotonic()
        self._threads = [
            threading.Thread(target=self.user, args=(number,), daemon=True)
            for number in range(self.users)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def user(self, number: int) -> None:
        session = requests.Session()
        session.cookies.update(self.cookies)
        rng = random.Random(number)
        own = self.facilities[number :: self.users]
        actions = (self.read_page, self.read_api, self.record_inspection, self.change_grade)
        while not self._stop.is_set():
            action = rng.choices(actions, weights=(3, 2, 2, 2))[0]
            try:
                action(session, rng, own)
            except Exception as error:  # a user that stopped would go unnoticed otherwise
                now = self.clock()
                failed = Answer(now, now, "", action.__name__, None, problem=f"load: {error!r}")
                with self._lock:
                    self.answers.append(failed)
            time.sleep(rng.uniform(0.05, 0.2))

    def request(
        self, session: requests.Session, method: str, path: str, expected: int = 200, **kwargs
    ) -> requests.Response | None:
        started = self.clock()
        try:
            response = session.request(
                method, self.base + path, timeout=30, allow_redirects=False, **kwargs
            )
        except requests.RequestException as error:
            answer = Answer(started, self.clock(), method, path, None, error=type(error).__name__)
            response = None
        else:
            problem = problem_of(response, expected)
            answer = Answer(started, self.clock(), method, path, response.status_code, "", problem)
        with self._lock:
            self.answers.append(answer)
        return response

    @property
    def api(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}

    # --- What staff do ----------------------------------------------------------------------

    def read_page(self, session: requests.Session, rng: random.Random, own: list[int]) -> None:
        path = rng.choice([*PAGES, f"/facilities/{rng.choice(self.facilities)}/"])
        self.request(session, "GET", path)

    def read_api(self, session: requests.Session, rng: random.Random, own: list[int]) -> None:
        self.request(session, "GET", rng.choice(API_READS), headers=self.api)

    def record_inspection(
        self, session: requests.Session, rng: random.Random, own: list[int]
    ) -> None:
        marker = f"faults {self.run} #{next(self._markers)}"
        body = {
            "facility": rng.choice(self.facilities),
            "kind": "routine",
            "status": "planned",
            "start_date": datetime.date.today().isoformat(),
            "inspectors": rng.sample(self.inspectors, 2),
            "findings": marker,
        }
        response = self.request(
            session, "POST", "/api/inspections/", 201, json=body, headers=self.api
        )
        if response is not None and response.status_code == 201:
            with self._lock:
                self.inspections.append((response.json()["id"], marker))

    def change_grade(self, session: requests.Session, rng: random.Random, own: list[int]) -> None:
        facility = rng.choice(own)
        rating = self.request(
            session, "GET", f"/api/ratings/?facility={facility}&year=2024", headers=self.api
        )
        if rating is None or rating.status_code != 200:
            return
        current = [r["grade"] for r in rating.json()["results"]]
        grade = rng.choice([g for g in "ABCD" if g not in current])
        marker = f"负载测试 {self.run} #{next(self._markers)}"
        body = {
            "year": 2024,
            "grade": grade,
            "score": None,  # a kept score might not fit the new grade's band
            "reason": marker,
            "confirm_downgrade": grade == "D",
        }
        response = self.request(
            session, "POST", f"/api/facilities/{facility}/grade/", 201, json=body, headers=self.api
        )
        if response is not None and response.status_code == 201:
            with self._lock:
                self.grade_changes.append((response.json()["id"], marker))

    # --- Figures ----------------------------------------------------------------------------

    def problems(self) -> list[Answer]:
        return [a for a in self.answers if a.problem]

    def statuses(
        self, since: float = 0.0, until: float = float("inf"), *, ended: bool = False
    ) -> Counter[str]:
        """Answers started (or ended) in [since, until) by status ("no answer" for none)."""
        return Counter(
            str(a.status) if a.status is not None else "no answer"
            for a in self.answers
            if since <= (a.ended if ended else a.started) < until
        )


def staff_load(site: Site, users: int = 20) -> Load:
    """A load on site: the writer's token, a signed-in reader, facilities and inspectors."""
    with site.cluster.connect() as conn:
        facilities = [
            row[0] for row in conn.execute("SELECT id FROM supervision_facility ORDER BY id")
        ]
        inspectors = [
            row[0] for row in conn.execute("SELECT id FROM supervision_inspector ORDER BY id")
        ]
    base = site.server.base
    cookies = sign_in(base, *READER).cookies.get_dict()
    return Load(base, writer_token(site.cluster), cookies, facilities, inspectors, users)


# --- What the database holds --------------------------------------------------------------------


@dataclass
class Written:
    """The load's writes as the database holds them."""

    acknowledged: int
    found: int  # acknowledged and found exactly once, with the id the client was given
    attempted_found: int  # every write of the run found (acknowledged or not)
    missing: list[str]  # acknowledged and not found, or found more than once
    half_written: list[str]  # a write with a part of it missing

    def summary(self) -> str:
        return (
            f"writes acknowledged {self.acknowledged}, found {self.found}; "
            f"writes of the run in the database {self.attempted_found}; "
            f"missing or doubled {len(self.missing)}; half-written {len(self.half_written)}"
        )


def written(conn: psycopg.Connection, load: Load) -> Written:
    """Every acknowledged write found exactly once; every write of the run found whole: an
    inspection with its two inspectors, its case number and its history row; a grade change
    with its history row and the rating's own history row of the same change, and each rating's
    grade that of its latest change."""
    inspections = {
        marker: ids
        for marker, ids in conn.execute(
            "SELECT findings, array_agg(id) FROM supervision_inspection "
            "WHERE findings LIKE %s GROUP BY findings",
            [f"faults {load.run} #%"],
        )
    }
    changes = {
        marker: ids
        for marker, ids in conn.execute(
            "SELECT reason, array_agg(id) FROM supervision_ratingchange "
            "WHERE reason LIKE %s GROUP BY reason",
            [f"负载测试 {load.run} #%"],
        )
    }
    missing = [
        f"{kind} {marker} (id {pk}): found as {found.get(marker)}"
        for kind, acknowledged, found in (
            ("inspection", load.inspections, inspections),
            ("grade change", load.grade_changes, changes),
        )
        for pk, marker in acknowledged
        if found.get(marker) != [pk]
    ]
    half = [
        f"inspection {pk}: {inspectors} inspectors, docket {docket!r}, {history} history rows"
        for pk, inspectors, docket, history in conn.execute(
            "SELECT i.id, (SELECT count(*) FROM supervision_inspection_inspectors l"
            "  WHERE l.inspection_id = i.id),"
            " i.docket,"
            " (SELECT count(*) FROM supervision_historicalinspection h"
            "  WHERE h.id = i.id AND h.history_type = '+') "
            "FROM supervision_inspection i WHERE i.findings LIKE %s",
            [f"faults {load.run} #%"],
        )
        if inspectors != 2 or not docket or history != 1
    ]
    half += [
        f"grade change {pk}: {history} history rows, {rating_history} rating history rows"
        for pk, history, rating_history in conn.execute(
            "SELECT c.id,"
            " (SELECT count(*) FROM supervision_historicalratingchange h WHERE h.id = c.id),"
            " (SELECT count(*) FROM supervision_historicalcreditrating h"
            "  WHERE h.id = c.rating_id AND h.grade = c.to_grade"
            "  AND h.history_change_reason = c.reason) "
            "FROM supervision_ratingchange c WHERE c.reason LIKE %s",
            [f"负载测试 {load.run} #%"],
        )
        if history != 1 or rating_history != 1
    ]
    half += [
        f"rating {pk}: grade {grade}, its latest change to {latest}"
        for pk, grade, latest in conn.execute(
            "SELECT r.id, r.grade, (SELECT c.to_grade FROM supervision_ratingchange c"
            "  WHERE c.rating_id = r.id ORDER BY c.id DESC LIMIT 1) "
            "FROM supervision_creditrating r WHERE r.id IN (SELECT rating_id FROM "
            "supervision_ratingchange WHERE reason LIKE %s)",
            [f"负载测试 {load.run} #%"],
        )
        if grade != latest
    ]
    acknowledged = len(load.inspections) + len(load.grade_changes)
    return Written(
        acknowledged=acknowledged,
        found=acknowledged - len(missing),
        attempted_found=sum(map(len, inspections.values())) + sum(map(len, changes.values())),
        missing=missing,
        half_written=half,
    )
