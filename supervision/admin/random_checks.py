"""Random-check plans in the admin.

A draft plan is written and edited here through services.random_checks (create_plan, edit_plan),
as on the staff pages; the draw, its verification, publication, cancellation and substitutions
happen on the plan's page and in the API. A drawn plan is read here only, with its history; its
targets and their inspectors are read only (the targets, district-scoped, have no history of
their own: the draw writes them once). Nothing is ever deleted: a plan is evidence of a draw.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supervision.admin.base import BaseAdmin, ReadOnlyInline, ScopedAdminMixin
from supervision.admin.credit import RefusalAsMessageMixin, _become, _only_changed, staff_page_url
from supervision.choices import District, FacilityKind, Grade, RandomCheckStatus
from supervision.models import RandomCheckAssignment, RandomCheckPlan, RandomCheckTarget
from supervision.pagination import CappedCountPaginator, count_cap
from supervision.scoping import user_districts
from supervision.services import random_checks as service

_UNRATED_CHOICE = "unrated"
_GRADES = [*Grade.choices, (_UNRATED_CHOICE, _("未评级"))]
# What the draw wrote and the steps after it: shown, never edited here.
DRAW_FIELDS = (
    "status",
    "algorithm",
    "seed",
    "seed_source",
    "drawn_at",
    "drawn_by",
    "pool_size",
    "pool_digest",
    "inspector_pool_size",
    "result_digest",
    "published_on",
    "published_by",
    "cancelled_on",
    "cancel_reason",
    "created_by",
)


def _boxes(label, choices) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选为不限。"),
    )


class RandomCheckPlanAdminForm(forms.ModelForm):
    """A draft's criteria; the lists as checkboxes ("未评级" is stored as "")."""

    kinds = _boxes(_("机构类别"), FacilityKind.choices)
    districts = _boxes(_("所属区县"), District.choices)
    grades = _boxes(_("信用等级"), _GRADES)

    class Meta:
        model = RandomCheckPlan
        fields = service.PLAN_FIELDS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "grades" in self.fields:
            self.initial["grades"] = [
                _UNRATED_CHOICE if g == service.UNRATED else g for g in self.instance.grades or []
            ]

    def clean_grades(self) -> list[str]:
        return [service.UNRATED if g == _UNRATED_CHOICE else g for g in self.cleaned_data["grades"]]

    def clean_weights(self):
        weights = self.cleaned_data.get("weights")
        return {} if weights in (None, "") else weights


class AssignmentInline(ReadOnlyInline):
    model = RandomCheckAssignment
    fields = ("inspector", "position", "drawn", "replaces", "withdrawn_on", "withdrawn_reason")
    verbose_name_plural = _("检查人员（最近20条）")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("inspector", "target", "replaces")


@admin.register(RandomCheckPlan)
class RandomCheckPlanAdmin(RefusalAsMessageMixin, BaseAdmin):
    """Plans: a draft is written and edited through the service; the rest is read here."""

    form = RandomCheckPlanAdminForm
    list_display = (
        "name",
        "starts_on",
        "ends_on",
        "status",
        "target_count",
        "target_share",
        "pool_size",
        "drawn_at",
        "published_on",
    )
    list_filter = ("status",)
    search_fields = ("name",)
    search_help_text = _("按计划名称查找。")

    def view_on_site(self, obj):
        return staff_page_url(obj)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("pool", "inspector_pool")

    def get_fields(self, request, obj=None):
        if obj is None:
            return service.PLAN_FIELDS
        return (*service.PLAN_FIELDS, *DRAW_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if obj.status != RandomCheckStatus.DRAFT:
            return (*service.PLAN_FIELDS, *DRAW_FIELDS)
        return DRAW_FIELDS

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        districts = user_districts(request.user)
        if districts is not None and "districts" in form.base_fields:
            field = form.base_fields["districts"]
            field.choices = [(v, label) for v, label in District.choices if v in districts]
        return form

    def has_change_permission(self, request, obj=None) -> bool:
        # A drawn plan's criteria are what its draw read: read only, whoever asks.
        if obj is not None and obj.status != RandomCheckStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        if not change:
            values = {name: form.cleaned_data[name] for name in service.PLAN_FIELDS}
            _become(obj, service.create_plan(user=request.user, **values))
            return
        changed = _only_changed(form, service.PLAN_FIELDS)
        if not changed:
            return
        service.edit_plan(
            RandomCheckPlan.objects.get(pk=obj.pk),
            user=request.user,
            version=obj.version,
            **changed,
        )
        obj.refresh_from_db()
        self.message_user(request, gettext("抽取条件已保存；抽取请在计划页面进行。"))


class ReadOnlyScopedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Rows the draw writes, without history of their own: read only, in the user's districts,
    without counting every row of a big plan."""

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    paginator = CappedCountPaginator

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        cap = count_cap(request.GET.get("p", 1), per_page)
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, cap=cap)

    def view_on_site(self, obj):
        return staff_page_url(getattr(obj, "plan", None))

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RandomCheckTarget)
class RandomCheckTargetAdmin(ReadOnlyScopedAdmin):
    list_display = ("plan", "rank", "facility", "district", "weight", "inspection")
    list_filter = ("district", "plan__status")
    list_select_related = ("plan", "facility", "inspection")
    search_fields = ("plan__name", "facility__name")
    search_help_text = _("按计划名称或机构名称查找。")
    fields = (
        "plan",
        "rank",
        "facility",
        "district",
        "weight",
        "excluded_inspectors",
        "inspection",
    )
    inlines = (AssignmentInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("plan", "facility", "inspection")
            .defer("plan__pool", "plan__inspector_pool")
        )


@admin.register(RandomCheckAssignment)
class RandomCheckAssignmentAdmin(BaseAdmin):
    """Inspectors of the drawn targets: drawn, or substitutes recorded on the plan's page."""

    list_display = (
        "target",
        "inspector",
        "position",
        "drawn",
        "withdrawn_on",
        "recorded_by",
        "recorded_at",
    )
    list_filter = ("drawn", "target__plan__status")
    list_select_related = ("target", "inspector", "recorded_by")
    search_fields = ("inspector__name", "target__plan__name", "target__facility__name")
    search_help_text = _("按执法人员姓名、计划名称或机构名称查找。")
    fields = (
        "target",
        "inspector",
        "position",
        "drawn",
        "replaces",
        "withdrawn_on",
        "withdrawn_reason",
        "recorded_by",
        "recorded_at",
    )
    # Written only by the draw and substitutions (services.random_checks); the history page
    # builds its form from these too.
    readonly_fields = fields

    def view_on_site(self, obj):
        return staff_page_url(obj.target.plan)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("target__plan", "target__facility", "inspector", "recorded_by")
            .defer("target__plan__pool", "target__plan__inspector_pool")
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


__all__ = ["RandomCheckAssignmentAdmin", "RandomCheckPlanAdmin", "RandomCheckTargetAdmin"]
