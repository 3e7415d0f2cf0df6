"""Evidence files in the admin: read-only, listed on the page of the record they belong to.

They are added on the staff pages and through the API (services.attach_evidence checks the
file); nothing here edits or deletes them.
"""

from __future__ import annotations

from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from supervision.admin.base import ReadOnlyInline
from supervision.models import Evidence


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ("download", "content_type", "file_size", "description", "uploaded_by", "uploaded_at")
    verbose_name_plural = pgettext_lazy("plural", "证据材料")
    # Evidence has no admin page of its own: the name links to the download.
    show_change_link = False

    def get_queryset(self, request):
        # Scoped through the record each file belongs to (see EvidenceQuerySet.visible_to).
        return (
            Evidence.objects.visible_to(request.user)
            .select_related("uploaded_by")
            .order_by("-uploaded_at", "-id")
        )

    def has_view_permission(self, request, obj=None) -> bool:
        # obj is the record of the page: none yet on an add page, so nothing to list.
        return obj is not None and super().has_view_permission(request, obj)

    @admin.display(description=_("文件名"))
    def download(self, obj: Evidence) -> str:
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.original_name)

    @admin.display(description=_("大小"))
    def file_size(self, obj: Evidence) -> str:
        return filesizeformat(obj.size)
