"""An import's way: upload (start), dry run (check: every row's outcome, nothing written),
confirm, write (apply: every row again, all in one transaction or nothing), or give up (cancel).

The dry run and the write run the same check on every row, so what the dry run lists is what
the write does; the write refuses the whole file when a row's outcome has become a refusal since
(somebody changed a record meanwhile). A file with a refused row cannot be confirmed: the user
corrects the file and imports it again. Re-importing a file that was imported finds every row
unchanged and writes nothing.

Progress is a small file beside the uploads (MEDIA_ROOT/imports/progress/<job>), readable by
the page while the worker's transaction is still open (nothing in the database is, before the
commit).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supervision.choices import ImportKind, ImportStatus, RowOutcome
from supervision.formats.punctuation import listed
from supervision.imports.columns import Checked, Kind, RowFailed, model_problems, plain
from supervision.imports.kinds import KINDS
from supervision.imports.reading import FileRefused, read_table
from supervision.models import ImportJob, ImportRow
from supervision.services._common import User

ROW_BATCH = 1000
PROGRESS_EVERY = 200
# .xls is taken to say that it must be saved as XLSX first.
EXTENSIONS = ("csv", "xlsx", "txt", "xls")


class ImportRefused(Exception):
    """The import cannot go on: the message says why, in the user's language."""


@dataclass
class Prepared:
    kind: Kind
    rows: list[tuple[int, dict, list[list[str]]]]
    ignored: list[str]


def may_import(user: User, kind: str) -> bool:
    return kind in KINDS and user.has_perms(["supervision.add_importjob", *KINDS[kind].permissions])


def progress_path(job: ImportJob) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "progress" / str(job.pk)


def write_progress(job: ImportJob, done: int, total: int) -> None:
    path = progress_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(f"{done} {total}")
    os.replace(temporary, path)


def read_progress(job: ImportJob) -> tuple[int, int]:
    """(rows done, rows in all) of a running job; (0, 0) before it starts."""
    try:
        done, total = progress_path(job).read_text().split()
        return int(done), int(total)
    except (OSError, ValueError):
        return 0, 0


def start(user: User, kind: str, upload: UploadedFile) -> ImportJob:
    """Keep the uploaded file and open its job (checked next by the worker: tasks.check_import).
    Refused (ImportRefused) for a user who may not import this kind or a file of another type."""
    if kind not in ImportKind.values:
        raise ImportRefused(_("请选择导入内容。"))
    if not may_import(user, kind):
        raise PermissionDenied
    name = os.path.basename(upload.name or "")[:200] or "import"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EXTENSIONS:
        raise ImportRefused(_("只能导入 CSV 或 XLSX 文件。"))
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
    if not size:
        raise ImportRefused(_("文件是空的。"))
    upload.seek(0)
    job = ImportJob(
        kind=kind,
        original_name=name,
        extension=extension,
        size=size,
        sha256=digest.hexdigest(),
        created_by=user,
        created_at=timezone.now(),
    )
    job.file.save(job.original_name, upload, save=False)
    job._history_user = user  # type: ignore[attr-defined]
    job.save()
    return job


def prepare(job: ImportJob, user: User) -> Prepared:
    """The job's file read and every row's cells converted (FileRefused when the file as a whole
    cannot be taken), with what the rows' keys name loaded."""
    with job.file.open("rb") as handle:
        data = handle.read()
    table = read_table(data, job.original_name)
    kind = KINDS[job.kind](user, _("导入文件 %(name)s") % {"name": job.original_name})
    by_name = {name: column for column in kind.columns for name in column.names()}
    index: dict[int, str] = {}
    ignored: list[str] = []
    for number, title in enumerate(table.header):
        column = by_name.get(plain(title))
        if column is None or column.name in index.values():
            if title:
                ignored.append(title[:60])
            continue
        index[number] = column.name
    missing = [column.label for column in kind.required() if column.name not in index.values()]
    if missing:
        raise FileRefused(
            _("缺少必需的列：%(columns)s（表头应在第一行）。") % {"columns": listed(missing)}
        )
    if not table.rows:
        raise FileRefused(_("文件只有表头，没有数据行。"))
    rows = []
    for number, cells in table.rows:
        named = {name: (cells[i] if i < len(cells) else "") for i, name in index.items()}
        values, problems = kind.values(named)
        if number in table.merged_rows:
            problems.append(["", _("含合并单元格，请取消合并并在每个单元格填写内容")])
        rows.append((number, values, problems))
    kind.prefetch(values for _number, values, problems in rows if not problems)
    return Prepared(kind, rows, ignored)


def outcomes(prepared: Prepared, job: ImportJob) -> Iterator[tuple[int, Checked]]:
    """Every row's outcome in file order; a key seen on an earlier row is refused."""
    seen: dict[str, int] = {}
    total = len(prepared.rows)
    write_progress(job, 0, total)
    for done, (number, values, problems) in enumerate(prepared.rows, start=1):
        if problems:
            checked = Checked(RowOutcome.REFUSED, problems=problems)
        else:
            checked = prepared.kind.check(values)
            if checked.key and checked.key in seen:
                checked = Checked(
                    RowOutcome.REFUSED,
                    checked.key,
                    checked.label,
                    problems=[["", _("与第 %(row)d 行重复") % {"row": seen[checked.key]}]],
                )
            elif checked.key:
                seen[checked.key] = number
        yield number, checked
        if done % PROGRESS_EVERY == 0 or done == total:
            write_progress(job, done, total)


def _finish(job: ImportJob, status: str, message: str = "", **counts: int) -> None:
    job.status = status
    job.message = message[:2000]
    job.finished_at = timezone.now() if status != ImportStatus.CHECKED else None
    for name, value in counts.items():
        setattr(job, name, value)
    job._history_user = job.confirmed_by or job.created_by  # type: ignore[attr-defined]
    job.save()


def check(job: ImportJob) -> None:
    """The dry run: every row's outcome kept as the job's ImportRows; nothing else written. A
    database error on the way leaves the job refused, with its rows removed, not running."""
    if job.status != ImportStatus.CHECKING:
        return
    job.rows.all().delete()
    try:
        _check(job)
    except FileRefused as exc:
        _finish(job, ImportStatus.UNREADABLE, str(exc))
    except DatabaseError:
        job.rows.all().delete()
        _finish(
            job, ImportStatus.UNREADABLE, _("检查时数据库出错，未写入任何数据，请稍后重新上传。")
        )
        raise


def _check(job: ImportJob) -> None:
    prepared = prepare(job, job.created_by)
    counts = dict.fromkeys(RowOutcome.values, 0)
    batch: list[ImportRow] = []
    for number, checked in outcomes(prepared, job):
        counts[checked.outcome] += 1
        batch.append(
            ImportRow(
                job=job,
                number=number,
                outcome=checked.outcome,
                key=checked.key[:80],
                label=checked.label[:200],
                changes=checked.changes,
                problems=checked.problems,
            )
        )
        if len(batch) >= ROW_BATCH:
            ImportRow.objects.bulk_create(batch)
            batch = []
    ImportRow.objects.bulk_create(batch)
    job.ignored_columns = prepared.ignored
    _finish(
        job,
        ImportStatus.CHECKED,
        rows_total=len(prepared.rows),
        rows_done=len(prepared.rows),
        **counts,
    )


def confirm(job: ImportJob, user: User) -> None:
    """The uploader's go-ahead for a checked job with no refused row (tasks.apply_import
    writes it next). Refused for anybody else, twice, or for a job that is not checked."""
    if job.created_by_id != user.pk:
        raise PermissionDenied
    if job.refused:
        raise ImportRefused(_("文件中有被拒绝的行：请修改文件后重新导入。"))
    if not (job.new or job.changed):
        raise ImportRefused(_("文件中没有需要写入的内容。"))
    moved = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKED).update(
        status=ImportStatus.IMPORTING, confirmed_by=user, confirmed_at=timezone.now()
    )
    if not moved:
        raise ImportRefused(_("该导入已确认或已放弃，请刷新页面。"))
    job.refresh_from_db()


def cancel(job: ImportJob, user: User) -> None:
    if job.created_by_id != user.pk:
        raise PermissionDenied
    moved = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKED).update(
        status=ImportStatus.ABANDONED, finished_at=timezone.now()
    )
    if not moved:
        raise ImportRefused(_("该导入已确认或已放弃，请刷新页面。"))
    job.refresh_from_db()


def _reasons(problems: list[list[str]]) -> str:
    return listed(": ".join(part for part in problem if part) for problem in problems)


def _write(kind: Kind, rows: list[tuple[int, Checked]]) -> None:
    if not rows:
        return
    try:
        kind.write_batch(rows)
    except RowFailed as failed:
        if failed.first == failed.last:
            where = _("第 %(row)d 行") % {"row": failed.first}
        else:
            where = _("第 %(first)d–%(last)d 行中") % {"first": failed.first, "last": failed.last}
        exc = failed.exc
        if isinstance(exc, ValidationError):
            why = _reasons(model_problems(exc, getattr(kind, "labels", {})))
        elif isinstance(exc, PermissionDenied):
            why = _("不在您负责的区县")
        else:
            why = _("与系统中已有的数据冲突（如编码重复）")
        raise _Stale(
            _("%(where)s：%(why)s。未写入任何数据。") % {"where": where, "why": why}
        ) from exc


class _Stale(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def apply(job: ImportJob) -> None:
    """Write a confirmed job: every row checked again and written, in one transaction; the first
    row that cannot be written undoes all (the job FAILED, with that row and why)."""
    if job.status != ImportStatus.IMPORTING:
        return
    user = job.confirmed_by or job.created_by
    counts = dict.fromkeys(RowOutcome.values, 0)
    try:
        with transaction.atomic():
            prepared = prepare(job, user)
            pending: list[tuple[int, Checked]] = []
            for number, checked in outcomes(prepared, job):
                if checked.outcome == RowOutcome.REFUSED:
                    raise _Stale(
                        _("第 %(row)d 行已不能导入（%(reasons)s）：可能有人在检查后修改了数据。")
                        % {"row": number, "reasons": _reasons(checked.problems)}
                    )
                counts[checked.outcome] += 1
                if checked.outcome in (RowOutcome.NEW, RowOutcome.CHANGED):
                    pending.append((number, checked))
                if len(pending) >= ROW_BATCH:
                    _write(prepared.kind, pending)
                    pending = []
            _write(prepared.kind, pending)
    except _Stale as exc:
        _finish(job, ImportStatus.FAILED, exc.message)
        return
    except FileRefused as exc:
        _finish(job, ImportStatus.FAILED, str(exc))
        return
    except DatabaseError:
        _finish(job, ImportStatus.FAILED, _("数据库出错，未写入任何数据，请稍后重试。"))
        raise
    _finish(job, ImportStatus.DONE, **counts)
