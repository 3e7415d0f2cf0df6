"""Template helpers shared by every staff page: ``{% load supervision_tags %}``.

Filters
    ``value|cny``          money as ``¥1,234,567.80`` (thousands separators, 2 decimals);
                           ``None`` or "" gives ``—``. Accepts Decimal, int, float or a numeric str.
    ``value|ymd``          a date as ``2025-03-10``; an aware datetime as its local date;
                           ``None`` gives ``—``.
    ``value|ymdhm``        a datetime as local ``2025-03-10 14:05``; ``None`` gives ``—``.
    ``user|who``           a user's full name, else username; no user (a system load) gives
                           "系统".
    ``user|person``        the officer linked to an account (Inspector.user), else full name,
                           else username; no user gives ``—`` (select ``…__inspector``).
    ``user|can_audit``     whether user may open the audit log (审计): the navigation shows it
                           only then.
    ``session|session_idle``  seconds since the session was last saved, which its time-out
                           counts from (supervision.sessions): the time-out notice uses it.

Tags
    ``{% grade_badge grade %}``            the A–D grade square (``grade grade-A`` …); no grade
    ``{% grade_badge grade year %}``       gives a grey ``—``; with a year the tooltip names it.
    ``{% status_badge value %}``           ``<span class="badge status-<value>">label</span>`` for
    ``{% status_badge value label %}``     any status of AgreementStatus, InspectionStatus or
                                           ReferralStatus, QualificationStatus, PointsState …
                                           (the label is looked up); pass a label for anything
                                           else.
    ``{% tip_status_badge value %}``       the same pill for a tip's TipStatus, a reward's
    ``{% reward_badge value %}``           RewardStatus (their values overlap other statuses,
                                           so each looks up its own label).
    ``{% clock_badge state due_on %}``     a tip's deadline with its clock state
                                           (services.tips.clock_state): overdue (red), due_soon
                                           (amber), running, unknown ("期限未知").
    ``{% published_hotlines as rows %}``   the published Hotline rows (name, contact), cached;
                                           empty when none (the footer shows nothing then).
    ``{% sort_link "name" "名称" %}``      a column-header link that sorts a list by an
                                           OrderingFilter field (``?ordering=``), toggling between
                                           ascending and descending and keeping the other
                                           parameters (the page number is dropped). Needs
                                           ``request`` in the context.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

from django import template
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.db import DatabaseError
from django.db.models.signals import post_delete, post_save
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supervision.audit import can_audit as allowed
from supervision.choices import (
    AgreementStatus,
    CycleStatus,
    Grade,
    ImportStatus,
    InspectionStatus,
    ObjectionStatus,
    PointsState,
    QualificationStatus,
    RandomCheckStatus,
    RectificationStatus,
    ReferralStatus,
    RepairStatus,
    RewardStatus,
    TipStatus,
    TypicalCaseStatus,
)
from supervision.formats.values import DASH, cny, who, ymd, ymdhm
from supervision.models import Hotline
from supervision.people import person_name
from supervision.roles import ROLES
from supervision.scoping import group_names
from supervision.services import due_items
from supervision.sessions import seconds_idle

register = template.Library()

# The first whose values hold a status gives its label: a tip's 已受理 shares its value with a
# referral's 已立案, so the tip pages use tip_status_badge, which looks up TipStatus itself.
_STATUS_CHOICES = (
    AgreementStatus,
    InspectionStatus,
    ReferralStatus,
    TipStatus,
    RewardStatus,
    CycleStatus,
    ObjectionStatus,
    RepairStatus,
    # A practitioner's payment qualification (its "active" is AgreementStatus's, looked up first)
    # and a points record's state.
    QualificationStatus,
    PointsState,
    RandomCheckStatus,
    TypicalCaseStatus,
    RectificationStatus,
    ImportStatus,
)

# The formats of supervision.formats.values, as filters.
register.filter("cny", cny)
register.filter("ymd", ymd)
register.filter("ymdhm", ymdhm)
register.filter("who", who)


@register.filter
def person(user: object) -> str:
    """An account as its person: linked officer's name, full name, username (see
    supervision.people.person_name); "—" for none."""
    return person_name(user) or DASH


@register.filter
def role_names(user: object) -> list[str]:
    """The names of user's roles in the order of roles.ROLES, any other group after them by name
    (scoping.group_names: read once a request)."""
    order = {name: n for n, name in enumerate(ROLES)}
    return sorted(group_names(user), key=lambda name: (order.get(name, len(order)), name))


@register.filter
def session_idle(session: SessionBase) -> int:
    """Seconds since the session was last saved (supervision.sessions.seconds_idle)."""
    return seconds_idle(session)


@register.filter
def can_audit(user: object) -> bool:
    """Whether user may open the audit log (supervision.audit)."""
    return allowed(user)


@register.simple_tag
def my_work_link(user: object) -> dict[str, object]:
    """The navigation's 我的待办: shown (a role with due items) and the count "my work" last
    found (supervision.services.due_items.navigation_count; no query for the count)."""
    shown, count = due_items.navigation_count(user)
    return {"shown": shown, "count": count}


_GRADES = frozenset(Grade.values)


@register.simple_tag
def grade_badge(grade: str | None, year: int | None = None) -> SafeString:
    """The coloured grade square, or a grey dash for "not rated"."""
    if not grade or grade not in _GRADES:
        return format_html('<span class="grade grade-none" title="{}">{}</span>', _("未评价"), DASH)
    label = Grade(grade).label
    title = _("%(year)s年度 %(grade)s") % {"year": year, "grade": label} if year else label
    return format_html('<span class="grade grade-{}" title="{}">{}</span>', grade, title, grade)


@functools.cache
def _status_choices() -> dict[str, Any]:
    """Each status value's choices, the first of _STATUS_CHOICES that has it (built once: a
    choices class's `values` is a new list on every read, and a list asks for 50 badges)."""
    found: dict[str, Any] = {}
    for choices in _STATUS_CHOICES:
        for value in choices.values:
            found.setdefault(value, choices)
    return found


def status_label(value: str) -> str:
    choices = _status_choices().get(value)
    return str(choices(value).label) if choices is not None else value


@register.simple_tag
def status_badge(value: str | None, label: str | None = None) -> SafeString:
    """A status pill coloured by its value (status-active, status-referred, …)."""
    if not value:
        return format_html('<span class="badge">{}</span>', label or DASH)
    return format_html(
        '<span class="badge status-{}">{}</span>', value, label or status_label(value)
    )


@register.simple_tag(takes_context=True)
def sort_link(context: template.Context, field: str, label: str, param: str = "ordering") -> str:
    """A header link sorting by field; a second click sorts the other way."""
    request = context["request"]
    query = request.GET.copy()
    current = (query.get(param) or "").split(",")[0]
    descending = current == f"-{field}"
    ascending = current == field
    query[param] = f"-{field}" if ascending else field
    query.pop("page", None)
    query.pop("export", None)
    css = "sorted desc" if descending else "sorted" if ascending else ""
    if ascending:
        aria = _("升序，点击改为降序")
    elif descending:
        aria = _("降序，点击改为升序")
    else:
        aria = _("点击排序")
    return format_html(
        '<a href="?{}" class="{}" title="{}">{}</a>', query.urlencode(), css, aria, label
    )


@register.simple_tag
def tip_status_badge(value: str | None) -> SafeString:
    """A tip's status pill (TipStatus labels: 已受理 is not a referral's 已立案)."""
    label = str(TipStatus(value).label) if value in TipStatus.values else None
    return status_badge(value, label)


@register.simple_tag
def reward_badge(value: str | None) -> SafeString:
    """A reward's status pill (RewardStatus labels)."""
    label = str(RewardStatus(value).label) if value in RewardStatus.values else None
    return status_badge(value, label)


# Lazy: built once at import, translated into the language of each request that shows it.
_CLOCK_LABELS = {
    "overdue": gettext_lazy("已逾期"),
    "due_soon": gettext_lazy("即将到期"),
    "running": gettext_lazy("计时中"),
    "unknown": gettext_lazy("期限未知"),
}


@register.simple_tag
def clock_badge(state: str, due_on: datetime.date | None = None) -> SafeString:
    """A running deadline: the date and a pill saying whether it is overdue, due soon or (in a
    year the working-day calendar does not know) unknown. Nothing when no clock runs."""
    if not state:
        return format_html("{}", DASH)
    label = _CLOCK_LABELS.get(state, state)
    badge = format_html('<span class="badge clock-{}">{}</span>', state, label)
    if due_on is None:
        return badge
    return format_html('<span class="nowrap">{}</span> {}', ymd(due_on), badge)


HOTLINES_CACHE_KEY = "supervision:published-hotlines"
HOTLINES_CACHE_SECONDS = 600


@register.simple_tag
def published_hotlines() -> list[tuple[str, str]]:
    """The published ways to report (Hotline rows): (name, contact), in their order; read once
    per HOTLINES_CACHE_SECONDS and whenever a Hotline is saved or deleted. An unreadable
    database (the error pages) shows none rather than failing the page."""
    rows = cache.get(HOTLINES_CACHE_KEY)
    if rows is None:
        try:
            rows = [
                (h.name, h.contact)
                for h in Hotline.objects.filter(published=True).exclude(contact="")
            ]
        except DatabaseError:
            return []
        cache.set(HOTLINES_CACHE_KEY, rows, HOTLINES_CACHE_SECONDS)
    return rows


def forget_hotlines(**kwargs: object) -> None:
    cache.delete(HOTLINES_CACHE_KEY)


post_save.connect(forget_hotlines, sender=Hotline, dispatch_uid="supervision-hotlines-saved")
post_delete.connect(forget_hotlines, sender=Hotline, dispatch_uid="supervision-hotlines-deleted")
