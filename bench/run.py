"""The benchmark, in one command: `make bench` (or `python bench/run.py`).

For each size (10,000 and 1,000,000 facilities, 5 inspections and 2 tips per facility, 3 rated
years) it
    1. creates the PostgreSQL database supervision_bench_<size> if missing, migrates it and fills
       it with generate_data (once: a database that has generated data is reused; one generated
       before tips existed gets its tips added, `generate_data --add-tips`);
    2. starts the production server as `make serve` does (static files collected, gunicorn,
       DEBUG off) with DJANGO_SERVER_TIMING=true on 127.0.0.1 and a free port, one per size;
    3. signs in (a staff account with the auditor role for the pages and the admin, an API token
       of a supervisor for the API) and measures p50/p95 of the server's own time
       (Server-Timing `app`) and the query count of each page, list and write, the sizes in
       turns so that the machine's changes of speed fall on both alike;
    4. runs locust headless at each size: 20 users, mixed reads and writes, for
       BENCH_LOAD_SECONDS; every acknowledged (2xx) write is recorded and then looked up in the
       database, and the overview's totals are recomputed and compared.
The figures go to bench/RESULTS.md, between the markers (the analysis around them is kept).

Settings (environment): BENCH_SIZES=10000,1000000  BENCH_REPEAT=200  BENCH_LOAD_SECONDS=180
BENCH_LOAD_USERS=20  BENCH_INSPECTIONS_PER_FACILITY=5  BENCH_TIPS_PER_FACILITY=2
BENCH_WORKERS (gunicorn, default 2 × cores + 1)
BENCH_PG=postgres://supervision:supervision@127.0.0.1:5432 (a role that may create databases;
start one with `sudo bash .ci/postgres.sh`).
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "RESULTS.md"
PYTHON = sys.executable
START, END = "<!-- results:start -->", "<!-- results:end -->"

SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,1000000").split(",") if s]
PER_FACILITY = int(os.environ.get("BENCH_INSPECTIONS_PER_FACILITY", "5"))
TIPS_PER_FACILITY = int(os.environ.get("BENCH_TIPS_PER_FACILITY", "2"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "200"))
LOAD_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "180"))
LOAD_USERS = int(os.environ.get("BENCH_LOAD_USERS", "20"))
WORKERS = os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1) + 1))
PG = os.environ.get("BENCH_PG", "postgres://supervision:supervision@127.0.0.1:5432").rstrip("/")

READER = ("bench-reader", "Bench-reader-2024!x")
WRITER = "bench-writer"
# A name fragment: 1 facility in 144 carries it (70 at 10,000, 7,000 at 1,000,000).
NAME_FRAGMENT = "格桑阳光"
# A common word of the tip search: in 1 generated name in 6 (facilities and unregistered
# subjects alike).
TIP_WORD = "格桑"
TARGET_MS = 50
SERVER_TIMING = re.compile(r"app;dur=([\d.]+), db;dur=([\d.]+);desc=\"(\d+)\"")


def database_url(size: int) -> str:
    return f"{PG}/supervision_bench_{size}"


def django_env(size: int, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(size),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain HTTP on the loopback: no redirect to HTTPS, cookies without the Secure flag.
        "DJANGO_HTTPS": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    env.update(extra)
    return env


def manage(size: int, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=django_env(size),
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def log(message: str) -> None:
    print(f"[bench {datetime.datetime.now():%H:%M:%S}] {message}", flush=True)


# Data ------------------------------------------------------------------------------------------


def ensure_database(size: int) -> None:
    name = f"supervision_bench_{size}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            log(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')
        # As the README tells production to run on SSDs: an index probe is costed near a
        # sequential read, so PostgreSQL does not start parallel scans of a table to save a few
        # thousand of them (a parallel worker's start alone is ~20 ms of a page).
        conn.execute(f'ALTER DATABASE "{name}" SET random_page_cost = 1.1')


def generated(size: int) -> bool:
    with psycopg.connect(database_url(size)) as conn:
        row = conn.execute(
            "SELECT 1 FROM supervision_facility WHERE note LIKE 'generate_data%' LIMIT 1"
        ).fetchone()
    return row is not None


def has_tips(size: int) -> bool:
    with psycopg.connect(database_url(size)) as conn:
        return conn.execute("SELECT 1 FROM supervision_tip LIMIT 1").fetchone() is not None


def prepare(size: int) -> dict[str, Any]:
    """The database of one size, migrated, filled and with the bench accounts."""
    ensure_database(size)
    manage(size, "migrate", "--noinput", "-v0")
    record = OUT / f"generated-{size}.json"
    if not generated(size):
        log(f"generating {size:,} facilities, {size * PER_FACILITY:,} inspections")
        started = time.perf_counter()
        manage(
            size,
            "generate_data",
            f"--facilities={size}",
            f"--inspections={size * PER_FACILITY}",
            f"--tips={size * TIPS_PER_FACILITY}",
            "--years=3",
            "--seed=1",
        )
        seconds = time.perf_counter() - started
        record.write_text(
            json.dumps({"seconds": round(seconds, 1), "at": str(datetime.date.today())})
        )
    else:
        log(f"reusing the generated data of supervision_bench_{size}")
        if TIPS_PER_FACILITY and not has_tips(size):
            log(f"adding {size * TIPS_PER_FACILITY:,} tips")
            started = time.perf_counter()
            manage(size, "generate_data", "--add-tips", f"--tips={size * TIPS_PER_FACILITY}")
            info = json.loads(record.read_text()) if record.exists() else {}
            info["tip_seconds"] = round(time.perf_counter() - started, 1)
            record.write_text(json.dumps(info))
    manage(
        size,
        "shell",
        "-c",
        "from django.contrib.auth.models import Group, User\n"
        f"r, _ = User.objects.get_or_create(username={READER[0]!r})\n"
        "r.is_staff = True\n"
        f"r.set_password({READER[1]!r})\n"
        "r.save()\n"
        "r.groups.set([Group.objects.get(name='auditor')])\n"
        f"w, _ = User.objects.get_or_create(username={WRITER!r})\n"
        "w.groups.set([Group.objects.get(name='supervisor')])\n",
    )
    token = manage(size, "api_token", "issue", WRITER, capture=True).strip().splitlines()[-1]
    with psycopg.connect(database_url(size)) as conn:
        facilities = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM supervision_facility WHERE note LIKE 'generate_data%%' "
                "AND id %% %s = 0 ORDER BY id LIMIT 4000",
                [max(1, size // 4000)],
            )
        ]
        codes = [
            row[0]
            for row in conn.execute(
                "SELECT credit_code FROM supervision_facility WHERE id = ANY(%s)",
                [facilities[::80]],
            )
        ]
        inspectors = [r[0] for r in conn.execute("SELECT id FROM supervision_inspector LIMIT 50")]
        # Tips spread over the ids (every n-th), and facilities that have tips.
        tip_count = conn.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = 'supervision_tip'"
        ).fetchone()[0]
        tips = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM supervision_tip WHERE id %% %s = 0 ORDER BY id LIMIT 2000",
                [max(1, tip_count // 2000)],
            )
        ]
        tip_facilities = [
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT facility_id FROM supervision_tip "
                "WHERE id = ANY(%s) AND facility_id IS NOT NULL",
                [tips],
            )
        ]
        version = conn.execute("SHOW server_version").fetchone()[0]
    generated_info = json.loads(record.read_text()) if record.exists() else {}
    sample = {
        "token": token,
        "reader": READER,
        "facilities": facilities,
        "codes": codes,
        "inspectors": inspectors,
        "fragment": NAME_FRAGMENT,
        "tips": tips,
        "tip_facilities": tip_facilities,
    }
    (OUT / f"sample-{size}.json").write_text(json.dumps(sample))
    return {**sample, "generated": generated_info, "pg_version": version}


# Server ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(size: int):
    """The production server as `make serve` runs it (static files collected and served by
    WhiteNoise, DEBUG off, gunicorn), on a free port with Server-Timing; stopped at the end."""
    port = free_port()
    logfile = open(OUT / f"server-{size}.log", "w")  # noqa: SIM115
    env = django_env(
        size,
        DJANGO_SERVER_TIMING="true",
        DJANGO_STATIC_MANIFEST="true",
        # One cache for all the workers, as several servers would share Redis.
        DJANGO_CACHE_URL=f"file://{OUT / f'cache-{size}'}",
    )
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    gunicorn = str(Path(PYTHON).parent / "gunicorn")
    process = subprocess.Popen(
        [
            gunicorn,
            "supervision.wsgi:application",
            "--workers",
            WORKERS,
            "--timeout",
            "60",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=logfile,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            if process.poll() is not None:
                raise RuntimeError(f"the server stopped; see {logfile.name}")
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError(f"the server did not answer; see {logfile.name}")
        log(f"server up at {base} ({WORKERS} gunicorn workers)")
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        logfile.close()


def sign_in(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/")
    page.raise_for_status()
    answer = session.post(
        f"{base}/accounts/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
        },
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in refused ({answer.status_code})")
    return session


# Measuring -------------------------------------------------------------------------------------


@dataclass
class Figure:
    label: str
    times: list[float] = field(default_factory=list)
    db_times: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    errors: int = 0

    def add(self, response: requests.Response, expected: int) -> None:
        match = SERVER_TIMING.search(response.headers.get("Server-Timing", ""))
        if response.status_code != expected or match is None:
            self.errors += 1
            return
        self.times.append(float(match.group(1)))
        self.db_times.append(float(match.group(2)))
        self.queries.append(int(match.group(3)))

    @property
    def p50(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")

    @property
    def p95(self) -> float:
        return percentile(self.times, 95)

    @property
    def query_count(self) -> str:
        counts = sorted(set(self.queries))
        return "–" if not counts else "/".join(str(c) for c in counts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "p50": round(self.p50, 1),
            "db_p50": round(statistics.median(self.db_times), 1) if self.db_times else None,
            "p95": round(self.p95, 1),
            "queries": self.query_count,
            "errors": self.errors,
            "n": len(self.times),
        }


def percentile(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, -(-p * len(ordered) // 100) - 1)]


def reads_of(base: str, sample: dict[str, Any]) -> list[tuple[str, requests.Session, Any]]:
    """(label, session, url of the i-th request) of every page, list and API read measured."""
    pages = sign_in(base, *sample["reader"])
    api = requests.Session()
    api.headers["Authorization"] = f"Token {sample['token']}"
    facilities, codes = sample["facilities"], sample["codes"]
    sample["_api"] = api
    return [
        ("Dashboard `/`", pages, lambda i: "/"),
        ("Dashboard, another year", pages, lambda i: "/?year=2023"),
        ("Facility list, unfiltered", pages, lambda i: "/facilities/"),
        (
            "Facility list, district + grade + status",
            pages,
            lambda i: "/facilities/?district=540102&grade=A&year=2024&agreement_status=active",
        ),
        ("Facility list, name fragment", pages, lambda i: f"/facilities/?q={NAME_FRAGMENT}"),
        ("Facility list, credit code", pages, lambda i: f"/facilities/?q={codes[i % len(codes)]}"),
        (
            "Facility page",
            pages,
            lambda i: f"/facilities/{facilities[(i * 37) % len(facilities)]}/",
        ),
        ("Inspection list", pages, lambda i: "/inspections/"),
        ("Admin: Facility changelist", pages, lambda i: "/admin/supervision/facility/"),
        ("Admin: CreditRating changelist", pages, lambda i: "/admin/supervision/creditrating/"),
        (
            "API facilities, district + grade + year + status",
            api,
            lambda i: "/api/facilities/?district=540102&grade=A&year=2024&agreement_status=active",
        ),
        ("API ratings, year + grade D", api, lambda i: "/api/ratings/?year=2024&grade=D"),
        *tip_reads(pages, sample),
    ]


def tip_reads(pages: requests.Session, sample: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """The tip list (default, the commonest filters, each sort offered) and a tip page; empty
    when the database has no tips (BENCH_TIPS_PER_FACILITY=0)."""
    tips, facilities = sample.get("tips") or [], sample.get("tip_facilities") or []
    if not tips:
        return []
    channels = ["national_hotline", "city_hotline", "wechat", "portal"]
    districts = ["540102", "540103", "540121", "540127"]
    reads = [
        ("Tip list, unfiltered", lambda i: "/tips/"),
        ("Tip list, received (待受理)", lambda i: "/tips/?status=received"),
        ("Tip list, overdue", lambda i: "/tips/?clock=overdue"),
        ("Tip list, due soon", lambda i: "/tips/?clock=due_soon"),
        ("Tip list, channel", lambda i: f"/tips/?channel={channels[i % len(channels)]}"),
        ("Tip list, district", lambda i: f"/tips/?district={districts[i % len(districts)]}"),
        ("Tip list, a facility", lambda i: f"/tips/?facility={facilities[i % len(facilities)]}"),
        ("Tip list, common word", lambda i: f"/tips/?q={TIP_WORD}"),
        ("Tip list, oldest first", lambda i: "/tips/?ordering=received_at"),
        ("Tip list, by deadline", lambda i: "/tips/?ordering=due_on"),
        ("Tip list, by deadline, latest first", lambda i: "/tips/?ordering=-due_on"),
        ("Tip page", lambda i: f"/tips/{tips[(i * 37) % len(tips)]}/"),
    ]
    return [(label, pages, url) for label, url in reads]


def record_inspection(base: str, sample: dict[str, Any], i: int) -> requests.Response:
    facilities, inspectors = sample["facilities"], sample["inspectors"]
    body = {
        "facility": facilities[(i * 53) % len(facilities)],
        "kind": "routine",
        "status": "planned",
        "start_date": datetime.date.today().isoformat(),
        "inspectors": [inspectors[i % len(inspectors)], inspectors[(i + 1) % len(inspectors)]],
        "findings": "基准测试 bench",
    }
    return sample["_api"].post(f"{base}/api/inspections/", json=body)


def change_grade(base: str, sample: dict[str, Any], i: int) -> requests.Response:
    api, facility = sample["_api"], sample["facilities"][-(i + 1)]
    current = api.get(f"{base}/api/ratings/?facility={facility}&year=2024").json()["results"]
    new = "B" if current and current[0]["grade"] != "B" else "C"
    body = {"year": 2024, "grade": new, "reason": "基准测试：调整信用等级"}
    return api.post(f"{base}/api/facilities/{facility}/grade/", json=body)


def measure(targets: dict[int, tuple[str, dict[str, Any]]]) -> dict[int, list[dict[str, Any]]]:
    """Every figure at every size, the sizes and pages taken in turns: request i of a page is
    made at each size one after the other, so that the machine's changes of speed (it is
    shared) fall on every size and page alike and the ratio between sizes stays fair."""
    sizes = sorted(targets)
    warm_up = int(WORKERS) + 1  # every worker has compiled the templates and connected
    reads = {size: reads_of(*targets[size]) for size in sizes}
    for size in sizes:
        base = targets[size][0]
        for i in range(warm_up):
            for _label, session, url in reads[size]:
                session.get(base + url(i + REPEAT))
    labels = [label for label, _session, _url in reads[sizes[0]]]
    writes = [
        ("Record an inspection (POST /api/inspections/)", record_inspection, 201),
        ("Change a grade (POST /api/facilities/{id}/grade/)", change_grade, 201),
    ]
    figures = {size: [Figure(label) for label in labels + [w[0] for w in writes]] for size in sizes}
    for i in range(REPEAT):
        for index in range(len(labels)):
            for size in sizes:
                base = targets[size][0]
                _label, session, url = reads[size][index]
                figures[size][index].add(session.get(base + url(i)), 200)
    for offset, (_label, write, status) in enumerate(writes):
        index = len(labels) + offset
        for i in range(REPEAT + warm_up):
            for size in sizes:
                base, sample = targets[size]
                response = write(base, sample, i)
                if i >= warm_up:
                    figures[size][index].add(response, status)
    for size in sizes:
        for figure in figures[size]:
            log(
                f"{size:>9,} {figure.label:<50} p50 {figure.p50:6.1f}  p95 {figure.p95:6.1f} ms"
                f"  db {statistics.median(figure.db_times) if figure.db_times else 0:5.1f}"
                f"  q {figure.query_count}"
            )
    return {size: [f.as_dict() for f in figures[size]] for size in sizes}


def sign_in_users(base: str, sample: dict[str, Any], size: int) -> None:
    """One signed-in session per load user, made here so that signing in (a deliberately slow
    password hash) is not part of the load's figures."""
    sample["sessions"] = [
        sign_in(base, *sample["reader"]).cookies.get_dict() for _ in range(LOAD_USERS)
    ]
    (OUT / f"sample-{size}.json").write_text(json.dumps(sample))


# Load ------------------------------------------------------------------------------------------


def load(base: str, size: int) -> dict[str, Any]:
    prefix = OUT / f"locust-{size}"
    acked = OUT / f"acked-{size}.json"
    acked.unlink(missing_ok=True)
    env = {
        **os.environ,
        "BENCH_SAMPLE": str(OUT / f"sample-{size}.json"),
        "BENCH_ACKED": str(acked),
    }
    log(f"load: {LOAD_USERS} users for {LOAD_SECONDS} s")
    subprocess.run(
        [
            str(Path(PYTHON).parent / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(LOAD_USERS),
            "--spawn-rate",
            str(LOAD_USERS),
            "--run-time",
            f"{LOAD_SECONDS}s",
            "--host",
            base,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        check=False,
    )
    with open(f"{prefix}_stats.csv", newline="") as f:
        rows = {row["Name"]: row for row in csv.DictReader(f)}
    total = rows["Aggregated"]
    written = json.loads(acked.read_text())
    with psycopg.connect(database_url(size)) as conn:
        found_inspections = conn.execute(
            "SELECT count(*) FROM supervision_inspection WHERE id = ANY(%s) AND findings = ANY(%s)",
            [
                [w["id"] for w in written["inspections"]],
                [w["marker"] for w in written["inspections"]],
            ],
        ).fetchone()[0]
        found_changes = conn.execute(
            "SELECT count(*) FROM supervision_ratingchange WHERE id = ANY(%s)",
            [[w["id"] for w in written["rating_changes"]]],
        ).fetchone()[0]
    # The overview's totals, kept by triggers through the load's concurrent writes, against a
    # count of the rows themselves (the command recomputes them and says how many differed).
    check = subprocess.run(
        [PYTHON, "manage.py", "rebuild_tallies"],
        cwd=ROOT,
        env=django_env(size),
        capture_output=True,
        text=True,
        check=True,
    )
    totals_check = check.stdout.strip().splitlines()[-1]
    server_times = written.get("server_times", [])
    p95_server = percentile(server_times, 95) if server_times else None
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": round(float(total["Requests/s"]), 1),
        "p50": float(total["50%"]),
        "p95": float(total["95%"]),
        "p95_server": None if p95_server is None else round(p95_server, 1),
        "writes_acked": len(written["inspections"]) + len(written["rating_changes"]),
        "writes_found": found_inspections + found_changes,
        "totals_check": totals_check,
        "by_name": {
            name: {"n": int(r["Request Count"]), "fail": int(r["Failure Count"]), "p95": r["95%"]}
            for name, r in rows.items()
            if name != "Aggregated"
        },
    }


# Report ----------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def ms(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.1f}"


def report(results: dict[int, dict[str, Any]]) -> str:
    sizes = sorted(results)
    host = machine()
    first = results[sizes[0]]
    lines = [
        START,
        "",
        f"Run on {datetime.date.today()} with `make bench` "
        f"(BENCH_SIZES={','.join(map(str, sizes))}, BENCH_REPEAT={REPEAT}, "
        f"BENCH_LOAD_SECONDS={LOAD_SECONDS}, BENCH_LOAD_USERS={LOAD_USERS}, "
        f"{WORKERS} gunicorn workers).",
        "",
        f"Machine: {host['cores']} cores ({host['cpu']}), {host['memory']} memory, "
        f"PostgreSQL {first['pg_version']}, Python {host['python']}, {host['os']}. The database, "
        "the servers and the load generator share the machine. Load average (1 min) while "
        f"measuring, before the load tests: {first.get('loadavg', '?')} (the machine has "
        f"{host['cores']} cores; above that, requests waited for a core).",
        "",
        "Data: "
        + "; ".join(
            f"{s:,} facilities, {s * 3:,} ratings (+ as many rating changes), "
            f"{s * PER_FACILITY:,} inspections, {s * TIPS_PER_FACILITY:,} tips"
            + (
                f", generated in {results[s]['generated'].get('seconds', '?')} s"
                if results[s].get("generated")
                else ""
            )
            + (
                f" (tips added in {results[s]['generated']['tip_seconds']} s)"
                if results[s].get("generated", {}).get("tip_seconds")
                else ""
            )
            for s in sizes
        )
        + ".",
        "",
        f"Server time (Server-Timing `app`, ms) over {REPEAT} requests of each, the pages and the "
        "sizes taken in turns (both servers up, request i of a page made at each size one after "
        "the other), after one round per worker to warm it up; `db p50`: the part spent in SQL; "
        "queries per request.",
        "",
    ]
    header = "| | " + " | ".join(f"{s:,}: p50 | p95 | db p50 | queries" for s in sizes)
    if len(sizes) > 1:
        header += f" | p95 {sizes[-1]:,} ÷ {sizes[0]:,}"
    lines.append(header + " |")
    columns = 1 + 4 * len(sizes) + (1 if len(sizes) > 1 else 0)
    lines.append("|" + "---|" * columns)
    labels = [f["label"] for f in first["figures"]]
    for index, label in enumerate(labels):
        cells = [label]
        for s in sizes:
            f = results[s]["figures"][index]
            flag = " ⚠" if f["p95"] > TARGET_MS else ""
            errors = f" ({f['errors']} errors)" if f["errors"] else ""
            cells += [ms(f["p50"]), ms(f["p95"]) + flag, ms(f.get("db_p50")), f["queries"] + errors]
        if len(sizes) > 1:
            small, large = results[sizes[0]]["figures"][index], results[sizes[-1]]["figures"][index]
            ratio = large["p95"] / small["p95"] if small["p95"] else float("nan")
            cells.append(f"{ratio:.2f}×" + (" ⚠" if ratio > 1.5 else ""))
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "⚠: over the 50 ms target, or more than 1.5× slower at the larger size.", ""]
    lines += [
        f"Load: locust, {LOAD_USERS} users (think time 0.2–1 s), mixed reads and writes, "
        f"{LOAD_SECONDS} s; client-side times include queueing on the shared cores.",
        "",
        "| size | requests | req/s | failures | p50 ms | p95 ms | p95 server ms | "
        "writes acknowledged | found in the database |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in sizes:
        load_result = results[s].get("load")
        if not load_result:
            continue
        lines.append(
            f"| {s:,} | {load_result['requests']:,} | {load_result['rps']} | "
            f"{load_result['failures']} | {load_result['p50']:.0f} | {load_result['p95']:.0f} | "
            f"{ms(load_result['p95_server'])} | {load_result['writes_acked']} | "
            f"{load_result['writes_found']} |"
        )
    lines.append("")
    for s in sizes:
        load_result = results[s].get("load")
        if load_result and load_result.get("totals_check"):
            lines.append(
                f"Overview totals after the load at {s:,} (`manage.py rebuild_tallies`): "
                f"{load_result['totals_check']}"
            )
    lines += ["", END]
    return "\n".join(lines)


def write_results(block: str) -> None:
    text = RESULTS.read_text() if RESULTS.exists() else f"# Benchmark results\n\n{START}\n{END}\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text += "\n" + block + "\n"
    RESULTS.write_text(text)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict[str, Any]] = {size: prepare(size) for size in SIZES}
    with ExitStack() as stack:
        bases = {size: stack.enter_context(server(size)) for size in SIZES}
        # Other work on the machine inflates every figure: the load average says how much.
        load_before = os.getloadavg()[0]
        figures = measure({size: (bases[size], results[size]) for size in SIZES})
        load_average = round((load_before + os.getloadavg()[0]) / 2, 1)
        for size in SIZES:
            info = results[size]
            info.pop("_api", None)  # a session, not data
            info["figures"] = figures[size]
            info["loadavg"] = load_average
            if LOAD_SECONDS > 0:
                sign_in_users(bases[size], info, size)
                info["load"] = load(bases[size], size)
                log(
                    f"load at {size:,}: {info['load']['requests']:,} requests, "
                    f"{info['load']['failures']} failures, p95 {info['load']['p95']:.0f} ms, "
                    f"writes acknowledged {info['load']['writes_acked']}, "
                    f"found {info['load']['writes_found']}"
                )
    for size, info in results.items():
        info.pop("token", None)
        (OUT / f"results-{size}.json").write_text(json.dumps(info, indent=1, default=str))
    block = report(results)
    write_results(block)
    print(block)


if __name__ == "__main__":
    main()
