"""Expire the approved tip rewards that were not claimed in time: `expire_tip_rewards`.

An approved reward must be claimed by its claim_by date (TIP_REWARD_CLAIM_DAYS after approval);
one still unpaid the day after becomes expired (逾期未领取). Run it daily (cron, or the task
worker to come); `--date` runs it as of a given day, to catch up after an outage.
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supervision.services.tip_rewards import expire_rewards


def parse_day(value: str) -> datetime.date:
    """A day as YYYY-MM-DD, with a Chinese message for anything else."""
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("日期格式无效：%(value)s（应为 YYYY-MM-DD）。") % {"value": value[:40]}
        ) from None


class Command(BaseCommand):
    help = "Expire the approved tip rewards not claimed by their date (逾期未领取的举报奖励)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            help="Expire as of this day (YYYY-MM-DD; default today, in the bureau's time zone).",
        )

    def handle(self, *args, **options) -> None:
        today = parse_day(options["date"]) if options["date"] else timezone.localdate()
        count = expire_rewards(today)
        if options["verbosity"]:
            self.stdout.write(
                ngettext(
                    "截至%(day)s，%(count)d项举报奖励逾期未领取，已标记为逾期。",
                    "截至%(day)s，%(count)d项举报奖励逾期未领取，已标记为逾期。",
                    count,
                )
                % {"day": today.isoformat(), "count": count}
                if count
                else _("截至%(day)s，没有逾期未领取的举报奖励。") % {"day": today.isoformat()}
            )
