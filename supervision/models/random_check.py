"""Random checks (双随机、一公开): a plan draws its targets from a pool of facilities and the
inspectors of each target from the enforcement staff, both at random, from a stored seed.

Everything the draw read is kept with the plan: the pool (every facility id with its weight, in
id order, compressed), the inspector pool (ids and home districts) and, per drawn target, the
inspectors a conflict excluded. `services.random_checks.verify` re-runs the draw from these and
the seed alone and compares it with the stored result, so anyone with the plan's page (or
`manage.py verify_random_draw`) can show the draw was not chosen by hand. A published plan is
never drawn again; a change of inspector is a recorded substitution with a reason.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from supervision.choices import District, RandomCheckStatus
from supervision.models.base import NOTE_LENGTH, REASON_LENGTH, TimeStamped, Versioned, text_limit
from supervision.models.checks import BatchedChecks

MIN_INSPECTORS_PER_TARGET = 2  # Decree 735, Art. 29: at least two on site
MAX_INSPECTORS_PER_TARGET = 10
MAX_TARGETS = 100_000
MAX_MONTHS = 120
MAX_WEIGHT = 10
SEED_LENGTH = 128
SEED_SOURCE_LENGTH = 200
PLAN_NAME_LENGTH = 100


class RandomCheckPlan(Versioned, TimeStamped):
    """A random-check plan: its pool criteria, how many to draw, the draw and its publication."""

    name = models.CharField(_("计划名称"), max_length=PLAN_NAME_LENGTH)
    starts_on = models.DateField(_("检查开始日期"))
    ends_on = models.DateField(_("检查截止日期"))
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=RandomCheckStatus.choices,
        default=RandomCheckStatus.DRAFT,
    )
    # The pool: facilities matching every criterion given (an empty list: any).
    kinds = models.JSONField(_("机构类别"), default=list, blank=True)
    districts = models.JSONField(_("所属区县"), default=list, blank=True)
    grades = models.JSONField(
        _("信用等级"),
        default=list,
        blank=True,
        help_text=_("留空为不限；“未评级”写作空字符串。"),
    )
    grade_year = models.PositiveSmallIntegerField(
        _("等级年度"),
        null=True,
        blank=True,
        validators=[MinValueValidator(2018), MaxValueValidator(2100)],
        help_text=_("按哪一年度的信用等级筛选和加权；留空为检查开始日期的上一年度。"),
    )
    not_inspected_months = models.PositiveSmallIntegerField(
        _("近N个月未检查"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_MONTHS)],
    )
    from_check_plan = models.BooleanField(
        _("仅限年度检查计划中未完成的机构"),
        default=False,
        help_text=_("只从本年度按信用等级生成的检查计划中尚未完成检查的机构中抽取。"),
    )
    target_count = models.PositiveIntegerField(
        _("抽取数量"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGETS)],
    )
    target_share = models.DecimalField(
        _("抽取比例（%）"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    weights = models.JSONField(
        _("按等级加权"),
        default=dict,
        blank=True,
        help_text=_("各信用等级被抽中的相对权重（1—10），未列出的为1。"),
    )
    # The inspectors.
    inspectors_per_target = models.PositiveSmallIntegerField(
        _("每个对象检查人员数"),
        default=MIN_INSPECTORS_PER_TARGET,
        validators=[
            MinValueValidator(MIN_INSPECTORS_PER_TARGET),
            MaxValueValidator(MAX_INSPECTORS_PER_TARGET),
        ],
    )
    inspector_rest_months = models.PositiveSmallIntegerField(
        _("回避近N个月检查过该机构的人员"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_MONTHS)],
    )
    exclude_home_district = models.BooleanField(
        _("回避所在区县的人员"),
        default=False,
        help_text=_("不抽取常驻区县与被检查机构相同的执法人员。"),
    )
    note = models.TextField(_("说明"), blank=True, default="", max_length=NOTE_LENGTH)
    # The draw: what it read and what it gave.
    algorithm = models.CharField(_("抽取算法"), max_length=40, blank=True, default="")
    seed = models.CharField(
        _("随机种子"),
        max_length=SEED_LENGTH,
        blank=True,
        default="",
        help_text=_("公开来源的数值（如某日的彩票开奖号码）或监管人员输入的文字。"),
    )
    seed_source = models.CharField(
        _("种子来源"), max_length=SEED_SOURCE_LENGTH, blank=True, default=""
    )
    drawn_at = models.DateTimeField(_("抽取时间"), null=True, blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("抽取人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    pool_size = models.PositiveIntegerField(_("抽取范围机构数"), default=0)
    pool = models.BinaryField(_("抽取范围"), null=True, blank=True, editable=False)
    pool_digest = models.CharField(_("抽取范围摘要"), max_length=64, blank=True, default="")
    inspector_pool_size = models.PositiveIntegerField(_("执法人员库人数"), default=0)
    inspector_pool = models.BinaryField(_("执法人员库"), null=True, blank=True, editable=False)
    result_digest = models.CharField(_("抽取结果摘要"), max_length=64, blank=True, default="")
    published_on = models.DateField(_("公布日期"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("公布人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_on = models.DateField(_("撤销日期"), null=True, blank=True)
    cancel_reason = models.TextField(
        _("撤销原因"), blank=True, default="", max_length=REASON_LENGTH
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(
        verbose_name=_("随机抽查计划变更记录"), excluded_fields=["pool", "inspector_pool"]
    )
    # A plan may cover several districts; its targets are scoped (RandomCheckTarget).
    district_path = None

    class Meta:
        verbose_name = _("随机抽查计划")
        verbose_name_plural = pgettext_lazy("plural", "随机抽查计划")
        ordering = ["-starts_on", "-id"]
        permissions = [
            ("draw_randomcheckplan", _("可抽取、公布随机抽查计划并替换检查人员")),
        ]
        indexes = [
            models.Index(
                fields=["-published_on", "-id"],
                name="randomplan_published_idx",
                condition=Q(status="published"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RandomCheckStatus.values),
                name="randomplan_status_valid",
                violation_error_message=_("状态无效。"),
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="randomplan_dates_in_order",
                violation_error_message=_("检查截止日期不能早于开始日期。"),
            ),
            models.CheckConstraint(
                condition=Q(target_count__isnull=False, target_share__isnull=True)
                | Q(target_count__isnull=True, target_share__isnull=False),
                name="randomplan_count_or_share",
                violation_error_message=_("请填写抽取数量或抽取比例（二选一）。"),
            ),
            models.CheckConstraint(
                condition=Q(target_count__isnull=True)
                | Q(target_count__gte=1, target_count__lte=MAX_TARGETS),
                name="randomplan_count_range",
                violation_error_message=_("抽取数量应在1到100000之间。"),
            ),
            models.CheckConstraint(
                condition=Q(target_share__isnull=True)
                | Q(target_share__gt=0, target_share__lte=100),
                name="randomplan_share_range",
                violation_error_message=_("抽取比例应大于0且不超过100。"),
            ),
            models.CheckConstraint(
                condition=Q(inspectors_per_target__gte=MIN_INSPECTORS_PER_TARGET)
                & Q(inspectors_per_target__lte=MAX_INSPECTORS_PER_TARGET),
                name="randomplan_inspectors_range",
                violation_error_message=_("每个对象应有2到10名检查人员。"),
            ),
            models.CheckConstraint(
                condition=Q(not_inspected_months__isnull=True)
                | Q(not_inspected_months__gte=1, not_inspected_months__lte=MAX_MONTHS),
                name="randomplan_not_inspected_range",
                violation_error_message=_("月数应在1到120之间。"),
            ),
            models.CheckConstraint(
                condition=Q(inspector_rest_months__isnull=True)
                | Q(inspector_rest_months__gte=1, inspector_rest_months__lte=MAX_MONTHS),
                name="randomplan_rest_range",
                violation_error_message=_("月数应在1到120之间。"),
            ),
            # Drawn from the draw on: seed, algorithm, time and digests; none before.
            models.CheckConstraint(
                condition=Q(status__in=["drawn", "published"])
                & Q(drawn_at__isnull=False)
                & ~Q(seed="")
                & ~Q(algorithm="")
                & ~Q(result_digest="")
                | Q(status="draft", drawn_at__isnull=True, result_digest="")
                | Q(status="cancelled"),
                name="randomplan_draw_with_status",
                violation_error_message=_("抽取后须记录种子、算法、时间和结果摘要。"),
            ),
            models.CheckConstraint(
                condition=Q(status="published", published_on__isnull=False)
                | ~Q(status="published") & Q(published_on__isnull=True),
                name="randomplan_published_on_with_status",
                violation_error_message=_("公布的计划须记录公布日期。"),
            ),
            models.CheckConstraint(
                condition=Q(status="cancelled", cancelled_on__isnull=False) & ~Q(cancel_reason="")
                | ~Q(status="cancelled") & Q(cancelled_on__isnull=True, cancel_reason=""),
                name="randomplan_cancelled_with_reason",
                violation_error_message=_("撤销计划须记录日期和原因。"),
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="randomplan_name_required",
                violation_error_message=_("请填写计划名称。"),
            ),
            text_limit("randomplan", "note", NOTE_LENGTH, _("说明")),
            text_limit("randomplan", "cancel_reason", REASON_LENGTH, _("撤销原因")),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("random-plan-detail", args=[self.pk])

    @property
    def is_drawn(self) -> bool:
        return self.status in (RandomCheckStatus.DRAWN, RandomCheckStatus.PUBLISHED)


class RandomCheckTarget(BatchedChecks):
    """A facility the draw picked: its rank in the draw, its weight, and what the inspectors'
    draw read of it (its district then, the inspectors a recent check of it excluded)."""

    plan = models.ForeignKey(
        RandomCheckPlan,
        verbose_name=_("抽查计划"),
        on_delete=models.PROTECT,
        related_name="targets",
    )
    facility = models.ForeignKey(
        "supervision.Facility",
        verbose_name=_("抽查对象"),
        on_delete=models.PROTECT,
        related_name="random_check_targets",
    )
    rank = models.PositiveIntegerField(_("抽中顺序"))
    weight = models.PositiveSmallIntegerField(_("权重"))
    district = models.CharField(_("抽取时所属区县"), max_length=6, choices=District.choices)
    excluded_inspectors = models.JSONField(
        _("回避的执法人员"), default=list, blank=True, editable=False
    )
    inspection = models.OneToOneField(
        "supervision.Inspection",
        verbose_name=_("检查"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="random_check_target",
    )

    district_path = "facility__district"

    class Meta:
        verbose_name = _("随机抽查对象")
        verbose_name_plural = pgettext_lazy("plural", "随机抽查对象")
        ordering = ["plan", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "facility"],
                name="randomtarget_once_per_plan",
                violation_error_message=_("该机构已在本计划中。"),
            ),
            models.UniqueConstraint(
                fields=["plan", "rank"],
                name="randomtarget_rank_unique",
                violation_error_message=_("抽中顺序重复。"),
            ),
            models.CheckConstraint(
                condition=Q(rank__gte=1),
                name="randomtarget_rank_positive",
                violation_error_message=_("抽中顺序从1开始。"),
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=MAX_WEIGHT),
                name="randomtarget_weight_range",
                violation_error_message=_("权重应在1到10之间。"),
            ),
            models.CheckConstraint(
                condition=Q(district__in=District.values),
                name="randomtarget_district_valid",
                violation_error_message=_("区县无效。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} · {self.rank} · {self.facility_id}"


class RandomCheckAssignment(BatchedChecks):
    """An inspector of a drawn target: drawn by the draw, or a substitute for one withdrawn
    (illness, a conflict found later), with the reason, who and when."""

    target = models.ForeignKey(
        RandomCheckTarget,
        verbose_name=_("抽查对象"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    inspector = models.ForeignKey(
        "supervision.Inspector",
        verbose_name=_("执法人员"),
        on_delete=models.PROTECT,
        related_name="random_check_assignments",
    )
    position = models.PositiveSmallIntegerField(_("抽中顺序"))
    drawn = models.BooleanField(_("随机抽取"), default=True)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("替换的人员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
    )
    withdrawn_on = models.DateField(_("撤换日期"), null=True, blank=True)
    withdrawn_reason = models.TextField(
        _("撤换原因"), blank=True, default="", max_length=REASON_LENGTH
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    history = HistoricalRecords(verbose_name=_("抽查人员变更记录"))
    district_path = "target__facility__district"

    class Meta:
        verbose_name = _("抽查人员")
        verbose_name_plural = pgettext_lazy("plural", "抽查人员")
        ordering = ["target", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "inspector"],
                name="randomassignment_once_per_target",
                violation_error_message=_("该执法人员已是该对象的检查人员。"),
            ),
            models.UniqueConstraint(
                fields=["target", "position"],
                name="randomassignment_position_unique",
                violation_error_message=_("顺序重复。"),
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True, withdrawn_reason="")
                | Q(withdrawn_on__isnull=False) & ~Q(withdrawn_reason=""),
                name="randomassignment_withdrawn_with_reason",
                violation_error_message=_("撤换检查人员须记录日期和原因。"),
            ),
            models.CheckConstraint(
                condition=Q(drawn=True, replaces__isnull=True)
                | Q(drawn=False, replaces__isnull=False),
                name="randomassignment_drawn_or_substitute",
                violation_error_message=_("替换人员须注明替换的是谁。"),
            ),
            text_limit("randomassignment", "withdrawn_reason", REASON_LENGTH, _("撤换原因")),
        ]

    def __str__(self) -> str:
        return f"{self.target_id} · {self.inspector_id}"
