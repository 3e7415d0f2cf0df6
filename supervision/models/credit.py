"""Credit subjects and the indicator systems they are evaluated by (信用主体、信用评价指标体系).

The 8 categories are data (CreditCategory, seeded by migration 0108). Categories 1–3 are the
facilities of the registry; 4–6 are kept in a registry of their own (CreditInstitution); 7, the
practitioners, come with their own registry; 8, insured persons (InsuredPerson), keep their ID
number apart (InsuredIdentity) behind its own view permission, like a tip's reporter.

An indicator system is per category and year: dimensions of full points adding up to 1000,
indicators within them (scored from recorded facts or by hand), veto items and bonus items, and
the grade thresholds. Once a cycle of its year has opened the system is frozen: no save or delete
of it, its dimensions or its indicators is accepted (SystemFrozen).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from supervision.choices import (
    INSTITUTION_CATEGORIES,
    CreditCategoryCode,
    District,
    Grade,
    IndicatorFact,
    IndicatorMethod,
    SubjectType,
)
from supervision.codes import CREDIT_CODE_LENGTH, validate_credit_code, validate_resident_id
from supervision.formats.punctuation import bracketed
from supervision.models.base import NOTE_LENGTH, TimeStamped, Versioned, text_limit
from supervision.models.checks import BatchedChecks
from supervision.models.rating import MAX_RATING_YEAR, MIN_RATING_YEAR

# Points of a full score: the indicator system's dimensions add up to it.
FULL_SCORE = 1000
GUIDANCE_LENGTH = 1000


class CreditCategory(BatchedChecks):
    """One of the 8 categories of credit subject. Seeded; its code is fixed by the rules."""

    code = models.CharField(
        _("代码"), max_length=24, primary_key=True, choices=CreditCategoryCode.choices
    )
    number = models.PositiveSmallIntegerField(_("序号"), unique=True)
    subject_type = models.CharField(_("主体名录"), max_length=16, choices=SubjectType.choices)
    description = models.TextField(_("说明"), blank=True, default="", max_length=NOTE_LENGTH)

    history = HistoricalRecords(verbose_name=_("信用主体类别变更记录"))
    district_path = None

    class Meta:
        verbose_name = _("信用主体类别")
        verbose_name_plural = pgettext_lazy("plural", "信用主体类别")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__in=CreditCategoryCode.values),
                name="creditcategory_code_valid",
                violation_error_message=_("信用主体类别无效。"),
            ),
            models.CheckConstraint(
                condition=Q(subject_type__in=SubjectType.values),
                name="creditcategory_subject_type_valid",
                violation_error_message=_("主体名录无效。"),
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1) & Q(number__lte=8),
                name="creditcategory_number_range",
                violation_error_message=_("序号应在1到8之间。"),
            ),
            text_limit("creditcategory", "description", NOTE_LENGTH, _("说明")),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.get_code_display()}"

    @property
    def label(self) -> str:
        return str(CreditCategoryCode(self.code).label)


class CreditInstitution(Versioned, TimeStamped):
    """A credit subject of categories 4–6: a pharmaceutical company, an insured employer or a
    third-party service provider (医药企业、参保单位、第三方服务机构)."""

    category = models.ForeignKey(
        CreditCategory, verbose_name=_("信用主体类别"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"),
        max_length=CREDIT_CODE_LENGTH,
        unique=True,
        validators=[validate_credit_code],
        help_text=_("18位，按GB 32100-2015校验，字母大写。"),
    )
    district = models.CharField(_("所属区县"), max_length=6, choices=District.choices)
    address = models.CharField(_("地址"), max_length=300, blank=True, default="")
    legal_representative = models.CharField(_("法定代表人"), max_length=100, blank=True, default="")
    note = models.TextField(_("备注"), blank=True, default="", max_length=NOTE_LENGTH)

    history = HistoricalRecords(verbose_name=_("信用主体单位变更记录"))
    district_path = "district"

    class Meta:
        verbose_name = _("信用主体单位")
        verbose_name_plural = pgettext_lazy("plural", "信用主体单位")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["category", "name", "id"], name="institution_category_idx"),
            models.Index(fields=["name", "id"], name="institution_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=INSTITUTION_CATEGORIES),
                name="institution_category_valid",
                violation_error_message=_("信用主体单位只能是医药企业、参保单位或第三方服务机构。"),
            ),
            models.CheckConstraint(
                condition=Q(district__in=District.values),
                name="institution_district_valid",
                violation_error_message=_("所属区县无效。"),
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="institution_name_required",
                violation_error_message=_("请填写名称。"),
            ),
            text_limit("institution", "note", NOTE_LENGTH, _("备注")),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.credit_code = (self.credit_code or "").strip().upper()
        self.name = (self.name or "").strip()

    def save(self, *args, **kwargs) -> None:
        self.credit_code = (self.credit_code or "").strip().upper()
        super().save(*args, **kwargs)


def mask_resident_id(number: str) -> str:
    """An ID number as lists show it: the division (6 digits) and the last 4, the birth date and
    sequence hidden, e.g. 540102********123X."""
    number = (number or "").strip().upper()
    if len(number) != 18:
        return "＊" * 4
    return number[:6] + "*" * 8 + number[-4:]


class InsuredPerson(Versioned, TimeStamped):
    """A credit subject of category 8 (参保人员). The ID number is kept in InsuredIdentity, read
    only with its view permission; everyone else sees id_masked."""

    name = models.CharField(_("姓名"), max_length=50)
    district = models.CharField(_("参保地区县"), max_length=6, choices=District.choices)
    id_masked = models.CharField(_("身份证号码（脱敏）"), max_length=18, editable=False)
    note = models.TextField(_("备注"), blank=True, default="", max_length=NOTE_LENGTH)

    history = HistoricalRecords(verbose_name=_("参保人员变更记录"))
    district_path = "district"

    class Meta:
        verbose_name = _("参保人员")
        verbose_name_plural = pgettext_lazy("plural", "参保人员")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name", "id"], name="insuredperson_name_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(district__in=District.values),
                name="insuredperson_district_valid",
                violation_error_message=_("参保地区县无效。"),
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="insuredperson_name_required",
                violation_error_message=_("请填写姓名。"),
            ),
            text_limit("insuredperson", "note", NOTE_LENGTH, _("备注")),
        ]

    def __str__(self) -> str:
        return bracketed(self.name, self.id_masked)


class InsuredIdentity(BatchedChecks):
    """An insured person's ID number: personal data, shown only to holders of
    view_insuredidentity, masked in history for everyone else, never exported."""

    person = models.OneToOneField(
        InsuredPerson,
        verbose_name=_("参保人员"),
        on_delete=models.PROTECT,
        related_name="identity",
    )
    id_number = models.CharField(
        _("身份证号码"), max_length=18, unique=True, validators=[validate_resident_id]
    )

    history = HistoricalRecords(verbose_name=_("参保人员身份信息变更记录"))
    district_path = "person__district"
    personal_data = True

    class Meta:
        verbose_name = _("参保人员身份信息")
        verbose_name_plural = pgettext_lazy("plural", "参保人员身份信息")
        constraints = [
            models.CheckConstraint(
                condition=~Q(id_number=""),
                name="insuredidentity_id_required",
                violation_error_message=_("请填写身份证号码。"),
            ),
        ]

    def __str__(self) -> str:
        # Never the number: the label shows in logs others read.
        return f"{_('参保人员身份信息')} #{self.person_id}"

    def clean(self) -> None:
        self.id_number = (self.id_number or "").strip().upper()


class SystemFrozen(ValidationError):
    """A change to an indicator system whose year's evaluation has started."""

    def __init__(self, system: IndicatorSystem) -> None:
        super().__init__(
            _("%(year)s年度%(category)s信用评价已启动，指标体系已锁定，不能修改。")
            % {"year": system.year, "category": system.category_label},
            code="frozen",
        )


class IndicatorSystem(Versioned, TimeStamped):
    """The indicator system (信用评价指标体系) of one category for one year."""

    category = models.ForeignKey(
        CreditCategory,
        verbose_name=_("信用主体类别"),
        on_delete=models.PROTECT,
        related_name="indicator_systems",
    )
    year = models.PositiveSmallIntegerField(
        _("评价年度"),
        validators=[MinValueValidator(MIN_RATING_YEAR), MaxValueValidator(MAX_RATING_YEAR)],
    )
    name = models.CharField(_("名称"), max_length=200)
    threshold_a = models.PositiveSmallIntegerField(_("A级最低分"), default=900)
    threshold_b = models.PositiveSmallIntegerField(_("B级最低分"), default=750)
    threshold_c = models.PositiveSmallIntegerField(_("C级最低分"), default=600)
    copied_from = models.ForeignKey(
        "self",
        verbose_name=_("复制自"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    frozen_at = models.DateTimeField(_("锁定时间"), null=True, blank=True, editable=False)
    note = models.TextField(_("说明"), blank=True, default="", max_length=NOTE_LENGTH)

    history = HistoricalRecords(verbose_name=_("指标体系变更记录"))
    district_path = None

    class Meta:
        verbose_name = _("信用评价指标体系")
        verbose_name_plural = pgettext_lazy("plural", "信用评价指标体系")
        ordering = ["-year", "category__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "year"],
                name="indicatorsystem_one_per_category_year",
                violation_error_message=_("该类别本年度已有指标体系。"),
            ),
            models.CheckConstraint(
                condition=Q(threshold_c__gt=0)
                & Q(threshold_b__gt=F("threshold_c"))
                & Q(threshold_a__gt=F("threshold_b"))
                & Q(threshold_a__lte=FULL_SCORE),
                name="indicatorsystem_thresholds_ordered",
                violation_error_message=_(
                    "等级分数线应满足：0 < C级最低分 < B级最低分 < A级最低分 ≤ 1000。"
                ),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=MIN_RATING_YEAR) & Q(year__lte=MAX_RATING_YEAR),
                name="indicatorsystem_year_in_range",
                violation_error_message=_("评价年度超出范围。"),
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="indicatorsystem_name_required",
                violation_error_message=_("请填写名称。"),
            ),
            text_limit("indicatorsystem", "note", NOTE_LENGTH, _("说明")),
        ]

    def __str__(self) -> str:
        return f"{self.year} · {self.category_label}"

    def get_absolute_url(self) -> str:
        return reverse("indicatorsystem-detail", args=[self.pk])

    @property
    def category_label(self) -> str:
        return str(CreditCategoryCode(self.category_id).label)

    def grade_for(self, score: Decimal) -> str:
        """The grade of a score by this system's thresholds (no veto)."""
        if score >= self.threshold_a:
            return Grade.A
        if score >= self.threshold_b:
            return Grade.B
        if score >= self.threshold_c:
            return Grade.C
        return Grade.D

    def stored_frozen(self) -> bool:
        """Queries: whether the stored row is frozen (an instance may be stale)."""
        if self.pk is None:
            return False
        return IndicatorSystem.objects.filter(pk=self.pk, frozen_at__isnull=False).exists()

    def save(self, *args, **kwargs) -> None:
        if kwargs.pop("freezing", False) is False and self.stored_frozen():
            raise SystemFrozen(self)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.stored_frozen():
            raise SystemFrozen(self)
        return super().delete(*args, **kwargs)


class _SystemPart(BatchedChecks):
    """A dimension or indicator: refused once its system is frozen."""

    class Meta:
        abstract = True

    def _check_not_frozen(self) -> None:
        if (
            self.system_id
            and IndicatorSystem.objects.filter(pk=self.system_id, frozen_at__isnull=False).exists()
        ):
            raise SystemFrozen(IndicatorSystem.objects.get(pk=self.system_id))

    def save(self, *args, **kwargs) -> None:
        self._check_not_frozen()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_not_frozen()
        return super().delete(*args, **kwargs)


class Dimension(_SystemPart):
    """A dimension of an indicator system (e.g. 基础管理、基金使用), with its full points."""

    system = models.ForeignKey(
        IndicatorSystem,
        verbose_name=_("指标体系"),
        on_delete=models.CASCADE,
        related_name="dimensions",
    )
    position = models.PositiveSmallIntegerField(_("排序"), default=1)
    name = models.CharField(_("维度"), max_length=100)
    full_points = models.PositiveSmallIntegerField(
        _("分值"), validators=[MaxValueValidator(FULL_SCORE)]
    )

    history = HistoricalRecords(verbose_name=_("评价维度变更记录"))
    district_path = None

    class Meta:
        verbose_name = _("评价维度")
        verbose_name_plural = pgettext_lazy("plural", "评价维度")
        ordering = ["system", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "name"],
                name="dimension_name_unique_in_system",
                violation_error_message=_("同一指标体系内维度名称不能重复。"),
            ),
            models.CheckConstraint(
                condition=Q(full_points__gt=0) & Q(full_points__lte=FULL_SCORE),
                name="dimension_points_range",
                violation_error_message=_("维度分值应在1到1000之间。"),
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="dimension_name_required",
                violation_error_message=_("请填写维度名称。"),
            ),
        ]

    def __str__(self) -> str:
        return bracketed(self.name, self.full_points)


class Indicator(_SystemPart):
    """One indicator: deducted from recorded facts (FACT), scored by an evaluator (MANUAL), a
    veto (VETO: any such fact makes the grade veto_grade) or a bonus (BONUS, by hand, on top).

    FACT: each fact of the evaluated year deducts points_per_unit (money: per 10,000 yuan),
    at most full_points. The qualifier narrows the fact: a violation code, a sanction kind or an
    agency (referral), optionally "agency:violation" for a referral of a given violation.
    """

    system = models.ForeignKey(
        IndicatorSystem,
        verbose_name=_("指标体系"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    dimension = models.ForeignKey(
        Dimension,
        verbose_name=_("评价维度"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="indicators",
        help_text=_("一票否决项和加分项不属于维度。"),
    )
    position = models.PositiveSmallIntegerField(_("排序"), default=1)
    code = models.CharField(_("指标编号"), max_length=12)
    name = models.CharField(_("指标"), max_length=200)
    method = models.CharField(_("评分方式"), max_length=8, choices=IndicatorMethod.choices)
    fact = models.CharField(
        _("依据事实"), max_length=24, choices=IndicatorFact.choices, blank=True, default=""
    )
    qualifier = models.CharField(
        _("事实限定"),
        max_length=60,
        blank=True,
        default="",
        help_text=_("违规类型、处理措施类型或移送部门代码；可写“部门:违规类型”。留空为全部。"),
    )
    points_per_unit = models.DecimalField(
        _("每项扣分"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    full_points = models.PositiveSmallIntegerField(
        _("分值"),
        default=0,
        validators=[MaxValueValidator(FULL_SCORE)],
        help_text=_("扣分项为最多扣分，加分项为最多加分，一票否决项为0。"),
    )
    veto_grade = models.CharField(
        _("否决等级"), max_length=1, choices=Grade.choices, blank=True, default=""
    )
    guidance = models.TextField(_("评分标准"), blank=True, default="", max_length=GUIDANCE_LENGTH)

    history = HistoricalRecords(verbose_name=_("评价指标变更记录"))
    district_path = None

    class Meta:
        verbose_name = _("评价指标")
        verbose_name_plural = pgettext_lazy("plural", "评价指标")
        ordering = ["system", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "code"],
                name="indicator_code_unique_in_system",
                violation_error_message=_("同一指标体系内指标编号不能重复。"),
            ),
            models.CheckConstraint(
                condition=Q(method__in=IndicatorMethod.values),
                name="indicator_method_valid",
                violation_error_message=_("评分方式无效。"),
            ),
            models.CheckConstraint(
                condition=Q(fact__in=IndicatorFact.values),
                name="indicator_fact_valid",
                violation_error_message=_("依据事实无效。"),
            ),
            models.CheckConstraint(
                condition=(
                    Q(method=IndicatorMethod.FACT)
                    & ~Q(fact="")
                    & Q(points_per_unit__gt=0)
                    & Q(full_points__gt=0)
                    & Q(veto_grade="")
                    & Q(dimension__isnull=False)
                )
                | (
                    Q(method=IndicatorMethod.MANUAL)
                    & Q(fact="")
                    & Q(full_points__gt=0)
                    & Q(veto_grade="")
                    & Q(dimension__isnull=False)
                )
                | (
                    Q(method=IndicatorMethod.VETO)
                    & ~Q(fact="")
                    & Q(veto_grade__in=[Grade.C, Grade.D])
                    & Q(full_points=0)
                    & Q(dimension__isnull=True)
                )
                | (
                    Q(method=IndicatorMethod.BONUS)
                    & Q(fact="")
                    & Q(full_points__gt=0)
                    & Q(veto_grade="")
                    & Q(dimension__isnull=True)
                ),
                name="indicator_fits_method",
                violation_error_message=_(
                    "指标设置与评分方式不符：按事实扣分须选依据事实、每项扣分和分值，属于某一维度；"
                    "人工评分须有分值、不选事实；一票否决须选事实和否决等级（C级或D级）、分值为0、不属于维度；"
                    "加分项须有分值、不选事实、不属于维度。"
                ),
            ),
            models.CheckConstraint(
                condition=~Q(code="") & ~Q(name=""),
                name="indicator_code_and_name_required",
                violation_error_message=_("请填写指标编号和指标名称。"),
            ),
            text_limit("indicator", "guidance", GUIDANCE_LENGTH, _("评分标准")),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def deducts(self) -> bool:
        return self.method in (IndicatorMethod.FACT, IndicatorMethod.MANUAL)

    def clean(self) -> None:
        from supervision.choices import Agency, SanctionKind, Violation

        self.qualifier = (self.qualifier or "").strip()
        if self.dimension_id and self.system_id and self.dimension.system_id != self.system_id:
            raise ValidationError({"dimension": _("维度不属于该指标体系。")})
        if (
            self.fact
            and self.system_id
            and self.system.category_id == CreditCategoryCode.PRACTITIONER
            and self.fact != IndicatorFact.PRACTITIONER_POINTS
        ):
            raise ValidationError({"fact": _("医药机构相关人员的指标只能依据医保支付资格记分。")})
        if not self.qualifier or not self.fact:
            return
        allowed: dict[str, list[str]] = {
            IndicatorFact.INSPECTION_VIOLATION: list(Violation.values),
            IndicatorFact.SANCTION: list(SanctionKind.values),
            IndicatorFact.REFERRAL: list(Agency.values)
            + [f"{a}:{v}" for a in Agency.values for v in Violation.values],
            # The least points of the year that count (e.g. "12": only those terminated).
            IndicatorFact.PRACTITIONER_POINTS: [str(n) for n in range(1, 13)],
        }
        if self.qualifier not in allowed.get(self.fact, []):
            raise ValidationError(
                {
                    "qualifier": _("事实限定“%(value)s”不适用于所选依据事实。")
                    % {"value": self.qualifier}
                }
            )
