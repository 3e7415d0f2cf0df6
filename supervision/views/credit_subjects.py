"""The registries of credit subjects outside the facility registry: institutions of categories
4–6 and insured persons (category 8). Lists with filters and export, each subject's page with
its assessments and history, register and edit.

An insured person's ID number is read only with view_insuredidentity
(services.credit_subjects.may_read_identity): lists, exports and everyone else's pages show the
masked number, the history of the number shows that it was recorded or corrected, not what.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.forms import Form
from django.urls import NoReverseMatch, path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supervision.exports import Column
from supervision.filtersets import CreditInstitutionFilterSet, InsuredPersonFilterSet
from supervision.forms.credit_subjects import InstitutionForm, InsuredPersonForm
from supervision.history import (
    History,
    can_view_history,
    mask,
    masked,
    merged_history,
    related_history,
)
from supervision.models import Assessment, CreditInstitution, InsuredIdentity, InsuredPerson
from supervision.scoping import can_view
from supervision.services import credit_subjects as service
from supervision.views.base import RecordDetailView, ServiceFormView
from supervision.views.case_lists import CaseListView

# How many assessments a subject's page lists (one a year: decades).
RECENT_ASSESSMENTS = 20

INSTITUTION_COLUMNS = [
    Column(_("名称"), lambda i: i.name),
    Column(_("信用主体类别"), lambda i: i.category.label),
    Column(_("统一社会信用代码"), lambda i: i.credit_code),
    Column(_("所属区县"), lambda i: i.get_district_display()),
    Column(_("法定代表人"), lambda i: i.legal_representative),
    Column(_("地址"), lambda i: i.address),
]
# Never the ID number, whoever exports: an export leaves the system.
PERSON_COLUMNS = [
    Column(_("姓名"), lambda p: p.name),
    Column(_("身份证号码（脱敏）"), lambda p: p.id_masked),
    Column(_("参保地区县"), lambda p: p.get_district_display()),
]


class InstitutionListView(CaseListView):
    model = CreditInstitution
    filterset_class = CreditInstitutionFilterSet
    template_name = "credit_subjects/institution_list.html"
    filter_fields = ["q", "category", "district"]
    export_columns = INSTITUTION_COLUMNS
    export_name = "credit_institutions"

    def get_queryset(self) -> QuerySet:
        return self.scoped(CreditInstitution.objects.select_related("category"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_add"] = self.request.user.has_perm("supervision.add_creditinstitution")
        return context


class InsuredPersonListView(CaseListView):
    """The list shows the masked number, whoever reads it (a page of 50 full numbers is a
    leak waiting to be printed); the person's page shows the whole one to those who may."""

    model = InsuredPerson
    filterset_class = InsuredPersonFilterSet
    template_name = "credit_subjects/person_list.html"
    filter_fields = ["q", "district"]
    export_columns = PERSON_COLUMNS
    export_name = "insured_persons"

    def get_queryset(self) -> QuerySet:
        return self.scoped(InsuredPerson.objects.all())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_add"] = self.request.user.has_perm("supervision.add_insuredperson")
        return context


def assessment_url(assessment: Assessment) -> str:
    """The assessment's scorecard page, once the evaluation pages provide it."""
    try:
        return assessment.get_absolute_url()
    except NoReverseMatch:
        return ""


class _SubjectDetailView(RecordDetailView):
    """A subject's page: its fields, its assessments (newest year first) and its history."""

    subject_field: str
    history_limit = 20

    def assessments(self) -> tuple[list[dict[str, Any]], bool]:
        if not can_view(self.request.user, Assessment):
            return [], False
        rows = list(
            self.scoped(Assessment.objects.filter(**{self.subject_field: self.object}))
            .select_related("cycle")
            .order_by("-cycle__year", "-id")[: RECENT_ASSESSMENTS + 1]
        )
        shown = [{"record": a, "url": assessment_url(a)} for a in rows[:RECENT_ASSESSMENTS]]
        return shown, len(rows) > RECENT_ASSESSMENTS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["assessments"], context["more_assessments"] = self.assessments()
        return context


class InstitutionDetailView(_SubjectDetailView):
    model = CreditInstitution
    template_name = "credit_subjects/institution_detail.html"
    subject_field = "institution"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("category")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_edit"] = self.request.user.has_perm("supervision.change_creditinstitution")
        return context


class InsuredPersonDetailView(_SubjectDetailView):
    model = InsuredPerson
    template_name = "credit_subjects/person_detail.html"
    subject_field = "insured_person"

    def get_history(self) -> History:
        """The person's changes and those of the ID number: who recorded or corrected it and
        when, the number itself masked unless the reader may see it."""
        own = super().get_history()
        user = self.request.user
        identity = related_history(
            InsuredIdentity,
            InsuredIdentity.history.filter(person_id=self.object.pk),
            subject=lambda row: gettext("身份证号码"),
            limit=self.history_limit,
        )
        if masked(user, InsuredIdentity) or not can_view_history(user, InsuredIdentity):
            identity = mask(identity)
        return merged_history(own, identity, limit=self.history_limit)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            may_read_identity=service.may_read_identity(user),
            id_number=service.identity_of(self.object, user),
            can_edit=user.has_perm("supervision.change_insuredperson"),
        )
        return context


class _SubjectFormView(ServiceFormView):
    form_takes_user = True

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        if self.object_model is not None:
            kwargs["instance"] = self.get_object()
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        if self.object_model is not None:
            kwargs.setdefault("subject", self.get_object())
        return super().get_context_data(**kwargs)


class InstitutionCreateView(_SubjectFormView):
    model = CreditInstitution
    form_class = InstitutionForm
    permission_required = "supervision.add_creditinstitution"
    template_name = "credit_subjects/institution_form.html"
    success_message = _("信用主体单位已登记。")

    def perform(self, form: Form) -> Model:
        return service.register_institution(user=self.request.user, **form.values())


class InstitutionEditView(_SubjectFormView):
    model = CreditInstitution
    object_model = CreditInstitution
    form_class = InstitutionForm
    permission_required = "supervision.change_creditinstitution"
    template_name = "credit_subjects/institution_form.html"
    success_message = _("信用主体单位信息已保存。")

    def perform(self, form: Form) -> Model:
        return service.edit_institution(
            self.get_object(),
            user=self.request.user,
            expected_version=form.expected_version,
            reason=form.cleaned_data.get("change_reason", ""),
            **form.values(),
        )


class InsuredPersonCreateView(_SubjectFormView):
    model = InsuredPerson
    form_class = InsuredPersonForm
    permission_required = ("supervision.add_insuredperson", "supervision.add_insuredidentity")
    template_name = "credit_subjects/person_form.html"
    success_message = _("参保人员已登记。")

    def perform(self, form: Form) -> Model:
        return service.register_insured_person(user=self.request.user, **form.values())


class InsuredPersonEditView(_SubjectFormView):
    model = InsuredPerson
    object_model = InsuredPerson
    form_class = InsuredPersonForm
    permission_required = "supervision.change_insuredperson"
    template_name = "credit_subjects/person_form.html"
    success_message = _("参保人员信息已保存。")

    def perform(self, form: Form) -> Model:
        return service.edit_insured_person(
            self.get_object(),
            user=self.request.user,
            expected_version=form.expected_version,
            reason=form.cleaned_data.get("change_reason", ""),
            **form.values(),
        )


urlpatterns = [
    path("institutions/", InstitutionListView.as_view(), name="creditinstitution-list"),
    path("institutions/new/", InstitutionCreateView.as_view(), name="creditinstitution-create"),
    path(
        "institutions/<int:pk>/",
        InstitutionDetailView.as_view(),
        name="creditinstitution-detail",
    ),
    path(
        "institutions/<int:pk>/edit/",
        InstitutionEditView.as_view(),
        name="creditinstitution-edit",
    ),
    path("insured/", InsuredPersonListView.as_view(), name="insuredperson-list"),
    path("insured/new/", InsuredPersonCreateView.as_view(), name="insuredperson-create"),
    path("insured/<int:pk>/", InsuredPersonDetailView.as_view(), name="insuredperson-detail"),
    path("insured/<int:pk>/edit/", InsuredPersonEditView.as_view(), name="insuredperson-edit"),
]
