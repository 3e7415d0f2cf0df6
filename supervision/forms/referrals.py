"""Referral forms: refer an inspection's case (services.refer_inspection), move a referral
one step (services.move_referral)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supervision.choices import REFERRAL_TRANSITIONS, Agency, ReferralStatus
from supervision.forms.fields import CHOICE_ERRORS, add_problems, date_field, line_field, text_field
from supervision.forms.versions import VersionedFormMixin
from supervision.models import Inspection, Referral
from supervision.services.referrals import move_problems, referral_problems

# Free text: the limits are the model fields' max_length (held in the database by a CHECK).
MAX_SUMMARY_LENGTH = Referral._meta.get_field("summary").max_length
MAX_OUTCOME_LENGTH = Referral._meta.get_field("outcome").max_length


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
