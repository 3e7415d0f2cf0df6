"""Query building blocks shared by pages, API and admin: related rows, annotations, filters."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator

from django.apps import apps
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from supervision.choices import (
    STANDING_POINTS_STATES,
    AgreementStatus,
    MeasureKind,
    QualificationStatus,
    SanctionKind,
)


def _sanctions() -> models.QuerySet:
    return apps.get_model("supervision", "Sanction").objects.all()


def _in_force_suspensions(day: datetime.date) -> models.QuerySet:
    return _sanctions().filter(
        facility=OuterRef("pk"),
        kind=SanctionKind.SUSPENSION,
        starts_on__lte=day,
        ends_on__gte=day,
    )


def _terminations(day: datetime.date) -> models.QuerySet:
    return _sanctions().filter(
        facility=OuterRef("pk"), kind=SanctionKind.TERMINATION, starts_on__lte=day
    )


class FacilityQuerySet(models.QuerySet):
    def with_agreement_status(self, day: datetime.date | None = None) -> FacilityQuerySet:
        """Annotate agreement_status on a day (today by default).

        The status follows from the sanctions alone: a suspension is in force from its first to
        its last day and ends by itself, so nothing has to run when it expires.
        """
        day = day or timezone.localdate()
        return self.annotate(
            agreement_status=Case(
                When(Exists(_terminations(day)), then=Value(AgreementStatus.TERMINATED.value)),
                When(
                    Exists(_in_force_suspensions(day)),
                    then=Value(AgreementStatus.SUSPENDED.value),
                ),
                default=Value(AgreementStatus.ACTIVE.value),
                output_field=models.CharField(),
            )
        )

    def with_agreement_status_in(
        self, statuses: list[str], day: datetime.date | None = None
    ) -> FacilityQuerySet:
        """Facilities whose agreement status on a day is one of statuses (no CASE per row).

        "Is suspended / terminated" is driven from the few sanctions in force (an index range,
        then the facilities by key). "Is not" is NOT EXISTS, which the database plans as an
        anti-join with a true estimate of how many facilities remain (NOT IN hides that, and
        a plan built for 6,000 rows of a million-row registry then meets 25,000).
        """
        day = day or timezone.localdate()
        in_force = _sanctions().filter(
            kind=SanctionKind.SUSPENSION, starts_on__lte=day, ends_on__gte=day
        )
        ended = _sanctions().filter(kind=SanctionKind.TERMINATION, starts_on__lte=day)
        terminated = Q(pk__in=ended.values("facility_id"))
        suspended = Q(pk__in=in_force.values("facility_id"))
        not_terminated = ~Exists(ended.filter(facility=OuterRef("pk")))
        not_suspended = ~Exists(in_force.filter(facility=OuterRef("pk")))
        condition = Q(pk__in=[])
        if AgreementStatus.TERMINATED in statuses:
            condition |= terminated
        if AgreementStatus.SUSPENDED in statuses:
            condition |= suspended & not_terminated
        if AgreementStatus.ACTIVE in statuses:
            condition |= Q(not_suspended) & not_terminated
        return self.filter(condition)

    def with_grade_of_year(self, year: int) -> FacilityQuerySet:
        """Annotate year_grade: the grade of year (None when not rated for it), e.g. for a list
        filtered or sorted by the grades of a chosen year. One unique-index lookup per row."""
        rating = apps.get_model("supervision", "CreditRating").objects.filter(
            facility=OuterRef("pk"), year=year
        )
        return self.annotate(year_grade=Subquery(rating.values("grade")[:1]))

    def with_grade(self, year: int, grades: list[str]) -> FacilityQuerySet:
        """Facilities rated with one of grades for year."""
        return self.filter(ratings__year=year, ratings__grade__in=grades)

    def for_lists(self) -> FacilityQuerySet:
        """Everything a list of facilities shows, without a query per row (the current grade is
        on the row: Facility.current_grade)."""
        return self.with_agreement_status()


class CreditRatingQuerySet(models.QuerySet):
    def for_lists(self) -> CreditRatingQuerySet:
        return self.select_related("facility")

    def rated_years(self) -> list[int]:
        """The rated years, newest first.

        Two ordered lookups, each one step down an index on year: a single MIN/MAX aggregate
        makes SQLite scan the table.
        """
        years = self.order_by("year").values_list("year", flat=True)
        first, last = years.first(), years.reverse().first()
        return [] if first is None else list(range(last, first - 1, -1))


class InspectionQuerySet(models.QuerySet):
    def for_lists(self) -> InspectionQuerySet:
        return self.select_related("facility", "created_by__inspector").prefetch_related(
            "inspectors", "partner_agencies", "violations"
        )


class ReferralQuerySet(models.QuerySet):
    def for_lists(self) -> ReferralQuerySet:
        return self.select_related("inspection__facility", "created_by__inspector")


class SanctionQuerySet(models.QuerySet):
    def for_lists(self) -> SanctionQuerySet:
        return self.select_related("facility", "created_by__inspector")

    def in_force_on(self, day: datetime.date | None = None) -> SanctionQuerySet:
        """Suspensions in force on a day (today by default)."""
        day = day or timezone.localdate()
        return self.filter(kind=SanctionKind.SUSPENSION, starts_on__lte=day, ends_on__gte=day)


def _measures() -> models.QuerySet:
    return apps.get_model("supervision", "QualificationMeasure").objects.filter(
        lifted_on__isnull=True
    )


def _measures_in_force(kind: str, day: datetime.date) -> models.QuerySet:
    return _measures().filter(kind=kind, starts_on__lte=day, ends_on__gte=day)


class Ids:
    """Whole numbers for `any_of`, kept as one value: Django walks a list or tuple given to a
    lookup item by item (resolve_lookup_value), and psycopg dumps a list of ints number by number
    (for 2,000 ids, 2.5 ms and 3 ms on every query that uses them). Made once from the ids read,
    this is neither walked nor dumped item by item: PostgreSQL gets one array literal."""

    __slots__ = ("_literal", "values")

    def __init__(self, values: Iterable[int]) -> None:
        self.values: tuple[int, ...] = tuple(int(value) for value in values)
        self._literal: str | None = None

    def __iter__(self) -> Iterator[int]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ids) and other.values == self.values

    def __hash__(self) -> int:
        return hash(self.values)

    def __repr__(self) -> str:
        return f"Ids({len(self.values)} ids)"

    @property
    def literal(self) -> str:
        """The array as PostgreSQL writes it: {1,2,3} (only digits and signs: ints)."""
        if self._literal is None:
            self._literal = "{" + ",".join(map(str, self.values)) + "}"
        return self._literal


@models.IntegerField.register_lookup
class AnyOf(models.Lookup):
    """`field__any_of=Ids(…)` (or a list): one of a list of numbers, sent to PostgreSQL as one
    array (`= ANY(%s)`), elsewhere as IN. Given a few thousand ids as IN (…), PostgreSQL plans a
    five-million-row list ordered by name as a walk of the name index filtering each row
    (hundreds of milliseconds); as an array it reads those rows by key and sorts them (a few)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [_ids(value).literal])

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = _ids(self.rhs)
        if connection.vendor == "postgresql":
            # Typed as the column: an int4[] against a bigint column compares across types,
            # which PostgreSQL neither uses as an index condition nor hashes as a filter (each
            # row tested against every value: 9 ms for 1,000 rows and 2,000 ids, 0.3 ms typed).
            column = self.lhs.output_field.cast_db_type(connection)
            return f"{lhs} = ANY(%s::{column}[])", [*lhs_params, ids.literal]
        if not ids.values:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(ids))})", [*lhs_params, *ids.values]


def _ids(value: object) -> Ids:
    return value if isinstance(value, Ids) else Ids(value)  # type: ignore[arg-type]


# A set of people this small (those suspended or terminated today, those with many points this
# year) is read first and given to the list as ids; larger, it stays a subquery.
SMALL_SET = 20000


# Foreign keys too (a rectification's inspection among an officer's).
models.ForeignKey.register_lookup(AnyOf)


def among(ids: models.QuerySet, field: str = "pk") -> Q:
    """field among the ids a small subquery gives (read at once, then sent as one array), or in
    the subquery itself when it is not small."""
    return any_of(ids_or_subquery(ids), field)


def any_of(found: list[int] | Ids | models.QuerySet, field: str = "pk") -> Q:
    """field among ids read already (one array), or in a subquery (see ids_or_subquery)."""
    if isinstance(found, (list, Ids)):
        return Q(**{f"{field}__any_of": _ids(found)})
    return Q(**{f"{field}__in": found})


def ids_or_subquery(ids: models.QuerySet) -> list[int] | models.QuerySet:
    """The ids a small subquery gives, read at once; else the subquery itself.

    Filtering a five-million-row list ordered by name by `pk IN (subquery)` of a few thousand
    people makes PostgreSQL walk the name index and probe the subquery for each row until it
    has a page (50,000 rows for 50 when 1 in 1,000 matches): it cannot know how few match. With
    the ids as values it reads exactly those rows and sorts them."""
    found = list(ids.order_by()[: SMALL_SET + 1])
    return ids if len(found) > SMALL_SET else found


class PractitionerQuerySet(models.QuerySet):
    def with_qualification_status(self, day: datetime.date | None = None) -> PractitionerQuerySet:
        """Annotate qualification_status on a day (today by default), from the measures in
        force: a termination (until re-registration is allowed again), else a suspension."""
        day = day or timezone.localdate()
        terminated = _measures_in_force(MeasureKind.TERMINATION, day)
        suspended = _measures_in_force(MeasureKind.SUSPENSION, day)
        return self.annotate(
            qualification_status=Case(
                When(
                    Exists(terminated.filter(practitioner=OuterRef("pk"))),
                    then=Value(QualificationStatus.TERMINATED.value),
                ),
                When(
                    Exists(suspended.filter(practitioner=OuterRef("pk"))),
                    then=Value(QualificationStatus.SUSPENDED.value),
                ),
                default=Value(QualificationStatus.ACTIVE.value),
                output_field=models.CharField(),
            )
        )

    def with_qualification_status_in(
        self, statuses: list[str], day: datetime.date | None = None
    ) -> PractitionerQuerySet:
        """Practitioners whose status on a day is one of statuses, driven from the few measures
        in force (see FacilityQuerySet.with_agreement_status_in)."""
        day = day or timezone.localdate()
        terminated = _measures_in_force(MeasureKind.TERMINATION, day)
        suspended = _measures_in_force(MeasureKind.SUSPENSION, day)
        not_terminated = ~Exists(terminated.filter(practitioner=OuterRef("pk")))
        not_suspended = ~Exists(suspended.filter(practitioner=OuterRef("pk")))
        condition = Q(pk__in=[])
        if QualificationStatus.TERMINATED in statuses:
            condition |= among(terminated.values_list("practitioner_id", flat=True))
        if QualificationStatus.SUSPENDED in statuses:
            in_force = among(suspended.values_list("practitioner_id", flat=True))
            condition |= in_force & not_terminated
        if QualificationStatus.ACTIVE in statuses:
            condition |= Q(not_suspended) & not_terminated
        return self.filter(condition)

    def with_year_points(self, year: int) -> PractitionerQuerySet:
        """Annotate year_points: the standing points of a calendar year (0 for none)."""
        records = (
            apps.get_model("supervision", "PointsRecord")
            .objects.filter(
                practitioner=OuterRef("pk"), year=year, state__in=STANDING_POINTS_STATES
            )
            .order_by()
            .values("practitioner")
            .annotate(total=Sum("points"))
            .values("total")
        )
        return self.annotate(
            year_points=Coalesce(
                Subquery(records[:1]), Value(0), output_field=models.IntegerField()
            )
        )

    def with_year_points_at_least(self, year: int, points: int) -> PractitionerQuerySet:
        """Practitioners with at least `points` standing points in a year (driven from the
        year's records, a few among millions of people)."""
        if points <= 0:
            return self
        totals = (
            apps.get_model("supervision", "PointsRecord")
            .objects.filter(year=year, state__in=STANDING_POINTS_STATES)
            .order_by()
            .values("practitioner_id")
            .annotate(total=Sum("points"))
            .filter(total__gte=points)
            .values_list("practitioner_id", flat=True)
        )
        return self.filter(among(totals))

    def for_lists(self, year: int | None = None) -> PractitionerQuerySet:
        """Everything a list of practitioners shows, without a query per row."""
        year = year or timezone.localdate().year
        return self.with_qualification_status().with_year_points(year)
