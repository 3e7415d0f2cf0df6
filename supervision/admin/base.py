"""Shared admin machinery: history, permissions, a paginator that does not count a million rows,
code search that uses the indexes, read-only inlines and links."""

from __future__ import annotations

import re

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django.db.models import Model, Q, TextField
from django.forms.models import BaseInlineFormSet
from django.http import Http404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from supervision.codes import CREDIT_CODE_LENGTH, INSURANCE_CODE_LENGTH
from supervision.forms.fields import MultilineField
from supervision.forms.versions import VersionedFormMixin
from supervision.history import conflict
from supervision.models.base import Versioned
from supervision.models.case_numbers import Numbered
from supervision.pagination import CappedCountPaginator, count_cap
from supervision.scoping import check_in_scope, scoped_queryset, user_districts
from supervision.search import docket_of


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
        docket = docket_of(search_term) if issubclass(queryset.model, Numbered) else None
        if docket is not None:  # a case number: the one record
            return queryset.filter(docket_year=docket[0], docket_sequence=docket[1]), False
        query = facility_code_query(search_term, self.facility_path)
        if query is not None:
            return queryset.filter(query), False
        return super().get_search_results(request, queryset, search_term)


def usable_keys(model_field, values, using: str | None) -> list[str]:
    """The values that can name a row through model_field's relation. Anything else (text for a
    numeric id, a number past the column's range) matches no row: asked as is, SQLite raises
    OverflowError and any database ValueError, a 500 for a typo in ?facility= or a POST."""
    target = model_field.remote_field.get_related_field()
    low, high = connections[using or "default"].ops.integer_field_range(target.get_internal_type())
    usable = []
    for value in values:
        try:
            python = target.to_python(value)
        except ValidationError:
            continue
        if isinstance(python, int) and (
            (low is not None and python < low) or (high is not None and python > high)
        ):
            continue
        usable.append(value)
    return usable


class UsableKeysMixin:
    """Shows a chosen row only for a value that can be a key (a bad one shows nothing selected
    and the form's own message says it is invalid)."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, usable_keys(self.field, value, self.db), attr)


class SafeAutocompleteSelect(UsableKeysMixin, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(UsableKeysMixin, AutocompleteSelectMultiple):
    pass


class ScopedAdminMixin:
    """Rows, choices and writes of an admin page go through supervision.scoping, as the staff
    pages and the API do: the changelist, the change/delete/history pages (a record outside the
    user's districts is a 404), the autocomplete answers (they ask the related model's admin),
    the related-record and district choices of the forms, and every save."""

    def get_queryset(self, request):
        return scoped_queryset(request.user, super().get_queryset(request))

    def history_view(self, request, object_id, extra_context=None):
        # An account that may not read this model is refused before the record is looked up
        # in its districts: a 403 as on the other pages, whether the record exists or not.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return self._scoped_relation_field(
            db_field, request, kwargs, SafeAutocompleteSelect, super().formfield_for_foreignkey
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return self._scoped_relation_field(
            db_field,
            request,
            kwargs,
            SafeAutocompleteSelectMultiple,
            super().formfield_for_manytomany,
        )

    def _scoped_relation_field(self, db_field, request, kwargs, autocomplete_widget, build):
        """A relation's form field: the safe autocomplete widget where the admin asks for one,
        and only the related rows the user may see."""
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = autocomplete_widget(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        field = build(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scoped_queryset(request.user, field.queryset)
        return field

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        field = super().formfield_for_choice_field(db_field, request, **kwargs)
        districts = user_districts(request.user)
        if districts is not None and getattr(self.model, "district_path", None) == db_field.name:
            field.choices = [(v, label) for v, label in field.choices if not v or v in districts]
        return field

    def save_model(self, request, obj, form, change):
        check_in_scope(request.user, obj)
        super().save_model(request, obj, form, change)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django sends an unknown id to the index with a message; a record outside the user's
        # districts must look exactly like one that does not exist, as on the pages: a 404.
        raise Http404

    def _in_scope_or_404(self, request, object_id) -> None:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied  # as for any record: whether this one exists is not told
        if user_districts(request.user) is None:
            return  # unlimited: the history of a deleted record stays readable
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404


class VersionedAdminForm(VersionedFormMixin):
    """The admin's change form of a Versioned record: a save on an older version than the
    stored one is refused with who changed what since (for a user who may read the history,
    else the current values), and a link that reloads the page.

    The admin validates the form inside the transaction of the save, so the version read in
    clean() stays locked until the save is done.
    """

    user = None  # the requesting user, set by BaseAdmin.get_form

    def clean(self):
        cleaned = super().clean()
        if self.stale is not None:
            found = conflict(self.stale, self.user)
            for line in found.lines():
                self.add_error(None, line)
            if found.more:
                self.add_error(None, _("还有更早的修改，见“历史”页面。"))
            self.add_error(
                None,
                format_html(
                    '{} <a href="">{}</a>',
                    _("您填写的内容仍在下方，尚未保存；可先复制，再"),
                    _("重新加载最新版本"),
                ),
            )
        return cleaned


class BaseAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """Every model with history: fast changelists, history pages under the history permissions."""

    show_full_result_count = False
    # Facet counts run one COUNT per filter option over the whole table: not at this scale.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    paginator = CappedCountPaginator
    # get_absolute_url points at the admin itself until the staff pages exist.
    view_on_site = False
    # A textarea's line breaks come back from the browser as CRLF: kept as LF (MultilineField),
    # so saving a record unchanged does not rewrite its text.
    formfield_overrides = {TextField: {"form_class": MultilineField}}

    # History pages need view_historical<model> (auditors and supervisors have it, inspectors
    # not), as supervision.roles intends.
    enforce_history_permissions = True

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        cap = count_cap(request.GET.get(PAGE_VAR, 1), per_page)
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, cap=cap)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if issubclass(self.model, Versioned):
            # The hidden version is rendered by templates/admin/supervision/change_form.html;
            # user decides what a refused save may tell (history.conflict).
            bases = (form,) if issubclass(form, VersionedAdminForm) else (VersionedAdminForm, form)
            form = type(form.__name__, bases, {"user": request.user})
        return form

    def history_view(self, request, object_id, extra_context=None):
        # simple_history falls back to the history rows when the record is not in get_queryset.
        self._in_scope_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting is disabled (SIMPLE_HISTORY_REVERT_DISABLED), but simple_history's view would
        # still save a POSTed form, without the change permission or the services. Read only.
        if request.method != "GET":
            raise PermissionDenied
        self._in_scope_or_404(request, object_id)
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

    def get_queryset(self, request):
        return scoped_queryset(request.user, super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        return list(self.fields)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
