"""Give case numbers to the records that have none: `number_cases`.

Records created through the product are numbered as they are saved; this is for rows written
around it (the demo fixture, a bulk load, a restore of some tables), in the order of their date
within each year, after the numbers already given. Safe to run again: it numbers only what has
no number.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from supervision.services.case_numbers import number_unnumbered, numbered_models


class Command(BaseCommand):
    help = "Give case numbers to the records that have none (in date order within each year)."

    def handle(self, *args, **options) -> None:
        for model in numbered_models():
            count = number_unnumbered(model)
            if options["verbosity"]:
                self.stdout.write(f"{model._meta.verbose_name}: {count:,} numbered")
