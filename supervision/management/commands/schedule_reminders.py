"""Queue today's and tomorrow's daily reminders: `schedule_reminders`.

Run before the task worker starts (`make run` and `make serve` do; in production the worker's
service runs it first, see the README). Idempotent: a day's run is queued once however often it
is called (supervision.tasks.schedule_daily). Today's run, when it was never queued and its time
(SUPERVISION_DAILY_RUN_AT) has passed, is queued to run at once.
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from supervision.tasks import daily_reminders, run_at, schedule_daily


class Command(BaseCommand):
    help = "Queue today's and tomorrow's daily reminders for the task worker (once each)."

    def handle(self, *args, **options) -> None:
        if not daily_reminders.get_backend().supports_defer:
            self.stdout.write(
                "Reminders: the task backend runs jobs at once (DJANGO_TASKS_IMMEDIATE); "
                "nothing is queued."
            )
            return
        today = timezone.localdate()
        for day in (today, today + datetime.timedelta(days=1)):
            result = schedule_daily(day)
            if result is None:
                self.stdout.write(f"Reminders of {day:%Y-%m-%d}: queued before.")
                continue
            when = max(run_at(day), timezone.now())
            self.stdout.write(
                f"Reminders of {day:%Y-%m-%d}: queued for "
                f"{timezone.localtime(when):%Y-%m-%d %H:%M} (task {result.id})."
            )
