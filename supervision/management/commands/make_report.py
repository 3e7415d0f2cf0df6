"""Make the report for the region (报表) of a month or a year into a file, for the scheduled
monthly run: `make_report --year 2025 [--month 3] --format xlsx|pdf --output FILE`.

Without --user the report covers the whole city, made by the system; with --user it is made as
that account (its districts; refused when the account may not make reports). The figures are the
page's (supervision.reports): a past period gives the same file contents whenever it is made.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from supervision.formats.values import who
from supervision.pdf import FontMissing
from supervision.reports import (
    PeriodError,
    Scope,
    build_report,
    may_make_reports,
    parse_period,
    period_label,
    to_pdf,
    to_xlsx,
)

FORMATS = ("xlsx", "pdf")


class Command(BaseCommand):
    help = "Make the monthly or annual report for the region as XLSX or PDF (报表)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", required=True, help="The year, e.g. 2025.")
        parser.add_argument("--month", default="", help="1-12; leave out for the annual report.")
        parser.add_argument("--format", required=True, help="xlsx or pdf.")
        parser.add_argument("--output", required=True, help="The file to write.")
        parser.add_argument(
            "--user", default="", help="Make it as this account (its districts); default: all."
        )

    def handle(self, *args, **options) -> None:
        choice = str(options["format"]).strip().lower()
        if choice not in FORMATS:
            raise CommandError(_("报表格式只能是XLSX或PDF。"))
        try:
            period = parse_period(options["year"], options["month"], today=timezone.localdate())
        except PeriodError as error:
            raise CommandError(error.message) from None
        scope, made_by = Scope(None), _("系统（定时任务）")
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None or not may_make_reports(user):
                raise CommandError(
                    _("账户%(name)s不存在或无权生成报表。") % {"name": options["user"][:150]}
                )
            scope, made_by = Scope(user), who(user)
        output = Path(options["output"])
        if not output.parent.is_dir():
            raise CommandError(_("输出目录不存在：%(path)s") % {"path": output.parent})
        report = build_report(scope, period, made_by=made_by)
        try:
            content = to_xlsx(report) if choice == "xlsx" else to_pdf(report)
        except FontMissing as missing:
            raise CommandError(str(missing)) from None
        output.write_bytes(content)
        if options["verbosity"]:
            self.stdout.write(
                _("%(period)s报表已写入%(path)s（%(size)d字节）。")
                % {"period": period_label(period), "path": output, "size": len(content)}
            )
