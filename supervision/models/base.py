from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models, router, transaction
from django.db.models.functions import Length
from django.db.models.lookups import In, LessThanOrEqual
from django.urls import get_script_prefix, reverse
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from supervision.models.checks import BatchedChecks

# Money: CNY with two decimals, never negative, never a float.
MONEY = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}

# Free text, in characters: each field's max_length is the one definition of its limit (forms,
# serializers and the admin read it from the field) and a named CHECK (text_limit) holds it in
# the database. Without one, 2.4 MB findings made history and audit pages of 100+ MB.
NOTE_LENGTH = 2000
FINDINGS_LENGTH = 5000
SUMMARY_LENGTH = 2000
OUTCOME_LENGTH = 2000
BASIS_LENGTH = 2000
LEGAL_BASIS_LENGTH = 1000
# A reason (a grade change, a history row): services refuse a longer one (_common.py).
REASON_LENGTH = 1000


def text_limit(table: str, field: str, limit: int, label: object) -> models.CheckConstraint:
    """The database's hold on a text field's max_length: at most `limit` characters (SQLite's
    length() and PostgreSQL's char_length() both count characters, not bytes)."""
    return models.CheckConstraint(
        condition=LessThanOrEqual(Length(field), limit),
        name=f"{table}_{field}_length",
        violation_error_message=format_lazy(
            _("{label}最多{limit}个字符。"), label=label, limit=limit
        ),
    )


@models.IntegerField.register_lookup
class IntegerFieldIn(In):
    """`in` without the values past the column's range: no row can hold them (Django leaves
    them out of exact, gt and lt the same way), and SQLite raises OverflowError on them, which
    made ?inspectors=99999999999999999999 on a form or a filter a server error."""

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(
                self.lhs.output_field.get_internal_type()
            )
            self.rhs = [
                value
                for value in self.rhs
                if not isinstance(value, int)
                or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().process_rhs(compiler, connection)


# A key no record has, reversed in place of the real one and then replaced by it.
_KEY_MARK = 918273645546372819


@functools.cache
def _detail_url(name: str, script_prefix: str) -> str:
    """The URL of name's page with "{}" for the key, reversed once per prefix (a list links 50
    records: 50 reverses were a twentieth of its time). Keys are integers, which reverse()
    would write as they are."""
    return reverse(name, args=[_KEY_MARK]).replace(str(_KEY_MARK), "{}")


class Linked(BatchedChecks):
    """A record with a staff page of its own, named "<model>-detail"."""

    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        name = f"{self._meta.model_name}-detail"
        if not isinstance(self.pk, int):
            return reverse(name, args=[self.pk])
        return _detail_url(name, get_script_prefix()).format(self.pk)

    def _get_FIELD_display(self, field: models.Field) -> Any:
        """get_<field>_display(), by one dict lookup. Django's own builds a dict of every choice
        on each call, hashing (and so translating) every label: for a 50-row list with four
        choice columns that was a fifth of the page's time."""
        value = getattr(self, field.attname)
        return force_str(choice_labels(field).get(make_hashable(value), value), strings_only=True)


@functools.cache
@functools.cache
def history_model_of(model: type[models.Model]) -> type[models.Model] | None:
    """model's historical model (django-simple-history), or None when it keeps no history.
    Looked up once per model: every read of the `history` descriptor builds a new manager class
    (about 0.4 ms), and the navigation asks it of every audited model on every page."""
    history = getattr(model, "history", None)
    return None if history is None else history.model


def choice_labels(field: models.Field) -> dict[Any, Any]:
    """A field's choices as {value: label}, built once per field; labels stay lazy, so each is
    translated into the language of the request that shows it."""
    return {make_hashable(value): label for value, label in field.flatchoices}


class TimeStamped(Linked):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, editable=False)

    class Meta:
        abstract = True


class StaleEdit(ValidationError):
    """An edit made on a version of a record that is no longer the current one: refused, so that
    the later save does not silently undo the earlier one (a lost update).

    A ValidationError, so a path that does not handle it specially still refuses with a message
    instead of failing; the pages, the admin and the API (412) say who changed what since.
    """

    def __init__(self, record: Versioned, *, expected: int, current: int) -> None:
        super().__init__(
            _("该记录在您打开后已被他人修改，本次修改未保存。请重新加载后再修改。"), code="stale"
        )
        self.record = record
        self.expected = expected
        self.current = current


def current_version(model: type[Versioned], pk: Any, *, using: str | None = None) -> int | None:
    """Queries: the stored version of a row, locked until the end of the transaction when in one
    (PostgreSQL row lock; SQLite holds the database lock from BEGIN IMMEDIATE). None: no row."""
    using = using or router.db_for_write(model)
    rows = model._base_manager.using(using).filter(pk=pk)
    if transaction.get_connection(using).in_atomic_block:
        rows = rows.select_for_update()
    return rows.values_list("version", flat=True).first()


def check_version(record: Versioned, expected: int | None) -> None:
    """Refuse with StaleEdit when the editor loaded another version than record's (read under
    lock by the caller). expected None: the caller does not know, nothing is checked."""
    if expected is not None and record.version != expected:
        raise StaleEdit(record, expected=expected, current=record.version)


class Versioned(models.Model):
    """A record several people edit: its version goes up by one on every save of the row, and a
    save made on an older version than the stored one is refused with StaleEdit.

    The version a save is checked against is the instance's own: the one it was loaded with, or
    the one an edit form carried (forms set it from their hidden field). The check and the
    increment run under the row's lock, so two saves of the same version cannot both pass.
    """

    version = models.PositiveIntegerField(
        _("版本"),
        default=1,
        editable=False,
        help_text=_("每次保存加1；据此拒绝基于旧版本的修改。"),
    )

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding or self.pk is None:
            super().save(*args, **kwargs)
            return
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            stored = current_version(type(self), self.pk, using=using)
            if stored is None:  # the row is gone: Django decides (it inserts)
                super().save(*args, **kwargs)
                return
            if stored != self.version:
                raise StaleEdit(self, expected=self.version, current=stored)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
            self.version = stored + 1
            try:
                super().save(*args, **kwargs)
            except BaseException:
                self.version = stored
                raise
