"""我的待办 ("my work"): what is due for the signed-in person and their district, overdue first,
each with its link and its next step; for a supervisor also the team's items overdue past the
escalation (services.due_items). The first page after sign-in for those who own due items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.views.generic import TemplateView

from supervision.choices import District
from supervision.roles import SUPERVISOR
from supervision.services import due_items


@dataclass(frozen=True)
class Row:
    item: due_items.DueItem
    days_overdue: int
    label: object
    district: object


class MyWorkView(LoginRequiredMixin, TemplateView):
    template_name = "my_work/index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        work = due_items.for_user(user)
        items = work.items()
        due_items.remember_count(user, work.count)
        districts = dict(District.choices)
        labels = {source.kind: source.label for source in due_items.SOURCES}

        def rows(found: list[due_items.DueItem]) -> list[Row]:
            return [
                Row(
                    item=item,
                    days_overdue=item.days_overdue(work.window.today),
                    label=labels[item.kind],
                    district=districts.get(item.district, ""),
                )
                for item in found
            ]

        def notes(sections: list[due_items.Section]) -> list[tuple[object, int, int, bool]]:
            """The kinds with more items than shown: label, shown, how many, past the cap."""
            return [
                (labels[section.source.kind], len(section.items), section.count, section.capped)
                for section in sections
                if section.count > len(section.items)
            ]

        context.update(
            work=work,
            items=rows(items),
            team=rows(work.team_items()),
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
