"""The overview's running totals follow every write to ratings, inspections and facilities.

The triggers run in the database, so each test compares the totals with a count made from the
rows themselves after the write, on whichever engine the suite runs on.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth

from supervision import services, tallies
from supervision.choices import District, Grade, InspectionKind
from supervision.models import CreditRating, GradeTally, Inspection, InspectionTally
from tests.factories import CreditRatingFactory, FacilityFactory, InspectionFactory

pytestmark = pytest.mark.django_db

D = datetime.date
CHENGGUAN, DAGZE = District.CHENGGUAN, District.DAGZE


def counted_grades() -> dict[tuple, int]:
    """(year, grade, district): ratings, counted from the ratings."""
    rows = CreditRating.objects.values("year", "grade", "facility__district").annotate(
        n=Count("id")
    )
    return {(r["year"], r["grade"], r["facility__district"]): r["n"] for r in rows}


def tallied_grades() -> dict[tuple, int]:
    return {
        (t.year, t.grade, t.district): t.facilities
        for t in GradeTally.objects.all()
        if t.facilities
    }


def counted_months() -> dict[tuple, tuple]:
    rows = (
        Inspection.objects.annotate(month=TruncMonth("start_date"))
        .values("month", "kind", "facility__district")
        .annotate(n=Count("id"), involved=Sum("amount_involved"), recovered=Sum("amount_recovered"))
    )
    return {
        (r["month"], r["kind"], r["facility__district"]): (r["n"], r["involved"], r["recovered"])
        for r in rows
    }


def tallied_months() -> dict[tuple, tuple]:
    return {
        (t.month, t.kind, t.district): (t.inspections, t.amount_involved, t.amount_recovered)
        for t in InspectionTally.objects.all()
        if t.inspections or t.amount_involved or t.amount_recovered
    }


def assert_in_step() -> None:
    assert tallied_grades() == counted_grades()
    assert tallied_months() == counted_months()


# Ratings ------------------------------------------------------------------------------------


def test_a_new_rating_adds_one_to_its_year_grade_and_district():
    facility = FacilityFactory(district=CHENGGUAN)
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.B)
    assert tallied_grades() == {(2024, "B", CHENGGUAN): 1}


def test_changing_a_grade_moves_the_facility_from_one_count_to_the_other(supervisor):
    facility = FacilityFactory(district=CHENGGUAN)
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.B)
    CreditRatingFactory(year=2024, grade=Grade.B, facility__district=CHENGGUAN)
    services.set_grade(
        facility=facility,
        year=2024,
        grade=Grade.D,
        reason="伪造票据",
        user=supervisor,
        confirm_downgrade=True,
    )
    assert tallied_grades() == {(2024, "B", CHENGGUAN): 1, (2024, "D", CHENGGUAN): 1}
    assert_in_step()


def test_a_new_score_or_basis_leaves_the_counts_alone():
    rating = CreditRatingFactory(year=2024, grade=Grade.A)
    before = list(GradeTally.objects.values_list("id", "facilities"))
    rating.score = Decimal("955.50")
    rating.basis = "复核后得分"
    rating.save()
    assert list(GradeTally.objects.values_list("id", "facilities")) == before


def test_deleting_a_rating_takes_it_off_the_count():
    keep = CreditRatingFactory(year=2023, grade=Grade.C)
    gone = CreditRatingFactory(year=2023, grade=Grade.C, facility__district=keep.facility.district)
    gone.delete()
    assert tallied_grades() == {(2023, "C", keep.facility.district): 1}


def test_a_bulk_update_of_grades_is_counted_row_by_row():
    facilities = [FacilityFactory(district=DAGZE) for _ in range(3)]
    for facility in facilities:
        CreditRatingFactory(facility=facility, year=2024, grade=Grade.A)
    CreditRating.objects.filter(facility__in=facilities[:2]).update(grade=Grade.C)
    assert tallied_grades() == {(2024, "A", DAGZE): 1, (2024, "C", DAGZE): 2}


# Inspections --------------------------------------------------------------------------------


def test_an_inspection_adds_to_its_month_kind_and_district_with_its_money():
    InspectionFactory(
        facility__district=CHENGGUAN,
        kind=InspectionKind.JOINT,
        start_date=D(2024, 5, 17),
        amount_involved=Decimal("64000.00"),
        amount_recovered=Decimal("1600.00"),
    )
    assert tallied_months() == {
        (D(2024, 5, 1), "joint", CHENGGUAN): (1, Decimal("64000.00"), Decimal("1600.00"))
    }


def test_a_recovered_amount_recorded_later_is_added_to_the_same_month():
    inspection = InspectionFactory(start_date=D(2024, 3, 2), amount_involved=Decimal("100.00"))
    inspection.amount_recovered = Decimal("40.25")
    inspection.save()
    inspection.amount_recovered = Decimal("60.25")
    inspection.save()
    assert_in_step()
    (tally,) = InspectionTally.objects.filter(inspections__gt=0)
    assert tally.amount_recovered == Decimal("60.25")


def test_moving_the_start_date_to_another_month_moves_the_inspection():
    inspection = InspectionFactory(start_date=D(2024, 1, 31), kind=InspectionKind.ROUTINE)
    InspectionFactory(
        start_date=D(2024, 1, 5), kind=InspectionKind.ROUTINE, facility=inspection.facility
    )
    inspection.start_date = D(2024, 2, 1)
    inspection.save()
    district = inspection.facility.district
    assert tallied_months() == {
        (D(2024, 1, 1), "routine", district): (1, Decimal("0.00"), Decimal("0.00")),
        (D(2024, 2, 1), "routine", district): (1, Decimal("0.00"), Decimal("0.00")),
    }


def test_deleting_an_inspection_takes_it_and_its_money_off():
    inspection = InspectionFactory(amount_involved=Decimal("99.99"))
    InspectionFactory(
        facility=inspection.facility, start_date=inspection.start_date, kind=inspection.kind
    )
    inspection.delete()
    assert_in_step()


# Facilities ---------------------------------------------------------------------------------


def test_a_facility_moved_to_another_district_takes_its_ratings_and_inspections_along():
    facility = FacilityFactory(district=CHENGGUAN)
    CreditRatingFactory(facility=facility, year=2023, grade=Grade.A)
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.B)
    InspectionFactory(facility=facility, amount_involved=Decimal("10.00"))
    InspectionFactory(facility=facility, amount_involved=Decimal("5.50"))
    CreditRatingFactory(year=2024, grade=Grade.B, facility__district=CHENGGUAN)
    facility.district = DAGZE
    facility.save()
    assert_in_step()
    assert tallied_grades()[(2024, "B", CHENGGUAN)] == 1
    assert tallied_grades()[(2024, "B", DAGZE)] == 1


def test_editing_a_facility_without_moving_it_leaves_the_totals_alone():
    rating = CreditRatingFactory(year=2024, grade=Grade.A)
    before = list(GradeTally.objects.values_list("id", "facilities"))
    rating.facility.name = "示例改名诊所"
    rating.facility.save()
    assert list(GradeTally.objects.values_list("id", "facilities")) == before


# Transactions and rebuilding ----------------------------------------------------------------


def test_a_rolled_back_write_leaves_no_trace_in_the_totals():
    facility = FacilityFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        CreditRatingFactory(facility=facility, year=2024, grade=Grade.A)
        InspectionFactory(facility=facility)
        raise RuntimeError("refused")
    assert tallied_grades() == {}
    assert tallied_months() == {}


def test_rebuilding_gives_the_totals_the_triggers_kept():
    for grade in "AABCD":
        CreditRatingFactory(year=2024, grade=grade)
    for day in (1, 15, 28):
        InspectionFactory(
            start_date=D(2024, 6, day),
            amount_involved=Decimal("2.20"),
            amount_recovered=Decimal("1.10"),
        )
    kept = (tallied_grades(), tallied_months())
    GradeTally.objects.update(facilities=0)
    InspectionTally.objects.all().delete()
    with transaction.atomic():
        tallies.rebuild(connection)
    assert (tallied_grades(), tallied_months()) == kept
    assert_in_step()


def test_the_rebuild_command_repairs_totals_that_were_tampered_with():
    CreditRatingFactory(year=2024, grade=Grade.A)
    GradeTally.objects.update(facilities=41)
    call_command("rebuild_tallies", verbosity=0)
    assert_in_step()


def test_generated_data_loads_with_its_totals():
    call_command("generate_data", facilities=40, inspections=120, years=2, seed=3, quiet=True)
    assert sum(counted_grades().values()) == 80
    assert_in_step()
