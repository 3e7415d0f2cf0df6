"""Official documents on the pages: the documents section of a record's page, preview, issue,
download, the templates page; who may do what; no server error without a font."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document

from supervision import pdf
from supervision.choices import District, DocumentKind, SanctionKind
from supervision.models import DocumentTemplate, Evidence, IssuedDocument
from supervision.roles import INSPECTOR
from tests.factories import (
    InspectionFactory,
    IssuedDocumentFactory,
    ReferralFactory,
    SanctionFactory,
    UserDistrictFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
needs_fonts = pytest.mark.skipif(not pdf.fonts_available(), reason="no CJK font on this machine")


@pytest.fixture
def sanction():
    return SanctionFactory(
        kind=SanctionKind.FINE,
        amount="5000.00",
        inspection=None,
        docket="拉医保罚〔2025〕3号",
        docket_year=2025,
        docket_sequence=3,
    )


def preview_url(record, kind, **query) -> str:
    url = reverse(f"{record._meta.model_name}-document-preview", args=[record.pk, kind])
    return url + ("?format=docx" if query.get("docx") else "")


def issue_url(record, kind) -> str:
    return reverse(f"{record._meta.model_name}-document-issue", args=[record.pk, kind])


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


# --- the record's page ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "kinds"),
    [
        (InspectionFactory, [DocumentKind.INSPECTION_RECORD]),
        (ReferralFactory, [DocumentKind.REFERRAL_LETTER]),
        (SanctionFactory, [DocumentKind.NOTICE, DocumentKind.DECISION]),
    ],
    ids=["inspection", "referral", "sanction"],
)
def test_a_supervisor_gets_preview_and_issue_buttons_on_the_record_s_page(
    client, supervisor, make, kinds
):
    record = make()
    client.force_login(supervisor)
    page = client.get(record.get_absolute_url()).content.decode()
    assert 'id="documents"' in page
    for kind in kinds:
        assert preview_url(record, kind) in page
        assert issue_url(record, kind) in page
    assert ("format=docx" in page) == any(k.editable for k in kinds)


def test_an_auditor_sees_the_issued_versions_but_no_buttons(client, auditor, supervisor, world):
    issued = IssuedDocumentFactory(inspection=world.inspection, issued_by=supervisor)
    client.force_login(auditor)
    page = client.get(world.inspection.get_absolute_url()).content.decode()
    assert issued.sha256 in page
    assert reverse("evidence-download", args=[issued.evidence_id]) in page
    assert issue_url(world.inspection, DocumentKind.INSPECTION_RECORD) not in page
    assert preview_url(world.inspection, DocumentKind.INSPECTION_RECORD) not in page


def test_the_section_reads_the_versions_in_a_constant_number_of_queries(client, supervisor, world):
    client.force_login(supervisor)
    url = world.inspection.get_absolute_url()
    IssuedDocumentFactory(inspection=world.inspection, issued_by=supervisor)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for version in range(2, 7):
        IssuedDocumentFactory(inspection=world.inspection, version=version, issued_by=supervisor)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(one)


# --- preview --------------------------------------------------------------------------------


@needs_fonts
def test_a_preview_is_a_pdf_and_stores_nothing(client, supervisor, sanction):
    client.force_login(supervisor)
    response = client.get(preview_url(sanction, DocumentKind.NOTICE))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert not Evidence.objects.exists() and not IssuedDocument.objects.exists()


def test_the_word_draft_of_a_decision_opens_and_stores_nothing(client, supervisor, sanction):
    client.force_login(supervisor)
    response = client.get(preview_url(sanction, DocumentKind.DECISION, docx=True))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    text = "".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert sanction.facility.name in text and "拉医保罚〔2025〕3号" in text
    assert not Evidence.objects.exists()


def test_an_inspection_record_has_no_word_draft(client, supervisor, world):
    client.force_login(supervisor)
    url = preview_url(world.inspection, DocumentKind.INSPECTION_RECORD, docx=True)
    assert client.get(url).status_code == 404


def test_a_kind_the_record_does_not_give_is_not_found(client, supervisor, world):
    client.force_login(supervisor)
    assert client.get(preview_url(world.inspection, DocumentKind.DECISION)).status_code == 404
    assert client.get(preview_url(world.inspection, "fax")).status_code == 404
    assert client.post(issue_url(world.inspection, "fax")).status_code == 404


def test_without_a_font_the_preview_says_so_on_the_record_s_page(
    client, supervisor, sanction, monkeypatch
):
    monkeypatch.setattr(pdf, "faces", lambda: {})
    client.force_login(supervisor)
    response = client.get(preview_url(sanction, DocumentKind.NOTICE), follow=True)
    assert response.status_code == 200
    assert "fonts-noto-cjk" in messages_of(response)


# --- issue ----------------------------------------------------------------------------------


@needs_fonts
def test_issuing_twice_lists_versions_1_and_2_with_hash_and_who(client, supervisor, sanction):
    client.force_login(supervisor)
    url = issue_url(sanction, DocumentKind.DECISION)
    first = client.post(url, follow=True)
    assert "已出具处理决定书第1版" in messages_of(first)
    second = client.post(url, follow=True)
    assert "已出具处理决定书第2版" in messages_of(second)
    versions = list(IssuedDocument.objects.order_by("version"))
    assert [d.version for d in versions] == [1, 2]
    page = second.content.decode()
    for issued in versions:
        assert issued.sha256 in page
        assert reverse("evidence-download", args=[issued.evidence_id]) in page
    assert "出具第3版" in page


@needs_fonts
def test_an_issued_document_downloads_for_an_auditor_and_not_for_an_outsider(
    client, supervisor, auditor, outsider, sanction
):
    client.force_login(supervisor)
    client.post(issue_url(sanction, DocumentKind.NOTICE))
    issued = IssuedDocument.objects.get()
    download = reverse("evidence-download", args=[issued.evidence_id])
    client.force_login(auditor)
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    client.force_login(outsider)
    assert client.get(download).status_code in (403, 404)


def test_issuing_is_a_post(client, supervisor, sanction):
    client.force_login(supervisor)
    assert client.get(issue_url(sanction, DocumentKind.NOTICE)).status_code == 405


def test_without_a_font_issuing_says_so_and_stores_nothing(
    client, supervisor, sanction, monkeypatch
):
    monkeypatch.setattr(pdf, "faces", lambda: {})
    client.force_login(supervisor)
    response = client.post(issue_url(sanction, DocumentKind.DECISION), follow=True)
    assert response.status_code == 200
    assert "fonts-noto-cjk" in messages_of(response)
    assert not IssuedDocument.objects.exists() and not Evidence.objects.exists()


def test_without_an_active_template_issuing_says_so(client, supervisor, sanction):
    DocumentTemplate.objects.filter(kind=DocumentKind.DECISION).update(is_active=False)
    client.force_login(supervisor)
    response = client.post(issue_url(sanction, DocumentKind.DECISION), follow=True)
    assert "没有启用的模板" in messages_of(response)
    assert not IssuedDocument.objects.exists()


# --- who may --------------------------------------------------------------------------------


@pytest.fixture
def inspector_elsewhere():
    user = UserFactory(username="inspector_elsewhere", role=INSPECTOR)
    UserDistrictFactory(user=user, district=District.DAGZE)
    return user


@pytest.mark.parametrize(
    ("persona", "status"),
    [("inspector_elsewhere", 404), ("auditor", 403), ("tip_desk", 403), ("outsider", 403)],
)
def test_who_may_not_issue_an_inspection_record_is_refused(client, request, world, persona, status):
    client.force_login(request.getfixturevalue(persona))
    kind = DocumentKind.INSPECTION_RECORD
    assert client.post(issue_url(world.inspection, kind)).status_code == status
    assert client.get(preview_url(world.inspection, kind)).status_code == status
    assert not IssuedDocument.objects.exists()


def test_an_inspector_may_not_issue_a_sanction_s_decision(client, inspector, sanction):
    client.force_login(inspector)
    assert client.post(issue_url(sanction, DocumentKind.DECISION)).status_code == 403


def test_a_signed_out_visitor_is_sent_to_sign_in(client, sanction):
    response = client.post(issue_url(sanction, DocumentKind.DECISION))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the templates page ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("supervisor", 200), ("inspector", 403), ("auditor", 403), ("outsider", 403)],
)
def test_only_supervisors_open_the_templates_page(client, request, persona, status):
    client.force_login(request.getfixturevalue(persona))
    template = DocumentTemplate.objects.first()
    assert client.get(reverse("documenttemplate-list")).status_code == status
    assert client.get(reverse("documenttemplate-edit", args=[template.pk])).status_code == status
    assert client.get(reverse("documenttemplate-create")).status_code == status


def test_a_template_with_an_unknown_placeholder_is_refused_naming_it(client, supervisor):
    template = DocumentTemplate.objects.get(kind=DocumentKind.NOTICE, is_active=True)
    client.force_login(supervisor)
    url = reverse("documenttemplate-edit", args=[template.pk])
    response = client.post(
        url,
        {
            "name": template.name,
            "title": template.title,
            "body": template.body + "\n{罚款账户}",
            "signatory": template.signatory,
            "activate": "on",
            "version": template.version,
        },
    )
    assert response.status_code == 200
    assert "{罚款账户}" in response.content.decode()
    template.refresh_from_db()
    assert "{罚款账户}" not in template.body


def test_a_new_active_template_sets_the_old_one_aside(client, supervisor):
    old = DocumentTemplate.objects.get(kind=DocumentKind.REFERRAL_LETTER, is_active=True)
    client.force_login(supervisor)
    response = client.post(
        reverse("documenttemplate-create"),
        {
            "kind": DocumentKind.REFERRAL_LETTER,
            "name": "示例新移送函",
            "title": "移送函",
            "body": "{移送部门}：\n现将{机构名称}一案移送你单位。",
            "signatory": "拉萨市医疗保障局",
            "activate": "on",
        },
    )
    assert response.status_code == 302
    new = DocumentTemplate.objects.get(name="示例新移送函")
    old.refresh_from_db()
    assert new.is_active and not old.is_active
    assert new.history.first().history_user == supervisor
