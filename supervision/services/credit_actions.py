"""Between two annual evaluations: the dynamic adjustment of a grade after a serious violation
(动态调整) and credit repair (信用修复): the application after rectification and a waiting
period, and its decision.

A grade is written under the rules of services.ratings.set_grade (grade_problems, the facility's
row lock, a RatingChange with the reason in the same transaction; the grade totals follow by the
database's triggers), with the change's kind and, for an adjustment, the inspection it rests on.
Permissions are the views' and the API's (add_ratingchange, add_creditrepair,
decide_creditrepair); these functions check the rules.
"""

from __future__ import annotations

import calendar
import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from supervision.choices import Grade, InspectionStatus, RatingChangeKind, RepairStatus
from supervision.models import CreditRating, CreditRepair, Facility, Inspection, RatingChange
from supervision.models.base import REASON_LENGTH, SUMMARY_LENGTH, check_version
from supervision.models.rating import score_fits_grade
from supervision.services import reasons
from supervision.services._common import (
    UNSET,
    User,
    refuse,
    refuse_problems,
    required_text,
    save_with_history,
)
from supervision.services.ratings import grade_problems, reason_problem

# The reasons written on the repair's own history rows (system reasons, stored in Chinese).
REPAIR_APPLIED = reasons.REPAIR_APPLIED
REPAIR_APPROVED = reasons.REPAIR_APPROVED
REPAIR_REJECTED = reasons.REPAIR_REJECTED

# The grades a repair may start from, and the grade an approved repair gives.
REPAIRED_GRADE = {Grade.D: Grade.C, Grade.C: Grade.B}
ADVERSE_GRADES = (Grade.C, Grade.D)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """day plus months; the 31st of a shorter month is its last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _is_worse(grade: str, than: str) -> bool:
    return grade > than  # A is the best grade, D the worst


def latest_year(facility_id: int) -> int | None:
    """The facility's latest rated year (one indexed read)."""
    return CreditRating.objects.filter(facility_id=facility_id).aggregate(y=Max("year"))["y"]


def _refuse_unless_latest(rating: CreditRating, field: str) -> None:
    latest = latest_year(rating.facility_id)
    if latest is not None and latest != rating.year:
        raise refuse(
            field,
            _("只能调整该机构最近年度（%(latest)s年度）的信用评价。") % {"latest": latest},
        )


def _kept_score(rating: CreditRating, grade: str):
    """The score the rating keeps under grade: an evaluation's score stays whatever its grade (it
    is by that cycle's indicator system); a score entered by hand that no longer fits the
    default band of the new grade is cleared (UNSET: kept as it is)."""
    if rating.assessment_id is not None or score_fits_grade(grade, rating.score):
        return UNSET
    return None


def _write_grade(
    rating: CreditRating,
    *,
    to_grade: str,
    reason: str,
    user: User,
    kind: str,
    inspection: Inspection | None = None,
    expected_version: int | None = None,
    confirm_downgrade: bool = False,
    repaired: bool = False,
) -> RatingChange:
    """services.ratings.set_grade's write for an existing rating, with the change's kind and
    inspection: the facility's row lock first, then the rating's; grade_problems; one rating
    save and one RatingChange, both with history. Runs inside the caller's transaction."""
    Facility.objects.select_for_update().only("pk").get(pk=rating.facility_id)
    locked = CreditRating.objects.select_for_update().get(pk=rating.pk)
    check_version(locked, expected_version)
    score = _kept_score(locked, to_grade)
    refuse_problems(
        grade_problems(
            year=None,
            grade=to_grade,
            reason=reason,
            current=locked,
            # The score left is checked by _kept_score (an evaluation's is not by the bands).
            score=None,
            confirm_downgrade=confirm_downgrade,
        )
    )
    if locked.grade == to_grade:
        raise refuse(
            "to_grade",
            _("%(year)s年度已是%(grade)s级，无需调整。") % {"year": locked.year, "grade": to_grade},
        )
    from_grade = locked.grade
    locked.grade = to_grade
    if score is None:
        locked.score = None
    if repaired:
        locked.repaired = True
    save_with_history(locked, user, reason)
    change = RatingChange(
        rating=locked,
        from_grade=from_grade,
        to_grade=to_grade,
        reason=reason,
        changed_by=user,
        kind=kind,
        inspection=inspection,
    )
    save_with_history(change, user, reason)
    rating.refresh_from_db()
    return change


# --- Dynamic adjustment (动态调整) ---------------------------------------------------------------


def adjustment_inspections(rating: CreditRating):
    """The inspections an adjustment of rating may rest on: completed inspections of its
    facility, ended after the rating's year, that found at least one violation (newest first)."""
    return (
        Inspection.objects.filter(
            facility_id=rating.facility_id,
            status=InspectionStatus.COMPLETED,
            end_date__gt=datetime.date(rating.year, 12, 31),
            violations__isnull=False,
        )
        .distinct()
        .order_by("-end_date", "-id")
    )


def _inspection_problem(rating: CreditRating, inspection: Inspection) -> str | None:
    if inspection.facility_id != rating.facility_id:
        return _("所选检查不是该机构的检查。")
    if inspection.status != InspectionStatus.COMPLETED or inspection.end_date is None:
        return _("所选检查尚未完成：动态调整须依据已完成的检查。")
    if inspection.end_date.year <= rating.year:
        return _("所选检查结束于%(year)s年度内或之前：动态调整须依据评价年度之后发现的违规。") % {
            "year": rating.year
        }
    if not inspection.violations.exists():
        return _("所选检查未发现违规，不能作为动态调整的依据。")
    return None


@transaction.atomic
def adjust_grade(
    rating: CreditRating,
    *,
    to_grade: str,
    inspection: Inspection,
    reason: str,
    user: User,
    expected_version: int | None = None,
    confirm_downgrade: bool = False,
) -> RatingChange:
    """Lower a facility's grade during the year after it was rated, after a serious violation
    found by `inspection` (a completed inspection of the same facility, ended after the rating's
    year, with at least one violation). Writes RatingChange kind "adjustment" with the
    inspection; the rating's score stays (see _kept_score). Only the facility's latest rating,
    and only downwards; a move to D must be confirmed."""
    if to_grade not in Grade.values:
        raise refuse("to_grade", _("信用等级只能是A、B、C或D。"))
    problem = reason_problem(reason)
    if problem:
        raise refuse("reason", problem)
    problem = _inspection_problem(rating, inspection)
    if problem:
        raise refuse("inspection", problem)
    _refuse_unless_latest(rating, "to_grade")
    if not _is_worse(to_grade, rating.grade):
        raise refuse(
            "to_grade",
            _("动态调整只能降低等级：当前为%(grade)s级。") % {"grade": rating.grade},
        )
    return _write_grade(
        rating,
        to_grade=to_grade,
        reason=reason.strip(),
        user=user,
        kind=RatingChangeKind.ADJUSTMENT,
        inspection=inspection,
        expected_version=expected_version,
        confirm_downgrade=confirm_downgrade,
    )


# --- Credit repair (信用修复) --------------------------------------------------------------------


def repair_eligible_from(rating: CreditRating) -> datetime.date:
    """The first day a C or D grade may apply for repair: CREDIT_REPAIR_WAIT_MONTHS_C or _D
    months after the later of the rating's date (rated_on; 1 January after its year when it has
    none) and its latest change to C or D. Queries the rating's changes."""
    start = rating.rated_on or datetime.date(rating.year + 1, 1, 1)
    adverse = (
        RatingChange.objects.filter(rating=rating, to_grade__in=ADVERSE_GRADES)
        .order_by("-changed_at")
        .values_list("changed_at", flat=True)
        .first()
    )
    if adverse is not None:
        start = max(start, timezone.localdate(adverse))
    months = (
        settings.CREDIT_REPAIR_WAIT_MONTHS_D
        if rating.grade == Grade.D
        else settings.CREDIT_REPAIR_WAIT_MONTHS_C
    )
    return add_months(start, months)


def repair_problems(rating: CreditRating, applied_on: datetime.date | None = None) -> dict:
    """Why rating may not apply for repair now (on applied_on, default today), by field; empty
    when it may. Queries the rating's changes and pending applications."""
    if rating.grade not in REPAIRED_GRADE:
        message = _("只有C级、D级可以申请信用修复（当前为%(grade)s级）。")
        return {"rating": message % {"grade": rating.grade}}
    latest = latest_year(rating.facility_id)
    if latest is not None and latest != rating.year:
        return {
            "rating": _("只能对该机构最近年度（%(latest)s年度）的信用评价申请修复。")
            % {"latest": latest}
        }
    if CreditRepair.objects.filter(rating=rating, status=RepairStatus.PENDING).exists():
        return {"rating": _("该评价已有待审核的信用修复申请，请先作出决定。")}
    today = timezone.localdate()
    applied_on = applied_on or today
    if applied_on > today:
        return {"applied_on": _("申请日期不能晚于今天。")}
    eligible = repair_eligible_from(rating)
    if applied_on < eligible:
        return {
            "applied_on": _("整改后等待期未满：%(date)s起方可申请信用修复。")
            % {"date": eligible.isoformat()}
        }
    return {}


@transaction.atomic
def apply_for_repair(
    rating: CreditRating, *, applied_on: datetime.date, rectification: str, user: User
) -> CreditRepair:
    """Register an application for credit repair of a C or D grade: the facility's latest
    rating, after the waiting period (repair_eligible_from), not dated in the future, one
    pending application at a time."""
    text = required_text(rectification, "rectification", _("请填写整改情况。"))
    if len(text) > SUMMARY_LENGTH:
        raise refuse(
            "rectification",
            _("整改情况最多%(limit)d个字符（当前%(count)d个）。")
            % {"limit": SUMMARY_LENGTH, "count": len(text)},
        )
    # The facility's lock serialises two applications for one rating.
    Facility.objects.select_for_update().only("pk").get(pk=rating.facility_id)
    rating = CreditRating.objects.get(pk=rating.pk)
    refuse_problems(repair_problems(rating, applied_on))
    repair = CreditRepair(
        rating=rating,
        applied_on=applied_on,
        rectification=text,
        eligible_from=repair_eligible_from(rating),
        from_grade=rating.grade,
        recorded_by=user,
    )
    save_with_history(repair, user, reasons.system(REPAIR_APPLIED))
    return repair


def _decision_problems(
    repair: CreditRepair, *, approve: bool, decision: str, decided_on: datetime.date
) -> dict[str, str]:
    problems: dict[str, str] = {}
    message = reason_problem(decision)
    if message:
        problems["decision"] = message
    elif approve and len(decision.strip()) > REASON_LENGTH:
        # An approval's decision is also the reason of the grade change it writes.
        problems["decision"] = _("准予修复的审核意见最多%(limit)d个字符（当前%(count)d个）。") % {
            "limit": REASON_LENGTH,
            "count": len(decision.strip()),
        }
    if decided_on > timezone.localdate():
        problems["decided_on"] = _("决定日期不能晚于今天。")
    elif decided_on < repair.applied_on:
        problems["decided_on"] = _("决定日期不能早于申请日期（%(date)s）。") % {
            "date": repair.applied_on.isoformat()
        }
    return problems


@transaction.atomic
def decide_repair(
    repair: CreditRepair,
    *,
    approve: bool,
    decision: str,
    user: User,
    decided_on: datetime.date | None = None,
    expected_version: int | None = None,
) -> CreditRepair:
    """Decide a pending application. Approved: the grade goes up one step (D → C, C → B) with a
    RatingChange kind "repair" whose reason is the decision, and the rating is marked repaired;
    refused: the reason is kept. The rating must still have the grade the application was made
    for."""
    decided_on = decided_on or timezone.localdate()
    Facility.objects.select_for_update().only("pk").get(pk=repair.rating.facility_id)
    locked = CreditRepair.objects.select_for_update().get(pk=repair.pk)
    check_version(locked, expected_version)
    if locked.status != RepairStatus.PENDING:
        raise refuse(
            "status",
            _("该申请已作出决定（%(status)s）。") % {"status": locked.get_status_display()},
        )
    refuse_problems(
        _decision_problems(locked, approve=approve, decision=decision, decided_on=decided_on)
    )
    decision = decision.strip()
    if approve:
        _approve(locked, decision, user)
    locked.status = RepairStatus.APPROVED if approve else RepairStatus.REJECTED
    locked.decision = decision
    locked.decided_on = decided_on
    locked.decided_by = user
    save_with_history(locked, user, reasons.system(REPAIR_APPROVED if approve else REPAIR_REJECTED))
    return locked


def _approve(repair: CreditRepair, decision: str, user: User) -> None:
    rating = CreditRating.objects.get(pk=repair.rating_id)
    if rating.grade != repair.from_grade:
        raise refuse(
            "status",
            _("申请后等级已变为%(grade)s级，请驳回本申请，重新申请。") % {"grade": rating.grade},
        )
    repair.to_grade = REPAIRED_GRADE[Grade(repair.from_grade)]
    _write_grade(
        rating,
        to_grade=repair.to_grade,
        reason=decision,
        user=user,
        kind=RatingChangeKind.REPAIR,
        repaired=True,
    )
