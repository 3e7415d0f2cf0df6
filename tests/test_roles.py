"""The staff groups created by the migration, and what each may do."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from supervision.choices import Agency, Violation
from supervision.models import PartnerAgency, ViolationCategory
from supervision.roles import (
    AUDITOR,
    CREDIT_EVALUATOR,
    INSPECTOR,
    ROLE_PERMISSIONS,
    SUPERVISOR,
    TIP_DESK,
)

pytestmark = pytest.mark.django_db

ROLES = [INSPECTOR, SUPERVISOR, AUDITOR, TIP_DESK, CREDIT_EVALUATOR]
# The conftest fixture of each role's persona, and the role it holds.
PERSONA_ROLES = {
    "inspector": INSPECTOR,
    "supervisor": SUPERVISOR,
    "auditor": AUDITOR,
    "tip_desk": TIP_DESK,
    "evaluator": CREDIT_EVALUATOR,
}


def _codenames(group: Group) -> set[tuple[str, str]]:
    return set(group.permissions.values_list("content_type__app_label", "codename"))


def test_the_migrations_create_exactly_the_five_groups():
    assert set(ROLE_PERMISSIONS) == set(ROLES)
    assert set(Group.objects.values_list("name", flat=True)) == set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_each_group_has_exactly_the_permissions_of_its_role(role):
    expected = {("supervision", codename) for codename in ROLE_PERMISSIONS[role]}
    assert _codenames(Group.objects.get(name=role)) == expected
    assert len(ROLE_PERMISSIONS[role]) == len(expected)  # no entry listed twice


@pytest.mark.parametrize("role", ROLES)
def test_every_permission_a_role_lists_exists(role):
    existing = set(
        Permission.objects.filter(content_type__app_label="supervision").values_list(
            "codename", flat=True
        )
    )
    assert set(ROLE_PERMISSIONS[role]) <= existing


@pytest.mark.parametrize("role", ROLES)
def test_no_group_may_delete_anything(role):
    group = Group.objects.get(name=role)
    assert not group.permissions.filter(codename__startswith="delete_").exists()
    assert not [c for c in ROLE_PERMISSIONS[role] if c.startswith("delete_")]


def test_the_auditor_only_reads_history_included():
    codenames = set(ROLE_PERMISSIONS[AUDITOR])
    assert all(c.startswith("view_") for c in codenames)
    assert "view_historicalfacility" in codenames
    assert "view_historicalsanction" in codenames


def test_only_supervisors_and_auditors_read_history():
    for role in ROLES:
        reads_history = any(c.startswith("view_historical") for c in ROLE_PERMISSIONS[role])
        assert reads_history == (role != INSPECTOR), role


@pytest.mark.parametrize("persona", [*PERSONA_ROLES, "outsider"])
def test_a_persona_holds_exactly_its_role_s_permissions(request, persona):
    user = request.getfixturevalue(persona)
    everything = Permission.objects.filter(content_type__app_label="supervision")
    granted = {p.codename for p in everything if user.has_perm(f"supervision.{p.codename}")}
    assert granted == set(ROLE_PERMISSIONS.get(PERSONA_ROLES.get(persona, ""), []))


@pytest.mark.parametrize(
    ("persona", "permission", "allowed"),
    [
        ("inspector", "add_inspection", True),
        ("inspector", "change_inspection", True),
        ("inspector", "add_sanction", False),
        ("inspector", "change_creditrating", False),
        ("supervisor", "add_sanction", True),
        # Rating changes are written by the services only (set_grade, the dynamic adjustment
        # page that add_ratingchange opens); the admin never adds one.
        ("supervisor", "add_ratingchange", True),
        ("supervisor", "change_ratingchange", False),  # the audit trail is written, not edited
        ("supervisor", "delete_facility", False),
        ("auditor", "view_historicalcreditrating", True),
        ("auditor", "change_facility", False),
        ("outsider", "view_facility", False),
        # Evidence: added by who may change the record (the pages and API ask for both), read by
        # every role, deleted by none.
        ("inspector", "add_evidence", True),
        ("inspector", "view_evidence", True),
        ("supervisor", "add_evidence", True),
        ("supervisor", "view_historicalevidence", True),
        ("supervisor", "change_evidence", False),
        ("supervisor", "delete_evidence", False),
        ("auditor", "view_evidence", True),
        ("auditor", "view_historicalevidence", True),
        ("auditor", "add_evidence", False),
        ("outsider", "view_evidence", False),
        # Credit: the evaluator scores and registers; supervisors decide; the ID number of an
        # insured person is read by supervisors only.
        ("evaluator", "add_assessmentitem", True),
        ("evaluator", "change_assessment", True),
        ("evaluator", "add_objection", True),
        ("evaluator", "decide_objection", False),
        ("evaluator", "decide_creditrepair", False),
        ("evaluator", "review_evaluationcycle", False),
        ("evaluator", "add_evaluationcycle", False),
        ("evaluator", "change_indicator", False),
        ("evaluator", "add_insuredidentity", True),
        ("evaluator", "view_insuredidentity", False),
        ("evaluator", "view_facility", True),
        ("evaluator", "change_facility", False),
        ("supervisor", "decide_objection", True),
        ("supervisor", "finalise_evaluationcycle", True),
        ("supervisor", "view_insuredidentity", True),
        ("inspector", "view_assessment", True),
        ("inspector", "change_assessment", False),
        ("inspector", "view_insuredidentity", False),
        ("tip_desk", "view_assessment", False),
        ("auditor", "view_historicalassessment", True),
        ("auditor", "view_insuredidentity", False),
        ("auditor", "change_assessmentitem", False),
        # Random checks and publication: a supervisor writes, draws and publishes plans and
        # writes typical cases; review_typicalcase lets another supervisor publish them. Grade
        # publications are added by the services only, never changed.
        ("supervisor", "draw_randomcheckplan", True),
        ("supervisor", "review_typicalcase", True),
        ("supervisor", "add_gradepublication", True),
        ("supervisor", "change_gradepublication", False),
        ("supervisor", "change_randomchecktarget", False),
        ("supervisor", "change_randomcheckassignment", False),
        ("supervisor", "delete_randomcheckplan", False),
        ("supervisor", "delete_typicalcase", False),
        ("inspector", "view_randomcheckplan", True),
        ("inspector", "view_randomcheckassignment", True),
        ("inspector", "draw_randomcheckplan", False),
        ("inspector", "add_typicalcase", False),
        ("inspector", "view_historicaltypicalcase", False),
        ("evaluator", "view_typicalcase", True),
        ("evaluator", "review_typicalcase", False),
        ("tip_desk", "view_gradepublication", True),
        ("tip_desk", "view_randomcheckplan", False),
        ("auditor", "view_historicalrandomcheckplan", True),
        ("auditor", "view_historicalrandomcheckassignment", True),
        ("auditor", "view_historicalgradepublication", True),
        ("auditor", "change_typicalcase", False),
        ("auditor", "draw_randomcheckplan", False),
        ("outsider", "view_typicalcase", False),
        # Rectification orders: made and followed up by inspectors and supervisors, read by
        # every role, their history by supervisors and auditors; deleted by none.
        ("inspector", "add_rectification", True),
        ("inspector", "change_rectification", True),
        ("inspector", "view_historicalrectification", False),
        ("supervisor", "add_rectification", True),
        ("supervisor", "change_rectification", True),
        ("supervisor", "view_historicalrectification", True),
        ("supervisor", "delete_rectification", False),
        ("auditor", "view_rectification", True),
        ("auditor", "view_historicalrectification", True),
        ("auditor", "change_rectification", False),
        ("tip_desk", "view_rectification", True),
        ("tip_desk", "add_rectification", False),
        ("evaluator", "view_rectification", True),
        ("evaluator", "change_rectification", False),
        ("outsider", "view_rectification", False),
    ],
)
def test_personas_may_do_what_their_role_says(request, persona, permission, allowed):
    user = request.getfixturevalue(persona)
    assert user.has_perm(f"supervision.{permission}") is allowed


@pytest.mark.parametrize("persona", [*PERSONA_ROLES, "outsider"])
def test_nobody_is_granted_the_public_edition_counter(request, persona):
    """PublicEdition is the public pages' cache key, moved by the services: no role reads or
    writes it (tests/test_entity_registry.py NOT_GRANTED)."""
    user = request.getfixturevalue(persona)
    everything = Permission.objects.filter(
        content_type__app_label="supervision", content_type__model="publicedition"
    )
    assert {p.codename for p in everything} >= {"view_publicedition", "change_publicedition"}
    assert not [p.codename for p in everything if user.has_perm(f"supervision.{p.codename}")]
    assert not [c for r in ROLES for c in ROLE_PERMISSIONS[r] if c.endswith("_publicedition")]


@pytest.mark.parametrize("persona", [*PERSONA_ROLES, "outsider"])
@pytest.mark.parametrize(
    "model", ["notification", "reminderpreference", "digestdelivery", "scheduledrun"]
)
def test_nobody_is_granted_the_reminders_tables(request, persona, model):
    """A person's notifications and settings are read through pages scoped to that person, the
    daily e-mail's and the worker's bookkeeping by code only: no role holds a permission on them
    (tests/test_entity_registry.py NOT_GRANTED)."""
    user = request.getfixturevalue(persona)
    everything = Permission.objects.filter(
        content_type__app_label="supervision", content_type__model=model
    )
    assert {p.codename for p in everything} >= {f"view_{model}", f"change_{model}"}
    assert not [p.codename for p in everything if user.has_perm(f"supervision.{p.codename}")]
    assert not [c for r in ROLES for c in ROLE_PERMISSIONS[r] if c.endswith(f"_{model}")]


def test_the_migration_creates_the_lookup_rows():
    assert set(PartnerAgency.objects.values_list("code", flat=True)) == set(Agency.values)
    assert set(ViolationCategory.objects.values_list("code", flat=True)) == set(Violation.values)


@pytest.mark.parametrize("persona", [*PERSONA_ROLES, "outsider", "superuser"])
def test_the_permission_backend_grants_what_django_s_own_would(request, persona):
    from django.contrib.auth.backends import ModelBackend

    user = request.getfixturevalue(persona)
    user.user_permissions.add(Permission.objects.get(codename="view_hotline"))
    ours = type(user).objects.get(pk=user.pk).get_all_permissions()
    django_s = ModelBackend().get_all_permissions(type(user).objects.get(pk=user.pk))
    assert ours == django_s
    assert "supervision.view_hotline" in ours


def test_a_user_s_permissions_are_read_in_one_query(inspector, django_assert_num_queries):
    user = type(inspector).objects.get(pk=inspector.pk)
    with django_assert_num_queries(1):
        assert user.has_perm("supervision.view_facility")
        assert not user.has_perm("supervision.delete_facility")
        user.get_all_permissions()


def test_an_inactive_user_has_no_permission(inspector):
    inspector.is_active = False
    inspector.save()
    assert type(inspector).objects.get(pk=inspector.pk).get_all_permissions() == set()
