"""Evidence files on the pages: the list and upload form on a record's page, the upload, the
download.

Files are never served from a URL of their own: the download view checks, for every request,
that the user may see evidence and the record the file belongs to (a 404 otherwise, the same as
for a file that does not exist), and sends it as an attachment with its detected type.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Model
from django.forms import Form
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from supervision.evidence_files import attach_and_record, download_response
from supervision.forms.evidence import EvidenceForm
from supervision.history import History, can_view_history, merged_history, related_history
from supervision.models import (
    CreditRepair,
    Evidence,
    Inspection,
    Objection,
    Referral,
    Sanction,
    Tip,
)
from supervision.models.evidence import evidence_field
from supervision.scoping import can_view
from supervision.uploads import upload_too_large
from supervision.views.base import ServiceFormView

_UPLOAD_URL = {
    Inspection: "inspection-evidence",
    Referral: "referral-evidence",
    Sanction: "sanction-evidence",
    Tip: "tip-evidence",
    Objection: "objection-evidence",
    CreditRepair: "creditrepair-evidence",
}


def may_attach(user: Any, parent: Model) -> bool:
    """Whether user may add evidence to parent: add_evidence and the change permission of the
    record (whoever may edit an inspection documents it)."""
    return user.has_perms(
        ["supervision.add_evidence", f"supervision.change_{parent._meta.model_name}"]
    )


class EvidenceSectionMixin:
    """For a record's page (DetailView): its evidence files, and the upload form for users who
    may add one (context: evidence_files, evidence_visible, evidence_form, evidence_upload_url)."""

    request: HttpRequest

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        record = self.object  # type: ignore[attr-defined]
        user = self.request.user
        field = evidence_field(type(record))
        context["evidence_visible"] = can_view(user, Evidence)
        context["evidence_files"] = list(
            Evidence.objects.visible_to(user)
            .filter(**{field: record})
            .select_related("uploaded_by")
        )
        attach = may_attach(user, record)
        context["evidence_form"] = EvidenceForm() if attach else None
        context["evidence_upload_url"] = (
            reverse(_UPLOAD_URL[type(record)], args=[record.pk]) if attach else None
        )
        return context

    def get_history(self) -> History:
        """The record's changes and the uploads of its files, which have no page of their own."""
        own = super().get_history()  # type: ignore[misc]
        if not can_view_history(self.request.user, Evidence):
            return own
        record = self.object  # type: ignore[attr-defined]
        limit = self.history_limit  # type: ignore[attr-defined]
        uploads = related_history(
            Evidence,
            Evidence.history.filter(**{f"{evidence_field(type(record))}_id": record.pk}),
            subject=lambda row: _("证据材料：%(name)s") % {"name": row.original_name},
            limit=limit,
        )
        return merged_history(own, uploads, limit=limit)


class EvidenceUploadView(ServiceFormView):
    """Upload a file to a record (the form is also on the record's page; errors show here)."""

    form_class = EvidenceForm
    template_name = "evidence/upload.html"
    success_message = _("证据材料已上传。")

    def get_permission_required(self) -> tuple[str, ...]:
        return ("supervision.add_evidence", f"supervision.change_{self.model._meta.model_name}")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        # After the body has been read (the form's files): was the file dropped for its size?
        kwargs["too_large"] = self.request.method == "POST" and upload_too_large(self.request)
        return kwargs

    def perform(self, form: Form) -> Model:
        record = self.get_object()
        attach_and_record(
            record, form.cleaned_data["file"], form.cleaned_data["description"], self.request
        )
        return record

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["record_label"] = self.model._meta.verbose_name
        return context

    def get_success_url(self, record: Model | None = None) -> str:
        return f"{super().get_success_url(record)}#evidence"


class InspectionEvidenceView(EvidenceUploadView):
    model = object_model = Inspection


class ReferralEvidenceView(EvidenceUploadView):
    model = object_model = Referral


class SanctionEvidenceView(EvidenceUploadView):
    model = object_model = Sanction


class TipEvidenceView(EvidenceUploadView):
    model = object_model = Tip


class EvidenceDownloadView(LoginRequiredMixin, View):
    """GET: the file, for a user who may see it; 404 for everyone else signed in."""

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        evidence = get_object_or_404(Evidence.objects.visible_to(request.user), pk=pk)
        return download_response(evidence, request)


urlpatterns = [
    path(
        "inspections/<int:pk>/evidence/",
        InspectionEvidenceView.as_view(),
        name="inspection-evidence",
    ),
    path("referrals/<int:pk>/evidence/", ReferralEvidenceView.as_view(), name="referral-evidence"),
    path("sanctions/<int:pk>/evidence/", SanctionEvidenceView.as_view(), name="sanction-evidence"),
    path("tips/<int:pk>/evidence/", TipEvidenceView.as_view(), name="tip-evidence"),
    path("evidence/<int:pk>/download/", EvidenceDownloadView.as_view(), name="evidence-download"),
]
