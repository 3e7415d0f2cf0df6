"""Importing in the browser (issue 17, "Done when"): a supervisor uploads a 1,000-row XLSX with
errors, reads the refused rows with their column and reason, fixes the file, uploads it again and
confirms; the 1,000 facilities are written, each with its history."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from supervision.models import Facility
from supervision.roles import SUPERVISOR
from tests.factories import UserFactory, make_credit_code

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 1000
HEADER = [
    "名称",
    "统一社会信用代码",
    "机构类别",
    "经济类型",
    "所属区县",
    "医保定点编码",
    "医保保证金（元）",
]
BROKEN = {17: ("机构类别", "医馆"), 450: ("统一社会信用代码", "12345"), 999: ("名称", "")}


@pytest.fixture(autouse=True)
def _immediate_tasks(settings, page: Page) -> None:
    """The worker's jobs run in the request that queues them (no db_worker in the test)."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }
    page.set_default_timeout(60_000)


def workbook(broken: bool) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for n in range(ROWS):
        row = {
            "名称": f"示例导入诊所{n:04d}",
            "统一社会信用代码": make_credit_code(50_000 + n),
            "机构类别": "基层医疗机构/诊所" if n % 2 else "医院",
            "经济类型": "民营",
            "所属区县": "城关区",
            "医保定点编码": f"H540102{n:05d}",
            "医保保证金（元）": 20000,
        }
        if broken and n + 2 in BROKEN:
            column, value = BROKEN[n + 2]
            row[column] = value
        sheet.append([row[column] for column in HEADER])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sign_in_as(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def upload(page: Page, live_server, data: bytes) -> None:
    page.goto(f"{live_server.url}/imports/")
    page.get_by_label("导入内容").select_option(label="定点医药机构")
    page.get_by_label("文件").set_input_files(
        {
            "name": "机构名录.xlsx",
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": data,
        }
    )
    with page.expect_navigation():
        page.get_by_role("button", name="上传并检查").click()


def test_an_xlsx_with_errors_is_fixed_and_imported_again(page: Page, live_server):
    sign_in_as(page, live_server, UserFactory(username="import-lead", role=SUPERVISOR))

    upload(page, live_server, workbook(broken=True))
    expect(page.locator("[data-status]")).to_have_text("已检查，待确认")
    expect(page.locator(".import-counts")).to_contain_text(
        "共 1,000 行：新增 997，修改 0，无变化 0，拒绝 3"
    )
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    page.get_by_role("link", name="拒绝", exact=True).click()
    refused = page.locator("tr[data-outcome]")
    expect(refused).to_have_count(3)
    expect(refused.nth(0)).to_contain_text("机构类别")
    expect(refused.nth(1)).to_contain_text("统一社会信用代码")
    expect(refused.nth(2)).to_contain_text("不能为空")
    assert not Facility.objects.exists()

    upload(page, live_server, workbook(broken=False))
    expect(page.locator(".import-counts")).to_contain_text("新增 1,000，修改 0，无变化 0，拒绝 0")
    with page.expect_navigation():
        page.get_by_role("button", name="确认导入（新增 1,000，修改 0）").click()
    expect(page.locator("[data-status]")).to_have_text("已导入")
    assert Facility.objects.count() == ROWS
    assert Facility.history.filter(history_user__username="import-lead").count() == ROWS
