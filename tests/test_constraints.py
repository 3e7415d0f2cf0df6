"""Every database constraint refuses a violating row, and full_clean explains it in Chinese.

The table of violating examples is checked against Model._meta.constraints: a constraint added
without an example here fails the suite.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from supervision.choices import (
    Agency,
    CaseKind,
    CreditCategoryCode,
    CycleStatus,
    DigestState,
    District,
    DocumentKind,
    Grade,
    ImportKind,
    IndicatorFact,
    IndicatorMethod,
    InspectionKind,
    InspectionStatus,
    MeasureKind,
    ObjectionStatus,
    PointsState,
    Profession,
    RandomCheckStatus,
    RatingChangeKind,
    RectificationStatus,
    ReferralStatus,
    RegistrationEnd,
    RepairStatus,
    Responsibility,
    RewardStatus,
    RowOutcome,
    SanctionKind,
    SubjectType,
    TipConclusion,
    TipStatus,
    TypicalCaseStatus,
    Violation,
)
from supervision.codes import resident_id_check_char
from supervision.models import (
    Assessment,
    AssessmentItem,
    CalendarDay,
    CalendarYear,
    CaseNumberCounter,
    CaseNumberPattern,
    CreditCategory,
    CreditInstitution,
    CreditRating,
    CreditRepair,
    DigestDelivery,
    Dimension,
    DocumentTemplate,
    EvaluationCycle,
    Evidence,
    Facility,
    GradePublication,
    GradeTally,
    Hotline,
    ImportJob,
    ImportRow,
    Indicator,
    IndicatorSystem,
    Inspection,
    InspectionTally,
    Inspector,
    InsuredIdentity,
    InsuredPerson,
    IssuedDocument,
    Notification,
    Objection,
    PlannedCheck,
    PointsBand,
    PointsPolicy,
    PointsRecord,
    Practitioner,
    PractitionerIdentity,
    PublicEdition,
    QualificationMeasure,
    RandomCheckAssignment,
    RandomCheckPlan,
    RandomCheckTarget,
    RatingChange,
    Rectification,
    Referral,
    Registration,
    Sanction,
    ScheduledRun,
    SupervisionMeasure,
    SuspensionPeriod,
    Tip,
    TipExtension,
    TipReward,
    TypicalCase,
    UserDistrict,
)
from supervision.models.evidence import PARENT_FIELDS
from supervision.models.inspection import check_inspectors
from supervision.models.sanction import add_months, latest_suspension_end
from tests.factories import (
    AssessmentFactory,
    CalendarDayFactory,
    CalendarYearFactory,
    CreditRatingFactory,
    DigestDeliveryFactory,
    EvaluationCycleFactory,
    EvidenceFactory,
    FacilityFactory,
    GradePublicationFactory,
    HotlineFactory,
    IndicatorSystemFactory,
    InspectionFactory,
    InspectorFactory,
    NotificationFactory,
    ObjectionFactory,
    RandomCheckPlanFactory,
    RatingChangeFactory,
    RectificationFactory,
    ReferralFactory,
    SanctionFactory,
    ScheduledRunFactory,
    TipExtensionFactory,
    TipFactory,
    TipRewardFactory,
    TypicalCaseFactory,
    UserDistrictFactory,
    UserFactory,
    make_credit_code,
)

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
D = datetime.date


@dataclass(frozen=True)
class Breach:
    """A valid unsaved row (its relations saved), and the changes that break one constraint."""

    constraint: str
    valid: Callable[[], models.Model]
    changes: Callable[[models.Model], dict[str, Any]]
    # full_clean reports these fields before it reaches the constraint (choices, validators,
    # clean()); validate_constraints() still gives the constraint's own message.
    caught_by_field: str | None = None
    # Constraints the same change cannot help breaking too.
    also: frozenset[str] = field(default_factory=frozenset)
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.constraint}{'-' + self.label if self.label else ''}"


# --- builders of valid unsaved rows ---------------------------------------------------------


def facility() -> Facility:
    return FacilityFactory.build()


def rating() -> CreditRating:
    return CreditRatingFactory.build(facility=FacilityFactory())


def rating_change() -> RatingChange:
    return RatingChangeFactory.build(rating=CreditRatingFactory())


def inspection() -> Inspection:
    return InspectionFactory.build(facility=FacilityFactory())


def referral() -> Referral:
    return ReferralFactory.build(inspection=InspectionFactory(completed=True))


def warning() -> Sanction:
    return SanctionFactory.build(facility=FacilityFactory())


def suspension() -> Sanction:
    return SanctionFactory.build(facility=FacilityFactory(), suspension=True)


def termination() -> Sanction:
    return SanctionFactory.build(facility=FacilityFactory(), termination=True)


def fine() -> Sanction:
    return SanctionFactory.build(facility=FacilityFactory(), fine=True)


def deposit_recovery() -> Sanction:
    return SanctionFactory.build(
        facility=FacilityFactory(),
        kind=SanctionKind.DEPOSIT_RECOVERY,
        deposit_percent=Decimal("2.50"),
        amount=Decimal("2500.00"),
        note="",
    )


def commendation() -> Sanction:
    rated = CreditRatingFactory(grade=Grade.A, year=2023)
    return SanctionFactory.build(
        facility=rated.facility, kind=SanctionKind.COMMENDATION, rating=rated, note=""
    )


def _second_rating_for(sanction: Sanction) -> dict[str, Any]:
    """A commendation already given for another rating; the change points at that one."""
    other = CreditRatingFactory(facility=sanction.facility, grade=Grade.A, year=2024)
    SanctionFactory(facility=sanction.facility, kind=SanctionKind.COMMENDATION, rating=other)
    return {"rating": other}


def _same_insurance_code(row: Facility) -> dict[str, Any]:
    return {"insurance_code": FacilityFactory().insurance_code}


def _same_year(row: CreditRating) -> dict[str, Any]:
    CreditRatingFactory(facility=row.facility, year=2023)
    return {"year": 2023}


def user_district() -> UserDistrict:
    return UserDistrictFactory.build(user=UserFactory())


def _same_district(row: UserDistrict) -> dict[str, Any]:
    UserDistrictFactory(user=row.user, district=District.DAGZE)
    return {"district": District.DAGZE}


def grade_tally() -> GradeTally:
    return GradeTally(district=District.CHENGGUAN, year=2024, grade="A", facilities=3)


def _same_grade_key(row: GradeTally) -> dict[str, Any]:
    GradeTally.objects.create(district=row.district, year=row.year, grade="B", facilities=1)
    return {"grade": "B"}


def inspection_tally() -> InspectionTally:
    return InspectionTally(
        district=District.CHENGGUAN, month=D(2024, 5, 1), kind="routine", inspections=2
    )


def _same_month_key(row: InspectionTally) -> dict[str, Any]:
    InspectionTally.objects.create(
        district=row.district, month=row.month, kind="joint", inspections=1
    )
    return {"kind": "joint"}


def evidence() -> Evidence:
    return EvidenceFactory.build(inspection=InspectionFactory())


def _same_agency(row: Referral) -> dict[str, Any]:
    ReferralFactory(inspection=row.inspection, agency=Agency.MARKET)
    return {"agency": Agency.MARKET}


def tip() -> Tip:
    return TipFactory.build(facility=FacilityFactory())


def tip_investigating() -> Tip:
    facility = FacilityFactory()
    return TipFactory.build(
        facility=facility, investigating=True, inspection=InspectionFactory(facility=facility)
    )


def tip_concluded() -> Tip:
    facility = FacilityFactory()
    return TipFactory.build(
        facility=facility,
        concluded=True,
        inspection=InspectionFactory(facility=facility, completed=True),
    )


def extension() -> TipExtension:
    return TipExtensionFactory.build(tip=TipFactory(investigating=True))


def reward() -> TipReward:
    return TipRewardFactory.build(tip=TipFactory(concluded=True))


def calendar_year() -> CalendarYear:
    return CalendarYearFactory.build()


def calendar_day() -> CalendarDay:
    return CalendarDayFactory.build()


def hotline() -> Hotline:
    # The migration fills every channel; this one is freed for the example.
    Hotline.objects.filter(channel="city_hotline").delete()
    return HotlineFactory.build()


def _one_user_twice(row: TipReward) -> dict[str, Any]:
    user = UserFactory()
    return {"proposed_by": user, "decided_by": user}


TIP_BREACHES = [
    Breach("tip_channel_valid", tip, lambda r: {"channel": "fax"}, "channel"),
    Breach(
        "tip_status_valid",
        tip,
        lambda r: {"status": "lost"},
        "status",
        also=frozenset({"tip_clock_runs_while_open"}),
    ),
    Breach("tip_district_valid", tip, lambda r: {"district": "110101"}, "district"),
    Breach("tip_subject_kind_valid", tip, lambda r: {"subject_kind": "alien"}, "subject_kind"),
    Breach("tip_names_its_subject", tip, lambda r: {"facility": None, "subject_name": ""}),
    Breach("tip_allegation_required", tip, lambda r: {"allegation": ""}, "allegation"),
    Breach(
        "tip_conclusion_valid",
        tip,
        lambda r: {"conclusion": "maybe"},
        "conclusion",
        also=frozenset({"tip_conclusion_with_its_date"}),
    ),
    Breach("tip_reply_method_valid", tip, lambda r: {"reply_method": "pigeon"}, "reply_method"),
    Breach("tip_clock_valid", tip, lambda r: {"clock": "egg"}, "clock"),
    Breach(
        "tip_clock_runs_while_open",
        tip,
        lambda r: {"status": TipStatus.CLOSED, "closed_on": D(2025, 3, 6)},
    ),
    Breach(
        "tip_merged_has_master",
        tip,
        lambda r: {"status": TipStatus.MERGED, "clock": "", "due_on": None},
    ),
    Breach(
        "tip_due_only_while_running",
        tip,
        lambda r: {"status": TipStatus.CLOSED, "closed_on": D(2025, 3, 6), "clock": ""},
    ),
    Breach(
        "tip_not_own_master",
        tip,
        lambda r: {"id": 987654, "master_id": 987654},
        caught_by_field="master",
    ),
    Breach(
        "tip_decision_has_date",
        tip,
        lambda r: {"status": TipStatus.ACCEPTED, "clock": "investigation"},
    ),
    Breach("tip_investigation_has_inspection", tip_investigating, lambda r: {"inspection": None}),
    Breach(
        "tip_concluded_has_conclusion",
        tip_concluded,
        lambda r: {"conclusion": "", "concluded_on": None},
    ),
    Breach(
        "tip_conclusion_with_its_date", tip, lambda r: {"conclusion": TipConclusion.SUBSTANTIATED}
    ),
    Breach("tip_replied_has_date", tip_concluded, lambda r: {"status": TipStatus.REPLIED}),
    Breach(
        "tip_closed_has_date",
        tip,
        lambda r: {"status": TipStatus.CLOSED, "clock": "", "due_on": None},
    ),
    Breach("tip_concluded_after_decided", tip_concluded, lambda r: {"concluded_on": D(2025, 3, 4)}),
    Breach(
        "tip_amount_alleged_not_negative",
        tip,
        lambda r: {"amount_alleged": Decimal("-1")},
        "amount_alleged",
    ),
    Breach(
        "tip_verified_amount_not_negative",
        tip_concluded,
        lambda r: {"verified_amount": Decimal("-1")},
        "verified_amount",
    ),
    Breach("tip_extension_days_range", tip_investigating, lambda r: {"extension_days": 61}),
    Breach("tip_allegation_length", tip, lambda r: {"allegation": "字" * 2001}),
    Breach("tip_decision_note_length", tip, lambda r: {"decision_note": "字" * 2001}),
    Breach("tip_conclusion_note_length", tip, lambda r: {"conclusion_note": "字" * 2001}),
    Breach("tip_reply_note_length", tip, lambda r: {"reply_note": "字" * 2001}),
    Breach("tipextension_days_range", extension, lambda r: {"working_days": 31}),
    Breach("tipextension_reason_required", extension, lambda r: {"reason": ""}, "reason"),
    Breach("tipextension_reason_length", extension, lambda r: {"reason": "字" * 2001}),
    Breach(
        "tipreward_status_valid",
        reward,
        lambda r: {"status": "lost"},
        "status",
        also=frozenset({"tipreward_decision_has_date"}),
    ),
    Breach("tipreward_share_range", reward, lambda r: {"share": Decimal("0")}),
    Breach("tipreward_amount_positive", reward, lambda r: {"amount": Decimal("0")}),
    Breach("tipreward_method_valid", reward, lambda r: {"method": "gold"}, "method"),
    Breach(
        "tipreward_decision_has_date",
        reward,
        lambda r: {"status": RewardStatus.APPROVED, "claim_by": D(2025, 6, 24)},
    ),
    Breach("tipreward_four_eyes", reward, _one_user_twice),
    Breach(
        "tipreward_approved_has_claim_by",
        reward,
        lambda r: {"status": RewardStatus.APPROVED, "decided_on": D(2025, 3, 26)},
    ),
    Breach(
        "tipreward_paid_has_payment",
        reward,
        lambda r: {
            "status": RewardStatus.PAID,
            "decided_on": D(2025, 3, 26),
            "claim_by": D(2025, 6, 24),
        },
    ),
    Breach("tipreward_note_length", reward, lambda r: {"note": "字" * 2001}),
    Breach("calendaryear_year_range", calendar_year, lambda r: {"year": 1999}),
    Breach("calendaryear_notice_required", calendar_year, lambda r: {"notice": ""}, "notice"),
    Breach("calendaryear_note_length", calendar_year, lambda r: {"note": "字" * 2001}),
    Breach("calendarday_name_required", calendar_day, lambda r: {"name": ""}, "name"),
    Breach("hotline_channel_valid", hotline, lambda r: {"channel": "letter"}),
    Breach("hotline_name_required", hotline, lambda r: {"name": ""}, "name"),
    Breach("hotline_published_has_contact", hotline, lambda r: {"published": True, "contact": ""}),
    Breach(
        "evidence_exactly_one_record",
        lambda: EvidenceFactory.build(inspection=InspectionFactory()),
        lambda r: {"tip": TipFactory()},
        label="inspection-and-tip",
    ),
]


# --- credit management (信用管理): subjects, indicator systems, the annual evaluation ------------


def _category(code: str) -> CreditCategory:
    return CreditCategory.objects.get(pk=code)


def credit_category() -> CreditCategory:
    # The migration seeds all 8; this one (with its seeded measures) is freed for the example.
    SupervisionMeasure.objects.filter(category=CreditCategoryCode.INSURED_PERSON).delete()
    CreditCategory.objects.filter(pk=CreditCategoryCode.INSURED_PERSON).delete()
    return CreditCategory(
        code=CreditCategoryCode.INSURED_PERSON, number=8, subject_type=SubjectType.INSURED_PERSON
    )


def institution() -> CreditInstitution:
    return CreditInstitution(
        category=_category(CreditCategoryCode.PHARMA_COMPANY),
        name="西藏示例医药有限公司",
        credit_code=make_credit_code(770001),
        district=District.CHENGGUAN,
    )


def insured_person() -> InsuredPerson:
    return InsuredPerson(
        name="示例参保人", district=District.CHENGGUAN, id_masked="540102********123X"
    )


def _resident_id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def insured_identity() -> InsuredIdentity:
    person = insured_person()
    person.save()
    return InsuredIdentity(person=person, id_number=_resident_id("54010219800101123"))


def indicator_system() -> IndicatorSystem:
    return IndicatorSystem(
        category=_category(CreditCategoryCode.RETAIL_PHARMACY), year=2024, name="2024年度药店指标"
    )


def _system_of_another_year(row: IndicatorSystem) -> dict[str, Any]:
    IndicatorSystem.objects.create(category=row.category, year=2023, name="2023年度药店指标")
    return {"year": 2023}


def dimension() -> Dimension:
    return Dimension(system=IndicatorSystemFactory(), name="基础管理", full_points=300)


def _dimension_named_twice(row: Dimension) -> dict[str, Any]:
    Dimension.objects.create(system=row.system, position=2, name="基金使用", full_points=700)
    return {"name": "基金使用"}


def manual_indicator() -> Indicator:
    system = IndicatorSystemFactory()
    part = Dimension.objects.create(system=system, name="基础管理", full_points=300)
    return Indicator(
        system=system,
        dimension=part,
        code="1.1",
        name="内部管理制度",
        method=IndicatorMethod.MANUAL,
        full_points=300,
    )


def fact_indicator() -> Indicator:
    row = manual_indicator()
    row.method = IndicatorMethod.FACT
    row.fact = IndicatorFact.INSPECTION_VIOLATION
    row.points_per_unit = Decimal("50")
    return row


def _indicator_code_twice(row: Indicator) -> dict[str, Any]:
    Indicator.objects.create(
        system=row.system,
        dimension=row.dimension,
        code="1.2",
        name="信息化建设",
        method=IndicatorMethod.MANUAL,
        full_points=100,
    )
    return {"code": "1.2"}


def cycle() -> EvaluationCycle:
    return EvaluationCycleFactory.build()


def cycle_published() -> EvaluationCycle:
    return EvaluationCycleFactory.build(
        status=CycleStatus.PUBLICATION,
        scored_at=timezone.now(),
        initial_done_on=D(2025, 3, 1),
        reviewed_on=D(2025, 3, 10),
        publication_starts=D(2025, 3, 11),
        publication_ends=D(2025, 3, 25),
    )


def _cycle_of_another_year(row: EvaluationCycle) -> dict[str, Any]:
    EvaluationCycleFactory(category=row.category, year=2023)
    return {"year": 2023}


def assessment() -> Assessment:
    facility = FacilityFactory()
    return AssessmentFactory.build(
        cycle=EvaluationCycleFactory(),
        facility=facility,
        district=facility.district,
        subject_name=facility.name,
    )


def scored_assessment() -> Assessment:
    row = assessment()
    row.score, row.grade = Decimal("950.00"), Grade.A
    return row


def institution_assessment() -> Assessment:
    subject = institution()
    subject.save()
    return Assessment(
        cycle=EvaluationCycleFactory(category=subject.category),
        institution=subject,
        district=subject.district,
        subject_name=subject.name,
    )


def person_assessment() -> Assessment:
    subject = insured_person()
    subject.save()
    return Assessment(
        cycle=EvaluationCycleFactory(category=_category(CreditCategoryCode.INSURED_PERSON)),
        insured_person=subject,
        district=subject.district,
        subject_name=subject.name,
    )


def _facility_twice(row: Assessment) -> dict[str, Any]:
    return {"facility": AssessmentFactory(cycle=row.cycle).facility}


def _institution_twice(row: Assessment) -> dict[str, Any]:
    other = CreditInstitution.objects.create(
        category=row.institution.category,
        name="西藏另一医药有限公司",
        credit_code=make_credit_code(770002),
        district=District.DAGZE,
    )
    Assessment.objects.create(
        cycle=row.cycle, institution=other, district=other.district, subject_name=other.name
    )
    return {"institution": other}


def _person_twice(row: Assessment) -> dict[str, Any]:
    other = InsuredPerson.objects.create(
        name="另一参保人", district=District.DAGZE, id_masked="540102********456X"
    )
    Assessment.objects.create(
        cycle=row.cycle, insured_person=other, district=other.district, subject_name=other.name
    )
    return {"insured_person": other}


def _second_subject(row: Assessment) -> dict[str, Any]:
    other = institution()
    other.save()
    return {"institution": other}


def item() -> AssessmentItem:
    indicator = manual_indicator()
    indicator.save()
    return AssessmentItem(
        assessment=AssessmentFactory(),
        indicator=indicator,
        points=Decimal("30.00"),
        note="制度不全",
        entered_by=UserFactory(),
    )


def _indicator_scored_twice(row: AssessmentItem) -> dict[str, Any]:
    other = Indicator.objects.create(
        system=row.indicator.system,
        dimension=row.indicator.dimension,
        code="1.2",
        name="信息化建设",
        method=IndicatorMethod.MANUAL,
        full_points=100,
    )
    AssessmentItem.objects.create(assessment=row.assessment, indicator=other, points=Decimal("5"))
    return {"indicator": other}


def objection() -> Objection:
    return ObjectionFactory.build(assessment=AssessmentFactory())


def objection_decided() -> Objection:
    return ObjectionFactory.build(
        assessment=AssessmentFactory(),
        status=ObjectionStatus.UPHELD,
        decided_on=D(2025, 3, 10),
        decision="违规已整改，调整评分。",
        grade_before=Grade.C,
        grade_after=Grade.B,
        decided_by=UserFactory(),
    )


def repair() -> CreditRepair:
    return CreditRepair(
        rating=CreditRatingFactory(grade=Grade.C, score=Decimal("650")),
        applied_on=D(2025, 6, 2),
        rectification="已完成全部整改。",
        eligible_from=D(2025, 6, 1),
        from_grade=Grade.C,
    )


def repair_rejected() -> CreditRepair:
    row = repair()
    row.status, row.decided_on, row.decision = RepairStatus.REJECTED, D(2025, 6, 20), "整改不到位。"
    return row


def measure() -> SupervisionMeasure:
    # The migration seeds every category and grade; this one is freed for the example.
    SupervisionMeasure.objects.filter(category=CreditCategoryCode.EMPLOYER, grade=Grade.D).delete()
    return SupervisionMeasure(
        category=_category(CreditCategoryCode.EMPLOYER), grade=Grade.D, min_checks=2, max_checks=4
    )


def planned_check() -> PlannedCheck:
    return PlannedCheck(
        year=2025,
        facility=FacilityFactory(),
        grade=Grade.C,
        grade_year=2024,
        sequence=1,
        due_on=D(2025, 6, 30),
    )


def _sequence_twice(row: PlannedCheck) -> dict[str, Any]:
    PlannedCheck.objects.create(
        year=row.year,
        facility=row.facility,
        grade=row.grade,
        grade_year=row.grade_year,
        sequence=2,
        due_on=D(2025, 12, 31),
    )
    return {"sequence": 2}


def repair_saved() -> CreditRepair:
    row = repair()
    row.save()
    return row


CREDIT_BREACHES = [
    # A grade's change: its kind, and the inspection behind a dynamic adjustment
    Breach("ratingchange_kind_valid", rating_change, lambda r: {"kind": "whim"}, "kind"),
    Breach(
        "ratingchange_adjustment_has_inspection",
        rating_change,
        lambda r: {"kind": RatingChangeKind.ADJUSTMENT},
    ),
    # Evidence on the two new parents: still exactly one record
    Breach(
        "evidence_exactly_one_record",
        evidence,
        lambda r: {"objection": ObjectionFactory()},
        label="inspection-and-objection",
    ),
    Breach(
        "evidence_exactly_one_record",
        lambda: EvidenceFactory.build(inspection=None, objection=ObjectionFactory()),
        lambda r: {"repair": repair_saved()},
        label="objection-and-repair",
    ),
    # CreditCategory (seeded)
    Breach("creditcategory_code_valid", credit_category, lambda r: {"code": "alien"}, "code"),
    Breach(
        "creditcategory_subject_type_valid",
        credit_category,
        lambda r: {"subject_type": "anyone"},
        "subject_type",
    ),
    Breach("creditcategory_number_range", credit_category, lambda r: {"number": 9}),
    Breach(
        "creditcategory_description_length", credit_category, lambda r: {"description": "字" * 2001}
    ),
    # CreditInstitution
    Breach(
        "institution_category_valid",
        institution,
        lambda r: {"category": _category(CreditCategoryCode.MEDICAL_INSTITUTION)},
    ),
    Breach("institution_district_valid", institution, lambda r: {"district": "540202"}, "district"),
    Breach("institution_name_required", institution, lambda r: {"name": ""}, "name"),
    Breach("institution_note_length", institution, lambda r: {"note": "字" * 2001}),
    # InsuredPerson and their ID number
    Breach(
        "insuredperson_district_valid", insured_person, lambda r: {"district": "540202"}, "district"
    ),
    Breach("insuredperson_name_required", insured_person, lambda r: {"name": ""}, "name"),
    Breach("insuredperson_note_length", insured_person, lambda r: {"note": "字" * 2001}),
    Breach(
        "insuredidentity_id_required", insured_identity, lambda r: {"id_number": ""}, "id_number"
    ),
    # IndicatorSystem
    Breach("indicatorsystem_one_per_category_year", indicator_system, _system_of_another_year),
    Breach(
        "indicatorsystem_thresholds_ordered",
        indicator_system,
        lambda r: {"threshold_b": 900},
        label="b-equals-a",
    ),
    Breach(
        "indicatorsystem_thresholds_ordered",
        indicator_system,
        lambda r: {"threshold_c": 0},
        label="c-zero",
    ),
    Breach(
        "indicatorsystem_thresholds_ordered",
        indicator_system,
        lambda r: {"threshold_a": 1001},
        label="a-over-1000",
    ),
    Breach("indicatorsystem_year_in_range", indicator_system, lambda r: {"year": 2017}, "year"),
    Breach("indicatorsystem_name_required", indicator_system, lambda r: {"name": ""}, "name"),
    Breach("indicatorsystem_note_length", indicator_system, lambda r: {"note": "字" * 2001}),
    # Dimension
    Breach("dimension_name_unique_in_system", dimension, _dimension_named_twice),
    Breach("dimension_points_range", dimension, lambda r: {"full_points": 0}),
    Breach("dimension_name_required", dimension, lambda r: {"name": ""}, "name"),
    # Indicator
    Breach("indicator_code_unique_in_system", manual_indicator, _indicator_code_twice),
    Breach(
        "indicator_method_valid",
        manual_indicator,
        lambda r: {"method": "guess"},
        "method",
        # No branch of "fits method" matches a method that does not exist.
        also=frozenset({"indicator_fits_method"}),
    ),
    Breach("indicator_fact_valid", fact_indicator, lambda r: {"fact": "rumour"}, "fact"),
    Breach(
        "indicator_fits_method",
        manual_indicator,
        lambda r: {"fact": IndicatorFact.SUBSTANTIATED_TIP},
        label="manual-with-fact",
    ),
    Breach(
        "indicator_fits_method",
        fact_indicator,
        lambda r: {"points_per_unit": Decimal("0")},
        label="fact-without-points",
    ),
    Breach(
        "indicator_fits_method",
        manual_indicator,
        lambda r: {"method": IndicatorMethod.BONUS, "full_points": 20},
        label="bonus-in-a-dimension",
    ),
    Breach(
        "indicator_fits_method",
        manual_indicator,
        lambda r: {
            "method": IndicatorMethod.VETO,
            "fact": IndicatorFact.REFERRAL,
            "full_points": 0,
            "dimension": None,
            "veto_grade": Grade.B,
        },
        label="veto-to-b",
    ),
    Breach("indicator_code_and_name_required", manual_indicator, lambda r: {"code": ""}, "code"),
    Breach("indicator_guidance_length", manual_indicator, lambda r: {"guidance": "字" * 1001}),
    # EvaluationCycle
    Breach("cycle_one_per_category_year", cycle, _cycle_of_another_year),
    Breach("cycle_status_valid", cycle, lambda r: {"status": "lost"}, "status"),
    Breach(
        "cycle_self_assessment_due_after_opening",
        cycle,
        lambda r: {"self_assessment_due": D(2025, 1, 9)},
    ),
    Breach(
        "cycle_initial_done_with_review",
        cycle,
        lambda r: {"status": CycleStatus.REVIEW},
        label="review-without-date",
    ),
    Breach(
        "cycle_initial_done_with_review",
        cycle,
        lambda r: {"initial_done_on": D(2025, 3, 1)},
        label="date-before-review",
    ),
    Breach(
        "cycle_publication_dates_with_status",
        cycle,
        lambda r: {"status": CycleStatus.PUBLICATION, "initial_done_on": D(2025, 3, 1)},
        label="publication-without-dates",
    ),
    Breach(
        "cycle_publication_dates_with_status",
        cycle_published,
        lambda r: {"status": CycleStatus.REVIEW},
        label="dates-before-publication",
    ),
    Breach(
        "cycle_publication_ends_after_start",
        cycle_published,
        lambda r: {"publication_ends": r.publication_starts},
    ),
    Breach(
        "cycle_finalised_on_with_status", cycle_published, lambda r: {"status": CycleStatus.FINAL}
    ),
    Breach(
        "cycle_announced_on_with_status",
        cycle_published,
        lambda r: {"status": CycleStatus.ANNOUNCED, "finalised_on": D(2025, 4, 1)},
    ),
    Breach("cycle_year_in_range", cycle, lambda r: {"year": 2101}, "year"),
    Breach("cycle_note_length", cycle, lambda r: {"note": "字" * 2001}),
    # Assessment
    Breach(
        "assessment_exactly_one_subject", assessment, lambda r: {"facility": None}, label="none"
    ),
    Breach("assessment_exactly_one_subject", assessment, _second_subject, label="two"),
    Breach("assessment_facility_once_per_cycle", assessment, _facility_twice),
    Breach("assessment_institution_once_per_cycle", institution_assessment, _institution_twice),
    Breach("assessment_person_once_per_cycle", person_assessment, _person_twice),
    Breach("assessment_grade_valid", scored_assessment, lambda r: {"grade": "E"}, "grade"),
    Breach(
        "assessment_published_grade_valid",
        assessment,
        lambda r: {"published_grade": "E"},
        "published_grade",
    ),
    Breach(
        "assessment_score_with_grade",
        assessment,
        lambda r: {"score": Decimal("800")},
        label="score-without-grade",
    ),
    Breach(
        "assessment_score_with_grade",
        scored_assessment,
        lambda r: {"score": None},
        label="grade-without-score",
    ),
    Breach("assessment_veto_lowers_grade", scored_assessment, lambda r: {"vetoed": True}),
    Breach("assessment_district_valid", assessment, lambda r: {"district": "999999"}, "district"),
    Breach(
        "assessment_deductions_in_range",
        assessment,
        lambda r: {"deductions": Decimal("1000.01")},
        "deductions",
    ),
    Breach("assessment_bonus_in_range", assessment, lambda r: {"bonus": Decimal("-1")}, "bonus"),
    Breach(
        "assessment_self_score_in_range",
        assessment,
        lambda r: {"self_score": Decimal("1000.01"), "self_received_on": D(2025, 1, 20)},
        "self_score",
    ),
    Breach(
        "assessment_score_in_range",
        scored_assessment,
        lambda r: {"score": Decimal("1000.01")},
        "score",
        label="over-1000",
    ),
    Breach(
        "assessment_score_in_range",
        scored_assessment,
        lambda r: {"score": Decimal("-0.01"), "grade": Grade.D},
        "score",
        label="neg",
    ),
    Breach(
        "assessment_self_score_with_date",
        assessment,
        lambda r: {"self_score": Decimal("900")},
    ),
    Breach("assessment_finalised_has_grade", assessment, lambda r: {"finalised": True}),
    Breach("assessment_self_note_length", assessment, lambda r: {"self_note": "字" * 2001}),
    # AssessmentItem
    Breach("item_once_per_indicator", item, _indicator_scored_twice),
    Breach("item_automatic_has_no_evaluator", item, lambda r: {"automatic": True}),
    Breach("item_facts_only_automatic", item, lambda r: {"facts": 2}),
    Breach("item_note_length", item, lambda r: {"note": "字" * 2001}),
    Breach("item_points_in_range", item, lambda r: {"points": Decimal("1000.01")}, "points"),
    Breach(
        "item_points_in_range", item, lambda r: {"points": Decimal("-1")}, "points", label="neg"
    ),
    # Objection
    Breach(
        "objection_status_valid",
        objection,
        lambda r: {"status": "lost"},
        "status",
        also=frozenset({"objection_decision_with_status"}),
    ),
    Breach("objection_grounds_required", objection, lambda r: {"grounds": ""}, "grounds"),
    Breach(
        "objection_decision_with_status",
        objection,
        lambda r: {"status": ObjectionStatus.UPHELD},
        label="decided-without-decision",
    ),
    Breach(
        "objection_decision_with_status",
        objection_decided,
        lambda r: {"grade_after": ""},
        label="decided-without-grade",
    ),
    Breach(
        "objection_decision_with_status",
        objection,
        lambda r: {"decided_on": D(2025, 3, 10)},
        label="pending-with-date",
    ),
    Breach(
        "objection_decided_after_received",
        objection_decided,
        lambda r: {"decided_on": D(2025, 3, 2)},
    ),
    Breach("objection_grounds_length", objection, lambda r: {"grounds": "字" * 2001}),
    Breach("objection_decision_length", objection_decided, lambda r: {"decision": "字" * 2001}),
    # CreditRepair
    Breach(
        "repair_status_valid",
        repair,
        lambda r: {"status": "lost"},
        "status",
        also=frozenset({"repair_decision_with_status"}),
    ),
    Breach("repair_only_c_or_d", repair, lambda r: {"from_grade": Grade.B}),
    Breach("repair_after_waiting_period", repair, lambda r: {"eligible_from": D(2025, 6, 3)}),
    Breach(
        "repair_rectification_required", repair, lambda r: {"rectification": ""}, "rectification"
    ),
    Breach(
        "repair_decision_with_status",
        repair,
        lambda r: {"status": RepairStatus.APPROVED, "decided_on": D(2025, 6, 20)},
        label="approved-without-decision",
    ),
    Breach(
        "repair_decision_with_status",
        repair_rejected,
        lambda r: {"to_grade": Grade.B},
        label="rejected-with-grade",
    ),
    Breach(
        "repair_decided_after_applied", repair_rejected, lambda r: {"decided_on": D(2025, 6, 1)}
    ),
    Breach("repair_rectification_length", repair, lambda r: {"rectification": "字" * 2001}),
    Breach("repair_decision_length", repair_rejected, lambda r: {"decision": "字" * 2001}),
    # SupervisionMeasure (seeded)
    Breach("measure_one_per_category_grade", measure, lambda r: {"grade": Grade.C}),
    Breach("measure_grade_valid", measure, lambda r: {"grade": "E"}, "grade"),
    Breach(
        "measure_checks_range",
        measure,
        lambda r: {"min_checks": 5},
        label="at-most-below-at-least",
    ),
    Breach(
        "measure_checks_range",
        measure,
        lambda r: {"min_checks": 13, "max_checks": None},
        "min_checks",
        label="13",
    ),
    Breach("measure_note_length", measure, lambda r: {"note": "字" * 2001}),
    # PlannedCheck
    Breach("plannedcheck_once_per_sequence", planned_check, _sequence_twice),
    Breach("plannedcheck_grade_valid", planned_check, lambda r: {"grade": "E"}, "grade"),
    Breach("plannedcheck_sequence_range", planned_check, lambda r: {"sequence": 0}, label="0"),
    Breach("plannedcheck_sequence_range", planned_check, lambda r: {"sequence": 13}, label="13"),
    Breach("plannedcheck_grade_of_earlier_year", planned_check, lambda r: {"grade_year": 2025}),
]


BREACHES = [
    # Free text past its limit (migration 0102): every path meets the CHECK
    Breach("facility_note_length", facility, lambda r: {"note": "字" * 2001}),
    Breach("rating_basis_length", rating, lambda r: {"basis": "字" * 2001}),
    Breach("ratingchange_reason_length", rating_change, lambda r: {"reason": "字" * 1001}),
    Breach("inspection_findings_length", inspection, lambda r: {"findings": "字" * 5001}),
    Breach("referral_summary_length", referral, lambda r: {"summary": "字" * 2001}),
    Breach("referral_outcome_length", referral, lambda r: {"outcome": "字" * 2001}),
    Breach("sanction_legal_basis_length", warning, lambda r: {"legal_basis": "字" * 1001}),
    Breach("sanction_note_length", warning, lambda r: {"note": "字" * 2001}),
    # Evidence (files attached to an inspection, a referral or a sanction)
    Breach("evidence_exactly_one_record", evidence, lambda r: {"inspection": None}, label="none"),
    Breach(
        "evidence_exactly_one_record",
        evidence,
        lambda r: {"sanction": SanctionFactory(facility=r.inspection.facility)},
        label="two",
    ),
    Breach(
        "evidence_content_type_valid",
        evidence,
        lambda r: {"content_type": "text/html"},
        "content_type",
    ),
    Breach("evidence_not_empty", evidence, lambda r: {"size": 0}),
    Breach("evidence_has_name", evidence, lambda r: {"original_name": ""}, "original_name"),
    # The overview's running totals (kept by triggers: one row per key)
    Breach("gradetally_year_grade_district_uniq", grade_tally, _same_grade_key),
    Breach("inspectiontally_month_kind_district_uniq", inspection_tally, _same_month_key),
    # UserDistrict (an account's district scope)
    Breach("userdistrict_unique", user_district, _same_district),
    Breach(
        "userdistrict_district_valid", user_district, lambda r: {"district": "540202"}, "district"
    ),
    # Facility
    Breach(
        "facility_kind_valid",
        facility,
        lambda r: {"kind": "ministry"},
        caught_by_field="kind",
        # No branch of "code fits kind" matches a kind that does not exist.
        also=frozenset({"facility_insurance_code_fits_kind"}),
    ),
    Breach("facility_ownership_valid", facility, lambda r: {"ownership": "state"}, "ownership"),
    Breach("facility_district_valid", facility, lambda r: {"district": "540202"}, "district"),
    Breach("facility_zone_valid", facility, lambda r: {"zone": "540199"}, "zone"),
    Breach(
        "facility_credit_code_shape",
        facility,
        lambda r: {"credit_code": r.credit_code[:17]},
        "credit_code",
        label="17-chars",
    ),
    Breach(
        "facility_credit_code_shape",
        facility,
        lambda r: {"credit_code": "92370102ma3m9ag94x"},
        # full_clean upper-cases it, so this row is accepted there (see its own test).
        caught_by_field=None,
        label="lower-case",
    ),
    Breach(
        "facility_insurance_code_fits_kind",
        facility,
        lambda r: {"kind": "pharmacy"},
        "insurance_code",
        label="pharmacy-with-H",
    ),
    Breach(
        "facility_insurance_code_fits_kind",
        facility,
        lambda r: {"kind": "insurer"},
        "insurance_code",
        label="insurer-with-code",
    ),
    Breach(
        "facility_insurance_code_fits_kind",
        facility,
        lambda r: {"insurance_code": ""},
        "insurance_code",
        label="hospital-without-code",
    ),
    Breach(
        "facility_insurance_code_fits_kind",
        facility,
        lambda r: {"insurance_code": r.insurance_code[:11]},
        "insurance_code",
        label="short-code",
    ),
    Breach("facility_insurance_code_unique", facility, _same_insurance_code),
    Breach(
        "facility_deposit_not_negative",
        facility,
        lambda r: {"deposit": Decimal("-0.01")},
        "deposit",
    ),
    # CreditRating
    Breach("rating_one_per_facility_year", rating, _same_year),
    Breach("rating_grade_valid", rating, lambda r: {"grade": "E"}, "grade"),
    Breach("rating_year_in_range", rating, lambda r: {"year": 2017}, "year", label="2017"),
    Breach("rating_year_in_range", rating, lambda r: {"year": 2101}, "year", label="2101"),
    # A and D: the grades whose bands are open above and below, so that only the range breaks.
    Breach(
        "rating_score_in_range",
        rating,
        lambda r: {"grade": "A", "score": Decimal("1000.01")},
        "score",
        label="over-1000",
    ),
    Breach(
        "rating_score_in_range",
        rating,
        lambda r: {"grade": "D", "score": Decimal("-1")},
        "score",
        label="neg",
    ),
    Breach("rating_score_fits_grade", rating, lambda r: {"score": Decimal("900")}, label="B-900"),
    Breach(
        "rating_score_fits_grade",
        rating,
        lambda r: {"grade": "D", "score": Decimal("600")},
        label="D-600",
    ),
    # RatingChange
    Breach("ratingchange_to_grade_valid", rating_change, lambda r: {"to_grade": "E"}, "to_grade"),
    Breach(
        "ratingchange_from_grade_valid", rating_change, lambda r: {"from_grade": "F"}, "from_grade"
    ),
    Breach("ratingchange_changes_grade", rating_change, lambda r: {"from_grade": r.to_grade}),
    Breach("ratingchange_reason_required", rating_change, lambda r: {"reason": ""}, "reason"),
    # Inspection
    Breach("inspection_kind_valid", inspection, lambda r: {"kind": "raid"}, "kind"),
    Breach("inspection_status_valid", inspection, lambda r: {"status": "done"}, "status"),
    Breach("inspection_dates_in_order", inspection, lambda r: {"end_date": D(2025, 3, 9)}),
    Breach(
        "inspection_completed_has_end_date",
        inspection,
        lambda r: {"status": InspectionStatus.COMPLETED, "end_date": None},
    ),
    Breach(
        "inspection_amounts_not_negative",
        inspection,
        lambda r: {"amount_recovered": Decimal("-1")},
        "amount_recovered",
    ),
    Breach(
        "inspection_recovered_within_involved",
        inspection,
        lambda r: {"amount_involved": Decimal("100.00"), "amount_recovered": Decimal("100.01")},
    ),
    # Referral
    Breach("referral_once_per_agency", referral, _same_agency),
    Breach("referral_agency_valid", referral, lambda r: {"agency": "army"}, "agency"),
    Breach("referral_status_valid", referral, lambda r: {"status": "lost"}, "status"),
    Breach("referral_summary_required", referral, lambda r: {"summary": ""}, "summary"),
    Breach("referral_decided_after_referred", referral, lambda r: {"decided_on": D(2025, 3, 19)}),
    Breach(
        "referral_closed_after_decided",
        referral,
        lambda r: {"closed_on": D(2025, 3, 25)},
        label="not-decided",
    ),
    Breach(
        "referral_closed_after_decided",
        referral,
        lambda r: {"decided_on": D(2025, 3, 25), "closed_on": D(2025, 3, 24)},
        label="before-decision",
    ),
    Breach(
        "referral_decision_has_date",
        referral,
        lambda r: {"status": ReferralStatus.ACCEPTED, "case_number": "拉公立〔2025〕1号"},
        label="accepted",
    ),
    Breach(
        "referral_decision_has_date",
        referral,
        lambda r: {"status": ReferralStatus.DECLINED},
        label="declined",
    ),
    Breach(
        "referral_closed_has_date",
        referral,
        lambda r: {"status": ReferralStatus.CLOSED, "decided_on": D(2025, 3, 25)},
    ),
    # Sanction
    Breach("sanction_kind_valid", warning, lambda r: {"kind": "praise"}, "kind"),
    Breach(
        "sanction_dated_kinds_have_start",
        termination,
        lambda r: {"starts_on": None},
        label="termination",
    ),
    Breach(
        "sanction_dated_kinds_have_start",
        suspension,
        lambda r: {"starts_on": None},
        label="suspension",
    ),
    Breach("sanction_suspension_has_end", suspension, lambda r: {"ends_on": None}),
    Breach(
        "sanction_only_suspension_has_end",
        termination,
        lambda r: {"ends_on": D(2025, 7, 1)},
        label="termination",
    ),
    Breach(
        "sanction_only_suspension_has_end",
        warning,
        lambda r: {"starts_on": D(2025, 4, 1), "ends_on": D(2025, 4, 30)},
        label="warning",
    ),
    Breach("sanction_dates_in_order", suspension, lambda r: {"ends_on": D(2025, 3, 31)}),
    Breach(
        "sanction_percent_in_range",
        deposit_recovery,
        lambda r: {"deposit_percent": Decimal("0")},
        label="zero",
    ),
    Breach(
        "sanction_percent_in_range",
        deposit_recovery,
        lambda r: {"deposit_percent": Decimal("100.01")},
        "deposit_percent",
        label="over-100",
    ),
    Breach(
        "sanction_deposit_recovery_has_percent",
        deposit_recovery,
        lambda r: {"deposit_percent": None},
        label="no-percent",
    ),
    Breach(
        "sanction_deposit_recovery_has_percent",
        deposit_recovery,
        lambda r: {"amount": None},
        label="no-amount",
    ),
    Breach(
        "sanction_deposit_recovery_has_percent",
        fine,
        lambda r: {"deposit_percent": Decimal("5")},
        label="fine-with-percent",
    ),
    Breach(
        "sanction_money_kinds_have_amount",
        fine,
        lambda r: {"amount": Decimal("0")},
        label="fine-zero",
    ),
    Breach(
        "sanction_money_kinds_have_amount",
        fine,
        lambda r: {"amount": None},
        label="fine-without-amount",
    ),
    Breach(
        "sanction_money_kinds_have_amount",
        fine,
        lambda r: {"kind": SanctionKind.FUND_RECOVERY, "amount": None},
        label="recovery-without-amount",
    ),
    Breach("sanction_one_commendation_per_rating", commendation, _second_rating_for),
    Breach(
        "sanction_rating_only_for_rating_measures",
        fine,
        lambda r: {"rating": CreditRatingFactory(facility=r.facility)},
    ),
    Breach("sanction_commendation_has_rating", commendation, lambda r: {"rating": None}),
    Breach("sanction_amount_not_negative", warning, lambda r: {"amount": Decimal("-5")}, "amount"),
]
# --- Practitioners (issue 14) -------------------------------------------------------------------


def practitioner() -> Practitioner:
    return Practitioner(
        name="示例医师",
        profession=Profession.DOCTOR,
        district=District.CHENGGUAN,
        id_masked="540102********123X",
    )


def practitioner_identity() -> PractitionerIdentity:
    person = practitioner()
    person.save()
    return PractitionerIdentity(practitioner=person, id_number=_resident_id("54010219800101123"))


def registration() -> Registration:
    person = practitioner()
    person.save()
    return Registration(
        practitioner=person, facility=FacilityFactory(), registered_on=D(2024, 1, 2)
    )


def _registered_twice(row: Registration) -> dict[str, Any]:
    Registration.objects.create(
        practitioner=row.practitioner, facility=row.facility, registered_on=D(2023, 1, 2)
    )
    return {}


def points_policy() -> PointsPolicy:
    return PointsPolicy(from_year=2030)


def _policy_2024() -> PointsPolicy:
    return PointsPolicy.objects.get(from_year=2024)


def points_band() -> PointsBand:
    return PointsBand(
        policy=_policy_2024(), responsibility=Responsibility.GENERAL, min_points=2, max_points=3
    )


def suspension_period() -> SuspensionPeriod:
    return SuspensionPeriod(policy=_policy_2024(), points=8, months=1)


def points_record() -> PointsRecord:
    person = practitioner()
    person.save()
    inspection = InspectionFactory(completed=True)
    return PointsRecord(
        practitioner=person,
        inspection=inspection,
        facility=inspection.facility,
        violation_id=Violation.OVERCHARGING,
        responsibility=Responsibility.GENERAL,
        points=3,
        basis="依据",
        decision_number="拉医保资记〔2025〕1号",
        decided_on=D(2025, 3, 20),
        year=2025,
    )


def _scored_twice(row: PointsRecord) -> dict[str, Any]:
    PointsRecord.objects.create(
        **{k: v for k, v in _values(row).items() if k not in ("id", "created_at", "updated_at")}
    )
    return {}


def measure() -> QualificationMeasure:
    record = points_record()
    record.points = 9
    record.responsibility = Responsibility.MAIN
    record.save()
    return QualificationMeasure(
        practitioner=record.practitioner,
        year=2025,
        kind=MeasureKind.SUSPENSION,
        starts_on=D(2025, 3, 20),
        ends_on=D(2025, 5, 19),
        points=9,
        points_record=record,
    )


def _measured_twice(row: QualificationMeasure) -> dict[str, Any]:
    QualificationMeasure.objects.create(
        **{k: v for k, v in _values(row).items() if k not in ("id",)}
    )
    return {}


def practitioner_assessment() -> Assessment:
    subject = practitioner()
    subject.save()
    return Assessment(
        cycle=EvaluationCycleFactory(category=_category(CreditCategoryCode.PRACTITIONER)),
        practitioner=subject,
        district=subject.district,
        subject_name=subject.name,
    )


def _practitioner_twice(row: Assessment) -> dict[str, Any]:
    other = practitioner()
    other.save()
    Assessment.objects.create(
        cycle=row.cycle, practitioner=other, district=other.district, subject_name=other.name
    )
    return {"practitioner": other}


PRACTITIONER_BREACHES = [
    Breach(
        "practitioner_profession_valid", practitioner, lambda r: {"profession": "x"}, "profession"
    ),
    Breach(
        "practitioner_district_valid", practitioner, lambda r: {"district": "540202"}, "district"
    ),
    Breach("practitioner_name_required", practitioner, lambda r: {"name": ""}, "name"),
    Breach("practitioner_note_length", practitioner, lambda r: {"note": "字" * 2001}),
    Breach(
        "practitioneridentity_id_required",
        practitioner_identity,
        lambda r: {"id_number": ""},
        "id_number",
    ),
    Breach("registration_one_open_per_facility", registration, _registered_twice),
    Breach(
        "registration_ends_after_start",
        registration,
        lambda r: {"ended_on": D(2023, 12, 31), "end_reason": RegistrationEnd.LEFT},
    ),
    Breach("registration_end_with_reason", registration, lambda r: {"ended_on": D(2024, 6, 1)}),
    Breach(
        "pointspolicy_thresholds_ordered", points_policy, lambda r: {"suspension_threshold": 12}
    ),
    Breach("pointspolicy_year_range", points_policy, lambda r: {"from_year": 2017}, "from_year"),
    Breach("pointspolicy_block_range", points_policy, lambda r: {"block_months_single_event": 6}),
    Breach("pointspolicy_note_length", points_policy, lambda r: {"note": "字" * 2001}),
    Breach(
        "pointsband_responsibility_valid",
        points_band,
        lambda r: {"responsibility": "x"},
        "responsibility",
    ),
    Breach("pointsband_range", points_band, lambda r: {"min_points": 3, "max_points": 2}),
    Breach("pointsband_once", points_band, lambda r: {"min_points": 1}),
    Breach("suspensionperiod_once", suspension_period, lambda r: {"points": 9}),
    Breach("suspensionperiod_points_range", suspension_period, lambda r: {"points": 13}, "points"),
    Breach("suspensionperiod_months_range", suspension_period, lambda r: {"months": 7}, "months"),
    Breach("points_once_per_violation", points_record, _scored_twice),
    Breach(
        "points_responsibility_valid",
        points_record,
        lambda r: {"responsibility": "x"},
        "responsibility",
    ),
    Breach("points_range", points_record, lambda r: {"points": 13}, "points"),
    Breach(
        "points_state_valid",
        points_record,
        lambda r: {"state": "x"},
        "state",
        # A state of no branch has neither an objection's date nor its decision.
        also=frozenset({"points_objection_with_date", "points_objection_decided_with_reason"}),
    ),
    Breach("points_year_range", points_record, lambda r: {"year": 2017}),
    Breach(
        "points_decision_required",
        points_record,
        lambda r: {"decision_number": ""},
        "decision_number",
    ),
    Breach(
        "points_notified_after_decision", points_record, lambda r: {"notified_on": D(2025, 3, 19)}
    ),
    Breach("points_objection_with_date", points_record, lambda r: {"state": PointsState.OBJECTED}),
    Breach(
        "points_objection_decided_with_reason",
        points_record,
        lambda r: {"state": PointsState.MAINTAINED, "objected_on": D(2025, 3, 21)},
    ),
    Breach(
        "points_reduced_keeps_original",
        points_record,
        lambda r: {
            "state": PointsState.REDUCED,
            "objected_on": D(2025, 3, 21),
            "objection_decided_on": D(2025, 3, 25),
            "objection_reason": "部分成立",
        },
    ),
    Breach("pointsrecord_basis_length", points_record, lambda r: {"basis": "字" * 2001}),
    Breach(
        "pointsrecord_objection_grounds_length",
        points_record,
        lambda r: {"objection_grounds": "字" * 2001},
    ),
    Breach(
        "pointsrecord_objection_reason_length",
        points_record,
        lambda r: {"objection_reason": "字" * 1001},
    ),
    Breach("measure_once_per_year", measure, _measured_twice),
    Breach("measure_kind_valid", measure, lambda r: {"kind": "x"}, "kind"),
    Breach("measure_ends_after_start", measure, lambda r: {"ends_on": D(2025, 3, 19)}),
    Breach("measure_lifted_with_reason", measure, lambda r: {"lifted_on": D(2025, 4, 1)}),
    Breach("measure_points_range", measure, lambda r: {"points": 0}),
    Breach(
        "qualificationmeasure_lift_reason_length",
        measure,
        lambda r: {"lifted_on": D(2025, 4, 1), "lift_reason": "字" * 1001},
    ),
    Breach("assessment_practitioner_once_per_cycle", practitioner_assessment, _practitioner_twice),
]


# --- Random checks (双随机) and publication (信息公开) ------------------------------------------


def random_plan() -> RandomCheckPlan:
    return RandomCheckPlanFactory.build()


def random_plan_drawn() -> RandomCheckPlan:
    return RandomCheckPlanFactory.build(
        status=RandomCheckStatus.DRAWN,
        drawn_at=timezone.now(),
        seed="8 15 23 42",
        algorithm="sha256-weighted-v1",
        result_digest="a" * 64,
    )


def random_plan_cancelled() -> RandomCheckPlan:
    return RandomCheckPlanFactory.build(
        status=RandomCheckStatus.CANCELLED, cancelled_on=D(2026, 2, 20), cancel_reason="计划调整"
    )


def random_target() -> RandomCheckTarget:
    place = FacilityFactory()
    return RandomCheckTarget(
        plan=RandomCheckPlanFactory(), facility=place, rank=1, weight=1, district=place.district
    )


def _another_target(row: RandomCheckTarget) -> RandomCheckTarget:
    place = FacilityFactory()
    return RandomCheckTarget.objects.create(
        plan=row.plan, facility=place, rank=2, weight=1, district=place.district
    )


def _target_drawn_twice(row: RandomCheckTarget) -> dict[str, Any]:
    return {"facility": _another_target(row).facility}


def _rank_twice(row: RandomCheckTarget) -> dict[str, Any]:
    return {"rank": _another_target(row).rank}


def random_assignment() -> RandomCheckAssignment:
    target = random_target()
    target.save()
    return RandomCheckAssignment(target=target, inspector=InspectorFactory(), position=1)


def _another_assignment(row: RandomCheckAssignment) -> RandomCheckAssignment:
    return RandomCheckAssignment.objects.create(
        target=row.target, inspector=InspectorFactory(), position=2
    )


def public_edition() -> PublicEdition:
    # The migration writes the one row; it is freed for the example.
    PublicEdition.objects.all().delete()
    return PublicEdition(id=1, number=7)


def grade_publication() -> GradePublication:
    return GradePublicationFactory.build()


def typical_case() -> TypicalCase:
    return TypicalCaseFactory.build(inspection=InspectionFactory(completed=True))


def typical_case_published() -> TypicalCase:
    return TypicalCaseFactory.build(
        inspection=InspectionFactory(completed=True),
        status=TypicalCaseStatus.PUBLISHED,
        submitted_on=D(2025, 4, 1),
        reviewed_by=UserFactory(),
        published_on=D(2025, 4, 3),
    )


def typical_case_withdrawn() -> TypicalCase:
    row = typical_case_published()
    row.status, row.withdrawn_on, row.withdraw_reason = (
        TypicalCaseStatus.WITHDRAWN,
        D(2025, 5, 1),
        "当事人申请复议",
    )
    return row


PUBLICATION_BREACHES = [
    # Inspector (its home district, read by the draw)
    Breach(
        "inspector_district_valid",
        lambda: InspectorFactory.build(),
        lambda r: {"district": "540202"},
        "district",
    ),
    # RandomCheckPlan
    Breach(
        "randomplan_status_valid",
        random_plan,
        lambda r: {"status": "lost"},
        "status",
        # No branch of "draw with status" matches a status that does not exist.
        also=frozenset({"randomplan_draw_with_status"}),
    ),
    Breach("randomplan_dates_in_order", random_plan, lambda r: {"ends_on": D(2026, 2, 28)}),
    Breach(
        "randomplan_count_or_share", random_plan, lambda r: {"target_count": None}, label="neither"
    ),
    Breach(
        "randomplan_count_or_share",
        random_plan,
        lambda r: {"target_share": Decimal("10")},
        label="both",
    ),
    Breach(
        "randomplan_count_range",
        random_plan,
        lambda r: {"target_count": 100_001},
        "target_count",
        label="over-max",
    ),
    Breach("randomplan_count_range", random_plan, lambda r: {"target_count": 0}, "target_count"),
    Breach(
        "randomplan_share_range",
        random_plan,
        lambda r: {"target_count": None, "target_share": Decimal("100.01")},
        "target_share",
        label="over-100",
    ),
    Breach(
        "randomplan_share_range",
        random_plan,
        lambda r: {"target_count": None, "target_share": Decimal("0")},
        "target_share",
        label="zero",
    ),
    Breach(
        "randomplan_inspectors_range",
        random_plan,
        lambda r: {"inspectors_per_target": 1},
        "inspectors_per_target",
        label="one",
    ),
    Breach(
        "randomplan_inspectors_range",
        random_plan,
        lambda r: {"inspectors_per_target": 11},
        "inspectors_per_target",
        label="eleven",
    ),
    Breach(
        "randomplan_not_inspected_range",
        random_plan,
        lambda r: {"not_inspected_months": 121},
        "not_inspected_months",
    ),
    Breach(
        "randomplan_rest_range",
        random_plan,
        lambda r: {"inspector_rest_months": 0},
        "inspector_rest_months",
    ),
    Breach(
        "randomplan_draw_with_status",
        random_plan_drawn,
        lambda r: {"seed": ""},
        label="drawn-without-seed",
    ),
    Breach(
        "randomplan_draw_with_status",
        random_plan_drawn,
        lambda r: {"drawn_at": None},
        label="drawn-without-time",
    ),
    Breach(
        "randomplan_draw_with_status",
        random_plan,
        lambda r: {"result_digest": "a" * 64},
        label="draft-with-result",
    ),
    Breach(
        "randomplan_published_on_with_status",
        random_plan_drawn,
        lambda r: {"status": RandomCheckStatus.PUBLISHED},
        label="published-without-date",
    ),
    Breach(
        "randomplan_published_on_with_status",
        random_plan_drawn,
        lambda r: {"published_on": D(2026, 2, 25)},
        label="date-before-publication",
    ),
    Breach(
        "randomplan_cancelled_with_reason",
        random_plan,
        lambda r: {"status": RandomCheckStatus.CANCELLED, "cancelled_on": D(2026, 2, 20)},
        label="cancelled-without-reason",
    ),
    Breach(
        "randomplan_cancelled_with_reason",
        random_plan,
        lambda r: {"cancel_reason": "计划调整"},
        label="reason-before-cancel",
    ),
    Breach("randomplan_name_required", random_plan, lambda r: {"name": ""}, "name"),
    Breach("randomplan_note_length", random_plan, lambda r: {"note": "字" * 2001}),
    Breach(
        "randomplan_cancel_reason_length",
        random_plan_cancelled,
        lambda r: {"cancel_reason": "字" * 1001},
    ),
    # RandomCheckTarget
    Breach("randomtarget_once_per_plan", random_target, _target_drawn_twice),
    Breach("randomtarget_rank_unique", random_target, _rank_twice),
    Breach("randomtarget_rank_positive", random_target, lambda r: {"rank": 0}),
    Breach("randomtarget_weight_range", random_target, lambda r: {"weight": 0}, label="zero"),
    Breach("randomtarget_weight_range", random_target, lambda r: {"weight": 11}, label="eleven"),
    Breach(
        "randomtarget_district_valid", random_target, lambda r: {"district": "540202"}, "district"
    ),
    # RandomCheckAssignment
    Breach(
        "randomassignment_once_per_target",
        random_assignment,
        lambda r: {"inspector": _another_assignment(r).inspector},
    ),
    Breach(
        "randomassignment_position_unique",
        random_assignment,
        lambda r: {"position": _another_assignment(r).position},
    ),
    Breach(
        "randomassignment_withdrawn_with_reason",
        random_assignment,
        lambda r: {"withdrawn_on": D(2026, 3, 5)},
        label="date-without-reason",
    ),
    Breach(
        "randomassignment_withdrawn_with_reason",
        random_assignment,
        lambda r: {"withdrawn_reason": "病假"},
        label="reason-without-date",
    ),
    Breach(
        "randomassignment_drawn_or_substitute",
        random_assignment,
        lambda r: {"drawn": False},
        label="substitute-for-nobody",
    ),
    Breach(
        "randomassignment_drawn_or_substitute",
        random_assignment,
        lambda r: {"replaces": _another_assignment(r)},
        label="drawn-and-substitute",
    ),
    Breach(
        "randomassignment_withdrawn_reason_length",
        random_assignment,
        lambda r: {"withdrawn_on": D(2026, 3, 5), "withdrawn_reason": "字" * 1001},
    ),
    # PublicEdition (one row: the public pages' cache key)
    Breach("publicedition_single_row", public_edition, lambda r: {"id": 2}),
    # GradePublication
    Breach(
        "gradepublication_once",
        grade_publication,
        lambda r: {"year": GradePublicationFactory(year=2023).year},
    ),
    Breach(
        "gradepublication_facility_category",
        grade_publication,
        lambda r: {"category": _category(CreditCategoryCode.EMPLOYER)},
        # The field's limit_choices_to offers the facility categories only.
        "category",
    ),
    Breach("gradepublication_year_in_range", grade_publication, lambda r: {"year": 2017}, "year"),
    Breach("gradepublication_note_length", grade_publication, lambda r: {"note": "字" * 2001}),
    # TypicalCase
    Breach(
        "typicalcase_status_valid",
        typical_case,
        lambda r: {"status": "lost"},
        "status",
        # No branch of the status rules matches a status that does not exist.
        also=frozenset(
            {"typicalcase_submitted_on_with_status", "typicalcase_published_with_review"}
        ),
    ),
    Breach("typicalcase_text_required", typical_case, lambda r: {"title": ""}, "title"),
    Breach(
        "typicalcase_text_required",
        typical_case,
        lambda r: {"handling": ""},
        "handling",
        label="handling",
    ),
    Breach(
        "typicalcase_submitted_on_with_status",
        typical_case,
        lambda r: {"status": TypicalCaseStatus.SUBMITTED},
    ),
    Breach(
        "typicalcase_published_with_review",
        typical_case_published,
        lambda r: {"reviewed_by": None},
        label="without-reviewer",
    ),
    Breach(
        "typicalcase_published_with_review",
        typical_case_published,
        lambda r: {"published_on": None},
        label="without-date",
    ),
    Breach(
        "typicalcase_published_with_review",
        typical_case,
        lambda r: {"published_on": D(2025, 4, 3)},
        label="draft-with-date",
    ),
    Breach(
        "typicalcase_withdrawn_with_reason",
        typical_case_published,
        lambda r: {"status": TypicalCaseStatus.WITHDRAWN, "withdrawn_on": D(2025, 5, 1)},
        label="withdrawn-without-reason",
    ),
    Breach(
        "typicalcase_withdrawn_with_reason",
        typical_case_withdrawn,
        lambda r: {"status": TypicalCaseStatus.PUBLISHED},
        label="reason-while-published",
    ),
    Breach("typicalcase_facts_length", typical_case, lambda r: {"facts": "字" * 5001}),
    Breach("typicalcase_handling_length", typical_case, lambda r: {"handling": "字" * 5001}),
    Breach("typicalcase_legal_basis_length", typical_case, lambda r: {"legal_basis": "字" * 2001}),
    Breach("typicalcase_lesson_length", typical_case, lambda r: {"lesson": "字" * 2001}),
    Breach(
        "typicalcase_review_comment_length",
        typical_case,
        lambda r: {"review_comment": "字" * 1001},
    ),
    Breach(
        "typicalcase_withdraw_reason_length",
        typical_case_withdrawn,
        lambda r: {"withdraw_reason": "字" * 1001},
    ),
]


# --- rectification orders (责令整改) and reminders (提醒) -----------------------------------------


def rectification() -> Rectification:
    """An order (整改中): ordered 14 March 2025 on an inspection that began on 10 March."""
    return RectificationFactory.build(
        inspection=InspectionFactory(completed=True, amount_involved=Decimal("3000.00"))
    )


def rectification_checked() -> Rectification:
    """An order found carried out by its follow-up inspection on 15 April 2025."""
    inspection = InspectionFactory(completed=True, amount_involved=Decimal("3000.00"))
    return RectificationFactory.build(
        inspection=inspection,
        status=RectificationStatus.CONFIRMED,
        reported_on=D(2025, 4, 1),
        report="已整改。",
        follow_up=InspectionFactory(
            facility=inspection.facility,
            kind=InspectionKind.FOLLOWUP,
            completed=True,
            start_date=D(2025, 4, 15),
            end_date=D(2025, 4, 15),
        ),
        checked_on=D(2025, 4, 15),
        outcome="复查确认整改到位。",
    )


def notification() -> Notification:
    return NotificationFactory.build(user=UserFactory())


def _notified_twice(row: Notification) -> dict[str, Any]:
    NotificationFactory(user=row.user, key="rectification:1:due_soon")
    return {"key": "rectification:1:due_soon"}


def digest() -> DigestDelivery:
    return DigestDeliveryFactory.build(user=UserFactory())


def _digest_twice(row: DigestDelivery) -> dict[str, Any]:
    DigestDeliveryFactory(user=row.user, day=D(2025, 6, 17))
    return {"day": D(2025, 6, 17)}


def scheduled_run() -> ScheduledRun:
    return ScheduledRunFactory.build(day=D(2025, 6, 16))


def _run_twice(row: ScheduledRun) -> dict[str, Any]:
    ScheduledRunFactory(job=row.job, day=D(2025, 6, 17))
    return {"day": D(2025, 6, 17)}


RECTIFICATION_BREACHES = [
    Breach("rectification_status_valid", rectification, lambda r: {"status": "lost"}, "status"),
    Breach(
        "rectification_requirement_required",
        rectification,
        lambda r: {"requirement": ""},
        "requirement",
    ),
    Breach("rectification_workdays_range", rectification, lambda r: {"workdays": 0}, label="none"),
    Breach(
        "rectification_workdays_range",
        rectification,
        lambda r: {"workdays": 181},
        label="too-many",
    ),
    Breach("rectification_due_after_order", rectification, lambda r: {"due_on": D(2025, 3, 14)}),
    Breach(
        "rectification_reported_after_order",
        rectification,
        lambda r: {"reported_on": D(2025, 3, 13)},
    ),
    Breach(
        "rectification_reported_has_date",
        rectification,
        lambda r: {"status": RectificationStatus.REPORTED},
    ),
    Breach(
        "rectification_checked_after_order",
        rectification_checked,
        lambda r: {"checked_on": D(2025, 3, 13)},
    ),
    Breach(
        "rectification_checked_has_follow_up",
        rectification,
        lambda r: {"status": RectificationStatus.CONFIRMED},
        label="without-follow-up",
    ),
    Breach(
        "rectification_checked_has_follow_up",
        rectification_checked,
        lambda r: {"checked_on": None},
        label="without-date",
    ),
    Breach(
        "rectification_open_not_checked",
        rectification,
        lambda r: {"checked_on": D(2025, 4, 15)},
        label="dated",
    ),
    Breach(
        "rectification_open_not_checked",
        rectification_checked,
        lambda r: {"status": RectificationStatus.REPORTED},
        label="reopened",
    ),
    Breach(
        "rectification_follow_up_is_another_inspection",
        rectification_checked,
        lambda r: {"follow_up": r.inspection},
    ),
    Breach(
        "rectification_requirement_length", rectification, lambda r: {"requirement": "字" * 2001}
    ),
    Breach("rectification_report_length", rectification, lambda r: {"report": "字" * 2001}),
    Breach("rectification_outcome_length", rectification, lambda r: {"outcome": "字" * 2001}),
    # Notification, DigestDelivery, ScheduledRun (the reminders' own bookkeeping)
    Breach("notification_once_per_item", notification, _notified_twice),
    Breach(
        "notification_key_and_title_required",
        notification,
        lambda r: {"key": ""},
        "key",
        label="key",
    ),
    Breach(
        "notification_key_and_title_required",
        notification,
        lambda r: {"title": ""},
        "title",
        label="title",
    ),
    Breach("digest_once_per_day", digest, _digest_twice),
    Breach("digest_state_valid", digest, lambda r: {"state": "lost"}, "state"),
    Breach("digest_sent_has_time", digest, lambda r: {"state": DigestState.SENT}),
    Breach("scheduled_run_once_per_day", scheduled_run, _run_twice),
    Breach("scheduled_run_job_required", scheduled_run, lambda r: {"job": ""}, "job"),
]


# --- case numbers (models.case_numbers) ------------------------------------------------------


def _numbered_twice(builder: Callable[[], models.Model], *, same_text: bool):
    """Another record of the row's kind already holds (2025, 1) or the text 拉医保〔2025〕1号."""

    def changes(row: models.Model) -> dict[str, Any]:
        other = builder()
        other.docket_year, other.docket_sequence, other.docket = 2025, 1, "拉医保〔2025〕1号"
        other.save()
        if same_text:
            return {"docket_year": 2025, "docket_sequence": 2, "docket": "拉医保〔2025〕1号"}
        return {"docket_year": 2025, "docket_sequence": 1, "docket": "拉医保〔2025〕9号"}

    return changes


def case_pattern() -> CaseNumberPattern:
    CaseNumberPattern.objects.filter(kind=CaseKind.TIP).delete()
    return CaseNumberPattern(kind=CaseKind.TIP, pattern="拉医保举〔{year}〕{n}号")


def case_counter() -> CaseNumberCounter:
    return CaseNumberCounter(kind=CaseKind.INSPECTION, year=2030, last=0)


def _counter_twice(row: CaseNumberCounter) -> dict[str, Any]:
    CaseNumberCounter.objects.create(kind=row.kind, year=2031, last=4)
    return {"year": 2031}


CASE_NUMBER_BREACHES = [
    *(
        Breach(
            f"{table}_docket{suffix}",
            builder,
            _numbered_twice(builder, same_text=same_text),
        )
        for table, builder in [
            ("inspection", inspection),
            ("referral", referral),
            ("sanction", warning),
            ("tip", tip),
        ]
        for suffix, same_text in [("_sequence_unique", False), ("_unique", True)]
    ),
    Breach("casenumberpattern_kind_valid", case_pattern, lambda r: {"kind": "fax"}, "kind"),
    Breach(
        "casenumberpattern_has_year_and_sequence",
        case_pattern,
        lambda r: {"pattern": "拉医保举第{n}号"},
    ),
    Breach("casenumbercounter_one_per_year", case_counter, _counter_twice),
    Breach("casenumbercounter_kind_valid", case_counter, lambda r: {"kind": "fax"}, "kind"),
]


BREACHES += TIP_BREACHES
BREACHES += CASE_NUMBER_BREACHES
BREACHES += CREDIT_BREACHES
BREACHES += PRACTITIONER_BREACHES
BREACHES += PUBLICATION_BREACHES
# --- official documents (models.documents) ---------------------------------------------------


def document_template() -> DocumentTemplate:
    """An inactive notice template (the migration's active one stays)."""
    return DocumentTemplate(
        kind=DocumentKind.NOTICE, name="示例", title="告知书", body="{机构名称}", is_active=False
    )


def _issued(field_name: str, parent: models.Model, kind: str, version: int = 1) -> IssuedDocument:
    return IssuedDocument(
        **{field_name: parent},
        kind=kind,
        version=version,
        title="示例文书",
        template_title="示例文书",
        template_body="{机构名称}",
        template_signatory="拉萨市医疗保障局",
        evidence=EvidenceFactory(**{"inspection": None, field_name: parent}),
        sha256="0" * 64,
    )


def issued_record() -> IssuedDocument:
    return _issued("inspection", InspectionFactory(), DocumentKind.INSPECTION_RECORD)


def issued_letter() -> IssuedDocument:
    return _issued("referral", ReferralFactory(), DocumentKind.REFERRAL_LETTER)


def issued_decision() -> IssuedDocument:
    return _issued("sanction", SanctionFactory(), DocumentKind.DECISION)


def _issued_twice(field_name: str):
    """Version 5 of the row's record and kind is issued already; the row becomes version 5."""

    def changes(row: IssuedDocument) -> dict[str, Any]:
        _issued(field_name, getattr(row, field_name), row.kind, version=5).save()
        return {"version": 5}

    return changes


DOCUMENT_BREACHES = [
    Breach("documenttemplate_kind_valid", document_template, lambda r: {"kind": "fax"}, "kind"),
    Breach(
        "documenttemplate_one_active_per_kind", document_template, lambda r: {"is_active": True}
    ),
    Breach("documenttemplate_has_title", document_template, lambda r: {"title": ""}, "title"),
    Breach("documenttemplate_has_body", document_template, lambda r: {"body": ""}, "body"),
    Breach("documenttemplate_body_length", document_template, lambda r: {"body": "字" * 10001}),
    Breach(
        "issueddocument_kind_valid",
        issued_record,
        lambda r: {"kind": "fax"},
        "kind",
        also=frozenset({"issueddocument_kind_fits_record"}),
    ),
    Breach(
        "issueddocument_exactly_one_record",
        issued_record,
        lambda r: {"referral": ReferralFactory(inspection=r.inspection)},
    ),
    Breach(
        "issueddocument_kind_fits_record",
        issued_record,
        lambda r: {"kind": DocumentKind.REFERRAL_LETTER},
    ),
    Breach("issueddocument_version_positive", issued_record, lambda r: {"version": 0}),
    Breach("issueddocument_inspection_version_unique", issued_record, _issued_twice("inspection")),
    Breach("issueddocument_referral_version_unique", issued_letter, _issued_twice("referral")),
    Breach("issueddocument_sanction_version_unique", issued_decision, _issued_twice("sanction")),
    Breach(
        "issueddocument_template_body_length",
        issued_record,
        lambda r: {"template_body": "字" * 10001},
    ),
]


BREACHES += RECTIFICATION_BREACHES
BREACHES += DOCUMENT_BREACHES

MODELS = [
    CaseNumberPattern,
    CaseNumberCounter,
    Tip,
    TipExtension,
    TipReward,
    CalendarYear,
    CalendarDay,
    Hotline,
    Facility,
    CreditRating,
    RatingChange,
    Inspection,
    Referral,
    Sanction,
    UserDistrict,
    Evidence,
    GradeTally,
    InspectionTally,
    CreditCategory,
    CreditInstitution,
    InsuredPerson,
    InsuredIdentity,
    IndicatorSystem,
    Dimension,
    Indicator,
    EvaluationCycle,
    Assessment,
    AssessmentItem,
    Objection,
    CreditRepair,
    SupervisionMeasure,
    PlannedCheck,
    Practitioner,
    PractitionerIdentity,
    Registration,
    PointsPolicy,
    PointsBand,
    SuspensionPeriod,
    PointsRecord,
    QualificationMeasure,
    Inspector,
    RandomCheckPlan,
    RandomCheckTarget,
    RandomCheckAssignment,
    PublicEdition,
    GradePublication,
    TypicalCase,
    Rectification,
    Notification,
    DigestDelivery,
    ScheduledRun,
    DocumentTemplate,
    IssuedDocument,
]


def _constraint(name: str) -> models.BaseConstraint:
    for model in MODELS:
        for constraint in model._meta.constraints:
            if constraint.name == name:
                return constraint
    raise LookupError(name)


def _apply(row: models.Model, changes: dict[str, Any]) -> models.Model:
    for name, value in changes.items():
        setattr(row, name, value)
    return row


def _assert_names(error: IntegrityError, breach: Breach, model: type[models.Model]) -> None:
    """The database names the constraint (or, SQLite for a unique one, its columns)."""
    text = str(error)
    names = {breach.constraint, *breach.also}
    if any(name in text for name in names):
        return
    constraint = _constraint(breach.constraint)
    assert isinstance(constraint, models.UniqueConstraint), text
    columns = [
        f"{model._meta.db_table}.{model._meta.get_field(f).column}" for f in constraint.fields
    ]
    assert all(column in text for column in columns), text


def _values(row: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}


# --- the table covers every constraint ------------------------------------------------------


def test_every_constraint_of_every_model_has_a_violating_example():
    declared = {
        constraint.name
        for model in apps.get_app_config("supervision").get_models()
        for constraint in model._meta.constraints
    }
    assert declared == {breach.constraint for breach in BREACHES}


def test_every_constraint_is_a_check_or_unique_constraint_with_a_chinese_message():
    for model in MODELS:
        for constraint in model._meta.constraints:
            assert isinstance(constraint, models.CheckConstraint | models.UniqueConstraint)
            assert CJK.search(str(constraint.violation_error_message)), constraint.name


def _constraint_names_in_schema(table: str) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            return set(connection.introspection.get_constraints(cursor, table))
        # Django's SQLite introspection loses the constraints after an ESCAPE '\\' clause.
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE tbl_name = %s", [table])
        rows = cursor.fetchall()
    table_sql = next(sql for name, sql in rows if name == table)
    return {name for name, _ in rows} | set(re.findall(r'CONSTRAINT "(\w+)"', table_sql))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_constraint_exists_in_the_migrated_schema(model):
    present = _constraint_names_in_schema(model._meta.db_table)
    assert {c.name for c in model._meta.constraints} <= present


# --- the database refuses -------------------------------------------------------------------


@pytest.mark.parametrize("breach", BREACHES, ids=lambda b: b.id)
def test_the_database_refuses_to_insert_a_row_that_breaks(breach):
    row = breach.valid()
    model = type(row)
    _apply(row, breach.changes(row))
    before = model.objects.count()
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        model.objects.bulk_create([row])
    _assert_names(exc.value, breach, model)
    assert model.objects.count() == before


@pytest.mark.parametrize("breach", BREACHES, ids=lambda b: b.id)
def test_the_database_refuses_to_update_a_row_into_one_that_breaks(breach):
    row = breach.valid()
    model = type(row)
    model.objects.bulk_create([row])
    row = model.objects.get(pk=row.pk)
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        model.objects.filter(pk=row.pk).update(**breach.changes(row))
    _assert_names(exc.value, breach, model)
    assert model.objects.filter(pk=row.pk).values().get() == _values(row)


# --- full_clean explains --------------------------------------------------------------------


@pytest.mark.parametrize(
    "breach", [b for b in BREACHES if b.label != "lower-case"], ids=lambda b: b.id
)
def test_full_clean_refuses_a_row_that_breaks(breach):
    row = breach.valid()
    row.full_clean()  # the example starts from a valid row
    _apply(row, breach.changes(row))
    with pytest.raises(ValidationError) as exc:
        row.full_clean()
    message = str(_constraint(breach.constraint).violation_error_message)
    if breach.caught_by_field is None:
        assert exc.value.message_dict == {"__all__": [message]}
    else:
        errors = exc.value.message_dict
        assert list(errors) == [breach.caught_by_field]
        assert all(CJK.search(text) for text in errors[breach.caught_by_field]), errors
        # The constraint itself still speaks for the rows that bypass the field checks.
        with pytest.raises(ValidationError) as direct:
            row.validate_constraints()
        assert message in direct.value.messages


@pytest.mark.parametrize("breach", BREACHES, ids=lambda b: b.id)
def test_validate_constraints_names_only_the_broken_constraints(breach):
    row = breach.valid()
    _apply(row, breach.changes(row))
    with pytest.raises(ValidationError) as exc:
        row.validate_constraints()
    expected = {
        str(_constraint(name).violation_error_message) for name in {breach.constraint, *breach.also}
    }
    assert set(exc.value.messages) == expected


def test_a_rating_from_an_evaluation_is_not_held_to_the_default_score_bands():
    """Its grade is by its cycle's indicator system (own thresholds, vetoes)."""
    row = CreditRatingFactory.build(
        facility=FacilityFactory(), grade=Grade.D, score=Decimal("950"), assessment=None
    )
    with pytest.raises(ValidationError):
        row.full_clean()
    row.assessment = AssessmentFactory(facility=row.facility)
    row.full_clean()
    CreditRating.objects.bulk_create([row])
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        CreditRating.objects.filter(pk=row.pk).update(assessment=None)
    assert "rating_score_fits_grade" in str(exc.value)


@pytest.mark.parametrize("parent", PARENT_FIELDS)
def test_evidence_on_any_one_of_its_parent_records_alone_is_accepted(parent):
    make = {
        "inspection": lambda: InspectionFactory(),
        "referral": lambda: ReferralFactory(inspection=InspectionFactory(completed=True)),
        "sanction": lambda: SanctionFactory(),
        "tip": lambda: TipFactory(),
        "objection": lambda: ObjectionFactory(),
        "repair": repair_saved,
    }
    row = EvidenceFactory.build(**{"inspection": None, parent: make[parent]()})
    row.full_clean()
    Evidence.objects.bulk_create([row])
    related = {f.name for f in Evidence._meta.concrete_fields if f.is_relation}
    assert related - {"uploaded_by"} == set(PARENT_FIELDS) == set(make)


def test_full_clean_upper_cases_a_credit_code_the_database_would_refuse_in_lower_case():
    row = FacilityFactory.build(credit_code="92370102ma3m9ag94x")
    row.full_clean()
    assert row.credit_code == "92370102MA3M9AG94X"


# --- rules only validation can hold ---------------------------------------------------------


def _field_errors(row: models.Model) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        row.full_clean()
    errors = exc.value.message_dict
    assert all(CJK.search(text) for texts in errors.values() for text in texts), errors
    return errors


def test_it_refuses_a_rating_for_a_year_that_has_not_begun():
    next_year = timezone.localdate().year + 1
    errors = _field_errors(CreditRatingFactory.build(facility=FacilityFactory(), year=next_year))
    assert errors == {"year": [f"不能评价尚未开始的年度（{next_year}）。"]}


def test_it_refuses_a_rating_for_the_current_year_which_has_not_ended():
    this_year = timezone.localdate().year
    errors = _field_errors(CreditRatingFactory.build(facility=FacilityFactory(), year=this_year))
    assert list(errors) == ["year"]
    assert f"{this_year}年度尚未结束" in errors["year"][0]


@pytest.mark.parametrize(
    ("rated_on", "refused"),
    [
        (D(2023, 12, 31), True),
        (D(2019, 6, 1), True),
        (D(2024, 1, 1), False),
        (D(2025, 1, 15), False),
    ],
)
def test_it_refuses_a_rated_on_date_before_the_rated_year(rated_on, refused):
    row = CreditRatingFactory.build(facility=FacilityFactory(), year=2024, rated_on=rated_on)
    if refused:
        assert _field_errors(row) == {"rated_on": ["评定日期不能早于评价年度。"]}
    else:
        row.full_clean()


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2025, 3, 31), 1, D(2025, 4, 30)),
        (D(2025, 8, 31), 6, D(2026, 2, 28)),
        (D(2025, 12, 15), 1, D(2026, 1, 15)),
        (D(2025, 12, 31), 2, D(2026, 2, 28)),
        (D(2025, 11, 30), 3, D(2026, 2, 28)),
        (D(2025, 4, 1), 2, D(2025, 6, 1)),
        (D(2025, 4, 1), 0, D(2025, 4, 1)),
        (D(2025, 4, 1), 24, D(2027, 4, 1)),
        (D(2025, 3, 31), -1, D(2025, 2, 28)),
        (D(2025, 1, 15), -1, D(2024, 12, 15)),
    ],
)
def test_add_months_keeps_the_day_or_clamps_it_to_the_month_end(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("starts_on", "latest_end"),
    [
        (D(2025, 1, 1), D(2025, 12, 31)),
        (D(2025, 4, 1), D(2026, 3, 31)),
        (D(2025, 3, 15), D(2026, 3, 14)),
        (D(2025, 12, 31), D(2026, 12, 30)),
        (D(2024, 2, 28), D(2025, 2, 27)),
        (D(2024, 2, 29), D(2025, 2, 28)),  # no 29 Feb in 2025: the month's last day
        (D(2024, 3, 1), D(2025, 2, 28)),
        (D(2023, 3, 1), D(2024, 2, 29)),  # ends in a leap February
        (D(2023, 2, 28), D(2024, 2, 27)),
    ],
)
def test_the_longest_suspension_runs_12_months(starts_on, latest_end):
    assert latest_suspension_end(starts_on) == latest_end


def test_a_later_start_never_allows_an_earlier_end_and_never_more_than_366_days():
    day, previous_end = D(2023, 1, 1), None
    while day < D(2029, 1, 1):
        end = latest_suspension_end(day)
        assert 365 <= (end - day).days + 1 <= 366, day
        if previous_end is not None:
            assert end > previous_end or end.day == _month_end(end).day, day
            assert end >= previous_end, day
        day, previous_end = day + datetime.timedelta(days=1), end


def _month_end(day: datetime.date) -> datetime.date:
    return add_months(day.replace(day=1), 1) - datetime.timedelta(days=1)


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "refused"),
    [
        (D(2025, 4, 1), D(2026, 3, 31), False),
        (D(2025, 4, 1), D(2026, 4, 1), True),
        (D(2024, 2, 29), D(2025, 2, 28), False),
        (D(2024, 2, 29), D(2025, 3, 1), True),
        (D(2025, 1, 31), D(2026, 1, 30), False),
        (D(2025, 1, 31), D(2026, 1, 31), True),
        (D(2025, 4, 1), D(2025, 4, 1), False),
    ],
)
def test_it_refuses_a_suspension_longer_than_12_months(starts_on, ends_on, refused):
    row = SanctionFactory.build(
        facility=FacilityFactory(), suspension=True, starts_on=starts_on, ends_on=ends_on
    )
    if refused:
        latest = latest_suspension_end(starts_on).isoformat()
        assert _field_errors(row) == {"ends_on": [f"暂停期限最长12个月，截止日期最晚为{latest}。"]}
    else:
        row.full_clean()


@pytest.mark.parametrize("kind", [k for k in InspectionKind if k.is_on_site])
@pytest.mark.parametrize("count", [0, 1])
def test_it_refuses_an_on_site_inspection_with_fewer_than_two_inspectors(kind, count):
    with pytest.raises(ValidationError) as exc:
        check_inspectors(kind, count)
    assert exc.value.message_dict == {
        "inspectors": [f"现场检查至少需要2名检查人员，当前为{count}名。"]
    }


@pytest.mark.parametrize("kind", [k for k in InspectionKind if k.is_on_site])
@pytest.mark.parametrize("count", [2, 3])
def test_it_accepts_an_on_site_inspection_with_two_or_more_inspectors(kind, count):
    check_inspectors(kind, count)


@pytest.mark.parametrize("count", [0, 1, 2])
def test_a_self_inspection_needs_no_inspector(count):
    check_inspectors(InspectionKind.SELF, count)


def test_only_self_inspection_is_not_on_site():
    assert [k for k in InspectionKind if not k.is_on_site] == [InspectionKind.SELF]


MONEY_FIELDS = [
    (facility, "deposit"),
    (inspection, "amount_involved"),
    (inspection, "amount_recovered"),
    (fine, "amount"),
    (deposit_recovery, "amount"),
]


@pytest.mark.parametrize(("build", "name"), MONEY_FIELDS)
@pytest.mark.parametrize(
    "value",
    [Decimal("0.001"), Decimal("12.345"), Decimal("-0.01"), Decimal("-100"), Decimal("1e12")],
    ids=["3-decimals-small", "3-decimals", "minus-a-cent", "negative", "13-digits"],
)
def test_it_refuses_money_with_three_decimals_negative_or_too_large(build, name, value):
    row = build()
    if name == "amount_recovered":
        row.amount_involved = Decimal("999999999999.99")
    setattr(row, name, value)
    assert list(_field_errors(row)) == [name]


@pytest.mark.parametrize(("build", "name"), MONEY_FIELDS)
def test_it_accepts_money_with_two_decimals(build, name):
    row = build()
    row.amount_involved = Decimal("999999999999.99")
    setattr(row, name, Decimal("999999999999.99"))
    row.full_clean()


@pytest.mark.parametrize(
    ("build", "name", "max_length"),
    [
        (facility, "name", 200),
        (facility, "address", 300),
        (facility, "legal_representative", 100),
        (facility, "contact_phone", 40),
        (lambda: InspectorFactory.build(), "name", 50),
        (lambda: InspectorFactory.build(), "badge_number", 30),
        (referral, "case_number", 60),
        (warning, "decision_number", 60),
    ],
)
def test_it_refuses_a_string_longer_than_its_field(build, name, max_length):
    row = build()
    setattr(row, name, "字" * max_length)
    row.full_clean()
    setattr(row, name, "字" * (max_length + 1))
    assert list(_field_errors(row)) == [name]


@pytest.mark.parametrize(
    "percent", [Decimal("100.01"), Decimal("101"), Decimal("2.555"), Decimal("-1")]
)
def test_it_refuses_a_deposit_percent_over_100_negative_or_with_three_decimals(percent):
    row = deposit_recovery()
    row.deposit_percent = percent
    assert list(_field_errors(row)) == ["deposit_percent"]


@pytest.mark.parametrize("percent", [Decimal("0.01"), Decimal("2.5"), Decimal("100")])
def test_it_accepts_a_deposit_percent_above_0_up_to_100(percent):
    row = deposit_recovery()
    row.deposit_percent = percent
    row.full_clean()


@pytest.mark.parametrize(
    ("make_duplicate", "model"),
    [
        (lambda f: FacilityFactory.build(credit_code=f.credit_code), Facility),
        (lambda i: InspectorFactory.build(badge_number=i.badge_number), Inspector),
    ],
)
def test_the_database_refuses_a_duplicate_of_a_unique_field(make_duplicate, model):
    existing = FacilityFactory() if model is Facility else InspectorFactory()
    duplicate = make_duplicate(existing)
    assert list(_field_errors(duplicate)) == [
        "credit_code" if model is Facility else "badge_number"
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.bulk_create([duplicate])


@pytest.mark.parametrize(
    ("build", "basis", "message"),
    [
        (warning, "inspection", "依据的检查不是对该机构的检查。"),
        (suspension, "inspection", "依据的检查不是对该机构的检查。"),
        (suspension, "rating", "依据的信用评价不是该机构的评价。"),
        (deposit_recovery, "rating", "依据的信用评价不是该机构的评价。"),
        (commendation, "rating", "依据的信用评价不是该机构的评价。"),
    ],
)
def test_it_refuses_a_sanction_resting_on_another_facility_s_record(build, basis, message):
    row = build()
    other = FacilityFactory()
    if basis == "inspection":
        row.inspection = InspectionFactory(facility=other)
    else:
        row.rating = CreditRatingFactory(facility=other, grade=Grade.A, year=2022)
    assert _field_errors(row) == {basis: [message]}
    if basis == "inspection":
        row.inspection = InspectionFactory(facility=row.facility)
    else:
        row.rating = CreditRatingFactory(facility=row.facility, grade=Grade.A, year=2022)
    row.full_clean()


# --- imports ------------------------------------------------------------------------------------


def import_job() -> ImportJob:
    return ImportJob(
        kind=ImportKind.FACILITY,
        file="imports/2026/12/example.csv",
        original_name="机构.csv",
        extension="csv",
        size=10,
        sha256="0" * 64,
        created_by=UserFactory(),
        created_at=timezone.now(),
        rows_total=10,
        rows_done=10,
    )


def import_row() -> ImportRow:
    job = import_job()
    job.save()
    return ImportRow(job=job, number=2, outcome=RowOutcome.NEW)


def _row_taken(row: ImportRow) -> dict[str, Any]:
    ImportRow.objects.create(job=row.job, number=row.number, outcome=RowOutcome.NEW)
    return {}


IMPORT_BREACHES = [
    Breach("importjob_kind_valid", import_job, lambda r: {"kind": "tips"}, "kind"),
    Breach("importjob_status_valid", import_job, lambda r: {"status": "lost"}, "status"),
    Breach("importjob_progress_in_range", import_job, lambda r: {"rows_done": 11}),
    Breach(
        "importjob_confirmed_when_importing",
        import_job,
        lambda r: {"confirmed_at": timezone.now()},
    ),
    Breach("importjob_message_length", import_job, lambda r: {"message": "字" * 2001}),
    Breach("importrow_outcome_valid", import_row, lambda r: {"outcome": "maybe"}, "outcome"),
    Breach("importrow_number_unique", import_row, _row_taken),
]
BREACHES += IMPORT_BREACHES
MODELS += [ImportJob, ImportRow]
