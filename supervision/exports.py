"""CSV and XLSX exports of a filtered list, safe to open in a spreadsheet.

CSV is streamed whatever the size: the rows are read a chunk at a time, by keyset (the next
CHUNK rows after the last one sent, in the list's order, through its index) or, for an order
the database cannot seek by (an annotation such as the current grade), with a cursor; memory
stays flat and the first bytes leave at once. An XLSX file is a zip built whole, so it holds at
most XLSX_MAX_ROWS rows, and both the list page and the file say so.

Both take on_complete(rows): called with the number of rows written once the file is complete
(not when the client goes away before the end), e.g. to record who exported what.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from itertools import islice
from typing import Any

from django.db.models import F, QuerySet
from django.db.models.expressions import OrderBy
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from supervision.keyset import Key, after, nullable, value_of

# A cell starting with one of these is read as a formula by Excel, WPS and LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
# Rows read per query (and per prefetch of the related rows) while streaming.
CHUNK = 2_000
# An XLSX is built whole before it is sent: past this many rows it would outlast the server's
# 60-second timeout (an inspections XLSX of 50,000 rows took 59 s). CSV has no limit.
XLSX_MAX_ROWS = 10_000
# Kept for the callers that bound what they read themselves (the audit log).
MAX_EXPORT_ROWS = 50_000

OnComplete = Callable[[int], None]


@dataclass(frozen=True)
class Column:
    """One exported column: its header and how to read its value from a row."""

    header: str
    value: Callable[[Any], object]


def xlsx_limit_note() -> str:
    return gettext("XLSX最多%(n)s行，完整数据请导出CSV。") % {"n": f"{XLSX_MAX_ROWS:,}"}


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
    # Control characters a worksheet cannot hold (XML 1.0 forbids them) are left out; stored
    # text may carry them (pasted from elsewhere), and openpyxl would refuse the whole file.
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _keys(queryset: QuerySet) -> list[Any] | None:
    """The queryset's order as keyset keys (supervision.keyset.Key), the primary key last; None
    when it cannot be sought by index (an annotation, an expression, random) or a key can be
    empty: the keyset puts empty values first, where the list's own order (PostgreSQL's) puts
    them last ascending, and an export keeps the order of the list it came from."""
    query = queryset.query
    names = list(query.order_by) if query.order_by else list(queryset.model._meta.ordering)
    keys = []
    for name in names:
        if isinstance(name, OrderBy) and isinstance(name.expression, F):
            name = ("-" if name.descending else "") + name.expression.name
        if not isinstance(name, str) or name == "?":
            return None
        field = name.lstrip("-")
        if field in query.annotations:
            return None
        field = "pk" if field in ("id", queryset.model._meta.pk.name) else field
        if nullable(queryset, field):
            return None
        keys.append(Key(field, name.startswith("-"), False))
    if not any(key.name == "pk" for key in keys):
        keys.append(Key("pk", keys[0].descending if keys else False, False))
    return keys


def records_of(queryset: QuerySet, chunk: int | None = None) -> Iterator[Any]:
    """Every record of queryset in its order, CHUNK at a time: by keyset where the order allows
    (each chunk an index seek, no transaction held open), else with a cursor (iterator())."""
    chunk = chunk or CHUNK
    keys = _keys(queryset)
    if keys is None:
        yield from queryset.iterator(chunk_size=chunk)
        return
    ordered = queryset.order_by(*(key.order_expression() for key in keys))
    position: list[Any] | None = None
    while True:
        page = ordered.filter(after(keys, position)) if position is not None else ordered
        rows = list(page[:chunk])
        yield from rows
        if len(rows) < chunk:
            return
        position = [value_of(rows[-1], key.name) for key in keys]


def rows(
    records: QuerySet | Iterable[Any], columns: list[Column], limit: int | None = None
) -> Iterator[list[object]]:
    """The cells of the records (at most limit): a queryset's, read in chunks, or any
    iterable's (one that reads its rows in chunks itself, like the audit log)."""
    if isinstance(records, QuerySet):
        records = records_of(records)
    for obj in islice(records, limit):
        yield [_cell(column.value(obj)) for column in columns]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    queryset: QuerySet | Iterable[Any],
    columns: list[Column],
    filename: str,
    on_complete: OnComplete | None = None,
) -> StreamingHttpResponse:
    """A streamed UTF-8 CSV with a BOM, so Excel opens Chinese text correctly; every row."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow([str(column.header) for column in columns])
        count = 0
        batch: list[str] = []
        for row in rows(queryset, columns):
            batch.append(writer.writerow(row))
            count += 1
            if len(batch) == 200:  # fewer, larger writes to the socket
                yield "".join(batch)
                batch = []
        if batch:
            yield "".join(batch)
        if on_complete is not None:
            on_complete(count)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(
    queryset: QuerySet | Iterable[Any],
    columns: list[Column],
    filename: str,
    on_complete: OnComplete | None = None,
) -> HttpResponse:
    """An XLSX of the first XLSX_MAX_ROWS rows (a last row says so when there are more), built
    in openpyxl's write-only mode."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([str(column.header) for column in columns])
    count = 0
    for row in rows(queryset, columns, XLSX_MAX_ROWS + 1):
        if count == XLSX_MAX_ROWS:
            sheet.append([xlsx_limit_note()])
            break
        # openpyxl stores a str starting with "=" as a formula: neutralise() already prefixed it.
        sheet.append(row)
        count += 1
    buffer = BytesIO()  # at most XLSX_MAX_ROWS rows: a few MB
    workbook.save(buffer)
    if on_complete is not None:
        on_complete(count)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
