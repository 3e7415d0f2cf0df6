"""The type-ahead: /lookup/facilities/ (who may ask, what it finds, within which districts, at
what cost), the facility field's fallback without the script, and the inspector picker's keys."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision.choices import District, InspectionKind, InspectionStatus
from supervision.models import Inspection
from supervision.views.lookup import MAX_RESULTS
from tests.dbstate import snapshot
from tests.factories import FacilityFactory, InspectorFactory, UserDistrictFactory
from tests.pages import html_of

pytestmark = pytest.mark.django_db

URL = "/lookup/facilities/"


@pytest.fixture
def gesang(db):
    return FacilityFactory(name="示例格桑大药房", pharmacy=True, district=District.CHENGGUAN)


@pytest.fixture
def namesake(db):
    return FacilityFactory(name="示例格桑大药房", pharmacy=True, district=District.DAGZE)


def lookup(client, q: str) -> list[dict]:
    response = client.get(URL, {"q": q})
    assert response.status_code == 200
    return response.json()["results"]


def test_the_address_is_the_named_url():
    assert reverse("lookup-facilities") == URL


def test_it_answers_only_a_signed_in_account_that_may_see_facilities(client, outsider, gesang):
    assert client.get(URL, {"q": "gsdyf"}).status_code == 403
    client.force_login(outsider)
    response = client.get(URL, {"q": "gsdyf"})
    assert response.status_code == 403
    assert "示例格桑" not in response.content.decode()


@pytest.mark.parametrize("q", ["gsdyf", "gesang", "格桑大药", "GeSang YaoFang", "slgs"])
def test_it_finds_a_facility_by_initials_pinyin_or_part_of_its_name(client, inspector, gesang, q):
    client.force_login(inspector)
    assert [r["id"] for r in lookup(client, q)] == [gesang.pk]


def test_it_finds_by_the_start_of_either_code(client, inspector, gesang):
    client.force_login(inspector)
    assert [r["id"] for r in lookup(client, gesang.credit_code[:10].lower())] == [gesang.pk]
    assert [r["id"] for r in lookup(client, gesang.insurance_code[:9])] == [gesang.pk]


def test_each_suggestion_tells_namesakes_apart_and_carries_the_value_the_form_takes(
    client, inspector, gesang, namesake
):
    client.force_login(inspector)
    results = lookup(client, "gsdyf")
    assert {(r["name"], r["district"], r["kind"]) for r in results} == {
        ("示例格桑大药房", "城关区", "零售药店"),
        ("示例格桑大药房", "达孜区", "零售药店"),
    }
    assert {r["value"] for r in results} == {gesang.insurance_code, namesake.insurance_code}


def test_an_insurer_is_chosen_by_its_credit_code(client, inspector):
    insurer = FacilityFactory(name="示例阳光保险公司", insurer=True)
    client.force_login(inspector)
    assert lookup(client, "yangguang")[0]["value"] == insurer.credit_code


def test_an_account_limited_to_a_district_finds_only_its_facilities(
    client, inspector, gesang, namesake
):
    UserDistrictFactory(user=inspector, district=District.CHENGGUAN)
    client.force_login(inspector)
    assert [r["id"] for r in lookup(client, "gsdyf")] == [gesang.pk]
    assert lookup(client, namesake.insurance_code) == []


def test_a_short_query_gets_nothing_and_a_long_one_a_message(client, inspector, gesang):
    client.force_login(inspector)
    assert lookup(client, "g") == []
    assert lookup(client, "   ") == []
    response = client.get(URL, {"q": "格" * 101})
    assert response.status_code == 400
    assert "最多100个字符" in response.json()["detail"]


def test_at_most_ten_in_name_order_with_the_same_queries_for_one_or_many(client, inspector):
    client.force_login(inspector)
    FacilityFactory(name="示例雪域诊所00")
    client.get(URL, {"q": "xueyu"})  # the session and the account, read once
    with CaptureQueriesContext(connection) as one:
        assert len(lookup(client, "xueyu")) == 1
    for n in range(1, 15):
        FacilityFactory(name=f"示例雪域诊所{n:02d}")
    with CaptureQueriesContext(connection) as many:
        results = lookup(client, "xueyu")
    assert len(results) == MAX_RESULTS
    assert [r["name"] for r in results] == sorted(r["name"] for r in results)
    assert len(many) == len(one)


def test_only_get_is_answered(client, inspector):
    client.force_login(inspector)
    assert client.post(URL, {"q": "gsdyf"}).status_code == 405


# --- the facility field on the forms ------------------------------------------------------------


def field_block(html: str, field: str) -> str:
    block = html[html.index(f'id="field-{field}"') :]
    return re.split(r'id="field-|</form>', block[1:], maxsplit=1)[0]


@pytest.fixture
def team(db):
    return InspectorFactory.create_batch(2)


def inspection_post(facility_value: str, team) -> dict:
    return {
        "facility": facility_value,
        "kind": InspectionKind.ROUTINE,
        "status": InspectionStatus.IN_PROGRESS,
        "start_date": "2025-03-10",
        "inspectors": [i.pk for i in team],
        "amount_involved": "0",
        "amount_recovered": "0",
    }


@pytest.mark.parametrize(
    ("page", "script"),
    [("inspection-create", "typeahead.js"), ("sanction-create", "typeahead.js")],
)
def test_the_forms_that_take_a_facility_load_the_type_ahead(client, supervisor, page, script):
    client.force_login(supervisor)
    html = html_of(client.get(reverse(page)))
    block = field_block(html, "facility")
    assert f'data-typeahead="{URL}"' in block
    assert f"supervision/{script}" in html
    assert "<script>" not in html  # CSP: files only


def test_a_near_miss_without_the_script_lists_what_it_finds_and_saves_nothing(
    client, inspector, gesang, namesake, team
):
    """Before: "吉曲同心大药" → 未找到该机构, and nothing to go on."""
    client.force_login(inspector)
    before = snapshot()
    response = client.post(reverse("inspection-create"), inspection_post("格桑大药", team))
    block = field_block(html_of(response), "facility")
    assert "是否是" in block
    for facility, district in ((gesang, "城关区"), (namesake, "达孜区")):
        assert re.search(rf"示例格桑大药房（{district}\W{facility.insurance_code}）", block)
    assert snapshot() == before


def test_nothing_found_still_says_so(client, inspector, gesang, team):
    client.force_login(inspector)
    response = client.post(reverse("inspection-create"), inspection_post("不存在的机构", team))
    assert "未找到该机构" in field_block(html_of(response), "facility")


def test_a_near_miss_lists_no_facility_of_another_district(
    client, inspector, gesang, namesake, team
):
    UserDistrictFactory(user=inspector, district=District.CHENGGUAN)
    client.force_login(inspector)
    response = client.post(reverse("inspection-create"), inspection_post("格桑大药", team))
    block = field_block(html_of(response), "facility")
    assert gesang.insurance_code in block
    assert namesake.insurance_code not in block


def test_the_value_a_suggestion_puts_in_the_field_saves_the_inspection(
    client, inspector, gesang, namesake, team
):
    client.force_login(inspector)
    chosen = next(r for r in lookup(client, "gsdyf") if r["district"] == "达孜区")
    response = client.post(reverse("inspection-create"), inspection_post(chosen["value"], team))
    assert response.status_code == 302
    assert Inspection.objects.get().facility == namesake


# --- the inspector picker ------------------------------------------------------------------------


def test_each_inspector_checkbox_carries_its_name_pinyin_initials_and_badge(client, inspector):
    officer = InspectorFactory(name="格桑卓玛", badge_number="ZF540100777")
    client.force_login(inspector)
    block = field_block(html_of(client.get(reverse("inspection-create"))), "inspectors")
    box = re.search(rf'<input[^>]*value="{officer.pk}"[^>]*>', block).group()
    keys = re.search(r'data-search="([^"]*)"', box).group(1)
    assert {"格桑卓玛", "gesangzhuoma", "gszm", "zf540100777"} <= set(keys.split())
    assert 'type="checkbox"' in box  # still the same field values without the script
