"""Finalise a year's credit evaluation to the end: `finalise_cycle --cycle ID [--on YYYY-MM-DD]`.

The final step (确定) writes every subject's grade in batches, one transaction each. A page's
request stops after CREDIT_FINALISE_SECONDS and the supervisor continues; for a national cycle of
a million subjects the IT department runs this command instead. Interrupted, it resumes where it
stopped, and a subject is never written twice. The acting user (--user) is recorded in history.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from supervision.management.commands.expire_tip_rewards import parse_day
from supervision.models import EvaluationCycle
from supervision.services.evaluation import finalise_cycle


class Command(BaseCommand):
    help = "Finalise a credit evaluation cycle, batch by batch (确定年度信用评价结果)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cycle", type=int, required=True, help="the cycle's id")
        parser.add_argument("--user", required=True, help="the supervisor recorded as acting")
        parser.add_argument("--on", help="the date of the final grades (YYYY-MM-DD; default today)")

    def handle(self, *args, **options) -> None:
        cycle = EvaluationCycle.objects.filter(pk=options["cycle"]).first()
        if cycle is None:
            raise CommandError(_("没有编号为%(id)s的年度信用评价。") % {"id": options["cycle"]})
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None or not user.has_perm("supervision.finalise_evaluationcycle"):
            raise CommandError(_("该用户不存在或无权确定年度信用评价结果。"))
        on = parse_day(options["on"]) if options["on"] else None
        try:
            done = finalise_cycle(cycle, user=user, on=on)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        cycle.refresh_from_db()
        self.stdout.write(
            _("%(cycle)s：本次确定%(n)s个评价对象，当前环节“%(status)s”。")
            % {"cycle": cycle, "n": done, "status": cycle.get_status_display()}
        )
