"""Credit management (信用管理) in the admin.

What is kept here: the 8 categories (their description, by a superuser), the indicator systems
with their dimensions and indicators, the measures of each grade, and the registries of credit
institutions and insured persons (saved through services.credit_subjects). The evaluation itself
(cycles, assessments and their items, objections, repairs, the check plan) moves on the staff
pages through services.evaluation: here it is read only, with its history.

A frozen indicator system (its year's evaluation has opened) is shown read-only with the reason;
a POST that tries anyway gets the same refusal as a message, never an error page. An insured
person's ID number (InsuredIdentity) exists on these pages only for a user with
view_insuredidentity: everyone else sees the masked number, and the search never reads it.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import ValidationError
from django.db.models import Model, Sum
from django.http import HttpResponseRedirect
from django.urls import NoReverseMatch
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supervision.admin.base import BaseAdmin, link
from supervision.choices import INSTITUTION_CATEGORIES
from supervision.codes import CREDIT_CODE_LENGTH, validate_resident_id
from supervision.models import (
    Assessment,
    AssessmentItem,
    CreditCategory,
    CreditInstitution,
    CreditRepair,
    Dimension,
    EvaluationCycle,
    Indicator,
    IndicatorSystem,
    InsuredIdentity,
    InsuredPerson,
    Objection,
    PlannedCheck,
    SupervisionMeasure,
)
from supervision.models.credit import FULL_SCORE, SystemFrozen
from supervision.services import credit_subjects, evaluation
from supervision.services._common import save_with_history

INSTITUTION_FIELDS = (
    "category",
    "name",
    "credit_code",
    "district",
    "address",
    "legal_representative",
    "note",
)
PERSON_FIELDS = ("name", "district", "note")
_CODE_PREFIX = re.compile(r"[0-9A-Z]{2,18}")


def staff_page_url(obj: Model | None) -> str | None:
    """The record's staff page, when the model has one and its URL exists."""
    get_url = getattr(obj, "get_absolute_url", None)
    if get_url is None or obj.pk is None:
        return None
    try:
        return get_url()
    except NoReverseMatch:
        return None


def staff_page_link(obj: Model) -> str:
    url = staff_page_url(obj)
    return format_html('<a href="{}">{}</a>', url, gettext("打开")) if url else "—"


class RefusalAsMessageMixin:
    """A service's refusal (a ValidationError raised while saving, e.g. SystemFrozen when the
    system was frozen meanwhile) comes back as a message on the same page, not an error page.
    The admin's transaction has rolled everything back by then."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as refusal:
            for message in refusal.messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def _only_changed(form, fields: tuple[str, ...]) -> dict:
    return {name: form.cleaned_data[name] for name in form.changed_data if name in fields}


# ---------------------------------------------------------------- categories


@admin.register(CreditCategory)
class CreditCategoryAdmin(BaseAdmin):
    """The 8 categories are fixed by the rules (migration 0108): a superuser may word the
    description; nobody adds or deletes one."""

    list_display = ("number", "code", "subject_type", "description")
    list_display_links = ("number", "code")
    list_filter = ("subject_type",)
    fields = ("number", "code", "subject_type", "description")
    readonly_fields = ("number", "code", "subject_type")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if form.changed_data:
            save_with_history(obj, request.user)


# ---------------------------------------------------------------- indicator systems


def _frozen(obj: IndicatorSystem | None) -> bool:
    return obj is not None and obj.frozen_at is not None


class _SystemPartInline(admin.TabularInline):
    """Dimensions and indicators: edited with their system while it is not frozen."""

    extra = 0
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return not _frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not _frozen(obj) and super().has_delete_permission(request, obj)


class DimensionInline(_SystemPartInline):
    model = Dimension
    fields = ("position", "name", "full_points")
    verbose_name_plural = _("评价维度（分值合计应为1000分）")


class IndicatorInline(_SystemPartInline):
    model = Indicator
    fields = (
        "position",
        "code",
        "name",
        "dimension",
        "method",
        "fact",
        "qualifier",
        "points_per_unit",
        "full_points",
        "veto_grade",
        "guidance",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("dimension")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "guidance":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 30})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields.get("dimension")
        if field is not None:
            # The system's own dimensions, read once for every row (not once per row).
            if isinstance(field.widget, RelatedFieldWidgetWrapper):
                field.widget = field.widget.widget
            field.queryset = Dimension.objects.filter(system=obj)
            field.choices = [("", "---------"), *((d.pk, str(d)) for d in field.queryset)]
        return formset


class FrozenFilter(admin.SimpleListFilter):
    title = _("是否锁定")
    parameter_name = "frozen"

    def lookups(self, request, model_admin):
        return [("yes", _("已锁定")), ("no", _("未锁定"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(frozen_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(frozen_at__isnull=True)
        return queryset


@admin.register(IndicatorSystem)
class IndicatorSystemAdmin(RefusalAsMessageMixin, BaseAdmin):
    list_display = (
        "year_column",
        "category",
        "name",
        "dimension_total_column",
        "frozen_column",
        "copied_from",
        "page_link",
    )
    list_filter = ("category", "year", FrozenFilter)
    list_select_related = ("category", "copied_from")
    search_fields = ("name", "=year")
    search_help_text = _("按名称或年度查找。")
    inlines = (DimensionInline, IndicatorInline)
    actions = ("copy_to_next_year",)
    fieldsets = (
        (None, {"fields": ("category", "year", "name", "note")}),
        (_("等级分数线"), {"fields": ("threshold_a", "threshold_b", "threshold_c")}),
        (_("状态"), {"fields": ("problems_column", "frozen_column", "copied_from_link")}),
    )
    add_fieldsets = fieldsets[:2]

    def view_on_site(self, obj):
        return staff_page_url(obj)

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(dimension_total=Sum("dimensions__full_points"))
        )

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        shown = ("problems_column", "frozen_column", "copied_from_link")
        # A system belongs to one category and year; for another, copy it.
        fixed = ("category", "year")
        if _frozen(obj):
            return (*fixed, "name", "note", "threshold_a", "threshold_b", "threshold_c", *shown)
        return (*fixed, *shown)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else (DimensionInline,)

    def has_change_permission(self, request, obj=None) -> bool:
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not _frozen(obj) and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # A bulk delete skips the models' freeze check: one system at a time, on its page.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _stored_system(self, request, object_id) -> IndicatorSystem | None:
        if object_id is None:
            return None
        return self.get_object(request, object_id)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        system = self._stored_system(request, object_id)
        if _frozen(system):
            refusal = SystemFrozen(system).message
            may_change = super().has_change_permission(request, system)
            if request.method == "POST" and may_change:
                self.message_user(request, refusal, messages.ERROR)
                return HttpResponseRedirect(request.get_full_path())
            if request.method == "GET":
                self.message_user(request, refusal, messages.WARNING)
        return super().changeform_view(request, object_id, form_url, extra_context)

    # ------------------------------------------------------------------ saving

    def save_model(self, request, obj, form, change):
        if change and not form.changed_data:
            return
        save_with_history(obj, request.user)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for deleted in formset.deleted_objects:
            deleted._history_user = request.user
            deleted.delete()
        for instance in instances:
            save_with_history(instance, request.user)
        formset.save_m2m()

    # ------------------------------------------------------------------ action

    def has_copy_permission(self, request) -> bool:
        return request.user.has_perms(
            [
                "supervision.add_indicatorsystem",
                "supervision.add_dimension",
                "supervision.add_indicator",
            ]
        )

    @admin.action(description=_("复制为下一年度指标体系"), permissions=["copy"])
    def copy_to_next_year(self, request, queryset):
        for system in queryset.select_related("category").order_by("year", "category__number"):
            try:
                copied = evaluation.copy_system(system, year=system.year + 1, user=request.user)
            except ValidationError as refusal:
                self.message_user(
                    request,
                    gettext("%(system)s未复制：%(reason)s")
                    % {"system": system, "reason": " ".join(refusal.messages)},
                    messages.ERROR,
                )
                continue
            self.message_user(
                request,
                format_html(
                    "{} {}",
                    gettext("已将%(source)s复制为%(copy)s。") % {"source": system, "copy": copied},
                    link(copied, gettext("查看")),
                ),
                messages.SUCCESS,
            )

    # ------------------------------------------------------------------ columns

    @admin.display(description=_("评价年度"), ordering="year")
    def year_column(self, obj: IndicatorSystem) -> str:
        return str(obj.year)

    @admin.display(description=_("维度分值合计"), ordering="dimension_total")
    def dimension_total_column(self, obj: IndicatorSystem) -> str:
        total = getattr(obj, "dimension_total", None) or 0
        if total == FULL_SCORE:
            return str(total)
        return gettext("%(total)s（应为%(full)s）") % {"total": total, "full": FULL_SCORE}

    @admin.display(description=_("锁定"), ordering="frozen_at")
    def frozen_column(self, obj: IndicatorSystem) -> str:
        if obj.frozen_at is None:
            return gettext("未锁定")
        return gettext("已锁定（评价已启动）")

    @admin.display(description=_("设置检查"))
    def problems_column(self, obj: IndicatorSystem) -> str:
        problems = evaluation.system_problems(obj)
        if not problems:
            return gettext("设置完整：各维度分值合计%(full)s分。") % {"full": FULL_SCORE}
        items = format_html_join("", "<li>{}</li>", ((problem,) for problem in problems))
        return format_html("<ul>{}</ul>", items)

    @admin.display(description=_("复制自"))
    def copied_from_link(self, obj: IndicatorSystem) -> str:
        return link(obj.copied_from)

    @admin.display(description=_("工作页面"))
    def page_link(self, obj: Model) -> str:
        return staff_page_link(obj)


# ---------------------------------------------------------------- measures


@admin.register(SupervisionMeasure)
class SupervisionMeasureAdmin(BaseAdmin):
    """One row per category and grade (seeded): changed, never added or deleted."""

    list_display = (
        "category",
        "grade",
        "min_checks",
        "max_checks",
        "focus_list",
        "talk",
        "plaque",
        "simplified",
    )
    list_display_links = ("category", "grade")
    list_filter = ("category", "grade")
    list_select_related = ("category",)
    fields = (
        "category",
        "grade",
        "min_checks",
        "max_checks",
        "focus_list",
        "talk",
        "plaque",
        "simplified",
        "note",
    )
    readonly_fields = ("category", "grade")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if form.changed_data:
            save_with_history(obj, request.user)


# ---------------------------------------------------------------- registries


class CreditCodeSearchMixin:
    """A code-looking term is matched on the credit code's index (whole: `=`, part: prefix);
    anything else goes to search_fields (the names)."""

    def get_search_results(self, request, queryset, search_term):
        code = search_term.strip().upper()
        if _CODE_PREFIX.fullmatch(code) and any(c.isdigit() for c in code):
            if len(code) == CREDIT_CODE_LENGTH:
                return queryset.filter(credit_code=code), False
            return queryset.filter(credit_code__startswith=code), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(CreditInstitution)
class CreditInstitutionAdmin(RefusalAsMessageMixin, CreditCodeSearchMixin, BaseAdmin):
    """Pharmaceutical companies, insured employers and third-party providers (categories 4–6),
    registered and corrected through services.credit_subjects."""

    list_display = ("name", "category", "credit_code", "district", "legal_representative")
    list_filter = ("category", "district")
    list_select_related = ("category",)
    search_fields = ("name",)
    search_help_text = _("按名称搜索；输入统一社会信用代码（可只输前几位）按代码查找。")
    fields = INSTITUTION_FIELDS

    def has_delete_permission(self, request, obj=None) -> bool:
        # Assessments refer to it: correct it instead.
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "category":
            kwargs["queryset"] = CreditCategory.objects.filter(code__in=INSTITUTION_CATEGORIES)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            data = {name: form.cleaned_data[name] for name in INSTITUTION_FIELDS}
            saved = credit_subjects.register_institution(user=request.user, **data)
            _become(obj, saved)
            return
        changed = _only_changed(form, INSTITUTION_FIELDS)
        if not changed:
            return
        credit_subjects.edit_institution(
            CreditInstitution.objects.get(pk=obj.pk),
            user=request.user,
            expected_version=obj.version,
            **changed,
        )
        obj.refresh_from_db()


def _become(obj: Model, saved: Model) -> None:
    """Make the admin's unsaved obj the row a service created (log entry, redirect)."""
    obj.pk, obj._state.adding, obj._state.db = saved.pk, False, saved._state.db
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))


class InsuredPersonAddForm(forms.ModelForm):
    """A new person with the ID number, which the service keeps apart (InsuredIdentity)."""

    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=18,
        validators=[validate_resident_id],
        help_text=_("18位；保存后仅有查看权限的人员可见，其他人只看到脱敏号码。"),
    )

    class Meta:
        model = InsuredPerson
        fields = ("name", "district", "id_number", "note")

    def clean_id_number(self) -> str:
        number = credit_subjects.normalised_id(self.cleaned_data["id_number"])
        if InsuredIdentity.objects.filter(id_number=number).exists():
            raise ValidationError(_("该身份证号码已登记为参保人员，不能重复登记。"))
        return number


class InsuredIdentityInline(admin.StackedInline):
    """The ID number: only for a user with view_insuredidentity, corrected (through
    services.credit_subjects) with change_insuredidentity."""

    model = InsuredIdentity
    fields = ("id_number",)
    can_delete = False
    extra = 0
    max_num = 1
    verbose_name_plural = _("身份证号码")

    def get_queryset(self, request):
        # Without the permission nothing is read, whatever else the admin asks.
        if not credit_subjects.may_read_identity(request.user):
            return InsuredIdentity.objects.none()
        return super().get_queryset(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return credit_subjects.may_read_identity(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        may_read = credit_subjects.may_read_identity(request.user)
        return may_read and credit_subjects.may_correct_identity(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        # Every person is registered with the number.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InsuredPerson)
class InsuredPersonAdmin(RefusalAsMessageMixin, BaseAdmin):
    """Insured persons (category 8), registered and corrected through services.credit_subjects.
    Lists, search and history know the masked number only, except for a user who may read it."""

    list_display = ("name", "id_masked", "district", "updated_at")
    list_filter = ("district",)
    search_fields = ("name",)
    search_help_text = _("按姓名查找；有身份信息查看权限的人员也可输入完整的身份证号码。")
    fields = ("name", "district", "id_masked", "note")
    readonly_fields = ("id_masked",)
    inlines = (InsuredIdentityInline,)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = InsuredPersonAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        return ("name", "district", "id_number", "note") if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        if obj is None or not credit_subjects.may_read_identity(request.user):
            return ()
        return self.inlines

    def has_add_permission(self, request) -> bool:
        # A person is registered with the ID number (add_insuredidentity).
        return super().has_add_permission(request) and credit_subjects.may_enter_identity(
            request.user
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_search_results(self, request, queryset, search_term):
        number = credit_subjects.normalised_id(search_term)
        may_read = credit_subjects.may_read_identity(request.user)
        if may_read and credit_subjects.is_resident_id_shaped(number):
            return queryset.filter(identity__id_number=number), False
        # Never the ID number for anyone else: the search reads the names only.
        return super().get_search_results(request, queryset, search_term)

    def save_model(self, request, obj, form, change):
        if not change:
            saved = credit_subjects.register_insured_person(
                name=form.cleaned_data["name"],
                district=form.cleaned_data["district"],
                id_number=form.cleaned_data["id_number"],
                note=form.cleaned_data.get("note", ""),
                user=request.user,
            )
            _become(obj, saved)
            return
        changed = _only_changed(form, PERSON_FIELDS)
        if not changed:
            return
        credit_subjects.edit_insured_person(
            InsuredPerson.objects.get(pk=obj.pk),
            user=request.user,
            expected_version=obj.version,
            **changed,
        )
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # The person (and a new one's number) were saved by the service in save_model; a
        # corrected number goes through it too, never through the inline's own save.
        for formset in formsets:
            for identity_form in formset.forms:
                if identity_form.has_changed() and hasattr(identity_form, "cleaned_data"):
                    credit_subjects.edit_insured_person(
                        form.instance,
                        user=request.user,
                        id_number=identity_form.cleaned_data["id_number"],
                    )
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


# ---------------------------------------------------------------- the evaluation, read only


class EvaluationRecordAdmin(BaseAdmin):
    """Written by services.evaluation on the staff pages; read here, with the history."""

    def view_on_site(self, obj):
        return staff_page_url(obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EvaluationCycle)
class EvaluationCycleAdmin(EvaluationRecordAdmin):
    list_display = (
        "__str__",
        "category",
        "year_column",
        "status",
        "opened_on",
        "self_assessment_due",
        "publication_ends",
        "subject_count",
    )
    list_filter = ("status", "category", "year")
    list_select_related = ("category",)
    search_fields = ("=year",)
    search_help_text = _("按评价年度查找。")

    @admin.display(description=_("评价年度"), ordering="year")
    def year_column(self, obj: EvaluationCycle) -> str:
        return str(obj.year)


@admin.register(Assessment)
class AssessmentAdmin(EvaluationRecordAdmin):
    list_display = (
        "subject_name",
        "cycle",
        "district",
        "self_score",
        "score",
        "grade",
        "vetoed",
        "published_grade",
        "finalised",
        "page_link",
    )
    list_filter = ("cycle__year", "cycle__category", "grade", "vetoed", "finalised", "district")
    list_select_related = ("cycle",)
    search_fields = ("subject_name", "=facility__credit_code", "=institution__credit_code")
    search_help_text = _("按评价对象名称或统一社会信用代码查找。")

    @admin.display(description=_("工作页面"))
    def page_link(self, obj: Assessment) -> str:
        return staff_page_link(obj)


@admin.register(AssessmentItem)
class AssessmentItemAdmin(EvaluationRecordAdmin):
    list_display = (
        "assessment",
        "indicator",
        "automatic",
        "points",
        "facts",
        "entered_by",
        "entered_at",
    )
    list_filter = ("automatic", "indicator__method", "assessment__cycle__year")
    list_select_related = ("assessment__cycle", "indicator", "entered_by")
    search_fields = ("assessment__subject_name", "=indicator__code")
    search_help_text = _("按评价对象名称或指标编号查找。")


@admin.register(Objection)
class ObjectionAdmin(EvaluationRecordAdmin):
    list_display = (
        "__str__",
        "assessment",
        "received_on",
        "due_on",
        "status",
        "grade_before",
        "grade_after",
        "decided_on",
    )
    list_filter = ("status", "received_on", "assessment__district")
    list_select_related = ("assessment__cycle",)
    search_fields = ("assessment__subject_name",)
    search_help_text = _("按评价对象名称查找。")


@admin.register(CreditRepair)
class CreditRepairAdmin(EvaluationRecordAdmin):
    list_display = (
        "__str__",
        "rating",
        "applied_on",
        "eligible_from",
        "status",
        "from_grade",
        "to_grade",
        "decided_on",
    )
    list_filter = ("status", "from_grade", "applied_on", "rating__facility__district")
    list_select_related = ("rating__facility",)
    search_fields = ("rating__facility__name", "=rating__facility__credit_code")
    search_help_text = _("按机构名称或统一社会信用代码查找。")


@admin.register(PlannedCheck)
class PlannedCheckAdmin(EvaluationRecordAdmin):
    list_display = (
        "facility",
        "year_column",
        "sequence",
        "grade",
        "grade_year",
        "due_on",
        "done_column",
    )
    list_filter = ("year", "grade", "facility__district")
    list_select_related = ("facility",)
    search_fields = ("facility__name", "=facility__credit_code")
    search_help_text = _("按机构名称或统一社会信用代码查找。")

    @admin.display(description=_("计划年度"), ordering="year")
    def year_column(self, obj: PlannedCheck) -> str:
        return str(obj.year)

    @admin.display(description=_("已完成"), boolean=True, ordering="inspection")
    def done_column(self, obj: PlannedCheck) -> bool:
        return obj.inspection_id is not None


__all__ = [
    "AssessmentAdmin",
    "AssessmentItemAdmin",
    "CreditCategoryAdmin",
    "CreditInstitutionAdmin",
    "CreditRepairAdmin",
    "EvaluationCycleAdmin",
    "IndicatorSystemAdmin",
    "InsuredPersonAdmin",
    "ObjectionAdmin",
    "PlannedCheckAdmin",
    "SupervisionMeasureAdmin",
]
