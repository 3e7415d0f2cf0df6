from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from supervision.choices import CaseKind, SanctionKind
from supervision.models.base import (
    LEGAL_BASIS_LENGTH,
    MONEY,
    NOTE_LENGTH,
    TimeStamped,
    Versioned,
    text_limit,
)
from supervision.models.case_numbers import Numbered, numbered_constraints
from supervision.querysets import SanctionQuerySet

MAX_SUSPENSION_MONTHS = 12
_AMOUNT_KINDS = [SanctionKind.FUND_RECOVERY, SanctionKind.FINE]
_DATED_KINDS = [SanctionKind.SUSPENSION, SanctionKind.TERMINATION]


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    next_month = datetime.date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(day.day, last_day))


def latest_suspension_end(starts_on: datetime.date) -> datetime.date:
    """The last day a suspension starting on starts_on may run: 12 months, end inclusive."""
    same_day = add_months(starts_on, MAX_SUSPENSION_MONTHS)
    if same_day.day < starts_on.day:
        # The month has no such day: the period ends on its last day (29 Feb → 28 Feb), as
        # Civil Code Art. 202 counts months, not the day before it.
        return same_day
    return same_day - datetime.timedelta(days=1)


class Sanction(Numbered, Versioned, TimeStamped):
    """A measure taken on a facility (处理措施): suspension, recovery, fine, commendation, …"""

    facility = models.ForeignKey(
        "supervision.Facility",
        verbose_name=_("机构"),
        on_delete=models.PROTECT,
        related_name="sanctions",
    )
    kind = models.CharField(_("措施类型"), max_length=20, choices=SanctionKind.choices)
    inspection = models.ForeignKey(
        "supervision.Inspection",
        verbose_name=_("依据的检查"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sanctions",
    )
    rating = models.ForeignKey(
        "supervision.CreditRating",
        verbose_name=_("依据的信用评价"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sanctions",
    )
    decided_on = models.DateField(_("决定日期"))
    decision_number = models.CharField(_("文书编号"), max_length=60, blank=True, default="")
    legal_basis = models.TextField(
        _("法律依据"), blank=True, default="", max_length=LEGAL_BASIS_LENGTH
    )
    starts_on = models.DateField(
        _("起始日期"), null=True, blank=True, help_text=_("暂停的第一天；解除协议的生效日。")
    )
    ends_on = models.DateField(
        _("截止日期"), null=True, blank=True, help_text=_("暂停的最后一天。")
    )
    deposit_percent = models.DecimalField(
        _("收回保证金比例（%）"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    amount = models.DecimalField(_("金额（元）"), null=True, blank=True, **MONEY)
    note = models.TextField(_("备注"), blank=True, default="", max_length=NOTE_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    # Made public (信息公开) by a supervisor: sanctions in force, D-grade handling.
    published_on = models.DateField(_("公开日期"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("公开人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    history = HistoricalRecords(verbose_name=_("处理措施变更记录"))
    objects = SanctionQuerySet.as_manager()
    district_path = "facility__district"

    class Meta:
        verbose_name = _("处理措施")
        verbose_name_plural = pgettext_lazy("plural", "处理措施")
        ordering = ["-decided_on", "-id"]
        indexes = [
            # Agreement status of a facility: its suspensions and terminations by date.
            models.Index(
                fields=["facility", "kind", "starts_on", "ends_on"], name="sanction_status_idx"
            ),
            # "Suspended today" and the sanction list by kind.
            models.Index(fields=["kind", "starts_on", "ends_on"], name="sanction_kind_dates_idx"),
            models.Index(fields=["-decided_on", "-id"], name="sanction_recent_idx"),
            # The public pages: published sanctions, newest first.
            models.Index(
                fields=["-decided_on", "-id"],
                name="sanction_published_idx",
                condition=Q(published_on__isnull=False),
            ),
        ]
        constraints = [
            *numbered_constraints("sanction"),
            models.CheckConstraint(
                condition=Q(kind__in=SanctionKind.values),
                name="sanction_kind_valid",
                violation_error_message=_("措施类型无效。"),
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=_DATED_KINDS) | Q(starts_on__isnull=False),
                name="sanction_dated_kinds_have_start",
                violation_error_message=_("暂停或解除协议必须填写起始日期。"),
            ),
            models.CheckConstraint(
                condition=~Q(kind=SanctionKind.SUSPENSION) | Q(ends_on__isnull=False),
                name="sanction_suspension_has_end",
                violation_error_message=_("暂停医保服务协议必须填写截止日期。"),
            ),
            models.CheckConstraint(
                condition=Q(kind=SanctionKind.SUSPENSION) | Q(ends_on__isnull=True),
                name="sanction_only_suspension_has_end",
                violation_error_message=_("只有暂停医保服务协议才有截止日期。"),
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="sanction_dates_in_order",
                violation_error_message=_("截止日期不能早于起始日期。"),
            ),
            models.CheckConstraint(
                condition=Q(deposit_percent__isnull=True)
                | (Q(deposit_percent__gt=0) & Q(deposit_percent__lte=100)),
                name="sanction_percent_in_range",
                violation_error_message=_("收回保证金比例应大于0且不超过100。"),
            ),
            models.CheckConstraint(
                condition=Q(
                    kind=SanctionKind.DEPOSIT_RECOVERY,
                    deposit_percent__isnull=False,
                    amount__isnull=False,
                )
                | (~Q(kind=SanctionKind.DEPOSIT_RECOVERY) & Q(deposit_percent__isnull=True)),
                name="sanction_deposit_recovery_has_percent",
                violation_error_message=_(
                    "收回保证金须填写比例（金额随之计算），其他措施不填比例。"
                ),
            ),
            models.CheckConstraint(
                # isnull: a CHECK lets NULL > 0 through.
                condition=~Q(kind__in=_AMOUNT_KINDS) | Q(amount__isnull=False, amount__gt=0),
                name="sanction_money_kinds_have_amount",
                violation_error_message=_("追回医保基金和罚款必须填写大于0的金额。"),
            ),
            models.UniqueConstraint(
                fields=["rating"],
                condition=Q(kind=SanctionKind.COMMENDATION),
                name="sanction_one_commendation_per_rating",
                violation_error_message=_("该信用评价已授牌。"),
            ),
            models.CheckConstraint(
                condition=Q(kind=SanctionKind.COMMENDATION)
                | Q(rating__isnull=True)
                | Q(kind__in=[SanctionKind.SUSPENSION, SanctionKind.DEPOSIT_RECOVERY]),
                name="sanction_rating_only_for_rating_measures",
                violation_error_message=_(
                    "只有授牌和依信用等级作出的暂停、收回保证金可关联信用评价。"
                ),
            ),
            models.CheckConstraint(
                condition=~Q(kind=SanctionKind.COMMENDATION) | Q(rating__isnull=False),
                name="sanction_commendation_has_rating",
                violation_error_message=_("授牌必须关联一条A级信用评价。"),
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="sanction_amount_not_negative",
                violation_error_message=_("金额不能为负数。"),
            ),
            text_limit("sanction", "legal_basis", LEGAL_BASIS_LENGTH, _("法律依据")),
            text_limit("sanction", "note", NOTE_LENGTH, _("备注")),
        ]

    DOCKET_KIND = CaseKind.SANCTION
    DOCKET_DATE_FIELD = "decided_on"

    def docket_date(self) -> datetime.date:
        return self.decided_on

    def __str__(self) -> str:
        text = f"{self.facility} · {self.get_kind_display()} · {self.decided_on:%Y-%m-%d}"
        return f"{self.docket} · {text}" if self.docket else text

    def clean(self) -> None:
        """Queries: the inspection and rating it rests on must be the facility's own."""
        if self.inspection_id and self.inspection.facility_id != self.facility_id:
            raise ValidationError({"inspection": _("依据的检查不是对该机构的检查。")})
        if self.rating_id and self.rating.facility_id != self.facility_id:
            raise ValidationError({"rating": _("依据的信用评价不是该机构的评价。")})
        if self.kind != SanctionKind.SUSPENSION or not (self.starts_on and self.ends_on):
            return
        latest_end = latest_suspension_end(self.starts_on)
        if self.ends_on >= self.starts_on and self.ends_on > latest_end:
            raise ValidationError(
                {
                    "ends_on": _("暂停期限最长%(n)d个月，截止日期最晚为%(day)s。")
                    % {"n": MAX_SUSPENSION_MONTHS, "day": latest_end.isoformat()}
                }
            )

    def is_in_force_on(self, day: datetime.date) -> bool:
        """A suspension is in force from its first to its last day, inclusive."""
        return (
            self.kind == SanctionKind.SUSPENSION
            and self.starts_on is not None
            and self.ends_on is not None
            and self.starts_on <= day <= self.ends_on
        )
