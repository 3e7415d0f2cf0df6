"""A list endpoint issues the same number of queries for 1 row and for 50, and never counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision.choices import Grade
from tests.api import client_for
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    RatingChangeFactory,
    ReferralFactory,
    SanctionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _facility(n: int):
    return FacilityFactory()


def _rating(n: int):
    return CreditRatingFactory(grade=Grade.C)


def _change(n: int):
    return RatingChangeFactory(changed_by=UserFactory())


def _inspection(n: int):
    inspection = InspectionFactory(created_by=UserFactory())
    inspection.partner_agencies.set(["police"])
    inspection.violations.set(["overcharging", "false_claims"])
    return inspection


def _referral(n: int):
    return ReferralFactory(created_by=UserFactory())


def _sanction(n: int):
    return SanctionFactory(created_by=UserFactory())


MAKERS = {
    "facilities": _facility,
    "ratings": _rating,
    "rating-changes": _change,
    "inspections": _inspection,
    "referrals": _referral,
    "sanctions": _sanction,
}


def _queries(client, path: str, rows: int) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    assert len(response.json()["results"]) == rows
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("endpoint", list(MAKERS))
def test_a_list_costs_the_same_for_1_row_and_for_50(auditor, endpoint):
    client = client_for(auditor)
    make = MAKERS[endpoint]
    make(0)
    one = _queries(client, f"/api/{endpoint}/", 1)
    for n in range(1, 60):
        make(n)
    fifty = _queries(client, f"/api/{endpoint}/", 50)
    assert len(fifty) == len(one), "\n".join(fifty)
    assert not any("COUNT(" in sql.upper() for sql in fifty)


@pytest.mark.parametrize("endpoint", list(MAKERS))
def test_a_record_is_read_in_a_fixed_number_of_queries(auditor, endpoint):
    client = client_for(auditor)
    record = MAKERS[endpoint](0)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/api/{endpoint}/{record.pk}/").status_code == 200
    assert len(captured.captured_queries) <= 8
