"""A report as an XLSX workbook: a cover sheet, then one sheet per section.

Numbers are stored as numbers with Chinese number formats (#,##0"家", "¥"#,##0.00,
yyyy"年"m"月"d"日"); each table with a chart gets a native bar chart beside it. Every text cell
is neutralised the way the list exports are (supervision.exports.neutralise, a sibling layer:
a leading apostrophe for text a spreadsheet would run as a formula) and stripped of the
characters the file format cannot hold.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from supervision.formats.punctuation import labelled
from supervision.reports.content import (
    COUNT,
    DATE,
    DAYS,
    MONEY,
    MONTHS,
    PERCENT,
    TEXT,
    Report,
    Section,
    Table,
    period_label,
    period_text,
    plain,
)

FORMATS = {
    MONEY: '"¥"#,##0.00',
    PERCENT: "0.00%",
    MONTHS: '0"个月"',
    DAYS: '#,##0"天"',
    DATE: 'yyyy"年"m"月"d"日"',
}
# A cell starting with one of these is read as a formula by Excel, WPS and LibreOffice (the list
# exports' FORMULA_PREFIXES).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")
WRAP = Alignment(wrap_text=True, vertical="top")
# A chart's size (cm) and the rows it covers, so that the next table starts below it.
CHART_WIDTH, CHART_HEIGHT, CHART_ROWS = 16, 7.5, 16


def text_cell(value: object) -> str:
    """Text a spreadsheet shows as text: no formula (a leading apostrophe, as the list exports
    do), nothing the XML cannot hold."""
    text = plain(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def cell_value(value: object, kind: str) -> Any:
    if value is None:
        return None
    if kind == TEXT:
        return text_cell(value)
    return value


def number_format(kind: str, unit: str) -> str | None:
    if kind == COUNT:
        return f'#,##0"{unit}"' if unit else "#,##0"
    return FORMATS.get(kind)


def to_xlsx(report: Report) -> bytes:
    workbook = Workbook()
    cover = workbook.active
    cover.title = _("封面")
    _write_cover(cover, report)
    for section in report.sections:
        _write_section(workbook.create_sheet(section.sheet[:31]), section, report)
    workbook.properties.title = text_cell(report.title)
    workbook.properties.creator = text_cell(report.bureau)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_cover(sheet: Worksheet, report: Report) -> None:
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 90
    sheet["A1"] = text_cell(report.title)
    sheet["A1"].font = TITLE
    state = (
        _("报表期间已结束，数字按期间内的记录统计，以后补录的本期记录会改变它们。")
        if report.complete
        else _("报表期间尚未结束：数字截至制表时。")
    )
    lines = [
        (_("报表期间"), period_text(report)),
        (_("统计范围"), report.coverage),
        (_("制表单位"), report.bureau),
        (_("制表日期"), timezone.localtime(report.made_at).strftime("%Y-%m-%d %H:%M")),
        (_("制表人"), report.made_by),
        (_("说明"), state),
    ]
    row = 3
    for label, value in lines:
        sheet.cell(row, 1, text_cell(label)).font = BOLD
        sheet.cell(row, 2, text_cell(value)).alignment = WRAP
        row += 1
    row += 1
    sheet.cell(row, 1, text_cell(_("统计口径"))).font = BOLD
    for section in report.sections:
        sheet.cell(row, 2, text_cell(labelled(section.title, section.basis))).alignment = WRAP
        row += 1


def _write_section(sheet: Worksheet, section: Section, report: Report) -> None:
    sheet["A1"] = text_cell(section.title)
    sheet["A1"].font = TITLE
    sheet["A2"] = text_cell(f"{period_label(report.period)} · {report.coverage}")
    sheet["A3"] = text_cell(section.basis)
    sheet["A3"].alignment = WRAP
    widths: dict[int, int] = {}
    for table in section.tables:
        for index, column in enumerate(table.columns, start=1):
            widths[index] = max(widths.get(index, 0), column.width)
    span = max(widths) if widths else 1
    sheet.merge_cells(start_row=3, start_column=1, end_row=3, end_column=max(span, 6))
    sheet.row_dimensions[3].height = 48
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = width
    row = 5
    for table in section.tables:
        row = _write_table(sheet, table, row) + 2


def _write_table(sheet: Worksheet, table: Table, top: int) -> int:
    """Write table from row top; the row after it (and after its chart) is returned."""
    sheet.cell(top, 1, text_cell(table.title)).font = BOLD
    header = top + 1
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(header, index, text_cell(column.header))
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    row = header
    for values in table.rows:
        row += 1
        _write_row(sheet, table, row, values)
    last_data = row
    if table.total is not None:
        row += 1
        _write_row(sheet, table, row, table.total, bold=True)
    if not table.rows:
        row += 1
        sheet.cell(row, 1, text_cell(_("无")))
    if table.note:
        row += 1
        sheet.cell(row, 1, text_cell(table.note))
    if table.chart is not None and table.rows:
        chart = BarChart()
        chart.type = "bar"
        chart.style = 10
        chart.title = text_cell(table.chart.title)
        chart.legend = None
        chart.width, chart.height = CHART_WIDTH, CHART_HEIGHT
        chart.y_axis.majorGridlines = None
        chart.x_axis.scaling.orientation = "maxMin"  # the first row on top, as in the table
        value_column = table.chart.column + 1
        data = Reference(sheet, min_col=value_column, min_row=header, max_row=last_data)
        labels = Reference(sheet, min_col=1, min_row=header + 1, max_row=last_data)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(labels)
        chart.y_axis.number_format = (
            number_format(table.columns[table.chart.column].kind, "") or "General"
        )
        anchor = f"{get_column_letter(len(table.columns) + 2)}{top}"
        sheet.add_chart(chart, anchor)
        row = max(row, top + CHART_ROWS)
    return row


def _write_row(sheet: Worksheet, table: Table, row: int, values: list[Any], bold: bool = False):
    for index, (column, value) in enumerate(zip(table.columns, values, strict=True), start=1):
        cell = sheet.cell(row, index, cell_value(value, column.kind))
        fmt = number_format(column.kind, column.unit)
        if fmt and value is not None:
            cell.number_format = fmt
        if bold:
            cell.font = BOLD
