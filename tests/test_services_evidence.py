"""attach_evidence: what is kept, under which name, and what is refused without a trace."""

from __future__ import annotations

import hashlib
import importlib.util
import re
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

import supervision.settings as settings_module
from supervision.choices import District, EvidenceType
from supervision.models import Evidence, UserDistrict
from supervision.services.evidence import attach_evidence
from supervision.uploads import safe_name
from tests.dbstate import snapshot
from tests.evidence import (
    ACCEPTED,
    DOCX_BYTES,
    EXE_BYTES,
    HTML_BYTES,
    SVG_BYTES,
    stored_files,
    upload,
    zip_bytes,
)
from tests.factories import (
    PDF_BYTES,
    PNG_BYTES,
    EvidenceFactory,
    FacilityFactory,
    InspectionFactory,
    ReferralFactory,
    SanctionFactory,
)

pytestmark = pytest.mark.django_db

STORED_NAME = re.compile(r"evidence/\d{4}/\d{2}/[0-9a-f]{32}\.[a-z]+")


@pytest.fixture
def inspection(db):
    return InspectionFactory()


@pytest.mark.parametrize("kind", list(EvidenceType), ids=lambda k: k.name)
def test_an_accepted_file_is_kept_under_a_random_name_with_its_checksum_and_history(
    media, inspection, inspector, kind
):
    data = ACCEPTED[kind.value]
    evidence = attach_evidence(
        inspection, upload("现场照片" + kind.extension, data), user=inspector, description="现场"
    )
    evidence.refresh_from_db()
    assert STORED_NAME.fullmatch(evidence.file.name)
    assert evidence.file.name.endswith(kind.extension)
    assert "现场照片" not in evidence.file.name
    assert (media / evidence.file.name).read_bytes() == data
    assert stored_files(media) == [media / evidence.file.name]
    assert (evidence.content_type, evidence.size) == (kind, len(data))
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert evidence.original_name == "现场照片" + kind.extension
    assert (evidence.inspection, evidence.uploaded_by, evidence.description) == (
        inspection,
        inspector,
        "现场",
    )
    (row,) = evidence.history.all()
    assert (row.history_type, row.history_user, row.history_change_reason) == (
        "+",
        inspector,
        "上传证据材料",
    )


def test_the_type_comes_from_the_content_not_the_name_or_the_browser(media, inspection):
    evidence = attach_evidence(
        inspection, upload("scan.pdf", PNG_BYTES, content_type="application/pdf"), user=None
    )
    assert evidence.content_type == EvidenceType.PNG
    assert evidence.file.name.endswith(".png")
    assert evidence.original_name == "scan.pdf.png"


@pytest.mark.parametrize("factory", [ReferralFactory, SanctionFactory])
def test_referrals_and_sanctions_take_evidence_too(media, supervisor, factory):
    record = factory()
    evidence = attach_evidence(record, upload(), user=supervisor)
    assert evidence.parent == record
    assert list(record.evidence.all()) == [evidence]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("处理决定书.pdf", HTML_BYTES),
        ("setup.exe", EXE_BYTES),
        ("invoice.pdf", EXE_BYTES),
        ("logo.svg", SVG_BYTES),
        ("logo.png", SVG_BYTES),
        ("报告.docx", DOCX_BYTES),
        ("archive.ofd", zip_bytes("Doc_0/OFD.xml")),  # OFD.xml not at the root
        ("broken.ofd", b"PK\x03\x04 not really a zip"),
        ("text.pdf", b" %PDF-1.7 a PDF header that is not at the start"),
    ],
)
def test_content_of_another_type_is_refused_and_nothing_is_written(media, inspection, name, data):
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        attach_evidence(inspection, upload(name, data, content_type="application/pdf"), user=None)
    (message,) = refused.value.message_dict["file"]
    assert "按内容判断" in message and "PDF 文档" in message
    assert snapshot() == before
    assert stored_files(media) == []


def test_an_empty_file_is_refused(media, inspection):
    with pytest.raises(ValidationError) as refused:
        attach_evidence(inspection, upload("空.pdf", b""), user=None)
    assert refused.value.message_dict == {"file": ["文件为空。"]}
    assert not Evidence.objects.exists()


def test_a_file_over_the_limit_is_refused_before_it_is_read(media, inspection, settings):
    settings.EVIDENCE_MAX_BYTES = len(PDF_BYTES) - 1
    file = upload("大.pdf", PDF_BYTES)
    with (
        mock.patch("supervision.services.evidence.detect_type", side_effect=AssertionError("read")),
        mock.patch.object(file, "chunks", side_effect=AssertionError("read")),
        pytest.raises(ValidationError) as refused,
    ):
        attach_evidence(inspection, file, user=None)
    (message,) = refused.value.message_dict["file"]
    assert message.startswith("文件过大：最大")
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def test_a_file_of_exactly_the_limit_is_kept(media, inspection, settings):
    settings.EVIDENCE_MAX_BYTES = len(PDF_BYTES)
    assert attach_evidence(inspection, upload(), user=None).size == len(PDF_BYTES)


def test_a_failed_save_takes_its_file_away_again(media, inspection):
    with (
        mock.patch.object(Evidence, "save", side_effect=IntegrityError("refused")),
        pytest.raises(IntegrityError),
    ):
        attach_evidence(inspection, upload(), user=None)
    assert stored_files(media) == []


def test_a_record_outside_the_user_s_districts_is_refused(media, inspector):
    inspection = InspectionFactory(facility=FacilityFactory(district=District.DAGZE))
    UserDistrict.objects.create(user=inspector, district=District.CHENGGUAN)
    with pytest.raises(PermissionDenied):
        attach_evidence(inspection, upload(), user=inspector)
    assert stored_files(media) == []


def test_only_inspections_referrals_and_sanctions_take_evidence(media):
    with pytest.raises(TypeError):
        attach_evidence(FacilityFactory(), upload(), user=None)


# Names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "kept"),
    [
        ("../../etc/passwd.pdf", EvidenceType.PDF, "passwd.pdf"),
        ("C:\\x\\..\\y.pdf", EvidenceType.PDF, "y.pdf"),
        ("/var/www/.htaccess", EvidenceType.PDF, "htaccess.pdf"),
        ('检查"记录"\r\nSet-Cookie: a=b.pdf', EvidenceType.PDF, "检查_记录_ Set-Cookie_ a=b.pdf"),
        ("photo\u202egnp.exe", EvidenceType.PNG, "photognp.exe.png"),
        ("zero\u200bwidth\x00.jpg", EvidenceType.JPEG, "zerowidth.jpg"),
        ("现场照片.JPEG", EvidenceType.JPEG, "现场照片.JPEG"),
        ("report.html", EvidenceType.PNG, "report.html.png"),
        ("  spaced   out  .pdf  ", EvidenceType.PDF, "spaced out.pdf"),
        ("", EvidenceType.PDF, "证据材料.pdf"),
        ("..", EvidenceType.PDF, "证据材料.pdf"),
        ("a/b/", EvidenceType.TIFF, "证据材料.tif"),
    ],
)
def test_a_name_keeps_only_what_is_safe_to_show_and_download(name, kind, kept):
    assert safe_name(name, kind, default="证据材料") == kept


def test_a_long_name_is_cut_keeping_its_extension():
    kept = safe_name("很" * 300 + ".pdf", EvidenceType.PDF, default="x")
    assert len(kept) == 120 and kept.endswith("很.pdf")


def test_the_kept_name_is_the_safe_one(media, inspection):
    evidence = attach_evidence(inspection, upload("../../etc/passwd.pdf"), user=None)
    assert evidence.original_name == "passwd.pdf"
    assert "passwd" not in evidence.file.name


# Kept for good ------------------------------------------------------------------------------------


def test_evidence_keeps_its_record_from_being_deleted(media):
    evidence = EvidenceFactory()
    with pytest.raises(ProtectedError):
        evidence.inspection.delete()


@pytest.mark.parametrize(
    "records",
    [{}, {"inspection": True, "sanction": True}],
    ids=["none", "two"],
)
def test_the_database_refuses_evidence_of_no_record_or_of_two(media, records):
    evidence = EvidenceFactory.build(inspection=None)
    if records.get("inspection"):
        evidence.inspection = InspectionFactory()
    if records.get("sanction"):
        evidence.sanction = SanctionFactory()
    evidence.file.name = "evidence/2025/03/0123456789abcdef0123456789abcdef.pdf"
    with pytest.raises(IntegrityError), transaction.atomic():
        evidence.save()


# Settings -----------------------------------------------------------------------------------------


def _settings_under(monkeypatch, tmp_path, **env: str):
    """A fresh copy of supervision/settings.py executed under env (the live settings stay)."""
    for name in ("DJANGO_DEBUG", "DJANGO_MEDIA_ROOT", "DJANGO_EVIDENCE_MAX_MB", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DJANGO_DATA_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("settings_under_test", settings_module.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_files_are_kept_in_the_data_folder_with_no_url_to_them(monkeypatch, tmp_path):
    module = _settings_under(monkeypatch, tmp_path)
    assert (tmp_path / "media").resolve() == module.MEDIA_ROOT
    assert not module.MEDIA_ROOT.is_relative_to(module.STATIC_ROOT)
    assert getattr(module, "MEDIA_URL", "") == ""
    assert module.EVIDENCE_MAX_BYTES == 20 * 1024 * 1024
    assert module.FILE_UPLOAD_HANDLERS[0] == "supervision.uploads.SizeLimitUploadHandler"


def test_the_folder_and_the_limit_are_set_by_the_environment(monkeypatch, tmp_path):
    module = _settings_under(
        monkeypatch,
        tmp_path,
        DJANGO_MEDIA_ROOT=str(tmp_path / "evidence-store"),
        DJANGO_EVIDENCE_MAX_MB="5",
    )
    assert (tmp_path / "evidence-store").resolve() == module.MEDIA_ROOT
    assert module.EVIDENCE_MAX_BYTES == 5 * 1024 * 1024


@pytest.mark.parametrize("inside", ["staticfiles/media", "supervision/static/x", "templates"])
def test_a_folder_inside_a_served_one_stops_the_start(monkeypatch, tmp_path, inside):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_MEDIA_ROOT"):
        _settings_under(
            monkeypatch, tmp_path, DJANGO_MEDIA_ROOT=str(Path(settings.BASE_DIR) / inside)
        )
