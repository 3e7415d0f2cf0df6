"""Writes through the API go through the same services as the pages and the admin: each action
and each create does its work with history in the user's name, and a refusal is a 400 with a
message on the field concerned that writes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from supervision.choices import (
    Agency,
    Grade,
    InspectionKind,
    InspectionStatus,
    ReferralStatus,
    SanctionKind,
)
from supervision.models import CreditRating, Facility, Inspection, RatingChange, Referral, Sanction
from tests.api import client_for, if_match_for
from tests.dbstate import snapshot
from tests.factories import CreditRatingFactory, InspectionFactory, make_credit_code

pytestmark = pytest.mark.django_db

D = datetime.date


def post(user, path: str, body: dict):
    # As a client that has just read the record (the actions that change it need If-Match).
    return client_for(user).post(path, body, format="json", **if_match_for(path))


def patch(user, path: str, body: dict):
    return client_for(user).patch(path, body, format="json", **if_match_for(path))


def refused(call, fields: list[str]) -> dict:
    """call() answers 400 with messages on exactly these fields, and writes nothing."""
    before = snapshot()
    response = call()
    assert response.status_code == 400, response.content
    body = response.json()
    assert sorted(body) == sorted(fields)
    assert all(isinstance(m, str) and m for f in fields for m in body[f])
    assert snapshot() == before
    return body


# --- grades ---


def test_the_grade_action_changes_the_grade_and_writes_a_rating_change(world, supervisor):
    response = post(
        supervisor,
        f"/api/facilities/{world.hospital.pk}/grade/",
        {"year": 2024, "grade": "D", "reason": "复核发现伪造单据", "confirm_downgrade": True},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["from_grade"], body["to_grade"], body["changed_by"]) == ("B", "D", "supervisor")
    assert body["rating"]["grade"] == "D"
    change = RatingChange.objects.get()
    assert (change.reason, change.changed_by) == ("复核发现伪造单据", supervisor)
    rating = CreditRating.objects.get(pk=world.rating.pk)
    assert rating.grade == Grade.D
    assert rating.history.first().history_user == supervisor


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"year": 2024, "grade": "D"}, ["reason"]),
        ({"year": 2024, "grade": "D", "reason": "   "}, ["reason"]),
        ({"year": 2024, "grade": "B", "reason": "同级复核"}, ["grade"]),
        ({"year": 2024, "grade": "E", "reason": "x"}, ["grade"]),
        ({"year": 2999, "grade": "A", "reason": "x"}, ["year"]),
        ({"year": "next", "grade": "A", "reason": "提前评价"}, ["year"]),
        ({"year": "2024年", "grade": "A", "reason": "x"}, ["year"]),
    ],
)
def test_the_grade_action_refuses_on_the_field(world, supervisor, body, fields):
    if body["year"] == "next":  # next year as the product counts it, when the test runs
        body = {**body, "year": timezone.localdate().year + 1}
    refused(lambda: post(supervisor, f"/api/facilities/{world.hospital.pk}/grade/", body), fields)


def test_creating_a_rating_sets_the_grade_with_its_reason(world, supervisor):
    response = post(
        supervisor,
        "/api/ratings/",
        {"facility": world.pharmacy.pk, "year": 2024, "grade": "A", "reason": "年度评价"},
    )
    assert response.status_code == 201
    assert response.json()["facility"] == {
        "id": world.pharmacy.pk,
        "name": world.pharmacy.name,
        "kind": "pharmacy",
        "district": "540102",
    }
    change = RatingChange.objects.get(rating_id=response.json()["id"])
    assert (change.from_grade, change.to_grade, change.reason) == ("", "A", "年度评价")
    assert change.changed_by == supervisor


def test_creating_a_second_rating_of_a_year_is_refused(world, supervisor):
    body = {"facility": world.hospital.pk, "year": 2024, "grade": "A", "reason": "重复评价"}
    refused(lambda: post(supervisor, "/api/ratings/", body), ["non_field_errors"])


def test_creating_a_rating_without_a_reason_is_refused(world, supervisor):
    body = {"facility": world.pharmacy.pk, "year": 2024, "grade": "A"}
    refused(lambda: post(supervisor, "/api/ratings/", body), ["reason"])


def test_editing_a_rating_s_grade_goes_through_the_grade_workflow(world, supervisor):
    response = patch(
        supervisor, f"/api/ratings/{world.rating.pk}/", {"grade": "C", "reason": "异议复核"}
    )
    assert response.status_code == 200
    assert response.json()["grade"] == "C"
    change = RatingChange.objects.get()
    assert (change.from_grade, change.to_grade, change.reason) == ("B", "C", "异议复核")


def test_editing_a_rating_s_score_writes_history_but_no_rating_change(world, supervisor):
    response = patch(
        supervisor, f"/api/ratings/{world.rating.pk}/", {"score": "812.50", "reason": "补录"}
    )
    assert response.status_code == 200
    assert response.json()["score"] == "812.50"
    assert not RatingChange.objects.exists()
    latest = CreditRating.objects.get(pk=world.rating.pk).history.first()
    assert (latest.history_user, latest.history_change_reason) == (supervisor, "补录")


def test_editing_a_rating_without_a_reason_is_refused(world, supervisor):
    refused(
        lambda: patch(supervisor, f"/api/ratings/{world.rating.pk}/", {"grade": "A"}), ["reason"]
    )


def test_a_rating_s_facility_and_year_stay_as_they_are(world, supervisor):
    response = patch(
        supervisor,
        f"/api/ratings/{world.rating.pk}/",
        {"facility": world.pharmacy.pk, "year": 2023, "reason": "试图改动"},
    )
    assert response.status_code == 200
    rating = CreditRating.objects.get(pk=world.rating.pk)
    assert (rating.facility, rating.year) == (world.hospital, 2024)


# --- inspections ---


def test_recording_an_inspection_goes_through_the_service(world, inspector):
    response = post(
        inspector,
        "/api/inspections/",
        {
            "facility": world.hospital.pk,
            "kind": InspectionKind.JOINT,
            "start_date": "2025-04-01",
            "inspectors": [i.pk for i in world.inspectors],
            "partner_agencies": [Agency.POLICE],
            "violations": ["forged_delivery_notes"],
            "amount_involved": "12000.00",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created_by"] == "inspector"
    assert body["partner_agencies"] == ["police"]
    assert [i["id"] for i in body["inspectors"]] == [i.pk for i in world.inspectors]
    inspection = Inspection.objects.get(pk=body["id"])
    assert inspection.history.first().history_user == inspector


def test_an_on_site_inspection_needs_two_inspectors(world, inspector):
    body = {
        "facility": world.hospital.pk,
        "kind": InspectionKind.ROUTINE,
        "start_date": "2025-04-01",
        "inspectors": [world.inspectors[0].pk, world.inspectors[0].pk],
    }
    refused(lambda: post(inspector, "/api/inspections/", body), ["inspectors"])


def test_an_edit_cannot_drop_an_on_site_inspection_below_two_inspectors(world, inspector):
    path = f"/api/inspections/{world.inspection.pk}/"
    refused(
        lambda: patch(inspector, path, {"inspectors": [world.inspectors[0].pk]}), ["inspectors"]
    )


def test_an_inspection_is_completed_by_the_action_not_by_an_edit(world, inspector):
    path = f"/api/inspections/{world.inspection.pk}/"
    refused(lambda: patch(inspector, path, {"status": "completed"}), ["status"])
    response = post(inspector, path + "complete/", {"end_date": "2025-03-12", "findings": "无"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["end_date"]) == ("completed", "2025-03-12")
    latest = Inspection.objects.get(pk=world.inspection.pk).history.first()
    assert latest.history_user == inspector


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"end_date": "2025-03-01"}, ["end_date"]),
        ({}, ["end_date"]),
        ({"end_date": "x"}, ["end_date"]),
    ],
)
def test_completing_refuses_on_the_field(world, inspector, body, fields):
    path = f"/api/inspections/{world.inspection.pk}/complete/"
    refused(lambda: post(inspector, path, body), fields)


def test_completing_twice_is_refused(world, inspector):
    path = f"/api/inspections/{world.completed.pk}/complete/"
    refused(lambda: post(inspector, path, {"end_date": "2025-03-20"}), ["status"])


# --- referrals ---


def test_referring_an_inspection_creates_the_referral(world, supervisor):
    response = post(
        supervisor,
        f"/api/inspections/{world.inspection.pk}/refer/",
        {"agency": "police", "referred_on": "2025-03-15", "summary": "伪造随货同行单"},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["created_by"]) == ("referred", "supervisor")
    assert body["inspection"]["id"] == world.inspection.pk
    referral = Referral.objects.get(pk=body["id"])
    assert referral.history.first().history_user == supervisor


def test_a_planned_inspection_cannot_be_referred(world, supervisor):
    planned = InspectionFactory(facility=world.hospital, status=InspectionStatus.PLANNED)
    body = {"agency": "police", "referred_on": "2025-03-15", "summary": "x"}
    refused(lambda: post(supervisor, f"/api/inspections/{planned.pk}/refer/", body), ["inspection"])


def test_a_case_goes_to_an_agency_once(world, supervisor):
    body = {"agency": "police", "referred_on": "2025-03-25", "summary": "再次移送"}
    path = f"/api/inspections/{world.completed.pk}/refer/"
    refused(lambda: post(supervisor, path, body), ["agency"])


def test_creating_a_referral_goes_through_the_same_service(world, supervisor):
    body = {
        "inspection": world.inspection.pk,
        "agency": "market",
        "referred_on": "2025-03-01",
        "summary": "早于检查",
    }
    refused(lambda: post(supervisor, "/api/referrals/", body), ["referred_on"])


def test_a_referral_moves_through_its_statuses(world, supervisor):
    path = f"/api/referrals/{world.referral.pk}/move/"
    refused(
        lambda: post(supervisor, path, {"status": "accepted", "decided_on": "2025-04-01"}),
        ["case_number"],
    )
    refused(lambda: post(supervisor, path, {"status": "accepted"}), ["decided_on"])
    refused(
        lambda: post(
            supervisor, path, {"status": "closed", "closed_on": "2025-04-01", "outcome": "x"}
        ),
        ["status"],
    )
    response = post(
        supervisor, path, {"status": "accepted", "decided_on": "2025-04-01", "case_number": "A1"}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["case_number"]) == ("accepted", "A1")
    response = post(
        supervisor, path, {"status": "closed", "closed_on": "2025-06-01", "outcome": "判处罚金"}
    )
    assert response.json()["status"] == ReferralStatus.CLOSED
    assert Referral.objects.get().history.first().history_user == supervisor


def test_editing_a_referral_cannot_move_its_status(world, supervisor):
    response = patch(
        supervisor, f"/api/referrals/{world.referral.pk}/", {"status": "closed", "summary": "新"}
    )
    assert response.status_code == 200
    referral = Referral.objects.get()
    assert (referral.status, referral.summary) == (ReferralStatus.REFERRED, "新")


# --- sanctions ---


def test_suspending_an_agreement(world, supervisor):
    response = post(
        supervisor,
        f"/api/facilities/{world.hospital.pk}/suspend/",
        {
            "starts_on": "2025-06-01",
            "ends_on": "2025-07-31",
            "decided_on": "2025-05-20",
            "rating": world.rating.pk,
            "decision_number": "拉医保〔2025〕9号",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["rating"], body["created_by"]) == (
        "suspension",
        world.rating.pk,
        "supervisor",
    )
    assert Sanction.objects.get(pk=body["id"]).history.first().history_user == supervisor


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"starts_on": "2025-06-01", "ends_on": "2026-06-01", "decided_on": "2025-05-20"},
            ["ends_on"],
        ),
        (
            {"starts_on": "2025-06-01", "ends_on": "2025-05-01", "decided_on": "2025-05-20"},
            ["ends_on"],
        ),
        ({"starts_on": "2025-06-01", "decided_on": "2025-05-20"}, ["ends_on"]),
        (
            {"starts_on": "2025-06-01", "ends_on": "2025-06-30", "decided_on": "2025-06-20"},
            ["decided_on"],
        ),
    ],
)
def test_suspending_refuses_on_the_field(world, supervisor, body, fields):
    path = f"/api/facilities/{world.hospital.pk}/suspend/"
    refused(lambda: post(supervisor, path, body), fields)


def test_suspensions_do_not_overlap(world, supervisor):
    path = f"/api/facilities/{world.hospital.pk}/suspend/"
    first = {"starts_on": "2025-06-01", "ends_on": "2025-07-31", "decided_on": "2025-05-20"}
    assert post(supervisor, path, first).status_code == 201
    second = {"starts_on": "2025-07-01", "ends_on": "2025-08-31", "decided_on": "2025-05-20"}
    refused(lambda: post(supervisor, path, second), ["starts_on"])


def test_recovering_a_share_of_the_deposit_computes_the_amount(world, supervisor):
    response = post(
        supervisor,
        f"/api/facilities/{world.hospital.pk}/recover-deposit/",
        {"deposit_percent": "2.5", "decided_on": "2025-05-20"},
    )
    assert response.status_code == 201
    assert (response.json()["deposit_percent"], response.json()["amount"]) == ("2.50", "5000.00")


@pytest.mark.parametrize("percent", ["0", "100.01", "-1", "abc"])
def test_recovering_refuses_a_percent_out_of_range(world, supervisor, percent):
    path = f"/api/facilities/{world.hospital.pk}/recover-deposit/"
    refused(
        lambda: post(supervisor, path, {"deposit_percent": percent, "decided_on": "2025-05-20"}),
        ["deposit_percent"],
    )


def test_a_measure_of_another_facility_s_inspection_is_refused(world, supervisor):
    path = f"/api/facilities/{world.hospital.pk}/suspend/"
    body = {
        "starts_on": "2025-06-01",
        "ends_on": "2025-06-30",
        "decided_on": "2025-05-20",
        "inspection": world.completed.pk,
    }
    refused(lambda: post(supervisor, path, body), ["inspection"])


SANCTIONS = {
    SanctionKind.SUSPENSION: ({"starts_on": "2025-06-01", "ends_on": "2025-06-30"}, {}),
    SanctionKind.TERMINATION: ({"starts_on": "2025-07-01"}, {}),
    SanctionKind.DEPOSIT_RECOVERY: ({"deposit_percent": "10"}, {"amount": "20000.00"}),
    SanctionKind.FINE: ({"amount": "8000"}, {"amount": "8000.00"}),
    SanctionKind.FUND_RECOVERY: ({"amount": "1234.5"}, {"amount": "1234.50"}),
    SanctionKind.WARNING: ({"note": "约谈负责人"}, {"note": "约谈负责人"}),
    SanctionKind.COMMENDATION: (None, {}),  # rating: the A rating made in the test
}


@pytest.mark.parametrize("kind", list(SANCTIONS))
def test_creating_a_measure_goes_through_the_service_of_its_kind(world, supervisor, kind):
    extra, expected = SANCTIONS[kind]
    if extra is None:
        extra = {
            "rating": CreditRatingFactory(facility=world.hospital, year=2023, grade=Grade.A).pk
        }
    body = {"facility": world.hospital.pk, "kind": kind, "decided_on": "2025-05-20", **extra}
    response = post(supervisor, "/api/sanctions/", body)
    assert response.status_code == 201, response.json()
    stored = response.json()
    assert stored["kind"] == kind
    assert stored["created_by"] == "supervisor"
    for name, value in expected.items():
        assert stored[name] == value
    sanction = Sanction.objects.get(pk=stored["id"])
    assert sanction.history.first().history_user == supervisor


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"kind": "fine"}, ["amount"]),
        ({"kind": "fine", "amount": "100", "ends_on": "2025-06-01"}, ["ends_on"]),
        ({"kind": "warning", "note": "   "}, ["note"]),
        ({"kind": "commendation", "rating": None}, ["rating"]),
        (
            {
                "kind": "suspension",
                "starts_on": "2025-06-01",
                "ends_on": "2025-06-30",
                "amount": "5",
            },
            ["amount"],
        ),
        ({"kind": "deposit_recovery", "deposit_percent": "5", "amount": "1"}, ["amount"]),
        ({"kind": "sanction"}, ["kind"]),
    ],
)
def test_a_measure_takes_the_fields_of_its_kind(world, supervisor, body, fields):
    body = {"facility": world.hospital.pk, "decided_on": "2025-05-20", **body}
    refused(lambda: post(supervisor, "/api/sanctions/", body), fields)


def test_only_an_a_grade_is_commended(world, supervisor):
    body = {
        "facility": world.hospital.pk,
        "kind": "commendation",
        "decided_on": "2025-05-20",
        "rating": world.rating.pk,
    }
    refused(lambda: post(supervisor, "/api/sanctions/", body), ["rating"])


def test_a_measure_s_terms_stay_but_its_number_can_be_corrected(world, supervisor):
    response = patch(
        supervisor,
        f"/api/sanctions/{world.sanction.pk}/",
        {"decision_number": "拉医保〔2025〕3号", "kind": "fine", "amount": "99"},
    )
    assert response.status_code == 200
    sanction = Sanction.objects.get(pk=world.sanction.pk)
    assert (sanction.decision_number, sanction.kind, sanction.amount) == (
        "拉医保〔2025〕3号",
        "warning",
        None,
    )
    latest = sanction.history.first()
    assert (latest.history_user, latest.history_change_reason) == (supervisor, "更正")


def test_a_warning_keeps_its_note(world, supervisor):
    path = f"/api/sanctions/{world.sanction.pk}/"
    refused(lambda: patch(supervisor, path, {"note": " "}), ["note"])


# --- facilities ---


def test_a_facility_is_added_with_its_codes_checked(supervisor):
    body = {
        "name": "示例接口医院",
        "kind": "hospital",
        "ownership": "public",
        "district": "540102",
        "credit_code": make_credit_code(900_000_000 + 77).lower(),
        "insurance_code": "h54010277777",
        "deposit": "1000",
    }
    response = post(supervisor, "/api/facilities/", body)
    assert response.status_code == 201, response.json()
    stored = response.json()
    assert stored["credit_code"] == make_credit_code(900_000_000 + 77)
    assert stored["insurance_code"] == "H54010277777"
    assert (stored["agreement_status"], stored["current_grade"]) == ("active", None)
    assert Facility.objects.get().history.first().history_user == supervisor


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"credit_code": "91540102000000077A"}, ["credit_code"]),
        ({"insurance_code": "P54010277777"}, ["insurance_code"]),
        ({"insurance_code": "H99999977777"}, ["insurance_code"]),
        ({"deposit": "-1"}, ["deposit"]),
        ({"district": "110101"}, ["district"]),
        ({"name": "长" * 201}, ["name"]),
    ],
)
def test_a_facility_with_a_bad_code_is_refused(supervisor, change, fields):
    body = {
        "name": "示例接口医院",
        "kind": "hospital",
        "ownership": "public",
        "district": "540102",
        "credit_code": make_credit_code(900_000_000 + 78),
        "insurance_code": "H54010278888",
        **change,
    }
    refused(lambda: post(supervisor, "/api/facilities/", body), fields)


def test_a_facility_s_code_is_unique(world, supervisor):
    body = {
        "name": "示例重复",
        "kind": "hospital",
        "ownership": "public",
        "district": "540102",
        "credit_code": world.hospital.credit_code,
    }
    refused(lambda: post(supervisor, "/api/facilities/", body), ["credit_code"])


def test_a_recovery_needs_a_deposit(world, supervisor):
    insurer = Facility.objects.create(
        name="示例保险",
        kind="insurer",
        ownership="private",
        district="540102",
        credit_code=make_credit_code(900_000_000 + 4321),
        deposit=Decimal("0"),
    )
    path = f"/api/facilities/{insurer.pk}/recover-deposit/"
    refused(
        lambda: post(supervisor, path, {"deposit_percent": "5", "decided_on": "2025-05-01"}),
        ["deposit_percent"],
    )
