"""What a report holds (sections of tables, each saying what it counts by), its period, and who
may make one (supervision.reports).

build_report() (reports.sections) counts a period with supervision.services.figures, the
functions the overview (总览) uses, so the report and the overview agree by construction. Every
figure is derived from records dated in the period (rating year, inspection start date,
decision, referral and receipt dates; an outcome as of the period's last day, from the dates of
its steps), never from today's state: a report of a past period comes out the same when records
of other periods are added. Each section says what it counts by; the cover says the period, the
districts the report covers (an account limited to some districts gets those only), who made it
and when.

The report is built whole, in a constant number of queries whatever the size of the tables;
the writers (xlsx, pdf) then read nothing from the database.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supervision.formats.punctuation import bracketed
from supervision.formats.values import DASH, cny
from supervision.models.rating import MIN_RATING_YEAR
from supervision.scoping import UserLike
from supervision.services.figures import Period

BUREAU = gettext_lazy("拉萨市医疗保障局")
# Rows of a detail list (the measures, the referrals) a report holds at most; the note under
# the list says when there were more (the lists of the records pages export them all).
DETAIL_LIMIT = 500
FIRST_YEAR = MIN_RATING_YEAR

# Who may make a report: whoever may read every record it counts and their change history —
# the section heads (supervisors) and the auditors, as for the audit log; not the inspectors,
# the tip desk or the credit evaluators, who each keep one part of the record. A report to the
# region is the bureau's account of the whole; every permission is required (has_perms).
_REPORTED = ("facility", "creditrating", "inspection", "referral", "sanction", "tip", "tipreward")
REPORT_PERMISSIONS = tuple(
    f"supervision.{action}{model}" for model in _REPORTED for action in ("view_", "view_historical")
)


def may_make_reports(user: UserLike) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.has_perms(REPORT_PERMISSIONS)


# --- The period ---------------------------------------------------------------------------------


class PeriodError(ValueError):
    """A period a report cannot be made for; the message says why, in words a clerk reads, and
    field which input it is about ("year" or "month")."""

    def __init__(self, message: str, field: str = "year") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def parse_period(year: object, month: object = None, *, today: datetime.date) -> Period:
    """The period of year ("2024") and month ("3", "03"; empty: the whole year), refused with
    PeriodError when malformed, out of range or not begun by today."""
    year_text = str(year if year is not None else "").strip()
    month_text = str(month if month is not None else "").strip()
    if not year_text:
        raise PeriodError(_("请填写年度。"))
    if not (year_text.isascii() and year_text.isdigit() and len(year_text) == 4):
        raise PeriodError(_("年度应为四位数字，例如2024。"))
    number = int(year_text)
    if number < FIRST_YEAR:
        raise PeriodError(_("年度不能早于%(year)d年。") % {"year": FIRST_YEAR})
    chosen: int | None = None
    if month_text:
        if not (month_text.isascii() and month_text.isdigit() and len(month_text) <= 2):
            raise PeriodError(_("月份应为1至12的数字。"), "month")
        chosen = int(month_text)
        if not 1 <= chosen <= 12:
            raise PeriodError(_("月份应为1至12的数字。"), "month")
    period = Period(number, chosen)
    if period.first > today:
        raise PeriodError(
            _("%(period)s尚未开始，不能生成报表。") % {"period": period_label(period)},
            "month" if period.year == today.year else "year",
        )
    return period


def span(period: Period) -> str:
    return _("%(first)s至%(last)s") % {
        "first": period.first.isoformat(),
        "last": period.last.isoformat(),
    }


def period_text(report: Report) -> str:
    """2024年（2024-01-01至2024-12-31）."""
    return bracketed(period_label(report.period), span(report.period))


def period_label(period: Period) -> str:
    if period.month is None:
        return _("%(year)d年") % {"year": period.year}
    return _("%(year)d年%(month)d月") % {"year": period.year, "month": period.month}


# --- What a report holds -----------------------------------------------------------------------

TEXT, COUNT, MONEY, PERCENT, MONTHS, DAYS, DATE = (
    "text",
    "count",
    "money",
    "percent",
    "months",
    "days",
    "date",
)


@dataclass(frozen=True)
class Column:
    """A column: its header, the kind of its values (how they are formatted) and its width in
    characters. A count's unit (家, 件, 次) goes into its number format."""

    header: str
    kind: str = TEXT
    unit: str = ""
    width: int = 12


@dataclass(frozen=True)
class Chart:
    """Bars of one numeric column, one bar per row (the total row aside), labelled by the
    first column."""

    title: str
    column: int


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    total: list[Any] | None = None
    chart: Chart | None = None
    note: str = ""

    def row(self, *labels: object) -> list[Any] | None:
        """The first row whose leading cells are labels (or the total row, 合计)."""
        for row in [*self.rows, *([self.total] if self.total else [])]:
            if [str(cell) for cell in row[: len(labels)]] == [str(x) for x in labels]:
                return row
        return None


@dataclass
class Section:
    sheet: str
    title: str
    basis: str
    tables: list[Table] = field(default_factory=list)


@dataclass
class Report:
    period: Period
    title: str
    bureau: str
    coverage: str
    made_at: datetime.datetime
    made_by: str
    complete: bool
    sections: list[Section]

    def table(self, key: str) -> Table:
        for section in self.sections:
            for table in section.tables:
                if table.key == key:
                    return table
        raise KeyError(key)

    @property
    def filename(self) -> str:
        return f"report-{self.period.slug}"

    def row_count(self) -> int:
        return sum(len(t.rows) for s in self.sections for t in s.tables)


# Control and format characters (bidirectional overrides included) are dropped from every text
# a file shows: a spreadsheet's XML cannot hold most of them, and a PDF would draw nothing.
def plain(value: object) -> str:
    """Text as it may go into a cell: control and format characters dropped."""
    text = "" if value is None else str(value)
    return "".join(ch for ch in text if ch in "\n" or unicodedata.category(ch)[0] != "C")


def shown(value: object, kind: str) -> str:
    """A value as the PDF shows it."""
    if value is None or value == "":
        return DASH if kind != TEXT else ""
    if kind == MONEY:
        return cny(value)
    if kind == PERCENT:
        return f"{Decimal(str(value)) * 100:.2f}%"
    if kind in (COUNT, MONTHS, DAYS):
        return f"{int(value):,}"
    if kind == DATE and isinstance(value, datetime.date):
        return value.isoformat()
    return plain(value)
