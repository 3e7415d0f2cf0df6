"""The annual credit evaluation, step by step, on the service layer (both databases)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from supervision.choices import (
    Agency,
    CreditCategoryCode,
    CycleStatus,
    Grade,
    IndicatorMethod,
    InspectionStatus,
    ObjectionStatus,
    RatingChangeKind,
    SanctionKind,
    Violation,
)
from supervision.models import (
    Assessment,
    AssessmentItem,
    CreditRating,
    EvaluationCycle,
    Indicator,
    RatingChange,
    ViolationCategory,
)
from supervision.models.credit import SystemFrozen
from supervision.services import evaluation
from supervision.workdays import Calendar
from tests.credit_support import build_system
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    ReferralFactory,
    SanctionFactory,
    UserDistrictFactory,
)

D = datetime.date
MEDICAL = CreditCategoryCode.MEDICAL_INSTITUTION
pytestmark = pytest.mark.django_db


def violations(*codes: str) -> list[ViolationCategory]:
    return [ViolationCategory.objects.get_or_create(code=code)[0] for code in codes]


def completed(facility, end: datetime.date, found=(), recovered="0"):
    inspection = InspectionFactory(
        facility=facility,
        status=InspectionStatus.COMPLETED,
        start_date=end - datetime.timedelta(days=2),
        end_date=end,
        amount_involved=Decimal(recovered),
        amount_recovered=Decimal(recovered),
    )
    inspection.violations.set(violations(*found))
    return inspection


def opened(supervisor, **kwargs):
    build_system(**kwargs)
    return evaluation.open_cycle(
        category=kwargs.get("category", MEDICAL),
        year=kwargs.get("year", 2024),
        user=supervisor,
        opened_on=D(2025, 1, 6),
        self_assessment_due=D(2025, 1, 24),
    )


def item(assessment, code):
    return AssessmentItem.objects.filter(assessment=assessment, indicator__code=code).first()


def stored_figures_match_a_recount(cycle):
    cycle.refresh_from_db()
    recount = evaluation.count_figures(cycle)
    assert cycle.figures == recount, (cycle.figures, recount)


# --- Opening -----------------------------------------------------------------------------------


def test_opening_puts_every_facility_of_the_category_in_and_freezes_the_system(supervisor):
    hospital, clinic = FacilityFactory(), FacilityFactory(clinic=True)
    FacilityFactory(pharmacy=True)
    cycle = opened(supervisor)
    subjects = set(cycle.assessments.values_list("facility_id", flat=True))
    assert subjects == {hospital.pk, clinic.pk}
    assert cycle.subject_count == 2
    assert cycle.system.frozen_at is not None
    assert cycle.status == CycleStatus.SELF_ASSESSMENT
    assert cycle.history.count() == 1
    stored_figures_match_a_recount(cycle)


def test_an_indicator_system_cannot_change_once_its_evaluation_started(supervisor):
    FacilityFactory()
    cycle = opened(supervisor)
    indicator = Indicator.objects.filter(system=cycle.system).first()
    indicator.full_points = 1
    with pytest.raises(SystemFrozen):
        indicator.save()
    with pytest.raises(SystemFrozen):
        indicator.delete()
    system = cycle.system
    system.threshold_a = 950
    with pytest.raises(SystemFrozen):
        system.save()
    indicator.refresh_from_db()
    assert indicator.full_points != 1


def test_a_year_that_has_not_ended_cannot_be_evaluated(supervisor):
    build_system(year=2026)
    with pytest.raises(ValidationError) as refused:
        evaluation.open_cycle(
            category=MEDICAL,
            year=2026,
            user=supervisor,
            opened_on=D(2026, 3, 1),
            self_assessment_due=D(2026, 3, 20),
        )
    assert "year" in refused.value.message_dict
    assert not EvaluationCycle.objects.exists()


def test_a_system_whose_dimensions_do_not_add_up_to_1000_is_refused(supervisor):
    system = build_system()
    system.dimensions.filter(name="社会评价").update(full_points=150)
    with pytest.raises(ValidationError, match="1000"):
        evaluation.open_cycle(
            category=MEDICAL,
            year=2024,
            user=supervisor,
            opened_on=D(2025, 1, 6),
            self_assessment_due=D(2025, 1, 24),
        )
    system.refresh_from_db()
    assert system.frozen_at is None


def test_a_second_cycle_for_the_same_year_and_category_is_refused(supervisor):
    FacilityFactory()
    opened(supervisor)
    with pytest.raises(ValidationError):
        evaluation.open_cycle(
            category=MEDICAL,
            year=2024,
            user=supervisor,
            opened_on=D(2025, 1, 6),
            self_assessment_due=D(2025, 1, 24),
        )


def test_a_supervisor_limited_to_a_district_cannot_open_a_cycle(supervisor):
    UserDistrictFactory(user=supervisor)
    build_system()
    with pytest.raises(ValidationError):
        evaluation.open_cycle(
            category=MEDICAL,
            year=2024,
            user=supervisor,
            opened_on=D(2025, 1, 6),
            self_assessment_due=D(2025, 1, 24),
        )


def test_copying_a_system_makes_next_years_editable_copy(supervisor):
    FacilityFactory()
    cycle = opened(supervisor)
    copy = evaluation.copy_system(cycle.system, year=2025, user=supervisor)
    assert copy.frozen_at is None and copy.copied_from == cycle.system
    assert copy.indicators.count() == cycle.system.indicators.count()
    assert evaluation.system_problems(copy) == []
    one = copy.indicators.get(code="2.1")
    one.points_per_unit = Decimal("60")
    one.save()  # the copy is not frozen


# --- Scoring -----------------------------------------------------------------------------------


def test_scoring_deducts_the_years_facts_and_ignores_other_years(supervisor):
    facility = FacilityFactory()
    completed(facility, D(2024, 6, 5), [Violation.OVERCHARGING, Violation.SUBSTITUTION], "25000")
    completed(facility, D(2025, 2, 1), [Violation.FALSE_CLAIMS])  # a fact of 2025
    SanctionFactory(
        facility=facility,
        kind=SanctionKind.SUSPENSION,
        decided_on=D(2024, 7, 1),
        starts_on=D(2024, 7, 10),
        ends_on=D(2024, 8, 9),
    )
    cycle = opened(supervisor)
    evaluation.score_cycle(cycle, user=supervisor)
    assessment = cycle.assessments.get()
    assert item(assessment, "2.1").points == Decimal("100.00")
    assert item(assessment, "2.1").facts == 2
    assert item(assessment, "2.2").points == Decimal("100.00")
    assert item(assessment, "2.3").points == Decimal("25.00")
    assert assessment.score == Decimal("775.00")
    assert assessment.grade == Grade.B
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.SCORING
    stored_figures_match_a_recount(cycle)


def test_a_deduction_stops_at_the_indicators_full_points(supervisor):
    facility = FacilityFactory()
    for month in range(1, 5):
        completed(facility, D(2024, month, 20), [Violation.OVERCHARGING, Violation.SUBSTITUTION])
    cycle = opened(supervisor)
    evaluation.score_cycle(cycle, user=supervisor)
    assert item(cycle.assessments.get(), "2.1").points == Decimal("300.00")


def test_a_police_referral_for_forged_delivery_notes_vetoes_the_grade_to_d(supervisor):
    facility = FacilityFactory()
    inspection = completed(facility, D(2024, 5, 10), [Violation.FORGED_DELIVERY_NOTES])
    ReferralFactory(inspection=inspection, agency=Agency.POLICE, referred_on=D(2024, 5, 20))
    clean = FacilityFactory()
    cycle = opened(supervisor)
    evaluation.score_cycle(cycle, user=supervisor)
    vetoed = cycle.assessments.get(facility=facility)
    assert vetoed.vetoed and vetoed.grade == Grade.D
    assert vetoed.score == Decimal("950.00")  # the score stays; the veto sets the grade
    assert cycle.assessments.get(facility=clean).grade == Grade.A
    facts = evaluation.facts_behind(vetoed, Indicator.objects.get(system=cycle.system, code="V1"))
    assert list(facts.values_list("inspection", flat=True)) == [inspection.pk]


def test_a_referral_to_another_agency_is_no_veto(supervisor):
    facility = FacilityFactory()
    inspection = completed(facility, D(2024, 5, 10), [Violation.FORGED_DELIVERY_NOTES])
    ReferralFactory(inspection=inspection, agency=Agency.MARKET, referred_on=D(2024, 5, 20))
    cycle = opened(supervisor)
    evaluation.score_cycle(cycle, user=supervisor)
    assert not cycle.assessments.get().vetoed


def test_rescoring_keeps_the_evaluators_items_and_rewrites_the_automatic_ones(
    supervisor, evaluator
):
    facility = FacilityFactory()
    cycle = opened(supervisor)
    evaluation.score_cycle(cycle, user=supervisor)
    assessment = cycle.assessments.get()
    manual = Indicator.objects.get(system=cycle.system, code="1.1")
    evaluation.score_indicator(
        assessment, indicator=manual, points="40", note="制度不全", user=evaluator
    )
    completed(facility, D(2024, 9, 1), [Violation.OVERCHARGING])
    evaluation.score_cycle(cycle, user=supervisor)
    assessment.refresh_from_db()
    assert item(assessment, "1.1").points == Decimal("40.00")
    assert item(assessment, "2.1").points == Decimal("50.00")
    assert assessment.score == Decimal("910.00")
    assert evaluation.rescore(cycle)[assessment.pk] == (Decimal("910.00"), Grade.A, False)


def test_scoring_takes_a_constant_number_of_queries(supervisor, django_assert_max_num_queries):
    facilities = FacilityFactory.create_batch(3)
    cycle = opened(supervisor)
    with django_assert_max_num_queries(40) as few:
        evaluation.score_cycle(cycle, user=supervisor)
    for facility in [*facilities, *FacilityFactory.create_batch(20)]:
        completed(facility, D(2024, 6, 1), [Violation.OVERCHARGING])
    EvaluationCycle.objects.filter(pk=cycle.pk).update(status=CycleStatus.SCORING)
    Assessment.objects.bulk_create([])
    with django_assert_max_num_queries(len(few.captured_queries) + 4):
        evaluation.score_cycle(cycle, user=supervisor)


# --- Manual scores and review --------------------------------------------------------------------


def test_manual_points_out_of_range_or_not_numbers_are_refused_and_change_nothing(
    supervisor, evaluator
):
    FacilityFactory()
    cycle = opened(supervisor)
    evaluation.score_cycle(cycle, user=supervisor)
    assessment = cycle.assessments.get()
    manual = Indicator.objects.get(system=cycle.system, code="1.1")
    for bad in ["301", "-1", "abc", "NaN", "Infinity", "1e400", None, ""]:
        with pytest.raises(ValidationError):
            evaluation.score_indicator(
                assessment, indicator=manual, points=bad, note="", user=evaluator
            )
    automatic = Indicator.objects.get(system=cycle.system, code="2.1")
    with pytest.raises(ValidationError):
        evaluation.score_indicator(
            assessment, indicator=automatic, points="10", note="", user=evaluator
        )
    assert not AssessmentItem.objects.exists()
    assessment.refresh_from_db()
    assert assessment.score == Decimal("1000.00")


def test_a_change_in_review_needs_a_reason(supervisor, evaluator):
    FacilityFactory()
    cycle = opened(supervisor)
    evaluation.score_cycle(cycle, user=supervisor)
    evaluation.complete_initial_scoring(cycle, user=supervisor, on=D(2025, 2, 10))
    assessment = cycle.assessments.get()
    manual = Indicator.objects.get(system=cycle.system, code="1.1")
    with pytest.raises(ValidationError) as refused:
        evaluation.score_indicator(
            assessment, indicator=manual, points="120", note="", user=supervisor, reason="改"
        )
    assert "reason" in refused.value.message_dict
    evaluation.score_indicator(
        assessment,
        indicator=manual,
        points="120",
        note="复核发现制度缺失",
        user=supervisor,
        reason="复核发现内部管理制度缺失三项",
    )
    assessment.refresh_from_db()
    assert assessment.score == Decimal("880.00") and assessment.grade == Grade.B
    stored_figures_match_a_recount(cycle)


def test_a_new_score_without_a_note_keeps_the_items_note(supervisor, evaluator):
    FacilityFactory()
    cycle = opened(supervisor)
    evaluation.score_cycle(cycle, user=supervisor)
    assessment = cycle.assessments.get()
    manual = Indicator.objects.get(system=cycle.system, code="1.1")
    evaluation.score_indicator(
        assessment, indicator=manual, points="40", note="制度不全", user=evaluator
    )
    evaluation.score_indicator(assessment, indicator=manual, points="60", note=" ", user=evaluator)
    assert item(assessment, "1.1").note == "制度不全"
    evaluation.score_indicator(
        assessment, indicator=manual, points="60", note="另缺考勤制度", user=evaluator
    )
    assert item(assessment, "1.1").note == "另缺考勤制度"


def test_a_bonus_adds_points_but_never_past_1000(supervisor, evaluator):
    FacilityFactory()
    cycle = opened(supervisor)
    evaluation.score_cycle(cycle, user=supervisor)
    assessment = cycle.assessments.get()
    bonus = Indicator.objects.get(system=cycle.system, method=IndicatorMethod.BONUS)
    evaluation.score_indicator(assessment, indicator=bonus, points="20", note="", user=evaluator)
    assessment.refresh_from_db()
    assert assessment.score == Decimal("1000.00") and assessment.bonus == Decimal("20.00")


# --- The whole cycle -----------------------------------------------------------------------------


def walk_to_publication(supervisor, evaluator):
    a, b = FacilityFactory(name="示例甲医院"), FacilityFactory(name="示例乙医院")
    old = CreditRatingFactory(facility=b, year=2024, grade=Grade.C)
    completed(a, D(2024, 6, 5), [Violation.OVERCHARGING, Violation.SUBSTITUTION])
    cycle = opened(supervisor)
    evaluation.record_self_assessment(
        cycle.assessments.get(facility=a),
        score="980",
        received_on=D(2025, 1, 20),
        note="自评",
        user=evaluator,
    )
    evaluation.score_cycle(cycle, user=supervisor)
    manual = Indicator.objects.get(system=cycle.system, code="1.1")
    evaluation.score_indicator(
        cycle.assessments.get(facility=a),
        indicator=manual,
        points="60",
        note="台账不全",
        user=evaluator,
    )
    evaluation.complete_initial_scoring(cycle, user=supervisor, on=D(2025, 2, 10))
    cycle = evaluation.publish_cycle(cycle, user=supervisor, starts_on=D(2025, 2, 17))
    return cycle, a, b, old


def test_publication_lasts_the_set_working_days(supervisor, evaluator, settings):
    cycle, *_ = walk_to_publication(supervisor, evaluator)
    expected = Calendar.load().add_workdays(D(2025, 2, 17), settings.CREDIT_PUBLICATION_WORKDAYS)
    assert cycle.publication_ends == expected == D(2025, 2, 26)
    assert set(cycle.assessments.values_list("published_grade", flat=True)) == {Grade.B, Grade.A}


def test_a_cycle_end_to_end_with_an_upheld_and_a_rejected_objection(supervisor, evaluator):
    cycle, a, b, old = walk_to_publication(supervisor, evaluator)
    first = cycle.assessments.get(facility=a)
    assert (first.score, first.grade) == (Decimal("840.00"), Grade.B)
    upheld = evaluation.record_objection(
        first, received_on=D(2025, 2, 20), grounds="整改台账已补齐，附证明", user=evaluator
    )
    assert upheld.due_on == Calendar.load().add_workdays(D(2025, 2, 20), 10)
    manual = Indicator.objects.get(system=cycle.system, code="1.1")
    evaluation.decide_objection(
        upheld,
        upheld=True,
        decision="经核实台账已补齐，调整扣分",
        user=supervisor,
        adjustments={manual.pk: "0"},
        decided_on=D(2025, 2, 25),
    )
    upheld.refresh_from_db()
    assert upheld.status == ObjectionStatus.UPHELD
    assert (upheld.grade_before, upheld.grade_after) == (Grade.B, Grade.A)
    first.refresh_from_db()
    assert first.score == Decimal("900.00") and first.grade == Grade.A

    second = cycle.assessments.get(facility=b)
    rejected = evaluation.record_objection(
        second, received_on=D(2025, 2, 21), grounds="认为应评为A级", user=evaluator
    )
    evaluation.decide_objection(
        rejected,
        upheld=False,
        decision="评分依据充分，维持原评价",
        user=supervisor,
        decided_on=D(2025, 2, 24),
    )
    second.refresh_from_db()
    assert second.grade == Grade.A  # unchanged by the rejection
    stored_figures_match_a_recount(cycle)

    evaluation.finalise_cycle(cycle, user=supervisor, on=D(2025, 2, 28))
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.FINAL and cycle.finalised_on == D(2025, 2, 28)
    rating_a = CreditRating.objects.get(facility=a, year=2024)
    assert (rating_a.grade, rating_a.score, rating_a.assessment_id) == (
        Grade.A,
        Decimal("900.00"),
        first.pk,
    )
    change = RatingChange.objects.get(rating=rating_a)
    assert (change.from_grade, change.to_grade, change.kind) == ("", Grade.A, "evaluation")
    old.refresh_from_db()
    assert old.grade == Grade.A and old.assessment_id == second.pk
    assert RatingChange.objects.get(rating=old, kind=RatingChangeKind.EVALUATION).from_grade == "C"
    assert rating_a.history.first().history_user == supervisor
    evaluation.announce_cycle(cycle, user=supervisor, on=D(2025, 3, 3))
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.ANNOUNCED
    stored_figures_match_a_recount(cycle)


def test_objections_outside_the_publication_period_are_refused(supervisor, evaluator):
    cycle, a, *_ = walk_to_publication(supervisor, evaluator)
    for day in [D(2025, 2, 14), D(2025, 2, 27)]:
        with pytest.raises(ValidationError):
            evaluation.record_objection(
                cycle.assessments.get(facility=a), received_on=day, grounds="异议", user=evaluator
            )


def test_finalising_waits_for_the_end_of_publication_and_every_objection(supervisor, evaluator):
    cycle, a, *_ = walk_to_publication(supervisor, evaluator)
    with pytest.raises(ValidationError, match="2025-02-26"):
        evaluation.finalise_cycle(cycle, user=supervisor, on=D(2025, 2, 26))
    evaluation.record_objection(
        cycle.assessments.get(facility=a),
        received_on=D(2025, 2, 25),
        grounds="异议",
        user=evaluator,
    )
    with pytest.raises(ValidationError, match="异议"):
        evaluation.finalise_cycle(cycle, user=supervisor, on=D(2025, 3, 5))
    assert not CreditRating.objects.filter(assessment__isnull=False).exists()


def test_an_interrupted_finalisation_resumes_without_writing_twice(
    supervisor, evaluator, monkeypatch
):
    cycle, *_ = walk_to_publication(supervisor, evaluator)
    FacilityFactory.create_batch(3)  # registered after opening: not in the cycle
    real = evaluation._finalise_batch
    calls = []

    def fail_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the server stopped")
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluation, "_finalise_batch", fail_on_second)
    with pytest.raises(RuntimeError):
        evaluation.finalise_cycle(cycle, user=supervisor, on=D(2025, 2, 28), batch_size=1)
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.FINALISING
    assert cycle.assessments.filter(finalised=True).count() == 1
    monkeypatch.setattr(evaluation, "_finalise_batch", real)
    assert evaluation.finalise_cycle(cycle, user=supervisor, batch_size=1) == 1
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.FINAL
    assert CreditRating.objects.filter(year=2024, assessment__cycle=cycle).count() == 2
    assert RatingChange.objects.filter(kind=RatingChangeKind.EVALUATION).count() == 2
    assert {r.rated_on for r in CreditRating.objects.filter(assessment__cycle=cycle)} == {
        D(2025, 2, 28)
    }


def test_the_final_step_writes_each_rating_its_change_and_their_history(supervisor, evaluator):
    cycle, a, b, old = walk_to_publication(supervisor, evaluator)
    same = FacilityFactory(name="示例丙医院")
    kept = CreditRatingFactory(facility=same, year=2024, grade=Grade.A)
    cycle = EvaluationCycle.objects.get(pk=cycle.pk)
    Assessment.objects.filter(cycle=cycle, facility=same).delete()  # not in the cycle: untouched
    evaluation.finalise_cycle(cycle, user=supervisor, on=D(2025, 2, 28))
    reason = "2024年度医保信用评价结果"
    for facility in (a, b):
        assessment = cycle.assessments.get(facility=facility)
        rating = CreditRating.objects.get(facility=facility, year=2024)
        assert (rating.grade, rating.score, rating.assessment, rating.rated_on) == (
            assessment.grade,
            assessment.score,
            assessment,
            D(2025, 2, 28),
        )
        assert rating.basis == (
            f"依据{cycle.system.name}评定，2024年度得分{assessment.score:.2f}分（满分1000分）。"
        )
        last = rating.history.first()
        assert (last.history_user, last.history_change_reason) == (supervisor, reason)
        assert (last.grade, last.score, last.version) == (
            rating.grade,
            rating.score,
            rating.version,
        )
        change = RatingChange.objects.get(rating=rating, kind=RatingChangeKind.EVALUATION)
        assert change.to_grade == assessment.grade
        assert (change.changed_by, change.reason) == (supervisor, reason)
        assert change.history.get().history_user == supervisor
    new = CreditRating.objects.get(facility=a, year=2024)
    assert (new.history.get().history_type, new.version) == ("+", 1)
    assert RatingChange.objects.get(rating=new).from_grade == ""
    updated = CreditRating.objects.get(pk=old.pk)
    assert (updated.version, updated.history.first().history_type) == (old.version + 1, "~")
    assert RatingChange.objects.get(
        rating=updated, kind=RatingChangeKind.EVALUATION
    ).from_grade == (Grade.C)
    assert CreditRating.objects.get(pk=kept.pk).version == kept.version


def test_steps_out_of_order_are_refused(supervisor, evaluator):
    FacilityFactory()
    cycle = opened(supervisor)
    with pytest.raises(ValidationError):
        evaluation.publish_cycle(cycle, user=supervisor)
    with pytest.raises(ValidationError):
        evaluation.finalise_cycle(cycle, user=supervisor)
    with pytest.raises(ValidationError):
        evaluation.announce_cycle(cycle, user=supervisor)
    with pytest.raises(ValidationError):
        evaluation.complete_initial_scoring(cycle, user=supervisor)
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.SELF_ASSESSMENT


def test_a_stale_cycle_version_is_refused(supervisor):
    FacilityFactory()
    cycle = opened(supervisor)
    evaluation.score_cycle(cycle, user=supervisor)
    with pytest.raises(ValidationError):
        evaluation.complete_initial_scoring(cycle, user=supervisor, expected_version=1)


def test_progress_reports_what_is_overdue(supervisor, evaluator):
    cycle, a, *_ = walk_to_publication(supervisor, evaluator)
    objection = evaluation.record_objection(
        cycle.assessments.get(facility=a),
        received_on=D(2025, 2, 20),
        grounds="异议",
        user=evaluator,
    )
    progress = evaluation.cycle_progress(cycle, today=D(2025, 3, 20))
    assert progress.objections_pending == 1 and progress.objections_overdue == 1
    assert progress.subjects == 2 and progress.self_received == 1
    assert any("公示期" in line for line in progress.overdue)
    assert objection.is_overdue(D(2025, 3, 20))


def test_the_scorecard_lists_every_indicator_once(supervisor):
    FacilityFactory()
    cycle = opened(supervisor)
    evaluation.score_cycle(cycle, user=supervisor)
    rows = evaluation.scorecard(cycle.assessments.get())
    assert [r.indicator.code for r in rows][:1] == ["1.1"]
    assert len(rows) == Indicator.objects.filter(system=cycle.system).count()


def test_a_finalisation_with_a_time_budget_stops_after_a_batch_and_the_next_call_continues(
    supervisor, evaluator
):
    cycle, *_ = walk_to_publication(supervisor, evaluator)
    done = evaluation.finalise_cycle(
        cycle, user=supervisor, on=D(2025, 2, 28), batch_size=1, seconds=0
    )
    cycle.refresh_from_db()
    assert done == 1 and cycle.status == CycleStatus.FINALISING
    assert evaluation.finalise_cycle(cycle, user=supervisor) == 1
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.FINAL


def test_the_finalise_command_runs_a_cycle_to_the_end(supervisor, evaluator):
    from django.core.management import CommandError, call_command

    cycle, *_ = walk_to_publication(supervisor, evaluator)
    with pytest.raises(CommandError):
        call_command("finalise_cycle", cycle=cycle.pk, user=evaluator.username, on="2025-02-28")
    call_command("finalise_cycle", cycle=cycle.pk, user=supervisor.username, on="2025-02-28")
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.FINAL
    assert CreditRating.objects.filter(assessment__cycle=cycle).count() == 2


def test_scoring_in_the_database_agrees_with_rescore_in_python(supervisor, evaluator):
    """The two implementations of the scoring rules (score_cycle's SQL, rescore's Python) give
    the same score, grade and veto for every subject of a varied year."""
    facilities = FacilityFactory.create_batch(6)
    completed(facilities[0], D(2024, 3, 1), [Violation.OVERCHARGING], "12345.67")
    completed(facilities[1], D(2024, 4, 1), [Violation.SUBSTITUTION, Violation.OVERCHARGING])
    for month in range(1, 8):
        completed(facilities[2], D(2024, month, 9), [Violation.FALSE_CLAIMS], "99999")
    forged = completed(facilities[3], D(2024, 5, 1), [Violation.FORGED_DELIVERY_NOTES])
    ReferralFactory(inspection=forged, agency=Agency.POLICE, referred_on=D(2024, 5, 9))
    SanctionFactory(
        facility=facilities[4],
        kind=SanctionKind.SUSPENSION,
        decided_on=D(2024, 2, 1),
        starts_on=D(2024, 2, 10),
        ends_on=D(2024, 3, 9),
    )
    cycle = opened(supervisor)
    evaluation.score_cycle(cycle, user=supervisor)
    manual = Indicator.objects.get(system=cycle.system, code="1.1")
    bonus = Indicator.objects.get(system=cycle.system, code="B1")
    for facility, points in [(facilities[0], "12.5"), (facilities[5], "299.99")]:
        evaluation.score_indicator(
            cycle.assessments.get(facility=facility),
            indicator=manual,
            points=points,
            note="",
            user=evaluator,
        )
    evaluation.score_indicator(
        cycle.assessments.get(facility=facilities[1]),
        indicator=bonus,
        points="20",
        note="",
        user=evaluator,
    )
    stored = {a.pk: (a.score, a.grade, a.vetoed) for a in cycle.assessments.all()}
    assert stored == evaluation.rescore(cycle)
    assert {a.grade for a in cycle.assessments.all()} >= {Grade.A, Grade.C, Grade.D}
