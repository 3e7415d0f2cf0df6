"""Official documents made from the records (文书): fill a template from a record, draw it as a
PDF (and, for the notice and the decision, which staff edit before signing, as a DOCX), preview
it, and issue it.

A preview is a draft: nothing is stored. Issuing stores the PDF as evidence of the record
(Evidence, with its SHA-256) and an IssuedDocument row with the template text it was made from,
as the record's next version of that document (1, 2, …): nothing issued is ever replaced.

Every value put into a document is plain text: a placeholder is replaced by the value of a named
field (models.documents.PLACEHOLDERS), in one pass, so a value that itself looks like a
placeholder, markup or a formula stays as written. Characters no document can hold (control
characters, unpaired surrogates) are dropped; a character the PDF's font lacks is drawn as □.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from supervision.choices import DocumentKind, EvidenceType, SanctionKind
from supervision.formats.punctuation import bracketed, listed
from supervision.formats.values import DASH, cny
from supervision.models import (
    DocumentTemplate,
    Evidence,
    Inspection,
    IssuedDocument,
    Referral,
    Sanction,
)
from supervision.models.documents import PLACEHOLDER, PLACEHOLDERS
from supervision.pdf import ChinesePDF
from supervision.scoping import check_in_scope, scoped_queryset
from supervision.services import reasons
from supervision.services._common import User, refuse, save_with_history
from supervision.uploads import safe_name

Record = Inspection | Referral | Sanction

# The kinds of document each record gives (a commendation, 授牌, needs neither notice nor
# decision).
_KINDS: dict[type[models.Model], tuple[DocumentKind, ...]] = {
    Inspection: (DocumentKind.INSPECTION_RECORD,),
    Referral: (DocumentKind.REFERRAL_LETTER,),
    Sanction: (DocumentKind.NOTICE, DocumentKind.DECISION),
}
_SELECTED: dict[type[models.Model], tuple[list[str], list[str]]] = {
    Inspection: (["facility"], ["inspectors", "partner_agencies", "violations"]),
    Referral: (["inspection__facility"], ["inspection__violations"]),
    Sanction: (["facility", "inspection", "rating"], ["inspection__violations"]),
}
# The history reasons, stored in Chinese as written (services.reasons.source_text).
ISSUED = gettext_noop("出具%(kind)s（第%(version)s版）")
SET_ASIDE = gettext_noop("启用同类文书的另一个模板")

# Sizes in points: 二号 title, 三号 text (GB/T 9704).
TITLE_SIZE = 22
TEXT_SIZE = 16
POINT = 25.4 / 72  # mm
MISSING_GLYPH = "□"


# --- values --------------------------------------------------------------------------------


def chinese_date(value: datetime.date | None) -> str:
    """2025年3月4日 (official documents write the date in Arabic figures, GB/T 9704)."""
    if value is None:
        return DASH
    return f"{value.year}年{value.month}月{value.day}日"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿", "万亿")


def _group_capital(number: int) -> str:
    """A number below 10000 in capital figures, zeros read once (1005: 壹仟零伍)."""
    text, zero = "", False
    for position in (3, 2, 1, 0):
        digit = number // 10**position % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text, zero = text + "零", False
        text += _DIGITS[digit] + _UNITS[position]
    return text


def _integer_capital(number: int) -> str:
    groups = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    text, zero = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero = True
            continue
        if text and (zero or group < 1000):
            text += "零"
        text += _group_capital(group) + _GROUPS[index]
        zero = False
    return text


def rmb_capital(value: object) -> str:
    """An amount of money in capital figures, as written on financial documents:
    人民币壹仟贰佰叁拾肆元伍角陆分, 人民币伍仟元整; "—" for none."""
    if value is None or value == "":
        return DASH
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return DASH
    sign = "负" if amount < 0 else ""
    cents = int(abs(amount) * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    if cents == 0:
        return "人民币零元整"
    text = _integer_capital(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        return f"人民币{sign}{text}整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    text += _DIGITS[fen] + "分" if fen else "整"
    return f"人民币{sign}{text}"


def plain(text: object) -> str:
    """text as a document may hold it: line breaks as \\n, other control and invisible
    formatting characters, surrogates and unassigned code points dropped (a tab is a space)."""
    value = unicodedata.normalize("NFC", str(text)).replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for ch in value:
        if ch == "\n":
            kept.append(ch)
            continue
        category = unicodedata.category(ch)
        if category == "Cc":
            kept.append(" ")
        elif not category.startswith("C"):
            kept.append(ch)
    return "".join(kept)


def _or_dash(value: object) -> str:
    text = plain(value).strip() if value is not None else ""
    return text or DASH


def _names(items: Any) -> str:
    labels = [str(item) for item in items]
    return listed(labels) if labels else _("无")


def _violations(inspection: Inspection | None) -> str:
    if inspection is None:
        return DASH
    return _names(v.get_code_display() for v in inspection.violations.all())


def _facility_values(facility: Any) -> dict[str, str]:
    return {
        "机构名称": _or_dash(facility.name),
        "统一社会信用代码": _or_dash(facility.credit_code),
        "医保定点编码": _or_dash(facility.insurance_code),
        "机构地址": _or_dash(facility.address),
        "法定代表人": _or_dash(facility.legal_representative),
        "所属区县": _or_dash(facility.get_district_display()),
    }


def document_number(record: Record) -> str:
    """The number printed on the record's documents: its case number; a sanction without one
    shows the decision number typed on it (文书编号), when there is one."""
    if isinstance(record, Sanction):
        return record.docket or record.decision_number
    return record.docket or ""


def _inspection_values(inspection: Inspection) -> dict[str, str]:
    return {
        "违规事实": _or_dash(inspection.findings),
        "违规类型": _violations(inspection),
        "检查日期": chinese_date(inspection.start_date),
        "涉及金额": cny(inspection.amount_involved),
        "涉及金额大写": rmb_capital(inspection.amount_involved),
        "检查类型": inspection.get_kind_display(),
        "开始日期": chinese_date(inspection.start_date),
        "结束日期": chinese_date(inspection.end_date),
        "检查人员": _names(
            bracketed(plain(i.name), plain(i.badge_number)) for i in inspection.inspectors.all()
        ),
        "协作部门": _names(a.get_code_display() for a in inspection.partner_agencies.all()),
        "检查发现": _or_dash(inspection.findings),
        "追回金额": cny(inspection.amount_recovered),
    }


def _referral_values(referral: Referral) -> dict[str, str]:
    inspection = referral.inspection
    return {
        "违规事实": _or_dash(referral.summary),
        "违规类型": _violations(inspection),
        "检查日期": chinese_date(inspection.start_date),
        "涉及金额": cny(inspection.amount_involved),
        "涉及金额大写": rmb_capital(inspection.amount_involved),
        "移送部门": referral.get_agency_display(),
        "移送日期": chinese_date(referral.referred_on),
        "案情摘要": _or_dash(referral.summary),
        "检查案号": _or_dash(inspection.docket),
        "检查发现": _or_dash(inspection.findings),
    }


def measure_text(sanction: Sanction) -> str:
    """What the sanction does, as a decision states it."""
    kind = sanction.kind
    if kind == SanctionKind.SUSPENSION:
        return _("暂停医保服务协议，期限自%(start)s起至%(end)s止") % {
            "start": chinese_date(sanction.starts_on),
            "end": chinese_date(sanction.ends_on),
        }
    if kind == SanctionKind.TERMINATION:
        return _("解除医保服务协议，自%(start)s起生效") % {
            "start": chinese_date(sanction.starts_on)
        }
    if kind == SanctionKind.DEPOSIT_RECOVERY:
        percent = sanction.deposit_percent.normalize() if sanction.deposit_percent else DASH
        return _("收回医保保证金的%(percent)s%%，计%(amount)s（%(capital)s）") % {
            "percent": f"{percent:f}" if isinstance(percent, Decimal) else percent,
            "amount": cny(sanction.amount),
            "capital": rmb_capital(sanction.amount),
        }
    if kind == SanctionKind.FUND_RECOVERY:
        return _("追回医保基金%(amount)s（%(capital)s）") % {
            "amount": cny(sanction.amount),
            "capital": rmb_capital(sanction.amount),
        }
    if kind == SanctionKind.FINE:
        return _("处以罚款%(amount)s（%(capital)s）") % {
            "amount": cny(sanction.amount),
            "capital": rmb_capital(sanction.amount),
        }
    return str(sanction.get_kind_display())


def _facts(sanction: Sanction) -> str:
    """The facts a sanction rests on: its inspection's findings, else its rating, else its note."""
    if sanction.inspection is not None and sanction.inspection.findings.strip():
        return plain(sanction.inspection.findings).strip()
    if sanction.rating is not None:
        return _("%(year)s年度医保信用评价结果为%(grade)s级") % {
            "year": sanction.rating.year,
            "grade": sanction.rating.grade,
        }
    return _or_dash(sanction.note)


def _sanction_values(sanction: Sanction) -> dict[str, str]:
    inspection = sanction.inspection
    involved = inspection.amount_involved if inspection is not None else None
    return {
        "违规事实": _facts(sanction),
        "违规类型": _violations(inspection),
        "检查日期": chinese_date(inspection.start_date if inspection else None),
        "涉及金额": cny(involved),
        "涉及金额大写": rmb_capital(involved),
        "措施类型": sanction.get_kind_display(),
        "处理措施": measure_text(sanction),
        "决定日期": chinese_date(sanction.decided_on),
        "法律依据": _or_dash(sanction.legal_basis),
        "处理金额": cny(sanction.amount),
        "处理金额大写": rmb_capital(sanction.amount),
        "检查案号": _or_dash(inspection.docket if inspection else None),
    }


def _facility_of(record: Record) -> Any:
    return record.inspection.facility if isinstance(record, Referral) else record.facility


def placeholder_values(record: Record, kind: str, *, on: datetime.date) -> dict[str, str]:
    """The value of every placeholder of kind, from record (and what it rests on), as plain
    text in Chinese; `on` is the day of issue. Queries: the record's relations."""
    with translation.override("zh-hans"):
        values = _facility_values(_facility_of(record))
        values["案号"] = _or_dash(document_number(record))
        values["出具日期"] = chinese_date(on)
        if isinstance(record, Inspection):
            values.update(_inspection_values(record))
        elif isinstance(record, Referral):
            values.update(_referral_values(record))
        else:
            values.update(_sanction_values(record))
    return {name: values[name] for name in PLACEHOLDERS[kind]}


def fill(text: str, values: dict[str, str]) -> str:
    """text with each {name} replaced by its value, in one pass (a value is never read again);
    a name without a value is left as written."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


# --- the draft -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """A document as it will read: what the PDF and the DOCX are drawn from."""

    kind: DocumentKind
    title: str
    number: str
    paragraphs: list[str]
    signatory: str
    dated: str
    template: DocumentTemplate = field(repr=False)

    @property
    def file_stem(self) -> str:
        return f"{self.kind.label}-{self.number}" if self.number else str(self.kind.label)


def kinds_for(record: Record) -> tuple[DocumentKind, ...]:
    """The documents record can give."""
    if isinstance(record, Sanction) and record.kind == SanctionKind.COMMENDATION:
        return ()
    return _KINDS.get(type(record), ())


def active_template(kind: str) -> DocumentTemplate:
    """The template documents of kind are made with; refused when none is active."""
    template = DocumentTemplate.objects.filter(kind=kind, is_active=True).first()
    if template is None:
        raise refuse(
            "kind",
            _("%(kind)s没有启用的模板，请主管在“文书模板”页面启用一个。")
            % {"kind": DocumentKind(kind).label},
        )
    return template


def _loaded(record: Record) -> Record:
    """record again, with what its documents read (one query per relation)."""
    model = type(record)
    related, prefetched = _SELECTED[model]
    return model.objects.select_related(*related).prefetch_related(*prefetched).get(pk=record.pk)


def make_draft(
    record: Record,
    kind: str,
    *,
    on: datetime.date | None = None,
    template: DocumentTemplate | None = None,
) -> Draft:
    """The document of kind from record, with the active template (or template), as of the day
    `on` (today). Refused when record gives no such document or no template is active."""
    if kind not in {k.value for k in kinds_for(record)}:
        raise refuse("kind", _("该记录不能出具这种文书。"))
    kind = DocumentKind(kind)
    template = template or active_template(kind)
    day = on or timezone.localdate()
    record = _loaded(record)
    values = placeholder_values(record, kind, on=day)
    body = plain(fill(template.body, values))
    # The decision is dated the day it was decided; the other documents the day they are issued.
    dated = record.decided_on if kind == DocumentKind.DECISION else day
    return Draft(
        kind=kind,
        title=" ".join(plain(fill(template.title, values)).split()),
        number=plain(document_number(record)).strip(),
        paragraphs=[line.strip() for line in body.split("\n") if line.strip()],
        signatory=" ".join(plain(template.signatory).split()),
        dated=chinese_date(dated),
        template=template,
    )


# --- drawing -------------------------------------------------------------------------------


def _drawable(pdf: ChinesePDF, text: str) -> str:
    """text with each character the current font lacks shown as □ (never silently lost)."""
    cmap = pdf.current_font.cmap
    return "".join(ch if ord(ch) in cmap or ch == "\n" else MISSING_GLYPH for ch in text)


def pdf_bytes(draft: Draft) -> bytes:
    """The draft as a PDF: title centred in the bold sans face, the number below it, paragraphs
    indented two characters, the signatory and date right-aligned at the end. Raises
    pdf.FontMissing when the server has no Chinese font."""
    from fpdf.enums import Align, WrapMode

    pdf = ChinesePDF(draft.title)
    pdf.set_subject(str(draft.kind.label))
    pdf.add_page()
    line = TEXT_SIZE * POINT * 1.75  # about 22 lines a page, as GB/T 9704 sets
    pdf.set_font("sans", "B", TITLE_SIZE)
    pdf.multi_cell(
        0,
        TITLE_SIZE * POINT * 1.5,
        _drawable(pdf, draft.title),
        align=Align.C,
        new_x="LMARGIN",
        new_y="NEXT",
        wrapmode=WrapMode.CHAR,
    )
    pdf.set_font("serif", "", TEXT_SIZE)
    if draft.number:
        pdf.ln(line * 0.3)
        pdf.multi_cell(
            0,
            line,
            _drawable(pdf, draft.number),
            align=Align.C,
            new_x="LMARGIN",
            new_y="NEXT",
            wrapmode=WrapMode.CHAR,
        )
    pdf.ln(line * 0.5)
    with pdf.text_columns(text_align=Align.L, line_height=1.75, wrapmode=WrapMode.CHAR) as columns:
        for paragraph in draft.paragraphs:
            with columns.paragraph(first_line_indent=2 * TEXT_SIZE * POINT) as text:
                text.write(_drawable(pdf, paragraph))
    pdf.ln(line * 2)
    for text in (draft.signatory, draft.dated):
        pdf.multi_cell(
            0,
            line,
            _drawable(pdf, text),
            align=Align.R,
            new_x="LMARGIN",
            new_y="NEXT",
            wrapmode=WrapMode.CHAR,
        )
    return pdf.to_bytes()


def _east_asian(font: Any, element: Any, name: str) -> None:
    """Name the font of a style or run (element) for Latin and East-Asian text alike: Word
    takes w:eastAsia for Chinese, and without it shows its default Chinese face."""
    from docx.oxml.ns import qn

    font.name = name
    element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def docx_bytes(draft: Draft) -> bytes:
    """The draft as a Word document (宋体 title, 仿宋 text), for staff to edit before signing."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = document.styles["Normal"]
    normal.font.size = Pt(TEXT_SIZE)
    _east_asian(normal.font, normal.element, "仿宋")
    document.core_properties.title = draft.title
    document.core_properties.subject = str(draft.kind.label)

    def add(text: str, *, align: Any, size: int = TEXT_SIZE, face: str = "仿宋", bold=False):
        paragraph = document.add_paragraph()
        paragraph.alignment = align
        run = paragraph.add_run(text)
        run.font.size = Pt(size)
        run.font.bold = bold
        _east_asian(run.font, run._element, face)
        return paragraph

    add(draft.title, align=WD_ALIGN_PARAGRAPH.CENTER, size=TITLE_SIZE, face="宋体", bold=True)
    if draft.number:
        add(draft.number, align=WD_ALIGN_PARAGRAPH.CENTER)
    document.add_paragraph()
    for text in draft.paragraphs:
        paragraph = add(text, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        paragraph.paragraph_format.first_line_indent = Pt(2 * TEXT_SIZE)
    document.add_paragraph()
    add(draft.signatory, align=WD_ALIGN_PARAGRAPH.RIGHT)
    add(draft.dated, align=WD_ALIGN_PARAGRAPH.RIGHT)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


# --- who may, and issuing ------------------------------------------------------------------


def may_issue(user: Any, record: Record) -> bool:
    """Whether user may preview and issue record's documents: add_issueddocument, the change
    permission of the record, and the record in user's districts (may query)."""
    if user is None or not user.is_authenticated:
        return False
    model = type(record)
    if not user.has_perms(
        ["supervision.add_issueddocument", f"supervision.change_{model._meta.model_name}"]
    ):
        return False
    return scoped_queryset(user, model.objects.filter(pk=record.pk)).exists()


def issued_versions(record: Record) -> models.QuerySet:
    """The documents issued from record, newest version of each kind first."""
    field_name = _KINDS_FIELD[type(record)]
    return (
        IssuedDocument.objects.filter(**{field_name: record})
        .select_related("issued_by", "evidence")
        .order_by("kind", "-version")
    )


_KINDS_FIELD = {Inspection: "inspection", Referral: "referral", Sanction: "sanction"}


def issue_document(record: Record, kind: str, *, user: User) -> IssuedDocument:
    """Issue the document of kind from record as its next version: the PDF is kept as evidence
    of the record, with an IssuedDocument row (template text, SHA-256, who, when) and their
    history. The record's row is locked while the version is chosen, and the database's unique
    (record, kind, version) refuses a version issued twice at once with a message.

    Refused (PermissionDenied) for a user who may not issue it (may_issue); refused with a
    message when the record gives no such document or no template is active. Raises
    pdf.FontMissing, having written nothing, when the server has no Chinese font.
    """
    if not may_issue(user, record):
        raise PermissionDenied("may not issue documents of this record")
    model = type(record)
    field_name = _KINDS_FIELD[model]
    stored: list[str] = []
    try:
        with transaction.atomic():
            locked = model.objects.select_for_update().get(pk=record.pk)
            check_in_scope(user, locked)
            draft = make_draft(locked, kind)
            previous = IssuedDocument.objects.filter(**{field_name: locked, "kind": kind})
            version = (previous.aggregate(last=Max("version"))["last"] or 0) + 1
            content = pdf_bytes(draft)
            digest = hashlib.sha256(content).hexdigest()
            with translation.override("zh-hans"):
                label = str(draft.kind.label)
                description = _("出具%(kind)s第%(version)s版") % {"kind": label, "version": version}
                name = safe_name(
                    _("%(stem)s-第%(version)s版") % {"stem": draft.file_stem, "version": version},
                    EvidenceType.PDF,
                    default=label,
                )
            reason = reasons.source_text(ISSUED, kind=label, version=version)
            evidence = Evidence(
                **{field_name: locked},
                original_name=name,
                content_type=EvidenceType.PDF,
                size=len(content),
                sha256=digest,
                description=description,
                uploaded_by=user,
            )
            evidence.full_clean(exclude=["file"])
            evidence.file.save("issued", ContentFile(content), save=False)
            stored.append(evidence.file.name)
            evidence._history_user = user  # type: ignore[attr-defined]
            evidence._change_reason = reason  # type: ignore[attr-defined]
            evidence.save()
            template = draft.template
            issued = IssuedDocument(
                **{field_name: locked},
                kind=kind,
                version=version,
                number=draft.number[: IssuedDocument._meta.get_field("number").max_length],
                title=draft.title[: IssuedDocument._meta.get_field("title").max_length],
                template=template,
                template_version=template.version,
                template_title=template.title,
                template_body=template.body,
                template_signatory=template.signatory,
                evidence=evidence,
                sha256=digest,
                issued_by=user,
            )
            save_with_history(issued, user, reason)
    except IntegrityError:
        _remove(stored, evidence_storage())
        raise refuse(
            "kind", _("另一位用户刚刚出具了这份文书的同一版次，未保存。请刷新页面后再试。")
        ) from None
    except BaseException:
        _remove(stored, evidence_storage())
        raise
    return issued


def evidence_storage() -> Any:
    return Evidence._meta.get_field("file").storage


def _remove(names: list[str], storage: Any) -> None:
    for name in names:
        storage.delete(name)


# --- templates -----------------------------------------------------------------------------


def save_template(template: DocumentTemplate, *, user: User, active: bool) -> DocumentTemplate:
    """Save a template as written on its page; `active` makes it the one its kind is made with,
    the kind's other active template (if any) set aside in the same transaction, each with its
    history."""
    try:
        with transaction.atomic():
            if active:
                others = DocumentTemplate.objects.select_for_update().filter(
                    kind=template.kind, is_active=True
                )
                if template.pk is not None:
                    others = others.exclude(pk=template.pk)
                for other in others:
                    other.is_active = False
                    save_with_history(other, user, reasons.source_text(SET_ASIDE))
            template.is_active = active
            save_with_history(template, user)
    except IntegrityError:
        raise refuse(
            "is_active", _("同时有人启用了该类文书的另一个模板，未保存。请刷新页面后再试。")
        ) from None
    return template
