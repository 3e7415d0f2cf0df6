"""A record's change history (django-simple-history) as a reader sees it: who, when, why, and
each changed field's old → new value, labels instead of codes and ids.

A fixed number of queries whatever the length of the history: the history rows with their users,
one query per many-to-many field for its snapshots, and one per related model for the labels of
the ids that appear. (simple-history's own diff_against queries twice per field and row.)
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from supervision.models.base import MONEY
from supervision.templatetags.supervision_tags import cny

HISTORY_LIMIT = 50
MONEY_DIGITS = MONEY["max_digits"]
DASH = "—"

_TYPE_LABELS = {"+": _("创建"), "~": _("修改"), "-": _("删除")}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Entry:
    when: datetime.datetime
    user: Any
    kind: str
    kind_label: str
    reason: str
    changes: list[Change] = field(default_factory=list)


class History(list):
    """The entries, newest first; truncated: older ones exist beyond the limit."""

    truncated: bool = False


def is_money(model_field: models.Field) -> bool:
    """A field declared with models.base.MONEY (CNY, two decimals)."""
    return (
        isinstance(model_field, models.DecimalField)
        and model_field.max_digits == MONEY_DIGITS
        and model_field.decimal_places == MONEY["decimal_places"]
    )


def can_view_history(
    user: AbstractBaseUser | AnonymousUser | None, model: type[models.Model]
) -> bool:
    """Whether user may read model's history (the historical model's view permission)."""
    history = getattr(model, "history", None)
    if user is None or history is None or not user.is_authenticated or not user.is_active:
        return False
    opts = history.model._meta
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}")


def _m2m_snapshots(record: models.Model, history_ids: list[int]) -> dict[str, dict[int, list[Any]]]:
    """For each tracked M2M field: history_id → the related ids at that point, one query each."""
    history_model = record.history.model  # type: ignore[attr-defined]
    snapshots: dict[str, dict[int, list[Any]]] = {}
    for m2m in history_model._history_m2m_fields:
        through = apps.get_model(
            history_model._meta.app_label, f"{history_model.__name__}_{m2m.name}"
        )
        target = m2m.m2m_reverse_field_name()
        by_history: dict[int, list[Any]] = defaultdict(list)
        rows = through.objects.filter(history_id__in=history_ids).order_by(f"{target}_id")
        for history_id, related_id in rows.values_list("history_id", f"{target}_id"):
            by_history[history_id].append(related_id)
        snapshots[m2m.name] = by_history
    return snapshots


class _Labeller:
    """Turns stored values into text, looking related ids up in one query per model."""

    def __init__(self) -> None:
        self.wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
        self.found: dict[type[models.Model], dict[Any, models.Model]] = {}

    def want(self, model: type[models.Model], ids: list[Any]) -> None:
        self.wanted[model].update(i for i in ids if i is not None)

    def fetch(self) -> None:
        for model, ids in self.wanted.items():
            self.found[model] = model._default_manager.in_bulk(list(ids)) if ids else {}

    def related(self, model: type[models.Model], pk: Any) -> str:
        if pk is None:
            return DASH
        obj = self.found.get(model, {}).get(pk)
        return str(obj) if obj is not None else f"#{pk}"

    def text(self, model_field: models.Field, value: Any) -> str:
        if value is None or value == "":
            return DASH
        if model_field.many_to_many:
            if not value:
                return DASH
            return pgettext("list separator", "、").join(
                self.related(model_field.related_model, pk) for pk in value
            )
        if model_field.is_relation:
            return self.related(model_field.related_model, value)
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return str(_("是") if value else _("否"))
        if isinstance(value, datetime.datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            if is_money(model_field):
                return cny(value)
            return f"{value:,}"
        return str(value)


def history_entries(record: models.Model, limit: int = HISTORY_LIMIT) -> History:
    """The latest `limit` changes of record, newest first, each with its changed fields."""
    model = type(record)
    rows = list(
        record.history.select_related("history_user").order_by("-history_date", "-history_id")[  # type: ignore[attr-defined]
            : limit + 1
        ]
    )
    if not rows:
        return History()
    history_model = record.history.model  # type: ignore[attr-defined]
    fields = [
        model._meta.get_field(f.name)
        for f in history_model.tracked_fields
        if f.editable and not f.primary_key
    ]
    m2m_fields = [model._meta.get_field(f.name) for f in history_model._history_m2m_fields]
    snapshots = _m2m_snapshots(record, [row.history_id for row in rows])

    def values(row: models.Model) -> dict[str, Any]:
        data = {f.name: getattr(row, f.attname) for f in fields}
        for m2m in m2m_fields:
            data[m2m.name] = snapshots[m2m.name].get(row.history_id, [])
        return data

    states = [values(row) for row in rows]
    labeller = _Labeller()
    for f in fields:
        if f.is_relation:
            labeller.want(f.related_model, [state[f.name] for state in states])
    for m2m in m2m_fields:
        labeller.want(m2m.related_model, [pk for state in states for pk in state[m2m.name]])
    labeller.fetch()

    entries = History()
    entries.truncated = len(rows) > limit
    for index, row in enumerate(rows[:limit]):
        new = states[index]
        old = states[index + 1] if index + 1 < len(rows) else None
        entry = Entry(
            when=row.history_date,
            user=row.history_user,
            kind=row.history_type,
            kind_label=str(_TYPE_LABELS.get(row.history_type, row.history_type)),
            reason=row.history_change_reason or "",
        )
        for f in [*fields, *m2m_fields]:
            before = old[f.name] if old is not None else None
            after = new[f.name]
            if old is None and row.history_type == "+" and after in (None, "", []):
                continue  # a creation lists what was filled in
            if old is not None and before == after:
                continue
            if old is None and row.history_type != "+":
                continue  # the state before the oldest row shown is unknown
            entry.changes.append(
                Change(str(f.verbose_name), labeller.text(f, before), labeller.text(f, after))
            )
        entries.append(entry)
    return entries
