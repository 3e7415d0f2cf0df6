"""Inspection forms: record or edit an inspection, complete one.

Recording goes through services.record_inspection (the edit of an inspection is a plain
ModelForm save, see InspectionForm); completing through services.complete_inspection.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Case, Model, QuerySet, TextChoices, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supervision.choices import Agency, InspectionKind, InspectionStatus, Violation
from supervision.forms.fields import (
    CHOICE_ERRORS,
    MULTI_ERRORS,
    add_refusal,
    date_field,
    facility_field,
    money_field,
    text_field,
)
from supervision.forms.versions import VersionedFormMixin
from supervision.models import Facility, Inspection, Inspector, PartnerAgency, ViolationCategory
from supervision.models.inspection import check_inspectors
from supervision.scoping import scoped_queryset
from supervision.search import search_keys

# Free text: the limit is the model field's max_length (held in the database by a CHECK).
MAX_FINDINGS_LENGTH = Inspection._meta.get_field("findings").max_length
# What the staff record of an inspection, in the order the page, the admin and the API show it.
INSPECTION_FIELDS = [
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


def in_choice_order(queryset: QuerySet, choices: type[TextChoices]) -> QuerySet:
    """Lookup rows (primary key = a choice's code) in the order the choices list them."""
    return queryset.order_by(
        Case(
            *[When(pk=value, then=Value(index)) for index, value in enumerate(choices.values)],
            default=Value(len(choices.values)),
        )
    )


def code_boxes(label: str, model: type[Model]) -> forms.ModelMultipleChoiceField:
    """A handful of fixed codes as checkboxes; __init__ gives the queryset in scope."""
    return forms.ModelMultipleChoiceField(
        label=label,
        queryset=model.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages=MULTI_ERRORS,
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
    partner_agencies = code_boxes(_("协作部门"), PartnerAgency)
    violations = code_boxes(_("违规类型"), ViolationCategory)
    findings = text_field(_("检查发现"), MAX_FINDINGS_LENGTH, rows=6)
    amount_involved = money_field(_("涉及金额（元）"), initial=Decimal("0.00"))
    amount_recovered = money_field(
        _("追回金额（元）"), initial=Decimal("0.00"), help_text=_("不大于涉及金额。")
    )

    class Meta:
        model = Inspection
        fields = INSPECTION_FIELDS

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
