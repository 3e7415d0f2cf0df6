"""Recompute the overview's running totals from the ratings and inspections, and each facility's
current grade from its ratings: `rebuild_tallies`.

The database triggers keep them right on every write; this is for after something bypassed the
triggers (a restore of some tables only, a trigger disabled by hand) or to check them: it prints
how many rows changed. On PostgreSQL, writes to ratings, inspections and facilities wait while
it runs (a few seconds at a million facilities); reads do not.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from supervision import tallies
from supervision.models import GradeTally, InspectionTally


def snapshot() -> set[tuple]:
    grades = GradeTally.objects.filter(facilities__gt=0).values_list(
        "year", "grade", "district", "facilities"
    )
    months = InspectionTally.objects.exclude(inspections=0).values_list(
        "month", "kind", "district", "inspections", "amount_involved", "amount_recovered"
    )
    return {("grade", *row) for row in grades} | {("month", *row) for row in months}


class Command(BaseCommand):
    help = "Recompute the overview's totals (grades per year, inspections per month)."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            before = snapshot()
            wrong_grades = tallies.rebuild(connection)
            after = snapshot()
        changed = len(before ^ after)
        if options["verbosity"]:
            self.stdout.write(
                f"{len(after):,} totals; {changed:,} differed from the recomputed ones."
                if changed
                else f"{len(after):,} totals, all as the triggers kept them."
            )
            self.stdout.write(
                f"{wrong_grades:,} facilities' current grades differed from their ratings."
                if wrong_grades
                else "Every facility's current grade as its ratings give it."
            )
