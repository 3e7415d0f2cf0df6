"""An insured person's ID number is seen only by holders of view_insuredidentity (supervisors
and superusers, in their districts): every surface × every persona.

The person is registered by an evaluator with one number and corrected by a supervisor to
another, so the history holds both; the person is also the subject of an assessment. Whoever may
not read the number never receives either value in any response (the masked number, which
shows the division and the last four characters, is allowed); where a surface presents the
person's number they see the masked one. Exports never hold the number, whoever exports. No
search finds the person by a part of a number, and only a holder finds them by a whole one.

A new surface that shows insured persons belongs in SURFACES.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIRequestFactory

from supervision.api.serializers.credit_subjects import InsuredPersonSerializer
from supervision.choices import CreditCategoryCode, District
from supervision.codes import resident_id_check_char
from supervision.models import CreditCategory
from supervision.roles import AUDITOR, CREDIT_EVALUATOR, INSPECTOR, SUPERVISOR, TIP_DESK
from supervision.services import credit_subjects as service
from tests.factories import (
    AssessmentFactory,
    EvaluationCycleFactory,
    UserDistrictFactory,
    UserFactory,
)
from tests.privacy_support import Surface, api, page, response_text

pytestmark = pytest.mark.django_db


def _id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


OLD_ID = _id("54010219800101123")
NEW_ID = _id("54010219900202567")
SECRETS = [OLD_ID, NEW_ID, OLD_ID.lower(), NEW_ID.lower()]
NAME = "示例隐私参保人"


@dataclass
class Case:
    person: object
    assessment: object
    users: dict[str, object]


@pytest.fixture
def case(db) -> Case:
    evaluator = UserFactory(username="eval", role=CREDIT_EVALUATOR)
    boss = UserFactory(username="boss", role=SUPERVISOR)
    person = service.register_insured_person(
        user=evaluator, name=NAME, district=District.CHENGGUAN, id_number=OLD_ID
    )
    person = service.edit_insured_person(person, user=boss, id_number=NEW_ID)
    category = CreditCategory.objects.get(pk=CreditCategoryCode.INSURED_PERSON)
    assessment = AssessmentFactory(
        cycle=EvaluationCycleFactory(category=category),
        facility=None,
        insured_person=person,
        district=person.district,
        subject_name=person.name,
    )
    local = UserFactory(username="local", role=SUPERVISOR)
    UserDistrictFactory(user=local, district=District.CHENGGUAN)
    elsewhere = UserFactory(username="elsewhere", role=SUPERVISOR)
    UserDistrictFactory(user=elsewhere, district=District.DAGZE)
    users = {
        "supervisor": boss,
        "local_supervisor": local,
        "superuser": UserFactory(username="root", is_superuser=True),
        "evaluator": evaluator,
        "inspector": UserFactory(username="insp", role=INSPECTOR),
        "auditor": UserFactory(username="aud", role=AUDITOR),
        "tip_desk": UserFactory(username="desk", role=TIP_DESK),
        "other_district_supervisor": elsewhere,
        "outsider": UserFactory(username="nobody"),
        "anonymous": None,
    }
    return Case(person=person, assessment=assessment, users=users)


SEES = {"supervisor", "local_supervisor", "superuser"}
MASKED = {"evaluator", "inspector", "auditor"}
PERSONAS = sorted(
    [*SEES, *MASKED, "tip_desk", "other_district_supervisor", "outsider", "anonymous"]
)


def _person_pk(case: Case) -> int:
    return case.person.pk


def _assessment_pk(case: Case) -> int:
    return case.assessment.pk


def _cycle_pk(case: Case) -> int:
    return case.assessment.cycle_id


SURFACES = [
    Surface("person list", page("insuredperson-list"), presents_number=True),
    Surface(
        "person list searched by a part of the number",
        page("insuredperson-list", query={"q": NEW_ID[:14]}),
        typed=NEW_ID[:14],
    ),
    Surface(
        "person list searched by the last digits",
        page("insuredperson-list", query={"q": NEW_ID[-6:]}),
        typed=NEW_ID[-6:],
    ),
    Surface(
        "person list searched by the old number",
        page("insuredperson-list", query={"q": OLD_ID}),
        typed=OLD_ID,
    ),
    Surface("person page", page("insuredperson-detail", _person_pk), presents_number=True),
    Surface("person edit form", page("insuredperson-edit", _person_pk)),
    Surface("person create form", page("insuredperson-create")),
    Surface(
        "person export CSV",
        page("insuredperson-list", query={"export": "csv"}),
        presents_number=True,
        export=True,
    ),
    Surface(
        "person export XLSX",
        page("insuredperson-list", query={"export": "xlsx"}),
        presents_number=True,
        export=True,
    ),
    Surface("audit log", page("audit")),
    # The audit export is the log's own: a holder reads the numbers there as in the log.
    Surface("audit export", page("audit", query={"export": "csv"})),
    Surface("audit log of the ID numbers", page("audit", query={"record_type": "insuredidentity"})),
    Surface("audit log of the persons", page("audit", query={"record_type": "insuredperson"})),
    Surface("assessment page", page("assessment-detail", _assessment_pk)),
    Surface("cycle page", page("evaluationcycle-detail", _cycle_pk)),
    Surface("admin person list", page("admin:supervision_insuredperson_changelist")),
    Surface(
        "admin person list searched by a part of the number",
        page("admin:supervision_insuredperson_changelist", query={"q": NEW_ID[:12]}),
        typed=NEW_ID[:12],
    ),
    Surface("admin person", page("admin:supervision_insuredperson_change", _person_pk)),
    Surface("admin person history", page("admin:supervision_insuredperson_history", _person_pk)),
    Surface("API assessments", api("api:assessment-list")),
    Surface("API assessment", api("api:assessment-detail", _assessment_pk)),
    Surface("API persons", api("api:insuredperson-list"), presents_number=True),
    Surface("API person", api("api:insuredperson-detail", _person_pk), presents_number=True),
    Surface(
        "API persons searched by a part of the number",
        api("api:insuredperson-list", query=f"?q={NEW_ID[:14]}"),
        typed=NEW_ID[:14],
    ),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_the_id_number_is_seen_only_with_the_permission(case, surface, persona):
    user = case.users[persona]
    response = surface.get(case, user)
    assert response.status_code < 500, (surface.name, persona)
    text = response_text(response) if response.status_code == 200 else ""
    if surface.typed:
        text = text.replace(surface.typed, "")
        # Found by a number, the person would tell whose it is.
        assert case.person.get_absolute_url() not in text, (surface.name, persona)
        assert NAME not in text, (surface.name, persona)
    if persona in SEES and not surface.export:
        if (
            surface.presents_number
            and response.status_code == 200
            and surface.name.endswith(("page", "person"))
        ):
            assert NEW_ID in text, (surface.name, persona)
        return
    leaked = [secret for secret in SECRETS if secret in text]
    assert not leaked, (surface.name, persona, leaked)
    if persona in MASKED and surface.presents_number:
        assert response.status_code == 200, (surface.name, persona)
        assert case.person.id_masked in text, (surface.name, persona)


@pytest.mark.parametrize("persona", sorted(SEES))
def test_a_holder_finds_the_person_by_the_whole_number_only(case, persona):
    client = Client()
    client.force_login(case.users[persona])
    url = reverse("insuredperson-list")
    assert list(client.get(url, {"q": NEW_ID}).context["object_list"]) == [case.person]
    assert list(client.get(url, {"q": OLD_ID}).context["object_list"]) == []
    assert list(client.get(url, {"q": NEW_ID[:17]}).context["object_list"]) == []


@pytest.mark.parametrize("persona", sorted(MASKED))
def test_the_history_of_a_corrected_number_shows_that_it_changed_but_not_what(case, persona):
    from supervision.models.tip import MASK

    client = Client()
    client.force_login(case.users[persona])
    response = client.get(reverse("insuredperson-detail", args=[case.person.pk]))
    text = response_text(response)
    assert not [secret for secret in SECRETS if secret in text]
    history = response.context["history"]
    if persona == "inspector":
        assert history is None  # an inspector reads no history at all
        return
    numbers = [c for e in history for c in e.changes if c.name == "id_number"]
    assert len(numbers) == 2  # recorded, then corrected
    assert {c.new for c in numbers} == {MASK}


def test_a_holder_reads_both_numbers_in_the_history(case):
    client = Client()
    client.force_login(case.users["supervisor"])
    history = client.get(reverse("insuredperson-detail", args=[case.person.pk])).context["history"]
    numbers = [c for e in history for c in e.changes if c.name == "id_number"]
    assert {c.new for c in numbers} == {OLD_ID, NEW_ID}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_api_serializer_gives_the_number_only_to_a_holder(case, persona):
    user = case.users[persona]
    if user is None:
        pytest.skip("the API refuses the anonymous before any serializer")
    request = APIRequestFactory().get("/")
    request.user = user
    data = InsuredPersonSerializer(case.person, context={"request": request}).data
    text = json.dumps(data, ensure_ascii=False)
    assert data["id_masked"] == case.person.id_masked
    if persona in SEES:
        assert data["id_number"] == NEW_ID
    else:
        assert "id_number" not in data
        assert not [secret for secret in SECRETS if secret in text]


def test_an_evaluator_may_write_a_number_through_the_serializer_but_not_read_it(case):
    request = APIRequestFactory().post("/")
    request.user = case.users["evaluator"]
    serializer = InsuredPersonSerializer(
        data={
            "name": "示例新参保人",
            "district": District.DAGZE,
            "id_number": _id("54010420000303123"),
        },
        context={"request": request},
    )
    assert serializer.is_valid(), serializer.errors
    created = serializer.save()
    assert created.identity.id_number == _id("54010420000303123")
    assert "id_number" not in serializer.data


def test_the_identity_permission_is_held_by_supervisors_only():
    from supervision.roles import ROLE_PERMISSIONS

    holders = {role for role, perms in ROLE_PERMISSIONS.items() if "view_insuredidentity" in perms}
    assert holders == {SUPERVISOR}
    history_holders = {
        role
        for role, perms in ROLE_PERMISSIONS.items()
        if "view_historicalinsuredidentity" in perms
    }
    assert history_holders == {SUPERVISOR}
