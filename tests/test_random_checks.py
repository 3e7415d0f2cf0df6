"""Random-check plans (双随机): the pool, the draw and its re-run, publication, substitution."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from supervision import random_draw
from supervision.choices import (
    District,
    FacilityKind,
    Grade,
    InspectionKind,
    InspectionStatus,
    RandomCheckStatus,
)
from supervision.models import (
    Inspection,
    RandomCheckAssignment,
    RandomCheckPlan,
    RandomCheckTarget,
)
from supervision.services import random_checks
from tests.dbstate import snapshot
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    RandomCheckPlanFactory,
    UserDistrictFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 3, 1)


@pytest.fixture
def facilities():
    rows = FacilityFactory.create_batch(12)
    for facility, grade in zip(rows, "AABBBBBBCCDD", strict=True):
        CreditRatingFactory(facility=facility, year=2025, grade=grade)
    return rows


@pytest.fixture
def inspectors():
    return InspectorFactory.create_batch(8)


def _plan(supervisor, **changes):
    values = {
        "name": "2026年第一批双随机抽查",
        "starts_on": START,
        "ends_on": datetime.date(2026, 6, 30),
        "target_count": 4,
    }
    values.update(changes)
    return random_checks.create_plan(user=supervisor, **values)


def _targets(plan: RandomCheckPlan) -> list[int]:
    return list(plan.targets.order_by("rank").values_list("facility_id", flat=True))


def _teams(plan: RandomCheckPlan) -> list[list[int]]:
    return [
        list(
            target.assignments.filter(drawn=True)
            .order_by("position")
            .values_list("inspector_id", flat=True)
        )
        for target in plan.targets.order_by("rank")
    ]


def test_a_draw_stores_its_seed_pools_and_result_and_verifies(supervisor, facilities, inspectors):
    plan = random_checks.draw(_plan(supervisor), seed="20260301-双色球", user=supervisor)
    plan.refresh_from_db()
    assert plan.status == RandomCheckStatus.DRAWN
    assert plan.algorithm == random_draw.ALGORITHM
    assert plan.pool_size == 12
    assert plan.inspector_pool_size == 8
    assert len(_targets(plan)) == 4
    assert all(len(team) == 2 and len(set(team)) == 2 for team in _teams(plan))
    check = random_checks.verify(plan)
    assert check.ok, check.problems
    assert check.result_digest == plan.result_digest


def test_the_same_seed_and_pool_give_the_same_draw_and_another_seed_another(
    supervisor, facilities, inspectors
):
    first = random_checks.draw(_plan(supervisor), seed="8 15 23 42", user=supervisor)
    again = random_checks.draw(_plan(supervisor), seed="8 15 23 42", user=supervisor)
    other = random_checks.draw(_plan(supervisor), seed="8 15 23 43", user=supervisor)
    assert _targets(first) == _targets(again)
    assert _teams(first) == _teams(again)
    assert first.result_digest == again.result_digest
    assert other.result_digest != first.result_digest


def test_any_change_to_the_pool_changes_the_draw(supervisor, facilities, inspectors):
    plan = random_checks.draw(_plan(supervisor), seed="7", user=supervisor)
    entries = random_draw.unpack_pool(bytes(plan.pool))
    inspector_pool = random_draw.unpack_inspectors(bytes(plan.inspector_pool))
    inspector_digest = random_draw.digest(random_draw.inspector_pool_text(inspector_pool))

    def rerun(pool: list[tuple[int, int]]) -> str:
        pool_digest = random_draw.digest(random_draw.pool_text(pool))
        salt = random_draw.salt(plan.seed, pool_digest, inspector_digest)
        return random_draw.result_digest(
            random_draw.draw(salt, pool, 4, inspector_pool, None, 2, exclude_home_district=False)
        )

    baseline = rerun(entries)
    drawn = set(_targets(plan))
    not_drawn = next(e for e in entries if e[0] not in drawn)
    assert rerun([e for e in entries if e != not_drawn]) != baseline  # one fewer
    assert rerun([*entries, (entries[-1][0] + 1, 1)]) != baseline  # one more
    reweighted = [(i, 2 if (i, w) == not_drawn else w) for i, w in entries]
    assert rerun(reweighted) != baseline  # one weight


def test_verification_fails_when_the_stored_result_was_tampered_with(
    supervisor, facilities, inspectors
):
    plan = random_checks.draw(_plan(supervisor), seed="42", user=supervisor)
    first, second = plan.targets.order_by("rank")[:2]
    RandomCheckTarget.objects.filter(pk=first.pk).update(rank=999)
    RandomCheckTarget.objects.filter(pk=second.pk).update(rank=1)
    RandomCheckTarget.objects.filter(pk=first.pk).update(rank=2)
    check = random_checks.verify(plan)
    assert not check.ok
    assert check.problems


def test_verification_fails_when_the_stored_seed_was_changed(supervisor, facilities, inspectors):
    plan = random_checks.draw(_plan(supervisor), seed="42", user=supervisor)
    RandomCheckPlan.objects.filter(pk=plan.pk).update(seed="43")
    plan.refresh_from_db()
    assert not random_checks.verify(plan).ok


def test_the_verification_reads_nothing_but_the_plan(supervisor, facilities, inspectors):
    """Grades, districts and inspectors change after the draw; the re-run still matches."""
    plan = random_checks.draw(
        _plan(supervisor, grades=["C", "D"], exclude_home_district=True),
        seed="seed",
        user=supervisor,
    )
    for inspector in inspectors:
        inspector.is_active = False
        inspector.save()
    for facility in facilities:
        facility.ratings.update(grade=Grade.A)
    assert random_checks.verify(plan).ok


def test_the_pool_follows_kind_district_grade_and_months(supervisor, facilities, inspectors):
    pharmacy = FacilityFactory(pharmacy=True, district=District.DOILUNGDEQEN)
    CreditRatingFactory(facility=pharmacy, year=2025, grade=Grade.D)
    recent = facilities[-1]  # a D
    InspectionFactory(facility=recent, start_date=datetime.date(2026, 1, 5))
    plan = _plan(supervisor, grades=["D"], not_inspected_months=6)
    ids = {pk for pk, _w in random_checks.pool_entries(plan)}
    assert ids == {facilities[-2].pk, pharmacy.pk}
    plan = _plan(supervisor, kinds=[FacilityKind.PHARMACY])
    assert {pk for pk, _w in random_checks.pool_entries(plan)} == {pharmacy.pk}
    plan = _plan(supervisor, districts=[District.DOILUNGDEQEN], grades=[""])
    assert random_checks.pool_entries(plan) == []


def test_weights_by_grade_go_into_the_pool(supervisor, facilities, inspectors):
    plan = _plan(supervisor, weights={"D": 5, "C": 3})
    weights = dict(random_checks.pool_entries(plan))
    assert weights[facilities[0].pk] == 1
    assert weights[facilities[8].pk] == 3
    assert weights[facilities[-1].pk] == 5


def test_heavier_grades_are_drawn_more_often():
    """Over many seeds, a weight-9 entry is drawn far more often than a weight-1 one."""
    entries = [(i, 9 if i <= 10 else 1) for i in range(1, 101)]
    heavy = 0
    for n in range(200):
        picked = random_draw.draw_targets(f"s{n}", entries, 5)
        heavy += sum(1 for facility_id, _w in picked if facility_id <= 10)
    # Ten heavy of a hundred hold 90/180 of the weight: about half the picks, not a tenth.
    assert heavy > 350


def test_a_share_rounds_up(supervisor, facilities, inspectors):
    plan = random_checks.draw(
        _plan(supervisor, target_count=None, target_share=Decimal("10")),
        seed="s",
        user=supervisor,
    )
    assert plan.targets.count() == 2  # 10 % of 12, rounded up


def test_an_inspector_who_checked_the_facility_recently_is_not_drawn_for_it(supervisor, facilities):
    team = InspectorFactory.create_batch(2)
    others = InspectorFactory.create_batch(2)
    target = facilities[0]
    InspectionFactory(facility=target, start_date=datetime.date(2026, 1, 10), inspectors=team)
    plan = random_checks.draw(
        _plan(supervisor, districts=[District.CHENGGUAN], inspector_rest_months=6, target_count=12),
        seed="s",
        user=supervisor,
    )
    drawn = plan.targets.get(facility=target)
    assert set(drawn.excluded_inspectors) == {i.pk for i in team}
    assert set(drawn.assignments.values_list("inspector_id", flat=True)) == {i.pk for i in others}
    assert random_checks.verify(plan).ok


def test_home_district_inspectors_are_excluded_when_the_plan_says_so(supervisor, facilities):
    InspectorFactory.create_batch(3, district=District.CHENGGUAN)
    away = InspectorFactory.create_batch(2, district=District.DAGZE)
    plan = random_checks.draw(
        _plan(supervisor, exclude_home_district=True), seed="s", user=supervisor
    )
    used = set(
        RandomCheckAssignment.objects.filter(target__plan=plan).values_list(
            "inspector_id", flat=True
        )
    )
    assert used == {i.pk for i in away}


def test_too_few_inspectors_refuses_the_draw_and_writes_nothing(supervisor, facilities):
    InspectorFactory(district=District.DAGZE)
    InspectorFactory(district=District.CHENGGUAN)
    plan = _plan(supervisor, exclude_home_district=True)
    with pytest.raises(ValidationError) as refused:
        random_checks.draw(plan, seed="s", user=supervisor)
    assert "少于每个对象2名" in str(refused.value)
    plan.refresh_from_db()
    assert plan.status == RandomCheckStatus.DRAFT
    assert not RandomCheckTarget.objects.exists()


def test_an_empty_pool_refuses_the_draw(supervisor, inspectors):
    plan = _plan(supervisor)
    with pytest.raises(ValidationError, match="没有可抽取的机构"):
        random_checks.draw(plan, seed="s", user=supervisor)


@pytest.mark.parametrize("seed", ["", "   ", "a|b", "x\ny", "z" * 129])
def test_a_bad_seed_is_refused(supervisor, facilities, inspectors, seed):
    plan = _plan(supervisor)
    with pytest.raises(ValidationError):
        random_checks.draw(plan, seed=seed, user=supervisor)
    plan.refresh_from_db()
    assert plan.status == RandomCheckStatus.DRAFT


def test_a_drawn_plan_is_not_drawn_again_nor_edited(supervisor, facilities, inspectors):
    plan = random_checks.draw(_plan(supervisor), seed="s", user=supervisor)
    with pytest.raises(ValidationError):
        random_checks.draw(plan, seed="t", user=supervisor)
    with pytest.raises(ValidationError):
        random_checks.edit_plan(plan, user=supervisor, target_count=5)


@pytest.mark.parametrize(
    "changes",
    [
        {"kinds": ["castle"]},
        {"districts": ["999999"]},
        {"grades": ["E"]},
        {"weights": {"A": 0}},
        {"weights": {"D": 11}},
        {"weights": {"D": "3"}},
        {"weights": {"D": True}},
        {"weights": ["D"]},
        {"kinds": "hospital"},
    ],
)
def test_unknown_criteria_are_refused(supervisor, changes):
    with pytest.raises(ValidationError):
        _plan(supervisor, **changes)
    assert not RandomCheckPlan.objects.exists()


def test_a_limited_supervisor_draws_only_in_their_districts(supervisor):
    UserDistrictFactory(user=supervisor, district=District.DAGZE)
    with pytest.raises(ValidationError, match="本人负责的区县"):
        _plan(supervisor)
    with pytest.raises(ValidationError, match="本人负责的区县"):
        _plan(supervisor, districts=[District.DAGZE, District.CHENGGUAN])
    assert _plan(supervisor, districts=[District.DAGZE]).districts == [District.DAGZE]


def test_a_limited_supervisor_cannot_publish_or_cancel_a_plan_reaching_beyond_their_districts(
    supervisor, facilities, inspectors
):
    drawn = random_checks.draw(_plan(supervisor), seed="s", user=supervisor)  # every district
    draft = _plan(supervisor, name="2026年第二批双随机抽查")
    limited = UserFactory(username="dagze")
    limited.groups.set(supervisor.groups.all())
    UserDistrictFactory(user=limited, district=District.DAGZE)
    before = snapshot()
    with pytest.raises(ValidationError, match="负责范围以外"):
        random_checks.publish(drawn, user=limited)
    for plan in (drawn, draft):
        with pytest.raises(ValidationError, match="负责范围以外"):
            random_checks.cancel(plan, reason="重复", user=limited)
    assert snapshot() == before


def test_publishing_makes_each_target_a_planned_random_inspection(
    supervisor, facilities, inspectors
):
    plan = random_checks.draw(_plan(supervisor), seed="s", user=supervisor)
    random_checks.publish(plan, user=supervisor, today=datetime.date(2026, 2, 20))
    plan.refresh_from_db()
    assert plan.status == RandomCheckStatus.PUBLISHED
    assert plan.published_on == datetime.date(2026, 2, 20)
    for target in plan.targets.select_related("inspection"):
        inspection = target.inspection
        assert inspection.kind == InspectionKind.RANDOM
        assert inspection.status == InspectionStatus.PLANNED
        assert inspection.start_date == START
        assert set(inspection.inspectors.values_list("pk", flat=True)) == set(
            target.assignments.values_list("inspector_id", flat=True)
        )
        created = inspection.history.get()
        assert created.history_type == "+"
        assert created.history_user == supervisor
        assert created.inspectors.count() == 2
    assert Inspection.objects.filter(kind=InspectionKind.RANDOM).count() == 4
    with pytest.raises(ValidationError):
        random_checks.publish(plan, user=supervisor)
    assert Inspection.objects.count() == 4


def test_a_substitution_is_recorded_with_its_reason_and_follows_the_seed(
    supervisor, facilities, inspectors
):
    plan = random_checks.draw(_plan(supervisor), seed="s", user=supervisor)
    random_checks.publish(plan, user=supervisor)
    target = plan.targets.order_by("rank").first()
    ill = target.assignments.order_by("position").first()
    replacement = random_checks.substitute(ill, reason="病假", user=supervisor)
    ill.refresh_from_db()
    assert ill.withdrawn_on is not None
    assert ill.withdrawn_reason == "病假"
    assert replacement.replaces == ill
    assert not replacement.drawn
    assert replacement.inspector_id not in {
        a.inspector_id for a in target.assignments.exclude(pk=replacement.pk)
    }
    team = set(target.inspection.inspectors.values_list("pk", flat=True))
    assert ill.inspector_id not in team
    assert replacement.inspector_id in team
    assert ill.history.filter(history_change_reason="病假").exists()
    # The draw itself is unchanged: the re-run still matches the drawn inspectors.
    assert random_checks.verify(plan).ok
    with pytest.raises(ValidationError):
        random_checks.substitute(ill, reason="again", user=supervisor)
    with pytest.raises(ValidationError):
        random_checks.substitute(replacement, reason=" ", user=supervisor)


def test_cancelling_needs_a_reason_and_not_after_publication(supervisor, facilities, inspectors):
    plan = _plan(supervisor)
    with pytest.raises(ValidationError):
        random_checks.cancel(plan, reason="", user=supervisor)
    random_checks.cancel(plan, reason="条件有误", user=supervisor)
    plan.refresh_from_db()
    assert plan.status == RandomCheckStatus.CANCELLED
    published = random_checks.draw(_plan(supervisor), seed="s", user=supervisor)
    random_checks.publish(published, user=supervisor)
    with pytest.raises(ValidationError):
        random_checks.cancel(published, reason="不要了", user=supervisor)


def test_progress_counts_the_targets_by_their_inspections(supervisor, facilities, inspectors):
    plan = random_checks.draw(_plan(supervisor), seed="s", user=supervisor)
    random_checks.publish(plan, user=supervisor)
    first, second, *_rest = plan.targets.order_by("rank").select_related("inspection")
    Inspection.objects.filter(pk=first.inspection_id).update(
        status=InspectionStatus.COMPLETED,
        end_date=datetime.date(2026, 3, 5),
        amount_involved=Decimal("1200.50"),
        amount_recovered=Decimal("1000.00"),
    )
    Inspection.objects.filter(pk=second.inspection_id).update(status=InspectionStatus.IN_PROGRESS)
    figures = random_checks.progress(plan, today=datetime.date(2026, 7, 1))
    assert (figures.targets, figures.planned, figures.in_progress, figures.completed) == (
        4,
        2,
        1,
        1,
    )
    assert figures.with_problems == 1
    assert figures.overdue == 3
    assert figures.amount_involved == Decimal("1200.50")
    assert figures.amount_recovered == Decimal("1000.00")
    assert random_checks.progress(plan, today=datetime.date(2026, 4, 1)).overdue == 0


def test_a_stale_edit_is_refused(supervisor):
    plan = _plan(supervisor)
    stale = RandomCheckPlan.objects.get(pk=plan.pk)
    random_checks.edit_plan(plan, user=supervisor, name="改名")
    with pytest.raises(ValidationError):
        random_checks.edit_plan(stale, user=supervisor, name="又改名")


def test_the_stored_pool_is_compact():
    entries = [(i, 1 + i % 3) for i in range(1, 1_000_001, 1)]
    blob = random_draw.pack_pool(entries)
    assert len(blob) < 1_000_000
    assert random_draw.unpack_pool(blob) == entries


def test_the_factory_plan_is_a_valid_draft():
    plan = RandomCheckPlanFactory()
    plan.full_clean()
    assert plan.status == RandomCheckStatus.DRAFT
