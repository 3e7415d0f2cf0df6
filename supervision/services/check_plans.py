# ruff: noqa: S608 -- statements built from table and column names of the models and placeholders; values are parameters.
"""The year's check plan (分级分类监管): how often each facility must be checked by its grade of
the year before (SupervisionMeasure.min_checks of its category and grade), when each check is
due, and which on-site inspection fulfilled it.

Set-based: a plan for a million facilities is a few statements per grade and number of checks
(INSERT … SELECT, UPDATE, DELETE over the year's rows), never a query per facility. Each
statement that writes planned checks writes their history rows the same way (INSERT … SELECT
into the history table), with the acting user and a system reason, in the same transaction.
"""

from __future__ import annotations

import calendar
import datetime
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from supervision.choices import (
    CATEGORY_FACILITY_KINDS,
    Grade,
    InspectionKind,
)
from supervision.models import (
    CreditRating,
    Facility,
    Inspection,
    PlannedCheck,
    SupervisionMeasure,
)
from supervision.models.rating import MAX_RATING_YEAR, MIN_RATING_YEAR
from supervision.scoping import scoped_queryset
from supervision.services import reasons
from supervision.services._common import User, refuse, write_history

PLAN_BUILT = reasons.PLAN_BUILT
PLAN_REGRADED = reasons.PLAN_REGRADED
PLAN_DROPPED = reasons.PLAN_DROPPED
PLAN_MATCHED = reasons.PLAN_MATCHED

ON_SITE_KINDS = tuple(kind.value for kind in InspectionKind if kind.is_on_site)
_PLANNED_FIELDS = ("id", "year", "grade", "grade_year", "sequence", "due_on", "facility_id")


def due_dates(year: int, checks: int) -> list[datetime.date]:
    """The due dates of `checks` checks spread evenly over the year: each at the end of the
    month that closes its share of the year (4 → end of each quarter, 2 → 30 June and
    31 December, 1 → 31 December)."""
    days = []
    for n in range(1, checks + 1):
        month = math.ceil(12 * n / checks)
        days.append(datetime.date(year, month, calendar.monthrange(year, month)[1]))
    return days


@dataclass(frozen=True)
class Requirement:
    """Facilities of `kinds` graded `grade` need `checks` checks."""

    grade: str
    checks: int
    kinds: tuple[str, ...]


def requirements(*, lock: bool = False) -> list[Requirement]:
    """The measures as (grade, number of checks) → facility kinds (one read of the measures;
    lock: under their rows' lock, inside a transaction)."""
    measures = SupervisionMeasure.objects.filter(category_id__in=list(CATEGORY_FACILITY_KINDS))
    if lock:
        measures = measures.select_for_update()
    kinds_by: dict[tuple[str, int], list[str]] = defaultdict(list)
    for category, grade, checks in measures.values_list("category_id", "grade", "min_checks"):
        if checks:
            kinds_by[(grade, checks)].extend(CATEGORY_FACILITY_KINDS[category])
    return [
        Requirement(grade, checks, tuple(sorted(kinds)))
        for (grade, checks), kinds in sorted(kinds_by.items())
    ]


def _year_problem(year: int) -> str | None:
    if not MIN_RATING_YEAR < year <= MAX_RATING_YEAR:
        return _("计划年度应在%(min)s到%(max)s之间。") % {
            "min": MIN_RATING_YEAR + 1,
            "max": MAX_RATING_YEAR,
        }
    if not CreditRating.objects.filter(year=year - 1).exists():
        return _("%(year)s年度尚无信用评价结果，不能生成%(plan)s年度检查计划。") % {
            "year": year - 1,
            "plan": year,
        }
    return None


# --- Writing many rows with their history --------------------------------------------------------


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _columns(names: Iterable[str]) -> str:
    return ", ".join(connection.ops.quote_name(name) for name in names)


def _write_history(
    source_sql: str,
    params: list,
    *,
    kind: str,
    user: User,
    reason: str,
    with_cte: str = "",
    cte_params: list | None = None,
) -> int:
    """History rows for the planned checks source_sql selects (its columns: _PLANNED_FIELDS and
    inspection_id, as they are after the write), of history type kind ("+", "~", "-"); with_cte:
    a WITH clause the source reads (its parameters: cte_params). Returns how many were written.
    INSERT comes first: SQLite tells how many rows a statement wrote only for one that does."""
    history = PlannedCheck.history.model
    columns = [
        *_PLANNED_FIELDS,
        "inspection_id",
        "history_date",
        "history_change_reason",
        "history_type",
        "history_user_id",
    ]
    sql = (
        f"INSERT INTO {_table(history)} ({_columns(columns)}) "
        f"{with_cte} SELECT s.*, %s, %s, %s, %s FROM ({source_sql}) s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                *(cte_params or []),
                timezone.now(),
                reason,
                kind,
                user.pk if user is not None else None,
                *params,
            ],
        )
        return cursor.rowcount


def _history_of(queryset: QuerySet, **kwargs) -> None:
    """History rows for the planned checks of queryset, as they are now."""
    write_history(queryset, **kwargs)


# --- Building the plan ---------------------------------------------------------------------------


def _required(year: int, requirement: Requirement, sequence: int) -> tuple[str, list]:
    """SELECT of the planned checks number `sequence` that requirement asks for and the plan
    lacks: one row per facility, in PlannedCheck's columns (less id)."""
    rating, facility, planned = _table(CreditRating), _table(Facility), _table(PlannedCheck)
    kinds = ", ".join(["%s"] * len(requirement.kinds))
    due = due_dates(year, requirement.checks)[sequence - 1]
    sql = (
        f"SELECT %s, r.grade, r.year, %s, %s, r.facility_id, NULL "
        f"FROM {rating} r JOIN {facility} f ON f.id = r.facility_id "
        f"WHERE r.year = %s AND r.grade = %s AND f.kind IN ({kinds}) "
        f"AND NOT EXISTS (SELECT 1 FROM {planned} p WHERE p.year = %s "
        f"AND p.facility_id = r.facility_id AND p.sequence = %s)"
    )
    params = [
        year,
        sequence,
        due,
        year - 1,
        requirement.grade,
        *requirement.kinds,
        year,
        sequence,
    ]
    return sql, params


def _still_required(year: int, reqs: list[Requirement]) -> Q:
    """The planned checks of year that the grades of year − 1 still ask for, as they are."""
    condition = Q(pk__in=[])
    for req in reqs:
        graded = CreditRating.objects.filter(
            facility_id=OuterRef("facility_id"), year=year - 1, grade=req.grade
        )
        condition |= Q(Exists(graded), sequence__lte=req.checks, facility__kind__in=req.kinds)
    return condition


def _drop_unrequired(year: int, reqs: list[Requirement], user: User) -> int:
    """Remove the open planned checks a grade change made unnecessary (linked ones stay)."""
    stale = PlannedCheck.objects.filter(year=year, inspection__isnull=True).exclude(
        _still_required(year, reqs)
    )
    ids = stale.values("pk")
    _history_of(
        PlannedCheck.objects.filter(pk__in=ids),
        kind="-",
        user=user,
        reason=reasons.system(PLAN_DROPPED),
    )
    # A plain DELETE: Django's delete() would load every row to send its signals.
    sql, params = PlannedCheck.objects.filter(pk__in=ids).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(PlannedCheck)} WHERE id IN ({sql})", params)
        return cursor.rowcount


@transaction.atomic
def build_check_plan(*, year: int, user: User) -> int:
    """Create the planned checks of year from the grades of year − 1 and the measures; returns
    how many were added. Idempotent: existing rows and their links stay, missing ones are
    added, open ones a grade change made unnecessary are removed and open ones of a changed
    grade get that grade's due dates. A query count that does not grow with the facilities."""
    problem = _year_problem(year)
    if problem:
        raise refuse("year", problem)
    # The measures' rows, locked, serialise two builds (and a build and a change of a measure).
    reqs = requirements(lock=True)
    _drop_unrequired(year, reqs, user)
    regraded = reasons.system(PLAN_REGRADED)
    for req in reqs:
        for sequence in range(1, req.checks + 1):
            _regrade_with_history(year, req, sequence, user, regraded)
    added = 0
    built = reasons.system(PLAN_BUILT)
    for req in reqs:
        for sequence in range(1, req.checks + 1):
            added += _insert_with_history(year, req, sequence, user, built)
    return added


def _regrade_with_history(
    year: int, req: Requirement, sequence: int, user: User, reason: str
) -> None:
    due = due_dates(year, req.checks)[sequence - 1]
    graded = CreditRating.objects.filter(
        facility_id=OuterRef("facility_id"), year=year - 1, grade=req.grade
    )
    moved = (
        PlannedCheck.objects.filter(
            year=year, sequence=sequence, inspection__isnull=True, facility__kind__in=req.kinds
        )
        .filter(Exists(graded))
        .filter(~Q(grade=req.grade) | ~Q(due_on=due) | ~Q(grade_year=year - 1))
    )
    # The ids first (few: only facilities whose grade changed since the plan was built).
    ids = list(moved.values_list("pk", flat=True))
    if not ids:
        return
    for start in range(0, len(ids), BATCH):
        batch = PlannedCheck.objects.filter(pk__in=ids[start : start + BATCH])
        batch.update(grade=req.grade, due_on=due, grade_year=year - 1)
        _history_of(batch, kind="~", user=user, reason=reason)


# Ids per statement when a few rows are written by id (within every database's parameter limit).
BATCH = 500


def _insert_with_history(
    year: int, req: Requirement, sequence: int, user: User, reason: str
) -> int:
    """Insert the missing checks number `sequence` for req, then their history rows (the rows
    of that year and sequence for req's grade that have none yet)."""
    planned = _table(PlannedCheck)
    select, params = _required(year, req, sequence)
    columns = _columns(
        ["year", "grade", "grade_year", "sequence", "due_on", "facility_id", "inspection_id"]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {planned}")
        before = cursor.fetchone()[0]
        cursor.execute(f"INSERT INTO {planned} ({columns}) {select}", params)
        added = cursor.rowcount
    if added:
        _history_of(
            PlannedCheck.objects.filter(
                pk__gt=before, year=year, sequence=sequence, grade=req.grade
            ),
            kind="+",
            user=user,
            reason=reason,
        )
    return added


# --- Matching inspections ------------------------------------------------------------------------


def _match_cte(year: int, facility_ids: list[int] | None) -> tuple[str, list]:
    """WITH … matches(planned_id, inspection_id): the k-th open planned check of each facility
    (by sequence) and its k-th on-site inspection started in year that no planned check links
    yet (by start date)."""
    planned, inspection = _table(PlannedCheck), _table(Inspection)
    kinds = ", ".join(["%s"] * len(ON_SITE_KINDS))
    only, only_params = "", []
    if facility_ids is not None:
        only = " AND facility_id IN ({})".format(", ".join(["%s"] * len(facility_ids)))
        only_params = list(facility_ids)
    sql = (
        "WITH open_checks AS ("
        "SELECT id, facility_id, ROW_NUMBER() OVER "
        "(PARTITION BY facility_id ORDER BY sequence, id) AS n "
        f"FROM {planned} WHERE year = %s AND inspection_id IS NULL{only}), "
        "free AS ("
        "SELECT i.id, i.facility_id, ROW_NUMBER() OVER "
        "(PARTITION BY i.facility_id ORDER BY i.start_date, i.id) AS n "
        f"FROM {inspection} i WHERE i.start_date >= %s AND i.start_date <= %s "
        f"AND i.kind IN ({kinds}){only.replace('facility_id', 'i.facility_id')} "
        f"AND NOT EXISTS (SELECT 1 FROM {planned} l WHERE l.inspection_id = i.id) "
        "AND EXISTS (SELECT 1 FROM open_checks o WHERE o.facility_id = i.facility_id)), "
        "matches AS (SELECT o.id AS planned_id, f.id AS inspection_id FROM open_checks o "
        "JOIN free f ON f.facility_id = o.facility_id AND f.n = o.n)"
    )
    params = [
        year,
        *only_params,
        datetime.date(year, 1, 1),
        datetime.date(year, 12, 31),
        *ON_SITE_KINDS,
        *only_params,
    ]
    return sql, params


@transaction.atomic
def match_planned_checks(
    *, year: int, facility_ids: Iterable[int] | None = None, user: User = None
) -> int:
    """Link each open planned check of year to an on-site inspection (not a self-inspection) of
    its facility that started in year and fulfils no other planned check: the earliest such
    inspection to the lowest open sequence. Whole year: three statements; for a few facilities
    (after an inspection is recorded) the same statements limited to them. Returns how many
    were linked. user: who recorded the inspection (None: the system)."""
    ids = None if facility_ids is None else sorted({int(pk) for pk in facility_ids})
    if ids is not None and not ids:
        return 0
    if ids is not None and len(ids) > BATCH:
        return sum(
            match_planned_checks(year=year, facility_ids=ids[start : start + BATCH], user=user)
            for start in range(0, len(ids), BATCH)
        )
    cte, params = _match_cte(year, ids)
    planned = _table(PlannedCheck)
    fields = ", ".join(f"p.{connection.ops.quote_name(f)}" for f in _PLANNED_FIELDS)
    # History first, with the link each row is about to get (the same CTE, same transaction).
    linked = _write_history(
        f"SELECT {fields}, m.inspection_id FROM {planned} p JOIN matches m ON m.planned_id = p.id",
        [],
        kind="~",
        user=user,
        reason=reasons.system(PLAN_MATCHED),
        with_cte=cte,
        cte_params=params,
    )
    if not linked:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"{cte} UPDATE {planned} SET inspection_id = "
            f"(SELECT m.inspection_id FROM matches m WHERE m.planned_id = {planned}.id) "
            f"WHERE id IN (SELECT planned_id FROM matches)",
            params,
        )
    return linked


# --- Progress ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeProgress:
    grade: str
    required: int = 0
    done: int = 0
    behind: int = 0
    facilities: int = 0

    @property
    def open(self) -> int:
        return self.required - self.done


@dataclass(frozen=True)
class PlanProgress:
    """A year's plan as the user's districts see it: checks required, done (linked to an
    inspection), behind (due before today and not done), by grade and in all."""

    year: int
    today: datetime.date
    by_grade: list[GradeProgress] = field(default_factory=list)

    @property
    def required(self) -> int:
        return sum(g.required for g in self.by_grade)

    @property
    def done(self) -> int:
        return sum(g.done for g in self.by_grade)

    @property
    def behind(self) -> int:
        return sum(g.behind for g in self.by_grade)

    @property
    def facilities(self) -> int:
        return sum(g.facilities for g in self.by_grade)

    @property
    def open(self) -> int:
        return self.required - self.done


def plan_progress(year: int, *, user: User, today: datetime.date | None = None) -> PlanProgress:
    """Counts of year's plan by grade, within what user may see (one aggregate query)."""
    today = today or timezone.localdate()
    rows = (
        scoped_queryset(user, PlannedCheck.objects.filter(year=year))
        .order_by()
        .values("grade")
        .annotate(
            required=Count("id"),
            done=Count("id", filter=Q(inspection__isnull=False)),
            behind=Count("id", filter=Q(inspection__isnull=True, due_on__lt=today)),
            # Every planned facility has a check number 1.
            facilities=Count("id", filter=Q(sequence=1)),
        )
    )
    found = {row["grade"]: row for row in rows}
    return PlanProgress(
        year=year,
        today=today,
        by_grade=[
            GradeProgress(
                grade=grade,
                **{k: found[grade][k] for k in ("required", "done", "behind", "facilities")},
            )
            if grade in found
            else GradeProgress(grade=grade)
            for grade in Grade.values
        ],
    )
