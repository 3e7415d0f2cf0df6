"""A few generic bases for the staff pages: a concrete view is a handful of attributes.

Every queryset goes through supervision.scoping.scoped_queryset, every write through a service.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.forms import Form, ModelChoiceField
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, FormView
from django_filters.views import FilterView

from supervision.exports import Column, csv_response, xlsx_limit_note, xlsx_response
from supervision.history import (
    HISTORY_LIMIT,
    History,
    can_view_history,
    conflict,
    history_entries,
)
from supervision.models.base import StaleEdit
from supervision.pagination import CappedCountPaginator, count_cap
from supervision.scoping import can_view, scoped_queryset, user_districts
from supervision.services.audit_events import export_recorder

EXPORT_FORMATS = ("csv", "xlsx")

# Work typed into a form while the session ran out: kept in the new (anonymous) session under the
# form's path, given back once, as a bound form to check, to the same user after signing in.
TYPED_WORK = "typed_work"
# A hidden field on every form: who opened it, signed (the expired session cannot say any more).
TYPED_BY = "typed_by"
_TYPED_BY_SALT = "supervision.typed-work"
TYPED_BY_MAX_AGE = 24 * 3600  # seconds: a form left open longer is not kept
TYPED_WORK_MAX_CHARS = 60_000  # of all fields together: several times the longest form
TYPED_WORK_MAX_FORMS = 3  # forms kept at once (several tabs); the oldest goes first
_NOT_KEPT = {"csrfmiddlewaretoken", TYPED_BY}


def keep_typed_work(request: HttpRequest) -> bool:
    """Keep an unauthenticated POST's fields (not its files) for the user who opened the form.

    False when it cannot be told whose they are (no valid typed_by) or they are too large.
    """
    try:
        owner = signing.loads(
            request.POST.get(TYPED_BY, ""), salt=_TYPED_BY_SALT, max_age=TYPED_BY_MAX_AGE
        )
    except signing.BadSignature:
        return False
    data = {k: v for k, v in request.POST.lists() if k not in _NOT_KEPT}
    if len(json.dumps(data, ensure_ascii=False)) > TYPED_WORK_MAX_CHARS:
        return False
    kept = dict(request.session.get(TYPED_WORK, {}))
    kept.pop(request.path, None)
    while len(kept) >= TYPED_WORK_MAX_FORMS:
        kept.pop(next(iter(kept)))
    kept[request.path] = {"owner": owner, "data": data, "files": bool(request.FILES)}
    request.session[TYPED_WORK] = kept
    return True


def take_typed_work(request: HttpRequest) -> dict[str, Any] | None:
    """The work kept for this path, removed from the session; None unless it is this user's."""
    kept = request.session.get(TYPED_WORK)
    if not kept or request.path not in kept:
        return None
    kept = dict(kept)
    work = kept.pop(request.path)
    if kept:
        request.session[TYPED_WORK] = kept
    else:
        del request.session[TYPED_WORK]
    if work.get("owner") != request.user.pk:
        return None  # someone else signed in on this browser: never shown, and gone
    data = QueryDict(mutable=True)
    for name, values in work["data"].items():
        data.setlist(name, values)
    return {"data": data, "files": work["files"]}


def add_service_errors(
    form: Form, error: ValidationError, rename: dict[str, str] | None = None
) -> None:
    """Put a service's refusal on the form: per field where the form has it, else on top.

    rename maps a service's field name to the form's (e.g. "rating" → "rating_year").
    """
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            field = (rename or {}).get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class StaffView(LoginRequiredMixin):
    """Signed-in staff only; the model's view permission is required to see anything."""

    model: ClassVar[type[Model]]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not can_view(request.user, self.model):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def scoped(self, queryset: QuerySet) -> QuerySet:
        return scoped_queryset(self.request.user, queryset)


class RecordListView(StaffView, FilterView):
    """A filtered, sorted, paginated list; CSV/XLSX export of exactly what the filter selects."""

    paginate_by = 50
    paginator_class = CappedCountPaginator
    export_columns: ClassVar[list[Column]] = []
    export_name: ClassVar[str] = "export"
    # Without a valid filter, show the error and no rows (never "everything").
    strict = True
    # A GET reads from the streaming replica when there is one (supervision.db_routers).
    replica_reads = True

    def get_queryset(self) -> QuerySet:
        return self.scoped(self.model.objects.for_lists())

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        # A filter by a related record (?facility=<pk>) only accepts records in the user's scope.
        for form_field in filterset.form.fields.values():
            if isinstance(form_field, ModelChoiceField):
                form_field.queryset = self.scoped(form_field.queryset)
        districts = user_districts(self.request.user)
        district = filterset.form.fields.get("district")
        if districts is not None and district is not None:
            # An account limited to some districts is offered those only.
            district.choices = [(v, label) for v, label in district.choices if v in districts]
        return filterset

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kw):
        cap = count_cap(self.request.GET.get(self.page_kwarg, 1), per_page)
        return self.paginator_class(queryset, per_page, orphans, allow_empty_first_page, cap=cap)

    def paginate_queryset(self, queryset, page_size):
        # An out-of-range or malformed page number shows the last/first page, not a 404.
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        export = request.GET.get("export")
        if export in EXPORT_FORMATS and self.export_columns:
            filterset = self.get_filterset(self.get_filterset_class())
            queryset = filterset.qs if filterset.is_valid() else self.get_queryset().none()
            respond = csv_response if export == "csv" else xlsx_response
            return respond(
                queryset,
                self.export_columns,
                self.export_name,
                on_complete=export_recorder(request, self.export_name, export),
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop(self.page_kwarg, None)
        query.pop("export", None)
        context["querystring"] = query.urlencode()
        context["can_export"] = bool(self.export_columns)
        context["xlsx_note"] = xlsx_limit_note()
        return context


class RecordDetailView(StaffView, DetailView):
    """One record; a record outside the user's scope is a 404, never a leak.

    The context has `history` (see history.py) when the user may read the model's history,
    else None.
    """

    history_limit: ClassVar[int] = HISTORY_LIMIT

    def get_queryset(self) -> QuerySet:
        return self.scoped(self.model.objects.all())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["history"] = (
            self.get_history() if can_view_history(self.request.user, self.model) else None
        )
        return context

    def get_history(self) -> History:
        """The record's changes shown on its page (a page may add related records')."""
        return history_entries(self.object, self.history_limit)


class ServiceFormView(StaffView, PermissionRequiredMixin, FormView):
    """A form whose valid data is handed to a service; the service's refusals become field errors.

    Subclasses set form_class, permission_required and implement perform(form) -> record.
    A form that acts on one record (/<pk>/complete/) sets object_model: get_object() loads it
    from the URL's pk through the user's scope (404 otherwise) and the context has it as
    `object`; refusal() may then say why the step cannot happen now (already completed, …),
    and the user is sent back to the record's page with that message instead of the form.
    service_error_fields renames a service's field to the form's.

    A save made on a version of the record that someone else has changed since (StaleEdit) is
    refused: the form comes back with the user's input and `conflict` (who changed what since,
    see history.conflict) with a link to reload the record.
    """

    object_model: ClassVar[type[Model] | None] = None
    service_error_fields: ClassVar[dict[str, str]] = {}
    # The form is given the acting user (user=), e.g. to offer only their districts.
    form_takes_user: ClassVar[bool] = False
    # The form edits the record of object_model (instance=) rather than acting on it.
    form_edits_object: ClassVar[bool] = False

    success_message: ClassVar[str] = _("已保存。")
    # Not raise_exception: AccessMixin then sends the anonymous to the login page, and a
    # signed-in user without the permission gets PermissionDenied (our 403 page).

    def perform(self, form: Form) -> Model:
        raise NotImplementedError

    def refusal(self) -> str | None:
        return None

    def _unless_refused(self, handler, request: HttpRequest, *args: Any, **kwargs: Any):
        reason = self.refusal()
        if reason:
            messages.warning(request, reason)
            target = self.get_object() if self.object_model is not None else None
            return HttpResponseRedirect(self.get_success_url(target))
        return handler(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.restored = take_typed_work(request)
        if self.restored is not None:
            messages.info(
                request,
                _("您登录超时前填写的内容已恢复，请核对后再提交（尚未保存）。"),
            )
            if self.restored["files"]:
                messages.warning(request, _("选择的文件无法保留，请重新选择文件。"))
        return self._unless_refused(super().get, request, *args, **kwargs)

    def handle_no_permission(self) -> HttpResponse:
        request = self.request
        if not request.user.is_authenticated and request.method == "POST":
            if keep_typed_work(request):
                messages.info(
                    request,
                    _("登录已超时，尚未保存。您填写的内容已暂存，重新登录后将回到该表单。"),
                )
            else:
                messages.warning(request, _("登录已超时，尚未保存。请重新登录后再填写。"))
        return super().handle_no_permission()

    def get_form(self, form_class: type[Form] | None = None) -> Form:
        form = super().get_form(form_class)
        if self.request.user.is_authenticated:
            form.fields[TYPED_BY] = forms.CharField(
                widget=forms.HiddenInput,
                required=False,
                initial=signing.dumps(self.request.user.pk, salt=_TYPED_BY_SALT),
            )
        return form

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._unless_refused(super().post, request, *args, **kwargs)

    def form_valid(self, form: Form) -> HttpResponse:
        form.cleaned_data.pop(TYPED_BY, None)  # not the record's
        try:
            record = self.perform(form)
        except StaleEdit as error:  # saved by someone else between the form's check and now
            form.stale = error
            form.add_error(None, error)
            return self.form_invalid(form)
        except ValidationError as error:
            add_service_errors(form, error, self.service_error_fields)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url(record))

    def form_invalid(self, form: Form) -> HttpResponse:
        stale = getattr(form, "stale", None)
        if stale is None:
            return super().form_invalid(form)
        # 409: the form is fine, the record moved on. The user's input stays on the page.
        context = self.get_context_data(form=form, conflict=conflict(stale, self.request.user))
        return self.render_to_response(context, status=409)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        if not kwargs.get("initial"):
            # FormView always passes initial= (an empty dict unless the view has its own),
            # which would hide the defaults a form sets itself (kwargs.setdefault("initial",
            # …)): the record's findings on the completion form, today on the referral form.
            kwargs.pop("initial", None)
        if self.form_takes_user:
            kwargs["user"] = self.request.user
        if self.form_edits_object:
            kwargs["instance"] = self.get_object()
        restored = getattr(self, "restored", None)
        if restored is not None and self.request.method == "GET":
            kwargs["data"] = restored["data"]  # bound: shown with its messages, not saved
        return kwargs

    def get_success_url(self, record: Model | None = None) -> str:  # type: ignore[override]
        return record.get_absolute_url() if record is not None else "/"

    def scoped_object(self, model: type[Model], pk: Any) -> Model:
        """A related record the form acts on, from the user's scope (404 otherwise)."""
        return get_object_or_404(scoped_queryset(self.request.user, model.objects.all()), pk=pk)

    def get_object(self) -> Model:
        """The record of object_model named by the URL's pk (loaded once)."""
        if not hasattr(self, "_object"):
            assert self.object_model is not None, "set object_model to act on one record"
            self._object = self.scoped_object(self.object_model, self.kwargs["pk"])
        return self._object

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        if self.object_model is not None:
            kwargs.setdefault("object", self.get_object())
        return super().get_context_data(**kwargs)
