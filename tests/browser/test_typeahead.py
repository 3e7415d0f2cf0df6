"""The type-ahead as a person uses it: Playwright in the system Chromium against live_server.

A facility is found by its pinyin initials among namesakes, chosen with the keyboard, and the
form saves it; the inspectors are chosen the same way, by pinyin, instead of the long list.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from supervision.choices import District, InspectionKind
from supervision.models import Inspection
from tests.browser.test_staff_flows import sign_in
from tests.factories import FacilityFactory, InspectorFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fail_fast(page: Page) -> None:
    page.set_default_timeout(10_000)


def test_a_facility_found_by_its_initials_and_inspectors_by_pinyin_are_saved(
    page: Page, live_server, inspector
):
    FacilityFactory(name="示例格桑大药房", pharmacy=True, district=District.CHENGGUAN)
    dagze = FacilityFactory(name="示例格桑大药房", pharmacy=True, district=District.DAGZE)
    FacilityFactory(name="示例雪域诊所", clinic=True)
    cering = InspectorFactory(name="次仁多吉")
    gesang = InspectorFactory(name="格桑卓玛")
    InspectorFactory(name="达瓦次仁")
    sign_in(page, live_server, inspector)
    page.goto(f"{live_server.url}/inspections/new/")

    facility = page.get_by_role("combobox", name="被检查机构")
    facility.press_sequentially("gsdyf")
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(2)
    expect(options.nth(0)).to_contain_text("城关区")
    expect(options.nth(1)).to_contain_text("达孜区")
    expect(options.nth(1)).to_contain_text("零售药店")
    facility.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    facility.press("Enter")  # chooses; does not submit
    expect(facility).to_have_value(dagze.insurance_code)
    expect(facility).to_have_attribute("aria-expanded", "false")
    expect(page.locator(".typeahead-chosen")).to_contain_text("示例格桑大药房 · 达孜区 · 零售药店")

    people = page.get_by_role("combobox", name="检查人员")
    expect(page.get_by_label("次仁多吉")).to_be_hidden()  # the long list gives way
    people.press_sequentially("crdj")
    expect(page.get_by_role("option", name=re.compile("次仁多吉"))).to_be_visible()
    people.press("Enter")
    people.press_sequentially("gesang")
    expect(page.get_by_role("listbox").get_by_role("option")).to_have_count(1)
    people.press("Escape")  # closes without choosing
    expect(people).to_have_attribute("aria-expanded", "false")
    people.press("ArrowDown")
    people.press("Enter")
    chips = page.locator(".typeahead-chips li")
    expect(chips).to_have_count(2)

    page.get_by_label("检查类型").select_option(label=str(InspectionKind.ROUTINE.label))
    page.get_by_label("开始日期").fill("2025-03-10")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_role("status")).to_contain_text("检查已登记。")
    inspection = Inspection.objects.get()
    assert inspection.facility == dagze
    assert set(inspection.inspectors.all()) == {cering, gesang}


def test_a_chosen_inspector_can_be_removed_and_the_form_still_refuses_one(
    page: Page, live_server, inspector
):
    facility = FacilityFactory(name="示例雪域诊所", clinic=True)
    InspectorFactory(name="次仁多吉")
    InspectorFactory(name="格桑卓玛")
    sign_in(page, live_server, inspector)
    page.goto(f"{live_server.url}/inspections/new/?facility={facility.pk}")
    people = page.get_by_role("combobox", name="检查人员")
    for typed in ("crdj", "gszm"):
        people.press_sequentially(typed)
        expect(page.get_by_role("listbox").get_by_role("option")).to_have_count(1)
        people.press("Enter")
    page.get_by_role("button", name="移除 格桑卓玛").click()
    expect(page.locator(".typeahead-chips li")).to_have_count(1)
    page.get_by_label("检查类型").select_option(label=str(InspectionKind.ROUTINE.label))
    page.get_by_label("开始日期").fill("2025-03-10")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#field-inspectors, .form-errors").first).to_contain_text("2")
    assert not Inspection.objects.exists()
