"""Referral pages: list, detail, move to the next status."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.forms import Form
from django.urls import path
from django.utils.translation import gettext_lazy as _

from supervision import services
from supervision.choices import REFERRAL_TRANSITIONS
from supervision.exports import Column
from supervision.filtersets import ReferralFilterSet
from supervision.forms.referrals import MoveReferralForm
from supervision.models import Facility, Inspection, Referral, Sanction
from supervision.people import person_name
from supervision.views.base import RecordDetailView, ServiceFormView
from supervision.views.case_lists import CaseListView
from supervision.views.evidence import EvidenceSectionMixin

REFERRAL_COLUMNS = [
    Column(_("编号"), lambda r: r.pk),
    Column(_("案号"), lambda r: r.docket),
    Column(_("机构"), lambda r: r.inspection.facility.name),
    Column(_("医保定点编码"), lambda r: r.inspection.facility.insurance_code),
    Column(_("来源检查编号"), lambda r: r.inspection_id),
    Column(_("来源检查"), lambda r: r.inspection.get_kind_display()),
    Column(_("检查开始日期"), lambda r: r.inspection.start_date),
    Column(_("移送部门"), lambda r: r.get_agency_display()),
    Column(_("状态"), lambda r: r.get_status_display()),
    Column(_("移送日期"), lambda r: r.referred_on),
    Column(_("案情摘要"), lambda r: r.summary),
    Column(_("立案编号"), lambda r: r.case_number),
    Column(_("立案/不予立案日期"), lambda r: r.decided_on),
    Column(_("结案日期"), lambda r: r.closed_on),
    Column(_("处理结果"), lambda r: r.outcome),
    Column(_("移送人"), lambda r: person_name(r.created_by)),
]


class ReferralListView(CaseListView):
    model = Referral
    filterset_class = ReferralFilterSet
    template_name = "referrals/list.html"
    filter_fields = ["q", "mine", "agency", "status", "referred_on"]
    chip_models = {"facility": Facility, "inspection": Inspection}
    export_columns = REFERRAL_COLUMNS
    export_name = "referrals"


class ReferralDetailView(EvidenceSectionMixin, RecordDetailView):
    model = Referral
    template_name = "referrals/detail.html"

    def get_queryset(self) -> QuerySet:
        return (
            super().get_queryset().select_related("inspection__facility", "created_by__inspector")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        referral: Referral = self.object
        context["other_referrals"] = list(
            self.scoped(Referral.objects.filter(inspection_id=referral.inspection_id)).exclude(
                pk=referral.pk
            )
        )
        context["sanctions"] = list(
            self.scoped(Sanction.objects.filter(inspection_id=referral.inspection_id))
        )
        context["can_move"] = self.request.user.has_perm("supervision.change_referral") and bool(
            REFERRAL_TRANSITIONS[referral.status]
        )
        return context


class ReferralMoveView(ServiceFormView):
    model = Referral
    object_model = Referral
    form_class = MoveReferralForm
    permission_required = "supervision.change_referral"
    template_name = "referrals/move.html"
    success_message = _("移送状态已更新。")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["referral"] = self.get_object()
        return kwargs

    def refusal(self) -> str | None:
        if not REFERRAL_TRANSITIONS[self.get_object().status]:
            return str(_("该移送已结案，状态不能再变更。"))
        return None

    def perform(self, form: Form) -> Model:
        data = form.cleaned_data
        return services.move_referral(
            self.get_object(),
            to_status=data["status"],
            on=data[form.date_field_name],
            case_number=data.get("case_number") or "",
            outcome=data.get("outcome") or "",
            user=self.request.user,
            expected_version=form.expected_version,
        )


urlpatterns = [
    path("", ReferralListView.as_view(), name="referral-list"),
    path("<int:pk>/", ReferralDetailView.as_view(), name="referral-detail"),
    path("<int:pk>/move/", ReferralMoveView.as_view(), name="referral-move"),
]
