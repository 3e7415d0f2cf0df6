"""The endpoints of credit management (信用管理): the 8 categories, the indicator systems, the
measures by grade, the annual evaluation (cycles and their steps, assessments with their
scorecards, objections), credit repair and the year's check plan (the shared bases are in
supervision.api.views).

Every step of a cycle is an action that calls supervision.services.evaluation, as the pages do;
repairs go through supervision.services.credit_actions. An action that changes the record of its
URL needs its ETag as If-Match (supervision.api.conditional).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Model, Prefetch, QuerySet
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from supervision.api.evidence import EvidenceActions
from supervision.api.serializers import credit as c
from supervision.api.serializers import credit_subjects as subjects
from supervision.api.views import (
    CreateMixin,
    RecordViewSet,
    RetrieveMixin,
    ScopedViewSet,
    _documented,
)
from supervision.filtersets import (
    AssessmentFilterSet,
    CreditInstitutionFilterSet,
    CreditRepairFilterSet,
    IndicatorSystemFilterSet,
    InsuredPersonFilterSet,
    ObjectionFilterSet,
    PlannedCheckFilterSet,
)
from supervision.models import (
    Assessment,
    CreditCategory,
    CreditInstitution,
    CreditRepair,
    Dimension,
    EvaluationCycle,
    Indicator,
    IndicatorSystem,
    Inspection,
    InsuredPerson,
    Objection,
    PlannedCheck,
    PointsRecord,
    Referral,
    Sanction,
    SupervisionMeasure,
    Tip,
)
from supervision.scoping import scoped_queryset
from supervision.services import credit_actions, credit_subjects, evaluation

_CHANGE_CYCLE = ["supervision.change_evaluationcycle"]
_REVIEW_CYCLE = ["supervision.review_evaluationcycle"]
_FINALISE_CYCLE = ["supervision.finalise_evaluationcycle"]


def indicator_systems_for_lists(queryset: QuerySet) -> QuerySet:
    """A system with its dimensions, their indicators and the veto and bonus items: four
    queries for any number of systems."""
    in_order = Indicator.objects.order_by("position", "id")
    return queryset.prefetch_related(
        Prefetch(
            "dimensions",
            queryset=Dimension.objects.order_by("position", "id").prefetch_related(
                Prefetch("indicators", queryset=in_order)
            ),
        ),
        Prefetch(
            "indicators",
            queryset=in_order.filter(dimension__isnull=True),
            to_attr="outside_dimensions",
        ),
    )


def assessments_for_lists(queryset: QuerySet) -> QuerySet:
    return queryset.select_related(
        "cycle", "facility", "institution", "practitioner", "insured_person"
    )


def objections_for_lists(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("assessment__cycle", "recorded_by", "decided_by")


def repairs_for_lists(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("rating__facility", "recorded_by", "decided_by")


# How a saved row is re-read for the response: what the endpoint's list selects.
_READ_QUERYSETS = {
    IndicatorSystem: indicator_systems_for_lists,
    Assessment: assessments_for_lists,
    Objection: objections_for_lists,
    CreditRepair: repairs_for_lists,
    PlannedCheck: lambda q: q.select_related("facility"),
    SupervisionMeasure: lambda q: q.select_related("category"),
}


class CreditViewSet(ScopedViewSet):
    """The shared base, re-reading saved rows as the credit endpoints' lists show them."""

    def read_queryset(self, queryset: QuerySet) -> QuerySet:
        read = _READ_QUERYSETS.get(queryset.model)
        return read(queryset) if read else super().read_queryset(queryset)


class ReadOnlyViewSet(mixins.ListModelMixin, RetrieveMixin, CreditViewSet):
    """An endpoint that lists and reads."""


@extend_schema_view(list=extend_schema(summary="List the 8 categories of credit subject"))
class CreditCategoryViewSet(mixins.ListModelMixin, CreditViewSet):
    """The 8 categories of credit subject (信用主体类别): a fixed list, not paginated."""

    queryset = CreditCategory.objects.all()
    serializer_class = c.CreditCategorySerializer
    filter_backends: list = []
    pagination_class = None
    ordering = ["number"]

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().order_by(*self.ordering)


@extend_schema_view(**_documented("indicator system", "indicator systems"))
class IndicatorSystemViewSet(ReadOnlyViewSet):
    """Indicator systems (信用评价指标体系) per category and year, with their dimensions and
    indicators. Kept in the admin by a supervisor, frozen once the year's evaluation opened."""

    queryset = IndicatorSystem.objects.all()
    serializer_class = c.IndicatorSystemSerializer
    filterset_class = IndicatorSystemFilterSet
    ordering = ["-year", "-id"]

    def get_queryset(self) -> QuerySet:
        return indicator_systems_for_lists(super().get_queryset())


@extend_schema_view(**_documented("supervision measure", "supervision measures"))
class SupervisionMeasureViewSet(ReadOnlyViewSet):
    """The measures per category and grade (分级分类监管措施): routine checks a year, focus
    list, talks, plaques. Kept in the admin."""

    queryset = SupervisionMeasure.objects.select_related("category")
    serializer_class = c.SupervisionMeasureSerializer
    ordering = ["id"]


@extend_schema_view(
    **_documented("evaluation cycle", "evaluation cycles"),
    create=extend_schema(
        summary="Open a cycle",
        description="Opens the evaluation of a year for one category (启动年度信用评价): the "
        "year's indicator system is frozen and every registered subject of the category is "
        "put in the cycle. The year must have ended; one cycle per category and year. Only "
        "for a user not limited to some districts.",
        request=c.OpenCycleSerializer,
        responses={201: c.EvaluationCycleSerializer},
    ),
)
class EvaluationCycleViewSet(mixins.ListModelMixin, RetrieveMixin, CreateMixin, CreditViewSet):
    """The annual credit evaluation of one category (年度信用评价), step by step."""

    queryset = EvaluationCycle.objects.all()
    serializer_class = c.EvaluationCycleSerializer
    ordering = ["-year", "-id"]
    input_serializers = {
        "create": c.OpenCycleSerializer,
        "complete_initial": c.OnSerializer,
        "publish": c.PublishSerializer,
        "finalise": c.OnSerializer,
        "announce": c.OnSerializer,
    }
    action_permissions = {
        "score": _CHANGE_CYCLE,
        "complete_initial": _CHANGE_CYCLE,
        "publish": _REVIEW_CYCLE,
        "finalise": _FINALISE_CYCLE,
        "announce": _FINALISE_CYCLE,
    }
    conditional_actions = ScopedViewSet.conditional_actions | {
        "score",
        "complete_initial",
        "publish",
        "finalise",
        "announce",
    }

    def perform_create(self, serializer: Serializer) -> Model:
        return evaluation.open_cycle(user=self.request.user, **serializer.validated_data)

    @extend_schema(
        summary="Where the cycle stands",
        description="Subjects by grade, self-assessments received and missing, objections "
        "pending and overdue, subjects finalised, and what is overdue (in Chinese).",
        responses={200: c.CycleProgressSerializer},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def progress(self, request, pk=None):
        cycle = self.get_object()
        return Response(c.CycleProgressSerializer(evaluation.cycle_progress(cycle)).data)

    @extend_schema(
        summary="Score every subject from the facts",
        description="Runs the automatic scoring (自动评分) of every subject from the year's "
        "recorded facts (inspections, sanctions, referrals, tips, money recovered): automatic "
        "items are rewritten, the evaluators' kept. The first run moves the cycle from "
        "self-assessment to scoring; it may run again until publication.",
        request=None,
        responses={200: c.EvaluationCycleSerializer},
    )
    @action(detail=True, methods=["post"])
    def score(self, request, pk=None):
        cycle = self.get_object()
        evaluation.score_cycle(cycle, user=request.user)
        return self.respond(cycle)

    @extend_schema(
        summary="Complete the initial scoring (初评完成)",
        description="The evaluators are done: the cycle moves to the supervisor's review.",
        request=c.OnSerializer,
        responses={200: c.EvaluationCycleSerializer},
    )
    @action(detail=True, methods=["post"], url_path="complete-initial")
    def complete_initial(self, request, pk=None):
        cycle = self.get_object()
        done = evaluation.complete_initial_scoring(
            cycle, user=request.user, expected_version=cycle.version, **self.input(request)
        )
        return self.respond(done)

    @extend_schema(
        summary="Publish the results (公示)",
        description="Ends the review and publishes every subject's grade for the set number of "
        "working days from starts_on; objections may be recorded meanwhile.",
        request=c.PublishSerializer,
        responses={200: c.EvaluationCycleSerializer},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        cycle = self.get_object()
        published = evaluation.publish_cycle(
            cycle, user=request.user, expected_version=cycle.version, **self.input(request)
        )
        return self.respond(published)

    @extend_schema(
        summary="Make the grades final (确定)",
        description="After the publication, with every objection decided: writes each "
        "facility's rating of the year with its breakdown and a rating change, in batches. "
        "Resumable: a cycle left at `finalising` continues where it stopped.",
        request=c.OnSerializer,
        responses={200: c.EvaluationCycleSerializer},
    )
    @action(detail=True, methods=["post"])
    def finalise(self, request, pk=None):
        cycle = self.get_object()
        # A request writes for at most CREDIT_FINALISE_SECONDS; the cycle then stays 确定中
        # and the next call continues (`python manage.py finalise_cycle` runs to the end).
        evaluation.finalise_cycle(
            cycle,
            user=request.user,
            expected_version=cycle.version,
            seconds=settings.CREDIT_FINALISE_SECONDS,
            **self.input(request),
        )
        return self.respond(cycle)

    @extend_schema(
        summary="Announce the results (结果公布)",
        description="Records that the final results were announced.",
        request=c.OnSerializer,
        responses={200: c.EvaluationCycleSerializer},
    )
    @action(detail=True, methods=["post"])
    def announce(self, request, pk=None):
        cycle = self.get_object()
        announced = evaluation.announce_cycle(
            cycle, user=request.user, expected_version=cycle.version, **self.input(request)
        )
        return self.respond(announced)


# What a fact behind a deduction links to: its kind, its endpoint, how it is labelled.
_FACTS: dict[type[Model], tuple[str, str, Any]] = {
    Inspection: ("inspection", "api:inspection-detail", lambda r: r.end_date or r.start_date),
    Sanction: ("sanction", "api:sanction-detail", lambda r: r.decided_on),
    Referral: ("referral", "api:referral-detail", lambda r: r.referred_on),
    Tip: ("tip", "api:tip-detail", lambda r: r.concluded_on),
    PointsRecord: ("points_record", "api:pointsrecord-detail", lambda r: r.decided_on),
}


def facts_of(assessment: Assessment, indicator: Indicator, user) -> list[dict[str, Any]]:
    """The records behind an automatic deduction that user may see, each with its endpoint."""
    rows = evaluation.facts_behind(assessment, indicator)
    if rows is None:
        return []
    kind, route, day = _FACTS[rows.model]
    return [
        {
            "kind": kind,
            "id": r.pk,
            "label": f"#{r.pk} {day(r) or ''}".strip(),
            "url": reverse(route, args=[r.pk]),
        }
        for r in scoped_queryset(user, rows)
    ]


def scorecard_rows(assessment: Assessment, user) -> list[dict[str, Any]]:
    rows = []
    for row in evaluation.scorecard(assessment):
        item = row.item
        automatic = bool(item and item.automatic)
        rows.append(
            {
                "dimension": row.dimension.name if row.dimension else None,
                "indicator": row.indicator,
                "points": item.points if item else None,
                "hit": row.hit,
                "automatic": automatic,
                "facts": item.facts if item else 0,
                "note": item.note if item else "",
                "entered_by": item.entered_by.get_username() if item and item.entered_by else None,
                "behind": facts_of(assessment, row.indicator, user) if automatic else [],
            }
        )
    return rows


@extend_schema_view(**_documented("assessment", "assessments"))
class AssessmentViewSet(ReadOnlyViewSet):
    """Each subject's evaluation in a cycle (信用评价对象): self-assessment, deductions, bonus,
    veto, score and grade. Insured persons show by name and masked ID number only."""

    queryset = Assessment.objects.all()
    serializer_class = c.AssessmentSerializer
    filterset_class = AssessmentFilterSet
    ordering = ["cycle_id", "subject_name", "id"]
    input_serializers = {
        "self_assessment": c.SelfAssessmentSerializer,
        "score_indicator": c.ScoreIndicatorSerializer,
    }
    action_permissions = {
        "self_assessment": ["supervision.change_assessment"],
        "score_indicator": ["supervision.add_assessmentitem"],
    }
    conditional_actions = ScopedViewSet.conditional_actions | {
        "self_assessment",
        "score_indicator",
    }

    def get_queryset(self) -> QuerySet:
        return assessments_for_lists(super().get_queryset())

    @extend_schema(
        summary="Read the scorecard",
        description="Every indicator of the cycle's system, by dimension, then the bonus and "
        "veto items: the points recorded, whether scored from facts, and the inspections, "
        "sanctions, referrals or tips behind an automatic deduction (those the user may see).",
        responses={200: c.ScorecardRowSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def scorecard(self, request, pk=None):
        assessment = self.get_object()
        rows = scorecard_rows(assessment, request.user)
        return Response(c.ScorecardRowSerializer(rows, many=True).data)

    @extend_schema(
        summary="Record the self-assessment (自评)",
        description="The subject's own score as received, before publication.",
        request=c.SelfAssessmentSerializer,
        responses={200: c.AssessmentSerializer},
    )
    @action(detail=True, methods=["post"], url_path="self-assessment")
    def self_assessment(self, request, pk=None):
        assessment = self.get_object()
        data = self.input(request)
        recorded = evaluation.record_self_assessment(
            assessment,
            score=data["score"],
            received_on=data["received_on"],
            note=data["note"],
            user=request.user,
            expected_version=assessment.version,
        )
        return self.respond(recorded)

    @extend_schema(
        summary="Score a manual or bonus indicator",
        description="An evaluator's score of a manual indicator (points deducted) or a bonus "
        "item (points added) during scoring; in review a supervisor's change, with a reason. "
        "The subject's score and grade follow.",
        request=c.ScoreIndicatorSerializer,
        responses={200: c.AssessmentSerializer},
    )
    @action(detail=True, methods=["post"], url_path="score-indicator")
    def score_indicator(self, request, pk=None):
        assessment = self.get_object()
        evaluation.score_indicator(
            assessment,
            user=request.user,
            expected_version=assessment.version,
            **self.input(request),
        )
        return self.respond(assessment)


@extend_schema_view(
    **_documented(
        "objection",
        "objections",
        create="Record an objection (异议) of a subject against its published result, received "
        "during the publication; it is due within the set number of working days. One pending "
        "objection per subject at a time.",
    )
)
class ObjectionViewSet(
    EvidenceActions, mixins.ListModelMixin, RetrieveMixin, CreateMixin, CreditViewSet
):
    """Objections (异议) against published results, each decided with a reason."""

    queryset = Objection.objects.all()
    serializer_class = c.ObjectionSerializer
    filterset_class = ObjectionFilterSet
    ordering = ["-received_on", "-id"]
    input_serializers = {"decide": c.DecideObjectionSerializer}
    action_permissions = {"decide": ["supervision.decide_objection"]}
    conditional_actions = ScopedViewSet.conditional_actions | {"decide"}

    def get_queryset(self) -> QuerySet:
        return objections_for_lists(super().get_queryset())

    def perform_create(self, serializer: Serializer) -> Model:
        data = serializer.validated_data
        return evaluation.record_objection(
            data["assessment"],
            received_on=data["received_on"],
            grounds=data["grounds"],
            user=self.request.user,
        )

    @extend_schema(
        summary="Decide the objection",
        description="Upheld (异议成立), with the indicators re-scored, or rejected (异议不成立), "
        "with the reason; the subject's grade follows an upheld objection's adjustments.",
        request=c.DecideObjectionSerializer,
        responses={200: c.ObjectionSerializer},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        objection = self.get_object()
        data = self.input(request)
        decided = evaluation.decide_objection(
            objection,
            upheld=data["upheld"],
            decision=data["decision"],
            adjustments=data.get("adjustments") or None,
            decided_on=data["decided_on"],
            user=request.user,
            expected_version=objection.version,
        )
        return self.respond(decided)


@extend_schema_view(
    **_documented(
        "credit repair",
        "credit repairs",
        create="Apply for credit repair (信用修复) of a C or D grade: the facility's latest "
        "rating, after rectification and the waiting period, one pending application at a "
        "time.",
    )
)
class CreditRepairViewSet(
    EvidenceActions, mixins.ListModelMixin, RetrieveMixin, CreateMixin, CreditViewSet
):
    """Applications for credit repair (信用修复) and their decisions."""

    queryset = CreditRepair.objects.all()
    serializer_class = c.CreditRepairSerializer
    filterset_class = CreditRepairFilterSet
    ordering = ["-applied_on", "-id"]
    input_serializers = {"decide": c.DecideRepairSerializer}
    action_permissions = {"decide": ["supervision.decide_creditrepair"]}
    conditional_actions = ScopedViewSet.conditional_actions | {"decide"}

    def get_queryset(self) -> QuerySet:
        return repairs_for_lists(super().get_queryset())

    def perform_create(self, serializer: Serializer) -> Model:
        data = serializer.validated_data
        return credit_actions.apply_for_repair(
            data["rating"],
            applied_on=data["applied_on"],
            rectification=data["rectification"],
            user=self.request.user,
        )

    @extend_schema(
        summary="Decide the application",
        description="Approved (准予修复): the grade goes up one step and the rating is marked "
        "repaired, with a rating change; refused (不予修复): the reason is kept.",
        request=c.DecideRepairSerializer,
        responses={200: c.CreditRepairSerializer},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        repair = self.get_object()
        data = self.input(request)
        decided = credit_actions.decide_repair(
            repair,
            approve=data["approve"],
            decision=data["decision"],
            decided_on=data["decided_on"],
            user=request.user,
            expected_version=repair.version,
        )
        return self.respond(decided)


@extend_schema_view(**_documented("planned check", "planned checks"))
class PlannedCheckViewSet(ReadOnlyViewSet):
    """The year's check plan (年度检查计划) derived from the final grades: who must be checked
    how often, by when, and the inspection that fulfilled each check."""

    queryset = PlannedCheck.objects.select_related("facility")
    serializer_class = c.PlannedCheckSerializer
    filterset_class = PlannedCheckFilterSet
    ordering = ["year", "due_on", "id"]


@extend_schema_view(
    **_documented(
        "credit institution",
        "credit institutions",
        create="Register an institution of categories 4-6 (pharmaceutical companies, insured "
        "employers, third-party service providers) with its unified social credit code "
        "(checked, unique).",
        update="Edit a registered institution.",
    )
)
class CreditInstitutionViewSet(RecordViewSet):
    """The registry of credit-subject institutions of categories 4-6 (信用主体单位)."""

    queryset = CreditInstitution.objects.all()
    serializer_class = subjects.CreditInstitutionSerializer
    filterset_class = CreditInstitutionFilterSet
    ordering = ["name", "id"]


def insured_persons_for(queryset: QuerySet, user) -> QuerySet:
    """Persons with their ID numbers selected only for a user who may read them (for anyone
    else the number is not even read from the database)."""
    if credit_subjects.may_read_identity(user):
        return queryset.select_related("identity")
    return queryset


@extend_schema_view(
    **_documented(
        "insured person",
        "insured persons",
        create="Register an insured person (参保人员, category 8) with the ID number "
        "(supervision.add_insuredidentity).",
        update="Edit an insured person; changing the ID number needs "
        "supervision.change_insuredidentity.",
    )
)
class InsuredPersonViewSet(RecordViewSet):
    """Insured persons (参保人员). The ID number is shown only to holders of
    view_insuredidentity; everyone else reads the masked number (id_masked)."""

    queryset = InsuredPerson.objects.all()
    serializer_class = subjects.InsuredPersonSerializer
    filterset_class = InsuredPersonFilterSet
    ordering = ["name", "id"]

    def get_queryset(self) -> QuerySet:
        return insured_persons_for(super().get_queryset(), self.request.user)

    def read_queryset(self, queryset: QuerySet) -> QuerySet:
        if queryset.model is InsuredPerson:
            return insured_persons_for(queryset, self.request.user)
        return super().read_queryset(queryset)
