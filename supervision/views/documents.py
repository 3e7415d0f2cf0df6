"""Official documents on the pages: preview a record's document (a draft, as PDF or DOCX), issue
it (kept as evidence, versioned), and the templates supervisors word.

Issued documents are downloaded through the evidence download (views.evidence), which checks
for every request who may see the file. A server without a Chinese font, a kind the record does
not give or a kind without an active template is told on the record's page, never a 500.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.cache import patch_cache_control
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView

from supervision.choices import DocumentKind
from supervision.forms.documents import DocumentTemplateForm
from supervision.models import DocumentTemplate, Inspection, Referral, Sanction
from supervision.models.documents import PLACEHOLDERS
from supervision.pdf import FontMissing
from supervision.services import documents as service
from supervision.views.base import ServiceFormView, StaffView

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _refusal_text(error: ValidationError) -> str:
    return " ".join(error.messages)


class _RecordDocumentView(StaffView, View):
    """One record's document of one kind: the record through the user's scope (404 otherwise),
    the kind one the record gives (404 otherwise), and the right to issue it (403 otherwise).
    The model is given by the URL (as_view(model=…))."""

    model = None

    def record(self) -> Model:
        record = get_object_or_404(self.scoped(self.model.objects.all()), pk=self.kwargs["pk"])
        if self.kwargs["kind"] not in {kind.value for kind in service.kinds_for(record)}:
            raise Http404
        if not service.may_issue(self.request.user, record):
            raise PermissionDenied
        return record

    def back(self, record: Model) -> HttpResponseRedirect:
        return HttpResponseRedirect(f"{record.get_absolute_url()}#documents")


class DocumentPreviewView(_RecordDocumentView):
    """GET: the document as it would be issued now, as a PDF shown in the browser, or with
    ?format=docx (the notice and the decision) as a Word file to edit. Nothing is stored."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        record = self.record()
        kind = DocumentKind(self.kwargs["kind"])
        as_docx = request.GET.get("format") == "docx"
        if as_docx and not kind.editable:
            raise Http404
        try:
            draft = service.make_draft(record, kind)
            content = service.docx_bytes(draft) if as_docx else service.pdf_bytes(draft)
        except FontMissing as error:
            messages.error(request, str(error))
            return self.back(record)
        except ValidationError as error:
            messages.error(request, _refusal_text(error))
            return self.back(record)
        name = _("%(stem)s（草稿）") % {"stem": draft.file_stem}
        response = HttpResponse(content, content_type=DOCX if as_docx else PDF)
        disposition = "attachment" if as_docx else "inline"
        extension = "docx" if as_docx else "pdf"
        response["Content-Disposition"] = (
            f"{disposition}; filename*=UTF-8''{escape_uri_path(f'{name}.{extension}')}"
        )
        response["X-Content-Type-Options"] = "nosniff"
        patch_cache_control(response, private=True, no_store=True)
        return response


class DocumentIssueView(_RecordDocumentView):
    """POST: issue the document as the record's next version; back to the record's page."""

    http_method_names: ClassVar[list[str]] = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        record = self.record()
        kind = DocumentKind(self.kwargs["kind"])
        try:
            issued = service.issue_document(record, kind, user=request.user)
        except FontMissing as error:
            messages.error(request, str(error))
        except ValidationError as error:
            messages.error(request, _refusal_text(error))
        else:
            messages.success(
                request,
                _("已出具%(kind)s第%(version)s版，文件已作为证据材料保存。")
                % {"kind": kind.label, "version": issued.version},
            )
        return self.back(record)


# --- the templates -------------------------------------------------------------------------


def placeholder_table() -> list[tuple[str, list[str]]]:
    """Each kind with the placeholders it allows, for the help beside the form."""
    return [(kind.label, [f"{{{name}}}" for name in PLACEHOLDERS[kind]]) for kind in DocumentKind]


class DocumentTemplateListView(StaffView, ListView):
    """Every template, by kind, the active one first; for those who may change them."""

    model = DocumentTemplate
    template_name = "documents/template_list.html"
    context_object_name = "templates"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not request.user.has_perm(
            "supervision.change_documenttemplate"
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet:
        return self.scoped(DocumentTemplate.objects.all())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_add"] = self.request.user.has_perm("supervision.add_documenttemplate")
        return context


class _TemplateFormView(ServiceFormView):
    model = DocumentTemplate
    form_class = DocumentTemplateForm
    template_name = "documents/template_form.html"
    success_message = gettext_lazy("文书模板已保存。")

    def perform(self, form: Form) -> Model:
        return service.save_template(
            form.instance, user=self.request.user, active=form.cleaned_data["activate"]
        )

    def get_success_url(self, record: Model | None = None) -> str:
        return reverse("documenttemplate-list")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["placeholders"] = placeholder_table()
        return context


class DocumentTemplateCreateView(_TemplateFormView):
    permission_required = "supervision.add_documenttemplate"


class DocumentTemplateEditView(_TemplateFormView):
    object_model = DocumentTemplate
    permission_required = "supervision.change_documenttemplate"
    form_edits_object = True


def _record_urls(prefix: str, model: type[Model]) -> list:
    name = model._meta.model_name
    return [
        path(
            f"{prefix}/<int:pk>/documents/<str:kind>/preview/",
            DocumentPreviewView.as_view(model=model),
            name=f"{name}-document-preview",
        ),
        path(
            f"{prefix}/<int:pk>/documents/<str:kind>/issue/",
            DocumentIssueView.as_view(model=model),
            name=f"{name}-document-issue",
        ),
    ]


urlpatterns = [
    *_record_urls("inspections", Inspection),
    *_record_urls("referrals", Referral),
    *_record_urls("sanctions", Sanction),
    path("documents/templates/", DocumentTemplateListView.as_view(), name="documenttemplate-list"),
    path(
        "documents/templates/new/",
        DocumentTemplateCreateView.as_view(),
        name="documenttemplate-create",
    ),
    path(
        "documents/templates/<int:pk>/",
        DocumentTemplateEditView.as_view(),
        name="documenttemplate-edit",
    ),
]
