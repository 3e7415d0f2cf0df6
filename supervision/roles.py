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
# What migration 0002 grants. Permissions of models added later are granted by the migration that
# adds the model (below), since a migration can only grant permissions that exist at its point.
INITIAL_ROLE_PERMISSIONS: dict[str, list[str]] = {
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

# Migration 0004_evidence: evidence files are added by whoever may change the record they belong
# to (the pages and the API also ask for that permission), and read by every role.
EVIDENCE_PERMISSIONS: dict[str, list[str]] = {
    INSPECTOR: ["add_evidence", "view_evidence"],
    SUPERVISOR: ["add_evidence", "view_evidence", "view_historicalevidence"],
    AUDITOR: ["view_evidence", "view_historicalevidence"],
}

# What each role may do now.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    role: [*codenames, *EVIDENCE_PERMISSIONS[role]]
    for role, codenames in INITIAL_ROLE_PERMISSIONS.items()
}

LOOKUP_ROWS = {"partneragency": Agency.values, "violationcategory": Violation.values}
