"""A few generic bases for the staff pages: a concrete view is a handful of attributes.

Every queryset goes through supervision.scoping.scoped_queryset, every write through a service.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.forms import Form, ModelChoiceField
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, FormView
from django_filters.views import FilterView

from supervision.exports import Column, csv_response, xlsx_response
from supervision.models.base import StaleEdit
from supervision.pagination import COUNT_CAP, PAGES_AHEAD, CappedCountPaginator
from supervision.scoping import can_view, scoped_queryset, user_districts
from supervision.views.history import (
    HISTORY_LIMIT,
    History,
    can_view_history,
    conflict,
    history_entries,
)

EXPORT_FORMATS = ("csv", "xlsx")


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
        try:
            page = max(int(self.request.GET.get(self.page_kwarg, 1)), 1)
        except ValueError:
            page = 1
        cap = max(COUNT_CAP, (page + PAGES_AHEAD) * per_page)
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
            return respond(queryset, self.export_columns, self.export_name)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop(self.page_kwarg, None)
        query.pop("export", None)
        context["querystring"] = query.urlencode()
        context["can_export"] = bool(self.export_columns)
        return context


class RecordDetailView(StaffView, DetailView):
    """One record; a record outside the user's scope is a 404, never a leak.

    The context has `history` (see views.history) when the user may read the model's history,
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
    see views.history.conflict) with a link to reload the record.
    """

    object_model: ClassVar[type[Model] | None] = None
    service_error_fields: ClassVar[dict[str, str]] = {}

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
        return self._unless_refused(super().get, request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._unless_refused(super().post, request, *args, **kwargs)

    def form_valid(self, form: Form) -> HttpResponse:
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
        context = self.get_context_data(form=form, conflict=conflict(stale))
        return self.render_to_response(context, status=409)

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
