"""A stock Django admin over the product's data: the yardstick of `make bench`'s ratio table.

Served only by the bench's server (bench/stock_settings.py, at /stock-admin/), never by the
product. Each product list has a plain `ModelAdmin` here with the same columns, filters and
search as the product's list page, written as a team would write it from the Django docs:

- the columns are fields, or small methods that read what they need per row (a related name,
  the open registrations, the year's points: a query per row, as stock code does);
- no `list_select_related` (Django's default then follows the foreign keys shown in
  list_display), no prefetching, no custom paginator: Django's `Paginator`, its full
  `COUNT(*)`, and the unfiltered total beside a filtered one (`show_full_result_count`);
- filters are list_filter fields, or a `SimpleListFilter` with a plain ORM query where a filter
  is not a field (a grade of a year, an agreement status, a tip's clock);
- searches are `search_fields` over the same columns the product searches (the facility's
  `search_keys` holds its name, pinyin and initials; codes from their start);
- a facility's current grade is the model's own column where the product keeps it on the row
  (migration 0128); before that, the one annotation the Django docs give for a sortable
  computed column. Everything else is plain.

The page size is the product's (50 rows), so both pages draw the same number of rows.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from supervision.choices import STANDING_POINTS_STATES, AgreementStatus, Grade, SanctionKind
from supervision.filtersets import CLOCK_FILTER_CHOICES, running_clock
from supervision.models import (
    Assessment,
    CreditInstitution,
    CreditRating,
    Facility,
    Inspection,
    InsuredPerson,
    Practitioner,
    RandomCheckPlan,
    Referral,
    Sanction,
    Tip,
)
from supervision.models.tip import TipReporter

ROWS = 50  # the product's page size (RecordListView.paginate_by)

site = admin.AdminSite(name="stock_admin")
site.site_header = "Stock Django admin (bench only)"


class StockAdmin(admin.ModelAdmin):
    """A plain changelist, read-only (the bench only reads)."""

    list_per_page = ROWS
    # Django's own changelist template, not the product's overrides of its app.
    change_list_template = "admin/change_list.html"
    actions = None

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _rated_years() -> list[int]:
    return list(CreditRating.objects.order_by("-year").values_list("year", flat=True).distinct())


# Facilities ------------------------------------------------------------------------------------


class GradeOfYearFilter(admin.SimpleListFilter):
    """A grade of a year ("2024-A"): the facilities rated so for that year."""

    title = "grade of a year"
    parameter_name = "grade_of_year"

    def lookups(self, request, model_admin):
        return [
            (f"{year}-{grade}", f"{year} {grade}") for year in _rated_years() for grade in Grade
        ]

    def queryset(self, request, queryset):
        year, _sep, grade = (self.value() or "").partition("-")
        if year.isdigit() and grade:
            return queryset.filter(ratings__year=int(year), ratings__grade=grade)
        return queryset


def _suspended_today() -> QuerySet:
    today = timezone.localdate()
    return Sanction.objects.filter(
        kind=SanctionKind.SUSPENSION, starts_on__lte=today, ends_on__gte=today
    ).values("facility_id")


def _terminated_today() -> QuerySet:
    today = timezone.localdate()
    return Sanction.objects.filter(kind=SanctionKind.TERMINATION, starts_on__lte=today).values(
        "facility_id"
    )


class AgreementStatusFilter(admin.SimpleListFilter):
    title = "agreement status"
    parameter_name = "agreement"

    def lookups(self, request, model_admin):
        return AgreementStatus.choices

    def queryset(self, request, queryset):
        value = self.value()
        if value == AgreementStatus.TERMINATED:
            return queryset.filter(pk__in=_terminated_today())
        if value == AgreementStatus.SUSPENDED:
            return queryset.filter(pk__in=_suspended_today()).exclude(pk__in=_terminated_today())
        if value == AgreementStatus.ACTIVE:
            return queryset.exclude(pk__in=_suspended_today()).exclude(pk__in=_terminated_today())
        return queryset


# Whether the product keeps the current grade on the facility's row (migration 0128): then it is
# a field of the model, and a stock admin shows and sorts by it like any field.
GRADE_ON_THE_ROW = any(f.name == "current_grade" for f in Facility._meta.concrete_fields)


class FacilityAdmin(StockAdmin):
    list_display = (
        "name",
        "kind",
        "ownership",
        "district",
        "insurance_code",
        "current_grade",
        "agreement_status",
        "deposit",
        # Not a column of the product's list, but the product sorts by it: the admin sorts by
        # columns only.
        "created_at",
    )
    list_filter = (
        "kind",
        "ownership",
        "district",
        "zone",
        GradeOfYearFilter,
        AgreementStatusFilter,
    )
    search_fields = ("search_keys", "^credit_code", "^insurance_code")

    def get_queryset(self, request) -> QuerySet:
        queryset = super().get_queryset(request)
        if GRADE_ON_THE_ROW:
            return queryset  # the model's own column: stock reads it as any other
        # The Django docs' way to sort by a computed column: annotate it.
        latest = CreditRating.objects.filter(facility=OuterRef("pk")).order_by("-year")
        return queryset.annotate(current_grade=Subquery(latest.values("grade")[:1]))

    @admin.display(description="current grade", ordering="current_grade")
    def current_grade(self, obj: Facility) -> str:
        return obj.current_grade or "-"  # type: ignore[attr-defined]

    @admin.display(description="agreement status")
    def agreement_status(self, obj: Facility) -> str:
        return obj.agreement_status_on().label


class CreditRatingAdmin(StockAdmin):
    """The product's rating list is its admin changelist: the same columns, filters, search."""

    list_display = ("facility", "year", "grade", "score", "rated_on", "facility_kind", "district")
    list_filter = ("year", "grade", "facility__kind", "facility__district")
    search_fields = ("facility__name", "=facility__credit_code", "^facility__insurance_code")

    @admin.display(description="kind", ordering="facility__kind")
    def facility_kind(self, obj: CreditRating) -> str:
        return obj.facility.get_kind_display()

    @admin.display(description="district", ordering="facility__district")
    def district(self, obj: CreditRating) -> str:
        return obj.facility.get_district_display()


# Cases -----------------------------------------------------------------------------------------

FACILITY_SEARCH = ("facility__search_keys", "^facility__credit_code", "^facility__insurance_code")


class InspectionAdmin(StockAdmin):
    list_display = (
        "start_date",
        "facility",
        "kind",
        "status",
        "inspector_names",
        "violation_names",
        "amount_involved",
        "amount_recovered",
    )
    list_filter = (
        "kind",
        "status",
        "start_date",
        "partner_agencies",
        "violations",
        "facility__district",
    )
    search_fields = FACILITY_SEARCH

    @admin.display(description="inspectors")
    def inspector_names(self, obj: Inspection) -> str:
        return ", ".join(str(person) for person in obj.inspectors.all())

    @admin.display(description="violations")
    def violation_names(self, obj: Inspection) -> str:
        return ", ".join(str(v) for v in obj.violations.all())


class ReferralAdmin(StockAdmin):
    list_display = (
        "referred_on",
        "facility",
        "inspection",
        "agency",
        "status",
        "case_number",
        "decided_on",
        "closed_on",
    )
    list_filter = ("agency", "status", "referred_on")
    search_fields = (
        "inspection__facility__search_keys",
        "^inspection__facility__credit_code",
        "^inspection__facility__insurance_code",
    )

    @admin.display(description="facility")
    def facility(self, obj: Referral) -> str:
        return str(obj.inspection.facility)


class SanctionAdmin(StockAdmin):
    list_display = (
        "decided_on",
        "facility",
        "kind",
        "starts_on",
        "ends_on",
        "deposit_percent",
        "amount",
        "decision_number",
        "inspection",
    )
    list_filter = ("kind", "decided_on", "rating__year", "facility__district")
    search_fields = FACILITY_SEARCH


# Tips ------------------------------------------------------------------------------------------


class ClockFilter(admin.SimpleListFilter):
    title = "clock"
    parameter_name = "clock"

    def lookups(self, request, model_admin):
        return CLOCK_FILTER_CHOICES

    def queryset(self, request, queryset):
        if self.value() in dict(CLOCK_FILTER_CHOICES):
            return queryset.filter(running_clock(timezone.localdate(), self.value()))
        return queryset


class TipAdmin(StockAdmin):
    list_display = (
        "docket_label",
        "received_at",
        "channel",
        "subject",
        "district",
        "status",
        "due_on",
        "reporter",
    )
    list_filter = ("channel", "status", ClockFilter, "district", "received_at", "conclusion")
    search_fields = ("search_keys",)

    @admin.display(description="subject")
    def subject(self, obj: Tip) -> str:
        return obj.subject

    @admin.display(description="reporter")
    def reporter(self, obj: Tip) -> str:
        try:
            return obj.reporter.name or "-"
        except TipReporter.DoesNotExist:
            return "-"


# Practitioners ---------------------------------------------------------------------------------


class PractitionerAdmin(StockAdmin):
    list_display = (
        "name",
        "profession",
        "certificate_number",
        "id_masked",
        "district",
        "facilities",
        "year_points",
        "qualification_status",
        "created_at",
    )
    list_filter = ("profession", "district")
    search_fields = ("^name", "^certificate_number")

    @admin.display(description="registered with")
    def facilities(self, obj: Practitioner) -> str:
        open_ones = obj.registrations.filter(ended_on__isnull=True).select_related("facility")
        return ", ".join(str(r.facility) for r in open_ones) or "-"

    @admin.display(description="points this year")
    def year_points(self, obj: Practitioner) -> int:
        records = obj.points_records.filter(
            year=timezone.localdate().year, state__in=STANDING_POINTS_STATES
        )
        return records.aggregate(total=Sum("points"))["total"] or 0

    @admin.display(description="qualification")
    def qualification_status(self, obj: Practitioner) -> str:
        return obj.qualification_status_on().label


# Random checks, credit -------------------------------------------------------------------------


class RandomCheckPlanAdmin(StockAdmin):
    list_display = (
        "name",
        "starts_on",
        "ends_on",
        "status",
        "target_count",
        "target_share",
        "pool_size",
        "drawn_at",
        "published_on",
    )
    list_filter = ("status", "starts_on")
    search_fields = ("name",)


class AssessmentAdmin(StockAdmin):
    """A cycle's subjects (the product's cycle page lists them)."""

    list_display = (
        "subject_name",
        "district",
        "self_score",
        "deductions",
        "bonus",
        "score",
        "grade",
        "published_grade",
        "vetoed",
        "finalised",
        "pending_objection",
    )
    list_filter = ("cycle", "grade", "district", "vetoed", "finalised")
    search_fields = ("subject_name",)

    @admin.display(description="objection", boolean=True)
    def pending_objection(self, obj: Assessment) -> bool:
        return obj.objections.filter(status="pending").exists()


class CreditInstitutionAdmin(StockAdmin):
    list_display = ("name", "category", "credit_code", "district", "legal_representative")
    list_filter = ("category", "district")
    search_fields = ("name", "^credit_code")


class InsuredPersonAdmin(StockAdmin):
    list_display = ("name", "id_masked", "district")
    list_filter = ("district",)
    search_fields = ("name",)


for model, model_admin in [
    (Facility, FacilityAdmin),
    (CreditRating, CreditRatingAdmin),
    (Inspection, InspectionAdmin),
    (Referral, ReferralAdmin),
    (Sanction, SanctionAdmin),
    (Tip, TipAdmin),
    (Practitioner, PractitionerAdmin),
    (RandomCheckPlan, RandomCheckPlanAdmin),
    (Assessment, AssessmentAdmin),
    (CreditInstitution, CreditInstitutionAdmin),
    (InsuredPerson, InsuredPersonAdmin),
]:
    site.register(model, model_admin)
