"""数据导入: upload a CSV or XLSX file, read its dry run row by row, confirm, follow the write.

A person sees and acts on their own imports only (a superuser on all); the rows are written by
the background worker (supervision.tasks), so the pages only read the job and its progress.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from supervision import tasks
from supervision.choices import ImportKind, ImportStatus, RowOutcome
from supervision.forms.imports import ImportForm
from supervision.imports import engine
from supervision.imports.kinds import KINDS
from supervision.models import ImportJob
from supervision.pagination import CappedCountPaginator, count_cap
from supervision.uploads import upload_too_large

ROWS_PER_PAGE = 50


def may_use_imports(user: Any) -> bool:
    return user.has_perm("supervision.add_importjob") and any(
        engine.may_import(user, kind) for kind in ImportKind.values
    )


def sees_every_import(user: Any) -> bool:
    """Auditors (and superusers) read every import; everybody else their own."""
    return user.is_superuser or user.has_perm("supervision.view_historicalimportjob")


def jobs_of(user: Any) -> QuerySet:
    jobs = ImportJob.objects.select_related("created_by")
    return jobs if sees_every_import(user) else jobs.filter(created_by=user)


class ImportAccess(LoginRequiredMixin):
    """Those who may import, and those who read imports (view_importjob)."""

    # An account's own imports (no district: jobs_of scopes them to their uploader).
    model = ImportJob

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not (
            may_use_imports(user) or user.has_perm("supervision.view_importjob")
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ImportListView(ImportAccess, FormView):
    """The upload form and the person's imports, newest first."""

    template_name = "imports/list.html"
    form_class = ImportForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        paginator = CappedCountPaginator(
            jobs_of(self.request.user), 20, cap=count_cap(self.request.GET.get("page", 1), 20)
        )
        context["page_obj"] = paginator.get_page(self.request.GET.get("page"))
        context["paginator"] = paginator
        context["may_upload"] = may_use_imports(self.request.user)
        context["every_import"] = sees_every_import(self.request.user)
        context["kinds"] = [
            (value, label, KINDS[value].columns)
            for value, label in ImportKind.choices
            if engine.may_import(self.request.user, value)
        ]
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_use_imports(request.user):
            raise PermissionDenied
        form = self.get_form()
        if upload_too_large(request):
            form.add_error("file", _("文件超过大小上限，请拆分后分批导入。"))
            return self.form_invalid(form)
        if not form.is_valid():
            return self.form_invalid(form)
        try:
            with transaction.atomic():
                job = engine.start(
                    request.user, form.cleaned_data["kind"], form.cleaned_data["file"]
                )
                tasks.queue_import_check(job)
        except engine.ImportRefused as exc:
            form.add_error("file", str(exc))
            return self.form_invalid(form)
        messages.success(request, _("文件已上传，正在逐行检查（不会写入任何数据）。"))
        return HttpResponseRedirect(job.get_absolute_url())


class ImportDetailView(ImportAccess, TemplateView):
    """One import: its state, progress while the worker runs, the dry run's rows by outcome."""

    template_name = "imports/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        job = get_object_or_404(jobs_of(self.request.user), pk=self.kwargs["pk"])
        outcome = self.request.GET.get("outcome", "")
        rows = job.rows.all()
        if outcome in RowOutcome.values:
            rows = rows.filter(outcome=outcome)
        else:
            outcome = ""
        paginator = CappedCountPaginator(
            rows, ROWS_PER_PAGE, cap=count_cap(self.request.GET.get("page", 1), ROWS_PER_PAGE)
        )
        done, total = engine.read_progress(job) if job.running else (job.rows_done, job.rows_total)
        context.update(
            job=job,
            outcome=outcome,
            outcomes=RowOutcome.choices,
            page_obj=paginator.get_page(self.request.GET.get("page")),
            paginator=paginator,
            querystring=f"outcome={outcome}" if outcome else "",
            done=done,
            total=total,
            percent=100 * done // total if total else 0,
            may_confirm=(
                job.status == ImportStatus.CHECKED
                and job.created_by_id == self.request.user.pk
                and not job.refused
                and bool(job.new or job.changed)
            ),
            may_cancel=job.status == ImportStatus.CHECKED
            and job.created_by_id == self.request.user.pk,
        )
        return context


class ImportActionView(ImportAccess, View):
    """确认导入 / 放弃 (POST only)."""

    http_method_names = ["post"]
    action = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = get_object_or_404(jobs_of(request.user), pk=pk)
        try:
            with transaction.atomic():
                if self.action == "confirm":
                    engine.confirm(job, request.user)
                    tasks.queue_import_apply(job)
                else:
                    engine.cancel(job, request.user)
        except engine.ImportRefused as exc:
            messages.warning(request, str(exc))
        else:
            messages.success(
                request,
                _("已确认，正在写入。")
                if self.action == "confirm"
                else _("已放弃该导入，未写入任何数据。"),
            )
        return HttpResponseRedirect(job.get_absolute_url())


class ImportTemplateView(ImportAccess, View):
    """The empty table of a kind, as XLSX: the header row in the product's column names."""

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        if kind not in KINDS or not engine.may_import(request.user, kind):
            raise Http404
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = str(ImportKind(kind).label)[:31]
        sheet.append([str(column.label) for column in KINDS[kind].columns])
        for number, column in enumerate(KINDS[kind].columns, start=1):
            sheet.cell(row=1, column=number).font = openpyxl.styles.Font(bold=column.required)
            sheet.column_dimensions[openpyxl.utils.get_column_letter(number)].width = 18
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="import-{kind}.xlsx"'
        return response


urlpatterns = [
    path("", ImportListView.as_view(), name="import-list"),
    path("<int:pk>/", ImportDetailView.as_view(), name="import-detail"),
    path("<int:pk>/confirm/", ImportActionView.as_view(action="confirm"), name="import-confirm"),
    path("<int:pk>/cancel/", ImportActionView.as_view(action="cancel"), name="import-cancel"),
    path("template/<str:kind>.xlsx", ImportTemplateView.as_view(), name="import-template"),
]
