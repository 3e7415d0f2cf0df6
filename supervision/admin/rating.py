"""Credit ratings (every grade set or changed through services.set_grade) and their changes."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from supervision import services
from supervision.admin.base import CaseRecordAdmin, FacilityCodeSearchMixin, ReadOnlyInline
from supervision.admin.filters import RatingYearFilter
from supervision.admin.forms import CreditRatingAdminForm
from supervision.models import CreditRating, RatingChange

_FACILITY_SEARCH = ("facility__name", "=facility__credit_code", "^facility__insurance_code")


class RatingChangeInline(ReadOnlyInline):
    model = RatingChange
    fields = ("changed_at", "from_grade", "to_grade", "reason", "changed_by")
    verbose_name_plural = _("评级调整记录（最近20条）")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("rating__facility", "changed_by")


@admin.register(CreditRating)
class CreditRatingAdmin(FacilityCodeSearchMixin, CaseRecordAdmin):
    form = CreditRatingAdminForm
    facility_path = "facility__"
    list_display = (
        "facility",
        "year_column",
        "grade",
        "score",
        "rated_on",
        "facility_kind",
        "district",
    )
    list_filter = (RatingYearFilter, "grade", "facility__kind", "facility__district")
    list_select_related = ("facility",)
    search_fields = _FACILITY_SEARCH
    search_help_text = _("按机构名称、统一社会信用代码或医保定点编码查找。")
    autocomplete_fields = ("facility",)
    inlines = (RatingChangeInline,)
    fieldsets = (
        (None, {"fields": ("facility", "year", "grade", "score", "rated_on", "basis")}),
        (_("本次调整"), {"fields": ("reason", "confirm_downgrade")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).for_lists()

    def get_readonly_fields(self, request, obj=None):
        # A rating belongs to one facility and year; to rate another, add a rating.
        return ("facility", "year_column") if obj is not None else ()

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets
        # Shown read-only as text: a year is not a quantity (no thousands separator).
        return [
            (
                name,
                {
                    **opts,
                    "fields": tuple("year_column" if f == "year" else f for f in opts["fields"]),
                },
            )
            for name, opts in self.fieldsets
        ]

    @admin.display(description=_("评价年度"), ordering="year")
    def year_column(self, obj: CreditRating) -> str:
        return str(obj.year)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    @admin.display(description=_("机构类别"), ordering="facility__kind")
    def facility_kind(self, obj: CreditRating) -> str:
        return obj.facility.get_kind_display()

    @admin.display(description=_("所属区县"), ordering="facility__district")
    def district(self, obj: CreditRating) -> str:
        return obj.facility.get_district_display()

    def save_model(self, request, obj, form, change):
        """A new grade goes through services.set_grade (RatingChange + history with reason)."""
        reason = form.cleaned_data["reason"]
        if change and "grade" not in form.changed_data:
            # Score, date or basis only: no grade change to record, the reason goes to history.
            obj._change_reason = reason
            super().save_model(request, obj, form, change)
            return
        rating = services.set_grade(
            facility=obj.facility,
            year=obj.year,
            grade=obj.grade,
            reason=reason,
            user=request.user,
            score=obj.score,
            rated_on=obj.rated_on,
            basis=obj.basis,
            # The version the change form carried (None when adding).
            expected_version=obj.version if change else None,
            confirm_downgrade=form.cleaned_data.get("confirm_downgrade", False),
        ).rating
        # The admin goes on with obj (log entry, redirect): make it the saved row.
        obj.pk = rating.pk
        obj._state.adding = False
        obj._state.db = rating._state.db
        obj.created_at, obj.updated_at = rating.created_at, rating.updated_at


@admin.register(RatingChange)
class RatingChangeAdmin(FacilityCodeSearchMixin, CaseRecordAdmin):
    """The audit trail of grades: written by services.set_grade only, read here."""

    facility_path = "rating__facility__"
    list_display = ("rating", "from_grade", "to_grade", "short_reason", "changed_by", "changed_at")
    list_filter = ("to_grade", "from_grade", "changed_at")
    list_select_related = ("rating__facility", "changed_by")
    search_fields = ("rating__facility__name", "=rating__facility__credit_code")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("rating__facility", "changed_by")

    @admin.display(description=_("调整原因"))
    def short_reason(self, obj: RatingChange) -> str:
        return obj.reason if len(obj.reason) <= 40 else obj.reason[:40] + "…"
