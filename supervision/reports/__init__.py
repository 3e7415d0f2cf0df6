"""Reports for the region (报表): the city's monthly and annual figures as XLSX and PDF.

    report = build_report(Scope(user), parse_period("2024", "", today=...), made_by=...)
    to_xlsx(report), to_pdf(report)

sections builds the report from supervision.services.figures (the functions the overview uses)
and says what each figure counts by; content holds its shape, its period and who may make it;
xlsx and pdf write it. The page is supervision.views.reports,
the scheduled run `manage.py make_report`.
"""

from __future__ import annotations

from supervision.reports.content import (
    DETAIL_LIMIT,
    REPORT_PERMISSIONS,
    PeriodError,
    Report,
    Table,
    may_make_reports,
    parse_period,
    period_label,
)
from supervision.reports.pdf import to_pdf
from supervision.reports.sections import build_report
from supervision.reports.xlsx import to_xlsx
from supervision.services.figures import Period, Scope

__all__ = [
    "DETAIL_LIMIT",
    "REPORT_PERMISSIONS",
    "Period",
    "PeriodError",
    "Report",
    "Scope",
    "Table",
    "build_report",
    "may_make_reports",
    "parse_period",
    "period_label",
    "to_pdf",
    "to_xlsx",
]
