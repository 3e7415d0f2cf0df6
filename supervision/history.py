"""A record's change history (django-simple-history) as a reader sees it: who, when, why, and
each changed field's old → new value, labels instead of codes and ids.

One function, describe(), turns history rows and the rows before them into entries; the record
pages, the facility page (with its ratings), the message of a refused stale edit and the audit
page all use it. A fixed number of queries whatever the length of the history: the history rows
with their users, the rows before them, one query per many-to-many field for its snapshots, and
one per related model for the labels of the ids that appear. (simple-history's own diff_against
queries twice per field and row.)
"""

from __future__ import annotations

import copy
import datetime
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from supervision.formats.values import cny, who
from supervision.models import Tip, TipExtension, TipReporter, TipReward
from supervision.models.base import MONEY, StaleEdit, history_model_of
from supervision.models.tip import MASK
from supervision.scoping import can_view
from supervision.services.reasons import shown_reason

HISTORY_LIMIT = 50
# A long text value shows its first SHORT_TEXT characters and its length; the whole value rides
# along in an expandable <details> only up to FULL_TEXT characters (longer ones, written before
# the limits of migration 0102, are read on the record's page), so a page of 50 entries stays
# small whatever was typed: 30 edits of 2.4 MB findings once made a 187 MB audit page.
SHORT_TEXT = 200
FULL_TEXT = 2000
# A refused edit names at most this many changes made since the editor loaded the record.
CONFLICT_LIMIT = 10
MONEY_DIGITS = MONEY["max_digits"]
DASH = "—"

TYPE_LABELS = {"+": _("创建"), "~": _("修改"), "-": _("删除")}


@dataclass
class Change:
    label: str
    old: str  # shortened (see shorten())
    new: str
    name: str = ""  # the field's name, for the API
    # The whole value when it was shortened and is at most FULL_TEXT long, else None.
    full_old: str | None = None
    full_new: str | None = None


def shorten(text: str) -> str:
    """text, or its first SHORT_TEXT characters and how long it is: "…（共5,000字）"."""
    if len(text) <= SHORT_TEXT:
        return text
    return gettext("%(start)s…（共%(count)s字）") % {
        "start": text[:SHORT_TEXT],
        "count": f"{len(text):,}",
    }


def full_text(text: str) -> str | None:
    """The whole of a shortened text when it is small enough to carry along, else None."""
    return text if SHORT_TEXT < len(text) <= FULL_TEXT else None


def change(label: str, old: str, new: str, name: str = "") -> Change:
    """A field's change, long values shortened."""
    return Change(label, shorten(old), shorten(new), name, full_text(old), full_text(new))


@dataclass
class Entry:
    when: datetime.datetime
    user: Any
    kind: str
    kind_label: str
    reason: str
    changes: list[Change] = field(default_factory=list)
    version: int | None = None
    # What the entry is about when a list mixes records (a facility page lists its ratings').
    subject: str = ""
    history_id: int = 0


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
    history_model = history_model_of(model)
    if user is None or history_model is None or not user.is_authenticated or not user.is_active:
        return False
    opts = history_model._meta
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}")


def _m2m_snapshots(
    history_model: type[models.Model], history_ids: list[int]
) -> dict[str, dict[int, list[Any]]]:
    """For each tracked M2M field: history_id → the related ids at that point, one query each."""
    snapshots: dict[str, dict[int, list[Any]]] = {}
    for m2m in history_model._history_m2m_fields:  # type: ignore[attr-defined]
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


def describe(
    model: type[models.Model],
    rows: list[models.Model],
    previous: dict[int, models.Model | None],
    subject: Any = None,
) -> list[Entry]:
    """Entries for history rows of model, in their order, each with the fields it changed.

    previous maps a row's history_id to the row before it (of the same record), None when
    there is none: a creation then lists what was filled in, any other row no fields (the state
    before it is unknown). subject(row), when given, names the record of each entry.
    """
    if not rows:
        return []
    history_model = model.history.model  # type: ignore[attr-defined]
    fields = [
        model._meta.get_field(f.name)
        for f in history_model.tracked_fields
        if f.editable and not f.primary_key
    ]
    m2m_fields = [model._meta.get_field(f.name) for f in history_model._history_m2m_fields]
    before = [p for p in (previous.get(row.history_id) for row in rows) if p is not None]
    snapshots = _m2m_snapshots(history_model, [r.history_id for r in [*rows, *before]])

    def values(row: models.Model) -> dict[str, Any]:
        data = {f.name: getattr(row, f.attname) for f in fields}
        for m2m in m2m_fields:
            data[m2m.name] = snapshots[m2m.name].get(row.history_id, [])
        return data

    states = {row.history_id: values(row) for row in [*rows, *before]}
    labeller = _Labeller()
    for f in fields:
        if f.is_relation:
            labeller.want(f.related_model, [state[f.name] for state in states.values()])
    for m2m in m2m_fields:
        labeller.want(m2m.related_model, [pk for s in states.values() for pk in s[m2m.name]])
    labeller.fetch()

    entries = []
    for row in rows:
        new = states[row.history_id]
        prior = previous.get(row.history_id)
        old = states[prior.history_id] if prior is not None else None
        entry = Entry(
            when=row.history_date,
            user=row.history_user,
            kind=row.history_type,
            kind_label=str(TYPE_LABELS.get(row.history_type, row.history_type)),
            reason=shorten(shown_reason(row.history_change_reason or "")),
            version=getattr(row, "version", None),
            subject=str(subject(row)) if subject is not None else "",
            history_id=row.history_id,
        )
        for f in [*fields, *m2m_fields]:
            before_value = old[f.name] if old is not None else None
            after = new[f.name]
            if old is None and row.history_type == "+" and after in (None, "", []):
                continue  # a creation lists what was filled in
            if old is not None and before_value == after:
                continue
            if old is None and row.history_type != "+":
                continue  # the state before the oldest row shown is unknown
            entry.changes.append(
                change(
                    str(f.verbose_name),
                    labeller.text(f, before_value),
                    labeller.text(f, after),
                    f.name,
                )
            )
        entries.append(entry)
    return entries


def predecessors(
    history_model: type[models.Model], rows: list[models.Model]
) -> dict[int, models.Model | None]:
    """Queries (two): for each history row, the row before it of the same record, or None."""
    if not rows:
        return {}
    manager = history_model._default_manager
    key = history_model.instance_type._meta.pk.attname  # type: ignore[attr-defined]
    earlier = (
        manager.filter(**{key: OuterRef(key)})
        .filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    pairs = dict(
        manager.filter(history_id__in=[row.history_id for row in rows])
        .annotate(before=Subquery(earlier))
        .values_list("history_id", "before")
    )
    found = manager.in_bulk([p for p in pairs.values() if p is not None])
    return {hid: found.get(before) if before else None for hid, before in pairs.items()}


def _newest_first(rows: models.QuerySet) -> models.QuerySet:
    return rows.select_related("history_user").order_by("-history_date", "-history_id")


def _consecutive(rows: list[models.Model]) -> dict[int, models.Model | None]:
    """Rows of one record, newest first: each one's predecessor is the next one."""
    return {
        row.history_id: rows[i + 1] if i + 1 < len(rows) else None for i, row in enumerate(rows)
    }


# A save that also sets many-to-many fields writes one history row for the record and one more
# per field set (django-simple-history); at most this many rows make up one save.
ROWS_PER_SAVE = 4


def _same_save(later: models.Model, earlier: models.Model) -> bool:
    """Whether later is a row written by the same save as earlier (a many-to-many field set right
    after it): the same version, by the same user, and a change rather than a deletion."""
    version = getattr(later, "version", None)
    return (
        version is not None
        and later.history_type == "~"
        and earlier.history_type != "-"
        and version == getattr(earlier, "version", None)
        and later.history_user_id == earlier.history_user_id
    )


def one_row_per_save(rows: list[models.Model]) -> list[models.Model]:
    """Rows of one record, newest first, with each save's rows folded into one: its final state
    (the newest row) under the kind, time, user and reason of its first row. Creating an
    inspection with its inspectors, partner agencies and violations is one entry, not four."""
    saves: list[list[models.Model]] = []
    for row in rows:
        if saves and _same_save(saves[-1][-1], row):
            saves[-1].append(row)
        else:
            saves.append([row])
    folded = []
    for save in saves:
        final, first = save[0], save[-1]
        if first is not final:
            final.history_type = first.history_type
            final.history_date = first.history_date
            final.history_user = first.history_user
            final.history_change_reason = first.history_change_reason or final.history_change_reason
        folded.append(final)
    return folded


def history_entries(record: models.Model, limit: int = HISTORY_LIMIT) -> History:
    """The latest `limit` saves of record, newest first, each with its changed fields."""
    fetched = list(
        _newest_first(record.history.all())[: (limit + 1) * ROWS_PER_SAVE]  # type: ignore[attr-defined]
    )
    rows = one_row_per_save(fetched)
    more = len(fetched) == (limit + 1) * ROWS_PER_SAVE
    if more:
        rows = rows[:-1]  # the oldest save fetched may be missing its earlier rows
    entries = History(describe(type(record), rows[:limit], _consecutive(rows)))
    entries.truncated = more or len(rows) > limit
    return entries


def merged_history(*histories: History, limit: int = HISTORY_LIMIT) -> History:
    """Several histories as one list, newest first, cut at limit."""
    entries = sorted(
        (e for h in histories for e in h), key=lambda e: (e.when, e.history_id), reverse=True
    )
    merged = History(entries[:limit])
    merged.truncated = len(entries) > limit or any(h.truncated for h in histories)
    return merged


def related_history(
    model: type[models.Model], rows: models.QuerySet, subject: Any, limit: int = HISTORY_LIMIT
) -> History:
    """The latest `limit` history rows of several records of model (e.g. a facility's ratings)."""
    fetched = list(_newest_first(rows)[: limit + 1])
    shown = fetched[:limit]
    history_model = model.history.model  # type: ignore[attr-defined]
    entries = History(describe(model, shown, predecessors(history_model, shown), subject))
    entries.truncated = len(fetched) > limit
    return entries


# ----------------------------------------------------------------------------- personal data


def masked(user: AbstractBaseUser | AnonymousUser | None, model: type[models.Model]) -> bool:
    """Whether model's values are withheld from user: a model of personal data (its
    `personal_data` attribute, e.g. a tip's reporter) read without its own view permission."""
    return bool(getattr(model, "personal_data", False)) and not can_view(user, model)


def mask(entries: History) -> History:
    """entries with every value replaced by MASK: who changed the record, when and which fields
    stay visible; what the fields held does not."""
    for entry in entries:
        entry.changes = [Change(c.label, MASK, MASK, c.name) for c in entry.changes]
    return entries


def tip_related_history(
    tip: Tip, user: AbstractBaseUser | AnonymousUser | None, limit: int = HISTORY_LIMIT
) -> History:
    """The history of a tip's reporter, extensions and reward, newest first, for its page; the
    reporter's values masked for a reader without the reporter permission (it shows that the
    reporter was recorded or corrected, by whom and when, not what). Queries: a fixed number."""
    parts = []
    label = gettext("举报人信息")
    reporter = related_history(
        TipReporter, TipReporter.history.filter(tip_id=tip.pk), lambda row: label, limit
    )
    parts.append(mask(reporter) if masked(user, TipReporter) else reporter)
    for model, subject in ((TipExtension, gettext("核查延期")), (TipReward, gettext("举报奖励"))):
        if can_view_history(user, model):
            rows = model.history.filter(tip_id=tip.pk)  # type: ignore[attr-defined]
            parts.append(related_history(model, rows, lambda row, s=subject: s, limit))
    return merged_history(*parts, limit=limit)


# ----------------------------------------------------------------------------- stale edits


@dataclass
class Conflict:
    """What a refused edit missed: the record's current values and, for a user who may read
    its history, the saves made since the version the editor loaded (who changed what)."""

    current_version: int
    entries: list[Entry]  # one per save, newest first; empty unless shows_changes
    more: bool = False  # more saves than shown
    current: list[Change] = field(default_factory=list)  # label and value (in .new) per field
    shows_changes: bool = True

    def lines(self) -> list[str]:
        """One sentence per save: who, when, which fields old → new (none for a user who may
        not read the history: then the current values, one per line)."""
        if not self.shows_changes:
            return [gettext("此记录在您打开后已被他人修改。当前内容：")] + [
                gettext("%(label)s：%(value)s") % {"label": c.label, "value": c.new}
                for c in self.current
            ]
        return [describe_save(entry) for entry in self.entries]


def change_text(change: Change) -> str:
    """One field's change as text: 名称：旧 → 新."""
    return gettext("%(label)s：%(old)s → %(new)s") % {
        "label": change.label,
        "old": change.old,
        "new": change.new,
    }


def changes_text(entry: Entry) -> str:
    return pgettext("list separator", "；").join(change_text(c) for c in entry.changes)


def describe_save(entry: Entry) -> str:
    when = timezone.localtime(entry.when).strftime("%Y-%m-%d %H:%M")
    fields = changes_text(entry)
    if not fields:
        return gettext("%(user)s 于 %(when)s %(action)s了该记录。") % {
            "user": who(entry.user),
            "when": when,
            "action": entry.kind_label,
        }
    return gettext("%(user)s 于 %(when)s 修改了：%(fields)s。") % {
        "user": who(entry.user),
        "when": when,
        "fields": fields,
    }


def current_values(model: type[models.Model], row: models.Model | None) -> list[Change]:
    """The values of a record as its newest history row holds them (the stored state, not the
    refused edit's), one Change each with the value in .new, long text shortened."""
    if row is None:
        return []
    # Described as a creation: every field that holds something, against nothing.
    state = copy.copy(row)
    state.history_type = "+"
    (entry,) = describe(model, [state], {state.history_id: None})
    return [replace(c, old="", full_old=None) for c in entry.changes]


def conflict(error: StaleEdit, user: AbstractBaseUser | AnonymousUser | None) -> Conflict:
    """Queries: the record's current values and, when user may read its history
    (can_view_history), who changed it since the version the editor loaded, and what. Anyone
    else learns only that it changed: the history is not theirs to read, here or on /audit/.

    The history rows of one save (the row, then its many-to-many fields) share its version: the
    save is described by its newest row against the newest row of the save before it.
    """
    record = error.record
    history = record.history  # type: ignore[attr-defined]
    latest = _newest_first(history.all()).first()
    current = current_values(type(record), latest)
    if not can_view_history(user, type(record)):
        return Conflict(
            current_version=error.current, entries=[], current=current, shows_changes=False
        )
    cap = CONFLICT_LIMIT * 4
    rows = list(_newest_first(history.filter(version__gt=error.expected))[:cap])
    heads: list[models.Model] = []  # the newest row of each save, newest save first
    for row in rows:
        if not heads or heads[-1].version != row.version:
            heads.append(row)
    if len(rows) == cap and len(heads) > 1:
        # The oldest save may be cut: it serves only as the state before the one after it.
        shown, chain = heads[:-1], heads
    else:
        base = (
            history.filter(version__lte=error.expected)
            .order_by("-history_date", "-history_id")
            .first()
        )
        shown, chain = heads, [*heads, base] if base is not None else heads
    previous = {
        head.history_id: chain[i + 1] if i + 1 < len(chain) else None
        for i, head in enumerate(shown)
    }
    entries = describe(type(record), shown[:CONFLICT_LIMIT], previous)
    return Conflict(
        current_version=error.current,
        entries=entries,
        more=len(shown) > CONFLICT_LIMIT or len(heads) > len(shown),
        current=current,
    )
