"""What the audit log (/audit/) reads: every change of the case records and every audit event
(sign-ins, the second factor, API tokens, exports, evidence files), newest first, for those who
may read the records' history (auditors, supervisors, superusers; not inspectors).

One UNION ALL of the historical tables and the audit events, filtered by user, date range, record
type, action, record and facility, each part in the user's scope. A page reads its rows and no
more: the count stops at the paginator's cap (CappedCountPaginator), and on PostgreSQL each part
is cut at that cap on its newest-first index before the union is sorted. The rows of a page (or
of an export chunk) are then described: a change with history.describe (labels, and each
changed field's old → new), an event with its summary and details.

One save is one entry: the history rows a save writes after its first (one per many-to-many
field set, e.g. an inspection's inspectors, partner agencies and violations, all of the same
version) are left out of the union and their final state shown on the first row's entry.

History and events are read here, never written: there is no page, admin action or endpoint that
edits or deletes them. The page and its filters are supervision.views.audit.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import CharField, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supervision.choices import AuditAction
from supervision.exports import CHUNK, Column
from supervision.formats.punctuation import clauses, labelled
from supervision.formats.values import who
from supervision.history import (
    TYPE_LABELS,
    Entry,
    can_view_history,
    changes_text,
    describe,
    mask,
    masked,
    predecessors,
)
from supervision.models import (
    Assessment,
    AssessmentItem,
    AuditEvent,
    CalendarDay,
    CalendarYear,
    CaseNumberPattern,
    CreditCategory,
    CreditInstitution,
    CreditRating,
    CreditRepair,
    Dimension,
    DocumentTemplate,
    EvaluationCycle,
    Facility,
    GradePublication,
    Hotline,
    Indicator,
    IndicatorSystem,
    Inspection,
    InsuredIdentity,
    InsuredPerson,
    IssuedDocument,
    Objection,
    PlannedCheck,
    PointsBand,
    PointsPolicy,
    PointsRecord,
    Practitioner,
    PractitionerIdentity,
    QualificationMeasure,
    RandomCheckAssignment,
    RandomCheckPlan,
    Rectification,
    Referral,
    Registration,
    Sanction,
    SupervisionMeasure,
    SuspensionPeriod,
    Tip,
    TipExtension,
    TipReporter,
    TipReward,
    TypicalCase,
)
from supervision.scoping import scoped_queryset, user_districts

# The records whose changes the log shows, and what their labels (str) need selected.
AUDITED: dict[type[models.Model], tuple[str, ...]] = {
    Facility: (),
    CreditRating: ("facility",),
    Inspection: ("facility",),
    Referral: ("inspection__facility",),
    Sanction: ("facility",),
    Tip: ("facility",),
    TipReporter: (),
    TipExtension: (),
    TipReward: (),
    CalendarYear: (),
    CalendarDay: (),
    Hotline: (),
    CaseNumberPattern: (),
    CreditInstitution: (),
    InsuredPerson: (),
    InsuredIdentity: (),
    CreditCategory: (),
    IndicatorSystem: (),
    Dimension: (),
    Indicator: (),
    SupervisionMeasure: (),
    EvaluationCycle: (),
    Assessment: ("cycle",),
    AssessmentItem: (),
    Objection: (),
    CreditRepair: (),
    PlannedCheck: ("facility",),
    Practitioner: (),
    PractitionerIdentity: (),
    Registration: ("practitioner", "facility"),
    PointsPolicy: (),
    PointsBand: ("policy",),
    SuspensionPeriod: ("policy",),
    PointsRecord: ("practitioner",),
    QualificationMeasure: (),
    RandomCheckPlan: (),
    RandomCheckAssignment: ("inspector",),
    GradePublication: (),
    TypicalCase: (),
    Rectification: ("facility",),
    DocumentTemplate: (),
    IssuedDocument: (),
}
# Records that hang from another one: their rows are scoped, and found by facility, through it.
_PARENT: dict[type[models.Model], tuple[type[models.Model], str]] = {
    Referral: (Inspection, "inspection_id"),
    TipReporter: (Tip, "tip_id"),
    TipExtension: (Tip, "tip_id"),
    TipReward: (Tip, "tip_id"),
    InsuredIdentity: (InsuredPerson, "person_id"),
    AssessmentItem: (Assessment, "assessment_id"),
    Objection: (Assessment, "assessment_id"),
    CreditRepair: (CreditRating, "rating_id"),
    PractitionerIdentity: (Practitioner, "practitioner_id"),
    TypicalCase: (Inspection, "inspection_id"),
}
_BY_NAME = {model._meta.model_name: model for model in AUDITED}
# The log numbers every record: a record whose primary key is not a number (a credit category's
# code) is numbered by a unique integer field of its own.
_RECORD_NUMBER: dict[type[models.Model], str] = {CreditCategory: "number"}


def record_number_field(model: type[models.Model]) -> str:
    """The field that numbers model's records in the log ("id" but for _RECORD_NUMBER)."""
    return _RECORD_NUMBER.get(model, "id")


def record_number(record: models.Model) -> Any:
    """record's number in the log (record_id)."""
    return getattr(record, record_number_field(type(record)))


# How each record type's history rows reach the facility they concern (the facility filter).
_FACILITY_OF: dict[type[models.Model], str] = {
    Facility: "id",
    CreditRating: "facility_id",
    Inspection: "facility_id",
    Sanction: "facility_id",
    Tip: "facility_id",
    Assessment: "facility_id",
    PlannedCheck: "facility_id",
    Registration: "facility_id",
    PointsRecord: "facility_id",
    Rectification: "facility_id",
}
EVENT = "event"  # the record_type of the union's event rows
# The union's columns, the same in every part (aliases: an event has no history_id).
_COLUMNS = ("row_id", "row_when", "row_kind", "row_user", "record_id", "record_type")
HISTORY_ACTIONS = tuple(TYPE_LABELS)  # "+", "~", "-"


# The labels of an event's details (AuditEvent.detail), in the order they are shown.
DETAIL_LABELS = {
    "name": _("文件名"),
    "size": _("大小（字节）"),
    "owner": _("账号"),
    "device": _("设备"),
    "method": _("方式"),
    "list": _("列表"),
    "format": _("格式"),
    "rows": _("行数"),
    "query": _("筛选条件"),
    "via": _("途径"),
    "replaced": _("替换旧令牌"),
    "locked": _("已锁定"),
    "ip": _("地址"),
    "agent": _("浏览器"),
}
# Details kept for the record but not worth a line in the log.
_HIDDEN_DETAILS = {"evidence", "path"}


def audited_models(user: Any) -> list[type[models.Model]]:
    """The record types whose history user may read. The history of personal data (a tip's
    reporter) is listed for whoever may read its parent's, its values masked (describe_rows)
    unless they may also read the personal data."""
    return [model for model in AUDITED if _may_read_history_of(user, model)]


def _may_read_history_of(user: Any, model: type[models.Model]) -> bool:
    return can_view_history(user, model) or (
        getattr(model, "personal_data", False) and can_view_history(user, _PARENT[model][0])
    )


def can_audit(user: Any) -> bool:
    """Whether user may open the audit log (the history of at least one record type): asked by
    every page's navigation, so it stops at the first record type it finds."""
    return any(_may_read_history_of(user, model) for model in AUDITED)


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def action_choices() -> list[tuple[str, Any]]:
    """The actions the log can be filtered by: the three kinds of change, then the events."""
    return [*TYPE_LABELS.items(), *AuditAction.choices]


def _one_row_per_save(model: type[models.Model], rows: models.QuerySet) -> models.QuerySet:
    """Leave out the rows a save wrote after its first (its many-to-many fields: same record,
    same version): the first row's entry shows the save's final state (describe_rows)."""
    history_model = rows.model
    if not history_model._history_m2m_fields or not hasattr(model, "version"):
        return rows
    earlier_of_same_save = _same_save(history_model).filter(history_id__lt=OuterRef("history_id"))
    return rows.exclude(Q(history_type="~") & Exists(earlier_of_same_save))


def _same_save(history_model: type[models.Model]) -> models.QuerySet:
    """The rows written by the same save as the outer row: same record, same version, same user
    (None included), not a deletion."""
    return (
        history_model._default_manager.annotate(by=Coalesce("history_user_id", 0))
        .filter(
            id=OuterRef("id"),
            version=OuterRef("version"),
            by=Coalesce(OuterRef("history_user_id"), 0),
        )
        .exclude(history_type="-")
    )


class _Fields(NamedTuple):
    """Where a part of the union keeps each column: a history table or the audit events."""

    row_id: str
    when: str
    kind: str
    user: str
    record_id: str


_HISTORY = _Fields("history_id", "history_date", "history_type", "history_user", "id")
_EVENTS = _Fields("id", "occurred_at", "action", "user", "object_id")


def _shared_filters(
    rows: models.QuerySet, filters: dict[str, Any], actions: list[str], *, fields: _Fields
) -> models.QuerySet:
    """rows (history rows or events) narrowed by the filters both parts of the union share."""
    when, kind, user = fields.when, fields.kind, fields.user
    if filters.get("user") is not None:
        rows = rows.filter(**{user: filters["user"]})
    if filters.get("since"):
        rows = rows.filter(**{f"{when}__gte": _day_start(filters["since"])})
    if filters.get("until"):
        next_day = filters["until"] + datetime.timedelta(days=1)
        rows = rows.filter(**{f"{when}__lt": _day_start(next_day)})
    if actions:
        rows = rows.filter(**{f"{kind}__in": actions})
    return rows


def _as_columns(rows: models.QuerySet, record_type: str, *, fields: _Fields) -> models.QuerySet:
    """rows as _COLUMNS, the shape both parts of the union share."""
    return rows.annotate(
        row_id=F(fields.row_id),
        row_when=F(fields.when),
        row_kind=F(fields.kind),
        row_user=F(f"{fields.user}_id"),
        record_id=F(fields.record_id),
        record_type=Value(record_type, output_field=CharField()),
    ).values(*_COLUMNS)


def _history_part(
    user: Any, model: type[models.Model], filters: dict[str, Any], limited: bool
) -> models.QuerySet | None:
    actions = [a for a in filters.get("action") or [] if a in HISTORY_ACTIONS]
    if filters.get("action") and not actions:
        return None  # only event actions chosen
    rows = model.history.model._default_manager.all()  # type: ignore[attr-defined]
    parent = _PARENT.get(model)
    key = record_number_field(model)
    if limited:
        # The history of the records in the user's districts (supervision.scoping); of a record
        # that hangs from another, that of the records whose parent is in them.
        if parent is not None:
            visible = scoped_queryset(user, parent[0]._default_manager.all()).values("pk")
            rows = rows.filter(**{f"{parent[1]}__in": visible})
        else:
            visible = scoped_queryset(user, model._default_manager.all()).values(key)
            rows = rows.filter(**{f"{key}__in": visible})
    if filters.get("record_id") is not None:
        rows = rows.filter(**{key: filters["record_id"]})
    if filters.get("facility") is not None:
        facility = filters["facility"]
        if parent is not None and parent[0] in _FACILITY_OF:
            parents = parent[0]._default_manager.filter(facility_id=facility).values("pk")
            rows = rows.filter(**{f"{parent[1]}__in": parents})
        elif model in _FACILITY_OF:
            rows = rows.filter(**{_FACILITY_OF[model]: facility})
        else:
            return None  # a shared table (the calendar, the hotlines): about no facility
    rows = _one_row_per_save(model, _shared_filters(rows, filters, actions, fields=_HISTORY))
    return _as_columns(rows, model._meta.model_name, fields=_HISTORY._replace(record_id=key))


def visible_events(user: Any) -> models.QuerySet:
    """The audit events user may see: none without the right to audit; for an account limited
    to some districts, those about their districts' facilities and their own."""
    if not can_audit(user):
        return AuditEvent.objects.none()
    events = AuditEvent.objects.all()
    districts = user_districts(user)
    if districts is not None:
        events = events.filter(
            Q(facility__district__in=sorted(districts)) | Q(facility__isnull=True, user_id=user.pk)
        )
    return events


def _event_part(user: Any, filters: dict[str, Any]) -> models.QuerySet | None:
    actions = [a for a in filters.get("action") or [] if a in AuditAction.values]
    if filters.get("action") and not actions:
        return None  # only kinds of change chosen
    events = visible_events(user)
    chosen = filters.get("record_type") or []
    if chosen:
        types = ContentType.objects.get_for_models(*(_BY_NAME[name] for name in chosen))
        events = events.filter(content_type__in=list(types.values()))
    if filters.get("record_id") is not None:
        events = events.filter(object_id=filters["record_id"])
    if filters.get("facility") is not None:
        events = events.filter(facility_id=filters["facility"])
    events = _shared_filters(events, filters, actions, fields=_EVENTS)
    return _as_columns(events, EVENT, fields=_EVENTS)


def audit_rows(
    user: Any, filters: dict[str, Any], limit: int | None = None
) -> models.QuerySet | None:
    """The changes and events user may see that pass filters, newest first: a UNION ALL of
    dicts with _COLUMNS. limit: how many rows will be read at most (lets PostgreSQL cut each part
    on its index before the union). None when nothing is left to read."""
    chosen = set(filters.get("record_type") or [])
    limited = user_districts(user) is not None
    parts = []
    for model in audited_models(user):
        if chosen and model._meta.model_name not in chosen:
            continue
        part = _history_part(user, model, filters, limited)
        if part is not None:
            parts.append(part.order_by("-row_when", "-row_id"))
    events = _event_part(user, filters)
    if events is not None:
        parts.append(events.order_by("-row_when", "-row_id"))
    if len(parts) <= 1:
        return parts[0] if parts else None
    if limit is not None and connection.features.supports_slicing_ordering_in_compound:
        # Each part read newest first on its index, no further than the page needs.
        parts = [part[:limit] for part in parts]
    else:
        parts = [part.order_by() for part in parts]
    return parts[0].union(*parts[1:], all=True).order_by("-row_when", "-row_id")


@dataclass
class AuditEntry:
    """One line of the log: a change of a record (its history row) or an audit event."""

    entry: Entry
    model: type[models.Model] | None  # the record's type; None: an event about no record
    record_id: Any
    record: models.Model | None  # None: deleted since, or none
    row: models.Model | None = None  # the history row of a change
    event: AuditEvent | None = None
    details: list[tuple[str, str]] = field(default_factory=list)

    @property
    def record_type(self) -> str:
        return str(self.model._meta.verbose_name) if self.model is not None else ""

    @property
    def label(self) -> str:
        """The record as it is, or, deleted since, as its history row last knew it."""
        if self.record is not None:
            return str(self.record)
        if self.row is None:
            return f"#{self.record_id}" if self.record_id is not None else ""
        try:
            return str(self.row.instance)  # type: ignore[attr-defined]
        except models.ObjectDoesNotExist:  # what it named is gone too
            return f"#{self.record_id}"

    @property
    def url(self) -> str:
        getter = getattr(self.record, "get_absolute_url", None)
        return getter() if getter is not None and self.model in AUDITED else ""

    @property
    def username(self) -> str:
        """The account's username; for an event also one typed at a failed sign-in, or that of
        an account deleted since."""
        if self.entry.user is not None:
            return self.entry.user.get_username()
        return self.event.username if self.event is not None else ""

    @property
    def who(self) -> str:
        if self.entry.user is None and self.username:
            return self.username
        return who(self.entry.user)

    @property
    def summary(self) -> str:
        return self.event.summary if self.event is not None else ""

    @property
    def changes_text(self) -> str:
        if self.event is None:
            return changes_text(self.entry)
        lines = [self.summary] if self.summary else []
        lines += [labelled(label, value) for label, value in self.details]
        return clauses(lines)


def _detail_lines(detail: dict[str, Any]) -> list[tuple[str, str]]:
    lines = []
    for key, label in DETAIL_LABELS.items():
        if key in detail and detail[key] not in (None, ""):
            value = detail[key]
            if isinstance(value, bool):
                value = _("是") if value else _("否")
            lines.append((str(label), str(value)))
    lines += [
        (key, str(value))
        for key, value in detail.items()
        if key not in DETAIL_LABELS and key not in _HIDDEN_DETAILS
    ]
    return lines


def _last_rows_of_saves(
    history_model: type[models.Model], rows: list[models.Model]
) -> dict[int, models.Model]:
    """Queries (two): for each row that starts a save, the save's last row (its final state)."""
    if not history_model._history_m2m_fields or not rows or not hasattr(rows[0], "version"):
        return {}
    manager = history_model._default_manager
    last = _same_save(history_model).order_by("-history_id").values("history_id")[:1]
    pairs = dict(
        manager.filter(history_id__in=[r.history_id for r in rows if r.history_type != "-"])
        .annotate(last=Subquery(last))
        .values_list("history_id", "last")
    )
    wanted = {last for first, last in pairs.items() if last is not None and last != first}
    found = manager.select_related("history_user").in_bulk(list(wanted))
    return {first: found[last] for first, last in pairs.items() if last in found}


def _describe_changes(
    name: str, typed: list[dict[str, Any]], user: Any
) -> dict[tuple[str, Any], AuditEntry]:
    model = _BY_NAME[name]
    history_model = model.history.model  # type: ignore[attr-defined]
    firsts = list(
        history_model._default_manager.filter(
            history_id__in=[row["row_id"] for row in typed]
        ).select_related("history_user")
    )
    previous = predecessors(history_model, firsts)
    lasts = _last_rows_of_saves(history_model, firsts)
    shown = []
    for first in firsts:
        last = lasts.get(first.history_id)
        if last is None:
            shown.append(first)
            continue
        # The save as one entry: its final state, under its first row's kind, time and user.
        last.history_type = first.history_type
        last.history_date = first.history_date
        last.history_user = first.history_user
        last.history_change_reason = first.history_change_reason or last.history_change_reason
        previous[last.history_id] = previous.get(first.history_id)
        shown.append(last)
    entries = describe(model, shown, previous)
    if masked(user, model):
        mask(entries)
    key = record_number_field(model)
    records = (
        model._default_manager.select_related(*AUDITED[model])
        .filter(**{f"{key}__in": {row["record_id"] for row in typed}})
        .in_bulk(field_name=key)
    )
    return {
        (name, first.history_id): AuditEntry(
            entry, model, getattr(first, key), records.get(getattr(first, key)), row
        )
        for first, row, entry in zip(firsts, shown, entries, strict=True)
    }


def _describe_events(typed: list[dict[str, Any]]) -> dict[tuple[str, Any], AuditEntry]:
    """Queries: the events with their users, and the records they concern (one per type)."""
    events = list(
        AuditEvent.objects.filter(pk__in=[row["row_id"] for row in typed]).select_related("user")
    )
    wanted: dict[int, set[int]] = defaultdict(set)
    for event in events:
        if event.content_type_id is not None and event.object_id is not None:
            wanted[event.content_type_id].add(event.object_id)
    records: dict[tuple[int, int], models.Model] = {}
    for type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        related = AUDITED.get(model, ())
        for pk, obj in model._default_manager.select_related(*related).in_bulk(ids).items():
            records[(type_id, pk)] = obj
    found = {}
    for event in events:
        model = None
        if event.content_type_id is not None:
            model = ContentType.objects.get_for_id(event.content_type_id).model_class()
        entry = Entry(
            when=event.occurred_at,
            user=event.user,
            kind=event.action,
            kind_label=str(event.get_action_display()),
            reason="",
        )
        found[(EVENT, event.pk)] = AuditEntry(
            entry,
            model,
            event.object_id,
            records.get((event.content_type_id, event.object_id)),
            event=event,
            details=_detail_lines(event.detail or {}),
        )
    return found


def describe_rows(rows: list[dict[str, Any]], user: Any = None) -> list[AuditEntry]:
    """Queries (a few per record type present): rows of audit_rows as AuditEntry, in order;
    the values of personal data masked unless user may read it (None: masked)."""
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_type[row["record_type"]].append(row)
    found: dict[tuple[str, Any], AuditEntry] = {}
    for name, typed in by_type.items():
        found.update(
            _describe_events(typed) if name == EVENT else _describe_changes(name, typed, user)
        )
    return [found[(row["record_type"], row["row_id"])] for row in rows]


def in_chunks(rows: Iterable[dict[str, Any]], user: Any = None) -> Iterator[AuditEntry]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield from describe_rows(chunk, user)
            chunk = []
    if chunk:
        yield from describe_rows(chunk, user)


AUDIT_COLUMNS = [
    Column(_("时间"), lambda a: a.entry.when),
    Column(_("用户"), lambda a: a.username),
    Column(_("姓名"), lambda a: a.entry.user.get_full_name() if a.entry.user else ""),
    Column(_("操作"), lambda a: a.entry.kind_label),
    Column(_("记录类型"), lambda a: a.record_type),
    Column(_("记录编号"), lambda a: a.record_id),
    Column(_("记录"), lambda a: a.label),
    Column(_("变更内容"), lambda a: a.changes_text),
    Column(_("原因"), lambda a: a.entry.reason),
]
