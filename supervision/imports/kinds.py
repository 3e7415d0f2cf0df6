"""The kinds of import, by ImportKind: what each reads and how its rows are checked and written
(one module each, on supervision.imports.columns)."""

from __future__ import annotations

from supervision.choices import ImportKind
from supervision.imports.columns import Kind
from supervision.imports.facilities import FacilityKind
from supervision.imports.inspections import InspectionImport
from supervision.imports.ratings import RatingKind
from supervision.imports.registrations import RegistrationImport

KINDS: dict[str, type[Kind]] = {
    ImportKind.FACILITY: FacilityKind,
    ImportKind.RATING: RatingKind,
    ImportKind.INSPECTION: InspectionImport,
    ImportKind.REGISTRATION: RegistrationImport,
}
