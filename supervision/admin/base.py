"""Shared admin machinery: history, permissions, a paginator that does not count a million rows,
code search that uses the indexes, read-only inlines and links."""

from __future__ import annotations

import re

from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from supervision.codes import CREDIT_CODE_LENGTH, INSURANCE_CODE_LENGTH
from supervision.pagination import COUNT_CAP, PAGES_AHEAD, CappedCountPaginator


def admin_change_url(obj: Model) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def admin_changelist_url(model: type[Model], **params: object) -> str:
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    if params:
        url += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return url


def link(obj: Model | None, text: object = None) -> str:
    """An HTML link to obj's admin change page ("—" when there is no object)."""
    if obj is None:
        return "—"
    return format_html('<a href="{}">{}</a>', admin_change_url(obj), obj if text is None else text)


_CODE_TERM = re.compile(r"[0-9A-Z]{2,18}")


def facility_code_query(term: str, prefix: str = "") -> Q | None:
    """A query on the facility's codes when term looks like one (else None).

    A whole code is matched with `=` (the unique indexes answer it), a partial one by prefix
    (index-backed on PostgreSQL with a pattern-ops index); never `UPPER(...) LIKE '%…%'`.
    """
    code = term.strip().upper()
    if not _CODE_TERM.fullmatch(code):
        return None
    if len(code) == CREDIT_CODE_LENGTH:
        return Q(**{f"{prefix}credit_code": code})
    if len(code) == INSURANCE_CODE_LENGTH and code[0] in "HP":
        return Q(**{f"{prefix}insurance_code": code})
    return Q(**{f"{prefix}credit_code__startswith": code}) | Q(
        **{f"{prefix}insurance_code__startswith": code}
    )


class FacilityCodeSearchMixin:
    """Search: a code-looking term goes to the code indexes; anything else to search_fields."""

    facility_path = ""  # how to reach the facility from this model, e.g. "facility__"

    def get_search_results(self, request, queryset, search_term):
        query = facility_code_query(search_term, self.facility_path)
        if query is not None:
            return queryset.filter(query), False
        return super().get_search_results(request, queryset, search_term)


class BaseAdmin(SimpleHistoryAdmin):
    """Every model with history: fast changelists, history pages under the history permissions."""

    show_full_result_count = False
    # Facet counts run one COUNT per filter option over the whole table: not at this scale.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    paginator = CappedCountPaginator
    # get_absolute_url points at the admin itself until the staff pages exist.
    view_on_site = False

    # History pages need view_historical<model> (auditors and supervisors have it, inspectors
    # not), as supervision.roles intends.
    enforce_history_permissions = True

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        try:
            page = max(int(request.GET.get(PAGE_VAR, 1)), 1)
        except ValueError:
            page = 1
        cap = max(COUNT_CAP, (page + PAGES_AHEAD) * per_page)
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, cap=cap)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting is disabled (SIMPLE_HISTORY_REVERT_DISABLED), but simple_history's view would
        # still save a POSTed form, without the change permission or the services. Read only.
        if request.method != "GET":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class CaseRecordAdmin(BaseAdmin):
    """Case records are evidence: nobody deletes them in the admin, not even a superuser."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if not change and hasattr(obj, "created_by_id") and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class LatestOnlyFormSet(BaseInlineFormSet):
    """An inline formset showing only the newest `limit` rows (a facility may have hundreds)."""

    limit = 20

    def get_queryset(self):
        if not hasattr(self, "_latest"):
            self._latest = super().get_queryset()[: self.limit]
        return self._latest


class ReadOnlyInline(admin.TabularInline):
    """A read-only list of related records, each linking to its own page."""

    extra = 0
    can_delete = False
    show_change_link = True
    view_on_site = False
    formset = LatestOnlyFormSet

    def get_readonly_fields(self, request, obj=None):
        return list(self.fields)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
