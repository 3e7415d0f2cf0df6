"""The endpoints of practitioners' payment qualification (医保支付资格, "驾照式记分"): the people
(one record per person across facilities) and their registrations, the points scored with their
objections, the suspensions and terminations the points give, and the rules (the shared bases are
in supervision.api.views).

Every write calls supervision.services.practitioners, as the pages and the admin do: registering
(POST /api/practitioners/), editing a person, ending a registration, scoring points, recording
the notification, lodging and deciding an objection. An action that changes the record of its URL
needs its ETag as If-Match (supervision.api.conditional). The measures and the rules are read
here only: the measures are written by the service, the rules kept in the admin.

A person's ID number is selected from the database only for a user who may read it
(view_practitioneridentity); every other endpoint shows a person by name and masked number.
"""

from __future__ import annotations

from django.db.models import Model, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from supervision.api.conditional import etag
from supervision.api.serializers import practitioners as p
from supervision.api.views import (
    CreateMixin,
    RetrieveMixin,
    ScopedViewSet,
    UpdateMixin,
    _documented,
)
from supervision.choices import MeasureKind
from supervision.filtersets import (
    BaseFilterSet,
    ChoicesFilter,
    PointsRecordFilterSet,
    PractitionerFilterSet,
    StrictBooleanFilter,
    id_filter,
    rating_year_filter,
)
from supervision.models import (
    PointsPolicy,
    PointsRecord,
    Practitioner,
    QualificationMeasure,
    Registration,
)
from supervision.scoping import scoped_queryset
from supervision.services import practitioners

_CHANGE_POINTS = ["supervision.change_pointsrecord"]


# --- what each endpoint reads -----------------------------------------------------------------


def practitioners_for(queryset: QuerySet, user) -> QuerySet:
    """People as their lists show them, in a fixed number of queries: the qualification's
    status today and the year's points annotated, the registrations the user may see (with
    their facilities) prefetched, and the ID number selected only for a user who may read it
    (for anyone else it is not even read from the database)."""
    registrations = scoped_queryset(
        user, Registration.objects.select_related("facility").order_by("-registered_on", "-id")
    )
    queryset = queryset.for_lists().prefetch_related(
        Prefetch("registrations", queryset=registrations)
    )
    if practitioners.may_read_identity(user):
        return queryset.select_related("identity")
    return queryset


def registrations_for_lists(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("practitioner", "facility")


def points_records_for_lists(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("practitioner", "inspection__facility", "facility", "created_by")


def measures_for_lists(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("practitioner")


def policies_for_lists(queryset: QuerySet) -> QuerySet:
    return queryset.prefetch_related("bands", "suspension_periods")


# How a saved row is re-read for the response: what the endpoint's list selects.
_READ_QUERYSETS = {
    Registration: registrations_for_lists,
    PointsRecord: points_records_for_lists,
    QualificationMeasure: measures_for_lists,
    PointsPolicy: policies_for_lists,
}


class PractitionerBaseViewSet(ScopedViewSet):
    """The shared base, re-reading saved rows as these endpoints' lists show them."""

    def read_queryset(self, queryset: QuerySet) -> QuerySet:
        if queryset.model is Practitioner:
            return practitioners_for(queryset, self.request.user)
        read = _READ_QUERYSETS.get(queryset.model)
        return read(queryset) if read else super().read_queryset(queryset)

    def reread(self, model: type[Model], pk: int) -> Model | None:
        """The row as this user reads it, or None when it lies outside their districts."""
        queryset = scoped_queryset(self.request.user, model._default_manager.all())
        return self.read_queryset(queryset).filter(pk=pk).first()


class ReadOnlyViewSet(mixins.ListModelMixin, RetrieveMixin, PractitionerBaseViewSet):
    """An endpoint that lists and reads."""


# --- FilterSets of the API-only lists ---------------------------------------------------------


class RegistrationFilterSet(BaseFilterSet):
    """Registrations: by person, by facility, open or ended."""

    practitioner = id_filter(_("医药机构相关人员"), "practitioner")
    facility = id_filter(_("登记机构"), "facility")
    open = StrictBooleanFilter(label=_("登记备案中"), method="filter_open")

    class Meta:
        model = Registration
        fields = ["practitioner", "facility", "open"]

    def filter_open(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(ended_on__isnull=value)


class QualificationMeasureFilterSet(BaseFilterSet):
    """Suspensions and terminations: by person, kind, year, in force today."""

    practitioner = id_filter(_("医药机构相关人员"), "practitioner")
    kind = ChoicesFilter(label=_("处理类型"), choices=MeasureKind.choices)
    year = rating_year_filter(_("记分年度"))
    in_force = StrictBooleanFilter(label=_("今日有效"), method="filter_in_force")

    class Meta:
        model = QualificationMeasure
        fields = ["practitioner", "kind", "year", "in_force"]

    def filter_in_force(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        today = timezone.localdate()
        in_force = Q(lifted_on__isnull=True, starts_on__lte=today, ends_on__gte=today)
        return queryset.filter(in_force) if value else queryset.exclude(in_force)


# Where the generic descriptions of supervision.api.schema speak of other records.
_PRACTITIONER_SEARCH = OpenApiParameter(
    "q",
    OpenApiTypes.STR,
    description="Search: part of the person's name, or the first characters of the practising "
    "certificate number. A whole ID number finds the person only for a user with "
    "supervision.view_practitioneridentity (for anyone else it finds nobody); a part of one "
    "never matches.",
)
_POINTS_INSPECTION = OpenApiParameter(
    "inspection",
    OpenApiTypes.INT,
    description="Id of the inspection the points were scored for.",
)
_MEASURES_IN_FORCE = OpenApiParameter(
    "in_force",
    OpenApiTypes.BOOL,
    description="true: suspensions and terminations in force today (not lifted); false: every "
    "other measure.",
)


# --- people -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List practitioners", parameters=[_PRACTITIONER_SEARCH]),
    retrieve=extend_schema(summary="Read a practitioner"),
    create=extend_schema(
        summary="Register a practitioner with a facility (登记备案)",
        description="Registers a person with a facility. An ID number already on file links "
        "the registration to that person (一医一档): the name must match, and a terminated "
        "person may not register again before the block ends; otherwise a new person is added "
        "in the facility's district (supervision.add_practitioneridentity). The answer says "
        "which, with the registration and the person.",
        request=p.RegisterPractitionerSerializer,
        responses={201: p.RegisteredPractitionerSerializer},
    ),
    update=extend_schema(
        summary="Edit",
        description="Edit a person's record; a new `id_number` needs "
        "supervision.change_practitioneridentity. Registrations, points and measures change "
        "through their own endpoints.",
    ),
    partial_update=extend_schema(
        summary="Edit some fields",
        description="Edit some fields of a person's record; a new `id_number` needs "
        "supervision.change_practitioneridentity.",
    ),
)
class PractitionerViewSet(
    mixins.ListModelMixin, RetrieveMixin, CreateMixin, UpdateMixin, PractitionerBaseViewSet
):
    """Practitioners (医药机构相关人员): one record per person, with the payment qualification's
    status today and the year's points. The ID number is shown only to holders of
    view_practitioneridentity; everyone else reads the masked number (id_masked)."""

    queryset = Practitioner.objects.all()
    serializer_class = p.PractitionerSerializer
    filterset_class = PractitionerFilterSet
    ordering = ["name", "id"]
    input_serializers = {"create": p.RegisterPractitionerSerializer}
    # Registering writes a registration, and a person when the number is new.
    action_permissions = {
        "create": ["supervision.add_practitioner", "supervision.add_registration"],
    }

    def get_queryset(self) -> QuerySet:
        return practitioners_for(super().get_queryset(), self.request.user)

    def create(self, request, *args, **kwargs) -> Response:
        registered = practitioners.register(user=request.user, **self.input(request))
        registration = registered.registration
        person = self.reread(Practitioner, registration.practitioner_id)
        answer = {
            "new_person": registered.new_person,
            "registration": self.reread(Registration, registration.pk) or registration,
            "practitioner": person,
        }
        context = self.get_serializer_context()
        data = p.RegisteredPractitionerSerializer(answer, context=context).data
        response = Response(data, status=status.HTTP_201_CREATED)
        if person is not None:
            response["ETag"] = etag(person)
        return response


@extend_schema_view(**_documented("registration", "registrations"))
class RegistrationViewSet(ReadOnlyViewSet):
    """Registrations (登记备案) of people with facilities, in the facilities' districts. Made by
    POST /api/practitioners/; ended by the `end` action or by a termination."""

    queryset = Registration.objects.all()
    serializer_class = p.RegistrationSerializer
    filterset_class = RegistrationFilterSet
    ordering = ["-registered_on", "-id"]
    input_serializers = {"end": p.EndRegistrationSerializer}
    action_permissions = {"end": ["supervision.change_registration"]}
    conditional_actions = ScopedViewSet.conditional_actions | {"end"}

    def get_queryset(self) -> QuerySet:
        return registrations_for_lists(super().get_queryset())

    @extend_schema(
        summary="End the registration (注销登记备案)",
        description="The person left the facility (离职或调出) or another reason (其他), from "
        "ended_on (the first day no longer registered). An ended registration stays on file.",
        request=p.EndRegistrationSerializer,
        responses={200: p.RegistrationSerializer},
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None) -> Response:
        registration = self.get_object()
        data = self.input(request)
        ended = practitioners.end_registration(
            registration,
            user=request.user,
            ended_on=data["ended_on"],
            end_reason=data["end_reason"],
            expected_version=registration.version,
        )
        return self.respond(ended)


# --- points -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List points records", parameters=[_POINTS_INSPECTION]),
    retrieve=extend_schema(summary="Read a points record"),
    create=extend_schema(
        summary="Score points (记分)",
        description="Scores points against a person registered with the inspected facility, "
        "for a violation a completed inspection found, within the band of the degree of "
        "responsibility in the rules of the decision's year. The year's consequences follow in "
        "the same transaction: reaching the suspension threshold suspends the payment "
        "qualification, the termination threshold terminates it and ends the person's open "
        "registrations.",
        request=p.ScorePointsSerializer,
        responses={201: p.PointsRecordSerializer},
    ),
)
class PointsRecordViewSet(
    mixins.ListModelMixin, RetrieveMixin, CreateMixin, PractitionerBaseViewSet
):
    """Points scored (记分) against people, with the notification and the objection."""

    queryset = PointsRecord.objects.all()
    serializer_class = p.PointsRecordSerializer
    filterset_class = PointsRecordFilterSet
    ordering = ["-decided_on", "-id"]
    input_serializers = {
        "create": p.ScorePointsSerializer,
        "notify": p.RecordNotificationSerializer,
        "lodge_objection": p.LodgeObjectionSerializer,
        "decide": p.DecidePointsObjectionSerializer,
    }
    action_permissions = {
        "notify": _CHANGE_POINTS,
        "lodge_objection": _CHANGE_POINTS,
        "decide": _CHANGE_POINTS,
    }
    conditional_actions = ScopedViewSet.conditional_actions | {
        "notify",
        "lodge_objection",
        "decide",
    }

    def get_queryset(self) -> QuerySet:
        return points_records_for_lists(super().get_queryset())

    def perform_create(self, serializer: Serializer) -> Model:
        return practitioners.score_points(user=self.request.user, **serializer.validated_data)

    @extend_schema(
        summary="Record the notification (告知)",
        description="The day the person was told of the points; once.",
        request=p.RecordNotificationSerializer,
        responses={200: p.PointsRecordSerializer},
    )
    @action(detail=True, methods=["post"])
    def notify(self, request, pk=None) -> Response:
        record = self.get_object()
        data = self.input(request)
        notified = practitioners.record_notification(
            record,
            user=request.user,
            notified_on=data["notified_on"],
            expected_version=record.version,
        )
        return self.respond(notified)

    @extend_schema(
        summary="Lodge an objection (提出异议)",
        description="The person objects to the points, with the grounds; once. The points keep "
        "counting until the objection is decided.",
        request=p.LodgeObjectionSerializer,
        responses={200: p.PointsRecordSerializer},
    )
    @action(detail=True, methods=["post"], url_path="object")
    def lodge_objection(self, request, pk=None) -> Response:
        record = self.get_object()
        data = self.input(request)
        objected = practitioners.lodge_objection(
            record,
            user=request.user,
            grounds=data["objection_grounds"],
            objected_on=data["objected_on"],
            expected_version=record.version,
        )
        return self.respond(objected)

    @extend_schema(
        summary="Decide the objection (异议处理)",
        description="Maintained (the points stand), reduced (new, lower points within a band) "
        "or revoked (the points stop counting). The year's consequences are recomputed: a "
        "suspension or termination the points no longer reach is lifted, and a lifted "
        "termination reopens the registrations it ended.",
        request=p.DecidePointsObjectionSerializer,
        responses={200: p.PointsRecordSerializer},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None) -> Response:
        record = self.get_object()
        data = self.input(request)
        decided = practitioners.decide_objection(
            record,
            user=request.user,
            outcome=data["outcome"],
            reason=data["objection_reason"],
            decided_on=data["objection_decided_on"],
            points=data["points"],
            responsibility=data["responsibility"],
            expected_version=record.version,
        )
        return self.respond(decided)


# --- measures and rules -----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List qualification measures", parameters=[_MEASURES_IN_FORCE]),
    retrieve=extend_schema(summary="Read a qualification measure"),
)
class QualificationMeasureViewSet(ReadOnlyViewSet):
    """Suspensions and terminations of the payment qualification (暂停、终止医保支付资格),
    written by the rules when a year's points reach a threshold; read-only."""

    queryset = QualificationMeasure.objects.all()
    serializer_class = p.QualificationMeasureSerializer
    filterset_class = QualificationMeasureFilterSet
    ordering = ["-starts_on", "-id"]

    def get_queryset(self) -> QuerySet:
        return measures_for_lists(super().get_queryset())


@extend_schema_view(**_documented("points policy", "points policies"))
class PointsPolicyViewSet(ReadOnlyViewSet):
    """The rules of points (记分规则) from a year on, with their bands and suspension periods;
    kept in the admin by a supervisor, read-only here."""

    queryset = PointsPolicy.objects.all()
    serializer_class = p.PointsPolicySerializer
    ordering = ["-from_year", "-id"]

    def get_queryset(self) -> QuerySet:
        return policies_for_lists(super().get_queryset())


__all__ = [
    "PointsPolicyViewSet",
    "PointsRecordViewSet",
    "PractitionerViewSet",
    "QualificationMeasureViewSet",
    "RegistrationViewSet",
]
