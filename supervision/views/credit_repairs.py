"""Between cycles (信用修复、动态调整): the list of credit-repair applications, an application
made from a rating, the application's page with its decision form, evidence and history, and the
dynamic adjustment of a rating after a serious violation.

Thin views over supervision.services.credit_actions; permissions here (add_creditrepair,
decide_creditrepair, add_ratingchange), the rules in the services.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Prefetch, QuerySet
from django.forms import Form
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supervision.choices import Grade, RepairStatus
from supervision.exports import Column
from supervision.filtersets import CreditRepairFilterSet
from supervision.forms.credit_actions import AdjustGradeForm, RepairApplyForm, RepairDecideForm
from supervision.models import CreditRating, CreditRepair, Facility, RatingChange
from supervision.services import credit_actions as service
from supervision.views.base import RecordDetailView, ServiceFormView
from supervision.views.case_lists import CaseListView
from supervision.views.evidence import EvidenceSectionMixin, EvidenceUploadView


def repair_url(repair: CreditRepair) -> str:
    return reverse("creditrepair-detail", args=[repair.pk])


REPAIR_COLUMNS = [
    Column(_("编号"), lambda r: r.pk),
    Column(_("机构"), lambda r: r.rating.facility.name),
    Column(_("所属区县"), lambda r: r.rating.facility.get_district_display()),
    Column(_("评价年度"), lambda r: r.rating.year),
    Column(_("原等级"), lambda r: r.from_grade),
    Column(_("申请日期"), lambda r: r.applied_on),
    Column(_("可申请日期"), lambda r: r.eligible_from),
    Column(_("状态"), lambda r: r.get_status_display()),
    Column(_("修复后等级"), lambda r: r.to_grade),
    Column(_("决定日期"), lambda r: r.decided_on),
    Column(_("整改情况"), lambda r: r.rectification),
    Column(_("审核意见"), lambda r: r.decision),
]


class CreditRepairListView(CaseListView):
    """Every application, newest first; filters by status, grade, district, date."""

    model = CreditRepair
    filterset_class = CreditRepairFilterSet
    template_name = "credit_repairs/list.html"
    filter_fields = ["q", "status", "grade", "district", "applied"]
    chip_models = {"facility": Facility}
    export_columns = REPAIR_COLUMNS
    export_name = "credit_repairs"

    def get_queryset(self) -> QuerySet:
        return self.scoped(
            CreditRepair.objects.select_related("rating__facility").order_by("-applied_on", "-id")
        )


class CreditRepairDetailView(EvidenceSectionMixin, RecordDetailView):
    """An application: the rating it concerns, the rectification, the decision (form for who
    may decide), its evidence files and its history."""

    model = CreditRepair
    template_name = "credit_repairs/detail.html"

    def get_queryset(self) -> QuerySet:
        return (
            super()
            .get_queryset()
            .select_related("rating__facility", "recorded_by", "decided_by")
            .prefetch_related(
                Prefetch(
                    "rating__changes",
                    queryset=self.scoped(
                        RatingChange.objects.select_related("changed_by", "inspection")
                    ),
                )
            )
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        repair: CreditRepair = self.object
        user = self.request.user
        pending = repair.status == RepairStatus.PENDING
        context.update(
            is_pending=pending,
            rating=repair.rating,
            facility=repair.rating.facility,
            changes=list(repair.rating.changes.all()),
            decide_form=(
                RepairDecideForm(repair=repair)
                if pending and user.has_perm("supervision.decide_creditrepair")
                else None
            ),
        )
        return context


class _ActsOnRating(ServiceFormView):
    """A form on one rating (the facility's latest): the form gets it, the page shows it."""

    model = CreditRating
    object_model = CreditRating

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rating = self.get_object()
        context.update(rating=rating, facility=rating.facility, title=self.title)
        return context

    def get_success_url(self, record: Model | None = None) -> str:  # type: ignore[override]
        if isinstance(record, CreditRepair):
            return repair_url(record)
        return self.get_object().get_absolute_url()


class CreditRepairApplyView(_ActsOnRating):
    """Register an application for credit repair of a C or D grade."""

    form_class = RepairApplyForm
    permission_required = "supervision.add_creditrepair"
    template_name = "credit_repairs/apply.html"
    title = _("申请信用修复")
    success_message = _("信用修复申请已登记，待审核。")

    def refusal(self) -> str | None:
        problems = service.repair_problems(self.get_object())
        return " ".join(str(p) for p in problems.values()) or None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["eligible_from"] = service.repair_eligible_from(self.get_object())
        return context

    def perform(self, form: Form) -> Model:
        return service.apply_for_repair(
            self.get_object(),
            applied_on=form.cleaned_data["applied_on"],
            rectification=form.cleaned_data["rectification"],
            user=self.request.user,
        )


class RatingAdjustView(_ActsOnRating):
    """动态调整: lower the facility's latest grade after a serious violation."""

    form_class = AdjustGradeForm
    permission_required = "supervision.add_ratingchange"
    template_name = "credit_repairs/adjust.html"
    title = _("动态调整信用等级")
    success_message = _("信用等级已动态调整，调整记录已写入。")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "rating": self.get_object(), "user": self.request.user}

    def refusal(self) -> str | None:
        rating = self.get_object()
        if service.latest_year(rating.facility_id) != rating.year:
            return gettext("只能调整该机构最近年度的信用评价。")
        if rating.grade == Grade.D:
            return gettext("该评价已是D级，不能再降低。")
        if not service.adjustment_inspections(rating).exists():
            return gettext(
                "该机构在%(year)s年度之后没有发现违规的已完成检查，不能动态调整。"
                "请先登记并完成发现违规的检查。"
            ) % {"year": rating.year}
        return None

    def perform(self, form: Form) -> Model:
        data = form.cleaned_data
        return service.adjust_grade(
            self.get_object(),
            to_grade=data["to_grade"],
            inspection=data["inspection"],
            reason=data["reason"],
            user=self.request.user,
            expected_version=form.expected_version,
            confirm_downgrade=data["confirm_downgrade"],
        )


class _ActsOnRepair(ServiceFormView):
    model = CreditRepair
    object_model = CreditRepair

    def get_success_url(self, record: Model | None = None) -> str:  # type: ignore[override]
        return repair_url(self.get_object())


class CreditRepairDecideView(_ActsOnRepair):
    """Approve (the grade goes up one step, marked repaired) or refuse, with the reason."""

    form_class = RepairDecideForm
    permission_required = "supervision.decide_creditrepair"
    template_name = "credit_repairs/decide.html"
    success_message = _("信用修复审核决定已记录。")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "repair": self.get_object()}

    def refusal(self) -> str | None:
        repair = self.get_object()
        if repair.status != RepairStatus.PENDING:
            return gettext("该申请已作出决定（%(status)s）。") % {
                "status": repair.get_status_display()
            }
        return None

    def perform(self, form: Form) -> Model:
        data = form.cleaned_data
        return service.decide_repair(
            self.get_object(),
            approve=form.approve,
            decision=data["decision"],
            user=self.request.user,
            decided_on=data["decided_on"],
            expected_version=form.expected_version,
        )


class CreditRepairEvidenceView(EvidenceUploadView):
    """Upload a file to an application (its form is on the application's page)."""

    model = object_model = CreditRepair

    def get_success_url(self, record: Model | None = None) -> str:  # type: ignore[override]
        return f"{repair_url(self.get_object())}#evidence"


urlpatterns = [
    path("", CreditRepairListView.as_view(), name="creditrepair-list"),
    path("<int:pk>/", CreditRepairDetailView.as_view(), name="creditrepair-detail"),
    path("<int:pk>/decide/", CreditRepairDecideView.as_view(), name="creditrepair-decide"),
    path("<int:pk>/evidence/", CreditRepairEvidenceView.as_view(), name="creditrepair-evidence"),
    path("ratings/<int:pk>/apply/", CreditRepairApplyView.as_view(), name="creditrepair-apply"),
    path("ratings/<int:pk>/adjust/", RatingAdjustView.as_view(), name="rating-adjust"),
]
