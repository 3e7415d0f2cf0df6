"""Whatever must know every entity knows it.

For each concrete model of the `supervision` app (history tables aside), each test asks one place
that must know every entity — the audit log, the roles, the district scope, the admin, the status
badges, the API's enum names, the evidence files — and fails naming the model it does not know.
A model that rightly stays out of one of them is listed here with the reason, so that leaving it
out is a decision written down, never an accident. The checklist "Adding an entity" in the
README's Layout section says which file each test guards.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import FieldError
from django.db import models
from django.urls import NoReverseMatch, resolve, reverse
from factory.django import DjangoModelFactory
from simple_history.models import HistoricalChanges

import supervision.admin  # noqa: F401  (registers the admin classes)
from supervision import choices
from supervision.api.evidence import EvidenceActions
from supervision.api.urls import router
from supervision.audit import AUDITED
from supervision.models import (
    AssessmentItem,
    AuditEvent,
    CaseNumberCounter,
    CaseNumberPattern,
    CreditCategory,
    CreditRepair,
    DigestDelivery,
    Dimension,
    DocumentTemplate,
    Evidence,
    GradeTally,
    ImportJob,
    ImportRow,
    Indicator,
    InspectionTally,
    Inspector,
    InsuredIdentity,
    Notification,
    PartnerAgency,
    PlannedCheck,
    PointsBand,
    PointsPolicy,
    PointsRecord,
    PractitionerIdentity,
    PublicEdition,
    QualificationMeasure,
    RandomCheckAssignment,
    RandomCheckTarget,
    RatingChange,
    ReminderPreference,
    ScheduledRun,
    SupervisionMeasure,
    SuspensionPeriod,
    TipReporter,
    UserDistrict,
    ViolationCategory,
)
from supervision.models.evidence import PARENT_FIELDS
from supervision.roles import AUDITOR, ROLE_PERMISSIONS
from supervision.scoping import district_path
from supervision.templatetags.supervision_tags import status_label
from supervision.views.evidence import EvidenceSectionMixin
from tests import factories

ENTITIES = sorted(
    (
        model
        for model in apps.get_app_config("supervision").get_models()
        if not issubclass(model, HistoricalChanges)
    ),
    key=lambda model: model.__name__,
)
by_name = pytest.mark.parametrize("model", ENTITIES, ids=lambda model: model.__name__)

# --- the decisions: who stays out of what, and why ---

NOT_AUDITED = {
    AuditEvent: "it is the audit log's own list of events",
    Inspector: "reference data; its history is in the admin",
    PartnerAgency: "a fixed code list",
    ViolationCategory: "a fixed code list",
    Evidence: "uploads and downloads are audit events (services.audit_events)",
    RatingChange: "it is the record of a grade change; the rating's history holds the change",
    UserDistrict: "an account's setting, kept by administrators in the admin",
    GradeTally: "a total kept by triggers from the ratings",
    InspectionTally: "a total kept by triggers from the inspections",
    CaseNumberCounter: "a counter, not a record: each number it gives is on the numbered "
    "record, whose history holds it",
    PublicEdition: "a counter, not a record: every publication moves it on, and the "
    "publications themselves (grades, typical cases, random-check plans, sanctions) are audited",
    RandomCheckTarget: "it keeps no history: written once by the draw, which the plan's history "
    "records and its result digest fixes; the inspection it opens has a history of its own",
    # Reminders (提醒): copies and bookkeeping of the due items, which are computed from the
    # audited records themselves (services.due_items); none keeps a history.
    Notification: "a copy of a due item for one person (written by the reminder run, marked "
    "read by its reader); the record it is about is audited",
    ReminderPreference: "an account's own setting of what it is reminded of, not a case record",
    DigestDelivery: "bookkeeping of the daily e-mail (who was sent what day), not a case record",
    ScheduledRun: "bookkeeping of the task worker (which daily run was enqueued), not a record",
    ImportJob: "its page shows who uploaded and who confirmed it, and when; every record it "
    "writes has a history row of its own naming the file",
    ImportRow: "the report of an import's dry run, written once by the worker",
}
NOT_GRANTED = {
    InsuredIdentity: "personal data: an insured person's ID number; only supervisors hold "
    "view_insuredidentity (tests/test_insured_privacy.py), the auditor reads the masked number",
    TipReporter: "personal data: the auditor reads tips with the reporter masked; only the tip "
    "desk and supervisors hold view_tipreporter (tests/test_reporter_privacy.py)",
    AuditEvent: "read through the audit log, which follows the history permissions",
    PractitionerIdentity: "personal data: a practitioner's ID number; only supervisors hold "
    "view_practitioneridentity (tests/test_practitioner_privacy.py), the auditor reads the "
    "masked number",
    UserDistrict: "administrators only",
    GradeTally: "read with the permission of the rows it counts (permission_model)",
    InspectionTally: "read with the permission of the rows it counts (permission_model)",
    PublicEdition: "the public pages' cache key, read by code and never by a person: no role, the "
    "auditor included, is granted it (migration 0119 grants none)",
    # Reminders: each person reads and sets their own through the pages (my work, settings),
    # which scope them to request.user; no role reads anyone else's (migration 0121 grants none).
    Notification: "personal: each person reads their own notifications, scoped to the account",
    ReminderPreference: "personal: each person sets their own, scoped to the account",
    DigestDelivery: "system bookkeeping of the daily e-mail, read by code only",
    ScheduledRun: "system bookkeeping of the task worker, read by code only",
    CaseNumberPattern: "kept by administrators in the admin; the numbers it makes are on the "
    "records, read with their permissions",
    CaseNumberCounter: "read and raised by services.case_numbers only",
    ImportRow: "read through its job on the imports pages (view_importjob)",
}
NO_DISTRICT = {
    UserDistrict: "the districts of an account: a limited account sees none (scoping fails shut)",
    # Reminders belong to an account, not to a district: what is due comes from records already
    # in the account's districts (services.due_items), and nobody reads another's rows.
    Notification: "an account's own: the pages read the signed-in user's rows only",
    ReminderPreference: "an account's own: the pages read the signed-in user's row only",
    DigestDelivery: "an account's daily e-mail, read by code only (no page, endpoint or admin)",
    ScheduledRun: "the task worker's bookkeeping, of no facility (no page, endpoint or admin)",
    ImportJob: "an account's own: its uploader reads it (auditors every one); the rows it "
    "writes are checked against the uploader's districts one by one",
    ImportRow: "read through its job",
}
NOT_IN_ADMIN = {
    GradeTally: "derived: manage.py rebuild_tallies recomputes it",
    InspectionTally: "derived: manage.py rebuild_tallies recomputes it",
    PublicEdition: "a counter moved by services.publication.bump_edition; changing it by hand "
    "would only empty the public pages' cache",
    # Reminders: personal data and system bookkeeping, kept by the reminder services.
    Notification: "personal data (what one person is told, and when they read it): shown to "
    "that person only, on their pages",
    ReminderPreference: "personal data (one person's choices): set by that person on their "
    "settings page",
    DigestDelivery: "system bookkeeping of the daily e-mail; a row is the worker's claim, and "
    "changing one by hand could send an e-mail twice or never",
    ScheduledRun: "system bookkeeping of the task worker; a row is the claim of a day's run, and "
    "changing one by hand could run it twice or never",
    CaseNumberCounter: "raised by services.case_numbers in the transaction that saves a record; "
    "changed by hand, it would give a number twice or leave a gap",
    ImportJob: "made and moved on by the imports pages and the worker; a change by hand could "
    "write a file nobody confirmed",
    ImportRow: "the worker's report of a dry run, read on the import's page",
}
NO_FACTORY = {
    CreditCategory: "its 8 rows come with the migrations",
    SupervisionMeasure: "its rows (per category and grade) come with the migrations",
    Dimension: "built with its system by tests/credit_support.build_system",
    Indicator: "built with its system by tests/credit_support.build_system",
    AssessmentItem: "written by services.evaluation (score_cycle, score_indicator), which the "
    "tests call",
    PlannedCheck: "written by services.check_plans.build_check_plan, which the tests call",
    CreditRepair: "written by services.credit_actions.apply_for_repair, which the tests call",
    AuditEvent: "written by services.audit_events, which the tests call",
    PartnerAgency: "its rows come with the migrations",
    ViolationCategory: "its rows come with the migrations",
    GradeTally: "kept by triggers from the ratings",
    InspectionTally: "kept by triggers from the inspections",
    PointsPolicy: "the 2024 rules come with the migrations; tests edit them",
    PointsBand: "its rows come with the 2024 rules' migration",
    SuspensionPeriod: "its rows come with the 2024 rules' migration",
    ImportJob: "made from a file by supervision.imports.engine, which tests/test_imports.py calls",
    ImportRow: "written by the dry run (supervision.imports.engine.check)",
    PointsRecord: "written by services.practitioners.score_points, which the tests call",
    QualificationMeasure: "written by services.practitioners.recompute_year, which the tests "
    "reach through score_points and decide_objection",
    PublicEdition: "its one row comes with migration 0119; services.publication moves it on",
    RandomCheckTarget: "written by services.random_checks.draw, which the tests call",
    RandomCheckAssignment: "written by services.random_checks.draw and substitute, which the "
    "tests call",
    CaseNumberPattern: "its rows (one per kind) come with migration 0125; tests edit them",
    CaseNumberCounter: "written by services.case_numbers, which the tests reach by creating "
    "records",
    DocumentTemplate: "its rows (one per kind) come with migration 0126; tests edit them",
}
# Choices no endpoint shows, so the API schema needs no name for them.
NO_API_ENUM = {
    choices.AuditAction: "audit events have no endpoint",
    choices.DigestState: "the daily e-mail's bookkeeping has no endpoint",
    choices.CaseKind: "case number patterns and counters have no endpoint",
    choices.DocumentKind: "document templates and issued documents have no endpoint",
}

TEXT_CHOICES = {
    value: name
    for name, value in vars(choices).items()
    if isinstance(value, type)
    and issubclass(value, models.TextChoices)
    and value is not models.TextChoices
}
CSS = (Path(settings.BASE_DIR) / "supervision" / "static" / "supervision" / "app.css").read_text()


def choices_of(field: models.Field) -> type[models.TextChoices] | None:
    """The TextChoices class of supervision.choices whose choices the field has."""
    for value in TEXT_CHOICES:
        if list(field.choices) == list(value.choices):
            return value
    return None


def admin_models() -> set[type[models.Model]]:
    """Models with an admin of their own or shown as an inline of one."""
    registered = set(admin.site._registry)
    inlines = {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }
    return registered | inlines


# --- the checks ---


def test_the_decisions_name_only_models_that_exist():
    for listed in (NOT_AUDITED, NOT_GRANTED, NO_DISTRICT, NOT_IN_ADMIN, NO_FACTORY):
        stale = [model.__name__ for model in listed if model not in ENTITIES]
        assert not stale, f"no longer models of supervision: {stale}"


@by_name
def test_every_entity_is_in_the_audit_log_or_says_why(model):
    assert (model in AUDITED) != (model in NOT_AUDITED), (
        f"{model.__name__}: add it to AUDITED (supervision/audit.py) or, with the reason, to "
        "NOT_AUDITED here (not both)"
    )


@by_name
def test_every_entity_is_granted_to_the_roles_or_says_why(model):
    if model in NOT_GRANTED:
        return
    name = model._meta.model_name
    granted = set(ROLE_PERMISSIONS[AUDITOR])
    assert f"view_{name}" in granted, (
        f"{model.__name__}: the auditor reads everything — grant view_{name} in "
        "supervision/roles.py (and in a data migration), or list it in NOT_GRANTED with the reason"
    )
    if hasattr(model, "history"):
        assert f"view_historical{name}" in granted, (
            f"{model.__name__} keeps history: grant view_historical{name} to the auditor in "
            "supervision/roles.py (and in a data migration)"
        )


@by_name
def test_every_entity_says_how_its_district_is_reached(model):
    path = district_path(model)
    if model in NO_DISTRICT:
        return
    assert path is None or isinstance(path, str | tuple), (
        f"{model.__name__}: declare district_path on the model (a lookup to the district, or "
        "None for a table every district shares) — without one a limited account sees nothing"
    )
    for lookup in (path,) if isinstance(path, str) else path or ():
        try:
            str(model._default_manager.filter(**{lookup: "540102"}).query)
        except FieldError as error:
            pytest.fail(f"{model.__name__}.district_path {lookup!r} leads nowhere: {error}")


@by_name
def test_every_entity_is_in_the_admin_or_says_why(model):
    assert (model in admin_models()) != (model in NOT_IN_ADMIN), (
        f"{model.__name__}: register an admin (supervision/admin/) or an inline, or list it in "
        "NOT_IN_ADMIN here with the reason (not both)"
    )


@by_name
def test_every_status_has_its_badge(model):
    for field in model._meta.concrete_fields:
        if field.name != "status" or not field.choices:
            continue
        for value, label in field.choices:
            assert status_label(value) == str(label), (
                f"{model.__name__}.status {value!r}: add its choices to the status badges "
                "(_STATUS_CHOICES in supervision/templatetags/supervision_tags.py)"
            )
            assert re.search(rf"\.status-{re.escape(value)}\b", CSS), (
                f"{model.__name__}.status {value!r}: give .status-{value} a colour in "
                "supervision/static/supervision/app.css"
            )


def test_every_derived_status_has_its_badge():
    for value, label in choices.AgreementStatus.choices:
        assert status_label(value) == str(label)
        assert re.search(rf"\.status-{re.escape(value)}\b", CSS), f".status-{value} in app.css"


@by_name
def test_every_choice_field_has_its_choices_and_api_enum_name(model):
    named = set(settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].values())
    for field in model._meta.concrete_fields:
        if not field.choices:
            continue
        found = choices_of(field)
        assert found is not None, (
            f"{model.__name__}.{field.name}: choices belong in supervision/choices.py"
        )
        if found in NO_API_ENUM:
            continue
        assert f"supervision.choices.{TEXT_CHOICES[found]}" in named, (
            f"{model.__name__}.{field.name}: name {TEXT_CHOICES[found]} in the API schema "
            '(SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] in supervision/settings.py)'
        )


def _viewset_of(model: type[models.Model]):
    return next(
        (viewset for _p, viewset, _b in router.registry if viewset.queryset.model is model), None
    )


@by_name
def test_evidence_reaches_every_record_it_can_belong_to(model):
    """A record evidence can belong to has the evidence section on its page and the evidence
    actions on its endpoint; a foreign key from Evidence is such a record (PARENT_FIELDS)."""
    parents = {
        field.related_model
        for field in Evidence._meta.concrete_fields
        if field.is_relation and field.name in PARENT_FIELDS
    }
    linked = {
        field.related_model
        for field in Evidence._meta.concrete_fields
        if field.is_relation and field.related_model in ENTITIES
    }
    if model in linked:
        assert model in parents, (
            f"{model.__name__}: Evidence links to it; add it to PARENT_FIELDS "
            "(supervision/models/evidence.py) with its district path"
        )
    if model not in parents:
        return
    try:
        view = resolve(reverse(f"{model._meta.model_name}-detail", args=[1])).func.view_class
    except NoReverseMatch:
        pytest.fail(
            f"{model.__name__} takes evidence but has no page ({model._meta.model_name}-detail)"
        )
    assert issubclass(view, EvidenceSectionMixin), (
        f"{model.__name__}: its page shows no evidence (EvidenceSectionMixin)"
    )
    viewset = _viewset_of(model)
    assert viewset is not None and issubclass(viewset, EvidenceActions), (
        f"{model.__name__}: its endpoint takes no evidence (EvidenceActions)"
    )


@by_name
def test_every_entity_has_its_factory_or_says_why(model):
    made = {
        value._meta.model
        for value in vars(factories).values()
        if isinstance(value, type) and issubclass(value, DjangoModelFactory) and value._meta.model
    }
    assert (model in made) != (model in NO_FACTORY), (
        f"{model.__name__}: add {model.__name__}Factory to tests/factories.py (with a trait per "
        "state), or list it in NO_FACTORY here with the reason (not both)"
    )
