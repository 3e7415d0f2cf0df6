"""The statutory working-day clock (supervision.workdays) over real calendar edges, against the
real chinesecalendar data, and through the tip services that keep the clock on each tip.

The dates below were checked by hand against the State Council's notices the library holds:

- 2025 National Day and Mid-Autumn (the notice for 2025, published November 2024): off Wed
  1 Oct to Wed 8 Oct; make-up working days Sun 28 Sep and Sat 11 Oct.
- 2026 New Year's Day (the notice for 2026, published November 2025): off Thu 1 Jan to Sat
  3 Jan; make-up working day Sun 4 Jan.
- 2027: not in the library (chinesecalendar 1.11 knows 2004–2026), so "a year the calendar does
  not know". The schedule entered for 2027 in these tests is the test's own (1 Jan off), not a
  claim about the real 2027 notice.

A period is counted the statutory way: the day it starts from does not count; the deadline is
the Nth working day after it.
"""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from supervision.choices import TipChannel, TipClock, TipStatus
from supervision.models import CalendarDay, CalendarYear, Tip
from supervision.services import tips
from supervision.workdays import LIBRARY_YEARS, Calendar, UnknownYear
from tests.factories import FacilityFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = datetime.date


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """A moment in the bureau's time zone."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def calendar(db) -> Calendar:
    return Calendar.load()


def enter_2027(user=None) -> None:
    """An administrator enters 2027 (in this test: New Year's Day, Fri 1 Jan, off; no make-up
    day)."""
    CalendarYear.objects.create(
        year=2027,
        notice="示例：国办发明电〔2026〕示例号",
        published_on=D(2026, 11, 10),
        entered_by=user,
    )
    CalendarDay.objects.create(day=D(2027, 1, 1), is_workday=False, name="元旦")


def test_the_library_knows_2004_to_2026():
    """The tests below take 2027 as the unknown year: when the library learns it, move them to
    the next unknown year."""
    assert LIBRARY_YEARS == (2004, 2026)


# --- The calendar itself ------------------------------------------------------------------------


def test_the_make_up_days_and_the_holiday_of_national_day_2025(calendar):
    assert calendar.is_workday(D(2025, 9, 28))  # Sunday, make-up working day
    assert calendar.is_workday(D(2025, 10, 11))  # Saturday, make-up working day
    assert not calendar.is_workday(D(2025, 9, 27))  # an ordinary Saturday
    assert not any(calendar.is_workday(D(2025, 10, day)) for day in range(1, 9))
    assert calendar.is_workday(D(2025, 10, 9))


def test_acceptance_of_a_tip_received_the_thursday_before_national_day(calendar):
    """Received Thu 25 Sep 2025. Working days after it: Fri 26 (1), Sun 28 make-up (2), Mon 29
    (3), Tue 30 (4), then 1–8 Oct off, Thu 9 Oct (5)."""
    assert calendar.add_workdays(D(2025, 9, 25), 5) == D(2025, 10, 9)
    assert calendar.deadline(D(2025, 9, 25), 5) == D(2025, 10, 9)


def test_an_investigation_clock_runs_across_the_make_up_saturday(calendar):
    """Accepted Tue 30 Sep 2025, 30 working days: 9 Oct (1), 10 Oct (2), Sat 11 Oct make-up (3),
    13–17 Oct (8), 20–24 (13), 27–31 (18), 3–7 Nov (23), 10–14 (28), 17 Nov (29), 18 Nov (30).
    Without the make-up Saturday it would be 19 Nov."""
    assert calendar.add_workdays(D(2025, 10, 10), 1) == D(2025, 10, 11)
    assert calendar.deadline(D(2025, 9, 30), 30) == D(2025, 11, 18)


def test_a_tip_received_at_the_end_of_2025_runs_over_new_year(calendar):
    """Received Tue 30 Dec 2025: Wed 31 Dec (1), 1–3 Jan off, Sun 4 Jan make-up (2), 5 Jan (3),
    6 Jan (4), 7 Jan (5). Received Wed 31 Dec: 4 Jan (1) … 8 Jan (5)."""
    assert calendar.deadline(D(2025, 12, 30), 5) == D(2026, 1, 7)
    assert calendar.deadline(D(2025, 12, 31), 5) == D(2026, 1, 8)
    assert calendar.deadline(D(2025, 12, 31), 1) == D(2026, 1, 4)


def test_a_deadline_in_a_year_the_calendar_does_not_know_is_unknown(calendar):
    """Received Wed 30 Dec 2026: Thu 31 Dec is the first working day, the rest falls in 2027."""
    assert calendar.deadline(D(2026, 12, 30), 1) == D(2026, 12, 31)
    assert calendar.deadline(D(2026, 12, 30), 5) is None
    assert not calendar.known_year(2027)
    with pytest.raises(UnknownYear) as raised:
        calendar.is_workday(D(2027, 1, 4))
    assert raised.value.year == 2027
    with translation.override("zh-hans"):
        assert str(raised.value) == "2027年的节假日安排尚未录入，期限无法计算。"


def test_once_an_administrator_enters_2027_the_deadline_is_a_date(db):
    enter_2027()
    calendar = Calendar.load()
    assert calendar.known_year(2027)
    # Thu 31 Dec (1), Fri 1 Jan entered as a holiday, Mon 4 Jan (2) … Thu 7 Jan (5).
    assert calendar.deadline(D(2026, 12, 30), 5) == D(2027, 1, 7)
    # The rest of an entered year is the plain week.
    assert calendar.is_workday(D(2027, 6, 1))
    assert not calendar.is_workday(D(2027, 6, 5))
    # Entered days alone (no CalendarYear) do not make a year known.
    assert not calendar.known_year(2028)


def test_an_entered_day_overrides_the_library(db):
    """A correction: 9 Oct 2025 entered as a day off moves the deadline to Fri 10 Oct; a Saturday
    entered as a working day counts."""
    CalendarDay.objects.create(day=D(2025, 10, 9), is_workday=False, name="示例更正")
    CalendarDay.objects.create(day=D(2025, 9, 27), is_workday=True, name="示例调休")
    calendar = Calendar.load()
    assert not calendar.is_workday(D(2025, 10, 9))
    # Fri 26 (1), Sat 27 entered (2), Sun 28 (3), Mon 29 (4), Tue 30 (5).
    assert calendar.deadline(D(2025, 9, 25), 5) == D(2025, 9, 30)
    assert calendar.add_workdays(D(2025, 10, 8), 1) == D(2025, 10, 10)


def test_workdays_between(calendar):
    assert calendar.workdays_between(D(2025, 9, 25), D(2025, 10, 9)) == 5
    assert calendar.workdays_between(D(2025, 9, 30), D(2025, 10, 8)) == 0
    assert calendar.workdays_between(D(2025, 10, 9), D(2025, 9, 25)) == -5
    assert calendar.workdays_between(D(2025, 9, 25), D(2025, 9, 25)) == 0
    assert calendar.workdays_between(D(2025, 12, 30), D(2026, 1, 7)) == 5
    with pytest.raises(UnknownYear):
        calendar.workdays_between(D(2026, 12, 30), D(2027, 1, 8))


def test_add_workdays_wants_at_least_one(calendar):
    with pytest.raises(ValueError):
        calendar.add_workdays(D(2025, 9, 25), 0)


# --- Through the services ------------------------------------------------------------------------


def register(user, received_at: datetime.datetime, facility=None) -> Tip:
    return tips.register_tip(
        channel=TipChannel.NATIONAL_HOTLINE,
        received_at=received_at,
        allegation="示例举报：虚构药品进货。",
        facility=facility or FacilityFactory(),
        user=user,
    )


def test_register_tip_starts_the_acceptance_clock(tip_desk):
    tip = register(tip_desk, at(2025, 9, 25))
    assert (tip.status, tip.clock) == (TipStatus.RECEIVED, TipClock.ACCEPTANCE)
    assert tip.acceptance_due == tip.due_on == D(2025, 10, 9)


def test_late_in_the_evening_is_still_that_day_in_lhasa(tip_desk):
    """23:30 on Thu 25 Sep (Asia/Shanghai) is the 25th, though it is 15:30 UTC. 07:30 on Fri 26
    Sep local is 23:30 UTC on the 25th, and counts as the 26th: Sun 28 (1), 29 (2), 30 (3),
    9 Oct (4), 10 Oct (5)."""
    late = register(tip_desk, at(2025, 9, 25, 23, 30))
    assert tips.received_day(late) == D(2025, 9, 25)
    assert late.acceptance_due == D(2025, 10, 9)
    utc_late = register(tip_desk, datetime.datetime(2025, 9, 25, 23, 30, tzinfo=datetime.UTC))
    assert tips.received_day(utc_late) == D(2025, 9, 26)
    assert utc_late.acceptance_due == D(2025, 10, 10)


def test_accept_starts_the_investigation_clock_and_extension_moves_it(tip_desk):
    tip = register(tip_desk, at(2025, 9, 25))
    tip = tips.accept_tip(tip, on=D(2025, 9, 30), user=tip_desk, inspection_kind=None)
    assert (tip.status, tip.clock) == (TipStatus.ACCEPTED, TipClock.INVESTIGATION)
    assert tip.due_on == D(2025, 11, 18)
    assert tip.acceptance_due == D(2025, 10, 9)  # kept, for the record
    tips.extend_investigation(
        tip, working_days=10, reason="需调取外省购销记录。", on=D(2025, 11, 10), user=tip_desk
    )
    tip.refresh_from_db()
    # 19–21 Nov (33), 24–28 Nov (38), 1 Dec (39), 2 Dec (40).
    assert (tip.extension_days, tip.due_on) == (10, D(2025, 12, 2))


def test_recompute_deadlines_fills_the_unknown_ones_once_2027_is_entered(tip_desk, superuser):
    """Accepted Fri 20 Nov 2026: 30 working days end in January 2027, unknown today. After 2027
    is entered: 23 Nov–31 Dec are 29 working days, 1 Jan is off, Mon 4 Jan is the 30th."""
    tip = register(tip_desk, at(2026, 11, 18))
    tip = tips.accept_tip(tip, on=D(2026, 11, 20), user=tip_desk, inspection_kind=None)
    assert tip.clock == TipClock.INVESTIGATION
    assert tip.due_on is None
    received = register(tip_desk, at(2025, 9, 25))  # known already: left as it is
    assert tips.recompute_deadlines(superuser) == 0
    enter_2027(superuser)
    assert tips.recompute_deadlines(superuser) == 1
    tip.refresh_from_db()
    assert tip.due_on == D(2027, 1, 4)
    received.refresh_from_db()
    assert received.due_on == D(2025, 10, 9)
    latest = tip.history.latest("history_id")
    assert latest.history_user == superuser
    assert latest.history_change_reason == "工作日历变更，重新计算期限"
    assert tips.recompute_deadlines(superuser) == 0


def test_a_calendar_change_recomputes_only_the_deadlines_it_can_move(tip_desk, superuser):
    """A correction of a day moves no deadline that fell before it: those are not read again
    (a change in December of next year's schedule reads the few tips near the year's end)."""
    early = register(tip_desk, at(2025, 9, 25))  # acceptance due 2025-10-09
    late = register(tip_desk, at(2025, 11, 3))  # acceptance due 2025-11-10
    # Declare Fri 7 Nov 2025 a day off: the late deadline moves a day, the early one cannot.
    CalendarDay.objects.create(day=D(2025, 11, 7), is_workday=False, name="示例更正")
    with CaptureQueriesContext(connection) as reads:
        assert tips.recompute_deadlines(superuser, since=D(2025, 11, 7)) == 1
    late.refresh_from_db()
    early.refresh_from_db()
    assert late.due_on == D(2025, 11, 11)
    assert early.due_on == D(2025, 10, 9)
    read_again = {
        re.search(r'WHERE "supervision_tip"\."id" = (\d+)', q["sql"]).group(1)
        for q in reads.captured_queries
        if q["sql"].startswith("SELECT") and 'WHERE "supervision_tip"."id" = ' in q["sql"]
    }
    assert read_again == {str(late.pk)}  # the late tip only: the early one is not even read
