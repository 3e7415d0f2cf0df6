"""Running totals behind the overview (总览): facilities per grade and year, inspections and their
money per month and kind, each per district.

Counting a year's ratings or summing a year's inspections reads a million rows at national scale
(0.3–0.7 s); these tables hold a few rows per district instead. Nothing in Python writes them:
database triggers (supervision/tallies.py, migration 0100) add and subtract on every insert,
update and delete of a rating or an inspection and on a facility's move to another district,
whatever path made the change (pages, API, admin, a fixture, SQL by hand), in the same
transaction. `manage.py rebuild_tallies` recomputes them from scratch.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from supervision.choices import District, Grade, InspectionKind
from supervision.models.inspection import Inspection
from supervision.models.rating import CreditRating


class GradeTally(models.Model):
    """How many of a district's facilities hold a grade for a year."""

    district = models.CharField(_("所属区县"), max_length=6, choices=District.choices)
    year = models.PositiveSmallIntegerField(_("评价年度"))
    grade = models.CharField(_("信用等级"), max_length=1, choices=Grade.choices)
    facilities = models.IntegerField(_("机构数"), default=0)

    district_path = "district"
    permission_model = CreditRating

    class Meta:
        verbose_name = _("等级统计")
        verbose_name_plural = _("等级统计")
        constraints = [
            # The key the triggers add to (INSERT … ON CONFLICT on exactly these columns).
            models.UniqueConstraint(
                fields=["year", "grade", "district"],
                name="gradetally_year_grade_district_uniq",
                violation_error_message=_("该区县该年度该等级的统计已存在。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.district} {self.grade}: {self.facilities}"


class InspectionTally(models.Model):
    """How many inspections of a kind began in a month in a district, and their money."""

    district = models.CharField(_("所属区县"), max_length=6, choices=District.choices)
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    kind = models.CharField(_("检查类型"), max_length=16, choices=InspectionKind.choices)
    inspections = models.IntegerField(_("检查数"), default=0)
    amount_involved = models.DecimalField(
        _("涉及金额（元）"), max_digits=18, decimal_places=2, default=Decimal("0.00")
    )
    amount_recovered = models.DecimalField(
        _("追回金额（元）"), max_digits=18, decimal_places=2, default=Decimal("0.00")
    )

    district_path = "district"
    permission_model = Inspection

    class Meta:
        verbose_name = _("检查统计")
        verbose_name_plural = _("检查统计")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "kind", "district"],
                name="inspectiontally_month_kind_district_uniq",
                violation_error_message=_("该区县该月该类检查的统计已存在。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.district} {self.kind}: {self.inspections}"
