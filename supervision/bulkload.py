"""Loading many rows fast: the writers of generate_data (and of any other bulk load).

A writer takes rows as tuples of field values, in the order of `fields`, and writes them with
no per-row history (like an import, not staff edits): on PostgreSQL by COPY, with the tables'
secondary indexes and foreign keys set aside during the load and rebuilt (and checked) once at
the end (CopyWriter); elsewhere by bulk_create (BulkCreateWriter). Both write the same rows for
the same input. `writer_for()` picks the one for the database.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice

from django.db import connection, models
from django.utils import timezone

BATCH = 5000


def _batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class Progress:
    """A one-line progress bar on stderr, redrawn at each whole percent (or nothing when quiet)."""

    def __init__(self, label: str, total: int, quiet: bool) -> None:
        self.label, self.total, self.done, self.quiet = label, max(total, 1), 0, quiet
        self.shown = -1

    def advance(self, n: int) -> None:
        self.done += n
        percent = min(100, 100 * self.done // self.total)
        if self.quiet or percent == self.shown:
            return
        self.shown = percent
        width = 30
        filled = width * percent // 100
        sys.stderr.write(
            f"\r{self.label:<14} [{'#' * filled}{'.' * (width - filled)}] "
            f"{self.done:>10,}/{self.total:,}"
        )
        if percent == 100:
            sys.stderr.write("\n")
        sys.stderr.flush()


class BulkCreateWriter:
    """Any database: rows become model instances, saved with bulk_create in batches."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def reserve_ids(self, model: type[models.Model], count: int) -> int:
        """The first of `count` free primary keys, given explicitly to the rows."""
        last = model.objects.aggregate(last=models.Max("pk"))["last"] or 0
        return last + 1

    def write(
        self,
        model: type[models.Model],
        fields: Sequence[str],
        rows: Iterable[tuple],
        progress: Progress,
    ) -> None:
        for chunk in _batched(rows, BATCH):
            model.objects.bulk_create(
                [model(**dict(zip(fields, row, strict=True))) for row in chunk], batch_size=BATCH
            )
            progress.advance(len(chunk))

    @contextmanager
    def loading(self, models_: Sequence[type[models.Model]]) -> Iterator[None]:
        yield

    def finish(self, models_: Sequence[type[models.Model]]) -> None:
        pass


class CopyWriter:
    """PostgreSQL: COPY FROM STDIN, the fastest way in, with the load's indexes rebuilt once."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.now = timezone.now()

    def reserve_ids(self, model: type[models.Model], count: int) -> int:
        """Take `count` values of the table's id sequence in one step (the rows carry them)."""
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s)", [sequence])
            first = cursor.fetchone()[0]
            if count > 1:
                cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
        return first

    def _constant(self, field: models.Field):
        """The value of a column the rows leave out: its default (or now, for timestamps)."""
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = self.now
        else:
            value = field.get_default()
        return field.get_db_prep_save(value, connection)

    def write(
        self,
        model: type[models.Model],
        fields: Sequence[str],
        rows: Iterable[tuple],
        progress: Progress,
    ) -> None:
        opts = model._meta
        given = [opts.get_field(name) for name in fields]
        rest = [
            f
            for f in opts.concrete_fields
            if f.attname not in fields and f.name not in fields and f is not opts.pk
        ]
        columns = ", ".join(f'"{f.column}"' for f in [*given, *rest])
        constants = tuple(self._constant(f) for f in rest)
        sql = f'COPY "{opts.db_table}" ({columns}) FROM STDIN'
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            write_row = copy.write_row
            pending = 0
            for row in rows:
                write_row(row + constants)
                pending += 1
                if pending == BATCH:
                    progress.advance(pending)
                    pending = 0
            progress.advance(pending)

    @contextmanager
    def loading(self, models_: Sequence[type[models.Model]]) -> Iterator[None]:
        """Set the tables' secondary indexes and foreign keys aside while the rows go in.

        Maintaining a dozen indexes and checking two foreign keys row by row costs more than
        the COPY itself; built once afterwards they take seconds, and re-adding a foreign key
        checks every row in one join. The indexes behind constraints (primary keys, unique
        columns) stay; a unique index without a constraint is rebuilt, which checks it again.
        An index's statistics settings (see migration 0010) are put back with it. All of it is
        one transaction: an error leaves the database as it was.
        """
        tables = [m._meta.db_table for m in models_]
        with connection.cursor() as cursor:
            # Deferred checks of earlier rows would block the ALTER TABLEs: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute(
                """
                SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
                FROM pg_constraint c
                WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])
                ORDER BY c.conname
                """,
                [tables],
            )
            foreign_keys = cursor.fetchall()
            cursor.execute(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                ORDER BY 1
                """,
                [tables],
            )
            indexes = cursor.fetchall()
            cursor.execute(
                """
                SELECT a.attrelid::regclass::text, a.attnum, a.attstattarget
                FROM pg_attribute a JOIN pg_index i ON i.indexrelid = a.attrelid
                WHERE i.indrelid = ANY(%s::regclass[]) AND a.attstattarget >= 0
                """,
                [tables],
            )
            statistics = cursor.fetchall()
            for table, name, _definition in foreign_keys:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {name}")
        yield
        progress = Progress("indexes", len(indexes) + len(foreign_keys), self.quiet)
        with connection.cursor() as cursor:
            for _name, definition in indexes:
                cursor.execute(definition)
                progress.advance(1)
            for name, column, target in statistics:
                cursor.execute(f"ALTER INDEX {name} ALTER COLUMN {column} SET STATISTICS {target}")
            for table, name, definition in foreign_keys:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                progress.advance(1)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def finish(self, models_: Sequence[type[models.Model]]) -> None:
        """Fresh statistics for the planner; outside a transaction also the visibility map,
        which index-only scans (the capped counts) need."""
        tables = ", ".join(f'"{m._meta.db_table}"' for m in models_)
        with connection.cursor() as cursor:
            if connection.in_atomic_block:
                cursor.execute(f"ANALYZE {tables}")
            else:
                cursor.execute(f"VACUUM (ANALYZE) {tables}")


def writer_for(quiet: bool) -> BulkCreateWriter | CopyWriter:
    """The fastest writer the default database takes."""
    writer = CopyWriter if connection.vendor == "postgresql" else BulkCreateWriter
    return writer(quiet)
