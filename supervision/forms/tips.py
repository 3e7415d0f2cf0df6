"""Tip forms (举报线索): register or edit a tip, its reporter, and one form per step of its
workflow and of its reward. Each form only checks what the user typed; the step itself is the
service's (supervision.services.tips), whose refusals come back onto the form's fields.

The reporter's fields exist only on the forms of users who may write them (add_tipreporter or
change_tipreporter): nobody else is ever shown a place where a reporter's identity would go.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supervision.choices import (
    District,
    InspectionKind,
    PaymentMethod,
    ReplyMethod,
    TipChannel,
    TipConclusion,
    TipSubject,
    Violation,
)
from supervision.codes import validate_phone, validate_resident_id
from supervision.forms.fields import (
    CHOICE_ERRORS,
    MULTI_ERRORS,
    REQUIRED,
    TEXT_ERRORS,
    add_refusal,
    date_field,
    facility_field,
    line_field,
    money_field,
    text_field,
)
from supervision.forms.inspections import InspectorChoices, code_boxes, in_choice_order
from supervision.forms.versions import VersionedFormMixin
from supervision.models import Facility, Inspector, Tip, TipReporter, TipReward, ViolationCategory
from supervision.models.inspection import check_inspectors
from supervision.scoping import scoped_queryset
from supervision.services.tips import (
    ReporterDetails,
    derived_conclusion,
    may_edit_reporter,
    possible_duplicates,
)

DATETIME_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
DATETIME_ERRORS = {
    "required": REQUIRED,
    "invalid": _("请输入有效的日期和时间，例如2025-03-10 14:05。"),
}
NEW_TIP = "new"
# The largest key the database holds (bigint).
MAX_TIP_NUMBER = 2**63 - 1


def tip_number(text: str) -> int | None:
    """The tip a search or a form names by number ("#123" or "123"), else None."""
    digits = str(text).strip().lstrip("#＃").strip()
    if digits.isascii() and digits.isdigit() and 0 < int(digits) <= MAX_TIP_NUMBER:
        return int(digits)
    return None


def _max(model: type, name: str) -> int:
    return model._meta.get_field(name).max_length


def _choice(label: str, choices: list, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=choices, error_messages=CHOICE_ERRORS, **kwargs)


def datetime_field(label: str, **kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[DATETIME_INPUT_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT_FORMAT),
        error_messages=DATETIME_ERRORS,
        **kwargs,
    )


def inspectors_field(user: AbstractBaseUser) -> forms.ModelMultipleChoiceField:
    """The inspection form's inspector field (checkboxes with a type-ahead over them)."""
    return forms.ModelMultipleChoiceField(
        label=_("检查人员"),
        queryset=scoped_queryset(user, Inspector.objects.filter(is_active=True)),
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


def _check_inspectors(form: forms.Form, kind: str | None, inspectors: Any) -> None:
    if kind and "inspectors" not in form.errors:
        try:
            check_inspectors(kind, len(set(inspectors or [])))
        except ValidationError as error:
            add_refusal(form, error)


def today() -> datetime.date:
    return timezone.localdate()


# --- Registering and editing ---------------------------------------------------------------------


class ReporterFieldsMixin:
    """The four reporter fields, checked by the model's own validators."""

    def add_reporter_fields(self, initial: TipReporter | None = None) -> None:
        fields = self.fields  # type: ignore[attr-defined]
        fields["reporter_name"] = line_field(
            _("举报人姓名"), _max(TipReporter, "name"), initial=getattr(initial, "name", "")
        )
        fields["reporter_phone"] = line_field(
            _("联系电话"),
            _max(TipReporter, "phone"),
            validators=[validate_phone],
            initial=getattr(initial, "phone", ""),
        )
        fields["reporter_id_number"] = line_field(
            _("身份证号码"),
            _max(TipReporter, "id_number"),
            validators=[validate_resident_id],
            initial=getattr(initial, "id_number", ""),
        )
        fields["reporter_address"] = line_field(
            _("联系地址"), _max(TipReporter, "address"), initial=getattr(initial, "address", "")
        )

    def reporter_details(self) -> ReporterDetails:
        data = self.cleaned_data  # type: ignore[attr-defined]
        return ReporterDetails.of(
            {
                "name": data.get("reporter_name"),
                "phone": data.get("reporter_phone"),
                "id_number": (data.get("reporter_id_number") or "").upper(),
                "address": data.get("reporter_address"),
            }
        )


class TipForm(ReporterFieldsMixin, VersionedFormMixin, forms.Form):
    """Register a tip (services.register_tip) or correct one (services.edit_tip).

    On registering, open tips about the same subject (services.possible_duplicates) are shown
    after the first submit: the user then merges the new tip into one of them or registers it
    anyway (`duplicate_of`).
    """

    channel = _choice(_("举报渠道"), [("", "---------"), *TipChannel.choices])
    received_at = datetime_field(_("接收时间"))
    subject_kind = _choice(_("被举报对象类型"), TipSubject.choices, initial=TipSubject.FACILITY)
    subject_name = line_field(
        _("被举报对象名称"),
        _max(Tip, "subject_name"),
        help_text=_("尚未匹配到定点机构时填写：单位名称、人员姓名等。"),
    )
    district = _choice(
        _("所属区县"),
        [("", "---------"), *District.choices],
        required=False,
        help_text=_("未选择被举报机构时必填；选择机构后按机构所属区县。"),
    )
    allegation = text_field(_("举报内容"), _max(Tip, "allegation") or 2000, required=True, rows=6)
    violations = code_boxes(_("违规类型"), ViolationCategory)
    amount_alleged = money_field(_("举报涉及金额（元）"))
    anonymous = forms.BooleanField(label=_("匿名举报"), required=False)
    wants_reply = forms.BooleanField(label=_("要求答复"), required=False, initial=True)
    duplicate_of = forms.CharField(
        label=_("可能重复的线索"), required=False, max_length=20, widget=forms.HiddenInput
    )

    def __init__(
        self,
        *args: Any,
        user: AbstractBaseUser,
        tip: Tip | None = None,
        facility: Facility | None = None,
        **kwargs: Any,
    ) -> None:
        initial = kwargs.setdefault("initial", {})
        if tip is None:
            initial.setdefault("received_at", timezone.localtime().replace(second=0, microsecond=0))
        else:
            initial.update(
                channel=tip.channel,
                received_at=timezone.localtime(tip.received_at),
                subject_kind=tip.subject_kind,
                subject_name=tip.subject_name,
                district=tip.district,
                allegation=tip.allegation,
                violations=list(tip.violations.all()),
                amount_alleged=tip.amount_alleged,
                wants_reply=tip.wants_reply,
            )
            facility = tip.facility
        super().__init__(*args, **kwargs)
        self.user = user
        self.tip = tip
        self.duplicates: list[Tip] = []
        field = facility_field(_("被举报机构"), user, facility)
        field.required = False
        self.fields["facility"] = field
        self.fields["violations"].queryset = scoped_queryset(
            user, in_choice_order(ViolationCategory.objects.all(), Violation)
        )
        order = ["channel", "received_at", "facility", "subject_kind", "subject_name", "district"]
        if tip is not None:
            self.carry_version(tip)
            del self.fields["anonymous"]
            del self.fields["duplicate_of"]
        elif user.has_perm("supervision.add_tipreporter") and may_edit_reporter(user):
            self.add_reporter_fields()
        self.order_fields(order)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        facility = cleaned.get("facility")
        if facility is None and "facility" not in self.errors:
            if not (cleaned.get("subject_name") or "").strip():
                self.add_error("subject_name", _("请选择被举报机构或填写被举报对象名称。"))
            if not cleaned.get("district"):
                self.add_error("district", _("未选择被举报机构时，请选择所属区县。"))
        received = cleaned.get("received_at")
        if received and received > timezone.now() + datetime.timedelta(minutes=5):
            self.add_error("received_at", _("接收时间不能晚于现在。"))
        if cleaned.get("anonymous") and not self.reporter_is_empty():
            self.add_error(None, _("匿名举报不登记举报人信息。"))
        if self.tip is None and not self.errors:
            self.check_duplicates(cleaned)
        return cleaned

    def reporter_is_empty(self) -> bool:
        return "reporter_name" not in self.fields or self.reporter_details().is_empty()

    def check_duplicates(self, cleaned: dict[str, Any]) -> None:
        """Open tips about the same subject: the user must choose to merge or register."""
        self.duplicates = list(
            possible_duplicates(
                self.user,
                facility=cleaned.get("facility"),
                subject_name=cleaned.get("subject_name") or "",
                received_at=cleaned.get("received_at"),
            )
        )
        if not self.duplicates:
            cleaned["duplicate_of"] = ""
            return
        choices = [(NEW_TIP, _("不是重复，登记为新线索"))] + [
            (str(t.pk), _("并入此线索：%(tip)s") % {"tip": t}) for t in self.duplicates
        ]
        field = self.fields["duplicate_of"]
        field.widget = forms.RadioSelect(choices=choices)
        chosen = cleaned.get("duplicate_of") or ""
        if not chosen:
            self.add_error(
                "duplicate_of",
                _("发现可能重复的未结线索，请选择并入其中一条，或确认登记为新线索。"),
            )
        elif chosen not in {value for value, _label in choices}:
            self.add_error("duplicate_of", _("所选项无效。"))

    @property
    def merge_into(self) -> Tip | None:
        chosen = self.cleaned_data.get("duplicate_of") or ""
        return next((t for t in self.duplicates if str(t.pk) == chosen), None)

    def register_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "channel": data["channel"],
            "received_at": data["received_at"],
            "allegation": data["allegation"],
            "district": data.get("district") or "",
            "facility": data.get("facility"),
            "subject_kind": data["subject_kind"],
            "subject_name": data.get("subject_name") or "",
            "violations": list(data.get("violations") or []),
            "amount_alleged": data.get("amount_alleged"),
            "anonymous": bool(data.get("anonymous")),
            "wants_reply": bool(data.get("wants_reply")),
            "reporter": self.reporter_details(),
        }

    def changes(self) -> dict[str, Any]:
        """What the edit changes: only the fields whose value differs from the tip's (the
        time of receipt compared to the minute the form shows)."""
        tip, data = self.tip, self.cleaned_data
        assert tip is not None
        changes: dict[str, Any] = {}
        shown = timezone.localtime(tip.received_at).replace(second=0, microsecond=0)
        if data["received_at"] != shown:
            changes["received_at"] = data["received_at"]
        if data.get("facility") != tip.facility:
            changes["facility"] = data.get("facility")
        for name in ("channel", "subject_kind", "subject_name", "allegation", "wants_reply"):
            if data.get(name) != getattr(tip, name):
                changes[name] = data.get(name)
        if data.get("amount_alleged") != tip.amount_alleged:
            changes["amount_alleged"] = data.get("amount_alleged")
        district = data.get("district") or ""
        if data.get("facility") is None and district and district != tip.district:
            changes["district"] = district
        return changes

    def changed_violations(self) -> list[ViolationCategory] | None:
        chosen = list(self.cleaned_data.get("violations") or [])
        assert self.tip is not None
        if {v.pk for v in chosen} == {v.pk for v in self.tip.violations.all()}:
            return None
        return chosen


class ReporterForm(ReporterFieldsMixin, forms.Form):
    """Record or correct who reported (services.set_reporter); empty fields clear it."""

    def __init__(self, *args: Any, tip: Tip, reporter: TipReporter | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.tip = tip
        self.add_reporter_fields(reporter)


# --- Deciding acceptance ---------------------------------------------------------------------


class InspectionFieldsMixin:
    """The inspection a step opens: kind (default 飞行检查), start date, inspectors."""

    def add_inspection_fields(self, user: AbstractBaseUser, start: datetime.date) -> None:
        fields = self.fields  # type: ignore[attr-defined]
        fields["inspection_kind"] = _choice(
            _("检查类型"), InspectionKind.choices, initial=InspectionKind.UNANNOUNCED
        )
        fields["start_date"] = date_field(_("检查开始日期"), initial=start)
        fields["inspectors"] = inspectors_field(user)


class AcceptForm(InspectionFieldsMixin, VersionedFormMixin, forms.Form):
    """Accept a tip (services.accept_tip), opening its inspection at once when ticked."""

    decided_on = date_field(_("受理决定日期"))
    note = text_field(_("受理意见"), _max(Tip, "decision_note") or 2000, rows=3)
    open_inspection = forms.BooleanField(label=_("同时发起核查检查"), required=False, initial=True)

    def __init__(self, *args: Any, tip: Tip, user: AbstractBaseUser, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"decided_on": today()})
        super().__init__(*args, **kwargs)
        self.tip = tip
        self.carry_version(tip)
        self.add_inspection_fields(user, today())
        if tip.facility_id is None:
            self.fields["open_inspection"].initial = False
            self.fields["open_inspection"].help_text = _(
                "线索尚未匹配到定点机构，需先在线索上选择被举报机构才能发起检查。"
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("open_inspection"):
            # The inspection's fields say nothing when none is opened.
            for name in ("inspection_kind", "start_date", "inspectors"):
                self.errors.pop(name, None)
            return cleaned
        if cleaned.get("open_inspection"):
            if self.tip.facility_id is None:
                self.add_error(
                    "open_inspection",
                    _("线索尚未匹配到定点机构，请先在线索上选择被举报机构。"),
                )
            _check_inspectors(self, cleaned.get("inspection_kind"), cleaned.get("inspectors"))
        return cleaned


class DeclineForm(VersionedFormMixin, forms.Form):
    decided_on = date_field(_("受理决定日期"))
    reason = text_field(
        _("不予受理理由"),
        _max(Tip, "decision_note") or 2000,
        required=True,
        rows=4,
        help_text=_("将告知举报人。"),
    )

    def __init__(self, *args: Any, tip: Tip, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"decided_on": today()})
        super().__init__(*args, **kwargs)
        self.carry_version(tip)


class MergeForm(VersionedFormMixin, forms.Form):
    """Merge a duplicate into its master tip, named by number."""

    master = forms.CharField(
        label=_("并入线索编号"),
        max_length=24,
        error_messages=TEXT_ERRORS,
        help_text=_("主线索的编号，如 #123。"),
    )
    note = text_field(_("说明"), _max(Tip, "decision_note") or 2000, rows=3)

    def __init__(self, *args: Any, tip: Tip, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tip = tip
        self.user = user
        self.carry_version(tip)

    def clean_master(self) -> Tip:
        number = tip_number(self.cleaned_data["master"])
        found = (
            scoped_queryset(self.user, Tip.objects.all()).filter(pk=number).first()
            if number
            else None
        )
        if found is None:
            raise ValidationError(_("未找到该编号的线索。"), code="not_found")
        if found.pk == self.tip.pk:
            raise ValidationError(_("线索不能并入自身。"), code="self")
        return found


class OpenInspectionForm(InspectionFieldsMixin, VersionedFormMixin, forms.Form):
    def __init__(self, *args: Any, tip: Tip, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.carry_version(tip)
        self.add_inspection_fields(user, max(today(), tip.decided_on or today()))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        _check_inspectors(self, cleaned.get("inspection_kind"), cleaned.get("inspectors"))
        return cleaned


class ExtendForm(VersionedFormMixin, forms.Form):
    working_days = forms.IntegerField(
        label=_("延期工作日"),
        min_value=1,
        max_value=30,
        error_messages={
            "required": REQUIRED,
            "invalid": _("请输入整数。"),
            "min_value": _("每次延期1至30个工作日。"),
            "max_value": _("每次延期1至30个工作日。"),
        },
    )
    reason = text_field(_("延期理由"), 2000, required=True, rows=4)
    granted_on = date_field(_("批准日期"))

    def __init__(self, *args: Any, tip: Tip, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"granted_on": today()})
        super().__init__(*args, **kwargs)
        self.carry_version(tip)


# --- Concluding, replying, closing ------------------------------------------------------------


class ConcludeForm(VersionedFormMixin, forms.Form):
    """Conclude: prefilled with what the inspection supports (services.derived_conclusion)."""

    conclusion = _choice(_("核查结论"), TipConclusion.choices, widget=forms.RadioSelect)
    concluded_on = date_field(_("办结日期"))
    verified_amount = money_field(_("查实金额（元）"), help_text=_("核查不属实时不填。"))
    note = text_field(_("核查情况"), _max(Tip, "conclusion_note") or 2000, rows=5)

    def __init__(self, *args: Any, tip: Tip, **kwargs: Any) -> None:
        self.derived = derived_conclusion(tip)
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("concluded_on", today())
        if self.derived is not None:
            initial.setdefault("conclusion", self.derived.conclusion)
            initial.setdefault("verified_amount", self.derived.verified_amount)
            initial.setdefault("note", self.derived.basis)
        super().__init__(*args, **kwargs)
        self.carry_version(tip)


class ReplyForm(VersionedFormMixin, forms.Form):
    replied_on = date_field(_("答复日期"))
    reply_method = _choice(_("答复方式"), [("", "---------"), *ReplyMethod.choices])
    reply_note = text_field(_("答复内容"), _max(Tip, "reply_note") or 2000, required=True)

    def __init__(self, *args: Any, tip: Tip, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"replied_on": today()})
        super().__init__(*args, **kwargs)
        self.carry_version(tip)


class CloseForm(VersionedFormMixin, forms.Form):
    closed_on = date_field(_("结案日期"))

    def __init__(self, *args: Any, tip: Tip, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"closed_on": today()})
        super().__init__(*args, **kwargs)
        self.carry_version(tip)


# --- Rewards -------------------------------------------------------------------------------------


class ProposeRewardForm(forms.Form):
    proposed_on = date_field(_("提出日期"))
    note = text_field(_("备注"), _max(TipReward, "note") or 2000, rows=3)

    def __init__(self, *args: Any, tip: Tip, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"proposed_on": today()})
        super().__init__(*args, **kwargs)
        self.tip = tip


APPROVE, REFUSE = "approve", "refuse"


class DecideRewardForm(VersionedFormMixin, forms.Form):
    decision = _choice(
        _("审批意见"),
        [(APPROVE, _("批准")), (REFUSE, _("不予奖励"))],
        widget=forms.RadioSelect,
    )
    decided_on = date_field(_("审批日期"))
    note = text_field(
        _("说明"), _max(TipReward, "note") or 2000, rows=3, help_text=_("不予奖励时必填。")
    )

    def __init__(self, *args: Any, reward: TipReward, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"decided_on": today()})
        super().__init__(*args, **kwargs)
        self.carry_version(reward)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("decision") == REFUSE and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("不予奖励时请填写理由。"))
        return cleaned


class PayRewardForm(VersionedFormMixin, forms.Form):
    paid_on = date_field(_("发放日期"))
    method = _choice(_("发放方式"), [("", "---------"), *PaymentMethod.choices])
    reference = line_field(_("发放凭证号"), _max(TipReward, "reference"), required=True)

    def __init__(self, *args: Any, reward: TipReward, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"paid_on": today()})
        super().__init__(*args, **kwargs)
        self.carry_version(reward)
