"""Rectification orders (责令整改): a completed inspection that found problems orders the
facility to put them right within a number of working days; the facility reports back; a
follow-up inspection (复查) finds the order carried out or not (which may lead to a sanction)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from supervision.choices import District, RectificationStatus
from supervision.formats.punctuation import bracketed
from supervision.models.base import NOTE_LENGTH, TimeStamped, Versioned, text_limit

# The longest period an order may give, in working days (about nine months).
MAX_RECTIFICATION_WORKDAYS = 180
OPEN_STATUSES = [RectificationStatus.ORDERED, RectificationStatus.REPORTED]
CHECKED_STATUSES = [RectificationStatus.CONFIRMED, RectificationStatus.NOT_DONE]


class Rectification(Versioned, TimeStamped):
    """One order per inspection, covering what it found."""

    inspection = models.OneToOneField(
        "supervision.Inspection",
        verbose_name=_("责令整改的检查"),
        on_delete=models.PROTECT,
        related_name="rectification",
    )
    # The inspection's facility, kept on the order for the district scope, the facility's page
    # and the due items (one index, no join).
    facility = models.ForeignKey(
        "supervision.Facility",
        verbose_name=_("机构"),
        on_delete=models.PROTECT,
        related_name="rectifications",
    )
    requirement = models.TextField(_("整改要求"), max_length=NOTE_LENGTH)
    ordered_on = models.DateField(_("责令整改日期"))
    workdays = models.PositiveSmallIntegerField(
        _("整改期限（工作日）"),
        help_text=_("自责令整改次日起计算的法定工作日数。"),
    )
    # ordered_on + workdays working days; None while the calendar of that year is not known.
    due_on = models.DateField(_("整改期限"), null=True, blank=True, editable=False)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=RectificationStatus.choices,
        default=RectificationStatus.ORDERED,
    )
    reported_on = models.DateField(_("整改报告收到日期"), null=True, blank=True)
    report = models.TextField(_("整改报告摘要"), blank=True, default="", max_length=NOTE_LENGTH)
    follow_up = models.OneToOneField(
        "supervision.Inspection",
        verbose_name=_("复查"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rectification_checked",
    )
    checked_on = models.DateField(_("复查日期"), null=True, blank=True)
    outcome = models.TextField(_("复查结论"), blank=True, default="", max_length=NOTE_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责令人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    # The facility's district, kept by the database (models.inspection.DISTRICT_COPY_NOTE).
    district = models.CharField(
        _("所属区县"), max_length=6, choices=District.choices, default="", editable=False
    )

    history = HistoricalRecords(verbose_name=_("责令整改变更记录"), excluded_fields=["district"])
    district_path = "facility__district"

    class Meta:
        verbose_name = _("责令整改")
        verbose_name_plural = pgettext_lazy("plural", "责令整改")
        ordering = ["-ordered_on", "-id"]
        indexes = [
            # Due items: the open orders by deadline (a small part of all orders).
            models.Index(
                fields=["due_on", "id"],
                name="rectification_open_due_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["district", "due_on", "id"],
                name="rectification_district_due_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(fields=["facility", "-ordered_on"], name="rectification_facility_idx"),
            models.Index(fields=["status", "-ordered_on"], name="rectification_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RectificationStatus.values),
                name="rectification_status_valid",
                violation_error_message=_("整改状态无效。"),
            ),
            models.CheckConstraint(
                condition=~Q(requirement=""),
                name="rectification_requirement_required",
                violation_error_message=_("请填写整改要求。"),
            ),
            models.CheckConstraint(
                condition=Q(workdays__gte=1, workdays__lte=MAX_RECTIFICATION_WORKDAYS),
                name="rectification_workdays_range",
                violation_error_message=_("整改期限应为1到180个工作日。"),
            ),
            models.CheckConstraint(
                condition=Q(due_on__isnull=True) | Q(due_on__gt=F("ordered_on")),
                name="rectification_due_after_order",
                violation_error_message=_("整改期限应晚于责令整改日期。"),
            ),
            models.CheckConstraint(
                condition=Q(reported_on__isnull=True) | Q(reported_on__gte=F("ordered_on")),
                name="rectification_reported_after_order",
                violation_error_message=_("整改报告收到日期不能早于责令整改日期。"),
            ),
            models.CheckConstraint(
                condition=~Q(status=RectificationStatus.REPORTED) | Q(reported_on__isnull=False),
                name="rectification_reported_has_date",
                violation_error_message=_("已报告整改的须填写整改报告收到日期。"),
            ),
            models.CheckConstraint(
                condition=Q(checked_on__isnull=True) | Q(checked_on__gte=F("ordered_on")),
                name="rectification_checked_after_order",
                violation_error_message=_("复查日期不能早于责令整改日期。"),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=CHECKED_STATUSES)
                | (Q(follow_up__isnull=False) & Q(checked_on__isnull=False)),
                name="rectification_checked_has_follow_up",
                violation_error_message=_("整改到位或不到位须有复查及复查日期。"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=CHECKED_STATUSES)
                | (Q(follow_up__isnull=True) & Q(checked_on__isnull=True)),
                name="rectification_open_not_checked",
                violation_error_message=_("尚未复查的整改不能有复查记录。"),
            ),
            models.CheckConstraint(
                condition=Q(follow_up__isnull=True) | ~Q(follow_up=F("inspection")),
                name="rectification_follow_up_is_another_inspection",
                violation_error_message=_("复查应是另一次检查。"),
            ),
            text_limit("rectification", "requirement", NOTE_LENGTH, _("整改要求")),
            text_limit("rectification", "report", NOTE_LENGTH, _("整改报告摘要")),
            text_limit("rectification", "outcome", NOTE_LENGTH, _("复查结论")),
        ]

    def __str__(self) -> str:
        return bracketed(f"{self.facility} · {_('责令整改')}", f"{self.ordered_on:%Y-%m-%d}")

    def get_absolute_url(self) -> str:
        # No page of its own: the order is a section of the page of the inspection it follows.
        return reverse("inspection-detail", args=[self.inspection_id]) + "#rectification"

    def clean(self) -> None:
        """Queries: the order and its follow-up concern the inspected facility (the database
        cannot compare across the relations)."""
        errors = {}
        facility = self.facility_id
        if facility and self.inspection_id and self.inspection.facility_id != facility:
            errors["facility"] = _("机构应是被责令整改的检查的机构。")
        if facility and self.follow_up_id and self.follow_up.facility_id != facility:
            errors["follow_up"] = _("复查应是对同一机构的检查。")
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
