"""Tips (举报线索) and their rewards in the admin.

A tip is registered and corrected through services.tips; its workflow steps (acceptance,
investigation, conclusion, reply, closing) happen on the staff pages and the API, so here they
are read-only. The reporter is an inline that exists only for a user with view_tipreporter (and
is editable only with change_tipreporter): without the permission the page has no trace of it,
and the changelist's search never reads it. TipReporter has no admin page of its own, so its
history is nowhere in the admin.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from supervision import services
from supervision.admin.base import (
    CaseRecordAdmin,
    FacilityCodeSearchMixin,
    ReadOnlyInline,
    link,
)
from supervision.admin.evidence import EvidenceInline
from supervision.admin.forms import add_problems
from supervision.forms.tips import tip_number
from supervision.models import Tip, TipExtension, TipReporter, TipReward
from supervision.services.tips import (
    REPORTER_FIELDS,
    ReporterDetails,
    may_edit_reporter,
    may_read_reporter,
    tip_problems,
)

# What a correction of an open tip may change (services.edit_tip).
EDITABLE = (
    "channel",
    "received_at",
    "district",
    "subject_kind",
    "facility",
    "subject_name",
    "allegation",
    "violations",
    "amount_alleged",
    "wants_reply",
)
# The workflow's own fields: moved by the pages and the API, shown here.
WORKFLOW = (
    "status",
    "master",
    "decided_on",
    "decision_note",
    "inspection",
    "conclusion",
    "concluded_on",
    "conclusion_note",
    "verified_amount",
    "replied_on",
    "reply_method",
    "reply_note",
    "closed_on",
    "clock",
    "due_on",
    "acceptance_due",
    "extension_days",
    "created_by",
)


class TipAdminForm(forms.ModelForm):
    """The district follows the facility when one is named; the service's checks (a subject,
    a receipt not in the future) show on their fields."""

    class Meta:
        model = Tip
        fields = (*EDITABLE, "anonymous")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "district" in self.fields:
            self.fields["district"].required = False
            self.fields["district"].help_text = _("选择被举报机构时，自动取该机构所属区县。")

    def clean(self):
        cleaned = super().clean()
        if "facility" not in self.fields:
            return cleaned  # a closed tip: nothing to change
        facility = cleaned.get("facility")
        if facility is not None:
            cleaned["district"] = facility.district
        elif "district" in self.fields and not cleaned.get("district"):
            self.add_error("district", _("未选择被举报机构时，请选择所属区县。"))
        problems = tip_problems(
            channel=None,
            received_at=cleaned.get("received_at"),
            facility=facility,
            subject_kind=None,
            subject_name=cleaned.get("subject_name") or "",
            allegation=None,
        )
        add_problems(self, {f: m for f, m in problems.items() if f not in self.errors})
        return cleaned


class ReporterFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if not getattr(self.instance, "anonymous", False):
            return
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if form.has_changed() and any(data.get(name) for name in REPORTER_FIELDS):
                raise ValidationError(_("匿名举报不登记举报人信息。"))


class TipReporterInline(admin.StackedInline):
    """Who reported: only for a user with view_tipreporter, editable with change_tipreporter."""

    model = TipReporter
    formset = ReporterFormSet
    fields = REPORTER_FIELDS
    extra = 1
    max_num = 1
    can_delete = False
    verbose_name_plural = _("举报人信息")

    def get_queryset(self, request):
        # Without the permission nothing is read, whatever else the admin asks.
        if not may_read_reporter(request.user):
            return TipReporter.objects.none()
        return super().get_queryset(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return may_read_reporter(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return may_read_reporter(request.user) and may_edit_reporter(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.anonymous:
            return False
        return self.has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class TipExtensionInline(ReadOnlyInline):
    model = TipExtension
    fields = ("granted_on", "working_days", "reason", "granted_by")
    show_change_link = False
    verbose_name_plural = _("核查延期")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("granted_by", "tip")


@admin.register(Tip)
class TipAdmin(FacilityCodeSearchMixin, CaseRecordAdmin):
    form = TipAdminForm
    facility_path = "facility__"
    list_display = (
        "docket",
        "number_column",
        "channel",
        "received_at",
        "subject_column",
        "district",
        "status",
        "due_on",
    )
    list_filter = ("status", "channel", "district", "clock")
    list_select_related = ("facility",)
    # Never a reporter field: a search must not tell who reported.
    search_fields = (
        "facility__name",
        "=facility__credit_code",
        "^facility__insurance_code",
        "subject_name",
    )
    search_help_text = _(
        "按线索编号（如 #123）、被举报机构名称或编码、被举报对象名称查找；不检索举报人信息。"
    )
    autocomplete_fields = ("facility",)
    inlines = (TipReporterInline, TipExtensionInline, EvidenceInline)
    add_fieldsets = (
        (None, {"fields": ("channel", "received_at", "district")}),
        (_("被举报对象"), {"fields": ("subject_kind", "facility", "subject_name")}),
        (
            _("举报内容"),
            {"fields": ("allegation", "violations", "amount_alleged", "anonymous", "wants_reply")},
        ),
    )
    fieldsets = (
        *add_fieldsets,
        (
            _("办理情况"),
            {
                "fields": (
                    "status",
                    "master_link",
                    "decided_on",
                    "decision_note",
                    "inspection_link",
                    "conclusion",
                    "concluded_on",
                    "conclusion_note",
                    "verified_amount",
                    "replied_on",
                    "reply_method",
                    "reply_note",
                    "closed_on",
                )
            },
        ),
        (_("期限"), {"fields": ("clock", "due_on", "acceptance_due", "extension_days")}),
        (None, {"fields": ("created_by",)}),
    )

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        shown = (*WORKFLOW, "master_link", "inspection_link", "anonymous")
        if not obj.is_open:
            return (*EDITABLE, *shown)
        return shown

    def get_inlines(self, request, obj):
        if obj is None:
            return (TipReporterInline,)
        return self.inlines

    def get_search_results(self, request, queryset, search_term):
        number = tip_number(search_term) if search_term.strip().startswith(("#", "＃")) else None
        if number is not None:
            return queryset.filter(pk=number), False
        return super().get_search_results(request, queryset, search_term)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "violations":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # ------------------------------------------------------------------ saving

    def save_model(self, request, obj, form, change):
        """A new tip through services.register_tip; a correction through services.edit_tip
        (only what the form changed)."""
        data = form.cleaned_data
        if not change:
            saved = services.register_tip(
                channel=obj.channel,
                received_at=obj.received_at,
                allegation=obj.allegation,
                user=request.user,
                district=obj.district,
                facility=obj.facility,
                subject_kind=obj.subject_kind,
                subject_name=obj.subject_name,
                violations=list(data.get("violations") or []),
                amount_alleged=obj.amount_alleged,
                anonymous=obj.anonymous,
                wants_reply=obj.wants_reply,
            )
            obj.pk, obj._state.adding = saved.pk, False
            for name in ("created_by", "created_at", "updated_at", "version", "clock", "due_on"):
                setattr(obj, name, getattr(saved, name))
            return
        changed = [name for name in form.changed_data if name in EDITABLE]
        if not changed:
            return
        scalar = {name: data[name] for name in changed if name != "violations"}
        if "facility" in scalar or "district" in changed:
            scalar["district"] = data.get("district") or obj.district
        services.edit_tip(
            Tip.objects.get(pk=obj.pk),
            user=request.user,
            changes=scalar,
            violations=list(data["violations"]) if "violations" in changed else None,
        )
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # The violations were saved by the service (save_model); the formsets follow.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not TipReporter:
            formset.save()
            return
        for reporter_form in formset.forms:
            if reporter_form.has_changed() and hasattr(reporter_form, "cleaned_data"):
                details = ReporterDetails.of(reporter_form.cleaned_data)
                services.set_reporter(form.instance, details, user=request.user)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    # ----------------------------------------------------------------- columns

    @admin.display(description=_("线索编号"), ordering="id")
    def number_column(self, obj: Tip) -> str:
        return obj.number

    @admin.display(description=_("被举报对象"), ordering="subject_name")
    def subject_column(self, obj: Tip) -> str:
        return obj.subject or "—"

    @admin.display(description=_("并入线索"))
    def master_link(self, obj: Tip) -> str:
        return link(obj.master) if obj.master_id else "—"

    @admin.display(description=_("核查检查"))
    def inspection_link(self, obj: Tip) -> str:
        return link(obj.inspection) if obj.inspection_id else "—"


@admin.register(TipReward)
class TipRewardAdmin(CaseRecordAdmin):
    """Rewards are proposed, decided and paid on the pages and the API (services.tips): read
    here, with their history. They carry no reporter detail."""

    list_display = ("tip_column", "status", "amount", "proposed_on", "decided_on", "paid_on")
    list_filter = ("status", "proposed_on", "tip__district")
    list_select_related = ("tip__facility",)
    search_fields = ("=reference",)
    search_help_text = _("按线索编号（如 #123）或发放凭证号查找。")
    fields = (
        "tip_link",
        "status",
        "verified_amount",
        "share",
        "amount",
        "proposed_on",
        "proposed_by",
        "decided_on",
        "decided_by",
        "claim_by",
        "paid_on",
        "method",
        "reference",
        "note",
    )

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request) -> bool:
        return False

    def get_search_results(self, request, queryset, search_term):
        number = tip_number(search_term)
        if number is not None:
            return queryset.filter(tip_id=number), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("举报线索"), ordering="tip_id")
    def tip_column(self, obj: TipReward) -> str:
        return str(obj.tip)

    @admin.display(description=_("举报线索"))
    def tip_link(self, obj: TipReward) -> str:
        return link(obj.tip)


__all__ = ["TipAdmin", "TipRewardAdmin"]
