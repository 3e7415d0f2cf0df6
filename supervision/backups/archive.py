"""The archive of a backup: a tar of the database dump, the files (media/<path>) and
manifest.json, written member by member and read back only through the manifest: every member
checked against its size and SHA-256, nothing unpacked that the manifest does not name."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

FORMAT = "supervision-backup"
VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media/"
CHUNK = 1024 * 1024
# A file being copied is held in memory up to this size, beyond it in the work folder.
SPOOL_BYTES = 8 * 1024 * 1024
# The archive and its work folder hold personal data: readable by this account only.
ARCHIVE_MODE = 0o600
FOLDER_MODE = 0o700
# What settings.FILE_UPLOAD_*PERMISSIONS give the evidence files and their folders.
FILES_FOLDER_MODE = 0o750
FILE_MODE = 0o640


class BackupError(Exception):
    """A backup or a restore that cannot go on; the message says why and what to do."""


def media_files(media_root: Path) -> Iterator[tuple[str, Path]]:
    """(stored name, path) of every regular file under media_root, in a stable order; links and
    the folders of an unfinished restore are left out."""
    if not media_root.is_dir():
        return
    for folder, subfolders, names in os.walk(media_root):
        here = Path(folder)
        subfolders[:] = sorted(
            name for name in subfolders if not (here == media_root and name.startswith(".restore-"))
        )
        for name in sorted(names):
            path = here / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(media_root).as_posix(), path


def member_info(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = FILE_MODE
    return info


def copy_into_archive(archive: tarfile.TarFile, name: str, path: Path, work: Path) -> dict | None:
    """Add the file at path as member name; its size and SHA-256 as read. The file is read once,
    into a spool, so a file that changes meanwhile (an upload arriving) is still stored whole as
    read. None when the file has disappeared."""
    try:
        source = path.open("rb")
    except FileNotFoundError:
        return None
    digest, size = hashlib.sha256(), 0
    with source, tempfile.SpooledTemporaryFile(SPOOL_BYTES, dir=work) as spool:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            spool.write(chunk)
            size += len(chunk)
        spool.seek(0)
        archive.addfile(member_info(name, size, os.fstat(source.fileno()).st_mtime), spool)
    return {"size": size, "sha256": digest.hexdigest()}


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _safe_name(name: Any) -> str:
    """A stored file's name from a manifest: relative, inside the folder, nothing odd."""
    if not isinstance(name, str) or not name or "\\" in name or "\x00" in name:
        raise BackupError(f"The manifest names a file oddly: {name!r}.")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise BackupError(f"The manifest names a file outside the media folder: {name!r}.")
    return name


def read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.getmember(MANIFEST)
        handle = archive.extractfile(member)
        manifest = json.loads(handle.read()) if handle is not None else None
    except (KeyError, ValueError, tarfile.TarError) as exc:
        raise BackupError(f"This is not a complete backup: no readable {MANIFEST}.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("This archive is not a backup of this application.")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"This backup is of format version {manifest.get('version')}; this release reads "
            f"version {VERSION}."
        )
    names = [_safe_name(item.get("path")) for item in manifest["files"]]
    if len(set(names)) != len(names):
        raise BackupError("The manifest names a file twice.")
    return manifest


def open_archive(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, mode="r:")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path} cannot be read as a backup: {exc}") from exc


def _write_verified(
    archive: tarfile.TarFile, member: tarfile.TarInfo, target: IO[bytes] | None, expected: dict
) -> None:
    """Copy member into target (or nowhere), checking its size and SHA-256 against expected."""
    source = archive.extractfile(member) if member.isreg() else None
    if source is None:
        raise BackupError(f"{member.name} in the archive is not a file.")
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: source.read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
        if target is not None:
            target.write(chunk)
    if size != expected["size"] or digest.hexdigest() != expected["sha256"]:
        raise BackupError(
            f"{member.name} in the archive does not match the manifest (SHA-256 "
            f"{digest.hexdigest()}, {size} bytes; the manifest says {expected['sha256']}, "
            f"{expected['size']} bytes): the archive is damaged or was altered. Nothing was "
            "restored."
        )


def unpack_verified(
    archive: tarfile.TarFile,
    manifest: dict[str, Any],
    database_path: Path | None,
    staging: Path | None,
) -> None:
    """Every member checked against the manifest; written (the database to database_path, the
    files under staging) unless those are None. Refused at the first member that is altered,
    unexpected or missing."""
    expected = {item["path"]: item for item in manifest["files"]}
    database = manifest["database"]
    seen_database = False
    for member in archive.getmembers():
        if member.name == MANIFEST:
            continue
        if member.name == database["member"] and not seen_database:
            seen_database = True
            with _open_target(database_path) as target:
                _write_verified(archive, member, target, database)
            continue
        name = member.name.removeprefix(MEDIA)
        if not member.name.startswith(MEDIA) or name not in expected:
            raise BackupError(
                f"{member.name} is in the archive but not in its manifest: the archive was "
                "altered. Nothing was restored."
            )
        item = expected.pop(name)
        path = staging / name if staging is not None else None
        if path is not None:
            make_folders(path.parent)
        with _open_target(path, mode=FILE_MODE) as target:
            _write_verified(archive, member, target, item)
    if not seen_database:
        raise BackupError(f"The archive has no {database['member']}. Nothing was restored.")
    if expected:
        raise BackupError(
            f"{len(expected)} files of the manifest are not in the archive (the first: "
            f"{next(iter(expected))}). Nothing was restored."
        )


def make_folders(folder: Path) -> None:
    """folder and its missing parents, each with the mode uploads' folders get."""
    if not folder.is_dir():
        make_folders(folder.parent)
        folder.mkdir(mode=FILES_FOLDER_MODE)
        folder.chmod(FILES_FOLDER_MODE)


@contextlib.contextmanager
def _open_target(path: Path | None, mode: int = 0o600) -> Iterator[IO[bytes] | None]:
    if path is None:
        yield None
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as target:
        yield target


def verify_archive(path: Path) -> dict[str, Any]:
    """The manifest, once the database and every file in the archive are checked against it."""
    with open_archive(path) as archive:
        manifest = read_manifest(archive)
        unpack_verified(archive, manifest, None, None)
    return manifest
