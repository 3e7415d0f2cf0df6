"""One FilterSet per model, used alike by the staff pages and the API."""

from __future__ import annotations

import copy
import datetime
from decimal import Decimal, InvalidOperation

import django_filters as filters
from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Exists, F, Model, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import fields as filter_fields

from supervision.choices import (
    INSTITUTION_CATEGORIES,
    Agency,
    AgreementStatus,
    CreditCategoryCode,
    District,
    FacilityKind,
    Grade,
    InspectionKind,
    InspectionStatus,
    Ownership,
    ReferralStatus,
    RewardStatus,
    SanctionKind,
    TipChannel,
    TipClock,
    TipConclusion,
    TipStatus,
    Violation,
    Zone,
)
from supervision.forms.fields import DATE_ERRORS, DATE_INPUT_FORMAT, MAX_ID
from supervision.forms.tips import tip_number
from supervision.models import (
    CreditInstitution,
    CreditRating,
    Facility,
    IndicatorSystem,
    Inspection,
    InsuredPerson,
    RatingChange,
    Referral,
    Sanction,
    Tip,
    TipReward,
)
from supervision.models.case_numbers import Numbered
from supervision.models.rating import MAX_RATING_YEAR, MIN_RATING_YEAR
from supervision.search import (
    docket_of,
    filter_by_terms,
    name_starts_with,
    search_terms,
    sorted_after_matching,
    terms_query,
    tip_terms_query,
)
from supervision.services.credit_subjects import (
    is_resident_id_shaped,
    may_read_identity,
    normalised_id,
)
from supervision.services.ratings import default_rating_year
from supervision.services.tips import due_soon_limit

MAX_SEARCH_LENGTH = 100
# The largest key the database holds (bigint); a larger id would overflow in SQL: bad input,
# to be refused with a message, not a server error.
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


class DateRangeWidget(filters.widgets.DateRangeWidget):
    """从 [date] 至 [date]: two date inputs, each with its label (the fieldset's legend names the
    range), written and read as YYYY-MM-DD whatever the language."""

    template_name = "supervision/widgets/date_range.html"

    def __init__(self, attrs=None):
        super().__init__(attrs)
        for widget in self.widgets:
            widget.input_type = "date"
            widget.format = DATE_INPUT_FORMAT


class _DateRangeField(filter_fields.DateRangeField):
    """Accepts the one format its message names (the forms' date fields do the same), not the
    active language's other formats (English would read 03/10/2025 as 10 March)."""

    widget = DateRangeWidget  # its name makes widget_type "daterange" (the template asks)

    def __init__(self, *args, **kwargs):
        day = forms.DateField(input_formats=[DATE_INPUT_FORMAT], error_messages=DATE_ERRORS)
        filter_fields.RangeField.__init__(self, (day, copy.deepcopy(day)), *args, **kwargs)


class DateFromToRangeFilter(filters.DateFromToRangeFilter):
    """django-filter's date range (name_after, name_before), with the field above."""

    field_class = _DateRangeField


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


def rating_year_filter(label: str = _("评价年度"), **kwargs: object) -> filters.NumberFilter:
    """A filter on a credit-rating year, refusing years no rating can have."""
    return filters.NumberFilter(
        label=label, min_value=MIN_RATING_YEAR, max_value=MAX_RATING_YEAR, **kwargs
    )


def district_filter(path: str = "") -> ChoicesFilter:
    """The districts of the facility a record concerns, found at path (e.g. "facility__")."""
    return ChoicesFilter(
        label=_("所属区县"), field_name=f"{path}district", choices=District.choices
    )


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
    """The year grade filters default to: the latest rated year that has ended (one read of
    the grade totals, see services.ratings.default_rating_year)."""
    return default_rating_year()


class GradeOrderingFilter(filters.OrderingFilter):
    """Sorting by grade sorts by the grade of the year the list shows (FacilityFilterSet's
    grade_year) when it shows one, else by the current grade.

    Every sort ends with the id in the same direction as its last key: rows that tie (a grade,
    a district, a deposit of 0) keep one order from page to page, and the order is that of the
    column's (column, id) index, read forwards or backwards."""

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        ordered = super().filter(qs, value)
        keys = list(ordered.query.order_by)
        if ordered is qs or not keys or keys[-1].lstrip("-") in ("id", "pk"):
            return ordered
        return ordered.order_by(*keys, "-id" if keys[-1].startswith("-") else "id")

    def get_ordering_value(self, param: str) -> str:
        value = super().get_ordering_value(param)
        year = getattr(self.parent, "grade_year", None)
        if year is not None and value.lstrip("-") == "current_grade":
            return value.replace("current_grade", "year_grade")
        return value


SEARCH_HELP = _(
    "名称的一部分、拼音全拼或首字母（如 gesang、gsdyf），或统一社会信用代码、医保定点编码的前几位；"
    "多个词用空格分开，须同时符合。"
)


CASE_SEARCH_HELP = _(
    "编号（如 拉医保稽〔2025〕12号，前缀可省略），"
    "或机构名称的一部分、拼音全拼或首字母、统一社会信用代码、医保定点编码的前几位；"
    "多个词用空格分开，须同时符合。"
)


def facility_search(path: str, help_text: object = SEARCH_HELP) -> filters.CharFilter:
    """A `q` filter on the facility a record concerns, found at path (e.g. "facility__"): every
    word a part of its name, pinyin or initials, or the start of a code (supervision.search)."""

    def search(queryset: QuerySet, name: str, value: str) -> QuerySet:
        docket = docket_of(value) if issubclass(queryset.model, Numbered) else None
        if docket is not None:  # a case number: the one record (unique year and sequence)
            return queryset.filter(docket_year=docket[0], docket_sequence=docket[1])
        terms = search_terms(value)
        return filter_by_terms(queryset, terms, path) if terms else queryset

    return filters.CharFilter(
        label=_("搜索"),
        method=search,
        max_length=MAX_SEARCH_LENGTH,
        help_text=help_text,
    )


def inspection_is_mine(user: AbstractBaseUser, path: str = "") -> Q:
    """The inspection at `path` ("" for an inspection itself, "inspection__" from a referral
    or sanction) was registered by user, or user was on it as an inspector (Inspector.user).
    The crew as an EXISTS, not a join: no row twice, and no DISTINCT."""
    crew = Inspection.inspectors.through.objects.filter(
        inspection_id=OuterRef(f"{path}id" if path else "pk"), inspector__user=user
    )
    return Q(**{f"{path}created_by": user}) | Q(Exists(crew))


class MineFilterMixin:
    """A `mine` filter: true → the requesting user's records, false → everyone else's.

    Which records are one's own is the filterset's `mine_condition(user)`; without a signed-in
    user (a FilterSet used outside a request) nothing is one's own.
    """

    def filter_mine(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        user = getattr(getattr(self, "request", None), "user", None)
        if user is None or not user.is_authenticated:
            return queryset if value is False else queryset.none()
        condition = self.mine_condition(user)
        return queryset.filter(condition) if value else queryset.exclude(condition)


def mine_filter(label: str, help_text: str) -> StrictBooleanFilter:
    return StrictBooleanFilter(label=label, method="filter_mine", help_text=help_text)


class FacilityFilterSet(BaseFilterSet):
    q = filters.CharFilter(
        label=_("搜索"), method="search", max_length=MAX_SEARCH_LENGTH, help_text=SEARCH_HELP
    )
    kind = ChoicesFilter(label=_("机构类别"), choices=FacilityKind.choices)
    ownership = filters.ChoiceFilter(label=_("经济类型"), choices=Ownership.choices)
    district = district_filter()
    zone = filters.ChoiceFilter(label=_("园区"), choices=Zone.choices)
    year = rating_year_filter(
        method="filter_noop",
        help_text=_(
            "选定后，信用等级的筛选、等级列、按等级排序和导出都按该年度；"
            "不填时，按信用等级筛选使用最近评价年度。"
        ),
    )
    grade = ChoicesFilter(label=_("信用等级"), choices=Grade.choices, method="filter_grade")
    agreement_status = ChoicesFilter(
        label=_("协议状态"), choices=AgreementStatus.choices, method="filter_agreement_status"
    )
    ordering = GradeOrderingFilter(
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
        terms = search_terms(value)
        return filter_by_terms(queryset, terms) if terms else queryset

    @property
    def grade_year(self) -> int | None:
        """The year whose grades the list filters, shows and sorts by: the chosen year, else
        the default year (latest rated) when grades are filtered, else None (current grades)."""
        data = getattr(self.form, "cleaned_data", {})
        if data.get("year"):
            return int(data["year"])
        if data.get("grade"):
            return self.default_year
        return None

    @property
    def grade_year_defaulted(self) -> bool:
        """Whether grades are filtered by the default year because no year was chosen."""
        data = getattr(self.form, "cleaned_data", {})
        return bool(data.get("grade")) and not data.get("year")

    @property
    def default_year(self) -> int | None:
        if not hasattr(self, "_default_year"):
            self._default_year = latest_rated_year()
        return self._default_year

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        year = self.grade_year
        if year is not None:
            queryset = queryset.with_grade_of_year(year)
        return sorted_after_matching(super().filter_queryset(queryset))

    def filter_noop(self, queryset: QuerySet, name: str, value: object) -> QuerySet:
        return queryset  # read by grade_year

    def filter_grade(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        year = self.grade_year
        if year is None:
            return queryset.none()
        return queryset.with_grade(year, value)

    def filter_agreement_status(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.with_agreement_status_in(value) if value else queryset


class CreditRatingFilterSet(BaseFilterSet):
    q = facility_search("facility__")
    year = rating_year_filter()
    grade = ChoicesFilter(label=_("信用等级"), choices=Grade.choices)
    kind = ChoicesFilter(
        label=_("机构类别"), field_name="facility__kind", choices=FacilityKind.choices
    )
    district = district_filter("facility__")
    ordering = filters.OrderingFilter(
        fields=(("year", "year"), ("grade", "grade"), ("facility__name", "facility"))
    )

    class Meta:
        model = CreditRating
        fields = ["facility", "year", "grade", "kind", "district"]


class RatingChangeFilterSet(BaseFilterSet):
    q = facility_search("rating__facility__")
    facility = id_filter(_("机构"), "rating__facility")
    year = rating_year_filter(field_name="rating__year")
    to_grade = ChoicesFilter(label=_("新等级"), choices=Grade.choices)
    changed = DateFromToRangeFilter(label=_("调整日期"), field_name="changed_at__date")

    class Meta:
        model = RatingChange
        fields = ["rating", "facility", "year", "to_grade", "changed_by", "changed"]


class InspectionFilterSet(MineFilterMixin, BaseFilterSet):
    q = facility_search("facility__", CASE_SEARCH_HELP)
    mine = mine_filter(_("我的检查"), _("我登记的，或我作为检查人员参加的检查。"))
    kind = ChoicesFilter(label=_("检查类型"), choices=InspectionKind.choices)
    status = ChoicesFilter(label=_("状态"), choices=InspectionStatus.choices)
    start_date = DateFromToRangeFilter(label=_("开始日期"))
    agency = filters.ChoiceFilter(
        label=_("协作部门"), field_name="partner_agencies", choices=Agency.choices
    )
    violation = filters.ChoiceFilter(
        label=_("违规类型"), field_name="violations", choices=Violation.choices
    )
    district = district_filter("facility__")
    ordering = filters.OrderingFilter(
        fields=(("start_date", "start_date"), ("facility__name", "facility"), ("kind", "kind"))
    )

    class Meta:
        model = Inspection
        fields = [
            "facility",
            "mine",
            "kind",
            "status",
            "start_date",
            "agency",
            "violation",
            "district",
        ]

    def mine_condition(self, user: AbstractBaseUser) -> Q:
        return inspection_is_mine(user)


class ReferralFilterSet(MineFilterMixin, BaseFilterSet):
    q = facility_search("inspection__facility__", CASE_SEARCH_HELP)
    mine = mine_filter(_("我的案件"), _("我移送的，或来自我登记、我参加的检查的移送。"))
    facility = id_filter(_("机构"), "inspection__facility")
    agency = ChoicesFilter(label=_("移送部门"), choices=Agency.choices)
    status = ChoicesFilter(label=_("状态"), choices=ReferralStatus.choices)
    referred_on = DateFromToRangeFilter(label=_("移送日期"))
    ordering = filters.OrderingFilter(fields=(("referred_on", "referred_on"), ("status", "status")))

    class Meta:
        model = Referral
        fields = ["inspection", "facility", "mine", "agency", "status", "referred_on"]

    def mine_condition(self, user: AbstractBaseUser) -> Q:
        return Q(created_by=user) | inspection_is_mine(user, "inspection__")


class SanctionFilterSet(MineFilterMixin, BaseFilterSet):
    q = facility_search("facility__", CASE_SEARCH_HELP)
    mine = mine_filter(_("我的案件"), _("我登记的，或依据我登记、我参加的检查作出的处理措施。"))
    kind = ChoicesFilter(label=_("措施类型"), choices=SanctionKind.choices)
    decided_on = DateFromToRangeFilter(label=_("决定日期"))
    in_force = StrictBooleanFilter(label=_("今日生效的暂停"), method="filter_in_force")
    rating_year = rating_year_filter(
        _("依据的评级年度"),
        field_name="rating__year",
        help_text=_("依据该年度信用评价结果作出的处理措施（如D级暂停协议、A级授牌）。"),
    )
    district = district_filter("facility__")
    ordering = filters.OrderingFilter(
        fields=(("decided_on", "decided_on"), ("kind", "kind"), ("facility__name", "facility"))
    )

    class Meta:
        model = Sanction
        fields = ["facility", "mine", "kind", "decided_on", "in_force", "rating_year", "district"]

    def mine_condition(self, user: AbstractBaseUser) -> Q:
        return Q(created_by=user) | inspection_is_mine(user, "inspection__")

    def filter_in_force(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        in_force = queryset.in_force_on()
        return in_force if value else queryset.exclude(pk__in=in_force.values("pk"))


# --- Tips (举报线索) ------------------------------------------------------------------------------

CLOCK_OVERDUE, CLOCK_DUE_SOON, CLOCK_UNKNOWN = "overdue", "due_soon", "unknown"
CLOCK_FILTER_CHOICES = [
    (CLOCK_OVERDUE, _("已逾期")),
    (CLOCK_DUE_SOON, _("即将到期")),
    (CLOCK_UNKNOWN, _("期限未知")),
]
TIP_SEARCH_HELP = _(
    "线索编号（如 拉医保举〔2025〕12号 或 #123），被举报对象名称的一部分，"
    "或被举报机构的名称、拼音、编码；不检索举报人信息。"
)


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def received_between(queryset: QuerySet, value: slice | None, field: str = "received_at"):
    """A date range on a timestamp as a half-open range of local days, so that the index on
    the timestamp answers it (a __date lookup would compute every row's date)."""
    if not value:
        return queryset
    if value.start is not None:
        queryset = queryset.filter(**{f"{field}__gte": _day_start(value.start)})
    if value.stop is not None:
        after = value.stop + datetime.timedelta(days=1)
        queryset = queryset.filter(**{f"{field}__lt": _day_start(after)})
    return queryset


def running_clock(today: datetime.date, state: str) -> Q:
    """The tips whose running clock is in state (overdue, due soon, unknown) as of today: on
    clock and due_on, which the partial index tip_due_idx holds."""
    # Only a running clock has a deadline (the constraint tip_due_only_while_running): a range
    # of deadlines needs no test of the clock, and tip_due_idx answers it alone.
    if state == CLOCK_OVERDUE:
        return Q(due_on__lt=today)
    if state == CLOCK_DUE_SOON:
        return Q(due_on__gte=today, due_on__lte=due_soon_limit(today))
    return ~Q(clock=TipClock.NONE) & Q(due_on__isnull=True)


class TipOrderingFilter(filters.OrderingFilter):
    """The tip list's sorts, each a total order on an index (the id breaks ties, so a page
    never repeats or skips a tip): by deadline, tips without one (no clock running) come after
    every deadline, in both directions — the order of tip_due_idx read forward or backward."""

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        if not value:
            return qs
        keys = []
        for param in value:
            name = self.get_ordering_value(param)
            descending = name.startswith("-")
            field = F(name.lstrip("-"))
            if name.lstrip("-") == "due_on":
                keys.append(
                    field.desc(nulls_first=True) if descending else field.asc(nulls_last=True)
                )
            else:
                keys.append(field.desc() if descending else field.asc())
        descending = value[0].startswith("-")
        return qs.order_by(*keys, "-id" if descending else "id")


class TipFilterSet(BaseFilterSet):
    """The tip list's filters (pages and API). The search never reads the reporter: whoever
    may not see who reported must not learn it from what a search finds either."""

    q = filters.CharFilter(
        label=_("搜索"), method="search", max_length=MAX_SEARCH_LENGTH, help_text=TIP_SEARCH_HELP
    )
    channel = ChoicesFilter(label=_("举报渠道"), choices=TipChannel.choices)
    status = ChoicesFilter(label=_("状态"), choices=TipStatus.choices)
    clock = filters.ChoiceFilter(
        label=_("办理期限"), choices=CLOCK_FILTER_CHOICES, method="filter_clock"
    )
    district = district_filter()
    facility = id_filter(_("被举报机构"), "facility")
    received = DateFromToRangeFilter(label=_("接收日期"), method="filter_received")
    conclusion = ChoicesFilter(label=_("核查结论"), choices=TipConclusion.choices)
    inspection = id_filter(_("核查检查"), "inspection")
    ordering = TipOrderingFilter(
        label=_("排序"),
        fields=(("received_at", "received_at"), ("due_on", "due_on")),
        field_labels={"received_at": _("接收时间"), "due_on": _("办理期限")},
    )

    class Meta:
        model = Tip
        fields = [
            "q",
            "channel",
            "status",
            "clock",
            "district",
            "facility",
            "received",
            "conclusion",
            "inspection",
        ]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        docket = docket_of(value)
        if docket is not None:
            return queryset.filter(docket_year=docket[0], docket_sequence=docket[1])
        number = tip_number(value)
        if number is not None:
            return queryset.filter(pk=number)
        terms = search_terms(value)
        if not terms:
            return queryset
        # One column of the tip, one trigram index: no join to the facilities in an OR.
        return queryset.filter(tip_terms_query(terms))

    def filter_clock(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """The tips whose clock is in that state; overdue and due soon most urgent first (the
        order of tip_due_idx; a sort the reader chose still applies after this)."""
        if not value:
            return queryset
        queryset = queryset.filter(running_clock(timezone.localdate(), value))
        if value in (CLOCK_OVERDUE, CLOCK_DUE_SOON):
            queryset = queryset.order_by(F("due_on").asc(nulls_last=True), "id")
        return queryset

    def filter_received(self, queryset: QuerySet, name: str, value: slice | None) -> QuerySet:
        return received_between(queryset, value)


class TipRewardFilterSet(BaseFilterSet):
    """The rewards list's filters (pages and API)."""

    q = filters.CharFilter(
        label=_("线索编号"), method="search", max_length=MAX_SEARCH_LENGTH, help_text=_("如 #123。")
    )
    status = ChoicesFilter(label=_("状态"), choices=RewardStatus.choices)
    year = filters.NumberFilter(
        label=_("提出年度"), method="filter_year", min_value=2000, max_value=2100
    )
    proposed_on = DateFromToRangeFilter(label=_("提出日期"))
    district = district_filter("tip__")
    ordering = filters.OrderingFilter(
        label=_("排序"),
        fields=(("proposed_on", "proposed_on"), ("amount", "amount")),
        field_labels={"proposed_on": _("提出日期"), "amount": _("奖励金额（元）")},
    )

    class Meta:
        model = TipReward
        fields = ["q", "status", "year", "proposed_on", "district", "tip"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        number = tip_number(value)
        if number is not None:
            return queryset.filter(tip_id=number)
        return queryset.none() if value.strip() else queryset

    def filter_year(self, queryset: QuerySet, name: str, value: Decimal | None) -> QuerySet:
        if value is None:
            return queryset
        year = int(value)
        return queryset.filter(
            proposed_on__gte=datetime.date(year, 1, 1), proposed_on__lte=datetime.date(year, 12, 31)
        )


# --- Credit subjects of categories 4–6 and 8 (信用主体单位、参保人员) ------------------------

INSTITUTION_SEARCH_HELP = _(
    "名称的一部分，或统一社会信用代码的前几位；多个词用空格分开，须同时符合。"
)
PERSON_SEARCH_HELP = _("姓名的一部分。")
PERSON_SEARCH_HELP_WITH_ID = _("姓名的一部分，或完整的18位身份证号码（只查完全一致的号码）。")


class CreditInstitutionFilterSet(BaseFilterSet):
    """The institutions of categories 4–6 (pages and API)."""

    q = filters.CharFilter(
        label=_("搜索"),
        method="search",
        max_length=MAX_SEARCH_LENGTH,
        help_text=INSTITUTION_SEARCH_HELP,
    )
    category = ChoicesFilter(
        label=_("信用主体类别"),
        field_name="category_id",
        choices=[(c, CreditCategoryCode(c).label) for c in INSTITUTION_CATEGORIES],
    )
    district = district_filter()
    ordering = filters.OrderingFilter(
        label=_("排序"),
        fields=(
            ("name", "name"),
            ("category__number", "category"),
            ("district", "district"),
            ("created_at", "created_at"),
        ),
        field_labels={
            "name": _("名称"),
            "category__number": _("信用主体类别"),
            "district": _("所属区县"),
            "created_at": _("创建时间"),
        },
    )

    class Meta:
        model = CreditInstitution
        fields = ["q", "category", "district"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        for term in search_terms(value):
            condition = Q(name__icontains=term)
            if term.isascii() and term.isalnum():
                condition |= Q(credit_code__startswith=term.upper())
            queryset = queryset.filter(condition)
        return queryset


class InsuredPersonFilterSet(BaseFilterSet):
    """The insured persons (pages and API). The search reads the name; a whole ID number is
    looked up, exactly, only for a reader who may see ID numbers (view_insuredidentity): for
    anyone else what finds a person must not tell whose a number is, and nobody's search ever
    matches a part of a number."""

    q = filters.CharFilter(
        label=_("搜索"), method="search", max_length=MAX_SEARCH_LENGTH, help_text=PERSON_SEARCH_HELP
    )
    district = district_filter()
    ordering = filters.OrderingFilter(
        label=_("排序"),
        fields=(("name", "name"), ("district", "district"), ("created_at", "created_at")),
        field_labels={
            "name": _("姓名"),
            "district": _("参保地区县"),
            "created_at": _("创建时间"),
        },
    )

    class Meta:
        model = InsuredPerson
        fields = ["q", "district"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self._reads_identity():
            self.filters["q"].extra["help_text"] = PERSON_SEARCH_HELP_WITH_ID

    def _reads_identity(self) -> bool:
        user = getattr(getattr(self, "request", None), "user", None)
        return may_read_identity(user) if user is not None else False

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        number = normalised_id(value)
        if is_resident_id_shaped(number):
            if self._reads_identity():
                return queryset.filter(identity__id_number=number)
            return queryset.none()
        for term in search_terms(value):
            queryset = queryset.filter(name__icontains=term)
        return queryset


class IndicatorSystemFilterSet(BaseFilterSet):
    """The indicator systems by year and category (API)."""

    year = rating_year_filter()
    category = ChoicesFilter(
        label=_("信用主体类别"), field_name="category_id", choices=CreditCategoryCode.choices
    )

    class Meta:
        model = IndicatorSystem
        fields = ["year", "category"]


# --- The annual evaluation (年度信用评价): assessments and objections ---------------------------

from supervision.choices import ObjectionStatus  # noqa: E402 - this section's own
from supervision.models import Assessment, Objection  # noqa: E402 - this section's own

ASSESSMENT_SEARCH_HELP = _("评价对象名称的一部分；多个词用空格分开，须同时符合。")


def _nullable(model: type[Model], path: str) -> bool:
    """Whether the column a lookup path (e.g. "facility__name") ends on may hold NULL (True
    when the path names no field: an annotation may)."""
    *relations, last = path.split("__")
    try:
        for name in relations:
            model = model._meta.get_field(name).related_model
        return bool(model._meta.get_field(last).null)
    except (FieldDoesNotExist, AttributeError):
        return True


class TotalOrderingFilter(filters.OrderingFilter):
    """A sort that is a total order: the id breaks ties (a page never repeats or skips a row),
    in the direction of the first key; empty values (no score yet) come last either way."""

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        if not value:
            return qs
        keys = []
        for param in value:
            name = self.get_ordering_value(param)
            path = name.lstrip("-")
            field = F(path)
            # NULLS LAST only where a value can be empty: on a NOT NULL column it would still
            # keep PostgreSQL from reading a (column, id) index backwards for a descending sort.
            nulls = {"nulls_last": True} if _nullable(qs.model, path) else {}
            keys.append(field.desc(**nulls) if name.startswith("-") else field.asc(**nulls))
        descending = self.get_ordering_value(value[0]).startswith("-")
        return qs.order_by(*keys, "-id" if descending else "id")


def pending_objection() -> Exists:
    """Whether an assessment has an objection waiting for its decision."""
    return Exists(
        Objection.objects.filter(assessment=OuterRef("pk"), status=ObjectionStatus.PENDING)
    )


class AssessmentFilterSet(BaseFilterSet):
    """The assessments of a cycle (the cycle page's list and the API)."""

    q = filters.CharFilter(
        label=_("搜索"),
        method="search",
        max_length=MAX_SEARCH_LENGTH,
        help_text=ASSESSMENT_SEARCH_HELP,
    )
    cycle = id_filter(_("年度信用评价"), "cycle")
    grade = ChoicesFilter(label=_("等级"), choices=Grade.choices)
    district = district_filter()
    vetoed = StrictBooleanFilter(label=_("一票否决"))
    self_received = StrictBooleanFilter(label=_("已收到自评"), method="filter_self_received")
    pending_objection = StrictBooleanFilter(
        label=_("有待处理异议"), method="filter_pending_objection"
    )
    finalised = StrictBooleanFilter(label=_("已确定"))
    # The sorts each have an index (cycle, column, id): a cycle of a million subjects sorts by
    # walking it, not by sorting the cycle.
    ordering = TotalOrderingFilter(
        label=_("排序"),
        fields=(
            ("subject_name", "subject_name"),
            ("district", "district"),
            ("score", "score"),
            ("grade", "grade"),
        ),
        field_labels={
            "subject_name": _("评价对象"),
            "district": _("所属区县"),
            "score": _("得分"),
            "grade": _("等级"),
        },
    )

    class Meta:
        model = Assessment
        fields = [
            "q",
            "cycle",
            "grade",
            "district",
            "vetoed",
            "self_received",
            "pending_objection",
            "finalised",
        ]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        for term in search_terms(value):
            queryset = queryset.filter(subject_name__icontains=term)
        return queryset

    def filter_self_received(self, queryset: QuerySet, name: str, value: bool | None):
        if value is None:
            return queryset
        return queryset.filter(self_received_on__isnull=not value)

    def filter_pending_objection(self, queryset: QuerySet, name: str, value: bool | None):
        if value is None:
            return queryset
        if value:
            return queryset.filter(pending_objection())
        return queryset.exclude(pending_objection())


class ObjectionFilterSet(BaseFilterSet):
    """The objections (异议) of every cycle (the objection list and the API)."""

    q = filters.CharFilter(
        label=_("搜索"),
        method="search",
        max_length=MAX_SEARCH_LENGTH,
        help_text=ASSESSMENT_SEARCH_HELP,
    )
    status = ChoicesFilter(label=_("状态"), choices=ObjectionStatus.choices)
    overdue = StrictBooleanFilter(label=_("已超过办理期限"), method="filter_overdue")
    year = rating_year_filter(field_name="assessment__cycle__year")
    cycle = id_filter(_("年度信用评价"), "assessment__cycle")
    assessment = id_filter(_("评价对象"), "assessment")
    district = district_filter("assessment__")
    received = DateFromToRangeFilter(label=_("收到日期"), field_name="received_on")
    ordering = TotalOrderingFilter(
        label=_("排序"),
        fields=(
            ("received_on", "received_on"),
            ("due_on", "due_on"),
            ("assessment__subject_name", "subject"),
            ("status", "status"),
            ("decided_on", "decided_on"),
        ),
        field_labels={
            "received_on": _("收到日期"),
            "due_on": _("办理期限"),
            "assessment__subject_name": _("评价对象"),
            "status": _("状态"),
            "decided_on": _("决定日期"),
        },
    )

    class Meta:
        model = Objection
        fields = ["q", "status", "overdue", "year", "cycle", "assessment", "district", "received"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        for term in search_terms(value):
            queryset = queryset.filter(assessment__subject_name__icontains=term)
        return queryset

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        late = Q(status=ObjectionStatus.PENDING, due_on__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)


# --- Credit repair (信用修复) and the check plan (年度检查计划) ----------------------------------

from supervision.choices import RepairStatus  # noqa: E402
from supervision.models import CreditRepair, PlannedCheck  # noqa: E402


class CreditRepairFilterSet(BaseFilterSet):
    """The credit-repair applications (pages and API)."""

    q = facility_search("rating__facility__")
    status = ChoicesFilter(label=_("状态"), choices=RepairStatus.choices)
    grade = ChoicesFilter(label=_("原等级"), field_name="from_grade", choices=Grade.choices)
    district = district_filter("rating__facility__")
    facility = id_filter(_("机构"), "rating__facility")
    applied = DateFromToRangeFilter(label=_("申请日期"), field_name="applied_on")
    ordering = filters.OrderingFilter(
        label=_("排序"),
        fields=(
            ("applied_on", "applied_on"),
            ("decided_on", "decided_on"),
            ("rating__facility__name", "facility"),
        ),
        field_labels={
            "applied_on": _("申请日期"),
            "decided_on": _("决定日期"),
            "rating__facility__name": _("机构"),
        },
    )

    class Meta:
        model = CreditRepair
        fields = ["q", "status", "grade", "district", "facility", "applied", "rating"]


class PlannedCheckFilterSet(BaseFilterSet):
    """The year's check plan (pages and API): behind = due before today and not yet done."""

    q = facility_search("facility__")
    year = filters.NumberFilter(
        label=_("计划年度"), min_value=MIN_RATING_YEAR + 1, max_value=MAX_RATING_YEAR
    )
    district = district_filter("facility__")
    grade = ChoicesFilter(label=_("依据等级"), choices=Grade.choices)
    behind = StrictBooleanFilter(label=_("已逾期未检查"), method="filter_behind")
    done = StrictBooleanFilter(
        label=_("已完成"), field_name="inspection", lookup_expr="isnull", exclude=True
    )
    facility = id_filter(_("机构"), "facility")
    ordering = filters.OrderingFilter(
        label=_("排序"),
        fields=(
            ("due_on", "due_on"),
            ("facility__name", "facility"),
            ("grade", "grade"),
            ("sequence", "sequence"),
        ),
        field_labels={
            "due_on": _("应检查日期"),
            "facility__name": _("机构"),
            "grade": _("依据等级"),
            "sequence": _("第几次"),
        },
    )

    class Meta:
        model = PlannedCheck
        fields = ["q", "year", "district", "grade", "behind", "done", "facility"]

    def filter_behind(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        late = Q(inspection__isnull=True, due_on__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)


# --- Practitioners (医药机构相关人员) and their points -----------------------------------------

from supervision.choices import (  # noqa: E402 - this section's own
    PointsState,
    Profession,
    QualificationStatus,
    Responsibility,
)
from supervision.models import (  # noqa: E402 - this section's own
    PointsRecord,
    Practitioner,
    Registration,
)
from supervision.models.practitioner import MAX_POINTS  # noqa: E402 - this section's own
from supervision.services.practitioners import (  # noqa: E402 - this section's own
    may_read_identity as may_read_practitioner_identity,
)

PRACTITIONER_SEARCH_HELP = _("姓名（从头输入，如姓氏或全名）或执业证书编号的开头。")
PRACTITIONER_SEARCH_HELP_WITH_ID = _(
    "姓名（从头输入，如姓氏或全名）或执业证书编号的开头；也可输入完整的18位身份证号码。"
)


class PractitionerFilterSet(BaseFilterSet):
    """The practitioners (pages and API): by facility of a registration, profession, the
    qualification's status today and the standing points of the current year. A whole ID number
    finds the person only for a reader who may see ID numbers (view_practitioneridentity); for
    anyone else it finds nobody, and no search ever matches part of a number."""

    q = filters.CharFilter(
        label=_("搜索"),
        method="search",
        max_length=MAX_SEARCH_LENGTH,
        help_text=PRACTITIONER_SEARCH_HELP,
    )
    facility = filters.NumberFilter(
        label=_("登记机构"), method="filter_facility", min_value=1, max_value=MAX_ID
    )
    profession = ChoicesFilter(label=_("人员类别"), choices=Profession.choices)
    district = district_filter()
    status = ChoicesFilter(
        label=_("支付资格状态"), choices=QualificationStatus.choices, method="filter_status"
    )
    points_min = filters.NumberFilter(
        label=_("本年度记分不少于"),
        method="filter_points",
        min_value=0,
        max_value=MAX_POINTS * 100,
    )
    ordering = filters.OrderingFilter(
        label=_("排序"),
        fields=(
            ("name", "name"),
            ("profession", "profession"),
            ("district", "district"),
            ("created_at", "created_at"),
        ),
        field_labels={
            "name": _("姓名"),
            "profession": _("人员类别"),
            "district": _("所属区县"),
            "created_at": _("创建时间"),
        },
    )

    class Meta:
        model = Practitioner
        fields = ["q", "facility", "profession", "district", "status", "points_min"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self._reads_identity():
            self.filters["q"].extra["help_text"] = PRACTITIONER_SEARCH_HELP_WITH_ID

    def _reads_identity(self) -> bool:
        user = getattr(getattr(self, "request", None), "user", None)
        return may_read_practitioner_identity(user) if user is not None else False

    def filter_facility(self, queryset: QuerySet, name: str, value: object) -> QuerySet:
        # A subquery, not a join: a person registered twice with the facility is listed once.
        if value is None:
            return queryset
        registered = Registration.objects.filter(facility_id=int(value))  # type: ignore[call-overload]
        return queryset.filter(pk__in=registered.values("practitioner_id"))

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        number = normalised_id(value)
        if is_resident_id_shaped(number):
            if self._reads_identity():
                return queryset.filter(identity__id_number=number)
            return queryset.none()
        terms = search_terms(value)
        if not terms:
            return queryset
        # A name is typed from its start (a surname, a whole name): one range of the name index
        # among millions of people; further words narrow what it found.
        first, *more = terms
        condition = name_starts_with("name", first, queryset.db)
        if first.isascii() and first.isalnum():
            condition |= Q(certificate_number__startswith=first)
        queryset = queryset.filter(condition)
        for term in more:
            queryset = queryset.filter(name__icontains=term)
        return queryset

    def filter_status(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.with_qualification_status_in(value) if value else queryset

    def filter_points(self, queryset: QuerySet, name: str, value: object) -> QuerySet:
        if value is None:
            return queryset
        return queryset.with_year_points_at_least(timezone.localdate().year, int(value))


class PointsRecordFilterSet(BaseFilterSet):
    """Points records (pages and API)."""

    practitioner = id_filter(_("医药机构相关人员"), "practitioner")
    facility = id_filter(_("机构"), "facility")
    inspection = id_filter(_("检查记录"), "inspection")
    year = rating_year_filter(_("记分年度"))
    state = ChoicesFilter(label=_("状态"), choices=PointsState.choices)
    responsibility = ChoicesFilter(label=_("责任程度"), choices=Responsibility.choices)
    ordering = filters.OrderingFilter(
        label=_("排序"),
        fields=(("decided_on", "decided_on"), ("points", "points")),
        field_labels={"decided_on": _("记分日期"), "points": _("记分")},
    )

    class Meta:
        model = PointsRecord
        fields = ["practitioner", "facility", "inspection", "year", "state", "responsibility"]


# --- Publication (信息公开): typical cases and grade publications ------------------------------

from supervision.choices import (  # noqa: E402 - this section's own
    CATEGORY_FACILITY_KINDS,
    TypicalCaseStatus,
)
from supervision.models import GradePublication, TypicalCase  # noqa: E402 - this section's own

MAX_CASE_SEARCH_WORDS = 8
TYPICAL_CASE_SEARCH_HELP = _(
    "标题的一部分，或被检查机构的名称、拼音、编码；多个词用空格分开，须同时符合。"
)


class TypicalCaseFilterSet(BaseFilterSet):
    """Typical cases (pages and API): by status, the inspected facility and its district, the
    inspection, the publication date; a search of the title and the facility."""

    q = filters.CharFilter(
        label=_("搜索"),
        method="search",
        max_length=MAX_SEARCH_LENGTH,
        help_text=TYPICAL_CASE_SEARCH_HELP,
    )
    status = ChoicesFilter(label=_("状态"), choices=TypicalCaseStatus.choices)
    facility = id_filter(_("机构"), "inspection__facility")
    inspection = id_filter(_("检查记录"), "inspection")
    district = district_filter("inspection__facility__")
    published_on = DateFromToRangeFilter(label=_("发布日期"))
    ordering = TotalOrderingFilter(
        label=_("排序"),
        fields=(
            ("published_on", "published_on"),
            ("submitted_on", "submitted_on"),
            ("created_at", "created_at"),
            ("title", "title"),
            ("status", "status"),
        ),
        field_labels={
            "published_on": _("发布日期"),
            "submitted_on": _("提交审核日期"),
            "created_at": _("创建时间"),
            "title": _("标题"),
            "status": _("状态"),
        },
    )

    class Meta:
        model = TypicalCase
        fields = ["q", "status", "facility", "inspection", "district", "published_on"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Each word in the title or the facility (typical cases are a few a month: the title
        # needs no index of its own).
        condition = Q()
        for word in (value or "").split()[:MAX_CASE_SEARCH_WORDS]:
            word_condition = Q(title__icontains=word)
            facility_terms = search_terms(word)
            if facility_terms:
                word_condition |= terms_query(facility_terms, "inspection__facility__")
            condition &= word_condition
        return queryset.filter(condition) if condition else queryset


class GradePublicationFilterSet(BaseFilterSet):
    """Grade publications (pages and API): by year and facility category."""

    year = rating_year_filter()
    category = filters.ChoiceFilter(
        label=_("信用主体类别"),
        field_name="category_id",
        choices=[
            (code, label)
            for code, label in CreditCategoryCode.choices
            if code in CATEGORY_FACILITY_KINDS
        ],
    )
    ordering = filters.OrderingFilter(
        label=_("排序"),
        fields=(("year", "year"), ("published_on", "published_on")),
        field_labels={"year": _("评价年度"), "published_on": _("公布日期")},
    )

    class Meta:
        model = GradePublication
        fields = ["year", "category"]


# --- Random checks (双随机抽查计划) ------------------------------------------------------------

from supervision.choices import RandomCheckStatus  # noqa: E402 - this section's own
from supervision.models import RandomCheckPlan  # noqa: E402 - this section's own

RANDOM_PLAN_SEARCH_HELP = _("计划名称的一部分；多个词用空格分开，须同时符合。")


class RandomCheckPlanFilterSet(BaseFilterSet):
    """The random-check plans (pages and API): by status, by the year their checks start, by
    name; every column of the list sorts, ties broken by id."""

    q = filters.CharFilter(
        label=_("搜索"),
        method="search",
        max_length=MAX_SEARCH_LENGTH,
        help_text=RANDOM_PLAN_SEARCH_HELP,
    )
    status = ChoicesFilter(label=_("状态"), choices=RandomCheckStatus.choices)
    year = filters.NumberFilter(
        label=_("检查年度"),
        field_name="starts_on__year",
        min_value=MIN_RATING_YEAR,
        max_value=MAX_RATING_YEAR,
    )
    ordering = TotalOrderingFilter(
        label=_("排序"),
        fields=(
            ("name", "name"),
            ("starts_on", "starts_on"),
            ("ends_on", "ends_on"),
            ("status", "status"),
            ("target_count", "target_count"),
            ("target_share", "target_share"),
            ("pool_size", "pool_size"),
            ("drawn_at", "drawn_at"),
            ("published_on", "published_on"),
        ),
        field_labels={
            "name": _("计划名称"),
            "starts_on": _("检查开始日期"),
            "ends_on": _("检查截止日期"),
            "status": _("状态"),
            "target_count": _("抽取数量"),
            "target_share": _("抽取比例（%）"),
            "pool_size": _("抽取范围机构数"),
            "drawn_at": _("抽取时间"),
            "published_on": _("公布日期"),
        },
    )

    class Meta:
        model = RandomCheckPlan
        fields = ["q", "status", "year"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        for term in search_terms(value):
            queryset = queryset.filter(name__icontains=term)
        return queryset


# --- Rectification orders (责令整改) -------------------------------------------------------------

from supervision.choices import RectificationStatus  # noqa: E402 - this section's own
from supervision.models import Rectification  # noqa: E402 - this section's own
from supervision.models.rectification import OPEN_STATUSES  # noqa: E402 - this section's own


class RectificationFilterSet(MineFilterMixin, BaseFilterSet):
    """The rectification orders (the API, and the pages' links): by status, the facility and
    its district, the inspection, the dates; overdue ones (open past their deadline)."""

    q = facility_search("facility__")
    mine = mine_filter(_("我的整改"), _("我责令的，或依据我登记、我参加的检查责令的整改。"))
    status = ChoicesFilter(label=_("状态"), choices=RectificationStatus.choices)
    facility = id_filter(_("机构"), "facility")
    inspection = id_filter(_("检查记录"), "inspection")
    district = district_filter("facility__")
    ordered_on = DateFromToRangeFilter(label=_("责令整改日期"))
    due_on = DateFromToRangeFilter(label=_("整改期限"))
    overdue = StrictBooleanFilter(
        label=_("逾期未复查"),
        method="filter_overdue",
        help_text=_("整改期限已过，尚未复查的整改。"),
    )
    ordering = TotalOrderingFilter(
        label=_("排序"),
        fields=(
            ("ordered_on", "ordered_on"),
            ("due_on", "due_on"),
            ("status", "status"),
        ),
        field_labels={
            "ordered_on": _("责令整改日期"),
            "due_on": _("整改期限"),
            "status": _("状态"),
        },
    )

    class Meta:
        model = Rectification
        fields = [
            "q",
            "mine",
            "status",
            "facility",
            "inspection",
            "district",
            "ordered_on",
            "due_on",
            "overdue",
        ]

    def mine_condition(self, user: AbstractBaseUser) -> Q:
        return Q(created_by=user) | inspection_is_mine(user, "inspection__")

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        overdue = Q(status__in=OPEN_STATUSES, due_on__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
