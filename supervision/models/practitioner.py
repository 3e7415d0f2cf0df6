"""Practitioners and their payment qualification (医保支付资格, "驾照式记分").

One record per person across facilities (一医一档): a Practitioner, registered (登记备案) with one
or more facilities. The ID number is personal data, kept apart (PractitionerIdentity) behind its
own view permission; everyone else sees id_masked.

A violation found in a completed inspection scores points against the responsible people
(PointsRecord). The bands of points per degree of responsibility, the thresholds and the periods
are data (PointsPolicy with its PointsBand and SuspensionPeriod rows). Points add up within the
calendar year of their decision. Reaching a threshold writes a QualificationMeasure (suspension or
termination) with its first and last day: the qualification status on a day follows from the
measures in force (PractitionerQuerySet.with_qualification_status), so a suspension ends by itself.
The measures are written only by services.practitioners, which recomputes a person's year whenever
its points change (an objection that removes points lifts the measure it no longer supports).
"""

from __future__ import annotations

import datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from supervision.choices import (
    STANDING_POINTS_STATES,
    District,
    MeasureKind,
    PointsState,
    Profession,
    QualificationStatus,
    RegistrationEnd,
    Responsibility,
)
from supervision.codes import validate_resident_id
from supervision.formats.punctuation import bracketed
from supervision.models.base import (
    BASIS_LENGTH,
    NOTE_LENGTH,
    REASON_LENGTH,
    TimeStamped,
    Versioned,
    text_limit,
)
from supervision.models.checks import BatchedChecks
from supervision.models.rating import MAX_RATING_YEAR, MIN_RATING_YEAR
from supervision.querysets import PractitionerQuerySet

# The most points one event may give, and a year's ceiling of the thresholds.
MAX_POINTS = 12
CERTIFICATE_LENGTH = 40


class Practitioner(Versioned, TimeStamped):
    """A doctor, nurse, pharmacist, technician or a pharmacy's responsible person (医药机构相关人员,
    credit category 7). district: where the person is managed (the first registration's, kept
    by whoever edits the record); it scopes district-limited staff."""

    name = models.CharField(_("姓名"), max_length=50)
    profession = models.CharField(_("人员类别"), max_length=16, choices=Profession.choices)
    certificate_number = models.CharField(
        _("执业证书编号"), max_length=CERTIFICATE_LENGTH, blank=True, default=""
    )
    district = models.CharField(_("所属区县"), max_length=6, choices=District.choices)
    id_masked = models.CharField(_("身份证号码（脱敏）"), max_length=18, editable=False)
    note = models.TextField(_("备注"), blank=True, default="", max_length=NOTE_LENGTH)

    history = HistoricalRecords(verbose_name=_("医药机构相关人员变更记录"))
    objects = PractitionerQuerySet.as_manager()
    district_path = "district"

    class Meta:
        verbose_name = _("医药机构相关人员")
        verbose_name_plural = pgettext_lazy("plural", "医药机构相关人员")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="practitioner_name_idx"),
            models.Index(fields=["profession", "name", "id"], name="practitioner_profession_idx"),
            models.Index(fields=["district", "name", "id"], name="practitioner_district_idx"),
            models.Index(fields=["certificate_number"], name="practitioner_certificate_idx"),
            models.Index(fields=["created_at", "id"], name="practitioner_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(profession__in=Profession.values),
                name="practitioner_profession_valid",
                violation_error_message=_("人员类别无效。"),
            ),
            models.CheckConstraint(
                condition=Q(district__in=District.values),
                name="practitioner_district_valid",
                violation_error_message=_("所属区县无效。"),
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="practitioner_name_required",
                violation_error_message=_("请填写姓名。"),
            ),
            text_limit("practitioner", "note", NOTE_LENGTH, _("备注")),
        ]

    def __str__(self) -> str:
        return bracketed(self.name, self.get_profession_display())

    def get_absolute_url(self) -> str:
        return reverse("practitioner-detail", args=[self.pk])

    def qualification_status_on(self, day: datetime.date | None = None) -> QualificationStatus:
        """Queries: the payment qualification's status on a day (today by default)."""
        annotated = Practitioner.objects.with_qualification_status(day).filter(pk=self.pk)
        return QualificationStatus(annotated.values_list("qualification_status", flat=True).get())

    @property
    def qualification_status_label(self) -> str:
        """Label of an annotated qualification_status."""
        return QualificationStatus(self.qualification_status).label  # type: ignore[attr-defined]


class PractitionerIdentity(BatchedChecks):
    """A practitioner's ID number: personal data, shown only to holders of
    view_practitioneridentity, masked in history for everyone else, never exported."""

    practitioner = models.OneToOneField(
        Practitioner,
        verbose_name=_("医药机构相关人员"),
        on_delete=models.PROTECT,
        related_name="identity",
    )
    id_number = models.CharField(
        _("身份证号码"), max_length=18, unique=True, validators=[validate_resident_id]
    )

    history = HistoricalRecords(verbose_name=_("相关人员身份信息变更记录"))
    district_path = "practitioner__district"
    personal_data = True

    class Meta:
        verbose_name = _("相关人员身份信息")
        verbose_name_plural = pgettext_lazy("plural", "相关人员身份信息")
        constraints = [
            models.CheckConstraint(
                condition=~Q(id_number=""),
                name="practitioneridentity_id_required",
                violation_error_message=_("请填写身份证号码。"),
            ),
        ]

    def __str__(self) -> str:
        # Never the number: the label shows in logs others read.
        return f"{_('相关人员身份信息')} #{self.practitioner_id}"

    def clean(self) -> None:
        self.id_number = (self.id_number or "").strip().upper()


class Registration(Versioned, TimeStamped):
    """A practitioner's registration (登记备案) with a facility, from registered_on until
    ended_on (exclusive: the first day no longer registered). Open while ended_on is empty."""

    practitioner = models.ForeignKey(
        Practitioner,
        verbose_name=_("医药机构相关人员"),
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    facility = models.ForeignKey(
        "supervision.Facility",
        verbose_name=_("登记机构"),
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    department = models.CharField(_("科室或岗位"), max_length=100, blank=True, default="")
    registered_on = models.DateField(_("登记备案日期"))
    ended_on = models.DateField(_("注销日期"), null=True, blank=True)
    end_reason = models.CharField(
        _("注销原因"), max_length=16, choices=RegistrationEnd.choices, blank=True, default=""
    )
    # The termination that ended it: lifting the termination reopens the registration.
    ended_by = models.ForeignKey(
        "supervision.QualificationMeasure",
        verbose_name=_("终止决定"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="ended_registrations",
    )

    history = HistoricalRecords(verbose_name=_("登记备案变更记录"))
    district_path = "facility__district"

    class Meta:
        verbose_name = _("登记备案")
        verbose_name_plural = pgettext_lazy("plural", "登记备案")
        ordering = ["-registered_on", "-id"]
        indexes = [
            models.Index(fields=["facility", "practitioner"], name="registration_facility_idx"),
            models.Index(fields=["practitioner", "-registered_on"], name="registration_person_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["practitioner", "facility"],
                condition=Q(ended_on__isnull=True),
                name="registration_one_open_per_facility",
                violation_error_message=_("该人员已在该机构登记备案。"),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("registered_on")),
                name="registration_ends_after_start",
                violation_error_message=_("注销日期不能早于登记备案日期。"),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True, end_reason="")
                | Q(ended_on__isnull=False, end_reason__in=RegistrationEnd.values),
                name="registration_end_with_reason",
                violation_error_message=_("注销须同时填写注销日期和原因。"),
            ),
        ]

    def __str__(self) -> str:
        person = self.practitioner.name if self.practitioner_id else ""
        facility = self.facility if self.facility_id else ""
        return f"{person} · {facility}"

    def get_absolute_url(self) -> str:
        return reverse("practitioner-detail", args=[self.practitioner_id])

    def is_open_on(self, day: datetime.date | None = None) -> bool:
        day = day or timezone.localdate()
        return self.registered_on <= day and (self.ended_on is None or self.ended_on > day)


class PointsPolicy(Versioned, TimeStamped):
    """The rules of points in force from a year on (the national defaults: suspension from 9
    points in a year, termination at 12, no re-registration for 1 year, 3 when one event gives
    all 12). Bands and suspension periods hang from it."""

    from_year = models.PositiveSmallIntegerField(
        _("起始年度"),
        unique=True,
        validators=[MinValueValidator(MIN_RATING_YEAR), MaxValueValidator(MAX_RATING_YEAR)],
    )
    suspension_threshold = models.PositiveSmallIntegerField(
        _("暂停分值"), default=9, validators=[MinValueValidator(1), MaxValueValidator(MAX_POINTS)]
    )
    termination_threshold = models.PositiveSmallIntegerField(
        _("终止分值"), default=12, validators=[MinValueValidator(1), MaxValueValidator(MAX_POINTS)]
    )
    block_months = models.PositiveSmallIntegerField(
        _("终止后不得再次登记备案（月）"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    block_months_single_event = models.PositiveSmallIntegerField(
        _("一次记满分的不得再次登记备案（月）"),
        default=36,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    note = models.TextField(_("依据"), blank=True, default="", max_length=NOTE_LENGTH)

    history = HistoricalRecords(verbose_name=_("记分规则变更记录"))
    district_path = None

    class Meta:
        verbose_name = _("记分规则")
        verbose_name_plural = pgettext_lazy("plural", "记分规则")
        ordering = ["-from_year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(suspension_threshold__gte=1)
                & Q(suspension_threshold__lt=F("termination_threshold"))
                & Q(termination_threshold__lte=MAX_POINTS),
                name="pointspolicy_thresholds_ordered",
                violation_error_message=_("暂停分值应小于终止分值，终止分值不超过12分。"),
            ),
            models.CheckConstraint(
                condition=Q(from_year__gte=MIN_RATING_YEAR) & Q(from_year__lte=MAX_RATING_YEAR),
                name="pointspolicy_year_range",
                violation_error_message=_("起始年度超出范围。"),
            ),
            models.CheckConstraint(
                condition=Q(block_months__gte=1)
                & Q(block_months__lte=120)
                & Q(block_months_single_event__gte=F("block_months"))
                & Q(block_months_single_event__lte=120),
                name="pointspolicy_block_range",
                violation_error_message=_(
                    "不得再次登记备案的期限应在1到120个月之间，一次记满分的不短于累计记满分的。"
                ),
            ),
            text_limit("pointspolicy", "note", NOTE_LENGTH, _("依据")),
        ]

    def __str__(self) -> str:
        return _("%(year)s年起的记分规则") % {"year": self.from_year}


class PointsBand(BatchedChecks):
    """The points one event may give a person of a degree of responsibility (e.g. 一般责任
    1–3 points). A degree may have more than one band (主要责任 7–9, or 10–12 in serious cases)."""

    policy = models.ForeignKey(
        PointsPolicy, verbose_name=_("记分规则"), on_delete=models.CASCADE, related_name="bands"
    )
    responsibility = models.CharField(_("责任程度"), max_length=16, choices=Responsibility.choices)
    min_points = models.PositiveSmallIntegerField(
        _("最低分值"), validators=[MinValueValidator(1), MaxValueValidator(MAX_POINTS)]
    )
    max_points = models.PositiveSmallIntegerField(
        _("最高分值"), validators=[MinValueValidator(1), MaxValueValidator(MAX_POINTS)]
    )
    label = models.CharField(_("适用情形"), max_length=200, blank=True, default="")

    history = HistoricalRecords(verbose_name=_("记分档次变更记录"))
    district_path = None

    class Meta:
        verbose_name = _("记分档次")
        verbose_name_plural = pgettext_lazy("plural", "记分档次")
        ordering = ["policy", "min_points"]
        constraints = [
            models.CheckConstraint(
                condition=Q(responsibility__in=Responsibility.values),
                name="pointsband_responsibility_valid",
                violation_error_message=_("责任程度无效。"),
            ),
            models.CheckConstraint(
                condition=Q(min_points__gte=1)
                & Q(min_points__lte=F("max_points"))
                & Q(max_points__lte=MAX_POINTS),
                name="pointsband_range",
                violation_error_message=_("分值应在1到12之间，最低分值不大于最高分值。"),
            ),
            models.UniqueConstraint(
                fields=["policy", "min_points"],
                name="pointsband_once",
                violation_error_message=_("同一规则中已有从该分值起的档次。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_responsibility_display()} {self.min_points}–{self.max_points}"


class SuspensionPeriod(BatchedChecks):
    """How long a suspension lasts for a year's total of points (e.g. 9 points: 2 months)."""

    policy = models.ForeignKey(
        PointsPolicy,
        verbose_name=_("记分规则"),
        on_delete=models.CASCADE,
        related_name="suspension_periods",
    )
    points = models.PositiveSmallIntegerField(
        _("年度累计分值"), validators=[MinValueValidator(1), MaxValueValidator(MAX_POINTS)]
    )
    months = models.PositiveSmallIntegerField(
        _("暂停月数"), validators=[MinValueValidator(1), MaxValueValidator(6)]
    )

    history = HistoricalRecords(verbose_name=_("暂停期限变更记录"))
    district_path = None

    class Meta:
        verbose_name = _("暂停期限")
        verbose_name_plural = pgettext_lazy("plural", "暂停期限")
        ordering = ["policy", "points"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "points"],
                name="suspensionperiod_once",
                violation_error_message=_("同一规则中该分值的暂停期限已设定。"),
            ),
            models.CheckConstraint(
                condition=Q(points__gte=1) & Q(points__lte=MAX_POINTS),
                name="suspensionperiod_points_range",
                violation_error_message=_("分值应在1到12之间。"),
            ),
            models.CheckConstraint(
                condition=Q(months__gte=1) & Q(months__lte=6),
                name="suspensionperiod_months_range",
                violation_error_message=_("暂停期限应在1到6个月之间。"),
            ),
        ]

    def __str__(self) -> str:
        return _("%(points)s分：暂停%(months)s个月") % {
            "points": self.points,
            "months": self.months,
        }


class PointsRecord(Versioned, TimeStamped):
    """Points scored against a practitioner for a violation found in a completed inspection of a
    facility the person is registered with (记分). year: the calendar year of the decision, the
    year whose total the points count in. An objection may be lodged and decided: revoked points
    stop counting, reduced ones count their new value (original_points keeps the first)."""

    practitioner = models.ForeignKey(
        Practitioner,
        verbose_name=_("医药机构相关人员"),
        on_delete=models.PROTECT,
        related_name="points_records",
    )
    inspection = models.ForeignKey(
        "supervision.Inspection",
        verbose_name=_("检查记录"),
        on_delete=models.PROTECT,
        related_name="points_records",
    )
    facility = models.ForeignKey(
        "supervision.Facility",
        verbose_name=_("机构"),
        on_delete=models.PROTECT,
        related_name="points_records",
    )
    violation = models.ForeignKey(
        "supervision.ViolationCategory",
        verbose_name=_("违规行为"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    responsibility = models.CharField(_("责任程度"), max_length=16, choices=Responsibility.choices)
    points = models.PositiveSmallIntegerField(
        _("记分"), validators=[MinValueValidator(1), MaxValueValidator(MAX_POINTS)]
    )
    original_points = models.PositiveSmallIntegerField(
        _("原记分"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_POINTS)],
    )
    basis = models.TextField(_("记分依据"), max_length=BASIS_LENGTH)
    decision_number = models.CharField(_("记分决定书编号"), max_length=60)
    decided_on = models.DateField(_("记分日期"))
    year = models.PositiveSmallIntegerField(_("记分年度"), editable=False)
    notified_on = models.DateField(_("告知日期"), null=True, blank=True)
    state = models.CharField(
        _("状态"), max_length=16, choices=PointsState.choices, default=PointsState.SCORED
    )
    objected_on = models.DateField(_("异议提出日期"), null=True, blank=True)
    objection_grounds = models.TextField(
        _("异议理由"), blank=True, default="", max_length=NOTE_LENGTH
    )
    objection_decided_on = models.DateField(_("异议处理日期"), null=True, blank=True)
    objection_reason = models.TextField(
        _("异议处理理由"), blank=True, default="", max_length=REASON_LENGTH
    )
    created_by = models.ForeignKey(
        "auth.User",
        verbose_name=_("记分人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    history = HistoricalRecords(verbose_name=_("记分记录变更记录"))
    district_path = ("practitioner__district", "facility__district")

    class Meta:
        verbose_name = _("记分记录")
        verbose_name_plural = pgettext_lazy("plural", "记分记录")
        ordering = ["-decided_on", "-id"]
        indexes = [
            models.Index(fields=["practitioner", "year"], name="points_person_year_idx"),
            models.Index(fields=["year", "practitioner"], name="points_year_person_idx"),
            models.Index(fields=["inspection"], name="points_inspection_idx"),
            models.Index(fields=["facility", "-decided_on"], name="points_facility_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "practitioner", "violation"],
                name="points_once_per_violation",
                violation_error_message=_("该人员已就此次检查的该项违规行为记分。"),
            ),
            models.CheckConstraint(
                condition=Q(responsibility__in=Responsibility.values),
                name="points_responsibility_valid",
                violation_error_message=_("责任程度无效。"),
            ),
            models.CheckConstraint(
                condition=Q(points__gte=1) & Q(points__lte=MAX_POINTS),
                name="points_range",
                violation_error_message=_("记分应在1到12分之间。"),
            ),
            models.CheckConstraint(
                condition=Q(state__in=PointsState.values),
                name="points_state_valid",
                violation_error_message=_("记分状态无效。"),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=MIN_RATING_YEAR) & Q(year__lte=MAX_RATING_YEAR),
                name="points_year_range",
                violation_error_message=_("记分年度超出范围。"),
            ),
            models.CheckConstraint(
                condition=~Q(decision_number="") & ~Q(basis=""),
                name="points_decision_required",
                violation_error_message=_("请填写记分依据和决定书编号。"),
            ),
            models.CheckConstraint(
                condition=Q(notified_on__isnull=True) | Q(notified_on__gte=F("decided_on")),
                name="points_notified_after_decision",
                violation_error_message=_("告知日期不能早于记分日期。"),
            ),
            models.CheckConstraint(
                condition=Q(state=PointsState.SCORED, objected_on__isnull=True)
                | ~Q(state=PointsState.SCORED) & Q(objected_on__isnull=False),
                name="points_objection_with_date",
                violation_error_message=_("异议须记录提出日期。"),
            ),
            models.CheckConstraint(
                condition=Q(
                    state__in=[PointsState.SCORED, PointsState.OBJECTED],
                    objection_decided_on__isnull=True,
                )
                | Q(
                    state__in=[
                        PointsState.MAINTAINED,
                        PointsState.REDUCED,
                        PointsState.REVOKED,
                    ],
                    objection_decided_on__isnull=False,
                )
                & ~Q(objection_reason=""),
                name="points_objection_decided_with_reason",
                violation_error_message=_("异议处理须记录日期和理由。"),
            ),
            models.CheckConstraint(
                condition=Q(
                    state=PointsState.REDUCED,
                    original_points__isnull=False,
                    original_points__gt=F("points"),
                )
                | ~Q(state=PointsState.REDUCED) & Q(original_points__isnull=True),
                name="points_reduced_keeps_original",
                violation_error_message=_("变更分值须低于原记分。"),
            ),
            text_limit("pointsrecord", "basis", BASIS_LENGTH, _("记分依据")),
            text_limit("pointsrecord", "objection_grounds", NOTE_LENGTH, _("异议理由")),
            text_limit("pointsrecord", "objection_reason", REASON_LENGTH, _("异议处理理由")),
        ]

    def __str__(self) -> str:
        return _("%(name)s %(date)s 记%(points)s分") % {
            "name": self.practitioner_id and self.practitioner.name,
            "date": self.decided_on,
            "points": self.points,
        }

    def get_absolute_url(self) -> str:
        return reverse("points-detail", args=[self.pk])

    @property
    def standing(self) -> bool:
        """Whether its points count towards the year's total."""
        return self.state in STANDING_POINTS_STATES

    def save(self, *args, **kwargs) -> None:
        if self.decided_on is not None:
            self.year = self.decided_on.year
        super().save(*args, **kwargs)


class QualificationMeasure(Versioned, BatchedChecks):
    """A suspension or termination of a practitioner's payment qualification that the year's
    points gave: in force from starts_on to ends_on (both included; for a termination, ends_on
    is the last day re-registration is refused). Written by services.practitioners only; lifted
    (lifted_on) when the points no longer support it, never deleted."""

    practitioner = models.ForeignKey(
        Practitioner,
        verbose_name=_("医药机构相关人员"),
        on_delete=models.PROTECT,
        related_name="measures",
    )
    year = models.PositiveSmallIntegerField(_("记分年度"))
    kind = models.CharField(_("处理类型"), max_length=16, choices=MeasureKind.choices)
    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("截止日期"))
    points = models.PositiveSmallIntegerField(_("年度累计记分"))
    single_event = models.BooleanField(_("一次记满分"), default=False)
    points_record = models.ForeignKey(
        PointsRecord,
        verbose_name=_("达到分值的记分"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    lifted_on = models.DateField(_("撤销日期"), null=True, blank=True)
    lift_reason = models.TextField(_("撤销原因"), blank=True, default="", max_length=REASON_LENGTH)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    history = HistoricalRecords(verbose_name=_("支付资格处理变更记录"))
    district_path = "practitioner__district"

    class Meta:
        verbose_name = _("支付资格处理")
        verbose_name_plural = pgettext_lazy("plural", "支付资格处理")
        ordering = ["-starts_on", "-id"]
        indexes = [
            # The measures in force on a day: few rows, found by their dates.
            models.Index(
                fields=["kind", "starts_on", "ends_on"],
                name="measure_in_force_idx",
                condition=Q(lifted_on__isnull=True),
            ),
            models.Index(fields=["practitioner", "-starts_on"], name="measure_person_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["practitioner", "year", "kind"],
                condition=Q(lifted_on__isnull=True),
                name="measure_once_per_year",
                violation_error_message=_("该人员本年度已有同类处理。"),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=MeasureKind.values),
                name="measure_kind_valid",
                violation_error_message=_("处理类型无效。"),
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="measure_ends_after_start",
                violation_error_message=_("截止日期不能早于起始日期。"),
            ),
            models.CheckConstraint(
                condition=Q(lifted_on__isnull=True, lift_reason="")
                | Q(lifted_on__isnull=False) & ~Q(lift_reason=""),
                name="measure_lifted_with_reason",
                violation_error_message=_("撤销须记录日期和原因。"),
            ),
            models.CheckConstraint(
                condition=Q(points__gte=1) & Q(points__lte=1000),
                name="measure_points_range",
                violation_error_message=_("累计记分超出范围。"),
            ),
            text_limit("qualificationmeasure", "lift_reason", REASON_LENGTH, _("撤销原因")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_on}–{self.ends_on}"

    def get_absolute_url(self) -> str:
        return reverse("practitioner-detail", args=[self.practitioner_id])

    def in_force_on(self, day: datetime.date) -> bool:
        return self.lifted_on is None and self.starts_on <= day <= self.ends_on
