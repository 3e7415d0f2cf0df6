"""我的待办 ("my work"): what is due for the signed-in person and their district, overdue first,
each with its link and its next step; for a supervisor also the team's items overdue past the
escalation (services.due_items). The first page after sign-in for those who own due items."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView

from supervision.choices import District
from supervision.formats.values import DASH, ymd
from supervision.roles import SUPERVISOR
from supervision.services import due_items


class Rows:
    """The table rows of "my work", made here rather than by the template: Django's template
    language spends about 0.4 ms on each row of this table (13 values looked up, localised and
    escaped, a plural badge), which for a supervisor's 150 rows was most of the page. Every
    value is escaped by format_html; each text is translated once per page."""

    def __init__(self, today: datetime.date) -> None:
        self.today = today
        self.districts = dict(District.choices)
        self.labels = {source.kind: str(source.label) for source in due_items.SOURCES}
        self.soon = format_html('<span class="badge status-due-soon">{}</span>', _("即将到期"))
        self.view = _("查看")
        self.badges: dict[int, SafeString] = {}

    def badge(self, days: int) -> SafeString:
        if days not in self.badges:
            text = ngettext("逾期%(days)s天", "逾期%(days)s天", days) % {"days": localize(days)}
            self.badges[days] = format_html('<span class="badge status-overdue">{}</span>', text)
        return self.badges[days]

    def _cells(self, item: due_items.DueItem) -> SafeString:
        """What and whom, the district and the deadline: the columns both tables share."""
        return format_html(
            '<td><span class="muted">{}</span><br>{}</td><td><a href="{}">{}</a></td>'
            "<td>{}</td><td>{}</td>",
            self.labels[item.kind],
            item.title,
            item.url,
            item.subject or DASH,
            self.districts.get(item.district) or DASH,
            ymd(item.due_on),
        )

    def mine(self, item: due_items.DueItem) -> SafeString:
        state = self.badge(item.days_overdue(self.today)) if item.overdue else self.soon
        if item.action_url:
            step = format_html(
                '<a class="button small" href="{}">{}</a>', item.action_url, item.action_label
            )
        else:
            step = format_html('<a href="{}">{}</a>', item.url, self.view)
        return format_html(
            '<tr class="due-{}" data-kind="{}"><td>{}</td>{}<td>{}</td></tr>',
            item.state,
            item.kind,
            state,
            self._cells(item),
            step,
        )

    def team(self, item: due_items.DueItem) -> SafeString:
        return format_html(
            '<tr data-kind="{}"><td>{}</td>{}</tr>',
            item.kind,
            self.badge(item.days_overdue(self.today)),
            self._cells(item),
        )


class MyWorkView(LoginRequiredMixin, TemplateView):
    template_name = "my_work/index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        work = due_items.for_user(user)
        items = work.items()
        due_items.remember_count(user, work.count)
        rows = Rows(work.window.today)

        def notes(sections: list[due_items.Section]) -> list[tuple[object, int, int, bool]]:
            """The kinds with more items than shown: label, shown, how many, past the cap."""
            return [
                (
                    rows.labels[section.source.kind],
                    len(section.items),
                    section.count,
                    section.capped,
                )
                for section in sections
                if section.count > len(section.items)
            ]

        context.update(
            work=work,
            items=[rows.mine(item) for item in items],
            team=[rows.team(item) for item in work.team_items()],
            overdue=sum(item.overdue for item in items),
            soon=sum(not item.overdue for item in items),
            section_notes=notes(work.mine),
            team_notes=notes(work.team),
            today=work.window.today,
            is_supervisor=SUPERVISOR in due_items.roles_of(user),
            cap=due_items.COUNT_CAP,
        )
        return context


def start(request: HttpRequest) -> HttpResponse:
    """Where signing in lands: "my work" for those who own due items, else the overview."""
    if due_items.has_due_items(request.user):
        return redirect("my-work")
    return redirect("dashboard")


urlpatterns = [
    path("", MyWorkView.as_view(), name="my-work"),
    path("start/", start, name="start"),
]
