"""The database side of a backup, per engine: a consistent snapshot of a running database and
what it holds (rows per table, migrations, the stored files its rows name), and its load into an
empty database."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.files.storage import FileSystemStorage
from django.db import DatabaseError, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.client import DatabaseClient
from django.db.migrations.loader import MigrationLoader

from supervision.backups.archive import BackupError

DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# pg_restore -l lines to leave out: the comment of an extension is its owner's to set, and the
# extensions (pg_trgm) belong to the superuser who put them into template1, not to our role.
_SKIPPED_TOC = re.compile(r"^\d+; \d+ \d+ COMMENT - EXTENSION ")


@dataclass(frozen=True)
class FileColumn:
    """A column holding the names of stored files, and the column of their SHA-256 if any."""

    table: str
    column: str
    checksum: str | None


@dataclass
class Snapshot:
    """What the database snapshot holds, read from the snapshot itself."""

    engine: str
    path: Path
    server_version: str
    tables: dict[str, int]
    migrations: dict[str, list[str]]
    # stored file name -> the SHA-256 its row records ("" when its table keeps none)
    referenced: dict[str, str]


def file_columns() -> list[FileColumn]:
    """Every column of a stored file (Evidence.file, ImportJob.file), with the table's sha256
    column when it has one. History tables keep the name as plain text: they are left out."""
    columns = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        names = {f.name: f for f in model._meta.concrete_fields}
        checksum = names.get("sha256")
        for candidate in names.values():
            if isinstance(candidate, models.FileField):
                columns.append(
                    FileColumn(
                        model._meta.db_table,
                        candidate.column,
                        checksum.column if checksum is not None else None,
                    )
                )
    return columns


def check_storage(media_root: Path) -> None:
    """Every file field keeps its files under media_root: files kept elsewhere (object storage)
    are that storage's to back up, and a copy of media_root would silently miss them."""
    for model in apps.get_models():
        for candidate in model._meta.concrete_fields:
            if not isinstance(candidate, models.FileField):
                continue
            storage = candidate.storage
            if not isinstance(storage, FileSystemStorage):
                raise BackupError(
                    f"{model._meta.label}.{candidate.name} keeps its files in "
                    f"{type(storage).__name__}, not in DJANGO_MEDIA_ROOT: back that storage up "
                    "with its own tools; this command copies a folder."
                )
            if Path(storage.location).resolve() != media_root.resolve():
                raise BackupError(
                    f"{model._meta.label}.{candidate.name} keeps its files in "
                    f"{storage.location}, not in {media_root}."
                )


def known_migrations() -> set[str]:
    """app.name of every migration of this release, and of those its squashed ones replace."""
    loader = MigrationLoader(None, ignore_no_migrations=True, load=True)
    known = set()
    for key, migration in loader.disk_migrations.items():
        known.add(".".join(key))
        known.update(".".join(replaced) for replaced in migration.replaces)
    return known


def _quote_sqlite(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_state(
    cursor: Any, tables: Sequence[str], quote: Callable[[str], str]
) -> tuple[dict[str, int], dict[str, list[str]], dict[str, str]]:
    """Rows per table, migrations applied and stored files named, read through cursor (a DB-API
    cursor inside the snapshot)."""
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (introspected names)
        counts[table] = int(cursor.fetchone()[0])
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in counts:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        for app, name in cursor.fetchall():
            migrations.setdefault(app, []).append(name)
    return counts, migrations, stored_files(cursor, counts, quote)


def stored_files(
    cursor: Any, tables: Collection[str], quote: Callable[[str], str]
) -> dict[str, str]:
    """Stored file name -> the SHA-256 its row records ("" when its table keeps none), of every
    row of the file columns among tables."""
    named: dict[str, str] = {}
    for column in file_columns():
        if column.table not in tables:
            continue
        name = quote(column.column)
        checksum = quote(column.checksum) if column.checksum else "''"
        cursor.execute(
            f"SELECT {name}, {checksum} FROM {quote(column.table)} "  # noqa: S608 (model names)
            f"WHERE {name} IS NOT NULL AND {name} <> ''"
        )
        for stored, recorded in cursor.fetchall():
            named[stored] = recorded or ""
    return named


def _snapshot_sqlite(connection: BaseDatabaseWrapper, work: Path) -> Snapshot:
    """SQLite's online backup in one step: a read transaction for its length, so a consistent
    copy while others write (WAL lets them go on)."""
    path = work / DATABASE_MEMBERS["sqlite"]
    own = connection.copy()
    try:
        own.ensure_connection()
        with contextlib.closing(sqlite3.connect(path)) as target, own.wrap_database_errors:
            own.connection.backup(target)
            # A file of its own, without a -wal beside it.
            target.execute("PRAGMA journal_mode=DELETE")
    finally:
        own.close()
    with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as copy:
        cursor = copy.cursor()
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts, migrations, referenced = read_state(cursor, tables, _quote_sqlite)
    return Snapshot("sqlite", path, sqlite3.sqlite_version, counts, migrations, referenced)


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client programs (Debian: "
            "postgresql-client), of the server's major version or newer."
        )
    return path


def pg_command(
    program: str, settings_dict: dict[str, Any], *options: str
) -> tuple[list[str], dict[str, str]]:
    """program's command line and environment for the database of settings_dict: the password
    and TLS settings in the environment (as Django's dbshell passes them), never in the
    arguments."""
    _, env = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    args = [_program(program)]
    for flag, key in (("--username", "USER"), ("--host", "HOST"), ("--port", "PORT")):
        if settings_dict.get(key):
            args.append(f"{flag}={settings_dict[key]}")
    if settings_dict.get("NAME"):
        args.append(f"--dbname={settings_dict['NAME']}")
    return [*args, *options], {**os.environ, **(env or {})}


def _run(command: tuple[list[str], dict[str, str]], what: str) -> str:
    args, env = command
    done = subprocess.run(  # noqa: S603 (the PostgreSQL tools, arguments built here)
        args, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def _snapshot_postgresql(connection: BaseDatabaseWrapper, work: Path) -> Snapshot:
    """pg_dump of a snapshot exported by a repeatable-read transaction, which meanwhile counts
    the rows and reads the file names: the manifest describes exactly what the dump holds."""
    path = work / DATABASE_MEMBERS["postgresql"]
    own = connection.copy()
    try:
        own.ensure_connection()
        own.set_autocommit(False)
        with own.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot_id, server_version = cursor.fetchone()
            _run(
                pg_command(
                    "pg_dump",
                    own.settings_dict,
                    "--format=custom",
                    f"--snapshot={snapshot_id}",
                    f"--file={path}",
                ),
                "pg_dump",
            )
            tables = own.introspection.table_names(cursor)
            counts, migrations, referenced = read_state(cursor, tables, own.ops.quote_name)
        own.rollback()
    finally:
        own.close()
    return Snapshot("postgresql", path, server_version, counts, migrations, referenced)


def snapshot_database(connection: BaseDatabaseWrapper, work: Path) -> Snapshot:
    if connection.in_atomic_block:
        raise BackupError("A backup cannot run inside a transaction (it would miss its writes).")
    if connection.vendor == "sqlite":
        return _snapshot_sqlite(connection, work)
    if connection.vendor == "postgresql":
        return _snapshot_postgresql(connection, work)
    raise BackupError(f"Backups of {connection.vendor} databases are not supported.")


def _load_sqlite(dump: Path, connection: BaseDatabaseWrapper) -> None:
    """SQLite's backup API the other way: the whole file in one step, in one transaction."""
    connection.ensure_connection()
    with (
        contextlib.closing(sqlite3.connect(f"{dump.as_uri()}?mode=ro", uri=True)) as source,
        connection.wrap_database_errors,
    ):
        source.backup(connection.connection)


def _load_postgresql(dump: Path, connection: BaseDatabaseWrapper, work: Path) -> None:
    """pg_restore in one transaction (all or nothing), objects owned by the restoring role; then
    ANALYZE, since a restore carries no planner statistics."""
    listing = _run(([_program("pg_restore"), "--list", str(dump)], dict(os.environ)), "pg_restore")
    kept = work / "restore.list"
    kept.write_text(
        "\n".join(line for line in listing.splitlines() if not _SKIPPED_TOC.match(line)) + "\n"
    )
    command = pg_command(
        "pg_restore",
        connection.settings_dict,
        "--no-owner",
        "--no-acl",
        "--exit-on-error",
        "--single-transaction",
        f"--use-list={kept}",
        str(dump),
    )
    _run(command, "pg_restore (the database was left as it was)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def load_database(dump: Path, connection: BaseDatabaseWrapper, work: Path) -> None:
    """Load the dump into the empty database of connection, all or nothing."""
    try:
        if connection.vendor == "sqlite":
            _load_sqlite(dump, connection)
        else:
            _load_postgresql(dump, connection, work)
    except DatabaseError as exc:
        raise BackupError(
            f"The database could not be loaded, and was left as it was: {exc}"
        ) from exc
