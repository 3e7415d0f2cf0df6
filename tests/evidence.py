"""Helpers for the evidence tests: files of each type, uploads, what is on disk (the `media`
fixture, a MEDIA_ROOT of the test's own, is in conftest)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import JPEG_BYTES, PDF_BYTES, PNG_BYTES

WEBP_BYTES = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x00" * 24
TIFF_BYTES = b"II*\x00\x08\x00\x00\x00" + b"\x00" * 16
HTML_BYTES = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
SVG_BYTES = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def zip_bytes(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name in names:
            package.writestr(name, "<x/>")
    return buffer.getvalue()


OFD_BYTES = zip_bytes("OFD.xml", "Doc_0/Document.xml")
DOCX_BYTES = zip_bytes("[Content_Types].xml", "word/document.xml")

ACCEPTED = {
    "application/pdf": PDF_BYTES,
    "image/jpeg": JPEG_BYTES,
    "image/png": PNG_BYTES,
    "image/webp": WEBP_BYTES,
    "image/tiff": TIFF_BYTES,
    "application/ofd": OFD_BYTES,
}


def upload(
    name: str = "随货同行单.pdf", data: bytes = PDF_BYTES, content_type: str = ""
) -> SimpleUploadedFile:
    """A file as a browser sends it; content_type is what the browser claims (never trusted)."""
    return SimpleUploadedFile(name, data, content_type=content_type or "application/octet-stream")


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
