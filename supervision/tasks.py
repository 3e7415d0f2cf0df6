"""Background jobs (django-tasks), queued in the database and run by `python manage.py db_worker`.

The daily reminders (services.reminders.run_daily) run every day at settings.DAILY_RUN_AT, local
time. Each day's run is queued once: schedule_daily() writes ScheduledRun(job, day) first, whose
unique (job, day) lets one caller through however many workers or starts ask at once, and queues
the job in the same transaction. Each run queues the next day's before it starts its work, and
`python manage.py schedule_reminders` (run before the worker starts) queues today's and
tomorrow's if they are not queued yet, so the chain survives a run that failed or a worker that
was killed.

While no worker runs, the jobs wait in the table and run when one starts. A run that starts late
(the worker was down at 07:30, or for days) works on the day it runs: the items still open are
due or overdue then, so nothing is lost, and the e-mail of that day is sent once (the next
day's run, if it also waited, finds it claimed).

An hour after a run starts, a catch-up job of the same day sends what the run left: people it
did not reach (it died), e-mails that failed, claims that a dead worker left (see
services.digests for the e-mail's guarantee). It costs a few counts when there is nothing left.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import TaskContext, TaskResult, task
from django_tasks.base import Task

from supervision.imports import engine as imports
from supervision.models import ImportJob, ScheduledRun
from supervision.services import reminders

DAILY = "daily_reminders"
CATCH_UP = "reminders_catch_up"
# After a run starts, when its catch-up comes: past STALE_CLAIM, so that a claim the run's worker
# left when it died can be taken again.
CATCH_UP_AFTER = reminders.STALE_CLAIM + datetime.timedelta(minutes=5)


def run_at(day: datetime.date) -> datetime.datetime:
    """The moment of day's run: settings.DAILY_RUN_AT ("HH:MM"), local time (TIME_ZONE)."""
    try:
        at = datetime.time.fromisoformat(settings.DAILY_RUN_AT)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"SUPERVISION_DAILY_RUN_AT must be a time such as 07:30, not {settings.DAILY_RUN_AT!r}"
        ) from exc
    return timezone.make_aware(datetime.datetime.combine(day, at), timezone.get_default_timezone())


def _can_wait(job_task: Task) -> bool:
    """Whether the backend queues a job for later. The immediate one (DJANGO_TASKS_IMMEDIATE)
    would run it now, and each day's run would run the next day's without end."""
    return job_task.get_backend().supports_defer


def _schedule(
    job: str, day: datetime.date, job_task: Task, when: datetime.datetime
) -> TaskResult | None:
    """Queue job_task(day) to run at when (or as soon as a worker is free, if when has passed),
    once per (job, day): None when it was queued before, or cannot be queued for later."""
    if not _can_wait(job_task):
        return None
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(job=job, day=day)
            result: TaskResult = job_task.using(run_after=when).enqueue(day.isoformat())
            run.task_id = str(result.id)
            run.save(update_fields=["task_id"])
    except IntegrityError:
        return None  # queued already, by another worker or an earlier start
    return result


def schedule_daily(day: datetime.date) -> TaskResult | None:
    """Queue the daily reminders of day at DAILY_RUN_AT (at once if that has passed); None when
    day's run was queued before."""
    return _schedule(DAILY, day, daily_reminders, max(run_at(day), timezone.now()))


def _worker(context: TaskContext) -> str:
    ids = context.task_result.worker_ids
    return ids[-1] if ids else "worker"


@task(takes_context=True)
def daily_reminders(context: TaskContext, day_iso: str) -> dict:
    """The daily run (day_iso: the day it was queued for; it works on the day it runs)."""
    today = timezone.localdate()
    # First the next day's run and this one's catch-up: a run that dies still leaves both queued.
    schedule_daily(today + datetime.timedelta(days=1))
    _schedule(CATCH_UP, today, reminders_catch_up, timezone.now() + CATCH_UP_AFTER)
    return {"queued_for": day_iso, **reminders.run_daily(today, worker=_worker(context))}


@task(takes_context=True)
def reminders_catch_up(context: TaskContext, day_iso: str) -> dict:
    """Send what day's run left (see the module's docstring); nothing once the day is over (the
    next day's run tells of every item still open)."""
    day = datetime.date.fromisoformat(day_iso)
    if day != timezone.localdate():
        return {"day": day_iso, "skipped": "the day is over"}
    left = reminders.digests_left(day)
    summary = {"day": day_iso, "left": left.due_now}
    if left.due_now:
        summary.update(reminders.run_daily(day, worker=_worker(context)))
        left = reminders.digests_left(day)
    if left.wait_until is not None and _can_wait(reminders_catch_up):
        # A claim younger than the hour (a worker busy, or dead): look again once it is stale.
        reminders_catch_up.using(run_after=left.wait_until + datetime.timedelta(minutes=1)).enqueue(
            day_iso
        )
        summary["again_at"] = left.wait_until.isoformat()
    return summary


@task()
def check_import(job_id: int) -> dict:
    """The dry run of an uploaded import (supervision.imports.engine.check)."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    imports.check(job)
    return {"job": job_id, "status": job.status}


@task()
def apply_import(job_id: int) -> dict:
    """The write of a confirmed import, in one transaction (supervision.imports.engine.apply)."""
    job = ImportJob.objects.select_related("created_by", "confirmed_by").get(pk=job_id)
    imports.apply(job)
    return {"job": job_id, "status": job.status}


def queue_import_check(job: ImportJob) -> None:
    """Check the job once its upload is committed (at once with the immediate backend)."""
    transaction.on_commit(lambda: check_import.enqueue(job.pk))


def queue_import_apply(job: ImportJob) -> None:
    transaction.on_commit(lambda: apply_import.enqueue(job.pk))
