from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from supervision.choices import Grade, RatingChangeKind
from supervision.models.base import (
    BASIS_LENGTH,
    REASON_LENGTH,
    Linked,
    TimeStamped,
    Versioned,
    text_limit,
)
from supervision.querysets import CreditRatingQuerySet

# Credit ratings began after the bureau was set up (2018); a year is rated after it has ended
# (2024 in early 2025), so the upper bound is checked against today in clean().
MIN_RATING_YEAR = 2018
MAX_RATING_YEAR = 2100
MAX_SCORE = Decimal("1000")

# The score band of each grade, of 1000 points: [low, high), None for open. The city's default
# thresholds (A ≥ 900, B 750–899, C 600–749, D < 600); the database holds them
# (rating_score_fits_grade), so changing them takes a migration.
GRADE_BANDS: dict[str, tuple[Decimal | None, Decimal | None]] = {
    Grade.A: (Decimal("900"), None),
    Grade.B: (Decimal("750"), Decimal("900")),
    Grade.C: (Decimal("600"), Decimal("750")),
    Grade.D: (None, Decimal("600")),
}


def score_fits_grade(grade: str, score: Decimal | None) -> bool:
    """Whether score lies in grade's band (no score always fits)."""
    if score is None or grade not in GRADE_BANDS:
        return True
    low, high = GRADE_BANDS[grade]
    return (low is None or score >= low) and (high is None or score < high)


def grade_band_text(grade: str) -> str:
    """The band of grade in words, e.g. "750分及以上、不足900分"."""
    low, high = GRADE_BANDS[grade]
    if low is None:
        return _("不足%(high)s分") % {"high": high}
    if high is None:
        return _("%(low)s分及以上") % {"low": low}
    return _("%(low)s分及以上、不足%(high)s分") % {"low": low, "high": high}


def _score_band_condition() -> Q:
    condition = Q(score__isnull=True)
    for grade, (low, high) in GRADE_BANDS.items():
        band = Q(grade=grade)
        if low is not None:
            band &= Q(score__gte=low)
        if high is not None:
            band &= Q(score__lt=high)
        condition |= band
    return condition


def check_rating_year(year: int) -> None:
    """Refuse a rating for a year that has not ended (the bound moves with today).

    The rule of every path (services.ratings.grade_problems, the forms, the API, the admin).
    """
    current = timezone.localdate().year
    if year > current:
        raise ValidationError({"year": _("不能评价尚未开始的年度（%(year)s）。") % {"year": year}})
    if year == current:
        raise ValidationError(
            {
                "year": _(
                    "%(year)s年度尚未结束，不能评价：信用评价在年度结束后进行；"
                    "年内的等级调整请选择最近已评价的年度。"
                )
                % {"year": year}
            }
        )


class CreditRating(Versioned, TimeStamped):
    """A facility's credit rating (信用评价结果) for one calendar year."""

    facility = models.ForeignKey(
        "supervision.Facility",
        verbose_name=_("机构"),
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    year = models.PositiveSmallIntegerField(
        _("评价年度"),
        validators=[MinValueValidator(MIN_RATING_YEAR), MaxValueValidator(MAX_RATING_YEAR)],
    )
    grade = models.CharField(_("信用等级"), max_length=1, choices=Grade.choices)
    score = models.DecimalField(
        _("得分"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_SCORE)],
        help_text=_("可选，0–1000分。"),
    )
    rated_on = models.DateField(_("评定日期"), null=True, blank=True)
    basis = models.TextField(_("评价依据"), blank=True, default="", max_length=BASIS_LENGTH)
    # The annual evaluation behind the grade, with its indicator breakdown (None: entered by hand
    # or loaded). Its score is by that cycle's indicator system, whose thresholds and vetoes the
    # default bands below do not know.
    assessment = models.OneToOneField(
        "supervision.Assessment",
        verbose_name=_("评价明细"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rating",
    )
    repaired = models.BooleanField(_("经信用修复"), default=False)

    history = HistoricalRecords(verbose_name=_("信用评价变更记录"))
    objects = CreditRatingQuerySet.as_manager()
    district_path = "facility__district"

    class Meta:
        verbose_name = _("信用评价")
        verbose_name_plural = pgettext_lazy("plural", "信用评价")
        ordering = ["-year", "-id"]
        indexes = [
            # The ratings list, newest year first, and the rated years.
            models.Index(fields=["year", "id"], name="rating_year_idx"),
            # "Grade X in year N" filters (in list order) and the counts by grade per year.
            models.Index(fields=["year", "grade", "id"], name="rating_year_grade_idx"),
        ]
        constraints = [
            # Also the index behind "latest rating of a facility".
            models.UniqueConstraint(
                fields=["facility", "year"],
                name="rating_one_per_facility_year",
                violation_error_message=_("该机构本年度已有信用评价，请修改原评价。"),
            ),
            models.CheckConstraint(
                condition=Q(grade__in=Grade.values),
                name="rating_grade_valid",
                violation_error_message=_("信用等级只能是A、B、C或D。"),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=MIN_RATING_YEAR) & Q(year__lte=MAX_RATING_YEAR),
                name="rating_year_in_range",
                violation_error_message=_("评价年度超出范围。"),
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=MAX_SCORE)),
                name="rating_score_in_range",
                violation_error_message=_("得分应在0到1000之间。"),
            ),
            text_limit("rating", "basis", BASIS_LENGTH, _("评价依据")),
            models.CheckConstraint(
                condition=Q(assessment__isnull=False) | _score_band_condition(),
                name="rating_score_fits_grade",
                violation_error_message=_(
                    "得分与信用等级不符：A级900分及以上，B级750–899分，C级600–749分，"
                    "D级不足600分；不评分可留空。"
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility} · {self.year} · {self.grade}"

    def get_absolute_url(self) -> str:
        return self.facility.get_absolute_url() + "#ratings"

    def clean(self) -> None:
        if self.year:
            check_rating_year(self.year)
        if self.rated_on and self.year and self.rated_on.year < self.year:
            raise ValidationError({"rated_on": _("评定日期不能早于评价年度。")})


class RatingChange(Linked):
    """One setting or change of a grade, with its reason: the rating's audit trail."""

    rating = models.ForeignKey(
        CreditRating,
        verbose_name=_("信用评价"),
        on_delete=models.PROTECT,
        related_name="changes",
    )
    from_grade = models.CharField(
        _("原等级"), max_length=1, choices=Grade.choices, blank=True, default=""
    )
    to_grade = models.CharField(_("新等级"), max_length=1, choices=Grade.choices)
    reason = models.TextField(_("调整原因"), max_length=REASON_LENGTH)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rating_changes",
    )
    changed_at = models.DateTimeField(_("调整时间"), default=timezone.now)
    kind = models.CharField(
        _("调整类型"),
        max_length=12,
        choices=RatingChangeKind.choices,
        default=RatingChangeKind.MANUAL,
    )
    # A dynamic adjustment (动态调整) rests on the inspection that found the serious violation.
    inspection = models.ForeignKey(
        "supervision.Inspection",
        verbose_name=_("依据检查"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rating_changes",
    )

    history = HistoricalRecords(verbose_name=_("评级调整变更记录"))
    district_path = "rating__facility__district"

    class Meta:
        verbose_name = _("评级调整")
        verbose_name_plural = pgettext_lazy("plural", "评级调整")
        ordering = ["-changed_at", "-id"]
        indexes = [
            # A rating's changes, newest first (facility page, timeline).
            models.Index(fields=["rating", "-changed_at"], name="ratingchange_rating_idx"),
            # "Latest changes" on the dashboard, in the list's order (ties broken by id).
            models.Index(fields=["-changed_at", "-id"], name="ratingchange_recent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_grade__in=Grade.values),
                name="ratingchange_to_grade_valid",
                violation_error_message=_("新等级只能是A、B、C或D。"),
            ),
            models.CheckConstraint(
                condition=Q(from_grade="") | Q(from_grade__in=Grade.values),
                name="ratingchange_from_grade_valid",
                violation_error_message=_("原等级只能是A、B、C、D或空。"),
            ),
            models.CheckConstraint(
                condition=~Q(from_grade=F("to_grade")),
                name="ratingchange_changes_grade",
                violation_error_message=_("新等级与原等级相同，无需调整。"),
            ),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="ratingchange_reason_required",
                violation_error_message=_("请填写调整原因。"),
            ),
            text_limit("ratingchange", "reason", REASON_LENGTH, _("调整原因")),
            models.CheckConstraint(
                condition=Q(kind__in=RatingChangeKind.values),
                name="ratingchange_kind_valid",
                violation_error_message=_("调整类型无效。"),
            ),
            models.CheckConstraint(
                condition=~Q(kind=RatingChangeKind.ADJUSTMENT) | Q(inspection__isnull=False),
                name="ratingchange_adjustment_has_inspection",
                violation_error_message=_("动态调整须注明依据的检查（发现严重违规的检查）。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}: {self.from_grade or '—'} → {self.to_grade}"

    def get_absolute_url(self) -> str:
        """Queries the rating and facility unless they are selected."""
        return self.rating.get_absolute_url()
