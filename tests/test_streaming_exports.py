"""CSV exports stream every row, a chunk at a time (no silent stop at 50,000); XLSX stops at
XLSX_MAX_ROWS and says so in the file and on the page; on_complete learns how many rows left."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from supervision import exports
from supervision.choices import Grade
from supervision.exports import Column, csv_response, records_of, xlsx_response
from supervision.models import Facility
from tests.factories import CreditRatingFactory, FacilityFactory

pytestmark = pytest.mark.django_db

NAMES = [Column("名称", lambda f: f.name)]


def body_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 3)


@pytest.fixture
def eleven(db):
    # Ties on the name: a chunk boundary inside a run of equal names must lose no row.
    names = ["示例甲", "示例甲", "示例甲", "示例甲", "示例乙", "示例乙", "示例丙"]
    names += ["示例丁", "示例戊", "示例戊", "示例己"]
    return [FacilityFactory(name=name) for name in names]


def test_a_csv_export_has_every_row_once_in_the_list_order_across_chunks(
    client, auditor, small_chunks, eleven
):
    client.force_login(auditor)
    response = client.get(reverse("facility-list"), {"export": "csv", "ordering": "-name"})
    rows = body_rows(response)[1:]
    expected = sorted(eleven, key=lambda f: (f.name, f.pk), reverse=True)
    assert [r[0] for r in rows] == [f.name for f in expected]
    assert len(rows) == 11


def test_a_csv_export_reads_its_rows_a_chunk_at_a_time(small_chunks, eleven):
    queryset = Facility.objects.order_by("name", "id")
    with CaptureQueriesContext(connection) as queries:
        stream = iter(csv_response(queryset, NAMES, "x").streaming_content)
        next(stream)  # the header leaves before any row is read
        first = len(queries)
        list(stream)
    assert first == 0
    assert len(queries) == 4  # 11 rows, 3 a query: 3 full chunks and a short one


def test_an_order_by_annotation_is_read_with_a_cursor_and_keeps_every_row(small_chunks, eleven):
    for facility, grade in zip(eleven, [Grade.D, Grade.A, Grade.C, Grade.B], strict=False):
        CreditRatingFactory(facility=facility, year=2024, grade=grade)
    queryset = Facility.objects.for_lists().order_by("current_grade", "id")
    got = [f.pk for f in records_of(queryset)]
    assert got == [f.pk for f in queryset]
    assert len(got) == 11


def test_a_csv_export_is_not_cut_at_the_old_limit(monkeypatch, eleven):
    monkeypatch.setattr(exports, "MAX_EXPORT_ROWS", 5)  # the 50,000 of before, made small
    rows = body_rows(csv_response(Facility.objects.all(), NAMES, "x"))
    assert len(rows) == 1 + 11


def test_on_complete_gets_the_number_of_rows_once_the_csv_is_sent(small_chunks, eleven):
    counted: list[int] = []
    response = csv_response(Facility.objects.all(), NAMES, "x", on_complete=counted.append)
    stream = iter(response.streaming_content)
    next(stream)
    assert counted == []  # not before the end
    list(stream)
    assert counted == [11]


def test_an_xlsx_stops_at_its_limit_and_says_so_in_the_file(monkeypatch, eleven):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 4)
    counted: list[int] = []
    response = xlsx_response(Facility.objects.all(), NAMES, "x", on_complete=counted.append)
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert len(values) == 1 + 4 + 1
    assert values[-1] == "XLSX最多4行，完整数据请导出CSV。"
    assert counted == [4]


def test_an_xlsx_within_its_limit_has_no_note(eleven):
    response = xlsx_response(Facility.objects.all(), NAMES, "x")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert len(values) == 12 and "XLSX" not in values[-1]


@pytest.mark.parametrize(
    "url", ["facility-list", "inspection-list", "referral-list", "sanction-list"]
)
def test_the_list_page_states_the_xlsx_limit(client, auditor, url):
    client.force_login(auditor)
    html = client.get(reverse(url)).content.decode()
    assert f"XLSX最多{exports.XLSX_MAX_ROWS:,}行，完整数据请导出CSV。" in html
