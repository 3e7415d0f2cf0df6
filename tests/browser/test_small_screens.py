"""The staff pages on a phone (390×844) and on paper: no page wider than the screen, the
navigation behind a menu button, and a printout without the screen's controls.

SCREENSHOTS=1 also saves each page at 390×844 into bench/out/screenshots/small/ for a person to
look at.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from supervision.choices import Agency, InspectionKind, ReferralStatus
from supervision.services.inspections import complete_inspection, record_inspection
from supervision.services.referrals import move_referral, refer_inspection
from supervision.services.sanctions import suspend_agreement
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectorFactory,
    RatingChangeFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "bench" / "out" / "screenshots" / "small"
LONG_NAME = "拉萨市城关区八廓街道社区卫生服务中心附属示例门诊部（名称很长的机构）"
NAV = ["总览", "机构", "检查", "移送", "处理措施", "审计"]
# For a failure message: the elements that reach past the right edge, outermost first.
WIDEST = """() => {
  const past = e => e.getBoundingClientRect().right - window.innerWidth;
  return [...document.querySelectorAll("body *")]
    .filter(e => past(e) > 0.5 && past(e.parentElement) <= 0.5)
    .slice(0, 5)
    .map(e => `${e.tagName.toLowerCase()}.${e.className} +${Math.round(past(e))}px`);
}"""


@pytest.fixture(autouse=True)
def _fail_fast(page: Page) -> None:
    page.set_default_timeout(10_000)


def sign_in(page: Page, live_server, user, language: str = "zh-hans") -> None:
    """A session of user (second factor passed, see tests/conftest.py) in the browser, in the
    language asked."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url},
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
        ]
    )


@pytest.fixture
def records(supervisor):
    """One record of each kind, with long names and a history, as the pages show them."""
    today = timezone.localdate()
    facility = FacilityFactory(name=LONG_NAME, address="拉萨市城关区北京中路" + "八廓" * 30)
    for n in range(4):
        FacilityFactory(name=f"示例药房{n}号（城关区北京东路分店）", pharmacy=True)
    rating = CreditRatingFactory(facility=facility, year=today.year - 1, grade="B")
    RatingChangeFactory(rating=rating, reason="年度评价：" + "按评分细则逐项核定" * 6)
    inspectors = [InspectorFactory(name="次仁多吉"), InspectorFactory(name="格桑卓玛")]
    inspection = record_inspection(
        facility=facility,
        kind=InspectionKind.UNANNOUNCED,
        start_date=today - datetime.timedelta(days=20),
        inspectors=inspectors,
        user=supervisor,
        findings="伪造随货同行单" * 20,
    )
    inspection = complete_inspection(
        inspection, end_date=today - datetime.timedelta(days=19), user=supervisor
    )
    referral = refer_inspection(
        inspection,
        agency=Agency.POLICE,
        referred_on=today - datetime.timedelta(days=18),
        summary="伪造、变造随货同行单，涉嫌骗取医保基金。",
        user=supervisor,
    )
    move_referral(
        referral,
        to_status=ReferralStatus.ACCEPTED,
        on=today - datetime.timedelta(days=10),
        case_number="拉公（经）立字〔2025〕0012号",
        user=supervisor,
    )
    sanction = suspend_agreement(
        facility,
        starts_on=today - datetime.timedelta(days=5),
        ends_on=today + datetime.timedelta(days=25),
        decided_on=today - datetime.timedelta(days=6),
        user=supervisor,
        inspection=inspection,
        decision_number="拉医保暂〔2025〕3号",
    )
    return {
        "facility": facility,
        "inspection": inspection,
        "referral": referral,
        "sanction": sanction,
    }


def staff_pages(records) -> list[str]:
    """Every staff page: the overview, the lists, the records, the forms, the audit log."""
    f, i, r, s = (records[k].pk for k in ("facility", "inspection", "referral", "sanction"))
    return [
        "/",
        "/facilities/",
        f"/facilities/{f}/",
        "/facilities/new/",
        f"/facilities/{f}/edit/",
        f"/facilities/{f}/grade/",
        "/inspections/",
        f"/inspections/{i}/",
        "/inspections/new/",
        f"/inspections/{i}/edit/",
        f"/inspections/{i}/refer/",
        "/referrals/",
        f"/referrals/{r}/",
        f"/referrals/{r}/move/",
        "/sanctions/",
        f"/sanctions/{s}/",
        f"/sanctions/new/?facility={f}",
        "/audit/",
        "/accounts/password_change/",
        "/accounts/two-factor/",
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_staff_page_is_wider_than_a_phone(page: Page, live_server, superuser, records, language):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, superuser, language)
    too_wide = {}
    for n, path in enumerate(staff_pages(records)):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        width = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        if width > 0:
            too_wide[path] = page.evaluate(WIDEST)
        if os.environ.get("SCREENSHOTS") == "1":
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            name = path.strip("/").split("?")[0].replace("/", "-") or "overview"
            page.screenshot(path=SCREENSHOT_DIR / f"{language}-{n:02d}-{name}.png", full_page=True)
    assert too_wide == {}, "pages that scroll sideways at 390 px, and what sticks out"


def test_a_long_facility_name_in_the_list_stays_readable_on_a_phone(
    page: Page, live_server, auditor, records
):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, auditor)
    page.goto(f"{live_server.url}/facilities/")
    link = page.get_by_role("link", name=LONG_NAME)
    box = link.bounding_box()
    assert box is not None
    # At least six characters a line (one glyph is about 15 px), not one.
    assert box["width"] >= 6 * 15, box
    # The table scrolls inside its own box, not the page.
    wrap = page.locator(".table-wrap").first
    assert wrap.evaluate("e => e.scrollWidth > e.clientWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_on_a_phone_the_navigation_opens_from_a_menu_button(page: Page, live_server, auditor):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, auditor)
    page.goto(f"{live_server.url}/facilities/")
    nav = page.get_by_role("navigation", name="主导航")
    menu = page.locator(".navtoggle summary")
    expect(menu).to_be_visible()
    expect(menu).to_have_text("菜单")
    expect(nav).to_be_hidden()
    header = page.locator("header.topbar").bounding_box()
    assert header is not None and header["height"] < 80, header

    menu.click()
    expect(nav).to_be_visible()
    if os.environ.get("SCREENSHOTS") == "1":
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOT_DIR / "menu-open.png")
    for name in NAV:
        link = nav.get_by_role("link", name=name, exact=True)
        expect(link).to_be_in_viewport()
        box = link.bounding_box()
        assert box is not None and box["height"] < 50, (name, box)  # one line, not a column
    expect(page.locator(".langswitch")).to_be_visible()

    nav.get_by_role("link", name="检查", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/inspections/")
    expect(nav).to_be_hidden()  # a new page starts with the menu closed


def test_on_a_laptop_the_navigation_shows_without_a_menu_button(page: Page, live_server, auditor):
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, live_server, auditor)
    page.goto(f"{live_server.url}/facilities/")
    expect(page.locator(".navtoggle summary")).to_be_hidden()
    nav = page.get_by_role("navigation", name="主导航")
    for name in NAV:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_in_viewport()


def test_a_printed_record_has_its_header_and_none_of_the_screen_controls(
    page: Page, live_server, supervisor, records
):
    supervisor.first_name, supervisor.last_name = "卓玛", "央金"
    supervisor.save()
    sign_in(page, live_server, supervisor)
    page.goto(f"{live_server.url}/inspections/{records['inspection'].pk}/")
    header = page.locator(".print-header")
    expect(header).to_be_hidden()  # on the screen
    expect(page.locator("form").first).to_be_visible()

    page.emulate_media(media="print")
    expect(header).to_be_visible()
    expect(header).to_contain_text("拉萨市医疗保障局")
    expect(header).to_contain_text(LONG_NAME)
    expect(header).to_contain_text(f"打印人：{supervisor.get_full_name()}")
    expect(header).to_contain_text(f"打印时间：{timezone.localdate():%Y-%m-%d}")
    for selector in ["header.topbar", "footer", "form", "button", "a.button", ".langswitch"]:
        visible = page.locator(selector).evaluate_all(
            "els => els.filter(e => e.getClientRects().length > 0).length"
        )
        assert visible == 0, selector
    expect(page.get_by_role("heading", level=1)).to_be_visible()
