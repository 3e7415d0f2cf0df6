"""Random checks and the public pages in the browser (issue 15, "Done when"): a supervisor writes
a plan, draws it from a typed seed, verifies and publishes it; then a visitor without an account
finds it on the public pages with its targets, searches the A-grade list, and meets no private
field on any page they open.
"""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from supervision.choices import CreditCategoryCode, District, InspectionKind, RandomCheckStatus
from supervision.models import Inspection, RandomCheckPlan
from supervision.roles import SUPERVISOR
from supervision.services import publication
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectorFactory,
    PractitionerFactory,
    RegistrationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = 2025
PRIVATE = ["示例保密医师", "540102197001011234", "ZF540199", "示例保密执法员", "random-lead"]


@pytest.fixture(autouse=True)
def _fail_fast(page: Page) -> None:
    page.set_default_timeout(10_000)


def sign_in_as(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def submit(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


@pytest.fixture
def world(db):
    lead = UserFactory(username="random-lead", role=SUPERVISOR)
    pharmacies = [
        FacilityFactory(pharmacy=True, name=f"示例抽查药店{n}", district=District.CHENGGUAN)
        for n in range(6)
    ]
    for pharmacy, grade in zip(pharmacies, "AABCDD", strict=True):
        CreditRatingFactory(facility=pharmacy, year=YEAR, grade=grade)
    InspectorFactory(name="示例保密执法员", badge_number="ZF540199")
    InspectorFactory.create_batch(4)
    RegistrationFactory(
        facility=pharmacies[4],
        practitioner=PractitionerFactory(name="示例保密医师", id_number="540102197001011234"),
    )
    publication.publish_grades(
        year=YEAR, category=CreditCategoryCode.RETAIL_PHARMACY, user=lead, on=datetime.date.today()
    )
    return lead, pharmacies


def test_a_supervisor_draws_and_publishes_a_plan_that_a_visitor_then_reads(
    page: Page, live_server, world
):
    lead, _pharmacies = world
    sign_in_as(page, live_server, lead)
    page.goto(f"{live_server.url}/random-checks/new/")
    page.get_by_label("计划名称").fill("示例：零售药店双随机抽查")
    page.get_by_label("检查开始日期").fill(f"{YEAR + 1}-03-01")
    page.get_by_label("检查截止日期").fill(f"{YEAR + 1}-06-30")
    page.get_by_label("零售药店").check()
    page.get_by_label("抽取数量").fill("3")
    submit(page, "保存")
    plan = RandomCheckPlan.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text("示例：零售药店双随机抽查")

    page.get_by_label("随机种子").fill("20260301-示例")
    page.get_by_label("种子来源").fill("示例：监管人员输入")
    submit(page, "抽取")
    plan.refresh_from_db()
    assert plan.status == RandomCheckStatus.DRAWN
    expect(page.get_by_text(plan.result_digest).first).to_be_visible()

    submit(page, "核验抽取结果")
    expect(page.get_by_text("核验通过").first).to_be_visible()

    page.get_by_label("已核对抽取结果，确认公布").check()
    submit(page, "公布计划")
    plan.refresh_from_db()
    assert plan.status == RandomCheckStatus.PUBLISHED
    assert Inspection.objects.filter(kind=InspectionKind.RANDOM).count() == 3
    drawn = list(plan.targets.order_by("rank").values_list("facility__name", flat=True))

    # A visitor: no account, no cookie.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/public/")
    page.get_by_role("navigation").get_by_role("link", name="双随机抽查").click()
    page.get_by_role("link", name="示例：零售药店双随机抽查").click()
    for name in drawn:
        expect(page.get_by_role("main").get_by_text(name, exact=True)).to_be_visible()
    expect(page.get_by_text(plan.seed).first).to_be_visible()
    seen = [page.content()]

    page.goto(f"{live_server.url}/public/grades/")
    page.get_by_label("机构名称或统一社会信用代码").fill("示例抽查药店0")
    submit(page, "查找")
    main = page.get_by_role("main")
    expect(main.get_by_text("示例抽查药店0", exact=True)).to_be_visible()
    expect(main.get_by_text("示例抽查药店2", exact=True)).to_have_count(0)
    seen.append(page.content())
    for path in ["/public/", "/public/d-grade/", "/public/sanctions/", "/public/en/grades/"]:
        page.goto(f"{live_server.url}{path}")
        seen.append(page.content())
    assert page.context.cookies() == []
    for html in seen:
        for value in PRIVATE:
            assert value not in html
