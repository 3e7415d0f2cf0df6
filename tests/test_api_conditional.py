"""Conditional writes in the API: reads of one record carry its ETag; a write that changes the
record needs it as If-Match (428 without, 412 when stale, * refused); actions that only create
other records need none. The contract documents all of it."""

from __future__ import annotations

import pytest

from supervision.models import Facility, Inspection, Referral
from tests.api import client_for, if_match_for
from tests.dbstate import snapshot, stored_version

pytestmark = pytest.mark.django_db


def tag(record) -> str:
    return f'W/"{record.pk}-{stored_version(record)}"'


@pytest.mark.parametrize("name", ["hospital", "rating", "inspection", "referral", "sanction"])
def test_a_read_of_one_record_carries_its_version_as_etag(world, auditor, name):
    record = getattr(world, name)
    resource = {
        "hospital": "facilities",
        "rating": "ratings",
        "inspection": "inspections",
        "referral": "referrals",
        "sanction": "sanctions",
    }[name]
    response = client_for(auditor).get(f"/api/{resource}/{record.pk}/")
    assert response["ETag"] == f'W/"{record.pk}-1"'
    assert response.json()["version"] == 1


def test_a_list_gives_each_record_s_version(world, auditor):
    rows = client_for(auditor).get("/api/facilities/").json()["results"]
    assert {row["version"] for row in rows} == {1}


WRITES = [
    ("PATCH", lambda w: f"/api/facilities/{w.hospital.pk}/", {"note": "备注"}),
    ("PUT", lambda w: f"/api/referrals/{w.referral.pk}/", {"summary": "更正后的摘要"}),
    ("PATCH", lambda w: f"/api/ratings/{w.rating.pk}/", {"score": "800.00", "reason": "补录"}),
    ("PATCH", lambda w: f"/api/sanctions/{w.sanction.pk}/", {"decision_number": "1号"}),
    ("PATCH", lambda w: f"/api/inspections/{w.inspection.pk}/", {"findings": "账实不符"}),
    ("POST", lambda w: f"/api/inspections/{w.inspection.pk}/complete/", {"end_date": "2025-03-12"}),
    (
        "POST",
        lambda w: f"/api/referrals/{w.referral.pk}/move/",
        {"status": "declined", "decided_on": "2025-04-01"},
    ),
]
IDS = ["facility", "referral", "rating", "sanction", "inspection", "complete", "move"]


def _call(client, method: str, path: str, body: dict, **headers):
    return getattr(client, method.lower())(path, body, format="json", **headers)


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=IDS)
def test_a_write_without_if_match_is_428_and_writes_nothing(world, supervisor, method, path, body):
    before = snapshot()
    response = _call(client_for(supervisor), method, path(world), body)
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=IDS)
def test_a_write_with_if_match_star_is_428(world, supervisor, method, path, body):
    response = _call(client_for(supervisor), method, path(world), body, HTTP_IF_MATCH="*")
    assert response.status_code == 428


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=IDS)
def test_a_write_with_the_current_etag_succeeds_and_answers_the_next_one(
    world,
    supervisor,
    method,
    path,
    body,
):
    url = path(world)
    response = _call(client_for(supervisor), method, url, body, **if_match_for(url))
    assert response.status_code == 200, response.content
    assert response["ETag"] == if_match_for(url)["HTTP_IF_MATCH"]
    assert response.json()["version"] == 2


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=IDS)
def test_a_write_with_an_old_etag_is_412_and_writes_nothing(world, supervisor, method, path, body):
    url = path(world)
    old = if_match_for(url)
    record_id = int(url.split("/")[3])
    model = {"facilities": Facility, "inspections": Inspection, "referrals": Referral}.get(
        url.split("/")[2]
    )
    if model is None:
        model = type(world.rating) if "ratings" in url else type(world.sanction)
    model.objects.get(pk=record_id).save()  # someone else saves it meanwhile
    before = snapshot()
    response = _call(client_for(supervisor), method, url, body, **old)
    assert response.status_code == 412
    assert response.json()["current_version"] == 2
    assert response["ETag"] == f'W/"{record_id}-2"'
    assert snapshot() == before


def test_an_etag_of_another_record_is_412(world, supervisor):
    path = f"/api/facilities/{world.hospital.pk}/"
    other = tag(world.pharmacy)
    response = client_for(supervisor).patch(path, {"note": "x"}, format="json", HTTP_IF_MATCH=other)
    assert response.status_code == 412
    assert "ETag" in response.json()["detail"]


@pytest.mark.parametrize("value", ['"{pk}-1"', "{pk}-1", 'W/"0-0", W/"{pk}-1"'])
def test_if_match_accepts_a_strong_a_bare_or_a_listed_tag(world, supervisor, value):
    path = f"/api/facilities/{world.hospital.pk}/"
    header = value.format(pk=world.hospital.pk)
    response = client_for(supervisor).patch(
        path, {"note": "x"}, format="json", HTTP_IF_MATCH=header
    )
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["garbage", 'W/"abc"', '"99999999999999999999-1"', ",,"])
def test_a_malformed_if_match_is_412_not_a_500(world, supervisor, value):
    path = f"/api/facilities/{world.hospital.pk}/"
    response = client_for(supervisor).patch(path, {"note": "x"}, format="json", HTTP_IF_MATCH=value)
    assert response.status_code == 412


def test_permissions_and_lookups_come_before_the_version(world, inspector, supervisor):
    path = f"/api/facilities/{world.hospital.pk}/"
    assert client_for(inspector).patch(path, {"note": "x"}, format="json").status_code == 403
    missing = client_for(supervisor).patch("/api/facilities/999999/", {}, format="json")
    assert missing.status_code == 404


def test_a_stale_write_is_refused_before_its_input_is_read(world, supervisor):
    path = f"/api/facilities/{world.hospital.pk}/"
    old = if_match_for(path)
    Facility.objects.get(pk=world.hospital.pk).save()
    response = client_for(supervisor).patch(path, {"deposit": "abc"}, format="json", **old)
    assert response.status_code == 412


def test_creating_answers_the_new_record_s_etag(world, supervisor):
    response = client_for(supervisor).post(
        "/api/ratings/",
        {"facility": world.pharmacy.pk, "year": 2024, "grade": "C", "reason": "年度评价"},
        format="json",
    )
    assert response.status_code == 201
    assert response["ETag"] == f'W/"{response.json()["id"]}-1"'


def test_actions_that_only_create_other_records_need_no_if_match(world, supervisor):
    client = client_for(supervisor)
    grade = client.post(
        f"/api/facilities/{world.hospital.pk}/grade/",
        {"year": 2024, "grade": "A", "reason": "复核后上调"},
        format="json",
    )
    refer = client.post(
        f"/api/inspections/{world.completed.pk}/refer/",
        {"agency": "market", "referred_on": "2025-03-21", "summary": "超标准收费"},
        format="json",
    )
    assert (grade.status_code, refer.status_code) == (201, 201)
    assert stored_version(world.hospital) == 1 and stored_version(world.completed) == 1


def test_a_rating_edited_by_the_grade_action_meanwhile_refuses_the_old_etag(world, supervisor):
    client = client_for(supervisor)
    path = f"/api/ratings/{world.rating.pk}/"
    old = client.get(path)["ETag"]
    client.post(
        f"/api/facilities/{world.hospital.pk}/grade/",
        {"year": 2024, "grade": "C", "reason": "复核改判"},
        format="json",
    )
    response = client.put(
        path, {"grade": "A", "reason": "再复核"}, format="json", HTTP_IF_MATCH=old
    )
    assert response.status_code == 412
    (change,) = response.json()["changes"]
    assert {"field": "grade", "label": "信用等级", "old": "B级", "new": "C级"} in change["fields"]


# ------------------------------------------------------------------------------ contract


@pytest.fixture
def contract(auditor) -> dict:
    response = client_for(auditor).get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    return response.json()


CONDITIONAL = [
    ("/api/facilities/{id}/", "put"),
    ("/api/facilities/{id}/", "patch"),
    ("/api/ratings/{id}/", "patch"),
    ("/api/inspections/{id}/", "patch"),
    ("/api/inspections/{id}/complete/", "post"),
    ("/api/referrals/{id}/", "put"),
    ("/api/referrals/{id}/move/", "post"),
    ("/api/sanctions/{id}/", "patch"),
]


@pytest.mark.parametrize(("path", "method"), CONDITIONAL)
def test_the_schema_requires_if_match_and_documents_412_and_428(contract, path, method):
    operation = contract["paths"][path][method]
    (if_match,) = [p for p in operation["parameters"] if p["name"] == "If-Match"]
    assert (if_match["in"], if_match["required"]) == ("header", True)
    assert {"412", "428"} <= set(operation["responses"])
    assert "ETag" in operation["responses"]["200"]["headers"]


def test_the_schema_documents_the_etag_of_a_read_and_no_if_match_on_other_actions(contract):
    read = contract["paths"]["/api/facilities/{id}/"]["get"]
    assert "ETag" in read["responses"]["200"]["headers"]
    for path in ("/api/facilities/{id}/grade/", "/api/inspections/{id}/refer/"):
        operation = contract["paths"][path]["post"]
        assert "If-Match" not in {p["name"] for p in operation.get("parameters", [])}
        assert "428" not in operation["responses"]
