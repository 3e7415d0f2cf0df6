"""Giving case numbers (models.case_numbers): the next of a kind's series for the year of a
record's date, in the transaction that saves the record.

The counter row of (kind, year) is raised by one UPDATE, which locks it until the transaction
ends: a second creator of the same kind waits for the first to commit or roll back, then takes
the next number (PostgreSQL row lock; SQLite's write lock from BEGIN IMMEDIATE). A creation that
fails rolls its number back with it, so a series has no gaps and no number twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby, islice

from django.db import models, router, transaction
from django.db.models import F

from supervision.models import CaseNumberCounter, CaseNumberPattern
from supervision.models.case_numbers import DEFAULT_PATTERNS, Numbered, format_number


def pattern_of(kind: str) -> str:
    stored = CaseNumberPattern.objects.filter(kind=kind).values_list("pattern", flat=True).first()
    return stored or DEFAULT_PATTERNS[kind]


def next_sequence(kind: str, year: int, *, using: str, count: int = 1) -> int:
    """Raise the counter of (kind, year) by count and return it (the last number taken); the
    row stays locked until the caller's transaction ends. Call inside transaction.atomic()."""
    counters = CaseNumberCounter.objects.using(using)
    counters.bulk_create([CaseNumberCounter(kind=kind, year=year, last=0)], ignore_conflicts=True)
    counters.filter(kind=kind, year=year).update(last=F("last") + count)
    return counters.filter(kind=kind, year=year).values_list("last", flat=True).get()


def give_number(record: Numbered) -> None:
    """Set record's case number (not saved: the caller saves it in the same transaction)."""
    using = router.db_for_write(type(record), instance=record)
    if not transaction.get_connection(using).in_atomic_block:
        raise RuntimeError("give_number() must run in the transaction that saves the record")
    year = record.docket_date().year
    sequence = next_sequence(record.DOCKET_KIND, year, using=using)
    record.docket_year, record.docket_sequence = year, sequence
    record.docket = format_number(pattern_of(record.DOCKET_KIND), year, sequence)


NUMBER_FIELDS = ["docket_year", "docket_sequence", "docket"]


def _chunks(rows: Iterator[Numbered], size: int) -> Iterator[list[Numbered]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _number_in_order(
    model: type[Numbered], records: Iterator[Numbered], *, using: str, batch: int
) -> int:
    """Number records (in the order given: by date, then id), a block of a year's series at a
    time. Call inside transaction.atomic()."""
    pattern = pattern_of(model.DOCKET_KIND)
    numbered = 0
    for year, of_year in groupby(records, key=lambda record: record.docket_date().year):
        for chunk in _chunks(of_year, batch):
            last = next_sequence(model.DOCKET_KIND, year, using=using, count=len(chunk))
            for sequence, record in enumerate(chunk, start=last - len(chunk) + 1):
                record.docket_year, record.docket_sequence = year, sequence
                record.docket = format_number(pattern, year, sequence)
            model._base_manager.using(using).bulk_update(chunk, NUMBER_FIELDS)
            numbered += len(chunk)
    return numbered


def number_new(records: list[Numbered], *, batch: int = 2000) -> int:
    """Number records just created together (bulk_create: e.g. a random-check plan's
    inspections), in the order of their date then id; in the caller's transaction."""
    if not records:
        return 0
    model = type(records[0])
    using = router.db_for_write(model)
    ordered = sorted(records, key=lambda record: (record.docket_date(), record.pk))
    with transaction.atomic(using=using):
        return _number_in_order(model, iter(ordered), using=using, batch=batch)


def number_unnumbered(model: type[Numbered], *, batch: int = 2000) -> int:
    """Number the records of model that have no number (written around the services: a fixture,
    a bulk load), in the order of their date then id, after the numbers given already; one
    transaction. Returns how many were numbered."""
    using = router.db_for_write(model)
    with transaction.atomic(using=using):
        rows = (
            model._base_manager.using(using)
            .filter(docket__isnull=True)
            .order_by(model.DOCKET_DATE_FIELD, "pk")
            .only("pk", model.DOCKET_DATE_FIELD)
        )
        return _number_in_order(model, rows.iterator(), using=using, batch=batch)


def numbered_models() -> list[type[models.Model]]:
    from django.apps import apps

    return [m for m in apps.get_app_config("supervision").get_models() if issubclass(m, Numbered)]
