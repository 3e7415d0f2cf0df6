"""Throwaway servers for the fault tests: a PostgreSQL cluster of our own (never the shared one,
which others use) and the production server, gunicorn as `make serve` runs it.

The cluster runs as the `postgres` OS user when we are root (initdb refuses root), as ourselves
otherwise. Both are stopped, and the cluster's files removed, by the context managers whatever
happens inside them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
ROLE = "supervision"
PASSWORD = "supervision"
DATABASE = "supervision"
SECRET_KEY = "faults-only-secret-key-" + "x" * 40


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's programs (Debian's layout; .ci/postgres.sh installs)."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda path: int(path.parent.parent.name),
    )
    if not versions:
        raise RuntimeError("PostgreSQL is not installed: run `bash .ci/postgres.sh` as root")
    return versions[-1].parent


def run(command: list[str], **kwargs) -> str:
    """Run a program to its end; its output, or an error that shows what it said."""
    result = subprocess.run(  # noqa: S603 - our own programs and arguments
        command, capture_output=True, text=True, check=False, **kwargs
    )
    if result.returncode:
        said = (result.stdout + result.stderr)[-3000:]
        raise RuntimeError(f"{' '.join(command[:4])}… failed ({result.returncode}):\n{said}")
    return result.stdout


def as_cluster_owner() -> list[str]:
    """The command prefix that runs a PostgreSQL program as the cluster's owner."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@dataclass
class Cluster:
    """One PostgreSQL cluster in a temporary directory, listening on 127.0.0.1:port."""

    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "postgres.log"

    def url(self, database: str = DATABASE) -> str:
        return f"postgres://{ROLE}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def run(self, program: str, *args: str) -> str:
        return run([*as_cluster_owner(), str(postgres_bin() / program), *args], cwd=self.directory)

    def pg_ctl(self, *args: str) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", *args)

    def start(self) -> None:
        try:
            self.pg_ctl("start")
        except RuntimeError as error:  # e.g. the port taken by a cluster an earlier run left
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{error}\n{log}") from error

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("stop", "-m", mode)

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run SQL as the superuser, over the cluster's own socket."""
        return self.run(
            "psql", "-h", str(self.directory), "-p", str(self.port), "-d", database,
            "-v", "ON_ERROR_STOP=1", "-qAt", "-c", statement,
        )  # fmt: skip

    def connect(self) -> psycopg.Connection:
        """A connection as the application's role, for looking at what the server wrote."""
        return psycopg.connect(self.url(), autocommit=True)


@contextmanager
def postgres_cluster(port: int, template: Path | None = None) -> Iterator[Cluster]:
    """A running cluster, stopped and deleted afterwards: a copy of template (a stopped
    cluster's data directory, prepared_data()), or a fresh one with the application's role and
    empty database (pg_trgm created by the superuser: the role is not one)."""
    directory = Path(tempfile.mkdtemp(prefix=f"faults-pg{port}-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    cluster = Cluster(directory, port)
    try:
        if template is not None:
            copy_tree(template, cluster.data)
        else:
            cluster.run(
                "initdb", "-D", str(cluster.data), "-U", "postgres", "-E", "UTF8",
                "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256",
            )  # fmt: skip
        with (cluster.data / "postgresql.conf").open("a") as conf:
            # The last setting of a name wins: a template's own lines are overridden.
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {port}\n"
                f"unix_socket_directories = '{directory}'\nmax_connections = 100\n"
            )
        cluster.start()
        if template is None:
            cluster.sql(f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{PASSWORD}'")
            cluster.sql(f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
            cluster.sql("CREATE EXTENSION pg_trgm", DATABASE)
        yield cluster
    finally:
        if cluster.running():
            with suppress(RuntimeError):
                cluster.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)


def copy_tree(source: Path, target: Path) -> None:
    """Copy a data directory with its owner and modes (PostgreSQL insists on both)."""
    run(["cp", "-a", str(source), str(target)])


# --- The prepared database --------------------------------------------------------------------

CACHE = Path(tempfile.gettempdir()) / "supervision-faults"
GENERATE = ("--facilities=2000", "--inspections=4000", "--years=3", "--seed=1", "--quiet")
# A supervisor writes through the API with a token (no second factor for a token); an auditor
# reads the pages signed in (no second factor required of the role).
WRITER = "faults-writer"
READER = ("faults-reader", "Faults-reader-2024!x")
ACCOUNTS = (
    "from django.contrib.auth.models import Group, User\n"
    f"r = User.objects.create_user({READER[0]!r}, password={READER[1]!r}, is_staff=True)\n"
    "r.groups.set([Group.objects.get(name='auditor')])\n"
    f"w = User.objects.create_user({WRITER!r})\n"
    "w.groups.set([Group.objects.get(name='supervisor')])\n"
)


def prepared_data(port: int) -> Path:
    """A stopped cluster's data directory: migrated, with generated data (2,000 facilities) and
    the two accounts. Migrating takes minutes, so it is built once per version of the
    migrations and kept in the temporary directory; the tests start copies of it."""
    digest = hashlib.sha256(repr((GENERATE, ACCOUNTS, str(postgres_bin()))).encode())
    sources = sorted((ROOT / "supervision" / "migrations").glob("*.py"))
    for path in [*sources, ROOT / "supervision/management/commands/generate_data.py"]:
        digest.update(path.name.encode() + path.read_bytes())
    target = CACHE / digest.hexdigest()[:16]
    if (target / "PG_VERSION").exists():
        return target
    CACHE.mkdir(exist_ok=True)
    with postgres_cluster(port) as cluster:
        env = django_env(cluster, cluster.directory / "app")
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "generate_data", *GENERATE)
        manage(env, "shell", "-c", ACCOUNTS)
        manage(env, "api_token", "issue", WRITER)
        cluster.stop()
        staging = CACHE / f"{target.name}.{os.getpid()}"
        copy_tree(cluster.data, staging)
        try:
            staging.rename(target)
        except OSError:  # another run finished first
            shutil.rmtree(staging, ignore_errors=True)
    for outdated in CACHE.iterdir():  # made before the migrations last changed
        if outdated != target and len(outdated.name) == len(target.name):
            shutil.rmtree(outdated, ignore_errors=True)
    return target


def writer_token(cluster: Cluster) -> str:
    with cluster.connect() as conn:
        row = conn.execute(
            "SELECT t.key FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id "
            "WHERE u.username = %s",
            [WRITER],
        ).fetchone()
    return row[0]


# --- The application --------------------------------------------------------------------------


def django_env(cluster: Cluster, data_dir: Path, **extra: str) -> dict[str, str]:
    """The production settings (DEBUG off, hashed static files) on the cluster."""
    env = {
        **os.environ,
        "DATABASE_URL": cluster.url(),
        "DATABASE_REPLICA_URL": "",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain HTTP on the loopback: no redirect to HTTPS, cookies without the Secure flag.
        "DJANGO_HTTPS": "false",
        "DJANGO_STATIC_MANIFEST": "true",
        "DJANGO_DATA_DIR": str(data_dir),
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    return run([PYTHON, "manage.py", *args], cwd=ROOT, env=env)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """gunicorn's master process and the address it answers on."""

    process: subprocess.Popen
    base: str
    log: Path

    def workers(self) -> list[int]:
        """The worker processes: the master's children."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return sorted(children)

    def worker_in_a_write(self, conn: psycopg.Connection) -> int | None:
        """A worker whose database session is, right now, inside a transaction that has
        written something (PostgreSQL gave it a transaction id) and not committed; or None."""
        ports = {
            row[0]
            for row in conn.execute(
                "SELECT client_port FROM pg_stat_activity WHERE backend_xid IS NOT NULL "
                "AND datname = current_database() AND pid <> pg_backend_pid()"
            )
        }
        owners = socket_owners(self.workers())
        return next((owners[port] for port in ports if port in owners), None)

    def answers(self) -> bool:
        try:
            return requests.get(f"{self.base}/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def wait_until_answering(self, seconds: float) -> float:
        """Seconds until /healthz answered 200 (an error after `seconds`)."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped:\n{self.log.read_text()[-3000:]}")
            if self.answers():
                return time.monotonic() - started
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer:\n{self.log.read_text()[-3000:]}")


def socket_owners(pids: list[int]) -> dict[int, int]:
    """{local TCP port: pid} of the processes' sockets (/proc: a database session's
    client_port leads to the worker holding it)."""
    inodes: dict[str, int] = {}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue  # closed meanwhile
            if target.startswith("socket:["):
                inodes[target[len("socket:[") : -1]] = pid
    owners = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                owners[int(fields[1].rsplit(":", 1)[1], 16)] = inodes[fields[9]]
    return owners


@contextmanager
def gunicorn(
    env: dict[str, str], log: Path, workers: int = 3, threads: int = 4
) -> Iterator[Server]:
    """The server as `make serve` starts it (threaded workers), on a free port; stopped after."""
    manage(env, "collectstatic", "--noinput", "-v0")
    port = free_port()
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 - our own arguments
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "supervision.wsgi:application",
                "--bind", f"127.0.0.1:{port}",
                "--workers", str(workers),
                "--worker-class", "gthread",
                "--threads", str(threads),
                "--timeout", "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        server.wait_until_answering(60)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class Site:
    """The cluster, the server on it, and the environment its commands run in."""

    cluster: Cluster
    server: Server
    env: dict[str, str]

    def totals_check(self) -> str:
        """rebuild_tallies' verdict on what the triggers keep (the overview's totals, each
        facility's current grade): it recounts them from the rows and says how many differed."""
        return " ".join(manage(self.env, "rebuild_tallies").split())


@contextmanager
def site(port: int, workers: int = 3, threads: int = 4) -> Iterator[Site]:
    """A copy of the prepared database on its own cluster, served by gunicorn."""
    with postgres_cluster(port, prepared_data(port)) as cluster:
        env = django_env(cluster, cluster.directory / "app")
        log = cluster.directory / "gunicorn.log"
        with gunicorn(env, log, workers=workers, threads=threads) as server:
            yield Site(cluster, server, env)
