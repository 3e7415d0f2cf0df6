"""Sanction pages: list, record (one form, dispatched to the kind's service), detail."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.forms import Form
from django.urls import path
from django.utils.translation import gettext_lazy as _

from supervision.exports import Column
from supervision.filtersets import SanctionFilterSet
from supervision.forms.fields import facility_from_query, plain_id
from supervision.forms.sanctions import SanctionForm
from supervision.models import Facility, Inspection, Referral, Sanction
from supervision.people import person_name
from supervision.scoping import scoped_queryset
from supervision.services.sanction_kinds import record_sanction
from supervision.views.base import RecordDetailView, ServiceFormView
from supervision.views.case_lists import CaseListView
from supervision.views.evidence import EvidenceSectionMixin

SANCTION_COLUMNS = [
    Column(_("编号"), lambda s: s.pk),
    Column(_("机构"), lambda s: s.facility.name),
    Column(_("医保定点编码"), lambda s: s.facility.insurance_code),
    Column(_("措施类型"), lambda s: s.get_kind_display()),
    Column(_("决定日期"), lambda s: s.decided_on),
    Column(_("文书编号"), lambda s: s.decision_number),
    Column(_("起始日期"), lambda s: s.starts_on),
    Column(_("截止日期"), lambda s: s.ends_on),
    Column(_("收回保证金比例（%）"), lambda s: s.deposit_percent),
    Column(_("金额（元）"), lambda s: s.amount),
    Column(_("依据的检查编号"), lambda s: s.inspection_id),
    Column(_("法律依据"), lambda s: s.legal_basis),
    Column(_("备注"), lambda s: s.note),
    Column(_("登记人"), lambda s: person_name(s.created_by)),
]


class SanctionListView(CaseListView):
    model = Sanction
    filterset_class = SanctionFilterSet
    template_name = "sanctions/list.html"
    filter_fields = ["q", "mine", "kind", "decided_on", "in_force", "district"]
    chip_models = {"facility": Facility}
    export_columns = SANCTION_COLUMNS
    export_name = "sanctions"


class SanctionDetailView(EvidenceSectionMixin, RecordDetailView):
    model = Sanction
    template_name = "sanctions/detail.html"

    def get_queryset(self) -> QuerySet:
        return (
            super()
            .get_queryset()
            .select_related("facility", "inspection", "rating", "created_by__inspector")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        sanction: Sanction = self.object
        context["referrals"] = (
            list(self.scoped(Referral.objects.filter(inspection_id=sanction.inspection_id)))
            if sanction.inspection_id
            else []
        )
        context["can_sanction"] = self.request.user.has_perm("supervision.add_sanction")
        return context


class SanctionCreateView(ServiceFormView):
    """?facility=<pk> preselects the facility; ?inspection=<pk> the inspection and its facility."""

    model = Sanction
    form_class = SanctionForm
    permission_required = "supervision.add_sanction"
    template_name = "sanctions/form.html"
    success_message = _("处理措施已登记。")
    # The services name a few arguments differently from the form's fields.
    service_error_fields = {
        "rating": "rating_year",
        "effective_on": "starts_on",
        "percent": "deposit_percent",
    }

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        user = self.request.user
        kwargs["user"] = user
        kwargs["facility"] = facility_from_query(user, self.request.GET.get("facility"))
        inspection = plain_id(self.request.GET.get("inspection"))
        if inspection is not None:
            kwargs["inspection"] = (
                scoped_queryset(user, Inspection.objects.select_related("facility"))
                .filter(pk=inspection)
                .first()
            )
        return kwargs

    def perform(self, form: Form) -> Model:
        return record_sanction(
            form.cleaned_data["facility"], user=self.request.user, **form.service_arguments()
        )


urlpatterns = [
    path("", SanctionListView.as_view(), name="sanction-list"),
    path("new/", SanctionCreateView.as_view(), name="sanction-create"),
    path("<int:pk>/", SanctionDetailView.as_view(), name="sanction-detail"),
]
