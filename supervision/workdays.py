"""Statutory working days (法定工作日): weekdays, less the public holidays, plus the make-up
working days (调休) that the State Council publishes for each year.

Two sources, in this order: the days an administrator entered (supervision.models.CalendarDay,
for a year the library does not know yet, or a correction), then the chinesecalendar library.
A year is known when the library has it or an administrator has entered it as a whole
(CalendarYear); a date in any other year raises UnknownYear, so a deadline that falls there is
reported as unknown instead of guessed. Periods are counted the statutory way: the day the
period starts from does not count; the deadline is the Nth working day after it.

Calendar.load() reads the entered days (two small queries) for one piece of work; nothing is
cached between requests, so an entry in the admin counts at once in every process.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import chinese_calendar
from django.utils.translation import gettext as _

# The longest run of days without a working day (the Spring Festival and National Day weeks
# are 8 or 9): a search that passes this many calendar days is a broken schedule.
_MAX_GAP = 31


class UnknownYear(Exception):
    """The working days of a year are not known: neither the library nor an administrator has
    its schedule."""

    def __init__(self, year: int) -> None:
        super().__init__(year)
        self.year = year

    def __str__(self) -> str:
        return _("%(year)d年的节假日安排尚未录入，期限无法计算。") % {"year": self.year}


def _library_years() -> tuple[int, int]:
    years = [day.year for day in chinese_calendar.holidays]
    return min(years), max(years)


LIBRARY_YEARS = _library_years()


@dataclass(frozen=True)
class Calendar:
    """The schedule as entered now (two small queries to load); ask it as often as needed."""

    entered_days: dict[datetime.date, bool]
    entered_years: frozenset[int]

    @classmethod
    def load(cls) -> Calendar:
        from supervision.models import CalendarDay, CalendarYear

        return cls(
            entered_days=dict(CalendarDay.objects.values_list("day", "is_workday")),
            entered_years=frozenset(CalendarYear.objects.values_list("year", flat=True)),
        )

    def known_year(self, year: int) -> bool:
        first, last = LIBRARY_YEARS
        return first <= year <= last or year in self.entered_years

    def is_workday(self, day: datetime.date) -> bool:
        """Whether day is a statutory working day; UnknownYear when its year is not known."""
        if day in self.entered_days:
            return self.entered_days[day]
        if day.year in self.entered_years:
            return day.weekday() < 5
        if not self.known_year(day.year):
            raise UnknownYear(day.year)
        return chinese_calendar.is_workday(day)

    def add_workdays(self, start: datetime.date, count: int) -> datetime.date:
        """The count-th working day after start (start itself not counted); count ≥ 1."""
        if count < 1:
            raise ValueError("count must be at least 1")
        day = start
        found = 0
        gap = 0
        while found < count:
            day += datetime.timedelta(days=1)
            if self.is_workday(day):
                found += 1
                gap = 0
            else:
                gap += 1
                if gap > _MAX_GAP:
                    raise ValueError(f"no working day in {_MAX_GAP} days after {day}")
        return day

    def workdays_between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days after start up to and including end (negative: end before start)."""
        if end < start:
            return -self.workdays_between(end, start)
        day, count = start, 0
        while day < end:
            day += datetime.timedelta(days=1)
            count += self.is_workday(day)
        return count

    def deadline(self, start: datetime.date, count: int) -> datetime.date | None:
        """add_workdays(), or None when the deadline falls in (or runs through) an unknown
        year."""
        try:
            return self.add_workdays(start, count)
        except UnknownYear:
            return None
