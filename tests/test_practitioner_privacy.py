"""A practitioner's ID number is seen only by holders of view_practitioneridentity (supervisors
and superusers, in their districts): every surface × every persona.

The person is registered by a supervisor with one number, corrected to another, and registered
with a second facility by the new one (一医一档), so the history holds both; the person has points
from a completed inspection and is the subject of a credit assessment (category 7). Whoever may
not read the number never receives either value in any response (the masked number, which shows
the division and the last four characters, is allowed); where a surface presents the person's
number they see the masked one. Exports never hold the number, whoever exports. No search finds
the person by a part of a number, and only a holder finds them by a whole one.

A new surface that shows practitioners belongs in SURFACES.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from supervision.choices import (
    CreditCategoryCode,
    District,
    InspectionStatus,
    Profession,
    Responsibility,
    Violation,
)
from supervision.codes import resident_id_check_char
from supervision.models import CreditCategory
from supervision.roles import AUDITOR, CREDIT_EVALUATOR, INSPECTOR, SUPERVISOR, TIP_DESK
from supervision.services import practitioners as service
from tests.factories import (
    AssessmentFactory,
    EvaluationCycleFactory,
    FacilityFactory,
    InspectionFactory,
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
NAME = "示例隐私医师"


@dataclass
class Case:
    person: object
    facility: object
    inspection: object
    record: object
    assessment: object
    users: dict[str, object]


@pytest.fixture
def case(db) -> Case:
    boss = UserFactory(username="boss", role=SUPERVISOR)
    first = FacilityFactory(district=District.CHENGGUAN)
    second = FacilityFactory(district=District.CHENGGUAN)
    registered = service.register(
        user=boss,
        facility=first,
        id_number=OLD_ID,
        name=NAME,
        profession=Profession.DOCTOR,
        registered_on=datetime.date(2024, 1, 2),
    )
    person = service.edit_practitioner(
        registered.registration.practitioner, user=boss, id_number=NEW_ID
    )
    service.register(
        user=boss,
        facility=second,
        id_number=NEW_ID,
        name=NAME,
        profession=Profession.DOCTOR,
        registered_on=datetime.date(2024, 2, 1),
    )
    inspection = InspectionFactory(
        facility=first,
        status=InspectionStatus.COMPLETED,
        start_date=datetime.date(2025, 3, 3),
        end_date=datetime.date(2025, 3, 4),
    )
    inspection.violations.set([Violation.OVERCHARGING])
    record = service.score_points(
        user=boss,
        inspection=inspection,
        practitioner=person,
        violation=Violation.OVERCHARGING,
        responsibility=Responsibility.IMPORTANT,
        points=4,
        basis="依据",
        decision_number="拉医保资记〔2025〕1号",
        decided_on=datetime.date(2025, 3, 10),
    )
    category = CreditCategory.objects.get(pk=CreditCategoryCode.PRACTITIONER)
    assessment = AssessmentFactory(
        cycle=EvaluationCycleFactory(category=category),
        facility=None,
        practitioner=person,
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
        "evaluator": UserFactory(username="eval", role=CREDIT_EVALUATOR),
        "inspector": UserFactory(username="insp", role=INSPECTOR),
        "auditor": UserFactory(username="aud", role=AUDITOR),
        "tip_desk": UserFactory(username="desk", role=TIP_DESK),
        "other_district_supervisor": elsewhere,
        "outsider": UserFactory(username="nobody"),
        "anonymous": None,
    }
    return Case(person, first, inspection, record, assessment, users)


SEES = {"supervisor", "local_supervisor", "superuser"}
MASKED = {"evaluator", "inspector", "auditor"}
PERSONAS = sorted(
    [*SEES, *MASKED, "tip_desk", "other_district_supervisor", "outsider", "anonymous"]
)


def _person_pk(case: Case) -> int:
    return case.person.pk


def _facility_pk(case: Case) -> int:
    return case.facility.pk


def _inspection_pk(case: Case) -> int:
    return case.inspection.pk


def _record_pk(case: Case) -> int:
    return case.record.pk


def _assessment_pk(case: Case) -> int:
    return case.assessment.pk


def _cycle_pk(case: Case) -> int:
    return case.assessment.cycle_id


def _registration_pk(case: Case) -> int:
    return case.person.registrations.order_by("pk").first().pk


SURFACES = [
    Surface("practitioner list", page("practitioner-list"), presents_number=True),
    Surface(
        "practitioner list searched by a part of the number",
        page("practitioner-list", query={"q": NEW_ID[:14]}),
        typed=NEW_ID[:14],
    ),
    Surface(
        "practitioner list searched by the last digits",
        page("practitioner-list", query={"q": NEW_ID[-6:]}),
        typed=NEW_ID[-6:],
    ),
    Surface(
        "practitioner list searched by the old number",
        page("practitioner-list", query={"q": OLD_ID}),
        typed=OLD_ID,
    ),
    Surface(
        "practitioner list of a facility",
        lambda case, user: page("practitioner-list", query={"facility": case.facility.pk})(
            case, user
        ),
    ),
    Surface("practitioner page", page("practitioner-detail", _person_pk), presents_number=True),
    Surface("practitioner edit form", page("practitioner-edit", _person_pk)),
    Surface("register form", page("practitioner-register")),
    Surface(
        "practitioner export CSV",
        page("practitioner-list", query={"export": "csv"}),
        presents_number=True,
        export=True,
    ),
    Surface(
        "practitioner export XLSX",
        page("practitioner-list", query={"export": "xlsx"}),
        presents_number=True,
        export=True,
    ),
    Surface("points record page", page("points-detail", _record_pk)),
    Surface("facility page", page("facility-detail", _facility_pk)),
    Surface("inspection page", page("inspection-detail", _inspection_pk)),
    Surface("overview", page("dashboard")),
    Surface("audit log", page("audit")),
    Surface("audit export", page("audit", query={"export": "csv"})),
    Surface(
        "audit log of the ID numbers",
        page("audit", query={"record_type": "practitioneridentity"}),
    ),
    Surface("audit log of the people", page("audit", query={"record_type": "practitioner"})),
    Surface("assessment page", page("assessment-detail", _assessment_pk)),
    Surface("cycle page", page("evaluationcycle-detail", _cycle_pk)),
    Surface("admin practitioner list", page("admin:supervision_practitioner_changelist")),
    Surface(
        "admin practitioner list searched by a part of the number",
        page("admin:supervision_practitioner_changelist", query={"q": NEW_ID[:12]}),
        typed=NEW_ID[:12],
    ),
    Surface("admin practitioner", page("admin:supervision_practitioner_change", _person_pk)),
    Surface(
        "admin practitioner history",
        page("admin:supervision_practitioner_history", _person_pk),
    ),
    Surface("admin registrations", page("admin:supervision_registration_changelist")),
    Surface("admin registration", page("admin:supervision_registration_change", _registration_pk)),
    Surface("admin points records", page("admin:supervision_pointsrecord_changelist")),
    Surface("admin points record", page("admin:supervision_pointsrecord_change", _record_pk)),
    Surface("API assessments", api("api:assessment-list")),
    Surface("API assessment", api("api:assessment-detail", _assessment_pk)),
    Surface("API practitioners", api("api:practitioner-list"), presents_number=True),
    Surface("API practitioner", api("api:practitioner-detail", _person_pk), presents_number=True),
    Surface(
        "API practitioners searched by a part of the number",
        api("api:practitioner-list", query=f"?q={NEW_ID[:14]}"),
        typed=NEW_ID[:14],
    ),
    Surface("API registrations", api("api:registration-list")),
    Surface("API points records", api("api:pointsrecord-list")),
    Surface("API points record", api("api:pointsrecord-detail", _record_pk)),
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
            and surface.name.endswith(("page", "practitioner"))
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
    url = reverse("practitioner-list")
    assert list(client.get(url, {"q": NEW_ID}).context["object_list"]) == [case.person]
    assert list(client.get(url, {"q": OLD_ID}).context["object_list"]) == []
    assert list(client.get(url, {"q": NEW_ID[:17]}).context["object_list"]) == []


@pytest.mark.parametrize("persona", ["evaluator", "auditor"])
def test_the_history_of_a_corrected_number_shows_that_it_changed_but_not_what(case, persona):
    from supervision.models.tip import MASK

    client = Client()
    client.force_login(case.users[persona])
    response = client.get(reverse("practitioner-detail", args=[case.person.pk]))
    text = response_text(response)
    assert not [secret for secret in SECRETS if secret in text]
    history = response.context["history"]
    numbers = [c for e in history for c in e.changes if c.name == "id_number"]
    assert len(numbers) == 2  # recorded, then corrected
    assert {c.new for c in numbers} == {MASK}


def test_the_identity_permission_is_held_by_supervisors_only():
    from supervision.roles import ROLE_PERMISSIONS

    for codename in ("view_practitioneridentity", "view_historicalpractitioneridentity"):
        holders = {role for role, perms in ROLE_PERMISSIONS.items() if codename in perms}
        assert holders == {SUPERVISOR}, codename
