"""Backup and restore (`manage.py backup`, `manage.py restore`): the database and the evidence
files in one archive, restored into an empty second database with every row of every table and
every file with its SHA-256; a backup taken while others write; what a restore refuses.

Real commits (pg_dump and SQLite's backup API read committed data), on both engines. On SQLite
the tests write to a file copy of the test database, in WAL mode as the application runs it: the
in-memory test database shares one cache between threads, with table locks instead of WAL.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import tarfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from supervision import backups
from supervision.choices import Grade, ImportKind
from supervision.imports import engine as imports
from supervision.services.evidence import attach_evidence
from tests.dbstate import snapshot
from tests.evidence import OFD_BYTES, stored_files, upload
from tests.factories import (
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    RatingChangeFactory,
    ReferralFactory,
    SanctionFactory,
    TipFactory,
    TipReporterFactory,
    UserFactory,
)

pytestmark = [
    # Real commits; the roles and lookup rows of migration 0002 are put back before each test
    # (the flush after a transactional test empties every table).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RESTORED = "restored"


# --- the databases ------------------------------------------------------------------------------


def sqlite_file(path: Path) -> dict[str, Any]:
    """The test database's settings, for an SQLite file at path (created when first opened)."""
    return {**connections["default"].settings_dict, "NAME": str(path)}


def use_in_this_thread(database: BaseDatabaseWrapper) -> None:
    """Point this thread's default connection at database's (on SQLite, the file copy)."""
    if database.vendor == "sqlite":
        connections["default"] = database.copy()


@pytest.fixture
def source(transactional_db, tmp_path) -> Iterator[BaseDatabaseWrapper]:
    """The database the test writes and backs up: on SQLite a file copy of the test database
    (migrated, with migration 0002's rows), this thread's default connection for the test."""
    if connection.vendor != "sqlite":
        yield connections["default"]
        return
    memory = connections["default"]
    memory.ensure_connection()
    path = tmp_path / "source.sqlite3"
    with closing(sqlite3.connect(path)) as copy:
        memory.connection.backup(copy)
    on_file = type(memory)(sqlite_file(path), "default")
    connections["default"] = on_file
    try:
        yield on_file
    finally:
        on_file.close()
        connections["default"] = memory


@pytest.fixture
def empty_database(source, tmp_path) -> Iterator[BaseDatabaseWrapper]:
    """A second database with no tables, as connections["restored"]: on SQLite a path with no
    file yet, on PostgreSQL a database created for the test (the role has CREATEDB)."""
    if source.vendor == "sqlite":
        restored = type(source)(sqlite_file(tmp_path / "restored.sqlite3"), RESTORED)
    else:
        name = f"{source.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:8]}"
        restored = type(source)({**source.settings_dict, "NAME": name}, RESTORED)
    # In this thread only, and unknown to the settings: a connection Django's test case lets
    # the test open (it refuses the aliases of the settings the test did not declare).
    connections[RESTORED] = restored
    try:
        if source.vendor == "postgresql":
            with source.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {source.ops.quote_name(name)}")
        yield restored
    finally:
        restored.close()
        del connections[RESTORED]
        if source.vendor == "postgresql":
            with source.cursor() as cursor:
                cursor.execute(
                    f"DROP DATABASE IF EXISTS {source.ops.quote_name(name)} WITH (FORCE)"
                )


def table_rows(database: BaseDatabaseWrapper) -> dict[str, list[tuple]]:
    """Every row of every table of database, in a stable order."""
    with database.cursor() as cursor:
        tables = database.introspection.table_names(cursor)
        rows = {}
        for table in tables:
            cursor.execute(f"SELECT * FROM {database.ops.quote_name(table)}")  # noqa: S608
            rows[table] = sorted((tuple(row) for row in cursor.fetchall()), key=repr)
    return rows


def query(database: BaseDatabaseWrapper, sql: str) -> list[tuple]:
    with database.cursor() as cursor:
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]


# --- the files ----------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digests(root: Path) -> dict[str, str]:
    """Every file under root by its stored name, with its SHA-256."""
    return {path.relative_to(root).as_posix(): sha256(path) for path in stored_files(root)}


def assert_every_file_has_its_recorded_sha256(database: BaseDatabaseWrapper, root: Path) -> int:
    """Each evidence row's and import's file is under root with the SHA-256 its row records."""
    rows = query(database, "SELECT file, sha256 FROM supervision_evidence") + query(
        database, "SELECT file, sha256 FROM supervision_importjob"
    )
    for name, recorded in rows:
        assert (root / name).is_file(), name
        assert sha256(root / name) == recorded, name
    return len(rows)


def rewritten(
    archive: Path,
    target: Path,
    change: Callable[[str, bytes], bytes | None],
    extra: dict[str, bytes] | None = None,
) -> Path:
    """A copy of archive with each member's content passed through change (None drops it)."""
    with tarfile.open(archive) as source, tarfile.open(target, "w") as copy:
        for member in source.getmembers():
            handle = source.extractfile(member)
            content = change(member.name, handle.read() if handle else b"")
            if content is not None:
                member.size = len(content)
                copy.addfile(member, io.BytesIO(content))
        for name, content in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            copy.addfile(info, io.BytesIO(content))
    return target


def flipped_last_byte(content: bytes) -> bytes:
    return content[:-1] + bytes([content[-1] ^ 0xFF])


def changed_manifest(change: Callable[[dict], None]) -> Callable[[str, bytes], bytes]:
    def rewrite(name: str, content: bytes) -> bytes:
        if name != backups.MANIFEST:
            return content
        manifest = json.loads(content)
        change(manifest)
        return json.dumps(manifest).encode()

    return rewrite


# --- the records --------------------------------------------------------------------------------


def build_records() -> None:
    """Records of many kinds, with their history rows, many-to-many rows and evidence files on
    each kind of record that takes them, and an import's file."""
    user = UserFactory(username="backup-admin", is_superuser=True)
    hospital = FacilityFactory(name="示例备份医院")
    hospital.name = "示例备份医院（更名）"
    hospital.save()  # a second history row
    rating = CreditRatingFactory(facility=hospital, year=2024, grade=Grade.B)
    RatingChangeFactory(rating=rating, to_grade=Grade.B)
    inspection = InspectionFactory(facility=hospital, completed=True)
    referral = ReferralFactory(inspection=inspection)
    sanction = SanctionFactory(facility=hospital, fine=True)
    tip = TipFactory(facility=hospital)
    TipReporterFactory(tip=tip)
    for parent, name, data in [
        (inspection, "随货同行单.pdf", PDF_BYTES),
        (inspection, "现场照片.jpg", JPEG_BYTES),
        (referral, "移送函.ofd", OFD_BYTES),
        (sanction, "处理决定书.png", PNG_BYTES),
        (tip, "举报材料.pdf", PDF_BYTES + b"tip"),
    ]:
        attach_evidence(parent, upload(name, data), user=user)
    csv = "机构名称,统一社会信用代码\n示例导入医院,91540102MA6T000000\n".encode()
    imports.start(user, ImportKind.FACILITY, SimpleUploadedFile("机构.csv", csv))


def pdf(n: int) -> SimpleUploadedFile:
    return upload(f"证据{n}.pdf", PDF_BYTES + str(n).encode())


# --- the round trip -----------------------------------------------------------------------------


def test_a_restore_into_an_empty_database_has_every_row_and_every_file(
    source, empty_database, media, settings, tmp_path
):
    build_records()
    archive = tmp_path / "backup.tar"
    call_command("backup", output=str(archive), stdout=io.StringIO())

    settings.MEDIA_ROOT = str(tmp_path / "restored-media")
    out = io.StringIO()
    call_command("restore", str(archive), database=RESTORED, stdout=out)

    before, after = table_rows(source), table_rows(empty_database)
    assert after == before
    for table in ["supervision_historicalfacility", "supervision_historicalevidence"]:
        assert len(after[table]) >= 2, table  # the history came along, not only the records
    assert len(after["supervision_inspection_inspectors"]) == 2
    assert digests(Path(settings.MEDIA_ROOT)) == digests(media)
    assert assert_every_file_has_its_recorded_sha256(empty_database, Path(settings.MEDIA_ROOT)) == 6
    assert "6 also against the SHA-256 its row records" in out.getvalue()


def test_new_records_after_a_restore_get_numbers_of_their_own(
    source, empty_database, media, settings, tmp_path
):
    """The sequences came along: the next row does not collide with a restored one."""
    build_records()
    archive = tmp_path / "backup.tar"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    settings.MEDIA_ROOT = str(tmp_path / "restored-media")
    call_command("restore", str(archive), database=RESTORED, stdout=io.StringIO())

    last = max(pk for (pk,) in query(empty_database, "SELECT id FROM auth_user"))
    created = get_user_model().objects.db_manager(RESTORED).create(username="after-restore")
    assert created.pk > last


def test_the_manifest_describes_the_snapshot(source, media, tmp_path):
    build_records()
    archive = tmp_path / "backup.tar"
    call_command("backup", output=str(archive), stdout=io.StringIO())

    with tarfile.open(archive) as contents:
        manifest = json.loads(contents.extractfile(backups.MANIFEST).read())
        members = contents.getnames()
    assert manifest["database"]["engine"] == source.vendor
    assert manifest["tables"]["supervision_evidence"] == 5
    assert manifest["tables"] == {table: len(rows) for table, rows in table_rows(source).items()}
    assert "0001_initial" in manifest["migrations"]["supervision"]
    assert {item["path"]: item["sha256"] for item in manifest["files"]} == digests(media)
    assert all(item["referenced"] for item in manifest["files"])
    assert manifest["missing"] == manifest["mismatched"] == []
    assert members[0] == manifest["database"]["member"]
    assert archive.stat().st_mode & 0o777 == 0o600  # personal data: the owner's only


def test_a_backup_names_a_file_the_database_records_but_the_disk_lost(source, media, tmp_path):
    build_records()
    lost = stored_files(media / "evidence")[0]
    lost.unlink()
    archive = tmp_path / "backup.tar"

    with pytest.raises(CommandError, match="1 files the database names are missing"):
        call_command("backup", output=str(archive), stdout=io.StringIO(), stderr=io.StringIO())

    with tarfile.open(archive) as contents:  # written all the same: the best copy there is
        manifest = json.loads(contents.extractfile(backups.MANIFEST).read())
    assert manifest["missing"] == [lost.relative_to(media).as_posix()]


# --- online -------------------------------------------------------------------------------------


def test_a_backup_taken_while_others_write_restores_consistently(
    source, empty_database, media, settings, tmp_path, monkeypatch
):
    """Evidence keeps being uploaded (file first, then its row and history row) and facilities
    created while the backup runs, its file copying slowed down as on a busy disk: the restored
    database names no file the archive lacks, and no record without its history row."""
    user = UserFactory(username="uploader", is_superuser=True)
    inspection = InspectionFactory()
    for n in range(8):
        attach_evidence(inspection, pdf(n), user=user)

    copy = backups.copy_into_archive

    def slow_copy(*args, **kwargs):
        time.sleep(0.05)
        return copy(*args, **kwargs)

    monkeypatch.setattr(backups, "copy_into_archive", slow_copy)
    stop, written, errors = threading.Event(), [0], []

    def write() -> None:
        use_in_this_thread(source)
        try:
            while not stop.is_set():
                attach_evidence(inspection, pdf(1000 + written[0]), user=user)
                FacilityFactory()
                written[0] += 1
        except Exception as exc:  # the test reports it
            errors.append(exc)
        finally:
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while written[0] < 2 and writer.is_alive():
            time.sleep(0.01)
        at_start = written[0]
        archive = tmp_path / "backup.tar"
        call_command("backup", output=str(archive), stdout=io.StringIO())
        during = written[0] - at_start
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not errors
    assert during >= 2, "the writer did not write while the backup ran"

    settings.MEDIA_ROOT = str(tmp_path / "restored-media")
    call_command("restore", str(archive), database=RESTORED, stdout=io.StringIO())

    restored = Path(settings.MEDIA_ROOT)
    assert 8 + at_start <= assert_every_file_has_its_recorded_sha256(empty_database, restored)
    evidence = query(empty_database, "SELECT COUNT(*) FROM supervision_evidence")[0][0]
    assert evidence < query(source, "SELECT COUNT(*) FROM supervision_evidence")[0][0]
    for table, history_table in [
        ("supervision_evidence", "supervision_historicalevidence"),
        ("supervision_facility", "supervision_historicalfacility"),
    ]:
        records = set(query(empty_database, f"SELECT id FROM {table}"))  # noqa: S608
        history = set(query(empty_database, f"SELECT id FROM {history_table}"))  # noqa: S608
        assert records <= history, table


# --- what a restore refuses ---------------------------------------------------------------------


def test_a_restore_into_a_database_with_tables_is_refused_and_changes_nothing(
    source, media, settings, tmp_path
):
    build_records()
    archive = tmp_path / "backup.tar"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    before = snapshot()
    settings.MEDIA_ROOT = str(tmp_path / "restored-media")

    with pytest.raises(CommandError, match=r"already has \d+ tables: a backup is restored only"):
        call_command("restore", str(archive), stdout=io.StringIO())

    assert snapshot() == before
    assert not Path(settings.MEDIA_ROOT).exists()


def test_a_restore_into_a_media_folder_with_files_is_refused_and_changes_nothing(
    source, empty_database, media, settings, tmp_path
):
    build_records()
    archive = tmp_path / "backup.tar"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    settings.MEDIA_ROOT = str(media)  # the files backed up are still there

    with pytest.raises(CommandError, match="already holds files"):
        call_command("restore", str(archive), database=RESTORED, stdout=io.StringIO())

    assert table_rows(empty_database) == {}
    assert digests(media) == {
        item["path"]: item["sha256"] for item in backups.verify_archive(archive)["files"]
    }


def _first_media(name: str) -> bool:
    return name.startswith(backups.MEDIA) and name.endswith(".jpg")


ALTERED = {
    "an evidence file's content": (
        lambda name, content: flipped_last_byte(content) if _first_media(name) else content,
        None,
        "does not match the manifest",
    ),
    "the database": (
        lambda name, content: (
            flipped_last_byte(content) if name.startswith("database.") else content
        ),
        None,
        "does not match the manifest",
    ),
    "a file left out": (
        lambda name, content: None if _first_media(name) else content,
        None,
        "1 files of the manifest are not in the archive",
    ),
    "a file slipped in": (
        lambda name, content: content,
        {"media/evidence/extra.pdf": PDF_BYTES},
        "not in its manifest",
    ),
    "a manifest naming a file outside the folder": (
        changed_manifest(lambda m: m["files"][0].update(path="../../outside.pdf")),
        None,
        "outside the media folder",
    ),
    "a manifest from a newer release": (
        changed_manifest(lambda m: m["migrations"]["supervision"].append("9999_future")),
        None,
        "made by a newer release",
    ),
}


@pytest.mark.parametrize("alteration", ALTERED)
def test_an_altered_archive_is_refused_and_changes_nothing(
    alteration, source, empty_database, media, settings, tmp_path
):
    build_records()
    archive = tmp_path / "backup.tar"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    change, extra, message = ALTERED[alteration]
    altered = rewritten(archive, tmp_path / "altered.tar", change, extra)
    settings.MEDIA_ROOT = str(tmp_path / "restored-media")

    with pytest.raises(CommandError, match=message):
        call_command("restore", str(altered), database=RESTORED, stdout=io.StringIO())

    assert table_rows(empty_database) == {}
    assert not Path(settings.MEDIA_ROOT).exists()


def test_a_check_of_an_archive_finds_an_altered_file_and_writes_nothing(
    source, media, settings, tmp_path
):
    build_records()
    archive = tmp_path / "backup.tar"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    out = io.StringIO()
    call_command("restore", str(archive), check=True, stdout=out)
    assert "match their SHA-256" in out.getvalue()
    altered = rewritten(
        archive,
        tmp_path / "altered.tar",
        lambda name, content: flipped_last_byte(content) if _first_media(name) else content,
    )
    settings.MEDIA_ROOT = str(tmp_path / "restored-media")

    with pytest.raises(CommandError, match=r"media/evidence/.*\.jpg in the archive does not"):
        call_command("restore", str(altered), check=True, stdout=io.StringIO())
    assert not Path(settings.MEDIA_ROOT).exists()
