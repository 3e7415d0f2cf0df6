"""Reading an uploaded table: CSV (UTF-8, with or without BOM, or GBK/GB18030 as Excel saves it in
China) or XLSX, into rows of text cells with their row numbers.

A file this cannot read is refused as a whole with FileRefused and a message in Chinese: not a
table, an encrypted or broken workbook, more than MAX_ROWS rows or MAX_COLUMNS columns, a sheet
whose XML expands past MAX_EXPANDED bytes (a zip bomb). A cell is given as text, stripped: a
number as its shortest text (12.0 -> "12"), a date cell as YYYY-MM-DD, control characters
left out. Formulas are not
evaluated: a formula cell becomes a Formula, which the row's check refuses. Merged cells are
reported per row (merged_rows), since only their first cell holds a value.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

MAX_ROWS = 200_000
MAX_COLUMNS = 60
MAX_CELL = 2_000
MAX_EXPANDED = 400 * 1024 * 1024
# Workbooks up to this size are opened whole, which shows their merged cells; larger ones are
# streamed (read-only mode holds one row at a time but knows nothing of merges).
WHOLE_WORKBOOK_BYTES = 8 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"


class FileRefused(Exception):
    """The file cannot be read as a table: the message says why, in the user's language."""


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula (never evaluated)."""

    text: str

    def __str__(self) -> str:
        return self.text


Cell = str | Formula


@dataclass
class Table:
    """The header (stripped texts) and the rows after it: (row number in the file, cells)."""

    header: list[str]
    rows: list[tuple[int, list[Cell]]]
    merged_rows: set[int] = field(default_factory=set)


def cell_text(value: object) -> Cell:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, str) and value.startswith("=") and len(value) > 1:
        return Formula(value)
    # Control characters (NUL among them, which PostgreSQL's text cannot hold) are left out.
    return ILLEGAL_CHARACTERS_RE.sub("", str(value)).strip()


def decode(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (a BOM is dropped), else GB18030 (a superset of GBK and
    GB2312, what Excel writes on Chinese Windows)."""
    if b"\x00" in data[:4096]:
        raise FileRefused(_("文件不是文本表格（CSV），也不是 Excel 工作簿（XLSX）。"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(_("无法识别文件的文字编码：请另存为 UTF-8 或 GBK 编码的 CSV，或 XLSX。"))


def _limited(rows: Iterator[tuple[int, list[Cell]]]) -> Iterator[tuple[int, list[Cell]]]:
    for number, cells in rows:
        if number > MAX_ROWS + 1:
            raise FileRefused(
                _("文件超过 %(limit)s 行，请拆分后分批导入。") % {"limit": f"{MAX_ROWS:,}"}
            )
        if len(cells) > MAX_COLUMNS:
            cells = cells[:MAX_COLUMNS] if not any(str(c) for c in cells[MAX_COLUMNS:]) else cells
            if len(cells) > MAX_COLUMNS:
                raise FileRefused(
                    _("第 %(row)d 行超过 %(limit)d 列，不像是本系统的导入模板。")
                    % {"row": number, "limit": MAX_COLUMNS}
                )
        yield number, cells


def _csv_rows(text: str) -> Iterator[tuple[int, list[Cell]]]:
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for number, row in enumerate(reader, start=1):
            yield number, [cell_text(value) for value in row]
    except csv.Error as exc:
        raise FileRefused(
            _("CSV 文件格式有误（第 %(row)d 行附近）。") % {"row": reader.line_num}
        ) from exc


def _check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise FileRefused(
            _("Excel 文件已损坏或不是 XLSX 格式（旧版 XLS 请另存为 XLSX）。")
        ) from exc
    with archive:
        names = archive.namelist()
        if "EncryptionInfo" in names or "xl/workbook.xml" not in names:
            raise FileRefused(_("Excel 文件已加密或不是 XLSX 工作簿：请取消密码后另存为 XLSX。"))
        if sum(info.file_size for info in archive.infolist()) > MAX_EXPANDED:
            raise FileRefused(_("Excel 文件解压后过大，请拆分后分批导入。"))


def _xlsx_table(data: bytes) -> tuple[Iterator[tuple[int, list[Cell]]], set[int]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    _check_zip(data)
    whole = len(data) <= WHOLE_WORKBOOK_BYTES
    try:
        book = openpyxl.load_workbook(
            io.BytesIO(data), read_only=not whole, data_only=False, keep_links=False
        )
    except (InvalidFileException, KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
        raise FileRefused(
            _("无法读取该 Excel 文件：请用 Excel 或 WPS 另存为 XLSX 后重试。")
        ) from exc
    sheet = book.worksheets[0] if book.worksheets else None
    if sheet is None:
        raise FileRefused(_("Excel 文件中没有工作表。"))
    merged: set[int] = set()
    if whole:
        for cells in sheet.merged_cells.ranges:
            merged.update(range(cells.min_row, cells.max_row + 1))
    if (sheet.max_row or 0) > MAX_ROWS + 1:
        raise FileRefused(
            _("文件超过 %(limit)s 行，请拆分后分批导入。") % {"limit": f"{MAX_ROWS:,}"}
        )

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [cell_text(value) for value in values]
        finally:
            book.close()

    return rows(), merged


def read_table(data: bytes, name: str) -> Table:
    """The table in the file's bytes (name: its original name, for the format when the bytes do
    not tell). The header is the first row with any text; rows with no text are left out."""
    if not data:
        raise FileRefused(_("文件是空的。"))
    if data.startswith(XLSX_MAGIC):
        source, merged = _xlsx_table(data)
    elif name.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise FileRefused(_("Excel 文件已损坏或不是 XLSX 格式（旧版 XLS 请另存为 XLSX）。"))
    else:
        source, merged = _csv_rows(decode(data)), set()
    header: list[str] | None = None
    rows: list[tuple[int, list[Cell]]] = []
    for number, cells in _limited(source):
        if not any(str(cell) for cell in cells):
            continue
        if header is None:
            header = [str(cell).strip() for cell in cells]
            continue
        rows.append((number, cells))
    if header is None:
        raise FileRefused(_("文件中没有内容。"))
    return Table(header=header, rows=rows, merged_rows=merged)
