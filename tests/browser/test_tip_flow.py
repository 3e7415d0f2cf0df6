"""A tip's whole life in the browser (issue 12, "Done when"): received by phone, registered by the
tip desk with a named reporter who wants a reply, accepted with its inspection opened in the same
step, investigated (the inspection completed with findings, a violation and an amount), concluded
substantiated from what the inspection found, rewarded (proposed by the tip desk, approved by a
supervisor: four eyes), the reporter told — and all of it on the tip page. Then an inspector, who
may not know who reported, sees the same page with the reporter masked.

Every step goes through the pages (click, fill, select); the ORM only sets up the facility, the
inspectors and the accounts, and checks the result afterwards. Each persona's session is put into
the browser as in test_staff_flows (the supervisor's with the second factor passed).
"""

from __future__ import annotations

import re
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from supervision.choices import (
    InspectionKind,
    InspectionStatus,
    ReplyMethod,
    RewardStatus,
    TipChannel,
    TipConclusion,
    TipStatus,
    Violation,
)
from supervision.models import Inspection, Tip
from supervision.models.tip import MASK
from supervision.services.tip_rewards import reward_amount
from tests.factories import FacilityFactory, InspectorFactory

pytestmark = pytest.mark.django_db(transaction=True)

# The finished tip page, for a person to look at (outside the repository).
SCREENSHOT = Path(tempfile.gettempdir()) / "tip_page.png"

REPORTER = {
    "name": "示例举报人卓玛央宗",
    "phone": "13908901234",
    # 17 digits and their check character (see supervision.codes.resident_id_check_char).
    "id_number": "540102198506120027",
    "address": "拉萨市城关区示例路88号",
}
ALLEGATION = "举报人称该院将未使用的耗材计入住院费用，串换药品后以医保结算。"
FINDINGS = "抽查住院病历40份，发现串换药品耗材，涉及医保基金12,500.00元。"
VERIFIED = Decimal("12500.00")
REPLY = "您举报的问题经核查属实，已依法处理，奖励已批准，请于90日内领取。"


@pytest.fixture(autouse=True)
def _fail_fast(page: Page) -> None:
    """A step that cannot happen fails in seconds, not Playwright's default half minute."""
    page.set_default_timeout(10_000)


def sign_in_as(page: Page, live_server, user) -> None:
    """Give the browser a session of user instead of whoever was signed in (for a supervisor, a
    session that has passed the second factor: tests/conftest.py)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def choose_inspectors(page: Page, *names: str) -> None:
    """Choose inspectors with the type-ahead that replaces the list of checkboxes."""
    picker = page.get_by_role("combobox", name="检查人员")
    for name in names:
        picker.press_sequentially(name)
        page.get_by_role("listbox").get_by_role("option", name=re.compile(name)).click()


def heading(page: Page):
    """The page's title: the tip's number, its subject and its status."""
    return page.get_by_role("heading", level=1)


def submit(page: Page, button: str) -> None:
    """Press the form's button and wait for the page the redirect leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


@pytest.fixture
def facility(db):
    return FacilityFactory(name="拉萨市城关区示例医院")


@pytest.fixture
def inspectors(db):
    return [InspectorFactory(name="次仁多吉"), InspectorFactory(name="格桑卓玛")]


def test_a_phone_tip_is_accepted_investigated_concluded_rewarded_and_answered_on_its_page(
    page: Page, live_server, tip_desk, supervisor, inspector, facility, inspectors
):
    tip_url = register_the_tip(page, live_server, tip_desk, facility)
    tip = Tip.objects.get()
    assert tip_url == f"{live_server.url}{reverse('tip-detail', args=[tip.pk])}"

    accept_with_the_inspection(page, tip_url)
    inspection = Inspection.objects.get(facility=facility)
    tip.refresh_from_db()
    assert tip.status == TipStatus.INVESTIGATING
    assert tip.inspection == inspection
    assert inspection.kind == InspectionKind.UNANNOUNCED
    assert set(inspection.inspectors.all()) == set(inspectors)

    sign_in_as(page, live_server, inspector)
    complete_the_inspection(page, tip_url, inspection)
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.COMPLETED
    assert inspection.amount_involved == VERIFIED

    sign_in_as(page, live_server, tip_desk)
    conclude_substantiated(page, tip_url)
    propose_the_reward(page, tip_url)

    sign_in_as(page, live_server, supervisor)
    approve_the_reward(page, tip_url)

    sign_in_as(page, live_server, tip_desk)
    reply_to_the_reporter(page, tip_url)

    tip.refresh_from_db()
    reward = tip.reward
    expected = reward_amount(VERIFIED)
    assert expected == Decimal("250.00")  # 2% of ¥12,500, above the ¥200 floor
    assert (tip.status, tip.conclusion, tip.verified_amount) == (
        TipStatus.REPLIED,
        TipConclusion.SUBSTANTIATED,
        VERIFIED,
    )
    assert (reward.status, reward.amount) == (RewardStatus.APPROVED, expected)
    assert (reward.proposed_by, reward.decided_by) == (tip_desk, supervisor)
    assert (tip.replied_on, tip.reply_method) == (timezone.localdate(), ReplyMethod.PHONE)

    the_tip_page_tells_the_whole_story(page, tip_url, inspection, expected)
    page.screenshot(path=SCREENSHOT, full_page=True)

    sign_in_as(page, live_server, inspector)
    an_inspector_sees_the_reporter_masked(page, tip_url)


# --- The steps, each through the pages -----------------------------------------------------------


def register_the_tip(page: Page, live_server, tip_desk, facility) -> str:
    """The tip desk registers a call to the city hotline, with the caller's name and number."""
    sign_in_as(page, live_server, tip_desk)
    page.goto(f"{live_server.url}{reverse('tip-create')}")
    expect(heading(page)).to_have_text("登记线索")

    page.get_by_label("举报渠道").select_option(label=str(TipChannel.CITY_HOTLINE.label))
    picker = page.get_by_role("combobox", name="被举报机构")
    picker.press_sequentially(facility.name)
    page.get_by_role("listbox").get_by_role("option", name=re.compile(facility.name)).click()
    expect(picker).to_have_value(facility.insurance_code)
    page.get_by_label("举报内容").fill(ALLEGATION)
    page.get_by_label(str(Violation.SUBSTITUTION.label)).check()
    page.get_by_label("举报涉及金额（元）").fill("20000.00")
    expect(page.get_by_label("匿名举报")).not_to_be_checked()
    page.get_by_label("要求答复").check()
    page.get_by_label("举报人姓名").fill(REPORTER["name"])
    page.get_by_label("联系电话").fill(REPORTER["phone"])
    page.get_by_label("身份证号码").fill(REPORTER["id_number"])
    page.get_by_label("联系地址").fill(REPORTER["address"])
    submit(page, "保存")

    expect(page).to_have_url(re.compile(rf"{re.escape(live_server.url)}/tips/\d+/$"))
    expect(page.get_by_role("status")).to_contain_text("线索已登记。")
    expect(heading(page)).to_contain_text(str(TipStatus.RECEIVED.label))
    expect(page.locator("#reporter")).to_contain_text(REPORTER["name"])
    return page.url


def accept_with_the_inspection(page: Page, tip_url: str) -> None:
    """Accepted, with "open the inspection now" and two inspectors."""
    page.goto(tip_url)
    page.get_by_role("link", name="受理", exact=True).click()
    expect(page.get_by_label("同时发起核查检查")).to_be_checked()
    page.get_by_label("检查类型").select_option(label=str(InspectionKind.UNANNOUNCED.label))
    choose_inspectors(page, "次仁多吉", "格桑卓玛")
    page.get_by_label("受理意见").fill("线索具体，予以受理，立即开展飞行检查。")
    submit(page, "保存")

    expect(page).to_have_url(tip_url)
    expect(page.get_by_role("status")).to_contain_text("线索已受理。")
    expect(heading(page)).to_contain_text(str(TipStatus.INVESTIGATING.label))


def complete_the_inspection(page: Page, tip_url: str, inspection: Inspection) -> None:
    """The inspector follows the tip's link to its inspection, records what was found (a
    violation, the amount involved) and marks it completed."""
    page.goto(tip_url)
    page.locator("#inspection").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/inspections/{inspection.pk}/$"))

    page.get_by_role("link", name="编辑", exact=True).click()
    page.get_by_label(str(Violation.SUBSTITUTION.label)).check()
    page.get_by_label("检查发现").fill(FINDINGS)
    page.get_by_label("涉及金额（元）").fill(f"{VERIFIED}")
    submit(page, "保存")
    expect(page).to_have_url(re.compile(rf"/inspections/{inspection.pk}/$"))

    page.get_by_role("link", name="完成检查", exact=True).click()
    expect(page.get_by_label("检查发现")).to_have_value(FINDINGS)
    submit(page, "标记为已完成")
    expect(page).to_have_url(re.compile(rf"/inspections/{inspection.pk}/$"))


def conclude_substantiated(page: Page, tip_url: str) -> None:
    """The conclusion form offers what the inspection supports: 属实, ¥12,500.00."""
    page.goto(tip_url)
    page.get_by_role("link", name="办结", exact=True).click()
    substantiated = page.get_by_label(str(TipConclusion.SUBSTANTIATED.label), exact=True)
    expect(substantiated).to_be_checked()
    expect(page.get_by_label("查实金额（元）")).to_have_value("12500.00")
    expect(page.get_by_label("核查情况")).to_have_value("检查发现违规，涉及金额12,500.00元。")
    submit(page, "保存")

    expect(page.get_by_role("status")).to_contain_text("线索已办结。")
    expect(heading(page)).to_contain_text(str(TipStatus.CONCLUDED.label))


def propose_the_reward(page: Page, tip_url: str) -> None:
    page.goto(tip_url)
    page.get_by_role("link", name="提出奖励", exact=True).click()
    # The form shows what the rules give: 2% of the verified ¥12,500.00.
    expect(page.locator(".form-context")).to_contain_text("¥250.00")
    submit(page, "保存")
    expect(page.get_by_role("status")).to_contain_text("奖励已提出，待审批。")
    expect(page.locator("#reward")).to_contain_text(str(RewardStatus.PROPOSED.label))


def approve_the_reward(page: Page, tip_url: str) -> None:
    """A supervisor — not the proposer — approves."""
    page.goto(tip_url)
    page.locator("#reward").get_by_role("link", name="审批奖励", exact=True).click()
    page.get_by_label("批准", exact=True).check()
    submit(page, "保存")
    expect(page.get_by_role("status")).to_contain_text("奖励审批已记录。")
    expect(page.locator("#reward")).to_contain_text(str(RewardStatus.APPROVED.label))


def reply_to_the_reporter(page: Page, tip_url: str) -> None:
    page.goto(tip_url)
    page.get_by_role("link", name="答复举报人", exact=True).click()
    expect(page.get_by_label("答复日期")).to_have_value(timezone.localdate().isoformat())
    page.get_by_label("答复方式").select_option(label=str(ReplyMethod.PHONE.label))
    page.get_by_label("答复内容").fill(REPLY)
    submit(page, "保存")
    expect(page.get_by_role("status")).to_contain_text("答复已记录。")
    expect(heading(page)).to_contain_text(str(TipStatus.REPLIED.label))


# --- What the page shows -------------------------------------------------------------------------


def the_tip_page_tells_the_whole_story(
    page: Page, tip_url: str, inspection: Inspection, reward: Decimal
) -> None:
    page.goto(tip_url)
    today = timezone.localdate().isoformat()
    expect(heading(page)).to_contain_text(str(TipStatus.REPLIED.label))
    expect(page.locator("#details")).to_contain_text(str(TipChannel.CITY_HOTLINE.label))

    found = page.locator("#inspection")
    link = found.get_by_role("link", name=re.compile(str(InspectionKind.UNANNOUNCED.label)))
    expect(link).to_have_attribute("href", reverse("inspection-detail", args=[inspection.pk]))
    expect(found).to_contain_text(FINDINGS)
    expect(found).to_contain_text(str(Violation.SUBSTITUTION.label))
    expect(found).to_contain_text("¥12,500.00")

    conclusion = page.locator("#conclusion")
    expect(conclusion).to_contain_text(str(TipConclusion.SUBSTANTIATED.label))
    expect(conclusion).to_contain_text("¥12,500.00")

    section = page.locator("#reward")
    expect(section).to_contain_text(str(RewardStatus.APPROVED.label))
    expect(section).to_contain_text(f"¥{reward}")

    answer = page.locator("#reply")
    expect(answer).to_contain_text(today)
    expect(answer).to_contain_text(str(ReplyMethod.PHONE.label))
    expect(answer).to_contain_text(REPLY)

    who = page.locator("#reporter")
    for value in REPORTER.values():
        expect(who).to_contain_text(value)

    steps = page.locator("#timeline li")
    for label in [
        "接收线索",
        "受理",
        "发起核查检查",
        "办结",
        "提出奖励",
        str(RewardStatus.APPROVED.label),
        "答复举报人",
    ]:
        entry = steps.filter(has=page.locator("strong", has_text=re.compile(rf"^{label}$")))
        expect(entry).to_have_count(1)
        expect(entry).to_contain_text(today)


def an_inspector_sees_the_reporter_masked(page: Page, tip_url: str) -> None:
    """Same page, no view_tipreporter: the reporter is there, masked, and none of its values."""
    page.goto(tip_url)
    expect(heading(page)).to_contain_text(str(TipStatus.REPLIED.label))
    who = page.locator("#reporter")
    expect(who).to_contain_text("举报人信息已隐藏")
    expect(who.locator("dd")).to_have_text([MASK] * 4)
    expect(page.get_by_role("link", name="编辑举报人信息")).to_have_count(0)
    html = page.content()
    for value in REPORTER.values():
        assert value not in html, f"the inspector's page shows the reporter's {value!r}"
