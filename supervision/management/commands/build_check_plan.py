"""Build a year's check plan (分级分类监管) from the grades of the year before: `build_check_plan
--year N`, for the IT department at the start of a year and again after grades change.

Adds the planned checks the measures ask for, removes open ones no grade asks for any more, and
links the plan to the on-site inspections already recorded that year. Safe to run again.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from supervision.services.check_plans import build_check_plan, match_planned_checks


class Command(BaseCommand):
    help = "Build the year's check plan from the grades of the year before (年度检查计划)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", required=True, help="The plan's year, e.g. 2025.")

    def handle(self, *args, **options) -> None:
        text = str(options["year"]).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 4:
            raise CommandError(
                _("年度格式无效：%(value)s（应为四位数字）。") % {"value": text[:40]}
            )
        year = int(text)
        try:
            added = build_check_plan(year=year, user=None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        linked = match_planned_checks(year=year)
        if options["verbosity"]:
            self.stdout.write(
                _("%(year)s年度检查计划：新增%(added)d次计划检查，关联已有检查%(linked)d次。")
                % {"year": year, "added": added, "linked": linked}
            )
