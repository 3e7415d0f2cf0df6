"""Exports of the facility list: exactly the filtered rows, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from supervision.choices import District, Grade
from tests.factories import CreditRatingFactory, FacilityFactory

HOSTILE = ['=HYPERLINK("http://evil.example","点我")', "+1", "-2", "@SUM(A1:A9)"]


def export(client, fmt: str, **params):
    response = client.get(reverse("facility-list"), {**params, "export": fmt})
    assert response.status_code == 200
    return response


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # Excel needs the BOM to read UTF-8 Chinese
    return list(csv.reader(io.StringIO(body[1:])))


def xlsx_sheet(response):
    return load_workbook(io.BytesIO(response.content)).active


@pytest.fixture
def listed(db):
    a = FacilityFactory(name="示例城关医院", district=District.CHENGGUAN, deposit=Decimal("1500.5"))
    b = FacilityFactory(name="示例达孜药店", pharmacy=True, district=District.DAGZE)
    CreditRatingFactory(facility=a, year=2024, grade=Grade.A)
    return a, b


def test_a_signed_out_visitor_cannot_export(client, listed):
    response = client.get(reverse("facility-list"), {"export": "csv"})
    assert response.status_code == 302


def test_a_user_without_a_role_cannot_export(client, outsider, listed):
    client.force_login(outsider)
    assert client.get(reverse("facility-list"), {"export": "xlsx"}).status_code == 403


def test_the_csv_has_chinese_headers_and_only_the_filtered_rows(client, auditor, listed):
    a, _ = listed
    client.force_login(auditor)
    response = export(client, "csv", district=District.CHENGGUAN)
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="facilities.csv"' in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header[:3] == ["名称", "机构类别", "经济类型"]
    assert [row[0] for row in rows] == ["示例城关医院"]
    row = dict(zip(header, rows[0], strict=True))
    assert row["统一社会信用代码"] == a.credit_code
    assert row["当前信用等级"] == "A" and row["评价年度"] == "2024"
    assert row["协议状态"] == "正常"
    assert row["医保保证金（元）"] == "1500.50"


def test_the_xlsx_has_only_the_filtered_rows(client, auditor, listed):
    client.force_login(auditor)
    response = export(client, "xlsx", kind="pharmacy")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = xlsx_sheet(response)
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "名称"
    assert [row[0] for row in values[1:]] == ["示例达孜药店"]


def test_an_export_follows_the_grade_filter_and_the_sort(client, auditor, listed):
    client.force_login(auditor)
    _, *rows = csv_rows(export(client, "csv", grade="A"))
    assert [row[0] for row in rows] == ["示例城关医院"]
    _, *rows = csv_rows(export(client, "csv", ordering="-name"))
    assert [row[0] for row in rows] == sorted([row[0] for row in rows], reverse=True)


def test_an_invalid_filter_exports_no_rows(client, auditor, listed):
    client.force_login(auditor)
    header, *rows = csv_rows(export(client, "csv", year="abc"))
    assert header[0] == "名称" and rows == []


@pytest.mark.parametrize("name", HOSTILE)
def test_a_formula_in_a_name_is_neutralised_in_csv(client, auditor, name):
    FacilityFactory(name=name)
    client.force_login(auditor)
    _, *rows = csv_rows(export(client, "csv"))
    assert [row[0] for row in rows] == ["'" + name]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_formula_in_a_name_is_neutralised_in_xlsx(client, auditor, name):
    FacilityFactory(name=name)
    client.force_login(auditor)
    cell = xlsx_sheet(export(client, "xlsx"))["A2"]
    assert cell.value == "'" + name
    assert cell.data_type == "s"  # text, not a formula ("f")


def test_text_with_control_characters_exports_to_xlsx_without_them(client, auditor):
    """Every control character a worksheet cannot hold (all lists export through one cell
    function): the file is made and the characters are left out, in CSV alike."""
    forbidden = "".join(chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32)] if c)
    FacilityFactory(name=f"示例{forbidden}医院", address="示例路\x071号")
    client.force_login(auditor)

    sheet = xlsx_sheet(export(client, "xlsx"))

    assert sheet["A2"].value == "示例医院"
    _, *rows = csv_rows(export(client, "csv"))
    assert rows[0][0] == "示例医院"


def test_money_stays_a_number_in_xlsx(client, auditor, listed):
    client.force_login(auditor)
    sheet = xlsx_sheet(export(client, "xlsx", district=District.CHENGGUAN))
    header = [cell.value for cell in sheet[1]]
    deposit = sheet.cell(row=2, column=header.index("医保保证金（元）") + 1)
    assert deposit.data_type == "n" and deposit.value == pytest.approx(1500.5)


def test_the_list_page_offers_both_exports_of_the_current_filter(client, auditor, listed):
    client.force_login(auditor)
    html = client.get(reverse("facility-list"), {"kind": "pharmacy"}).content.decode()
    assert 'href="?kind=pharmacy&amp;export=csv"' in html
    assert 'href="?kind=pharmacy&amp;export=xlsx"' in html
