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

Tags
    ``{% grade_badge grade %}``            the A–D grade square (``grade grade-A`` …); no grade
    ``{% grade_badge grade year %}``       gives a grey ``—``; with a year the tooltip names it.
    ``{% status_badge value %}``           ``<span class="badge status-<value>">label</span>`` for
    ``{% status_badge value label %}``     any status of AgreementStatus, InspectionStatus or
                                           ReferralStatus (the label is looked up); pass a label
                                           for anything else.
    ``{% sort_link "name" "名称" %}``      a column-header link that sorts a list by an
                                           OrderingFilter field (``?ordering=``), toggling between
                                           ascending and descending and keeping the other
                                           parameters (the page number is dropped). Needs
                                           ``request`` in the context.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from supervision.audit import can_audit as allowed
from supervision.choices import AgreementStatus, Grade, InspectionStatus, ReferralStatus
from supervision.formats.values import DASH, cny, who, ymd, ymdhm
from supervision.people import person_name

register = template.Library()

_STATUS_CHOICES = (AgreementStatus, InspectionStatus, ReferralStatus)

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
def can_audit(user: object) -> bool:
    """Whether user may open the audit log (supervision.audit)."""
    return allowed(user)


@register.simple_tag
def grade_badge(grade: str | None, year: int | None = None) -> SafeString:
    """The coloured grade square, or a grey dash for "not rated"."""
    if not grade or grade not in Grade.values:
        return format_html('<span class="grade grade-none" title="{}">{}</span>', _("未评价"), DASH)
    label = Grade(grade).label
    title = _("%(year)s年度 %(grade)s") % {"year": year, "grade": label} if year else label
    return format_html('<span class="grade grade-{}" title="{}">{}</span>', grade, title, grade)


def status_label(value: str) -> str:
    for choices in _STATUS_CHOICES:
        if value in choices.values:
            return str(choices(value).label)
    return value


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
