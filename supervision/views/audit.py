"""The audit log (/audit/): every change of the case records, newest first, for those who may read
their history (auditors, supervisors, superusers; not inspectors).

One UNION ALL of the historical tables, filtered by user, date range, record type and action,
each part in the user's scope. A page reads its rows and no more: the count stops at the
paginator's cap (CappedCountPaginator), and on PostgreSQL each part is cut at that cap on its
history_date index before the union is sorted. The rows of a page (or of an export chunk) are
then described with views.history.describe: labels, and each changed field's old → new.

History is read here, never written: there is no page, admin action or endpoint that edits or
deletes it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import connection, models
from django.db.models import CharField, Value
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from supervision.exports import CHUNK, MAX_EXPORT_ROWS, Column, csv_response, xlsx_response
from supervision.forms.cases import date_field
from supervision.models import CreditRating, Facility, Inspection, Referral, Sanction
from supervision.pagination import COUNT_CAP, PAGES_AHEAD, CappedCountPaginator
from supervision.scoping import scoped_queryset, user_districts
from supervision.views.history import (
    TYPE_LABELS,
    Entry,
    can_view_history,
    changes_text,
    describe,
    predecessors,
)

# The records whose changes the log shows, and what their labels (str) need selected.
AUDITED: dict[type[models.Model], tuple[str, ...]] = {
    Facility: (),
    CreditRating: ("facility",),
    Inspection: ("facility",),
    Referral: ("inspection__facility",),
    Sanction: ("facility",),
}
_BY_NAME = {model._meta.model_name: model for model in AUDITED}
_COLUMNS = (
    "history_id",
    "history_date",
    "history_type",
    "history_user_id",
    "history_change_reason",
    "id",
    "record_type",
)
PER_PAGE = 50
EXPORT_FORMATS = ("csv", "xlsx")


def audited_models(user: Any) -> list[type[models.Model]]:
    """The record types whose history user may read."""
    return [model for model in AUDITED if can_view_history(user, model)]


def can_audit(user: Any) -> bool:
    """Whether user may open the audit log (the history of at least one record type)."""
    return bool(audited_models(user))


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class AuditFilterForm(forms.Form):
    """The log's filters; all optional (no filter: every change the user may see)."""

    user = forms.ModelChoiceField(
        label=_("用户"),
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        empty_label=_("全部"),
        error_messages={"invalid_choice": _("所选用户不存在。")},
    )
    since = date_field(_("起始日期"), required=False)
    until = date_field(_("截止日期"), required=False)
    record_type = forms.MultipleChoiceField(
        label=_("记录类型"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("所选项无效。")},
    )
    action = forms.MultipleChoiceField(
        label=_("操作"),
        required=False,
        choices=list(TYPE_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("所选项无效。")},
    )

    def __init__(self, *args: Any, models: list[type[models.Model]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["record_type"].choices = [
            (m._meta.model_name, m._meta.verbose_name) for m in models
        ]
        self.fields["user"].label_from_instance = lambda u: (
            f"{u.get_full_name()}（{u.get_username()}）" if u.get_full_name() else u.get_username()
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", _("截止日期不能早于起始日期。"))
        return cleaned


def audit_rows(
    user: Any, filters: dict[str, Any], limit: int | None = None
) -> models.QuerySet | None:
    """The changes user may see that pass filters, newest first: a UNION ALL of dicts with
    _COLUMNS. limit: how many rows will be read at most (lets PostgreSQL cut each part on its
    index before the union). None when no record type is left."""
    chosen = set(filters.get("record_type") or [])
    limited = user_districts(user) is not None
    parts = []
    for model in audited_models(user):
        if chosen and model._meta.model_name not in chosen:
            continue
        rows = model.history.model._default_manager.all()  # type: ignore[attr-defined]
        if limited:
            # The history of the records in the user's districts (supervision.scoping).
            rows = rows.filter(
                id__in=scoped_queryset(user, model._default_manager.all()).values("pk")
            )
        if filters.get("user") is not None:
            rows = rows.filter(history_user=filters["user"])
        if filters.get("since"):
            rows = rows.filter(history_date__gte=_day_start(filters["since"]))
        if filters.get("until"):
            next_day = filters["until"] + datetime.timedelta(days=1)
            rows = rows.filter(history_date__lt=_day_start(next_day))
        if filters.get("action"):
            rows = rows.filter(history_type__in=filters["action"])
        rows = rows.annotate(
            record_type=Value(model._meta.model_name, output_field=CharField())
        ).values(*_COLUMNS)
        parts.append(rows.order_by("-history_date", "-history_id"))
    if len(parts) <= 1:
        return parts[0] if parts else None
    if limit is not None and connection.features.supports_slicing_ordering_in_compound:
        # Each part read newest first on its index, no further than the page needs.
        parts = [part[:limit] for part in parts]
    else:
        parts = [part.order_by() for part in parts]
    return parts[0].union(*parts[1:], all=True).order_by("-history_date", "-history_id")


@dataclass
class AuditEntry:
    """One change in the log: the entry (who, when, what) and the record it concerns."""

    entry: Entry
    model: type[models.Model]
    record_id: Any
    record: models.Model | None  # None: deleted since
    row: models.Model  # the history row

    @property
    def record_type(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def label(self) -> str:
        """The record as it is, or, deleted since, as its history row last knew it."""
        if self.record is not None:
            return str(self.record)
        try:
            return str(self.row.instance)  # type: ignore[attr-defined]
        except models.ObjectDoesNotExist:  # what it named is gone too
            return f"#{self.record_id}"

    @property
    def url(self) -> str:
        return self.record.get_absolute_url() if self.record is not None else ""

    @property
    def changes_text(self) -> str:
        return changes_text(self.entry)


def describe_rows(rows: list[dict[str, Any]]) -> list[AuditEntry]:
    """Queries (a few per record type present): rows of audit_rows as AuditEntry, in order."""
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_type[row["record_type"]].append(row)
    found: dict[tuple[str, int], AuditEntry] = {}
    for name, typed in by_type.items():
        model = _BY_NAME[name]
        history_model = model.history.model  # type: ignore[attr-defined]
        history = list(
            history_model._default_manager.filter(
                history_id__in=[row["history_id"] for row in typed]
            ).select_related("history_user")
        )
        entries = describe(model, history, predecessors(history_model, history))
        records = (
            model._default_manager.select_related(*AUDITED[model])
            .filter(pk__in={row["id"] for row in typed})
            .in_bulk()
        )
        for row, entry in zip(history, entries, strict=True):
            found[(name, row.history_id)] = AuditEntry(
                entry, model, row.id, records.get(row.id), row
            )
    return [found[(row["record_type"], row["history_id"])] for row in rows]


def _in_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[AuditEntry]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield from describe_rows(chunk)
            chunk = []
    if chunk:
        yield from describe_rows(chunk)


def _username(user: Any) -> str:
    return user.get_username() if user is not None else ""


AUDIT_COLUMNS = [
    Column(_("时间"), lambda a: a.entry.when),
    Column(_("用户"), lambda a: _username(a.entry.user)),
    Column(_("姓名"), lambda a: a.entry.user.get_full_name() if a.entry.user else ""),
    Column(_("操作"), lambda a: a.entry.kind_label),
    Column(_("记录类型"), lambda a: a.record_type),
    Column(_("记录编号"), lambda a: a.record_id),
    Column(_("记录"), lambda a: a.label),
    Column(_("变更内容"), lambda a: a.changes_text),
    Column(_("原因"), lambda a: a.entry.reason),
]


class AuditView(LoginRequiredMixin, TemplateView):
    """The audit log: filters, a page of changes, CSV/XLSX export of what the filters select."""

    template_name = "audit/list.html"
    filter_fields = ["user", "since", "until", "record_type", "action"]

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
            rows = audit_rows(user, filters, MAX_EXPORT_ROWS) if filters is not None else None
            entries = _in_chunks(rows.iterator(chunk_size=CHUNK)) if rows is not None else []
            respond = csv_response if export == "csv" else xlsx_response
            return respond(entries, AUDIT_COLUMNS, "audit")
        try:
            number = max(int(request.GET.get("page", 1)), 1)
        except ValueError:
            number = 1
        cap = max(COUNT_CAP, (number + PAGES_AHEAD) * PER_PAGE)
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
            entries=describe_rows(list(page.object_list)),
            querystring=query.urlencode(),
            can_export=True,
        )
        return self.render_to_response(context)


urlpatterns = [path("", AuditView.as_view(), name="audit")]
