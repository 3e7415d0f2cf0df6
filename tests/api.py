"""Helpers for the API tests: clients that sign in with a token, and a small world of records."""

from __future__ import annotations

import datetime

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from supervision.models import (
    Assessment,
    CreditInstitution,
    CreditRating,
    CreditRepair,
    EvaluationCycle,
    Facility,
    IndicatorSystem,
    Inspection,
    InsuredPerson,
    Objection,
    Rectification,
    Referral,
    Sanction,
    Tip,
    TipReward,
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
    "rectifications": Rectification,
    "tips": Tip,
    "tip-rewards": TipReward,
    "indicator-systems": IndicatorSystem,
    "evaluation-cycles": EvaluationCycle,
    "assessments": Assessment,
    "objections": Objection,
    "credit-repairs": CreditRepair,
    "credit-institutions": CreditInstitution,
    "insured-persons": InsuredPerson,
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
