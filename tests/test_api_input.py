"""Hostile and malformed input: stored as text and returned verbatim, or refused with a 400 per
field; never a server error."""

from __future__ import annotations

import pytest

from supervision.models import Facility
from tests.api import client_for, if_match_for
from tests.dbstate import snapshot
from tests.factories import make_credit_code

pytestmark = pytest.mark.django_db

HOSTILE = [
    "<script>alert('x')</script>",
    "'; DROP TABLE supervision_facility; --",
    '" OR 1=1 --',
    "{{ settings.SECRET_KEY }}",
    "../../etc/passwd",
    "示例\u200b医院🏥",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_markup_and_sql_looking_text_is_stored_and_returned_verbatim(world, supervisor, text):
    client = client_for(supervisor)
    path = f"/api/facilities/{world.hospital.pk}/"
    response = client.patch(
        path, {"note": text, "address": text}, format="json", **if_match_for(path)
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert (response.json()["note"], response.json()["address"]) == (text, text)
    assert Facility.objects.get(pk=world.hospital.pk).note == text
    again = client.get(f"/api/facilities/?q={text[:50]}")
    assert again.status_code == 200


def _refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "长" * 201}, "name"),
        ({"contact_phone": "1" * 41}, "contact_phone"),
        ({"deposit": "abc"}, "deposit"),
        ({"deposit": "1e400"}, "deposit"),
        ({"deposit": "123456789012345.00"}, "deposit"),
        ({"deposit": []}, "deposit"),
        ({"designated_on": "2025-02-30"}, "designated_on"),
        ({"designated_on": 20250101}, "designated_on"),
        ({"kind": "castle"}, "kind"),
        ({"kind": None}, "kind"),
        ({"district": 540102.5}, "district"),
        ({"name": {"zh": "x"}}, "name"),
        ({"name": "a\x00b"}, "name"),
    ],
)
def test_invalid_values_are_a_400_on_the_field_that_writes_nothing(world, supervisor, body, field):
    before = snapshot()
    path = f"/api/facilities/{world.hospital.pk}/"
    response = client_for(supervisor).patch(path, body, format="json", **if_match_for(path))
    _refused(response, field)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"facility": "one"}, "facility"),
        ({"facility": True}, "facility"),
        ({"facility": 1.5}, "facility"),
        ({"facility": 10**30}, "facility"),
        ({"facility": -1}, "facility"),
        ({"facility": 999999}, "facility"),
        ({"inspectors": [10**30]}, "inspectors"),
        ({"inspectors": "1,2"}, "inspectors"),
        ({"violations": ["theft"]}, "violations"),
        ({"partner_agencies": "police"}, "partner_agencies"),
        ({"amount_involved": "-5"}, "amount_involved"),
        ({"start_date": None}, "start_date"),
    ],
)
def test_related_ids_and_lists_are_checked(world, inspector, body, field):
    full = {
        "facility": world.hospital.pk,
        "kind": "routine",
        "start_date": "2025-04-01",
        "inspectors": [i.pk for i in world.inspectors],
        **body,
    }
    _refused(client_for(inspector).post("/api/inspections/", full, format="json"), field)


def test_a_body_that_is_not_json_is_a_400(world, supervisor):
    response = client_for(supervisor).generic(
        "POST", "/api/facilities/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "detail" in response.json()


def test_a_lone_surrogate_is_a_400_not_a_database_error(world, supervisor):
    path = f"/api/facilities/{world.hospital.pk}/"
    response = client_for(supervisor).generic(
        "PATCH",
        path,
        '{"note": "\\ud800"}',
        content_type="application/json",
        **if_match_for(path),
    )
    assert response.status_code == 400


def test_an_empty_or_wrongly_shaped_body_is_a_400(world, supervisor):
    client = client_for(supervisor)
    assert client.post("/api/facilities/", {}, format="json").status_code == 400
    response = client.generic("POST", "/api/facilities/", "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    response = client.generic("POST", "/api/facilities/", "null", content_type="application/json")
    assert response.status_code == 400


def test_another_media_type_is_a_415(world, supervisor):
    response = client_for(supervisor).generic(
        "POST", "/api/facilities/", "name=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415


@pytest.mark.parametrize(
    "path",
    [
        "/api/facilities/abc/",
        "/api/facilities/0/",
        "/api/facilities/-1/",
        f"/api/facilities/{10**30}/",
        "/api/facilities/1.5/",
        "/api/ratings/99999/grade/",
    ],
)
def test_what_is_not_a_record_is_a_json_404(world, auditor, path):
    response = client_for(auditor).get(path)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "page_size=0",
        "page_size=201",
        "page_size=x",
        "cursor=bad",
        "cursor=eyJrIjpbXX0",
        "facility=1e30",
        "changed_by=99999999999999999999",
    ],
)
def test_bad_paging_and_ids_in_a_query_are_a_400(world, auditor, query):
    endpoint = "rating-changes" if "changed_by" in query else "ratings"
    response = client_for(auditor).get(f"/api/{endpoint}/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_a_method_an_endpoint_does_not_offer_is_405(world, supervisor):
    client = client_for(supervisor)
    assert client.delete(f"/api/sanctions/{world.sanction.pk}/").status_code == 405
    assert client.put("/api/facilities/", {}, format="json").status_code == 405
    assert client.get(f"/api/facilities/{world.hospital.pk}/grade/").status_code == 405
    assert client.post("/api/rating-changes/", {}, format="json").status_code == 405


def test_a_new_facility_s_code_is_normalised(supervisor):
    response = client_for(supervisor).post(
        "/api/facilities/",
        {
            "name": "  示例空格医院 ",
            "kind": "hospital",
            "ownership": "public",
            "district": "540102",
            "credit_code": " " + make_credit_code(900_000_000 + 5).lower() + " ",
            "insurance_code": "h54010200005",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "示例空格医院"
    assert response.json()["credit_code"] == make_credit_code(900_000_000 + 5)
    assert response.json()["insurance_code"] == "H54010200005"
