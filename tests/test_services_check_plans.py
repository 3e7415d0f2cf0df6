"""The year's check plan (分级分类监管): built from the grades of the year before and the
measures, set-based and idempotent; planned checks matched to on-site inspections; progress by
grade within the user's districts; the build_check_plan command."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision.choices import (
    CreditCategoryCode,
    District,
    Grade,
    InspectionKind,
    InspectionStatus,
)
from supervision.models import CreditRating, PlannedCheck, SupervisionMeasure
from supervision.services.check_plans import (
    build_check_plan,
    due_dates,
    match_planned_checks,
    plan_progress,
)
from tests.dbstate import assert_refused
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    UserDistrictFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
YEAR = 2025


def rated(grade: str, *, year: int = YEAR - 1, **facility) -> CreditRating:
    return CreditRatingFactory(facility=FacilityFactory(**facility), year=year, grade=grade)


def plan_of(facility) -> list[tuple[int, str, datetime.date, int | None]]:
    return list(
        PlannedCheck.objects.filter(facility=facility, year=YEAR)
        .order_by("sequence")
        .values_list("sequence", "grade", "due_on", "inspection_id")
    )


def test_due_dates_spread_the_checks_over_the_year():
    assert due_dates(2025, 4) == [D(2025, 3, 31), D(2025, 6, 30), D(2025, 9, 30), D(2025, 12, 31)]
    assert due_dates(2025, 2) == [D(2025, 6, 30), D(2025, 12, 31)]
    assert due_dates(2025, 1) == [D(2025, 12, 31)]
    assert due_dates(2024, 12)[1] == D(2024, 2, 29)


def test_each_grade_gets_the_checks_its_measure_asks_for(supervisor):
    a, b, c, d = (rated(g) for g in (Grade.A, Grade.B, Grade.C, Grade.D))
    added = build_check_plan(year=YEAR, user=supervisor)
    assert added == 0 + 1 + 2 + 4
    assert plan_of(a.facility) == []
    assert plan_of(b.facility) == [(1, Grade.B, D(2025, 12, 31), None)]
    assert [row[2] for row in plan_of(c.facility)] == [D(2025, 6, 30), D(2025, 12, 31)]
    assert [row[2] for row in plan_of(d.facility)] == [
        D(2025, 3, 31),
        D(2025, 6, 30),
        D(2025, 9, 30),
        D(2025, 12, 31),
    ]
    assert set(PlannedCheck.objects.values_list("grade_year", flat=True)) == {YEAR - 1}


def test_the_measure_of_the_facilitys_category_applies(supervisor):
    SupervisionMeasure.objects.filter(
        category_id=CreditCategoryCode.RETAIL_PHARMACY, grade=Grade.B
    ).update(min_checks=3)
    hospital = rated(Grade.B)
    pharmacy = rated(Grade.B, pharmacy=True)
    build_check_plan(year=YEAR, user=supervisor)
    assert len(plan_of(hospital.facility)) == 1
    assert [row[2] for row in plan_of(pharmacy.facility)] == [
        D(2025, 4, 30),
        D(2025, 8, 31),
        D(2025, 12, 31),
    ]


def test_only_the_grades_of_the_year_before_count(supervisor):
    older = rated(Grade.D, year=YEAR - 2)
    rated(Grade.B)
    assert build_check_plan(year=YEAR, user=supervisor) == 1
    assert plan_of(older.facility) == []


def test_every_planned_check_has_a_history_row_with_the_user_and_reason(supervisor):
    rated(Grade.C)
    build_check_plan(year=YEAR, user=supervisor)
    rows = list(PlannedCheck.history.values_list("history_type", "history_user", "sequence"))
    assert sorted(rows) == [("+", supervisor.pk, 1), ("+", supervisor.pk, 2)]
    assert set(PlannedCheck.history.values_list("history_change_reason", flat=True)) == {
        "生成年度检查计划"
    }


def test_running_it_again_adds_nothing_and_keeps_the_links(supervisor):
    d = rated(Grade.D)
    build_check_plan(year=YEAR, user=supervisor)
    inspection = InspectionFactory(facility=d.facility, start_date=D(2025, 2, 1))
    assert match_planned_checks(year=YEAR) == 1
    before = plan_of(d.facility)
    assert build_check_plan(year=YEAR, user=supervisor) == 0
    assert plan_of(d.facility) == before
    assert before[0][3] == inspection.pk


def test_a_grade_change_adds_removes_and_moves_the_open_checks(supervisor):
    d = rated(Grade.D)
    b = rated(Grade.B)
    build_check_plan(year=YEAR, user=supervisor)
    first = InspectionFactory(facility=d.facility, start_date=D(2025, 2, 1))
    match_planned_checks(year=YEAR)
    CreditRating.objects.filter(pk=d.pk).update(grade=Grade.B)
    CreditRating.objects.filter(pk=b.pk).update(grade=Grade.C)
    assert build_check_plan(year=YEAR, user=supervisor) == 1  # b's second check
    # d: the linked first check stays as it was; its open checks 2–4 are no longer required.
    assert plan_of(d.facility) == [(1, Grade.D, D(2025, 3, 31), first.pk)]
    # b: its first check now has C's due date, and a second one was added.
    assert plan_of(b.facility) == [
        (1, Grade.C, D(2025, 6, 30), None),
        (2, Grade.C, D(2025, 12, 31), None),
    ]
    kinds = list(PlannedCheck.history.values_list("history_type", flat=True))
    assert kinds.count("-") == 3
    assert kinds.count("~") == 2  # b's move, d's link


def test_a_year_without_grades_before_it_is_refused(supervisor):
    rated(Grade.B, year=YEAR - 2)
    assert_refused(
        lambda: build_check_plan(year=YEAR, user=supervisor),
        {"year": ["2024年度尚无信用评价结果，不能生成2025年度检查计划。"]},
    )


@pytest.mark.parametrize("year", [2018, 2101, -1])
def test_a_year_out_of_range_is_refused(supervisor, year):
    with pytest.raises(ValidationError) as exc:
        build_check_plan(year=year, user=supervisor)
    assert "year" in exc.value.message_dict


def queries_to_build(n: int, user) -> int:
    PlannedCheck.objects.all().delete()
    CreditRating.objects.all().delete()
    for grade in (Grade.A, Grade.B, Grade.C, Grade.D) * n:
        rated(grade)
    with CaptureQueriesContext(connection) as captured:
        build_check_plan(year=YEAR, user=user)
    assert PlannedCheck.objects.count() == 7 * n
    return len(captured)


def test_building_the_plan_does_not_query_per_facility(supervisor):
    assert queries_to_build(1, supervisor) == queries_to_build(15, supervisor)


def queries_to_match(n: int) -> int:
    facilities = [rated(Grade.D).facility for _ in range(n)]
    for facility in facilities:
        InspectionFactory(facility=facility, start_date=D(2025, 5, 1), inspectors=[])
    build_check_plan(year=YEAR, user=None)
    with CaptureQueriesContext(connection) as captured:
        assert match_planned_checks(year=YEAR) == n
    return len(captured)


def test_matching_a_year_does_not_query_per_facility():
    assert queries_to_match(1) == queries_to_match(10)


# --- matching -------------------------------------------------------------------------------------


def test_inspections_fill_the_sequences_in_order_of_start(supervisor):
    d = rated(Grade.D)
    build_check_plan(year=YEAR, user=supervisor)
    later = InspectionFactory(facility=d.facility, start_date=D(2025, 8, 1))
    earlier = InspectionFactory(
        facility=d.facility,
        start_date=D(2025, 4, 1),
        status=InspectionStatus.COMPLETED,
        end_date=D(2025, 4, 2),
    )
    assert match_planned_checks(year=YEAR) == 2
    assert [row[3] for row in plan_of(d.facility)] == [earlier.pk, later.pk, None, None]


def test_self_inspections_other_years_and_other_facilities_do_not_count(supervisor):
    d = rated(Grade.D)
    other = rated(Grade.B)
    build_check_plan(year=YEAR, user=supervisor)
    InspectionFactory(facility=d.facility, start_date=D(2025, 3, 1), kind=InspectionKind.SELF)
    InspectionFactory(facility=d.facility, start_date=D(2024, 12, 31))
    InspectionFactory(facility=d.facility, start_date=D(2026, 1, 1))
    InspectionFactory(facility=other.facility, start_date=D(2025, 6, 1))
    assert match_planned_checks(year=YEAR, facility_ids=[d.facility_id]) == 0
    assert [row[3] for row in plan_of(d.facility)] == [None] * 4
    assert plan_of(other.facility)[0][3] is None


def test_a_linked_inspection_is_not_linked_twice(supervisor):
    d = rated(Grade.D)
    build_check_plan(year=YEAR, user=supervisor)
    inspection = InspectionFactory(facility=d.facility, start_date=D(2025, 3, 1))
    assert match_planned_checks(year=YEAR, facility_ids=[d.facility_id]) == 1
    assert match_planned_checks(year=YEAR, facility_ids=[d.facility_id]) == 0
    assert match_planned_checks(year=YEAR) == 0
    assert PlannedCheck.objects.filter(inspection=inspection).count() == 1
    second = InspectionFactory(facility=d.facility, start_date=D(2025, 2, 1))
    assert match_planned_checks(year=YEAR, facility_ids=[d.facility_id]) == 1
    assert [row[3] for row in plan_of(d.facility)] == [inspection.pk, second.pk, None, None]


def test_a_match_writes_a_history_row_with_the_link(supervisor):
    d = rated(Grade.B)
    build_check_plan(year=YEAR, user=supervisor)
    inspection = InspectionFactory(facility=d.facility, start_date=D(2025, 3, 1))
    match_planned_checks(year=YEAR, facility_ids=[d.facility_id], user=supervisor)
    row = PlannedCheck.history.filter(history_type="~").get()
    assert (row.inspection_id, row.history_user_id) == (inspection.pk, supervisor.pk)
    assert row.history_change_reason == "关联完成检查"


def test_matching_no_facilities_does_nothing():
    assert match_planned_checks(year=YEAR, facility_ids=[]) == 0


# --- progress -------------------------------------------------------------------------------------


def test_progress_counts_required_done_and_behind_by_grade(supervisor):
    d = rated(Grade.D)
    rated(Grade.B)
    build_check_plan(year=YEAR, user=supervisor)
    InspectionFactory(facility=d.facility, start_date=D(2025, 2, 1))
    match_planned_checks(year=YEAR)
    progress = plan_progress(YEAR, user=supervisor, today=D(2025, 7, 1))
    by = {g.grade: g for g in progress.by_grade}
    assert (by[Grade.D].required, by[Grade.D].done, by[Grade.D].behind) == (4, 1, 1)
    assert (by[Grade.B].required, by[Grade.B].done, by[Grade.B].behind) == (1, 0, 0)
    assert (by[Grade.A].required, by[Grade.C].required) == (0, 0)
    assert (progress.required, progress.done, progress.behind, progress.facilities) == (5, 1, 1, 2)


def test_progress_counts_only_the_users_districts(supervisor):
    rated(Grade.D, district=District.CHENGGUAN)
    rated(Grade.D, district=District.DAMXUNG)
    build_check_plan(year=YEAR, user=None)
    UserDistrictFactory(user=supervisor, district=District.DAMXUNG)
    assert plan_progress(YEAR, user=supervisor).required == 4


def test_progress_for_someone_who_may_not_see_the_plan_is_empty(outsider):
    rated(Grade.D)
    build_check_plan(year=YEAR, user=None)
    assert plan_progress(YEAR, user=outsider).required == 0


# --- the command ----------------------------------------------------------------------------------


def test_the_command_builds_and_matches_the_plan():
    d = rated(Grade.D)
    InspectionFactory(facility=d.facility, start_date=D(2025, 2, 1))
    out = StringIO()
    call_command("build_check_plan", "--year", str(YEAR), stdout=out)
    assert PlannedCheck.objects.filter(facility=d.facility).count() == 4
    assert PlannedCheck.objects.filter(inspection__isnull=False).count() == 1
    assert "4" in out.getvalue() and "1" in out.getvalue()


@pytest.mark.parametrize("year", ["abc", "2024"])
def test_the_command_refuses_a_bad_year_with_a_message(year):
    rated(Grade.D, year=2020)
    with pytest.raises(CommandError):
        call_command("build_check_plan", "--year", year, stdout=StringIO())
