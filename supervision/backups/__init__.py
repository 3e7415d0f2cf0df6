"""Backups of the database and the evidence files together, taken while the application runs,
and their restore into an empty database (`manage.py backup`, `manage.py restore`).

One uncompressed tar archive (the files are mostly PDFs and photos, already compressed):

    database.sqlite3 | database.pgdump   a consistent snapshot: SQLite's backup API, or
                                         pg_dump -Fc in a transaction snapshot of its own
    media/<path>                         every file under MEDIA_ROOT
    manifest.json                        when, which engine, the migrations applied, the rows of
                                         every table, every file's path, size and SHA-256

Files are written before the rows that name them commit (services.attach_evidence, the imports),
so the database is snapshotted first and the files copied after: every file the snapshot names
is on disk by then. A file that arrived after the snapshot is copied too, marked "referenced":
false in the manifest; restored, it is a harmless extra.

A restore verifies every file against the manifest's SHA-256 as it unpacks it beside the target,
then loads the database (one transaction), then moves the files into place and counts every
table against the manifest. A damaged or altered archive is refused before anything is written.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import secrets
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from supervision.backups.archive import (
    ARCHIVE_MODE,
    FOLDER_MODE,
    FORMAT,
    MANIFEST,
    MEDIA,
    VERSION,
    BackupError,
    copy_into_archive,
    file_digest,
    make_folders,
    media_files,
    member_info,
    open_archive,
    read_manifest,
    unpack_verified,
    verify_archive,
)
from supervision.backups.databases import (
    DATABASE_MEMBERS,
    Snapshot,
    check_storage,
    known_migrations,
    load_database,
    read_state,
    snapshot_database,
)

__all__ = [
    "MANIFEST",
    "MEDIA",
    "BackupError",
    "BackupResult",
    "RestoreResult",
    "copy_into_archive",
    "default_archive_path",
    "restore_backup",
    "verify_archive",
    "write_backup",
]


@dataclass
class BackupResult:
    archive: Path
    manifest: dict[str, Any]

    @property
    def problems(self) -> list[str]:
        """Files the database names that were missing or differ from their recorded SHA-256."""
        missing = [f"missing: {path}" for path in self.manifest["missing"]]
        changed = [f"changed: {item['path']}" for item in self.manifest["mismatched"]]
        return missing + changed


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    rows: int
    files: int
    referenced: int
    checked: int
    unapplied: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def default_archive_path(folder: Path) -> Path:
    return folder / f"{timezone.now():%Y%m%dT%H%M%SZ}.tar"


def write_backup(connection: BaseDatabaseWrapper, media_root: Path, output: Path) -> BackupResult:
    """Snapshot the database, then copy every file of media_root, into the archive output
    (written as output.partial, renamed when complete; never over an existing file)."""
    media_root, output = media_root.resolve(), output.resolve()
    check_storage(media_root)
    if output.is_relative_to(media_root):
        raise BackupError(f"The archive cannot be written inside DJANGO_MEDIA_ROOT ({media_root}).")
    if output.exists():
        raise BackupError(f"{output} already exists: name another file.")
    output.parent.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    partial = output.with_name(output.name + ".partial")
    created_at = timezone.now().astimezone(datetime.UTC)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".backup-") as folder:
        work = Path(folder)
        snapshot = snapshot_database(connection, work)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, ARCHIVE_MODE)
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as archive:
                member = DATABASE_MEMBERS[snapshot.engine]
                database = {
                    "engine": snapshot.engine,
                    "server_version": snapshot.server_version,
                    "member": member,
                    "size": snapshot.path.stat().st_size,
                    "sha256": file_digest(snapshot.path),
                }
                with snapshot.path.open("rb") as dump:
                    archive.addfile(
                        member_info(member, database["size"], created_at.timestamp()), dump
                    )
                snapshot.path.unlink()
                files = []
                for name, path in media_files(media_root):
                    copied = copy_into_archive(archive, MEDIA + name, path, work)
                    if copied is not None:
                        files.append(
                            {"path": name, **copied, "referenced": name in snapshot.referenced}
                        )
                manifest = _manifest(created_at, database, snapshot, files)
                body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                archive.addfile(
                    member_info(MANIFEST, len(body), created_at.timestamp()), io.BytesIO(body)
                )
            os.replace(partial, output)
        finally:
            partial.unlink(missing_ok=True)
    return BackupResult(output, manifest)


def _manifest(
    created_at: datetime.datetime,
    database: dict[str, Any],
    snapshot: Snapshot,
    files: list[dict[str, Any]],
) -> dict[str, Any]:
    by_path = {item["path"]: item for item in files}
    return {
        "format": FORMAT,
        "version": VERSION,
        "created_at": created_at.isoformat(timespec="seconds"),
        "database": database,
        "migrations": snapshot.migrations,
        "tables": snapshot.tables,
        "files": files,
        "note": (
            "Files with referenced false are named by no row of the database snapshot: uploads "
            "that arrived after it, import progress files. They are harmless extras."
        ),
        # Named by the snapshot, not on disk: lost before the backup, not by it.
        "missing": sorted(set(snapshot.referenced) - set(by_path)),
        # Named with a SHA-256 that the file on disk does not have.
        "mismatched": [
            {"path": name, "recorded": recorded, "actual": by_path[name]["sha256"]}
            for name, recorded in sorted(snapshot.referenced.items())
            if recorded and name in by_path and by_path[name]["sha256"] != recorded
        ],
    }


def _check_target(connection: BaseDatabaseWrapper, media_root: Path, manifest: dict) -> None:
    """Refuse, before anything is written, a target that is not empty or not of the archive's
    engine, and an archive from a release newer than this one."""
    engine = manifest["database"]["engine"]
    if connection.vendor != engine:
        raise BackupError(
            f"This backup holds a {engine} database; the database to restore into is "
            f"{connection.vendor}. Restore into the same engine."
        )
    if connection.in_atomic_block:
        raise BackupError("A restore cannot run inside a transaction.")
    unknown = sorted(
        {f"{app}.{name}" for app, names in manifest["migrations"].items() for name in names}
        - known_migrations()
    )
    if unknown:
        raise BackupError(
            f"This backup was made by a newer release: {len(unknown)} of its migrations are "
            f"unknown here (the first: {unknown[0]}). Restore it with that release."
        )
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if tables:
        raise BackupError(
            f"The database {connection.settings_dict['NAME']} already has {len(tables)} tables: "
            "a backup is restored only into an empty database (PostgreSQL: createdb a new one "
            "and point DATABASE_URL at it; SQLite: a path where no file is yet). Nothing was "
            "changed."
        )
    if any(True for _ in media_files(media_root)):
        raise BackupError(
            f"DJANGO_MEDIA_ROOT ({media_root}) already holds files: a backup is restored only "
            "into an empty folder. Nothing was changed."
        )


def _move_into_place(staging: Path, media_root: Path) -> None:
    for entry in sorted(staging.iterdir()):
        os.replace(entry, media_root / entry.name)
    staging.rmdir()


def restore_backup(
    archive_path: Path, connection: BaseDatabaseWrapper, media_root: Path
) -> RestoreResult:
    """Restore the archive into the empty database of connection and the empty media_root."""
    media_root = media_root.resolve()
    with open_archive(archive_path) as archive:
        manifest = read_manifest(archive)
        _check_target(connection, media_root, manifest)
        root_existed = media_root.exists()
        staging = media_root / f".restore-{secrets.token_hex(8)}"
        make_folders(staging)
        try:
            with tempfile.TemporaryDirectory(prefix="restore-") as folder:
                work = Path(folder)
                dump = work / manifest["database"]["member"]
                unpack_verified(archive, manifest, dump, staging)
                load_database(dump, connection, work)
            _move_into_place(staging, media_root)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if not root_existed:
                shutil.rmtree(media_root, ignore_errors=True)
            raise
    return _check_restored(connection, media_root, manifest)


def _check_restored(
    connection: BaseDatabaseWrapper, media_root: Path, manifest: dict[str, Any]
) -> RestoreResult:
    """Every table counted against the manifest; every file a row names present, with the
    SHA-256 its row records."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts, _, named = read_state(cursor, tables, connection.ops.quote_name)
    problems = [
        f"table {table}: {counts.get(table, 0):,} rows, the backup had {rows:,}"
        for table, rows in manifest["tables"].items()
        if counts.get(table) != rows
    ]
    files = {item["path"]: item for item in manifest["files"]}
    checked = 0
    lost_before = set(manifest["missing"])
    for name, recorded in sorted(named.items()):
        if name in lost_before:
            problems.append(f"missing file (already missing when the backup was made): {name}")
        elif name not in files or not (media_root / name).is_file():
            problems.append(f"missing file: {name}")
        elif recorded and files[name]["sha256"] != recorded:
            problems.append(f"file {name}: not the SHA-256 its row records")
        elif recorded:
            checked += 1
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return RestoreResult(
        manifest=manifest,
        rows=sum(counts.values()),
        files=len(files),
        referenced=sum(1 for item in manifest["files"] if item["referenced"]),
        checked=checked,
        unapplied=[f"{migration.app_label}.{migration.name}" for migration, _ in plan],
        problems=problems,
    )
