"""The fixed lookups (partner agencies, violation categories): rows come from choices.py."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from supervision.models import PartnerAgency, ViolationCategory


class LookupAdmin(admin.ModelAdmin):
    """Read only: the rows are the codes in choices.py, created by a migration."""

    list_display = ("code", "label")
    search_fields = ("code",)
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    @admin.display(description=_("名称"))
    def label(self, obj) -> str:
        return str(obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PartnerAgency)
class PartnerAgencyAdmin(LookupAdmin):
    pass


@admin.register(ViolationCategory)
class ViolationCategoryAdmin(LookupAdmin):
    pass
