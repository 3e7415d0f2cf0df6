"""Evidence on the staff pages: who may upload where, what the record's page lists, and the
download that only a user who may see the record gets."""

from __future__ import annotations

import re
from email.message import Message
from unittest import mock

import pytest
from django.conf import settings as settings_module
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from supervision.choices import District
from supervision.models import Evidence, UserDistrict
from supervision.services.evidence import attach_evidence
from supervision.uploads import upload_too_large
from tests.dbstate import snapshot
from tests.evidence import (
    HTML_BYTES,
    SVG_BYTES,
    stored_files,
    upload,
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
from tests.pages import html_of, sign_in

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "outsider", "inspector", "supervisor", "auditor", "superuser"]
# Who may upload: add_evidence and the change permission of the record.
UPLOADERS = {
    "inspection": {"inspector", "supervisor", "superuser"},
    "referral": {"supervisor", "superuser"},
    "sanction": {"supervisor", "superuser"},
}
READERS = {"inspector", "supervisor", "auditor", "superuser"}
FACTORIES = {
    "inspection": InspectionFactory,
    "referral": ReferralFactory,
    "sanction": SanctionFactory,
}


def section(html: str) -> str:
    """The evidence section of a record's page."""
    start = html.index('id="evidence"')
    return html[start : html.index("</section>", start)]


def body_of(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


def disposition_filename(response) -> str:
    message = Message()
    message["content-disposition"] = response["Content-Disposition"]
    return message.get_filename()


# Upload: who may, on which record ----------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "method", "persona", "status"),
    [
        (record, method, persona, 302 if persona == "anonymous" else 200 if persona in ok else 403)
        for record, ok in UPLOADERS.items()
        for method in ("get", "post")
        for persona in PERSONAS
    ],
)
def test_each_persona_may_upload_where_its_role_may_change_the_record(
    client, request, media, record, method, persona, status
):
    target = FACTORIES[record]()
    sign_in(client, request, persona)
    before = snapshot()
    response = getattr(client, method)(reverse(f"{record}-evidence", args=[target.pk]), {})
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    assert snapshot() == before  # no file: the form is refused, and so is anyone without the right
    assert stored_files(media) == []


def test_a_record_out_of_sight_is_a_404_for_the_upload(client, inspector, media):
    target = InspectionFactory(facility=FacilityFactory(district=District.DAGZE))
    UserDistrict.objects.create(user=inspector, district=District.CHENGGUAN)
    client.force_login(inspector)
    response = client.post(reverse("inspection-evidence", args=[target.pk]), {"file": upload()})
    assert response.status_code == 404
    assert not Evidence.objects.exists() and stored_files(media) == []


@pytest.mark.parametrize("record", list(UPLOADERS))
def test_an_upload_is_kept_and_listed_on_the_record_s_page(client, supervisor, media, record):
    target = FACTORIES[record]()
    client.force_login(supervisor)
    response = client.post(
        reverse(f"{record}-evidence", args=[target.pk]),
        {"file": upload("随货同行单.pdf"), "description": "第3页"},
        follow=True,
    )
    assert response.redirect_chain == [(f"{target.get_absolute_url()}#evidence", 302)]
    evidence = Evidence.objects.get()
    assert evidence.parent == target and evidence.uploaded_by == supervisor
    html = html_of(response)
    assert "证据材料已上传。" in html
    listing = section(html)
    assert f'href="{reverse("evidence-download", args=[evidence.pk])}"' in listing
    for shown in ("随货同行单.pdf", "PDF 文档", "第3页", "supervisor"):
        assert shown in listing
    assert re.search(r"\d+\s*(字节|bytes)", listing)


@pytest.mark.parametrize(
    ("name", "data"), [("决定书.pdf", HTML_BYTES), ("logo.svg", SVG_BYTES)], ids=["html", "svg"]
)
def test_a_refused_file_shows_why_on_the_form_and_keeps_nothing(
    client, inspector, media, name, data
):
    target = InspectionFactory()
    client.force_login(inspector)
    response = client.post(
        reverse("inspection-evidence", args=[target.pk]), {"file": upload(name, data)}
    )
    assert response.status_code == 200
    assert "按内容判断" in html_of(response)
    assert not Evidence.objects.exists() and stored_files(media) == []


def test_a_file_over_the_limit_gets_a_form_message_not_an_error(client, inspector, media, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    target = InspectionFactory()
    client.force_login(inspector)
    data = PDF_BYTES + b"\0" * 1000
    response = client.post(
        reverse("inspection-evidence", args=[target.pk]), {"file": upload("大.pdf", data)}
    )
    assert response.status_code == 200
    assert "文件过大：最大1000" in html_of(response)
    assert not Evidence.objects.exists() and stored_files(media) == []


@pytest.mark.parametrize(("size", "dropped"), [(1000, False), (1001, True), (200_000, True)])
def test_the_upload_handler_drops_an_oversized_file_while_it_arrives(rf, settings, size, dropped):
    settings.EVIDENCE_MAX_BYTES = 1000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # what is kept goes to a temporary file
    request = rf.post("/", {"file": upload("大.pdf", b"x" * size), "description": "说明"})
    with mock.patch(
        "django.core.files.uploadhandler.TemporaryFileUploadHandler.receive_data_chunk",
        autospec=True,
        side_effect=lambda handler, data, start: handler.file.write(data) and None,
    ) as written:
        files = request.FILES
    assert ("file" in files) is not dropped
    assert upload_too_large(request) is dropped
    assert request.POST["description"] == "说明"  # the other fields are read all the same
    kept = sum(len(call.args[1]) for call in written.call_args_list)
    assert kept == (0 if dropped else size)


def test_a_body_over_the_form_data_limit_is_a_400_not_a_500(client, inspector, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    target = InspectionFactory()
    client.force_login(inspector)
    response = client.post(
        reverse("inspection-evidence", args=[target.pk]),
        {"file": upload(), "description": "很" * 2000},
    )
    assert response.status_code == 400
    assert not Evidence.objects.exists()


# The record's page ---------------------------------------------------------------------------


@pytest.mark.parametrize("record", list(UPLOADERS))
@pytest.mark.parametrize("persona", ["inspector", "supervisor", "auditor"])
def test_the_page_lists_the_files_to_readers_and_offers_the_form_to_uploaders(
    client, request, media, record, persona
):
    target = FACTORIES[record]()
    EvidenceFactory(**{"inspection": None, record: target, "original_name": "照片.pdf"})
    sign_in(client, request, persona)
    listing = section(html_of(client.get(target.get_absolute_url())))
    assert "照片.pdf" in listing
    form = 'enctype="multipart/form-data"' in listing
    assert form == (persona in UPLOADERS[record])
    if form:
        assert f'action="{reverse(f"{record}-evidence", args=[target.pk])}"' in listing


def test_a_role_without_the_evidence_permission_sees_no_section(client, inspector, media):
    target = InspectionFactory()
    EvidenceFactory(inspection=target)
    with mock.patch("supervision.views.evidence.can_view", return_value=False):
        client.force_login(inspector)
        html = html_of(client.get(target.get_absolute_url()))
    assert 'id="evidence"' not in html


def test_the_page_costs_the_same_queries_for_one_file_and_for_many(
    client, auditor, media, django_assert_num_queries
):
    target = InspectionFactory()
    EvidenceFactory(inspection=target)
    client.force_login(auditor)
    url = target.get_absolute_url()
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    EvidenceFactory.create_batch(5, inspection=target)
    with django_assert_num_queries(len(one)):
        response = client.get(url)
    assert len(response.context["evidence_files"]) == 6


# Download ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [(p, 302 if p == "anonymous" else 200 if p in READERS else 404) for p in PERSONAS],
)
def test_the_download_is_for_readers_only(client, request, media, persona, status):
    evidence = EvidenceFactory()
    sign_in(client, request, persona)
    response = client.get(reverse("evidence-download", args=[evidence.pk]))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    if status == 200:
        assert body_of(response) == PDF_BYTES


def test_the_download_is_an_attachment_of_the_stored_type_never_sniffed(client, auditor, media):
    target = InspectionFactory()
    evidence = attach_evidence(target, upload("现场.png", PNG_BYTES, "text/html"), user=None)
    client.force_login(auditor)
    response = client.get(reverse("evidence-download", args=[evidence.pk]))
    assert body_of(response) == PNG_BYTES
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert disposition_filename(response) == "现场.png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("name", "offered"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\x\\..\\y.pdf", "y.pdf"),
        ('a"b\r\nX-Injected: 1.pdf', "a_b X-Injected_ 1.pdf"),
        ("report.html", "report.html.pdf"),
    ],
)
def test_the_download_name_is_the_sanitised_one(client, auditor, media, name, offered):
    evidence = attach_evidence(InspectionFactory(), upload(name), user=None)
    client.force_login(auditor)
    response = client.get(reverse("evidence-download", args=[evidence.pk]))
    assert response.status_code == 200
    response.close()
    assert "X-Injected" not in response.headers
    assert "\n" not in response["Content-Disposition"]
    assert disposition_filename(response) == offered


def test_a_file_outside_the_user_s_districts_is_a_404(client, auditor, media):
    evidence = EvidenceFactory(
        inspection=InspectionFactory(facility=FacilityFactory(district=District.DAGZE))
    )
    UserDistrict.objects.create(user=auditor, district=District.CHENGGUAN)
    client.force_login(auditor)
    assert client.get(reverse("evidence-download", args=[evidence.pk])).status_code == 404


@pytest.mark.parametrize("record", ["referral", "sanction"])
def test_a_referral_s_or_sanction_s_file_follows_its_record_s_scope(client, auditor, media, record):
    far = FacilityFactory(district=District.DAGZE)
    target = (
        ReferralFactory(inspection=InspectionFactory(facility=far, completed=True))
        if record == "referral"
        else SanctionFactory(facility=far)
    )
    evidence = EvidenceFactory(**{"inspection": None, record: target})
    client.force_login(auditor)
    url = reverse("evidence-download", args=[evidence.pk])
    assert client.get(url).status_code == 200
    UserDistrict.objects.create(user=auditor, district=District.CHENGGUAN)
    assert client.get(url).status_code == 404


def test_a_file_missing_from_the_storage_is_a_404_not_a_500(client, auditor, media):
    evidence = EvidenceFactory()
    (media / evidence.file.name).unlink()
    client.force_login(auditor)
    assert client.get(reverse("evidence-download", args=[evidence.pk])).status_code == 404


def test_no_url_serves_the_stored_files(client, superuser, media, settings):
    evidence = EvidenceFactory()
    client.force_login(superuser)
    assert settings.MEDIA_URL in ("", "/")
    for url in (
        f"/media/{evidence.file.name}",
        f"/{evidence.file.name}",
        f"/var/media/{evidence.file.name}",
    ):
        assert client.get(url).status_code == 404, url


# Admin ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("record", list(UPLOADERS))
def test_the_admin_lists_a_record_s_files_read_only(client, superuser, media, record):
    target = FACTORIES[record]()
    evidence = EvidenceFactory(**{"inspection": None, record: target, "original_name": "照片.pdf"})
    client.force_login(superuser)
    response = client.get(reverse(f"admin:supervision_{record}_change", args=[target.pk]))
    html = html_of(response)
    assert f'<a href="{reverse("evidence-download", args=[evidence.pk])}">照片.pdf</a>' in html
    assert 'name="evidence-0-description"' not in html  # shown, not editable
    assert "evidence-__prefix__" not in html  # no row can be added


def test_the_section_is_in_english_when_english_is_chosen(client, supervisor, media):
    target = InspectionFactory()
    EvidenceFactory(inspection=target, original_name="照片.pdf", description="门口")
    client.force_login(supervisor)
    client.cookies[settings_module.LANGUAGE_COOKIE_NAME] = "en"
    try:
        listing = section(html_of(client.get(target.get_absolute_url())))
    finally:
        translation.deactivate()  # LocaleMiddleware leaves the language active in the thread
    for text in ("Evidence", "File name", "PDF document", "Uploaded by", "Upload", "bytes"):
        assert text in listing, text
    leftovers = re.sub(r"照片\.pdf|门口", "", re.sub(r"<[^>]+>", " ", listing))
    assert not re.search(r"[\u3400-\u9fff]", leftovers), leftovers


@pytest.mark.parametrize("record", list(UPLOADERS))
def test_an_upload_is_listed_in_the_record_s_history_with_who_did_it(
    client, supervisor, auditor, media, record
):
    target = FACTORIES[record]()
    attach_evidence(target, upload("决定书.pdf"), user=supervisor)
    client.force_login(auditor)
    html = html_of(client.get(target.get_absolute_url()))
    history = html[html.index('id="history"') :]
    (when,) = [
        line
        for line in re.findall(r'<div class="when">(.*?)</div>', history, re.S)
        if "证据材料：决定书.pdf" in line
    ]
    assert "supervisor" in when and "上传证据材料" in when
