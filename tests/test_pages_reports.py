"""报表: the page that makes the report for the region — who may, what a wrong choice says, the
download and its record in the audit log."""

from __future__ import annotations

import datetime
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from supervision import pdf
from supervision.choices import AuditAction, District, Grade
from supervision.models import AuditEvent
from supervision.pdf import FontMissing
from tests.factories import CreditRatingFactory, UserDistrictFactory
from tests.test_reports import pdf_text

pytestmark = pytest.mark.django_db
fonts = pytest.mark.skipif(not pdf.fonts_available(), reason="no CJK font on this machine")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERSONA_STATUS = [
    ("supervisor", 200),
    ("auditor", 200),
    ("superuser", 200),
    ("inspector", 403),
    ("tip_desk", 403),
    ("evaluator", 403),
    ("outsider", 403),
]


def page(client, **params):
    return client.get(reverse("reports"), params)


@pytest.mark.parametrize(("persona", "status"), PERSONA_STATUS)
def test_each_persona_gets_the_expected_status_on_the_report_page(client, request, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert page(client).status_code == status


@pytest.mark.parametrize(("persona", "status"), PERSONA_STATUS)
def test_a_download_is_refused_to_whoever_may_not_make_reports(client, request, persona, status):
    client.force_login(request.getfixturevalue(persona))
    response = page(client, year="2024", month="", format="xlsx")
    assert response.status_code == status
    if status == 403:
        assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_a_signed_out_visitor_is_sent_to_sign_in(client):
    response = page(client, year="2024", format="xlsx")
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize(("persona", "shown"), [("supervisor", True), ("inspector", False)])
def test_the_navigation_offers_reports_to_who_may_make_them(client, request, persona, shown):
    client.force_login(request.getfixturevalue(persona))
    html = client.get(reverse("dashboard")).content.decode()
    assert (f'href="{reverse("reports")}"' in html) is shown


def test_the_form_offers_last_months_report_by_default(client, auditor):
    client.force_login(auditor)
    response = page(client)
    last = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    form = response.context["form"]
    assert form["year"].value() == str(last.year) and form["month"].value() == str(last.month)
    assert "下载报表" in response.content.decode()


def test_the_annual_xlsx_downloads_and_is_recorded_in_the_audit_log(client, supervisor):
    CreditRatingFactory(year=2024, grade=Grade.A)
    client.force_login(supervisor)
    response = page(client, year="2024", month="", format="xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == 'attachment; filename="report-2024.xlsx"'
    book = load_workbook(BytesIO(response.content))
    cover = {row[0].value: row[1].value for row in book["封面"].iter_rows(min_row=3)}
    assert cover["制表人"] == "supervisor"
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.user == supervisor and event.detail["list"] == "report-2024"
    assert event.detail["format"] == "xlsx"


@fonts
def test_a_months_pdf_downloads(client, auditor):
    client.force_login(auditor)
    response = page(client, year="2025", month="3", format="pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="report-2025-03.pdf"'
    assert PdfReader(BytesIO(response.content)).pages  # it opens
    assert "2025年3月（2025-03-01至2025-03-31）" in pdf_text(response.content)


def test_without_a_chinese_font_the_pdf_is_refused_with_a_message(client, auditor, monkeypatch):
    def no_font(report):
        raise FontMissing

    monkeypatch.setattr("supervision.views.reports.to_pdf", no_font)
    client.force_login(auditor)
    response = page(client, year="2024", month="", format="pdf")
    assert response.status_code == 400
    assert "服务器上没有中文字体" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"year": "2024", "month": "13", "format": "xlsx"}, "月份应为1至12的数字"),
        ({"year": "99999", "month": "", "format": "xlsx"}, "年度应为四位数字"),
        ({"year": "二〇二四", "month": "", "format": "xlsx"}, "年度应为四位数字"),
        ({"year": "abc", "month": "x", "format": "pdf"}, "年度应为四位数字"),
        ({"year": "2024", "month": "1", "format": "docx"}, "报表格式只能是XLSX或PDF"),
        ({"year": "2024", "month": "1"}, "请选择报表格式"),
        ({"year": "", "format": "xlsx"}, "请填写年度"),
        ({"year": "2024' OR 1=1 --", "format": "xlsx"}, "年度应为四位数字"),
        ({"year": "<script>", "format": "xlsx"}, "年度应为四位数字"),
        ({"year": "9" * 5000, "format": "xlsx"}, "年度应为四位数字"),
    ],
)
def test_a_wrong_choice_gets_a_chinese_message_and_no_file(client, auditor, params, message):
    client.force_login(auditor)
    response = page(client, **params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert message in html
    assert "<script>" not in html.split("<main", 1)[-1].split("</main>")[0]


def test_a_future_period_is_refused(client, auditor):
    client.force_login(auditor)
    today = timezone.localdate()
    next_year = page(client, year=str(today.year + 1), month="", format="xlsx")
    assert next_year.status_code == 400
    assert f"{today.year + 1}年尚未开始" in next_year.content.decode()
    if today.month < 12:
        next_month = page(client, year=str(today.year), month=str(today.month + 1), format="xlsx")
        assert f"{today.year}年{today.month + 1}月尚未开始" in next_month.content.decode()


def test_a_district_limited_user_is_told_the_report_covers_their_districts(client, auditor):
    UserDistrictFactory(user=auditor, district=District.DAGZE)
    client.force_login(auditor)
    html = page(client).content.decode()
    assert "您的账户限于以下区县：达孜区" in html
    response = page(client, year="2024", month="", format="xlsx")
    cover = {
        row[0].value: row[1].value
        for row in load_workbook(BytesIO(response.content))["封面"].iter_rows(min_row=3)
    }
    assert "仅限" in cover["统计范围"] and "达孜区" in cover["统计范围"]
