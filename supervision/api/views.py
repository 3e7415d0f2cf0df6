"""The endpoints. Each declares its queryset, serializers, FilterSet and default order; rows go
through supervision.scoping; workflows are actions that call supervision.services.

Nothing is deleted through the API: case records are evidence, and removing a facility from the
registry is an administrator's decision, taken in the admin.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from supervision import services
from supervision.api import serializers as s
from supervision.api.conditional import etag, etag_of, if_match_version
from supervision.api.evidence import EvidenceActions, EvidenceViewSetMixin
from supervision.api.pagination import MAX_INT
from supervision.choices import ReferralStatus
from supervision.filtersets import (
    CreditRatingFilterSet,
    FacilityFilterSet,
    InspectionFilterSet,
    RatingChangeFilterSet,
    ReferralFilterSet,
    SanctionFilterSet,
)
from supervision.models import (
    CreditRating,
    Facility,
    Inspection,
    RatingChange,
    Referral,
    Sanction,
    TipReward,
)
from supervision.models.base import Versioned, check_version
from supervision.scoping import scoped_queryset

_ADD_SANCTION = ["supervision.add_sanction"]


class ScopedViewSet(viewsets.GenericViewSet):
    """Every row an endpoint reads or writes comes from get_queryset, through the scoping."""

    # Per action: the serializer that reads the input (the response uses serializer_class).
    input_serializers: dict[str, type[Serializer]] = {}
    # Per workflow action: the permissions of what it writes (see RolePermissions).
    action_permissions: dict[str, list[str]] = {}
    # The default order of lists: an indexed key, ending with the primary key.
    ordering: list[str] = ["-id"]
    # Any path segment reaches the endpoint, which answers a JSON 404 for what is not an id.
    lookup_value_regex = "[^/]+"
    # Actions that change the record named in the URL: they need its ETag as If-Match
    # (supervision.api.conditional).
    conditional_actions: frozenset[str] = frozenset({"update", "partial_update"})

    def get_queryset(self) -> QuerySet:
        return scoped_queryset(self.request.user, super().get_queryset())

    def get_serializer_class(self) -> type[Serializer]:
        return self.input_serializers.get(self.action, self.serializer_class)

    def get_object(self) -> Model:
        value = str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, ""))
        # Not an id at all, or beyond the database's integers: no such record.
        if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_INT:
            raise NotFound
        record = super().get_object()
        if self.action in self.conditional_actions and isinstance(record, Versioned):
            # 428/412 before the input is read: an edit of an old version is refused as a whole.
            expected = if_match_version(self.request, record)
            check_version(record, expected)
            # The save checks it again, under the row's lock.
            record.version = expected
        return record

    def output(self, instance: Model, serializer_class: type[Serializer] | None = None) -> dict:
        """The saved row as a read would show it: re-read with the endpoint's annotations."""
        serializer_class = serializer_class or self.serializer_class
        queryset = scoped_queryset(
            self.request.user, serializer_class.Meta.model._default_manager.all()
        )
        reread = self.read_queryset(queryset).filter(pk=instance.pk).first() or instance
        return serializer_class(reread, context=self.get_serializer_context()).data

    def respond(
        self, instance: Model, status_code: int = 200, serializer_class: type | None = None
    ) -> Response:
        """The saved record as a read shows it, with its ETag."""
        data = self.output(instance, serializer_class)
        response = Response(data, status=status_code)
        if isinstance(instance, Versioned) and "version" in data:
            response["ETag"] = etag_of(instance.pk, data["version"])
        return response

    def read_queryset(self, queryset: QuerySet) -> QuerySet:
        return _READ_QUERYSETS.get(queryset.model, lambda q: q)(queryset)

    def input(self, request) -> dict:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class RetrieveMixin(mixins.RetrieveModelMixin):
    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        response = Response(self.get_serializer(instance).data)
        if isinstance(instance, Versioned):
            response["ETag"] = etag(instance)
        return response


class CreateMixin(mixins.CreateModelMixin):
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.respond(self.perform_create(serializer), status.HTTP_201_CREATED)

    def perform_create(self, serializer: Serializer) -> Model:
        """Save the valid input; endpoints whose writes have a service call it here."""
        return serializer.save()


class UpdateMixin(mixins.UpdateModelMixin):
    """PUT and PATCH, with the record's ETag as If-Match (see ScopedViewSet.get_object)."""

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return self.respond(self.perform_update(serializer))

    def perform_update(self, serializer: Serializer) -> Model:
        """Save the valid input; endpoints whose writes have a service call it here."""
        return serializer.save()


class RecordViewSet(mixins.ListModelMixin, RetrieveMixin, CreateMixin, UpdateMixin, ScopedViewSet):
    """An endpoint that lists, reads, records and edits one kind of row."""


class CaseRecordViewSet(EvidenceActions, RecordViewSet):
    """A record of a case, which carries evidence files."""


def _edited_with(serializer_class: type[Serializer]) -> dict[str, type[Serializer]]:
    """input_serializers of an endpoint whose edits read another serializer than its reads."""
    return {"update": serializer_class, "partial_update": serializer_class}


def _documented(
    one: str,
    many: str,
    *,
    create: str = "",
    update: str = "",
    edit_responds_with: type[Serializer] | None = None,
) -> dict:
    """Summaries of the standard operations of an endpoint.

    edit_responds_with: the read serializer an edit answers with, when the input differs.
    """
    operations = {
        "list": extend_schema(summary=f"List {many}"),
        "retrieve": extend_schema(summary=f"Read a {one}"),
    }
    if create:
        operations["create"] = extend_schema(summary=f"Record a {one}", description=create)
    if update:
        responses = {"responses": {200: edit_responds_with}} if edit_responds_with else {}
        operations["update"] = extend_schema(summary="Edit", description=update, **responses)
        operations["partial_update"] = extend_schema(
            summary="Edit some fields", description=update, **responses
        )
    return operations


@extend_schema_view(
    **_documented(
        "facility",
        "facilities",
        create="Add a facility or insurer to the registry. The codes are checked (GB 32100-2015 "
        "check character; the insurance code fits the kind and names a Lhasa division).",
        update="Edit a registry entry. Facilities are not deleted through the API.",
    )
)
class FacilityViewSet(RecordViewSet):
    """Designated facilities and insurers (定点医药机构), with their current grade and agreement
    status."""

    queryset = Facility.objects.for_lists()
    serializer_class = s.FacilitySerializer
    filterset_class = FacilityFilterSet
    ordering = ["name", "id"]
    input_serializers = {
        "grade": s.GradeSerializer,
        "suspend": s.SuspendSerializer,
        "recover_deposit": s.RecoverDepositSerializer,
    }
    action_permissions = {
        "grade": ["supervision.add_creditrating", "supervision.change_creditrating"],
        "suspend": _ADD_SANCTION,
        "recover_deposit": _ADD_SANCTION,
    }

    def perform_create(self, serializer: Serializer) -> Model:
        facility = Facility(**serializer.validated_data)
        return services.register_facility(facility, user=self.request.user)

    def perform_update(self, serializer: Serializer) -> Model:
        return services.edit_facility(
            serializer.instance, user=self.request.user, changes=serializer.validated_data
        )

    @extend_schema(
        summary="Set or change the grade of a year",
        description="Gives the facility a grade for a year through the same workflow as the "
        "pages: the rating is created or its grade changed, and a rating change with the reason "
        "and the user is written. Refused when the grade would stay the same.",
        request=s.GradeSerializer,
        responses={201: s.RatingChangeSerializer},
    )
    @action(detail=True, methods=["post"])
    def grade(self, request, pk=None):
        facility = self.get_object()
        data = self.input(request)
        change = services.set_grade(facility=facility, user=request.user, **data)
        return Response(self.output(change, s.RatingChangeSerializer), status=201)

    @extend_schema(
        summary="Suspend the service agreement",
        description="Suspends the facility's medical-insurance service agreement "
        "(暂停医保服务协议) from starts_on to ends_on, both included: at most 12 months, not "
        "overlapping another suspension, not after a termination. The agreement comes back by "
        "itself after ends_on.",
        request=s.SuspendSerializer,
        responses={201: s.SanctionSerializer},
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        facility = self.get_object()
        sanction = services.suspend_agreement(facility, user=request.user, **self.input(request))
        return Response(self.output(sanction, s.SanctionSerializer), status=201)

    @extend_schema(
        summary="Recover a share of the deposit",
        description="Recovers a percent of the facility's medical-insurance deposit (收回保证金); "
        "the amount is computed from the deposit on file, to the cent.",
        request=s.RecoverDepositSerializer,
        responses={201: s.SanctionSerializer},
    )
    @action(detail=True, methods=["post"], url_path="recover-deposit")
    def recover_deposit(self, request, pk=None):
        facility = self.get_object()
        data = self.input(request)
        sanction = services.recover_deposit(
            facility, user=request.user, percent=data.pop("deposit_percent"), **data
        )
        return Response(self.output(sanction, s.SanctionSerializer), status=201)


@extend_schema_view(
    **_documented(
        "rating",
        "ratings",
        create="Rate a facility for a year. The grade is set through the grade workflow, so a "
        "rating change with the reason is written. One rating per facility and year: to change "
        "one, edit it (or POST /api/facilities/{id}/grade/).",
        update="Edit a rating; its facility and year are fixed. A reason is always required. A "
        "new grade goes through the grade workflow and writes a rating change; score, date and "
        "basis are saved as sent, with the reason on the history.",
        edit_responds_with=s.CreditRatingSerializer,
    )
)
class CreditRatingViewSet(RecordViewSet):
    """Annual credit ratings (信用评价), grade A-D."""

    queryset = CreditRating.objects.for_lists()
    serializer_class = s.CreditRatingSerializer
    filterset_class = CreditRatingFilterSet
    ordering = ["-year", "-id"]
    input_serializers = _edited_with(s.CreditRatingUpdateSerializer)


@extend_schema_view(**_documented("rating change", "rating changes"))
class RatingChangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The audit trail of grades (评级调整): read-only, written by the grade workflow alone."""

    queryset = RatingChange.objects.select_related("rating__facility", "changed_by")
    serializer_class = s.RatingChangeSerializer
    filterset_class = RatingChangeFilterSet
    ordering = ["-changed_at", "-id"]


@extend_schema_view(
    **_documented(
        "inspection",
        "inspections",
        create="Record an inspection with its inspectors (at least 2 on site), partner agencies "
        "and violations found.",
        update="Edit an inspection. Completing it is an action of its own.",
    )
)
class InspectionViewSet(CaseRecordViewSet):
    """Inspections (检查) of facilities."""

    queryset = Inspection.objects.for_lists().select_related("created_by")
    serializer_class = s.InspectionSerializer
    filterset_class = InspectionFilterSet
    ordering = ["-start_date", "-id"]
    input_serializers = {"complete": s.CompleteSerializer, "refer": s.ReferSerializer}
    conditional_actions = ScopedViewSet.conditional_actions | {"complete"}
    action_permissions = {
        "complete": ["supervision.change_inspection"],
        "refer": ["supervision.add_referral"],
    }

    def perform_update(self, serializer: Serializer) -> Model:
        return services.edit_inspection(
            serializer.instance, user=self.request.user, changes=serializer.validated_data
        )

    @extend_schema(
        summary="Complete the inspection",
        description="Marks the inspection completed on end_date; an on-site inspection needs "
        "its 2 inspectors.",
        request=s.CompleteSerializer,
        responses={200: s.InspectionSerializer},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        inspection = self.get_object()
        done = services.complete_inspection(
            inspection,
            user=request.user,
            expected_version=inspection.version,
            **self.input(request),
        )
        return self.respond(done)

    @extend_schema(
        summary="Refer the case to an agency",
        description="Hands what the inspection found to another agency (移送), e.g. forged "
        "delivery notes to the police. Not from a planned inspection; once per agency.",
        request=s.ReferSerializer,
        responses={201: s.ReferralSerializer},
    )
    @action(detail=True, methods=["post"])
    def refer(self, request, pk=None):
        inspection = self.get_object()
        referral = services.refer_inspection(inspection, user=request.user, **self.input(request))
        return Response(self.output(referral, s.ReferralSerializer), status=201)


@extend_schema_view(
    **_documented(
        "referral",
        "referrals",
        create="Refer an inspection's case to an agency (the same as POST "
        "/api/inspections/{id}/refer/).",
        update="Correct the summary, case number or outcome. The status moves with POST "
        "/api/referrals/{id}/move/.",
        edit_responds_with=s.ReferralSerializer,
    )
)
class ReferralViewSet(CaseRecordViewSet):
    """Cases referred to other agencies (移送), followed until closed."""

    queryset = Referral.objects.for_lists().select_related("created_by")
    serializer_class = s.ReferralSerializer
    filterset_class = ReferralFilterSet
    ordering = ["-referred_on", "-id"]
    input_serializers = {
        **_edited_with(s.ReferralUpdateSerializer),
        "move": s.MoveSerializer,
    }
    action_permissions = {"move": ["supervision.change_referral"]}
    conditional_actions = ScopedViewSet.conditional_actions | {"move"}

    @extend_schema(
        summary="Move the referral to its next status",
        description="referred → accepted (with case number) or declined → closed (with "
        "outcome), each with its date.",
        request=s.MoveSerializer,
        responses={200: s.ReferralSerializer},
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        referral = self.get_object()
        data = self.input(request)
        to_status = data.pop("status")
        decided_on, closed_on = data.pop("decided_on", None), data.pop("closed_on", None)
        on = closed_on if to_status == ReferralStatus.CLOSED else decided_on
        moved = services.move_referral(
            referral,
            to_status=to_status,
            on=on,
            user=request.user,
            expected_version=referral.version,
            **data,
        )
        return self.respond(moved)


@extend_schema_view(
    **_documented(
        "sanction",
        "sanctions",
        create="Record a measure through the workflow of its kind: suspension, termination, "
        "deposit recovery, fine, fund recovery, warning or commendation. Each kind takes its "
        "own fields (see `kind`); a field the kind does not take is refused.",
        update="Correct the decision number, legal basis, note or inspection. What was decided, "
        "against whom and for how long is fixed; other corrections are made by an "
        "administrator.",
        edit_responds_with=s.SanctionSerializer,
    )
)
class SanctionViewSet(CaseRecordViewSet):
    """Measures taken on facilities (处理措施)."""

    queryset = Sanction.objects.for_lists().select_related("created_by")
    serializer_class = s.SanctionSerializer
    filterset_class = SanctionFilterSet
    ordering = ["-decided_on", "-id"]
    input_serializers = _edited_with(s.SanctionUpdateSerializer)


class EvidenceViewSet(EvidenceViewSetMixin, ScopedViewSet):
    """Evidence files (证据材料): read and download. They are added on their record's endpoint
    (POST /api/inspections/{id}/evidence/, likewise referrals, sanctions and tips)."""


# How a saved row is re-read for the response: what the endpoint's list selects.
_READ_QUERYSETS = {
    Facility: lambda q: q.for_lists(),
    CreditRating: lambda q: q.for_lists(),
    RatingChange: lambda q: q.select_related("rating__facility", "changed_by"),
    Inspection: lambda q: q.for_lists().select_related("created_by"),
    Referral: lambda q: q.for_lists().select_related("created_by"),
    Sanction: lambda q: q.for_lists().select_related("created_by"),
    TipReward: lambda q: q.select_related("tip__facility", "proposed_by", "decided_by"),
}
