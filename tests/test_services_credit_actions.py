"""Between cycles: the dynamic adjustment of a grade after a serious violation (动态调整) and
credit repair (信用修复): waiting period, application, decision, the repaired grade."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from supervision.choices import (
    Grade,
    InspectionStatus,
    RatingChangeKind,
    RepairStatus,
    Violation,
)
from supervision.models import CreditRating, CreditRepair, RatingChange
from supervision.models.base import StaleEdit
from supervision.services.credit_actions import (
    add_months,
    adjust_grade,
    adjustment_inspections,
    apply_for_repair,
    decide_repair,
    repair_eligible_from,
)
from tests.dbstate import snapshot
from tests.factories import (
    AssessmentFactory,
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    RatingChangeFactory,
    UserDistrictFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
REASON = "飞行检查发现虚构医疗服务，动态调整"
RECTIFIED = "已退回违规费用，完成全员培训并更换信息系统。"


def today() -> datetime.date:
    return timezone.localdate()


def last_year() -> int:
    return today().year - 1


def rating_of(grade: str, *, year: int | None = None, **kwargs) -> CreditRating:
    year = year or last_year()
    kwargs.setdefault("rated_on", D(year + 1, 1, 10))
    return CreditRatingFactory(year=year, grade=grade, **kwargs)


def serious_inspection(rating: CreditRating, *, end: datetime.date | None = None, **kwargs):
    end = end or D(rating.year + 1, 1, 20)
    inspection = InspectionFactory(
        facility=rating.facility,
        status=InspectionStatus.COMPLETED,
        start_date=end,
        end_date=end,
        **kwargs,
    )
    inspection.violations.set([Violation.FALSE_CLAIMS])
    return inspection


# --- dynamic adjustment ---------------------------------------------------------------------------


def test_an_adjustment_lowers_the_grade_with_its_inspection_and_reason(supervisor):
    rating = rating_of(Grade.B)
    inspection = serious_inspection(rating)
    change = adjust_grade(
        rating, to_grade=Grade.C, inspection=inspection, reason=REASON, user=supervisor
    )
    rating.refresh_from_db()
    assert rating.grade == Grade.C
    change.refresh_from_db()
    assert (change.kind, change.inspection, change.from_grade, change.to_grade) == (
        RatingChangeKind.ADJUSTMENT,
        inspection,
        Grade.B,
        Grade.C,
    )
    assert (change.reason, change.changed_by) == (REASON, supervisor)
    history = rating.history.first()
    assert (history.history_user, history.history_change_reason) == (supervisor, REASON)


def test_an_evaluations_score_stays_whatever_the_new_grade(supervisor):
    rating = rating_of(Grade.B, score=Decimal("820.00"))
    rating.assessment = AssessmentFactory(facility=rating.facility)
    rating.save()
    adjust_grade(
        rating,
        to_grade=Grade.C,
        inspection=serious_inspection(rating),
        reason=REASON,
        user=supervisor,
    )
    rating.refresh_from_db()
    assert (rating.grade, rating.score) == (Grade.C, Decimal("820.00"))


def test_a_score_typed_by_hand_is_cleared_as_it_leaves_its_band(supervisor):
    # The default bands do not overlap: a hand-entered score never fits the new grade.
    rating = rating_of(Grade.A, score=Decimal("950.00"))
    adjust_grade(
        rating,
        to_grade=Grade.B,
        inspection=serious_inspection(rating),
        reason=REASON,
        user=supervisor,
    )
    rating.refresh_from_db()
    assert (rating.grade, rating.score) == (Grade.B, None)


def test_a_move_to_d_must_be_confirmed(supervisor):
    rating = rating_of(Grade.C)
    inspection = serious_inspection(rating)
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        adjust_grade(
            rating, to_grade=Grade.D, inspection=inspection, reason=REASON, user=supervisor
        )
    assert list(exc.value.message_dict) == ["confirm_downgrade"]
    assert snapshot() == before
    adjust_grade(
        rating,
        to_grade=Grade.D,
        inspection=inspection,
        reason=REASON,
        user=supervisor,
        confirm_downgrade=True,
    )
    assert CreditRating.objects.get(pk=rating.pk).grade == Grade.D


@pytest.mark.parametrize(
    ("setup", "field"),
    [
        ("no_violation", "inspection"),
        ("not_completed", "inspection"),
        ("same_year", "inspection"),
        ("other_facility", "inspection"),
        ("upwards", "to_grade"),
        ("same_grade", "to_grade"),
        ("older_rating", "to_grade"),
        ("bad_grade", "to_grade"),
        ("empty_reason", "reason"),
        ("thin_reason", "reason"),
    ],
)
def test_an_adjustment_that_breaks_a_rule_is_refused_and_writes_nothing(supervisor, setup, field):
    rating = rating_of(Grade.B)
    inspection = serious_inspection(rating)
    to_grade, reason = Grade.C, REASON
    if setup == "no_violation":
        inspection.violations.clear()
    elif setup == "not_completed":
        type(inspection).objects.filter(pk=inspection.pk).update(
            status=InspectionStatus.IN_PROGRESS
        )
        inspection.refresh_from_db()
    elif setup == "same_year":
        type(inspection).objects.filter(pk=inspection.pk).update(
            start_date=D(rating.year, 6, 1), end_date=D(rating.year, 12, 31)
        )
        inspection.refresh_from_db()
    elif setup == "other_facility":
        inspection = serious_inspection(rating_of(Grade.B))
    elif setup == "upwards":
        to_grade = Grade.A
    elif setup == "same_grade":
        to_grade = Grade.B
    elif setup == "older_rating":
        CreditRatingFactory(facility=rating.facility, year=rating.year - 1, grade=Grade.B)
        rating = CreditRating.objects.get(facility=rating.facility, year=rating.year - 1)
    elif setup == "bad_grade":
        to_grade = "E"
    elif setup == "empty_reason":
        reason = "  "
    elif setup == "thin_reason":
        reason = "调整"
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        adjust_grade(
            rating, to_grade=to_grade, inspection=inspection, reason=reason, user=supervisor
        )
    assert list(exc.value.message_dict) == [field]
    assert snapshot() == before


def test_an_adjustment_on_a_stale_version_is_refused(supervisor):
    rating = rating_of(Grade.B)
    inspection = serious_inspection(rating)
    with pytest.raises(StaleEdit):
        adjust_grade(
            rating,
            to_grade=Grade.C,
            inspection=inspection,
            reason=REASON,
            user=supervisor,
            expected_version=rating.version + 1,
        )
    assert CreditRating.objects.get(pk=rating.pk).grade == Grade.B


def test_an_adjustment_outside_the_users_districts_is_refused(supervisor):
    from django.core.exceptions import PermissionDenied

    from supervision.choices import District

    UserDistrictFactory(user=supervisor, district=District.DAMXUNG)
    rating = rating_of(Grade.B)
    inspection = serious_inspection(rating)
    with pytest.raises(PermissionDenied):
        adjust_grade(
            rating, to_grade=Grade.C, inspection=inspection, reason=REASON, user=supervisor
        )
    assert not RatingChange.objects.exists()


def test_the_inspections_offered_are_completed_later_and_with_violations():
    rating = rating_of(Grade.B)
    good = serious_inspection(rating)
    serious_inspection(rating, end=D(rating.year, 12, 1))
    clean = serious_inspection(rating)
    clean.violations.clear()
    InspectionFactory(facility=rating.facility, start_date=D(rating.year + 1, 2, 1))
    assert list(adjustment_inspections(rating)) == [good]


# --- repair: waiting period -----------------------------------------------------------------------


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert add_months(D(2025, 11, 15), 3) == D(2026, 2, 15)
    assert add_months(D(2024, 8, 31), 6) == D(2025, 2, 28)


def test_the_waiting_period_runs_from_the_rating_by_grade(settings):
    settings.CREDIT_REPAIR_WAIT_MONTHS_C = 3
    settings.CREDIT_REPAIR_WAIT_MONTHS_D = 6
    assert repair_eligible_from(rating_of(Grade.C, year=2024, rated_on=D(2025, 2, 10))) == D(
        2025, 5, 10
    )
    assert repair_eligible_from(rating_of(Grade.D, year=2024, rated_on=D(2025, 2, 10))) == D(
        2025, 8, 10
    )
    assert repair_eligible_from(rating_of(Grade.C, year=2024, rated_on=None)) == D(2025, 4, 1)


def test_the_waiting_period_runs_from_the_latest_adverse_change(settings):
    settings.CREDIT_REPAIR_WAIT_MONTHS_D = 6
    rating = rating_of(Grade.D, year=2024, rated_on=D(2025, 2, 10))
    moment = timezone.make_aware(datetime.datetime(2025, 7, 1, 10))
    RatingChangeFactory(rating=rating, from_grade=Grade.C, to_grade=Grade.D, changed_at=moment)
    RatingChangeFactory(
        rating=rating,
        from_grade=Grade.B,
        to_grade=Grade.A,
        changed_at=moment + datetime.timedelta(days=30),
    )
    assert repair_eligible_from(rating) == D(2026, 1, 1)


# --- repair: application --------------------------------------------------------------------------


def eligible_rating(grade: str = Grade.D) -> CreditRating:
    """A rating old enough to apply today."""
    year = today().year - 2
    return rating_of(grade, year=year, rated_on=D(year + 1, 1, 10))


def test_an_application_records_the_grade_and_the_waiting_period(supervisor):
    rating = eligible_rating()
    repair = apply_for_repair(
        rating, applied_on=today(), rectification=f"  {RECTIFIED} ", user=supervisor
    )
    repair.refresh_from_db()
    assert (repair.status, repair.from_grade, repair.rectification) == (
        RepairStatus.PENDING,
        Grade.D,
        RECTIFIED,
    )
    assert repair.eligible_from == repair_eligible_from(rating)
    assert repair.recorded_by == supervisor
    assert repair.history.get().history_change_reason == "申请信用修复"


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("grade_b", "rating"),
        ("pending", "rating"),
        ("waiting", "applied_on"),
        ("future", "applied_on"),
        ("no_rectification", "rectification"),
        ("long_rectification", "rectification"),
        ("older_rating", "rating"),
    ],
)
def test_an_application_that_breaks_a_rule_is_refused(supervisor, case, field):
    rating = eligible_rating()
    applied_on, text = today(), RECTIFIED
    if case == "grade_b":
        rating = eligible_rating(Grade.B)
    elif case == "pending":
        apply_for_repair(rating, applied_on=today(), rectification=RECTIFIED, user=supervisor)
    elif case == "waiting":
        rating = rating_of(Grade.D, rated_on=today())
    elif case == "future":
        applied_on = today() + datetime.timedelta(days=1)
    elif case == "no_rectification":
        text = " \n "
    elif case == "long_rectification":
        text = "整" * 2001
    elif case == "older_rating":
        CreditRatingFactory(facility=rating.facility, year=rating.year + 1, grade=Grade.D)
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        apply_for_repair(rating, applied_on=applied_on, rectification=text, user=supervisor)
    assert list(exc.value.message_dict) == [field]
    assert snapshot() == before


# --- repair: decision -----------------------------------------------------------------------------


def pending_repair(user, grade: str = Grade.D) -> CreditRepair:
    return apply_for_repair(
        eligible_rating(grade), applied_on=today(), rectification=RECTIFIED, user=user
    )


@pytest.mark.parametrize(("grade", "repaired"), [(Grade.D, Grade.C), (Grade.C, Grade.B)])
def test_an_approval_raises_the_grade_by_one_and_marks_it_repaired(supervisor, grade, repaired):
    repair = pending_repair(supervisor, grade)
    decided = decide_repair(repair, approve=True, decision="整改到位，准予修复。", user=supervisor)
    rating = CreditRating.objects.get(pk=repair.rating_id)
    assert (rating.grade, rating.repaired) == (repaired, True)
    assert (decided.status, decided.to_grade, decided.decided_on) == (
        RepairStatus.APPROVED,
        repaired,
        today(),
    )
    change = RatingChange.objects.get(rating=rating)
    assert (change.kind, change.from_grade, change.to_grade, change.reason) == (
        RatingChangeKind.REPAIR,
        grade,
        repaired,
        "整改到位，准予修复。",
    )
    assert repair.history.first().history_change_reason == "准予信用修复"


def test_a_rejection_keeps_the_grade_and_the_reason(supervisor):
    repair = pending_repair(supervisor)
    decided = decide_repair(
        repair,
        approve=False,
        decision="整改材料不全，不予修复。",
        user=supervisor,
        decided_on=today(),
    )
    rating = CreditRating.objects.get(pk=repair.rating_id)
    assert (rating.grade, rating.repaired) == (Grade.D, False)
    assert (decided.status, decided.decision, decided.to_grade) == (
        RepairStatus.REJECTED,
        "整改材料不全，不予修复。",
        "",
    )
    assert not RatingChange.objects.filter(rating=rating).exists()
    # Another application may follow.
    again = apply_for_repair(rating, applied_on=today(), rectification=RECTIFIED, user=supervisor)
    assert again.status == RepairStatus.PENDING


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("decided", "status"),
        ("thin_decision", "decision"),
        ("future", "decided_on"),
        ("before_application", "decided_on"),
        ("grade_changed", "status"),
        ("long_approval", "decision"),
    ],
)
def test_a_decision_that_breaks_a_rule_is_refused(supervisor, case, field):
    repair = pending_repair(supervisor)
    approve, decision, on = True, "整改到位，准予修复。", today()
    if case == "decided":
        decide_repair(repair, approve=False, decision="材料不全，不予修复。", user=supervisor)
        repair.refresh_from_db()
    elif case == "thin_decision":
        decision = "同意"
    elif case == "future":
        on = today() + datetime.timedelta(days=1)
    elif case == "before_application":
        on = repair.applied_on - datetime.timedelta(days=1)
    elif case == "grade_changed":
        CreditRating.objects.filter(pk=repair.rating_id).update(grade=Grade.C)
    elif case == "long_approval":
        decision = "准" * 1001
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        decide_repair(repair, approve=approve, decision=decision, user=supervisor, decided_on=on)
    assert list(exc.value.message_dict) == [field]
    assert snapshot() == before


def test_a_decision_on_a_stale_version_is_refused(supervisor):
    repair = pending_repair(supervisor)
    with pytest.raises(StaleEdit):
        decide_repair(
            repair,
            approve=True,
            decision="整改到位，准予修复。",
            user=supervisor,
            expected_version=repair.version + 1,
        )
    assert CreditRepair.objects.get(pk=repair.pk).status == RepairStatus.PENDING


def test_a_repaired_rating_keeps_an_evaluations_score(supervisor):
    repair = pending_repair(supervisor)
    CreditRating.objects.filter(pk=repair.rating_id).update(score=Decimal("560.00"))
    decide_repair(repair, approve=True, decision="整改到位，准予修复。", user=supervisor)
    rating = CreditRating.objects.get(pk=repair.rating_id)
    # 560 is not a C score by the default bands, and this rating has no evaluation behind it.
    assert (rating.grade, rating.score) == (Grade.C, None)


def test_other_facilities_are_untouched(supervisor):
    other = FacilityFactory()
    CreditRatingFactory(facility=other, year=last_year(), grade=Grade.D)
    repair = pending_repair(supervisor)
    decide_repair(repair, approve=True, decision="整改到位，准予修复。", user=supervisor)
    assert CreditRating.objects.get(facility=other).grade == Grade.D
