"""Uploaded files: what a file is (by its content), a name safe to show and download, and a
request-level limit on their size.

The type is read from the first bytes of the content (the "magic numbers"), never from the name
or the Content-Type the browser sent: a page saved as "report.pdf" is HTML and is refused.
"""

from __future__ import annotations

import unicodedata
import zipfile
from typing import IO

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest

from supervision.choices import EvidenceType

HEAD_BYTES = 16
_SIGNATURES: list[tuple[bytes, EvidenceType]] = [
    (b"%PDF-", EvidenceType.PDF),
    (b"\xff\xd8\xff", EvidenceType.JPEG),
    (b"\x89PNG\r\n\x1a\n", EvidenceType.PNG),
    (b"II*\x00", EvidenceType.TIFF),  # little-endian TIFF
    (b"MM\x00*", EvidenceType.TIFF),  # big-endian TIFF
]
_ZIP = b"PK\x03\x04"
# GB/T 33190-2016: an OFD document is a ZIP package with OFD.xml at its root.
_OFD_ENTRY = "OFD.xml"


def detect_type(file: IO[bytes]) -> EvidenceType | None:
    """The type of file's content, or None when it is none of the accepted ones.

    Reads the first bytes (and, for a ZIP package, its directory); leaves the position at 0.
    """
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return EvidenceType.WEBP
    if head.startswith(_ZIP) and _is_ofd(file):
        return EvidenceType.OFD
    return None


def _is_ofd(file: IO[bytes]) -> bool:
    """A ZIP package holding OFD.xml at its root. Only the directory is read: nothing is
    decompressed. Other ZIP files (Office documents, archives) are refused."""
    try:
        with zipfile.ZipFile(file) as package:
            return _OFD_ENTRY in package.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return False
    finally:
        file.seek(0)


# Characters Windows refuses in a file name (staff download to Windows desktops).
_RESERVED = str.maketrans(dict.fromkeys('<>:"|?*', "_"))


def _printable(ch: str) -> str:
    """A control character (newline, tab) becomes a space; other invisible ones (bidirectional
    overrides, zero-width characters, unassigned code points) disappear."""
    category = unicodedata.category(ch)
    if category == "Cc":
        return " "
    return "" if category.startswith("C") else ch


def safe_name(name: str, kind: EvidenceType, default: str) -> str:
    """A name for showing and downloading a file of type kind that a user gave as name.

    Only the last part of a path ("../../etc/passwd.pdf", "C:\\x\\y.pdf") is kept; control and
    invisible formatting characters (newlines, bidirectional overrides) are dropped, characters
    Windows refuses replaced, spaces collapsed; at most MAX_NAME_LENGTH characters; it ends with
    an extension of the detected type (one is added when the name's own says something else, so
    "photo.html" that is a PNG is "photo.html.png"). default stands for a name with nothing left.
    """
    from supervision.models.evidence import MAX_NAME_LENGTH

    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(_printable(ch) for ch in text)
    text = " ".join(text.translate(_RESERVED).split()).strip(" .")
    stem, dot, suffix = text.rpartition(".")
    if not dot or f".{suffix.lower()}" not in kind.extensions:
        stem, suffix = text, kind.extension[1:]
    stem = stem[: MAX_NAME_LENGTH - len(suffix) - 1].strip(" .") or default
    return f"{stem}.{suffix}"


# --- the size limit ---------------------------------------------------------------------------

_OVERSIZED = "_supervision_oversized_uploads"


class SizeLimitUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: drops a file as soon as it passes settings.EVIDENCE_MAX_BYTES
    (the only files this application takes are evidence), so an oversized upload is neither held
    in memory nor written out to a temporary file, and notes it on the request so that the page
    or endpoint can say why (upload_too_large) instead of "no file"."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > settings.EVIDENCE_MAX_BYTES:
            if self.request is not None:
                oversized = getattr(self.request, _OVERSIZED, set())
                oversized.add(self.field_name)
                setattr(self.request, _OVERSIZED, oversized)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) makes the file


def upload_too_large(request: HttpRequest, field: str = "file") -> bool:
    """Whether the request's file in field was dropped for its size (after its body was read)."""
    return field in getattr(request, _OVERSIZED, set())
