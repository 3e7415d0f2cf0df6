"""Nothing a person typed is lost: in Chromium, the completion form keeps an inspection's findings,
and an inspection typed while the session ran out is back on the form after signing in again.
Also the notice that the session is about to end, and its "继续工作" button."""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from playwright.sync_api import Page, expect

from supervision.choices import InspectionKind, InspectionStatus
from supervision.models import Inspection
from supervision.sessions import TOUCHED
from tests.factories import InspectionFactory, InspectorFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery-staple"  # tests.factories.UserFactory's
FINDINGS = "现场发现伪造随货同行单3张。\n已调取进销存记录。"


@pytest.fixture(autouse=True)
def _fail_fast(page: Page) -> None:
    page.set_default_timeout(10_000)


@pytest.fixture
def inspection(db) -> Inspection:
    return InspectionFactory(
        kind=InspectionKind.UNANNOUNCED,
        status=InspectionStatus.IN_PROGRESS,
        inspectors=InspectorFactory.create_batch(2),
        findings=FINDINGS,
    )


def give_session(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def test_completing_an_inspection_keeps_its_findings(
    page: Page, live_server, inspector, inspection
):
    give_session(page, live_server, inspector)
    page.goto(f"{live_server.url}/inspections/{inspection.pk}/complete/")
    expect(page.get_by_label("检查发现")).to_have_value(FINDINGS)
    page.get_by_role("button", name="标记为已完成").click()
    expect(page).to_have_url(f"{live_server.url}/inspections/{inspection.pk}/")
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.COMPLETED
    assert inspection.findings == FINDINGS


def test_an_inspection_typed_while_the_session_ended_is_back_after_signing_in(
    page: Page, live_server, inspector, inspection
):
    give_session(page, live_server, inspector)
    url = f"{live_server.url}/inspections/{inspection.pk}/edit/"
    page.goto(url)
    typed = "复查：整改已完成，\n追回金额已入账。"
    page.get_by_label("检查发现").fill(typed)
    page.get_by_label("涉及金额（元）").fill("8800.50")
    Session.objects.all().delete()  # the session ran out while they typed

    page.get_by_role("button", name=re.compile("保存")).click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_text("您填写的内容已暂存")).to_be_visible()
    page.get_by_label("用户名").fill(inspector.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(url)
    expect(page.get_by_text("请核对后再提交")).to_be_visible()
    expect(page.get_by_label("检查发现")).to_have_value(typed)
    expect(page.get_by_label("涉及金额（元）")).to_have_value("8800.50")
    inspection.refresh_from_db()
    assert inspection.findings == FINDINGS  # nothing saved behind their back

    page.get_by_role("button", name=re.compile("保存")).click()
    expect(page).to_have_url(f"{live_server.url}/inspections/{inspection.pk}/")
    inspection.refresh_from_db()
    assert inspection.findings == typed


def test_the_notice_before_the_end_offers_to_keep_working(
    page: Page, live_server, inspector, settings
):
    settings.SESSION_COOKIE_AGE = 170  # already inside the last three minutes
    give_session(page, live_server, inspector)
    page.goto(f"{live_server.url}/")
    notice = page.get_by_role("alert").filter(has_text="继续工作")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("分钟内超时")
    with page.expect_response(re.compile(r"/accounts/keepalive/$")) as kept:
        notice.get_by_role("button", name="继续工作").click()
    assert kept.value.status == 204


def test_the_notice_counts_from_the_session_s_last_save_not_the_page_load(
    page: Page, live_server, inspector, settings
):
    settings.SESSION_COOKIE_AGE = 230  # 50 s more than the warning's three minutes
    give_session(page, live_server, inspector)
    key = page.context.cookies()[0]["value"]
    store = SessionStore(session_key=key)
    store[TOUCHED] = int(time.time()) - 55  # saved 55 s ago: this page does not save it again
    store.save()
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("alert").filter(has_text="分钟内超时")).to_be_visible()


def test_the_notice_says_when_the_session_has_ended(page: Page, live_server, inspector, settings):
    settings.SESSION_COOKIE_AGE = 2
    give_session(page, live_server, inspector)
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("alert").filter(has_text="登录已超时")).to_be_visible(timeout=12_000)
    expect(page.get_by_role("button", name="继续工作")).to_be_hidden()
