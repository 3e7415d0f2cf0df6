"""The staff roles and what each may do. Applied by a data migration to every database."""

from __future__ import annotations

from supervision.choices import Agency, Violation

INSPECTOR = "inspector"
SUPERVISOR = "supervisor"
AUDITOR = "auditor"
TIP_DESK = "tip_desk"
CREDIT_EVALUATOR = "credit_evaluator"

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

# Migration 0106_tip_roles: tips (举报线索). The reporter's identity (tipreporter and its history)
# is read only by the tip desk and supervisors; inspectors and auditors see the tip without it.
# The tip desk (举报受理) registers tips, decides acceptance, opens the inspection, replies and
# proposes rewards; a supervisor also extends investigations and approves and pays rewards. The
# working-day calendar and the published hotlines are read by all and kept by administrators.
_TIP_READ = ["view_tip", "view_tipextension", "view_tipreward"]
_SHARED_READ = ["view_calendarday", "view_calendaryear", "view_hotline"]
_TIP_HISTORY = ["view_historicaltip", "view_historicaltipextension", "view_historicaltipreward"]
_REPORTER = ["view_tipreporter", "add_tipreporter", "change_tipreporter"]
TIP_PERMISSIONS: dict[str, list[str]] = {
    INSPECTOR: [*_TIP_READ, *_SHARED_READ],
    SUPERVISOR: [
        *_TIP_READ,
        *_SHARED_READ,
        *_TIP_HISTORY,
        *_REPORTER,
        "view_historicaltipreporter",
        "add_tip",
        "change_tip",
        "add_tipextension",
        "add_tipreward",
        "change_tipreward",
    ],
    AUDITOR: [
        *_TIP_READ,
        *_SHARED_READ,
        *_TIP_HISTORY,
        "view_historicalcalendarday",
        "view_historicalcalendaryear",
        "view_historicalhotline",
    ],
    TIP_DESK: [
        *[f"view_{m}" for m in _ALL],
        *_TIP_READ,
        *_SHARED_READ,
        *_TIP_HISTORY,
        *_REPORTER,
        "view_historicaltipreporter",
        "add_tip",
        "change_tip",
        "add_tipreward",
        "add_inspection",
        "add_evidence",
        "view_evidence",
    ],
}

# Migration 0109_credit_roles: credit management (信用管理). A new role, the credit evaluator
# (信用评价员), records self-assessments, scores the manual indicators, registers objections and
# repair applications and keeps the registries of institutions and insured persons; a supervisor
# also keeps the indicator systems and the measures, opens, reviews, publishes and finalises
# cycles, and decides objections and repairs. An insured person's ID number (insuredidentity) is
# read only by supervisors; an evaluator may enter one without reading it back.
_CREDIT_MODELS = [
    "creditcategory",
    "creditinstitution",
    "insuredperson",
    "indicatorsystem",
    "dimension",
    "indicator",
    "evaluationcycle",
    "assessment",
    "assessmentitem",
    "objection",
    "creditrepair",
    "supervisionmeasure",
    "plannedcheck",
]
_CREDIT_READ = [f"view_{m}" for m in _CREDIT_MODELS]
_CREDIT_HISTORY = [f"view_historical{m}" for m in _CREDIT_MODELS]
_EVALUATOR_WRITES = [
    "change_assessment",
    "add_assessmentitem",
    "change_assessmentitem",
    "add_objection",
    "change_objection",
    "add_creditrepair",
    "change_creditrepair",
    "add_creditinstitution",
    "change_creditinstitution",
    "add_insuredperson",
    "change_insuredperson",
    "add_insuredidentity",
]
CREDIT_PERMISSIONS: dict[str, list[str]] = {
    INSPECTOR: [*_CREDIT_READ],
    CREDIT_EVALUATOR: [
        *[f"view_{m}" for m in _ALL],
        *_CREDIT_READ,
        *_CREDIT_HISTORY,
        *_EVALUATOR_WRITES,
        "add_evidence",
        "view_evidence",
    ],
    SUPERVISOR: [
        *_CREDIT_READ,
        *_CREDIT_HISTORY,
        *_EVALUATOR_WRITES,
        "view_insuredidentity",
        "change_insuredidentity",
        "view_historicalinsuredidentity",
        "add_indicatorsystem",
        "change_indicatorsystem",
        "add_dimension",
        "change_dimension",
        "add_indicator",
        "change_indicator",
        "add_evaluationcycle",
        "change_evaluationcycle",
        "review_evaluationcycle",
        "finalise_evaluationcycle",
        "decide_objection",
        "decide_creditrepair",
        "change_supervisionmeasure",
        "add_plannedcheck",
        "change_plannedcheck",
        "add_ratingchange",
    ],
    AUDITOR: [*_CREDIT_READ, *_CREDIT_HISTORY],
}

_PRACTITIONER_MODELS = [
    "practitioner",
    "registration",
    "pointsrecord",
    "qualificationmeasure",
    "pointspolicy",
    "pointsband",
    "suspensionperiod",
]
_PRACTITIONER_READ = [f"view_{m}" for m in _PRACTITIONER_MODELS]
_PRACTITIONER_HISTORY = [f"view_historical{m}" for m in _PRACTITIONER_MODELS]
PRACTITIONER_PERMISSIONS: dict[str, list[str]] = {
    INSPECTOR: [*_PRACTITIONER_READ],
    CREDIT_EVALUATOR: [*_PRACTITIONER_READ, *_PRACTITIONER_HISTORY],
    SUPERVISOR: [
        *_PRACTITIONER_READ,
        *_PRACTITIONER_HISTORY,
        "add_practitioner",
        "change_practitioner",
        "view_practitioneridentity",
        "add_practitioneridentity",
        "change_practitioneridentity",
        "view_historicalpractitioneridentity",
        "add_registration",
        "change_registration",
        "add_pointsrecord",
        "change_pointsrecord",
        "add_pointspolicy",
        "change_pointspolicy",
        "add_pointsband",
        "change_pointsband",
        "add_suspensionperiod",
        "change_suspensionperiod",
    ],
    AUDITOR: [*_PRACTITIONER_READ, *_PRACTITIONER_HISTORY],
}

# Migration 0119_publication_roles: random checks (双随机) and what the bureau publishes. A
# supervisor writes plans, draws, publishes and substitutes inspectors (draw_randomcheckplan), and
# writes typical cases; another supervisor reviews and publishes them (review_typicalcase).
# Everyone reads the plans; grade publications are read by all and written by the services.
_PUBLICATION_MODELS = [
    "randomcheckplan",
    "randomchecktarget",
    "randomcheckassignment",
    "typicalcase",
    "gradepublication",
]
_PUBLICATION_READ = [f"view_{m}" for m in _PUBLICATION_MODELS]
_PUBLICATION_HISTORY = [
    f"view_historical{m}"
    for m in ["randomcheckplan", "randomcheckassignment", "typicalcase", "gradepublication"]
]
PUBLICATION_PERMISSIONS: dict[str, list[str]] = {
    INSPECTOR: [*_PUBLICATION_READ],
    TIP_DESK: ["view_gradepublication"],
    CREDIT_EVALUATOR: [*_PUBLICATION_READ, *_PUBLICATION_HISTORY],
    SUPERVISOR: [
        *_PUBLICATION_READ,
        *_PUBLICATION_HISTORY,
        "add_randomcheckplan",
        "change_randomcheckplan",
        "draw_randomcheckplan",
        "add_typicalcase",
        "change_typicalcase",
        "review_typicalcase",
        "add_gradepublication",
    ],
    AUDITOR: [*_PUBLICATION_READ, *_PUBLICATION_HISTORY],
}

# Migration 0121_rectification_roles: rectification orders (责令整改) are made and followed up by
# the inspectors and supervisors who do the inspections; read by the auditors (with history).
RECTIFICATION_PERMISSIONS: dict[str, list[str]] = {
    INSPECTOR: ["view_rectification", "add_rectification", "change_rectification"],
    TIP_DESK: ["view_rectification"],
    CREDIT_EVALUATOR: ["view_rectification"],
    SUPERVISOR: [
        "view_rectification",
        "add_rectification",
        "change_rectification",
        "view_historicalrectification",
    ],
    AUDITOR: ["view_rectification", "view_historicalrectification"],
}

# Migration 0126_documents: official documents (文书). Supervisors word the templates; whoever may
# change a record issues its documents (the pages also ask for the record's change permission:
# inspectors their inspections' records); everyone who reads evidence reads what was issued.
_DOCUMENT_READ = ["view_documenttemplate", "view_issueddocument"]
_DOCUMENT_HISTORY = ["view_historicaldocumenttemplate", "view_historicalissueddocument"]
DOCUMENT_PERMISSIONS: dict[str, list[str]] = {
    INSPECTOR: [*_DOCUMENT_READ, "add_issueddocument"],
    SUPERVISOR: [
        *_DOCUMENT_READ,
        *_DOCUMENT_HISTORY,
        "add_documenttemplate",
        "change_documenttemplate",
        "add_issueddocument",
    ],
    AUDITOR: [*_DOCUMENT_READ, *_DOCUMENT_HISTORY],
    TIP_DESK: [*_DOCUMENT_READ],
    CREDIT_EVALUATOR: [*_DOCUMENT_READ],
}

# Migration 0127_imports: supervisors import facilities and ratings (each kind also needs the
# permissions to add and change what it writes); they see their own imports, auditors all of them.
IMPORT_PERMISSIONS: dict[str, list[str]] = {
    SUPERVISOR: ["add_importjob", "view_importjob"],
    AUDITOR: ["view_importjob", "view_historicalimportjob"],
}

ROLES = (INSPECTOR, SUPERVISOR, AUDITOR, TIP_DESK, CREDIT_EVALUATOR)

# What each role may do now.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    role: [
        *INITIAL_ROLE_PERMISSIONS.get(role, []),
        *EVIDENCE_PERMISSIONS.get(role, []),
        *TIP_PERMISSIONS.get(role, []),
        *CREDIT_PERMISSIONS.get(role, []),
        *PRACTITIONER_PERMISSIONS.get(role, []),
        *PUBLICATION_PERMISSIONS.get(role, []),
        *RECTIFICATION_PERMISSIONS.get(role, []),
        *DOCUMENT_PERMISSIONS.get(role, []),
        *IMPORT_PERMISSIONS.get(role, []),
    ]
    for role in ROLES
}

LOOKUP_ROWS = {"partneragency": Agency.values, "violationcategory": Violation.values}
