"""Official documents (services.documents): templates and their placeholders, the PDF and the
DOCX made from each kind of record, issuing as versioned evidence, who may, hostile text."""

from __future__ import annotations

import datetime
import hashlib
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from docx import Document
from pypdf import PdfReader

from supervision import pdf
from supervision.choices import District, DocumentKind, SanctionKind, Violation
from supervision.models import DocumentTemplate, Evidence, IssuedDocument, ViolationCategory
from supervision.models.documents import PLACEHOLDERS, template_problems
from supervision.roles import AUDITOR, INSPECTOR, SUPERVISOR
from supervision.services import documents as service
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    ReferralFactory,
    SanctionFactory,
    UserDistrictFactory,
    UserFactory,
    make_credit_code,
)

pytestmark = pytest.mark.django_db
needs_fonts = pytest.mark.skipif(not pdf.fonts_available(), reason="no CJK font on this machine")

CREDIT_CODE = make_credit_code(777_001)
FACILITY = "示例文书测试医院"
AMOUNT = Decimal("12345.67")


def squeezed(text: str) -> str:
    """pypdf puts spaces between CJK characters: compare without any whitespace."""
    return re.sub(r"[\s\x00]+", "", text)


def pdf_text(content: bytes) -> str:
    return squeezed("".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def docx_text(content: bytes) -> str:
    return squeezed("".join(p.text for p in Document(io.BytesIO(content)).paragraphs))


@pytest.fixture
def facility():
    return FacilityFactory(name=FACILITY, credit_code=CREDIT_CODE, address="示例路1号")


@pytest.fixture
def inspection(facility):
    inspection = InspectionFactory(
        facility=facility,
        completed=True,
        start_date=datetime.date(2025, 3, 4),
        findings="现场发现伪造随货同行单3张。",
        amount_involved=AMOUNT,
        amount_recovered=Decimal("345.67"),
        docket="拉医保稽〔2025〕7号",
        docket_year=2025,
        docket_sequence=7,
        inspectors=[InspectorFactory(name="示例检查员甲"), InspectorFactory(name="示例检查员乙")],
    )
    inspection.violations.set([ViolationCategory.objects.get(code=Violation.FORGED_DELIVERY_NOTES)])
    return inspection


@pytest.fixture
def referral(inspection):
    return ReferralFactory(
        inspection=inspection,
        referred_on=datetime.date(2025, 3, 20),
        docket="拉医保移〔2025〕2号",
        docket_year=2025,
        docket_sequence=2,
    )


@pytest.fixture
def sanction(facility, inspection):
    return SanctionFactory(
        facility=facility,
        inspection=inspection,
        kind=SanctionKind.FINE,
        amount=Decimal("5000.00"),
        decided_on=datetime.date(2025, 4, 8),
        legal_basis="《医疗保障基金使用监督管理条例》第三十八条",
        docket="拉医保罚〔2025〕3号",
        docket_year=2025,
        docket_sequence=3,
    )


def record_of(kind: str, inspection, referral, sanction):
    return {
        DocumentKind.INSPECTION_RECORD: inspection,
        DocumentKind.REFERRAL_LETTER: referral,
        DocumentKind.NOTICE: sanction,
        DocumentKind.DECISION: sanction,
    }[kind]


NUMBERS = {
    DocumentKind.INSPECTION_RECORD: "拉医保稽〔2025〕7号",
    DocumentKind.REFERRAL_LETTER: "拉医保移〔2025〕2号",
    DocumentKind.NOTICE: "拉医保罚〔2025〕3号",
    DocumentKind.DECISION: "拉医保罚〔2025〕3号",
}


# --- templates ------------------------------------------------------------------------------


def test_the_migration_seeds_one_active_template_per_kind():
    active = DocumentTemplate.objects.filter(is_active=True)
    assert sorted(active.values_list("kind", flat=True)) == sorted(DocumentKind.values)
    for template in active:
        template.full_clean()  # its own placeholders are all known


def test_an_unknown_placeholder_is_refused_with_its_name():
    template = DocumentTemplate.objects.get(kind=DocumentKind.NOTICE, is_active=True)
    template.body += "\n请于{缴款期限}前缴纳。"
    with pytest.raises(ValidationError) as error:
        template.full_clean()
    assert "{缴款期限}" in " ".join(error.value.message_dict["body"])
    assert "未知的占位符" in " ".join(error.value.message_dict["body"])


def test_a_placeholder_of_another_kind_is_refused():
    problems = template_problems(DocumentKind.INSPECTION_RECORD, "{移送部门}")
    assert problems and "{移送部门}" in problems[0]


def test_an_unpaired_brace_is_refused():
    assert template_problems(DocumentKind.DECISION, "依据{法律依据")
    assert template_problems(DocumentKind.DECISION, "依据}")
    assert not template_problems(DocumentKind.DECISION, "依据{法律依据}")


def test_django_template_syntax_is_not_a_placeholder_and_is_refused():
    problems = template_problems(DocumentKind.DECISION, "{{ settings.SECRET_KEY }}{% debug %}")
    assert problems


@pytest.mark.parametrize("kind", DocumentKind.values)
def test_every_placeholder_of_every_kind_has_a_value(kind, inspection, referral, sanction):
    record = record_of(kind, inspection, referral, sanction)
    values = service.placeholder_values(record, kind, on=datetime.date(2025, 5, 6))
    assert set(values) == set(PLACEHOLDERS[kind])
    assert all(isinstance(v, str) and v for v in values.values())


def test_activating_a_template_sets_the_kind_s_other_aside_with_history(supervisor):
    old = DocumentTemplate.objects.get(kind=DocumentKind.DECISION, is_active=True)
    new = DocumentTemplate(
        kind=DocumentKind.DECISION, name="示例新模板", title="处理决定书", body="{机构名称}："
    )
    service.save_template(new, user=supervisor, active=True)
    old.refresh_from_db()
    assert new.is_active and not old.is_active
    assert old.history.first().history_user == supervisor
    assert new.history.first().history_user == supervisor


def test_without_an_active_template_a_document_is_refused_with_a_message(sanction):
    DocumentTemplate.objects.filter(kind=DocumentKind.NOTICE).update(is_active=False)
    with pytest.raises(ValidationError) as error:
        service.make_draft(sanction, DocumentKind.NOTICE)
    assert "没有启用的模板" in " ".join(error.value.messages)


# --- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("0", "人民币零元整"),
        ("5000.00", "人民币伍仟元整"),
        ("1234.56", "人民币壹仟贰佰叁拾肆元伍角陆分"),
        ("1005.05", "人民币壹仟零伍元零伍分"),
        ("100010000", "人民币壹亿零壹万元整"),
        ("10.50", "人民币壹拾元伍角整"),
        ("0.06", "人民币陆分"),
        (None, "—"),
    ],
)
def test_amounts_in_capital_figures(amount, text):
    assert service.rmb_capital(amount) == text


def test_a_sanction_without_a_case_number_shows_its_typed_decision_number(facility):
    sanction = SanctionFactory(facility=facility, decision_number="拉医保决〔2024〕9号")
    assert service.make_draft(sanction, DocumentKind.DECISION).number == "拉医保决〔2024〕9号"
    sanction.docket = "拉医保罚〔2025〕4号"
    sanction.save()
    assert service.make_draft(sanction, DocumentKind.DECISION).number == "拉医保罚〔2025〕4号"


def test_a_commendation_gives_no_document(facility):
    rating = CreditRatingFactory(facility=facility, grade="A")
    commendation = SanctionFactory(facility=facility, kind=SanctionKind.COMMENDATION, rating=rating)
    assert service.kinds_for(commendation) == ()
    with pytest.raises(ValidationError):
        service.make_draft(commendation, DocumentKind.DECISION)


def test_a_suspension_states_its_period(facility):
    sanction = SanctionFactory(facility=facility, suspension=True)
    draft = service.make_draft(sanction, DocumentKind.DECISION)
    assert "暂停医保服务协议，期限自2025年4月1日起至2025年5月31日止" in "".join(draft.paragraphs)


# --- the files ------------------------------------------------------------------------------


@needs_fonts
@pytest.mark.parametrize("kind", DocumentKind.values)
def test_each_kind_gives_a_pdf_with_the_record_s_facts(kind, inspection, referral, sanction):
    record = record_of(kind, inspection, referral, sanction)
    draft = service.make_draft(record, kind, on=datetime.date(2025, 5, 6))
    text = pdf_text(service.pdf_bytes(draft))
    for fact in (FACILITY, CREDIT_CODE, NUMBERS[kind], "2025年3月4日", "¥12,345.67"):
        assert squeezed(fact) in text, (kind, fact)
    assert squeezed(draft.title) in text
    assert "拉萨市医疗保障局" in text


@pytest.mark.parametrize("kind", [k for k in DocumentKind if k.editable])
def test_the_notice_and_the_decision_give_a_docx_with_the_record_s_facts(kind, sanction):
    content = service.docx_bytes(service.make_draft(sanction, kind))
    text = docx_text(content)
    for fact in (FACILITY, CREDIT_CODE, NUMBERS[kind], "2025年3月4日", "¥12,345.67", "¥5,000.00"):
        assert squeezed(fact) in text, (kind, fact)
    document = Document(io.BytesIO(content))
    east_asian = document.styles["Normal"].element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
    )
    assert east_asian == "仿宋"


# --- issuing --------------------------------------------------------------------------------


@needs_fonts
def test_issuing_twice_makes_versions_1_and_2_and_overwrites_nothing(supervisor, sanction):
    first = service.issue_document(sanction, DocumentKind.DECISION, user=supervisor)
    first_file = first.evidence.file.read()
    second = service.issue_document(sanction, DocumentKind.DECISION, user=supervisor)

    assert (first.version, second.version) == (1, 2)
    assert first.evidence_id != second.evidence_id
    for issued in (first, second):
        issued.refresh_from_db()
        with issued.evidence.file.open("rb") as handle:
            stored = handle.read()
        assert hashlib.sha256(stored).hexdigest() == issued.sha256 == issued.evidence.sha256
        assert issued.evidence.sanction == sanction
        assert issued.issued_by == supervisor
        assert (
            issued.template_body
            == DocumentTemplate.objects.get(kind=DocumentKind.DECISION, is_active=True).body
        )
        assert issued.history.get().history_user == supervisor
    with first.evidence.file.open("rb") as handle:
        assert handle.read() == first_file
    assert "拉医保罚〔2025〕3号" in pdf_text(first_file)


@needs_fonts
def test_each_kind_numbers_its_own_versions(supervisor, sanction):
    service.issue_document(sanction, DocumentKind.NOTICE, user=supervisor)
    decision = service.issue_document(sanction, DocumentKind.DECISION, user=supervisor)
    assert decision.version == 1


@needs_fonts
def test_a_preview_stores_nothing(supervisor, sanction):
    before = (Evidence.objects.count(), IssuedDocument.objects.count())
    service.pdf_bytes(service.make_draft(sanction, DocumentKind.NOTICE))
    service.docx_bytes(service.make_draft(sanction, DocumentKind.NOTICE))
    assert (Evidence.objects.count(), IssuedDocument.objects.count()) == before


@needs_fonts
def test_a_version_issued_meanwhile_is_refused_with_a_message(supervisor, sanction, monkeypatch):
    real = service.pdf_bytes
    raced = []

    def race(draft):
        if not raced:  # someone else issues version 1 while this issue is drawing its file
            raced.append(True)
            service.issue_document(sanction, DocumentKind.DECISION, user=supervisor)
        return real(draft)

    monkeypatch.setattr(service, "pdf_bytes", race)
    with pytest.raises(ValidationError) as error:
        service.issue_document(sanction, DocumentKind.DECISION, user=supervisor)
    assert "已出具" in " ".join(error.value.messages)
    assert not IssuedDocument.objects.exists()  # both were one transaction here: rolled back


def test_without_a_chinese_font_issuing_says_so_and_stores_nothing(
    supervisor, sanction, media, monkeypatch
):
    monkeypatch.setattr(pdf, "faces", lambda: {})
    with pytest.raises(pdf.FontMissing) as error:
        service.issue_document(sanction, DocumentKind.DECISION, user=supervisor)
    assert "fonts-noto-cjk" in str(error.value)
    assert not Evidence.objects.exists() and not IssuedDocument.objects.exists()
    assert not list(media.rglob("*.pdf"))


# --- who may --------------------------------------------------------------------------------


@pytest.fixture
def inspector_elsewhere():
    user = UserFactory(username="inspector_elsewhere", role=INSPECTOR)
    UserDistrictFactory(user=user, district=District.DAGZE)
    return user


def test_an_inspector_of_another_district_may_not_issue(inspector_elsewhere, inspection):
    assert not service.may_issue(inspector_elsewhere, inspection)
    with pytest.raises(PermissionDenied):
        service.issue_document(inspection, DocumentKind.INSPECTION_RECORD, user=inspector_elsewhere)


def test_an_auditor_may_not_issue(sanction):
    auditor = UserFactory(username="auditor2", role=AUDITOR)
    assert not service.may_issue(auditor, sanction)
    with pytest.raises(PermissionDenied):
        service.issue_document(sanction, DocumentKind.NOTICE, user=auditor)


def test_an_inspector_issues_inspection_records_but_no_decision(inspector, inspection, sanction):
    assert service.may_issue(inspector, inspection)
    assert not service.may_issue(inspector, sanction)
    assert service.may_issue(UserFactory(username="sup2", role=SUPERVISOR), sanction)


# --- hostile text ---------------------------------------------------------------------------

# No NUL: PostgreSQL's text cannot hold one, and every form refuses it (Django's
# ProhibitNullCharactersValidator); the other control characters can be stored.
HOSTILE = (
    "<script>alert(\"x\")</script> =cmd|' /C calc'!A0 '; DROP TABLE supervision_sanction;--\n"
    "{机构名称} {{ settings.SECRET_KEY }} \x07\x0b\x1f\ufeff\u202e 😀 བོད་ལྗོངས་ 𠀀\n"
    + "长" * 3000
    + "A" * 1500
)


@needs_fonts
def test_hostile_text_in_a_record_neither_breaks_the_pdf_nor_the_docx(facility, supervisor):
    inspection = InspectionFactory(facility=facility, completed=True, findings=HOSTILE)
    sanction = SanctionFactory(
        facility=facility, inspection=inspection, legal_basis="<b>" * 200, note=HOSTILE[:2000]
    )
    issued = service.issue_document(sanction, DocumentKind.DECISION, user=supervisor)
    text = pdf_text(issued.evidence.file.read())
    assert "<script>" in text and "=cmd|" in text
    draft = service.make_draft(sanction, DocumentKind.DECISION)
    body = "".join(draft.paragraphs)
    assert "{机构名称}" in body  # a value is never read as a placeholder
    assert "\x07" not in body and "\u202e" not in body
    docx = docx_text(service.docx_bytes(draft))
    assert "=cmd|" in docx and "😀" in docx
    pdf_text(service.pdf_bytes(service.make_draft(inspection, DocumentKind.INSPECTION_RECORD)))
