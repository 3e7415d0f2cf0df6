"""Rectification orders (责令整改): a completed inspection that found problems orders the facility
to put them right within a number of statutory working days; the facility's report is recorded;
a follow-up inspection (复查) finds the order carried out (整改到位) or not (整改不到位, after
which a sanction may follow, on the sanction pages).

ordered → reported → confirmed or not_done; ordered → confirmed or not_done when the facility did
not report. An inspection "found problems" when a violation category is recorded on it or the
amount involved is above zero: the findings text alone does not count (a completed inspection
always has some, "未发现问题" included).

Every step is one transaction with its history row (reasons stored in Chinese, see
services.reasons), checked against the version the user saw (StaleEdit) and refused outside the
user's districts. The *_problems functions write nothing: the forms call them to show field
messages before saving, and the steps call them again.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from supervision.choices import InspectionKind, InspectionStatus, RectificationStatus
from supervision.models import Inspection, Inspector, Rectification
from supervision.models.base import check_version
from supervision.models.rectification import MAX_RECTIFICATION_WORKDAYS, OPEN_STATUSES
from supervision.scoping import check_in_scope
from supervision.services import reasons
from supervision.services._common import User, refuse, refuse_problems, save_with_history
from supervision.services.inspections import record_inspection
from supervision.workdays import Calendar


def found_problems(inspection: Inspection) -> bool:
    """Queries (unless the violations are prefetched): whether the inspection found problems to
    put right: a violation category recorded, or an amount involved."""
    if inspection.amount_involved and inspection.amount_involved > 0:
        return True
    return bool(inspection.violations.all())


def may_order(inspection: Inspection) -> bool:
    """Queries: whether an order can be made on inspection now (completed, found problems, no
    order yet)."""
    return (
        inspection.status == InspectionStatus.COMPLETED
        and found_problems(inspection)
        and not Rectification.objects.filter(inspection=inspection).exists()
    )


def _text_problem(value: str | None, field: str, *, required: str) -> dict[str, str]:
    """A required free text of a rectification: present, and within its field's limit."""
    if value is None:
        return {}
    text = value.strip()
    if not text:
        return {field: required}
    limit = Rectification._meta.get_field(field).max_length
    if limit is not None and len(text) > limit:
        return {
            field: _("最多%(limit)d个字符（当前%(count)d个）。")
            % {"limit": limit, "count": len(text)}
        }
    return {}


def _date_problem(
    day: datetime.date | None, field: str, *, not_before: datetime.date, message: str
) -> dict[str, str]:
    if day is None:
        return {}
    if day > timezone.localdate():
        return {field: _("日期不能晚于今天。")}
    if day < not_before:
        return {field: message}
    return {}


def order_problems(
    inspection: Inspection,
    *,
    requirement: str | None,
    workdays: int | None,
    ordered_on: datetime.date | None,
) -> dict[str, str]:
    """Queries: why inspection could not be ordered rectified, by field (empty: it can). None
    stands for a value the form reports as missing; its checks are skipped."""
    problems: dict[str, str] = {}
    if inspection.status != InspectionStatus.COMPLETED:
        problems["inspection"] = _("只能对已完成的检查责令整改。")
    elif not found_problems(inspection):
        problems["inspection"] = _(
            "该检查未发现问题（未登记违规类型，涉及金额为0），不能责令整改。"
        )
    elif Rectification.objects.filter(inspection=inspection).exists():
        problems["inspection"] = _("该检查已责令整改。")
    problems.update(_text_problem(requirement, "requirement", required=_("请填写整改要求。")))
    if workdays is not None and not 1 <= workdays <= MAX_RECTIFICATION_WORKDAYS:
        problems["workdays"] = _("整改期限应为1到%(max)d个工作日。") % {
            "max": MAX_RECTIFICATION_WORKDAYS
        }
    problems.update(
        _date_problem(
            ordered_on,
            "ordered_on",
            not_before=inspection.start_date,
            message=_("责令整改日期不能早于检查开始日期。"),
        )
    )
    return problems


def _open_problem(rect: Rectification) -> dict[str, str]:
    if rect.status not in OPEN_STATUSES:
        return {"status": _("该整改已复查，不能再登记。")}
    return {}


def report_problems(
    rect: Rectification, *, reported_on: datetime.date | None, report: str | None
) -> dict[str, str]:
    """Why the facility's report could not be recorded on rect, by field (empty: it can)."""
    if rect.status != RectificationStatus.ORDERED:
        if rect.status == RectificationStatus.REPORTED:
            return {"status": _("该整改已登记整改报告。")}
        return _open_problem(rect)
    problems = _text_problem(report, "report", required=_("请填写整改报告摘要。"))
    problems.update(
        _date_problem(
            reported_on,
            "reported_on",
            not_before=rect.ordered_on,
            message=_("整改报告收到日期不能早于责令整改日期。"),
        )
    )
    return problems


def follow_up_problems(
    rect: Rectification, *, checked_on: datetime.date | None, outcome: str | None
) -> dict[str, str]:
    """Why a follow-up could not be recorded on rect, by field (empty: it can)."""
    problems = _open_problem(rect)
    if problems:
        return problems
    problems.update(_text_problem(outcome, "outcome", required=_("请填写复查结论。")))
    problems.update(
        _date_problem(
            checked_on,
            "checked_on",
            not_before=rect.ordered_on,
            message=_("复查日期不能早于责令整改日期。"),
        )
    )
    if checked_on is not None and rect.reported_on and checked_on < rect.reported_on:
        problems.setdefault("checked_on", _("复查日期不能早于整改报告收到日期。"))
    return problems


def due_date(
    ordered_on: datetime.date, workdays: int, calendar: Calendar | None = None
) -> datetime.date | None:
    """The deadline: the workdays-th statutory working day after ordered_on; None while the
    schedule of a year it runs into is not known (supervision.workdays)."""
    return (calendar or Calendar.load()).deadline(ordered_on, workdays)


def _locked(rect: Rectification, user: User, version: int | None) -> Rectification:
    locked = Rectification.objects.select_for_update().select_related("facility").get(pk=rect.pk)
    check_in_scope(user, locked)
    check_version(locked, version)
    return locked


@transaction.atomic
def order_rectification(
    inspection: Inspection,
    *,
    requirement: str,
    workdays: int,
    ordered_on: datetime.date,
    user: User,
) -> Rectification:
    """Order the inspected facility to put right what a completed inspection found."""
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    check_in_scope(user, inspection)
    refuse_problems(
        order_problems(
            inspection, requirement=requirement, workdays=workdays, ordered_on=ordered_on
        )
    )
    rect = Rectification(
        inspection=inspection,
        facility_id=inspection.facility_id,
        requirement=requirement.strip(),
        ordered_on=ordered_on,
        workdays=workdays,
        due_on=due_date(ordered_on, workdays),
        created_by=user if getattr(user, "pk", None) else None,
    )
    save_with_history(rect, user, reasons.system(reasons.RECTIFICATION_ORDERED))
    return rect


@transaction.atomic
def record_report(
    rect: Rectification,
    *,
    reported_on: datetime.date,
    report: str,
    user: User,
    version: int | None,
) -> Rectification:
    """Record the facility's report that it has put the problems right (整改报告).

    version: the version the user saw; another one is refused with StaleEdit.
    """
    locked = _locked(rect, user, version)
    refuse_problems(report_problems(locked, reported_on=reported_on, report=report))
    locked.reported_on = reported_on
    locked.report = report.strip()
    locked.status = RectificationStatus.REPORTED
    save_with_history(locked, user, reasons.system(reasons.RECTIFICATION_REPORTED))
    return locked


def _inspectors_of(user: User) -> list[Inspector]:
    inspector = Inspector.objects.filter(user_id=getattr(user, "pk", None)).first()
    return [inspector] if inspector is not None else []


@transaction.atomic
def record_follow_up(
    rect: Rectification,
    *,
    checked_on: datetime.date,
    done: bool,
    outcome: str,
    user: User,
    version: int | None,
    inspectors: Iterable[Inspector] | None = None,
) -> Rectification:
    """Record the follow-up inspection (复查) of an order: a completed inspection of the facility
    on checked_on, by inspectors (the acting user's officer when none are given; an on-site
    inspection needs two), whose findings are the outcome; the order is then carried out
    (整改到位) or not (整改不到位).

    version: the version the user saw; another one is refused with StaleEdit.
    """
    locked = _locked(rect, user, version)
    refuse_problems(follow_up_problems(locked, checked_on=checked_on, outcome=outcome))
    if not isinstance(done, bool):
        raise refuse("done", _("请选择复查结论是否整改到位。"))
    team = list(inspectors) if inspectors is not None else _inspectors_of(user)
    follow_up = record_inspection(
        facility=locked.facility,
        kind=InspectionKind.FOLLOWUP,
        status=InspectionStatus.COMPLETED,
        start_date=checked_on,
        end_date=checked_on,
        inspectors=team,
        findings=outcome,
        user=user,
        reason=reasons.system(reasons.FOLLOW_UP_RECORDED),
    )
    locked.follow_up = follow_up
    locked.checked_on = checked_on
    locked.outcome = outcome.strip()
    locked.status = RectificationStatus.CONFIRMED if done else RectificationStatus.NOT_DONE
    reason = reasons.RECTIFICATION_CONFIRMED if done else reasons.RECTIFICATION_NOT_DONE
    save_with_history(locked, user, reasons.system(reason))
    return locked


def recompute_due_dates(user: User = None, since: datetime.date | None = None) -> int:
    """After the working-day calendar changed from day `since` on (None: anywhere): the open
    orders' deadlines it can move computed again — those unknown or not before `since`.
    Returns how many orders changed; each keeps a history row with the reason."""
    calendar = Calendar.load()
    open_orders = Rectification.objects.filter(status__in=OPEN_STATUSES)
    if since is not None:
        open_orders = open_orders.filter(Q(due_on__isnull=True) | Q(due_on__gte=since))
    changed = 0
    for pk in open_orders.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=2000):
        with transaction.atomic():
            rect = Rectification.objects.select_for_update().get(pk=pk)
            due_on = due_date(rect.ordered_on, rect.workdays, calendar)
            if due_on != rect.due_on:
                rect.due_on = due_on
                rect._history_user = user  # type: ignore[attr-defined]
                rect._change_reason = reasons.system(reasons.RECTIFICATION_DUE_RECOMPUTED)  # type: ignore[attr-defined]
                rect.save(update_fields=["due_on", "updated_at"])
                changed += 1
    return changed
