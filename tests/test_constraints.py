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
    District,
    Grade,
    InspectionKind,
    InspectionStatus,
    ReferralStatus,
    RewardStatus,
    SanctionKind,
    TipConclusion,
    TipStatus,
)
from supervision.models import (
    CalendarDay,
    CalendarYear,
    CreditRating,
    Evidence,
    Facility,
    GradeTally,
    Hotline,
    Inspection,
    InspectionTally,
    Inspector,
    RatingChange,
    Referral,
    Sanction,
    Tip,
    TipExtension,
    TipReward,
    UserDistrict,
)
from supervision.models.inspection import check_inspectors
from supervision.models.sanction import add_months, latest_suspension_end
from tests.factories import (
    CalendarDayFactory,
    CalendarYearFactory,
    CreditRatingFactory,
    EvidenceFactory,
    FacilityFactory,
    HotlineFactory,
    InspectionFactory,
    InspectorFactory,
    RatingChangeFactory,
    ReferralFactory,
    SanctionFactory,
    TipExtensionFactory,
    TipFactory,
    TipRewardFactory,
    UserDistrictFactory,
    UserFactory,
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
BREACHES += TIP_BREACHES

MODELS = [
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
