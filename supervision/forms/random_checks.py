"""Forms of the random-check pages (双随机抽查计划): write or edit a draft plan, draw it, publish
it, cancel it, withdraw an inspector from a target.

The forms check what the user typed; services.random_checks checks the rest (the criteria's codes,
the districts a limited account may draw in, the plan's state) and its refusals come back onto the
fields, which are named as the service names them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from supervision.choices import District, FacilityKind, Grade
from supervision.forms.fields import (
    MULTI_ERRORS,
    REQUIRED,
    date_field,
    line_field,
    text_field,
)
from supervision.forms.versions import VersionedFormMixin
from supervision.models import RandomCheckPlan
from supervision.models.base import NOTE_LENGTH, REASON_LENGTH
from supervision.models.random_check import (
    MAX_INSPECTORS_PER_TARGET,
    MAX_MONTHS,
    MAX_TARGETS,
    MAX_WEIGHT,
    MIN_INSPECTORS_PER_TARGET,
    PLAN_NAME_LENGTH,
    SEED_LENGTH,
    SEED_SOURCE_LENGTH,
)
from supervision.models.rating import MAX_RATING_YEAR, MIN_RATING_YEAR
from supervision.scoping import user_districts
from supervision.services.random_checks import PLAN_FIELDS, UNRATED

# A checkbox cannot carry "" well: the form calls "no grade that year" this, the service "".
UNRATED_CHOICE = "unrated"
GRADE_CHOICES = [*Grade.choices, (UNRATED_CHOICE, _("未评级"))]
WEIGHT_KEYS = {**{g: g for g in Grade.values}, UNRATED_CHOICE: UNRATED}

NUMBER_ERRORS = {
    "required": REQUIRED,
    "invalid": _("请输入整数。"),
    "min_value": _("不能小于%(limit_value)s。"),
    "max_value": _("不能大于%(limit_value)s。"),
}
SHARE_ERRORS = {
    "invalid": _("请输入百分比数字，例如5或12.5。"),
    "min_value": _("抽取比例应大于0。"),
    "max_value": _("抽取比例不能超过100。"),
    "max_digits": _("抽取比例最多两位小数。"),
    "max_whole_digits": _("抽取比例不能超过100。"),
    "max_decimal_places": _("抽取比例最多两位小数。"),
}


def number_field(
    label: str, low: int, high: int, *, required: bool = False, **kwargs: Any
) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=low,
        max_value=high,
        error_messages=NUMBER_ERRORS,
        widget=forms.NumberInput(attrs={"min": low, "max": high, "step": 1}),
        **kwargs,
    )


def boxes(label: str, choices: list[tuple[str, Any]], help_text: str) -> forms.Field:
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages=MULTI_ERRORS,
        help_text=help_text,
    )


def _weight_name(key: str) -> str:
    return f"weight_{key}"


class RandomCheckPlanForm(VersionedFormMixin, forms.Form):
    """A plan's criteria: who is in the pool, how many are drawn and how heavily, and how the
    inspectors are drawn. Editing a draft carries its version."""

    name = line_field(_("计划名称"), PLAN_NAME_LENGTH, required=True)
    starts_on = date_field(_("检查开始日期"))
    ends_on = date_field(_("检查截止日期"))
    kinds = boxes(_("机构类别"), list(FacilityKind.choices), _("不选为不限。"))
    grades = boxes(_("信用等级"), GRADE_CHOICES, _("不选为不限。"))
    grade_year = number_field(
        _("等级年度"),
        MIN_RATING_YEAR,
        MAX_RATING_YEAR,
        help_text=_("按哪一年度的信用等级筛选和加权；留空为检查开始日期的上一年度。"),
    )
    not_inspected_months = number_field(
        _("近N个月未检查"),
        1,
        MAX_MONTHS,
        help_text=_("只抽取近N个月内未被检查过的机构；留空为不限。"),
    )
    from_check_plan = forms.BooleanField(
        label=_("仅限年度检查计划中未完成的机构"),
        required=False,
        help_text=_("只从本年度按信用等级生成的检查计划中尚未完成检查的机构中抽取。"),
    )
    target_count = number_field(
        _("抽取数量"), 1, MAX_TARGETS, help_text=_("抽取数量和抽取比例填写其中一项。")
    )
    target_share = forms.DecimalField(
        label=_("抽取比例（%）"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        error_messages=SHARE_ERRORS,
        widget=forms.NumberInput(attrs={"min": "0.01", "max": "100", "step": "0.01"}),
        help_text=_("按抽取范围机构数的百分比抽取，向上取整。"),
    )
    inspectors_per_target = number_field(
        _("每个对象检查人员数"),
        MIN_INSPECTORS_PER_TARGET,
        MAX_INSPECTORS_PER_TARGET,
        required=True,
        help_text=_("现场检查至少2名执法人员。"),
    )
    inspector_rest_months = number_field(
        _("回避近N个月检查过该机构的人员"), 1, MAX_MONTHS, help_text=_("留空为不回避。")
    )
    exclude_home_district = forms.BooleanField(
        label=_("回避所在区县的人员"),
        required=False,
        help_text=_("不抽取常驻区县与被检查机构相同的执法人员。"),
    )
    note = text_field(_("说明"), NOTE_LENGTH)

    def __init__(
        self,
        *args: Any,
        user: AbstractBaseUser,
        instance: RandomCheckPlan | None = None,
        **kwargs: Any,
    ) -> None:
        if instance is not None:
            kwargs.setdefault("initial", initial_of(instance))
        else:
            kwargs.setdefault("initial", {"inspectors_per_target": MIN_INSPECTORS_PER_TARGET})
        super().__init__(*args, **kwargs)
        limited = user_districts(user)
        self.fields["districts"] = boxes(
            _("所属区县"),
            [(v, label) for v, label in District.choices if limited is None or v in limited],
            _("不选为不限。") if limited is None else _("请选择您负责的区县。"),
        )
        for key, label in GRADE_CHOICES:
            self.fields[_weight_name(key)] = number_field(
                _("权重：%(grade)s") % {"grade": label},
                1,
                MAX_WEIGHT,
                help_text=_("1—10，留空为1。") if key == UNRATED_CHOICE else "",
            )
        self.order_fields(
            [
                "name",
                "starts_on",
                "ends_on",
                "kinds",
                "districts",
                "grades",
                "grade_year",
                "not_inspected_months",
                "from_check_plan",
                "target_count",
                "target_share",
                *(_weight_name(key) for key, _label in GRADE_CHOICES),
            ]
        )
        if instance is not None:
            self.carry_version(instance)

    @property
    def weight_fields(self) -> list[forms.BoundField]:
        return [self[_weight_name(key)] for key, _label in GRADE_CHOICES]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("检查截止日期不能早于开始日期。"))
        count, share = cleaned.get("target_count"), cleaned.get("target_share")
        if "target_count" not in self.errors and "target_share" not in self.errors:
            if count is None and share is None:
                self.add_error("target_count", _("请填写抽取数量或抽取比例（二选一）。"))
            elif count is not None and share is not None:
                self.add_error("target_share", _("抽取数量和抽取比例只能填写一项。"))
        return cleaned

    def values(self) -> dict[str, Any]:
        """The plan's fields for services.random_checks (create_plan, edit_plan)."""
        data = self.cleaned_data
        values = {name: data[name] for name in PLAN_FIELDS if name in data and name != "weights"}
        values["grades"] = [UNRATED if g == UNRATED_CHOICE else g for g in data["grades"]]
        values["weights"] = {
            WEIGHT_KEYS[key]: data[_weight_name(key)]
            for key, _label in GRADE_CHOICES
            if data.get(_weight_name(key)) is not None
        }
        return values


def initial_of(plan: RandomCheckPlan) -> dict[str, Any]:
    """The form's values for a stored plan."""
    initial = {name: getattr(plan, name) for name in PLAN_FIELDS if name != "weights"}
    initial["grades"] = [UNRATED_CHOICE if g == UNRATED else g for g in plan.grades or []]
    for key, stored in WEIGHT_KEYS.items():
        if isinstance(plan.weights, dict) and stored in plan.weights:
            initial[_weight_name(key)] = plan.weights[stored]
    return initial


class DrawForm(VersionedFormMixin, forms.Form):
    """抽取: the seed, from a public source or typed by the supervisor, and where it came from."""

    seed = line_field(
        _("随机种子"),
        SEED_LENGTH,
        required=True,
        help_text=_(
            "公开来源的数值（如某日的彩票开奖号码）或监管人员输入的文字；不能包含竖线或换行。"
        ),
    )
    seed_source = line_field(
        _("种子来源"), SEED_SOURCE_LENGTH, help_text=_("例如：2026年3月1日双色球开奖号码。")
    )

    def __init__(self, *args: Any, plan: RandomCheckPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.carry_version(plan)


class PublishForm(VersionedFormMixin, forms.Form):
    """公布: confirmed; each target becomes a planned random inspection."""

    confirm = forms.BooleanField(
        label=_("已核对抽取结果，确认公布"),
        error_messages={"required": _("请勾选确认后再公布。")},
        help_text=_("公布后每个抽查对象生成一次计划中的双随机检查，计划不能再撤销或重新抽取。"),
    )

    def __init__(self, *args: Any, plan: RandomCheckPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.carry_version(plan)


class CancelForm(VersionedFormMixin, forms.Form):
    """撤销: a plan not yet published, with the reason; a draw stays on record."""

    reason = text_field(_("撤销原因"), REASON_LENGTH, required=True, rows=3)

    def __init__(self, *args: Any, plan: RandomCheckPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.carry_version(plan)


class VerifyForm(forms.Form):
    """核验: re-run the draw from the stored seed and pools; nothing to type."""


class SubstituteForm(forms.Form):
    """撤换: withdraw an inspector from a target with the reason; the seed picks the substitute."""

    reason = text_field(_("撤换原因"), REASON_LENGTH, required=True, rows=2)


__all__ = [
    "CancelForm",
    "DrawForm",
    "PublishForm",
    "RandomCheckPlanForm",
    "SubstituteForm",
    "VerifyForm",
]
