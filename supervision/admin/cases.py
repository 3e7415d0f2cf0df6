"""Inspections, referrals, sanctions and the inspectors who do the work."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from supervision import services
from supervision.admin.base import (
    BaseAdmin,
    CaseRecordAdmin,
    FacilityCodeSearchMixin,
    ReadOnlyInline,
)
from supervision.admin.evidence import EvidenceInline
from supervision.admin.filters import InForceFilter
from supervision.admin.forms import InspectionAdminForm, ReferralAdminForm, SanctionAdminForm
from supervision.choices import ReferralStatus
from supervision.models import Inspection, Inspector, Referral, Sanction
from supervision.services import publication, reasons
from supervision.services.sanction_kinds import KIND_SPECIFIC, record_sanction

_FACILITY_SEARCH = ("facility__name", "=facility__credit_code", "^facility__insurance_code")
# Sanctions made public by one action: a page of the changelist, not the whole table.
MAX_PUBLISH = 200


def _names(objects) -> str:
    return pgettext("list separator", "、").join(str(o) for o in objects) or "—"


@admin.register(Inspector)
class InspectorAdmin(BaseAdmin):
    list_display = ("name", "badge_number", "user", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("user",)
    search_fields = ("name", "=badge_number")
    autocomplete_fields = ("user",)

    def get_readonly_fields(self, request, obj=None):
        # Linking an account needs the user list, which only administrators see.
        return () if request.user.is_superuser else ("user",)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting would silently drop them from past inspections: mark them 不在岗 instead.
        return False

    def get_search_results(self, request, queryset, search_term):
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        if request.GET.get("field_name") == "inspectors":
            # Choosing inspectors for an inspection: only those on duty.
            queryset = queryset.filter(is_active=True)
        return queryset, duplicates


class ReferralInline(ReadOnlyInline):
    model = Referral
    fields = ("agency", "status", "referred_on", "case_number", "closed_on")
    verbose_name_plural = pgettext_lazy("plural", "案件移送")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("inspection__facility")


@admin.register(Inspection)
class InspectionAdmin(FacilityCodeSearchMixin, CaseRecordAdmin):
    form = InspectionAdminForm
    facility_path = "facility__"
    list_display = (
        "docket",
        "facility",
        "kind",
        "status",
        "start_date",
        "end_date",
        "inspector_names",
        "violation_names",
        "amount_involved",
        "amount_recovered",
    )
    list_filter = ("kind", "status", "start_date", "facility__kind", "facility__district")
    list_select_related = ("facility",)
    search_fields = _FACILITY_SEARCH
    search_help_text = _("按被检查机构名称、统一社会信用代码或医保定点编码查找。")
    autocomplete_fields = ("facility", "inspectors")
    readonly_fields = ("created_by",)
    inlines = (ReferralInline, EvidenceInline)
    fieldsets = (
        (None, {"fields": ("facility", "kind", "status", "start_date", "end_date")}),
        (_("人员与协作"), {"fields": ("inspectors", "partner_agencies")}),
        (
            _("检查结果"),
            {"fields": ("violations", "findings", "amount_involved", "amount_recovered")},
        ),
        (None, {"fields": ("created_by",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).for_lists()

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        # The form has validated the edit; its many-to-many fields follow in save_related.
        services.edit_inspection(obj, user=request.user, validated=True)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # A handful of fixed codes: checkboxes read better than a search box.
        if db_field.name in ("partner_agencies", "violations"):
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("检查人员"))
    def inspector_names(self, obj: Inspection) -> str:
        return pgettext("list separator", "、").join(i.name for i in obj.inspectors.all()) or "—"

    @admin.display(description=_("违规类型"))
    def violation_names(self, obj: Inspection) -> str:
        return _names(obj.violations.all())


@admin.register(Referral)
class ReferralAdmin(FacilityCodeSearchMixin, CaseRecordAdmin):
    form = ReferralAdminForm
    facility_path = "inspection__facility__"
    list_display = (
        "docket",
        "facility",
        "agency",
        "status",
        "referred_on",
        "case_number",
        "decided_on",
        "closed_on",
    )
    list_filter = ("agency", "status", "referred_on", "inspection__facility__district")
    list_select_related = ("inspection__facility",)
    search_fields = (
        "inspection__facility__name",
        "=inspection__facility__credit_code",
        "=case_number",
    )
    search_help_text = _("按机构名称、统一社会信用代码或立案编号查找。")
    autocomplete_fields = ("inspection",)
    readonly_fields = ("created_by",)
    inlines = (EvidenceInline,)
    add_fieldsets = ((None, {"fields": ("inspection", "agency", "referred_on", "summary")}),)
    fieldsets = (
        (None, {"fields": ("inspection", "agency", "referred_on", "summary")}),
        (
            _("办理情况"),
            {"fields": ("status", "decided_on", "case_number", "closed_on", "outcome")},
        ),
        (None, {"fields": ("created_by",)}),
    )

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("inspection", "agency", "created_by")

    def get_queryset(self, request):
        return super().get_queryset(request).for_lists()

    def lookup_allowed(self, lookup, value, request=None):
        # The facility page links here for "all referrals of this facility".
        if lookup == "inspection__facility__id__exact":
            return True
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description=_("机构"), ordering="inspection__facility__name")
    def facility(self, obj: Referral) -> str:
        return str(obj.inspection.facility)

    def save_model(self, request, obj, form, change):
        """New referrals and status moves go through the referral services."""
        if not change:
            saved = services.refer_inspection(
                obj.inspection,
                agency=obj.agency,
                referred_on=obj.referred_on,
                summary=obj.summary,
                user=request.user,
            )
            obj.pk, obj._state.adding = saved.pk, False
            obj.created_at, obj.updated_at = saved.created_at, saved.updated_at
            return
        if "status" not in form.changed_data:
            super().save_model(request, obj, form, change)
            return
        to_status = obj.status
        on = obj.closed_on if to_status == ReferralStatus.CLOSED else obj.decided_on
        original = Referral.objects.get(pk=obj.pk)
        moved_fields = {"status", "decided_on", "closed_on", "case_number", "outcome"}
        if set(form.changed_data) - moved_fields:
            # Other edits (summary, date) are saved first, as they were, then the status moves.
            for name in moved_fields:
                setattr(obj, name, getattr(original, name))
            super().save_model(request, obj, form, change)
        services.move_referral(
            obj,
            to_status=to_status,
            on=on,
            user=request.user,
            case_number=form.cleaned_data.get("case_number", ""),
            outcome=form.cleaned_data.get("outcome", ""),
        )
        obj.refresh_from_db()


@admin.register(Sanction)
class SanctionAdmin(FacilityCodeSearchMixin, CaseRecordAdmin):
    form = SanctionAdminForm
    facility_path = "facility__"
    list_display = (
        "docket",
        "facility",
        "kind",
        "decided_on",
        "starts_on",
        "ends_on",
        "deposit_percent",
        "amount",
        "decision_number",
    )
    list_filter = (
        "kind",
        InForceFilter,
        "decided_on",
        "facility__kind",
        "facility__district",
    )
    list_select_related = ("facility",)
    search_fields = (*_FACILITY_SEARCH, "=decision_number")
    search_help_text = _("按机构名称、统一社会信用代码、医保定点编码或文书编号查找。")
    autocomplete_fields = ("facility", "inspection", "rating")
    readonly_fields = ("created_by",)
    inlines = (EvidenceInline,)
    fieldsets = (
        (None, {"fields": ("facility", "kind", "decided_on", "decision_number", "legal_basis")}),
        (_("期限与金额"), {"fields": ("starts_on", "ends_on", "deposit_percent", "amount")}),
        (_("依据"), {"fields": ("inspection", "rating", "note", "created_by")}),
    )

    actions = ("publish_selected",)

    def get_queryset(self, request):
        return super().get_queryset(request).for_lists()

    @admin.action(description=_("对外公开所选处理措施"), permissions=["change"])
    def publish_selected(self, request, queryset):
        """services.publication.publish_sanction for each selected sanction, each in its own
        transaction: a refusal (already public, a commendation, no legal basis) is reported and
        leaves the others published."""
        sanctions = list(queryset.order_by("pk")[: MAX_PUBLISH + 1])
        if len(sanctions) > MAX_PUBLISH:
            self.message_user(
                request,
                gettext("一次最多公开%(n)d项处理措施，请先筛选。") % {"n": MAX_PUBLISH},
                messages.ERROR,
            )
            return
        published = 0
        for sanction in sanctions:
            try:
                publication.publish_sanction(sanction, user=request.user)
            except ValidationError as refusal:
                self.message_user(
                    request,
                    gettext("%(sanction)s未公开：%(reason)s")
                    % {"sanction": sanction, "reason": " ".join(refusal.messages)},
                    messages.ERROR,
                )
                continue
            published += 1
        if published:
            self.message_user(
                request,
                ngettext("已对外公开%(n)d项处理措施。", "已对外公开%(n)d项处理措施。", published)
                % {"n": published},
                messages.SUCCESS,
            )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # What was decided, against whom, stays; dates, numbers and notes can be corrected.
        return ("facility", "kind", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        """New measures go through their service; corrections are a validated plain save."""
        if change:
            obj._change_reason = reasons.CORRECTED  # stored in Chinese, shown translated
            super().save_model(request, obj, form, change)
            return
        saved = self._record(request, obj)
        obj.pk, obj._state.adding = saved.pk, False
        obj.created_by, obj.created_at, obj.updated_at = (
            saved.created_by,
            saved.created_at,
            saved.updated_at,
        )

    def _record(self, request, obj: Sanction) -> Sanction:
        return record_sanction(
            obj.facility,
            kind=obj.kind,
            decided_on=obj.decided_on,
            user=request.user,
            **{name: getattr(obj, name) for name in KIND_SPECIFIC},
        )
