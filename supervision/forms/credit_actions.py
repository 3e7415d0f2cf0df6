"""Forms between cycles: the dynamic adjustment of a grade (动态调整), a credit-repair application
(信用修复申请) and its decision, and building a year's check plan. Each form checks what was
typed; the rules are the services' (supervision.services.credit_actions, .check_plans), whose
refusals come back onto these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supervision.choices import Grade
from supervision.forms.fields import CHOICE_ERRORS, date_field, text_field
from supervision.forms.versions import VersionedFormMixin
from supervision.models import CreditRating, CreditRepair, Inspection
from supervision.models.base import REASON_LENGTH, SUMMARY_LENGTH
from supervision.models.rating import MAX_RATING_YEAR, MIN_RATING_YEAR
from supervision.scoping import scoped_queryset
from supervision.services.credit_actions import adjustment_inspections

APPROVE, REJECT = "approve", "reject"
YEAR_ERRORS = {
    "required": _("请填写年度。"),
    "invalid": _("请输入四位年份，例如2025。"),
    "min_value": _("年度不能早于%(limit_value)s年。"),
    "max_value": _("年度不能晚于%(limit_value)s年。"),
}


class InspectionChoice(forms.ModelChoiceField):
    """One of the facility's inspections an adjustment may rest on (a few: a <select>)."""

    def label_from_instance(self, obj: Inspection) -> str:
        return _("%(end)s 结束的%(kind)s（检查 #%(id)s）") % {
            "end": obj.end_date.isoformat() if obj.end_date else "—",
            "kind": obj.get_kind_display(),
            "id": obj.pk,
        }


class AdjustGradeForm(VersionedFormMixin, forms.Form):
    """Lower a grade during the following year, resting on an inspection that found a serious
    violation (services.credit_actions.adjust_grade)."""

    to_grade = forms.ChoiceField(
        label=_("调整后等级"), widget=forms.RadioSelect, error_messages=CHOICE_ERRORS
    )
    inspection = InspectionChoice(
        label=_("依据的检查"),
        queryset=Inspection.objects.none(),
        error_messages={
            "required": _("请选择发现严重违规的检查。"),
            "invalid_choice": _("所选检查无效。"),
            "invalid_pk_value": _("所选检查无效。"),
        },
        help_text=_("该机构在评价年度之后完成、发现违规的检查。"),
    )
    reason = text_field(
        _("调整原因"),
        REASON_LENGTH,
        required=True,
        rows=3,
        help_text=_("写明违规事实和调整依据（至少3个汉字或5个字母、数字）；记入评级调整记录。"),
    )
    confirm_downgrade = forms.BooleanField(
        label=_("确认降为D级"),
        required=False,
        help_text=_("调整为D级时必须勾选：D级机构将受重点监管并依法处理。"),
    )

    def __init__(
        self, *args: Any, rating: CreditRating, user: AbstractBaseUser, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.carry_version(rating)
        self.fields["to_grade"].choices = [
            (value, label) for value, label in Grade.choices if value > rating.grade
        ]
        self.fields["inspection"].queryset = scoped_queryset(user, adjustment_inspections(rating))


class RepairApplyForm(forms.Form):
    """An application for credit repair of a C or D grade (services.apply_for_repair)."""

    applied_on = date_field(_("申请日期"))
    rectification = text_field(
        _("整改情况"),
        SUMMARY_LENGTH,
        required=True,
        rows=5,
        help_text=_("写明整改措施及完成情况；整改材料可在申请登记后作为证据材料上传。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"applied_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class RepairDecideForm(VersionedFormMixin, forms.Form):
    """The decision on a pending application (services.decide_repair)."""

    outcome = forms.ChoiceField(
        label=_("审核结果"),
        choices=[(APPROVE, _("准予修复")), (REJECT, _("不予修复"))],
        widget=forms.RadioSelect,
        error_messages=CHOICE_ERRORS,
    )
    decided_on = date_field(_("决定日期"))
    decision = text_field(
        _("审核意见"),
        CreditRepair._meta.get_field("decision").max_length,
        required=True,
        rows=4,
        help_text=_("写明理由（至少3个汉字或5个字母、数字）；准予修复时记入评级调整记录。"),
    )

    def __init__(self, *args: Any, repair: CreditRepair, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"decided_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.carry_version(repair)

    @property
    def approve(self) -> bool:
        return self.cleaned_data.get("outcome") == APPROVE


class BuildPlanForm(forms.Form):
    """The year whose check plan is built from the grades of the year before."""

    year = forms.IntegerField(
        label=_("计划年度"),
        min_value=MIN_RATING_YEAR + 1,
        max_value=MAX_RATING_YEAR,
        error_messages=YEAR_ERRORS,
        widget=forms.NumberInput(attrs={"min": MIN_RATING_YEAR + 1, "max": MAX_RATING_YEAR}),
    )
