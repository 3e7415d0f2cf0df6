"""Importing the registry: a facility per 统一社会信用代码; a known code updates that facility."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from supervision.choices import ImportKind, RowOutcome
from supervision.imports.columns import (
    Checked,
    Column,
    Kind,
    RowFailed,
    changes_of,
    copy_of,
    facilities_by_code,
    in_batches,
    model_problems,
    outside_districts,
)
from supervision.models import (
    Facility,
)
from supervision.scoping import check_in_scope
from supervision.search import search_keys
from supervision.services import facilities
from supervision.services._common import User, write_history

_FACILITY_REQUIRED = ("name", "credit_code", "kind", "ownership", "district")


class FacilityKind(Kind):
    """The registry: a facility per 统一社会信用代码; a known code updates that facility."""

    kind = ImportKind.FACILITY
    model = Facility
    permissions: ClassVar[list[str]] = ["supervision.add_facility", "supervision.change_facility"]
    FIELDS = (
        "name",
        "credit_code",
        "kind",
        "ownership",
        "district",
        "zone",
        "insurance_code",
        "address",
        "legal_representative",
        "contact_phone",
        "deposit",
        "designated_on",
        "note",
    )
    columns: ClassVar[list[Column]] = [
        Column(name, Facility._meta.get_field(name).verbose_name, name in _FACILITY_REQUIRED)
        for name in FIELDS
    ]

    def __init__(self, user: User, source: str) -> None:
        super().__init__(user, source)
        self.known: dict[str, Facility] = {}
        # Insurance codes in use: by the registry (prefetched) and by the file's earlier rows.
        self.insurance_codes: dict[str, str] = {}

    def prefetch(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        self.known = facilities_by_code(rows)
        insurance = (
            str(row["insurance_code"]).upper() for row in rows if row.get("insurance_code")
        )
        for batch in in_batches(insurance):
            self.insurance_codes.update(
                Facility.objects.filter(insurance_code__in=batch).values_list(
                    "insurance_code", "credit_code"
                )
            )

    def check(self, values: dict[str, Any]) -> Checked:
        code = str(values["credit_code"]).strip().upper()
        values["credit_code"] = code
        existing = self.known.get(code)
        facility = Facility() if existing is None else copy_of(existing)
        for name, value in values.items():
            setattr(facility, name, value)
        label = str(values.get("name") or (existing.name if existing else ""))
        try:
            if existing is not None:
                check_in_scope(self.user, existing)
            check_in_scope(self.user, facility)
        except PermissionDenied:
            return outside_districts(code, label, self.labels["district"])
        try:
            facility.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            return Checked(
                RowOutcome.REFUSED, code, label, problems=model_problems(exc, self.labels)
            )
        holder = self.insurance_codes.get(facility.insurance_code)
        if facility.insurance_code and holder not in (None, code):
            return Checked(
                RowOutcome.REFUSED,
                code,
                label,
                problems=[[self.labels["insurance_code"], _("该医保定点编码已被其他机构使用")]],
            )
        if facility.insurance_code:
            self.insurance_codes[facility.insurance_code] = code
        if existing is None:
            return Checked(RowOutcome.NEW, code, label, write=facility)
        changes = changes_of(existing, facility, self.FIELDS, self.labels)
        if not changes:
            return Checked(RowOutcome.UNCHANGED, code, label)
        return Checked(RowOutcome.CHANGED, code, label, changes=changes, write=facility)

    def write(self, checked: Checked) -> None:
        """A changed facility, through the registry's service: validated by the check already
        (the database holds the constraints), saved on the version read, with history."""
        facility: Facility = checked.write
        facilities.edit_facility(facility, user=self.user, reason=self.source, validated=True)

    def write_batch(self, rows: list[tuple[int, Checked]]) -> None:
        """New facilities set-wise: one INSERT per batch and their history rows in one
        INSERT…SELECT (services.write_history), as checked (district scope included); changed
        ones one by one."""
        new = [(number, checked) for number, checked in rows if checked.outcome == RowOutcome.NEW]
        super().write_batch([row for row in rows if row[1].outcome != RowOutcome.NEW])
        if not new:
            return
        made: list[Facility] = []
        for _number, checked in new:
            facility: Facility = checked.write
            facility.search_keys = search_keys(facility.name)
            made.append(facility)
        try:
            with transaction.atomic():
                Facility.objects.bulk_create(made)
                write_history(
                    Facility.objects.filter(credit_code__in=[f.credit_code for f in made]),
                    kind="+",
                    user=self.user,
                    reason=self.source,
                )
        except IntegrityError as exc:
            raise RowFailed(new[0][0], new[-1][0], exc) from exc
