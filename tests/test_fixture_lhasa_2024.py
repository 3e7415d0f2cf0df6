"""The 2024 demo fixture: it reproduces the cited figures and every row is valid."""

from __future__ import annotations

import datetime
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from supervision.choices import (
    Agency,
    District,
    FacilityKind,
    Grade,
    InspectionKind,
    SanctionKind,
    Violation,
)
from supervision.codes import (
    insurance_code_letter_error,
    is_valid_credit_code,
    validate_insurance_code_format,
)
from supervision.models import (
    CreditRating,
    Facility,
    Inspection,
    Inspector,
    RatingChange,
    Referral,
    Sanction,
)
from supervision.models.inspection import MIN_ON_SITE_INSPECTORS
from supervision.models.sanction import add_months

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "lhasa_2024.json"
BUILDER = ROOT / "seeds" / "build_fixture.py"
MEDICAL = [FacilityKind.HOSPITAL, FacilityKind.CLINIC]


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The fixture loaded once for this module, rolled back after its last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("loaddata", "lhasa_2024", verbosity=0)
        yield
        transaction.set_rollback(True)


def d_ratings():
    return CreditRating.objects.filter(year=2024, grade=Grade.D).select_related("facility")


def months_of(sanction: Sanction) -> int | None:
    """Whole months a suspension runs, end day included, or None when it is not whole."""
    for months in range(1, 13):
        if add_months(sanction.starts_on, months) - datetime.timedelta(days=1) == sanction.ends_on:
            return months
    return None


def test_it_loads_350_facilities_each_rated_once_for_2024(loaded):
    assert Facility.objects.count() == 350
    assert CreditRating.objects.filter(year=2024).count() == 350
    assert CreditRating.objects.exclude(year=2024).count() == 0


def test_the_2024_grades_are_a69_b234_c42_d5(loaded):
    counts = {
        grade: CreditRating.objects.filter(year=2024, grade=grade).count() for grade in Grade.values
    }
    assert counts == {"A": 69, "B": 234, "C": 42, "D": 5}


def test_every_grade_was_set_once_with_a_reason(loaded):
    assert RatingChange.objects.count() == 350
    for change in RatingChange.objects.select_related("rating"):
        assert change.from_grade == ""
        assert change.to_grade == change.rating.grade
        assert change.reason


def test_scores_fall_in_the_band_of_their_grade(loaded):
    bands = {"A": (900, 1000), "B": (750, 899.5), "C": (600, 749.5), "D": (0, 599.5)}
    for rating in CreditRating.objects.all():
        low, high = bands[rating.grade]
        assert Decimal(str(low)) <= rating.score <= Decimal(str(high)), rating


def test_grade_d_is_four_pharmacies_and_one_medical_institution(loaded):
    kinds = sorted(rating.facility.kind for rating in d_ratings())
    pharmacies = [k for k in kinds if k == FacilityKind.PHARMACY]
    medical = [k for k in kinds if k in MEDICAL]
    assert len(pharmacies) == 4
    assert len(medical) == 1


def test_each_d_pharmacy_is_suspended_for_two_months_on_its_rating(loaded):
    for rating in d_ratings().filter(facility__kind=FacilityKind.PHARMACY):
        sanctions = list(rating.sanctions.all())
        assert [s.kind for s in sanctions] == [SanctionKind.SUSPENSION]
        assert sanctions[0].facility_id == rating.facility_id
        assert months_of(sanctions[0]) == 2
        assert sanctions[0].decision_number


def test_the_d_medical_institution_is_suspended_one_month_and_loses_2_5_percent_of_deposit(
    loaded,
):
    rating = d_ratings().get(facility__kind__in=MEDICAL)
    suspension = rating.sanctions.get(kind=SanctionKind.SUSPENSION)
    recovery = rating.sanctions.get(kind=SanctionKind.DEPOSIT_RECOVERY)
    assert rating.sanctions.count() == 2
    assert months_of(suspension) == 1
    assert recovery.deposit_percent == Decimal("2.50")
    deposit = rating.facility.deposit
    assert deposit > 0
    expected = (deposit * Decimal("2.5") / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert recovery.amount == expected


def test_only_the_five_d_grades_are_suspended(loaded):
    suspended = Sanction.objects.filter(kind=SanctionKind.SUSPENSION)
    assert suspended.count() == 5
    assert set(suspended.values_list("rating__grade", flat=True)) == {Grade.D}
    assert Sanction.objects.filter(kind=SanctionKind.DEPOSIT_RECOVERY).count() == 1


def test_every_a_rating_gets_one_plaque_and_no_other_grade_does(loaded):
    plaques = Sanction.objects.filter(kind=SanctionKind.COMMENDATION)
    assert plaques.count() == 69
    assert plaques.exclude(rating__grade=Grade.A).count() == 0
    a_ratings = CreditRating.objects.filter(year=2024, grade=Grade.A)
    for rating in a_ratings:
        assert rating.sanctions.filter(kind=SanctionKind.COMMENDATION).count() == 1
        assert rating.sanctions.get(kind=SanctionKind.COMMENDATION).facility_id == (
            rating.facility_id
        )
    assert len(set(plaques.values_list("decided_on", flat=True))) == 1


def test_a_grade_plaques_include_commercial_insurers(loaded):
    assert Sanction.objects.filter(
        kind=SanctionKind.COMMENDATION, facility__kind=FacilityKind.INSURER
    ).exists()


def test_two_medical_institutions_forging_delivery_notes_are_referred_to_police(loaded):
    referrals = Referral.objects.select_related("inspection__facility")
    assert referrals.count() == 2
    for referral in referrals:
        inspection = referral.inspection
        assert referral.agency == Agency.POLICE
        assert inspection.facility.kind in MEDICAL
        assert inspection.kind == InspectionKind.JOINT
        assert set(inspection.partner_agencies.values_list("code", flat=True)) == {
            Agency.POLICE,
            Agency.MARKET,
        }
        assert Violation.FORGED_DELIVERY_NOTES in inspection.violations.values_list(
            "code", flat=True
        )
        assert inspection.inspectors.count() >= MIN_ON_SITE_INSPECTORS
        assert referral.referred_on >= inspection.start_date
    assert len({r.inspection.facility_id for r in referrals}) == 2
    # Not the D-grade institution: it was handled by suspension, not referral.
    d_facilities = set(d_ratings().values_list("facility_id", flat=True))
    assert not {r.inspection.facility_id for r in referrals} & d_facilities


def test_every_d_grade_has_an_inspection_behind_it_with_violations(loaded):
    for rating in d_ratings():
        found = Inspection.objects.filter(
            facility=rating.facility, start_date__year=2024, violations__isnull=False
        )
        assert found.exists(), rating.facility


def test_every_credit_code_and_insurance_code_is_valid_and_fits_the_facility(loaded):
    for facility in Facility.objects.all():
        assert is_valid_credit_code(facility.credit_code), facility.credit_code
        assert facility.credit_code[2:8] == facility.district
        assert insurance_code_letter_error(facility.kind, facility.insurance_code) is None
        if facility.insurance_code:
            validate_insurance_code_format(facility.insurance_code)
            assert facility.insurance_code[1:7] == facility.district
    insurers = Facility.objects.filter(kind=FacilityKind.INSURER)
    assert insurers.exists()
    assert not insurers.exclude(insurance_code="").exists()
    assert not insurers.exclude(deposit=0).exists()


def test_all_eight_districts_and_some_zones_are_used(loaded):
    districts = set(Facility.objects.values_list("district", flat=True))
    assert districts == set(District.values)
    assert Facility.objects.exclude(zone="").exists()


def test_names_are_unique_and_visibly_fictional(loaded):
    names = list(Facility.objects.values_list("name", flat=True))
    assert len(names) == len(set(names))
    assert all(name.startswith("示例") for name in names)
    assert all(name.startswith("示例") for name in Inspector.objects.values_list("name", flat=True))


def test_every_loaded_row_passes_full_clean(loaded):
    # loaddata saves raw: neither clean() nor the validators ran on the way in.
    for model in (Facility, CreditRating, RatingChange, Inspector, Inspection, Referral, Sanction):
        objects = list(model.objects.all())
        assert objects, model
        for obj in objects:
            obj.full_clean()


def test_every_on_site_inspection_has_at_least_two_inspectors(loaded):
    on_site = [k for k in InspectionKind if k.is_on_site]
    inspections = Inspection.objects.filter(kind__in=on_site).prefetch_related("inspectors")
    assert inspections.count() >= 40
    for inspection in inspections:
        assert len(inspection.inspectors.all()) >= MIN_ON_SITE_INSPECTORS, inspection


def test_the_fixture_rebuilds_to_the_same_bytes_as_the_committed_file(tmp_path):
    outputs = []
    for n in (1, 2):
        output = tmp_path / f"build{n}.json"
        subprocess.run(  # noqa: S603 (our own script, fixed arguments)
            [sys.executable, str(BUILDER), "--output", str(output)],
            check=True,
            capture_output=True,
            cwd=tmp_path,
        )
        outputs.append(output.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0] == FIXTURE.read_bytes(), "run `make fixtures` and commit the result"
