"""The staff roles and what each may do. Applied by a data migration to every database."""

from __future__ import annotations

from supervision.choices import Agency, Violation

INSPECTOR = "inspector"
SUPERVISOR = "supervisor"
AUDITOR = "auditor"

_CASE_MODELS = ["facility", "creditrating", "ratingchange", "inspection", "referral", "sanction"]
_LOOKUPS = ["inspector", "partneragency", "violationcategory"]
_ALL = _CASE_MODELS + _LOOKUPS
_HISTORY = [f"historical{m}" for m in [*_CASE_MODELS, "inspector"]]

# Nobody but a superuser deletes: case records are evidence.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Records and edits inspections; reads the rest.
    INSPECTOR: [f"view_{m}" for m in _ALL] + ["add_inspection", "change_inspection"],
    # Also keeps the registry, sets grades, records sanctions and makes referrals.
    SUPERVISOR: [f"view_{m}" for m in _ALL + _HISTORY]
    + [
        "add_facility",
        "change_facility",
        "add_creditrating",
        "change_creditrating",
        "add_inspection",
        "change_inspection",
        "add_referral",
        "change_referral",
        "add_sanction",
        "change_sanction",
        "add_inspector",
        "change_inspector",
    ],
    # Reads everything, history included; changes nothing.
    AUDITOR: [f"view_{m}" for m in _ALL + _HISTORY],
}

LOOKUP_ROWS = {"partneragency": Agency.values, "violationcategory": Violation.values}
