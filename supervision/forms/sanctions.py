"""The sanction form: one form for every kind of measure, recorded through
services.sanction_kinds, which says what each kind takes, checks it and records it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from supervision.choices import SanctionKind
from supervision.forms.fields import (
    CHOICE_ERRORS,
    MONEY_ERRORS,
    add_problems,
    date_field,
    facility_field,
    line_field,
    money_field,
    text_field,
)
from supervision.models import CreditRating, Facility, Inspection, Sanction
from supervision.models.rating import MIN_RATING_YEAR
from supervision.scoping import scoped_queryset
from supervision.services.sanction_kinds import (
    KIND_FIELDS,
    KIND_SPECIFIC,
    field_problems,
    kind_problems,
    kinds_taking,
)

# Free text: the limits are the model fields' max_length (held in the database by a CHECK).
MAX_LEGAL_BASIS_LENGTH = Sanction._meta.get_field("legal_basis").max_length
MAX_NOTE_LENGTH = Sanction._meta.get_field("note").max_length
# The form asks for the year of the rating a measure rests on, not for the rating's id.
FIELD_NAMES = {"rating": "rating_year"}


class SanctionForm(forms.Form):
    """Record a measure: one form for every kind, dispatched to the kind's service.

    Which fields a kind takes is checked here, on the server: a field a kind needs is required,
    a field it does not take must stay empty (the static script disables them; without it the
    page still works, each field saying which kinds it is for).
    """

    facility = forms.CharField(label=_("机构"))  # replaced by a FacilityField in __init__
    kind = forms.ChoiceField(
        label=_("措施类型"), choices=SanctionKind.choices, error_messages=CHOICE_ERRORS
    )
    decided_on = date_field(_("决定日期"))
    starts_on = date_field(
        _("起始日期"), required=False, help_text=_("暂停：第一天；解除协议：生效日。")
    )
    ends_on = date_field(
        _("截止日期"), required=False, help_text=_("暂停的最后一天（含），最长12个月。")
    )
    deposit_percent = forms.DecimalField(
        label=_("收回保证金比例（%）"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "max": "100"}),
        error_messages={
            **MONEY_ERRORS,
            "invalid": _("请输入比例数字，例如2.5。"),
            "min_value": _("比例应大于0。"),
            "max_value": _("比例不能超过100。"),
            "max_digits": _("比例最多两位小数，不超过100。"),
            "max_whole_digits": _("比例不能超过100。"),
            "max_decimal_places": _("比例最多两位小数。"),
        },
        help_text=_("金额按机构登记的医保保证金自动计算。"),
    )
    amount = money_field(_("金额（元）"), help_text=_("罚款或追回医保基金的金额，大于0。"))
    rating_year = forms.IntegerField(
        label=_("依据的信用评价年度"),
        required=False,
        min_value=MIN_RATING_YEAR,
        error_messages={
            "invalid": _("请输入四位年份，例如2024。"),
            "min_value": _("年度不能早于%(limit_value)s年。"),
            "max_value": _("年度不能晚于%(limit_value)s年。"),
        },
        help_text=_("授牌必填（该年度须评为A级）；依信用等级作出的暂停、收回保证金可填。"),
    )
    inspection = forms.ModelChoiceField(
        label=_("依据的检查"),
        queryset=Inspection.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": _("所选检查无效。"),
            "invalid_pk_value": _("所选检查无效。"),
        },
    )
    decision_number = line_field(
        _("文书编号"), Sanction._meta.get_field("decision_number").max_length
    )
    legal_basis = text_field(_("法律依据"), MAX_LEGAL_BASIS_LENGTH, rows=3)
    note = text_field(
        _("备注"),
        MAX_NOTE_LENGTH,
        rows=4,
        help_text=_("约谈/责令改正：必填，写明约谈或责令改正的内容。"),
    )

    def __init__(
        self,
        *args: Any,
        user: AbstractBaseUser,
        facility: Facility | None = None,
        inspection: Inspection | None = None,
        **kwargs: Any,
    ) -> None:
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("decided_on", timezone.localdate())
        if inspection is not None:
            facility = inspection.facility
            initial.setdefault("inspection", inspection.pk)
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["facility"] = facility_field(_("机构"), user, facility)
        self.order_fields(["facility", "kind", "decided_on"])
        # A year that has not begun has no rating; the bound moves with today.
        this_year = timezone.localdate().year
        self.fields["rating_year"].validators.append(MaxValueValidator(this_year))
        self.fields["rating_year"].widget.attrs["max"] = this_year
        field = self.fields["inspection"]
        field.queryset = scoped_queryset(user, Inspection.objects.all())
        # The choices shown are the facility's own inspections, when it is known; any
        # inspection in scope is accepted and clean() checks it is the facility's.
        if facility is not None:
            own = field.queryset.filter(facility=facility).order_by("-start_date", "-id")
            field.widget.choices = [
                ("", _("（无）")),
                *[(i.pk, f"{i.start_date:%Y-%m-%d} · {i.get_kind_display()}") for i in own],
            ]
        else:
            field.widget = forms.HiddenInput()
        self.facility_known = facility is not None
        for name in KIND_SPECIFIC:
            kinds = kinds_taking(name)
            field = self.fields[FIELD_NAMES.get(name, name)]
            # data-kinds drives the static script; the help text says the same without it.
            field.widget.attrs["data-kinds"] = " ".join(kinds)
            if len(kinds) < len(KIND_FIELDS):
                applies = _("适用：%(kinds)s。") % {
                    "kinds": pgettext("list separator", "、").join(
                        str(SanctionKind(k).label) for k in kinds
                    )
                }
                field.help_text = f"{field.help_text} {applies}" if field.help_text else applies

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        facility = cleaned.get("facility")
        if not kind:
            return cleaned
        add_problems(self, field_problems(kind, cleaned, names=FIELD_NAMES, skip=set(self.errors)))
        if facility is None or self.errors:
            return cleaned
        inspection = cleaned.get("inspection")
        if inspection is not None and inspection.facility_id != facility.pk:
            self.add_error("inspection", _("依据的检查不是对该机构的检查。"))
        year = cleaned.get("rating_year")
        if year is not None and kind != SanctionKind.COMMENDATION:
            rating = (
                scoped_queryset(self.user, CreditRating.objects.all())
                .filter(facility=facility, year=year)
                .first()
            )
            if rating is None:
                self.add_error(
                    "rating_year", _("该机构没有%(year)s年度的信用评价。") % {"year": year}
                )
            cleaned["rating"] = rating
        # The kind's own checks, as field messages (they run again when writing).
        found, problems = kind_problems(kind, facility, cleaned, year=year)
        cleaned.update(found)
        add_problems(self, {FIELD_NAMES.get(f, f): m for f, m in problems.items()})
        return cleaned

    def service_arguments(self) -> dict[str, Any]:
        """What services.sanction_kinds.record_sanction takes besides facility and user."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "decided_on": data["decided_on"],
            "year": data.get("rating_year"),
            "rating": data.get("rating"),
            **{name: data.get(name) for name in KIND_SPECIFIC if name != "rating"},
        }
