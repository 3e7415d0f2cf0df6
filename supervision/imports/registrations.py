"""Importing practitioners' registrations with facilities (登记备案)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from supervision.choices import ImportKind, RowOutcome
from supervision.imports.columns import (
    Checked,
    Column,
    Kind,
    convert,
    facilities_by_code,
    in_batches,
    model_problems,
    unknown_facility,
)
from supervision.models import (
    Facility,
    Practitioner,
    PractitionerIdentity,
    Registration,
)
from supervision.models.credit import mask_resident_id
from supervision.services import practitioners
from supervision.services._common import User


class _DryRun(Exception):
    """Undoes a trial write (the dry run of a registration)."""


class RegistrationImport(Kind):
    """Practitioners' registrations with facilities (登记备案): a person by 身份证号码 at a facility
    by 统一社会信用代码, through practitioners.register, which links a known ID number to its
    person (the name must match) or adds the person. The dry run tries the registration and
    undoes it, so that every rule of the service is checked. ID numbers never reach the report:
    a row is named by the masked number."""

    kind = ImportKind.REGISTRATION
    model = Registration
    permissions: ClassVar[list[str]] = [
        "supervision.add_registration",
        "supervision.add_practitioner",
        "supervision.add_practitioneridentity",
    ]
    columns: ClassVar[list[Column]] = [
        Column("id_number", PractitionerIdentity._meta.get_field("id_number").verbose_name, True),
        Column("name", Practitioner._meta.get_field("name").verbose_name, True),
        Column("profession", Practitioner._meta.get_field("profession").verbose_name, True),
        Column(
            "certificate_number", Practitioner._meta.get_field("certificate_number").verbose_name
        ),
        Column("credit_code", Facility._meta.get_field("credit_code").verbose_name, True),
        Column("department", Registration._meta.get_field("department").verbose_name),
        Column("registered_on", Registration._meta.get_field("registered_on").verbose_name),
    ]

    def __init__(self, user: User, source: str) -> None:
        super().__init__(user, source)
        self.facilities: dict[str, Facility] = {}
        self.open: set[tuple[str, int]] = set()

    def convert(self, column: Column, text: str) -> Any:
        if column.name in ("id_number", "credit_code"):
            return text.upper()
        if column.name == "profession":
            return convert(Practitioner._meta.get_field("profession"), text)
        return super().convert(column, text) if column.name == "registered_on" else text

    def field(self, name: str) -> models.Field:
        return Registration._meta.get_field(name)  # type: ignore[return-value]

    def prefetch(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        self.facilities = facilities_by_code(rows)
        numbers = (row["id_number"] for row in rows if row.get("id_number"))
        for batch in in_batches(numbers):
            self.open.update(
                Registration.objects.filter(
                    practitioner__identity__id_number__in=batch, ended_on__isnull=True
                ).values_list("practitioner__identity__id_number", "facility_id")
            )

    def _register(self, values: dict[str, Any], facility: Facility) -> None:
        practitioners.register(
            user=self.user,
            facility=facility,
            id_number=values["id_number"],
            name=values["name"],
            profession=values["profession"],
            certificate_number=values.get("certificate_number", ""),
            department=values.get("department", ""),
            registered_on=values.get("registered_on"),
        )

    def check(self, values: dict[str, Any]) -> Checked:
        masked = mask_resident_id(values["id_number"])
        code = values["credit_code"]
        key = f"{masked}/{code}"
        label = str(values["name"])
        facility = self.facilities.get(code)
        if facility is None:
            return unknown_facility(key, self.labels, label)
        if (values["id_number"], facility.pk) in self.open:
            return Checked(RowOutcome.UNCHANGED, key, label)
        try:
            with transaction.atomic():
                self._register(values, facility)
                raise _DryRun
        except _DryRun:
            pass
        except ValidationError as exc:
            return Checked(
                RowOutcome.REFUSED, key, label, problems=model_problems(exc, self.labels)
            )
        except PermissionDenied as exc:
            message = str(exc) or _("不在您负责的区县")
            return Checked(RowOutcome.REFUSED, key, label, problems=[["", message]])
        return Checked(RowOutcome.NEW, key, label, write=(values, facility))

    def write(self, checked: Checked) -> None:
        values, facility = checked.write
        self._register(values, facility)
        self.open.add((values["id_number"], facility.pk))
