"""Inspections: record one with its inspectors, edit one, and complete it."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from supervision.choices import InspectionStatus
from supervision.models import (
    Facility,
    Inspection,
    Inspector,
    PartnerAgency,
    PlannedCheck,
    ViolationCategory,
)
from supervision.models.base import check_version
from supervision.models.inspection import check_inspectors
from supervision.services import publication, reasons
from supervision.services._common import User, refuse, save_with_history
from supervision.services.check_plans import match_planned_checks
from supervision.services.facilities import save_record

# The many-to-many fields of an inspection: an edit sets them after the row is saved.
RELATED = ("inspectors", "partner_agencies", "violations")


@transaction.atomic
def record_inspection(
    *,
    facility: Facility,
    kind: str,
    start_date: datetime.date,
    inspectors: Iterable[Inspector],
    user: User,
    status: str = InspectionStatus.PLANNED,
    end_date: datetime.date | None = None,
    partner_agencies: Iterable[PartnerAgency | str] = (),
    violations: Iterable[ViolationCategory | str] = (),
    findings: str = "",
    amount_involved: Decimal = Decimal("0"),
    amount_recovered: Decimal = Decimal("0"),
    reason: str = "",
) -> Inspection:
    """Create an inspection with its inspectors, partner agencies and violation categories.

    reason: for the history row, when another workflow records the inspection (a follow-up
    inspection of a rectification order, services.rectifications).
    """
    inspectors = list(inspectors)
    check_inspectors(kind, len(set(inspectors)))
    inspection = Inspection(
        facility=facility,
        kind=kind,
        status=status,
        start_date=start_date,
        end_date=end_date,
        findings=findings.strip(),
        amount_involved=amount_involved,
        amount_recovered=amount_recovered,
        created_by=user,
    )
    save_with_history(inspection, user, reason)
    # A new inspection has no links yet: add them (set() would first read the none there are),
    # and skip the empty ones.
    inspection.inspectors.add(*inspectors)
    for related, values in (
        (inspection.partner_agencies, list(partner_agencies)),
        (inspection.violations, list(violations)),
    ):
        if values:
            related.add(*values)
    fulfil_planned_checks(inspection, user)
    return inspection


def fulfil_planned_checks(inspection: Inspection, user: User) -> None:
    """Link the inspection to its facility's year check plan if the plan is waiting for one
    (one query by index when the facility has no plan that year)."""
    if not inspection.is_on_site:
        return
    year = inspection.start_date.year
    if PlannedCheck.objects.filter(
        facility_id=inspection.facility_id, year=year, inspection__isnull=True
    ).exists():
        match_planned_checks(year=year, facility_ids=[inspection.facility_id], user=user)


@transaction.atomic
def edit_inspection(
    inspection: Inspection,
    *,
    user: User,
    changes: Mapping[str, Any] | None = None,
    validated: bool = False,
) -> Inspection:
    """Save an edit of an inspection: `changes` (field name to value; inspectors, partner
    agencies and violations replace the linked rows) on top of what the instance holds. The
    version it carries is checked under the row's lock (StaleEdit); refused outside the user's
    districts.

    validated: the caller's form already ran the model's validation and the inspector check.
    """
    changes = dict(changes or {})
    related = {name: list(changes.pop(name)) for name in RELATED if name in changes}
    for name, value in changes.items():
        setattr(inspection, name, value)
    save_record(inspection, user, validated=validated)
    for name, values in related.items():
        getattr(inspection, name).set(values)
    if "start_date" in changes or "kind" in changes:
        fulfil_planned_checks(inspection, user)
    publication.note_inspection_change(inspection)
    return inspection


@transaction.atomic
def complete_inspection(
    inspection: Inspection,
    *,
    end_date: datetime.date,
    user: User,
    findings: str | None = None,
    expected_version: int | None = None,
) -> Inspection:
    """Mark an inspection completed on end_date; on-site ones need their two inspectors.

    expected_version: the version the user saw; another one is refused with StaleEdit.
    """
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    check_version(inspection, expected_version)
    if inspection.status == InspectionStatus.COMPLETED:
        raise refuse("status", _("该检查已完成。"))
    check_inspectors(inspection.kind, inspection.inspectors.count())
    if end_date < inspection.start_date:
        raise refuse("end_date", _("结束日期不能早于开始日期。"))
    inspection.status = InspectionStatus.COMPLETED
    inspection.end_date = end_date
    if findings is not None:
        inspection.findings = findings.strip()
    save_with_history(inspection, user, reasons.INSPECTION_COMPLETED)
    publication.note_inspection_change(inspection)
    return inspection
