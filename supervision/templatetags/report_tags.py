"""``{% load report_tags %}``: ``user|can_make_reports``, whether the navigation offers 报表
(supervision.reports.may_make_reports, the page's own check)."""

from __future__ import annotations

from django import template

from supervision.reports import may_make_reports

register = template.Library()


@register.filter
def can_make_reports(user: object) -> bool:
    return may_make_reports(user)  # type: ignore[arg-type]
