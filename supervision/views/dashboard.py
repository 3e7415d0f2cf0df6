"""总览: the figures of a year and of today, each linking to the list behind it.

Every figure says what it counts by: the grades by rating year (评级年度); the handling of those
grades by the rating it rests on (decided in the following year, e.g. 2025 for 2024 grades),
with the decision dates; the sanctions decided within the calendar year by decision date; the
inspections and their money by start date; suspensions and open referrals as of today.

The figures are computed by supervision.services.figures, which the reports for the region
(报表) use too: the two agree by construction. This view adds the labels and the links.

A constant number of queries whatever the size of the tables, and none reads a large table:
the grades of a year and the inspections and money of a month or a year come from the running
totals that database triggers keep (GradeTally, InspectionTally: a few rows per district and
key); today's suspensions, the open referrals and the year's sanctions are index range reads of
small tables; every "latest" list is a bounded slice; the practitioners suspended or terminated
today are found from the few qualification measures in force. Every figure is exact and current.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from supervision.choices import (
    AgreementStatus,
    Grade,
    InspectionKind,
    QualificationStatus,
    SanctionKind,
    TipChannel,
    TipStatus,
)
from supervision.forms.fields import plain_id
from supervision.models import (
    EvaluationCycle,
    Facility,
    Practitioner,
    RatingChange,
    Sanction,
    Tip,
)
from supervision.models.rating import MAX_RATING_YEAR, MIN_RATING_YEAR
from supervision.scoping import can_view
from supervision.services import figures
from supervision.services.ratings import default_rating_year, rated_years
from supervision.services.tips import tip_panel
from supervision.views.base import StaffView

LATEST = 8

# The bar chart's geometry (SVG user units); the labels sit left of the bars.
CHART_WIDTH = 560
CHART_LABEL = 70
CHART_VALUE = 70
CHART_ROW = 40
CHART_BAR = 26


@dataclass(frozen=True)
class Figure:
    """A labelled count or amount and the list it stands for."""

    key: str
    label: str
    value: int | Decimal
    url: str


def link(name: str, params: list[tuple[str, object]] | None = None) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(params, doseq=True)}" if params else url


class DashboardView(StaffView, TemplateView):
    model = Facility
    template_name = "dashboard/index.html"
    replica_reads = True  # supervision.db_routers

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        # The rated years from the grade totals (one small read); the default is the latest
        # that has ended, or last year (the next to be rated) when none is.
        rated = rated_years()
        default = default_rating_year(today, rated) or today.year - 1
        year = self.chosen_year(default)
        years = sorted({*rated, default, year}, reverse=True)
        context.update(
            today=today,
            year=year,
            years=years,
            year_defaulted=year == default and "year" not in self.request.GET,
            grades=self.grade_figures(year),
            suspended=self.suspended_today(today),
            referrals=self.open_referrals(),
            inspections=self.inspections_this_month(today),
            amounts=self.amounts(year),
            sanctions=self.sanctions_of_year(year),
            handling=self.handling_of_grades(year),
            sanctions_url=link(
                "sanction-list",
                [
                    ("decided_on_after", f"{year:04d}-01-01"),
                    ("decided_on_before", f"{year:04d}-12-31"),
                ],
            ),
            latest_changes=self.latest_changes(),
            latest_sanctions=self.latest_sanctions(),
            tips=self.tips(today),
            credit=self.credit_cycles(),
            practitioners=self.practitioners_today(today),
        )
        context["grade_total"] = sum(f.value for f in context["grades"])
        context["chart"] = self.chart(context["grades"])
        return context

    @property
    def scope(self) -> figures.Scope:
        return figures.Scope(self.request.user)

    # The year -----------------------------------------------------------------------------

    def chosen_year(self, default: int) -> int:
        """?year= when it is a year a rating may have, else default (the latest rated year)."""
        year = plain_id(self.request.GET.get("year"))
        if year is not None and MIN_RATING_YEAR <= year <= MAX_RATING_YEAR:
            return year
        return default

    # Figures: computed by supervision.services.figures (the reports count the same) --------

    def grade_figures(self, year: int) -> list[Figure]:
        """Facilities rated A–D for year, from the districts' running totals."""
        counts = figures.grades_of_year(self.scope, year).by_grade
        return [
            Figure(
                grade.value,
                str(grade.label),
                counts[grade.value],
                link("facility-list", [("year", year), ("grade", grade.value)]),
            )
            for grade in Grade
        ]

    def suspended_today(self, today: datetime.date) -> Figure:
        """Facilities whose agreement is suspended today (and not terminated)."""
        return Figure(
            AgreementStatus.SUSPENDED.value,
            str(AgreementStatus.SUSPENDED.label),
            figures.suspended_on(self.scope, today),
            link("facility-list", [("agreement_status", AgreementStatus.SUSPENDED.value)]),
        )

    def practitioners_today(self, today: datetime.date) -> list[Figure] | None:
        """Practitioners whose payment qualification is suspended, and terminated, today.
        None without view_practitioner."""
        if not can_view(self.request.user, Practitioner):
            return None
        counts = figures.practitioners_with_status(self.scope, today)
        return [
            Figure(
                status.value,
                str(status.label),
                counts[status.value],
                link("practitioner-list", [("status", status.value)]),
            )
            for status in (QualificationStatus.SUSPENDED, QualificationStatus.TERMINATED)
        ]

    def tips(self, today: datetime.date) -> dict[str, Any] | None:
        """Tips received this month by channel; the running clocks overdue, due soon or in a
        year the calendar does not know (services.tips.tip_panel). None without view_tip."""
        if not can_view(self.request.user, Tip):
            return None
        panel = tip_panel(self.request.user, today)
        since = [("received_after", panel.month_start.isoformat())]
        labels = dict(TipChannel.choices)
        codes = {str(label): value for value, label in labels.items()}
        by_channel = [
            Figure(
                codes.get(label, ""),
                label,
                count,
                link("tip-list", [*since, ("channel", codes.get(label, ""))]),
            )
            for label, count in panel.by_channel
        ]
        clocks = [
            Figure("overdue", _("已逾期"), panel.overdue, link("tip-list", [("clock", "overdue")])),
            Figure(
                "due_soon", _("即将到期"), panel.due_soon, link("tip-list", [("clock", "due_soon")])
            ),
            Figure(
                "unknown", _("期限未知"), panel.unknown, link("tip-list", [("clock", "unknown")])
            ),
        ]
        open_statuses = [TipStatus.RECEIVED, TipStatus.ACCEPTED, TipStatus.INVESTIGATING]
        return {
            "month_start": panel.month_start,
            "received": panel.received,
            "received_url": link("tip-list", since),
            "by_channel": by_channel,
            "clocks": clocks,
            "open_url": link("tip-list", [("status", s.value) for s in open_statuses]),
        }

    def credit_cycles(self) -> dict[str, Any] | None:
        """The annual evaluations in progress and those of the latest finalised year.
        None without view_evaluationcycle."""
        if not can_view(self.request.user, EvaluationCycle):
            return None
        cycles = figures.credit_cycles()
        return {
            "in_progress": cycles.in_progress,
            "latest_year": cycles.latest_year,
            "latest": cycles.latest,
        }

    def open_referrals(self) -> dict[str, Any]:
        counts = figures.open_referrals(self.scope)
        by_status = [
            Figure(
                status.value,
                str(status.label),
                counts[status.value],
                link("referral-list", [("status", status.value)]),
            )
            for status in figures.OPEN_REFERRAL_STATUSES
        ]
        return {
            "total": sum(counts.values()),
            "url": link(
                "referral-list", [("status", s.value) for s in figures.OPEN_REFERRAL_STATUSES]
            ),
            "by_status": by_status,
        }

    def inspections_this_month(self, today: datetime.date) -> dict[str, Any]:
        month = figures.month_of(today)
        first, last = month.first, month.last
        period = [("start_date_after", first.isoformat()), ("start_date_before", last.isoformat())]
        by_kind = figures.inspections_by_kind(self.scope, first, first)
        return {
            "first": first,
            "last": last,
            "total": figures.total(by_kind.values()).count,
            "url": link("inspection-list", period),
            "by_kind": [
                Figure(
                    kind.value,
                    str(kind.label),
                    by_kind[kind.value].count,
                    link("inspection-list", [*period, ("kind", kind.value)]),
                )
                for kind in InspectionKind
            ],
        }

    def amounts(self, year: int) -> dict[str, Any]:
        """Money involved and recovered by the inspections that began in year: the sum of its
        months' totals."""
        period = figures.Period(year)
        sums = figures.total(
            figures.inspections_by_kind(self.scope, period.first, period.last_month).values()
        )
        return {
            "count": sums.count,
            "involved": sums.involved,
            "recovered": sums.recovered,
            "url": link(
                "inspection-list",
                [
                    ("start_date_after", period.first.isoformat()),
                    ("start_date_before", period.last.isoformat()),
                ],
            ),
        }

    def sanctions_of_year(self, year: int) -> list[dict[str, Any]]:
        """Measures decided in year by kind, with their amounts."""
        period = figures.Period(year)
        first, last = period.first, period.last
        decided = figures.sanctions_decided(self.scope, first, last)
        dates = [("decided_on_after", first.isoformat()), ("decided_on_before", last.isoformat())]
        return [
            {
                "kind": row.kind,
                "label": str(SanctionKind(row.kind).label),
                "count": row.count,
                "amount": row.amount,
                "url": link("sanction-list", [*dates, ("kind", row.kind)]),
            }
            for row in decided.values()
        ]

    def handling_of_grades(self, year: int) -> dict[str, Any]:
        """Measures decided on year's grades (a D grade's suspension, an A grade's plaque), by
        kind, with their decision dates: they follow the rating, usually in the next year."""
        handling = figures.handling_of_grades(self.scope, year)
        return {
            "rows": [
                {
                    "kind": row.kind,
                    "label": str(SanctionKind(row.kind).label),
                    "count": row.count,
                    "amount": row.amount,
                    "url": link("sanction-list", [("rating_year", year), ("kind", row.kind)]),
                }
                for row in handling.by_kind.values()
            ],
            "first": handling.first,
            "last": handling.last,
            "url": link("sanction-list", [("rating_year", year)]),
        }

    def latest_changes(self) -> list[RatingChange]:
        return list(
            self.scoped(RatingChange.objects.all()).select_related(
                "rating__facility", "changed_by"
            )[:LATEST]
        )

    def latest_sanctions(self) -> list[Sanction]:
        return list(self.scoped(Sanction.objects.for_lists())[:LATEST])

    # The chart ----------------------------------------------------------------------------

    def chart(self, grades: list[Figure]) -> dict[str, Any]:
        """Geometry of the server-drawn bar chart of the grade counts (no script)."""
        top = max((f.value for f in grades), default=0) or 1
        span = CHART_WIDTH - CHART_LABEL - CHART_VALUE
        bars = []
        for index, figure in enumerate(grades):
            y = index * CHART_ROW
            width = round(span * figure.value / top) if figure.value else 0
            bars.append(
                {
                    "figure": figure,
                    "y": y + (CHART_ROW - CHART_BAR) // 2,
                    "text_y": y + CHART_ROW // 2 + 5,
                    "width": max(width, 2) if figure.value else 0,
                    "value_x": CHART_LABEL + width + 8,
                }
            )
        return {
            "width": CHART_WIDTH,
            "height": CHART_ROW * len(grades),
            "label_x": CHART_LABEL - 10,
            "bar_x": CHART_LABEL,
            "bar_height": CHART_BAR,
            "bars": bars,
        }


urlpatterns = [path("", DashboardView.as_view(), name="dashboard")]
