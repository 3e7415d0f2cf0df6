"""Recording an inspection fulfils its facility's planned check of that year, whatever page,
endpoint or admin recorded it (the inspection service links it)."""

from __future__ import annotations

import datetime

import pytest

from supervision.choices import Grade, InspectionKind
from supervision.models import PlannedCheck
from supervision.services.check_plans import build_check_plan
from supervision.services.inspections import edit_inspection, record_inspection
from tests.factories import CreditRatingFactory, InspectorFactory

D = datetime.date
pytestmark = pytest.mark.django_db


def test_a_recorded_on_site_inspection_fulfils_the_first_open_planned_check(supervisor):
    rating = CreditRatingFactory(year=2024, grade=Grade.C)
    build_check_plan(year=2025, user=supervisor)
    inspection = record_inspection(
        facility=rating.facility,
        kind=InspectionKind.ROUTINE,
        start_date=D(2025, 3, 3),
        inspectors=InspectorFactory.create_batch(2),
        user=supervisor,
    )
    first, second = PlannedCheck.objects.filter(facility=rating.facility).order_by("sequence")
    assert first.inspection == inspection and second.inspection is None


def test_a_self_inspection_or_another_years_inspection_fulfils_nothing(supervisor):
    rating = CreditRatingFactory(year=2024, grade=Grade.D)
    build_check_plan(year=2025, user=supervisor)
    record_inspection(
        facility=rating.facility,
        kind=InspectionKind.SELF,
        start_date=D(2025, 3, 3),
        inspectors=[],
        user=supervisor,
    )
    other_year = record_inspection(
        facility=rating.facility,
        kind=InspectionKind.ROUTINE,
        start_date=D(2026, 1, 5),
        inspectors=InspectorFactory.create_batch(2),
        user=supervisor,
    )
    assert not PlannedCheck.objects.filter(inspection__isnull=False).exists()
    edit_inspection(other_year, user=supervisor, changes={"start_date": D(2025, 6, 1)})
    assert PlannedCheck.objects.get(facility=rating.facility, sequence=1).inspection == other_year
