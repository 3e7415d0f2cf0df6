"""Forms of the staff actions that publish (信息公开): a year's grades of a facility category,
and a sanction made public or taken off the public pages. Each step is a service of
services.publication; its refusals come back onto these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from supervision.choices import CATEGORY_FACILITY_KINDS, CreditCategoryCode
from supervision.forms.fields import CHOICE_ERRORS, text_field
from supervision.models.base import NOTE_LENGTH, REASON_LENGTH
from supervision.services.ratings import rated_years


def facility_categories() -> list[tuple[str, str]]:
    """The categories whose grades are published: facilities and insurers."""
    return [(c, label) for c, label in CreditCategoryCode.choices if c in CATEGORY_FACILITY_KINDS]


class GradePublicationForm(forms.Form):
    """公布信用等级: a year that has grades and a facility category."""

    year = forms.TypedChoiceField(label=_("评价年度"), coerce=int, error_messages=CHOICE_ERRORS)
    category = forms.ChoiceField(label=_("信用主体类别"), error_messages=CHOICE_ERRORS)
    note = text_field(_("说明"), NOTE_LENGTH, help_text=_("可选，随公布记录保存。"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "---------")] + [(y, str(y)) for y in rated_years()]
        self.fields["category"].choices = [("", "---------"), *facility_categories()]


class PublishSanctionForm(forms.Form):
    """对外公开: nothing to type."""


# The history row holds the reason after a prefix ("撤回公开：…"), within REASON_LENGTH.
WITHDRAW_REASON_LENGTH = REASON_LENGTH - 50


class WithdrawSanctionForm(forms.Form):
    """撤回公开: why the sanction comes off the public pages."""

    reason = text_field(_("撤回原因"), WITHDRAW_REASON_LENGTH, required=True, rows=2)
