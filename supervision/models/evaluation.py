"""The annual credit evaluation (年度信用评价) and what follows from its grades.

EvaluationCycle: one year's evaluation of one category, step by step (CycleStatus).
Assessment: one subject in a cycle: self-assessment, deductions, bonus, veto, score, grade.
AssessmentItem: one indicator of one assessment that is not at full marks (fact deductions,
an evaluator's score, a veto hit, a bonus): items are sparse, a subject with nothing recorded
has none. Objection (异议) against a published result; CreditRepair (信用修复) of a grade;
SupervisionMeasure (分级分类监管措施) per category and grade; PlannedCheck, the year's check
plan derived from the grades.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from supervision.choices import (
    CreditCategoryCode,
    CycleStatus,
    District,
    Grade,
    ObjectionStatus,
    RepairStatus,
)
from supervision.models.base import (
    NOTE_LENGTH,
    OUTCOME_LENGTH,
    SUMMARY_LENGTH,
    TimeStamped,
    Versioned,
    text_limit,
)
from supervision.models.checks import BatchedChecks
from supervision.models.credit import FULL_SCORE, CreditCategory, IndicatorSystem
from supervision.models.rating import MAX_RATING_YEAR, MIN_RATING_YEAR


def points_in_range(prefix: str, field: str, label: object) -> models.CheckConstraint:
    """field (points, or empty where it may be) between 0 and FULL_SCORE, in the database."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gte": 0}) & Q(**{f"{field}__lte": FULL_SCORE}),
        name=f"{prefix}_{field}_in_range",
        violation_error_message=format_lazy(_("{label}应在0到1000分之间。"), label=label),
    )


POINTS = {
    "max_digits": 7,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal(FULL_SCORE))],
}
_STEPS = [s.value for s in CycleStatus]


def _at_or_after(status: str) -> list[str]:
    return _STEPS[_STEPS.index(status) :]


class EvaluationCycle(Versioned, TimeStamped):
    """One year's credit evaluation of one category of subject."""

    category = models.ForeignKey(
        CreditCategory, verbose_name=_("信用主体类别"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(
        _("评价年度"),
        validators=[MinValueValidator(MIN_RATING_YEAR), MaxValueValidator(MAX_RATING_YEAR)],
    )
    system = models.ForeignKey(
        IndicatorSystem, verbose_name=_("指标体系"), on_delete=models.PROTECT, related_name="cycles"
    )
    status = models.CharField(
        _("环节"),
        max_length=16,
        choices=CycleStatus.choices,
        default=CycleStatus.SELF_ASSESSMENT,
    )
    opened_on = models.DateField(_("启动日期"))
    self_assessment_due = models.DateField(_("自评截止日期"))
    scored_at = models.DateTimeField(_("自动评分时间"), null=True, blank=True)
    initial_done_on = models.DateField(_("初评完成日期"), null=True, blank=True)
    reviewed_on = models.DateField(_("复核完成日期"), null=True, blank=True)
    publication_starts = models.DateField(_("公示开始日期"), null=True, blank=True)
    publication_ends = models.DateField(_("公示截止日期"), null=True, blank=True)
    finalised_on = models.DateField(_("确定日期"), null=True, blank=True)
    announced_on = models.DateField(_("结果公布日期"), null=True, blank=True)
    subject_count = models.PositiveIntegerField(_("评价对象数"), default=0, editable=False)
    # The cycle's counts (by grade, vetoed, self-assessments received, finalised), kept by the
    # services on every change so that the cycle page reads one row, not a million.
    figures = models.JSONField(_("统计"), default=dict, blank=True, editable=False)
    note = models.TextField(_("说明"), blank=True, default="", max_length=NOTE_LENGTH)

    history = HistoricalRecords(verbose_name=_("信用评价工作变更记录"))
    district_path = None

    class Meta:
        verbose_name = _("年度信用评价")
        verbose_name_plural = pgettext_lazy("plural", "年度信用评价")
        ordering = ["-year", "category__number"]
        permissions = [
            ("review_evaluationcycle", _("可复核、公示年度信用评价")),
            ("finalise_evaluationcycle", _("可确定并公布年度信用评价结果")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "year"],
                name="cycle_one_per_category_year",
                violation_error_message=_("该类别本年度的信用评价已启动。"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=_STEPS),
                name="cycle_status_valid",
                violation_error_message=_("环节无效。"),
            ),
            models.CheckConstraint(
                condition=Q(self_assessment_due__gte=F("opened_on")),
                name="cycle_self_assessment_due_after_opening",
                violation_error_message=_("自评截止日期不能早于启动日期。"),
            ),
            # Each step's date is there from its step on, and not before.
            models.CheckConstraint(
                condition=Q(
                    status__in=_at_or_after(CycleStatus.REVIEW), initial_done_on__isnull=False
                )
                | ~Q(status__in=_at_or_after(CycleStatus.REVIEW)) & Q(initial_done_on__isnull=True),
                name="cycle_initial_done_with_review",
                violation_error_message=_("初评完成后才进入复核，并须记录初评完成日期。"),
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=_at_or_after(CycleStatus.PUBLICATION),
                    reviewed_on__isnull=False,
                    publication_starts__isnull=False,
                    publication_ends__isnull=False,
                )
                | ~Q(status__in=_at_or_after(CycleStatus.PUBLICATION))
                & Q(reviewed_on__isnull=True, publication_starts__isnull=True)
                & Q(publication_ends__isnull=True),
                name="cycle_publication_dates_with_status",
                violation_error_message=_("公示须记录复核完成日期和公示起止日期。"),
            ),
            models.CheckConstraint(
                condition=Q(publication_ends__isnull=True)
                | Q(publication_ends__gt=F("publication_starts")),
                name="cycle_publication_ends_after_start",
                violation_error_message=_("公示截止日期应晚于公示开始日期。"),
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=_at_or_after(CycleStatus.FINALISING), finalised_on__isnull=False
                )
                | ~Q(status__in=_at_or_after(CycleStatus.FINALISING))
                & Q(finalised_on__isnull=True),
                name="cycle_finalised_on_with_status",
                violation_error_message=_("确定结果时须记录确定日期。"),
            ),
            models.CheckConstraint(
                condition=Q(status=CycleStatus.ANNOUNCED, announced_on__isnull=False)
                | ~Q(status=CycleStatus.ANNOUNCED) & Q(announced_on__isnull=True),
                name="cycle_announced_on_with_status",
                violation_error_message=_("结果公布后须记录公布日期。"),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=MIN_RATING_YEAR) & Q(year__lte=MAX_RATING_YEAR),
                name="cycle_year_in_range",
                violation_error_message=_("评价年度超出范围。"),
            ),
            text_limit("cycle", "note", NOTE_LENGTH, _("说明")),
        ]

    def __str__(self) -> str:
        return _("%(year)s年度%(category)s信用评价") % {
            "year": self.year,
            "category": CreditCategoryCode(self.category_id).label,
        }

    @property
    def category_label(self) -> str:
        return str(CreditCategoryCode(self.category_id).label)

    @property
    def step(self) -> CycleStatus:
        return CycleStatus(self.status)

    def reached(self, status: str) -> bool:
        return _STEPS.index(self.status) >= _STEPS.index(status)


SUBJECT_FIELDS = ("facility", "institution", "practitioner", "insured_person")


def _exactly_one_subject() -> Q:
    """One of SUBJECT_FIELDS set, the others empty."""
    condition = Q()
    for field in SUBJECT_FIELDS:
        condition |= Q(**{f"{other}__isnull": other != field for other in SUBJECT_FIELDS})
    return condition


class Assessment(Versioned, BatchedChecks):
    """One subject's evaluation in a cycle. Exactly one subject field is set, the one of the
    cycle's category; district is the subject's (for scoping and the lists)."""

    cycle = models.ForeignKey(
        EvaluationCycle,
        verbose_name=_("年度信用评价"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    facility = models.ForeignKey(
        "supervision.Facility",
        verbose_name=_("机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
    )
    institution = models.ForeignKey(
        "supervision.CreditInstitution",
        verbose_name=_("信用主体单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
    )
    insured_person = models.ForeignKey(
        "supervision.InsuredPerson",
        verbose_name=_("参保人员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
    )
    practitioner = models.ForeignKey(
        "supervision.Practitioner",
        verbose_name=_("医药机构相关人员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
    )
    district = models.CharField(_("所属区县"), max_length=6, choices=District.choices)
    subject_name = models.CharField(_("评价对象"), max_length=200)
    self_score = models.DecimalField(_("自评得分"), null=True, blank=True, **POINTS)
    self_received_on = models.DateField(_("自评收到日期"), null=True, blank=True)
    self_note = models.TextField(_("自评说明"), blank=True, default="", max_length=NOTE_LENGTH)
    deductions = models.DecimalField(_("扣分合计"), default=Decimal("0"), **POINTS)
    bonus = models.DecimalField(_("加分合计"), default=Decimal("0"), **POINTS)
    vetoed = models.BooleanField(_("一票否决"), default=False)
    score = models.DecimalField(_("得分"), null=True, blank=True, **POINTS)
    grade = models.CharField(_("等级"), max_length=1, choices=Grade.choices, blank=True, default="")
    published_grade = models.CharField(
        _("公示等级"), max_length=1, choices=Grade.choices, blank=True, default=""
    )
    finalised = models.BooleanField(_("已确定"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    history = HistoricalRecords(verbose_name=_("信用评价对象变更记录"))
    district_path = "district"

    class Meta:
        verbose_name = _("信用评价对象")
        verbose_name_plural = pgettext_lazy("plural", "信用评价对象")
        ordering = ["cycle", "subject_name", "id"]
        indexes = [
            models.Index(fields=["cycle", "subject_name", "id"], name="assessment_name_idx"),
            models.Index(fields=["cycle", "grade", "id"], name="assessment_grade_idx"),
            models.Index(fields=["cycle", "score", "id"], name="assessment_score_idx"),
            # PostgreSQL also has (cycle, score DESC NULLS LAST, id DESC) for the "-score" sort:
            # migration 0111 (SQLite takes no NULLS LAST in an index).
            # The vetoed subjects of a cycle, by name (a handful among hundreds of thousands).
            models.Index(
                fields=["cycle", "subject_name", "id"],
                name="assessment_vetoed_idx",
                condition=Q(vetoed=True),
            ),
            models.Index(fields=["cycle", "district", "id"], name="assessment_district_idx"),
            models.Index(
                fields=["cycle", "id"],
                name="assessment_unfinalised_idx",
                condition=Q(finalised=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=_exactly_one_subject(),
                name="assessment_exactly_one_subject",
                violation_error_message=_("评价对象须且只能是一个机构、单位或个人。"),
            ),
            models.UniqueConstraint(
                fields=["cycle", "facility"],
                condition=Q(facility__isnull=False),
                name="assessment_facility_once_per_cycle",
                violation_error_message=_("该机构已在本次评价中。"),
            ),
            models.UniqueConstraint(
                fields=["cycle", "institution"],
                condition=Q(institution__isnull=False),
                name="assessment_institution_once_per_cycle",
                violation_error_message=_("该单位已在本次评价中。"),
            ),
            models.UniqueConstraint(
                fields=["cycle", "practitioner"],
                condition=Q(practitioner__isnull=False),
                name="assessment_practitioner_once_per_cycle",
                violation_error_message=_("该人员已在本次评价中。"),
            ),
            models.UniqueConstraint(
                fields=["cycle", "insured_person"],
                condition=Q(insured_person__isnull=False),
                name="assessment_person_once_per_cycle",
                violation_error_message=_("该参保人员已在本次评价中。"),
            ),
            models.CheckConstraint(
                condition=Q(grade="") | Q(grade__in=Grade.values),
                name="assessment_grade_valid",
                violation_error_message=_("等级只能是A、B、C、D或空。"),
            ),
            models.CheckConstraint(
                condition=Q(published_grade="") | Q(published_grade__in=Grade.values),
                name="assessment_published_grade_valid",
                violation_error_message=_("公示等级只能是A、B、C、D或空。"),
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True, grade="") | Q(score__isnull=False) & ~Q(grade=""),
                name="assessment_score_with_grade",
                violation_error_message=_("得分和等级须同时有或同时无。"),
            ),
            models.CheckConstraint(
                condition=Q(vetoed=False) | Q(grade=Grade.D) | Q(grade=Grade.C),
                name="assessment_veto_lowers_grade",
                violation_error_message=_("一票否决的评价对象等级只能是C级或D级。"),
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0) & Q(score__lte=FULL_SCORE),
                name="assessment_score_in_range",
                violation_error_message=_("得分应在0到1000之间。"),
            ),
            models.CheckConstraint(
                condition=Q(self_score__isnull=True, self_received_on__isnull=True)
                | Q(self_score__isnull=False, self_received_on__isnull=False),
                name="assessment_self_score_with_date",
                violation_error_message=_("自评得分须与收到日期一并记录。"),
            ),
            models.CheckConstraint(
                condition=Q(finalised=False) | ~Q(grade=""),
                name="assessment_finalised_has_grade",
                violation_error_message=_("确定的评价对象须有等级。"),
            ),
            models.CheckConstraint(
                condition=Q(district__in=District.values),
                name="assessment_district_valid",
                violation_error_message=_("所属区县无效。"),
            ),
            points_in_range("assessment", "deductions", _("扣分合计")),
            points_in_range("assessment", "bonus", _("加分合计")),
            points_in_range("assessment", "self_score", _("自评得分")),
            text_limit("assessment", "self_note", NOTE_LENGTH, _("自评说明")),
        ]

    def __str__(self) -> str:
        return f"{self.subject_name} · {self.cycle_id and self.cycle}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("assessment-detail", args=[self.pk])

    @property
    def subject(self) -> models.Model:
        return self.facility or self.institution or self.practitioner or self.insured_person


class AssessmentItem(BatchedChecks):
    """One indicator of one assessment that is not at full marks: points deducted (fact or
    manual), points added (bonus) or a veto hit (points 0), with the count of facts behind an
    automatic one. Automatic items (entered_by null, automatic=True) are rewritten by every
    scoring run; an evaluator's are kept."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("评价对象"), on_delete=models.CASCADE, related_name="items"
    )
    indicator = models.ForeignKey(
        "supervision.Indicator", verbose_name=_("指标"), on_delete=models.PROTECT, related_name="+"
    )
    automatic = models.BooleanField(_("自动评分"), default=False)
    points = models.DecimalField(_("分数"), default=Decimal("0"), **POINTS)
    facts = models.PositiveIntegerField(_("事实数"), default=0)
    note = models.TextField(_("评分说明"), blank=True, default="", max_length=NOTE_LENGTH)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评分人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("评分时间"), default=timezone.now)

    history = HistoricalRecords(verbose_name=_("评分记录变更记录"))
    district_path = "assessment__district"

    class Meta:
        verbose_name = _("评分记录")
        verbose_name_plural = pgettext_lazy("plural", "评分记录")
        ordering = ["assessment", "indicator__position", "id"]
        indexes = [models.Index(fields=["indicator", "assessment"], name="item_indicator_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "indicator"],
                name="item_once_per_indicator",
                violation_error_message=_("该指标已评分，请修改原评分。"),
            ),
            models.CheckConstraint(
                condition=Q(automatic=False) | Q(entered_by__isnull=True),
                name="item_automatic_has_no_evaluator",
                violation_error_message=_("自动评分没有评分人。"),
            ),
            models.CheckConstraint(
                condition=Q(automatic=True) | Q(facts=0),
                name="item_facts_only_automatic",
                violation_error_message=_("只有自动评分记录事实数。"),
            ),
            points_in_range("item", "points", _("分数")),
            text_limit("item", "note", NOTE_LENGTH, _("评分说明")),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} · {self.indicator_id} · {self.points}"


class Objection(Versioned, TimeStamped):
    """An objection (异议) of a subject against its published result, decided with a reason
    within the set working days (due_on)."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("评价对象"), on_delete=models.PROTECT, related_name="objections"
    )
    received_on = models.DateField(_("收到日期"))
    grounds = models.TextField(_("异议事由"), max_length=SUMMARY_LENGTH)
    due_on = models.DateField(_("办理期限"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.PENDING
    )
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    decision = models.TextField(_("处理意见"), blank=True, default="", max_length=OUTCOME_LENGTH)
    grade_before = models.CharField(
        _("原等级"), max_length=1, choices=Grade.choices, blank=True, default=""
    )
    grade_after = models.CharField(
        _("处理后等级"), max_length=1, choices=Grade.choices, blank=True, default=""
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(verbose_name=_("信用评价异议变更记录"))
    district_path = "assessment__district"

    class Meta:
        verbose_name = _("信用评价异议")
        verbose_name_plural = pgettext_lazy("plural", "信用评价异议")
        ordering = ["-received_on", "-id"]
        permissions = [("decide_objection", _("可决定信用评价异议"))]
        indexes = [
            models.Index(
                fields=["due_on", "id"],
                name="objection_pending_idx",
                condition=Q(status=ObjectionStatus.PENDING),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ObjectionStatus.values),
                name="objection_status_valid",
                violation_error_message=_("状态无效。"),
            ),
            models.CheckConstraint(
                condition=~Q(grounds=""),
                name="objection_grounds_required",
                violation_error_message=_("请填写异议事由。"),
            ),
            models.CheckConstraint(
                condition=Q(status=ObjectionStatus.PENDING, decided_on__isnull=True, decision="")
                | ~Q(status=ObjectionStatus.PENDING)
                & Q(decided_on__isnull=False)
                & ~Q(decision="")
                & ~Q(grade_after=""),
                name="objection_decision_with_status",
                violation_error_message=_("异议决定须有决定日期、处理意见和处理后等级。"),
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=F("received_on")),
                name="objection_decided_after_received",
                violation_error_message=_("决定日期不能早于收到日期。"),
            ),
            text_limit("objection", "grounds", SUMMARY_LENGTH, _("异议事由")),
            text_limit("objection", "decision", OUTCOME_LENGTH, _("处理意见")),
        ]

    def __str__(self) -> str:
        return _("异议 #%(id)s") % {"id": self.pk}

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return (
            self.status == ObjectionStatus.PENDING
            and self.due_on is not None
            and self.due_on < today
        )


class CreditRepair(Versioned, TimeStamped):
    """An application for credit repair (信用修复) of a C or D grade after rectification and a
    waiting period, and its decision. An approved repair raises the grade by one and marks the
    rating as repaired."""

    rating = models.ForeignKey(
        "supervision.CreditRating",
        verbose_name=_("信用评价"),
        on_delete=models.PROTECT,
        related_name="repairs",
    )
    applied_on = models.DateField(_("申请日期"))
    rectification = models.TextField(_("整改情况"), max_length=SUMMARY_LENGTH)
    eligible_from = models.DateField(_("可申请日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=RepairStatus.choices, default=RepairStatus.PENDING
    )
    from_grade = models.CharField(_("原等级"), max_length=1, choices=Grade.choices)
    to_grade = models.CharField(
        _("修复后等级"), max_length=1, choices=Grade.choices, blank=True, default=""
    )
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    decision = models.TextField(_("审核意见"), blank=True, default="", max_length=OUTCOME_LENGTH)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(verbose_name=_("信用修复变更记录"))
    district_path = "rating__facility__district"

    class Meta:
        verbose_name = _("信用修复")
        verbose_name_plural = pgettext_lazy("plural", "信用修复")
        ordering = ["-applied_on", "-id"]
        permissions = [("decide_creditrepair", _("可决定信用修复申请"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RepairStatus.values),
                name="repair_status_valid",
                violation_error_message=_("状态无效。"),
            ),
            models.CheckConstraint(
                condition=Q(from_grade__in=[Grade.C, Grade.D]),
                name="repair_only_c_or_d",
                violation_error_message=_("只有C级、D级可以申请信用修复。"),
            ),
            models.CheckConstraint(
                condition=Q(applied_on__gte=F("eligible_from")),
                name="repair_after_waiting_period",
                violation_error_message=_("整改后等待期未满，不能申请信用修复。"),
            ),
            models.CheckConstraint(
                condition=~Q(rectification=""),
                name="repair_rectification_required",
                violation_error_message=_("请填写整改情况。"),
            ),
            models.CheckConstraint(
                condition=Q(status=RepairStatus.PENDING, decided_on__isnull=True, to_grade="")
                | Q(status=RepairStatus.REJECTED, decided_on__isnull=False, to_grade="")
                & ~Q(decision="")
                | Q(status=RepairStatus.APPROVED, decided_on__isnull=False)
                & ~Q(to_grade="")
                & ~Q(decision=""),
                name="repair_decision_with_status",
                violation_error_message=_(
                    "审核决定须有决定日期和审核意见；准予修复须有修复后等级。"
                ),
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=F("applied_on")),
                name="repair_decided_after_applied",
                violation_error_message=_("决定日期不能早于申请日期。"),
            ),
            text_limit("repair", "rectification", SUMMARY_LENGTH, _("整改情况")),
            text_limit("repair", "decision", OUTCOME_LENGTH, _("审核意见")),
        ]

    def __str__(self) -> str:
        return _("信用修复 #%(id)s") % {"id": self.pk}


class SupervisionMeasure(BatchedChecks):
    """The measures of one grade in one category (分级分类监管): routine checks a year (at least,
    at most), focus list, talk with the legal representative, plaque, simplified procedures."""

    category = models.ForeignKey(
        CreditCategory, verbose_name=_("信用主体类别"), on_delete=models.PROTECT, related_name="+"
    )
    grade = models.CharField(_("信用等级"), max_length=1, choices=Grade.choices)
    min_checks = models.PositiveSmallIntegerField(
        _("每年至少检查次数"), default=0, validators=[MaxValueValidator(12)]
    )
    max_checks = models.PositiveSmallIntegerField(
        _("每年至多常规检查次数"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(12)],
        help_text=_("留空为不限。"),
    )
    focus_list = models.BooleanField(_("列入重点监管名单"), default=False)
    talk = models.BooleanField(_("约谈法定代表人"), default=False)
    plaque = models.BooleanField(_("授牌"), default=False)
    simplified = models.BooleanField(_("简化办事程序"), default=False)
    note = models.TextField(_("其他措施"), blank=True, default="", max_length=NOTE_LENGTH)

    history = HistoricalRecords(verbose_name=_("分级监管措施变更记录"))
    district_path = None

    class Meta:
        verbose_name = _("分级监管措施")
        verbose_name_plural = pgettext_lazy("plural", "分级监管措施")
        ordering = ["category__number", "grade"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "grade"],
                name="measure_one_per_category_grade",
                violation_error_message=_("该类别该等级已有监管措施。"),
            ),
            models.CheckConstraint(
                condition=Q(grade__in=Grade.values),
                name="measure_grade_valid",
                violation_error_message=_("信用等级只能是A、B、C或D。"),
            ),
            models.CheckConstraint(
                condition=Q(min_checks__lte=12)
                & (
                    Q(max_checks__isnull=True)
                    | Q(max_checks__gte=F("min_checks")) & Q(max_checks__lte=12)
                ),
                name="measure_checks_range",
                violation_error_message=_("每年检查次数应在0到12之间，至多次数不少于至少次数。"),
            ),
            text_limit("measure", "note", NOTE_LENGTH, _("其他措施")),
        ]

    def __str__(self) -> str:
        return f"{self.category_id} · {self.grade}"


class PlannedCheck(BatchedChecks):
    """One check a facility must have in a year by its grade (the year's check plan): the n-th of
    its required checks, due by due_on, fulfilled by an on-site inspection of that year."""

    year = models.PositiveSmallIntegerField(
        _("计划年度"),
        validators=[MinValueValidator(MIN_RATING_YEAR), MaxValueValidator(MAX_RATING_YEAR)],
    )
    facility = models.ForeignKey(
        "supervision.Facility",
        verbose_name=_("机构"),
        on_delete=models.PROTECT,
        related_name="planned_checks",
    )
    grade = models.CharField(_("依据等级"), max_length=1, choices=Grade.choices)
    grade_year = models.PositiveSmallIntegerField(_("等级年度"))
    sequence = models.PositiveSmallIntegerField(_("第几次"))
    due_on = models.DateField(_("应检查日期"))
    inspection = models.OneToOneField(
        "supervision.Inspection",
        verbose_name=_("完成检查"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="planned_check",
    )

    history = HistoricalRecords(verbose_name=_("检查计划变更记录"))
    district_path = "facility__district"

    class Meta:
        verbose_name = _("年度检查计划")
        verbose_name_plural = pgettext_lazy("plural", "年度检查计划")
        ordering = ["year", "due_on", "facility", "sequence"]
        indexes = [
            models.Index(fields=["year", "due_on", "id"], name="plannedcheck_due_idx"),
            models.Index(fields=["facility", "year"], name="plannedcheck_facility_idx"),
            models.Index(
                fields=["year", "due_on"],
                name="plannedcheck_open_idx",
                condition=Q(inspection__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "facility", "sequence"],
                name="plannedcheck_once_per_sequence",
                violation_error_message=_("该机构本年度该次检查已在计划中。"),
            ),
            models.CheckConstraint(
                condition=Q(grade__in=Grade.values),
                name="plannedcheck_grade_valid",
                violation_error_message=_("信用等级只能是A、B、C或D。"),
            ),
            models.CheckConstraint(
                condition=Q(sequence__gte=1) & Q(sequence__lte=12),
                name="plannedcheck_sequence_range",
                violation_error_message=_("检查序号应在1到12之间。"),
            ),
            models.CheckConstraint(
                condition=Q(grade_year__lt=F("year")),
                name="plannedcheck_grade_of_earlier_year",
                violation_error_message=_("检查计划依据的等级年度应早于计划年度。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} · {self.facility_id} · {self.sequence}"

    def is_behind(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.inspection_id is None and self.due_on < today
