"""Re-run a random-check plan's draw from its stored seed and pools and compare it with what is
stored: `verify_random_draw <plan id>`, or `--all-published` for every published plan (e.g. by an
auditor, or nightly). Prints the outcome per plan in Chinese; exits with 1 when a plan does not
verify or does not exist.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from supervision.choices import RandomCheckStatus
from supervision.models import RandomCheckPlan
from supervision.services.random_checks import verify


class Command(BaseCommand):
    help = "Verify random-check draws (双随机抽取核验) from their stored seed and pools."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("plan", nargs="?", help="The plan's id.")
        parser.add_argument(
            "--all-published", action="store_true", help="Verify every published plan."
        )

    def handle(self, *args, **options) -> None:
        text = str(options["plan"] or "").strip()
        if not text and not options["all_published"]:
            raise CommandError(_("请给出计划编号，或使用 --all-published。"))
        plans = []
        if text:
            if not (text.isascii() and text.isdigit()) or len(text) > 18:
                raise CommandError(_("计划编号无效：%(value)s。") % {"value": text[:40]})
            plan = RandomCheckPlan.objects.filter(pk=int(text)).first()
            if plan is None:
                raise CommandError(_("没有编号为%(pk)s的抽查计划。") % {"pk": text})
            plans.append(plan)
        if options["all_published"]:
            published = RandomCheckPlan.objects.filter(status=RandomCheckStatus.PUBLISHED)
            plans += [p for p in published.order_by("id") if p not in plans]
        failed = 0
        for plan in plans:
            check = verify(plan)
            if check.ok:
                self.stdout.write(
                    _(
                        "计划%(pk)s（%(name)s）核验通过：抽取范围%(pool)d家机构，%(n)d个对象，"
                        "结果摘要 %(digest)s。"
                    )
                    % {
                        "pk": plan.pk,
                        "name": plan.name,
                        "pool": check.pool_size,
                        "n": check.target_count,
                        "digest": check.result_digest,
                    }
                )
            else:
                failed += 1
                self.stdout.write(
                    _("计划%(pk)s（%(name)s）核验未通过：%(problems)s")
                    % {
                        "pk": plan.pk,
                        "name": plan.name,
                        "problems": "；".join(str(p) for p in check.problems),
                    }
                )
        if not plans:
            self.stdout.write(_("没有已公布的抽查计划。"))
        if failed:
            raise CommandError(
                _("%(failed)d个计划核验未通过（共核验%(total)d个）。")
                % {"failed": failed, "total": len(plans)}
            )
