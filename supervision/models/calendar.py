"""The statutory working-day calendar: what an administrator enters for a year the calendar
library (chinesecalendar) does not know yet, or to correct a day it has wrong.

The State Council publishes each coming year's public holidays and make-up working days (调休)
in its notice of November or December; until a year is entered here (or the library knows it),
a deadline that falls in it is unknown, not guessed. supervision.workdays reads both.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from supervision.formats.punctuation import bracketed
from supervision.models.base import NOTE_LENGTH, text_limit
from supervision.models.checks import BatchedChecks


class CalendarYear(BatchedChecks):
    """A year whose schedule an administrator has entered in full (its CalendarDay rows)."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    notice = models.CharField(
        _("通知文号"),
        max_length=100,
        help_text=_("国务院办公厅关于该年部分节假日安排的通知，例如：国办发明电〔2026〕7号。"),
    )
    published_on = models.DateField(_("发布日期"))
    note = models.TextField(_("备注"), blank=True, default="", max_length=NOTE_LENGTH)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(verbose_name=_("工作日历年度变更记录"))
    district_path = None  # one calendar for every district

    class Meta:
        verbose_name = _("工作日历年度")
        verbose_name_plural = pgettext_lazy("plural", "工作日历年度")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100),
                name="calendaryear_year_range",
                violation_error_message=_("年度须在2000至2100之间。"),
            ),
            models.CheckConstraint(
                condition=~Q(notice=""),
                name="calendaryear_notice_required",
                violation_error_message=_("请填写通知文号。"),
            ),
            text_limit("calendaryear", "note", NOTE_LENGTH, _("备注")),
        ]

    def __str__(self) -> str:
        return f"{self.year} · {self.notice}"


class CalendarDay(BatchedChecks):
    """One day that differs from the plain week: a public holiday on a weekday (is_workday
    False) or a make-up working day on a weekend (is_workday True)."""

    day = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(
        _("工作日"), help_text=_("勾选：调休上班的周末；不勾选：放假的工作日。")
    )
    name = models.CharField(_("名称"), max_length=40, help_text=_("例如：国庆节、春节调休。"))

    history = HistoricalRecords(verbose_name=_("工作日历变更记录"))
    district_path = None

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = pgettext_lazy("plural", "节假日与调休")
        ordering = ["day"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name=""),
                name="calendarday_name_required",
                violation_error_message=_("请填写名称。"),
            ),
        ]

    def __str__(self) -> str:
        kind = _("上班") if self.is_workday else _("放假")
        return bracketed(f"{self.day:%Y-%m-%d} {self.name}", kind)
