"""Rectification orders (责令整改), the workflow: which inspections can be ordered rectified, the
deadline in statutory working days (holiday weeks, make-up working days, the turn of the year, a
year whose schedule is not known yet), the facility's report, the follow-up inspection (复查)
finding the order carried out or not; stale versions, bad and hostile input, other districts
refused with nothing changed; a history row with the user and the reason for every step."""

from __future__ import annotations

import datetime
from decimal import Decimal

import chinese_calendar
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from supervision import workdays
from supervision.choices import (
    District,
    InspectionKind,
    InspectionStatus,
    RectificationStatus,
    Violation,
)
from supervision.models import Inspection, Rectification
from supervision.models.base import StaleEdit
from supervision.services import rectifications as service
from supervision.services.reasons import shown_reason
from tests.dbstate import assert_refused, snapshot
from tests.factories import (
    CalendarDayFactory,
    CalendarYearFactory,
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    RectificationFactory,
    UserDistrictFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
REQUIREMENT = "1. 规范药品进销存管理；\n2. 退回多收取的费用。"


def found_violation(**kwargs) -> Inspection:
    """A completed inspection that recorded a violation (no amount)."""
    inspection = InspectionFactory(completed=True, **kwargs)
    inspection.violations.set([Violation.OVERCHARGING])
    return inspection


def order(inspection: Inspection, user, **changes) -> Rectification:
    values = {"requirement": REQUIREMENT, "workdays": 20, "ordered_on": D(2025, 3, 14)}
    return service.order_rectification(inspection, user=user, **{**values, **changes})


def last_history(record):
    return record.history.order_by("-history_id").first()


@pytest.fixture
def team():
    return InspectorFactory.create_batch(2)


@pytest.fixture
def ordered(supervisor):
    return order(found_violation(), supervisor)


# --- ordering ----------------------------------------------------------------------------------


def test_it_orders_a_completed_inspection_that_recorded_a_violation(supervisor):
    inspection = found_violation()

    rect = order(inspection, supervisor)

    assert rect.status == RectificationStatus.ORDERED
    assert rect.facility == inspection.facility
    assert rect.requirement == REQUIREMENT
    assert rect.created_by == supervisor
    # 14 March 2025 is a Friday: 20 working days later, the Qingming holiday (4 April) skipped.
    assert rect.due_on == D(2025, 4, 14)
    row = last_history(rect)
    assert (row.history_user, row.history_change_reason) == (supervisor, "下达责令整改")


def test_an_amount_involved_is_a_problem_found_without_a_violation(supervisor):
    inspection = InspectionFactory(completed=True, amount_involved=Decimal("0.01"))
    assert service.found_problems(inspection)
    assert order(inspection, supervisor).inspection == inspection


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: InspectionFactory(completed=True),
            "该检查未发现问题（未登记违规类型，涉及金额为0），不能责令整改。",
        ),
        (
            lambda: InspectionFactory(
                status=InspectionStatus.IN_PROGRESS, amount_involved=Decimal("500")
            ),
            "只能对已完成的检查责令整改。",
        ),
        (
            lambda: InspectionFactory(
                status=InspectionStatus.PLANNED, amount_involved=Decimal("500")
            ),
            "只能对已完成的检查责令整改。",
        ),
    ],
    ids=["nothing-found", "in-progress", "planned"],
)
def test_it_refuses_an_inspection_without_findings_to_put_right(supervisor, make, message):
    inspection = make()
    assert_refused(lambda: order(inspection, supervisor), {"inspection": [message]})
    assert not service.may_order(inspection)


def test_an_inspection_is_ordered_rectified_once(supervisor, ordered):
    assert_refused(
        lambda: order(ordered.inspection, supervisor), {"inspection": ["该检查已责令整改。"]}
    )


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"requirement": " \n "}, {"requirement": ["请填写整改要求。"]}),
        ({"requirement": "字" * 2001}, {"requirement": ["最多2000个字符（当前2001个）。"]}),
        ({"workdays": 0}, {"workdays": ["整改期限应为1到180个工作日。"]}),
        ({"workdays": 181}, {"workdays": ["整改期限应为1到180个工作日。"]}),
        ({"ordered_on": D(2025, 3, 9)}, {"ordered_on": ["责令整改日期不能早于检查开始日期。"]}),
        (
            {"ordered_on": datetime.date.today() + datetime.timedelta(days=2)},
            {"ordered_on": ["日期不能晚于今天。"]},
        ),
    ],
    ids=["blank", "too-long", "no-days", "too-many-days", "before-inspection", "future"],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(supervisor, changes, errors):
    inspection = found_violation()
    assert_refused(lambda: order(inspection, supervisor, **changes), errors)


def test_hostile_text_is_stored_as_typed(supervisor):
    hostile = "<script>alert(1)</script>\n'; DROP TABLE supervision_rectification; --"
    rect = order(found_violation(), supervisor, requirement=f"  {hostile}  ")
    rect.refresh_from_db()
    assert rect.requirement == hostile
    assert Rectification.objects.count() == 1


def test_exactly_the_limit_is_accepted(supervisor):
    rect = order(found_violation(), supervisor, requirement="字" * 2000)
    assert len(rect.requirement) == 2000


# --- the deadline ------------------------------------------------------------------------------


def test_the_calendar_knows_the_2026_make_up_days_these_cases_rely_on():
    assert chinese_calendar.is_workday(D(2026, 9, 20))  # Sunday, worked for National Day
    assert chinese_calendar.is_workday(D(2026, 10, 10))  # Saturday, worked for National Day
    assert chinese_calendar.is_workday(D(2026, 1, 4))  # Sunday, worked for New Year's Day
    assert not chinese_calendar.is_workday(D(2026, 10, 7))
    assert not chinese_calendar.is_workday(D(2026, 9, 25))  # Mid-Autumn Festival


@pytest.mark.parametrize(
    ("ordered_on", "days", "due_on"),
    [
        # National Day week (1–7 October 2026): the next working day is Thursday 8 October.
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        # ... and Saturday 10 October is worked (调休), Sunday 11 is not.
        (D(2026, 9, 30), 3, D(2026, 10, 10)),
        (D(2026, 9, 30), 4, D(2026, 10, 12)),
        # Sunday 20 September 2026 is worked (调休): one working day after Friday 18.
        (D(2026, 9, 18), 1, D(2026, 9, 20)),
        # The Mid-Autumn Festival (25–27 September 2026).
        (D(2026, 9, 24), 1, D(2026, 9, 28)),
        # Across the year end: 1–3 January 2026 off, Sunday 4 January worked.
        (D(2025, 12, 31), 1, D(2026, 1, 4)),
        (D(2025, 12, 31), 2, D(2026, 1, 5)),
        # The longest period.
        (D(2025, 3, 14), 180, D(2025, 12, 3)),
    ],
    ids=[
        "national-day",
        "make-up-saturday",
        "sunday-off",
        "make-up-sunday",
        "mid-autumn",
        "new-year-make-up",
        "new-year",
        "180-days",
    ],
)
def test_the_deadline_counts_statutory_working_days(supervisor, ordered_on, days, due_on):
    rect = order(found_violation(), supervisor, ordered_on=ordered_on, workdays=days)
    assert rect.due_on == due_on
    assert workdays.Calendar.load().workdays_between(ordered_on, due_on) == days


@pytest.fixture
def library_without_2027(monkeypatch):
    """The library as it is now (no 2027 schedule), whatever version is installed later."""
    monkeypatch.setattr(workdays, "LIBRARY_YEARS", (2004, 2026))


def test_a_deadline_in_a_year_not_yet_known_is_left_open_until_the_calendar_is_entered(
    supervisor, library_without_2027
):
    # 30 working days after 1 December 2026 run into 2027, whose schedule is not published.
    rect = order(found_violation(), supervisor, ordered_on=D(2026, 12, 1), workdays=30)
    assert rect.due_on is None
    short = order(found_violation(), supervisor, ordered_on=D(2026, 12, 1), workdays=5)
    assert short.due_on == D(2026, 12, 8)
    CalendarYearFactory(year=2027)
    CalendarDayFactory(day=D(2027, 1, 1), is_workday=False)

    assert service.recompute_due_dates(supervisor, since=D(2027, 1, 1)) == 1

    rect.refresh_from_db()
    assert rect.due_on == D(2027, 1, 13)  # 22 working days in December, 8 in January
    row = last_history(rect)
    assert row.history_user == supervisor
    assert row.history_change_reason == "工作日历变更，重新计算整改期限"
    short.refresh_from_db()
    assert short.due_on == D(2026, 12, 8)


def test_the_recomputation_leaves_checked_orders_alone(supervisor, library_without_2027):
    rect = RectificationFactory(
        confirmed=True,
        ordered_on=D(2026, 12, 1),
        workdays=30,
        reported_on=D(2026, 12, 2),
        checked_on=D(2026, 12, 2),
    )
    assert rect.due_on is None
    CalendarYearFactory(year=2027)
    assert service.recompute_due_dates(supervisor) == 0


# --- the facility's report ---------------------------------------------------------------------


def test_the_report_is_recorded_with_its_date(supervisor, ordered):
    reported = service.record_report(
        ordered,
        reported_on=D(2025, 4, 1),
        report="  已完成盘点。\n多收费用已退回。  ",
        user=supervisor,
        version=ordered.version,
    )
    reported.refresh_from_db()
    assert reported.status == RectificationStatus.REPORTED
    assert (reported.reported_on, reported.report) == (
        D(2025, 4, 1),
        "已完成盘点。\n多收费用已退回。",
    )
    row = last_history(reported)
    assert (row.history_user, row.history_change_reason) == (supervisor, "收到整改报告")


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"report": ""}, {"report": ["请填写整改报告摘要。"]}),
        ({"report": "字" * 2001}, {"report": ["最多2000个字符（当前2001个）。"]}),
        (
            {"reported_on": D(2025, 3, 13)},
            {"reported_on": ["整改报告收到日期不能早于责令整改日期。"]},
        ),
        (
            {"reported_on": datetime.date.today() + datetime.timedelta(days=2)},
            {"reported_on": ["日期不能晚于今天。"]},
        ),
    ],
    ids=["blank", "too-long", "before-order", "future"],
)
def test_a_bad_report_is_refused_and_nothing_is_written(supervisor, ordered, values, errors):
    arguments = {"reported_on": D(2025, 4, 1), "report": "已整改。", **values}
    assert_refused(
        lambda: service.record_report(
            ordered, user=supervisor, version=ordered.version, **arguments
        ),
        errors,
    )


def test_a_report_is_recorded_once(supervisor):
    rect = RectificationFactory(reported=True)
    assert_refused(
        lambda: service.record_report(
            rect, reported_on=D(2025, 4, 2), report="再次报告。", user=supervisor, version=1
        ),
        {"status": ["该整改已登记整改报告。"]},
    )


def test_a_report_on_a_stale_version_is_refused(supervisor, inspector, ordered):
    seen = ordered.version
    Rectification.objects.get(pk=ordered.pk).save()  # someone else saved it meanwhile
    before = snapshot()
    with pytest.raises(StaleEdit):
        service.record_report(
            ordered, reported_on=D(2025, 4, 1), report="已整改。", user=inspector, version=seen
        )
    assert snapshot() == before


# --- the follow-up inspection (复查) -------------------------------------------------------------


def follow_up(rect, user, **changes):
    values = {
        "checked_on": D(2025, 4, 15),
        "done": True,
        "outcome": "现场复查：进销存账实相符，多收费用已退回。",
        "version": rect.version,
    }
    return service.record_follow_up(rect, user=user, **{**values, **changes})


@pytest.mark.parametrize(
    ("done", "status", "reason"),
    [
        (True, RectificationStatus.CONFIRMED, "复查：整改到位"),
        (False, RectificationStatus.NOT_DONE, "复查：整改不到位"),
    ],
)
def test_the_follow_up_records_a_completed_follow_up_inspection(
    supervisor, team, done, status, reason
):
    rect = RectificationFactory(reported=True)

    checked = follow_up(rect, supervisor, done=done, inspectors=team)

    checked.refresh_from_db()
    assert checked.status == status
    assert checked.checked_on == D(2025, 4, 15)
    inspection = checked.follow_up
    assert inspection.facility == rect.facility
    assert inspection.kind == InspectionKind.FOLLOWUP
    assert inspection.status == InspectionStatus.COMPLETED
    assert inspection.start_date == inspection.end_date == D(2025, 4, 15)
    assert inspection.findings == checked.outcome == "现场复查：进销存账实相符，多收费用已退回。"
    assert set(inspection.inspectors.all()) == set(team)
    assert inspection.created_by == supervisor
    assert (last_history(checked).history_user, last_history(checked).history_change_reason) == (
        supervisor,
        reason,
    )
    created = inspection.history.order_by("history_id").first()
    assert (created.history_user, created.history_change_reason) == (supervisor, "依据责令整改复查")
    assert shown_reason(created.history_change_reason) == "依据责令整改复查"


def test_the_reasons_are_stored_in_chinese_whatever_the_language_of_the_user(supervisor, team):
    with translation.override("en"):
        rect = order(found_violation(), supervisor)
        rect = service.record_report(
            rect, reported_on=D(2025, 4, 1), report="已整改。", user=supervisor, version=1
        )
        rect = follow_up(rect, supervisor, inspectors=team)
        assert shown_reason("复查：整改到位") != "复查：整改到位"  # shown translated
    stored = rect.history.order_by("history_id").values_list("history_change_reason", flat=True)
    assert list(stored) == ["下达责令整改", "收到整改报告", "复查：整改到位"]
    created = rect.follow_up.history.order_by("history_id").first()
    assert created.history_change_reason == "依据责令整改复查"


def test_an_order_without_a_report_can_be_followed_up(supervisor, team):
    rect = RectificationFactory()
    assert follow_up(rect, supervisor, done=False, inspectors=team).status == (
        RectificationStatus.NOT_DONE
    )


def test_without_inspectors_the_acting_officer_alone_is_not_enough_on_site(inspector, team):
    InspectorFactory(user=inspector)
    rect = RectificationFactory()
    assert_refused(
        lambda: follow_up(rect, inspector),
        {"inspectors": ["现场检查至少需要2名检查人员，当前为1名。"]},
    )


def test_without_inspectors_an_account_without_an_officer_record_names_none(supervisor):
    rect = RectificationFactory()
    assert_refused(
        lambda: follow_up(rect, supervisor),
        {"inspectors": ["现场检查至少需要2名检查人员，当前为0名。"]},
    )


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"outcome": "  "}, {"outcome": ["请填写复查结论。"]}),
        ({"outcome": "字" * 2001}, {"outcome": ["最多2000个字符（当前2001个）。"]}),
        ({"checked_on": D(2025, 3, 13)}, {"checked_on": ["复查日期不能早于责令整改日期。"]}),
        ({"checked_on": D(2025, 3, 31)}, {"checked_on": ["复查日期不能早于整改报告收到日期。"]}),
        (
            {"checked_on": datetime.date.today() + datetime.timedelta(days=2)},
            {"checked_on": ["日期不能晚于今天。"]},
        ),
    ],
    ids=["blank", "too-long", "before-order", "before-report", "future"],
)
def test_a_bad_follow_up_is_refused_and_no_inspection_is_recorded(supervisor, team, values, errors):
    rect = RectificationFactory(reported=True)
    assert_refused(lambda: follow_up(rect, supervisor, inspectors=team, **values), errors)


def test_a_checked_order_is_not_followed_up_again(supervisor, team):
    rect = RectificationFactory(confirmed=True)
    assert_refused(
        lambda: follow_up(rect, supervisor, inspectors=team),
        {"status": ["该整改已复查，不能再登记。"]},
    )
    assert_refused(
        lambda: service.record_report(
            rect, reported_on=D(2025, 4, 2), report="补充报告。", user=supervisor, version=None
        ),
        {"status": ["该整改已复查，不能再登记。"]},
    )


def test_a_follow_up_on_a_stale_version_is_refused(supervisor, team):
    rect = RectificationFactory()
    seen = rect.version
    service.record_report(
        rect, reported_on=D(2025, 4, 1), report="已整改。", user=supervisor, version=seen
    )
    before = snapshot()
    with pytest.raises(StaleEdit):
        follow_up(rect, supervisor, inspectors=team, version=seen)
    assert snapshot() == before


def test_the_database_keeps_a_follow_up_to_one_order(supervisor, team):
    first = follow_up(RectificationFactory(), supervisor, inspectors=team)
    other = RectificationFactory()
    other.follow_up = first.follow_up
    other.checked_on = D(2025, 4, 15)
    other.status = RectificationStatus.CONFIRMED
    with pytest.raises(ValidationError):
        other.full_clean()


def test_the_model_refuses_an_order_or_follow_up_of_another_facility():
    rect = RectificationFactory.build(inspection=InspectionFactory(completed=True))
    rect.facility = FacilityFactory()
    with pytest.raises(ValidationError) as caught:
        rect.full_clean()
    assert caught.value.message_dict == {"facility": ["机构应是被责令整改的检查的机构。"]}
    checked = RectificationFactory(confirmed=True)
    checked.follow_up = InspectionFactory(completed=True)
    with pytest.raises(ValidationError) as caught:
        checked.full_clean()
    assert caught.value.message_dict == {"follow_up": ["复查应是对同一机构的检查。"]}


# --- districts ---------------------------------------------------------------------------------


@pytest.fixture
def chengguan_only(supervisor):
    UserDistrictFactory(user=supervisor, district=District.CHENGGUAN)
    return type(supervisor).objects.get(pk=supervisor.pk)


def test_a_limited_account_cannot_order_in_another_district(chengguan_only):
    inspection = found_violation(facility=FacilityFactory(district=District.DAGZE))
    before = snapshot()
    with pytest.raises(PermissionDenied):
        order(inspection, chengguan_only)
    assert snapshot() == before
    assert order(found_violation(), chengguan_only).facility.district == District.CHENGGUAN


def test_a_limited_account_cannot_report_or_follow_up_in_another_district(chengguan_only, team):
    dagze = FacilityFactory(district=District.DAGZE)
    ordered = RectificationFactory(inspection__facility=dagze)
    reported = RectificationFactory(inspection__facility=dagze, reported=True)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        service.record_report(
            ordered,
            reported_on=D(2025, 4, 1),
            report="已整改。",
            user=chengguan_only,
            version=ordered.version,
        )
    with pytest.raises(PermissionDenied):
        follow_up(reported, chengguan_only, inspectors=team)
    assert snapshot() == before
