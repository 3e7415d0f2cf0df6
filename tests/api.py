"""Helpers for the API tests: clients that sign in with a token, and a small world of records."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from supervision.choices import Grade, InspectionStatus
from supervision.models import CreditRating, Facility, Inspection, Referral, Sanction
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    ReferralFactory,
    SanctionFactory,
)

D = datetime.date


def client_for(user=None) -> APIClient:
    """A client sending `Authorization: Token <key>` for user (anonymous without one)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


_VERSIONED = {
    "facilities": Facility,
    "ratings": CreditRating,
    "inspections": Inspection,
    "referrals": Referral,
    "sanctions": Sanction,
}


def if_match_for(path: str) -> dict[str, str]:
    """The If-Match header a client that has just read the record of path would send (none
    when path names no versioned record)."""
    parts = path.split("?")[0].strip("/").split("/")  # api, resource, id, ...
    model = _VERSIONED.get(parts[1]) if len(parts) > 2 else None
    if model is None or not parts[2].isdigit():
        return {}
    version = model._base_manager.filter(pk=parts[2]).values_list("version", flat=True).first()
    return {} if version is None else {"HTTP_IF_MATCH": f'W/"{parts[2]}-{version}"'}


@pytest.fixture
def world(db):
    """One of each record, enough for every endpoint and action to have something to act on."""
    hospital = FacilityFactory(name="示例测试医院甲", deposit=Decimal("200000.00"))
    pharmacy = FacilityFactory(pharmacy=True, name="示例测试药店乙")
    rating = CreditRatingFactory(facility=hospital, year=2024, grade=Grade.B)
    inspectors = InspectorFactory.create_batch(2)
    inspection = InspectionFactory(
        facility=hospital, status=InspectionStatus.IN_PROGRESS, inspectors=inspectors
    )
    completed = InspectionFactory(facility=pharmacy, completed=True)
    referral = ReferralFactory(inspection=completed)
    sanction = SanctionFactory(facility=pharmacy)
    return SimpleNamespace(
        hospital=hospital,
        pharmacy=pharmacy,
        rating=rating,
        inspectors=inspectors,
        inspection=inspection,
        completed=completed,
        referral=referral,
        sanction=sanction,
    )
