"""What the public pages may read: every queryset they touch starts here, so a page cannot show
what was not published (supervision.models.publication says what is).

Each function selects only the columns a public page shows (`only()`): a private field (a
sanction's note, an inspection's findings, a facility's legal representative) is not even read.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from supervision.choices import (
    CATEGORY_FACILITY_KINDS,
    Grade,
    InspectionStatus,
    RandomCheckStatus,
    TypicalCaseStatus,
)
from supervision.models import (
    CreditRating,
    GradePublication,
    GradeTally,
    Hotline,
    Inspection,
    RandomCheckPlan,
    RandomCheckTarget,
    Sanction,
    TypicalCase,
)
from supervision.search import terms_query
from supervision.services import publication

# A search with at most this many grades is read by its ids (filtered_ratings).
FEW_MATCHES = 1000

# The public columns of a facility, as reached from a rating, a sanction or a target.
FACILITY_COLUMNS = ("name", "kind", "district", "credit_code")
SANCTION_COLUMNS = (
    "kind",
    "decided_on",
    "decision_number",
    "legal_basis",
    "starts_on",
    "ends_on",
    "published_on",
)


def _facility(path: str) -> list[str]:
    return [f"{path}__{column}" for column in FACILITY_COLUMNS]


# --- Hotlines -----------------------------------------------------------------------------------


def hotlines() -> list[Hotline]:
    """The published channels: the three hotline levels first, then the others, in their order."""
    rows = (
        Hotline.objects.filter(published=True)
        .exclude(contact="")
        .only("channel", "name", "contact", "position")
    )
    return sorted(rows, key=lambda h: (not h.is_hotline, h.position, h.channel))


# --- Grades -------------------------------------------------------------------------------------


def published_years() -> list[int]:
    """The years with at least one published category, newest first."""
    return list(
        GradePublication.objects.order_by("-year").values_list("year", flat=True).distinct()
    )


@dataclass(frozen=True)
class GradeFilter:
    """What a visitor chose on the grades page; values already checked against the choices."""

    terms: tuple[str, ...] = ()
    district: str = ""
    kind: str = ""
    grade: str = ""


def ratings(year: int, kinds: list[str]) -> QuerySet[CreditRating]:
    """The grades of year of the facility kinds whose category is published for it."""
    return (
        CreditRating.objects.filter(year=year, facility__kind__in=kinds)
        .select_related("facility")
        .only("year", "grade", "facility_id", *_facility("facility"))
    )


def filtered_ratings(year: int, kinds: list[str], chosen: GradeFilter) -> QuerySet[CreditRating]:
    """The grades page's rows: A first, then in the order the grades were recorded, the order of
    the (year, grade, id) index: a page of a million grades is the index's first rows, not a sort
    of the year by name (which took a second a page, and minutes for the CSV at a million).

    The search is the staff lists' (supervision.search.terms_query): the name's indexed search
    keys, or the start of the credit code, never a LIKE on the middle of a code.
    """
    rows = ratings(year, kinds)
    if chosen.terms:
        rows = rows.filter(terms_query(list(chosen.terms), "facility__"))
    if chosen.district:
        rows = rows.filter(facility__district=chosen.district)
    if chosen.kind:
        rows = rows.filter(facility__kind=chosen.kind)
    if chosen.grade:
        rows = rows.filter(grade=chosen.grade)
    if chosen.terms:
        # A search that finds few (a credit code, a rare name) is answered from the facility
        # indexes: its ids first, unordered, then those rows in order. Ordered at once, a small
        # page of it tempted PostgreSQL to walk the year's million grades in order (2.5 s).
        few = list(rows.order_by().values_list("pk", flat=True)[: FEW_MATCHES + 1])
        if len(few) <= FEW_MATCHES:
            rows = ratings(year, kinds).filter(pk__in=few)
    return rows.order_by("grade", "id")


def grade_counts(year: int, kinds: list[str]) -> dict[str, int]:
    """How many facilities hold each grade of year (published kinds only): the kept totals when
    every category is public, else one GROUP BY with the facility join."""
    if set(kinds) == _all_kinds():
        # Every category public: the totals the triggers keep (GradeTally), a handful of rows.
        counts = dict(
            GradeTally.objects.filter(year=year)
            .order_by()
            .values_list("grade")
            .annotate(n=Sum("facilities"))
        )
    else:
        rows = CreditRating.objects.filter(year=year, facility__kind__in=kinds)
        counts = dict(rows.order_by().values_list("grade").annotate(n=Count("id")))
    return {grade: counts.get(grade, 0) for grade in Grade.values}


def _all_kinds() -> set[str]:
    return {kind for kinds in CATEGORY_FACILITY_KINDS.values() for kind in kinds}


# --- Sanctions ----------------------------------------------------------------------------------


def sanctions() -> QuerySet[Sanction]:
    """Every published sanction, newest decision first (the partial index of published ones)."""
    return (
        Sanction.objects.filter(published_on__isnull=False)
        .select_related("facility")
        .only(*SANCTION_COLUMNS, "facility_id", *_facility("facility"))
        .order_by("-decided_on", "-id")
    )


def sanctions_in_force(day: datetime.date | None = None) -> QuerySet[Sanction]:
    """Published suspensions and terminations in force on day (today by default)."""
    day = day or timezone.localdate()
    return sanctions().filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=day),
        kind__in=publication.IN_FORCE_KINDS,
        starts_on__lte=day,
    )


def d_grade_ratings(year: int, kinds: list[str]) -> QuerySet[CreditRating]:
    """The D grades of year (published kinds), each facility with its published sanctions."""
    published = Sanction.objects.filter(published_on__isnull=False).only(
        *SANCTION_COLUMNS, "facility_id"
    )
    return (
        ratings(year, kinds)
        .filter(grade=Grade.D)
        .prefetch_related(
            Prefetch(
                "facility__sanctions",
                queryset=published.order_by("-decided_on", "-id"),
                to_attr="published_sanctions",
            )
        )
        .order_by("facility__name", "id")
    )


# --- Random checks ------------------------------------------------------------------------------


def plans() -> QuerySet[RandomCheckPlan]:
    """Published plans, newest publication first, with how many targets each drew."""
    return (
        RandomCheckPlan.objects.filter(status=RandomCheckStatus.PUBLISHED)
        .only(
            "name",
            "starts_on",
            "ends_on",
            "status",
            "kinds",
            "districts",
            "grades",
            "grade_year",
            "not_inspected_months",
            "from_check_plan",
            "target_count",
            "target_share",
            "weights",
            "algorithm",
            "seed",
            "seed_source",
            "pool_size",
            "pool_digest",
            "result_digest",
            "published_on",
        )
        .annotate(drawn=Count("targets"))
        .order_by("-published_on", "-id")
    )


def targets(plan: RandomCheckPlan) -> QuerySet[RandomCheckTarget]:
    """A published plan's targets in the draw's order, with their inspection's outcome: the
    status, the end date and whether problems were found (a violation or money involved).
    Never the inspectors, the findings or the excluded inspectors."""
    violations = Inspection.violations.through.objects.filter(
        inspection_id=OuterRef("inspection_id")
    )
    return (
        RandomCheckTarget.objects.filter(plan=plan, plan__status=RandomCheckStatus.PUBLISHED)
        .select_related("facility", "inspection")
        .only(
            "rank",
            "district",
            "plan_id",
            "facility_id",
            "inspection_id",
            *_facility("facility"),
            "inspection__status",
            "inspection__end_date",
            "inspection__amount_involved",
        )
        .annotate(has_violation=Exists(violations))
        .order_by("rank")
    )


def outcome(target: RandomCheckTarget) -> dict[str, object]:
    """A target's result in plain values: status, and for a completed inspection whether it
    found problems and when it ended."""
    inspection = target.inspection
    status = inspection.status if inspection is not None else InspectionStatus.PLANNED
    completed = status == InspectionStatus.COMPLETED
    return {
        "status": status,
        "status_label": InspectionStatus(status).label,
        "completed": completed,
        "problems": completed
        and (bool(target.has_violation) or (inspection.amount_involved or 0) > 0),
        "ended_on": inspection.end_date if completed else None,
    }


# --- Typical cases ------------------------------------------------------------------------------


def cases() -> QuerySet[TypicalCase]:
    """Published typical cases, newest first (their partial index)."""
    return (
        TypicalCase.objects.filter(status=TypicalCaseStatus.PUBLISHED)
        .select_related("inspection__facility")
        .only(
            "title",
            "published_on",
            "facts",
            "handling",
            "legal_basis",
            "lesson",
            "status",
            "inspection_id",
            "inspection__facility_id",
            *_facility("inspection__facility"),
        )
        .order_by("-published_on", "-id")
    )
