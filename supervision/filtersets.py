"""One FilterSet per model, used alike by the staff pages and the API."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import fields as filter_fields

from supervision.choices import (
    Agency,
    AgreementStatus,
    District,
    FacilityKind,
    Grade,
    InspectionKind,
    InspectionStatus,
    Ownership,
    ReferralStatus,
    SanctionKind,
    Violation,
    Zone,
)
from supervision.models import (
    CreditRating,
    Facility,
    Inspection,
    RatingChange,
    Referral,
    Sanction,
)
from supervision.models.rating import MAX_RATING_YEAR, MIN_RATING_YEAR

MAX_SEARCH_LENGTH = 100
# The largest key the database holds (bigint); a larger id would overflow in SQL: bad input,
# to be refused with a message, not a server error.
MAX_ID = 2**63 - 1
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def _refuse_out_of_range(value: object) -> None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return  # not a number: the field's own validation says so
    if number.is_finite() and abs(number) > MAX_ID:
        raise ValidationError(_("数值超出范围。"), code="out_of_range")


class _IdChoiceField(filter_fields.ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values:
            _refuse_out_of_range(value)
        return super().to_python(value)


class _IdMultipleChoiceField(filter_fields.ModelMultipleChoiceField):
    def clean(self, value):
        for item in value or []:
            _refuse_out_of_range(item)
        return super().clean(value)


class _StrictNullBooleanField(forms.NullBooleanField):
    """Yes, no or not given; anything else is refused rather than read as "not filtered"."""

    # A plain select hands over the raw value (NullBooleanSelect would turn "perhaps" into None).
    widget = forms.Select(choices=[("", _("全部")), ("true", _("是")), ("false", _("否"))])

    def to_python(self, value):
        if value in (None, "", True, False):
            return value if value != "" else None
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValidationError(_("请填写 true 或 false。"), code="invalid")

    def validate(self, value):
        pass


class ChoicesFilter(filters.MultipleChoiceFilter):
    """Any of several values of a column (or of a column one to-one step away).

    Without DISTINCT, which django-filter adds by default: such a filter cannot repeat a row,
    and DISTINCT over whole rows makes the database sort every match before the first page.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class IdChoiceFilter(filters.ModelChoiceFilter):
    field_class = _IdChoiceField


class IdMultipleChoiceFilter(filters.ModelMultipleChoiceFilter):
    field_class = _IdMultipleChoiceField


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = _StrictNullBooleanField


def id_filter(label: str, field_name: str) -> filters.NumberFilter:
    """A filter on a related record's id, refusing ids no table can hold."""
    return filters.NumberFilter(label=label, field_name=field_name, min_value=1, max_value=MAX_ID)


class BaseFilterSet(filters.FilterSet):
    """A FilterSet whose generated related-record filters refuse out-of-range ids."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.ForeignKey: {
            **filters.FilterSet.FILTER_DEFAULTS[models.ForeignKey],
            "filter_class": IdChoiceFilter,
        },
        models.OneToOneField: {
            **filters.FilterSet.FILTER_DEFAULTS[models.OneToOneField],
            "filter_class": IdChoiceFilter,
        },
        models.ManyToManyField: {
            **filters.FilterSet.FILTER_DEFAULTS[models.ManyToManyField],
            "filter_class": IdMultipleChoiceFilter,
        },
    }


def latest_rated_year() -> int | None:
    """The newest year with a rating (an index lookup, not a scan)."""
    return CreditRating.objects.order_by("-year").values_list("year", flat=True).first()


def facility_search(path: str) -> filters.CharFilter:
    """A `q` filter on the facility a record concerns, found at path (e.g. "facility__"): part
    of its name, its whole credit code, or the beginning of its insurance code."""

    def search(queryset: QuerySet, name: str, value: str) -> QuerySet:
        text = value.strip()
        if not text:
            return queryset
        code = text.upper()
        return queryset.filter(
            Q(**{f"{path}name__icontains": text})
            | Q(**{f"{path}credit_code": code})
            | Q(**{f"{path}insurance_code__startswith": code})
        )

    return filters.CharFilter(
        label=_("搜索"),
        method=search,
        max_length=MAX_SEARCH_LENGTH,
        help_text=_("机构名称的一部分，或完整的统一社会信用代码，或医保定点编码（可只输前几位）。"),
    )


class FacilityFilterSet(BaseFilterSet):
    q = filters.CharFilter(
        label=_("搜索"),
        method="search",
        max_length=MAX_SEARCH_LENGTH,
        help_text=_("名称的一部分，或完整的统一社会信用代码，或医保定点编码（可只输前几位）。"),
    )
    kind = ChoicesFilter(label=_("机构类别"), choices=FacilityKind.choices)
    ownership = filters.ChoiceFilter(label=_("经济类型"), choices=Ownership.choices)
    district = ChoicesFilter(label=_("所属区县"), choices=District.choices)
    zone = filters.ChoiceFilter(label=_("园区"), choices=Zone.choices)
    year = filters.NumberFilter(
        label=_("评价年度"),
        method="filter_noop",
        min_value=MIN_RATING_YEAR,
        max_value=MAX_RATING_YEAR,
        help_text=_("与“信用等级”一起使用；不填则为最近评价年度。"),
    )
    grade = ChoicesFilter(label=_("信用等级"), choices=Grade.choices, method="filter_grade")
    agreement_status = ChoicesFilter(
        label=_("协议状态"), choices=AgreementStatus.choices, method="filter_agreement_status"
    )
    ordering = filters.OrderingFilter(
        label=_("排序"),
        fields=(
            ("name", "name"),
            ("kind", "kind"),
            ("district", "district"),
            ("deposit", "deposit"),
            ("created_at", "created_at"),
            ("current_grade", "current_grade"),
        ),
        field_labels={
            "name": _("名称"),
            "kind": _("机构类别"),
            "district": _("所属区县"),
            "deposit": _("医保保证金"),
            "created_at": _("创建时间"),
            "current_grade": _("当前等级"),
        },
    )

    class Meta:
        model = Facility
        fields = ["q", "kind", "ownership", "district", "zone", "year", "grade"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        text = value.strip()
        if not text:
            return queryset
        code = text.upper()
        return queryset.filter(
            Q(name__icontains=text) | Q(credit_code=code) | Q(insurance_code__startswith=code)
        )

    def filter_noop(self, queryset: QuerySet, name: str, value: object) -> QuerySet:
        return queryset  # read by filter_grade

    def filter_grade(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        year = self.form.cleaned_data.get("year") or latest_rated_year()
        if year is None:
            return queryset.none()
        return queryset.with_grade(int(year), value)

    def filter_agreement_status(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.with_agreement_status_in(value) if value else queryset


class CreditRatingFilterSet(BaseFilterSet):
    q = facility_search("facility__")
    year = filters.NumberFilter(
        label=_("评价年度"), min_value=MIN_RATING_YEAR, max_value=MAX_RATING_YEAR
    )
    grade = ChoicesFilter(label=_("信用等级"), choices=Grade.choices)
    kind = ChoicesFilter(
        label=_("机构类别"), field_name="facility__kind", choices=FacilityKind.choices
    )
    district = ChoicesFilter(
        label=_("所属区县"), field_name="facility__district", choices=District.choices
    )
    ordering = filters.OrderingFilter(
        fields=(("year", "year"), ("grade", "grade"), ("facility__name", "facility"))
    )

    class Meta:
        model = CreditRating
        fields = ["facility", "year", "grade", "kind", "district"]


class RatingChangeFilterSet(BaseFilterSet):
    q = facility_search("rating__facility__")
    facility = id_filter(_("机构"), "rating__facility")
    year = filters.NumberFilter(
        label=_("评价年度"),
        field_name="rating__year",
        min_value=MIN_RATING_YEAR,
        max_value=MAX_RATING_YEAR,
    )
    to_grade = ChoicesFilter(label=_("新等级"), choices=Grade.choices)
    changed = filters.DateFromToRangeFilter(label=_("调整日期"), field_name="changed_at__date")

    class Meta:
        model = RatingChange
        fields = ["rating", "facility", "year", "to_grade", "changed_by", "changed"]


class InspectionFilterSet(BaseFilterSet):
    q = facility_search("facility__")
    kind = ChoicesFilter(label=_("检查类型"), choices=InspectionKind.choices)
    status = ChoicesFilter(label=_("状态"), choices=InspectionStatus.choices)
    start_date = filters.DateFromToRangeFilter(label=_("开始日期"))
    agency = filters.ChoiceFilter(
        label=_("协作部门"), field_name="partner_agencies", choices=Agency.choices
    )
    violation = filters.ChoiceFilter(
        label=_("违规类型"), field_name="violations", choices=Violation.choices
    )
    district = ChoicesFilter(
        label=_("所属区县"), field_name="facility__district", choices=District.choices
    )
    ordering = filters.OrderingFilter(
        fields=(("start_date", "start_date"), ("facility__name", "facility"), ("kind", "kind"))
    )

    class Meta:
        model = Inspection
        fields = ["facility", "kind", "status", "start_date", "agency", "violation", "district"]


class ReferralFilterSet(BaseFilterSet):
    q = facility_search("inspection__facility__")
    facility = id_filter(_("机构"), "inspection__facility")
    agency = ChoicesFilter(label=_("移送部门"), choices=Agency.choices)
    status = ChoicesFilter(label=_("状态"), choices=ReferralStatus.choices)
    referred_on = filters.DateFromToRangeFilter(label=_("移送日期"))
    ordering = filters.OrderingFilter(fields=(("referred_on", "referred_on"), ("status", "status")))

    class Meta:
        model = Referral
        fields = ["inspection", "facility", "agency", "status", "referred_on"]


class SanctionFilterSet(BaseFilterSet):
    q = facility_search("facility__")
    kind = ChoicesFilter(label=_("措施类型"), choices=SanctionKind.choices)
    decided_on = filters.DateFromToRangeFilter(label=_("决定日期"))
    in_force = StrictBooleanFilter(label=_("今日生效的暂停"), method="filter_in_force")
    district = ChoicesFilter(
        label=_("所属区县"), field_name="facility__district", choices=District.choices
    )
    ordering = filters.OrderingFilter(
        fields=(("decided_on", "decided_on"), ("kind", "kind"), ("facility__name", "facility"))
    )

    class Meta:
        model = Sanction
        fields = ["facility", "kind", "decided_on", "in_force", "district"]

    def filter_in_force(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        in_force = queryset.in_force_on()
        return in_force if value else queryset.exclude(pk__in=in_force.values("pk"))
