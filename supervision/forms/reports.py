"""The report page's choice (报表): a year, a month or the whole year, and the file format. The
period's rules are supervision.reports.parse_period's, shared with `manage.py make_report`."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supervision.reports import Period, PeriodError, parse_period

XLSX, PDF = "xlsx", "pdf"
FORMATS = [(XLSX, _("XLSX（电子表格，含图表）")), (PDF, _("PDF（打印、报送）"))]
WHOLE_YEAR = ""


def month_choices() -> list[tuple[str, str]]:
    """Made per form, in the request's language."""
    return [(WHOLE_YEAR, gettext("全年（年度报表）"))] + [
        (str(month), gettext("%(month)d月（月度报表）") % {"month": month})
        for month in range(1, 13)
    ]


class ReportForm(forms.Form):
    """Which report: year and month (empty: the annual report), and the file format."""

    year = forms.CharField(
        label=_("年度"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 6, "autocomplete": "off"}),
    )
    month = forms.CharField(label=_("月份"), required=False, widget=forms.Select)
    format = forms.ChoiceField(
        label=_("格式"),
        choices=FORMATS,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择报表格式。"),
            "invalid_choice": _("报表格式只能是XLSX或PDF。"),
        },
    )

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["month"].widget.choices = month_choices()
        self.period: Period | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            self.period = parse_period(data.get("year"), data.get("month"), today=self.today)
        except PeriodError as error:
            self.add_error(error.field, error.message)
        return data
