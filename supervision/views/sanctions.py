"""Sanction pages: list, record (one form, dispatched to the kind's service), detail."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views import View

from supervision.choices import SanctionKind
from supervision.exports import Column
from supervision.filtersets import SanctionFilterSet
from supervision.formats.punctuation import labelled
from supervision.forms.fields import facility_from_query, plain_id
from supervision.forms.publication import PublishSanctionForm, WithdrawSanctionForm
from supervision.forms.sanctions import SanctionForm
from supervision.models import Facility, Inspection, Referral, Sanction
from supervision.people import person_name
from supervision.scoping import scoped_queryset
from supervision.services import publication
from supervision.services.sanction_kinds import record_sanction
from supervision.views.base import RecordDetailView, ServiceFormView, StaffView
from supervision.views.case_lists import CaseListView
from supervision.views.evidence import EvidenceSectionMixin

SANCTION_COLUMNS = [
    Column(_("编号"), lambda s: s.pk),
    Column(_("案号"), lambda s: s.docket),
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
            .select_related(
                "facility",
                "inspection",
                "rating",
                "created_by__inspector",
                "published_by__inspector",
            )
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
        may_publish = self.request.user.has_perm("supervision.change_sanction")
        context["can_publish"] = (
            may_publish
            and sanction.published_on is None
            and sanction.kind != SanctionKind.COMMENDATION
        )
        context["withdraw_form"] = (
            WithdrawSanctionForm(auto_id="id_withdraw_%s")
            if may_publish and sanction.published_on is not None
            else None
        )
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


class _PublicationStep(StaffView, PermissionRequiredMixin, View):
    """A POST on a sanction's page that makes it public or takes it off the public pages
    (services.publication); a refusal comes back as a message on that page, nothing changed."""

    model = Sanction
    permission_required = "supervision.change_sanction"
    http_method_names = ["post"]
    form_class: type[Form] = PublishSanctionForm
    success_message = ""

    def perform(self, sanction: Sanction, form: Form) -> None:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        sanction = get_object_or_404(scoped_queryset(request.user, Sanction.objects.all()), pk=pk)
        back = HttpResponseRedirect(f"{sanction.get_absolute_url()}#publication")
        form = self.form_class(request.POST)
        if not form.is_valid():
            for name, errors in form.errors.items():
                for error in errors:
                    label = form.fields[name].label if name in form.fields else None
                    messages.error(request, labelled(label, error) if label else error)
            return back
        try:
            self.perform(sanction, form)
        except ValidationError as refusal:
            for message in refusal.messages:
                messages.error(request, message)
        else:
            messages.success(request, self.success_message)
        return back


class PublishSanctionView(_PublicationStep):
    success_message = _("该处理措施已对外公开。")

    def perform(self, sanction: Sanction, form: Form) -> None:
        publication.publish_sanction(sanction, user=self.request.user)


class WithdrawSanctionView(_PublicationStep):
    form_class = WithdrawSanctionForm
    success_message = _("已撤回公开，该处理措施不再在公开页面显示。")

    def perform(self, sanction: Sanction, form: Form) -> None:
        publication.withdraw_sanction(
            sanction, user=self.request.user, reason=form.cleaned_data["reason"]
        )


urlpatterns = [
    path("", SanctionListView.as_view(), name="sanction-list"),
    path("new/", SanctionCreateView.as_view(), name="sanction-create"),
    path("<int:pk>/", SanctionDetailView.as_view(), name="sanction-detail"),
    path("<int:pk>/publish/", PublishSanctionView.as_view(), name="sanction-publish"),
    path("<int:pk>/unpublish/", WithdrawSanctionView.as_view(), name="sanction-unpublish"),
]
