"""The year's check plan (分级分类监管): totals by grade, who is behind, each planned check with
the inspection that fulfilled it; building the plan (生成检查计划) for who may add planned checks.

Thin views over supervision.services.check_plans.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.forms import Form
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supervision.exports import Column
from supervision.filtersets import PlannedCheckFilterSet
from supervision.forms.credit_actions import BuildPlanForm
from supervision.models import Facility, PlannedCheck
from supervision.services import check_plans as service
from supervision.views.base import ServiceFormView
from supervision.views.case_lists import CaseListView


def default_plan_year() -> int:
    """The latest year with a plan (one index read), else this year."""
    year = PlannedCheck.objects.order_by("-year").values_list("year", flat=True).first()
    return year or timezone.localdate().year


def plan_url(year: int, **params: Any) -> str:
    return f"{reverse('plannedcheck-list')}?{urlencode({'year': year, **params})}"


PLAN_COLUMNS = [
    Column(_("计划年度"), lambda p: p.year),
    Column(_("机构"), lambda p: p.facility.name),
    Column(_("所属区县"), lambda p: p.facility.get_district_display()),
    Column(_("依据等级"), lambda p: p.grade),
    Column(_("等级年度"), lambda p: p.grade_year),
    Column(_("第几次"), lambda p: p.sequence),
    Column(_("应检查日期"), lambda p: p.due_on),
    Column(_("完成检查"), lambda p: p.inspection_id or ""),
    Column(_("检查开始日期"), lambda p: p.inspection.start_date if p.inspection_id else ""),
]


class PlanView(CaseListView):
    """A year's plan: totals by grade, then every planned check (filter, sort, export)."""

    model = PlannedCheck
    filterset_class = PlannedCheckFilterSet
    template_name = "check_plans/plan.html"
    filter_fields = ["q", "year", "district", "grade", "behind", "done"]
    chip_models = {"facility": Facility}
    export_columns = PLAN_COLUMNS
    export_name = "check_plan"

    def get_queryset(self) -> QuerySet:
        return self.scoped(
            PlannedCheck.objects.select_related("facility", "inspection").order_by("due_on", "id")
        )

    def get_filterset_kwargs(self, filterset_class) -> dict[str, Any]:
        kwargs = super().get_filterset_kwargs(filterset_class)
        data = (kwargs.get("data") or self.request.GET).copy()
        if not data.get("year"):
            # A plan is always of one year: the latest planned, unless another is asked for.
            data["year"] = str(default_plan_year())
        kwargs["data"] = data
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = self.filterset.form
        year = form.cleaned_data.get("year") if form.is_valid() else None
        year = int(year) if year is not None else None
        today = timezone.localdate()
        progress = service.plan_progress(year, user=user, today=today) if year else None
        context.update(
            year=year,
            today=today,
            progress=progress,
            grade_rows=[(g, plan_url(year, grade=g.grade)) for g in progress.by_grade]
            if progress
            else [],
            behind_url=plan_url(year, behind="true") if year else "",
            build_form=(
                BuildPlanForm(initial={"year": year or today.year})
                if user.has_perm("supervision.add_plannedcheck")
                else None
            ),
        )
        return context


class BuildPlanView(ServiceFormView):
    """生成检查计划: build (or bring up to date) a year's plan and link it to the inspections
    already recorded."""

    model = PlannedCheck
    form_class = BuildPlanForm
    permission_required = "supervision.add_plannedcheck"
    template_name = "check_plans/build.html"

    def get_initial(self) -> dict[str, Any]:
        return {"year": timezone.localdate().year}

    def perform(self, form: Form) -> Model | None:
        year = form.cleaned_data["year"]
        user = self.request.user
        added = service.build_check_plan(year=year, user=user)
        linked = service.match_planned_checks(year=year, user=user)
        self.year = year
        self.success_message = gettext(
            "%(year)s年度检查计划已生成：新增%(added)d次计划检查，关联已有检查%(linked)d次。"
        ) % {"year": year, "added": added, "linked": linked}
        return None

    def get_success_url(self, record: Model | None = None) -> str:  # type: ignore[override]
        return plan_url(self.year)


urlpatterns = [
    path("", PlanView.as_view(), name="plannedcheck-list"),
    path("build/", BuildPlanView.as_view(), name="plannedcheck-build"),
]
