"""Importing inspections (last year's, kept in Excel), by facility, start date and kind."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supervision.choices import ImportKind, RowOutcome, Violation
from supervision.formats.punctuation import listed
from supervision.imports.columns import (
    Checked,
    Column,
    Kind,
    changes_of,
    copy_of,
    facilities_by_code,
    in_batches,
    model_problems,
    outside_districts,
    shown,
    unknown_facility,
)
from supervision.models import (
    Facility,
    Inspection,
    Inspector,
)
from supervision.models.inspection import check_inspectors
from supervision.scoping import check_in_scope
from supervision.services import inspections
from supervision.services._common import User

# Several values in one cell: 张三、李四 / a, b / a;b.
SEPARATORS = re.compile("[,;\\s" + chr(0x3001) + chr(0xFF0C) + chr(0xFF1B) + "]+")


class InspectionImport(Kind):
    """Inspections (last year's, kept in Excel): one per facility (统一社会信用代码), start date
    and kind; new ones through record_inspection (a case number of their start year, the
    inspectors and violations linked), changed ones through edit_inspection."""

    kind = ImportKind.INSPECTION
    model = Inspection
    permissions: ClassVar[list[str]] = [
        "supervision.add_inspection",
        "supervision.change_inspection",
    ]
    FIELDS = (
        "kind",
        "status",
        "start_date",
        "end_date",
        "findings",
        "amount_involved",
        "amount_recovered",
    )
    columns: ClassVar[list[Column]] = [
        Column("credit_code", Facility._meta.get_field("credit_code").verbose_name, True),
        Column("kind", Inspection._meta.get_field("kind").verbose_name, True),
        Column("start_date", Inspection._meta.get_field("start_date").verbose_name, True),
        Column("status", Inspection._meta.get_field("status").verbose_name),
        Column("end_date", Inspection._meta.get_field("end_date").verbose_name),
        Column("inspectors", gettext_lazy("检查人员执法证号"), False, ("执法证号",)),
        Column(
            "violations",
            Inspection._meta.get_field("violations").verbose_name,
            False,
            ("违规类别",),
        ),
        Column("findings", Inspection._meta.get_field("findings").verbose_name),
        Column("amount_involved", Inspection._meta.get_field("amount_involved").verbose_name),
        Column("amount_recovered", Inspection._meta.get_field("amount_recovered").verbose_name),
    ]

    def __init__(self, user: User, source: str) -> None:
        super().__init__(user, source)
        self.facilities: dict[str, Facility] = {}
        self.known: dict[tuple[int, datetime.date, str], Inspection] = {}
        self.inspectors: dict[str, Inspector] = {}
        self.violations: dict[str, str] = {}

    def convert(self, column: Column, text: str) -> Any:
        if column.name == "credit_code":
            return text.upper()
        if column.name in ("inspectors", "violations"):
            return [part for part in SEPARATORS.split(text) if part]
        return super().convert(column, text)

    def prefetch(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        self.facilities = facilities_by_code(rows)
        days = sorted({row["start_date"] for row in rows if row.get("start_date")})
        for batch in in_batches(facility.pk for facility in self.facilities.values()):
            for inspection in Inspection.objects.filter(
                facility_id__in=batch, start_date__in=days
            ).prefetch_related("inspectors", "violations"):
                key = (inspection.facility_id, inspection.start_date, inspection.kind)
                self.known.setdefault(key, inspection)
        badges = (badge for row in rows for badge in row.get("inspectors", []))
        for batch in in_batches(badges):
            for inspector in Inspector.objects.filter(badge_number__in=batch):
                self.inspectors[inspector.badge_number] = inspector
        for code, label in Violation.choices:
            self.violations[code] = self.violations[str(label)] = code

    def check(self, values: dict[str, Any]) -> Checked:
        code = values["credit_code"]
        facility = self.facilities.get(code)
        key = f"{code}/{shown(values['start_date'])}/{values['kind']}"
        if facility is None:
            return unknown_facility(key, self.labels)
        label = facility.name
        problems: list[list[str]] = []
        inspectors = []
        for badge in values.get("inspectors", []):
            if badge in self.inspectors:
                inspectors.append(self.inspectors[badge])
            else:
                problems.append(
                    [
                        self.labels["inspectors"],
                        _("没有执法证号为 %(badge)s 的检查人员") % {"badge": badge},
                    ]
                )
        violations = []
        for name in values.get("violations", []):
            if name in self.violations:
                violations.append(self.violations[name])
            else:
                problems.append(
                    [self.labels["violations"], _("未知的违规类别：%(name)s") % {"name": name}]
                )
        if problems:
            return Checked(RowOutcome.REFUSED, key, label, problems=problems)
        existing = self.known.get((facility.pk, values["start_date"], values["kind"]))
        inspection = (
            Inspection(facility=facility, created_by=self.user)
            if existing is None
            else copy_of(existing)
        )
        for name in self.FIELDS:
            if name in values:
                setattr(inspection, name, values[name])
        if existing is not None and "inspectors" not in values:
            inspectors = list(existing.inspectors.all())
        try:
            check_in_scope(self.user, facility)
        except PermissionDenied:
            return outside_districts(key, label, self.labels["credit_code"])
        try:
            inspection.full_clean(validate_unique=False, validate_constraints=False)
            check_inspectors(inspection.kind, len(set(inspectors)))
        except ValidationError as exc:
            return Checked(
                RowOutcome.REFUSED, key, label, problems=model_problems(exc, self.labels)
            )
        links = {"inspectors": inspectors, "violations": violations}
        if existing is None:
            return Checked(RowOutcome.NEW, key, label, write=(inspection, links))
        changes = changes_of(existing, inspection, self.FIELDS, self.labels)
        before = {
            "inspectors": sorted(i.badge_number for i in existing.inspectors.all()),
            "violations": sorted(v.pk for v in existing.violations.all()),
        }
        after = {
            "inspectors": sorted(i.badge_number for i in inspectors),
            "violations": sorted(violations) if "violations" in values else before["violations"],
        }
        if "violations" not in values:
            links.pop("violations")
        for name in ("inspectors", "violations"):
            if before[name] != after[name]:
                changes.append([self.labels[name], listed(before[name]), listed(after[name])])
        if not changes:
            return Checked(RowOutcome.UNCHANGED, key, label)
        return Checked(RowOutcome.CHANGED, key, label, changes=changes, write=(inspection, links))

    def write(self, checked: Checked) -> None:
        inspection, links = checked.write
        if inspection.pk is None:
            inspections.record_inspection(
                facility=inspection.facility,
                kind=inspection.kind,
                status=inspection.status,
                start_date=inspection.start_date,
                end_date=inspection.end_date,
                inspectors=links["inspectors"],
                violations=links["violations"],
                findings=inspection.findings,
                amount_involved=inspection.amount_involved,
                amount_recovered=inspection.amount_recovered,
                user=self.user,
                reason=self.source,
            )
            return
        inspection._change_reason = self.source  # type: ignore[attr-defined]
        inspections.edit_inspection(inspection, user=self.user, changes=links, validated=True)
