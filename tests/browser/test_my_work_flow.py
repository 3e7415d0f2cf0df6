"""我的待办 in the browser (issue 16, "Done when"): an inspector signs in through the form, lands on
"my work" with an overdue rectification order at the top, records the follow-up check from the
row's one-click step, and the item leaves the list (and the navigation's count goes down)."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from supervision.choices import District, InspectionStatus, RectificationStatus
from supervision.models import Rectification
from supervision.roles import INSPECTOR
from tests.factories import FacilityFactory, InspectionFactory, InspectorFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fail_fast(page: Page) -> None:
    page.set_default_timeout(10_000)


@pytest.fixture
def world(db):
    user = UserFactory(username="zhaxi", role=INSPECTOR)
    officer = InspectorFactory(user=user, name="扎西")
    partner = InspectorFactory(name="格桑卓玛")
    today = datetime.date.today()
    ordered = InspectionFactory(
        facility=FacilityFactory(name="示例整改药店", district=District.CHENGGUAN),
        completed=True,
        start_date=today - datetime.timedelta(days=70),
        end_date=today - datetime.timedelta(days=68),
        inspectors=[officer, partner],
    )
    order = Rectification.objects.create(
        inspection=ordered,
        facility=ordered.facility,
        requirement="示例整改要求：规范药品进销存记录。",
        ordered_on=today - datetime.timedelta(days=60),
        workdays=20,
        due_on=today - datetime.timedelta(days=30),
    )
    # Due soon, not overdue: listed after the rectification.
    InspectionFactory(
        facility=FacilityFactory(name="示例待查诊所", district=District.CHENGGUAN),
        status=InspectionStatus.PLANNED,
        start_date=today,
        inspectors=[officer, partner],
    )
    return user, order


def test_an_inspector_records_the_follow_up_of_an_overdue_order_and_it_leaves_my_work(
    page: Page, live_server, world
):
    _user, order = world
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("zhaxi")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(re.compile(r"/my-work/$"))
    expect(page.get_by_role("heading", name="我的待办", level=1)).to_be_visible()
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.get_by_role("link", name=re.compile("我的待办"))).to_contain_text("2")
    first = page.locator("#my-work tbody tr").first
    expect(first).to_contain_text("示例整改药店")
    expect(first).to_contain_text("整改期满，待复查")
    expect(first).to_contain_text("逾期30天")

    with page.expect_navigation():
        first.get_by_role("link", name="登记复查").click()
    page.get_by_label("整改到位").check()
    page.get_by_label("复查情况").fill("示例复查：进销存记录已规范，账实相符。")
    with page.expect_navigation():
        page.get_by_role("button", name="登记复查").click()

    order.refresh_from_db()
    assert order.status == RectificationStatus.CONFIRMED
    assert order.follow_up is not None

    page.goto(f"{live_server.url}/my-work/")
    rows = page.locator("#my-work tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("示例待查诊所")
    expect(page.locator("#my-work")).not_to_contain_text("示例整改药店")
    expect(nav.get_by_role("link", name=re.compile("我的待办"))).to_contain_text("1")
