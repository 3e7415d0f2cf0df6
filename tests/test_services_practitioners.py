"""Practitioners' points and payment qualification over their edges: thresholds, the year-end
reset, one person at two facilities, the re-registration block, objections."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from supervision.choices import (
    InspectionStatus,
    MeasureKind,
    PointsState,
    Profession,
    QualificationStatus,
    RegistrationEnd,
    Responsibility,
    Violation,
)
from supervision.models import (
    PointsPolicy,
    PointsRecord,
    Practitioner,
    PractitionerIdentity,
    QualificationMeasure,
    Registration,
)
from supervision.services import practitioners as service
from tests.factories import (
    FacilityFactory,
    InspectionFactory,
    PractitionerFactory,
    RegistrationFactory,
    _resident_id,
)

D = datetime.date
VIOLATIONS = [Violation.GHOST_ADMISSION, Violation.OVERCHARGING, Violation.DRUG_RESELLING]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """Decisions are dated up to 2026-12-01; the tests' today is fixed after them."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: D(2027, 6, 30))


def completed(facility, day: datetime.date, violations=VIOLATIONS):
    inspection = InspectionFactory(
        facility=facility, status=InspectionStatus.COMPLETED, start_date=day, end_date=day
    )
    inspection.violations.set(violations)
    return inspection


def score(person, facility, day, points, responsibility=None, violation=VIOLATIONS[0], user=None):
    responsibility = (
        responsibility
        or {
            **dict.fromkeys(range(1, 4), Responsibility.GENERAL),
            **dict.fromkeys(range(4, 7), Responsibility.IMPORTANT),
            **dict.fromkeys(range(7, 13), Responsibility.MAIN),
        }[points]
    )
    return service.score_points(
        user=user,
        inspection=completed(facility, day),
        practitioner=person,
        violation=violation,
        responsibility=responsibility,
        points=points,
        basis="《医疗保障基金使用监督管理条例》",
        decision_number=f"拉医保记〔{day.year}〕{day.toordinal() % 1000}号",
        decided_on=day,
    )


def status(person, day):
    return person.qualification_status_on(day)


@pytest.fixture
def registered(db):
    facility = FacilityFactory()
    person = PractitionerFactory()
    RegistrationFactory(practitioner=person, facility=facility)
    return person, facility


def test_points_below_the_suspension_threshold_change_nothing(registered):
    person, facility = registered
    score(person, facility, D(2025, 3, 1), 4)
    score(person, facility, D(2025, 4, 1), 4)
    assert service.year_points(person, 2025) == 8
    assert not QualificationMeasure.objects.exists()
    assert status(person, D(2025, 4, 2)) == QualificationStatus.ACTIVE


def test_crossing_the_suspension_threshold_suspends_for_the_period_the_points_give(registered):
    person, facility = registered
    score(person, facility, D(2025, 3, 1), 6)
    score(person, facility, D(2025, 4, 10), 3)  # 9 points: 2 months
    measure = QualificationMeasure.objects.get()
    assert (measure.kind, measure.starts_on, measure.ends_on) == (
        MeasureKind.SUSPENSION,
        D(2025, 4, 10),
        D(2025, 6, 9),
    )
    assert status(person, D(2025, 4, 9)) == QualificationStatus.ACTIVE
    assert status(person, D(2025, 6, 9)) == QualificationStatus.SUSPENDED
    # It ends by itself.
    assert status(person, D(2025, 6, 10)) == QualificationStatus.ACTIVE


def test_more_points_during_a_suspension_lengthen_it(registered):
    person, facility = registered
    score(person, facility, D(2025, 3, 1), 9)
    score(person, facility, D(2025, 3, 20), 2)  # 11 points: 6 months from the first day
    measure = QualificationMeasure.objects.get()
    assert (measure.starts_on, measure.ends_on, measure.points) == (
        D(2025, 3, 1),
        D(2025, 8, 31),
        11,
    )
    assert measure.history.count() == 2


def test_termination_over_several_events_blocks_re_registration_for_a_year(registered):
    person, facility = registered
    score(person, facility, D(2025, 2, 1), 9)
    score(person, facility, D(2025, 5, 1), 3)
    termination = QualificationMeasure.objects.get(kind=MeasureKind.TERMINATION)
    assert (termination.starts_on, termination.ends_on, termination.single_event) == (
        D(2025, 5, 1),
        D(2026, 4, 30),
        False,
    )
    # The suspension that came first stays on the record.
    assert QualificationMeasure.objects.filter(kind=MeasureKind.SUSPENSION).count() == 1
    assert status(person, D(2025, 5, 1)) == QualificationStatus.TERMINATED
    assert status(person, D(2026, 5, 1)) == QualificationStatus.ACTIVE
    registration = Registration.objects.get()
    assert (registration.ended_on, registration.end_reason) == (
        D(2025, 5, 1),
        RegistrationEnd.TERMINATED,
    )


def test_termination_in_one_event_blocks_for_three_years(registered):
    person, facility = registered
    score(person, facility, D(2025, 2, 1), 12)
    termination = QualificationMeasure.objects.get()
    assert termination.kind == MeasureKind.TERMINATION
    assert termination.single_event
    assert termination.ends_on == D(2028, 1, 31)


@pytest.fixture
def _late_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: D(2029, 1, 1))


@pytest.mark.usefixtures("_late_today")
def test_re_registration_is_refused_within_the_block_and_allowed_after_it(registered):
    person, facility = registered
    score(person, facility, D(2025, 2, 1), 12)
    number = PractitionerIdentity.objects.get(practitioner=person).id_number
    other = FacilityFactory()
    with pytest.raises(ValidationError, match="2028-02-01前不得再次登记备案"):
        service.register(
            user=None,
            facility=other,
            id_number=number,
            name=person.name,
            profession=Profession.DOCTOR,
            registered_on=D(2028, 1, 31),
        )
    assert Registration.objects.filter(facility=other).count() == 0
    registered_again = service.register(
        user=None,
        facility=other,
        id_number=number,
        name=person.name,
        profession=Profession.DOCTOR,
        registered_on=D(2028, 2, 1),
    )
    assert registered_again.registration.practitioner == person
    assert not registered_again.new_person


def test_points_reset_on_the_first_of_january(registered):
    person, facility = registered
    score(person, facility, D(2025, 12, 20), 8)
    score(person, facility, D(2026, 1, 2), 8)
    assert service.year_points(person, 2025) == 8
    assert service.year_points(person, 2026) == 8
    assert not QualificationMeasure.objects.exists()
    listed = Practitioner.objects.with_year_points(2026).get(pk=person.pk)
    assert listed.year_points == 8
    assert Practitioner.objects.with_year_points_at_least(2026, 9).count() == 0


def test_a_december_suspension_runs_into_the_next_year(registered):
    person, facility = registered
    score(person, facility, D(2025, 12, 15), 9)
    assert status(person, D(2026, 1, 20)) == QualificationStatus.SUSPENDED
    assert service.year_points(person, 2026) == 0


def test_a_person_at_two_facilities_is_one_record_and_carries_the_status_to_both(db):
    first, second = FacilityFactory(), FacilityFactory()
    number = _resident_id("54010219800101123")
    a = service.register(
        user=None,
        facility=first,
        id_number=number,
        name="示例张医生",
        profession="doctor",
        registered_on=D(2024, 1, 2),
    )
    b = service.register(
        user=None,
        facility=second,
        id_number=number.lower(),
        name="示例张医生",
        profession="doctor",
        registered_on=D(2024, 3, 1),
    )
    assert a.new_person and not b.new_person
    assert Practitioner.objects.count() == 1
    person = a.registration.practitioner
    # Points from the two facilities add up.
    score(person, first, D(2025, 3, 1), 5)
    score(person, second, D(2025, 4, 1), 4)
    assert QualificationMeasure.objects.get().kind == MeasureKind.SUSPENSION
    for facility in (first, second):
        shown = Practitioner.objects.with_qualification_status(D(2025, 4, 2)).get(
            registrations__facility=facility
        )
        assert shown.qualification_status == QualificationStatus.SUSPENDED


def test_the_same_id_with_another_name_is_refused_without_saying_whose(db):
    facility = FacilityFactory()
    person = PractitionerFactory(name="示例李护士")
    number = PractitionerIdentity.objects.get(practitioner=person).id_number
    with pytest.raises(ValidationError) as caught:
        service.register(
            user=None,
            facility=facility,
            id_number=number,
            name="示例王护士",
            profession="nurse",
        )
    assert "示例李护士" not in str(caught.value)
    assert Registration.objects.count() == 0


def test_an_objection_that_revokes_points_lifts_the_suspension(registered):
    person, facility = registered
    score(person, facility, D(2025, 3, 1), 5)
    record = score(person, facility, D(2025, 4, 1), 4)
    assert status(person, D(2025, 4, 2)) == QualificationStatus.SUSPENDED
    service.lodge_objection(record, user=None, grounds="非本人当班", objected_on=D(2025, 4, 5))
    assert status(person, D(2025, 4, 6)) == QualificationStatus.SUSPENDED
    service.decide_objection(
        record,
        user=None,
        outcome=PointsState.REVOKED,
        reason="排班记录证明非本人当班",
        decided_on=D(2025, 4, 20),
    )
    measure = QualificationMeasure.objects.get()
    assert measure.lifted_on == D(2025, 4, 20)
    assert status(person, D(2025, 4, 6)) == QualificationStatus.ACTIVE
    assert service.year_points(person, 2025) == 5


def test_an_objection_that_lifts_a_termination_reopens_the_registrations(registered):
    person, facility = registered
    score(person, facility, D(2025, 3, 1), 6)
    record = score(person, facility, D(2025, 4, 1), 6)
    assert Registration.objects.get().ended_on == D(2025, 4, 1)
    service.lodge_objection(record, user=None, grounds="责任认定过重", objected_on=D(2025, 4, 2))
    service.decide_objection(
        record,
        user=None,
        outcome=PointsState.REDUCED,
        points=2,
        responsibility=Responsibility.GENERAL,
        reason="负一般责任",
        decided_on=D(2025, 4, 10),
    )
    record.refresh_from_db()
    assert (record.points, record.original_points) == (2, 6)
    assert status(person, D(2025, 4, 11)) == QualificationStatus.ACTIVE
    registration = Registration.objects.get()
    assert registration.ended_on is None and registration.ended_by is None
    assert QualificationMeasure.objects.filter(lifted_on__isnull=True).count() == 0


def test_a_maintained_objection_keeps_the_points(registered):
    person, facility = registered
    record = score(person, facility, D(2025, 3, 1), 9)
    service.lodge_objection(record, user=None, grounds="异议", objected_on=D(2025, 3, 2))
    service.decide_objection(
        record,
        user=None,
        outcome=PointsState.MAINTAINED,
        reason="证据充分",
        decided_on=D(2025, 3, 9),
    )
    assert status(person, D(2025, 3, 10)) == QualificationStatus.SUSPENDED


def test_points_outside_the_band_of_the_responsibility_are_refused(registered):
    person, facility = registered
    with pytest.raises(ValidationError, match="一般责任每次记1–3分"):
        score(person, facility, D(2025, 3, 1), 5, responsibility=Responsibility.GENERAL)
    assert not PointsRecord.objects.exists()


def test_points_need_a_completed_inspection_a_found_violation_and_a_registration(db):
    facility = FacilityFactory()
    person = PractitionerFactory()
    inspection = InspectionFactory(facility=facility)
    inspection.violations.set([Violation.OVERCHARGING])
    with pytest.raises(ValidationError) as caught:
        service.score_points(
            user=None,
            inspection=inspection,
            practitioner=person,
            violation=Violation.OVERCHARGING,
            responsibility=Responsibility.GENERAL,
            points=2,
            basis="依据",
            decision_number="1号",
            decided_on=D(2025, 4, 1),
        )
    assert set(caught.value.message_dict) == {"inspection", "practitioner"}
    assert not PointsRecord.objects.exists()


def test_the_rules_are_data(registered):
    person, facility = registered
    policy = PointsPolicy.objects.get()
    policy.suspension_threshold = 6
    policy.save()
    score(person, facility, D(2025, 3, 1), 6)
    assert status(person, D(2025, 3, 2)) == QualificationStatus.SUSPENDED


def test_the_status_filter_matches_the_annotation(registered):
    _person, facility = registered
    suspended = PractitionerFactory()
    terminated = PractitionerFactory()
    for other in (suspended, terminated):
        RegistrationFactory(practitioner=other, facility=facility)
    score(suspended, facility, D(2025, 3, 1), 9)
    score(terminated, facility, D(2025, 3, 1), 12)
    day = D(2025, 3, 5)
    for value in QualificationStatus.values:
        by_filter = set(
            Practitioner.objects.with_qualification_status_in([value], day).values_list(
                "pk", flat=True
            )
        )
        by_annotation = set(
            Practitioner.objects.with_qualification_status(day)
            .filter(qualification_status=value)
            .values_list("pk", flat=True)
        )
        assert by_filter == by_annotation
        assert len(by_filter) == 1


# --- Credit category 7: practitioners are rated from their points -----------------------------


def practitioner_system(year: int):
    from supervision.choices import CreditCategoryCode, Grade, IndicatorFact, IndicatorMethod
    from supervision.models import CreditCategory, Dimension, Indicator, IndicatorSystem
    from tests.credit_support import enter_calendar_to_next_year

    enter_calendar_to_next_year()
    system = IndicatorSystem.objects.create(
        category=CreditCategory.objects.get(pk=CreditCategoryCode.PRACTITIONER),
        year=year,
        name=f"{year}年度相关人员测试指标体系",
    )
    practice = Dimension.objects.create(system=system, position=1, name="执业规范", full_points=800)
    points = Dimension.objects.create(system=system, position=2, name="记分", full_points=200)
    Indicator.objects.create(
        system=system,
        dimension=practice,
        position=1,
        code="1.1",
        name="合理诊疗",
        method=IndicatorMethod.MANUAL,
        full_points=800,
    )
    Indicator.objects.create(
        system=system,
        dimension=points,
        position=2,
        code="2.1",
        name="年度记分",
        method=IndicatorMethod.FACT,
        fact=IndicatorFact.PRACTITIONER_POINTS,
        points_per_unit=15,
        full_points=200,
    )
    Indicator.objects.create(
        system=system,
        position=3,
        code="V1",
        name="支付资格终止",
        method=IndicatorMethod.VETO,
        fact=IndicatorFact.PRACTITIONER_POINTS,
        qualifier="12",
        veto_grade=Grade.D,
        full_points=0,
    )
    return system


def test_practitioners_are_rated_in_the_credit_cycle_from_their_points(registered):
    from supervision.choices import CreditCategoryCode
    from supervision.models import Assessment
    from supervision.services import evaluation

    person, facility = registered
    clean = PractitionerFactory()
    terminated = PractitionerFactory()
    RegistrationFactory(practitioner=terminated, facility=facility)
    score(person, facility, D(2025, 3, 1), 5)
    revoked = score(person, facility, D(2025, 4, 1), 2)
    service.lodge_objection(revoked, user=None, grounds="异议", objected_on=D(2025, 4, 2))
    service.decide_objection(
        revoked, user=None, outcome=PointsState.REVOKED, reason="成立", decided_on=D(2025, 4, 3)
    )
    score(terminated, facility, D(2025, 5, 1), 12)
    score(person, facility, D(2026, 2, 1), 3)  # another year: not counted
    practitioner_system(2025)
    cycle = evaluation.open_cycle(
        category=CreditCategoryCode.PRACTITIONER,
        year=2025,
        user=None,
        opened_on=D(2026, 1, 5),
        self_assessment_due=D(2026, 1, 23),
    )
    assert cycle.subject_count == 3
    evaluation.score_cycle(cycle, user=None)
    by_person = {a.practitioner_id: a for a in Assessment.objects.filter(cycle=cycle)}
    assert by_person[person.pk].deductions == 75  # 5 standing points × 15
    assert by_person[clean.pk].deductions == 0
    assert by_person[terminated.pk].deductions == 180
    assert by_person[terminated.pk].vetoed and by_person[terminated.pk].grade == "D"
    assert not by_person[person.pk].vetoed
    facts = evaluation.facts_behind(by_person[person.pk], cycle.system.indicators.get(code="2.1"))
    assert [r.points for r in facts] == [5]


def test_a_practitioner_system_takes_only_the_points_fact(db):
    from supervision.choices import IndicatorFact, IndicatorMethod
    from supervision.models import Indicator

    system = practitioner_system(2025)
    indicator = Indicator(
        system=system,
        dimension=system.dimensions.first(),
        position=9,
        code="9.9",
        name="违规",
        method=IndicatorMethod.FACT,
        fact=IndicatorFact.INSPECTION_VIOLATION,
        points_per_unit=10,
        full_points=100,
    )
    with pytest.raises(ValidationError, match="只能依据医保支付资格记分"):
        indicator.full_clean()


def test_a_name_is_found_from_its_start_and_the_index_range_agrees_with_the_like(db):
    from supervision.filtersets import PractitionerFilterSet

    for name in ["王伟", "王伟东", "李王", "王", "汪伟", "王芳"]:
        PractitionerFactory(name=name)

    def found(term: str) -> set[str]:
        filterset = PractitionerFilterSet({"q": term}, queryset=Practitioner.objects.all())
        return set(filterset.qs.values_list("name", flat=True))

    assert found("王") == {"王伟", "王伟东", "王", "王芳"}
    assert found("王伟") == {"王伟", "王伟东"}
    assert found("伟") == set()  # not from the start
    assert found("王 东") == {"王伟东"}  # a further word narrows
    assert found("王伟东") == {"王伟东"}
