"""Tips (举报线索): register, accept or decline within the statutory clock, investigate through an
inspection, conclude, reply to the reporter, close; and the reward a substantiated tip earns.

The clock: acceptance is decided within TIP_ACCEPTANCE_WORKDAYS working days of receipt, the
investigation within TIP_INVESTIGATION_WORKDAYS of acceptance plus the extensions granted
(supervision.workdays counts them). Every step stores the running clock on the tip (clock,
due_on), so lists filter overdue and due-soon tips on an index; a deadline in a year the calendar
does not know is stored as unknown (None) and computed again when an administrator enters it
(recompute_deadlines).

The reporter (TipReporter) is written only by those who may change it: the services refuse
everyone else, whatever page or endpoint called them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from supervision.choices import (
    TIP_TRANSITIONS,
    InspectionKind,
    InspectionStatus,
    ReplyMethod,
    TipChannel,
    TipClock,
    TipConclusion,
    TipStatus,
    TipSubject,
)
from supervision.models import (
    Facility,
    Inspection,
    Inspector,
    Tip,
    TipExtension,
    TipReporter,
    ViolationCategory,
)
from supervision.models.base import check_version
from supervision.scoping import check_in_scope, scoped_queryset
from supervision.services import reasons
from supervision.services._common import User, refuse, refuse_problems, save_with_history
from supervision.services.inspections import record_inspection
from supervision.workdays import Calendar

CENT = Decimal("0.01")
REPORTER_FIELDS = ("name", "phone", "id_number", "address")
# Tips about the same subject received within this many days are offered as duplicates.
DUPLICATE_WINDOW_DAYS = 90
DUPLICATE_LIMIT = 10


@dataclass(frozen=True)
class ReporterDetails:
    """Who reported: every field may be empty (an anonymous tip has none)."""

    name: str = ""
    phone: str = ""
    id_number: str = ""
    address: str = ""

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> ReporterDetails:
        return cls(**{name: str(values.get(name) or "").strip() for name in REPORTER_FIELDS})

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in REPORTER_FIELDS)


def may_read_reporter(user: User) -> bool:
    """Whether user may see who reported (the tip desk, supervisors, superusers)."""
    return bool(
        user is not None and user.is_active and user.has_perm("supervision.view_tipreporter")
    )


def may_edit_reporter(user: User) -> bool:
    return bool(
        user is not None and user.is_active and user.has_perm("supervision.change_tipreporter")
    )


def received_day(tip: Tip) -> datetime.date:
    """The day the tip was received, in the bureau's time zone."""
    return timezone.localdate(tip.received_at)


def _set_clock(tip: Tip, calendar: Calendar) -> None:
    """Which clock runs for the tip's status, and its deadline (None: unknown year)."""
    tip.acceptance_due = calendar.deadline(received_day(tip), settings.TIP_ACCEPTANCE_WORKDAYS)
    if tip.status == TipStatus.RECEIVED:
        tip.clock = TipClock.ACCEPTANCE
        tip.due_on = tip.acceptance_due
    elif tip.status in (TipStatus.ACCEPTED, TipStatus.INVESTIGATING) and tip.decided_on:
        tip.clock = TipClock.INVESTIGATION
        tip.due_on = calendar.deadline(
            tip.decided_on, settings.TIP_INVESTIGATION_WORKDAYS + tip.extension_days
        )
    else:
        tip.clock = TipClock.NONE
        tip.due_on = None


def _lock(tip: Tip, expected_version: int | None) -> Tip:
    locked = Tip.objects.select_for_update().get(pk=tip.pk)
    check_version(locked, expected_version)
    return locked


def _check_move(tip: Tip, to_status: str) -> None:
    if to_status not in TIP_TRANSITIONS[tip.status]:
        raise refuse(
            "status",
            _("线索状态不能从“%(from)s”变为“%(to)s”。")
            % {"from": TipStatus(tip.status).label, "to": TipStatus(to_status).label},
        )


def _move(tip: Tip, to_status: str, user: User, calendar: Calendar | None = None) -> None:
    tip.status = to_status
    _set_clock(tip, calendar or Calendar.load())
    save_with_history(tip, user, reasons.tip_moved(to_status))


def not_before(day: datetime.date | None, earliest: datetime.date, field: str, message: str):
    if day is not None and day < earliest:
        raise refuse(field, message)


def not_future(day: datetime.date, field: str) -> None:
    if day > timezone.localdate():
        raise refuse(field, _("日期不能晚于今天。"))


# --- Registering -------------------------------------------------------------------------------


def tip_problems(
    *,
    channel: str | None,
    received_at: datetime.datetime | None,
    facility: Facility | None,
    subject_kind: str | None,
    subject_name: str,
    allegation: str | None,
) -> dict[str, str]:
    """Why a tip could not be registered, by field (empty: it can). Writes nothing."""
    problems: dict[str, str] = {}
    if channel is not None and channel not in TipChannel.values:
        problems["channel"] = _("举报渠道无效。")
    if subject_kind is not None and subject_kind not in TipSubject.values:
        problems["subject_kind"] = _("被举报对象类型无效。")
    if facility is None and not subject_name.strip():
        problems["subject_name"] = _("请选择被举报机构或填写被举报对象名称。")
    if allegation is not None and not allegation.strip():
        problems["allegation"] = _("请填写举报内容。")
    if received_at is not None and received_at > timezone.now() + datetime.timedelta(minutes=5):
        problems["received_at"] = _("接收时间不能晚于现在。")
    return problems


@transaction.atomic
def register_tip(
    *,
    channel: str,
    received_at: datetime.datetime,
    allegation: str,
    user: User,
    district: str = "",
    facility: Facility | None = None,
    subject_kind: str = TipSubject.FACILITY,
    subject_name: str = "",
    violations: Iterable[ViolationCategory | str] = (),
    amount_alleged: Decimal | None = None,
    anonymous: bool = False,
    wants_reply: bool = True,
    reporter: ReporterDetails | None = None,
) -> Tip:
    """Register a tip as received, with its reporter (unless anonymous) and its acceptance
    clock. The district is the facility's when one is named."""
    refuse_problems(
        tip_problems(
            channel=channel,
            received_at=received_at,
            facility=facility,
            subject_kind=subject_kind,
            subject_name=subject_name,
            allegation=allegation,
        )
    )
    reporter = reporter or ReporterDetails()
    if anonymous:
        reporter = ReporterDetails()
    if not reporter.is_empty() and not may_edit_reporter(user):
        raise PermissionDenied(_("您无权登记举报人信息。"))
    tip = Tip(
        channel=channel,
        received_at=received_at,
        district=facility.district if facility is not None else district,
        subject_kind=subject_kind,
        facility=facility,
        subject_name=subject_name.strip(),
        allegation=allegation.strip(),
        amount_alleged=amount_alleged,
        anonymous=anonymous,
        wants_reply=wants_reply and not anonymous,
        created_by=user,
    )
    _set_clock(tip, Calendar.load())
    save_with_history(tip, user)
    violations = list(violations)
    if violations:
        tip.violations.add(*violations)
    if not reporter.is_empty():
        save_with_history(TipReporter(tip=tip, **reporter.__dict__), user)
    return tip


@transaction.atomic
def edit_tip(
    tip: Tip,
    *,
    user: User,
    changes: Mapping[str, Any],
    violations: Iterable[ViolationCategory | str] | None = None,
    expected_version: int | None = None,
) -> Tip:
    """Correct a tip's details (channel, subject, allegation, amount…) while it is open; matching
    a facility later moves the tip to the facility's district."""
    tip = _lock(tip, expected_version)
    if not tip.is_open:
        raise refuse("status", _("已结案或已并案的线索不能修改。"))
    editable = {
        "channel",
        "received_at",
        "district",
        "subject_kind",
        "facility",
        "subject_name",
        "allegation",
        "amount_alleged",
        "wants_reply",
    }
    unknown = set(changes) - editable
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(tip, name, value.strip() if isinstance(value, str) else value)
    if tip.facility_id is not None:
        tip.district = tip.facility.district
    refuse_problems(
        tip_problems(
            channel=tip.channel,
            received_at=tip.received_at,
            facility=tip.facility,
            subject_kind=tip.subject_kind,
            subject_name=tip.subject_name,
            allegation=tip.allegation,
        )
    )
    _set_clock(tip, Calendar.load())
    save_with_history(tip, user, reasons.system(reasons.TIP_EDITED))
    if violations is not None:
        tip.violations.set(list(violations))
    return tip


@transaction.atomic
def set_reporter(tip: Tip, details: ReporterDetails, *, user: User) -> TipReporter | None:
    """Record or correct who reported (only with change_tipreporter); empty details clear it."""
    if not may_edit_reporter(user):
        raise PermissionDenied(_("您无权修改举报人信息。"))
    check_in_scope(user, tip)
    if tip.anonymous and not details.is_empty():
        raise refuse("anonymous", _("匿名举报不登记举报人信息。"))
    reporter = TipReporter.objects.select_for_update().filter(tip=tip).first()
    if reporter is None:
        if details.is_empty():
            return None
        reporter = TipReporter(tip=tip)
    for name in REPORTER_FIELDS:
        setattr(reporter, name, getattr(details, name))
    save_with_history(reporter, user, reasons.system(reasons.REPORTER_CHANGED))
    return reporter


def possible_duplicates(
    user: User,
    *,
    facility: Facility | None,
    subject_name: str = "",
    received_at: datetime.datetime | None = None,
    exclude: Tip | None = None,
) -> QuerySet[Tip]:
    """Open tips about the same subject received within DUPLICATE_WINDOW_DAYS: candidates to
    merge into (the registering form shows them)."""
    around = received_at or timezone.now()
    window = datetime.timedelta(days=DUPLICATE_WINDOW_DAYS)
    tips = scoped_queryset(user, Tip.objects.all()).filter(
        received_at__gte=around - window,
        received_at__lte=around + window,
        master__isnull=True,
    )
    if facility is not None:
        tips = tips.filter(facility=facility)
    elif subject_name.strip():
        tips = tips.filter(facility__isnull=True, subject_name=subject_name.strip())
    else:
        return Tip.objects.none()
    if exclude is not None and exclude.pk:
        tips = tips.exclude(pk=exclude.pk)
    return (
        tips.exclude(status=TipStatus.MERGED)
        .select_related("facility")
        .order_by("-received_at", "-id")[:DUPLICATE_LIMIT]
    )


@transaction.atomic
def merge_tip(
    tip: Tip, *, into: Tip, user: User, note: str = "", expected_version: int | None = None
) -> Tip:
    """Link a duplicate to its master tip (并案): it is not handled twice; its clock stops."""
    tip = _lock(tip, expected_version)
    _check_move(tip, TipStatus.MERGED)
    master = into.master or into
    if master.pk == tip.pk:
        raise refuse("master", _("线索不能并入自身。"))
    if master.status == TipStatus.MERGED:
        raise refuse("master", _("不能并入已并案的线索。"))
    check_in_scope(user, master)
    tip.master = master
    tip.decision_note = note.strip()
    _move(tip, TipStatus.MERGED, user)
    # Its own duplicates follow it to the master: one level, never a chain.
    for duplicate in Tip.objects.select_for_update().filter(master=tip).order_by("pk"):
        duplicate.master = master
        save_with_history(duplicate, user, reasons.tip_moved(TipStatus.MERGED))
    return tip


# --- Deciding acceptance -----------------------------------------------------------------------


@transaction.atomic
def decline_tip(
    tip: Tip, *, on: datetime.date, reason: str, user: User, expected_version: int | None = None
) -> Tip:
    """Not accepted (不予受理), with the reason the reporter will be told."""
    tip = _lock(tip, expected_version)
    _check_move(tip, TipStatus.NOT_ACCEPTED)
    if not reason.strip():
        raise refuse("decision_note", _("不予受理时请填写理由。"))
    not_before(on, received_day(tip), "decided_on", _("受理决定日期不能早于接收日期。"))
    not_future(on, "decided_on")
    tip.decided_on = on
    tip.decision_note = reason.strip()
    _move(tip, TipStatus.NOT_ACCEPTED, user)
    return tip


@transaction.atomic
def accept_tip(
    tip: Tip,
    *,
    on: datetime.date,
    user: User,
    note: str = "",
    inspection_kind: str | None = InspectionKind.UNANNOUNCED,
    inspectors: Iterable[Inspector] = (),
    start_date: datetime.date | None = None,
    expected_version: int | None = None,
) -> Tip:
    """Accept a tip for investigation (立案核查). With an inspection kind, open the inspection in
    the same step (prefilled with the tip's facility): the tip is then under investigation."""
    tip = _lock(tip, expected_version)
    _check_move(tip, TipStatus.ACCEPTED)
    not_before(on, received_day(tip), "decided_on", _("受理决定日期不能早于接收日期。"))
    not_future(on, "decided_on")
    tip.decided_on = on
    tip.decision_note = note.strip()
    _move(tip, TipStatus.ACCEPTED, user)
    if inspection_kind:
        tip = open_inspection(
            tip,
            user=user,
            kind=inspection_kind,
            inspectors=inspectors,
            start_date=start_date or on,
        )
    return tip


@transaction.atomic
def open_inspection(
    tip: Tip,
    *,
    user: User,
    kind: str = InspectionKind.UNANNOUNCED,
    inspectors: Iterable[Inspector] = (),
    start_date: datetime.date | None = None,
    inspection: Inspection | None = None,
    expected_version: int | None = None,
) -> Tip:
    """Investigate an accepted tip through an inspection of its facility: a new one (planned,
    of kind, with inspectors) or an existing one of the same facility."""
    tip = _lock(tip, expected_version)
    _check_move(tip, TipStatus.INVESTIGATING)
    if tip.status != TipStatus.ACCEPTED:
        raise refuse("status", _("请先受理线索。"))
    if tip.facility_id is None:
        raise refuse("facility", _("线索尚未匹配到定点机构，请先在线索上选择被举报机构。"))
    if inspection is None:
        if kind not in InspectionKind.values:
            raise refuse("inspection_kind", _("检查类型无效。"))
        start = start_date or timezone.localdate()
        not_before(start, tip.decided_on, "start_date", _("检查开始日期不能早于受理日期。"))
        inspection = record_inspection(
            facility=tip.facility,
            kind=kind,
            start_date=start,
            inspectors=inspectors,
            user=user,
        )
    elif inspection.facility_id != tip.facility_id:
        raise refuse("inspection", _("所选检查不是被举报机构的检查。"))
    tip.inspection = inspection
    _move(tip, TipStatus.INVESTIGATING, user)
    return tip


@transaction.atomic
def extend_investigation(
    tip: Tip,
    *,
    working_days: int,
    reason: str,
    on: datetime.date,
    user: User,
    expected_version: int | None = None,
) -> TipExtension:
    """Extend an investigation by a number of working days, with the reason recorded."""
    tip = _lock(tip, expected_version)
    if tip.status not in (TipStatus.ACCEPTED, TipStatus.INVESTIGATING):
        raise refuse("status", _("只有已受理或核查中的线索可以延期。"))
    if not reason.strip():
        raise refuse("reason", _("请填写延期理由。"))
    if not 1 <= working_days <= 30:
        raise refuse("working_days", _("每次延期1至30个工作日。"))
    if tip.extension_days + working_days > 60:
        raise refuse("working_days", _("延期合计不能超过60个工作日。"))
    not_before(on, tip.decided_on, "granted_on", _("批准日期不能早于受理日期。"))
    not_future(on, "granted_on")
    extension = TipExtension(
        tip=tip, working_days=working_days, reason=reason.strip(), granted_on=on, granted_by=user
    )
    save_with_history(extension, user)
    tip.extension_days += working_days
    _set_clock(tip, Calendar.load())
    save_with_history(tip, user, reasons.system(reasons.TIP_EXTENDED))
    return extension


# --- Concluding, replying, closing --------------------------------------------------------------


@dataclass(frozen=True)
class Derived:
    """What the tip's inspection says: the conclusion and the money verified, when it can."""

    conclusion: str
    verified_amount: Decimal | None
    basis: str


def derived_conclusion(tip: Tip) -> Derived | None:
    """The conclusion the inspection supports: violations or money found → substantiated,
    nothing found → not substantiated; None while the inspection is not completed."""
    inspection = tip.inspection
    if inspection is None or inspection.status != InspectionStatus.COMPLETED:
        return None
    found = inspection.violations.exists() or inspection.amount_involved > 0
    if found:
        return Derived(
            TipConclusion.SUBSTANTIATED,
            inspection.amount_involved,
            _("检查发现违规，涉及金额%(amount)s元。")
            % {"amount": f"{inspection.amount_involved:,}"},
        )
    return Derived(TipConclusion.NOT_SUBSTANTIATED, Decimal("0.00"), _("检查未发现违规。"))


@transaction.atomic
def conclude_tip(
    tip: Tip,
    *,
    conclusion: str,
    on: datetime.date,
    user: User,
    note: str = "",
    verified_amount: Decimal | None = None,
    expected_version: int | None = None,
) -> Tip:
    """Conclude the investigation: substantiated, partly, or not. The inspection must be
    completed first; its findings are what the conclusion rests on."""
    tip = _lock(tip, expected_version)
    _check_move(tip, TipStatus.CONCLUDED)
    if conclusion not in TipConclusion.values:
        raise refuse("conclusion", _("核查结论无效。"))
    inspection = tip.inspection
    if inspection is not None and inspection.status != InspectionStatus.COMPLETED:
        raise refuse("conclusion", _("核查检查尚未完成，请先完成检查。"))
    not_before(on, tip.decided_on, "concluded_on", _("办结日期不能早于受理决定日期。"))
    not_future(on, "concluded_on")
    if verified_amount is not None and verified_amount < 0:
        raise refuse("verified_amount", _("金额不能为负数。"))
    if conclusion == TipConclusion.NOT_SUBSTANTIATED:
        verified_amount = None
    tip.conclusion = conclusion
    tip.concluded_on = on
    tip.conclusion_note = note.strip()
    tip.verified_amount = verified_amount
    _move(tip, TipStatus.CONCLUDED, user)
    return tip


@transaction.atomic
def reply_to_reporter(
    tip: Tip,
    *,
    on: datetime.date,
    method: str,
    note: str,
    user: User,
    expected_version: int | None = None,
) -> Tip:
    """Tell the reporter the decision or the result (答复)."""
    tip = _lock(tip, expected_version)
    _check_move(tip, TipStatus.REPLIED)
    if method not in ReplyMethod.values:
        raise refuse("reply_method", _("答复方式无效。"))
    if not note.strip():
        raise refuse("reply_note", _("请填写答复内容。"))
    not_before(
        on, tip.concluded_on or tip.decided_on, "replied_on", _("答复日期不能早于办结日期。")
    )
    not_future(on, "replied_on")
    tip.replied_on = on
    tip.reply_method = method
    tip.reply_note = note.strip()
    _move(tip, TipStatus.REPLIED, user)
    return tip


@transaction.atomic
def close_tip(
    tip: Tip, *, on: datetime.date, user: User, expected_version: int | None = None
) -> Tip:
    """Close the tip; one whose reporter asked for a reply is closed only after the reply."""
    tip = _lock(tip, expected_version)
    _check_move(tip, TipStatus.CLOSED)
    if tip.wants_reply and not tip.anonymous and tip.replied_on is None:
        raise refuse("status", _("举报人要求答复，请先答复再结案。"))
    last = tip.replied_on or tip.concluded_on or tip.decided_on
    not_before(on, last, "closed_on", _("结案日期不能早于上一步的日期。"))
    not_future(on, "closed_on")
    tip.closed_on = on
    _move(tip, TipStatus.CLOSED, user)
    return tip


# --- The calendar changed ------------------------------------------------------------------------


def recompute_deadlines(user: User = None, since: datetime.date | None = None) -> int:
    """After the working-day calendar changed from day `since` on (None: anywhere): the running
    clocks it can move computed again — those whose deadline is unknown or not before `since`
    (a deadline before the changed day counted only days that did not change). Returns how
    many tips changed; each keeps a history row with the reason."""
    calendar = Calendar.load()
    changed = 0
    running = Tip.objects.exclude(clock=TipClock.NONE)
    if since is not None:
        running = running.filter(Q(due_on__isnull=True) | Q(due_on__gte=since))
    fields = ["clock", "due_on", "acceptance_due"]
    for pk in running.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=2000):
        with transaction.atomic():
            tip = Tip.objects.select_for_update().get(pk=pk)
            before = [getattr(tip, name) for name in fields]
            _set_clock(tip, calendar)
            if [getattr(tip, name) for name in fields] != before:
                tip._history_user = user  # type: ignore[attr-defined]
                tip._change_reason = reasons.system(reasons.DEADLINES_RECOMPUTED)  # type: ignore[attr-defined]
                tip.save(update_fields=fields)
                changed += 1
    return changed


# --- What the lists and the overview show -------------------------------------------------------


def due_soon_limit(today: datetime.date, calendar: Calendar | None = None) -> datetime.date:
    """The last deadline that counts as due soon: TIP_DUE_SOON_WORKDAYS working days ahead (in
    an unknown year, the same number of weekdays: a warning, not a deadline)."""
    calendar = calendar or Calendar.load()
    limit = calendar.deadline(today, settings.TIP_DUE_SOON_WORKDAYS)
    if limit is not None:
        return limit
    day, left = today, settings.TIP_DUE_SOON_WORKDAYS
    while left:
        day += datetime.timedelta(days=1)
        left -= day.weekday() < 5
    return day


def clock_state(tip: Tip, today: datetime.date, soon: datetime.date) -> str:
    """ "overdue", "due_soon", "running", "unknown" (deadline in an unknown year) or ""."""
    if not tip.clock:
        return ""
    if tip.due_on is None:
        return "unknown"
    if tip.due_on < today:
        return "overdue"
    if tip.due_on <= soon:
        return "due_soon"
    return "running"


@dataclass(frozen=True)
class TipPanel:
    month_start: datetime.date
    by_channel: list[tuple[str, int]]
    received: int
    overdue: int
    due_soon: int
    unknown: int


def tip_panel(user: User, today: datetime.date | None = None) -> TipPanel:
    """The overview's tips: received this month by channel; overdue, due soon and unknown
    clocks. Queries: six (the calendar's two, one per figure), each on an index: the month's
    tips by receipt, the deadlines by range (tip_due_idx), the unknown ones by theirs
    (tip_due_unknown_idx) — an aggregate over the running clocks read the whole table."""
    today = today or timezone.localdate()
    month_start = today.replace(day=1)
    next_month = (month_start + datetime.timedelta(days=32)).replace(day=1)
    start = timezone.make_aware(datetime.datetime.combine(month_start, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(next_month, datetime.time.min))
    visible = scoped_queryset(user, Tip.objects.all())
    soon = due_soon_limit(today)
    counts = dict(
        visible.filter(received_at__gte=start, received_at__lt=end)
        .order_by()
        .values_list("channel")
        .annotate(n=Count("id"))
        .values_list("channel", "n")
    )
    by_channel = [(str(label), counts.get(value, 0)) for value, label in TipChannel.choices]
    # Only a running clock has a deadline (tip_due_only_while_running): the ranges are read
    # from tip_due_idx alone.
    return TipPanel(
        month_start=month_start,
        by_channel=by_channel,
        received=sum(counts.values()),
        overdue=visible.filter(due_on__lt=today).count(),
        due_soon=visible.filter(due_on__gte=today, due_on__lte=soon).count(),
        unknown=visible.exclude(clock=TipClock.NONE).filter(due_on__isnull=True).count(),
    )


__all__ = [
    "REPORTER_FIELDS",
    "Derived",
    "ReporterDetails",
    "TipPanel",
    "accept_tip",
    "clock_state",
    "close_tip",
    "conclude_tip",
    "decline_tip",
    "derived_conclusion",
    "due_soon_limit",
    "edit_tip",
    "extend_investigation",
    "may_edit_reporter",
    "may_read_reporter",
    "merge_tip",
    "open_inspection",
    "possible_duplicates",
    "received_day",
    "recompute_deadlines",
    "register_tip",
    "reply_to_reporter",
    "set_reporter",
    "tip_panel",
    "tip_problems",
]
