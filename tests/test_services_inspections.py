"""Inspections: record one with at least two inspectors on site, and complete it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from supervision.choices import Agency, InspectionKind, InspectionStatus, Violation
from supervision.models import Inspection, PartnerAgency, ViolationCategory
from supervision.services import complete_inspection, record_inspection
from tests.dbstate import assert_refused, snapshot
from tests.factories import FacilityFactory, InspectionFactory, InspectorFactory

pytestmark = pytest.mark.django_db

D = datetime.date
ON_SITE = [kind for kind in InspectionKind if kind.is_on_site]


def _record(inspectors, user, kind=InspectionKind.ROUTINE, **kw):
    if "facility" not in kw:
        kw["facility"] = FacilityFactory()
    return record_inspection(
        kind=kind, start_date=D(2025, 3, 10), inspectors=inspectors, user=user, **kw
    )


def test_the_snapshot_sees_rows_history_and_many_to_many(inspector):
    empty = snapshot()
    _record(InspectorFactory.create_batch(2), inspector, violations=[Violation.FALSE_CLAIMS])
    changed = {label for label, rows in snapshot().items() if rows != empty[label]}
    assert {
        "supervision.Inspection",
        "supervision.HistoricalInspection",
        "supervision.Inspection_inspectors",
        "supervision.Inspection_violations",
        "supervision.HistoricalInspection_inspectors",
    } <= changed


# --- record_inspection ----------------------------------------------------------------------


def test_it_records_an_inspection_with_its_team_partners_and_violations(inspector):
    team = InspectorFactory.create_batch(3)
    facility = FacilityFactory()
    inspection = _record(
        team,
        inspector,
        kind=InspectionKind.JOINT,
        facility=facility,
        status=InspectionStatus.COMPLETED,
        end_date=D(2025, 3, 12),
        partner_agencies=[Agency.POLICE, PartnerAgency.objects.get(code=Agency.MARKET)],
        violations=[
            Violation.FORGED_DELIVERY_NOTES,
            ViolationCategory.objects.get(pk=Violation.FALSE_CLAIMS),
        ],
        findings="  随货同行单与入库记录不符。 ",
        amount_involved=Decimal("85000.00"),
        amount_recovered=Decimal("85000.00"),
    )
    inspection = Inspection.objects.get(pk=inspection.pk)
    assert (inspection.facility, inspection.kind, inspection.status) == (
        facility,
        InspectionKind.JOINT,
        InspectionStatus.COMPLETED,
    )
    assert (inspection.start_date, inspection.end_date) == (D(2025, 3, 10), D(2025, 3, 12))
    assert inspection.findings == "随货同行单与入库记录不符。"
    assert set(inspection.inspectors.all()) == set(team)
    assert set(inspection.partner_agencies.values_list("code", flat=True)) == {
        Agency.POLICE,
        Agency.MARKET,
    }
    assert set(inspection.violations.values_list("code", flat=True)) == {
        Violation.FORGED_DELIVERY_NOTES,
        Violation.FALSE_CLAIMS,
    }
    assert inspection.created_by == inspector
    # One history row for the save, one per many-to-many set; all by the acting user.
    history = list(inspection.history.order_by("history_id"))
    assert [h.history_type for h in history] == ["+", "~", "~", "~"]
    assert {h.history_user for h in history} == {inspector}
    assert {row.inspector for row in history[-1].inspectors.all()} == set(team)


@pytest.mark.parametrize("kind", ON_SITE)
@pytest.mark.parametrize("count", [0, 1])
def test_it_refuses_an_on_site_inspection_with_fewer_than_two_inspectors_and_saves_nothing(
    inspector, kind, count
):
    team = InspectorFactory.create_batch(count)
    facility = FacilityFactory()
    assert_refused(
        lambda: _record(team, inspector, kind=kind, facility=facility),
        {"inspectors": [f"现场检查至少需要2名检查人员，当前为{count}名。"]},
    )


def test_the_same_inspector_twice_counts_once(inspector):
    alone = InspectorFactory()
    facility = FacilityFactory()
    assert_refused(
        lambda: _record([alone, alone], inspector, facility=facility),
        {"inspectors": ["现场检查至少需要2名检查人员，当前为1名。"]},
    )


def test_a_self_inspection_is_recorded_without_inspectors(inspector):
    inspection = _record([], inspector, kind=InspectionKind.SELF)
    assert inspection.inspectors.count() == 0


def test_a_failure_after_the_row_is_written_rolls_everything_back(inspector):
    team = InspectorFactory.create_batch(2)
    facility = FacilityFactory()

    def violations():
        yield Violation.FALSE_CLAIMS
        raise RuntimeError("lost connection to the lookup")

    before = snapshot()
    with pytest.raises(RuntimeError):
        _record(team, inspector, facility=facility, violations=violations())
    assert snapshot() == before


@pytest.mark.parametrize(
    ("extra", "errors"),
    [
        (
            {"status": InspectionStatus.COMPLETED},
            {"__all__": ["已完成的检查必须填写结束日期。"]},
        ),
        ({"end_date": D(2025, 3, 9)}, {"__all__": ["结束日期不能早于开始日期。"]}),
        (
            {"amount_involved": Decimal("10"), "amount_recovered": Decimal("10.01")},
            {"__all__": ["追回金额不能大于涉及金额。"]},
        ),
    ],
)
def test_it_refuses_an_inconsistent_inspection_and_saves_nothing(inspector, extra, errors):
    team = InspectorFactory.create_batch(2)
    facility = FacilityFactory()
    assert_refused(lambda: _record(team, inspector, facility=facility, **extra), errors)


# --- complete_inspection --------------------------------------------------------------------


def test_it_completes_an_inspection(inspector):
    inspection = InspectionFactory(findings="初步发现")
    done = complete_inspection(
        inspection, end_date=D(2025, 3, 14), user=inspector, findings="  串换药品  "
    )
    done.refresh_from_db()
    assert (done.status, done.end_date, done.findings) == (
        InspectionStatus.COMPLETED,
        D(2025, 3, 14),
        "串换药品",
    )
    history = done.history.order_by("-history_id").first()
    assert (history.history_user, history.history_change_reason) == (inspector, "检查完成")


def test_completing_without_findings_keeps_the_findings(inspector):
    inspection = InspectionFactory(findings="初步发现")
    assert complete_inspection(inspection, end_date=D(2025, 3, 10), user=inspector).findings == (
        "初步发现"
    )


def test_it_completes_a_self_inspection_without_inspectors(inspector):
    inspection = InspectionFactory(kind=InspectionKind.SELF, inspectors=[])
    done = complete_inspection(inspection, end_date=D(2025, 3, 31), user=inspector)
    assert done.status == InspectionStatus.COMPLETED


def test_it_refuses_to_complete_an_inspection_twice(inspector):
    inspection = InspectionFactory(completed=True)
    assert_refused(
        lambda: complete_inspection(inspection, end_date=D(2025, 3, 20), user=inspector),
        {"status": ["该检查已完成。"]},
    )


@pytest.mark.parametrize("count", [0, 1])
def test_it_refuses_to_complete_an_on_site_inspection_short_of_inspectors(inspector, count):
    inspection = InspectionFactory(inspectors=InspectorFactory.create_batch(count))
    assert_refused(
        lambda: complete_inspection(inspection, end_date=D(2025, 3, 12), user=inspector),
        {"inspectors": [f"现场检查至少需要2名检查人员，当前为{count}名。"]},
    )


def test_it_refuses_an_end_date_before_the_start(inspector):
    inspection = InspectionFactory()
    assert_refused(
        lambda: complete_inspection(inspection, end_date=D(2025, 3, 9), user=inspector),
        {"end_date": ["结束日期不能早于开始日期。"]},
    )
