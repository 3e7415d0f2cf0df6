"""The endpoints of tips (举报线索), their rewards and the published hotlines (the shared bases
are in supervision.api.views). Every step of a tip's workflow is an action that calls
supervision.services.tips; the reporter is read only with view_tipreporter (masked otherwise,
see supervision.api.serializers.tips) and has a sub-resource of its own."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from supervision import services
from supervision.api import serializers as s
from supervision.api.permissions import ReporterPermissions
from supervision.api.serializers.tips import reporter_data
from supervision.api.views import (
    CaseRecordViewSet,
    RetrieveMixin,
    ScopedViewSet,
    _documented,
    _edited_with,
)
from supervision.filtersets import TipFilterSet, TipRewardFilterSet
from supervision.models import Hotline, Tip, TipReward
from supervision.models.tip import TipExtension
from supervision.services.tips import may_read_reporter


def tips_for_lists(queryset: QuerySet, user) -> QuerySet:
    """What a tip's response shows, in a fixed number of queries: its facility, inspection,
    reward and extensions; the reporter only for a user who may read it (no one else's
    response even selects it)."""
    queryset = queryset.select_related(
        "facility", "inspection__facility", "created_by", "reward"
    ).prefetch_related(
        "violations",
        Prefetch("extensions", queryset=TipExtension.objects.select_related("granted_by")),
    )
    if may_read_reporter(user):
        queryset = queryset.select_related("reporter")
    return queryset


_CHANGE_TIP = ["supervision.change_tip"]
_TIP_ACTIONS = ("accept", "decline", "merge", "open_inspection", "extend", "conclude")


@extend_schema_view(
    **_documented(
        "tip",
        "tips",
        create="Register a tip (举报线索) as received, with its acceptance clock (5 working days). "
        "The reporter's details are personal data: accepted only from a user with "
        "supervision.add_tipreporter (403 otherwise, nothing written), and shown only to users "
        "with supervision.view_tipreporter (masked for everyone else).",
        update="Correct a tip's details while it is open: channel, receipt, subject, "
        "allegation, amount, violations. Each step of the workflow is an action of its own; the "
        "reporter is corrected with PUT /api/tips/{id}/reporter/.",
        edit_responds_with=s.TipSerializer,
    )
)
class TipViewSet(CaseRecordViewSet):
    """Tips (举报线索) from the hotlines and other channels, on the statutory working-day clock.
    The list's search and filters never read the reporter (TipFilterSet)."""

    queryset = Tip.objects.all()
    serializer_class = s.TipSerializer
    filterset_class = TipFilterSet
    ordering = ["-received_at", "-id"]
    input_serializers = {
        **_edited_with(s.TipUpdateSerializer),
        "accept": s.AcceptSerializer,
        "decline": s.DeclineSerializer,
        "merge": s.MergeSerializer,
        "open_inspection": s.OpenInspectionSerializer,
        "extend": s.ExtendSerializer,
        "conclude": s.ConcludeSerializer,
        "reply": s.ReplySerializer,
        "close": s.CloseSerializer,
        "propose_reward": s.ProposeRewardSerializer,
        "set_reporter": s.ReporterInputSerializer,
    }
    action_permissions = {
        "accept": _CHANGE_TIP,
        "decline": _CHANGE_TIP,
        "merge": _CHANGE_TIP,
        "open_inspection": [*_CHANGE_TIP, "supervision.add_inspection"],
        "extend": [*_CHANGE_TIP, "supervision.add_tipextension"],
        "conclude": _CHANGE_TIP,
        "reply": _CHANGE_TIP,
        "close": _CHANGE_TIP,
        "propose_reward": ["supervision.add_tipreward"],
    }
    conditional_actions = ScopedViewSet.conditional_actions | {
        *_TIP_ACTIONS,
        "reply",
        "close",
    }

    def get_queryset(self) -> QuerySet:
        return tips_for_lists(super().get_queryset(), self.request.user)

    def read_queryset(self, queryset: QuerySet) -> QuerySet:
        if queryset.model is Tip:
            return tips_for_lists(queryset, self.request.user)
        return super().read_queryset(queryset)

    def moved(self, tip: Tip) -> Response:
        return self.respond(tip)

    @extend_schema(
        summary="Accept the tip (立案核查)",
        description="Accepts the tip for investigation within its acceptance clock. With "
        "inspection_kind, also opens the inspection of the tip's facility in the same step "
        "(needs supervision.add_inspection): the tip is then under investigation.",
        request=s.AcceptSerializer,
        responses={200: s.TipSerializer},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        tip = self.get_object()
        data = self.input(request)
        kind = data.pop("inspection_kind")
        if kind and not request.user.has_perm("supervision.add_inspection"):
            raise PermissionDenied(_("您无权登记检查。"))
        accepted = services.accept_tip(
            tip,
            on=data["decided_on"],
            user=request.user,
            note=data["decision_note"],
            inspection_kind=kind or None,
            inspectors=data.get("inspectors", []),
            start_date=data["start_date"],
            expected_version=tip.version,
        )
        return self.moved(accepted)

    @extend_schema(
        summary="Decline the tip (不予受理)",
        description="Not accepted, with the reason the reporter will be told.",
        request=s.DeclineSerializer,
        responses={200: s.TipSerializer},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        tip = self.get_object()
        data = self.input(request)
        declined = services.decline_tip(
            tip,
            on=data["decided_on"],
            reason=data["decision_note"],
            user=request.user,
            expected_version=tip.version,
        )
        return self.moved(declined)

    @extend_schema(
        summary="Merge into another tip (并案)",
        description="Links a duplicate to the tip it repeats: it is not handled twice and its "
        "clock stops.",
        request=s.MergeSerializer,
        responses={200: s.TipSerializer},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        tip = self.get_object()
        data = self.input(request)
        merged = services.merge_tip(
            tip,
            into=data["master"],
            note=data["note"],
            user=request.user,
            expected_version=tip.version,
        )
        return self.moved(merged)

    @extend_schema(
        summary="Open the inspection of an accepted tip",
        description="Investigates the tip through a new inspection of its facility (or an "
        "existing one of the same facility): the tip is then under investigation.",
        request=s.OpenInspectionSerializer,
        responses={200: s.TipSerializer},
    )
    @action(detail=True, methods=["post"], url_path="open-inspection")
    def open_inspection(self, request, pk=None):
        tip = self.get_object()
        data = self.input(request)
        opened = services.open_inspection(
            tip,
            user=request.user,
            kind=data["inspection_kind"],
            inspectors=data.get("inspectors", []),
            start_date=data["start_date"],
            inspection=data["inspection"],
            expected_version=tip.version,
        )
        return self.moved(opened)

    @extend_schema(
        summary="Extend the investigation",
        description="Adds working days to the investigation clock (1-30 each time, 60 in all), "
        "with the reason; recorded as an extension.",
        request=s.ExtendSerializer,
        responses={200: s.TipSerializer},
    )
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        tip = self.get_object()
        data = self.input(request)
        services.extend_investigation(
            tip,
            working_days=data["working_days"],
            reason=data["reason"],
            on=data["granted_on"],
            user=request.user,
            expected_version=tip.version,
        )
        return self.moved(tip)

    @extend_schema(
        summary="Conclude the investigation",
        description="Substantiated, partly or not; the tip's inspection must be completed.",
        request=s.ConcludeSerializer,
        responses={200: s.TipSerializer},
    )
    @action(detail=True, methods=["post"])
    def conclude(self, request, pk=None):
        tip = self.get_object()
        data = self.input(request)
        concluded = services.conclude_tip(
            tip,
            conclusion=data["conclusion"],
            on=data["concluded_on"],
            note=data["conclusion_note"],
            verified_amount=data["verified_amount"],
            user=request.user,
            expected_version=tip.version,
        )
        return self.moved(concluded)

    @extend_schema(
        summary="Reply to the reporter (答复)",
        description="Records that the reporter was told the decision or the result.",
        request=s.ReplySerializer,
        responses={200: s.TipSerializer},
    )
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        tip = self.get_object()
        data = self.input(request)
        replied = services.reply_to_reporter(
            tip,
            on=data["replied_on"],
            method=data["reply_method"],
            note=data["reply_note"],
            user=request.user,
            expected_version=tip.version,
        )
        return self.moved(replied)

    @extend_schema(
        summary="Close the tip (结案)",
        description="Closes the tip; one whose reporter asked for a reply only after the reply.",
        request=s.CloseSerializer,
        responses={200: s.TipSerializer},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        tip = self.get_object()
        data = self.input(request)
        closed = services.close_tip(
            tip, on=data["closed_on"], user=request.user, expected_version=tip.version
        )
        return self.moved(closed)

    @extend_schema(
        summary="Propose the reward (举报奖励)",
        description="For a substantiated tip with a named reporter: the share of the verified "
        "money, within the floor and the ceiling, to be approved by a supervisor.",
        request=s.ProposeRewardSerializer,
        responses={201: s.TipRewardSerializer},
    )
    @action(detail=True, methods=["post"], url_path="propose-reward")
    def propose_reward(self, request, pk=None):
        tip = self.get_object()
        data = self.input(request)
        reward = services.propose_reward(
            tip, on=data["proposed_on"], note=data["note"], user=request.user
        )
        return Response(self.output(reward, s.TipRewardSerializer), status=201)

    @extend_schema(
        summary="Read who reported",
        description="The reporter's details: personal data, only for a user with "
        "supervision.view_tipreporter (403 for everyone else).",
        responses={200: s.ReporterSerializer},
    )
    @action(
        detail=True,
        methods=["get"],
        permission_classes=[ReporterPermissions],
        filter_backends=[],
        pagination_class=None,
    )
    def reporter(self, request, pk=None):
        tip = self.get_object()
        return Response(reporter_data(tip, request.user))

    @extend_schema(
        summary="Record or correct who reported",
        description="Replaces the reporter's details (empty fields clear them); only with "
        "supervision.change_tipreporter (403 otherwise). Refused for an anonymous tip.",
        request=s.ReporterInputSerializer,
        responses={200: s.ReporterSerializer},
    )
    @reporter.mapping.put
    def set_reporter(self, request, pk=None):
        tip = self.get_object()
        details = self.input(request)["reporter"]
        services.set_reporter(tip, details, user=request.user)
        tip = self.read_queryset(Tip.objects.all()).get(pk=tip.pk)
        return Response(reporter_data(tip, request.user))


@extend_schema_view(**_documented("tip reward", "tip rewards"))
class TipRewardViewSet(mixins.ListModelMixin, RetrieveMixin, ScopedViewSet):
    """Rewards for substantiated tips (举报奖励): proposed on the tip's endpoint, decided and
    paid here. They never carry the reporter's details."""

    queryset = TipReward.objects.select_related("tip__facility", "proposed_by", "decided_by")
    serializer_class = s.TipRewardSerializer
    filterset_class = TipRewardFilterSet
    ordering = ["-proposed_on", "-id"]
    input_serializers = {"decide": s.DecideRewardSerializer, "pay": s.PayRewardSerializer}
    action_permissions = {
        "decide": ["supervision.change_tipreward"],
        "pay": ["supervision.change_tipreward"],
    }
    conditional_actions = ScopedViewSet.conditional_actions | {"decide", "pay"}

    @extend_schema(
        summary="Approve or refuse the reward",
        description="By someone other than the proposer. An approved reward may be claimed for "
        "a set number of days (claim_by).",
        request=s.DecideRewardSerializer,
        responses={200: s.TipRewardSerializer},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        reward = self.get_object()
        data = self.input(request)
        decided = services.decide_reward(
            reward,
            approve=data["approve"],
            on=data["decided_on"],
            note=data["note"],
            user=request.user,
            expected_version=reward.version,
        )
        return self.respond(decided)

    @extend_schema(
        summary="Record the payment",
        description="Records that an approved reward was paid, within its claim period.",
        request=s.PayRewardSerializer,
        responses={200: s.TipRewardSerializer},
    )
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        reward = self.get_object()
        data = self.input(request)
        paid = services.pay_reward(
            reward,
            on=data["paid_on"],
            method=data["method"],
            reference=data["reference"],
            user=request.user,
            expected_version=reward.version,
        )
        return self.respond(paid)


@extend_schema_view(list=extend_schema(summary="List the published hotlines"))
class HotlineViewSet(mixins.ListModelMixin, ScopedViewSet):
    """The bureau's published ways to report (举报渠道): the three hotline levels, the portal,
    WeChat. Only those published; a handful of rows, not paginated."""

    queryset = Hotline.objects.filter(published=True)
    serializer_class = s.HotlineSerializer
    filter_backends: list = []
    pagination_class = None
    ordering = ["position", "channel"]

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().order_by(*self.ordering)
