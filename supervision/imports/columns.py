"""What an import reads and how a row is checked: columns named by the fields' Chinese names (the
export's headers; English field names and the names without the unit in brackets are taken
too), cells converted to the fields' values, and Kind, which each kind of import (facilities,
ratings, inspections, registrations) fills in.

A row is checked by the model's own validation (field types, lengths, choices, validators,
clean()) and the service's rules, never by rules of its own, and written through the same
services as a page, so the history says who, when and why."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from supervision.choices import RowOutcome
from supervision.formats.punctuation import listed
from supervision.imports.reading import Cell, Formula
from supervision.models import Facility
from supervision.services._common import User

EXCEL_EPOCH = datetime.date(1899, 12, 30)
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
# Thousands separators and the yuan sign, half- and full-width, left out of numbers.
NUMBER_NOISE = str.maketrans("", "", "," + chr(0xFF0C) + chr(0xA5) + chr(0xFFE5) + " ")
M = TypeVar("M", bound=models.Model)
LOOKUP_BATCH = 900  # keys looked up per query (SQLite's limit of variables is 999)


def plain(label: object) -> str:
    """A header compared loosely: no spaces, no unit in brackets, lower case."""
    text = re.sub(r"\s+", "", str(label))
    text = re.sub(r"[\uff08(][^\uff09)]*[\uff09)]$", "", text)
    return text.lower()


@dataclass(frozen=True)
class Column:
    """One column of the file, read into the model field `name` (or used as `name` by the kind:
    a key or the reason)."""

    name: str
    label: Any  # lazy: the field's verbose_name, read in the language of the request
    required: bool = False
    aliases: tuple[str, ...] = ()

    def names(self) -> set[str]:
        """The headers taken for this column: its label in Chinese and in English, the field's
        name, the aliases."""
        labels = set()
        for language in ("zh-hans", "en"):
            with translation.override(language):
                labels.add(plain(str(self.label)))
        return {*labels, plain(self.name), *(plain(a) for a in self.aliases)}


def parse_date(text: str) -> datetime.date:
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # a date cell saved as its Excel serial number
        return EXCEL_EPOCH + datetime.timedelta(days=int(float(text)))
    text = text.split(" ")[0]
    for pattern in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def convert(model_field: models.Field, text: str) -> Any:
    """The value of the field for the cell's text (already stripped, not empty)."""
    if model_field.choices:
        for value, label in model_field.flatchoices:
            if text in (str(value), str(label)) or text.upper() == str(value).upper():
                return value
        raise ValueError(
            _("应为以下之一：%(choices)s")
            % {"choices": listed(label for _value, label in model_field.flatchoices)}
        )
    if isinstance(model_field, models.DateField):
        try:
            return parse_date(text)
        except (ValueError, OverflowError) as exc:
            raise ValueError(_("不是有效日期（例如 2024-03-05）")) from exc
    if isinstance(model_field, models.DecimalField):
        cleaned = text.translate(NUMBER_NOISE)
        try:
            value = Decimal(cleaned)
        except InvalidOperation as exc:
            raise ValueError(_("不是有效数字")) from exc
        if not value.is_finite():
            raise ValueError(_("不是有效数字"))
        return value
    if isinstance(model_field, models.IntegerField):
        if not re.fullmatch(r"-?\d{1,9}(\.0+)?", text):
            raise ValueError(_("应为整数"))
        return int(float(text))
    return text


def shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


@dataclass
class Checked:
    """A row's outcome: the instance to write (new or changed) and what changes."""

    outcome: str
    key: str = ""
    label: str = ""
    changes: list[list[str]] = field(default_factory=list)
    problems: list[list[str]] = field(default_factory=list)
    write: Any = None  # what the kind's write() takes


class Kind:
    """A kind of import: its columns, how its rows are keyed, checked and written."""

    kind: ClassVar[str]
    model: ClassVar[type[models.Model]]
    columns: ClassVar[list[Column]]
    # Model permissions needed to import this kind.
    permissions: ClassVar[list[str]]

    def __init__(self, user: User, source: str) -> None:
        self.user, self.source = user, source
        self.labels = {column.name: str(column.label) for column in self.columns}

    @classmethod
    def required(cls) -> list[Column]:
        return [column for column in cls.columns if column.required]

    def field(self, name: str) -> models.Field:
        return self.model._meta.get_field(name)  # type: ignore[return-value]

    def values(self, cells: Mapping[str, Cell]) -> tuple[dict[str, Any], list[list[str]]]:
        """The row's values by column name (present and not empty) and its problems."""
        values: dict[str, Any] = {}
        problems: list[list[str]] = []
        for column in self.columns:
            if column.name not in cells:
                continue
            cell = cells[column.name]
            if isinstance(cell, Formula):
                problems.append(
                    [
                        str(column.label),
                        _("是公式（%(text)s），请粘贴为数值后再导入") % {"text": cell.text[:40]},
                    ]
                )
                continue
            text = cell.strip()
            if not text:
                if column.required:
                    problems.append([str(column.label), _("不能为空")])
                continue
            try:
                values[column.name] = self.convert(column, text)
            except ValueError as exc:
                problems.append([str(column.label), str(exc)])
        return values, problems

    def convert(self, column: Column, text: str) -> Any:
        return convert(self.field(column.name), text)

    def prefetch(self, rows: Iterable[dict[str, Any]]) -> None:
        """Load what the rows' keys name, set-wise (a query per LOOKUP_BATCH keys)."""

    def check(self, values: dict[str, Any]) -> Checked:
        raise NotImplementedError

    def write(self, checked: Checked) -> None:
        raise NotImplementedError

    def write_batch(self, rows: list[tuple[int, Checked]]) -> None:
        """Write checked rows (new or changed), in file order; a failure names its row
        (RowFailed). A kind may write its new rows set-wise (FacilityKind)."""
        for number, checked in rows:
            try:
                with transaction.atomic():
                    self.write(checked)
            except (ValidationError, IntegrityError, PermissionDenied) as exc:
                raise RowFailed(number, number, exc) from exc


class RowFailed(Exception):
    """Rows first..last could not be written: exc says why."""

    def __init__(self, first: int, last: int, exc: Exception) -> None:
        super().__init__(str(exc))
        self.first, self.last, self.exc = first, last, exc


def model_problems(exc: ValidationError, labels: Mapping[str, str]) -> list[list[str]]:
    if hasattr(exc, "error_dict"):
        return [
            [labels.get(name, "" if name == "__all__" else name), " ".join(messages)]
            for name, messages in exc.message_dict.items()
        ]
    return [["", " ".join(exc.messages)]]


def changes_of(
    before: models.Model, after: models.Model, names: Iterable[str], labels: Mapping[str, str]
) -> list[list[str]]:
    return [
        [labels[name], shown(getattr(before, name)), shown(getattr(after, name))]
        for name in names
        if getattr(before, name) != getattr(after, name)
    ]


def in_batches(keys: Iterable[Any]) -> Iterator[list[Any]]:
    """The distinct keys, sorted, LOOKUP_BATCH at a time (one query each)."""
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), LOOKUP_BATCH):
        yield ordered[start : start + LOOKUP_BATCH]


def facilities_by_code(rows: Iterable[Mapping[str, Any]]) -> dict[str, Facility]:
    """The facilities the rows' 统一社会信用代码 name, by code."""
    codes = (str(row["credit_code"]).upper() for row in rows if row.get("credit_code"))
    return {
        facility.credit_code: facility
        for batch in in_batches(codes)
        for facility in Facility.objects.filter(credit_code__in=batch)
    }


def copy_of(instance: M) -> M:
    """An unsaved-looking copy of a loaded row to set a row's values on, leaving the loaded one
    as it was for the old → new comparison."""
    fields = type(instance)._meta.concrete_fields
    return type(instance).from_db(
        instance._state.db,
        [f.attname for f in fields],
        [getattr(instance, f.attname) for f in fields],
    )


def unknown_facility(key: str, labels: Mapping[str, str], label: str = "") -> Checked:
    return Checked(
        RowOutcome.REFUSED,
        key,
        label,
        problems=[[labels["credit_code"], _("系统中没有该统一社会信用代码的机构，请先导入机构")]],
    )


def outside_districts(key: str, label: str, column: str) -> Checked:
    return Checked(RowOutcome.REFUSED, key, label, problems=[[column, _("不在您负责的区县")]])
