"""Who may call what: every endpoint × method × persona, generated from one table.

Writes carry a valid body, so an allowed call succeeds (200/201) and a refused one is 403;
a method the endpoint does not offer is 405 for everyone signed in; anonymous is always 401.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from supervision.choices import Agency, Grade, InspectionKind, SanctionKind
from tests.api import client_for, if_match_for
from tests.factories import make_credit_code

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "outsider", "inspector", "supervisor", "auditor"]

READ = {"inspector": 200, "supervisor": 200, "auditor": 200}
SUPERVISOR_ONLY = {"inspector": 403, "auditor": 403}
NOT_OFFERED = {"outsider": 405, "inspector": 405, "supervisor": 405, "auditor": 405}


def facility_body(w) -> dict:
    return {
        "name": "示例接口新增医院",
        "kind": "hospital",
        "ownership": "public",
        "district": "540103",
        "credit_code": make_credit_code(900_000_000 + 990001),
        "insurance_code": "H54010399001",
        "deposit": "50000.00",
    }


def inspection_body(w) -> dict:
    return {
        "facility": w.hospital.pk,
        "kind": InspectionKind.UNANNOUNCED,
        "start_date": "2025-04-01",
        "inspectors": [i.pk for i in w.inspectors],
    }


def sanction_body(w) -> dict:
    return {
        "facility": w.hospital.pk,
        "kind": SanctionKind.FINE,
        "decided_on": "2025-05-01",
        "amount": "3000.00",
    }


# (method, path, body, {persona: status}); paths and bodies are built from the world.
Row = tuple[str, Callable, Callable | None, dict[str, int]]
TABLE: dict[str, Row] = {
    "facilities list": ("GET", lambda w: "/api/facilities/", None, READ),
    "facilities options": ("OPTIONS", lambda w: "/api/facilities/", None, READ),
    "facilities create": (
        "POST",
        lambda w: "/api/facilities/",
        facility_body,
        {**SUPERVISOR_ONLY, "supervisor": 201},
    ),
    "facility read": ("GET", lambda w: f"/api/facilities/{w.hospital.pk}/", None, READ),
    "facility replace": (
        "PUT",
        lambda w: f"/api/facilities/{w.hospital.pk}/",
        lambda w: {**facility_body(w), "name": "示例改名医院"},
        {**SUPERVISOR_ONLY, "supervisor": 200},
    ),
    "facility edit": (
        "PATCH",
        lambda w: f"/api/facilities/{w.hospital.pk}/",
        lambda w: {"note": "接口备注"},
        {**SUPERVISOR_ONLY, "supervisor": 200},
    ),
    "facility delete": ("DELETE", lambda w: f"/api/facilities/{w.hospital.pk}/", None, NOT_OFFERED),
    "facility grade": (
        "POST",
        lambda w: f"/api/facilities/{w.hospital.pk}/grade/",
        lambda w: {
            "year": 2024,
            "grade": Grade.D,
            "reason": "复核发现伪造单据",
            "confirm_downgrade": True,
        },
        {**SUPERVISOR_ONLY, "supervisor": 201},
    ),
    "facility suspend": (
        "POST",
        lambda w: f"/api/facilities/{w.hospital.pk}/suspend/",
        lambda w: {"starts_on": "2025-06-01", "ends_on": "2025-07-31", "decided_on": "2025-05-20"},
        {**SUPERVISOR_ONLY, "supervisor": 201},
    ),
    "facility recover deposit": (
        "POST",
        lambda w: f"/api/facilities/{w.hospital.pk}/recover-deposit/",
        lambda w: {"deposit_percent": "2.50", "decided_on": "2025-05-20"},
        {**SUPERVISOR_ONLY, "supervisor": 201},
    ),
    "ratings list": ("GET", lambda w: "/api/ratings/", None, READ),
    "ratings create": (
        "POST",
        lambda w: "/api/ratings/",
        lambda w: {"facility": w.pharmacy.pk, "year": 2024, "grade": "C", "reason": "年度评价"},
        {**SUPERVISOR_ONLY, "supervisor": 201},
    ),
    "rating read": ("GET", lambda w: f"/api/ratings/{w.rating.pk}/", None, READ),
    "rating replace": (
        "PUT",
        lambda w: f"/api/ratings/{w.rating.pk}/",
        lambda w: {"grade": "A", "reason": "复核后上调"},
        {**SUPERVISOR_ONLY, "supervisor": 200},
    ),
    "rating edit": (
        "PATCH",
        lambda w: f"/api/ratings/{w.rating.pk}/",
        lambda w: {"score": "880.50", "reason": "补录得分"},
        {**SUPERVISOR_ONLY, "supervisor": 200},
    ),
    "rating delete": ("DELETE", lambda w: f"/api/ratings/{w.rating.pk}/", None, NOT_OFFERED),
    "rating changes list": ("GET", lambda w: "/api/rating-changes/", None, READ),
    "rating changes create": ("POST", lambda w: "/api/rating-changes/", lambda w: {}, NOT_OFFERED),
    "rating change read": ("GET", lambda w: f"/api/rating-changes/{w.change.pk}/", None, READ),
    "rating change replace": (
        "PUT",
        lambda w: f"/api/rating-changes/{w.change.pk}/",
        lambda w: {},
        NOT_OFFERED,
    ),
    "rating change edit": (
        "PATCH",
        lambda w: f"/api/rating-changes/{w.change.pk}/",
        lambda w: {},
        NOT_OFFERED,
    ),
    "rating change delete": (
        "DELETE",
        lambda w: f"/api/rating-changes/{w.change.pk}/",
        None,
        NOT_OFFERED,
    ),
    "inspections list": ("GET", lambda w: "/api/inspections/", None, READ),
    "inspections create": (
        "POST",
        lambda w: "/api/inspections/",
        inspection_body,
        {"inspector": 201, "supervisor": 201, "auditor": 403},
    ),
    "inspection read": ("GET", lambda w: f"/api/inspections/{w.inspection.pk}/", None, READ),
    "inspection replace": (
        "PUT",
        lambda w: f"/api/inspections/{w.inspection.pk}/",
        lambda w: {**inspection_body(w), "findings": "账实不符"},
        {"inspector": 200, "supervisor": 200, "auditor": 403},
    ),
    "inspection edit": (
        "PATCH",
        lambda w: f"/api/inspections/{w.inspection.pk}/",
        lambda w: {"findings": "账实不符"},
        {"inspector": 200, "supervisor": 200, "auditor": 403},
    ),
    "inspection delete": (
        "DELETE",
        lambda w: f"/api/inspections/{w.inspection.pk}/",
        None,
        NOT_OFFERED,
    ),
    "inspection complete": (
        "POST",
        lambda w: f"/api/inspections/{w.inspection.pk}/complete/",
        lambda w: {"end_date": "2025-03-12"},
        {"inspector": 200, "supervisor": 200, "auditor": 403},
    ),
    "inspection refer": (
        "POST",
        lambda w: f"/api/inspections/{w.inspection.pk}/refer/",
        lambda w: {"agency": Agency.POLICE, "referred_on": "2025-03-20", "summary": "伪造单据"},
        {**SUPERVISOR_ONLY, "supervisor": 201},
    ),
    "referrals list": ("GET", lambda w: "/api/referrals/", None, READ),
    "referrals create": (
        "POST",
        lambda w: "/api/referrals/",
        lambda w: {
            "inspection": w.completed.pk,
            "agency": Agency.MARKET,
            "referred_on": "2025-03-21",
            "summary": "超标准收费",
        },
        {**SUPERVISOR_ONLY, "supervisor": 201},
    ),
    "referral read": ("GET", lambda w: f"/api/referrals/{w.referral.pk}/", None, READ),
    "referral replace": (
        "PUT",
        lambda w: f"/api/referrals/{w.referral.pk}/",
        lambda w: {"summary": "更正后的摘要"},
        {**SUPERVISOR_ONLY, "supervisor": 200},
    ),
    "referral edit": (
        "PATCH",
        lambda w: f"/api/referrals/{w.referral.pk}/",
        lambda w: {"summary": "更正后的摘要"},
        {**SUPERVISOR_ONLY, "supervisor": 200},
    ),
    "referral delete": ("DELETE", lambda w: f"/api/referrals/{w.referral.pk}/", None, NOT_OFFERED),
    "referral move": (
        "POST",
        lambda w: f"/api/referrals/{w.referral.pk}/move/",
        lambda w: {"status": "accepted", "decided_on": "2025-04-01", "case_number": "LA-2025-1"},
        {**SUPERVISOR_ONLY, "supervisor": 200},
    ),
    "sanctions list": ("GET", lambda w: "/api/sanctions/", None, READ),
    "sanctions create": (
        "POST",
        lambda w: "/api/sanctions/",
        sanction_body,
        {**SUPERVISOR_ONLY, "supervisor": 201},
    ),
    "sanction read": ("GET", lambda w: f"/api/sanctions/{w.sanction.pk}/", None, READ),
    "sanction replace": (
        "PUT",
        lambda w: f"/api/sanctions/{w.sanction.pk}/",
        lambda w: {"decision_number": "拉医保罚〔2025〕1号", "note": "约谈"},
        {**SUPERVISOR_ONLY, "supervisor": 200},
    ),
    "sanction edit": (
        "PATCH",
        lambda w: f"/api/sanctions/{w.sanction.pk}/",
        lambda w: {"decision_number": "拉医保罚〔2025〕1号"},
        {**SUPERVISOR_ONLY, "supervisor": 200},
    ),
    "sanction delete": ("DELETE", lambda w: f"/api/sanctions/{w.sanction.pk}/", None, NOT_OFFERED),
}


def expected(row: Row, persona: str) -> int:
    if persona == "anonymous":
        return 401
    return row[3].get(persona, 403)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", list(TABLE))
def test_permission_table(request, world, name, persona):
    from tests.factories import RatingChangeFactory

    world.change = RatingChangeFactory(rating=world.rating)
    row = TABLE[name]
    method, path, body, _ = row
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    client = client_for(user)
    data = body(world) if body else None
    call = getattr(client, method.lower())
    # As a client that has just read the record: writes that change it need its ETag.
    headers = if_match_for(path(world)) if method in ("PUT", "PATCH", "POST") else {}
    if data is not None:
        response = call(path(world), data, format="json", **headers)
    else:
        response = call(path(world), **headers)
    assert response.status_code == expected(row, persona), response.content.decode()[:500]
