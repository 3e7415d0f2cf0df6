"""报表: choose a month or a year and a format, download the report for the region.

Who may: supervision.reports.may_make_reports (supervisors, auditors, superusers). The report
covers what the user may see (their districts; supervision.services.figures.Scope) and says so;
each download is recorded in the audit log like an export of a list.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.generic import View

from supervision.choices import District
from supervision.formats.punctuation import listed
from supervision.formats.values import who
from supervision.forms.reports import PDF, XLSX, ReportForm
from supervision.models import Sanction
from supervision.pdf import FontMissing
from supervision.reports import (
    Period,
    Scope,
    build_report,
    may_make_reports,
    to_pdf,
    to_xlsx,
)
from supervision.scoping import user_districts
from supervision.services.audit_events import record_export
from supervision.views.base import StaffView

CONTENT_TYPES = {
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    PDF: "application/pdf",
}


class ReportView(StaffView, PermissionRequiredMixin, View):
    """GET without a choice shows the form; with one, the file, or the form with what is wrong."""

    model = Sanction
    template_name = "reports/index.html"
    # The figures are read, never written (the audit event is written to the primary).
    replica_reads = True

    def has_permission(self) -> bool:
        return may_make_reports(self.request.user)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        today = timezone.localdate()
        chosen = any(name in request.GET for name in ("year", "month", "format"))
        form = ReportForm(request.GET if chosen else None, today=today, initial=defaults(today))
        if chosen and form.is_valid() and form.period is not None:
            choice = form.cleaned_data["format"]
            report = build_report(Scope(request.user), form.period, made_by=who(request.user))
            try:
                content = to_xlsx(report) if choice == XLSX else to_pdf(report)
            except FontMissing as missing:
                form.add_error("format", str(missing))
            else:
                record_export(
                    request,
                    list_name=report.filename,
                    export_format=choice,
                    rows=report.row_count(),
                )
                response = HttpResponse(content, content_type=CONTENT_TYPES[choice])
                response["Content-Disposition"] = (
                    f'attachment; filename="{report.filename}.{choice}"'
                )
                return response
        districts = user_districts(request.user)
        context = {
            "form": form,
            "districts": (
                listed(d.label for d in District if d.value in districts) if districts else ""
            ),
        }
        return render(request, self.template_name, context, status=400 if form.errors else 200)


def last_month(today: datetime.date) -> Period:
    """What the form offers first: the monthly report is made after its month has ended."""
    day = today.replace(day=1) - datetime.timedelta(days=1)
    return Period(day.year, day.month)


def defaults(today: datetime.date) -> dict[str, Any]:
    period = last_month(today)
    return {"year": str(period.year), "month": str(period.month), "format": XLSX}


urlpatterns = [path("", ReportView.as_view(), name="reports")]
