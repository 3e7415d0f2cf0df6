"""The endpoint of rectification orders (责令整改): list, read, order (create), and the two steps
on an order: the facility's report and the follow-up inspection (复查).

Every write calls services.rectifications, as the pages do. A step changes the order of its URL,
so it needs the order's ETag as If-Match (supervision.api.conditional).
"""

from __future__ import annotations

from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from supervision.api.serializers import rectifications as r
from supervision.api.views import CreateMixin, RetrieveMixin, ScopedViewSet
from supervision.filtersets import RectificationFilterSet
from supervision.models import Rectification
from supervision.services import rectifications as service

_CHANGE = ["supervision.change_rectification"]


def rectifications_for_lists(queryset: QuerySet) -> QuerySet:
    return queryset.select_related(
        "inspection__facility", "facility", "follow_up__facility", "created_by"
    )


@extend_schema_view(
    list=extend_schema(summary="List rectification orders"),
    retrieve=extend_schema(summary="Read a rectification order"),
    create=extend_schema(
        summary="Order rectification (责令整改)",
        description="Orders the facility of a completed inspection that found problems (a "
        "violation category recorded, or an amount involved) to put them right within a number "
        "of statutory working days; the deadline is computed from the holiday schedule. Once "
        "per inspection.",
        request=r.OrderRectificationSerializer,
        responses={201: r.RectificationSerializer},
    ),
)
class RectificationViewSet(mixins.ListModelMixin, RetrieveMixin, CreateMixin, ScopedViewSet):
    """Rectification orders (责令整改): ordered on a completed inspection, reported on by the
    facility, checked by a follow-up inspection (复查)."""

    queryset = Rectification.objects.all()
    serializer_class = r.RectificationSerializer
    filterset_class = RectificationFilterSet
    ordering = ["-id"]
    input_serializers = {
        "create": r.OrderRectificationSerializer,
        "report": r.ReportRectificationSerializer,
        "follow_up": r.FollowUpSerializer,
    }
    action_permissions = {
        "report": _CHANGE,
        # The follow-up is an inspection of its own.
        "follow_up": [*_CHANGE, "supervision.add_inspection"],
    }
    conditional_actions = ScopedViewSet.conditional_actions | {"report", "follow_up"}

    def get_queryset(self) -> QuerySet:
        return rectifications_for_lists(super().get_queryset())

    def read_queryset(self, queryset: QuerySet) -> QuerySet:
        return rectifications_for_lists(queryset)

    def perform_create(self, serializer: Serializer) -> Model:
        data = dict(serializer.validated_data)
        return service.order_rectification(data.pop("inspection"), user=self.request.user, **data)

    @extend_schema(
        summary="Record the facility's report (登记整改报告)",
        description="An order still 整改中 becomes 已报告整改, with the date the report came in "
        "and its summary.",
        request=r.ReportRectificationSerializer,
        responses={200: r.RectificationSerializer},
    )
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None) -> Response:
        rectification = self.get_object()
        data = self.input(request)
        reported = service.record_report(
            rectification, user=request.user, version=rectification.version, **data
        )
        return self.respond(reported)

    @extend_schema(
        summary="Record the follow-up inspection (登记复查)",
        description="Records a completed follow-up inspection (kind followup) of the facility on "
        "checked_on, with the outcome as its findings, and the order as carried out (整改到位) "
        "or not (整改不到位). Needs the permission to record inspections too.",
        request=r.FollowUpSerializer,
        responses={200: r.RectificationSerializer},
    )
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request, pk=None) -> Response:
        rectification = self.get_object()
        data = self.input(request)
        checked = service.record_follow_up(
            rectification, user=request.user, version=rectification.version, **data
        )
        return self.respond(checked)


__all__ = ["RectificationViewSet"]
