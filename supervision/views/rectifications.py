"""Rectification orders (责令整改): ordering one from an inspection's page, recording the
facility's report, recording the follow-up inspection (复查).

An order has no page of its own: it is a section of the page of the inspection it was made on
(templates/inspections/detail.html, #rectification). Every write goes through
services.rectifications; a step the order's state does not allow sends the user back there with
the reason, and a refusal comes back on the form with nothing changed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model
from django.forms import Form
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from supervision.choices import InspectionStatus, RectificationStatus
from supervision.forms.fields import plain_id
from supervision.forms.rectifications import (
    FollowUpForm,
    OrderRectificationForm,
    ReportRectificationForm,
)
from supervision.models import Inspection, Rectification
from supervision.services import rectifications as service
from supervision.views.base import ServiceFormView


class RectificationCreateView(ServiceFormView):
    """责令整改. ?inspection=<pk> (from the inspection's page) names the inspection."""

    model = Rectification
    form_class = OrderRectificationForm
    permission_required = "supervision.add_rectification"
    template_name = "rectifications/step.html"
    success_message = _("已责令整改。")

    def inspection(self) -> Inspection:
        """The inspection of ?inspection=, when the user may see it (404 otherwise)."""
        if not hasattr(self, "_inspection"):
            pk = plain_id(self.request.GET.get("inspection"))
            found = (
                self.scoped(Inspection.objects.select_related("facility")).filter(pk=pk).first()
                if pk
                else None
            )
            if found is None:
                raise Http404
            self._inspection = found
        return self._inspection

    def refusal(self) -> str | None:
        inspection = self.inspection()
        if inspection.status != InspectionStatus.COMPLETED:
            return gettext("只能对已完成的检查责令整改。")
        if Rectification.objects.filter(inspection=inspection).exists():
            return gettext("该检查已责令整改。")
        if not service.found_problems(inspection):
            return gettext("该检查未发现问题（未登记违规类型，涉及金额为0），不能责令整改。")
        return None

    def get_success_url(self, record: Model | None = None) -> str:  # type: ignore[override]
        return (record or self.inspection()).get_absolute_url()

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "inspection": self.inspection()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        inspection = self.inspection()
        context.update(
            title=pgettext("action", "责令整改"),
            inspection=inspection,
            rectification=None,
            button=pgettext("action", "责令整改"),
        )
        return context

    def perform(self, form: Form) -> Model:
        data = form.cleaned_data
        return service.order_rectification(
            self.inspection(),
            requirement=data["requirement"],
            workdays=data["workdays"],
            ordered_on=data["ordered_on"],
            user=self.request.user,
        )


class _RectificationStep(ServiceFormView):
    """A step on one order; its form takes it as `rectification`."""

    model = Rectification
    object_model = Rectification
    template_name = "rectifications/step.html"
    title: ClassVar[str] = ""
    button: ClassVar[str] = ""

    def get_object(self) -> Model:
        if not hasattr(self, "_object"):
            found = self.scoped_object(Rectification, self.kwargs["pk"])
            self._object = Rectification.objects.select_related(
                "inspection__facility", "follow_up"
            ).get(pk=found.pk)
        return self._object

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "rectification": self.get_object()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rectification = self.get_object()
        context.update(
            title=str(self.title),
            inspection=rectification.inspection,
            rectification=rectification,
            button=str(self.button),
        )
        return context

    def get_success_url(self, record: Model | None = None) -> str:  # type: ignore[override]
        return self.get_object().get_absolute_url()


class RectificationReportView(_RectificationStep):
    form_class = ReportRectificationForm
    permission_required = "supervision.change_rectification"
    title = _("登记整改报告")
    button = _("登记整改报告")
    success_message = _("整改报告已登记。")

    def refusal(self) -> str | None:
        status = self.get_object().status
        if status == RectificationStatus.REPORTED:
            return gettext("该整改已登记整改报告。")
        if status != RectificationStatus.ORDERED:
            return gettext("该整改已复查，不能再登记。")
        return None

    def perform(self, form: Form) -> Model:
        return service.record_report(
            self.get_object(),
            reported_on=form.cleaned_data["reported_on"],
            report=form.cleaned_data["report"],
            user=self.request.user,
            version=form.expected_version,
        )


class RectificationFollowUpView(_RectificationStep):
    form_class = FollowUpForm
    # The follow-up is an inspection of its own, recorded with the order's result.
    permission_required = ("supervision.change_rectification", "supervision.add_inspection")
    title = _("登记复查")
    button = _("登记复查")
    success_message = _("复查已登记。")
    form_takes_user = True

    def refusal(self) -> str | None:
        if not self.get_object().is_open:
            return gettext("该整改已复查，不能再登记。")
        return None

    def perform(self, form: Form) -> Model:
        data = form.cleaned_data
        return service.record_follow_up(
            self.get_object(),
            checked_on=data["checked_on"],
            done=data["done"],
            outcome=data["outcome"],
            inspectors=data["inspectors"],
            user=self.request.user,
            version=form.expected_version,
        )


urlpatterns = [
    path("new/", RectificationCreateView.as_view(), name="rectification-create"),
    path("<int:pk>/report/", RectificationReportView.as_view(), name="rectification-report"),
    path(
        "<int:pk>/follow-up/", RectificationFollowUpView.as_view(), name="rectification-follow-up"
    ),
]
