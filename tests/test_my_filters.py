"""Accounts linked to officers: "我的检查 / 我的案件" on the lists and the API, and 登记人 shown
as the person (officer's name, else full name, else username) on pages and in exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision.people import person_name
from tests.api import client_for
from tests.factories import (
    InspectionFactory,
    InspectorFactory,
    ReferralFactory,
    SanctionFactory,
    UserFactory,
)
from tests.pages import html_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def me(inspector):
    InspectorFactory(name="格桑卓玛", user=inspector)
    return inspector


@pytest.fixture
def cases(me):
    """Inspections: registered by me, with me on the crew, both, and someone else's; and the
    referrals and sanctions arising from them."""
    colleague = UserFactory(username="colleague")
    crew = InspectorFactory.create_batch(2)
    mine_on_crew = [me.inspector, crew[0]]
    inspections = {
        "registered": InspectionFactory(created_by=me, inspectors=crew, completed=True),
        "on_crew": InspectionFactory(created_by=colleague, inspectors=mine_on_crew, completed=True),
        "both": InspectionFactory(created_by=me, inspectors=mine_on_crew, completed=True),
        "other": InspectionFactory(created_by=colleague, inspectors=crew, completed=True),
    }
    referrals = {key: ReferralFactory(inspection=i) for key, i in inspections.items()}
    referrals["referred_by_me"] = ReferralFactory(
        inspection=InspectionFactory(created_by=colleague, inspectors=crew, completed=True),
        created_by=me,
    )
    sanctions = {
        key: SanctionFactory(facility=i.facility, inspection=i) for key, i in inspections.items()
    }
    sanctions["recorded_by_me"] = SanctionFactory(created_by=me)
    sanctions["unrelated"] = SanctionFactory(created_by=colleague)
    return inspections, referrals, sanctions


MINE_INSPECTIONS = {"registered", "on_crew", "both"}
MINE_REFERRALS = MINE_INSPECTIONS | {"referred_by_me"}
MINE_SANCTIONS = MINE_INSPECTIONS | {"recorded_by_me"}


def ids(records: dict, keys: set[str]) -> list[int]:
    return sorted(records[k].pk for k in keys)


def listed(client, page: str, **params) -> list[int]:
    response = client.get(reverse(page), params)
    assert response.status_code == 200
    return sorted(obj.pk for obj in response.context["object_list"])


def test_my_inspections_are_those_i_registered_or_was_on(client, me, cases):
    inspections, referrals, _ = cases
    client.force_login(me)
    assert listed(client, "inspection-list", mine="true") == ids(inspections, MINE_INSPECTIONS)
    # A referral I made of a colleague's inspection does not make the inspection mine.
    others = sorted([inspections["other"].pk, referrals["referred_by_me"].inspection_id])
    assert listed(client, "inspection-list", mine="false") == others
    assert len(listed(client, "inspection-list")) == len(inspections) + 1


def test_my_cases_are_referrals_and_sanctions_arising_from_my_inspections(client, me, cases):
    _, referrals, sanctions = cases
    client.force_login(me)
    assert listed(client, "referral-list", mine="true") == ids(referrals, MINE_REFERRALS)
    assert listed(client, "sanction-list", mine="true") == ids(sanctions, MINE_SANCTIONS)


def test_another_account_sees_its_own_not_mine(client, supervisor, cases):
    client.force_login(supervisor)
    assert listed(client, "inspection-list", mine="true") == []
    assert listed(client, "sanction-list", mine="true") == []


@pytest.mark.parametrize(
    ("resource", "which"),
    [("inspection", 0), ("referral", 1), ("sanction", 2)],
)
def test_the_api_has_the_same_filter(me, cases, resource, which):
    expected = [MINE_INSPECTIONS, MINE_REFERRALS, MINE_SANCTIONS][which]
    response = client_for(me).get(reverse(f"api:{resource}-list"), {"mine": "true"})
    assert response.status_code == 200
    assert sorted(r["id"] for r in response.json()["results"]) == ids(cases[which], expected)


def test_a_value_other_than_true_or_false_is_refused_with_a_message(client, me, cases):
    client.force_login(me)
    response = client.get(reverse("inspection-list"), {"mine": "perhaps"})
    assert "请填写 true 或 false" in html_of(response)
    assert list(response.context["object_list"]) == []


def test_the_filter_bar_offers_it(client, me):
    client.force_login(me)
    for page, label in [
        ("inspection-list", "我的检查"),
        ("referral-list", "我的案件"),
        ("sanction-list", "我的案件"),
    ]:
        html = html_of(client.get(reverse(page)))
        assert label in html
        assert 'name="mine"' in html


def test_my_inspections_take_the_same_queries_for_one_row_and_many(client, me):
    client.force_login(me)
    InspectionFactory(created_by=me)
    client.get(reverse("inspection-list"), {"mine": "true"})
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("inspection-list"), {"mine": "true"})
    for _ in range(6):
        InspectionFactory(created_by=me, inspectors=[me.inspector, InspectorFactory()])
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("inspection-list"), {"mine": "true"})
    assert len(response.context["object_list"]) == 7
    assert len(many) == len(one)


# --- 登记人 as a person ---------------------------------------------------------------------------


def test_a_person_is_the_linked_officer_else_the_full_name_else_the_username():
    officer_account = UserFactory(username="zhuoma", first_name="卓玛", last_name="格桑")
    InspectorFactory(name="格桑卓玛（执法）", user=officer_account)
    named = UserFactory(username="dawa", first_name="达瓦", last_name="次仁")
    plain = UserFactory(username="clerk7")
    assert person_name(officer_account) == "格桑卓玛（执法）"
    assert person_name(named) == named.get_full_name()
    assert person_name(plain) == "clerk7"
    assert person_name(None) == ""


def test_the_detail_pages_show_the_registering_officer(client, me, cases):
    inspections, referrals, sanctions = cases
    client.force_login(me)
    for page, record in [
        ("inspection-detail", inspections["registered"]),
        ("referral-detail", referrals["referred_by_me"]),
        ("sanction-detail", sanctions["recorded_by_me"]),
    ]:
        html = html_of(client.get(reverse(page, args=[record.pk])))
        assert "格桑卓玛" in html, page


@pytest.mark.parametrize("page", ["inspection-list", "referral-list", "sanction-list"])
def test_the_exports_name_the_registering_officer(client, me, cases, page):
    client.force_login(me)
    response = client.get(reverse(page), {"mine": "true", "export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][-1] in {"登记人", "移送人"}
    assert "格桑卓玛" in {row[-1] for row in rows[1:]}
