"""Admin forms: the services' own checks run in clean(), so the clerk sees a field message
instead of an error page; and the forms of the two bulk actions."""

from __future__ import annotations

import copy
from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supervision.choices import REFERRAL_TRANSITIONS, Grade, ReferralStatus, SanctionKind
from supervision.forms.inspections import INSPECTION_FIELDS
from supervision.models import CreditRating, Inspection, Referral, Sanction
from supervision.models.inspection import check_inspectors
from supervision.models.rating import MIN_RATING_YEAR
from supervision.models.sanction import MAX_SUSPENSION_MONTHS
from supervision.services.ratings import grade_problems
from supervision.services.referrals import move_problems, referral_problems
from supervision.services.sanction_kinds import MEASURE_FIELDS, foreign_problems, kind_problems
from supervision.services.sanctions import suspension_period_problems

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("调整原因"),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        error_messages={"required": _("请填写调整原因。")},
        help_text=_("写入评级调整记录和变更记录，稽核可查。"),
    )


def add_problems(form: forms.Form, problems: Mapping[str, str | list[str]]) -> None:
    """Show a check's problems on their fields; one on a field the form lacks goes on top."""
    for field, message in problems.items():
        form.add_error(field if field in form.fields else None, message)


def _confirm_downgrade_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=_("确认降为D级"),
        required=False,
        help_text=_("由A、B、C级降为D级时必须勾选：D级机构将受重点监管并依法处理。"),
    )


class CreditRatingAdminForm(forms.ModelForm):
    reason = _reason_field()
    confirm_downgrade = _confirm_downgrade_field()

    class Meta:
        model = CreditRating
        fields = ("facility", "year", "grade", "score", "rated_on", "basis")

    def clean(self):
        cleaned = super().clean()
        adding = self.instance.pk is None
        if adding or "grade" in self.changed_data:
            # A grade set or changed: the grade rules (the year is the model's own check).
            # Before _post_clean, self.instance still holds the stored grade and score.
            add_problems(
                self,
                {
                    field: message
                    for field, message in grade_problems(
                        year=None,
                        grade=cleaned.get("grade"),
                        reason=cleaned.get("reason"),
                        current=None if adding else self.instance,
                        score=cleaned.get("score"),
                        confirm_downgrade=bool(cleaned.get("confirm_downgrade")),
                    ).items()
                    if field not in self.errors
                },
            )
        return cleaned


class InspectionAdminForm(forms.ModelForm):
    class Meta:
        model = Inspection
        fields = INSPECTION_FIELDS

    def clean(self):
        cleaned = super().clean()
        kind, inspectors = cleaned.get("kind"), cleaned.get("inspectors")
        if kind and inspectors is not None and "inspectors" in self.fields:
            try:
                check_inspectors(kind, len(set(inspectors)))
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


class SanctionAdminForm(forms.ModelForm):
    class Meta:
        model = Sanction
        fields = MEASURE_FIELDS

    def clean(self):
        cleaned = super().clean()
        facility = cleaned.get("facility") or getattr(self.instance, "facility", None)
        kind = cleaned.get("kind") or self.instance.kind
        if facility is None or not kind:
            return cleaned
        foreign = foreign_problems(facility, cleaned)
        add_problems(self, foreign)
        rating = cleaned.get("rating")
        if kind == SanctionKind.COMMENDATION and "rating" in foreign:
            return cleaned  # refused above as another's record
        found, problems = kind_problems(
            kind,
            facility,
            cleaned,
            year=None if rating is None else rating.year,
            exclude_pk=self.instance.pk,
        )
        if kind == SanctionKind.DEPOSIT_RECOVERY:
            cleaned.update(found)
        add_problems(self, problems)
        return cleaned


class ReferralAdminForm(forms.ModelForm):
    """Add: the four facts of a referral. Change: the status moves one allowed step at a time."""

    class Meta:
        model = Referral
        fields = (
            "inspection",
            "agency",
            "referred_on",
            "summary",
            "status",
            "decided_on",
            "case_number",
            "closed_on",
            "outcome",
        )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        status_field = self.fields.get("status")
        if status_field is not None and self.instance.pk:
            current = self.instance.status
            allowed = {current, *REFERRAL_TRANSITIONS[current]}
            status_field.choices = [c for c in ReferralStatus.choices if c[0] in allowed]

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            self._check_new(cleaned)
        elif "status" in self.changed_data:
            self._check_move(cleaned)
        return cleaned

    def _check_new(self, cleaned: dict) -> None:
        inspection = cleaned.get("inspection")
        if inspection is None:
            return
        problems = referral_problems(
            inspection,
            agency=cleaned.get("agency"),
            referred_on=cleaned.get("referred_on"),
            summary=cleaned.get("summary"),
        )
        add_problems(self, problems)

    def _check_move(self, cleaned: dict) -> None:
        status = cleaned.get("status")
        if status is None:
            return
        closing = status == ReferralStatus.CLOSED
        on = cleaned.get("closed_on" if closing else "decided_on")
        if on is None:
            if closing:
                self.add_error("closed_on", _("请填写结案日期。"))
            else:
                self.add_error("decided_on", _("请填写立案/不予立案日期。"))
        # save_model saves other edits (a corrected referral date) before the status moves.
        referral = copy.copy(self.instance)
        referral.referred_on = cleaned.get("referred_on") or referral.referred_on
        problems = move_problems(
            referral,
            to_status=status,
            on=on,
            case_number=cleaned.get("case_number") or "",
            outcome=cleaned.get("outcome") or "",
        )
        add_problems(self, problems)


# ---------------------------------------------------------------- bulk actions


class BulkSetGradeForm(forms.Form):
    year = forms.IntegerField(
        label=_("评价年度"),
        min_value=MIN_RATING_YEAR,
        error_messages={
            "required": _("请填写评价年度。"),
            "invalid": _("评价年度应为四位数字。"),
            "min_value": _("评价年度不能早于%(limit_value)s年。"),
        },
    )
    grade = forms.ChoiceField(
        label=_("信用等级"),
        choices=Grade.choices,
        error_messages={"required": _("请选择信用等级。"), "invalid_choice": _("信用等级无效。")},
    )
    reason = _reason_field()
    confirm_downgrade = _confirm_downgrade_field()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The year that ended last: the one the bureau rates in the first months of a year.
        self.fields["year"].initial = timezone.localdate().year - 1
        self.fields["year"].help_text = _(
            "只能设定已结束年度的等级。调整等级时，该年度原有得分将清空（得分须在新等级的分数段内）。"
        )

    def clean(self):
        cleaned = super().clean()
        # The grade rules that hold for every facility alike; a downgrade to D without the
        # confirmation is refused per facility, by the service.
        problems = grade_problems(
            year=cleaned.get("year"),
            grade=cleaned.get("grade"),
            reason=cleaned.get("reason"),
            confirm_downgrade=True,
        )
        add_problems(self, {f: m for f, m in problems.items() if f not in self.errors})
        return cleaned


class BulkSuspendForm(forms.Form):
    starts_on = forms.DateField(
        label=_("起始日期"),
        widget=_DATE,
        error_messages={"required": _("请填写暂停起始日期。"), "invalid": _("日期格式无效。")},
    )
    ends_on = forms.DateField(
        label=_("截止日期"),
        widget=_DATE,
        error_messages={"required": _("请填写暂停截止日期。"), "invalid": _("日期格式无效。")},
    )
    decided_on = forms.DateField(
        label=_("决定日期"),
        widget=_DATE,
        error_messages={"required": _("请填写决定日期。"), "invalid": _("日期格式无效。")},
    )
    decision_number = forms.CharField(label=_("文书编号"), max_length=60, required=False)
    legal_basis = forms.CharField(
        label=_("法律依据"), required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ends_on"].help_text = _("暂停的最后一天；最长%(n)d个月。") % {
            "n": MAX_SUSPENSION_MONTHS
        }

    def clean(self):
        cleaned = super().clean()
        problems = suspension_period_problems(
            starts_on=cleaned.get("starts_on"),
            ends_on=cleaned.get("ends_on"),
            decided_on=cleaned.get("decided_on"),
        )
        add_problems(self, problems)
        return cleaned
