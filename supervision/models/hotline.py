"""The bureau's published ways to report fund fraud: the three hotline levels, the portal and
WeChat. Data, not text in a template: the footer and the public pages read it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from supervision.choices import PUBLISHED_CHANNELS, TipChannel
from supervision.models.checks import BatchedChecks


class Hotline(BatchedChecks):
    """One published channel: its name and its number (or address), shown when published."""

    channel = models.CharField(_("渠道"), max_length=20, choices=TipChannel.choices, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    contact = models.CharField(
        _("号码或地址"),
        max_length=120,
        blank=True,
        default="",
        help_text=_("电话号码、网址或公众号名称；未填写的渠道不对外公布。"),
    )
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    published = models.BooleanField(_("对外公布"), default=False)

    history = HistoricalRecords(verbose_name=_("举报渠道变更记录"))
    district_path = None

    class Meta:
        verbose_name = _("举报渠道")
        verbose_name_plural = pgettext_lazy("plural", "举报渠道")
        ordering = ["position", "channel"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=[c.value for c in PUBLISHED_CHANNELS]),
                name="hotline_channel_valid",
                violation_error_message=_("渠道无效。"),
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="hotline_name_required",
                violation_error_message=_("请填写名称。"),
            ),
            models.CheckConstraint(
                condition=Q(published=False) | ~Q(contact=""),
                name="hotline_published_has_contact",
                violation_error_message=_("对外公布的渠道必须填写号码或地址。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.contact}".strip()

    @property
    def is_hotline(self) -> bool:
        return TipChannel(self.channel).is_hotline
