"""The rewards of tips (举报奖励): their report by year and list, the decision and the payment.
Proposing one is a step of its tip (supervision.views.tips)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from supervision.choices import RewardStatus
from supervision.filtersets import TipRewardFilterSet
from supervision.forms.tips import APPROVE, DecideRewardForm, PayRewardForm
from supervision.models import TipReward
from supervision.services import tip_rewards as reward_service
from supervision.views.base import ServiceFormView, StaffView
from supervision.views.case_lists import CaseListView


class _ActsOnReward(ServiceFormView):
    model = TipReward
    object_model = TipReward
    permission_required = "supervision.change_tipreward"
    template_name = "tips/reward_step.html"
    title: ClassVar[str] = ""
    status_needed: ClassVar[str] = ""

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["reward"] = self.get_object()
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = self.title
        context["reward"] = self.get_object()
        context["object"] = self.get_object().tip
        return context

    def refusal(self) -> str | None:
        reward = self.get_object()
        if reward.status != self.status_needed:
            return gettext("奖励当前状态为“%(status)s”，不能进行此操作。") % {
                "status": reward.get_status_display()
            }
        return None

    def get_success_url(self, record: Model | None = None) -> str:
        reward = record if isinstance(record, TipReward) else self.get_object()
        return reward.get_absolute_url()


class TipRewardDecideView(_ActsOnReward):
    form_class = DecideRewardForm
    title = _("审批举报奖励")
    success_message = _("奖励审批已记录。")
    status_needed = RewardStatus.PROPOSED
    service_error_fields = {"decided_by": "decision"}

    def perform(self, form: Form) -> Model:
        data = form.cleaned_data
        return reward_service.decide_reward(
            self.get_object(),
            approve=data["decision"] == APPROVE,
            on=data["decided_on"],
            user=self.request.user,
            note=data.get("note") or "",
            expected_version=form.expected_version,
        )


class TipRewardPayView(_ActsOnReward):
    form_class = PayRewardForm
    title = _("发放举报奖励")
    success_message = _("奖励发放已记录。")
    status_needed = RewardStatus.APPROVED

    def perform(self, form: Form) -> Model:
        data = form.cleaned_data
        return reward_service.pay_reward(
            self.get_object(),
            on=data["paid_on"],
            method=data["method"],
            reference=data["reference"],
            user=self.request.user,
            expected_version=form.expected_version,
        )


class TipRewardListView(CaseListView):
    """The rewards by year (count and total per status) over the filtered list of rewards."""

    model = TipReward
    filterset_class = TipRewardFilterSet
    template_name = "tips/reward_list.html"
    filter_fields = ["q", "status", "year", "proposed_on", "district"]

    def get_queryset(self) -> QuerySet:
        return self.scoped(TipReward.objects.select_related("tip__facility"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        years = reward_service.rewards_by_year(self.request.user)
        statuses = list(RewardStatus)
        context["statuses"] = statuses
        context["years"] = [
            {
                **year,
                "cells": [
                    year["by_status"].get(s.value, {"count": 0, "total": None}) for s in statuses
                ],
            }
            for year in years
        ]
        return context


class TipRewardDetailView(StaffView, View):
    """A reward has no page of its own: its section of the tip's page."""

    model = TipReward

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        reward = get_object_or_404(self.scoped(TipReward.objects.all()), pk=pk)
        return HttpResponseRedirect(reward.get_absolute_url())


urlpatterns = [
    path("", TipRewardListView.as_view(), name="tipreward-list"),
    path("<int:pk>/", TipRewardDetailView.as_view(), name="tipreward-detail"),
    path("<int:pk>/decide/", TipRewardDecideView.as_view(), name="tipreward-decide"),
    path("<int:pk>/pay/", TipRewardPayView.as_view(), name="tipreward-pay"),
]
