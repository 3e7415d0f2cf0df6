from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from supervision.choices import (
    Agency,
    CaseKind,
    District,
    InspectionKind,
    InspectionStatus,
    Violation,
)
from supervision.formats.punctuation import bracketed
from supervision.models.base import (
    FINDINGS_LENGTH,
    MONEY,
    Linked,
    TimeStamped,
    Versioned,
    text_limit,
)
from supervision.models.case_numbers import Numbered, numbered_constraints
from supervision.querysets import InspectionQuerySet

MIN_ON_SITE_INSPECTORS = 2  # Decree 735, Art. 29


class Inspector(Linked):
    """A law-enforcement officer of the bureau (执法人员) who takes part in inspections."""

    name = models.CharField(_("姓名"), max_length=50)
    badge_number = models.CharField(_("执法证号"), max_length=30, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("系统账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inspector",
    )
    is_active = models.BooleanField(_("在岗"), default=True)
    district = models.CharField(
        _("常驻区县"),
        max_length=6,
        choices=District.choices,
        blank=True,
        default="",
        help_text=_("随机抽查可回避与被检查机构同区县的人员。"),
    )

    history = HistoricalRecords(verbose_name=_("执法人员变更记录"))
    # Officers work across districts: not district-scoped.
    district_path = None

    class Meta:
        verbose_name = _("执法人员")
        verbose_name_plural = pgettext_lazy("plural", "执法人员")
        ordering = ["name", "badge_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(district="") | Q(district__in=District.values),
                name="inspector_district_valid",
                violation_error_message=_("区县无效。"),
            ),
        ]

    def __str__(self) -> str:
        return bracketed(self.name, self.badge_number)

    def get_absolute_url(self) -> str:
        # Inspectors are kept in the admin; they have no staff page.
        return reverse("admin:supervision_inspector_change", args=[self.pk])


class FixedCodeList(models.Model):
    """A table whose rows are the members of one TextChoices: a `code` key, shown by its label."""

    district_path = None  # a fixed code list, shared by every district

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return str(self.get_code_display())


class PartnerAgency(FixedCodeList):
    """An agency that can join an inspection or receive a referral; rows are the Agency codes."""

    code = models.CharField(_("代码"), max_length=16, primary_key=True, choices=Agency.choices)

    class Meta:
        verbose_name = _("协作部门")
        verbose_name_plural = pgettext_lazy("plural", "协作部门")
        ordering = ["code"]


class ViolationCategory(FixedCodeList):
    """A category of violation found by an inspection; rows are the Violation codes."""

    code = models.CharField(_("代码"), max_length=32, primary_key=True, choices=Violation.choices)

    class Meta:
        verbose_name = _("违规类型")
        verbose_name_plural = pgettext_lazy("plural", "违规类型")
        ordering = ["code"]


DISTRICT_COPY_NOTE = """
Inspection.district, Rectification.district and Referral.district are copies of the district of
the facility concerned, kept by database triggers (migration 0124): set on every insert and on
every update of the row (whatever value the application sends), and carried to every copy when a
facility changes district or an inspection changes facility. So they cannot disagree with the
facility, whichever way a row is written (pages, API, admin, bulk loads, raw SQL). Read them from
the database: a Python object saved with the field unset still holds "" until read again.
"""


class Inspection(Numbered, Versioned, TimeStamped):
    """An inspection of one facility (检查): who went, when, what they found, how much."""

    facility = models.ForeignKey(
        "supervision.Facility",
        verbose_name=_("被检查机构"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    kind = models.CharField(_("检查类型"), max_length=16, choices=InspectionKind.choices)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=InspectionStatus.choices,
        default=InspectionStatus.PLANNED,
    )
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    inspectors = models.ManyToManyField(
        Inspector, verbose_name=_("检查人员"), related_name="inspections", blank=True
    )
    partner_agencies = models.ManyToManyField(
        PartnerAgency, verbose_name=_("协作部门"), related_name="inspections", blank=True
    )
    violations = models.ManyToManyField(
        ViolationCategory, verbose_name=_("违规类型"), related_name="inspections", blank=True
    )
    findings = models.TextField(_("检查发现"), blank=True, default="", max_length=FINDINGS_LENGTH)
    amount_involved = models.DecimalField(_("涉及金额（元）"), default=Decimal("0.00"), **MONEY)
    amount_recovered = models.DecimalField(_("追回金额（元）"), default=Decimal("0.00"), **MONEY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The facility's district, kept by the database (see DISTRICT_COPY_NOTE): an index by
    # district and date answers a district's lists without testing each row's facility.
    district = models.CharField(
        _("所属区县"), max_length=6, choices=District.choices, default="", editable=False
    )

    history = HistoricalRecords(
        verbose_name=_("检查变更记录"),
        m2m_fields=[inspectors, partner_agencies, violations],
        excluded_fields=["district"],
    )
    objects = InspectionQuerySet.as_manager()
    district_path = "facility__district"

    class Meta:
        verbose_name = _("检查")
        verbose_name_plural = pgettext_lazy("plural", "检查")
        ordering = ["-start_date", "-id"]
        indexes = [
            # A facility's inspections, newest first.
            models.Index(fields=["facility", "-start_date"], name="inspection_facility_idx"),
            # Inspection list: newest first, filtered by kind or status.
            models.Index(fields=["-start_date", "-id"], name="inspection_recent_idx"),
            models.Index(fields=["kind", "-start_date"], name="inspection_kind_idx"),
            models.Index(fields=["status", "-start_date"], name="inspection_status_idx"),
            # A district's open inspections by start date (due items: planned, in progress).
            models.Index(
                fields=["district", "status", "start_date", "id"],
                name="inspection_district_open_idx",
                condition=Q(status__in=[InspectionStatus.PLANNED, InspectionStatus.IN_PROGRESS]),
            ),
        ]
        constraints = [
            *numbered_constraints("inspection"),
            models.CheckConstraint(
                condition=Q(kind__in=InspectionKind.values),
                name="inspection_kind_valid",
                violation_error_message=_("检查类型无效。"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=InspectionStatus.values),
                name="inspection_status_valid",
                violation_error_message=_("检查状态无效。"),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="inspection_dates_in_order",
                violation_error_message=_("结束日期不能早于开始日期。"),
            ),
            models.CheckConstraint(
                condition=~Q(status=InspectionStatus.COMPLETED) | Q(end_date__isnull=False),
                name="inspection_completed_has_end_date",
                violation_error_message=_("已完成的检查必须填写结束日期。"),
            ),
            models.CheckConstraint(
                condition=Q(amount_involved__gte=0) & Q(amount_recovered__gte=0),
                name="inspection_amounts_not_negative",
                violation_error_message=_("金额不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(amount_recovered__lte=F("amount_involved")),
                name="inspection_recovered_within_involved",
                violation_error_message=_("追回金额不能大于涉及金额。"),
            ),
            text_limit("inspection", "findings", FINDINGS_LENGTH, _("检查发现")),
        ]

    DOCKET_KIND = CaseKind.INSPECTION
    DOCKET_DATE_FIELD = "start_date"

    def docket_date(self) -> datetime.date:
        return self.start_date

    def __str__(self) -> str:
        text = f"{self.facility} · {self.get_kind_display()} · {self.start_date:%Y-%m-%d}"
        return f"{self.docket} · {text}" if self.docket else text

    @property
    def is_on_site(self) -> bool:
        return InspectionKind(self.kind).is_on_site


def check_inspectors(kind: str, inspector_count: int) -> None:
    """Refuse an on-site inspection with fewer than two inspectors (the M2M is not in the row)."""
    on_site = kind in InspectionKind.values and InspectionKind(kind).is_on_site
    if on_site and inspector_count < MIN_ON_SITE_INSPECTORS:
        raise ValidationError(
            {
                "inspectors": _("现场检查至少需要%(n)d名检查人员，当前为%(count)d名。")
                % {"n": MIN_ON_SITE_INSPECTORS, "count": inspector_count}
            }
        )
