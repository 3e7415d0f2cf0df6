"""The endpoints of random checks (双随机抽查): the plans with their steps, the drawn targets, and
the substitution of an inspector (the shared bases are in supervision.api.views).

Every write calls supervision.services.random_checks, as the pages and the admin do: writing and
editing a draft, drawing it, publishing, cancelling, substituting. An action that changes the
plan of its URL needs its ETag as If-Match (supervision.api.conditional). Verifying writes
nothing and is open to whoever may read plans. The stored pools are never in JSON: `pool` and
`inspector-pool` return them as the CSV text their digests are taken of.
"""

from __future__ import annotations

from django.db.models import Model, Prefetch, QuerySet
from django.http import Http404, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from supervision import random_draw
from supervision.api.evidence import AnyAccept
from supervision.api.serializers import random_checks as r
from supervision.api.views import CreateMixin, RetrieveMixin, ScopedViewSet
from supervision.filtersets import (
    BaseFilterSet,
    RandomCheckPlanFilterSet,
    district_filter,
    id_filter,
)
from supervision.models import RandomCheckAssignment, RandomCheckPlan, RandomCheckTarget
from supervision.services import random_checks as service

_DRAW = ["supervision.draw_randomcheckplan"]
_READ = ["supervision.view_randomcheckplan"]
_POOLS = ("pool", "inspector_pool")


def plans_for_lists(queryset: QuerySet) -> QuerySet:
    return queryset.defer(*_POOLS).select_related("drawn_by", "published_by", "created_by")


def targets_for_lists(queryset: QuerySet) -> QuerySet:
    assignments = RandomCheckAssignment.objects.select_related("inspector").order_by("position")
    return queryset.select_related("facility", "inspection__facility").prefetch_related(
        Prefetch("assignments", queryset=assignments)
    )


def assignments_for_lists(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("inspector")


_READ_QUERYSETS = {
    RandomCheckPlan: plans_for_lists,
    RandomCheckTarget: targets_for_lists,
    RandomCheckAssignment: assignments_for_lists,
}


class RandomCheckBaseViewSet(ScopedViewSet):
    """The shared base, re-reading saved rows as these endpoints' lists show them."""

    def read_queryset(self, queryset: QuerySet) -> QuerySet:
        read = _READ_QUERYSETS.get(queryset.model)
        return read(queryset) if read else super().read_queryset(queryset)


class RandomCheckTargetFilterSet(BaseFilterSet):
    """Drawn targets: by plan, by the facility's district."""

    plan = id_filter(_("抽查计划"), "plan")
    facility = id_filter(_("抽查对象"), "facility")
    district = district_filter("facility__")

    class Meta:
        model = RandomCheckTarget
        fields = ["plan", "facility", "district"]


class RandomCheckAssignmentFilterSet(BaseFilterSet):
    """Inspectors of drawn targets: by plan, target, inspector; withdrawn or not."""

    plan = id_filter(_("抽查计划"), "target__plan")
    target = id_filter(_("抽查对象"), "target")
    inspector = id_filter(_("执法人员"), "inspector")

    class Meta:
        model = RandomCheckAssignment
        fields = ["plan", "target", "inspector"]


class CSVText(HttpResponse):
    """A stored pool as the exact text its digest is taken of."""

    def __init__(self, lines, filename: str) -> None:
        super().__init__("".join(lines).encode("utf-8"), content_type="text/csv; charset=utf-8")
        self["Content-Disposition"] = f'attachment; filename="{filename}"'


_CSV = OpenApiResponse(
    response=OpenApiTypes.STR,
    description="The stored pool as CSV text, exactly the text the digest is taken of: "
    "sha256sum of the body is the plan's pool_digest (inspectors: the digest in the draw's "
    "salt).",
)
_VERSIONED_STEP = (
    "Needs the plan's ETag as If-Match; refused (400, with the reason) when the plan's status "
    "does not allow it."
)


@extend_schema_view(
    list=extend_schema(summary="List random-check plans"),
    retrieve=extend_schema(summary="Read a random-check plan"),
    create=extend_schema(
        summary="Write a random-check plan (a draft)",
        description="Writes a draft plan through services.random_checks.create_plan: the "
        "pool's criteria, how many to draw (target_count or target_share) and how the "
        "inspectors are drawn. A district-limited user names districts of theirs only.",
    ),
    partial_update=extend_schema(
        summary="Edit a draft's criteria",
        description="Changes some criteria of a draft (services.random_checks.edit_plan); a "
        "drawn, published or cancelled plan is refused.",
    ),
)
class RandomCheckPlanViewSet(
    mixins.ListModelMixin, RetrieveMixin, CreateMixin, RandomCheckBaseViewSet
):
    """Random-check plans (双随机抽查计划): written as drafts, drawn from a stored seed, verified,
    published; cancelled before publication. The pools are shown by size and digest."""

    queryset = RandomCheckPlan.objects.all()
    serializer_class = r.RandomCheckPlanSerializer
    filterset_class = RandomCheckPlanFilterSet
    ordering = ["-starts_on", "-id"]
    input_serializers = {"draw": r.DrawSerializer, "cancel": r.CancelSerializer}
    action_permissions = {
        "draw": _DRAW,
        "publish": _DRAW,
        "cancel": _DRAW,
        "verify": _READ,
        "pool": _READ,
        "inspector_pool": _READ,
    }
    conditional_actions = ScopedViewSet.conditional_actions | {"draw", "publish", "cancel"}

    def get_queryset(self) -> QuerySet:
        return plans_for_lists(super().get_queryset())

    def perform_create(self, serializer: Serializer) -> Model:
        return service.create_plan(user=self.request.user, **serializer.validated_data)

    def partial_update(self, request, *args, **kwargs) -> Response:
        plan = self.get_object()
        serializer = self.get_serializer(plan, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        edited = service.edit_plan(
            plan, user=request.user, version=plan.version, **serializer.validated_data
        )
        return self.respond(edited)

    def _stored(self, pk) -> RandomCheckPlan:
        """The plan of the URL with its stored pools (get_object reads it without them)."""
        plan = self.get_object()
        stored = RandomCheckPlan.objects.get(pk=plan.pk)
        stored.version = plan.version  # the If-Match, when the action asks for one
        return stored

    @extend_schema(
        summary="Draw the plan (抽取)",
        description="Reads and stores the pool and the inspector pool, draws the targets and "
        "their inspectors from the seed (algorithm ES-SHA256/1, see supervision.random_draw), "
        "stores the result and its digest. Once: a drawn plan is never drawn again. "
        + _VERSIONED_STEP,
        request=r.DrawSerializer,
        responses={200: r.RandomCheckPlanSerializer},
    )
    @action(detail=True, methods=["post"])
    def draw(self, request, pk=None) -> Response:
        plan = self.get_object()
        data = self.input(request)
        drawn = service.draw(
            plan,
            seed=data["seed"],
            seed_source=data["seed_source"],
            user=request.user,
            version=plan.version,
        )
        return self.respond(drawn)

    @extend_schema(
        summary="Verify the draw (核验)",
        description="Re-runs the draw from the stored seed and pools alone and compares it "
        "with the stored targets, inspectors and digests. Writes nothing; a plan not drawn "
        "answers ok false.",
        request=None,
        responses={200: r.VerificationSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def verify(self, request, pk=None) -> Response:
        plan = self._stored(pk)
        check = service.verify(plan)
        data = {
            "ok": check.ok,
            "problems": [str(p) for p in check.problems],
            "algorithm": plan.algorithm,
            "seed": plan.seed,
            "pool_size": check.pool_size,
            "target_count": check.target_count,
            "pool_digest": plan.pool_digest,
            "result_digest": check.result_digest,
            "stored_result_digest": plan.result_digest,
        }
        return Response(r.VerificationSerializer(data).data)

    @extend_schema(
        summary="Publish the plan (公布)",
        description="Verifies the draw, then makes each target a planned random inspection "
        "(双随机抽查) from the plan's first day with its current inspectors. " + _VERSIONED_STEP,
        request=None,
        responses={200: r.RandomCheckPlanSerializer},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None) -> Response:
        plan = self.get_object()
        return self.respond(service.publish(plan, user=request.user, version=plan.version))

    @extend_schema(
        summary="Cancel the plan (撤销)",
        description="Cancels a draft or drawn plan with the reason; a draw stays on record. "
        + _VERSIONED_STEP,
        request=r.CancelSerializer,
        responses={200: r.RandomCheckPlanSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None) -> Response:
        plan = self.get_object()
        data = self.input(request)
        cancelled = service.cancel(
            plan, reason=data["reason"], user=request.user, version=plan.version
        )
        return self.respond(cancelled)

    @extend_schema(
        summary="Download the stored pool",
        description="The facilities the draw read (facility_id,weight per line, in id order) "
        "as CSV text; 404 before the draw.",
        responses={(200, "text/csv"): _CSV},
    )
    @action(detail=True, methods=["get"], content_negotiation_class=AnyAccept)
    def pool(self, request, pk=None) -> HttpResponse:
        plan = self._stored(pk)
        if plan.pool is None:
            raise Http404(gettext("该计划尚未抽取。"))
        entries = random_draw.unpack_pool(bytes(plan.pool))
        return CSVText(random_draw.pool_text(entries), f"random-check-{plan.pk}-pool.csv")

    @extend_schema(
        summary="Download the stored inspector pool",
        description="The inspectors the draw read (inspector_id,district per line, in id "
        "order) as CSV text; 404 before the draw.",
        responses={(200, "text/csv"): _CSV},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="inspector-pool",
        content_negotiation_class=AnyAccept,
    )
    def inspector_pool(self, request, pk=None) -> HttpResponse:
        plan = self._stored(pk)
        if plan.inspector_pool is None:
            raise Http404(gettext("该计划尚未抽取。"))
        entries = random_draw.unpack_inspectors(bytes(plan.inspector_pool))
        return CSVText(
            random_draw.inspector_pool_text(entries), f"random-check-{plan.pk}-inspectors.csv"
        )


@extend_schema_view(
    list=extend_schema(summary="List drawn targets"),
    retrieve=extend_schema(summary="Read a drawn target"),
)
class RandomCheckTargetViewSet(mixins.ListModelMixin, RetrieveMixin, RandomCheckBaseViewSet):
    """The facilities a plan's draw picked, in the user's districts, with their inspectors
    now and every drawn or substituted inspector; read-only."""

    queryset = RandomCheckTarget.objects.all()
    serializer_class = r.RandomCheckTargetSerializer
    filterset_class = RandomCheckTargetFilterSet
    ordering = ["plan_id", "rank", "id"]

    def get_queryset(self) -> QuerySet:
        return targets_for_lists(super().get_queryset())


@extend_schema_view(
    list=extend_schema(summary="List inspectors of drawn targets"),
    retrieve=extend_schema(summary="Read an inspector of a drawn target"),
)
class RandomCheckAssignmentViewSet(mixins.ListModelMixin, RetrieveMixin, RandomCheckBaseViewSet):
    """The inspectors of the drawn targets in the user's districts; an inspector is withdrawn
    with the `substitute` action."""

    queryset = RandomCheckAssignment.objects.all()
    serializer_class = r.AssignmentSerializer
    filterset_class = RandomCheckAssignmentFilterSet
    ordering = ["target_id", "position", "id"]
    input_serializers = {"substitute": r.SubstituteSerializer}
    action_permissions = {"substitute": _DRAW}

    def get_queryset(self) -> QuerySet:
        return assignments_for_lists(super().get_queryset())

    @extend_schema(
        summary="Substitute the inspector (撤换)",
        description="Withdraws the inspector from the target with the reason; the substitute "
        "is the next inspector of the target's draw sequence who is on duty, not already on "
        "the target and not in conflict. Refused when the plan is not drawn, the inspector "
        "already withdrawn or the target's inspection completed. Answers the substitute.",
        request=r.SubstituteSerializer,
        responses={201: r.AssignmentSerializer},
    )
    @action(detail=True, methods=["post"])
    def substitute(self, request, pk=None) -> Response:
        assignment = self.get_object()
        data = self.input(request)
        replacement = service.substitute(assignment, reason=data["reason"], user=request.user)
        return self.respond(replacement, status.HTTP_201_CREATED)


__all__ = [
    "RandomCheckAssignmentViewSet",
    "RandomCheckPlanViewSet",
    "RandomCheckTargetViewSet",
]
