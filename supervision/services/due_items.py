"""Due items (待办事项): every dated obligation in the product, computed from the records.

A due item is not stored: each kind (a Source below) reads its records' own dates and states,
so the list can never disagree with them, and an item leaves it as soon as its record moves on
(the rectification checked, the referral answered, the inspection completed). Each item has

* an owner: people (the officers of an inspection or of the one that ordered a rectification) or a
  role in a district (the tip desk of the tip's district, the supervisors of the facility's);
* a due date, in statutory working days where the rules say so (supervision.workdays);
* a state: due soon (due within settings.DUE_SOON_WORKDAYS working days, today included) or
  overdue (the due date has passed). Done items are simply no longer open.

An item overdue by settings.ESCALATE_AFTER_WORKDAYS working days or more is escalated: it
also appears to the supervisors of its district ("my team's overdue items").

for_user() answers the "my work" page (每个来源两次有索引的查询，最多取 PAGE 条); all_items()
reads every open item once for the daily reminders (services.reminders).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.functional import Promise, cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from supervision.choices import (
    InspectionStatus,
    ObjectionStatus,
    ReferralStatus,
    SanctionKind,
)
from supervision.models import (
    Inspection,
    Inspector,
    Objection,
    PlannedCheck,
    Rectification,
    Referral,
    Sanction,
    Tip,
)
from supervision.models.rectification import OPEN_STATUSES
from supervision.querysets import Ids, any_of, ids_or_subquery
from supervision.roles import CREDIT_EVALUATOR, INSPECTOR, SUPERVISOR, TIP_DESK
from supervision.scoping import can_view, group_names, user_districts
from supervision.workdays import Calendar, UnknownYear

OVERDUE = "overdue"
SOON = "soon"
# Items shown per kind on "my work": of one's own, and of the team's (the longest overdue; the
# rest counted). A section's count stops past COUNT_CAP ("50 项以上"), so no query reads more
# than COUNT_CAP + 1 rows: for a district's supervisor each row read is a probe of its
# facility's district, so the cap is what the page costs.
PAGE = 50
TEAM_PAGE = 20
COUNT_CAP = PAGE


@dataclass(frozen=True)
class Window:
    """The dates of one day's due items: soon up to horizon, escalated up to cutoff."""

    today: datetime.date
    horizon: datetime.date  # due on or before: due soon (or overdue)
    escalation: datetime.date  # due on or before: overdue by the escalation's working days

    @classmethod
    def of(cls, today: datetime.date | None = None, calendar: Calendar | None = None) -> Window:
        today = today or timezone.localdate()
        calendar = calendar or Calendar.load()
        return cls(
            today=today,
            horizon=_workdays_after(calendar, today, settings.DUE_SOON_WORKDAYS),
            escalation=_workdays_before(calendar, today, settings.ESCALATE_AFTER_WORKDAYS),
        )

    def state(self, due_on: datetime.date) -> str:
        return OVERDUE if due_on < self.today else SOON


def _workdays_after(calendar: Calendar, day: datetime.date, count: int) -> datetime.date:
    """The count-th working day after day (day itself when count is 0); calendar days when the
    year's schedule is not known."""
    if count <= 0:
        return day
    try:
        return calendar.add_workdays(day, count)
    except UnknownYear:
        return day + datetime.timedelta(days=count)


def _workdays_before(calendar: Calendar, day: datetime.date, count: int) -> datetime.date:
    """The latest date D with `count` working days in (D, day]: a due date on or before D is
    overdue by at least count working days. Calendar days where the schedule is not known."""
    found = 0
    while found < count:
        try:
            found += calendar.is_workday(day)
        except UnknownYear:
            found += 1
        day -= datetime.timedelta(days=1)
    return day


@dataclass(frozen=True)
class DueItem:
    kind: str
    pk: int
    title: str
    subject: str
    district: str
    due_on: datetime.date
    state: str
    url: str
    action_url: str = ""
    action_label: str = ""
    people: frozenset[int] = frozenset()
    role: str = ""
    escalated: bool = False

    @property
    def key(self) -> str:
        """What a notification of this item is unique by: the record and its state."""
        return f"{self.kind}:{self.pk}:{self.state}"

    @property
    def overdue(self) -> bool:
        return self.state == OVERDUE

    def days_overdue(self, today: datetime.date) -> int:
        return max((today - self.due_on).days, 0)


@dataclass(frozen=True)
class Source:
    """One kind of due item: its open records with a due date, and how to own and show one."""

    kind: str
    label: Promise
    model: type[Model]
    # The open records due on or before a date, as rows of plain values (see _row_fields).
    rows: Callable[[datetime.date], QuerySet]
    # The same records narrowed to those of an officer (the user's Inspector id): their
    # inspections and what follows from them (None: only a role owns them).
    mine: Callable[[QuerySet, Officer], QuerySet] | None
    role: str
    # The row as an item: (title, subject, url, action url, action label).
    show: Callable[[dict[str, Any], Words], tuple[str, str, str, str, str]]
    # Only due soon, never overdue (a suspension that ends: nothing to do after the day).
    soon_only: bool = False
    # The date the rows are read in order of (its index), and the row's district (a path; the
    # row's own column where it has one, which an index by district and date serves).
    date_field: str = "due_on"
    district: str = "facility__district"
    # The due date of a row, when it is not its date_field.
    due: Callable[[dict[str, Any]], datetime.date] | None = None
    # Values read for a row's people (user ids), for the reminders: a separate query per page.
    people: Callable[[list[int]], dict[int, set[int]]] | None = None
    fields: tuple[str, ...] = field(default=())


def _planned_rows(until: datetime.date) -> QuerySet:
    return Inspection.objects.filter(status=InspectionStatus.PLANNED, start_date__lte=until)


def _running_rows(until: datetime.date) -> QuerySet:
    """In progress past its end date, or, without one, past INSPECTION_OPEN_DAYS from its
    start (read in start-date order by inspection_status_idx; the page sorts by due date)."""
    open_ended = until - datetime.timedelta(days=settings.INSPECTION_OPEN_DAYS)
    return Inspection.objects.filter(
        Q(end_date__lte=until) | Q(end_date__isnull=True, start_date__lte=open_ended),
        status=InspectionStatus.IN_PROGRESS,
    )


def _inspection_due(row: dict[str, Any]) -> datetime.date:
    if row["status"] == InspectionStatus.PLANNED:
        return row["start_date"]
    if row["end_date"] is not None:
        return row["end_date"]
    return row["start_date"] + datetime.timedelta(days=settings.INSPECTION_OPEN_DAYS)


def _people_of_inspections(pks: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    through = Inspection.inspectors.through.objects.filter(
        inspection_id__any_of=Ids(pks), inspector__user__isnull=False
    ).values_list("inspection_id", "inspector__user_id")
    for inspection_id, user_id in through:
        found.setdefault(inspection_id, set()).add(user_id)
    return found


def _people_of_rectifications(pks: list[int]) -> dict[int, set[int]]:
    by_inspection = dict(
        Rectification.objects.filter(pk__any_of=Ids(pks)).values_list("inspection_id", "pk")
    )
    people = _people_of_inspections(list(by_inspection))
    return {by_inspection[i]: users for i, users in people.items()}


# What the items say: read through Words.say(), each text translated once per language.
TEXTS: dict[str, Promise] = {
    "planned": _("计划检查逾期未开始"),
    "start": _("开始检查"),
    "running": _("检查逾期未办结"),
    "complete": _("完成检查"),
    "rectification": _("整改期满，待复查"),
    "follow_up": _("登记复查"),
    "referral": _("移送后未获反馈"),
    "feedback": _("登记反馈"),
    "acceptance": _("举报线索受理期限"),
    "accept": _("受理或不予受理"),
    "handling": _("举报线索核查期限"),
    "conclude": _("办结或延期"),
    "objection": _("信用评价异议办理期限"),
    "decide": _("处理异议"),
    "planned_check": _("年度检查计划应检查"),
    "record_check": _("登记检查"),
    "suspension": _("暂停医保服务协议期满"),
}
_said: dict[tuple[str, str | None], str] = {}
# A record's links: each route reversed once per script prefix and language, the id then put
# in its place. The daily run builds 600,000 items with two links each; reversing each (50 µs)
# was half of its time.
_MARK = 987654321012345


@functools.cache
def _route(name: str, prefix: str, language: str | None, urlconf: str) -> tuple[str, str]:
    before, after = reverse(name, urlconf=urlconf, args=[_MARK]).split(str(_MARK))
    return before, after


@functools.cache
def _path(name: str, prefix: str, language: str | None, urlconf: str) -> str:
    return reverse(name, urlconf=urlconf)


class Words:
    """The texts and links of items, in the language, script prefix and URLconf in force when
    it is made (one per page or run: asking for them per item cost more than the rest)."""

    def __init__(self) -> None:
        self.language = get_language()
        self.prefix = get_script_prefix()
        self.urlconf = get_urlconf() or settings.ROOT_URLCONF

    def say(self, name: str) -> str:
        key = (name, self.language)
        found = _said.get(key)
        if found is None:
            found = _said[key] = str(TEXTS[name])
        return found

    def link(self, name: str, pk: int | None = None) -> str:
        """The path of route name, for the record pk when the route takes one."""
        if pk is None:
            return _path(name, self.prefix, self.language, self.urlconf)
        before, after = _route(name, self.prefix, self.language, self.urlconf)
        return f"{before}{int(pk)}{after}"


def _show_inspection(row: dict[str, Any], words: Words) -> tuple[str, str, str, str, str]:
    url = words.link("inspection-detail", row["pk"])
    if row["status"] == InspectionStatus.PLANNED:
        return (
            words.say("planned"),
            row["facility__name"],
            url,
            words.link("inspection-edit", row["pk"]),
            words.say("start"),
        )
    return (
        words.say("running"),
        row["facility__name"],
        url,
        words.link("inspection-complete", row["pk"]),
        words.say("complete"),
    )


def _show_rectification(row: dict[str, Any], words: Words) -> tuple[str, str, str, str, str]:
    return (
        words.say("rectification"),
        row["facility__name"],
        words.link("inspection-detail", row["inspection_id"]) + "#rectification",
        words.link("rectification-follow-up", row["pk"]),
        words.say("follow_up"),
    )


def _show_referral(row: dict[str, Any], words: Words) -> tuple[str, str, str, str, str]:
    return (
        words.say("referral"),
        row["inspection__facility__name"],
        words.link("referral-detail", row["pk"]),
        words.link("referral-move", row["pk"]),
        words.say("feedback"),
    )


def _show_tip(row: dict[str, Any], words: Words) -> tuple[str, str, str, str, str]:
    url = words.link("tip-detail", row["pk"])
    subject = row["facility__name"] or row["subject_name"]
    if row["clock"] == "acceptance":
        return words.say("acceptance"), subject, url, url, words.say("accept")
    return words.say("handling"), subject, url, url, words.say("conclude")


def _show_objection(row: dict[str, Any], words: Words) -> tuple[str, str, str, str, str]:
    return (
        words.say("objection"),
        row["assessment__subject_name"],
        words.link("objection-detail", row["pk"]),
        words.link("objection-decide", row["pk"]),
        words.say("decide"),
    )


def _show_planned_check(row: dict[str, Any], words: Words) -> tuple[str, str, str, str, str]:
    return (
        words.say("planned_check"),
        row["facility__name"],
        words.link("plannedcheck-list") + f"?year={int(row['year'])}",
        words.link("inspection-create") + f"?facility={int(row['facility_id'])}",
        words.say("record_check"),
    )


def _show_suspension(row: dict[str, Any], words: Words) -> tuple[str, str, str, str, str]:
    return (
        words.say("suspension"),
        row["facility__name"],
        words.link("sanction-detail", row["pk"]),
        "",
        "",
    )


def _inspection_source(kind: str, label: Promise, rows: Callable[[datetime.date], QuerySet]):
    """Inspections are their officers' items, read in start-date order (inspection_status_idx)."""
    return Source(
        kind=kind,
        label=label,
        model=Inspection,
        rows=rows,
        mine=lambda found, officer: found.filter(any_of(officer.inspections)),
        role="",
        show=_show_inspection,
        date_field="start_date",
        due=_inspection_due,
        people=_people_of_inspections,
        district="district",
        fields=("status", "start_date", "end_date", "facility__name", "district"),
    )


SOURCES: tuple[Source, ...] = (
    _inspection_source("inspection", _("计划检查未开始"), _planned_rows),
    _inspection_source("inspection_open", _("检查未办结"), _running_rows),
    Source(
        kind="rectification",
        label=_("整改复查"),
        model=Rectification,
        rows=lambda until: Rectification.objects.filter(
            status__in=OPEN_STATUSES, due_on__lte=until
        ),
        mine=lambda rows, officer: rows.filter(any_of(officer.inspections, "inspection")),
        role="",
        show=_show_rectification,
        people=_people_of_rectifications,
        district="district",
        fields=("due_on", "inspection_id", "facility__name", "district"),
    ),
    Source(
        kind="referral",
        label=_("移送反馈"),
        model=Referral,
        rows=lambda until: Referral.objects.filter(
            status=ReferralStatus.REFERRED,
            referred_on__lte=until - datetime.timedelta(days=settings.REFERRAL_FOLLOW_UP_DAYS),
        ),
        mine=None,
        role=SUPERVISOR,
        show=_show_referral,
        date_field="referred_on",
        district="district",
        due=lambda row: (
            row["referred_on"] + datetime.timedelta(days=settings.REFERRAL_FOLLOW_UP_DAYS)
        ),
        fields=("referred_on", "inspection__facility__name", "district"),
    ),
    Source(
        kind="tip",
        label=_("举报线索期限"),
        model=Tip,
        rows=lambda until: Tip.objects.filter(due_on__lte=until).exclude(clock=""),
        mine=None,
        role=TIP_DESK,
        show=_show_tip,
        district="district",
        fields=("due_on", "clock", "subject_name", "facility__name", "district"),
    ),
    Source(
        kind="objection",
        label=_("信用评价异议"),
        model=Objection,
        rows=lambda until: Objection.objects.filter(
            status=ObjectionStatus.PENDING, due_on__lte=until
        ),
        mine=None,
        role=CREDIT_EVALUATOR,
        show=_show_objection,
        district="assessment__district",
        fields=("due_on", "assessment__subject_name", "assessment__district"),
    ),
    Source(
        kind="planned_check",
        label=_("年度检查计划"),
        model=PlannedCheck,
        # This year's check plan and last year's (an annual plan: older ones are history).
        rows=lambda until: PlannedCheck.objects.filter(
            year__in=[until.year - 1, until.year], inspection__isnull=True, due_on__lte=until
        ),
        mine=None,
        role=SUPERVISOR,
        show=_show_planned_check,
        fields=("due_on", "year", "facility_id", "facility__name", "facility__district"),
    ),
    Source(
        kind="suspension",
        label=_("协议暂停期满"),
        model=Sanction,
        rows=lambda until: Sanction.objects.filter(
            kind=SanctionKind.SUSPENSION, ends_on__lte=until
        ),
        mine=None,
        role=SUPERVISOR,
        show=_show_suspension,
        soon_only=True,
        date_field="ends_on",
        fields=("ends_on", "facility__name", "facility__district"),
    ),
)
KINDS: dict[str, Source] = {source.kind: source for source in SOURCES}


def kind_choices() -> list[tuple[str, Promise]]:
    return [(source.kind, source.label) for source in SOURCES]


def _due_of(source: Source, row: dict[str, Any]) -> datetime.date:
    return source.due(row) if source.due else row[source.date_field]


def _open(source: Source, window: Window, until: datetime.date) -> QuerySet:
    rows = source.rows(until)
    if source.soon_only:
        rows = rows.filter(**{f"{source.date_field}__gte": window.today})
    return rows


def _ordered(source: Source, rows: QuerySet) -> QuerySet:
    return rows.order_by(source.date_field, "id")


def _in_districts(source: Source, rows: QuerySet, districts: frozenset[str] | None) -> QuerySet:
    """rows in the districts (None: all). Through a relation, as EXISTS on its primary key:
    joined, PostgreSQL hashed every inspection of the country to find a district's few."""
    if districts is None:
        return rows
    path = source.district
    relation, _sep, rest = path.partition("__")
    if not rest:
        return rows.filter(**{f"{path}__in": sorted(districts)})
    related = rows.model._meta.get_field(relation).related_model
    return rows.filter(
        Exists(
            related._default_manager.filter(
                pk=OuterRef(f"{relation}_id"), **{f"{rest}__in": sorted(districts)}
            )
        )
    )


def _items(
    source: Source,
    rows: QuerySet,
    window: Window,
    words: Words,
    *,
    escalated: bool = False,
    page: int | None = None,
    whole: bool = False,
) -> tuple[list[DueItem], int]:
    """The first `page` items of rows (the earliest due) and how many there are, up to
    COUNT_CAP + 1: one query reading at most that many rows, or, given `whole` rows that are
    few (an officer's: at most their inspections), all of them, ordered here. Ordered and
    limited in SQL, those let PostgreSQL walk a national index in date order testing each row
    against the officer's array (200 ms for an officer's 11 rectifications)."""
    if whole:
        found = rows.order_by().values("pk", *source.fields)
        key = source.date_field
        values = sorted(found, key=lambda row: (row[key], row["pk"]))[: COUNT_CAP + 1]
    else:
        values = list(_ordered(source, rows).values("pk", *source.fields)[: COUNT_CAP + 1])
    shown = values[: PAGE if page is None else page]
    items = [_item(source, row, window, words, escalated=escalated) for row in shown]
    return sorted(items, key=lambda item: (item.due_on, item.pk)), len(values)


def _item(
    source: Source,
    row: dict[str, Any],
    window: Window,
    words: Words,
    *,
    escalated: bool,
    people: frozenset[int] = frozenset(),
) -> DueItem:
    due_on = _due_of(source, row)
    title, subject, url, action_url, action_label = source.show(row, words)
    return DueItem(
        kind=source.kind,
        pk=row["pk"],
        title=title,
        subject=subject,
        district=row[source.district] or "",
        due_on=due_on,
        state=window.state(due_on),
        url=url,
        action_url=action_url,
        action_label=action_label,
        people=people,
        role=source.role,
        escalated=escalated,
    )


@dataclass
class Section:
    """One kind of item in one part of "my work": its first items and how many in all."""

    source: Source
    items: list[DueItem]
    count: int

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP

    @property
    def overdue(self) -> int:
        return sum(item.overdue for item in self.items)


@dataclass
class MyWork:
    window: Window
    mine: list[Section]
    team: list[Section]

    def items(self) -> list[DueItem]:
        """Mine, overdue first (the oldest first), then due soon; each record once."""
        seen: set[tuple[str, int]] = set()
        found = []
        for section in self.mine:
            for item in section.items:
                if (item.kind, item.pk) not in seen:
                    seen.add((item.kind, item.pk))
                    found.append(item)
        return sorted(found, key=lambda item: (not item.overdue, item.due_on, item.kind, item.pk))

    def team_items(self) -> list[DueItem]:
        mine = {(item.kind, item.pk) for item in self.items()}
        found = [
            item
            for section in self.team
            for item in section.items
            if (item.kind, item.pk) not in mine
        ]
        return sorted(found, key=lambda item: (item.due_on, item.kind, item.pk))

    @property
    def count(self) -> int:
        return sum(min(section.count, COUNT_CAP) for section in self.mine)

    @property
    def overdue_count(self) -> int:
        return sum(item.overdue for item in self.items())


def roles_of(user: User) -> frozenset[str]:
    if user.is_superuser:
        return frozenset({INSPECTOR, SUPERVISOR, TIP_DESK, CREDIT_EVALUATOR})
    return group_names(user)


class Officer:
    """The user's enforcement officer (Inspector), and the inspections they are on: read once
    (one index-only query) and given to each kind as one array. Joined to the link table
    instead, PostgreSQL scanned every open rectification (15 ms) and started parallel workers
    for the inspections in progress (30 ms) for an officer of 2,000 inspections."""

    def __init__(self, pk: int) -> None:
        self.pk = pk

    @cached_property
    def inspections(self) -> Ids | QuerySet:
        links = Inspection.inspectors.through.objects.filter(inspector_id=self.pk)
        found = ids_or_subquery(links.values_list("inspection_id", flat=True))
        return Ids(found) if isinstance(found, list) else found


def _officer_of(user: User) -> Officer | None:
    """The user's enforcement officer, if they are one (one query)."""
    pk = Inspector.objects.filter(user=user).values_list("pk", flat=True).first()
    return None if pk is None else Officer(pk)


def _mine(
    source: Source, officer: Officer | None, roles: frozenset[str], districts, rows: QuerySet
) -> tuple[QuerySet | None, bool]:
    """The rows of source the user owns: by role in their districts, or as the officer; and
    whether they are few enough to read whole (an officer's, given as one array)."""
    if source.role and source.role in roles:
        return _in_districts(source, rows, districts), False
    if source.mine is not None and officer is not None:
        return source.mine(rows, officer), isinstance(officer.inspections, Ids)
    return None, False


def readable_sources(user: User) -> list[Source]:
    """The kinds whose records user may read (nobody is told of what they cannot open)."""
    return [source for source in SOURCES if can_view(user, source.model)]


# The navigation's count, as "my work" last computed it (it refreshes it on every visit, and
# signing in lands there): the navigation itself never reads the records.
COUNT_SECONDS = 30 * 60


def _count_key(user_id: int) -> str:
    return f"my-work-count:{user_id}:{timezone.localdate():%Y%m%d}"


def remember_count(user: User, count: int) -> None:
    cache.set(_count_key(user.pk), count, COUNT_SECONDS)


def navigation_count(user: Any) -> tuple[bool, int | None]:
    """Whether the navigation links "my work" for user (a role with due items), and the count
    "my work" last found for them today (None: not known; no query is made for it)."""
    if not has_due_items(user):
        return False, None
    return True, cache.get(_count_key(user.pk))


# A permission each role with due items holds and the others do not (read from the permission
# cache every page fills already: no query).
_WORKING_PERMISSIONS = (
    "supervision.add_inspection",
    "supervision.add_tip",
    "supervision.add_objection",
)


def has_due_items(user: Any) -> bool:
    """Whether user works to deadlines: an inspector, a supervisor, the tip desk or an evaluator
    (their first page after signing in is "my work")."""
    return bool(
        user.is_authenticated
        and user.is_active
        and any(user.has_perm(permission) for permission in _WORKING_PERMISSIONS)
    )


def for_user(user: User, window: Window | None = None) -> MyWork:
    """What is due for user ("my work"), and for a supervisor what is overdue in their team."""
    window = window or Window.of()
    roles = roles_of(user)
    districts = user_districts(user)
    officer = _officer_of(user)
    words = Words()
    mine, team = [], []
    for source in readable_sources(user):
        rows, whole = _mine(
            source, officer, roles, districts, _open(source, window, window.horizon)
        )
        if rows is not None:
            items, count = _items(source, rows, window, words, whole=whole)
            if items:
                mine.append(Section(source, items, count))
        if SUPERVISOR in roles and not source.soon_only and source.role != SUPERVISOR:
            late = _in_districts(source, _open(source, window, window.escalation), districts)
            items, count = _items(source, late, window, words, escalated=True, page=TEAM_PAGE)
            if items:
                team.append(Section(source, items, count))
    return MyWork(window=window, mine=mine, team=team)


def all_items(window: Window | None = None, *, batch: int = 2000) -> Iterator[DueItem]:
    """Every open item due soon or overdue, with its people, for the daily reminders: each
    source read once, streamed in one query (a server-side cursor on PostgreSQL, in whatever
    order the database finds cheapest: a scan of the open inspections, not a walk of the
    primary key in batches), its people read per `batch` records."""
    window = window or Window.of()
    words = Words()
    for source in SOURCES:
        rows = _open(source, window, window.horizon).order_by().values("pk", *source.fields)
        for page in _batches(rows.iterator(chunk_size=batch), batch):
            people = source.people([row["pk"] for row in page]) if source.people else {}
            for row in page:
                escalated = (
                    not source.soon_only
                    and source.role != SUPERVISOR
                    and _due_of(source, row) <= window.escalation
                )
                yield _item(
                    source,
                    row,
                    window,
                    words,
                    escalated=escalated,
                    people=frozenset(people.get(row["pk"], ())),
                )


def _batches(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    page: list[dict[str, Any]] = []
    for row in rows:
        page.append(row)
        if len(page) == size:
            yield page
            page = []
    if page:
        yield page


def owned_by(item: DueItem, user_id: int, roles: Iterable[str], districts) -> bool:
    """Whether the person (their roles, their districts or None for all) owns or, as a
    supervisor, is escalated the item."""
    roles = frozenset(roles)
    if user_id in item.people:
        return True
    in_district = districts is None or item.district in districts
    if item.role and item.role in roles and in_district:
        return True
    return item.escalated and SUPERVISOR in roles and in_district
