"""Forms of the typical cases' pages (典型案例): write from a completed inspection, edit a draft,
submit, approve or return, withdraw.

The forms check what the user typed; services.typical_cases checks the rest (the state, who
reviews, the public-text guard) and its refusals come back onto the fields, which are named as
the service names them (review_comment, withdraw_reason).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supervision.choices import InspectionStatus
from supervision.formats.values import ymd
from supervision.forms.fields import CHOICE_ERRORS, line_field, plain_id, text_field
from supervision.forms.versions import VersionedFormMixin
from supervision.models import Inspection, TypicalCase
from supervision.models.base import REASON_LENGTH
from supervision.scoping import scoped_queryset
from supervision.services.typical_cases import CASE_FIELDS

# How many completed inspections the write form offers (the newest; ?inspection= adds its own).
OFFERED_INSPECTIONS = 200
MAX_CHANGE_REASON_LENGTH = 200


def _max(name: str) -> int:
    return TypicalCase._meta.get_field(name).max_length


def completed_inspections(user: AbstractBaseUser) -> QuerySet:
    """The completed inspections in user's districts, newest first."""
    return scoped_queryset(
        user,
        Inspection.objects.filter(status=InspectionStatus.COMPLETED)
        .select_related("facility")
        .order_by("-end_date", "-id"),
    )


def inspection_label(inspection: Inspection) -> str:
    return gettext("检查 #%(n)s · %(facility)s · %(kind)s · %(day)s") % {
        "n": inspection.pk,
        "facility": inspection.facility.name,
        "kind": inspection.get_kind_display(),
        "day": ymd(inspection.end_date or inspection.start_date),
    }


class InspectionChoiceField(forms.ModelChoiceField):
    """A completed inspection of the user's districts, by id; anything else is an invalid
    choice (never a server error)."""

    def to_python(self, value: Any) -> Inspection | None:
        if value in self.empty_values:
            return None
        if plain_id(value) is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)

    def label_from_instance(self, obj: Inspection) -> str:
        return inspection_label(obj)


class _CaseText(forms.Form):
    title = line_field(_("标题"), _max("title"), required=True)
    facts = text_field(_("基本案情"), _max("facts"), required=True, rows=8)
    handling = text_field(_("处理结果"), _max("handling"), required=True, rows=5)
    legal_basis = text_field(_("法律依据"), _max("legal_basis"))
    lesson = text_field(_("警示意义"), _max("lesson"))

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in CASE_FIELDS}


PUBLIC_TEXT_HELP = _(
    "全文将对外公开：不得包含身份证号码、手机号码和被检查机构登记备案人员的姓名"
    "（提交审核和审核发布时检查）。"
)


class TypicalCaseForm(_CaseText):
    """撰写: a completed inspection of the user's districts and the text."""

    def __init__(
        self, *args: Any, user: AbstractBaseUser, inspection: Inspection | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        queryset = completed_inspections(user)
        field = InspectionChoiceField(
            label=_("所依据的检查"),
            queryset=queryset,
            error_messages=CHOICE_ERRORS,
            help_text=_("只能选择已完成的检查；从检查页面进入时已选好。"),
        )
        offered = list(queryset[:OFFERED_INSPECTIONS])
        if inspection is not None and inspection not in offered:
            offered.insert(0, inspection)
        # The widget lists the newest only; the field accepts any of the queryset.
        field.widget.choices = [("", "---------")] + [(i.pk, inspection_label(i)) for i in offered]
        if inspection is not None:
            field.initial = inspection.pk
        self.fields["inspection"] = field
        self.fields["facts"].help_text = PUBLIC_TEXT_HELP
        self.order_fields(["inspection", *CASE_FIELDS])

    def values(self) -> dict[str, Any]:
        return {"inspection": self.cleaned_data["inspection"], **super().values()}


class TypicalCaseEditForm(VersionedFormMixin, _CaseText):
    """Edit a draft (with the version it was loaded at)."""

    change_reason = line_field(
        _("修改说明"), MAX_CHANGE_REASON_LENGTH, help_text=_("可选，记入变更记录。")
    )

    def __init__(self, *args: Any, instance: TypicalCase, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(instance, name) for name in CASE_FIELDS})
        super().__init__(*args, **kwargs)
        self.fields["facts"].help_text = PUBLIC_TEXT_HELP
        self.carry_version(instance)


class SubmitCaseForm(VersionedFormMixin, forms.Form):
    """提交审核: nothing to type but the version the page showed."""

    def __init__(self, *args: Any, case: TypicalCase, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.carry_version(case)


class ApproveCaseForm(VersionedFormMixin, forms.Form):
    """审核通过，发布: an optional comment."""

    review_comment = text_field(
        _("审核意见"), REASON_LENGTH, help_text=_("审核通过时可不填；退回修改时必填。")
    )

    def __init__(self, *args: Any, case: TypicalCase, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.carry_version(case)


class ReturnCaseForm(ApproveCaseForm):
    """退回修改: the comment says what to change."""

    review_comment = text_field(_("审核意见"), REASON_LENGTH, required=True)


class WithdrawCaseForm(VersionedFormMixin, forms.Form):
    """撤回: why the case comes off the public pages."""

    withdraw_reason = text_field(_("撤回原因"), REASON_LENGTH, required=True)

    def __init__(self, *args: Any, case: TypicalCase, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.carry_version(case)
