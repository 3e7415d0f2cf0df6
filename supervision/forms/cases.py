"""Case forms: inspections, referrals, sanctions.

Writes go through supervision.services (the edit of an inspection is a plain ModelForm save, see
InspectionForm). The services' own check functions run in clean(), so a refusal is a message on
its field before anything is saved; the services check again when they write. Every queryset a
choice field offers or accepts is passed through supervision.scoping.scoped_queryset.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db.models import Case, QuerySet, TextChoices, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from supervision.choices import (
    REFERRAL_TRANSITIONS,
    Agency,
    InspectionKind,
    InspectionStatus,
    ReferralStatus,
    SanctionKind,
    Violation,
)
from supervision.codes import CREDIT_CODE_LENGTH, INSURANCE_CODE_LENGTH
from supervision.formats.punctuation import bracketed, listed
from supervision.forms.versions import VersionedFormMixin
from supervision.models import (
    CreditRating,
    Facility,
    Inspection,
    Inspector,
    PartnerAgency,
    Referral,
    Sanction,
    ViolationCategory,
)
from supervision.models.inspection import check_inspectors
from supervision.models.rating import MIN_RATING_YEAR
from supervision.scoping import scoped_queryset
from supervision.search import search_keys, search_terms, terms_query
from supervision.services.referrals import move_problems, referral_problems
from supervision.services.sanctions import (
    commendation_rating,
    deposit_recovery_amount,
    suspension_problems,
    termination_problems,
    warning_problems,
)

# Free text: the limits are the model fields' max_length (held in the database by a CHECK).
MAX_FINDINGS_LENGTH = Inspection._meta.get_field("findings").max_length
MAX_SUMMARY_LENGTH = Referral._meta.get_field("summary").max_length
MAX_OUTCOME_LENGTH = Referral._meta.get_field("outcome").max_length
MAX_LEGAL_BASIS_LENGTH = Sanction._meta.get_field("legal_basis").max_length
MAX_NOTE_LENGTH = Sanction._meta.get_field("note").max_length
MAX_FACILITY_LOOKUP_LENGTH = 200

REQUIRED = _("请填写此项。")
TEXT_ERRORS = {
    "required": REQUIRED,
    "max_length": _("最多%(limit_value)d个字符（当前%(show_value)d个）。"),
    "null_characters_not_allowed": _("不能包含空字符。"),
}
DATE_ERRORS = {
    "required": REQUIRED,
    "invalid": _("请输入有效日期，格式为YYYY-MM-DD，例如2025-03-10。"),
}
MONEY_ERRORS = {
    "required": REQUIRED,
    "invalid": _("请输入金额数字（元），例如1234.56。"),
    "min_value": _("金额不能为负数。"),
    "max_digits": _("金额过大：最多%(max)s位数字。"),
    "max_whole_digits": _("金额过大：整数部分最多%(max)s位。"),
    "max_decimal_places": _("金额最多两位小数。"),
}
CHOICE_ERRORS = {"required": _("请选择此项。"), "invalid_choice": _("所选项无效。")}
MULTI_ERRORS = {
    "required": _("请至少选择一项。"),
    "invalid_choice": _("所选项无效。"),
    "invalid_pk_value": _("所选项无效。"),
    "invalid_list": _("所选项无效。"),
}


# How every date input of the pages is written and read, in every language: what a browser's
# date picker sends, and what DATE_ERRORS asks for when a date is typed.
DATE_INPUT_FORMAT = "%Y-%m-%d"


def date_field(label: str, *, required: bool = True, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=[DATE_INPUT_FORMAT],
        widget=forms.DateInput(attrs={"type": "date"}, format=DATE_INPUT_FORMAT),
        error_messages=DATE_ERRORS,
        **kwargs,
    )


def money_field(label: str, *, required: bool = False, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
        error_messages=MONEY_ERRORS,
        **kwargs,
    )


class MultilineField(forms.CharField):
    """Text from a <textarea>: browsers send its line breaks as CRLF, kept here as LF, so a
    form submitted unchanged does not rewrite text entered through the API or the fixtures."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return text.replace("\r\n", "\n").replace("\r", "\n") if text else text


def text_field(
    label: str, max_length: int, *, required: bool = False, rows: int = 4, **kwargs: Any
) -> forms.CharField:
    """Free text: a textarea that refuses more than max_length characters."""
    return MultilineField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages=TEXT_ERRORS,
        **kwargs,
    )


def line_field(label: str, max_length: int, **kwargs: Any) -> forms.CharField:
    kwargs.setdefault("required", False)
    return forms.CharField(label=label, max_length=max_length, error_messages=TEXT_ERRORS, **kwargs)


def add_problems(form: forms.Form, problems: Mapping[str, Any]) -> None:
    """Show a check's problems on their fields; one on a field the form lacks goes on top."""
    for name, message in problems.items():
        form.add_error(name if name in form.fields else None, message)


def add_refusal(form: forms.Form, error: ValidationError) -> None:
    """A ValidationError raised by a check, shown like add_problems."""
    if hasattr(error, "error_dict"):
        add_problems(form, error.message_dict)
    else:
        form.add_error(None, error)


class FacilityField(forms.ModelChoiceField):
    """A facility chosen by typing: its 医保定点编码, 统一社会信用代码 or full name.

    Never a <select>: a city has hundreds of facilities, a province hundreds of thousands. The
    page's script (typeahead.js) suggests facilities as one types — a part of the name, pinyin,
    initials or a code prefix, from /lookup/facilities/ — and puts the chosen one's code in the
    field. Without the script, a name that is not exact gets the facilities it finds listed in
    the error, with their codes. An initial facility (?facility=<pk>) shows as its code.
    """

    widget = forms.TextInput(
        attrs={
            "autocomplete": "off",
            "spellcheck": "false",
            "maxlength": MAX_FACILITY_LOOKUP_LENGTH,
        }
    )
    default_error_messages = {
        "required": _("请填写机构的医保定点编码、统一社会信用代码或全称。"),
        "invalid_choice": _("未找到该机构：请核对医保定点编码、统一社会信用代码或全称。"),
        "candidates": _("没有名称或编码完全一致的机构。是否是：%(candidates)s？请填写其编码。"),
        "ambiguous": _("有多个机构叫这个名称，请改填医保定点编码或统一社会信用代码。"),
        "max_length": _("最多%(limit_value)d个字符。"),
    }
    # How many facilities a near miss lists in its error message.
    CANDIDATES = 5

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Facility):
            return value.insurance_code or value.credit_code
        return value

    def to_python(self, value: Any) -> Facility | None:
        if isinstance(value, Facility):
            return value
        text = str(value or "").strip()
        if not text:
            return None
        if len(text) > MAX_FACILITY_LOOKUP_LENGTH:
            raise ValidationError(
                self.error_messages["max_length"] % {"limit_value": MAX_FACILITY_LOOKUP_LENGTH},
                code="max_length",
            )
        code = text.upper()
        queryset = self.queryset
        if len(code) == CREDIT_CODE_LENGTH:
            found = list(queryset.filter(credit_code=code)[:1])
        elif len(code) == INSURANCE_CODE_LENGTH and code[0] in "HP":
            found = list(queryset.filter(insurance_code=code)[:1])
        else:
            found = []
        if not found:
            found = list(queryset.filter(name=text)[:2])
            if len(found) > 1:
                raise ValidationError(self.error_messages["ambiguous"], code="ambiguous")
        if not found:
            self._refuse_with_candidates(text)
        return found[0]

    def _refuse_with_candidates(self, text: str) -> None:
        """Not one facility by that exact code or name: name the few the words find, if any."""
        terms = search_terms(text)
        near = (
            list(self.queryset.filter(terms_query(terms)).order_by("name", "id")[: self.CANDIDATES])
            if terms
            else []
        )
        if not near:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        candidates = listed(
            bracketed(f.name, listed([f.get_district_display(), f.insurance_code or f.credit_code]))
            for f in near
        )
        raise ValidationError(
            self.error_messages["candidates"] % {"candidates": candidates}, code="candidates"
        )

    def validate(self, value: Facility | None) -> None:
        if value is None and self.required:
            raise ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial: Any, data: Any) -> bool:
        return str(self.prepare_value(initial) or "") != str(data or "")


def facility_field(label: str, user: AbstractBaseUser, initial: Facility | None) -> FacilityField:
    help_text = _(
        "输入名称、拼音或首字母（如 gsdyf）、编码的前几位，从列表中选择；"
        "也可直接填写医保定点编码、统一社会信用代码或机构全称。"
    )
    if initial is not None:
        help_text = _("已选：%(name)s。可改填其他机构的编码或全称。") % {"name": initial.name}
    field = FacilityField(
        queryset=scoped_queryset(user, Facility.objects.all()),
        label=label,
        initial=initial,
        help_text=help_text,
    )
    # typeahead.js turns the field into a combobox (only when it runs: no ARIA promises here).
    field.widget.attrs.update(
        {
            "data-typeahead": reverse("lookup-facilities"),
            "data-typeahead-empty": _("没有找到匹配的机构。"),
            "data-typeahead-chosen-label": _("已选："),
        }
    )
    if initial is not None:
        field.widget.attrs["data-typeahead-chosen"] = (
            f"{initial.name} · {initial.get_district_display()} · {initial.get_kind_display()}"
        )
    return field


class InspectorChoices(forms.CheckboxSelectMultiple):
    """The inspectors as checkboxes (what is submitted, and all there is without the script),
    each carrying its search keys — name, pinyin, initials, badge number — so that
    typeahead.js can offer a type-ahead over them instead of the long list, with no request."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        inspector = getattr(value, "instance", None)
        if inspector is not None:
            option["attrs"]["data-search"] = (
                f"{search_keys(inspector.name)} {inspector.badge_number.lower()}"
            )
        return option


# ----------------------------------------------------------------------------- inspections


def in_choice_order(queryset: QuerySet, choices: type[TextChoices]) -> QuerySet:
    """Lookup rows (primary key = a choice's code) in the order the choices list them."""
    return queryset.order_by(
        Case(
            *[When(pk=value, then=Value(index)) for index, value in enumerate(choices.values)],
            default=Value(len(choices.values)),
        )
    )


_OPEN_STATUSES = [
    (s.value, s.label) for s in (InspectionStatus.PLANNED, InspectionStatus.IN_PROGRESS)
]


class InspectionForm(VersionedFormMixin, forms.ModelForm):
    """Record an inspection (services.record_inspection) or edit one (a plain ModelForm save).

    Completing is its own step (CompleteInspectionForm). On-site kinds need two inspectors
    (supervision.models.inspection.check_inspectors); the offered inspectors are the active
    ones, plus, on an edit, those already on it. An edit carries the version it was made on.
    """

    kind = forms.ChoiceField(
        label=_("检查类型"),
        choices=[("", "---------"), *InspectionKind.choices],
        error_messages=CHOICE_ERRORS,
    )
    status = forms.ChoiceField(
        label=_("状态"), choices=_OPEN_STATUSES, error_messages=CHOICE_ERRORS
    )
    start_date = date_field(_("开始日期"))
    end_date = date_field(_("结束日期"), required=False, help_text=_("不早于开始日期。"))
    inspectors = forms.ModelMultipleChoiceField(
        label=_("检查人员"),
        queryset=Inspector.objects.none(),
        required=False,
        widget=InspectorChoices(
            attrs={
                "data-typeahead-empty": _("没有找到匹配的执法人员。"),
                "data-typeahead-remove": _("移除 "),
                "data-typeahead-placeholder": _("输入姓名、拼音或执法证号"),
            }
        ),
        error_messages=MULTI_ERRORS,
        help_text=_("现场检查至少2名执法人员（《医疗保障基金使用监督管理条例》第二十九条）。"),
    )
    partner_agencies = forms.ModelMultipleChoiceField(
        label=_("协作部门"),
        queryset=PartnerAgency.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages=MULTI_ERRORS,
    )
    violations = forms.ModelMultipleChoiceField(
        label=_("违规类型"),
        queryset=ViolationCategory.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages=MULTI_ERRORS,
    )
    findings = text_field(_("检查发现"), MAX_FINDINGS_LENGTH, rows=6)
    amount_involved = money_field(_("涉及金额（元）"), initial=Decimal("0.00"))
    amount_recovered = money_field(
        _("追回金额（元）"), initial=Decimal("0.00"), help_text=_("不大于涉及金额。")
    )

    class Meta:
        model = Inspection
        fields = [
            "facility",
            "kind",
            "status",
            "start_date",
            "end_date",
            "inspectors",
            "partner_agencies",
            "violations",
            "findings",
            "amount_involved",
            "amount_recovered",
        ]

    def __init__(
        self,
        *args: Any,
        user: AbstractBaseUser,
        facility: Facility | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        editing = self.instance.pk is not None
        if editing:
            # An inspection stays with its facility: its referrals and sanctions rest on it.
            del self.fields["facility"]
            if self.instance.status == InspectionStatus.COMPLETED:
                del self.fields["status"]  # completed stays completed
                self.fields["end_date"].required = True
                self.fields["end_date"].help_text = _("已完成的检查必须填写结束日期。")
        else:
            self.fields["facility"] = facility_field(_("被检查机构"), user, facility)
            self.order_fields(self.Meta.fields)
        inspectors = Inspector.objects.filter(is_active=True)
        if editing:
            inspectors = Inspector.objects.filter(is_active=True) | Inspector.objects.filter(
                inspections=self.instance
            )
        self.fields["inspectors"].queryset = scoped_queryset(user, inspectors.distinct())
        self.fields["partner_agencies"].queryset = scoped_queryset(
            user, in_choice_order(PartnerAgency.objects.all(), Agency)
        )
        self.fields["violations"].queryset = scoped_queryset(
            user, in_choice_order(ViolationCategory.objects.all(), Violation)
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("结束日期不能早于开始日期。"))
        involved, recovered = cleaned.get("amount_involved"), cleaned.get("amount_recovered")
        if involved is None and "amount_involved" not in self.errors:
            cleaned["amount_involved"] = Decimal("0.00")
        if recovered is None and "amount_recovered" not in self.errors:
            cleaned["amount_recovered"] = Decimal("0.00")
        involved, recovered = cleaned.get("amount_involved"), cleaned.get("amount_recovered")
        if involved is not None and recovered is not None and recovered > involved:
            self.add_error("amount_recovered", _("追回金额不能大于涉及金额。"))
        kind, inspectors = cleaned.get("kind"), cleaned.get("inspectors")
        if kind and "inspectors" not in self.errors:
            try:
                check_inspectors(kind, len(set(inspectors or [])))
            except ValidationError as error:
                add_refusal(self, error)
        return cleaned

    def service_arguments(self) -> dict[str, Any]:
        """What services.record_inspection takes, from the cleaned data."""
        data = dict(self.cleaned_data)
        data["findings"] = data.get("findings") or ""
        return data


class CompleteInspectionForm(VersionedFormMixin, forms.Form):
    """Mark an inspection completed (services.complete_inspection), as of the version shown."""

    end_date = date_field(_("结束日期"), help_text=_("检查的最后一天，不早于开始日期。"))
    findings = text_field(
        _("检查发现"), MAX_FINDINGS_LENGTH, rows=6, help_text=_("可在此补充或修改检查发现。")
    )

    def __init__(self, *args: Any, inspection: Inspection, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "end_date": max(timezone.localdate(), inspection.start_date),
                "findings": inspection.findings,
            },
        )
        super().__init__(*args, **kwargs)
        self.inspection = inspection
        self.carry_version(inspection)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        end = cleaned.get("end_date")
        if end and end < self.inspection.start_date:
            self.add_error("end_date", _("结束日期不能早于开始日期。"))
        if self.inspection.status == InspectionStatus.COMPLETED:
            self.add_error(None, _("该检查已完成。"))
        try:
            check_inspectors(self.inspection.kind, self.inspection.inspectors.count())
        except ValidationError as error:
            add_refusal(self, error)  # on top: the inspectors are changed on the edit page
        return cleaned


# ----------------------------------------------------------------------------- referrals


class ReferForm(forms.Form):
    """Refer an inspection's case to an agency (services.refer_inspection)."""

    agency = forms.ChoiceField(label=_("移送部门"), choices=[], error_messages=CHOICE_ERRORS)
    referred_on = date_field(_("移送日期"))
    summary = text_field(
        _("案情摘要"),
        MAX_SUMMARY_LENGTH,
        required=True,
        rows=5,
        help_text=_("写明涉嫌的违法事实，例如伪造、变造随货同行单。"),
    )

    def __init__(self, *args: Any, inspection: Inspection, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"referred_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.inspection = inspection
        done = set(inspection.referrals.values_list("agency", flat=True))
        self.fields["agency"].choices = [
            ("", "---------"),
            *[(a.value, a.label) for a in Agency if a.value not in done],
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        problems = referral_problems(
            self.inspection,
            agency=cleaned.get("agency"),
            referred_on=cleaned.get("referred_on"),
            summary=cleaned.get("summary"),
        )
        add_problems(self, problems)
        return cleaned


class MoveReferralForm(VersionedFormMixin, forms.Form):
    """Move a referral one step (services.move_referral): only the allowed next statuses.

    From 已移送: 已立案 (with its case number) or 不予立案, on the decision date. From either:
    已结案, on the closing date, with the outcome.
    """

    status = forms.ChoiceField(
        label=_("新状态"), choices=[], widget=forms.RadioSelect, error_messages=CHOICE_ERRORS
    )
    decided_on = date_field(_("立案/不予立案日期"))
    closed_on = date_field(_("结案日期"))
    case_number = line_field(
        _("立案编号"),
        Referral._meta.get_field("case_number").max_length,
        help_text=_("立案时必填。"),
    )
    outcome = text_field(_("处理结果"), MAX_OUTCOME_LENGTH, rows=4)

    def __init__(self, *args: Any, referral: Referral, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("decided_on", timezone.localdate())
        kwargs["initial"].setdefault("closed_on", timezone.localdate())
        kwargs["initial"].setdefault("case_number", referral.case_number)
        kwargs["initial"].setdefault("outcome", referral.outcome)
        super().__init__(*args, **kwargs)
        self.referral = referral
        self.carry_version(referral)
        allowed = REFERRAL_TRANSITIONS[referral.status]
        self.fields["status"].choices = [(s.value, s.label) for s in ReferralStatus if s in allowed]
        if len(allowed) == 1:
            self.fields["status"].initial = next(iter(allowed))
        closing = allowed == {ReferralStatus.CLOSED}
        if closing:
            del self.fields["decided_on"]
            del self.fields["case_number"]
            self.fields["outcome"].required = True
            self.fields["outcome"].help_text = _("结案时必填。")
        else:
            del self.fields["closed_on"]

    @property
    def date_field_name(self) -> str:
        return "closed_on" if "closed_on" in self.fields else "decided_on"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        status = cleaned.get("status")
        if not status:
            return cleaned
        problems = move_problems(
            self.referral,
            to_status=status,
            on=cleaned.get(self.date_field_name),
            case_number=cleaned.get("case_number") or "",
            outcome=cleaned.get("outcome") or "",
        )
        add_problems(self, problems)
        return cleaned


# ----------------------------------------------------------------------------- sanctions

_OPTIONAL = {"decision_number", "legal_basis", "inspection", "note"}
# What each kind takes beyond facility, kind and decided_on: (required, optional). Shared with
# the template (which fieldset belongs to which kinds) and the small static script.
KIND_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    SanctionKind.SUSPENSION: (
        frozenset({"starts_on", "ends_on"}),
        frozenset(_OPTIONAL | {"rating_year"}),
    ),
    SanctionKind.TERMINATION: (frozenset({"starts_on"}), frozenset(_OPTIONAL)),
    SanctionKind.DEPOSIT_RECOVERY: (
        frozenset({"deposit_percent"}),
        frozenset(_OPTIONAL | {"rating_year"}),
    ),
    SanctionKind.FUND_RECOVERY: (frozenset({"amount"}), frozenset(_OPTIONAL)),
    SanctionKind.FINE: (frozenset({"amount"}), frozenset(_OPTIONAL)),
    SanctionKind.WARNING: (frozenset({"note"}), frozenset(_OPTIONAL - {"note"})),
    SanctionKind.COMMENDATION: (frozenset({"rating_year"}), frozenset({"decision_number", "note"})),
}
KIND_SPECIFIC = (
    "starts_on",
    "ends_on",
    "deposit_percent",
    "amount",
    "rating_year",
    "inspection",
    "decision_number",
    "legal_basis",
    "note",
)


def kinds_taking(name: str) -> list[str]:
    """The sanction kinds that take field `name` (required or optional)."""
    return [kind for kind, (req, opt) in KIND_FIELDS.items() if name in req | opt]


class SanctionForm(forms.Form):
    """Record a measure: one form for every kind, dispatched to the kind's service.

    Which fields a kind takes is checked here, on the server: a field a kind needs is required,
    a field it does not take must stay empty (the static script disables them; without it the
    page still works, each field saying which kinds it is for).
    """

    facility = forms.CharField(label=_("机构"))  # replaced by a FacilityField in __init__
    kind = forms.ChoiceField(
        label=_("措施类型"), choices=SanctionKind.choices, error_messages=CHOICE_ERRORS
    )
    decided_on = date_field(_("决定日期"))
    starts_on = date_field(
        _("起始日期"), required=False, help_text=_("暂停：第一天；解除协议：生效日。")
    )
    ends_on = date_field(
        _("截止日期"), required=False, help_text=_("暂停的最后一天（含），最长12个月。")
    )
    deposit_percent = forms.DecimalField(
        label=_("收回保证金比例（%）"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "max": "100"}),
        error_messages={
            **MONEY_ERRORS,
            "invalid": _("请输入比例数字，例如2.5。"),
            "min_value": _("比例应大于0。"),
            "max_value": _("比例不能超过100。"),
            "max_digits": _("比例最多两位小数，不超过100。"),
            "max_whole_digits": _("比例不能超过100。"),
            "max_decimal_places": _("比例最多两位小数。"),
        },
        help_text=_("金额按机构登记的医保保证金自动计算。"),
    )
    amount = money_field(_("金额（元）"), help_text=_("罚款或追回医保基金的金额，大于0。"))
    rating_year = forms.IntegerField(
        label=_("依据的信用评价年度"),
        required=False,
        min_value=MIN_RATING_YEAR,
        error_messages={
            "invalid": _("请输入四位年份，例如2024。"),
            "min_value": _("年度不能早于%(limit_value)s年。"),
            "max_value": _("年度不能晚于%(limit_value)s年。"),
        },
        help_text=_("授牌必填（该年度须评为A级）；依信用等级作出的暂停、收回保证金可填。"),
    )
    inspection = forms.ModelChoiceField(
        label=_("依据的检查"),
        queryset=Inspection.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": _("所选检查无效。"),
            "invalid_pk_value": _("所选检查无效。"),
        },
    )
    decision_number = line_field(
        _("文书编号"), Sanction._meta.get_field("decision_number").max_length
    )
    legal_basis = text_field(_("法律依据"), MAX_LEGAL_BASIS_LENGTH, rows=3)
    note = text_field(
        _("备注"),
        MAX_NOTE_LENGTH,
        rows=4,
        help_text=_("约谈/责令改正：必填，写明约谈或责令改正的内容。"),
    )

    def __init__(
        self,
        *args: Any,
        user: AbstractBaseUser,
        facility: Facility | None = None,
        inspection: Inspection | None = None,
        **kwargs: Any,
    ) -> None:
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("decided_on", timezone.localdate())
        if inspection is not None:
            facility = inspection.facility
            initial.setdefault("inspection", inspection.pk)
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["facility"] = facility_field(_("机构"), user, facility)
        self.order_fields(["facility", "kind", "decided_on"])
        # A year that has not begun has no rating; the bound moves with today.
        this_year = timezone.localdate().year
        self.fields["rating_year"].validators.append(MaxValueValidator(this_year))
        self.fields["rating_year"].widget.attrs["max"] = this_year
        field = self.fields["inspection"]
        field.queryset = scoped_queryset(user, Inspection.objects.all())
        # The choices shown are the facility's own inspections, when it is known; any
        # inspection in scope is accepted and clean() checks it is the facility's.
        if facility is not None:
            own = field.queryset.filter(facility=facility).order_by("-start_date", "-id")
            field.widget.choices = [
                ("", _("（无）")),
                *[(i.pk, f"{i.start_date:%Y-%m-%d} · {i.get_kind_display()}") for i in own],
            ]
        else:
            field.widget = forms.HiddenInput()
        self.facility_known = facility is not None
        for name in KIND_SPECIFIC:
            kinds = kinds_taking(name)
            # data-kinds drives the static script; the help text says the same without it.
            self.fields[name].widget.attrs["data-kinds"] = " ".join(kinds)
            if len(kinds) < len(KIND_FIELDS):
                applies = _("适用：%(kinds)s。") % {
                    "kinds": pgettext("list separator", "、").join(
                        str(SanctionKind(k).label) for k in kinds
                    )
                }
                help_text = self.fields[name].help_text
                self.fields[name].help_text = f"{help_text} {applies}" if help_text else applies

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        facility = cleaned.get("facility")
        if not kind:
            return cleaned
        required, optional = KIND_FIELDS[kind]
        label = SanctionKind(kind).label
        for name in KIND_SPECIFIC:
            if name in self.errors:
                continue
            given = cleaned.get(name) not in (None, "")
            if name in required and not given:
                self.add_error(name, _("%(kind)s必须填写此项。") % {"kind": label})
            elif given and name not in required | optional:
                self.add_error(name, _("%(kind)s不填写此项。") % {"kind": label})
        if facility is None or self.errors:
            return cleaned
        inspection = cleaned.get("inspection")
        if inspection is not None and inspection.facility_id != facility.pk:
            self.add_error("inspection", _("依据的检查不是对该机构的检查。"))
        self._check_kind(kind, facility, cleaned)
        return cleaned

    def _check_kind(self, kind: str, facility: Facility, cleaned: dict[str, Any]) -> None:
        """The services' own checks, as field messages (they run again when writing)."""
        year = cleaned.get("rating_year")
        if kind == SanctionKind.COMMENDATION:
            try:
                cleaned["rating"] = commendation_rating(facility, year=year)
            except ValidationError as error:
                add_problems(self, {"rating_year": error.messages[0]})
            return
        if year is not None:
            rating = (
                scoped_queryset(self.user, CreditRating.objects.all())
                .filter(facility=facility, year=year)
                .first()
            )
            if rating is None:
                self.add_error(
                    "rating_year", _("该机构没有%(year)s年度的信用评价。") % {"year": year}
                )
            cleaned["rating"] = rating
        if kind == SanctionKind.SUSPENSION:
            add_problems(
                self,
                suspension_problems(
                    facility,
                    starts_on=cleaned.get("starts_on"),
                    ends_on=cleaned.get("ends_on"),
                    decided_on=cleaned.get("decided_on"),
                ),
            )
        elif kind == SanctionKind.TERMINATION:
            add_problems(
                self,
                termination_problems(
                    facility,
                    effective_on=cleaned.get("starts_on"),
                    decided_on=cleaned.get("decided_on"),
                ),
            )
        elif kind == SanctionKind.DEPOSIT_RECOVERY:
            try:
                cleaned["amount"] = deposit_recovery_amount(facility, cleaned["deposit_percent"])
            except ValidationError as error:
                add_refusal(self, error)
        elif kind == SanctionKind.WARNING:
            add_problems(self, warning_problems(note=cleaned.get("note") or ""))

    def service_call(self) -> tuple[str, dict[str, Any]]:
        """The service for the chosen kind and its arguments (without user)."""
        data = self.cleaned_data
        kind = data["kind"]
        common: dict[str, Any] = {
            "decided_on": data["decided_on"],
            "decision_number": data.get("decision_number") or "",
        }
        if kind != SanctionKind.COMMENDATION:
            common["legal_basis"] = data.get("legal_basis") or ""
            common["inspection"] = data.get("inspection")
        if kind != SanctionKind.WARNING:
            common["note"] = data.get("note") or ""
        if kind == SanctionKind.SUSPENSION:
            return "suspend_agreement", {
                **common,
                "starts_on": data["starts_on"],
                "ends_on": data["ends_on"],
                "rating": data.get("rating"),
            }
        if kind == SanctionKind.TERMINATION:
            return "terminate_agreement", {**common, "effective_on": data["starts_on"]}
        if kind == SanctionKind.DEPOSIT_RECOVERY:
            return "recover_deposit", {
                **common,
                "percent": data["deposit_percent"],
                "rating": data.get("rating"),
            }
        if kind in (SanctionKind.FINE, SanctionKind.FUND_RECOVERY):
            return "record_payment", {**common, "kind": kind, "amount": data["amount"]}
        if kind == SanctionKind.WARNING:
            return "warn", {**common, "note": data.get("note") or ""}
        return "commend", {**common, "year": data["rating_year"]}


def facility_from_query(user: AbstractBaseUser, value: str | None) -> Facility | None:
    """The facility a page was opened for (?facility=<pk>), if the user may see it."""
    if not value or not str(value).isdigit():
        return None
    return scoped_queryset(user, Facility.objects.all()).filter(pk=value).first()
