"""Due items (services.due_items): every kind found from its records, owned by the right people
and districts, due soon or overdue by the statutory calendar (holidays, make-up working days,
a year the calendar does not know), escalated to the district's supervisors, gone once done."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision.choices import District, Grade, InspectionStatus, ReferralStatus
from supervision.models import PlannedCheck, Rectification
from supervision.roles import CREDIT_EVALUATOR, INSPECTOR, SUPERVISOR, TIP_DESK
from supervision.services import due_items
from supervision.services.due_items import OVERDUE, SOON, Window
from supervision.workdays import Calendar
from tests.factories import (
    AssessmentFactory,
    CalendarDayFactory,
    CalendarYearFactory,
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    ObjectionFactory,
    ReferralFactory,
    SanctionFactory,
    TipFactory,
    UserDistrictFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2025, 6, 16)  # a Monday


@pytest.fixture(autouse=True)
def _figures(settings):
    settings.INSPECTION_OPEN_DAYS = 90
    settings.DUE_SOON_WORKDAYS = 3
    settings.ESCALATE_AFTER_WORKDAYS = 5
    settings.REFERRAL_FOLLOW_UP_DAYS = 60


def officer(username: str, role: str = INSPECTOR):
    user = UserFactory(username=username, role=role)
    return user, InspectorFactory(user=user, name=f"{username}检查员")


def keys(work: due_items.MyWork) -> set[tuple[str, int, str]]:
    return {(item.kind, item.pk, item.state) for item in work.items()}


def team_keys(work: due_items.MyWork) -> set[tuple[str, int]]:
    return {(item.kind, item.pk) for item in work.team_items()}


# --- the calendar ------------------------------------------------------------------------------


def test_due_soon_counts_working_days_across_the_national_day_week_and_its_make_up_saturday():
    # 30 September 2026: 1–7 October are holidays, Saturday 10 October a make-up working day.
    window = Window.of(D(2026, 9, 30), Calendar.load())
    assert window.horizon == D(2026, 10, 10)


def test_escalation_counts_back_over_the_holidays():
    # On Monday 12 October 2026 the five working days back are 12, 10, 9, 8 October and
    # 30 September: an item due 29 September is overdue by five, one due 30 September by four.
    window = Window.of(D(2026, 10, 12), Calendar.load())
    assert window.escalation == D(2026, 9, 29)


def test_a_year_the_calendar_does_not_know_falls_back_to_calendar_days():
    window = Window.of(D(2026, 12, 30), Calendar.load())
    assert window.horizon == D(2027, 1, 2)


def test_a_year_the_administrator_entered_counts_its_own_holidays():
    CalendarYearFactory(year=2027)
    CalendarDayFactory(day=D(2027, 1, 1), is_workday=False)
    window = Window.of(D(2026, 12, 30), Calendar.load())
    # 31 December, (1 January a holiday), 4 and 5 January.
    assert window.horizon == D(2027, 1, 5)


def test_an_item_due_today_is_due_soon_and_one_due_yesterday_overdue():
    window = Window.of(TODAY, Calendar.load())
    assert window.state(TODAY) == SOON
    assert window.state(TODAY - datetime.timedelta(days=1)) == OVERDUE


# --- every kind --------------------------------------------------------------------------------


def _inspection(world):
    return InspectionFactory(
        facility=world["facility"],
        status=InspectionStatus.PLANNED,
        start_date=D(2025, 6, 2),
        inspectors=[world["inspector"]],
    )


def _running_inspection(world):
    # In progress since March without an end date: overdue 90 days after its start.
    return InspectionFactory(
        facility=world["facility"],
        status=InspectionStatus.IN_PROGRESS,
        start_date=D(2025, 3, 10),
        inspectors=[world["inspector"]],
    )


def _rectification(world):
    inspection = InspectionFactory(
        facility=world["facility"], completed=True, inspectors=[world["inspector"]]
    )
    return Rectification.objects.create(
        inspection=inspection,
        facility=inspection.facility,
        requirement="整改药品进销存管理。",
        ordered_on=D(2025, 5, 6),
        workdays=20,
        due_on=D(2025, 6, 4),
    )


def _referral(world):
    inspection = InspectionFactory(facility=world["facility"], completed=True)
    return ReferralFactory(inspection=inspection, referred_on=D(2025, 3, 20))


def _tip(world):
    return TipFactory(facility=world["facility"], due_on=D(2025, 6, 13))


def _objection(world):
    return ObjectionFactory(
        assessment=AssessmentFactory(district=world["facility"].district), due_on=D(2025, 6, 18)
    )


def _planned_check(world):
    return PlannedCheck.objects.create(
        year=2025,
        facility=world["facility"],
        grade=Grade.D,
        grade_year=2024,
        sequence=1,
        due_on=D(2025, 6, 1),
    )


def _suspension(world):
    return SanctionFactory(
        facility=world["facility"], suspension=True, starts_on=D(2025, 4, 1), ends_on=TODAY
    )


MAKERS = {
    "inspection": (_inspection, "inspector", OVERDUE),
    "inspection_open": (_running_inspection, "inspector", OVERDUE),
    "rectification": (_rectification, "inspector", OVERDUE),
    "referral": (_referral, "supervisor", OVERDUE),
    "tip": (_tip, "tip_desk", OVERDUE),
    "objection": (_objection, "evaluator", SOON),
    "planned_check": (_planned_check, "supervisor", OVERDUE),
    "suspension": (_suspension, "supervisor", SOON),
}


@pytest.fixture
def world():
    user, inspector = officer("zhaxi")
    return {
        "facility": FacilityFactory(district=District.CHENGGUAN),
        "inspector": inspector,
        "inspector_user": user,
        "supervisor": UserFactory(username="lead", role=SUPERVISOR),
        "tip_desk": UserFactory(username="desk", role=TIP_DESK),
        "evaluator": UserFactory(username="judge", role=CREDIT_EVALUATOR),
    }


def test_every_kind_of_due_item_has_a_case_here():
    assert set(MAKERS) == set(due_items.KINDS)


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_each_kind_is_found_from_its_record_and_shown_to_its_owner(world, kind):
    make, owner, state = MAKERS[kind]
    record = make(world)
    user = world["inspector_user"] if owner == "inspector" else world[owner]
    work = due_items.for_user(user, Window.of(TODAY))
    assert (kind, record.pk, state) in keys(work)
    item = next(i for i in work.items() if i.kind == kind)
    assert item.url and item.title and item.subject


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_each_kind_reaches_the_daily_run_with_its_owners(world, kind):
    make, owner, _state = MAKERS[kind]
    record = make(world)
    items = [i for i in due_items.all_items(Window.of(TODAY)) if i.kind == kind]
    assert [i.pk for i in items] == [record.pk]
    user = world["inspector_user"] if owner == "inspector" else world[owner]
    roles = due_items.roles_of(user)
    assert due_items.owned_by(items[0], user.pk, roles, None)


def test_an_item_leaves_the_list_once_its_record_moves_on(world):
    inspection = _inspection(world)
    referral = _referral(world)
    work = due_items.for_user(world["supervisor"], Window.of(TODAY))
    assert ("referral", referral.pk, OVERDUE) in keys(work)
    inspection.status = InspectionStatus.COMPLETED
    inspection.end_date = D(2025, 6, 3)
    inspection.save()
    referral.status = ReferralStatus.ACCEPTED
    referral.decided_on = D(2025, 6, 10)
    referral.save()
    assert not keys(due_items.for_user(world["inspector_user"], Window.of(TODAY)))
    assert ("referral", referral.pk, OVERDUE) not in keys(
        due_items.for_user(world["supervisor"], Window.of(TODAY))
    )


def test_an_inspection_in_progress_is_due_on_its_end_date_else_after_the_open_days(world):
    dated = InspectionFactory(
        facility=world["facility"],
        start_date=D(2025, 6, 1),
        end_date=D(2025, 6, 13),
        inspectors=[world["inspector"]],
    )
    open_ended = InspectionFactory(
        facility=world["facility"], start_date=D(2025, 3, 19), inspectors=[world["inspector"]]
    )
    recent = InspectionFactory(
        facility=world["facility"], start_date=D(2025, 5, 1), inspectors=[world["inspector"]]
    )
    items = {i.pk: i for i in due_items.for_user(world["inspector_user"], Window.of(TODAY)).items()}
    assert items[dated.pk].due_on == D(2025, 6, 13) and items[dated.pk].overdue
    assert items[open_ended.pk].due_on == D(2025, 6, 17) and not items[open_ended.pk].overdue
    assert recent.pk not in items


def test_an_item_not_yet_due_soon_is_not_listed(world):
    InspectionFactory(
        facility=world["facility"],
        status=InspectionStatus.PLANNED,
        start_date=D(2025, 6, 20),  # the fourth working day after 16 June
        inspectors=[world["inspector"]],
    )
    assert not keys(due_items.for_user(world["inspector_user"], Window.of(TODAY)))
    assert keys(due_items.for_user(world["inspector_user"], Window.of(D(2025, 6, 17))))


# --- ownership -----------------------------------------------------------------------------------


def test_an_inspection_is_due_for_its_own_inspectors_only(world):
    inspection = _inspection(world)
    other, _ = officer("other")
    assert ("inspection", inspection.pk, OVERDUE) in keys(
        due_items.for_user(world["inspector_user"], Window.of(TODAY))
    )
    assert not keys(due_items.for_user(other, Window.of(TODAY)))


def test_a_role_owns_the_items_of_its_districts_only(world):
    tip = _tip(world)
    referral = _referral(world)
    here = UserFactory(username="desk-chengguan", role=TIP_DESK)
    UserDistrictFactory(user=here, district=District.CHENGGUAN)
    there = UserFactory(username="desk-dagze", role=TIP_DESK)
    UserDistrictFactory(user=there, district=District.DAGZE)
    lead_there = UserFactory(username="lead-dagze", role=SUPERVISOR)
    UserDistrictFactory(user=lead_there, district=District.DAGZE)
    assert ("tip", tip.pk, OVERDUE) in keys(due_items.for_user(here, Window.of(TODAY)))
    assert not keys(due_items.for_user(there, Window.of(TODAY)))
    assert ("referral", referral.pk, OVERDUE) not in keys(
        due_items.for_user(lead_there, Window.of(TODAY))
    )
    item = next(i for i in due_items.all_items(Window.of(TODAY)) if i.kind == "tip")
    assert due_items.owned_by(item, here.pk, {TIP_DESK}, frozenset({District.CHENGGUAN}))
    assert not due_items.owned_by(item, there.pk, {TIP_DESK}, frozenset({District.DAGZE}))


def test_nobody_is_told_of_a_kind_they_cannot_read(world):
    _tip(world)
    auditor_like = UserFactory(username="nobody")  # no role at all
    assert not due_items.for_user(auditor_like, Window.of(TODAY)).items()
    assert due_items.navigation_count(auditor_like) == (False, None)


# --- escalation ---------------------------------------------------------------------------------


def test_an_item_overdue_past_the_escalation_reaches_the_districts_supervisors(world):
    rectification = _rectification(world)  # due 4 June: 8 working days before 16 June
    lead_here = UserFactory(username="lead-chengguan", role=SUPERVISOR)
    UserDistrictFactory(user=lead_here, district=District.CHENGGUAN)
    lead_there = UserFactory(username="lead-dagze", role=SUPERVISOR)
    UserDistrictFactory(user=lead_there, district=District.DAGZE)
    assert ("rectification", rectification.pk) in team_keys(
        due_items.for_user(lead_here, Window.of(TODAY))
    )
    assert not team_keys(due_items.for_user(lead_there, Window.of(TODAY)))
    # On 10 June it was overdue by four working days: not yet escalated.
    assert not team_keys(due_items.for_user(lead_here, Window.of(D(2025, 6, 10))))
    assert ("rectification", rectification.pk) in team_keys(
        due_items.for_user(lead_here, Window.of(D(2025, 6, 11)))
    )


def test_a_supervisor_who_owns_an_item_sees_it_once_as_theirs(world):
    lead = world["supervisor"]
    _, inspector = officer("lead-officer")
    inspector.user = lead
    inspector.save()
    inspection = InspectionFactory(
        facility=world["facility"],
        status=InspectionStatus.PLANNED,
        start_date=D(2025, 5, 2),
        inspectors=[inspector],
    )
    work = due_items.for_user(lead, Window.of(TODAY))
    assert ("inspection", inspection.pk, OVERDUE) in keys(work)
    assert ("inspection", inspection.pk) not in team_keys(work)


# --- speed --------------------------------------------------------------------------------------


def test_my_work_reads_a_constant_number_of_queries(world):
    lead = world["supervisor"]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            due_items.for_user(lead, Window.of(TODAY, Calendar.load()))
        return len(captured)

    _referral(world)
    _planned_check(world)
    queries()  # the first reads the account's permissions
    few = queries()
    for _ in range(5):
        _referral(world)
        _rectification(world | {"inspector": InspectorFactory()})
    more = queries()
    assert more == few


@pytest.mark.parametrize("prefix", ["/", "/supervision/"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_items_links_are_those_reverse_gives(prefix, language):
    """Items fill their ids into routes reversed once (due_items.Words): under any script prefix
    and language the link is the one reverse() gives."""
    from django.urls import reverse, set_script_prefix
    from django.utils import translation

    from supervision.services.due_items import Words

    try:
        set_script_prefix(prefix)
        with translation.override(language):
            words = Words()
            for name in ("inspection-detail", "tip-detail", "rectification-follow-up"):
                assert words.link(name, 7) == reverse(name, args=[7])
                assert words.link(name, 1234567) == reverse(name, args=[1234567])
            for name in ("plannedcheck-list", "inspection-create"):
                assert words.link(name) == reverse(name)
            assert words.say("planned") == str(due_items.TEXTS["planned"])
    finally:
        set_script_prefix("/")
