"""What the bureau publishes (信息公开) and the public pages show: nothing else does.

- GradePublication: the final grades of one year and one facility category are public from the
  day a supervisor publishes them (announcing a facility category's evaluation does it too).
- TypicalCase: a case written from a concluded inspection, reviewed by another supervisor before
  it is published; withdrawn with a reason.
- Sanction.published_on: a sanction a supervisor made public (sanctions in force, D handling).
- RandomCheckPlan.status "published": the plan, its draw and its results.
- Hotline.published: the hotlines.

PublicEdition is a counter that every publication (and every change to something published)
moves on: the public pages are cached under it, so a cached page lives until the next one.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from supervision.choices import CATEGORY_FACILITY_KINDS, TypicalCaseStatus
from supervision.models.base import (
    NOTE_LENGTH,
    REASON_LENGTH,
    TimeStamped,
    Versioned,
    text_limit,
)
from supervision.models.checks import BatchedChecks
from supervision.models.credit import CreditCategory
from supervision.models.rating import MAX_RATING_YEAR, MIN_RATING_YEAR

CASE_TITLE_LENGTH = 100
CASE_TEXT_LENGTH = 5000


class PublicEdition(models.Model):
    """One row: the number of the public pages' current edition (their cache key)."""

    number = models.PositiveBigIntegerField(_("版本号"), default=1)
    changed_at = models.DateTimeField(_("更新时间"), auto_now=True)

    district_path = None

    class Meta:
        verbose_name = _("公开信息版本")
        verbose_name_plural = pgettext_lazy("plural", "公开信息版本")
        constraints = [
            models.CheckConstraint(
                condition=Q(id=1),
                name="publicedition_single_row",
                violation_error_message=_("公开信息版本只有一行。"),
            ),
        ]

    def __str__(self) -> str:
        return str(self.number)


class GradePublication(BatchedChecks):
    """The final grades of one year of one facility category, published."""

    year = models.PositiveSmallIntegerField(
        _("评价年度"),
        validators=[MinValueValidator(MIN_RATING_YEAR), MaxValueValidator(MAX_RATING_YEAR)],
    )
    category = models.ForeignKey(
        CreditCategory,
        verbose_name=_("信用主体类别"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"code__in": list(CATEGORY_FACILITY_KINDS)},
    )
    published_on = models.DateField(_("公布日期"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("公布人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("说明"), blank=True, default="", max_length=NOTE_LENGTH)

    history = HistoricalRecords(verbose_name=_("信用等级公布变更记录"))
    district_path = None

    class Meta:
        verbose_name = _("信用等级公布")
        verbose_name_plural = pgettext_lazy("plural", "信用等级公布")
        ordering = ["-year", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "category"],
                name="gradepublication_once",
                violation_error_message=_("该类别该年度的信用等级已公布。"),
            ),
            models.CheckConstraint(
                condition=Q(category__in=list(CATEGORY_FACILITY_KINDS)),
                name="gradepublication_facility_category",
                violation_error_message=_("只公布定点医药机构和商业保险承办机构的信用等级。"),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=MIN_RATING_YEAR) & Q(year__lte=MAX_RATING_YEAR),
                name="gradepublication_year_in_range",
                violation_error_message=_("评价年度超出范围。"),
            ),
            text_limit("gradepublication", "note", NOTE_LENGTH, _("说明")),
        ]

    def __str__(self) -> str:
        return f"{self.year} · {self.category_id}"


class TypicalCase(Versioned, TimeStamped):
    """A typical case (典型案例) written from a concluded inspection for publication."""

    title = models.CharField(_("标题"), max_length=CASE_TITLE_LENGTH)
    inspection = models.ForeignKey(
        "supervision.Inspection",
        verbose_name=_("所依据的检查"),
        on_delete=models.PROTECT,
        related_name="typical_cases",
    )
    facts = models.TextField(_("基本案情"), max_length=CASE_TEXT_LENGTH)
    handling = models.TextField(_("处理结果"), max_length=CASE_TEXT_LENGTH)
    legal_basis = models.TextField(_("法律依据"), blank=True, default="", max_length=NOTE_LENGTH)
    lesson = models.TextField(_("警示意义"), blank=True, default="", max_length=NOTE_LENGTH)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=TypicalCaseStatus.choices,
        default=TypicalCaseStatus.DRAFT,
    )
    submitted_on = models.DateField(_("提交审核日期"), null=True, blank=True)
    review_comment = models.TextField(
        _("审核意见"), blank=True, default="", max_length=REASON_LENGTH
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    withdrawn_on = models.DateField(_("撤回日期"), null=True, blank=True)
    withdraw_reason = models.TextField(
        _("撤回原因"), blank=True, default="", max_length=REASON_LENGTH
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撰写人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(verbose_name=_("典型案例变更记录"))
    district_path = "inspection__facility__district"

    class Meta:
        verbose_name = _("典型案例")
        verbose_name_plural = pgettext_lazy("plural", "典型案例")
        ordering = ["-published_on", "-id"]
        permissions = [
            ("review_typicalcase", _("可审核并发布、撤回典型案例")),
        ]
        indexes = [
            models.Index(
                fields=["-published_on", "-id"],
                name="typicalcase_published_idx",
                condition=Q(status="published"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TypicalCaseStatus.values),
                name="typicalcase_status_valid",
                violation_error_message=_("状态无效。"),
            ),
            models.CheckConstraint(
                condition=~Q(title="") & ~Q(facts="") & ~Q(handling=""),
                name="typicalcase_text_required",
                violation_error_message=_("请填写标题、基本案情和处理结果。"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["submitted", "published", "withdrawn"])
                & Q(submitted_on__isnull=False)
                | Q(status="draft"),
                name="typicalcase_submitted_on_with_status",
                violation_error_message=_("提交审核须记录日期。"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["published", "withdrawn"])
                & Q(published_on__isnull=False, reviewed_by__isnull=False)
                | Q(status__in=["draft", "submitted"], published_on__isnull=True),
                name="typicalcase_published_with_review",
                violation_error_message=_("发布须经审核并记录发布日期。"),
            ),
            models.CheckConstraint(
                condition=Q(status="withdrawn", withdrawn_on__isnull=False) & ~Q(withdraw_reason="")
                | ~Q(status="withdrawn") & Q(withdrawn_on__isnull=True, withdraw_reason=""),
                name="typicalcase_withdrawn_with_reason",
                violation_error_message=_("撤回须记录日期和原因。"),
            ),
            text_limit("typicalcase", "facts", CASE_TEXT_LENGTH, _("基本案情")),
            text_limit("typicalcase", "handling", CASE_TEXT_LENGTH, _("处理结果")),
            text_limit("typicalcase", "legal_basis", NOTE_LENGTH, _("法律依据")),
            text_limit("typicalcase", "lesson", NOTE_LENGTH, _("警示意义")),
            text_limit("typicalcase", "review_comment", REASON_LENGTH, _("审核意见")),
            text_limit("typicalcase", "withdraw_reason", REASON_LENGTH, _("撤回原因")),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("typical-case-detail", args=[self.pk])
