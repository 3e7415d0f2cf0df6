from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from supervision.choices import District
from supervision.models.checks import BatchedChecks


class UserDistrict(BatchedChecks):
    """A district a staff account is limited to; an account with none sees every district."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="districts",
    )
    district = models.CharField(_("区县"), max_length=6, choices=District.choices)

    class Meta:
        verbose_name = _("可见区县")
        verbose_name_plural = pgettext_lazy("plural", "可见区县")
        ordering = ["user", "district"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "district"],
                name="userdistrict_unique",
                violation_error_message=_("该账号已限定此区县。"),
            ),
            models.CheckConstraint(
                condition=models.Q(district__in=District.values),
                name="userdistrict_district_valid",
                violation_error_message=_("区县无效。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_district_display()}"
