"""Publication (信息公开) staff pages: the grade publications (which year's grades of which
facility category are public, since when, by whom) and the form that publishes one.

Publishing goes through services.publication.publish_grades, as the API does; the public pages
move on to a new edition in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.forms import Form
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from supervision.exports import Column
from supervision.filtersets import GradePublicationFilterSet
from supervision.forms.publication import GradePublicationForm
from supervision.models import GradePublication
from supervision.people import person_name
from supervision.services import publication as service
from supervision.views.base import ServiceFormView
from supervision.views.case_lists import CaseListView

GRADE_PUBLICATION_COLUMNS = [
    Column(_("评价年度"), lambda p: str(p.year)),
    Column(_("信用主体类别"), lambda p: str(p.category)),
    Column(_("公布日期"), lambda p: p.published_on),
    Column(_("公布人"), lambda p: person_name(p.published_by)),
    Column(_("说明"), lambda p: p.note),
]


def publications_for_lists(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("category", "published_by__inspector")


class GradePublicationListView(CaseListView):
    model = GradePublication
    filterset_class = GradePublicationFilterSet
    template_name = "publication/grades.html"
    filter_fields = ["year", "category"]
    export_columns = GRADE_PUBLICATION_COLUMNS
    export_name = "grade-publications"

    def get_queryset(self) -> QuerySet:
        return self.scoped(publications_for_lists(GradePublication.objects.all()))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        may_publish = self.request.user.has_perm("supervision.add_gradepublication")
        context["publish_form"] = GradePublicationForm() if may_publish else None
        return context


class GradePublishView(ServiceFormView):
    """公布 a year's final grades of a facility category."""

    model = GradePublication
    form_class = GradePublicationForm
    permission_required = "supervision.add_gradepublication"
    template_name = "publication/grade_form.html"
    success_message = _("信用等级已公布，公开页面已更新。")

    def perform(self, form: Form) -> Model:
        data = form.cleaned_data
        return service.publish_grades(
            year=data["year"], category=data["category"], user=self.request.user, note=data["note"]
        )

    def get_success_url(self, record: Model | None = None) -> str:  # type: ignore[override]
        return reverse("grade-publication-list")


urlpatterns = [
    path("grades/", GradePublicationListView.as_view(), name="grade-publication-list"),
    path("grades/publish/", GradePublishView.as_view(), name="grade-publication-create"),
]
