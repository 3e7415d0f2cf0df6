"""Typical cases and grade publications in the admin.

Both are read here, with their history: a typical case is written, reviewed, published and
withdrawn on the staff pages or the API (services.typical_cases: the reviewer is not the
writer, the public text is checked), grades are published on the publication page
(services.publication.publish_grades). Nothing is added, changed or deleted here.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from supervision.admin.base import BaseAdmin
from supervision.models import GradePublication, TypicalCase


class ReadOnlyAdmin(BaseAdmin):
    """Written by the services only; read here, with the history."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TypicalCase)
class TypicalCaseAdmin(ReadOnlyAdmin):
    """Typical cases (典型案例), written and reviewed on the staff pages."""

    list_display = (
        "title",
        "facility_column",
        "status",
        "submitted_on",
        "published_on",
        "withdrawn_on",
        "created_by",
        "reviewed_by",
    )
    list_filter = ("status", "published_on", "inspection__facility__district")
    list_select_related = ("inspection__facility", "created_by", "reviewed_by")
    # A handful a month: the title needs no index of its own.
    search_fields = ("title", "inspection__facility__name")
    search_help_text = _("按标题或机构名称查找。")
    fieldsets = (
        (None, {"fields": ("title", "inspection", "status")}),
        (_("案例正文"), {"fields": ("facts", "handling", "legal_basis", "lesson")}),
        (
            _("审核与发布"),
            {
                "fields": (
                    "created_by",
                    "submitted_on",
                    "reviewed_by",
                    "review_comment",
                    "published_on",
                    "withdrawn_on",
                    "withdraw_reason",
                )
            },
        ),
    )

    @admin.display(description=_("机构"), ordering="inspection__facility__name")
    def facility_column(self, obj: TypicalCase) -> str:
        return obj.inspection.facility.name


@admin.register(GradePublication)
class GradePublicationAdmin(ReadOnlyAdmin):
    """Which year's grades of which facility category are public (公布), since when, by whom;
    published on the staff page."""

    list_display = ("year_column", "category", "published_on", "published_by", "note")
    list_filter = ("year", "category")
    list_select_related = ("category", "published_by")
    search_fields = ("=year",)
    search_help_text = _("按评价年度查找。")
    fields = ("year", "category", "published_on", "published_by", "note")

    @admin.display(description=_("评价年度"), ordering="year")
    def year_column(self, obj: GradePublication) -> str:
        # A year is not a quantity: no thousands separator.
        return str(obj.year)
