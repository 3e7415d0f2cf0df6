"""The district copies on inspections, rectification orders and referrals (migration 0124; see
models.inspection.DISTRICT_COPY_NOTE) always equal the facility's district, whichever way a row
is written: created through the ORM, saved again from a stale object, updated in bulk, written by
raw SQL, moved to another facility, or its facility moved to another district. Run on SQLite and
on PostgreSQL (the triggers differ)."""

from __future__ import annotations

import pytest
from django.db import connection

from supervision.choices import District
from supervision.models import Facility, Inspection, Rectification, Referral
from tests.factories import (
    FacilityFactory,
    InspectionFactory,
    RectificationFactory,
    ReferralFactory,
)

pytestmark = pytest.mark.django_db

CHENGGUAN, DAGZE, NIMU = District.CHENGGUAN, District.DAGZE, District.NYEMO


def copies() -> set[tuple[str, int, str, str]]:
    """Every copy that differs from its facility's district: (table, id, copy, facility's)."""
    wrong = set()
    for row in Inspection.objects.values("pk", "district", "facility__district"):
        if row["district"] != row["facility__district"]:
            wrong.add(("inspection", row["pk"], row["district"], row["facility__district"]))
    for row in Rectification.objects.values("pk", "district", "facility__district"):
        if row["district"] != row["facility__district"]:
            wrong.add(("rectification", row["pk"], row["district"], row["facility__district"]))
    for row in Referral.objects.values("pk", "district", "inspection__facility__district"):
        if row["district"] != row["inspection__facility__district"]:
            wrong.add(
                ("referral", row["pk"], row["district"], row["inspection__facility__district"])
            )
    return wrong


@pytest.fixture
def chain():
    """A facility in 城关区 with an inspection, its referral and its rectification order."""
    facility = FacilityFactory(district=CHENGGUAN)
    inspection = InspectionFactory(facility=facility, completed=True)
    return (
        facility,
        inspection,
        ReferralFactory(inspection=inspection),
        RectificationFactory(inspection=inspection, facility=facility),
    )


def test_new_rows_take_their_facility_s_district(chain):
    _, inspection, referral, order = chain
    assert Inspection.objects.get(pk=inspection.pk).district == CHENGGUAN
    assert Referral.objects.get(pk=referral.pk).district == CHENGGUAN
    assert Rectification.objects.get(pk=order.pk).district == CHENGGUAN
    assert copies() == set()


def test_saving_a_stale_object_cannot_blank_or_change_the_copy(chain):
    _, inspection, referral, order = chain
    for row in (inspection, referral, order):
        row.district = ""  # what the object held since it was created
        row.save()
    inspection.district = NIMU
    inspection.save()
    assert copies() == set()
    assert Inspection.objects.get(pk=inspection.pk).district == CHENGGUAN


def test_a_bulk_update_or_raw_sql_cannot_set_a_wrong_copy(chain):
    Inspection.objects.update(district=NIMU)
    Rectification.objects.update(district=NIMU)
    Referral.objects.update(district="")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE supervision_inspection SET district = %s", [DAGZE])
    assert copies() == set()


def test_a_facility_moved_to_another_district_carries_every_copy(chain):
    facility, *_ = chain
    InspectionFactory(facility=facility)
    facility.district = DAGZE
    facility.save()
    assert copies() == set()
    assert set(Inspection.objects.values_list("district", flat=True)) == {DAGZE}
    Facility.objects.filter(pk=facility.pk).update(district=NIMU)
    assert copies() == set()
    assert set(Referral.objects.values_list("district", flat=True)) == {NIMU}


def test_an_inspection_moved_to_another_facility_carries_its_referral(chain):
    _, inspection, referral, _ = chain
    elsewhere = FacilityFactory(district=DAGZE)
    Inspection.objects.filter(pk=inspection.pk).update(facility=elsewhere)
    assert Referral.objects.get(pk=referral.pk).district == DAGZE
    assert Inspection.objects.get(pk=inspection.pk).district == DAGZE


def test_bulk_created_rows_take_their_facility_s_district():
    facilities = [FacilityFactory(district=d) for d in (CHENGGUAN, DAGZE, NIMU)]
    Inspection.objects.bulk_create(
        Inspection(facility=f, kind="routine", start_date="2025-03-10") for f in facilities * 3
    )
    assert Inspection.objects.count() == 9
    assert copies() == set()


def test_the_copies_are_not_in_the_history(chain):
    _, inspection, referral, order = chain
    for row in (inspection, referral, order):
        assert "district" not in {field.name for field in row.history.model._meta.fields}
