"""The practitioners' API (医保支付资格记分): every endpoint and action per persona, registering
one person with two facilities (一医一档), the points reaching the suspension threshold and an
objection lifting the suspension, stale versions refused, district scoping, hostile and
wrongly typed input refused with 400s in Chinese, constant query counts on the lists, and the
ID number absent from every answer to a reader without view_practitioneridentity.

Today is fixed at 2025-06-30 (the services refuse dates after today); the rules are the
national defaults the migration seeds from 2024 (suspension from 9 points a year).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator, Mapping
from functools import cached_property
from typing import ClassVar

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision.api.practitioner_views import (
    PointsRecordViewSet,
    PractitionerViewSet,
    QualificationMeasureViewSet,
    RegistrationViewSet,
)
from supervision.choices import (
    District,
    InspectionStatus,
    MeasureKind,
    PointsState,
    Profession,
    QualificationStatus,
    RegistrationEnd,
    Responsibility,
    Violation,
)
from supervision.models import (
    PointsPolicy,
    PointsRecord,
    Practitioner,
    PractitionerIdentity,
    QualificationMeasure,
    Registration,
)
from supervision.models.credit import mask_resident_id
from supervision.roles import SUPERVISOR
from supervision.services import practitioners as service
from tests.api import client_for
from tests.dbstate import snapshot
from tests.factories import (
    FacilityFactory,
    InspectionFactory,
    UserDistrictFactory,
    UserFactory,
    _resident_id,
)

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2025, 6, 30)
PERSON_ID = _resident_id("54010219800101123")
NEW_ID = _resident_id("54010219900202456")
OTHER_ID = _resident_id("54012619850505789")
SPARE_ID = _resident_id("54010519951212345")
WRONG_ID = NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1")  # a wrong check character
SECRETS = [PERSON_ID, NEW_ID, OTHER_ID, SPARE_ID, PERSON_ID[6:14], NEW_ID[6:14], SPARE_ID[6:14]]
VIOLATIONS = [Violation.GHOST_ADMISSION, Violation.OVERCHARGING, Violation.DRUG_RESELLING]
PERSONAS = ["anonymous", "outsider", "inspector", "auditor", "supervisor"]
_MODELS = {
    "practitioners": Practitioner,
    "registrations": Registration,
    "points-records": PointsRecord,
    "qualification-measures": QualificationMeasure,
    "points-policies": PointsPolicy,
}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY)


def if_match(path: str) -> dict[str, str]:
    """The If-Match a client that has just read the record of path would send."""
    parts = path.split("?")[0].strip("/").split("/")
    model = _MODELS.get(parts[1]) if len(parts) > 2 else None
    if model is None or not parts[2].isdigit():
        return {}
    version = model._base_manager.filter(pk=parts[2]).values_list("version", flat=True).first()
    return {} if version is None else {"HTTP_IF_MATCH": f'W/"{parts[2]}-{version}"'}


INSPECTED_ON = D(2025, 3, 10)
REGISTERED_ON = D(2025, 1, 6)


def completed_inspection(facility, day: datetime.date = INSPECTED_ON):
    inspection = InspectionFactory(
        facility=facility, status=InspectionStatus.COMPLETED, start_date=day, end_date=day
    )
    inspection.violations.set(VIOLATIONS)
    return inspection


def register(user, facility, id_number: str, name: str, on: datetime.date = REGISTERED_ON):
    return service.register(
        user=user,
        facility=facility,
        id_number=id_number,
        name=name,
        profession=Profession.DOCTOR,
        certificate_number="110540000000001",
        department="内科",
        registered_on=on,
    )


_RESPONSIBILITY = {
    **dict.fromkeys(range(1, 4), Responsibility.GENERAL),
    **dict.fromkeys(range(4, 7), Responsibility.IMPORTANT),
    **dict.fromkeys(range(7, 13), Responsibility.MAIN),
}


def score(user, person, inspection, points: int, violation: str, on: datetime.date):
    return service.score_points(
        user=user,
        inspection=inspection,
        practitioner=person,
        violation=violation,
        responsibility=_RESPONSIBILITY[points],
        points=points,
        basis="《医疗保障基金使用监督管理条例》第三十八条",
        decision_number=f"拉医保记〔2025〕{on.toordinal() % 1000}号",
        decided_on=on,
    )


class PractitionerWorld:
    """What the endpoints act on, each made on first use: a person registered (through the
    service, so with history) with a hospital in Chengguan, a completed inspection of it, a
    points record, one with a pending objection, and a person of Dagze."""

    def __init__(self, user) -> None:
        self.user = user

    @cached_property
    def hospital(self):
        return FacilityFactory(name="示例城关人民医院", district=District.CHENGGUAN)

    @cached_property
    def clinic(self):
        return FacilityFactory(name="示例达孜卫生院", district=District.DAGZE)

    @cached_property
    def registration(self) -> Registration:
        return register(self.user, self.hospital, PERSON_ID, "示例医师甲").registration

    @cached_property
    def person(self) -> Practitioner:
        return self.registration.practitioner

    @cached_property
    def inspection(self):
        return completed_inspection(self.hospital)

    @cached_property
    def record(self) -> PointsRecord:
        return score(self.user, self.person, self.inspection, 2, VIOLATIONS[0], D(2025, 4, 1))

    @cached_property
    def objected(self) -> PointsRecord:
        record = score(self.user, self.person, self.inspection, 1, VIOLATIONS[2], D(2025, 4, 2))
        return service.lodge_objection(
            record, user=self.user, grounds="当日未在岗。", objected_on=D(2025, 4, 10)
        )

    @cached_property
    def measure(self) -> QualificationMeasure:
        other = register(self.user, self.hospital, OTHER_ID, "示例医师乙").registration
        score(self.user, other.practitioner, self.inspection, 9, VIOLATIONS[1], D(2025, 6, 1))
        return QualificationMeasure.objects.get(practitioner=other.practitioner)

    @cached_property
    def policy(self) -> PointsPolicy:
        return PointsPolicy.objects.get(from_year=2024)

    @cached_property
    def elsewhere(self) -> Practitioner:
        return register(self.user, self.clinic, NEW_ID, "示例医师丙").registration.practitioner


class PractitionerIds(Mapping):
    """The id of an existing record per endpoint, each made only when asked for
    (test_api_schemathesis)."""

    _OF: ClassVar[dict[str, Callable[[PractitionerWorld], int]]] = {
        "practitioners": lambda w: w.person.pk,
        "registrations": lambda w: w.registration.pk,
        "points-records": lambda w: w.objected.pk,
        "qualification-measures": lambda w: w.measure.pk,
        "points-policies": lambda w: w.policy.pk,
    }

    def __init__(self, world: PractitionerWorld) -> None:
        self.world = world

    def __getitem__(self, endpoint: str) -> int:
        return self._OF[endpoint](self.world)

    def __iter__(self) -> Iterator[str]:
        return iter(self._OF)

    def __len__(self) -> int:
        return len(self._OF)


@pytest.fixture
def world(supervisor) -> PractitionerWorld:
    return PractitionerWorld(supervisor)


def _text(response) -> str:
    return json.dumps(response.json(), ensure_ascii=False)


def _leaks(response) -> list[str]:
    text = _text(response)
    return [secret for secret in SECRETS if secret in text]


# --- who may call what ------------------------------------------------------------------------

READ = {"inspector": 200, "auditor": 200, "supervisor": 200}
NOT_OFFERED = {p: 405 for p in PERSONAS[1:]}


def register_body(w: PractitionerWorld) -> dict:
    return {
        "facility": w.hospital.pk,
        "id_number": NEW_ID,
        "name": "示例新医师",
        "profession": Profession.NURSE,
        "registered_on": "2025-05-01",
    }


def score_body(w: PractitionerWorld) -> dict:
    return {
        "practitioner": w.person.pk,
        "inspection": w.inspection.pk,
        "violation": VIOLATIONS[1],
        "responsibility": Responsibility.GENERAL,
        "points": 2,
        "basis": "超标准收费，负一般责任。",
        "decision_number": "拉医保记〔2025〕9号",
        "decided_on": "2025-04-03",
    }


Row = tuple[str, Callable, Callable | None, dict[str, int]]
TABLE: dict[str, Row] = {
    "people": ("GET", lambda w: "/api/practitioners/", None, READ),
    "person": ("GET", lambda w: f"/api/practitioners/{w.person.pk}/", None, READ),
    "register": ("POST", lambda w: "/api/practitioners/", register_body, {"supervisor": 201}),
    "edit person": (
        "PATCH",
        lambda w: f"/api/practitioners/{w.person.pk}/",
        lambda w: {"note": "调入内科"},
        {"supervisor": 200},
    ),
    "replace person": (
        "PUT",
        lambda w: f"/api/practitioners/{w.person.pk}/",
        lambda w: {"name": "示例医师甲", "profession": Profession.DOCTOR, "district": "540102"},
        {"supervisor": 200},
    ),
    "delete person": ("DELETE", lambda w: f"/api/practitioners/{w.person.pk}/", None, NOT_OFFERED),
    "registrations": ("GET", lambda w: "/api/registrations/", None, READ),
    "registration": ("GET", lambda w: f"/api/registrations/{w.registration.pk}/", None, READ),
    "add registration": ("POST", lambda w: "/api/registrations/", lambda w: {}, NOT_OFFERED),
    "edit registration": (
        "PATCH",
        lambda w: f"/api/registrations/{w.registration.pk}/",
        lambda w: {"department": "外科"},
        NOT_OFFERED,
    ),
    "end registration": (
        "POST",
        lambda w: f"/api/registrations/{w.registration.pk}/end/",
        lambda w: {"ended_on": "2025-06-01", "end_reason": RegistrationEnd.LEFT},
        {"supervisor": 200},
    ),
    "points": ("GET", lambda w: "/api/points-records/", None, READ),
    "points record": ("GET", lambda w: f"/api/points-records/{w.record.pk}/", None, READ),
    "score": ("POST", lambda w: "/api/points-records/", score_body, {"supervisor": 201}),
    "edit points": (
        "PATCH",
        lambda w: f"/api/points-records/{w.record.pk}/",
        lambda w: {"points": 1},
        NOT_OFFERED,
    ),
    "notify": (
        "POST",
        lambda w: f"/api/points-records/{w.record.pk}/notify/",
        lambda w: {"notified_on": "2025-04-05"},
        {"supervisor": 200},
    ),
    "object": (
        "POST",
        lambda w: f"/api/points-records/{w.record.pk}/object/",
        lambda w: {"objection_grounds": "记分依据不足。", "objected_on": "2025-04-08"},
        {"supervisor": 200},
    ),
    "decide": (
        "POST",
        lambda w: f"/api/points-records/{w.objected.pk}/decide/",
        lambda w: {"outcome": PointsState.MAINTAINED, "objection_reason": "经核查，异议不成立。"},
        {"supervisor": 200},
    ),
    "measures": ("GET", lambda w: "/api/qualification-measures/", None, READ),
    "measure": ("GET", lambda w: f"/api/qualification-measures/{w.measure.pk}/", None, READ),
    "add measure": ("POST", lambda w: "/api/qualification-measures/", lambda w: {}, NOT_OFFERED),
    "policies": ("GET", lambda w: "/api/points-policies/", None, READ),
    "policy": ("GET", lambda w: f"/api/points-policies/{w.policy.pk}/", None, READ),
    "edit policy": (
        "PATCH",
        lambda w: f"/api/points-policies/{w.policy.pk}/",
        lambda w: {"suspension_threshold": 8},
        NOT_OFFERED,
    ),
}


def expected(row: Row, persona: str) -> int:
    if persona == "anonymous":
        return 401
    return row[3].get(persona, 403)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", list(TABLE))
def test_permission_table(request, world, name, persona):
    method, path, body, _ = TABLE[name]
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    url = path(world)
    data = body(world) if body else None
    headers = if_match(url) if method in ("PUT", "PATCH", "POST") else {}
    call = getattr(client_for(user), method.lower())
    if data is not None:
        response = call(url, data, format="json", **headers)
    else:
        response = call(url, **headers)
    assert response.status_code == expected(TABLE[name], persona), response.content[:500]


def test_a_refused_write_writes_nothing(world, inspector, auditor):
    world.record  # noqa: B018 (made before the snapshot)
    before = snapshot()
    for user in (inspector, auditor):
        client = client_for(user)
        assert client.post("/api/practitioners/", register_body(world)).status_code == 403
        assert client.post("/api/points-records/", score_body(world)).status_code == 403
    assert snapshot() == before


# --- registering: one record per person -------------------------------------------------------


def test_registering_a_new_person_says_so_and_masks_the_number(world, supervisor):
    response = client_for(supervisor).post(
        "/api/practitioners/", register_body(world), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["new_person"] is True
    person = Practitioner.objects.get(pk=body["practitioner"]["id"])
    assert person.identity.id_number == NEW_ID
    assert body["practitioner"]["id_masked"] == mask_resident_id(NEW_ID)
    assert body["practitioner"]["id_number"] == NEW_ID  # a supervisor reads it
    assert body["practitioner"]["qualification_status"] == QualificationStatus.ACTIVE
    assert body["registration"]["facility"]["id"] == world.hospital.pk
    assert body["registration"]["registered_on"] == "2025-05-01"
    assert response["ETag"] == f'W/"{person.pk}-1"'
    assert person.district == world.hospital.district


def test_the_same_number_at_a_second_facility_links_to_the_same_person(world, supervisor):
    person = world.person
    body = {**register_body(world), "facility": world.clinic.pk, "id_number": PERSON_ID.lower()}
    response = client_for(supervisor).post(
        "/api/practitioners/", {**body, "name": "示例医师甲"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["new_person"] is False
    assert response.json()["practitioner"]["id"] == person.pk
    assert Practitioner.objects.count() == 1
    assert PractitionerIdentity.objects.count() == 1
    facilities = {r["facility"]["id"] for r in response.json()["practitioner"]["registrations"]}
    assert facilities == {world.hospital.pk, world.clinic.pk}


def test_the_same_number_with_another_name_is_refused_and_nothing_changes(world, supervisor):
    world.person, world.clinic  # noqa: B018
    before = snapshot()
    body = {**register_body(world), "facility": world.clinic.pk, "id_number": PERSON_ID}
    response = client_for(supervisor).post(
        "/api/practitioners/", {**body, "name": "示例他人"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"name": ["该身份证号码已登记的人员姓名与填写的不一致，请核对。"]}
    assert snapshot() == before


def test_a_limited_supervisor_registers_only_with_facilities_in_their_districts(world):
    local = UserFactory(username="local", role=SUPERVISOR)
    UserDistrictFactory(user=local, district=District.CHENGGUAN)
    body = {**register_body(world), "facility": world.clinic.pk}
    response = client_for(local).post("/api/practitioners/", body, format="json")
    assert response.status_code == 400
    assert "facility" in response.json()
    assert not Practitioner.objects.exists()


# --- points and the qualification -------------------------------------------------------------


def _score(client, world, points: int, violation: str, day: str):
    body = {
        **score_body(world),
        "violation": violation,
        "points": points,
        "responsibility": _RESPONSIBILITY[points],
        "decided_on": day,
    }
    response = client.post("/api/points-records/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_scoring_to_nine_points_suspends_and_a_revoked_objection_lifts_it(world, supervisor):
    client = client_for(supervisor)
    person_url = f"/api/practitioners/{world.person.pk}/"
    _score(client, world, 6, VIOLATIONS[0], "2025-04-01")
    assert client.get(person_url).json()["qualification_status"] == QualificationStatus.ACTIVE
    last = _score(client, world, 3, VIOLATIONS[1], "2025-06-20")
    assert last["year"] == 2025 and last["state"] == PointsState.SCORED

    person = client.get(person_url).json()
    assert (person["qualification_status"], person["year_points"]) == (
        QualificationStatus.SUSPENDED,
        9,
    )
    in_force = client.get(
        f"/api/qualification-measures/?practitioner={world.person.pk}&in_force=true"
    ).json()["results"]
    assert [(m["kind"], m["starts_on"], m["ends_on"], m["points"]) for m in in_force] == [
        (MeasureKind.SUSPENSION, "2025-06-20", "2025-08-19", 9)
    ]

    url = f"/api/points-records/{last['id']}/"
    objected = client.post(
        f"{url}object/",
        {"objection_grounds": "记分当日不在岗。", "objected_on": "2025-06-25"},
        format="json",
        **if_match(url),
    )
    assert objected.status_code == 200, objected.json()
    assert objected.json()["state"] == PointsState.OBJECTED
    assert objected["ETag"] == f'W/"{last["id"]}-2"'
    decided = client.post(
        f"{url}decide/",
        {"outcome": PointsState.REVOKED, "objection_reason": "经复核，记分依据不足，予以撤销。"},
        format="json",
        **if_match(url),
    )
    assert decided.status_code == 200, decided.json()
    assert decided.json()["state"] == PointsState.REVOKED

    person = client.get(person_url).json()
    assert (person["qualification_status"], person["year_points"]) == (
        QualificationStatus.ACTIVE,
        6,
    )
    measure = client.get(f"/api/qualification-measures/{in_force[0]['id']}/").json()
    assert (measure["lifted_on"], measure["in_force"]) == ("2025-06-30", False)
    assert client.get("/api/qualification-measures/?in_force=true").json()["results"] == []


def test_a_reduced_objection_keeps_the_first_points(world, supervisor):
    client = client_for(supervisor)
    url = f"/api/points-records/{world.objected.pk}/"
    response = client.post(
        f"{url}decide/",
        {"outcome": PointsState.REDUCED, "objection_reason": "情节较轻。", "points": 1},
        format="json",
        **if_match(url),
    )
    # 1 point is the least: nothing lower to reduce to.
    assert response.status_code == 400
    assert "points" in response.json()
    url = f"/api/points-records/{world.record.pk}/"
    objected = client.post(
        f"{url}object/", {"objection_grounds": "过重。"}, format="json", **if_match(url)
    )
    assert objected.status_code == 200, objected.json()
    response = client.post(
        f"{url}decide/",
        {"outcome": PointsState.REDUCED, "objection_reason": "情节较轻。", "points": 1},
        format="json",
        **if_match(url),
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["points"], response.json()["original_points"]) == (1, 2)


def test_notifying_and_ending_record_their_days(world, supervisor):
    client = client_for(supervisor)
    url = f"/api/points-records/{world.record.pk}/"
    response = client.post(f"{url}notify/", {}, format="json", **if_match(url))
    assert response.status_code == 200, response.json()
    assert response.json()["notified_on"] == "2025-06-30"
    again = client.post(f"{url}notify/", {}, format="json", **if_match(url))
    assert again.status_code == 400
    assert again.json() == {"notified_on": ["已记录告知日期。"]}

    url = f"/api/registrations/{world.registration.pk}/"
    ended = client.post(
        f"{url}end/", {"end_reason": RegistrationEnd.OTHER}, format="json", **if_match(url)
    )
    assert ended.status_code == 200, ended.json()
    assert (ended.json()["ended_on"], ended.json()["end_reason"]) == ("2025-06-30", "other")
    assert client.get("/api/registrations/?open=true").json()["results"] == []
    assert (
        len(client.get(f"/api/registrations/?practitioner={world.person.pk}").json()["results"])
        == 1
    )


def test_the_policy_reads_with_its_bands_and_periods(world, auditor):
    body = client_for(auditor).get(f"/api/points-policies/{world.policy.pk}/").json()
    assert (body["from_year"], body["suspension_threshold"], body["termination_threshold"]) == (
        2024,
        9,
        12,
    )
    assert {band["responsibility"] for band in body["bands"]} == set(Responsibility.values)
    assert [p["points"] for p in body["suspension_periods"]] == sorted(
        p["points"] for p in body["suspension_periods"]
    )


# --- versions ---------------------------------------------------------------------------------


def test_an_edit_needs_the_current_version(world, supervisor):
    client = client_for(supervisor)
    url = f"/api/practitioners/{world.person.pk}/"
    read = client.get(url)
    assert read["ETag"] == f'W/"{world.person.pk}-1"'
    assert client.patch(url, {"note": "甲"}, format="json").status_code == 428
    first = client.patch(url, {"note": "甲"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert first.status_code == 200, first.json()
    assert first["ETag"] == f'W/"{world.person.pk}-2"'
    stale = client.patch(url, {"note": "乙"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert Practitioner.objects.get(pk=world.person.pk).note == "甲"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (lambda w: f"/api/registrations/{w.registration.pk}/end/", {}),
        (lambda w: f"/api/points-records/{w.record.pk}/notify/", {}),
        (lambda w: f"/api/points-records/{w.record.pk}/object/", {"objection_grounds": "过重。"}),
        (
            lambda w: f"/api/points-records/{w.objected.pk}/decide/",
            {"outcome": "maintained", "objection_reason": "维持。"},
        ),
    ],
    ids=["end", "notify", "object", "decide"],
)
def test_an_action_on_an_old_version_is_412_and_writes_nothing(world, supervisor, path, body):
    url = path(world)
    record_url = url.rsplit("/", 2)[0] + "/"
    old = if_match(record_url)
    model = _MODELS[record_url.split("/")[2]]
    pk = int(record_url.split("/")[3])
    model.objects.filter(pk=pk).update(version=5)
    before = snapshot()
    client = client_for(supervisor)
    assert client.post(url, body, format="json").status_code == 428
    response = client.post(url, body, format="json", **old)
    assert response.status_code == 412
    assert snapshot() == before


# --- refusals ---------------------------------------------------------------------------------

HOSTILE = ["<script>alert('x')</script>", "'; DROP TABLE supervision_practitioner; --"]


@pytest.mark.parametrize("text", HOSTILE)
def test_markup_and_sql_looking_text_is_stored_verbatim(world, supervisor, text):
    url = f"/api/practitioners/{world.person.pk}/"
    response = client_for(supervisor).patch(url, {"note": text}, format="json", **if_match(url))
    assert response.status_code == 200
    assert response.json()["note"] == text
    assert client_for(supervisor).get(f"/api/practitioners/?q={text[:50]}").status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"facility": "one"}, "facility"),
        ({"facility": True}, "facility"),
        ({"facility": 1.5}, "facility"),
        ({"facility": 10**30}, "facility"),
        ({"facility": 999999}, "facility"),
        ({"id_number": WRONG_ID}, "id_number"),
        ({"id_number": 540102}, "id_number"),
        ({"id_number": ["x"]}, "id_number"),
        ({"name": ""}, "name"),
        ({"name": "长" * 51}, "name"),
        ({"name": {"zh": "x"}}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"profession": "castle"}, "profession"),
        ({"profession": None}, "profession"),
        ({"registered_on": "2025-02-30"}, "registered_on"),
        ({"registered_on": 20250101}, "registered_on"),
        ({"registered_on": "2025-07-01"}, "registered_on"),  # after today
        ({"note": "长" * 2001}, "note"),
    ],
)
def test_bad_registrations_are_a_400_on_the_field_and_write_nothing(
    world, supervisor, change, field
):
    world.hospital  # noqa: B018
    before = snapshot()
    response = client_for(supervisor).post(
        "/api/practitioners/", {**register_body(world), **change}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"points": 0}, "points"),
        ({"points": 13}, "points"),
        ({"points": "abc"}, "points"),
        ({"points": 1.5}, "points"),
        ({"points": True}, "points"),
        ({"points": 5}, "points"),  # outside the general band (1-3)
        ({"violation": "theft"}, "violation"),
        ({"violation": Violation.FALSE_CLAIMS}, "violation"),  # not found by the inspection
        ({"responsibility": "total"}, "responsibility"),
        ({"inspection": 999999}, "inspection"),
        ({"practitioner": "x"}, "practitioner"),
        ({"basis": ""}, "basis"),
        ({"decision_number": "号" * 61}, "decision_number"),
        ({"decided_on": "2025-03-01"}, "decided_on"),  # before the inspection
        ({"decided_on": "2026-01-01"}, "decided_on"),  # after today
        ({"notified_on": "2025-04-01"}, "non_field_errors"),  # before the decision
    ],
)
def test_bad_scores_are_a_400_on_the_field_and_write_nothing(world, supervisor, change, field):
    world.person, world.inspection  # noqa: B018
    before = snapshot()
    response = client_for(supervisor).post(
        "/api/points-records/", {**score_body(world), **change}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert snapshot() == before


def test_a_person_not_registered_with_the_facility_is_not_scored(world, supervisor):
    body = {**score_body(world), "practitioner": world.elsewhere.pk}
    response = client_for(supervisor).post("/api/points-records/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"practitioner": ["该人员未在被检查机构登记备案。"]}


def test_an_inspection_not_completed_is_refused(world, supervisor):
    body = {**score_body(world), "inspection": InspectionFactory(facility=world.hospital).pk}
    response = client_for(supervisor).post("/api/points-records/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"inspection": ["只能依据已完成检查发现的违规行为记分。"]}


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("decide", {"outcome": "forgiven", "objection_reason": "x"}, "outcome"),
        ("decide", {"outcome": "revoked"}, "objection_reason"),
        ("decide", {"outcome": "revoked", "objection_reason": "x", "points": "7"}, None),
        ("decide", {"outcome": "reduced", "objection_reason": "x"}, "points"),
        (
            "decide",
            {"outcome": "revoked", "objection_reason": "x", "objection_decided_on": "2025-04-01"},
            "objection_decided_on",
        ),
        ("object", {"objection_grounds": ""}, "objection_grounds"),
        ("object", {"objection_grounds": "x", "objected_on": "yesterday"}, "objected_on"),
        ("notify", {"notified_on": "2025-07-01"}, "notified_on"),
    ],
)
def test_bad_objections_are_a_400(world, supervisor, action, body, field):
    record = world.objected if action == "decide" else world.record
    url = f"/api/points-records/{record.pk}/"
    before = snapshot()
    response = client_for(supervisor).post(f"{url}{action}/", body, format="json", **if_match(url))
    if field is None:  # points given with another outcome: ignored, the outcome stands
        assert response.status_code == 200, response.json()
        return
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert snapshot() == before


def test_an_objection_is_lodged_once_and_decided_once(world, supervisor):
    client = client_for(supervisor)
    url = f"/api/points-records/{world.objected.pk}/"
    again = client.post(
        f"{url}object/", {"objection_grounds": "再次。"}, format="json", **if_match(url)
    )
    assert again.status_code == 400
    assert again.json() == {"state": ["该记分已有异议，不能重复提出。"]}
    body = {"outcome": "maintained", "objection_reason": "维持。"}
    assert client.post(f"{url}decide/", body, format="json", **if_match(url)).status_code == 200
    twice = client.post(f"{url}decide/", body, format="json", **if_match(url))
    assert twice.status_code == 400
    assert twice.json() == {"state": ["该记分没有待处理的异议。"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"end_reason": RegistrationEnd.TERMINATED}, "end_reason"),
        ({"end_reason": "fired"}, "end_reason"),
        ({"ended_on": "2024-01-01"}, "non_field_errors"),  # before the registration
        ({"ended_on": "2025-07-01"}, "ended_on"),
    ],
)
def test_bad_ends_are_a_400(world, supervisor, body, field):
    url = f"/api/registrations/{world.registration.pk}/"
    before = snapshot()
    response = client_for(supervisor).post(f"{url}end/", body, format="json", **if_match(url))
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"profession": "castle"}, "profession"),
        ({"district": "110101"}, "district"),
        ({"name": ""}, "name"),
        ({"id_number": "54010219800101123Y"}, "id_number"),
        ({"id_number": OTHER_ID}, "id_number"),  # another person's
        ({"certificate_number": "号" * 41}, "certificate_number"),
    ],
)
def test_bad_edits_are_a_400_and_write_nothing(world, supervisor, body, field):
    register(supervisor, world.hospital, OTHER_ID, "示例医师乙")
    url = f"/api/practitioners/{world.person.pk}/"
    before = snapshot()
    response = client_for(supervisor).patch(url, body, format="json", **if_match(url))
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert snapshot() == before


@pytest.mark.parametrize(
    "query",
    [
        "practitioners/?facility=1e30",
        "practitioners/?status=asleep",
        "practitioners/?points_min=-1",
        "points-records/?year=1900",
        "points-records/?state=lost",
        "registrations/?open=perhaps",
        "registrations/?practitioner=99999999999999999999",
        "qualification-measures/?kind=exile",
        "qualification-measures/?in_force=maybe",
    ],
)
def test_bad_filters_are_a_400(world, auditor, query):
    response = client_for(auditor).get(f"/api/{query}")
    assert response.status_code == 400, response.content
    assert query.split("?")[1].split("=")[0] in response.json()


@pytest.mark.parametrize(
    "path",
    ["practitioners/abc/", "practitioners/0/", f"practitioners/{10**30}/", "points-records/1.5/"],
)
def test_what_is_not_a_record_is_a_404(world, auditor, path):
    assert client_for(auditor).get(f"/api/{path}").status_code == 404


# --- districts --------------------------------------------------------------------------------


def test_a_limited_reader_sees_only_their_districts(world):
    world.person, world.elsewhere  # noqa: B018
    local = UserFactory(username="local", role=SUPERVISOR)
    UserDistrictFactory(user=local, district=District.DAGZE)
    client = client_for(local)
    names = [p["name"] for p in client.get("/api/practitioners/").json()["results"]]
    assert names == ["示例医师丙"]
    assert client.get(f"/api/practitioners/{world.person.pk}/").status_code == 404
    url = f"/api/practitioners/{world.person.pk}/"
    assert client.patch(url, {"note": "x"}, format="json", **if_match(url)).status_code == 404
    assert client.get(f"/api/registrations/{world.registration.pk}/").status_code == 404


# --- the ID number ----------------------------------------------------------------------------


def _clerk():
    """May register people (and enter their numbers) but not read the numbers."""
    clerk = UserFactory(username="clerk")
    clerk.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="supervision",
            codename__in=[
                "view_facility",
                "view_practitioner",
                "view_registration",
                "add_practitioner",
                "add_registration",
                "add_practitioneridentity",
                "change_practitioner",
                "change_practitioneridentity",
            ],
        )
    )
    return clerk


@pytest.mark.parametrize("persona", ["inspector", "auditor", "clerk"])
def test_the_id_number_is_absent_from_every_answer_without_the_permission(request, world, persona):
    user = _clerk() if persona == "clerk" else request.getfixturevalue(persona)
    world.record, world.measure  # noqa: B018
    client = client_for(user)
    responses = [
        client.get("/api/practitioners/"),
        client.get(f"/api/practitioners/{world.person.pk}/"),
        client.get(f"/api/practitioners/?q={PERSON_ID}"),
        client.get("/api/registrations/"),
        client.get("/api/points-records/"),
        client.get("/api/qualification-measures/"),
    ]
    for response in responses:
        assert response.status_code in (200, 403), response.content
        if response.status_code == 200:
            assert not _leaks(response), response.json()
            assert "id_number" not in _text(response)
    listed = responses[0].json()["results"]
    if persona != "clerk":
        assert {row["id_masked"] for row in listed} >= {mask_resident_id(PERSON_ID)}
        assert responses[2].json()["results"] == []  # a number finds nobody for them
        return
    created = client.post("/api/practitioners/", register_body(world), format="json")
    assert created.status_code == 201, created.json()
    assert not _leaks(created) and "id_number" not in created.json()["practitioner"]
    url = f"/api/practitioners/{created.json()['practitioner']['id']}/"
    # The clerk may correct a number without reading it back.
    edited = client.patch(url, {"id_number": SPARE_ID}, format="json", **if_match(url))
    assert edited.status_code == 200, edited.json()
    assert not _leaks(edited) and "id_number" not in edited.json()
    assert PractitionerIdentity.objects.get(practitioner_id=edited.json()["id"]).id_number == (
        SPARE_ID
    )
    assert edited.json()["id_masked"] == mask_resident_id(SPARE_ID)


def test_a_supervisor_reads_finds_and_corrects_the_number(world, supervisor):
    client = client_for(supervisor)
    url = f"/api/practitioners/{world.person.pk}/"
    assert client.get(url).json()["id_number"] == PERSON_ID
    found = client.get(f"/api/practitioners/?q={PERSON_ID}").json()["results"]
    assert [row["id"] for row in found] == [world.person.pk]
    assert client.get(f"/api/practitioners/?q={PERSON_ID[:14]}").json()["results"] == []
    corrected = client.patch(url, {"id_number": NEW_ID.lower()}, format="json", **if_match(url))
    assert corrected.status_code == 200, corrected.json()
    assert (corrected.json()["id_number"], corrected.json()["id_masked"]) == (
        NEW_ID,
        mask_resident_id(NEW_ID),
    )


def test_an_inspector_cannot_enter_a_number_through_the_edit(world, inspector):
    url = f"/api/practitioners/{world.person.pk}/"
    response = client_for(inspector).patch(
        url, {"id_number": NEW_ID}, format="json", **if_match(url)
    )
    assert response.status_code == 403
    assert world.person.identity.id_number == PERSON_ID


# --- query counts -----------------------------------------------------------------------------


def _rows(world: PractitionerWorld, start: int, stop: int) -> None:
    """People start..stop, each registered with two facilities and suspended by 9 points, and a
    policy per person: a row more on every list."""
    world.inspection  # noqa: B018
    for i in range(start, stop):
        number = _resident_id(f"5401021970{i:07d}")
        registration = register(world.user, world.hospital, number, f"示例批量{i}").registration
        register(world.user, world.clinic, number, f"示例批量{i}")
        score(
            world.user, registration.practitioner, world.inspection, 9, VIOLATIONS[1], D(2025, 6, 1)
        )
        PointsPolicy.objects.create(from_year=2040 + i)


def _queries(client, path: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    sql = [q["sql"] for q in captured.captured_queries]
    assert not any("COUNT(" in s.upper() for s in sql)
    return len(sql), len(response.json()["results"])


@pytest.mark.parametrize("persona", ["supervisor", "auditor"])
@pytest.mark.parametrize("endpoint", list(_MODELS))
def test_a_list_costs_the_same_for_1_row_and_for_many(request, world, persona, endpoint):
    client = client_for(request.getfixturevalue(persona))
    path = f"/api/{endpoint}/"
    _rows(world, 0, 1)
    client.get(path)  # warm the per-process caches
    few, rows = _queries(client, path)
    _rows(world, 1, 12)
    many, more_rows = _queries(client, path)
    assert more_rows > rows
    assert many == few


@pytest.mark.parametrize("endpoint", list(_MODELS))
def test_a_record_is_read_in_a_fixed_number_of_queries(world, supervisor, endpoint):
    record_id = PractitionerIds(world)[endpoint]
    client = client_for(supervisor)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/api/{endpoint}/{record_id}/").status_code == 200
    assert len(captured.captured_queries) <= 10


# --- paging -----------------------------------------------------------------------------------


def _orderings(viewset) -> list[str]:
    ordering = viewset.filterset_class.base_filters.get("ordering")
    params = list(ordering.param_map) if ordering is not None else []
    return ["", *params, *(f"-{p}" for p in params)]


_PAGED = [
    (endpoint, ordering)
    for endpoint, viewset in (
        ("practitioners", PractitionerViewSet),
        ("points-records", PointsRecordViewSet),
        ("registrations", RegistrationViewSet),
        ("qualification-measures", QualificationMeasureViewSet),
    )
    for ordering in _orderings(viewset)
]


@pytest.mark.parametrize(("endpoint", "ordering"), _PAGED)
def test_following_next_walks_every_row_once_in_order(world, auditor, endpoint, ordering):
    _rows(world, 0, 4)
    client = client_for(auditor)
    query = f"ordering={ordering}&" if ordering else ""
    everything = client.get(f"/api/{endpoint}/?{query}page_size=200").json()["results"]
    assert len(everything) >= 4
    seen, url = [], f"/api/{endpoint}/?{query}page_size=3"
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == [row["id"] for row in everything]
