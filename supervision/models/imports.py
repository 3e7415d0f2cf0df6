"""Imports of facilities and ratings from CSV and XLSX files (supervision.imports): the job a user
follows from upload to the written rows, and the outcome of every row of its dry run."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from supervision.choices import ImportKind, ImportStatus, RowOutcome
from supervision.models.base import text_limit

NAME_LENGTH = 200
MESSAGE_LENGTH = 2000


def import_path(instance: ImportJob, filename: str) -> str:
    # The stored name is never the user's: the original name is kept on the row.
    return f"imports/{instance.created_at:%Y/%m}/{instance.sha256[:16]}.{instance.extension}"


class ImportJob(models.Model):
    """One uploaded table on its way in: checked row by row without writing anything (the dry
    run), confirmed by its uploader, then written in one transaction or not at all. The file is
    kept with its hash; the rows it wrote carry the job in the reason of their history."""

    district_path = None  # an account's own: read by its uploader (and auditors), not by district

    kind = models.CharField(_("导入内容"), max_length=16, choices=ImportKind.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.CHECKING
    )
    file = models.FileField(_("文件"), upload_to=import_path, max_length=100)
    original_name = models.CharField(_("文件名"), max_length=NAME_LENGTH)
    extension = models.CharField(_("格式"), max_length=8)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256 校验值"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("上传时间"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    rows_total = models.PositiveIntegerField(_("行数"), default=0)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    new = models.PositiveIntegerField(_("新增"), default=0)
    changed = models.PositiveIntegerField(_("修改"), default=0)
    unchanged = models.PositiveIntegerField(_("无变化"), default=0)
    refused = models.PositiveIntegerField(_("拒绝"), default=0)
    message = models.TextField(_("说明"), blank=True, default="", max_length=MESSAGE_LENGTH)
    ignored_columns = models.JSONField(_("未识别的列"), default=list, blank=True)

    history = HistoricalRecords(verbose_name=_("导入任务变更记录"), excluded_fields=["rows_done"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        indexes = [
            # A user's imports, newest first (the imports page).
            models.Index(fields=["created_by", "-created_at"], name="importjob_user_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ImportKind.values),
                name="importjob_kind_valid",
                violation_error_message=_("导入内容无效。"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values),
                name="importjob_status_valid",
                violation_error_message=_("导入状态无效。"),
            ),
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("rows_total")),
                name="importjob_progress_in_range",
                violation_error_message=_("已处理行数不能超过总行数。"),
            ),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True)
                | Q(status__in=[ImportStatus.IMPORTING, ImportStatus.DONE, ImportStatus.FAILED]),
                name="importjob_confirmed_when_importing",
                violation_error_message=_("只有确认后的导入才有确认时间。"),
            ),
            text_limit("importjob", "message", MESSAGE_LENGTH, _("说明")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"

    def get_absolute_url(self) -> str:
        return reverse("import-detail", args=[self.pk])

    @property
    def running(self) -> bool:
        return self.status in (ImportStatus.CHECKING, ImportStatus.IMPORTING)


class ImportRow(models.Model):
    """The outcome of one row of an import's dry run: new, changed (each field old → new),
    unchanged, or refused with the reasons (column and message). Rows are the job's report."""

    district_path = None  # read through its job

    job = models.ForeignKey(
        ImportJob, verbose_name=_("导入任务"), on_delete=models.CASCADE, related_name="rows"
    )
    number = models.PositiveIntegerField(_("行号"))
    outcome = models.CharField(_("结果"), max_length=16, choices=RowOutcome.choices)
    key = models.CharField(_("识别码"), max_length=80, blank=True, default="")
    label = models.CharField(_("名称"), max_length=NAME_LENGTH, blank=True, default="")
    # [[column, old, new], ...] for a changed row; [[column, message], ...] for a refused one.
    changes = models.JSONField(_("变更"), default=list, blank=True)
    problems = models.JSONField(_("问题"), default=list, blank=True)

    class Meta:
        ordering = ["job", "number"]
        verbose_name = _("导入行")
        verbose_name_plural = _("导入行")
        constraints = [
            models.UniqueConstraint(
                fields=["job", "number"],
                name="importrow_number_unique",
                violation_error_message=_("同一导入中行号不能重复。"),
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=RowOutcome.values),
                name="importrow_outcome_valid",
                violation_error_message=_("导入结果无效。"),
            ),
        ]
        indexes = [
            # A job's rows of one outcome in file order (the report's filter).
            models.Index(fields=["job", "outcome", "number"], name="importrow_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.number}"
