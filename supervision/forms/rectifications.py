"""Forms of the rectification orders (责令整改): order one on a completed inspection, record the
facility's report, record the follow-up inspection (复查).

The forms check what the user typed and ask services.rectifications' checks for the rest, so a
refusal shows on its field before anything is saved; the services check again when saving.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supervision.choices import InspectionKind
from supervision.forms.fields import (
    CHOICE_ERRORS,
    REQUIRED,
    add_problems,
    add_refusal,
    date_field,
    text_field,
)
from supervision.forms.tips import inspectors_field
from supervision.forms.versions import VersionedFormMixin
from supervision.models import Inspection, Inspector, Rectification
from supervision.models.inspection import check_inspectors
from supervision.models.rectification import MAX_RECTIFICATION_WORKDAYS
from supervision.services.rectifications import (
    follow_up_problems,
    order_problems,
    report_problems,
)


def _max(name: str) -> int:
    return Rectification._meta.get_field(name).max_length


WORKDAYS_ERRORS = {
    "required": REQUIRED,
    "invalid": _("请输入整数。"),
    "min_value": _("整改期限应为1到180个工作日。"),
    "max_value": _("整改期限应为1到180个工作日。"),
}
DONE_CHOICES = [("true", _("整改到位")), ("false", _("整改不到位"))]


class OrderRectificationForm(forms.Form):
    """责令整改: what to put right, within how many working days, from which day."""

    requirement = text_field(
        _("整改要求"),
        _max("requirement"),
        required=True,
        rows=6,
        help_text=_("逐项写明须整改的问题和整改要求。"),
    )
    workdays = forms.IntegerField(
        label=_("整改期限（工作日）"),
        min_value=1,
        max_value=MAX_RECTIFICATION_WORKDAYS,
        error_messages=WORKDAYS_ERRORS,
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_RECTIFICATION_WORKDAYS, "step": 1}),
        help_text=_("自责令整改次日起计算的法定工作日数（节假日不计，调休上班日计入）。"),
    )
    ordered_on = date_field(_("责令整改日期"))

    def __init__(self, *args: Any, inspection: Inspection, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "workdays": settings.RECTIFICATION_DEFAULT_WORKDAYS,
                "ordered_on": timezone.localdate(),
            },
        )
        super().__init__(*args, **kwargs)
        self.inspection = inspection

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        add_problems(
            self,
            order_problems(
                self.inspection,
                requirement=cleaned.get("requirement"),
                workdays=cleaned.get("workdays"),
                ordered_on=cleaned.get("ordered_on"),
            ),
        )
        return cleaned


class ReportRectificationForm(VersionedFormMixin, forms.Form):
    """登记整改报告: when the facility's report came in and what it says."""

    reported_on = date_field(_("整改报告收到日期"))
    report = text_field(
        _("整改报告摘要"),
        _max("report"),
        required=True,
        rows=6,
        help_text=_("机构报告的整改措施和结果。"),
    )

    def __init__(self, *args: Any, rectification: Rectification, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"reported_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.rectification = rectification
        self.carry_version(rectification)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        add_problems(
            self,
            report_problems(
                self.rectification,
                reported_on=cleaned.get("reported_on"),
                report=cleaned.get("report"),
            ),
        )
        return cleaned


class FollowUpForm(VersionedFormMixin, forms.Form):
    """登记复查: the follow-up inspection (its day and inspectors) and its conclusion."""

    checked_on = date_field(_("复查日期"))
    done = forms.TypedChoiceField(
        label=_("复查结论"),
        choices=DONE_CHOICES,
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
        error_messages=CHOICE_ERRORS,
    )
    outcome = text_field(
        _("复查情况"),
        _max("outcome"),
        required=True,
        rows=6,
        help_text=_("复查发现的情况；记作复查检查的检查发现。"),
    )

    def __init__(
        self,
        *args: Any,
        rectification: Rectification,
        user: AbstractBaseUser,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {"checked_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.rectification = rectification
        self.carry_version(rectification)
        field = inspectors_field(user)
        # The officers of the inspection ordered, and the acting user's own, ticked to start with.
        team = Inspector.objects.filter(is_active=True, inspections=rectification.inspection_id)
        field.initial = sorted(
            {
                *team.values_list("pk", flat=True),
                *Inspector.objects.filter(user_id=user.pk, is_active=True).values_list(
                    "pk", flat=True
                ),
            }
        )
        self.fields["inspectors"] = field
        self.order_fields(["checked_on", "inspectors", "done", "outcome"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        add_problems(
            self,
            follow_up_problems(
                self.rectification,
                checked_on=cleaned.get("checked_on"),
                outcome=cleaned.get("outcome"),
            ),
        )
        if "inspectors" not in self.errors:
            try:
                check_inspectors(InspectionKind.FOLLOWUP, len(set(cleaned.get("inspectors") or [])))
            except ValidationError as error:
                add_refusal(self, error)
        return cleaned
