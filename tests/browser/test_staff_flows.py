"""The staff pages as a person uses them: Playwright in the system Chromium against live_server.

One behaviour per test. Only the sign-in test types a password; the others put a session made
with Client.force_login into the browser. live_server serves the database from another thread,
so the tests are transactional (conftest puts back the roles the flush removes).

Pictures of the main pages for a person to look at: bench/screenshots.py.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from supervision.choices import (
    Agency,
    Grade,
    InspectionKind,
    InspectionStatus,
    Violation,
)
from supervision.models import CreditRating, Inspection, RatingChange
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectorFactory,
    RatingChangeFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery-staple"  # tests.factories.UserFactory's


@pytest.fixture(autouse=True)
def _fail_fast(page: Page) -> None:
    """A step that cannot happen fails in seconds, not Playwright's default half minute."""
    page.set_default_timeout(10_000)


def sign_in(page: Page, live_server, user) -> None:
    """Give the browser a session of user (the login form itself is the first test's); for a
    supervisor, a session that has passed the second factor too (see tests/conftest.py)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def choose_inspectors(page: Page, *names: str) -> None:
    """Choose inspectors with the type-ahead that replaces the list of checkboxes."""
    picker = page.get_by_role("combobox", name="检查人员")
    for name in names:
        picker.press_sequentially(name)
        page.get_by_role("listbox").get_by_role("option", name=re.compile(name)).click()


@pytest.fixture
def facility(db):
    return FacilityFactory(name="拉萨市城关区示例医院")


@pytest.fixture
def inspectors(db):
    return [InspectorFactory(name="次仁多吉"), InspectorFactory(name="格桑卓玛")]


def test_signing_in_through_the_login_form_lands_on_the_dashboard(
    page: Page, live_server, supervisor
):
    # A supervisor signs in with the password, then the code of their authenticator app.
    device = TOTPDevice.objects.create(user=supervisor, name="authenticator", confirmed=True)
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    page.get_by_label("用户名").fill("supervisor")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(re.compile(r"/accounts/two-factor/verify/"))
    expect(page.get_by_role("heading", name="两步验证", level=1)).to_be_visible()
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    page.get_by_label("验证码").fill(f"{code:06d}")
    page.get_by_role("button", name="验证").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="总览", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="主导航")).to_be_visible()


def test_searching_the_facility_list_by_credit_code_finds_the_facility_and_opens_its_page(
    page: Page, live_server, auditor
):
    wanted = FacilityFactory(name="拉萨市堆龙德庆区示例卫生院")
    FacilityFactory.create_batch(3)
    sign_in(page, live_server, auditor)
    page.goto(f"{live_server.url}/facilities/")
    rows = page.locator("table.facility-list tbody tr")
    expect(rows).to_have_count(4)

    page.get_by_label("搜索", exact=True).fill(wanted.credit_code)
    page.get_by_role("button", name="筛选", exact=True).click()

    expect(rows).to_have_count(1)
    rows.get_by_role("link", name=wanted.name).click()
    expect(page).to_have_url(f"{live_server.url}/facilities/{wanted.pk}/")
    expect(page.get_by_role("heading", name=wanted.name, level=1)).to_be_visible()
    expect(page.locator("#profile")).to_contain_text(wanted.credit_code)


def test_recording_an_inspection_with_two_inspectors_saves_it_and_shows_its_page(
    page: Page, live_server, inspector, facility, inspectors
):
    sign_in(page, live_server, inspector)
    page.goto(f"{live_server.url}/inspections/new/?facility={facility.pk}")
    expect(page.get_by_role("heading", name="登记检查", level=1)).to_be_visible()
    expect(page.get_by_label("被检查机构")).to_have_value(facility.insurance_code)

    page.get_by_label("检查类型").select_option(label="飞行检查")
    page.get_by_label("状态").select_option(label=str(InspectionStatus.IN_PROGRESS.label))
    page.get_by_label("开始日期").fill("2025-03-10")
    page.get_by_label("结束日期").fill("2025-03-12")
    choose_inspectors(page, "次仁多吉", "格桑卓玛")
    page.get_by_label(str(Agency.MARKET.label)).check()
    page.get_by_label(str(Violation.SUBSTITUTION.label)).check()
    page.get_by_label("检查发现").fill("抽查处方120张，发现串换药品。")
    page.get_by_label("涉及金额（元）").fill("12500.00")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_role("status")).to_contain_text("检查已登记。")
    expect(page).to_have_url(re.compile(rf"{re.escape(live_server.url)}/inspections/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{facility.name} · 飞行检查")

    inspection = Inspection.objects.get(facility=facility)
    assert page.url.endswith(f"/inspections/{inspection.pk}/")
    assert inspection.kind == InspectionKind.UNANNOUNCED
    assert inspection.status == InspectionStatus.IN_PROGRESS
    assert (inspection.start_date, inspection.end_date) == (
        datetime.date(2025, 3, 10),
        datetime.date(2025, 3, 12),
    )
    assert set(inspection.inspectors.all()) == set(inspectors)
    assert inspection.amount_involved == Decimal("12500.00")
    assert inspection.created_by == inspector
    assert inspection.history.filter(history_type="+", history_user=inspector).count() == 1


def test_changing_the_grade_with_a_reason_shows_the_change_on_the_facility_timeline(
    page: Page, live_server, supervisor, facility
):
    rating = CreditRatingFactory(facility=facility, year=2024, grade=Grade.B)
    RatingChangeFactory(rating=rating)
    reason = "飞行检查发现串换药品，信用等级下调"
    sign_in(page, live_server, supervisor)
    page.goto(f"{live_server.url}/facilities/{facility.pk}/")

    page.locator(".page-head").get_by_role("link", name="调整信用等级").click()
    expect(page.get_by_role("heading", name="调整信用等级")).to_be_visible()
    expect(page.get_by_label("评价年度")).to_have_value("2024")
    page.get_by_label("C级").check()
    page.get_by_label("调整原因").fill(reason)
    page.get_by_role("button", name="保存").click()

    expect(page).to_have_url(f"{live_server.url}/facilities/{facility.pk}/#ratings")
    expect(page.get_by_role("status")).to_contain_text("信用等级已保存")
    change = page.locator("#timeline li.event-rating").filter(has_text=reason)
    expect(change).to_have_count(1)
    expect(change).to_contain_text(re.compile(r"2024年度信用等级\s*B\s*→\s*C"))
    expect(change.locator(".grade-B")).to_be_visible()
    expect(change.locator(".grade-C")).to_be_visible()
    expect(change).to_contain_text(f"supervisor：{reason}")
    assert RatingChange.objects.filter(
        rating__facility=facility, from_grade="B", to_grade="C", changed_by=supervisor
    ).exists()


def test_an_end_date_before_the_start_date_is_refused_beside_the_field_and_nothing_is_saved(
    page: Page, live_server, inspector, facility, inspectors
):
    sign_in(page, live_server, inspector)
    before = (Inspection.objects.count(), Inspection.history.count())
    page.goto(f"{live_server.url}/inspections/new/?facility={facility.pk}")

    page.get_by_label("检查类型").select_option(label="日常检查")
    page.get_by_label("开始日期").fill("2025-03-12")
    page.get_by_label("结束日期").fill("2025-03-10")
    choose_inspectors(page, "次仁多吉", "格桑卓玛")
    page.get_by_role("button", name="保存").click()

    end_date = page.locator("#field-end_date")
    expect(end_date).to_have_class(re.compile(r"\bfield-invalid\b"))
    expect(end_date.locator(".field-errors")).to_have_text("结束日期不能早于开始日期。")
    expect(page.locator(".field-errors")).to_have_count(1)
    expect(page.get_by_label("结束日期")).to_have_value("2025-03-10")
    assert page.url.endswith(f"/inspections/new/?facility={facility.pk}")
    assert (Inspection.objects.count(), Inspection.history.count()) == before


def test_an_inspector_sees_no_grade_action_and_a_direct_grade_post_is_forbidden(
    page: Page, live_server, inspector, facility
):
    sign_in(page, live_server, inspector)
    page.goto(f"{live_server.url}/facilities/{facility.pk}/")
    expect(page.get_by_role("link", name="登记检查")).to_be_visible()  # the page is the full one
    expect(page.get_by_role("link", name="调整信用等级")).to_have_count(0)

    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    response = page.request.post(
        f"{live_server.url}/facilities/{facility.pk}/grade/",
        form={
            "csrfmiddlewaretoken": token,
            "year": "2024",
            "grade": Grade.D,
            "reason": "越权调整",
        },
        max_redirects=0,
    )
    assert response.status == 403
    assert "无权访问" in response.text()  # our 403 page, not a CSRF refusal
    assert not CreditRating.objects.filter(facility=facility).exists()


def test_the_pages_and_the_api_docs_run_under_the_content_security_policy(
    page: Page, live_server, supervisor, facility
):
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    sign_in(page, live_server, supervisor)
    for path in ["/", "/facilities/", f"/facilities/{facility.pk}/", "/sanctions/new/"]:
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(f"{live_server.url}/api/docs/")
    # Swagger UI's start-up script ran (a file, not inline) and drew the operations.
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert violations == []


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (820, 1180)], ids=["laptop", "tablet"])
def test_the_facility_list_fits_the_screen_with_the_navigation_visible(
    page: Page, live_server, supervisor, width, height
):
    FacilityFactory(name="拉萨市城关区八廓街道社区卫生服务中心附属示例门诊部（名称很长的机构）")
    FacilityFactory.create_batch(5)
    FacilityFactory(pharmacy=True)
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, live_server, supervisor)
    page.goto(f"{live_server.url}/facilities/")

    nav = page.get_by_role("navigation", name="主导航")
    expect(nav).to_be_visible()
    for name in ["总览", "机构", "检查", "移送", "处理措施"]:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_in_viewport()
    expect(page.get_by_label("搜索", exact=True)).to_be_visible()
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"a horizontal scrollbar at {width}×{height}: {overflow}px too wide"
