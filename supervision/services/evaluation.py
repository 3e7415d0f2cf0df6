"""The annual credit evaluation (年度信用评价) of one category of credit subject.

open → self-assessments recorded → automatic scoring from the recorded facts → evaluators score
the manual indicators → supervisor review (changes with reasons) → publication for
CREDIT_PUBLICATION_WORKDAYS working days → objections decided within CREDIT_OBJECTION_WORKDAYS
→ final: each facility's CreditRating and RatingChange, in batches (resumable) → announced.

Scoring is set-based: one grouped query per fact indicator over the year's facts, automatic items
written in bulk, and totals recomputed only for the subjects that have items (every other subject
has full marks). A cycle's counts (EvaluationCycle.figures) are kept by every step, so a cycle page
reads one row however many subjects it has.
"""

from __future__ import annotations

import datetime
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from supervision.choices import (
    CATEGORY_FACILITY_KINDS,
    INSTITUTION_CATEGORIES,
    STANDING_POINTS_STATES,
    CreditCategoryCode,
    CycleStatus,
    Grade,
    IndicatorFact,
    IndicatorMethod,
    InspectionStatus,
    ObjectionStatus,
    RatingChangeKind,
    SanctionKind,
    TipConclusion,
)
from supervision.formats.punctuation import labelled
from supervision.models import (
    Assessment,
    AssessmentItem,
    CreditCategory,
    CreditInstitution,
    CreditRating,
    Dimension,
    EvaluationCycle,
    Facility,
    GradePublication,
    Indicator,
    IndicatorSystem,
    Inspection,
    InsuredPerson,
    Objection,
    PointsRecord,
    Practitioner,
    RatingChange,
    Referral,
    Sanction,
    Tip,
)
from supervision.models.base import check_version
from supervision.models.credit import FULL_SCORE
from supervision.models.rating import MAX_RATING_YEAR, MIN_RATING_YEAR
from supervision.scoping import user_districts
from supervision.services import publication, reasons
from supervision.services._common import User, refuse, save_with_history, write_history
from supervision.services.ratings import reason_problem
from supervision.workdays import Calendar

CENT = Decimal("0.01")
FULL = Decimal(FULL_SCORE)
TEN_THOUSAND = Decimal("10000")
# Rows per bulk write (SQLite's limit on query parameters allows this many of the widest row).
BULK = 2000
_SUBSTANTIATED = [c.value for c in TipConclusion if c.is_substantiated]


# --- Indicator systems -------------------------------------------------------------------------


def system_problems(system: IndicatorSystem) -> list[str]:
    """What keeps a system from being used: dimensions must add up to 1000, each dimension's
    deducting indicators to its full points, and there must be at least one indicator."""
    problems: list[str] = []
    dimensions = list(system.dimensions.all())
    indicators = list(system.indicators.all())
    total = sum(d.full_points for d in dimensions)
    if total != FULL_SCORE:
        problems.append(
            _("各维度分值合计应为%(full)s分，当前为%(total)s分。")
            % {"full": FULL_SCORE, "total": total}
        )
    by_dimension: dict[int, int] = defaultdict(int)
    for indicator in indicators:
        if indicator.dimension_id is not None:
            by_dimension[indicator.dimension_id] += indicator.full_points
    for dimension in dimensions:
        if by_dimension[dimension.pk] != dimension.full_points:
            problems.append(
                _("维度“%(name)s”分值%(full)s分，其指标分值合计%(sum)s分，应相等。")
                % {
                    "name": dimension.name,
                    "full": dimension.full_points,
                    "sum": by_dimension[dimension.pk],
                }
            )
    if not indicators:
        problems.append(_("指标体系还没有指标。"))
    return problems


@transaction.atomic
def copy_system(system: IndicatorSystem, *, year: int, user: User) -> IndicatorSystem:
    """A copy of system for another year (e.g. 2025 from 2024), not frozen, to be changed."""
    if not (MIN_RATING_YEAR <= year <= MAX_RATING_YEAR):
        raise refuse("year", _("评价年度超出范围。"))
    if IndicatorSystem.objects.filter(category_id=system.category_id, year=year).exists():
        raise refuse(
            "year",
            _("%(year)s年度%(category)s已有指标体系。")
            % {"year": year, "category": system.category_label},
        )
    copy = IndicatorSystem(
        category_id=system.category_id,
        year=year,
        name=system.name.replace(str(system.year), str(year)),
        threshold_a=system.threshold_a,
        threshold_b=system.threshold_b,
        threshold_c=system.threshold_c,
        copied_from=system,
        note=system.note,
    )
    reason = reasons.system(reasons.SYSTEM_COPIED)
    save_with_history(copy, user, reason)
    dimensions = {}
    for dimension in system.dimensions.all():
        new = Dimension(
            system=copy,
            position=dimension.position,
            name=dimension.name,
            full_points=dimension.full_points,
        )
        save_with_history(new, user, reason)
        dimensions[dimension.pk] = new
    for indicator in system.indicators.all():
        new_indicator = Indicator(
            system=copy,
            dimension=dimensions.get(indicator.dimension_id),
            position=indicator.position,
            code=indicator.code,
            name=indicator.name,
            method=indicator.method,
            fact=indicator.fact,
            qualifier=indicator.qualifier,
            points_per_unit=indicator.points_per_unit,
            full_points=indicator.full_points,
            veto_grade=indicator.veto_grade,
            guidance=indicator.guidance,
        )
        save_with_history(new_indicator, user, reason)
    return copy


# --- Facts -------------------------------------------------------------------------------------


def year_span(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def _split_qualifier(qualifier: str) -> tuple[str, str]:
    head, _sep, tail = qualifier.partition(":")
    return head, tail


def has_facts(category: str) -> bool:
    """Whether a category's subjects have recorded facts: the facilities (their inspections,
    sanctions, referrals, tips) and the practitioners (their points)."""
    return category in CATEGORY_FACILITY_KINDS or category == CreditCategoryCode.PRACTITIONER


def fact_query(indicator: Indicator, year: int) -> QuerySet | None:
    """The facts of `year` an indicator reads, grouped by subject: rows of (fid, units), one per
    facility (a practitioner, for category 7) with at least one fact. One grouped query over the
    year's facts (by index)."""
    first, last = year_span(year)
    qualifier = indicator.qualifier
    fact = indicator.fact
    per_person = indicator.system.category_id == CreditCategoryCode.PRACTITIONER
    if fact == IndicatorFact.PRACTITIONER_POINTS:
        # A practitioner's standing points of the year; for a facility, its people's points
        # scored at it.
        rows = PointsRecord.objects.filter(year=year, state__in=STANDING_POINTS_STATES)
        key = "practitioner_id" if per_person else "facility_id"
        grouped = rows.values(fid=F(key)).annotate(units=Sum("points"))
        # A qualifier is the least total that counts ("12": those terminated that year).
        return grouped.filter(units__gte=int(qualifier)) if qualifier.isdigit() else grouped
    if per_person:
        return None  # the facilities' facts are not a person's
    if fact == IndicatorFact.INSPECTION_VIOLATION:
        rows = Inspection.violations.through.objects.filter(
            inspection__status=InspectionStatus.COMPLETED,
            inspection__end_date__range=(first, last),
        )
        if qualifier:
            rows = rows.filter(violationcategory_id=qualifier)
        return rows.values(fid=F("inspection__facility_id")).annotate(units=Count("id"))
    if fact == IndicatorFact.SANCTION:
        rows = Sanction.objects.filter(decided_on__range=(first, last))
        rows = (
            rows.filter(kind=qualifier)
            if qualifier
            else rows.exclude(kind=SanctionKind.COMMENDATION)
        )
        return rows.values(fid=F("facility_id")).annotate(units=Count("id"))
    if fact == IndicatorFact.REFERRAL:
        rows = Referral.objects.filter(referred_on__range=(first, last))
        agency, violation = _split_qualifier(qualifier)
        if agency:
            rows = rows.filter(agency=agency)
        if violation:
            rows = rows.filter(inspection__violations=violation)
        return rows.values(fid=F("inspection__facility_id")).annotate(
            units=Count("id", distinct=True)
        )
    if fact == IndicatorFact.SUBSTANTIATED_TIP:
        rows = Tip.objects.filter(
            facility__isnull=False,
            concluded_on__range=(first, last),
            conclusion__in=_SUBSTANTIATED,
        )
        return rows.values(fid=F("facility_id")).annotate(units=Count("id"))
    if fact == IndicatorFact.MONEY_RECOVERED:
        rows = Inspection.objects.filter(
            status=InspectionStatus.COMPLETED,
            end_date__range=(first, last),
            amount_recovered__gt=0,
        )
        return rows.values(fid=F("facility_id")).annotate(units=Sum("amount_recovered"))
    return None


def fact_rows(indicator: Indicator, year: int, facility_ids: Iterable[int] | None = None):
    """fact_query's rows as (facility id, units) pairs, optionally of some facilities."""
    rows = fact_query(indicator, year)
    if rows is None:
        return []
    if facility_ids is not None:
        rows = rows.filter(fid__in=list(facility_ids))
    return rows.order_by().values_list("fid", "units")


def _insert_automatic_items(cycle: EvaluationCycle, indicator: Indicator, now) -> int:
    """The automatic items of one fact or veto indicator for every subject of the cycle, in one
    INSERT … SELECT joining the grouped facts to the cycle's assessments (the rules of
    fact_points, in SQL)."""
    facts = fact_query(indicator, cycle.year)
    if facts is None:
        return 0
    inner, inner_params = facts.order_by().query.sql_with_params()
    quote = connection.ops.quote_name
    # Numbers of the indicator written into the SQL as numbers (a Decimal, an int: never text):
    # SQLite compares a number with a text parameter as less than any text.
    full = int(indicator.full_points)
    per = Decimal(indicator.points_per_unit)
    if indicator.method == IndicatorMethod.VETO:
        points = "0"
    else:
        raw = (
            f"(f.units * {per} / 10000.0)"
            if indicator.fact == IndicatorFact.MONEY_RECOVERED
            else f"(f.units * {per})"
        )
        points = f"ROUND(CASE WHEN {raw} > {full} THEN {full} ELSE {raw} END, 2)"
    counted = "0" if indicator.fact == IndicatorFact.MONEY_RECOVERED else "f.units"
    columns = ["assessment_id", "indicator_id", "automatic", "points", "facts", "note"]
    statement = (
        # Quoted names and the ORM's own SQL; every value is a parameter.
        f"INSERT INTO {quote(AssessmentItem._meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(c) for c in [*columns, 'entered_at'])}) "
        f"SELECT a.id, %s, %s, {points}, {counted}, '', %s "
        f"FROM {quote(Assessment._meta.db_table)} a "
        f"JOIN ({inner}) f ON f.fid = a.{quote(_subject_field(cycle.category))} "
        f"WHERE a.cycle_id = %s"
    )
    params = [indicator.pk, True, now, *inner_params, cycle.pk]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def facts_behind(assessment: Assessment, indicator: Indicator) -> QuerySet | None:
    """The records a fact or veto indicator counted for the assessment's facility (for the
    scorecard's links); None for an indicator not read from facts or a subject not a facility."""
    if indicator.fact == IndicatorFact.PRACTITIONER_POINTS:
        subject = (
            {"practitioner_id": assessment.practitioner_id}
            if assessment.practitioner_id is not None
            else {"facility_id": assessment.facility_id}
        )
        return PointsRecord.objects.filter(
            year=assessment.cycle.year, state__in=STANDING_POINTS_STATES, **subject
        ).order_by("decided_on", "id")
    if not indicator.fact or assessment.facility_id is None:
        return None
    first, last = year_span(assessment.cycle.year)
    facility = assessment.facility_id
    qualifier = indicator.qualifier
    if indicator.fact == IndicatorFact.INSPECTION_VIOLATION:
        rows = Inspection.objects.filter(
            facility_id=facility,
            status=InspectionStatus.COMPLETED,
            end_date__range=(first, last),
        )
        rows = (
            rows.filter(violations=qualifier)
            if qualifier
            else rows.filter(violations__isnull=False)
        )
        return rows.distinct().order_by("end_date", "id").prefetch_related("violations")
    if indicator.fact == IndicatorFact.MONEY_RECOVERED:
        return Inspection.objects.filter(
            facility_id=facility,
            status=InspectionStatus.COMPLETED,
            end_date__range=(first, last),
            amount_recovered__gt=0,
        ).order_by("end_date", "id")
    if indicator.fact == IndicatorFact.SANCTION:
        rows = Sanction.objects.filter(facility_id=facility, decided_on__range=(first, last))
        rows = (
            rows.filter(kind=qualifier)
            if qualifier
            else rows.exclude(kind=SanctionKind.COMMENDATION)
        )
        return rows.order_by("decided_on", "id")
    if indicator.fact == IndicatorFact.REFERRAL:
        agency, violation = _split_qualifier(qualifier)
        rows = Referral.objects.filter(
            inspection__facility_id=facility, referred_on__range=(first, last)
        )
        if agency:
            rows = rows.filter(agency=agency)
        if violation:
            rows = rows.filter(inspection__violations=violation)
        return rows.distinct().select_related("inspection").order_by("referred_on", "id")
    if indicator.fact == IndicatorFact.SUBSTANTIATED_TIP:
        return Tip.objects.filter(
            facility_id=facility,
            concluded_on__range=(first, last),
            conclusion__in=_SUBSTANTIATED,
        ).order_by("concluded_on", "id")
    return None


def fact_points(indicator: Indicator, units: Decimal | int) -> Decimal:
    """Points an indicator deducts for `units` facts: at most its full points."""
    if indicator.fact == IndicatorFact.MONEY_RECOVERED:
        raw = Decimal(units) / TEN_THOUSAND * indicator.points_per_unit
    else:
        raw = Decimal(units) * indicator.points_per_unit
    return min(Decimal(indicator.full_points), raw).quantize(CENT, rounding=ROUND_HALF_UP)


# --- Totals ------------------------------------------------------------------------------------


def worse_grade(*grades: str) -> str:
    """The worst of some grades (D is worst)."""
    return max(g for g in grades if g)


@dataclass
class Totals:
    deductions: Decimal = Decimal("0")
    bonus: Decimal = Decimal("0")
    vetoes: list[str] = field(default_factory=list)

    def add(self, method: str, points: Decimal, veto_grade: str = "") -> None:
        if method in (IndicatorMethod.FACT, IndicatorMethod.MANUAL):
            self.deductions += points
        elif method == IndicatorMethod.BONUS:
            self.bonus += points
        elif method == IndicatorMethod.VETO:
            self.vetoes.append(veto_grade)

    def result(self, system: IndicatorSystem) -> tuple[Decimal, Decimal, Decimal, str, bool]:
        """(deductions, bonus, score, grade, vetoed)."""
        deductions = min(self.deductions, FULL)
        bonus = min(self.bonus, FULL)
        score = max(Decimal("0"), min(FULL, FULL - deductions + bonus)).quantize(CENT)
        grade = system.grade_for(score)
        if self.vetoes:
            grade = worse_grade(grade, *self.vetoes)
        return deductions, bonus, score, grade, bool(self.vetoes)


def _automatic(
    cycle: EvaluationCycle, indicators: list[Indicator], assessment_ids: Iterable[int] | None = None
) -> dict[int, list[tuple[Indicator, Decimal, int]]]:
    """Assessment id → [(indicator, points, units)] of the fact and veto indicators, from the
    year's facts. Only categories rated from the facility registry have recorded facts."""
    found: dict[int, list[tuple[Indicator, Decimal, int]]] = defaultdict(list)
    if not has_facts(cycle.category_id):
        return found
    fact_indicators = [i for i in indicators if i.fact]
    if not fact_indicators:
        return found
    subject_field = _subject_field(cycle.category)
    facility_ids = None
    if assessment_ids is not None:
        facility_ids = list(
            Assessment.objects.filter(pk__in=list(assessment_ids)).values_list(
                subject_field, flat=True
            )
        )
    per_indicator: list[tuple[Indicator, dict[int, Decimal]]] = []
    wanted: set[int] = set()
    for indicator in fact_indicators:
        units = {
            facility: Decimal(count)
            for facility, count in fact_rows(indicator, cycle.year, facility_ids)
            if count
        }
        per_indicator.append((indicator, units))
        wanted.update(units)
    assessment_of = _assessments_of_subjects(cycle, wanted, subject_field)
    for indicator, units in per_indicator:
        for facility, count in units.items():
            assessment = assessment_of.get(facility)
            if assessment is None:
                continue  # a facility of another category (or registered after opening)
            points = (
                Decimal("0")
                if indicator.method == IndicatorMethod.VETO
                else fact_points(indicator, count)
            )
            # Money is counted in yuan, not in facts: its items show no fact count.
            facts = 0 if indicator.fact == IndicatorFact.MONEY_RECOVERED else int(count)
            found[assessment].append((indicator, points, facts))
    return found


def _assessments_of_subjects(
    cycle: EvaluationCycle, subject_ids: set[int], subject_field: str
) -> dict[int, int]:
    """Subject id → assessment id in the cycle (subject_field: "facility_id", …)."""
    found: dict[int, int] = {}
    ids = sorted(subject_ids)
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        found.update(
            Assessment.objects.filter(cycle=cycle, **{f"{subject_field}__in": chunk}).values_list(
                subject_field, "pk"
            )
        )
    return found


def _indicators(system: IndicatorSystem) -> list[Indicator]:
    return list(system.indicators.all())


def rescore(cycle: EvaluationCycle) -> dict[int, tuple[Decimal, str, bool]]:
    """Every assessment's (score, grade, vetoed) computed afresh from the facts and the stored
    manual and bonus items, writing nothing: reproduces a cycle's results."""
    system = cycle.system
    indicators = _indicators(system)
    totals: dict[int, Totals] = defaultdict(Totals)
    for assessment, items in _automatic(cycle, indicators).items():
        for indicator, points, _units in items:
            totals[assessment].add(indicator.method, points, indicator.veto_grade)
    manual = AssessmentItem.objects.filter(assessment__cycle=cycle, automatic=False).values_list(
        "assessment_id", "indicator__method", "indicator__veto_grade", "points"
    )
    for assessment, method, veto_grade, points in manual:
        totals[assessment].add(method, points, veto_grade)
    results = {}
    full_grade = system.grade_for(FULL)
    for pk in Assessment.objects.filter(cycle=cycle).values_list("pk", flat=True):
        if pk in totals:
            _d, _b, score, grade, vetoed = totals[pk].result(system)
            results[pk] = (score, grade, vetoed)
        else:
            results[pk] = (FULL.quantize(CENT), full_grade, False)
    return results


def _analyze(model: type) -> None:
    """On PostgreSQL, fresh statistics of model's table: a cycle's rows were just written in
    bulk (hundreds of thousands at national scale), and with the statistics of the table before
    them the planner joins them row by row (minutes instead of seconds)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _recompute(cycle: EvaluationCycle, assessment_ids: Iterable[int] | None = None) -> None:
    """Totals, score and grade from the stored items, in the database: of every assessment of
    the cycle, or only of the given ones. Two statements whatever the number of subjects: those
    without items get full marks, the others one UPDATE … FROM their items' sums (the rules of
    Totals.result, in SQL)."""
    system = cycle.system
    now = timezone.now()
    full_grade = system.grade_for(FULL)
    scope = Assessment.objects.filter(cycle=cycle)
    ids = None if assessment_ids is None else list(assessment_ids)
    if ids is not None:
        scope = scope.filter(pk__in=ids)
    scope.exclude(deductions=0, bonus=0, vetoed=False, score=FULL, grade=full_grade).update(
        deductions=0, bonus=0, vetoed=False, score=FULL, grade=full_grade, updated_at=now
    )
    quote = connection.ops.quote_name
    assessment = quote(Assessment._meta.db_table)
    item = quote(AssessmentItem._meta.db_table)
    indicator = quote(Indicator._meta.db_table)
    deducting = (IndicatorMethod.FACT.value, IndicatorMethod.MANUAL.value)
    only = ""
    params: list[Any] = [*deducting, IndicatorMethod.BONUS.value, IndicatorMethod.VETO.value]
    params.append(cycle.pk)
    if ids is not None:
        if not ids:
            return
        only = f" AND a2.id IN ({', '.join(['%s'] * len(ids))})"
        params.extend(ids)
    capped_d = f"(CASE WHEN t.d > {FULL_SCORE} THEN {FULL_SCORE} ELSE t.d END)"
    capped_b = f"(CASE WHEN t.b > {FULL_SCORE} THEN {FULL_SCORE} ELSE t.b END)"
    raw = f"({FULL_SCORE} - {capped_d} + {capped_b})"
    score = f"ROUND(CASE WHEN {raw} > {FULL_SCORE} THEN {FULL_SCORE} ELSE {raw} END, 2)"
    by_threshold = (
        f"(CASE WHEN {score} >= %s THEN 'A' WHEN {score} >= %s THEN 'B' "
        f"WHEN {score} >= %s THEN 'C' ELSE 'D' END)"
    )
    grade = f"CASE WHEN t.v IS NOT NULL AND t.v > {by_threshold} THEN t.v ELSE {by_threshold} END"
    thresholds = [system.threshold_a, system.threshold_b, system.threshold_c]
    statement = (
        # Quoted names, numbers of our own; every value is a parameter.
        f"UPDATE {assessment} SET "  # noqa: S608
        f"deductions = ROUND({capped_d}, 2), bonus = ROUND({capped_b}, 2), "
        f"vetoed = (t.v IS NOT NULL), score = {score}, grade = {grade}, updated_at = %s "
        f"FROM (SELECT i.assessment_id AS aid, "
        f"SUM(CASE WHEN n.method IN (%s, %s) THEN i.points ELSE 0 END) AS d, "
        f"SUM(CASE WHEN n.method = %s THEN i.points ELSE 0 END) AS b, "
        f"MAX(CASE WHEN n.method = %s THEN n.veto_grade END) AS v "
        f"FROM {item} i JOIN {indicator} n ON n.id = i.indicator_id "
        f"JOIN {assessment} a2 ON a2.id = i.assessment_id "
        f"WHERE a2.cycle_id = %s{only} GROUP BY i.assessment_id) t "
        f"WHERE {assessment}.id = t.aid"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*thresholds, *thresholds, now, *params])


def count_figures(cycle: EvaluationCycle) -> dict[str, Any]:
    """The cycle's counts, counted (one grouped query over its assessments)."""
    rows = (
        Assessment.objects.filter(cycle=cycle)
        .values("grade")
        .annotate(
            n=Count("id"),
            vetoed=Count("id", filter=Q(vetoed=True)),
            self_received=Count("id", filter=Q(self_received_on__isnull=False)),
            finalised=Count("id", filter=Q(finalised=True)),
        )
        .order_by()
    )
    figures: dict[str, Any] = {
        "grades": {g: 0 for g in Grade.values},
        "unscored": 0,
        "vetoed": 0,
        "self_received": 0,
        "finalised": 0,
        "subjects": 0,
    }
    for row in rows:
        if row["grade"]:
            figures["grades"][row["grade"]] += row["n"]
        else:
            figures["unscored"] += row["n"]
        figures["vetoed"] += row["vetoed"]
        figures["self_received"] += row["self_received"]
        figures["finalised"] += row["finalised"]
        figures["subjects"] += row["n"]
    return figures


def _store_figures(cycle: EvaluationCycle) -> None:
    cycle.figures = count_figures(cycle)
    EvaluationCycle.objects.filter(pk=cycle.pk).update(figures=cycle.figures)


def _move_figures(cycle: EvaluationCycle, before: Assessment, after: Assessment) -> None:
    """Adjust the stored counts for one assessment's change (no recount)."""
    figures = EvaluationCycle.objects.select_for_update().values_list("figures", flat=True).get(
        pk=cycle.pk
    ) or count_figures(cycle)
    grades = figures.setdefault("grades", {g: 0 for g in Grade.values})
    if before.grade:
        grades[before.grade] = grades.get(before.grade, 0) - 1
    else:
        figures["unscored"] = figures.get("unscored", 0) - 1
    if after.grade:
        grades[after.grade] = grades.get(after.grade, 0) + 1
    else:
        figures["unscored"] = figures.get("unscored", 0) + 1
    figures["vetoed"] = figures.get("vetoed", 0) + int(after.vetoed) - int(before.vetoed)
    figures["self_received"] = (
        figures.get("self_received", 0)
        + int(after.self_received_on is not None)
        - int(before.self_received_on is not None)
    )
    EvaluationCycle.objects.filter(pk=cycle.pk).update(figures=figures)
    cycle.figures = figures


# --- Steps -------------------------------------------------------------------------------------


def _lock(cycle: EvaluationCycle, expected_version: int | None = None) -> EvaluationCycle:
    locked = EvaluationCycle.objects.select_for_update().select_related("system").get(pk=cycle.pk)
    check_version(locked, expected_version)
    return locked


def _require(cycle: EvaluationCycle, *statuses: str) -> None:
    if cycle.status not in statuses:
        raise refuse(
            "status",
            _("%(cycle)s当前处于“%(status)s”环节，不能进行此操作。")
            % {"cycle": cycle, "status": cycle.get_status_display()},
        )


def _require_unlimited(user: User) -> None:
    """Cycle-wide steps act on every district: a user limited to some districts may not."""
    if user is not None and user_districts(user) is not None:
        raise refuse("user", _("年度信用评价的整体操作须由不限区县的人员办理。"))


def _day(value: datetime.date | None, field_name: str) -> datetime.date:
    today = timezone.localdate()
    day = value or today
    if day > today:
        raise refuse(field_name, _("日期不能晚于今天。"))
    return day


def _subject_rows(category: CreditCategory) -> QuerySet | None:
    """The subjects of a category, as (id, district, name) rows (None: a category without a
    registry)."""
    if category.code in CATEGORY_FACILITY_KINDS:
        return Facility.objects.filter(kind__in=CATEGORY_FACILITY_KINDS[category.code])
    if category.code in INSTITUTION_CATEGORIES:
        return CreditInstitution.objects.filter(category_id=category.code)
    if category.code == CreditCategoryCode.PRACTITIONER:
        return Practitioner.objects.all()
    if category.code == CreditCategoryCode.INSURED_PERSON:
        return InsuredPerson.objects.all()
    return None


def _subject_field(category: CreditCategory) -> str:
    if category.code in CATEGORY_FACILITY_KINDS:
        return "facility_id"
    if category.code in INSTITUTION_CATEGORIES:
        return "institution_id"
    if category.code == CreditCategoryCode.PRACTITIONER:
        return "practitioner_id"
    return "insured_person_id"


def _create_assessments(cycle: EvaluationCycle, subjects: QuerySet) -> int:
    """One assessment per subject, in one INSERT … SELECT (a million rows in seconds)."""
    quote = connection.ops.quote_name
    inner, params = (
        subjects.order_by()
        .annotate(c0=F("pk"), c1=F("district"), c2=F("name"))
        .values_list("c0", "c1", "c2")
        .query.sql_with_params()
    )
    columns = [
        "version",
        "cycle_id",
        _subject_field(cycle.category),
        "district",
        "subject_name",
        "self_note",
        "deductions",
        "bonus",
        "vetoed",
        "grade",
        "published_grade",
        "finalised",
        "updated_at",
    ]
    statement = (
        # Quoted names and the ORM's own SQL; every value is a parameter.
        f"INSERT INTO {quote(Assessment._meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(c) for c in columns)}) "
        f"SELECT 1, %s, q.c0, q.c1, q.c2, '', 0, 0, %s, '', '', %s, %s FROM ({inner}) q"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [cycle.pk, False, False, timezone.now(), *params])
        return cursor.rowcount


@transaction.atomic
def open_cycle(
    *,
    category: CreditCategory | str,
    year: int,
    user: User,
    self_assessment_due: datetime.date,
    opened_on: datetime.date | None = None,
) -> EvaluationCycle:
    """Open the evaluation of `year` for a category: freeze its indicator system and put every
    subject of the category in it. The year must have ended."""
    _require_unlimited(user)
    if isinstance(category, str):
        category = CreditCategory.objects.filter(pk=category).first()
        if category is None:
            raise refuse("category", _("信用主体类别无效。"))
    opened_on = _day(opened_on, "opened_on")
    if not isinstance(year, int) or not (MIN_RATING_YEAR <= year <= MAX_RATING_YEAR):
        raise refuse("year", _("评价年度超出范围。"))
    if year >= opened_on.year:
        raise refuse("year", _("%(year)s年度尚未结束，不能启动评价。") % {"year": year})
    if self_assessment_due < opened_on:
        raise refuse("self_assessment_due", _("自评截止日期不能早于启动日期。"))
    subjects = _subject_rows(category)
    if subjects is None:
        raise refuse(
            "category",
            _("%(category)s的名录尚未建立，暂不能启动评价。") % {"category": category},
        )
    system = (
        IndicatorSystem.objects.select_for_update().filter(category=category, year=year).first()
    )
    if system is None:
        raise refuse(
            "year",
            _("%(year)s年度%(category)s还没有指标体系：请先在管理后台建立（可复制上一年度）。")
            % {"year": year, "category": category.label},
        )
    problems = system_problems(system)
    if problems:
        raise refuse("system", " ".join(problems))
    if EvaluationCycle.objects.filter(category=category, year=year).exists():
        raise refuse("year", _("该类别本年度的信用评价已启动。"))
    if system.frozen_at is None:
        system.frozen_at = timezone.now()
        system._history_user = user  # type: ignore[attr-defined]
        system._change_reason = reasons.system(reasons.SYSTEM_FROZEN)  # type: ignore[attr-defined]
        system.save(freezing=True)
    cycle = EvaluationCycle(
        category=category,
        year=year,
        system=system,
        opened_on=opened_on,
        self_assessment_due=self_assessment_due,
    )
    save_with_history(cycle, user, reasons.system(reasons.CYCLE_OPENED))
    created = _create_assessments(cycle, subjects)
    cycle.subject_count = created
    cycle.figures = count_figures(cycle)
    EvaluationCycle.objects.filter(pk=cycle.pk).update(subject_count=created, figures=cycle.figures)
    return cycle


def _editable_assessment(assessment: Assessment, expected_version: int | None) -> Assessment:
    locked = (
        Assessment.objects.select_for_update().select_related("cycle__system").get(pk=assessment.pk)
    )
    check_version(locked, expected_version)
    return locked


def _save_assessment(assessment: Assessment, user: User, reason: str, fields: list[str]) -> None:
    """Save some fields of an assessment with history (its computed fields stay as stored)."""
    from supervision.scoping import check_in_scope

    check_in_scope(user, assessment)
    assessment.full_clean()
    assessment._history_user = user  # type: ignore[attr-defined]
    assessment._change_reason = reason  # type: ignore[attr-defined]
    assessment.updated_at = timezone.now()
    assessment.save(update_fields=[*fields, "updated_at"])


def _points(value: Any, field_name: str, ceiling: Decimal) -> Decimal:
    try:
        points = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        raise refuse(field_name, _("请输入数字分值。")) from None
    if not points.is_finite() or points < 0 or points > ceiling:
        raise refuse(field_name, _("分值应在0到%(max)s分之间。") % {"max": ceiling.normalize()})
    return points


@transaction.atomic
def record_self_assessment(
    assessment: Assessment,
    *,
    score: Any,
    received_on: datetime.date,
    note: str,
    user: User,
    expected_version: int | None = None,
) -> Assessment:
    """Record the subject's self-assessment (自评), received before publication."""
    assessment = _editable_assessment(assessment, expected_version)
    cycle = assessment.cycle
    _require(cycle, CycleStatus.SELF_ASSESSMENT, CycleStatus.SCORING)
    received_on = _day(received_on, "received_on")
    if received_on < cycle.opened_on:
        raise refuse("received_on", _("收到日期不能早于评价启动日期。"))
    before = Assessment(
        grade=assessment.grade,
        vetoed=assessment.vetoed,
        self_received_on=assessment.self_received_on,
    )
    assessment.self_score = _points(score, "score", FULL)
    assessment.self_received_on = received_on
    assessment.self_note = (note or "").strip()
    _save_assessment(
        assessment,
        user,
        reasons.system(reasons.SELF_ASSESSMENT_RECORDED),
        ["self_score", "self_received_on", "self_note"],
    )
    _move_figures(cycle, before, assessment)
    return assessment


@transaction.atomic
def score_cycle(cycle: EvaluationCycle, *, user: User, expected_version: int | None = None) -> int:
    """Score every subject from the year's facts (again): automatic items are rewritten, the
    evaluators' items kept, totals recomputed. Returns the number of automatic items."""
    _require_unlimited(user)
    cycle = _lock(cycle, expected_version)
    _require(cycle, CycleStatus.SELF_ASSESSMENT, CycleStatus.SCORING, CycleStatus.REVIEW)
    indicators = _indicators(cycle.system)
    stale = AssessmentItem.objects.filter(assessment__cycle=cycle, automatic=True)
    # Automatic items are derived: rewritten without a history row each (the cycle's history
    # records the run); a raw delete skips loading them one by one for the delete signals.
    stale._raw_delete(stale.db)
    now = timezone.now()
    written = 0
    _analyze(Assessment)
    if has_facts(cycle.category_id):
        for indicator in indicators:
            if indicator.fact:
                written += _insert_automatic_items(cycle, indicator, now)
    _analyze(AssessmentItem)
    _recompute(cycle)
    if cycle.status == CycleStatus.SELF_ASSESSMENT:
        cycle.status = CycleStatus.SCORING
    cycle.scored_at = now
    save_with_history(
        cycle,
        user,
        reasons.system(reasons.SCORED_AUTOMATICALLY),
    )
    _store_figures(cycle)
    return written


@transaction.atomic
def score_indicator(
    assessment: Assessment,
    *,
    indicator: Indicator,
    points: Any,
    note: str,
    user: User,
    reason: str = "",
    expected_version: int | None = None,
) -> AssessmentItem:
    """An evaluator's score of a manual indicator (points deducted) or a bonus item (points
    added). In review a reason is required: the change of a supervisor. A blank note keeps the
    item's note (the form cannot show it: it opens before an indicator is chosen)."""
    assessment = _editable_assessment(assessment, expected_version)
    cycle = assessment.cycle
    _require(cycle, CycleStatus.SCORING, CycleStatus.REVIEW)
    if indicator.system_id != cycle.system_id:
        raise refuse("indicator", _("该指标不属于本次评价的指标体系。"))
    if indicator.method not in (IndicatorMethod.MANUAL, IndicatorMethod.BONUS):
        raise refuse("indicator", _("该指标按记录事实自动评分，不能人工评分。"))
    value = _points(points, "points", Decimal(indicator.full_points))
    reason = (reason or "").strip()
    if cycle.status == CycleStatus.REVIEW:
        problem = reason_problem(reason)
        if problem:
            raise refuse("reason", problem.replace(_("评级调整原因"), _("复核调整原因")))
    item = AssessmentItem.objects.filter(assessment=assessment, indicator=indicator).first()
    if item is None:
        item = AssessmentItem(assessment=assessment, indicator=indicator)
    item.points = value
    item.note = (note or "").strip() or item.note
    item.entered_by = user if getattr(user, "pk", None) else None
    item.entered_at = timezone.now()
    label = reasons.system(
        reasons.REVIEW_ADJUSTED if cycle.status == CycleStatus.REVIEW else reasons.INITIAL_SCORE
    )
    save_with_history(item, user, labelled(label, reason) if reason else label)
    _after_change(assessment, user, labelled(label, f"{indicator.code} {indicator.name}"))
    return item


def _after_change(assessment: Assessment, user: User, reason: str) -> Assessment:
    """Recompute one assessment's totals, keep the cycle's counts, and write its history."""
    before = Assessment(
        grade=assessment.grade,
        vetoed=assessment.vetoed,
        self_received_on=assessment.self_received_on,
    )
    _recompute(assessment.cycle, [assessment.pk])
    after = Assessment.objects.get(pk=assessment.pk)
    _move_figures(assessment.cycle, before, after)
    after.cycle = assessment.cycle
    _save_assessment(after, user, reason, ["deductions", "bonus", "score", "grade", "vetoed"])
    assessment.refresh_from_db()
    return after


@transaction.atomic
def complete_initial_scoring(
    cycle: EvaluationCycle,
    *,
    user: User,
    on: datetime.date | None = None,
    expected_version: int | None = None,
) -> EvaluationCycle:
    """初评完成: the evaluators are done; the supervisor's review begins."""
    _require_unlimited(user)
    cycle = _lock(cycle, expected_version)
    _require(cycle, CycleStatus.SCORING)
    done = _day(on, "on")
    if done < cycle.opened_on:
        raise refuse("on", _("初评完成日期不能早于评价启动日期。"))
    cycle.initial_done_on = done
    cycle.status = CycleStatus.REVIEW
    save_with_history(cycle, user, reasons.system(reasons.INITIAL_DONE))
    return cycle


@transaction.atomic
def publish_cycle(
    cycle: EvaluationCycle,
    *,
    user: User,
    starts_on: datetime.date | None = None,
    expected_version: int | None = None,
) -> EvaluationCycle:
    """复核完成 and 公示: the results are published for CREDIT_PUBLICATION_WORKDAYS working
    days, from starts_on (today by default)."""
    _require_unlimited(user)
    cycle = _lock(cycle, expected_version)
    _require(cycle, CycleStatus.REVIEW)
    starts_on = _day(starts_on, "starts_on")
    if cycle.initial_done_on and starts_on < cycle.initial_done_on:
        raise refuse("starts_on", _("公示开始日期不能早于初评完成日期。"))
    ends = Calendar.load().deadline(starts_on, settings.CREDIT_PUBLICATION_WORKDAYS)
    if ends is None:
        raise refuse(
            "starts_on",
            _(
                "公示期所在年度的节假日安排尚未录入，公示截止日期无法计算：请先在管理后台录入工作日历。"
            ),
        )
    Assessment.objects.filter(cycle=cycle).update(published_grade=F("grade"))
    cycle.reviewed_on = starts_on
    cycle.publication_starts = starts_on
    cycle.publication_ends = ends
    cycle.status = CycleStatus.PUBLICATION
    save_with_history(
        cycle,
        user,
        reasons.system(reasons.PUBLISHED),
    )
    return cycle


@transaction.atomic
def record_objection(
    assessment: Assessment, *, received_on: datetime.date, grounds: str, user: User
) -> Objection:
    """An objection (异议) received during publication; due within CREDIT_OBJECTION_WORKDAYS
    working days of receipt. One pending objection per subject at a time."""
    assessment = _editable_assessment(assessment, None)
    cycle = assessment.cycle
    _require(cycle, CycleStatus.PUBLICATION)
    received_on = _day(received_on, "received_on")
    if not (cycle.publication_starts <= received_on <= cycle.publication_ends):
        raise refuse(
            "received_on",
            _("异议应在公示期内（%(start)s至%(end)s）提出。")
            % {"start": cycle.publication_starts, "end": cycle.publication_ends},
        )
    grounds = (grounds or "").strip()
    if not grounds:
        raise refuse("grounds", _("请填写异议事由。"))
    if assessment.objections.filter(status=ObjectionStatus.PENDING).exists():
        raise refuse("grounds", _("该评价对象已有待处理的异议，请先处理。"))
    objection = Objection(
        assessment=assessment,
        received_on=received_on,
        grounds=grounds,
        due_on=Calendar.load().deadline(received_on, settings.CREDIT_OBJECTION_WORKDAYS),
        grade_before=assessment.grade,
        recorded_by=user if getattr(user, "pk", None) else None,
    )
    save_with_history(objection, user, reasons.system(reasons.OBJECTION_RECORDED))
    return objection


@transaction.atomic
def decide_objection(
    objection: Objection,
    *,
    upheld: bool,
    decision: str,
    user: User,
    adjustments: Mapping[int, Any] | None = None,
    decided_on: datetime.date | None = None,
    expected_version: int | None = None,
) -> Objection:
    """Decide an objection with a reason. Upheld: the adjustments (indicator id → points) are
    applied as the bureau's corrected scores and the grade follows; rejected: nothing changes."""
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    check_version(objection, expected_version)
    if objection.status != ObjectionStatus.PENDING:
        raise refuse("status", _("该异议已处理。"))
    assessment = _editable_assessment(objection.assessment, None)
    cycle = assessment.cycle
    _require(cycle, CycleStatus.PUBLICATION)
    decided_on = _day(decided_on, "decided_on")
    if decided_on < objection.received_on:
        raise refuse("decided_on", _("决定日期不能早于收到日期。"))
    problem = reason_problem(decision)
    if problem:
        raise refuse("decision", problem.replace(_("评级调整原因"), _("处理意见")))
    decision = decision.strip()
    adjustments = dict(adjustments or {})
    if adjustments and not upheld:
        raise refuse("adjustments", _("异议不成立时不调整评分。"))
    indicators = {i.pk: i for i in cycle.system.indicators.all()}
    corrected: list[tuple[Indicator, Decimal]] = []
    for key, value in adjustments.items():
        try:
            indicator = indicators[int(key)]
        except (KeyError, TypeError, ValueError):
            raise refuse("adjustments", _("调整的指标不属于本次评价的指标体系。")) from None
        if indicator.method == IndicatorMethod.VETO:
            ceiling = Decimal("0")
        else:
            ceiling = Decimal(indicator.full_points)
        corrected.append((indicator, _points(value, "adjustments", ceiling)))
    reason = _("异议处理：%(decision)s") % {"decision": decision}
    for indicator, points in corrected:
        item = AssessmentItem.objects.filter(assessment=assessment, indicator=indicator).first()
        if indicator.method == IndicatorMethod.VETO:
            # An upheld objection against a veto removes it.
            if item is not None:
                item._history_user = user  # type: ignore[attr-defined]
                item._change_reason = reason  # type: ignore[attr-defined]
                item.delete()
            continue
        if item is None:
            item = AssessmentItem(assessment=assessment, indicator=indicator)
        item.automatic = False
        item.facts = 0
        item.points = points
        item.note = decision[:200]
        item.entered_by = user if getattr(user, "pk", None) else None
        item.entered_at = timezone.now()
        save_with_history(item, user, reason)
    after = _after_change(assessment, user, reason) if corrected else assessment
    objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.REJECTED
    objection.decided_on = decided_on
    objection.decision = decision
    objection.grade_after = after.grade
    objection.decided_by = user if getattr(user, "pk", None) else None
    save_with_history(objection, user, reason)
    return objection


class _PointsText(Func):
    """A score (DecimalField, 2 places) as text with its two decimals, the same on PostgreSQL
    and SQLite (912.50, not 912.5)."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        return super().as_sql(
            compiler, connection, template="CAST(%(expressions)s AS TEXT)", **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):  # type: ignore[override]
        return super().as_sql(
            compiler, connection, template="printf('%%.2f', %(expressions)s)", **extra_context
        )


def _rating_basis(cycle: EvaluationCycle) -> Concat:
    """The basis a final rating carries, built in the database from its assessment's score and
    veto: "依据…评定，2025年度得分912.50分（满分1000分）。" (+ "触发一票否决项。")."""
    marker = "\x00"
    text = _("依据%(system)s评定，%(year)s年度得分%(score)s分（满分1000分）。") % {
        "system": cycle.system.name,
        "year": cycle.year,
        "score": marker,
    }
    before, after = text.split(marker)
    return Concat(
        Value(before),
        _PointsText("score"),
        Value(after),
        Case(When(vetoed=True, then=Value(_("触发一票否决项。"))), default=Value("")),
        output_field=CharField(),
    )


def _finalise_batch(cycle: EvaluationCycle, batch: list[Assessment], user: User, on) -> None:
    """Write one batch's ratings and rating changes with their history, set-based: a few
    statements whatever the batch's size (one transaction, the caller's)."""
    reason = _("%(year)s年度医保信用评价结果") % {"year": cycle.year}
    ids = [a.pk for a in batch]
    assessments = Assessment.objects.filter(pk__in=ids, facility__isnull=False)
    now = timezone.now()
    acting = getattr(user, "pk", None)
    # The facility's rating of the year, if any, and the assessment that now decides it.
    of_rating = Assessment.objects.filter(cycle=cycle, facility_id=OuterRef("facility_id"))
    existing = CreditRating.objects.filter(
        year=cycle.year, facility_id__in=assessments.values("facility_id")
    )
    # The year's ratings of the batch's facilities are locked first: a grade adjusted on a page
    # meanwhile waits, and its change record cannot name a grade this batch replaces.
    list(existing.select_for_update().values_list("pk", flat=True))
    # 1. A rating change for each existing rating whose grade the evaluation changes.
    moved = existing.annotate(new_grade=Subquery(of_rating.values("grade")[:1])).exclude(
        grade=F("new_grade")
    )
    _insert_changes(moved, ("pk", "grade", "new_grade"), reason=reason, user_id=acting, now=now)
    # 2. The existing ratings take the assessment's grade, score and basis.
    updated = existing.update(
        grade=Subquery(of_rating.values("grade")[:1]),
        score=Subquery(of_rating.values("score")[:1]),
        basis=Subquery(of_rating.annotate(text=_rating_basis(cycle)).values("text")[:1]),
        assessment_id=Subquery(of_rating.values("pk")[:1]),
        rated_on=on,
        version=F("version") + 1,
        updated_at=now,
    )
    # 3. A new rating for each facility without one, and its rating change ("" → grade).
    new = (
        # Step 2 linked every existing rating to its assessment: the others have none. (Not
        # "no rating of the facility and year": during a finalisation the year's ratings grow
        # faster than PostgreSQL's statistics know, and it would scan them for every subject.)
        assessments.exclude(Exists(CreditRating.objects.filter(assessment_id=OuterRef("pk"))))
        .annotate(
            created=Value(now, output_field=DateTimeField()),
            updated=Value(now, output_field=DateTimeField()),
            first=Value(1),
            rating_year=Value(cycle.year),
            rating_on=Value(on, output_field=DateField()),
            text=_rating_basis(cycle),
            not_repaired=Value(False),
        )
        .values_list(
            "created",
            "updated",
            "first",
            "facility_id",
            "rating_year",
            "grade",
            "score",
            "rating_on",
            "text",
            "pk",
            "not_repaired",
        )
    )
    _insert_select(
        CreditRating,
        [
            "created_at",
            "updated_at",
            "version",
            "facility_id",
            "year",
            "grade",
            "score",
            "rated_on",
            "basis",
            "assessment_id",
            "repaired",
        ],
        new,
    )
    ratings = CreditRating.objects.filter(assessment_id__in=ids)
    created = ratings.filter(created_at=now)
    _insert_changes(
        created.annotate(none=Value("")),
        ("pk", "none", "grade"),
        reason=reason,
        user_id=acting,
        now=now,
    )
    # 4. The history of all of it.
    write_history(created, kind="+", user=user, reason=reason)
    if updated:
        write_history(ratings.exclude(created_at=now), kind="~", user=user, reason=reason)
    changes = RatingChange.objects.filter(
        rating__assessment_id__in=ids, changed_at=now, kind=RatingChangeKind.EVALUATION
    )
    write_history(changes, kind="+", user=user, reason=reason)
    Assessment.objects.filter(pk__in=ids).update(finalised=True)


def _insert_select(model: type, columns: list[str], source: QuerySet) -> None:
    """INSERT INTO model's table (columns) the rows source selects (a values_list)."""
    sql, params = source.order_by().query.sql_with_params()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} "
            f"({', '.join(quote(c) for c in columns)}) {sql}",
            params,
        )


def _insert_changes(
    source: QuerySet, fields: tuple[str, str, str], *, reason: str, user_id: int | None, now
) -> None:
    """Rating changes of the evaluation for source's rows; fields: source's names of the
    rating's id, the grade before and the grade after."""
    rows = source.annotate(
        change_reason=Value(reason),
        by=Value(user_id, output_field=IntegerField()),
        at=Value(now, output_field=DateTimeField()),
        change_kind=Value(RatingChangeKind.EVALUATION.value),
    )
    _insert_select(
        RatingChange,
        ["rating_id", "from_grade", "to_grade", "reason", "changed_by_id", "changed_at", "kind"],
        rows.values_list(*fields, "change_reason", "by", "at", "change_kind"),
    )


def finalise_cycle(
    cycle: EvaluationCycle,
    *,
    user: User,
    on: datetime.date | None = None,
    batch_size: int | None = None,
    expected_version: int | None = None,
    seconds: float | None = None,
) -> int:
    """确定: after the publication period, with every objection decided, write each subject's
    final grade (facilities: CreditRating with its breakdown and a RatingChange), batch by batch,
    each batch one transaction. Interrupted — or stopped after `seconds` (a page's request stops
    after CREDIT_FINALISE_SECONDS and the user continues) — it resumes where it stopped. Returns
    the number of subjects finalised by this call."""
    _require_unlimited(user)
    batch_size = batch_size or settings.CREDIT_FINALISE_BATCH
    started = time.monotonic()
    with transaction.atomic():
        cycle = _lock(cycle, expected_version)
        _require(cycle, CycleStatus.PUBLICATION, CycleStatus.FINALISING)
        if cycle.status == CycleStatus.PUBLICATION:
            on = _day(on, "on")
            if on <= cycle.publication_ends:
                raise refuse(
                    "on",
                    _("公示期至%(ends)s，期满后才能确定结果。") % {"ends": cycle.publication_ends},
                )
            pending = Objection.objects.filter(
                assessment__cycle=cycle, status=ObjectionStatus.PENDING
            ).count()
            if pending:
                raise refuse(
                    "status", _("还有%(n)s件异议待处理，处理完毕后才能确定结果。") % {"n": pending}
                )
            cycle.status = CycleStatus.FINALISING
            cycle.finalised_on = on
            save_with_history(cycle, user, reasons.system(reasons.FINALISING))
    # A resumed finalisation dates its ratings the day it started.
    on = cycle.finalised_on
    done = 0
    while True:
        with transaction.atomic():
            batch = list(
                Assessment.objects.filter(cycle=cycle, finalised=False)
                .order_by("pk")
                .only("pk", "facility_id", "grade", "score", "vetoed")[:batch_size]
            )
            if not batch:
                break
            _finalise_batch(cycle, batch, user, on)
            done += len(batch)
        if seconds is not None and time.monotonic() - started > seconds:
            return done
    with transaction.atomic():
        cycle = _lock(cycle)
        if cycle.status == CycleStatus.FINALISING:
            cycle.status = CycleStatus.FINAL
            save_with_history(cycle, user, reasons.system(reasons.FINALISED))
            _store_figures(cycle)
    return done


@transaction.atomic
def announce_cycle(
    cycle: EvaluationCycle,
    *,
    user: User,
    on: datetime.date | None = None,
    expected_version: int | None = None,
) -> EvaluationCycle:
    """结果公布: the final results are published."""
    _require_unlimited(user)
    cycle = _lock(cycle, expected_version)
    _require(cycle, CycleStatus.FINAL)
    on = _day(on, "on")
    if on < cycle.finalised_on:
        raise refuse("on", _("公布日期不能早于确定日期。"))
    cycle.announced_on = on
    cycle.status = CycleStatus.ANNOUNCED
    save_with_history(cycle, user, reasons.system(reasons.ANNOUNCED))
    if (
        cycle.category_id in CATEGORY_FACILITY_KINDS
        and not GradePublication.objects.filter(
            year=cycle.year, category_id=cycle.category_id
        ).exists()
    ):
        # The facilities' final grades go on the public pages with the announcement.
        publication.publish_grades(year=cycle.year, category=cycle.category_id, user=user, on=on)
    return cycle


# --- Reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CycleProgress:
    subjects: int
    grades: dict[str, int]
    unscored: int
    vetoed: int
    self_received: int
    self_missing: int
    finalised: int
    objections_pending: int
    objections_overdue: int
    overdue: list[str]


def cycle_progress(cycle: EvaluationCycle, today: datetime.date | None = None) -> CycleProgress:
    """Where a cycle stands and what is overdue: the stored counts and one query on the pending
    objections (by index)."""
    today = today or timezone.localdate()
    figures = cycle.figures or count_figures(cycle)
    pending = Objection.objects.filter(
        assessment__cycle=cycle, status=ObjectionStatus.PENDING
    ).aggregate(
        pending=Count("id"),
        overdue=Count("id", filter=Q(due_on__lt=today)),
    )
    subjects = figures.get("subjects", cycle.subject_count)
    received = figures.get("self_received", 0)
    overdue: list[str] = []
    if cycle.status == CycleStatus.SELF_ASSESSMENT and cycle.self_assessment_due < today:
        overdue.append(
            _("自评已于%(due)s截止，尚有%(n)s个评价对象未提交自评，待自动评分。")
            % {"due": cycle.self_assessment_due, "n": subjects - received}
        )
    if (
        cycle.status == CycleStatus.PUBLICATION
        and cycle.publication_ends is not None
        and cycle.publication_ends < today
    ):
        overdue.append(_("公示期已于%(ends)s届满，待确定结果。") % {"ends": cycle.publication_ends})
    if pending["overdue"]:
        overdue.append(_("%(n)s件异议已超过办理期限。") % {"n": pending["overdue"]})
    if cycle.status == CycleStatus.FINALISING:
        overdue.append(_("结果确定未完成，请继续确定（已写入的不会重复）。"))
    return CycleProgress(
        subjects=subjects,
        grades=dict(figures.get("grades", {})),
        unscored=figures.get("unscored", 0),
        vetoed=figures.get("vetoed", 0),
        self_received=received,
        self_missing=subjects - received,
        finalised=figures.get("finalised", 0),
        objections_pending=pending["pending"],
        objections_overdue=pending["overdue"],
        overdue=overdue,
    )


@dataclass(frozen=True)
class ScorecardRow:
    indicator: Indicator
    dimension: Dimension | None
    item: AssessmentItem | None

    @property
    def points(self) -> Decimal:
        return self.item.points if self.item else Decimal("0")

    @property
    def hit(self) -> bool:
        """A veto that applies, or a deduction or bonus that is not zero."""
        if self.item is None:
            return False
        return self.indicator.method == IndicatorMethod.VETO or self.item.points > 0


def scorecard(assessment: Assessment) -> list[ScorecardRow]:
    """Every indicator of the assessment's system, in order, with its item if any (two
    queries)."""
    indicators = list(
        Indicator.objects.filter(system_id=assessment.cycle.system_id)
        .select_related("dimension")
        .order_by(F("dimension__position").asc(nulls_last=True), "position", "id")
    )
    items = {
        item.indicator_id: item
        for item in AssessmentItem.objects.filter(assessment=assessment).select_related(
            "entered_by"
        )
    }
    return [ScorecardRow(i, i.dimension, items.get(i.pk)) for i in indicators]
