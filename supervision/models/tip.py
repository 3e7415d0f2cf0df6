"""Tips (举报线索): a report from the public, the statutory clock it runs on, the reporter
(kept apart, behind its own permission) and the reward a substantiated tip earns."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from supervision.choices import (
    CaseKind,
    District,
    PaymentMethod,
    ReplyMethod,
    RewardStatus,
    TipChannel,
    TipClock,
    TipConclusion,
    TipStatus,
    TipSubject,
)
from supervision.codes import validate_phone, validate_resident_id
from supervision.models.base import (
    MONEY,
    NOTE_LENGTH,
    OUTCOME_LENGTH,
    SUMMARY_LENGTH,
    TimeStamped,
    Versioned,
    text_limit,
)
from supervision.models.case_numbers import Numbered, numbered_constraints
from supervision.models.checks import BatchedChecks
from supervision.search import search_keys

ALLEGATION_LENGTH = SUMMARY_LENGTH
# What a reader without the reporter permission sees in place of each reporter field.
MASK = "＊＊＊"
_CLOCK_STATUSES = [TipStatus.RECEIVED, TipStatus.ACCEPTED, TipStatus.INVESTIGATING]
_DECIDED = [
    TipStatus.ACCEPTED,
    TipStatus.INVESTIGATING,
    TipStatus.NOT_ACCEPTED,
    TipStatus.CONCLUDED,
    TipStatus.REPLIED,
]


class Tip(Numbered, Versioned, TimeStamped):
    """A report of suspected fund fraud, from receipt to the reply to its reporter.

    The reporter's identity is not here: it is TipReporter, readable only with its own view
    permission, so no list, export, endpoint, history or audit entry of tips can carry it.
    """

    channel = models.CharField(_("举报渠道"), max_length=20, choices=TipChannel.choices)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    district = models.CharField(_("所属区县"), max_length=6, choices=District.choices)
    subject_kind = models.CharField(
        _("被举报对象类型"), max_length=16, choices=TipSubject.choices, default=TipSubject.FACILITY
    )
    facility = models.ForeignKey(
        "supervision.Facility",
        verbose_name=_("被举报机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tips",
    )
    subject_name = models.CharField(
        _("被举报对象名称"),
        max_length=100,
        blank=True,
        default="",
        help_text=_("尚未匹配到定点机构时填写：单位名称、人员姓名等。"),
    )
    allegation = models.TextField(_("举报内容"), max_length=ALLEGATION_LENGTH)
    violations = models.ManyToManyField(
        "supervision.ViolationCategory", verbose_name=_("违规类型"), related_name="tips", blank=True
    )
    amount_alleged = models.DecimalField(_("举报涉及金额（元）"), null=True, blank=True, **MONEY)
    anonymous = models.BooleanField(_("匿名举报"), default=False)
    wants_reply = models.BooleanField(_("要求答复"), default=True)
    master = models.ForeignKey(
        "self",
        verbose_name=_("并入线索"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=TipStatus.choices, default=TipStatus.RECEIVED
    )
    decided_on = models.DateField(_("受理决定日期"), null=True, blank=True)
    decision_note = models.TextField(
        _("受理意见"), blank=True, default="", max_length=OUTCOME_LENGTH
    )
    inspection = models.ForeignKey(
        "supervision.Inspection",
        verbose_name=_("核查检查"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tips",
    )
    conclusion = models.CharField(
        _("核查结论"), max_length=20, choices=TipConclusion.choices, blank=True, default=""
    )
    concluded_on = models.DateField(_("办结日期"), null=True, blank=True)
    conclusion_note = models.TextField(
        _("核查情况"), blank=True, default="", max_length=OUTCOME_LENGTH
    )
    verified_amount = models.DecimalField(_("查实金额（元）"), null=True, blank=True, **MONEY)
    replied_on = models.DateField(_("答复日期"), null=True, blank=True)
    reply_method = models.CharField(
        _("答复方式"), max_length=12, choices=ReplyMethod.choices, blank=True, default=""
    )
    reply_note = models.TextField(_("答复内容"), blank=True, default="", max_length=NOTE_LENGTH)
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    # The clock (supervision.services.tips keeps these; supervision.workdays computes them).
    clock = models.CharField(
        _("计时"), max_length=16, choices=TipClock.choices, blank=True, default=TipClock.NONE
    )
    due_on = models.DateField(
        _("办理期限"),
        null=True,
        blank=True,
        help_text=_("正在计时的期限；期限落在工作日历未知的年度时为空。"),
    )
    acceptance_due = models.DateField(_("受理期限"), null=True, blank=True)
    extension_days = models.PositiveSmallIntegerField(_("延期工作日"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the list's search reads, on the tip itself so that one trigram index answers it:
    # the named facility's keys and codes, then the keys of the subject as reported
    # (tip_search_keys; kept by save() and by Facility.save when the facility changes). Never
    # the reporter. Not history: it follows the fields it is made from.
    search_keys = models.TextField(_("检索词"), blank=True, default="", editable=False)

    history = HistoricalRecords(
        verbose_name=_("举报线索变更记录"),
        m2m_fields=[violations],
        excluded_fields=["search_keys"],
    )
    district_path = "district"

    class Meta:
        verbose_name = _("举报线索")
        verbose_name_plural = pgettext_lazy("plural", "举报线索")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="tip_recent_idx"),
            models.Index(fields=["status", "-received_at"], name="tip_status_idx"),
            models.Index(fields=["channel", "-received_at"], name="tip_channel_idx"),
            models.Index(fields=["district", "-received_at"], name="tip_district_idx"),
            models.Index(fields=["facility", "-received_at"], name="tip_facility_idx"),
            # Overdue and due soon (a range of deadlines: only running clocks have one), and
            # the list sorted by deadline (the pages put tips without one last).
            models.Index(fields=["due_on", "id"], name="tip_due_idx"),
            # A district's running clocks by deadline (我的待办 of a district's tip desk and
            # supervisors): without it, a district's few were filtered out of the country's.
            models.Index(
                fields=["district", "due_on", "id"],
                name="tip_district_due_idx",
                condition=Q(due_on__isnull=False) & ~Q(clock=""),
            ),
            # Every district's running clocks by deadline (我的待办 of the tip desk and supervisors
            # of every district): read in order and stopped at the page, however many are late.
            models.Index(
                fields=["due_on", "id"],
                name="tip_running_due_idx",
                condition=Q(due_on__isnull=False) & ~Q(clock=""),
            ),
            # A clock whose deadline falls in a year the calendar does not know (a few tips at
            # the turn of a year): counted and listed without reading the others.
            models.Index(
                fields=["id"],
                name="tip_due_unknown_idx",
                condition=Q(due_on__isnull=True) & ~Q(clock=""),
            ),
        ]
        constraints = [
            *numbered_constraints("tip"),
            models.CheckConstraint(
                condition=Q(channel__in=TipChannel.values),
                name="tip_channel_valid",
                violation_error_message=_("举报渠道无效。"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=TipStatus.values),
                name="tip_status_valid",
                violation_error_message=_("线索状态无效。"),
            ),
            models.CheckConstraint(
                condition=Q(district__in=District.values),
                name="tip_district_valid",
                violation_error_message=_("区县无效。"),
            ),
            models.CheckConstraint(
                condition=Q(subject_kind__in=TipSubject.values),
                name="tip_subject_kind_valid",
                violation_error_message=_("被举报对象类型无效。"),
            ),
            models.CheckConstraint(
                condition=Q(facility__isnull=False) | ~Q(subject_name=""),
                name="tip_names_its_subject",
                violation_error_message=_("请选择被举报机构或填写被举报对象名称。"),
            ),
            models.CheckConstraint(
                condition=~Q(allegation=""),
                name="tip_allegation_required",
                violation_error_message=_("请填写举报内容。"),
            ),
            models.CheckConstraint(
                condition=Q(conclusion="") | Q(conclusion__in=TipConclusion.values),
                name="tip_conclusion_valid",
                violation_error_message=_("核查结论无效。"),
            ),
            models.CheckConstraint(
                condition=Q(reply_method="") | Q(reply_method__in=ReplyMethod.values),
                name="tip_reply_method_valid",
                violation_error_message=_("答复方式无效。"),
            ),
            models.CheckConstraint(
                condition=Q(clock__in=TipClock.values),
                name="tip_clock_valid",
                violation_error_message=_("计时无效。"),
            ),
            models.CheckConstraint(
                condition=Q(due_on__isnull=True) | ~Q(clock=""),
                name="tip_due_only_while_running",
                violation_error_message=_("只有正在计时的线索有办理期限。"),
            ),
            models.CheckConstraint(
                condition=Q(clock="") | Q(status__in=_CLOCK_STATUSES),
                name="tip_clock_runs_while_open",
                violation_error_message=_("只有待受理、已受理和核查中的线索计时。"),
            ),
            models.CheckConstraint(
                condition=~Q(status=TipStatus.MERGED) | Q(master__isnull=False),
                name="tip_merged_has_master",
                violation_error_message=_("重复并案的线索必须指明并入的线索。"),
            ),
            models.CheckConstraint(
                condition=Q(master__isnull=True) | ~Q(master=F("id")),
                name="tip_not_own_master",
                violation_error_message=_("线索不能并入自身。"),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=_DECIDED) | Q(decided_on__isnull=False),
                name="tip_decision_has_date",
                violation_error_message=_("已受理或不予受理的线索必须填写受理决定日期。"),
            ),
            models.CheckConstraint(
                condition=~Q(status=TipStatus.INVESTIGATING) | Q(inspection__isnull=False),
                name="tip_investigation_has_inspection",
                violation_error_message=_("核查中的线索必须关联检查。"),
            ),
            models.CheckConstraint(
                condition=~Q(status=TipStatus.CONCLUDED)
                | (~Q(conclusion="") & Q(concluded_on__isnull=False)),
                name="tip_concluded_has_conclusion",
                violation_error_message=_("已办结的线索必须填写核查结论和办结日期。"),
            ),
            models.CheckConstraint(
                condition=Q(conclusion="", concluded_on__isnull=True)
                | (~Q(conclusion="") & Q(concluded_on__isnull=False)),
                name="tip_conclusion_with_its_date",
                violation_error_message=_("核查结论和办结日期须同时填写。"),
            ),
            models.CheckConstraint(
                condition=~Q(status=TipStatus.REPLIED) | Q(replied_on__isnull=False),
                name="tip_replied_has_date",
                violation_error_message=_("已答复的线索必须填写答复日期。"),
            ),
            models.CheckConstraint(
                condition=~Q(status=TipStatus.CLOSED) | Q(closed_on__isnull=False),
                name="tip_closed_has_date",
                violation_error_message=_("已结案的线索必须填写结案日期。"),
            ),
            models.CheckConstraint(
                condition=Q(concluded_on__isnull=True)
                | (Q(decided_on__isnull=False) & Q(concluded_on__gte=F("decided_on"))),
                name="tip_concluded_after_decided",
                violation_error_message=_("办结日期不能早于受理决定日期。"),
            ),
            models.CheckConstraint(
                condition=Q(amount_alleged__isnull=True) | Q(amount_alleged__gte=0),
                name="tip_amount_alleged_not_negative",
                violation_error_message=_("金额不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(verified_amount__isnull=True) | Q(verified_amount__gte=0),
                name="tip_verified_amount_not_negative",
                violation_error_message=_("金额不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(extension_days__lte=60),
                name="tip_extension_days_range",
                violation_error_message=_("延期合计不能超过60个工作日。"),
            ),
            text_limit("tip", "allegation", ALLEGATION_LENGTH, _("举报内容")),
            text_limit("tip", "decision_note", OUTCOME_LENGTH, _("受理意见")),
            text_limit("tip", "conclusion_note", OUTCOME_LENGTH, _("核查情况")),
            text_limit("tip", "reply_note", NOTE_LENGTH, _("答复内容")),
        ]

    DOCKET_KIND = CaseKind.TIP
    DOCKET_DATE_FIELD = "received_at"

    def docket_date(self) -> datetime.date:
        return timezone.localdate(self.received_at)

    def save(self, *args, **kwargs) -> None:
        """Queries: the facility, when it is not loaded yet, for the search keys (not for a save
        of named fields that do not make them: the clock's, say)."""
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"facility", "subject_name"} & set(update_fields):
            self.search_keys = tip_search_keys(
                facility_search_part(self.facility) if self.facility_id else "",
                self.subject_name,
            )
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_keys"}
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        subject = self.subject_name or (str(self.facility) if self.facility_id else "")
        return f"{_('线索')} {self.docket_label} · {subject}" if self.pk else subject

    @property
    def number(self) -> str:
        return self.docket_label

    @property
    def subject(self) -> str:
        """Whom the tip names: the registered facility, else the name as reported."""
        if self.facility_id:
            return str(self.facility)
        return self.subject_name

    @property
    def is_open(self) -> bool:
        return self.status not in (TipStatus.CLOSED, TipStatus.MERGED)

    @property
    def conclusion_counts(self) -> bool:
        """Substantiated in full or in part."""
        return bool(self.conclusion) and TipConclusion(self.conclusion).is_substantiated


def facility_search_part(facility: models.Model) -> str:
    """The part of a tip's search keys its facility gives: the facility's name keys and codes."""
    codes = [c.lower() for c in (facility.credit_code, facility.insurance_code) if c]
    return (facility.search_keys or search_keys(facility.name or "")) + "".join(
        f" {code}" for code in codes
    )


def tip_search_keys(facility_part: str, subject_name: str) -> str:
    """A tip's search keys: its facility's part, then the subject's name as reported."""
    return facility_part + search_keys(subject_name or "")


class TipReporter(BatchedChecks):
    """Who reported a tip: readable only with view_tipreporter (the tip desk and supervisors),
    in every page, export, endpoint, history and audit entry; everyone else sees MASK."""

    tip = models.OneToOneField(
        Tip,
        verbose_name=_("举报线索"),
        on_delete=models.PROTECT,
        related_name="reporter",
    )
    name = models.CharField(_("举报人姓名"), max_length=50, blank=True, default="")
    phone = models.CharField(
        _("联系电话"), max_length=20, blank=True, default="", validators=[validate_phone]
    )
    id_number = models.CharField(
        _("身份证号码"),
        max_length=18,
        blank=True,
        default="",
        validators=[validate_resident_id],
    )
    address = models.CharField(_("联系地址"), max_length=200, blank=True, default="")

    history = HistoricalRecords(verbose_name=_("举报人信息变更记录"))
    district_path = "tip__district"
    # Personal data: its values (history included) are shown as MASK to a reader without this
    # model's view permission (supervision.history.masked).
    personal_data = True

    class Meta:
        verbose_name = _("举报人信息")
        verbose_name_plural = pgettext_lazy("plural", "举报人信息")

    def __str__(self) -> str:
        # Never the name: the label shows in logs that readers without the permission see.
        return f"{_('举报人信息')} · {_('线索')} #{self.tip_id}"

    def clean(self) -> None:
        self.id_number = (self.id_number or "").strip().upper()
        self.phone = (self.phone or "").strip()
        self.name = (self.name or "").strip()
        self.address = (self.address or "").strip()


class TipExtension(BatchedChecks):
    """An extension of a tip's investigation, in working days, with its reason."""

    tip = models.ForeignKey(
        Tip, verbose_name=_("举报线索"), on_delete=models.CASCADE, related_name="extensions"
    )
    working_days = models.PositiveSmallIntegerField(_("延期工作日"))
    reason = models.TextField(_("延期理由"), max_length=NOTE_LENGTH)
    granted_on = models.DateField(_("批准日期"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(verbose_name=_("核查延期变更记录"))
    district_path = "tip__district"

    class Meta:
        verbose_name = _("核查延期")
        verbose_name_plural = pgettext_lazy("plural", "核查延期")
        ordering = ["granted_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(working_days__gte=1) & Q(working_days__lte=30),
                name="tipextension_days_range",
                violation_error_message=_("每次延期1至30个工作日。"),
            ),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="tipextension_reason_required",
                violation_error_message=_("请填写延期理由。"),
            ),
            text_limit("tipextension", "reason", NOTE_LENGTH, _("延期理由")),
        ]

    def __str__(self) -> str:
        return f"{_('线索')} #{self.tip_id} +{self.working_days}"


class TipReward(Versioned, TimeStamped):
    """The reward (举报奖励) for a substantiated tip with a named reporter: proposed, approved by
    a supervisor other than the proposer, then paid or expired when not claimed in time."""

    tip = models.OneToOneField(
        Tip, verbose_name=_("举报线索"), on_delete=models.PROTECT, related_name="reward"
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=RewardStatus.choices, default=RewardStatus.PROPOSED
    )
    verified_amount = models.DecimalField(_("查实金额（元）"), **MONEY)
    share = models.DecimalField(
        _("奖励比例"),
        max_digits=5,
        decimal_places=4,
        help_text=_("提出时的奖励比例，例如0.0200为2%。"),
    )
    amount = models.DecimalField(_("奖励金额（元）"), **MONEY)
    proposed_on = models.DateField(_("提出日期"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_on = models.DateField(_("审批日期"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    claim_by = models.DateField(_("领取截止日期"), null=True, blank=True)
    paid_on = models.DateField(_("发放日期"), null=True, blank=True)
    method = models.CharField(
        _("发放方式"), max_length=10, choices=PaymentMethod.choices, blank=True, default=""
    )
    reference = models.CharField(_("发放凭证号"), max_length=60, blank=True, default="")
    note = models.TextField(_("备注"), blank=True, default="", max_length=NOTE_LENGTH)

    history = HistoricalRecords(verbose_name=_("举报奖励变更记录"))
    district_path = "tip__district"

    class Meta:
        verbose_name = _("举报奖励")
        verbose_name_plural = pgettext_lazy("plural", "举报奖励")
        ordering = ["-proposed_on", "-id"]
        indexes = [
            models.Index(fields=["status", "-proposed_on"], name="tipreward_status_idx"),
            models.Index(fields=["-proposed_on", "-id"], name="tipreward_recent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RewardStatus.values),
                name="tipreward_status_valid",
                violation_error_message=_("奖励状态无效。"),
            ),
            models.CheckConstraint(
                condition=Q(share__gt=0) & Q(share__lte=1),
                name="tipreward_share_range",
                violation_error_message=_("奖励比例须大于0且不超过1。"),
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(verified_amount__gte=0),
                name="tipreward_amount_positive",
                violation_error_message=_("奖励金额须大于0。"),
            ),
            models.CheckConstraint(
                condition=Q(method="") | Q(method__in=PaymentMethod.values),
                name="tipreward_method_valid",
                violation_error_message=_("发放方式无效。"),
            ),
            models.CheckConstraint(
                condition=Q(status=RewardStatus.PROPOSED)
                | (Q(decided_on__isnull=False) & Q(decided_on__gte=F("proposed_on"))),
                name="tipreward_decision_has_date",
                violation_error_message=_("审批日期必填，且不能早于提出日期。"),
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True)
                | Q(proposed_by__isnull=True)
                | ~Q(decided_by=F("proposed_by")),
                name="tipreward_four_eyes",
                violation_error_message=_("奖励须由提出人以外的人审批。"),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[RewardStatus.APPROVED, RewardStatus.PAID])
                | Q(claim_by__isnull=False),
                name="tipreward_approved_has_claim_by",
                violation_error_message=_("已批准的奖励必须有领取截止日期。"),
            ),
            models.CheckConstraint(
                condition=~Q(status=RewardStatus.PAID)
                | (
                    Q(paid_on__isnull=False)
                    & ~Q(method="")
                    & ~Q(reference="")
                    & Q(paid_on__gte=F("decided_on"))
                ),
                name="tipreward_paid_has_payment",
                violation_error_message=_("已发放的奖励必须填写发放日期、方式和凭证号。"),
            ),
            text_limit("tipreward", "note", NOTE_LENGTH, _("备注")),
        ]

    def __str__(self) -> str:
        return f"{_('举报奖励')} · {_('线索')} #{self.tip_id}"

    def get_absolute_url(self) -> str:
        """The reward has no page of its own: it is a section of its tip's page."""
        return reverse("tip-detail", args=[self.tip_id]) + "#reward"

    @property
    def is_claimable(self) -> bool:
        return self.status == RewardStatus.APPROVED
