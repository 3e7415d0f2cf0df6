"""A report as a PDF: the cover, then each section's tables and bar charts (drawn rectangles).

Drawn with supervision.pdf.ChinesePDF (the system's Noto CJK fonts; FontMissing when the server
has none). Text is written as plain text, never as markup (fpdf2's markdown and HTML are not
used), with the control and format characters dropped.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf.fonts import FontFace

from supervision.formats.punctuation import labelled
from supervision.pdf import ChinesePDF
from supervision.reports.content import (
    DATE,
    MONEY,
    TEXT,
    Column,
    Report,
    Section,
    Table,
    period_text,
    plain,
    shown,
)

# Bar chart geometry (mm): label column, bar height, gap, room for the value.
LABEL_WIDTH, BAR_HEIGHT, BAR_GAP, VALUE_WIDTH = 40, 5, 2.5, 30
BAR_COLOUR = (58, 110, 165)
HEADING = FontFace(family="sans", emphasis="BOLD", fill_color=(221, 227, 234))
TOTAL = FontFace(emphasis="BOLD")


def to_pdf(report: Report) -> bytes:
    pdf = ChinesePDF(plain(report.title))
    pdf.set_author(plain(report.bureau))
    _cover(pdf, report)
    for section in report.sections:
        _section(pdf, section, report)
    return pdf.to_bytes()


def _cover(pdf: ChinesePDF, report: Report) -> None:
    pdf.add_page()
    pdf.set_font("sans", "B", 20)
    pdf.multi_cell(0, 12, plain(report.title), align="C")
    pdf.ln(8)
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
    pdf.set_font("serif", "", 12)
    for label, value in lines:
        pdf.multi_cell(0, 8, plain(labelled(label, value)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("sans", "B", 14)
    pdf.cell(0, 10, _("统计口径"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("serif", "", 10)
    for section in report.sections:
        text = plain(labelled(section.title, section.basis))
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)


def _section(pdf: ChinesePDF, section: Section, report: Report) -> None:
    pdf.add_page()
    pdf.set_font("sans", "B", 16)
    pdf.multi_cell(0, 10, plain(section.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("serif", "", 9)
    pdf.multi_cell(
        0, 5, plain(f"{period_text(report)} · {report.coverage}"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.multi_cell(0, 5, plain(section.basis), new_x="LMARGIN", new_y="NEXT")
    for table in section.tables:
        _table(pdf, table)


def _table(pdf: ChinesePDF, table: Table) -> None:
    pdf.ln(4)
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.set_font("sans", "B", 11)
    pdf.multi_cell(0, 7, plain(table.title), new_x="LMARGIN", new_y="NEXT")
    size = 9 if len(table.columns) <= 6 else 7 if len(table.columns) <= 8 else 6.5
    pdf.set_font("serif", "", size)
    pdf.set_fill_color(255, 255, 255)  # the charts' colour is not the cells'

    if not table.rows:
        pdf.multi_cell(0, 6, _("无"), new_x="LMARGIN", new_y="NEXT")
    else:
        align = tuple("LEFT" if c.kind == TEXT else "RIGHT" for c in table.columns)
        with pdf.table(
            col_widths=tuple(pdf_width(c) for c in table.columns),
            text_align=align,
            headings_style=HEADING,
            line_height=size * 0.55,
            padding=1,
        ) as grid:
            heading = grid.row()
            for column in table.columns:
                heading.cell(plain(column.header))
            for values in table.rows:
                _row(grid, table, values)
            if table.total is not None:
                _row(grid, table, table.total, style=TOTAL)
    if table.note:
        pdf.set_font("serif", "", 8)
        pdf.multi_cell(0, 5, plain(table.note), new_x="LMARGIN", new_y="NEXT")
    if table.chart is not None and table.rows:
        _chart(pdf, table)


def pdf_width(column: Column) -> int:
    """A column's share of the page: a date or an amount on one line, long text wrapped."""
    if column.kind in (DATE, MONEY):
        return max(column.width, 16)
    if column.kind == TEXT:
        return min(column.width, 24)
    return column.width


def _row(grid: Any, table: Table, values: list[Any], style: FontFace | None = None) -> None:
    row = grid.row(style=style)
    for column, value in zip(table.columns, values, strict=True):
        row.cell(shown(value, column.kind))


def _chart(pdf: ChinesePDF, table: Table) -> None:
    """Horizontal bars of the chart's column, one per row, scaled to the largest."""
    assert table.chart is not None
    column = table.columns[table.chart.column]
    values = [_number(row[table.chart.column]) for row in table.rows]
    height = len(values) * (BAR_HEIGHT + BAR_GAP) + 12
    pdf.ln(3)
    if pdf.will_page_break(height):
        pdf.add_page()
    pdf.set_font("sans", "B", 9)
    pdf.multi_cell(0, 6, plain(table.chart.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("serif", "", 8)
    top = max(values, default=0) or 1
    left = pdf.l_margin
    span = pdf.epw - LABEL_WIDTH - VALUE_WIDTH
    y = pdf.get_y() + 1
    pdf.set_fill_color(*BAR_COLOUR)
    for row, value in zip(table.rows, values, strict=True):
        pdf.set_xy(left, y)
        pdf.cell(LABEL_WIDTH - 2, BAR_HEIGHT, plain(row[0])[:14], align="R")
        width = span * float(value) / float(top) if value > 0 else 0.0
        if width:
            pdf.rect(left + LABEL_WIDTH, y, max(width, 0.5), BAR_HEIGHT, style="F")
        pdf.set_xy(left + LABEL_WIDTH + width + 1.5, y)
        pdf.cell(VALUE_WIDTH, BAR_HEIGHT, shown(row[table.chart.column], column.kind))
        y += BAR_HEIGHT + BAR_GAP
    pdf.set_fill_color(255, 255, 255)
    pdf.set_xy(left, y + 2)


def _number(value: object) -> Decimal:
    if isinstance(value, int | Decimal):
        return Decimal(value)
    return Decimal("0")
