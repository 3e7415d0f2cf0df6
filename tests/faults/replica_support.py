"""What the replica and SQLite fault tests stand on: throwaway PostgreSQL clusters run as the
postgres OS user, the application served by gunicorn as `make serve` serves it, and signed-in
browsers.

Kept apart from tests/faults/servers.py (the restart and worker-kill tests) on purpose: each
fault test file can change its servers without breaking another's.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
PG_ROOT = Path("/usr/lib/postgresql")
# The variables a test's server must not inherit from the shell that runs pytest.
INHERITED_OUT = (
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "DJANGO_CACHE_URL",
    "DJANGO_SERVER_TIMING",
    "DJANGO_SETTINGS_MODULE",
)


# PostgreSQL -----------------------------------------------------------------------------------


def pg_bin() -> Path:
    """The newest installed PostgreSQL's binaries (Debian's layout, as .ci/postgres.sh installs)."""
    versions = sorted(
        (p for p in PG_ROOT.glob("*/bin") if (p / "pg_ctl").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not versions:
        raise RuntimeError(
            "No PostgreSQL under /usr/lib/postgresql: run `bash .ci/postgres.sh` (as root) first"
        )
    return versions[-1]


def as_postgres(args: Sequence[str]) -> list[str]:
    """args run as the postgres OS user when we are root (PostgreSQL refuses to run as root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return list(args)


def postgres_owned_dir(prefix: str) -> Path:
    """A new temporary folder the postgres user owns (initdb creates its data folders in it)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    path.chmod(0o755)
    return path


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@dataclass
class Cluster:
    """One PostgreSQL cluster: its data folder, port and log; sockets in its parent folder."""

    data: Path
    port: int

    @property
    def log(self) -> Path:
        return self.data.parent / f"{self.data.name}.log"

    def pg(self, tool: str, *args: str, env: dict[str, str] | None = None) -> str:
        """Run a PostgreSQL program as the postgres user; its output (raises on failure)."""
        result = subprocess.run(  # noqa: S603 (PostgreSQL's programs, our arguments)
            as_postgres([str(pg_bin() / tool), *args]),
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def start(self) -> None:
        if not port_is_free(self.port):
            raise RuntimeError(f"port {self.port} is taken: a cluster left by an earlier run?")
        self.pg("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log))

    def stop(self, mode: str = "fast") -> None:
        self.pg("pg_ctl", "stop", "-w", "-t", "60", "-m", mode, "-D", str(self.data))

    def running(self) -> bool:
        result = subprocess.run(  # noqa: S603 (PostgreSQL's pg_ctl, our arguments)
            as_postgres([str(pg_bin() / "pg_ctl"), "status", "-D", str(self.data)]),
            capture_output=True,
            check=False,
        )
        return result.returncode == 0

    def sql(self, query: str, database: str = "postgres") -> str:
        """One statement as the superuser over the cluster's socket; its rows, tab-separated."""
        out = self.pg(
            "psql",
            "-X",
            "-q",
            "-A",
            "-t",
            "-F",
            "\t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.data.parent),
            "-p",
            str(self.port),
            "-d",
            database,
            "-c",
            query,
        )
        return out.strip()


def wait_until(condition, timeout: float, what: str, interval: float = 0.2):
    """condition()'s first truthy answer within timeout seconds; else an AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        answer = condition()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(interval)


# The application --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a production-style run (DEBUG off, plain HTTP on 127.0.0.1)."""
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_OUT}
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="faults-test-secret-key-not-for-production-" + "x" * 20,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # Served over plain HTTP to the test's own clients: no secure-only cookies, no redirect.
        DJANGO_HTTPS="false",
        DJANGO_DATA_DIR=str(data_dir),
        DJANGO_TASKS_IMMEDIATE="false",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 1800) -> str:
    """`python manage.py ARGS` in env; its output (raises with the output on failure)."""
    result = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def makefile_value(name: str) -> str:
    """A plain `NAME ?= value` of the Makefile (THREADS), so the test serves as `make serve`."""
    for line in (ROOT / "Makefile").read_text().splitlines():
        key, sep, value = line.partition("?=")
        if sep and key.strip() == name:
            return value.strip()
    raise KeyError(name)


def serve_workers() -> int:
    """`make serve`'s worker count: WORKERS ?= nproc * 2 + 1."""
    return (os.cpu_count() or 1) * 2 + 1


@contextmanager
def gunicorn(
    env: dict[str, str], log: Path, *, workers: int, threads: int
) -> Iterator[tuple[str, subprocess.Popen]]:
    """The application as `make serve` runs it (gthread workers) on a free port, its output in
    log; (base URL, process). Stopped, with its whole process group, at the end."""
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 (the venv's gunicorn, fixed arguments)
            [
                GUNICORN,
                "supervision.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(threads),
                "--access-logfile",
                "-",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:

        def answers() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped:\n{log.read_text()[-3000:]}")
            try:
                return requests.get(f"{base}/healthz", timeout=5).status_code == 200
            except requests.RequestException:
                return False

        wait_until(answers, 120, "gunicorn answering /healthz", interval=0.5)
        yield base, process
    finally:
        stop_process_group(process)


def stop_process_group(process: subprocess.Popen) -> None:
    """SIGTERM to the group process leads (it started a new session), SIGKILL after 30 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def sign_in(base: str, username: str, password: str) -> requests.Session:
    """A browser signed in through the sign-in form (its session and CSRF cookies)."""
    browser = requests.Session()
    browser.get(f"{base}/accounts/login/", timeout=30).raise_for_status()
    answer = browser.post(
        f"{base}/accounts/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": browser.cookies.get("csrftoken", ""),
        },
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in of {username} refused ({answer.status_code})")
    return browser


def post_form(browser: requests.Session, base: str, path: str, data: dict) -> requests.Response:
    """A form POST as the browser sends it: its CSRF token and a same-origin Referer."""
    return browser.post(
        f"{base}{path}",
        data={**data, "csrfmiddlewaretoken": browser.cookies.get("csrftoken", "")},
        headers={"Referer": f"{base}{path}"},
        allow_redirects=False,
        timeout=60,
    )


def percentile(values: Sequence[float], share: float) -> float:
    """The share-th quantile (0.5, 0.95) of values, nearest rank; 0 for none."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, round(share * (len(ranked) - 1)))]


def describe_ms(values: Sequence[float]) -> str:
    """p50, p95 and max of latencies in seconds, in milliseconds."""
    if not values:
        return "no requests"
    return (
        f"p50 {percentile(values, 0.5) * 1000:.0f} ms, p95 {percentile(values, 0.95) * 1000:.0f} "
        f"ms, max {max(values) * 1000:.0f} ms, mean {statistics.fmean(values) * 1000:.0f} ms"
    )
