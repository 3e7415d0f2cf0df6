from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from supervision.choices import Agency, CaseKind, District, ReferralStatus
from supervision.formats.punctuation import bracketed
from supervision.models.base import (
    OUTCOME_LENGTH,
    SUMMARY_LENGTH,
    TimeStamped,
    Versioned,
    text_limit,
)
from supervision.models.case_numbers import Numbered, numbered_constraints
from supervision.querysets import ReferralQuerySet

_DECIDED = [ReferralStatus.ACCEPTED, ReferralStatus.DECLINED]


class Referral(Numbered, Versioned, TimeStamped):
    """A case handed from an inspection to another agency (移送), and what became of it."""

    inspection = models.ForeignKey(
        "supervision.Inspection",
        verbose_name=_("来源检查"),
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    agency = models.CharField(_("移送部门"), max_length=16, choices=Agency.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.REFERRED
    )
    referred_on = models.DateField(_("移送日期"))
    summary = models.TextField(_("案情摘要"), max_length=SUMMARY_LENGTH)
    case_number = models.CharField(_("立案编号"), max_length=60, blank=True, default="")
    decided_on = models.DateField(_("立案/不予立案日期"), null=True, blank=True)
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    outcome = models.TextField(_("处理结果"), blank=True, default="", max_length=OUTCOME_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("移送人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    # The inspected facility's district, kept by the database
    # (models.inspection.DISTRICT_COPY_NOTE).
    district = models.CharField(
        _("所属区县"), max_length=6, choices=District.choices, default="", editable=False
    )

    history = HistoricalRecords(verbose_name=_("移送变更记录"), excluded_fields=["district"])
    objects = ReferralQuerySet.as_manager()
    district_path = "inspection__facility__district"

    class Meta:
        verbose_name = _("案件移送")
        verbose_name_plural = pgettext_lazy("plural", "案件移送")
        ordering = ["-referred_on", "-id"]
        indexes = [
            # Referral list and "open referrals": by status, newest first.
            models.Index(fields=["status", "-referred_on"], name="referral_status_idx"),
            models.Index(fields=["agency", "-referred_on"], name="referral_agency_idx"),
            models.Index(fields=["-referred_on", "-id"], name="referral_recent_idx"),
            # A district's referrals waiting for the agency's answer, oldest first.
            models.Index(
                fields=["district", "referred_on", "id"],
                name="referral_district_waiting_idx",
                condition=Q(status=ReferralStatus.REFERRED),
            ),
        ]
        constraints = [
            *numbered_constraints("referral"),
            models.UniqueConstraint(
                fields=["inspection", "agency"],
                name="referral_once_per_agency",
                violation_error_message=_("该检查已移送过这个部门。"),
            ),
            models.CheckConstraint(
                condition=Q(agency__in=Agency.values),
                name="referral_agency_valid",
                violation_error_message=_("移送部门无效。"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReferralStatus.values),
                name="referral_status_valid",
                violation_error_message=_("移送状态无效。"),
            ),
            models.CheckConstraint(
                condition=~Q(summary=""),
                name="referral_summary_required",
                violation_error_message=_("请填写案情摘要。"),
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=F("referred_on")),
                name="referral_decided_after_referred",
                violation_error_message=_("立案/不予立案日期不能早于移送日期。"),
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True)
                | (
                    Q(closed_on__gte=F("referred_on"))
                    & Q(decided_on__isnull=False)
                    & Q(closed_on__gte=F("decided_on"))
                ),
                name="referral_closed_after_decided",
                violation_error_message=_("结案日期不能早于立案/不予立案日期。"),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=_DECIDED) | Q(decided_on__isnull=False),
                name="referral_decision_has_date",
                violation_error_message=_("已立案或不予立案的移送必须填写决定日期。"),
            ),
            models.CheckConstraint(
                condition=~Q(status=ReferralStatus.CLOSED) | Q(closed_on__isnull=False),
                name="referral_closed_has_date",
                violation_error_message=_("已结案的移送必须填写结案日期。"),
            ),
            text_limit("referral", "summary", SUMMARY_LENGTH, _("案情摘要")),
            text_limit("referral", "outcome", OUTCOME_LENGTH, _("处理结果")),
        ]

    DOCKET_KIND = CaseKind.REFERRAL
    DOCKET_DATE_FIELD = "referred_on"

    def docket_date(self) -> datetime.date:
        return self.referred_on

    def __str__(self) -> str:
        agency = self.get_agency_display()
        text = bracketed(f"{self.inspection.facility} → {agency}", f"{self.referred_on:%Y-%m-%d}")
        return f"{self.docket} · {text}" if self.docket else text

    @property
    def is_open(self) -> bool:
        return self.status != ReferralStatus.CLOSED
