"""The audit log (/audit/): its filters, a page of changes and events, and the CSV/XLSX export
of what the filters select, for those who may read the records' history (auditors, supervisors,
superusers; not inspectors). What it reads and how each row is described: supervision.audit.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from supervision.audit import (
    AUDIT_COLUMNS,
    action_choices,
    audit_rows,
    audited_models,
    can_audit,
    describe_rows,
    in_chunks,
)
from supervision.exports import CHUNK, MAX_EXPORT_ROWS, csv_response, xlsx_response
from supervision.formats.punctuation import bracketed
from supervision.forms.fields import MAX_ID, date_field
from supervision.pagination import CappedCountPaginator, count_cap
from supervision.services.audit_events import export_recorder

PER_PAGE = 50
EXPORT_FORMATS = ("csv", "xlsx")
# The dates the filters accept: wide enough for any record, narrow enough for any database.
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2100, 12, 31)


def _id_field(label: str, help_text: str, *, not_an_id: str, too_large: str) -> forms.Field:
    """An optional filter on a record's id: a positive integer the databases can hold."""
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text=help_text,
        error_messages={"invalid": not_an_id, "min_value": not_an_id, "max_value": too_large},
    )


def _choices_field(label: str, **kwargs: Any) -> forms.Field:
    """An optional filter that takes any of its choices, ticked in a list of boxes."""
    return forms.MultipleChoiceField(
        label=label,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("所选项无效。")},
        **kwargs,
    )


class AuditFilterForm(forms.Form):
    """The log's filters; all optional (no filter: everything the user may see)."""

    user = forms.ModelChoiceField(
        label=_("用户"),
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        empty_label=_("全部"),
        error_messages={"invalid_choice": _("所选用户不存在。")},
    )
    since = date_field(_("起始日期"), required=False)
    until = date_field(_("截止日期"), required=False)
    record_type = _choices_field(_("记录类型"))
    record_id = _id_field(
        _("记录编号"),
        _("与一种记录类型一起使用：该记录的全部变更和事件。"),
        not_an_id=_("记录编号须为正整数。"),
        too_large=_("记录编号过大。"),
    )
    facility = _id_field(
        _("机构编号"),
        _("该机构及其信用评价、检查、移送、处理措施和证据材料的全部记录。"),
        not_an_id=_("机构编号须为正整数。"),
        too_large=_("机构编号过大。"),
    )
    action = _choices_field(_("操作"), choices=action_choices)

    def __init__(self, *args: Any, models: list[type[models.Model]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["record_type"].choices = [
            (m._meta.model_name, m._meta.verbose_name) for m in models
        ]
        self.fields["user"].label_from_instance = lambda u: (
            bracketed(u.get_full_name(), u.get_username())
            if u.get_full_name()
            else u.get_username()
        )

    def _in_range(self, name: str) -> datetime.date | None:
        day = self.cleaned_data.get(name)
        if day is not None and not EARLIEST <= day <= LATEST:
            raise forms.ValidationError(
                _("日期须在%(earliest)s至%(latest)s之间。"),
                params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
                code="out_of_range",
            )
        return day

    def clean_since(self) -> datetime.date | None:
        return self._in_range("since")

    def clean_until(self) -> datetime.date | None:
        return self._in_range("until")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", _("截止日期不能早于起始日期。"))
        if cleaned.get("record_id") is not None and len(cleaned.get("record_type") or []) != 1:
            self.add_error("record_id", _("按记录编号筛选时，请只选择一种记录类型。"))
        return cleaned


class AuditView(LoginRequiredMixin, TemplateView):
    """The audit log: filters, a page of changes and events, CSV/XLSX export of what the filters
    select."""

    template_name = "audit/list.html"
    filter_fields = ["user", "since", "until", "record_type", "record_id", "facility", "action"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not can_audit(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        form = AuditFilterForm(request.GET, models=audited_models(user))
        filters = form.cleaned_data if form.is_valid() else None
        export = request.GET.get("export")
        if export in EXPORT_FORMATS:
            return self.export(export, filters)
        number = request.GET.get("page", 1)
        cap = count_cap(number, PER_PAGE)
        rows = audit_rows(user, filters, cap + 1) if filters is not None else None
        paginator = CappedCountPaginator(rows if rows is not None else [], PER_PAGE, cap=cap)
        page = paginator.get_page(number)
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("export", None)
        context = self.get_context_data(
            form=form,
            filter=SimpleNamespace(form=form),  # as includes/case_filters.html reads it
            filter_shown=[form[name] for name in self.filter_fields],
            filter_kept=[],
            filter_active=any(query.getlist(name) for name in self.filter_fields),
            filter_errors=[("", e) for e in form.non_field_errors()],
            paginator=paginator,
            page_obj=page,
            entries=describe_rows(list(page.object_list), self.request.user),
            querystring=query.urlencode(),
            can_export=True,
        )
        return self.render_to_response(context)

    def export(self, export: str, filters: dict[str, Any] | None) -> HttpResponse:
        user = self.request.user
        rows = audit_rows(user, filters, MAX_EXPORT_ROWS) if filters is not None else None
        entries = in_chunks(rows.iterator(chunk_size=CHUNK), user) if rows is not None else []
        respond = csv_response if export == "csv" else xlsx_response
        recorder = export_recorder(self.request, "audit", export)
        return respond(entries, AUDIT_COLUMNS, "audit", on_complete=recorder)


urlpatterns = [path("", AuditView.as_view(), name="audit")]
