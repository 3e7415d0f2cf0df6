"""The endpoints of publication (信息公开): typical cases (典型案例) and grade publications.

Every write calls a service, as the pages do: services.typical_cases writes a case from a
completed inspection, edits a draft, submits it, and the reviewer (not one of its writers)
approves or returns it, or withdraws a published one; services.publication.publish_grades makes
a year's grades of a facility category public. An action that changes the case of its URL needs
its ETag as If-Match (supervision.api.conditional).
"""

from __future__ import annotations

from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from supervision.api.serializers import publication as p
from supervision.api.views import CreateMixin, RetrieveMixin, ScopedViewSet
from supervision.filtersets import GradePublicationFilterSet, TypicalCaseFilterSet
from supervision.models import GradePublication, TypicalCase
from supervision.services import publication, typical_cases

_CHANGE = ["supervision.change_typicalcase"]
_REVIEW = [typical_cases.REVIEW_PERMISSION]


def cases_for_lists(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("inspection__facility", "created_by", "reviewed_by")


def publications_for_lists(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("published_by")


@extend_schema_view(
    list=extend_schema(summary="List typical cases"),
    retrieve=extend_schema(summary="Read a typical case"),
    create=extend_schema(
        summary="Write a typical case (撰写典型案例)",
        description="A new draft written from a completed inspection in the user's districts.",
        request=p.WriteTypicalCaseSerializer,
        responses={201: p.TypicalCaseSerializer},
    ),
    partial_update=extend_schema(
        summary="Edit a draft",
        description="Changes the fields given; only a draft (a returned case is one again).",
        request=p.EditTypicalCaseSerializer,
        responses={200: p.TypicalCaseSerializer},
    ),
)
class TypicalCaseViewSet(mixins.ListModelMixin, RetrieveMixin, CreateMixin, ScopedViewSet):
    """Typical cases (典型案例): written from completed inspections, reviewed by another
    supervisor before they are published, withdrawn with a reason."""

    queryset = TypicalCase.objects.all()
    serializer_class = p.TypicalCaseSerializer
    filterset_class = TypicalCaseFilterSet
    ordering = ["-id"]
    input_serializers = {
        "create": p.WriteTypicalCaseSerializer,
        "partial_update": p.EditTypicalCaseSerializer,
        "submit": p.SubmitTypicalCaseSerializer,
        "approve": p.ApproveTypicalCaseSerializer,
        "return_case": p.ReturnTypicalCaseSerializer,
        "withdraw": p.WithdrawTypicalCaseSerializer,
    }
    action_permissions = {
        "submit": _CHANGE,
        "approve": _REVIEW,
        "return_case": _REVIEW,
        "withdraw": _REVIEW,
    }
    conditional_actions = ScopedViewSet.conditional_actions | {
        "submit",
        "approve",
        "return_case",
        "withdraw",
    }

    def get_queryset(self) -> QuerySet:
        return cases_for_lists(super().get_queryset())

    def read_queryset(self, queryset: QuerySet) -> QuerySet:
        return cases_for_lists(queryset)

    def perform_create(self, serializer: Serializer) -> Model:
        return typical_cases.write_case(user=self.request.user, **serializer.validated_data)

    def partial_update(self, request, *args, **kwargs) -> Response:
        case = self.get_object()
        edited = typical_cases.edit_case(
            case, user=request.user, expected_version=case.version, **self.input(request)
        )
        return self.respond(edited)

    @extend_schema(
        summary="Submit for review (提交审核)",
        description="A draft goes to review; refused while its text holds an ID number, a "
        "mobile number or the name of a person registered with the inspected facility.",
        request=p.SubmitTypicalCaseSerializer,
        responses={200: p.TypicalCaseSerializer},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None) -> Response:
        case = self.get_object()
        self.input(request)
        submitted = typical_cases.submit_case(
            case, user=request.user, expected_version=case.version
        )
        return self.respond(submitted)

    @extend_schema(
        summary="Approve and publish (审核通过并发布)",
        description="By a reviewer (supervision.review_typicalcase) who did not write, edit or "
        "submit the case; its text is checked again. Published today.",
        request=p.ApproveTypicalCaseSerializer,
        responses={200: p.TypicalCaseSerializer},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None) -> Response:
        case = self.get_object()
        data = self.input(request)
        approved = typical_cases.approve_case(
            case,
            user=request.user,
            comment=data.get("review_comment", ""),
            expected_version=case.version,
        )
        return self.respond(approved)

    @extend_schema(
        summary="Return to draft (退回修改)",
        description="By a reviewer who did not write, edit or submit the case, saying what to "
        "change.",
        request=p.ReturnTypicalCaseSerializer,
        responses={200: p.TypicalCaseSerializer},
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_case(self, request, pk=None) -> Response:
        case = self.get_object()
        data = self.input(request)
        returned = typical_cases.return_case(
            case, user=request.user, comment=data["review_comment"], expected_version=case.version
        )
        return self.respond(returned)

    @extend_schema(
        summary="Withdraw (撤回)",
        description="Takes a published case off the public pages, with the reason.",
        request=p.WithdrawTypicalCaseSerializer,
        responses={200: p.TypicalCaseSerializer},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None) -> Response:
        case = self.get_object()
        data = self.input(request)
        withdrawn = typical_cases.withdraw_case(
            case, user=request.user, reason=data["withdraw_reason"], expected_version=case.version
        )
        return self.respond(withdrawn)


@extend_schema_view(
    list=extend_schema(summary="List grade publications"),
    retrieve=extend_schema(summary="Read a grade publication"),
    create=extend_schema(
        summary="Publish a year's grades of a facility category (公布信用等级)",
        description="Makes the final grades of the year in the category public from today; "
        "once per year and category, and only for a year that has grades in it.",
        request=p.PublishGradesSerializer,
        responses={201: p.GradePublicationSerializer},
    ),
)
class GradePublicationViewSet(mixins.ListModelMixin, RetrieveMixin, CreateMixin, ScopedViewSet):
    """Which year's grades of which facility category are public, since when, by whom."""

    queryset = GradePublication.objects.all()
    serializer_class = p.GradePublicationSerializer
    filterset_class = GradePublicationFilterSet
    ordering = ["-year", "-id"]
    input_serializers = {"create": p.PublishGradesSerializer}

    def get_queryset(self) -> QuerySet:
        return publications_for_lists(super().get_queryset())

    def read_queryset(self, queryset: QuerySet) -> QuerySet:
        return publications_for_lists(queryset)

    def perform_create(self, serializer: Serializer) -> Model:
        return publication.publish_grades(user=self.request.user, **serializer.validated_data)


__all__ = ["GradePublicationViewSet", "TypicalCaseViewSet"]
