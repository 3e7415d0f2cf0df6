"""Mixed load for `make bench` (bench/run.py runs it headless): staff reading lists, pages and the
admin, and writing through the API, as a bureau's office would at its busiest.

Every write answered 2xx is recorded (its id, and for inspections a marker in the findings) and
written to BENCH_ACKED when the run ends; bench/run.py then looks each one up in the database.
The server's own time of each response (Server-Timing) is kept too.

    BENCH_SAMPLE=bench/out/sample-10000.json BENCH_ACKED=/tmp/acked.json \\
        locust -f bench/locustfile.py --headless -u 20 -t 60s --host http://127.0.0.1:8000
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import random
import re
import uuid

from locust import HttpUser, between, events, task

SAMPLE = json.loads(open(os.environ["BENCH_SAMPLE"]).read())  # noqa: SIM115
ACKED_FILE = os.environ.get("BENCH_ACKED", "acked.json")
RUN = uuid.uuid4().hex[:8]
FACILITIES: list[int] = SAMPLE["facilities"]
# Grade changes take facilities from the front of the sample, one pool per user, so that two
# users never race to the same change (the workflow refuses a grade that is already set).
GRADE_POOL = FACILITIES[: len(FACILITIES) // 2]
ACKED: dict[str, list] = {"inspections": [], "rating_changes": [], "server_times": []}
SERVER_TIMING = re.compile(r"app;dur=([\d.]+)")
_users = itertools.count()
_markers = itertools.count(1)


class Staff(HttpUser):
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.number = next(_users)
        self.token = {"Authorization": f"Token {SAMPLE['token']}"}
        # Signed in by bench/run.py beforehand: one session per user.
        sessions = SAMPLE["sessions"]
        self.client.cookies.update(sessions[self.number % len(sessions)])
        pool = GRADE_POOL[self.number :: 64] or GRADE_POOL
        self.grade_targets = itertools.cycle(pool)

    def read(self, url: str, name: str, headers: dict | None = None) -> None:
        with self.client.get(url, name=name, headers=headers, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return
            keep_server_time(response)

    # Reads ------------------------------------------------------------------------------------

    @task(2)
    def dashboard(self) -> None:
        self.read("/", "dashboard")

    @task(3)
    def facility_list(self) -> None:
        self.read("/facilities/", "facility list")

    @task(2)
    def facility_list_filtered(self) -> None:
        district = random.choice(["540102", "540103", "540121", "540127"])
        grade = random.choice("ABCD")
        self.read(
            f"/facilities/?district={district}&grade={grade}&year=2024&agreement_status=active",
            "facility list, filtered",
        )

    @task(2)
    def facility_search(self) -> None:
        if random.random() < 0.5:
            self.read(f"/facilities/?q={SAMPLE['fragment']}", "facility list, name search")
        else:
            code = random.choice(SAMPLE["codes"])
            self.read(f"/facilities/?q={code}", "facility list, code search")

    @task(4)
    def facility_page(self) -> None:
        self.read(f"/facilities/{random.choice(FACILITIES)}/", "facility page")

    @task(2)
    def inspection_list(self) -> None:
        self.read("/inspections/", "inspection list")

    @task(1)
    def admin_changelist(self) -> None:
        model = random.choice(["facility", "creditrating"])
        self.read(f"/admin/supervision/{model}/", f"admin {model} changelist")

    @task(2)
    def api_lists(self) -> None:
        if random.random() < 0.5:
            self.read(
                "/api/facilities/?district=540102&grade=A&year=2024&agreement_status=active",
                "API facilities, filtered",
                self.token,
            )
        else:
            self.read("/api/ratings/?year=2024&grade=D", "API ratings, filtered", self.token)

    # Writes -----------------------------------------------------------------------------------

    @task(1)
    def record_inspection(self) -> None:
        marker = f"bench load {RUN} #{next(_markers)}"
        inspectors = random.sample(SAMPLE["inspectors"], 2)
        body = {
            "facility": random.choice(FACILITIES),
            "kind": "routine",
            "status": "planned",
            "start_date": datetime.date.today().isoformat(),
            "inspectors": inspectors,
            "findings": marker,
        }
        with self.client.post(
            "/api/inspections/",
            json=body,
            headers=self.token,
            name="POST inspection",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
                return
            ACKED["inspections"].append({"id": response.json()["id"], "marker": marker})
            keep_server_time(response)

    @task(1)
    def change_grade(self) -> None:
        facility = next(self.grade_targets)
        ratings = self.client.get(
            f"/api/ratings/?facility={facility}&year=2024",
            headers=self.token,
            name="API rating of a facility",
        )
        if ratings.status_code != 200:
            return
        current = ratings.json()["results"]
        grade = random.choice([g for g in "ABCD" if not current or g != current[0]["grade"]])
        with self.client.post(
            f"/api/facilities/{facility}/grade/",
            json={
                "year": 2024,
                "grade": grade,
                "reason": f"负载测试 {RUN}",
                # A downgrade to D is confirmed, as a person does on the page.
                "confirm_downgrade": grade == "D",
            },
            headers=self.token,
            name="POST grade",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
                return
            ACKED["rating_changes"].append({"id": response.json()["id"]})
            keep_server_time(response)


def keep_server_time(response) -> None:
    match = SERVER_TIMING.search(response.headers.get("Server-Timing", ""))
    if match:
        ACKED["server_times"].append(float(match.group(1)))


@events.quitting.add_listener
def write_acknowledged(environment, **kwargs) -> None:
    with open(ACKED_FILE, "w") as f:
        json.dump(ACKED, f)
