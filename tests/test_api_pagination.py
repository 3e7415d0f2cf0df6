"""Cursor pagination: following next (and previous) walks every row once, in the order asked,
for every ordering every endpoint offers, NULLs and ties included; and the 2024 demo data."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from supervision.api.views import (
    CreditRatingViewSet,
    FacilityViewSet,
    InspectionViewSet,
    RatingChangeViewSet,
    ReferralViewSet,
    SanctionViewSet,
)
from tests.api import client_for

pytestmark = pytest.mark.django_db

VIEWSETS = {
    "facilities": FacilityViewSet,
    "ratings": CreditRatingViewSet,
    "rating-changes": RatingChangeViewSet,
    "inspections": InspectionViewSet,
    "referrals": ReferralViewSet,
    "sanctions": SanctionViewSet,
}


def _orderings(endpoint: str) -> list[str]:
    filterset = VIEWSETS[endpoint].filterset_class
    ordering = filterset.base_filters.get("ordering")
    params = list(ordering.param_map) if ordering is not None else []
    return ["", *params, *(f"-{p}" for p in params)]


CASES = [(e, o) for e in VIEWSETS for o in _orderings(e)]


def _walk(client, url: str, link: str) -> list[list[int]]:
    pages = []
    while url:
        body = client.get(url).json()
        pages.append([row["id"] for row in body["results"]])
        url = body[link]
        assert len(pages) < 50
    return pages


@pytest.mark.parametrize(("endpoint", "ordering"), CASES)
def test_following_the_links_walks_every_row_once_in_order(data, auditor, endpoint, ordering):
    client = client_for(auditor)
    query = f"ordering={ordering}&" if ordering else ""
    everything = client.get(f"/api/{endpoint}/?{query}page_size=200").json()["results"]
    expected = [row["id"] for row in everything]
    assert expected, "the data has rows for every endpoint"
    forward = _walk(client, f"/api/{endpoint}/?{query}page_size=1", "next")
    assert [i for page in forward for i in page] == expected
    # From the last page back to the first.
    last = client.get(f"/api/{endpoint}/?{query}page_size=1").json()
    while last["next"]:
        last_url, last = last["next"], client.get(last["next"]).json()
    backward = _walk(client, last_url if len(expected) > 1 else "", "previous")
    if len(expected) > 1:
        assert [i for page in reversed(backward) for i in page] == expected


def test_the_first_page_has_no_previous_and_the_last_no_next(data, auditor):
    body = client_for(auditor).get("/api/facilities/?page_size=4").json()
    assert body["previous"] is None and body["next"] is None
    assert len(body["results"]) == 4


def test_a_cursor_keeps_the_filters_and_page_size(data, auditor):
    client = client_for(auditor)
    body = client.get("/api/facilities/?district=540102&page_size=1").json()
    assert "district=540102" in body["next"] and "page_size=1" in body["next"]


def test_a_cursor_of_another_ordering_is_refused(data, auditor):
    client = client_for(auditor)
    cursor = client.get("/api/facilities/?page_size=1").json()["next"].split("cursor=")[1]
    cursor = cursor.split("&")[0]
    response = client.get(f"/api/facilities/?ordering=-deposit&cursor={cursor}")
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_the_2024_demo_data_has_its_five_d_grades(auditor):
    call_command("loaddata", "lhasa_2024", verbosity=0)
    client = client_for(auditor)
    d_grades = client.get("/api/ratings/?year=2024&grade=D").json()
    assert len(d_grades["results"]) == 5
    assert {r["grade"] for r in d_grades["results"]} == {"D"}
    a_grades = client.get("/api/ratings/?year=2024&grade=A&page_size=200").json()["results"]
    assert len(a_grades) == 69
    b_grades = _walk(client, "/api/ratings/?year=2024&grade=B&page_size=100", "next")
    assert sum(len(page) for page in b_grades) == 234
    referred = client.get("/api/referrals/?agency=police").json()["results"]
    assert len(referred) == 2
