"""Forms of the annual evaluation pages (年度信用评价): open a cycle, take a cycle's step, record a
self-assessment, score a manual or bonus indicator, record and decide an objection.

Each form only checks what the user typed; the step itself is the service's
(supervision.services.evaluation), whose refusals come back onto the form's fields.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supervision.choices import CycleStatus, IndicatorMethod
from supervision.forms.fields import CHOICE_ERRORS, REQUIRED, date_field, text_field
from supervision.forms.versions import VersionedFormMixin
from supervision.models import (
    Assessment,
    CreditCategory,
    EvaluationCycle,
    Indicator,
    Objection,
)
from supervision.models.base import NOTE_LENGTH, OUTCOME_LENGTH, REASON_LENGTH, SUMMARY_LENGTH
from supervision.models.credit import FULL_SCORE
from supervision.models.rating import MAX_RATING_YEAR, MIN_RATING_YEAR

POINTS_ERRORS = {
    "required": REQUIRED,
    "invalid": _("请输入数字分值，例如12.5。"),
    "min_value": _("分值不能为负数。"),
    "max_value": _("分值不能超过%(limit_value)s分。"),
    "max_digits": _("分值最多两位小数，且不超过1000分。"),
    "max_whole_digits": _("分值不能超过1000分。"),
    "max_decimal_places": _("分值最多两位小数。"),
}
UPHELD, REJECTED = "upheld", "rejected"


def today() -> datetime.date:
    return timezone.localdate()


def points_field(label: str, *, required: bool = True, ceiling: int = FULL_SCORE, **kwargs: Any):
    """Points of 0 to ceiling with at most two decimals."""
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal("0"),
        max_value=Decimal(ceiling),
        max_digits=7,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": str(ceiling)}),
        error_messages=POINTS_ERRORS,
        **kwargs,
    )


class OpenCycleForm(forms.Form):
    """启动年度信用评价: a category and an ended year, and when the self-assessments are due."""

    category = forms.ChoiceField(label=_("信用主体类别"), error_messages=CHOICE_ERRORS)
    year = forms.IntegerField(
        label=_("评价年度"),
        min_value=MIN_RATING_YEAR,
        max_value=MAX_RATING_YEAR,
        error_messages={
            "required": REQUIRED,
            "invalid": _("请输入四位年份，例如2025。"),
            "min_value": _("评价年度不能早于%(limit_value)s年。"),
            "max_value": _("评价年度不能晚于%(limit_value)s年。"),
        },
    )
    self_assessment_due = date_field(_("自评截止日期"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        now = today()
        kwargs.setdefault(
            "initial",
            {"year": now.year - 1, "self_assessment_due": now + datetime.timedelta(days=30)},
        )
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            (c.pk, str(c)) for c in CreditCategory.objects.order_by("number")
        ]


class CycleStepForm(VersionedFormMixin, forms.Form):
    """One step of a cycle, confirmed, on the version of the cycle the user saw; with the step's
    date when it has one."""

    confirm = forms.BooleanField(
        label=_("我已核对上述情况，确认办理"),
        error_messages={"required": _("请勾选确认后再提交。")},
    )

    def __init__(
        self, *args: Any, cycle: EvaluationCycle, date_label: str | None = None, **kwargs: Any
    ) -> None:
        if date_label:
            kwargs.setdefault("initial", {"on": today()})
        super().__init__(*args, **kwargs)
        if date_label:
            self.fields["on"] = date_field(date_label)
            self.order_fields(["on", "confirm"])
        self.carry_version(cycle)


class SelfAssessmentForm(VersionedFormMixin, forms.Form):
    """记录自评: the score the subject gave itself, when it came in, and its note."""

    score = points_field(_("自评得分"))
    received_on = date_field(_("自评收到日期"))
    note = text_field(_("自评说明"), NOTE_LENGTH, rows=3)

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "score": assessment.self_score,
                "received_on": assessment.self_received_on or today(),
                "note": assessment.self_note,
            },
        )
        super().__init__(*args, **kwargs)
        self.carry_version(assessment)


def scorable_indicators(assessment: Assessment) -> list[Indicator]:
    """The indicators an evaluator scores by hand (manual deductions and bonus items)."""
    return list(
        Indicator.objects.filter(
            system_id=assessment.cycle.system_id,
            method__in=[IndicatorMethod.MANUAL, IndicatorMethod.BONUS],
        ).order_by("position", "id")
    )


class ScoreIndicatorForm(VersionedFormMixin, forms.Form):
    """初评评分 / 复核调整: the points of a manual indicator (deducted) or a bonus item (added);
    in review the reason of the change is required (the service says so)."""

    indicator = forms.TypedChoiceField(label=_("指标"), coerce=int, error_messages=CHOICE_ERRORS)
    points = points_field(
        _("分数"), help_text=_("人工评分指标为扣分，加分项为加分；不超过该指标的分值。")
    )
    note = text_field(_("评分说明"), NOTE_LENGTH, rows=3)
    reason = text_field(
        _("复核调整原因"),
        REASON_LENGTH,
        rows=2,
        help_text=_("复核环节修改评分须写明原因。"),
    )

    def __init__(
        self,
        *args: Any,
        assessment: Assessment,
        indicators: list[Indicator] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        found = indicators if indicators is not None else scorable_indicators(assessment)
        self.indicators = {i.pk: i for i in found}
        self.fields["indicator"].choices = [
            (
                i.pk,
                _("%(code)s %(name)s（%(method)s，0–%(full)s分）")
                % {
                    "code": i.code,
                    "name": i.name,
                    "method": i.get_method_display(),
                    "full": i.full_points,
                },
            )
            for i in found
        ]
        if assessment.cycle.status != CycleStatus.REVIEW:
            del self.fields["reason"]
        else:
            self.fields["reason"].required = True
        self.carry_version(assessment)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        indicator = self.indicators.get(cleaned.get("indicator"))
        points = cleaned.get("points")
        if indicator is not None and points is not None and points > indicator.full_points:
            self.add_error(
                "points",
                _("该指标分值为%(full)s分，分数应在0到%(full)s分之间。")
                % {"full": indicator.full_points},
            )
        cleaned["indicator_object"] = indicator
        return cleaned


class ObjectionForm(forms.Form):
    """登记异议: received during the publication period, with its grounds."""

    received_on = date_field(_("收到日期"))
    grounds = text_field(_("异议事由"), SUMMARY_LENGTH, required=True, rows=4)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"received_on": today()})
        super().__init__(*args, **kwargs)


class DecideObjectionForm(VersionedFormMixin, forms.Form):
    """决定异议: upheld (with the corrected points of any indicator, or a veto withdrawn) or
    rejected, always with the reason."""

    outcome = forms.ChoiceField(
        label=_("处理结果"),
        choices=[(UPHELD, _("异议成立")), (REJECTED, _("异议不成立"))],
        widget=forms.RadioSelect,
        error_messages=CHOICE_ERRORS,
    )
    decision = text_field(_("处理意见"), OUTCOME_LENGTH, required=True, rows=4)
    decided_on = date_field(_("决定日期"))

    def __init__(
        self,
        *args: Any,
        objection: Objection,
        indicators: list[Indicator],
        vetoes_hit: set[int] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {"decided_on": today()})
        super().__init__(*args, **kwargs)
        self.adjustable: list[tuple[str, Indicator]] = []
        for indicator in indicators:
            name = f"adjust_{indicator.pk}"
            if indicator.method == IndicatorMethod.VETO:
                if indicator.pk not in (vetoes_hit or set()):
                    continue
                self.fields[name] = forms.BooleanField(
                    label=_("撤销一票否决：%(code)s %(name)s")
                    % {"code": indicator.code, "name": indicator.name},
                    required=False,
                )
            else:
                self.fields[name] = points_field(
                    _("%(code)s %(name)s 更正后分数（0–%(full)s）")
                    % {
                        "code": indicator.code,
                        "name": indicator.name,
                        "full": indicator.full_points,
                    },
                    required=False,
                    ceiling=indicator.full_points,
                )
            self.adjustable.append((name, indicator))
        self.carry_version(objection)

    def adjustments(self) -> dict[int, Decimal]:
        """Indicator id → corrected points (0 for a veto withdrawn)."""
        found: dict[int, Decimal] = {}
        for name, indicator in self.adjustable:
            value = self.cleaned_data.get(name)
            if indicator.method == IndicatorMethod.VETO:
                if value:
                    found[indicator.pk] = Decimal("0")
            elif value is not None:
                found[indicator.pk] = value
        return found

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("outcome") == REJECTED and any(
            cleaned.get(name) is not None and cleaned.get(name) is not False
            for name, _i in self.adjustable
        ):
            self.add_error(None, _("异议不成立时不调整评分，请清空更正的分数。"))
        return cleaned

    @property
    def upheld(self) -> bool:
        return self.cleaned_data.get("outcome") == UPHELD
