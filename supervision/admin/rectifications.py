"""Rectification orders (责令整改) in the admin: read, with their history, and their text
corrected.

Orders are made, reported on and followed up on the inspection's page or through the API
(services.rectifications: the deadline from the working-day calendar, the follow-up inspection
recorded with the result). Here nothing is added or deleted, and of a recorded order only the
wording can be corrected (整改要求, and the report's and follow-up's text once recorded); the
dates and the status follow the workflow.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from supervision.admin.base import CaseRecordAdmin, FacilityCodeSearchMixin
from supervision.models import Rectification
from supervision.services import reasons

_WORKFLOW_FIELDS = (
    "inspection",
    "facility",
    "status",
    "ordered_on",
    "workdays",
    "due_on",
    "reported_on",
    "follow_up",
    "checked_on",
    "created_by",
)


@admin.register(Rectification)
class RectificationAdmin(FacilityCodeSearchMixin, CaseRecordAdmin):
    facility_path = "facility__"
    list_display = (
        "facility",
        "ordered_on",
        "workdays",
        "due_on",
        "status",
        "reported_on",
        "checked_on",
    )
    list_filter = ("status", "ordered_on", "due_on", "facility__kind", "facility__district")
    list_select_related = ("facility",)
    search_fields = ("facility__name", "=facility__credit_code", "^facility__insurance_code")
    search_help_text = _("按机构名称、统一社会信用代码或医保定点编码查找。")
    fieldsets = (
        (None, {"fields": ("inspection", "facility", "status", "created_by")}),
        (_("责令整改"), {"fields": ("requirement", "ordered_on", "workdays", "due_on")}),
        (_("整改报告"), {"fields": ("reported_on", "report")}),
        (_("复查"), {"fields": ("follow_up", "checked_on", "outcome")}),
    )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        fixed = list(_WORKFLOW_FIELDS)
        # A report or a conclusion is corrected once there is one, never written here.
        if obj is None or obj.reported_on is None:
            fixed.append("report")
        if obj is None or obj.checked_on is None:
            fixed.append("outcome")
        return fixed

    def save_model(self, request, obj, form, change):
        obj._change_reason = reasons.CORRECTED  # stored in Chinese, shown translated
        super().save_model(request, obj, form, change)
