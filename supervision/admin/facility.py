"""The registry of facilities: list, filters, search, the facility page and its case records."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from supervision import services
from supervision.admin.actions import FacilityBulkActions
from supervision.admin.base import (
    BaseAdmin,
    FacilityCodeSearchMixin,
    ReadOnlyInline,
    admin_change_url,
    admin_changelist_url,
    link,
)
from supervision.admin.filters import AgreementStatusFilter, GradeByYearFilter
from supervision.choices import AgreementStatus, Grade, SanctionKind
from supervision.models import CreditRating, Facility, Inspection, Referral, Sanction

# How many referrals the facility page lists; the referral changelist has the rest.
REFERRALS_SHOWN = 20


class CreditRatingInline(ReadOnlyInline):
    model = CreditRating
    fields = ("year", "grade", "score", "rated_on")
    verbose_name_plural = _("信用评价（最近20条）")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("facility").order_by("-year")


class InspectionInline(ReadOnlyInline):
    model = Inspection
    fields = ("kind", "status", "start_date", "end_date", "amount_involved", "amount_recovered")
    verbose_name_plural = _("检查（最近20条）")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("facility")


class SanctionInline(ReadOnlyInline):
    model = Sanction
    fk_name = "facility"
    fields = ("kind", "decided_on", "starts_on", "ends_on", "amount", "decision_number")
    verbose_name_plural = _("处理措施（最近20条）")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("facility")


@admin.register(Facility)
class FacilityAdmin(FacilityBulkActions, FacilityCodeSearchMixin, BaseAdmin):
    list_display = (
        "name",
        "kind",
        "ownership",
        "district",
        "credit_code",
        "insurance_code",
        "current_grade_column",
        "agreement_status_column",
    )
    list_filter = (
        "kind",
        "ownership",
        "district",
        "zone",
        AgreementStatusFilter,
        GradeByYearFilter,
    )
    search_fields = ("name", "=credit_code", "^insurance_code")
    search_help_text = _(
        "按名称搜索；输入统一社会信用代码或医保定点编码（可只输前几位）按编码查找。"
    )
    actions = ("set_grade_for_year", "suspend_agreements")
    inlines = (CreditRatingInline, InspectionInline, SanctionInline)
    readonly_fields = (
        "current_grade_display",
        "agreement_status_display",
        "referral_list",
        "record_links",
    )

    _main = (
        (None, {"fields": ("name", "kind", "ownership", "district", "zone")}),
        (_("编码"), {"fields": ("credit_code", "insurance_code")}),
        (
            _("协议与联系"),
            {
                "fields": (
                    "designated_on",
                    "deposit",
                    "legal_representative",
                    "contact_phone",
                    "address",
                    "note",
                )
            },
        ),
    )

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self._main
        status = (
            _("信用与协议状态"),
            {
                "fields": (
                    "current_grade_display",
                    "agreement_status_display",
                    "referral_list",
                    "record_links",
                )
            },
        )
        return (self._main[0], status, *self._main[1:])

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def get_queryset(self, request) -> QuerySet:
        # Current grade and agreement status come annotated: no query per row.
        return super().get_queryset(request).for_lists()

    def has_delete_permission(self, request, obj=None) -> bool:
        # Only a superuser, and PROTECT still refuses while case records exist.
        return request.user.is_active and request.user.is_superuser

    def save_model(self, request, obj, form, change):
        # The form has validated the entry; the service checks the districts and writes history.
        if change:
            services.edit_facility(obj, user=request.user, validated=True)
        else:
            services.register_facility(obj, user=request.user, validated=True)

    # ------------------------------------------------------------------ columns

    @admin.display(description=_("当前信用等级"), ordering="current_grade")
    def current_grade_column(self, obj: Facility) -> str:
        if not obj.current_grade:
            return "—"
        return gettext("%(grade)s（%(year)s）") % {
            "grade": Grade(obj.current_grade).label,
            "year": obj.current_grade_year,
        }

    @admin.display(description=_("协议状态"), ordering="agreement_status")
    def agreement_status_column(self, obj: Facility) -> str:
        return obj.agreement_status_label

    # ------------------------------------------------------------ change page

    @admin.display(description=_("当前信用等级"))
    def current_grade_display(self, obj: Facility) -> str:
        if not obj.pk or not obj.current_grade:
            return _("尚未评级")
        return self.current_grade_column(obj)

    @admin.display(description=_("协议状态"))
    def agreement_status_display(self, obj: Facility) -> str:
        if not obj.pk:
            return "—"
        status = AgreementStatus(obj.agreement_status)
        if status == AgreementStatus.ACTIVE:
            return status.label
        if status == AgreementStatus.SUSPENDED:
            behind = Sanction.objects.in_force_on().filter(facility=obj).first()
            template = gettext("{status}：{link}（{start}至{end}）")
        else:
            behind = (
                obj.sanctions.filter(kind=SanctionKind.TERMINATION).order_by("starts_on").first()
            )
            template = gettext("{status}：{link}（自{start}起）")
        if behind is None:
            return status.label
        return format_html(
            template,
            status=status.label,
            link=link(behind, behind.decision_number or behind.get_kind_display()),
            start=behind.starts_on,
            end=behind.ends_on,
        )

    @admin.display(description=pgettext_lazy("plural", "案件移送"))
    def referral_list(self, obj: Facility) -> str:
        if not obj.pk:
            return "—"
        referrals = list(
            Referral.objects.filter(inspection__facility=obj).order_by("-referred_on", "-id")[
                : REFERRALS_SHOWN + 1
            ]
        )
        if not referrals:
            return _("无")
        items = format_html_join(
            "",
            '<li><a href="{}">{} · {} · {}</a></li>',
            (
                (
                    admin_change_url(r),
                    r.referred_on,
                    r.get_agency_display(),
                    r.get_status_display(),
                )
                for r in referrals[:REFERRALS_SHOWN]
            ),
        )
        more = ""
        if len(referrals) > REFERRALS_SHOWN:
            more = format_html(
                '<li><a href="{}">{}</a></li>',
                admin_changelist_url(Referral, inspection__facility__id__exact=obj.pk),
                _("查看全部"),
            )
        return format_html('<ul class="referral-list">{}{}</ul>', items, more)

    @admin.display(description=_("全部记录"))
    def record_links(self, obj: Facility) -> str:
        if not obj.pk:
            return "—"
        lists = (
            (CreditRating, "facility__id__exact"),
            (Inspection, "facility__id__exact"),
            (Sanction, "facility__id__exact"),
            (Referral, "inspection__facility__id__exact"),
        )
        return format_html_join(
            " · ",
            '<a href="{}">{}</a>',
            (
                (admin_changelist_url(model, **{lookup: obj.pk}), model._meta.verbose_name_plural)
                for model, lookup in lists
            ),
        )
