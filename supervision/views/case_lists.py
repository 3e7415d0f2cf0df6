"""The lists of cases (inspections, referrals, sanctions): RecordListView plus a filter bar.

The bar shows the filters named in filter_fields: choices as checkboxes, date ranges as two date
inputs. A filter by a related record (?facility=<pk>, ?inspection=<pk>, set by a link from that
record's page) is never a <select> of every record: it is kept as a hidden field and shown as a
chip with its name and a link that drops it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.db.models import Model
from django.utils.translation import gettext_lazy as _
from django_filters.fields import DateRangeField

from supervision.forms.fields import plain_id
from supervision.forms.widgets import CheckboxChoices
from supervision.views.base import RecordListView

YES_NO = [("true", _("是")), ("false", _("否"))]


@dataclass(frozen=True)
class Chip:
    label: str
    text: str
    clear_url: str


class CaseListView(RecordListView):
    filter_fields: ClassVar[list[str]] = []
    # Related-record filters shown as chips: parameter → model (looked up through the scope).
    chip_models: ClassVar[dict[str, type[Model]]] = {}

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        for name in self.filter_fields:
            field = filterset.form.fields[name]
            if isinstance(field, DateRangeField):
                for widget in field.widget.widgets:
                    widget.input_type = "date"
                    widget.attrs["placeholder"] = "YYYY-MM-DD"
            elif isinstance(field, forms.MultipleChoiceField):
                field.widget = CheckboxChoices(choices=field.choices)
            elif isinstance(field, forms.NullBooleanField):
                # "Unknown" reads as a value; an empty choice means "do not filter".
                field.widget = forms.Select(choices=[("", _("全部")), *YES_NO])
        return filterset

    def _shown(self, param: str) -> bool:
        return any(param == name or param.startswith(f"{name}_") for name in self.filter_fields)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = self.filterset.form
        query = self.request.GET
        skip = {self.page_kwarg, "export"}
        context["filter_shown"] = [form[name] for name in self.filter_fields]
        context["filter_kept"] = [
            (param, value)
            for param in query
            if param not in skip and not self._shown(param)
            for value in query.getlist(param)
        ]
        context["filter_active"] = any(self._shown(p) and any(query.getlist(p)) for p in query)
        context["filter_errors"] = [
            (form.fields[name].label if name in form.fields else "", error)
            for name, errors in form.errors.items()
            if name not in self.filter_fields
            for error in errors
        ]
        context["filter_chips"] = self.chips()
        context["export_query"] = context["querystring"]
        return context

    def chips(self) -> list[Chip]:
        query = self.request.GET
        chips = []
        for param, model in self.chip_models.items():
            pk = plain_id(query.get(param))
            if pk is None:
                continue
            record = self.scoped(model.objects.all()).filter(pk=pk).first()
            rest = query.copy()
            rest.pop(param, None)
            rest.pop(self.page_kwarg, None)
            rest.pop("export", None)
            chips.append(
                Chip(
                    label=str(model._meta.verbose_name),
                    text=str(record) if record is not None else f"#{pk}",
                    clear_url=f"?{rest.urlencode()}",
                )
            )
        return chips
