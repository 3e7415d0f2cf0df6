"""Tip pages (举报线索): the list and its export, the tip's page, registering and editing, one
form per step of the workflow (accept, decline, merge, open the inspection, extend, conclude,
reply, close) and of the reward (propose, decide, pay), and the rewards report.

Every step is a thin ServiceFormView over supervision.services.tips. The reporter's identity is
read only by users with view_tipreporter (services.tips.may_read_reporter): the list selects
the reporter only for them, and everyone else sees MASK in its place, never a blank.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from supervision.choices import (
    TIP_TRANSITIONS,
    TipClock,
    TipStatus,
)
from supervision.exports import Column, csv_response
from supervision.filtersets import TipFilterSet
from supervision.forms.fields import facility_from_query
from supervision.forms.tips import (
    AcceptForm,
    CloseForm,
    ConcludeForm,
    DeclineForm,
    ExtendForm,
    MergeForm,
    OpenInspectionForm,
    ProposeRewardForm,
    ReplyForm,
    ReporterForm,
    TipForm,
)
from supervision.history import History, merged_history, tip_related_history
from supervision.models import Facility, Inspection, Sanction, Tip, TipReporter, TipReward
from supervision.models.tip import MASK
from supervision.scoping import can_view
from supervision.services import tip_rewards as reward_service
from supervision.services import tips as service
from supervision.services.audit_events import export_recorder
from supervision.views.base import RecordDetailView, ServiceFormView, StaffView
from supervision.views.case_lists import CaseListView
from supervision.views.evidence import EvidenceSectionMixin
from supervision.workdays import Calendar


def reporter_label(tip: Tip, may_read: bool) -> str:
    """The list's reporter cell: 匿名 or the name for those who may read it, MASK otherwise."""
    if not may_read:
        return MASK
    if tip.anonymous:
        return gettext("匿名")
    reporter = getattr(tip, "reporter", None) if _has_reporter(tip) else None
    return reporter.name if reporter is not None and reporter.name else gettext("未留姓名")


def _has_reporter(tip: Tip) -> bool:
    try:
        tip.reporter  # noqa: B018 - loaded by select_related; absent raises
    except TipReporter.DoesNotExist:
        return False
    return True


def tip_columns(may_read: bool) -> list[Column]:
    """The export's columns; the reporter column is MASK for whoever may not read it."""
    return [
        Column(_("编号"), lambda t: t.pk),
        Column(_("案号"), lambda t: t.docket),
        Column(_("接收时间"), lambda t: t.received_at),
        Column(_("举报渠道"), lambda t: t.get_channel_display()),
        Column(_("被举报对象"), lambda t: t.subject),
        Column(_("医保定点编码"), lambda t: t.facility.insurance_code if t.facility else ""),
        Column(_("所属区县"), lambda t: t.get_district_display()),
        Column(_("状态"), lambda t: t.get_status_display()),
        Column(_("办理期限"), lambda t: t.due_on),
        Column(_("举报涉及金额（元）"), lambda t: t.amount_alleged),
        Column(_("核查结论"), lambda t: t.get_conclusion_display()),
        Column(_("查实金额（元）"), lambda t: t.verified_amount),
        Column(_("举报内容"), lambda t: t.allegation),
        Column(_("举报人"), lambda t: reporter_label(t, may_read)),
    ]


@dataclass(frozen=True)
class Row:
    """One line of the tip list: the tip, its clock state and its reporter cell."""

    tip: Tip
    clock: str
    reporter: str


class TipListMixin:
    """The list's queryset: the reporter joined only for who may read it."""

    request: HttpRequest

    def tips(self) -> QuerySet:
        queryset = Tip.objects.select_related("facility")
        if service.may_read_reporter(self.request.user):
            queryset = queryset.select_related("reporter")
        return self.scoped(queryset)  # type: ignore[attr-defined]


class TipListView(TipListMixin, CaseListView):
    model = Tip
    filterset_class = TipFilterSet
    template_name = "tips/list.html"
    filter_fields = ["q", "channel", "status", "clock", "district", "received", "conclusion"]
    chip_models = {"facility": Facility, "inspection": Inspection}
    export_name = "tips"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.export_columns = tip_columns(service.may_read_reporter(request.user))
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet:
        return self.tips()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        may_read = service.may_read_reporter(user)
        today = timezone.localdate()
        soon = service.due_soon_limit(today)
        context["rows"] = [
            Row(t, service.clock_state(t, today, soon), reporter_label(t, may_read))
            for t in context["object_list"]
        ]
        context["may_read_reporter"] = may_read
        context["can_create"] = user.has_perm("supervision.add_tip")
        context["export_url"] = reverse("tip-export")
        return context


class TipExportView(TipListMixin, StaffView, View):
    """The CSV of what the list's filters select (the streaming export, with its audit event)."""

    model = Tip
    export_name = "tips"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        filterset = TipFilterSet(request.GET, queryset=self.tips(), request=request)
        queryset = filterset.qs if filterset.is_valid() else Tip.objects.none()
        return csv_response(
            queryset,
            tip_columns(service.may_read_reporter(request.user)),
            self.export_name,
            on_complete=export_recorder(request, self.export_name, "csv"),
        )


@dataclass(frozen=True)
class Step:
    """One entry of the tip's timeline; rank orders the steps of one day as a tip goes through
    them (the tip keeps the date of each step, not its time)."""

    day: datetime.date
    rank: int
    label: str
    detail: str = ""


def timeline(tip: Tip, extensions: list, reward: TipReward | None) -> list[Step]:
    """The tip's steps, from its own fields (each step stores its date on the tip)."""
    steps = [
        Step(timezone.localdate(tip.received_at), 0, gettext("接收线索"), tip.get_channel_display())
    ]
    decided = {
        TipStatus.NOT_ACCEPTED: gettext("不予受理"),
        TipStatus.MERGED: gettext("重复并案"),
    }.get(tip.status, gettext("受理"))
    if tip.decided_on:
        steps.append(Step(tip.decided_on, 1, decided, tip.decision_note))
    elif tip.status == TipStatus.MERGED:
        steps.append(Step(timezone.localdate(tip.updated_at), 1, decided))
    if tip.inspection_id and tip.inspection is not None:
        steps.append(
            Step(
                tip.inspection.start_date,
                2,
                gettext("发起核查检查"),
                tip.inspection.get_kind_display(),
            )
        )
    for extension in extensions:
        steps.append(
            Step(
                extension.granted_on,
                3,
                gettext("延期%(n)d个工作日") % {"n": extension.working_days},
                extension.reason,
            )
        )
    if tip.concluded_on:
        steps.append(Step(tip.concluded_on, 4, gettext("办结"), tip.get_conclusion_display()))
    if reward is not None:
        steps.append(Step(reward.proposed_on, 5, gettext("提出奖励")))
        if reward.decided_on:
            steps.append(Step(reward.decided_on, 6, reward.get_status_display()))
    if tip.replied_on:
        steps.append(Step(tip.replied_on, 7, gettext("答复举报人"), tip.get_reply_method_display()))
    if reward is not None and reward.paid_on:
        steps.append(Step(reward.paid_on, 8, gettext("发放奖励"), reward.get_method_display()))
    if tip.closed_on:
        steps.append(Step(tip.closed_on, 9, gettext("结案")))
    return sorted(steps, key=lambda s: (s.day, s.rank))


def unknown_year(tip: Tip, calendar: Calendar) -> int | None:
    """The first year from the clock's start that the working-day calendar does not know."""
    start = tip.decided_on if tip.clock == TipClock.INVESTIGATION else None
    year = (start or timezone.localdate(tip.received_at)).year
    for candidate in range(year, year + 3):
        if not calendar.known_year(candidate):
            return candidate
    return None


class TipDetailView(EvidenceSectionMixin, RecordDetailView):
    model = Tip
    template_name = "tips/detail.html"

    def get_history(self) -> History:
        """The tip's changes, its files' uploads, and its reporter's (masked unless the reader
        may see who reported), extensions' and reward's."""
        own = super().get_history()
        related = tip_related_history(self.object, self.request.user, self.history_limit)
        return merged_history(own, related, limit=self.history_limit)

    def get_queryset(self) -> QuerySet:
        queryset = (
            super()
            .get_queryset()
            .select_related("facility", "inspection__facility", "master", "reward")
            .prefetch_related("violations", "extensions", "inspection__violations")
        )
        if service.may_read_reporter(self.request.user):
            queryset = queryset.select_related("reporter")
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        tip: Tip = self.object
        user = self.request.user
        today = timezone.localdate()
        calendar = Calendar.load()
        soon = service.due_soon_limit(today, calendar)
        may_read = service.may_read_reporter(user)
        reward = getattr(tip, "reward", None) if self._has(tip, "reward") else None
        extensions = list(tip.extensions.all())
        context.update(
            may_read_reporter=may_read,
            reporter=(tip.reporter if may_read and _has_reporter(tip) else None),
            mask=MASK,
            clock=service.clock_state(tip, today, soon),
            unknown_year=unknown_year(tip, calendar) if tip.clock and not tip.due_on else None,
            extensions=extensions,
            duplicates=list(self.scoped(Tip.objects.filter(master=tip)).order_by("received_at")),
            reward=reward if can_view(user, TipReward) else None,
            timeline=timeline(tip, extensions, reward),
            derived=service.derived_conclusion(tip) if tip.inspection_id else None,
            sanctions=(
                list(self.scoped(Sanction.objects.filter(inspection_id=tip.inspection_id)))
                if tip.inspection_id
                else []
            ),
            actions=self.actions(tip, reward),
        )
        return context

    @staticmethod
    def _has(tip: Tip, name: str) -> bool:
        try:
            getattr(tip, name)
        except (TipReward.DoesNotExist, TipReporter.DoesNotExist):
            return False
        return True

    def actions(self, tip: Tip, reward: TipReward | None) -> list[tuple[str, str, bool]]:
        """The buttons of the steps this user may take now: (url name, label, primary)."""
        user = self.request.user
        allowed = TIP_TRANSITIONS[tip.status]
        found: list[tuple[str, str, bool]] = []
        if user.has_perm("supervision.change_tip"):
            if tip.is_open:
                found.append(("tip-edit", gettext("编辑"), False))
            if TipStatus.ACCEPTED in allowed:
                found.append(("tip-accept", gettext("受理"), True))
                found.append(("tip-decline", gettext("不予受理"), False))
            if TipStatus.MERGED in allowed:
                found.append(("tip-merge", gettext("重复并案"), False))
            if tip.status == TipStatus.ACCEPTED:
                found.append(("tip-open-inspection", gettext("发起核查检查"), True))
            if TipStatus.CONCLUDED in allowed:
                found.append(("tip-conclude", gettext("办结"), True))
            if TipStatus.REPLIED in allowed:
                found.append(("tip-reply", gettext("答复举报人"), True))
            if TipStatus.CLOSED in allowed:
                found.append(("tip-close", gettext("结案"), False))
        if user.has_perm("supervision.add_tipextension") and tip.status in (
            TipStatus.ACCEPTED,
            TipStatus.INVESTIGATING,
        ):
            found.append(("tip-extend", gettext("延期"), False))
        if (
            reward is None
            and user.has_perm("supervision.add_tipreward")
            and tip.conclusion_counts
            and not tip.anonymous
        ):
            found.append(("tip-reward-propose", gettext("提出奖励"), False))
        if service.may_edit_reporter(user) and not tip.anonymous:
            found.append(("tip-reporter", gettext("编辑举报人信息"), False))
        return found


# --- Registering and editing -----------------------------------------------------------------


class TipCreateView(ServiceFormView):
    model = Tip
    form_class = TipForm
    permission_required = "supervision.add_tip"
    template_name = "tips/form.html"
    success_message = _("线索已登记。")
    form_takes_user = True

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["facility"] = facility_from_query(
            self.request.user, self.request.GET.get("facility")
        )
        return kwargs

    def perform(self, form: Form) -> Model:
        user = self.request.user
        with transaction.atomic():
            tip = service.register_tip(user=user, **form.register_arguments())
            master = form.merge_into
            if master is not None:
                tip = service.merge_tip(tip, into=master, user=user)
        return tip


class _ActsOnTip(ServiceFormView):
    """A step on one tip: the form takes it as `tip`; refused when the step is not open now."""

    model = Tip
    object_model = Tip
    permission_required = "supervision.change_tip"
    template_name = "tips/step.html"
    title: ClassVar[str] = ""
    form_needs_user: ClassVar[bool] = False

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["tip"] = self.get_object()
        if self.form_needs_user:
            kwargs["user"] = self.request.user
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = self.title
        return context

    def moves_to(self, status: str) -> str | None:
        tip = self.get_object()
        if status not in TIP_TRANSITIONS[tip.status]:
            return gettext("线索当前状态为“%(status)s”，不能进行此操作。") % {
                "status": tip.get_status_display()
            }
        return None


class TipEditView(_ActsOnTip):
    form_class = TipForm
    template_name = "tips/form.html"
    success_message = _("线索已保存。")
    form_takes_user = True

    def refusal(self) -> str | None:
        if not self.get_object().is_open:
            return gettext("已结案或已并案的线索不能修改。")
        return None

    def perform(self, form: Form) -> Model:
        tip = self.get_object()
        changes, violations = form.changes(), form.changed_violations()
        if not changes and violations is None:
            return tip
        return service.edit_tip(
            tip,
            user=self.request.user,
            changes=changes,
            violations=violations,
            expected_version=form.expected_version,
        )


class TipReporterView(_ActsOnTip):
    form_class = ReporterForm
    permission_required = "supervision.change_tipreporter"
    title = _("编辑举报人信息")
    success_message = _("举报人信息已保存。")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["reporter"] = TipReporter.objects.filter(tip=self.get_object()).first()
        return kwargs

    def refusal(self) -> str | None:
        if self.get_object().anonymous:
            return gettext("匿名举报不登记举报人信息。")
        return None

    def perform(self, form: Form) -> Model:
        tip = self.get_object()
        service.set_reporter(tip, form.reporter_details(), user=self.request.user)
        return tip


# --- The workflow's steps ----------------------------------------------------------------------


class TipAcceptView(_ActsOnTip):
    form_class = AcceptForm
    form_needs_user = True
    template_name = "tips/step_inspection.html"
    title = _("受理线索")
    success_message = _("线索已受理。")
    service_error_fields = {"facility": "open_inspection"}

    def refusal(self) -> str | None:
        return self.moves_to(TipStatus.ACCEPTED)

    def perform(self, form: Form) -> Model:
        data = form.cleaned_data
        opening = bool(data.get("open_inspection"))
        return service.accept_tip(
            self.get_object(),
            on=data["decided_on"],
            user=self.request.user,
            note=data.get("note") or "",
            inspection_kind=data["inspection_kind"] if opening else None,
            inspectors=list(data.get("inspectors") or []),
            start_date=data.get("start_date"),
            expected_version=form.expected_version,
        )


class TipDeclineView(_ActsOnTip):
    form_class = DeclineForm
    title = _("不予受理")
    success_message = _("已决定不予受理。")
    service_error_fields = {"decision_note": "reason"}

    def refusal(self) -> str | None:
        return self.moves_to(TipStatus.NOT_ACCEPTED)

    def perform(self, form: Form) -> Model:
        return service.decline_tip(
            self.get_object(),
            on=form.cleaned_data["decided_on"],
            reason=form.cleaned_data["reason"],
            user=self.request.user,
            expected_version=form.expected_version,
        )


class TipMergeView(_ActsOnTip):
    form_class = MergeForm
    form_needs_user = True
    title = _("重复并案")
    success_message = _("线索已并入主线索。")

    def refusal(self) -> str | None:
        return self.moves_to(TipStatus.MERGED)

    def perform(self, form: Form) -> Model:
        return service.merge_tip(
            self.get_object(),
            into=form.cleaned_data["master"],
            user=self.request.user,
            note=form.cleaned_data.get("note") or "",
            expected_version=form.expected_version,
        )


class TipOpenInspectionView(_ActsOnTip):
    form_class = OpenInspectionForm
    form_needs_user = True
    template_name = "tips/step_inspection.html"
    title = _("发起核查检查")
    success_message = _("已发起核查检查。")

    def refusal(self) -> str | None:
        tip = self.get_object()
        if tip.status != TipStatus.ACCEPTED:
            return gettext("只有已受理的线索可以发起核查检查。")
        if tip.facility_id is None:
            return gettext("线索尚未匹配到定点机构，请先在线索上选择被举报机构。")
        return None

    def perform(self, form: Form) -> Model:
        data = form.cleaned_data
        return service.open_inspection(
            self.get_object(),
            user=self.request.user,
            kind=data["inspection_kind"],
            inspectors=list(data.get("inspectors") or []),
            start_date=data["start_date"],
            expected_version=form.expected_version,
        )


class TipExtendView(_ActsOnTip):
    form_class = ExtendForm
    permission_required = "supervision.add_tipextension"
    title = _("核查延期")
    success_message = _("已延期。")

    def refusal(self) -> str | None:
        if self.get_object().status not in (TipStatus.ACCEPTED, TipStatus.INVESTIGATING):
            return gettext("只有已受理或核查中的线索可以延期。")
        return None

    def perform(self, form: Form) -> Model:
        service.extend_investigation(
            self.get_object(),
            working_days=form.cleaned_data["working_days"],
            reason=form.cleaned_data["reason"],
            on=form.cleaned_data["granted_on"],
            user=self.request.user,
            expected_version=form.expected_version,
        )
        return self.get_object()


class TipConcludeView(_ActsOnTip):
    form_class = ConcludeForm
    title = _("办结线索")
    success_message = _("线索已办结。")

    def refusal(self) -> str | None:
        return self.moves_to(TipStatus.CONCLUDED)

    def perform(self, form: Form) -> Model:
        data = form.cleaned_data
        return service.conclude_tip(
            self.get_object(),
            conclusion=data["conclusion"],
            on=data["concluded_on"],
            user=self.request.user,
            note=data.get("note") or "",
            verified_amount=data.get("verified_amount"),
            expected_version=form.expected_version,
        )


class TipReplyView(_ActsOnTip):
    form_class = ReplyForm
    title = _("答复举报人")
    success_message = _("答复已记录。")

    def refusal(self) -> str | None:
        return self.moves_to(TipStatus.REPLIED)

    def perform(self, form: Form) -> Model:
        data = form.cleaned_data
        return service.reply_to_reporter(
            self.get_object(),
            on=data["replied_on"],
            method=data["reply_method"],
            note=data["reply_note"],
            user=self.request.user,
            expected_version=form.expected_version,
        )


class TipCloseView(_ActsOnTip):
    form_class = CloseForm
    title = _("结案")
    success_message = _("线索已结案。")

    def refusal(self) -> str | None:
        return self.moves_to(TipStatus.CLOSED)

    def perform(self, form: Form) -> Model:
        return service.close_tip(
            self.get_object(),
            on=form.cleaned_data["closed_on"],
            user=self.request.user,
            expected_version=form.expected_version,
        )


# --- Rewards -------------------------------------------------------------------------------------


class TipRewardProposeView(_ActsOnTip):
    form_class = ProposeRewardForm
    permission_required = "supervision.add_tipreward"
    template_name = "tips/reward_step.html"
    title = _("提出举报奖励")
    success_message = _("奖励已提出，待审批。")

    def refusal(self) -> str | None:
        problems = reward_service.reward_problems(self.get_object())
        return " ".join(str(p) for p in problems.values()) or None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        tip = self.get_object()
        if tip.verified_amount:
            context["proposed_amount"] = reward_service.reward_amount(tip.verified_amount)
        return context

    def perform(self, form: Form) -> Model:
        return reward_service.propose_reward(
            self.get_object(),
            on=form.cleaned_data["proposed_on"],
            user=self.request.user,
            note=form.cleaned_data.get("note") or "",
        )

    def get_success_url(self, record: Model | None = None) -> str:
        if isinstance(record, TipReward):
            return record.get_absolute_url()
        return super().get_success_url(record)


urlpatterns = [
    path("", TipListView.as_view(), name="tip-list"),
    path("export/", TipExportView.as_view(), name="tip-export"),
    path("new/", TipCreateView.as_view(), name="tip-create"),
    path("<int:pk>/", TipDetailView.as_view(), name="tip-detail"),
    path("<int:pk>/edit/", TipEditView.as_view(), name="tip-edit"),
    path("<int:pk>/reporter/", TipReporterView.as_view(), name="tip-reporter"),
    path("<int:pk>/accept/", TipAcceptView.as_view(), name="tip-accept"),
    path("<int:pk>/decline/", TipDeclineView.as_view(), name="tip-decline"),
    path("<int:pk>/merge/", TipMergeView.as_view(), name="tip-merge"),
    path(
        "<int:pk>/open-inspection/",
        TipOpenInspectionView.as_view(),
        name="tip-open-inspection",
    ),
    path("<int:pk>/extend/", TipExtendView.as_view(), name="tip-extend"),
    path("<int:pk>/conclude/", TipConcludeView.as_view(), name="tip-conclude"),
    path("<int:pk>/reply/", TipReplyView.as_view(), name="tip-reply"),
    path("<int:pk>/close/", TipCloseView.as_view(), name="tip-close"),
    path("<int:pk>/reward/", TipRewardProposeView.as_view(), name="tip-reward-propose"),
]
