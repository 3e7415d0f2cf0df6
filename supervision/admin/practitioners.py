"""Practitioners and their payment qualification (医保支付资格记分) in the admin.

What is kept here: the people (registered and corrected through services.practitioners), their
registrations (ended through the service), and the rules of points (PointsPolicy with its bands
and suspension periods, edited by a supervisor, with history). The points records and the
suspensions and terminations are written by the service alone (on the staff pages and the API):
here they are read only, with their history.

A person's ID number (PractitionerIdentity) exists on these pages only for a user with
view_practitioneridentity: everyone else sees the masked number, the search never reads it for
them, and neither the history pages nor the change messages ever hold it (the person's history
knows the mask only; the number's own history has no admin page).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supervision.admin.base import BaseAdmin, ReadOnlyInline, SafeAutocompleteSelect
from supervision.admin.credit import RefusalAsMessageMixin, _become, _only_changed
from supervision.choices import QualificationStatus, RegistrationEnd
from supervision.codes import validate_resident_id
from supervision.models import (
    Facility,
    PointsBand,
    PointsPolicy,
    PointsRecord,
    Practitioner,
    PractitionerIdentity,
    QualificationMeasure,
    Registration,
    SuspensionPeriod,
)
from supervision.scoping import scoped_queryset
from supervision.services import practitioners as service
from supervision.services._common import save_with_history
from supervision.services.credit_subjects import is_resident_id_shaped

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_ENDS_BY_HAND = [
    ("", "---------"),
    (RegistrationEnd.LEFT, RegistrationEnd.LEFT.label),
    (RegistrationEnd.OTHER, RegistrationEnd.OTHER.label),
]


class ServiceRecordAdmin(BaseAdmin):
    """Written by services.practitioners only; read here, with the history."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _year(value: int) -> str:
    # A year is not a quantity: no thousands separator.
    return str(value)


# ---------------------------------------------------------------- people


class PractitionerAddForm(forms.ModelForm):
    """Registering a person with a facility (登记备案): a new ID number adds the person, one on
    file links the registration to that person (一医一档; the name must match)."""

    facility = forms.ModelChoiceField(
        label=_("登记机构"),
        queryset=Facility.objects.none(),
        widget=SafeAutocompleteSelect(Registration._meta.get_field("facility"), admin.site),
    )
    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=18,
        validators=[validate_resident_id],
        help_text=_(
            "18位；已登记的号码关联到同一人员（一医一档）。保存后仅有查看权限的人员可见，"
            "其他人只看到脱敏号码。"
        ),
    )
    department = forms.CharField(label=_("科室或岗位"), max_length=100, required=False)
    registered_on = forms.DateField(
        label=_("登记备案日期"), required=False, widget=_DATE, help_text=_("不填为今天。")
    )

    class Meta:
        model = Practitioner
        fields = ("name", "profession", "certificate_number", "note")

    def clean_id_number(self) -> str:
        return service.normalised_id(self.cleaned_data["id_number"])

    def clean(self):
        cleaned = super().clean()
        number, name = cleaned.get("id_number"), (cleaned.get("name") or "").strip()
        if number and name:
            known = (
                PractitionerIdentity.objects.filter(id_number=number)
                .values_list("practitioner__name", flat=True)
                .first()
            )
            if known is not None and known != name:
                # The service's refusal, on the form: it does not say whose the number is.
                self.add_error(
                    "name", gettext("该身份证号码已登记的人员姓名与填写的不一致，请核对。")
                )
        return cleaned


def _with_facilities_of(form: type[forms.ModelForm], user) -> type[forms.ModelForm]:
    """The add form offering the facilities user may register with (in their districts), set
    per form, never on the class that every request shares."""

    def __init__(self, *args, **kwargs) -> None:
        form.__init__(self, *args, **kwargs)
        self.fields["facility"].queryset = scoped_queryset(user, Facility.objects.all())

    return type(form.__name__, (form,), {"__init__": __init__})


class PractitionerIdentityInline(admin.StackedInline):
    """The ID number: only for a user with view_practitioneridentity, corrected (through
    services.practitioners) with change_practitioneridentity."""

    model = PractitionerIdentity
    fields = ("id_number",)
    can_delete = False
    extra = 0
    max_num = 1
    verbose_name_plural = _("身份证号码")

    def get_queryset(self, request):
        # Without the permission nothing is read, whatever else the admin asks.
        if not service.may_read_identity(request.user):
            return PractitionerIdentity.objects.none()
        return super().get_queryset(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return service.may_read_identity(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return service.may_read_identity(request.user) and service.may_correct_identity(
            request.user
        )

    def has_add_permission(self, request, obj=None) -> bool:
        # Every person is registered with the number.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RegistrationInline(ReadOnlyInline):
    model = Registration
    fields = ("facility", "department", "registered_on", "ended_on", "end_reason")
    verbose_name_plural = _("登记备案（最近20条）")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("facility", "practitioner")
            .order_by("-registered_on", "-id")
        )


class MeasureInline(ReadOnlyInline):
    model = QualificationMeasure
    fields = ("kind", "year", "starts_on", "ends_on", "points", "lifted_on")
    verbose_name_plural = _("支付资格处理（最近20条）")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("practitioner")


class QualificationStatusFilter(admin.SimpleListFilter):
    title = _("支付资格状态")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return QualificationStatus.choices

    def queryset(self, request, queryset):
        if self.value() in QualificationStatus.values:
            return queryset.with_qualification_status_in([self.value()])
        return queryset


@admin.register(Practitioner)
class PractitionerAdmin(RefusalAsMessageMixin, BaseAdmin):
    """People, registered and corrected through services.practitioners. Lists, search and
    history know the masked number only, except for a user who may read it."""

    list_display = (
        "name",
        "profession",
        "certificate_number",
        "id_masked",
        "district",
        "status_column",
        "year_points_column",
    )
    list_filter = ("profession", "district", QualificationStatusFilter)
    search_fields = ("name",)
    search_help_text = _(
        "按姓名或执业证书编号（可只输前几位）查找；有身份信息查看权限的人员也可输入完整的身份证号码。"
    )
    fields = ("name", "profession", "certificate_number", "district", "id_masked", "note")
    add_fields = (
        "facility",
        "id_number",
        "name",
        "profession",
        "certificate_number",
        "department",
        "registered_on",
        "note",
    )
    readonly_fields = ("id_masked",)
    inlines = (PractitionerIdentityInline, RegistrationInline, MeasureInline)

    def get_queryset(self, request):
        return super().get_queryset(request).for_lists()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = PractitionerAddForm
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None:
            form = _with_facilities_of(form, request.user)
        return form

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        if obj is None:
            return ()
        if not service.may_read_identity(request.user):
            return tuple(i for i in self.inlines if i is not PractitionerIdentityInline)
        return self.inlines

    def has_add_permission(self, request) -> bool:
        # Registering writes a registration, and a new person's number.
        return (
            super().has_add_permission(request)
            and request.user.has_perm("supervision.add_registration")
            and service.may_enter_identity(request.user)
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        # Registrations, points and assessments refer to the person: correct it instead.
        return False

    def get_search_results(self, request, queryset, search_term):
        number = service.normalised_id(search_term)
        if is_resident_id_shaped(number):
            if service.may_read_identity(request.user):
                return queryset.filter(identity__id_number=number), False
            # Never the ID number for anyone else: a number finds nobody.
            return queryset.none(), False
        term = search_term.strip()
        if term.isascii() and term.isalnum():
            by_certificate = Q(certificate_number__startswith=term.upper()) | Q(
                certificate_number__startswith=term
            )
            return queryset.filter(by_certificate | Q(name__icontains=term)), False
        return super().get_search_results(request, queryset, search_term)

    def save_model(self, request, obj, form, change):
        if not change:
            data = form.cleaned_data
            registered = service.register(
                user=request.user,
                facility=data["facility"],
                id_number=data["id_number"],
                name=data["name"],
                profession=data["profession"],
                certificate_number=data.get("certificate_number", ""),
                department=data.get("department", ""),
                registered_on=data.get("registered_on"),
                note=data.get("note", ""),
            )
            person = registered.registration.practitioner
            _become(obj, person)
            if not registered.new_person:
                self.message_user(
                    request,
                    gettext("该身份证号码已登记，已将此次登记备案关联到%(person)s（一医一档）。")
                    % {"person": person},
                )
            return
        changed = _only_changed(form, service.PRACTITIONER_FIELDS)
        if not changed:
            return
        service.edit_practitioner(
            Practitioner.objects.get(pk=obj.pk),
            user=request.user,
            expected_version=obj.version,
            **changed,
        )
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # The person (and a new one's number) were saved by the service in save_model; a
        # corrected number goes through it too, never through the inline's own save.
        for formset in formsets:
            identities = formset.forms if formset.model is PractitionerIdentity else []
            for identity_form in identities:
                if identity_form.has_changed() and hasattr(identity_form, "cleaned_data"):
                    service.edit_practitioner(
                        Practitioner.objects.get(pk=form.instance.pk),
                        user=request.user,
                        id_number=identity_form.cleaned_data["id_number"],
                    )
            # The other inlines are read-only: nothing of theirs is saved.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    @admin.display(description=_("支付资格状态"), ordering="qualification_status")
    def status_column(self, obj: Practitioner) -> str:
        return obj.qualification_status_label

    @admin.display(description=_("本年度记分"), ordering="year_points")
    def year_points_column(self, obj: Practitioner) -> int:
        return obj.year_points  # type: ignore[attr-defined]


# ---------------------------------------------------------------- registrations


class EndRegistrationForm(forms.ModelForm):
    """Ending an open registration (注销登记备案): the date and the reason, or nothing."""

    ended_on = forms.DateField(
        label=_("注销日期"),
        required=False,
        widget=_DATE,
        help_text=_("不再登记备案的第一天；不能晚于今天。"),
    )
    end_reason = forms.ChoiceField(label=_("注销原因"), choices=_ENDS_BY_HAND, required=False)

    class Meta:
        model = Registration
        fields = ("ended_on", "end_reason")

    def clean(self):
        cleaned = super().clean()
        ended_on, reason = cleaned.get("ended_on"), cleaned.get("end_reason")
        if reason and not ended_on and "ended_on" not in self.errors:
            self.add_error("ended_on", gettext("请填写注销日期。"))
        if ended_on and not reason:
            self.add_error("end_reason", gettext("请选择注销原因。"))
        return cleaned


class OpenRegistrationFilter(admin.SimpleListFilter):
    title = _("登记状态")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("登记备案中")), ("no", _("已注销"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(ended_on__isnull=True)
        if self.value() == "no":
            return queryset.filter(ended_on__isnull=False)
        return queryset


@admin.register(Registration)
class RegistrationAdmin(RefusalAsMessageMixin, BaseAdmin):
    """Registrations are made by registering a person (the person's add page, the pages, the
    API); an open one is ended here through services.practitioners.end_registration."""

    form = EndRegistrationForm
    list_display = (
        "practitioner",
        "facility",
        "department",
        "registered_on",
        "ended_on",
        "end_reason",
    )
    list_filter = (OpenRegistrationFilter, "end_reason", "facility__district")
    list_select_related = ("practitioner", "facility")
    search_fields = ("practitioner__name", "facility__name")
    search_help_text = _("按人员姓名或机构名称查找。")
    fields = (
        "practitioner",
        "facility",
        "department",
        "registered_on",
        "ended_on",
        "end_reason",
        "ended_by",
    )
    shown = ("practitioner", "facility", "department", "registered_on", "ended_by")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("practitioner", "facility")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.ended_on is None and self._may_end(request):
            return self.shown
        return self.fields

    def _may_end(self, request) -> bool:
        return super().has_change_permission(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Only an open registration changes, and only by being ended.
        return (obj is None or obj.ended_on is None) and self._may_end(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        ended_on = form.cleaned_data.get("ended_on")
        if ended_on is None:
            return
        service.end_registration(
            Registration.objects.get(pk=obj.pk),
            user=request.user,
            ended_on=ended_on,
            end_reason=form.cleaned_data["end_reason"],
            expected_version=obj.version,
        )
        obj.refresh_from_db()


# ---------------------------------------------------------------- points and measures


@admin.register(PointsRecord)
class PointsRecordAdmin(ServiceRecordAdmin):
    """Points scored, notified, objected to and decided through services.practitioners."""

    list_display = (
        "practitioner",
        "decided_on",
        "points",
        "responsibility",
        "state",
        "facility",
        "violation",
        "year_column",
    )
    list_filter = ("state", "responsibility", "year", "facility__district")
    list_select_related = ("practitioner", "facility", "violation")
    search_fields = ("practitioner__name", "=decision_number")
    search_help_text = _("按人员姓名或完整的记分决定书编号查找。")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("practitioner", "facility", "violation", "inspection", "created_by")
        )

    @admin.display(description=_("记分年度"), ordering="year")
    def year_column(self, obj: PointsRecord) -> str:
        return _year(obj.year)


class InForceFilter(admin.SimpleListFilter):
    title = _("今日有效")
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("yes", _("是")), ("no", _("否"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        in_force = Q(lifted_on__isnull=True, starts_on__lte=today, ends_on__gte=today)
        if self.value() == "yes":
            return queryset.filter(in_force)
        if self.value() == "no":
            return queryset.exclude(in_force)
        return queryset


@admin.register(QualificationMeasure)
class QualificationMeasureAdmin(ServiceRecordAdmin):
    """Suspensions and terminations, written when a year's points reach a threshold and lifted
    when they no longer do."""

    list_display = (
        "practitioner",
        "kind",
        "year_column",
        "starts_on",
        "ends_on",
        "points",
        "single_event",
        "lifted_on",
    )
    list_filter = (InForceFilter, "kind", "year", "single_event")
    list_select_related = ("practitioner",)
    search_fields = ("practitioner__name",)
    search_help_text = _("按人员姓名查找。")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("practitioner", "points_record")

    @admin.display(description=_("记分年度"), ordering="year")
    def year_column(self, obj: QualificationMeasure) -> str:
        return _year(obj.year)


# ---------------------------------------------------------------- rules


class PointsBandInline(admin.TabularInline):
    model = PointsBand
    fields = ("responsibility", "min_points", "max_points", "label")
    extra = 0
    verbose_name_plural = _("记分档次（每次记分的分值范围）")


class SuspensionPeriodInline(admin.TabularInline):
    model = SuspensionPeriod
    fields = ("points", "months")
    extra = 0
    verbose_name_plural = _("暂停期限（年度累计分值对应的暂停月数）")


@admin.register(PointsPolicy)
class PointsPolicyAdmin(RefusalAsMessageMixin, BaseAdmin):
    """The rules of points from a year on, kept by a supervisor; every change, of the policy or
    of a band or period, leaves its history. Not deleted: the points of its years were scored
    under it."""

    list_display = (
        "__str__",
        "from_year_column",
        "suspension_threshold",
        "termination_threshold",
        "block_months",
        "block_months_single_event",
    )
    search_fields = ("=from_year",)
    search_help_text = _("按起始年度查找。")
    fieldsets = (
        (None, {"fields": ("from_year", "note")}),
        (
            _("分值与期限"),
            {
                "fields": (
                    "suspension_threshold",
                    "termination_threshold",
                    "block_months",
                    "block_months_single_event",
                )
            },
        ),
    )
    inlines = (PointsBandInline, SuspensionPeriodInline)

    def history_view(self, request, object_id, extra_context=None):
        # The seeded rules have no history row yet: without one simple_history would answer a
        # user who may not read them at all with a 404 rather than a 403.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def get_readonly_fields(self, request, obj=None):
        # The year a policy starts is what it is; for another year, add a policy.
        return ("from_year",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("起始年度"), ordering="from_year")
    def from_year_column(self, obj: PointsPolicy) -> str:
        return _year(obj.from_year)

    def save_model(self, request, obj, form, change):
        if change and not form.changed_data:
            return
        save_with_history(obj, request.user)
        if change:
            self.message_user(
                request,
                gettext(
                    "已作出的暂停、终止不会立即重算：某人该年度的记分再有变化（新记分、异议处理）"
                    "时，按修改后的规则重新计算。"
                ),
                messages.WARNING,
            )

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for deleted in formset.deleted_objects:
            deleted._history_user = request.user
            deleted.delete()
        for instance in instances:
            save_with_history(instance, request.user)
        formset.save_m2m()


__all__ = [
    "PointsPolicyAdmin",
    "PointsRecordAdmin",
    "PractitionerAdmin",
    "QualificationMeasureAdmin",
    "RegistrationAdmin",
]
