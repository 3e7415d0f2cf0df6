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
The server runs with bench/stock_settings.py: the product's pages, and beside them a stock
Django admin (bench/stock_admin.py, at /stock-admin/, served by the bench only) over the same
data. Each product list is measured in turns with its stock counterpart (the same filter,
search or sort as admin query parameters): request i of the product's page, then of the stock
one; the ratio table gives both sides' server time (Server-Timing `app`) and client time
(requests' `elapsed`, loopback), and stock p50 ÷ ours p50, flagged under 10×.
Before measuring, the data of the later issues' pages is made once when missing, with the
other benches' own code: practitioners (bench/practitioners.py), the published grades,
sanctions and a random-check plan (bench/public.py), and a scored credit cycle of 2025
(bench/credit.py's evaluation, removed again at the end unless BENCH_KEEP_CREDIT=1).
After the pages, at each size: a bulk regrade of BENCH_BULK_FACILITIES facilities through the
admin action's path (supervision.admin.actions.apply_to_all with services.set_grade, batches
as the action makes them), timed once and its history rows counted; and at the largest size
the CSV export of every facility (bench/export.py, streamed; time and the worker's memory).
The figures go to bench/RESULTS.md, between the markers (the analysis around them is kept).

Settings (environment): BENCH_SIZES=10000,1000000  BENCH_REPEAT=200  BENCH_LOAD_SECONDS=180
BENCH_LOAD_USERS=20  BENCH_INSPECTIONS_PER_FACILITY=5  BENCH_TIPS_PER_FACILITY=2
BENCH_WORKERS (gunicorn, default 2 × cores + 1)
BENCH_STOCK_REPEAT (stock requests per page, spread over the product's, default min(20, REPEAT))
BENCH_ONLY=ratios: only the pages that have a stock counterpart, no writes, load, bulk or
export; the ratio table is printed and written to bench/out/ratios.md (RESULTS.md untouched).
BENCH_ONLY=bulk: only the bulk regrade.
BENCH_ONLY=check: whether each stock page selects the rows of its product page (counts, first
row), in-process; nothing is timed.
BENCH_PAGES=<regular expression>: only the pages whose label matches (e.g. "Facility list").
BENCH_EXTRAS=0: do not make the later issues' data (their pages are measured if it exists).
BENCH_BULK_FACILITIES=10000  BENCH_BULK_BUDGET=180 (seconds; a slower regrade stops, projected)
BENCH_KEEP_CREDIT=1  BENCH_RESULTS (the file the results block goes to, default bench/RESULTS.md)
BENCH_PG=postgres://supervision:supervision@127.0.0.1:5432 (a role that may create databases;
start one with `sudo bash .ci/postgres.sh`).

    BENCH_SIZES=10000 BENCH_REPEAT=20 BENCH_LOAD_SECONDS=0 python bench/run.py
    BENCH_SIZES=1000000 BENCH_REPEAT=20 BENCH_ONLY=ratios python bench/run.py
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
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RESULTS = Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "RESULTS.md"))
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
# The same word for the facility list (1 name in 6), the kind's suffix of 55 names in 100 (零售药店
# are 大药房: half the registry matches), the word's full pinyin (1 in 6) and the initials of
# NAME_FRAGMENT (格桑阳光 → gsyg, 1 in 144): generated names are 示例 + two of twelve words + the
# kind's suffix + a number (generate_data).
COMMON_WORD = "格桑"
HALF_WORD = "大药房"
PINYIN_KEY = "gesang"
INITIALS_KEY = "gsyg"
TARGET_MS = 50
RATIO_TARGET = 10  # every staff list at least this many times faster than the stock admin
BULK_TARGET_S = 5
STOCK_REPEAT = int(os.environ.get("BENCH_STOCK_REPEAT", str(min(20, REPEAT))))
ONLY = os.environ.get("BENCH_ONLY", "")
PAGES = re.compile(os.environ.get("BENCH_PAGES", ""))
EXTRAS = os.environ.get("BENCH_EXTRAS", "1") != "0"
KEEP_CREDIT = os.environ.get("BENCH_KEEP_CREDIT") == "1"
BULK_FACILITIES = int(os.environ.get("BENCH_BULK_FACILITIES", "10000"))
# The oldest generated year (generate_data --years=3 ends in 2024): no page measured here
# filters or shows it, so regrading it run after run leaves their figures alone.
BULK_YEAR = 2022
# A bulk regrade still going after this many seconds stops (the rest is projected).
BULK_BUDGET_S = float(os.environ.get("BENCH_BULK_BUDGET", "180"))
# A stock page may take seconds at 1,000,000; one that takes longer than this is an error.
REQUEST_TIMEOUT = 120
STOCK = "/stock-admin/supervision"
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


# Run in a Django process on the bench database (cwd: the repository): the later issues' data,
# made with the other benches' own code when missing. Prints what it made, as JSON.
EXTRAS_SCRIPT = """
import json, sys, time
sys.path.insert(0, "bench")
import django
django.setup()
from django.contrib.auth.models import User
from django.db import connection, transaction
import credit, practitioners, public
from supervision.models import EvaluationCycle, Practitioner

made = {}
if not Practitioner.objects.filter(note=practitioners.MARK).exists():
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        practitioners.generate(cursor)
    made["practitioners_seconds"] = round(time.perf_counter() - started, 1)
started = time.perf_counter()
public.publish_once()
made["publication_seconds"] = round(time.perf_counter() - started, 1)
if not EvaluationCycle.objects.filter(year=credit.YEAR).exists():
    user, _ = User.objects.get_or_create(username="bench-credit", is_superuser=True)
    started = time.perf_counter()
    credit.remove_credit_data()
    credit.evaluate(user)
    made["credit_seconds"] = round(time.perf_counter() - started, 1)
    made["credit_made"] = True
print(json.dumps(made))
"""

REMOVE_CREDIT_SCRIPT = """
import sys
sys.path.insert(0, "bench")
import django
django.setup()
import credit
credit.remove_credit_data()
"""


def extra_data(size: int) -> dict[str, Any]:
    """The data of the later issues' pages (practitioners, publications, a credit cycle)."""
    log(f"the later issues' data at {size:,} (made once when missing)")
    result = subprocess.run(
        [PYTHON, "-c", EXTRAS_SCRIPT],
        cwd=ROOT,
        env=django_env(size, BENCH_SIZE=str(size), DJANGO_SETTINGS_MODULE="supervision.settings"),
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    )
    made = json.loads(result.stdout.strip().splitlines()[-1])
    if made:
        log(f"made at {size:,}: {made}")
    return made


def remove_credit(size: int) -> None:
    log(f"removing the bench's 2025 credit cycle at {size:,} (BENCH_KEEP_CREDIT=1 keeps it)")
    subprocess.run(
        [PYTHON, "-c", REMOVE_CREDIT_SCRIPT],
        cwd=ROOT,
        env=django_env(size, BENCH_SIZE=str(size), DJANGO_SETTINGS_MODULE="supervision.settings"),
        check=True,
    )


def later_samples(size: int) -> dict[str, Any]:
    """Ids of the later issues' pages: a practitioner, the largest credit cycle and its subject
    with the lowest score (the scorecard with most deductions), a published random-check plan."""
    with psycopg.connect(database_url(size)) as conn:

        def one(sql: str, *params: Any) -> Any:
            row = conn.execute(sql, list(params)).fetchone()
            return row[0] if row else None

        practitioner = one("SELECT id FROM supervision_practitioner ORDER BY id LIMIT 1")
        cycle = one(
            "SELECT id FROM supervision_evaluationcycle ORDER BY subject_count DESC, id LIMIT 1"
        )
        assessment = (
            one(
                "SELECT id FROM supervision_assessment WHERE cycle_id = %s "
                "ORDER BY score ASC NULLS LAST, id LIMIT 1",
                cycle,
            )
            if cycle
            else None
        )
        plan = one(
            "SELECT id FROM supervision_randomcheckplan WHERE status = 'published' "
            "ORDER BY target_count DESC, id LIMIT 1"
        )
    return {"practitioner": practitioner, "cycle": cycle, "assessment": assessment, "plan": plan}


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
    made = extra_data(size) if EXTRAS and ONLY != "bulk" else {}
    sample = {
        "token": token,
        "reader": READER,
        "facilities": facilities,
        "codes": codes,
        "inspectors": inspectors,
        "fragment": NAME_FRAGMENT,
        "tips": tips,
        "tip_facilities": tip_facilities,
        "later": later_samples(size),
    }
    (OUT / f"sample-{size}.json").write_text(json.dumps(sample))
    return {**sample, "generated": generated_info, "pg_version": version, "made": made}


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
        # The product's pages and, beside them, the stock admin (bench/stock_admin.py).
        DJANGO_SETTINGS_MODULE="bench.stock_settings",
        # The public pages are read from one address: their per-client limit would answer 429.
        DJANGO_PUBLIC_RATE_LIMIT="100000000/m",
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
    # Client time: requests' elapsed (request sent → response's headers read), loopback.
    client_times: list[float] = field(default_factory=list)
    errors: int = 0

    def add(self, response: requests.Response | None, expected: int) -> None:
        match = (
            None
            if response is None
            else SERVER_TIMING.search(response.headers.get("Server-Timing", ""))
        )
        if response is None or response.status_code != expected or match is None:
            self.errors += 1
            return
        self.times.append(float(match.group(1)))
        self.db_times.append(float(match.group(2)))
        self.queries.append(int(match.group(3)))
        self.client_times.append(response.elapsed.total_seconds() * 1000)

    @property
    def client_p50(self) -> float:
        return statistics.median(self.client_times) if self.client_times else float("nan")

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
            "client_p50": round(self.client_p50, 1),
            "client_p95": round(percentile(self.client_times, 95), 1),
        }


def percentile(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, -(-p * len(ordered) // 100) - 1)]


# Run in a Django process with the server's cache: signed-in sessions of the people whose
# "my work" page is measured (an inspector with inspections in progress, a supervisor, the tip
# desk, a credit evaluator), as cookies; a supervisor's session has passed the second factor.
PERSONAS_SCRIPT = """
import json
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from supervision.models import Inspector

def session_of(username, role):
    user, _ = User.objects.get_or_create(username=username, defaults={"is_staff": True})
    user.groups.set([Group.objects.get(name=role)])
    client = Client()
    client.force_login(user)
    if role == "supervisor":
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="bench", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client.cookies[settings.SESSION_COOKIE_NAME].value

# The first officer: every generated inspection has two of the first 200 (bench/my_work.py may
# have spread them over more; then an officer with fewer).
inspector = Inspector.objects.filter(is_active=True).order_by("pk").first()
user, _ = User.objects.get_or_create(username="bench-inspector", defaults={"is_staff": True})
if inspector.user_id is None:
    Inspector.objects.filter(user=user).update(user=None)
    inspector.user = user
    inspector.save(update_fields=["user"])
sessions = {
    "cookie": settings.SESSION_COOKIE_NAME,
    "inspector": session_of(inspector.user.username, "inspector"),
    "supervisor": session_of("bench-supervisor", "supervisor"),
    "tip_desk": session_of("bench-tip-desk", "tip_desk"),
    "credit_evaluator": session_of("bench-credit-evaluator", "credit_evaluator"),
}
print(json.dumps(sessions))
"""


@dataclass
class Read:
    """One measured read: the product's URL of the i-th request and, for a list, the stock
    admin's URL of the same filter, search or sort (None: nothing to compare with)."""

    label: str
    session: requests.Session
    url: Callable[[int], str]
    stock: Callable[[int], str] | None = None


def personas(base: str, size: int) -> dict[str, requests.Session]:
    cache = f"file://{OUT / f'cache-{size}'}"
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "--no-imports", "-c", PERSONAS_SCRIPT],
        cwd=ROOT,
        env=django_env(size, DJANGO_CACHE_URL=cache),
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    )
    keys = json.loads(result.stdout.strip().splitlines()[-1])
    cookie = keys.pop("cookie")
    sessions = {}
    for name, key in keys.items():
        session = requests.Session()
        session.cookies.set(cookie, key, domain="127.0.0.1", path="/")
        sessions[name] = session
    return sessions


def stock(path: str, query: str = "") -> Callable[[int], str]:
    """A stock changelist's URL, e.g. stock("facility", "o=2")."""
    url = f"{STOCK}/{path}/" + (f"?{query}" if query else "")
    return lambda i: url


def reads_of(base: str, size: int, sample: dict[str, Any]) -> list[Read]:
    """Every page, list and API read measured (each list with its stock counterpart)."""
    pages = sign_in(base, *sample["reader"])
    api = requests.Session()
    api.headers["Authorization"] = f"Token {sample['token']}"
    facilities, codes = sample["facilities"], sample["codes"]
    sample["_api"] = api

    reads = [
        Read("Dashboard `/`", pages, fixed_url("/")),
        Read("Dashboard, another year", pages, fixed_url("/?year=2023")),
        *facility_reads(pages, codes),
        Read(
            "Facility page",
            pages,
            lambda i: f"/facilities/{facilities[(i * 37) % len(facilities)]}/",
        ),
        *inspection_reads(pages),
        Read(
            "Admin: Facility changelist",
            pages,
            fixed_url("/admin/supervision/facility/"),
            stock("facility"),
        ),
        Read(
            "Admin: CreditRating changelist",
            pages,
            fixed_url("/admin/supervision/creditrating/"),
            stock("creditrating"),
        ),
        Read(
            "Admin: CreditRating changelist, year 2024 + grade D",
            pages,
            fixed_url("/admin/supervision/creditrating/?year=2024&grade__exact=D"),
            stock("creditrating", "year__exact=2024&grade__exact=D"),
        ),
        Read(
            "API facilities, district + grade + year + status",
            api,
            fixed_url("/api/facilities/?district=540102&grade=A&year=2024&agreement_status=active"),
        ),
        Read("API ratings, year + grade D", api, fixed_url("/api/ratings/?year=2024&grade=D")),
        *tip_reads(pages, sample),
        *case_reads(pages),
        *later_reads(base, size, pages, sample),
    ]
    return [read for read in reads if PAGES.search(read.label)]


def facility_reads(pages: requests.Session, codes: list[str]) -> list[Read]:
    """The registry: unfiltered, filtered, searched (a rare fragment, a common word, a word of
    half the names, pinyin, initials, a whole code) and every sort offered, both ways."""
    reads = [
        Read("Facility list, unfiltered", pages, lambda i: "/facilities/", stock("facility")),
        Read(
            "Facility list, district + grade + status",
            pages,
            lambda i: "/facilities/?district=540102&grade=A&year=2024&agreement_status=active",
            stock("facility", "district__exact=540102&grade_of_year=2024-A&agreement=active"),
        ),
        Read(
            "Facility list, kind + district",
            pages,
            lambda i: "/facilities/?kind=pharmacy&district=540103",
            stock("facility", "kind__exact=pharmacy&district__exact=540103"),
        ),
        Read(
            "Facility list, name fragment (1 in 144)",
            pages,
            lambda i: f"/facilities/?q={NAME_FRAGMENT}",
            stock("facility", f"q={NAME_FRAGMENT}"),
        ),
        Read(
            f"Facility list, common word {COMMON_WORD} (1 in 6)",
            pages,
            lambda i: f"/facilities/?q={COMMON_WORD}",
            stock("facility", f"q={COMMON_WORD}"),
        ),
        Read(
            f"Facility list, word of half the names {HALF_WORD}",
            pages,
            lambda i: f"/facilities/?q={HALF_WORD}",
            stock("facility", f"q={HALF_WORD}"),
        ),
        Read(
            f"Facility list, pinyin {PINYIN_KEY} (1 in 6)",
            pages,
            lambda i: f"/facilities/?q={PINYIN_KEY}",
            stock("facility", f"q={PINYIN_KEY}"),
        ),
        Read(
            f"Facility list, initials {INITIALS_KEY} (1 in 144)",
            pages,
            lambda i: f"/facilities/?q={INITIALS_KEY}",
            stock("facility", f"q={INITIALS_KEY}"),
        ),
        Read(
            "Facility list, credit code",
            pages,
            lambda i: f"/facilities/?q={codes[i % len(codes)]}",
            lambda i: f"{STOCK}/facility/?q={codes[i % len(codes)]}",
        ),
    ]
    # The product's sorts and the stock changelist's columns, numbered from 0 as the admin's `o`
    # parameter counts them (bench/stock_admin.py's list_display; no action checkbox).
    for name, column in [
        ("name", 0),
        ("kind", 1),
        ("district", 3),
        ("current_grade", 5),
        ("deposit", 7),
        ("created_at", 8),
    ]:
        for sign in ("", "-"):
            reads.append(
                Read(
                    f"Facility list, sorted by {sign}{name}",
                    pages,
                    fixed_url(f"/facilities/?ordering={sign}{name}"),
                    stock("facility", f"o={sign}{column}"),
                )
            )
    return reads


def fixed_url(url: str) -> Callable[[int], str]:
    return lambda i: url


def inspection_reads(pages: requests.Session) -> list[Read]:
    reads = [
        Read("Inspection list", pages, fixed_url("/inspections/"), stock("inspection")),
        Read(
            "Inspection list, kind + district",
            pages,
            fixed_url("/inspections/?kind=routine&district=540102"),
            stock("inspection", "kind__exact=routine&facility__district__exact=540102"),
        ),
        Read(
            f"Inspection list, common word {COMMON_WORD}",
            pages,
            fixed_url(f"/inspections/?q={COMMON_WORD}"),
            stock("inspection", f"q={COMMON_WORD}"),
        ),
    ]
    for name, column in [("start_date", 0), ("facility", 1), ("kind", 2)]:
        for sign in ("", "-"):
            reads.append(
                Read(
                    f"Inspection list, sorted by {sign}{name}",
                    pages,
                    fixed_url(f"/inspections/?ordering={sign}{name}"),
                    stock("inspection", f"o={sign}{column}"),
                )
            )
    return reads


def tip_reads(pages: requests.Session, sample: dict[str, Any]) -> list[Read]:
    """The tip list (default, the commonest filters, each sort offered) and a tip page; empty
    when the database has no tips (BENCH_TIPS_PER_FACILITY=0)."""
    tips, facilities = sample.get("tips") or [], sample.get("tip_facilities") or []
    if not tips:
        return []
    channels = ["national_hotline", "city_hotline", "wechat", "portal"]
    districts = ["540102", "540103", "540121", "540127"]
    reads = [
        Read("Tip list, unfiltered", pages, fixed_url("/tips/"), stock("tip")),
        Read(
            "Tip list, received (待受理)",
            pages,
            fixed_url("/tips/?status=received"),
            stock("tip", "status__exact=received"),
        ),
        Read(
            "Tip list, overdue",
            pages,
            fixed_url("/tips/?clock=overdue"),
            stock("tip", "clock=overdue"),
        ),
        Read(
            "Tip list, due soon",
            pages,
            fixed_url("/tips/?clock=due_soon"),
            stock("tip", "clock=due_soon"),
        ),
        Read(
            "Tip list, channel",
            pages,
            lambda i: f"/tips/?channel={channels[i % len(channels)]}",
            lambda i: f"{STOCK}/tip/?channel__exact={channels[i % len(channels)]}",
        ),
        Read(
            "Tip list, district",
            pages,
            lambda i: f"/tips/?district={districts[i % len(districts)]}",
            lambda i: f"{STOCK}/tip/?district__exact={districts[i % len(districts)]}",
        ),
        Read(
            "Tip list, a facility",
            pages,
            lambda i: f"/tips/?facility={facilities[i % len(facilities)]}",
            lambda i: f"{STOCK}/tip/?facility__id__exact={facilities[i % len(facilities)]}",
        ),
        Read(
            "Tip list, common word",
            pages,
            fixed_url(f"/tips/?q={TIP_WORD}"),
            stock("tip", f"q={TIP_WORD}"),
        ),
        Read(
            "Tip list, newest first",
            pages,
            fixed_url("/tips/?ordering=-received_at"),
            stock("tip", "o=-1"),
        ),
        Read(
            "Tip list, oldest first",
            pages,
            fixed_url("/tips/?ordering=received_at"),
            stock("tip", "o=1"),
        ),
        Read(
            "Tip list, by deadline",
            pages,
            fixed_url("/tips/?ordering=due_on"),
            stock("tip", "o=6"),
        ),
        Read(
            "Tip list, by deadline, latest first",
            pages,
            fixed_url("/tips/?ordering=-due_on"),
            stock("tip", "o=-6"),
        ),
        Read("Tip page", pages, lambda i: f"/tips/{tips[(i * 37) % len(tips)]}/"),
    ]
    return reads


def case_reads(pages: requests.Session) -> list[Read]:
    """Referrals and sanctions: the list and the commonest facility word."""
    return [
        Read("Referral list", pages, fixed_url("/referrals/"), stock("referral")),
        Read(
            f"Referral list, common word {COMMON_WORD}",
            pages,
            fixed_url(f"/referrals/?q={COMMON_WORD}"),
            stock("referral", f"q={COMMON_WORD}"),
        ),
        Read("Sanction list", pages, fixed_url("/sanctions/"), stock("sanction")),
        Read(
            f"Sanction list, common word {COMMON_WORD}",
            pages,
            fixed_url(f"/sanctions/?q={COMMON_WORD}"),
            stock("sanction", f"q={COMMON_WORD}"),
        ),
        Read(
            "Sanction list, sorted by facility",
            pages,
            fixed_url("/sanctions/?ordering=facility"),
            stock("sanction", "o=1"),
        ),
    ]


def later_reads(
    base: str, size: int, pages: requests.Session, sample: dict[str, Any]
) -> list[Read]:
    """The later issues' pages: practitioners, random-check plans, the credit cycle and its
    scorecard, the credit subjects, the public pages (anonymous, from the cache after the
    first) and "my work" of each role. A page whose data is missing is left out (and said)."""
    later = sample.get("later") or {}
    reads: list[Read] = []
    practitioner, cycle = later.get("practitioner"), later.get("cycle")
    assessment, plan = later.get("assessment"), later.get("plan")
    if practitioner:
        reads += [
            Read("Practitioner list", pages, fixed_url("/practitioners/"), stock("practitioner")),
            Read(
                "Practitioner list, commonest surname 示例王",
                pages,
                fixed_url("/practitioners/?q=示例王"),
                stock("practitioner", "q=示例王"),
            ),
            Read(
                "Practitioner list, profession + district",
                pages,
                fixed_url("/practitioners/?profession=pharmacist&district=540102"),
                stock("practitioner", "profession__exact=pharmacist&district__exact=540102"),
            ),
            Read(
                "Practitioner list, sorted by -created_at",
                pages,
                fixed_url("/practitioners/?ordering=-created_at"),
                stock("practitioner", "o=-8"),
            ),
            Read("Practitioner page", pages, fixed_url(f"/practitioners/{practitioner}/")),
        ]
    else:
        log(f"{size:,}: no practitioners, their pages are not measured")
    if plan:
        reads += [
            Read(
                "Random-check plan list",
                pages,
                fixed_url("/random-checks/"),
                stock("randomcheckplan"),
            ),
            Read("Random-check plan page", pages, fixed_url(f"/random-checks/{plan}/")),
        ]
    else:
        log(f"{size:,}: no published random-check plan, its pages are not measured")
    if cycle:
        cycle_url = f"/credit/cycles/{cycle}/"
        of_cycle = f"cycle__id__exact={cycle}"
        reads += [
            Read("Credit cycle list", pages, fixed_url("/credit/")),
            Read("Credit cycle page", pages, fixed_url(cycle_url), stock("assessment", of_cycle)),
            Read(
                "Credit cycle, grade D",
                pages,
                fixed_url(f"{cycle_url}?grade=D"),
                stock("assessment", f"{of_cycle}&grade__exact=D"),
            ),
            Read(
                f"Credit cycle, name word {COMMON_WORD}",
                pages,
                fixed_url(f"{cycle_url}?q={COMMON_WORD}"),
                stock("assessment", f"{of_cycle}&q={COMMON_WORD}"),
            ),
        ]
        for name, column in [("subject_name", 0), ("score", 5), ("grade", 6)]:
            for sign in ("", "-"):
                reads.append(
                    Read(
                        f"Credit cycle, sorted by {sign}{name}",
                        pages,
                        fixed_url(f"{cycle_url}?ordering={sign}{name}"),
                        stock("assessment", f"{of_cycle}&o={sign}{column}"),
                    )
                )
        if assessment:
            reads.append(
                Read(
                    "Scorecard (most deductions)",
                    pages,
                    fixed_url(f"/credit/assessments/{assessment}/"),
                )
            )
        reads.append(Read("Credit objections", pages, fixed_url("/credit/objections/")))
    else:
        log(f"{size:,}: no credit cycle, its pages are not measured")
    reads += [
        Read(
            "Credit institutions",
            pages,
            fixed_url("/credit/subjects/institutions/"),
            stock("creditinstitution"),
        ),
        Read(
            "Insured persons",
            pages,
            fixed_url("/credit/subjects/insured/"),
            stock("insuredperson"),
        ),
    ]
    public = requests.Session()
    reads += [
        Read("Public: home", public, fixed_url("/public/")),
        Read("Public: grades", public, fixed_url("/public/grades/")),
        Read("Public: grades, grade D", public, fixed_url("/public/grades/?grade=D")),
        Read("Public: grades, search 示例", public, fixed_url("/public/grades/?q=示例")),
        Read("Public: D-grade handling", public, fixed_url("/public/d-grade/")),
        Read("Public: sanctions in force", public, fixed_url("/public/sanctions/")),
        Read("Public: random-check plans", public, fixed_url("/public/random-checks/")),
    ]
    if plan:
        reads.append(
            Read("Public: a random-check plan", public, fixed_url(f"/public/random-checks/{plan}/"))
        )
    if not ONLY:
        people = personas(base, size)
        reads += [Read("My work: auditor", pages, fixed_url("/my-work/"))]
        reads += [
            Read(f"My work: {name.replace('_', ' ')}", session, fixed_url("/my-work/"))
            for name, session in people.items()
        ]
    return reads


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


def get(read: Read, base: str, url: str) -> requests.Response | None:
    try:
        # Not following redirects: the admin answers a lookup it refuses with a redirect to
        # ?e=1, which must count as an error, not as the page.
        return read.session.get(base + url, timeout=REQUEST_TIMEOUT, allow_redirects=False)
    except requests.RequestException:
        return None


def measure(targets: dict[int, tuple[str, dict[str, Any]]]) -> dict[int, list[dict[str, Any]]]:
    """Every figure at every size, the sizes and pages taken in turns: request i of a page is
    made at each size one after the other, and after the product's request i of a list, the
    stock admin's request of the same list (every STOCK_REPEAT-th i: a stock page may take
    seconds), so that the machine's changes of speed (it is shared) fall on every size, page
    and side alike and the ratios stay fair."""
    sizes = sorted(targets)
    warm_up = int(WORKERS) + 1  # every worker has compiled the templates and connected
    reads = {
        size: {r.label: r for r in reads_of(targets[size][0], size, targets[size][1])}
        for size in sizes
    }
    labels = [label for label in reads[sizes[0]] if all(label in reads[s] for s in sizes)]
    for size in sizes:
        missing = [label for label in reads[size] if label not in labels]
        if missing:
            log(f"{size:,}: not measured (not at every size): {', '.join(missing)}")
    for size in sizes:
        base = targets[size][0]
        for i in range(warm_up):
            for label in labels:
                read = reads[size][label]
                get(read, base, read.url(i + REPEAT))
                if read.stock is not None and i < 2:
                    get(read, base, read.stock(i + REPEAT))
    writes = (
        []
        if ONLY
        else [
            ("Record an inspection (POST /api/inspections/)", record_inspection, 201),
            ("Change a grade (POST /api/facilities/{id}/grade/)", change_grade, 201),
        ]
    )
    figures = {size: [Figure(label) for label in labels + [w[0] for w in writes]] for size in sizes}
    stock_figures = {size: [Figure(label) for label in labels] for size in sizes}
    every = max(1, REPEAT // STOCK_REPEAT) if STOCK_REPEAT else 0
    for i in range(REPEAT):
        stock_turn = bool(every) and i % every == 0 and i // every < STOCK_REPEAT
        for index, label in enumerate(labels):
            for size in sizes:
                base = targets[size][0]
                read = reads[size][label]
                figures[size][index].add(get(read, base, read.url(i)), 200)
                if stock_turn and read.stock is not None:
                    stock_figures[size][index].add(get(read, base, read.stock(i)), 200)
        if i % 10 == 9:
            log(f"round {i + 1} of {REPEAT}")
    for offset, (_label, write, status) in enumerate(writes):
        index = len(labels) + offset
        for i in range(REPEAT + warm_up):
            for size in sizes:
                base, sample = targets[size]
                response = write(base, sample, i)
                if i >= warm_up:
                    figures[size][index].add(response, status)
    for size in sizes:
        for index, figure in enumerate(figures[size]):
            stock_figure = stock_figures[size][index] if index < len(labels) else None
            compared = ""
            if stock_figure is not None and stock_figure.times:
                compared = (
                    f"  stock p50 {stock_figure.p50:7.1f}  ×{stock_figure.p50 / figure.p50:.1f}"
                )
            log(
                f"{size:>9,} {figure.label:<50} p50 {figure.p50:6.1f}  p95 {figure.p95:6.1f} ms"
                f"  db {statistics.median(figure.db_times) if figure.db_times else 0:5.1f}"
                f"  q {figure.query_count}{compared}"
            )
    results = {}
    for size in sizes:
        rows = []
        for index, figure in enumerate(figures[size]):
            row = figure.as_dict()
            has_stock = index < len(labels) and reads[size][labels[index]].stock is not None
            row["stock"] = stock_figures[size][index].as_dict() if has_stock else None
            rows.append(row)
        results[size] = rows
    return results


# Run in a Django process with the bench's settings (BENCH_PAIRS: JSON [label, ours, stock]):
# whether each stock page selects the rows its product page selects. The counts compared are
# the product paginator's (capped: "more than 1,000") and the stock changelist's result_count;
# and the first row of each, where both sort alike. Prints JSON, one entry per pair.
CHECK_SCRIPT = """
import json, os
import django
django.setup()
from django.contrib.auth.models import User
from django.test import Client
from django.test.utils import setup_test_environment

setup_test_environment()  # responses carry the context they were rendered with
client = Client()
client.force_login(User.objects.get(username=os.environ["BENCH_READER"]))
checked = []
for label, ours, stock in json.loads(os.environ["BENCH_PAIRS"]):
    a, b = client.get(ours), client.get(stock)
    row = {"label": label, "ours_status": a.status_code, "stock_status": b.status_code}
    if a.status_code == 200 and b.status_code == 200:
        # A product page's paginator, or the product admin's changelist.
        mine = a.context.get("cl")
        paginator = mine.paginator if mine is not None else a.context.get("paginator")
        cl = b.context.get("cl")
        if paginator is not None and cl is not None:
            row["ours"] = mine.result_count if mine is not None else paginator.count
            row["ours_capped"] = bool(getattr(paginator, "capped", False))
            row["stock"] = cl.result_count
            ours_rows = list(mine.result_list if mine is not None else a.context["object_list"])
            stock_rows = list(cl.result_list)
            row["same_first"] = bool(ours_rows and stock_rows) and (
                ours_rows[0].pk == stock_rows[0].pk
            )
    checked.append(row)
print(json.dumps(checked))
"""


def check_stock(size: int, reads: list[Read]) -> list[dict[str, Any]]:
    """Whether every stock counterpart selects what its product page selects (BENCH_ONLY=check):
    the same number of rows (to the product's cap), and which sort alike."""
    pairs = [(r.label, r.url(0), r.stock(0)) for r in reads if r.stock is not None]
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "--no-imports", "-c", CHECK_SCRIPT],
        cwd=ROOT,
        env=django_env(
            size,
            DJANGO_SETTINGS_MODULE="bench.stock_settings",
            DJANGO_ALLOWED_HOSTS="testserver",
            BENCH_READER=READER[0],
            BENCH_PAIRS=json.dumps(pairs),
        ),
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    )
    checked = json.loads(result.stdout.strip().splitlines()[-1])
    for row in checked:
        if "ours" not in row:
            verdict = f"HTTP {row['ours_status']} / {row['stock_status']}"
        elif row["ours_capped"]:
            same = row["stock"] > row["ours"]
            verdict = f"ours > {row['ours']:,}, stock {row['stock']:,}" + ("" if same else " ⚠")
        else:
            same = row["stock"] == row["ours"]
            verdict = f"ours {row['ours']:,}, stock {row['stock']:,}" + ("" if same else " ⚠")
        if "same_first" in row:
            verdict += "; same first row" if row["same_first"] else "; first rows differ"
        log(f"{size:>9,} {row['label']:<50} {verdict}")
    return checked


# Bulk regrade ----------------------------------------------------------------------------------

# Run in a Django process on the bench database: the admin action "设定某年度信用等级" as its
# confirmed POST runs it (supervision.admin.actions: the facilities' current grades read first,
# then apply_to_all, BULK_BATCH facilities per transaction, each locked up front and regraded
# by services.set_grade with its rating change and both history rows), for BENCH_BULK_FACILITIES
# facilities spread over the registry, one grade per run of the action: C for those not at C,
# B for the others (so each run changes every one of them, whatever the last run left). Timed
# once; then the rating changes and history rows it wrote are counted. Prints JSON.
BULK_SCRIPT = """
import json, os, time
import django
django.setup()
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone
from supervision import services
from supervision.admin import actions
from supervision.models import CreditRating, Facility, RatingChange

count = int(os.environ["BENCH_BULK_FACILITIES"])
year = int(os.environ["BENCH_BULK_YEAR"])
reason = "基准测试：批量调整信用等级（bench/run.py）"
user, _ = User.objects.get_or_create(
    username="bench-bulk", defaults={"is_superuser": True, "is_staff": True}
)
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM supervision_facility")
    (total,) = cursor.fetchone()
    step = max(1, total // count)
    cursor.execute(
        "SELECT id FROM supervision_facility WHERE id %% %s = 0 ORDER BY id LIMIT %s",
        [step, count],
    )
    ids = [row[0] for row in cursor.fetchall()]
# As confirm_and_run reads the selection: the facilities, by name.
facilities = list(Facility.objects.filter(pk__in=ids).order_by("name", "pk"))
started_at = timezone.now()
started = time.perf_counter()
current = dict(
    CreditRating.objects.filter(facility__in=facilities, year=year).values_list(
        "facility_id", "grade"
    )
)
done = failures = 0
first_failure = None
budget = float(os.environ["BENCH_BULK_BUDGET"])
stopped = False
for grade in ("C", "B"):
    group = [f for f in facilities if (current.get(f.pk) == "C") == (grade == "B")]

    def apply_one(facility, grade=grade):
        services.set_grade(
            facility=facility, year=year, grade=grade, reason=reason, user=user, score=None
        )
        return True

    # In parts of 1,000 (each in the action's batches) so that a run far over its budget stops.
    for start in range(0, len(group), 1000):
        if time.perf_counter() - started > budget:
            stopped = True
            break
        outcome = actions.apply_to_all(
            group[start : start + 1000],
            apply_one,
            before=lambda batch: services.lock_for_grade_changes(batch, year),
        )
        done += len(outcome.done)
        failures += len(outcome.failures)
        if outcome.failures and first_failure is None:
            first_failure = outcome.failures[0][1]
seconds = time.perf_counter() - started
changes = RatingChange.objects.filter(reason=reason, changed_at__gte=started_at)
history = {
    "rating_changes": changes.count(),
    "rating_history": CreditRating.history.filter(
        history_date__gte=started_at, history_change_reason=reason, facility_id__in=ids
    ).count(),
    "rating_change_history": RatingChange.history.filter(
        history_date__gte=started_at, history_change_reason=reason
    ).count(),
}
print(json.dumps({
    "facilities": len(facilities), "done": done, "failures": failures,
    "first_failure": first_failure, "seconds": round(seconds, 2), "year": year,
    "stopped": stopped,
    "batch": actions.BULK_BATCH, **history,
}))
"""


def bulk_regrade(size: int) -> dict[str, Any]:
    """The admin's bulk grade change of BULK_FACILITIES facilities, timed once (its history
    checked): the figure of the issue's "bulk regrade of 10,000 facilities with history"."""
    count = min(BULK_FACILITIES, size)
    log(f"bulk regrade of {count:,} facilities at {size:,}")
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "--no-imports", "-c", BULK_SCRIPT],
        cwd=ROOT,
        env=django_env(
            size,
            BENCH_BULK_FACILITIES=str(count),
            BENCH_BULK_YEAR=str(BULK_YEAR),
            BENCH_BULK_BUDGET=str(BULK_BUDGET_S),
        ),
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    log(
        f"bulk regrade at {size:,}: {figures['done']:,} of {figures['facilities']:,} in "
        f"{figures['seconds']} s, {figures['failures']} refused; rating changes "
        f"{figures['rating_changes']:,}, history rows {figures['rating_history']:,} + "
        f"{figures['rating_change_history']:,}"
    )
    return figures


# Export ----------------------------------------------------------------------------------------

EXPORT_FIGURES = {
    "first_byte_s": re.compile(r"time to first byte\s+([\d.]+) s"),
    "total_s": re.compile(r"total time\s+([\d.]+) s"),
    "rows": re.compile(r"rows\s+([\d,]+)"),
    "size_mb": re.compile(r"size\s+([\d.]+) MB"),
    "rss_before_mb": re.compile(r"worker RSS\s+([\d.]+) MB before"),
    "rss_peak_mb": re.compile(r"([\d.]+) MB at peak"),
}


def export(size: int) -> dict[str, Any]:
    """The CSV export of every facility, as bench/export.py streams it through gunicorn (its own
    server, gthread workers as `make serve`): time, rows and the worker's memory."""
    log(f"CSV export of {size:,} facilities (bench/export.py)")
    result = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "export.py")],
        cwd=ROOT,
        env={**os.environ, "BENCH_EXPORT_SIZE": str(size), "BENCH_EXTRAS": "0"},
        check=False,
        text=True,
        stdout=subprocess.PIPE,
    )
    print(result.stdout, end="", flush=True)
    figures: dict[str, Any] = {"size": size, "cut": "CUT SHORT" in result.stdout}
    for name, pattern in EXPORT_FIGURES.items():
        found = pattern.search(result.stdout)
        figures[name] = found.group(1).replace(",", "") if found else None
    if result.returncode != 0:
        figures["error"] = f"exit {result.returncode}"
    return figures


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
    lines += ratio_lines(results)
    lines += later_data_lines(results)
    lines += bulk_lines(results)
    lines += export_lines(results)
    if not any(results[s].get("load") for s in sizes):
        return "\n".join([*lines, END])
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


def ratio_lines(results: dict[int, dict[str, Any]]) -> list[str]:
    """Per size, every list beside the stock admin's: server time (Server-Timing `app`, the
    same middleware on both), client time, queries, and stock p50 ÷ ours p50."""
    lines = [
        "Against a stock Django admin (bench/stock_admin.py: plain `ModelAdmin`s with the same "
        "columns, filters and search, Django's paginator with its full count, served by the "
        f"same server at /stock-admin/), the same data, the same run: {REPEAT} requests of "
        f"ours, {min(STOCK_REPEAT, REPEAT)} of the stock page spread among them, taken in "
        "turns. Server time in ms (client time: requests' elapsed on the loopback); ratio = "
        f"stock p50 ÷ ours p50; ⚠ under {RATIO_TARGET}×, or ours over {TARGET_MS} ms at p95.",
        "",
    ]
    for size in sorted(results):
        rows = [f for f in results[size]["figures"] if f.get("stock")]
        if not rows:
            continue
        under = sum(1 for f in rows if not f["p50"] or f["stock"]["p50"] / f["p50"] < RATIO_TARGET)
        lines += [
            f"{size:,} facilities: {len(rows)} lists, {under} under {RATIO_TARGET}×.",
            "",
            "| list | ours p50 | ours p95 | stock p50 | stock p95 | ratio | ours client p50 "
            "| stock client p50 | queries ours / stock |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for f in rows:
            theirs = f["stock"]
            ratio = theirs["p50"] / f["p50"] if f["p50"] and theirs["n"] else float("nan")
            flag = "" if ratio >= RATIO_TARGET else " ⚠"
            slow = " ⚠" if f["p95"] > TARGET_MS else ""
            errors = []
            if f["errors"]:
                errors.append(f"{f['errors']} errors")
            if theirs["errors"]:
                errors.append(f"stock: {theirs['errors']} errors")
            note = f" ({', '.join(errors)})" if errors else ""
            lines.append(
                f"| {f['label']}{note} | {ms(f['p50'])} | {ms(f['p95'])}{slow} | "
                f"{ms(theirs['p50'])} | {ms(theirs['p95'])} | {ratio:.1f}×{flag} | "
                f"{ms(f['client_p50'])} | {ms(theirs['client_p50'])} | "
                f"{f['queries']} / {theirs['queries']} |"
            )
        lines.append("")
    return lines


def later_data_lines(results: dict[int, dict[str, Any]]) -> list[str]:
    lines = []
    for size in sorted(results):
        made = results[size].get("made") or {}
        parts = []
        if "practitioners_seconds" in made:
            parts.append(f"practitioners generated in {made['practitioners_seconds']} s")
        if "credit_seconds" in made:
            parts.append(f"the 2025 credit cycles opened and scored in {made['credit_seconds']} s")
        if parts:
            lines.append(f"Data made for the later issues' pages at {size:,}: {'; '.join(parts)}.")
    return [*lines, ""] if lines else []


def bulk_lines(results: dict[int, dict[str, Any]]) -> list[str]:
    rows = [(size, results[size]["bulk"]) for size in sorted(results) if results[size].get("bulk")]
    if not rows:
        return []
    lines = [
        "Bulk regrade through the admin action's path (supervision.admin.actions.apply_to_all "
        f"with services.set_grade, the action's batches; grades of {BULK_YEAR}), timed once; "
        f"the rows it wrote counted afterwards. Target ≤ {BULK_TARGET_S} s.",
        "",
        "| size | facilities | regraded | refused | seconds | rating changes | rating history "
        "| change history |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, b in rows:
        seconds = f"{b['seconds']}"
        if b.get("stopped") and b["done"]:
            projected = b["seconds"] * b["facilities"] / b["done"]
            seconds += f" (stopped after BENCH_BULK_BUDGET; all: ~{projected:.0f})"
        flag = " ⚠" if b["seconds"] > BULK_TARGET_S or b.get("stopped") else ""
        complete = b["rating_changes"] == b["rating_history"] == b["done"]
        lines.append(
            f"| {size:,} | {b['facilities']:,} | {b['done']:,} | {b['failures']} | "
            f"{seconds}{flag} | {b['rating_changes']:,} | {b['rating_history']:,} | "
            f"{b['rating_change_history']:,}{'' if complete else ' ⚠ missing history'} |"
        )
    return [*lines, ""]


def export_lines(results: dict[int, dict[str, Any]]) -> list[str]:
    lines = []
    for size in sorted(results):
        e = results[size].get("export")
        if not e:
            continue
        if e.get("error") or e.get("total_s") is None:
            lines.append(f"CSV export of {size:,} facilities: failed ({e.get('error', '?')}).")
            continue
        rows = int(e["rows"]) if e.get("rows") else 0
        lines.append(
            f"CSV export of every facility ({size:,}, bench/export.py, streamed by a gthread "
            f"worker): first byte after {e['first_byte_s']} s, {rows:,} rows "
            f"({e['size_mb']} MB) in {e['total_s']} s; the worker's memory {e['rss_before_mb']} "
            f"MB before, {e['rss_peak_mb']} MB at its peak"
            + (" — CUT SHORT" if e.get("cut") else "")
            + "."
        )
    return [*lines, ""] if lines else []


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
    try:
        if ONLY != "bulk":
            measure_all(results)
    finally:
        for size in SIZES:
            if (results[size].get("made") or {}).get("credit_made") and not KEEP_CREDIT:
                remove_credit(size)
    if ONLY in ("", "bulk"):
        for size in SIZES:
            results[size]["bulk"] = bulk_regrade(size)
    if not ONLY:
        results[max(SIZES)]["export"] = export(max(SIZES))
    for size, info in results.items():
        info.pop("token", None)
        name = f"{ONLY}-{size}" if ONLY else f"results-{size}"
        (OUT / f"{name}.json").write_text(json.dumps(info, indent=1, default=str))
    if ONLY == "check":
        return
    if ONLY:
        lines = ratio_lines(results) if ONLY == "ratios" else bulk_lines(results)
        text = "\n".join(lines)
        (OUT / f"{ONLY}.md").write_text(text + "\n")
        print(text)
        log(f"written to {OUT / f'{ONLY}.md'} (bench/RESULTS.md is left as it was)")
        return
    block = report(results)
    write_results(block)
    print(block)


def measure_all(results: dict[int, dict[str, Any]]) -> None:
    """Both servers up: the pages (and the writes, then the load, unless BENCH_ONLY)."""
    with ExitStack() as stack:
        bases = {size: stack.enter_context(server(size)) for size in SIZES}
        if ONLY == "check":
            for size in SIZES:
                reads = reads_of(bases[size], size, results[size])
                results[size]["check"] = check_stock(size, reads)
            return
        # Other work on the machine inflates every figure: the load average says how much.
        load_before = os.getloadavg()[0]
        figures = measure({size: (bases[size], results[size]) for size in SIZES})
        load_average = round((load_before + os.getloadavg()[0]) / 2, 1)
        for size in SIZES:
            info = results[size]
            info.pop("_api", None)  # a session, not data
            info["figures"] = figures[size]
            info["loadavg"] = load_average
            if LOAD_SECONDS > 0 and not ONLY:
                sign_in_users(bases[size], info, size)
                info["load"] = load(bases[size], size)
                log(
                    f"load at {size:,}: {info['load']['requests']:,} requests, "
                    f"{info['load']['failures']} failures, p95 {info['load']['p95']:.0f} ms, "
                    f"writes acknowledged {info['load']['writes_acked']}, "
                    f"found {info['load']['writes_found']}"
                )


if __name__ == "__main__":
    main()
