"""CSV and XLSX exports of a filtered list, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from itertools import islice
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

# A cell starting with one of these is read as a formula by Excel, WPS and LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
# An export is a working list, not a database dump: past this, narrow the filter.
MAX_EXPORT_ROWS = 50_000
CHUNK = 2_000


@dataclass(frozen=True)
class Column:
    """One exported column: its header and how to read its value from a row."""

    header: str
    value: Callable[[Any], object]


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return value
    return neutralise(str(value))


def rows(records: QuerySet | Iterable[Any], columns: list[Column]) -> Iterator[list[object]]:
    """The cells of the first MAX_EXPORT_ROWS records: a queryset's, or any iterable's (one that
    reads its rows in chunks itself, like the audit log)."""
    if isinstance(records, QuerySet):
        # iterator() with a chunk size keeps memory flat and still honours prefetch_related.
        records = records[:MAX_EXPORT_ROWS].iterator(chunk_size=CHUNK)
    for obj in islice(records, MAX_EXPORT_ROWS):
        yield [_cell(column.value(obj)) for column in columns]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    queryset: QuerySet | Iterable[Any], columns: list[Column], filename: str
) -> StreamingHttpResponse:
    """A streamed UTF-8 CSV with a BOM, so Excel opens Chinese text correctly."""
    writer = csv.writer(_Echo())

    def lines() -> Iterable[str]:
        yield "\ufeff"
        yield writer.writerow([str(column.header) for column in columns])
        for row in rows(queryset, columns):
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(
    queryset: QuerySet | Iterable[Any], columns: list[Column], filename: str
) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([str(column.header) for column in columns])
    for row in rows(queryset, columns):
        # openpyxl stores a str starting with "=" as a formula: neutralise() already prefixed it.
        sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
