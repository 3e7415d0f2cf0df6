"""Admin forms: the rules a service would refuse, checked up front so the clerk sees a field
message instead of an error page; and the forms of the two bulk actions."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supervision.choices import (
    REFERRAL_TRANSITIONS,
    Grade,
    InspectionStatus,
    ReferralStatus,
    SanctionKind,
)
from supervision.models import CreditRating, Facility, Inspection, Referral, Sanction
from supervision.models.inspection import check_inspectors
from supervision.models.rating import MIN_RATING_YEAR
from supervision.models.sanction import MAX_SUSPENSION_MONTHS, latest_suspension_end
from supervision.services.sanctions import CENT

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("调整原因"),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        error_messages={"required": _("请填写调整原因。")},
        help_text=_("写入评级调整记录和变更记录，稽核可查。"),
    )


def suspension_problems(
    facility: Facility,
    starts_on: datetime.date | None,
    ends_on: datetime.date | None,
    decided_on: datetime.date | None,
    exclude_pk: int | None = None,
) -> dict[str, str]:
    """Queries: why a suspension of facility could not be recorded, by field (empty: it can).

    The same rules as services.suspend_agreement, which checks them again under a row lock.
    """
    problems: dict[str, str] = {}
    if not (starts_on and ends_on):
        return problems
    if ends_on < starts_on:
        problems["ends_on"] = _("截止日期不能早于起始日期。")
        return problems
    if ends_on > latest_suspension_end(starts_on):
        problems["ends_on"] = _("暂停期限最长%(n)d个月，截止日期最晚为%(day)s。") % {
            "n": MAX_SUSPENSION_MONTHS,
            "day": latest_suspension_end(starts_on).isoformat(),
        }
    if decided_on and decided_on > starts_on:
        problems["decided_on"] = _("决定日期不能晚于暂停起始日期。")
    others = facility.sanctions.exclude(pk=exclude_pk)
    overlapping = others.filter(
        kind=SanctionKind.SUSPENSION, starts_on__lte=ends_on, ends_on__gte=starts_on
    ).first()
    if overlapping:
        problems["starts_on"] = _("该机构在%(start)s至%(end)s已有暂停，期间不能重叠。") % {
            "start": overlapping.starts_on,
            "end": overlapping.ends_on,
        }
    elif others.filter(kind=SanctionKind.TERMINATION, starts_on__lte=starts_on).exists():
        problems["starts_on"] = _("该机构的医保服务协议已解除，不能再暂停。")
    return problems


class CreditRatingAdminForm(forms.ModelForm):
    reason = _reason_field()

    class Meta:
        model = CreditRating
        fields = ("facility", "year", "grade", "score", "rated_on", "basis")


class InspectionAdminForm(forms.ModelForm):
    class Meta:
        model = Inspection
        fields = (
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
        )

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
        fields = (
            "facility",
            "kind",
            "decided_on",
            "decision_number",
            "legal_basis",
            "starts_on",
            "ends_on",
            "deposit_percent",
            "amount",
            "inspection",
            "rating",
            "note",
        )

    def clean(self):
        cleaned = super().clean()
        facility = cleaned.get("facility") or getattr(self.instance, "facility", None)
        kind = cleaned.get("kind") or self.instance.kind
        if facility is None or not kind:
            return cleaned
        for name in ("inspection", "rating"):
            related = cleaned.get(name)
            if related is not None and related.facility_id != facility.pk:
                self.add_error(name, _("所选记录不属于该机构。"))
        if kind == SanctionKind.SUSPENSION:
            problems = suspension_problems(
                facility,
                cleaned.get("starts_on"),
                cleaned.get("ends_on"),
                cleaned.get("decided_on"),
                exclude_pk=self.instance.pk,
            )
            for field, message in problems.items():
                self.add_error(field, message)
        elif kind == SanctionKind.TERMINATION:
            self._check_termination(facility, cleaned)
        elif kind == SanctionKind.DEPOSIT_RECOVERY:
            self._compute_deposit_amount(facility, cleaned)
        elif kind == SanctionKind.WARNING and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("请写明约谈或责令改正的内容。"))
        elif kind == SanctionKind.COMMENDATION:
            rating = cleaned.get("rating")
            if rating is None or rating.grade != Grade.A:
                self.add_error("rating", _("授牌必须关联一条A级信用评价。"))
        return cleaned

    def _check_termination(self, facility: Facility, cleaned: dict) -> None:
        others = facility.sanctions.exclude(pk=self.instance.pk)
        if others.filter(kind=SanctionKind.TERMINATION).exists():
            self.add_error("kind", _("该机构的医保服务协议已解除。"))
        starts_on, decided_on = cleaned.get("starts_on"), cleaned.get("decided_on")
        if starts_on and decided_on and decided_on > starts_on:
            self.add_error("decided_on", _("决定日期不能晚于解除生效日期。"))

    def _compute_deposit_amount(self, facility: Facility, cleaned: dict) -> None:
        percent = cleaned.get("deposit_percent")
        if percent is None:
            self.add_error("deposit_percent", _("收回保证金须填写比例。"))
        elif facility.deposit <= 0:
            self.add_error("deposit_percent", _("该机构没有登记医保保证金，无法按比例收回。"))
        else:
            amount = (facility.deposit * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
            if amount <= 0:
                self.add_error("deposit_percent", _("按该比例收回的保证金不足0.01元。"))
            cleaned["amount"] = amount


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
        inspection, referred_on = cleaned.get("inspection"), cleaned.get("referred_on")
        if inspection is None:
            return
        if inspection.status == InspectionStatus.PLANNED:
            self.add_error("inspection", _("计划中的检查尚无发现，不能移送。"))
        if referred_on and referred_on < inspection.start_date:
            self.add_error("referred_on", _("移送日期不能早于检查开始日期。"))

    def _check_move(self, cleaned: dict) -> None:
        status = cleaned.get("status")
        if status == ReferralStatus.ACCEPTED and not (cleaned.get("case_number") or "").strip():
            self.add_error("case_number", _("立案时请填写立案编号。"))
        decided = status in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED)
        if decided and not cleaned.get("decided_on"):
            self.add_error("decided_on", _("请填写立案/不予立案日期。"))
        if status == ReferralStatus.CLOSED:
            if not cleaned.get("closed_on"):
                self.add_error("closed_on", _("请填写结案日期。"))
            if not (cleaned.get("outcome") or "").strip():
                self.add_error("outcome", _("结案时请填写处理结果。"))


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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year - 1

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        if year > timezone.localdate().year:
            raise ValidationError(_("不能评价尚未开始的年度（%(year)s）。") % {"year": year})
        return year


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
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        decided_on = cleaned.get("decided_on")
        if starts_on and ends_on:
            if ends_on < starts_on:
                self.add_error("ends_on", _("截止日期不能早于起始日期。"))
            elif ends_on > latest_suspension_end(starts_on):
                self.add_error(
                    "ends_on",
                    _("暂停期限最长%(n)d个月，截止日期最晚为%(day)s。")
                    % {
                        "n": MAX_SUSPENSION_MONTHS,
                        "day": latest_suspension_end(starts_on).isoformat(),
                    },
                )
        if starts_on and decided_on and decided_on > starts_on:
            self.add_error("decided_on", _("决定日期不能晚于暂停起始日期。"))
        return cleaned
