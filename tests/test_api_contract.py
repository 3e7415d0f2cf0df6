"""The OpenAPI contract: valid OpenAPI 3, generated without a warning, every field described and
every enumeration listed; the docs page works offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from openapi_spec_validator import validate

from tests.api import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(auditor) -> dict:
    response = client_for(auditor).get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_valid_openapi_3(contract):
    assert contract["openapi"].startswith("3.")
    validate(contract)


def test_the_schema_generates_without_a_warning(tmp_path: Path):
    # --fail-on-warn turns any warning of drf-spectacular (an unresolved field, an enum name
    # collision, a guessed type) into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
    assert (tmp_path / "s.yaml").read_text().startswith("openapi: 3")


def test_the_schema_lists_every_resource_and_action(contract):
    assert set(contract["paths"]) == {
        "/api/facilities/",
        "/api/facilities/{id}/",
        "/api/facilities/{id}/grade/",
        "/api/facilities/{id}/suspend/",
        "/api/facilities/{id}/recover-deposit/",
        "/api/ratings/",
        "/api/ratings/{id}/",
        "/api/rating-changes/",
        "/api/rating-changes/{id}/",
        "/api/inspections/",
        "/api/inspections/{id}/",
        "/api/inspections/{id}/complete/",
        "/api/inspections/{id}/refer/",
        "/api/inspections/{id}/evidence/",
        "/api/referrals/",
        "/api/referrals/{id}/",
        "/api/referrals/{id}/move/",
        "/api/referrals/{id}/evidence/",
        "/api/sanctions/",
        "/api/sanctions/{id}/",
        "/api/sanctions/{id}/evidence/",
        "/api/rectifications/",
        "/api/rectifications/{id}/",
        "/api/rectifications/{id}/report/",
        "/api/rectifications/{id}/follow-up/",
        "/api/tips/",
        "/api/tips/{id}/",
        "/api/tips/{id}/accept/",
        "/api/tips/{id}/decline/",
        "/api/tips/{id}/merge/",
        "/api/tips/{id}/open-inspection/",
        "/api/tips/{id}/extend/",
        "/api/tips/{id}/conclude/",
        "/api/tips/{id}/reply/",
        "/api/tips/{id}/close/",
        "/api/tips/{id}/propose-reward/",
        "/api/tips/{id}/reporter/",
        "/api/tips/{id}/evidence/",
        "/api/tip-rewards/",
        "/api/tip-rewards/{id}/",
        "/api/tip-rewards/{id}/decide/",
        "/api/tip-rewards/{id}/pay/",
        "/api/hotlines/",
        "/api/evidence/{id}/",
        "/api/evidence/{id}/download/",
        "/api/credit-categories/",
        "/api/indicator-systems/",
        "/api/indicator-systems/{id}/",
        "/api/supervision-measures/",
        "/api/supervision-measures/{id}/",
        "/api/evaluation-cycles/",
        "/api/evaluation-cycles/{id}/",
        "/api/evaluation-cycles/{id}/progress/",
        "/api/evaluation-cycles/{id}/score/",
        "/api/evaluation-cycles/{id}/complete-initial/",
        "/api/evaluation-cycles/{id}/publish/",
        "/api/evaluation-cycles/{id}/finalise/",
        "/api/evaluation-cycles/{id}/announce/",
        "/api/assessments/",
        "/api/assessments/{id}/",
        "/api/assessments/{id}/scorecard/",
        "/api/assessments/{id}/self-assessment/",
        "/api/assessments/{id}/score-indicator/",
        "/api/objections/",
        "/api/objections/{id}/",
        "/api/objections/{id}/decide/",
        "/api/objections/{id}/evidence/",
        "/api/credit-repairs/",
        "/api/credit-repairs/{id}/",
        "/api/credit-repairs/{id}/decide/",
        "/api/credit-repairs/{id}/evidence/",
        "/api/planned-checks/",
        "/api/planned-checks/{id}/",
        "/api/credit-institutions/",
        "/api/credit-institutions/{id}/",
        "/api/insured-persons/",
        "/api/insured-persons/{id}/",
        "/api/practitioners/",
        "/api/practitioners/{id}/",
        "/api/registrations/",
        "/api/registrations/{id}/",
        "/api/registrations/{id}/end/",
        "/api/points-records/",
        "/api/points-records/{id}/",
        "/api/points-records/{id}/notify/",
        "/api/points-records/{id}/object/",
        "/api/points-records/{id}/decide/",
        "/api/qualification-measures/",
        "/api/qualification-measures/{id}/",
        "/api/points-policies/",
        "/api/points-policies/{id}/",
        "/api/random-check-plans/",
        "/api/random-check-plans/{id}/",
        "/api/random-check-plans/{id}/draw/",
        "/api/random-check-plans/{id}/verify/",
        "/api/random-check-plans/{id}/publish/",
        "/api/random-check-plans/{id}/cancel/",
        "/api/random-check-plans/{id}/pool/",
        "/api/random-check-plans/{id}/inspector-pool/",
        "/api/random-check-targets/",
        "/api/random-check-targets/{id}/",
        "/api/random-check-assignments/",
        "/api/random-check-assignments/{id}/",
        "/api/random-check-assignments/{id}/substitute/",
        "/api/typical-cases/",
        "/api/typical-cases/{id}/",
        "/api/typical-cases/{id}/submit/",
        "/api/typical-cases/{id}/approve/",
        "/api/typical-cases/{id}/return/",
        "/api/typical-cases/{id}/withdraw/",
        "/api/grade-publications/",
        "/api/grade-publications/{id}/",
    }
    # Nothing is deleted through the API; rating changes are read-only.
    methods = {m for ops in contract["paths"].values() for m in ops if m != "parameters"}
    assert "delete" not in methods
    assert set(contract["paths"]["/api/rating-changes/{id}/"]) == {"get"}
    assert set(contract["paths"]["/api/tip-rewards/{id}/"]) == {"get"}
    assert set(contract["paths"]["/api/hotlines/"]) == {"get"}
    assert set(contract["paths"]["/api/tips/{id}/reporter/"]) == {"get", "put"}
    # Evidence is added on its record's endpoint and then only read.
    assert set(contract["paths"]["/api/evidence/{id}/"]) == {"get"}
    # Verifying writes nothing: it is read (GET) or asked for (POST) alike.
    assert set(contract["paths"]["/api/random-check-plans/{id}/verify/"]) == {"get", "post"}
    assert set(contract["paths"]["/api/random-check-plans/{id}/pool/"]) == {"get"}
    # Credit: the systems and measures are kept in the admin; cycles, assessments, objections
    # and repairs change through their actions only; the check plan is derived.
    for read_only in (
        "indicator-systems",
        "supervision-measures",
        "evaluation-cycles",
        "assessments",
        "objections",
        "credit-repairs",
        "planned-checks",
        # Practitioners: registrations and points change through their actions only; the
        # measures are written by the points, the rules kept in the admin.
        "registrations",
        "points-records",
        "qualification-measures",
        "points-policies",
        # Random checks: a drawn plan's targets and inspectors come from the draw and the
        # substitutions; a year's grades once public stay public.
        "random-check-targets",
        "random-check-assignments",
        "grade-publications",
        # Rectification orders move through their report and follow-up actions only.
        "rectifications",
    ):
        assert set(contract["paths"][f"/api/{read_only}/{{id}}/"]) == {"get"}, read_only


def test_every_field_and_parameter_is_described(contract):
    undescribed = [
        f"{name}.{field}"
        for name, component in contract["components"]["schemas"].items()
        for field, schema in (component.get("properties") or {}).items()
        if not schema.get("description")
    ]
    assert undescribed == []
    unexplained = [
        f"{method} {path} {parameter['name']}"
        for path, operations in contract["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        if not parameter.get("description")
    ]
    assert unexplained == []


def test_every_enumeration_is_listed_with_its_meaning(contract):
    schemas = contract["components"]["schemas"]
    assert schemas["GradeEnum"]["enum"] == ["A", "B", "C", "D"]
    assert set(schemas["SanctionKindEnum"]["enum"]) == {
        "suspension",
        "deposit_recovery",
        "fund_recovery",
        "fine",
        "termination",
        "warning",
        "commendation",
    }
    for name in (
        "FacilityKindEnum",
        "DistrictEnum",
        "InspectionKindEnum",
        "ReferralStatusEnum",
        "AgencyEnum",
        "ViolationEnum",
        "AgreementStatusEnum",
    ):
        enum = schemas[name]
        assert all(f"`{value}`" in enum["description"] for value in enum["enum"]), name


def test_every_operation_documents_its_errors(contract):
    for path, operations in contract["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403"} <= codes, (method, path)
            if "{id}" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "put", "patch"):
                assert "400" in codes, (method, path)


def test_the_schema_and_docs_need_a_signed_in_user():
    assert client_for().get("/api/schema/").status_code == 401
    assert client_for().get("/api/docs/").status_code == 401


def test_the_docs_work_offline(client, auditor):
    client.force_login(auditor)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"(https?:)?//[a-z0-9]", html, re.IGNORECASE), "an external URL"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the page loads its script and style"
    # Its start-up script is a file of its own (no inline script under the CSP), from the view.
    start = [asset for asset in assets if asset.startswith("/api/docs/")]
    assert [a.split("?")[1].split("&") for a in start] == [["script="]]
    script = client.get(start[0])
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    for asset in set(assets) - set(start):
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not shipped"
    assert "<script>" not in html and "<style>" not in html
