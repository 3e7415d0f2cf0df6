"""Inspection pages: list, record, detail, edit, complete, refer."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.forms import Form
from django.urls import path
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from supervision import services
from supervision.choices import Agency, InspectionStatus, RectificationStatus
from supervision.exports import Column
from supervision.filtersets import InspectionFilterSet
from supervision.forms.fields import facility_from_query
from supervision.forms.inspections import CompleteInspectionForm, InspectionForm
from supervision.forms.referrals import ReferForm
from supervision.history import History, can_view_history, merged_history, related_history
from supervision.models import (
    Facility,
    Inspection,
    PointsRecord,
    RandomCheckPlan,
    Rectification,
    Referral,
    Sanction,
    Tip,
)
from supervision.people import person_name
from supervision.scoping import can_view
from supervision.services.rectifications import found_problems
from supervision.views.base import RecordDetailView, ServiceFormView
from supervision.views.case_lists import CaseListView
from supervision.views.evidence import EvidenceSectionMixin


def _names(related: Any) -> str:
    """Names of prefetched related rows, without a query per row."""
    return pgettext("list separator", "、").join(str(obj) for obj in related.all())


INSPECTION_COLUMNS = [
    Column(_("编号"), lambda i: i.pk),
    Column(_("案号"), lambda i: i.docket),
    Column(_("被检查机构"), lambda i: i.facility.name),
    Column(_("医保定点编码"), lambda i: i.facility.insurance_code),
    Column(_("统一社会信用代码"), lambda i: i.facility.credit_code),
    Column(_("检查类型"), lambda i: i.get_kind_display()),
    Column(_("状态"), lambda i: i.get_status_display()),
    Column(_("开始日期"), lambda i: i.start_date),
    Column(_("结束日期"), lambda i: i.end_date),
    Column(_("检查人员"), lambda i: _names(i.inspectors)),
    Column(_("协作部门"), lambda i: _names(i.partner_agencies)),
    Column(_("违规类型"), lambda i: _names(i.violations)),
    Column(_("检查发现"), lambda i: i.findings),
    Column(_("涉及金额（元）"), lambda i: i.amount_involved),
    Column(_("追回金额（元）"), lambda i: i.amount_recovered),
    Column(_("登记人"), lambda i: person_name(i.created_by)),
]


class InspectionListView(CaseListView):
    model = Inspection
    filterset_class = InspectionFilterSet
    template_name = "inspections/list.html"
    filter_fields = ["q", "mine", "kind", "status", "start_date", "agency", "violation", "district"]
    chip_models = {"facility": Facility}
    export_columns = INSPECTION_COLUMNS
    export_name = "inspections"


class InspectionDetailView(EvidenceSectionMixin, RecordDetailView):
    model = Inspection
    template_name = "inspections/detail.html"

    def get_queryset(self) -> QuerySet:
        return (
            super()
            .get_queryset()
            .select_related("facility", "created_by__inspector")
            .prefetch_related("inspectors", "partner_agencies", "violations")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        inspection: Inspection = self.object
        user = self.request.user
        referrals = list(self.scoped(Referral.objects.filter(inspection=inspection)))
        referred = {r.agency for r in referrals}
        context["referrals"] = referrals
        context["sanctions"] = list(self.scoped(Sanction.objects.filter(inspection=inspection)))
        # The tips this inspection investigates (来源举报线索); never their reporters.
        context["tips"] = (
            list(self.scoped(Tip.objects.filter(inspection=inspection)).order_by("received_at"))
            if can_view(user, Tip)
            else None
        )
        not_completed = inspection.status != InspectionStatus.COMPLETED
        context["can_edit"] = user.has_perm("supervision.change_inspection")
        context["can_complete"] = context["can_edit"] and not_completed
        context["can_refer"] = (
            user.has_perm("supervision.add_referral")
            and inspection.status != InspectionStatus.PLANNED
            and len(referred) < len(Agency)
        )
        context["can_sanction"] = user.has_perm("supervision.add_sanction")
        # 记分人员: the points scored on this inspection's findings (None without the view
        # permission); scoring needs a completed inspection that found violations.
        context["points_records"] = (
            list(
                self.scoped(PointsRecord.objects.filter(inspection=inspection)).select_related(
                    "practitioner", "violation"
                )
            )
            if can_view(user, PointsRecord)
            else None
        )
        context["can_score"] = (
            user.has_perm("supervision.add_pointsrecord")
            and inspection.status == InspectionStatus.COMPLETED
            and bool(inspection.violations.all())
        )
        # 双随机抽查: the plan that drew this inspection, if any; a completed inspection may
        # become a typical case (典型案例).
        context["random_plan"] = (
            self.scoped(RandomCheckPlan.objects.filter(targets__inspection=inspection))
            .only("pk", "name")
            .first()
            if can_view(user, RandomCheckPlan)
            else None
        )
        context["can_write_case"] = (
            user.has_perm("supervision.add_typicalcase") and not not_completed
        )
        context.update(self.rectification_context(inspection))
        return context

    def rectification_context(self, inspection: Inspection) -> dict[str, Any]:
        """责令整改: the order made on this inspection and the steps the user may take on it, or
        whether one can be ordered; and the order this inspection is the follow-up of (复查).
        Nothing without the view permission."""
        user = self.request.user
        if not can_view(user, Rectification):
            return {"show_rectification": False}
        found = {
            r.inspection_id == inspection.pk: r
            for r in self.scoped(
                Rectification.objects.filter(
                    Q(inspection=inspection) | Q(follow_up=inspection)
                ).select_related("follow_up", "created_by__inspector")
            )
        }
        rectification, checked = found.get(True), found.get(False)
        may_change = user.has_perm("supervision.change_rectification")
        is_open = rectification is not None and rectification.is_open
        return {
            "show_rectification": True,
            "rectification": rectification,
            "checked_rectification": checked,
            "can_order": (
                rectification is None
                and user.has_perm("supervision.add_rectification")
                and inspection.status == InspectionStatus.COMPLETED
                and found_problems(inspection)  # the violations are prefetched
            ),
            "can_report": (
                may_change
                and rectification is not None
                and rectification.status == RectificationStatus.ORDERED
            ),
            "can_follow_up": is_open and may_change and user.has_perm("supervision.add_inspection"),
            "can_sanction_after_check": (
                rectification is not None
                and rectification.status == RectificationStatus.NOT_DONE
                and user.has_perm("supervision.add_sanction")
            ),
        }

    def get_history(self) -> History:
        """The inspection's changes and its rectification order's (which has no page of its
        own)."""
        own = super().get_history()
        if not can_view_history(self.request.user, Rectification):
            return own
        label = gettext("责令整改")
        ordered = related_history(
            Rectification,
            Rectification.history.filter(inspection_id=self.object.pk),
            subject=lambda row: label,
            limit=self.history_limit,
        )
        return merged_history(own, ordered, limit=self.history_limit)


class InspectionCreateView(ServiceFormView):
    model = Inspection
    form_class = InspectionForm
    permission_required = "supervision.add_inspection"
    template_name = "inspections/form.html"
    success_message = _("检查已登记。")
    form_takes_user = True

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["facility"] = facility_from_query(
            self.request.user, self.request.GET.get("facility")
        )
        return kwargs

    def perform(self, form: Form) -> Model:
        return services.record_inspection(user=self.request.user, **form.service_arguments())


class InspectionEditView(ServiceFormView):
    """An edit through services.edit_inspection, atomic with the form's many-to-many save."""

    model = Inspection
    object_model = Inspection
    form_class = InspectionForm
    permission_required = "supervision.change_inspection"
    template_name = "inspections/form.html"
    success_message = _("检查已保存。")
    form_takes_user = True
    form_edits_object = True

    def perform(self, form: Form) -> Model:
        with transaction.atomic():
            inspection = services.edit_inspection(
                form.save(commit=False), user=self.request.user, validated=True
            )
            # Its many-to-many fields in the same transaction, as the admin's save_related.
            form.save_m2m()
        return inspection


class _ActsOnInspection(ServiceFormView):
    """A step on one inspection (its form takes it as `inspection`)."""

    model = Inspection
    object_model = Inspection

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["inspection"] = self.get_object()
        return kwargs


class InspectionCompleteView(_ActsOnInspection):
    form_class = CompleteInspectionForm
    permission_required = "supervision.change_inspection"
    template_name = "inspections/complete.html"
    success_message = _("检查已完成。")

    def refusal(self) -> str | None:
        if self.get_object().status == InspectionStatus.COMPLETED:
            return str(_("该检查已完成。"))
        return None

    def perform(self, form: Form) -> Model:
        return services.complete_inspection(
            self.get_object(),
            end_date=form.cleaned_data["end_date"],
            findings=form.cleaned_data["findings"],
            user=self.request.user,
            expected_version=form.expected_version,
        )


class InspectionReferView(_ActsOnInspection):
    form_class = ReferForm
    permission_required = "supervision.add_referral"
    template_name = "inspections/refer.html"
    success_message = _("已移送。")

    def refusal(self) -> str | None:
        inspection = self.get_object()
        if inspection.status == InspectionStatus.PLANNED:
            return str(_("计划中的检查尚无发现，不能移送。"))
        if inspection.referrals.count() >= len(Agency):
            return str(_("该检查已移送所有部门。"))
        return None

    def perform(self, form: Form) -> Model:
        return services.refer_inspection(
            self.get_object(),
            agency=form.cleaned_data["agency"],
            referred_on=form.cleaned_data["referred_on"],
            summary=form.cleaned_data["summary"],
            user=self.request.user,
        )


urlpatterns = [
    path("", InspectionListView.as_view(), name="inspection-list"),
    path("new/", InspectionCreateView.as_view(), name="inspection-create"),
    path("<int:pk>/", InspectionDetailView.as_view(), name="inspection-detail"),
    path("<int:pk>/edit/", InspectionEditView.as_view(), name="inspection-edit"),
    path("<int:pk>/complete/", InspectionCompleteView.as_view(), name="inspection-complete"),
    path("<int:pk>/refer/", InspectionReferView.as_view(), name="inspection-refer"),
]
