"""Official documents in the admin: the templates (kept with their history, like on the
templates page) and the documents issued, read only (issued on the records' pages)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from supervision.admin.base import BaseAdmin
from supervision.models import DocumentTemplate, IssuedDocument
from supervision.services._common import save_with_history


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(BaseAdmin):
    """The wording of each kind of document; the model refuses unknown placeholders by name and
    a second active template of a kind. Never deleted: issued documents name their template."""

    list_display = ("name", "kind", "title", "is_active", "updated_at")
    list_filter = ("kind", "is_active")
    # A handful of rows: no index needed for the search.
    search_fields = ("name", "title")
    fields = ("kind", "name", "title", "body", "signatory", "is_active")

    def get_readonly_fields(self, request, obj=None):
        return ("kind",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if change and not form.changed_data:
            return
        save_with_history(obj, request.user)


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(BaseAdmin):
    """Each version issued from a record, with the template text it was made from; read only."""

    list_display = ("__str__", "kind", "version", "number", "download", "issued_by", "issued_at")
    list_filter = ("kind", "issued_at")
    list_select_related = ("issued_by", "evidence")
    # The number as printed, whole (a handful a day: the table is small).
    search_fields = ("=number",)
    fields = (
        "kind",
        "version",
        "number",
        "title",
        "inspection",
        "referral",
        "sanction",
        "download",
        "sha256",
        "template",
        "template_version",
        "template_title",
        "template_body",
        "template_signatory",
        "issued_by",
        "issued_at",
    )
    readonly_fields = fields

    @admin.display(description=_("文件"))
    def download(self, obj: IssuedDocument) -> str:
        return format_html(
            '<a href="{}">{}</a>', obj.get_absolute_url(), obj.evidence.original_name
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
