"""The 2024 credit evaluation in the demo fixture: the indicator systems of the 8 categories, and
the announced cycles of categories 1–3 whose scoring gives every 2024 rating."""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum

from supervision.choices import (
    CATEGORY_FACILITY_KINDS,
    CreditCategoryCode,
    CycleStatus,
    Grade,
    IndicatorMethod,
    RatingChangeKind,
)
from supervision.management.commands.setup_demo import load_demo_credit
from supervision.models import (
    Assessment,
    AssessmentItem,
    CreditRating,
    Dimension,
    EvaluationCycle,
    Facility,
    Indicator,
    IndicatorSystem,
    RatingChange,
    Referral,
)
from supervision.roles import SUPERVISOR
from supervision.services.evaluation import count_figures, rescore, system_problems
from supervision.workdays import Calendar
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FULL = Decimal(1000)
RATED = [
    CreditCategoryCode.MEDICAL_INSTITUTION,
    CreditCategoryCode.RETAIL_PHARMACY,
    CreditCategoryCode.INSURER,
]


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The fixture loaded once for this module, rolled back after its last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("loaddata", "lhasa_2024", verbosity=0)
        yield
        transaction.set_rollback(True)


def cycles_2024():
    return EvaluationCycle.objects.filter(year=2024).select_related("system").order_by("pk")


def test_each_of_the_8_categories_has_a_2024_system_whose_dimensions_add_up_to_1000(loaded):
    systems = IndicatorSystem.objects.filter(year=2024)
    assert sorted(systems.values_list("category_id", flat=True)) == sorted(
        CreditCategoryCode.values
    )
    for system in systems:
        points = Dimension.objects.filter(system=system).aggregate(total=Sum("full_points"))
        assert points["total"] == 1000, system
        assert (system.threshold_a, system.threshold_b, system.threshold_c) == (900, 750, 600)


def test_the_systems_are_usable_by_the_evaluation_service(loaded):
    for system in IndicatorSystem.objects.filter(year=2024):
        assert system_problems(system) == [], system


def test_every_system_has_a_veto_a_bonus_and_manual_indicators(loaded):
    for system in IndicatorSystem.objects.filter(year=2024):
        methods = Counter(system.indicators.values_list("method", flat=True))
        assert methods[IndicatorMethod.VETO] == 1, system
        assert methods[IndicatorMethod.BONUS] == 1, system
        assert methods[IndicatorMethod.MANUAL] >= 1, system


def test_the_rated_categories_score_fund_use_from_the_recorded_facts(loaded):
    for code in RATED:
        facts = set(
            Indicator.objects.filter(
                system__year=2024, system__category_id=code, method=IndicatorMethod.FACT
            ).values_list("fact", flat=True)
        )
        assert {"inspection_violation", "sanction", "substantiated_tip"} <= facts, code
    medical = Indicator.objects.get(
        system__year=2024,
        system__category_id=CreditCategoryCode.MEDICAL_INSTITUTION,
        method=IndicatorMethod.VETO,
    )
    assert (medical.fact, medical.qualifier, medical.veto_grade) == (
        "referral",
        "police:forged_delivery_notes",
        Grade.D,
    )


def test_only_the_systems_of_rated_categories_are_frozen(loaded):
    frozen = IndicatorSystem.objects.filter(year=2024, frozen_at__isnull=False)
    assert sorted(frozen.values_list("category_id", flat=True)) == sorted(RATED)


def test_three_announced_cycles_of_2024_rate_every_facility_once(loaded):
    cycles = list(cycles_2024())
    assert [c.category_id for c in cycles] == RATED
    for cycle in cycles:
        assert cycle.status == CycleStatus.ANNOUNCED
        assert cycle.system.year == 2024
        assert cycle.system.category_id == cycle.category_id
        kinds = CATEGORY_FACILITY_KINDS[cycle.category_id]
        facilities = Facility.objects.filter(kind__in=kinds)
        assert cycle.subject_count == facilities.count()
        assert set(cycle.assessments.values_list("facility_id", flat=True)) == set(
            facilities.values_list("pk", flat=True)
        )
    assert Assessment.objects.count() == 350


def test_the_cycle_dates_follow_the_steps_and_the_publication_lasts_7_working_days(loaded):
    for cycle in cycles_2024():
        assert str(cycle.opened_on) == "2025-01-06"
        assert cycle.opened_on <= cycle.self_assessment_due < cycle.scored_at.date()
        assert cycle.scored_at.date() <= cycle.initial_done_on <= cycle.reviewed_on
        assert cycle.reviewed_on <= cycle.publication_starts < cycle.publication_ends
        assert cycle.publication_ends < cycle.finalised_on < cycle.announced_on
        ends = Calendar.load().deadline(
            cycle.publication_starts, settings.CREDIT_PUBLICATION_WORKDAYS
        )
        assert cycle.publication_ends == ends
        assert cycle.finalised_on == CreditRating.objects.filter(year=2024).first().rated_on


def test_the_cycle_figures_are_the_counts_of_its_assessments(loaded):
    for cycle in cycles_2024():
        assert cycle.figures == count_figures(cycle)
    grades = Counter()
    for cycle in cycles_2024():
        grades.update(cycle.figures["grades"])
    assert grades == {"A": 69, "B": 234, "C": 42, "D": 5}


def test_most_subjects_sent_a_self_assessment_and_some_did_not(loaded):
    received = Assessment.objects.filter(self_received_on__isnull=False)
    missing = Assessment.objects.filter(self_received_on__isnull=True)
    assert received.count() > 300
    assert missing.exists()
    for assessment in received:
        assert assessment.cycle.opened_on <= assessment.self_received_on
        assert assessment.self_score >= assessment.score


def test_every_rating_is_linked_to_an_assessment_with_its_grade_and_score(loaded):
    ratings = CreditRating.objects.filter(year=2024).select_related("assessment__cycle")
    assert ratings.count() == 350
    for rating in ratings:
        assessment = rating.assessment
        assert assessment is not None, rating
        assert assessment.facility_id == rating.facility_id
        assert assessment.cycle.year == rating.year
        assert (assessment.score, assessment.grade) == (rating.score, rating.grade)
        assert assessment.published_grade == rating.grade
        assert assessment.finalised


def test_every_2024_grade_change_is_of_the_evaluation(loaded):
    changes = RatingChange.objects.filter(rating__year=2024)
    assert changes.count() == 350
    assert set(changes.values_list("kind", flat=True)) == {RatingChangeKind.EVALUATION}


def test_each_assessment_adds_up_from_its_items(loaded):
    items = AssessmentItem.objects.select_related("indicator")
    deducted: Counter = Counter()
    added: Counter = Counter()
    for item in items:
        if item.indicator.method == IndicatorMethod.BONUS:
            added[item.assessment_id] += item.points
        else:
            deducted[item.assessment_id] += item.points
    for assessment in Assessment.objects.all():
        assert assessment.deductions == deducted[assessment.pk], assessment
        assert assessment.bonus == added[assessment.pk], assessment
        assert assessment.score == FULL - assessment.deductions + assessment.bonus
        assert assessment.grade == assessment.cycle.system.grade_for(assessment.score)


def test_items_are_of_the_cycle_s_system_and_within_their_indicator_s_points(loaded):
    items = AssessmentItem.objects.select_related("indicator", "assessment__cycle")
    assert items.exists()
    for item in items:
        assert item.indicator.system_id == item.assessment.cycle.system_id
        assert Decimal(0) <= item.points <= item.indicator.full_points, item
        if item.automatic:
            assert item.indicator.method in (IndicatorMethod.FACT, IndicatorMethod.VETO)
        else:
            assert item.indicator.method in (IndicatorMethod.MANUAL, IndicatorMethod.BONUS)
            assert item.note


def test_every_credit_row_passes_full_clean(loaded):
    for model in (IndicatorSystem, Dimension, Indicator, EvaluationCycle, Assessment):
        objects = list(model.objects.all())
        assert objects, model
        for obj in objects:
            obj.full_clean()
    for item in AssessmentItem.objects.all():
        item.full_clean()


def test_rescoring_2024_from_the_fixture_s_facts_reproduces_every_2024_grade(loaded):
    ratings = {r.assessment_id: r for r in CreditRating.objects.filter(year=2024)}
    vetoed = dict(Assessment.objects.values_list("pk", "vetoed"))
    seen = 0
    for cycle in cycles_2024():
        for pk, (score, grade, veto) in rescore(cycle).items():
            rating = ratings[pk]
            assert (score, grade) == (rating.score, rating.grade), rating.facility_id
            assert veto == vetoed[pk]
            seen += 1
    assert seen == 350


def test_the_d_grades_lose_most_of_their_points_on_their_2024_violations(loaded):
    for rating in CreditRating.objects.filter(year=2024, grade=Grade.D):
        automatic = AssessmentItem.objects.filter(assessment=rating.assessment, automatic=True)
        violations = automatic.filter(indicator__fact="inspection_violation")
        assert violations.aggregate(points=Sum("points"))["points"] >= 200, rating.facility_id
        assert not rating.assessment.vetoed


def test_the_police_referrals_of_2025_change_no_2024_grade(loaded):
    assert not Referral.objects.filter(referred_on__year=2024).exists()
    assert Referral.objects.filter(referred_on__year=2025).count() == 2
    assert not Assessment.objects.filter(vetoed=True).exists()
    referred = Referral.objects.values_list("inspection__facility_id", flat=True)
    for rating in CreditRating.objects.filter(facility_id__in=referred):
        assert rating.grade == Grade.C


def test_the_demo_copies_the_systems_and_scores_2025_with_the_police_referrals_as_vetoes(loaded):
    with transaction.atomic():
        supervisor = UserFactory(username="demo-supervisor", role=SUPERVISOR)
        cycle = load_demo_credit(supervisor, today=datetime.date(2026, 3, 2))
        assert cycle is not None
        assert (cycle.year, cycle.category_id) == (2025, CreditCategoryCode.MEDICAL_INSTITUTION)
        assert cycle.status == CycleStatus.SCORING
        copies = IndicatorSystem.objects.filter(year=2025)
        assert sorted(copies.values_list("category_id", flat=True)) == sorted(RATED)
        assert all(c.copied_from.year == 2024 for c in copies)
        referred = set(
            Referral.objects.filter(
                agency="police", inspection__violations="forged_delivery_notes"
            ).values_list("inspection__facility_id", flat=True)
        )
        vetoed = cycle.assessments.filter(vetoed=True)
        assert set(vetoed.values_list("facility_id", flat=True)) == referred
        assert set(vetoed.values_list("grade", flat=True)) == {Grade.D}
        # A second start changes nothing and adds nothing.
        assert load_demo_credit(supervisor, today=datetime.date(2026, 3, 2)) is None
        assert EvaluationCycle.objects.filter(year=2025).count() == 1
        assert IndicatorSystem.objects.filter(year=2025).count() == 3
        assert cycle.assessments.count() == cycle.subject_count == 130
        transaction.set_rollback(True)


def test_the_demo_does_not_evaluate_a_year_that_has_not_ended(loaded):
    with transaction.atomic():
        supervisor = UserFactory(username="demo-supervisor-2", role=SUPERVISOR)
        assert load_demo_credit(supervisor, today=datetime.date(2025, 12, 31)) is None
        assert not IndicatorSystem.objects.filter(year=2025).exists()
        transaction.set_rollback(True)
