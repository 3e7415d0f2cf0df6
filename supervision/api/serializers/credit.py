"""Credit management (信用管理): the categories, the indicator systems, the annual evaluation
(cycles, assessments, scorecards, objections), credit repair, the measures by grade and the
year's check plan.

Every step of a cycle is an action that calls supervision.services.evaluation; repairs go through
supervision.services.credit_actions. An insured person is only ever shown by name and masked ID
number here (the number itself is read on /api/insured-persons/ with its own permission).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from supervision.api.fields import BriefRelatedField, RelatedIdField
from supervision.api.serializers.base import ID, RECORD_FIELDS, help_texts
from supervision.api.serializers.briefs import CreditRatingBriefSerializer, FacilityBriefSerializer
from supervision.choices import CreditCategoryCode, Grade
from supervision.models import (
    Assessment,
    CreditCategory,
    CreditInstitution,
    CreditRating,
    CreditRepair,
    Dimension,
    EvaluationCycle,
    Indicator,
    IndicatorSystem,
    InsuredPerson,
    Objection,
    PlannedCheck,
    Practitioner,
    SupervisionMeasure,
)
from supervision.models.base import NOTE_LENGTH, OUTCOME_LENGTH, REASON_LENGTH, SUMMARY_LENGTH
from supervision.models.credit import FULL_SCORE
from supervision.models.rating import MAX_RATING_YEAR, MIN_RATING_YEAR

POINTS = {"max_digits": 7, "decimal_places": 2, "min_value": Decimal("0")}
CATEGORY_HELP = "Category of credit subject (信用主体类别), one of the 8."
_USER = "User name of {}; null when not (yet) done or for data loads."


def _username(source: str, who: str) -> serializers.CharField:
    return serializers.CharField(
        source=source, read_only=True, allow_null=True, help_text=_USER.format(who)
    )


def _date(help_text: str, *, required: bool = False) -> serializers.DateField:
    if required:
        return serializers.DateField(help_text=help_text)
    return serializers.DateField(required=False, allow_null=True, default=None, help_text=help_text)


def _text(max_length: int, help_text: str, *, required: bool = False) -> serializers.CharField:
    return serializers.CharField(
        required=required,
        allow_blank=not required,
        default="" if not required else serializers.empty,
        max_length=max_length,
        help_text=help_text,
    )


def _grade_or_blank(help_text: str) -> serializers.ChoiceField:
    """A read-only grade that may be empty (read-only model fields lose allow_blank)."""
    return serializers.ChoiceField(
        choices=Grade.choices, allow_blank=True, read_only=True, help_text=help_text
    )


def _points(help_text: str, maximum: int = FULL_SCORE) -> serializers.DecimalField:
    return serializers.DecimalField(**POINTS, max_value=Decimal(maximum), help_text=help_text)


# --- categories, indicator systems, measures --------------------------------------------------


class CreditCategorySerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True, help_text="Name of the category.")

    class Meta:
        model = CreditCategory
        fields = ["code", "number", "label", "subject_type", "description"]
        read_only_fields = fields
        extra_kwargs = {
            "code": {"help_text": "Code of the category, the value of `category` elsewhere."},
            "number": {"help_text": "Its number in the rules, 1-8."},
            "subject_type": {"help_text": "The registry its subjects are kept in."},
            "description": {"help_text": "What the category covers."},
        }


_INDICATOR_HELP = {
    "dimension": "Id of the dimension it belongs to; null for veto and bonus items.",
    "position": "Order within the system.",
    "code": "Code of the indicator (指标编号), unique within the system.",
    "name": "The indicator (指标).",
    "method": "How it is scored: deducted from recorded facts, scored by an evaluator, a veto "
    "(一票否决) or a bonus (加分项).",
    "fact": "The recorded facts of the evaluated year it reads (empty for manual and bonus).",
    "qualifier": "Narrows the fact: a violation code, a sanction kind, an agency, or "
    "agency:violation; empty for any.",
    "points_per_unit": "Points deducted per fact (money: per 10,000 yuan).",
    "full_points": "Most points deducted (or added, for a bonus); 0 for a veto.",
    "veto_grade": "Grade a veto hit brings the subject down to (C or D); empty otherwise.",
    "guidance": "How an evaluator scores it (评分标准).",
}


class IndicatorSerializer(serializers.ModelSerializer):
    veto_grade = _grade_or_blank(_INDICATOR_HELP["veto_grade"])

    class Meta:
        model = Indicator
        fields = ["id", *_INDICATOR_HELP]
        read_only_fields = fields
        extra_kwargs = {"id": {"help_text": ID}, **help_texts(_INDICATOR_HELP)}


class DimensionSerializer(serializers.ModelSerializer):
    indicators = IndicatorSerializer(
        many=True, read_only=True, help_text="The dimension's indicators, in order."
    )

    class Meta:
        model = Dimension
        fields = ["id", "position", "name", "full_points", "indicators"]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                "position": "Order within the system.",
                "name": "The dimension (评价维度), e.g. 基础管理.",
                "full_points": "Its full points; the dimensions add up to 1000.",
            }
        )


class IndicatorSystemSerializer(serializers.ModelSerializer):
    """An indicator system (信用评价指标体系) with its dimensions and indicators, read-only here:
    it is kept in the admin."""

    category = serializers.ChoiceField(
        source="category_id",
        choices=CreditCategoryCode.choices,
        read_only=True,
        help_text=CATEGORY_HELP,
    )
    dimensions = DimensionSerializer(
        many=True, read_only=True, help_text="Its dimensions, in order, each with its indicators."
    )
    other_indicators = IndicatorSerializer(
        source="outside_dimensions",
        many=True,
        read_only=True,
        help_text="The veto (一票否决) and bonus (加分项) items, which belong to no dimension.",
    )

    class Meta:
        model = IndicatorSystem
        fields = [
            "id",
            "category",
            "year",
            "name",
            "threshold_a",
            "threshold_b",
            "threshold_c",
            "copied_from",
            "frozen_at",
            "note",
            "dimensions",
            "other_indicators",
            *RECORD_FIELDS,
        ]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                "year": "Year evaluated by this system.",
                "name": "Name of the system.",
                "threshold_a": "Lowest score of grade A (default 900 of 1000).",
                "threshold_b": "Lowest score of grade B (default 750).",
                "threshold_c": "Lowest score of grade C (default 600); below it, D.",
                "copied_from": "Id of the system it was copied from, or null.",
                "frozen_at": "When the year's evaluation started and froze it; null while "
                "it may still be changed.",
                "note": "Notes on the system.",
            }
        )


class SupervisionMeasureSerializer(serializers.ModelSerializer):
    category = serializers.ChoiceField(
        source="category_id",
        choices=CreditCategoryCode.choices,
        read_only=True,
        help_text=CATEGORY_HELP,
    )

    class Meta:
        model = SupervisionMeasure
        fields = [
            "id",
            "category",
            "grade",
            "min_checks",
            "max_checks",
            "focus_list",
            "talk",
            "plaque",
            "simplified",
            "note",
        ]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                "grade": "The grade these measures apply to.",
                "min_checks": "Routine checks a year at least (每年至少检查次数).",
                "max_checks": "Routine checks a year at most; null for no limit.",
                "focus_list": "Put on the focus list (重点监管名单).",
                "talk": "A talk with the legal representative (约谈).",
                "plaque": "A plaque is awarded (授牌).",
                "simplified": "Simplified procedures (简化办事程序).",
                "note": "Other measures.",
            }
        )


# --- cycles -----------------------------------------------------------------------------------

_CYCLE_HELP = {
    "year": "Year evaluated.",
    "system": "Id of the indicator system used (/api/indicator-systems/{id}/), frozen when the "
    "cycle opened.",
    "status": "The cycle's step: self-assessment → scoring → review → publication (公示) → "
    "finalising → final → announced. Each step is an action of its own.",
    "opened_on": "Date the cycle was opened.",
    "self_assessment_due": "Last day for the subjects' self-assessments (自评).",
    "scored_at": "When the automatic scoring last ran; null before.",
    "initial_done_on": "Date the initial scoring (初评) was completed.",
    "reviewed_on": "Date the review (复核) was completed.",
    "publication_starts": "First day of the publication (公示).",
    "publication_ends": "Last day of the publication (a set number of working days).",
    "finalised_on": "Date the grades were made final (确定).",
    "announced_on": "Date the results were announced (结果公布).",
    "subject_count": "Number of subjects evaluated.",
    "figures": "The cycle's counts, kept by every step: by grade, vetoed, self-assessments "
    "received, finalised.",
    "note": "Notes on the cycle.",
}


class EvaluationCycleSerializer(serializers.ModelSerializer):
    """A year's evaluation of one category (年度信用评价)."""

    category = serializers.ChoiceField(
        source="category_id",
        choices=CreditCategoryCode.choices,
        read_only=True,
        help_text=CATEGORY_HELP,
    )
    figures = serializers.JSONField(read_only=True, help_text=_CYCLE_HELP["figures"])

    class Meta:
        model = EvaluationCycle
        fields = ["id", "category", *_CYCLE_HELP, *RECORD_FIELDS]
        read_only_fields = fields
        extra_kwargs = help_texts(_CYCLE_HELP)


class OpenCycleSerializer(serializers.Serializer):
    """Input of POST /api/evaluation-cycles/ (open a cycle)."""

    category = serializers.ChoiceField(
        choices=CreditCategoryCode.choices,
        help_text=f"{CATEGORY_HELP} Its indicator system of the year must exist.",
    )
    year = serializers.IntegerField(
        min_value=MIN_RATING_YEAR,
        max_value=MAX_RATING_YEAR,
        help_text="Year to evaluate; one cycle per category and year.",
    )
    self_assessment_due = _date(
        "Last day for the subjects' self-assessments; not before the opening.", required=True
    )
    opened_on = _date("Date opened; default today.")

    def validate_category(self, value: str) -> CreditCategory:
        category = CreditCategory.objects.filter(pk=value).first()
        if category is None:  # a code of the rules whose row is missing
            raise serializers.ValidationError(_("信用主体类别无效。"))
        return category


class OnSerializer(serializers.Serializer):
    """Input of the steps that only take their date."""

    on = _date("Date of the step; default today.")


class PublishSerializer(serializers.Serializer):
    """Input of POST /api/evaluation-cycles/{id}/publish/."""

    starts_on = _date(
        "First day of the publication (公示); default today. It ends after the set number of "
        "working days."
    )


class CycleProgressSerializer(serializers.Serializer):
    """Where a cycle stands (services.evaluation.cycle_progress)."""

    subjects = serializers.IntegerField(help_text="Subjects evaluated.")
    grades = serializers.DictField(
        child=serializers.IntegerField(), help_text='Subjects by grade now, e.g. {"A": 69}.'
    )
    unscored = serializers.IntegerField(help_text="Subjects not scored yet.")
    vetoed = serializers.IntegerField(help_text="Subjects that hit a veto item (一票否决).")
    self_received = serializers.IntegerField(help_text="Self-assessments received.")
    self_missing = serializers.IntegerField(help_text="Self-assessments not received.")
    finalised = serializers.IntegerField(help_text="Subjects whose grade is final.")
    objections_pending = serializers.IntegerField(help_text="Objections not decided yet.")
    objections_overdue = serializers.IntegerField(
        help_text="Pending objections past their due day."
    )
    overdue = serializers.ListField(
        child=serializers.CharField(), help_text="What is overdue, in words (Chinese)."
    )


# --- assessments ------------------------------------------------------------------------------


class InstitutionBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditInstitution
        fields = ["id", "name", "district"]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                "name": "Name of the institution (信用主体单位).",
                "district": "County-level division of Lhasa (GB/T 2260 code).",
            }
        )


class PractitionerBriefSerializer(serializers.ModelSerializer):
    """A practitioner by name, profession and masked ID number only, whoever reads it."""

    class Meta:
        model = Practitioner
        fields = ["id", "name", "profession", "id_masked", "district"]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                "name": "Name of the practitioner (医药机构相关人员).",
                "profession": "Profession: doctor, nurse, pharmacist, technician, pharmacy_head.",
                "id_masked": "ID number with the birth date and sequence hidden, e.g. "
                "540102********123X.",
                "district": "County-level division the person is managed in (GB/T 2260 code).",
            }
        )


class InsuredPersonBriefSerializer(serializers.ModelSerializer):
    """An insured person by name and masked ID number only, whoever reads it."""

    class Meta:
        model = InsuredPerson
        fields = ["id", "name", "id_masked", "district"]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                "name": "Name of the insured person (参保人员).",
                "id_masked": "ID number with the birth date and sequence hidden, e.g. "
                "540102********123X.",
                "district": "County-level division insured in (GB/T 2260 code).",
            }
        )


class CycleBriefSerializer(serializers.ModelSerializer):
    category = serializers.ChoiceField(
        source="category_id",
        choices=CreditCategoryCode.choices,
        read_only=True,
        help_text=CATEGORY_HELP,
    )

    class Meta:
        model = EvaluationCycle
        fields = ["id", "category", "year", "status"]
        read_only_fields = fields
        extra_kwargs = help_texts({"year": "Year evaluated.", "status": _CYCLE_HELP["status"]})


_ASSESSMENT_HELP = {
    "district": "County-level division of the subject (GB/T 2260 code).",
    "subject_name": "Name of the subject evaluated.",
    "self_score": "Score of the subject's self-assessment (自评), or null when not received.",
    "self_received_on": "Date the self-assessment was received.",
    "self_note": "Notes on the self-assessment.",
    "deductions": "Points deducted in all.",
    "bonus": "Bonus points in all.",
    "vetoed": "Whether a veto item (一票否决) was hit.",
    "score": "Score, 0-1000: 1000 − deductions + bonus; null before scoring.",
    "grade": "Grade by the system's thresholds (and vetoes); empty before scoring.",
    "published_grade": "Grade as published (公示); empty before publication.",
    "finalised": "Whether the grade is final (written to the subject's rating).",
    "updated_at": "When the assessment last changed.",
}


class AssessmentSerializer(serializers.ModelSerializer):
    """One subject's evaluation in a cycle (信用评价对象)."""

    cycle = CycleBriefSerializer(read_only=True, help_text="The cycle.")
    facility = FacilityBriefSerializer(
        read_only=True, allow_null=True, help_text="The facility evaluated (categories 1-3)."
    )
    institution = InstitutionBriefSerializer(
        read_only=True, allow_null=True, help_text="The institution evaluated (categories 4-6)."
    )
    practitioner = PractitionerBriefSerializer(
        read_only=True, allow_null=True, help_text="The practitioner evaluated (category 7)."
    )
    insured_person = InsuredPersonBriefSerializer(
        read_only=True, allow_null=True, help_text="The insured person evaluated (category 8)."
    )
    grade = _grade_or_blank(_ASSESSMENT_HELP["grade"])
    published_grade = _grade_or_blank(_ASSESSMENT_HELP["published_grade"])

    class Meta:
        model = Assessment
        fields = [
            "id",
            "cycle",
            "facility",
            "institution",
            "practitioner",
            "insured_person",
            *_ASSESSMENT_HELP,
            "version",
        ]
        read_only_fields = fields
        extra_kwargs = help_texts(_ASSESSMENT_HELP)


class SelfAssessmentSerializer(serializers.Serializer):
    """Input of POST /api/assessments/{id}/self-assessment/."""

    score = _points("The subject's own score (自评得分), 0-1000.")
    received_on = serializers.DateField(
        required=False, default=timezone.localdate, help_text="Date received; default today."
    )
    note = _text(NOTE_LENGTH, "Notes on the self-assessment, optional.")


class ScoreIndicatorSerializer(serializers.Serializer):
    """Input of POST /api/assessments/{id}/score-indicator/."""

    indicator = RelatedIdField(
        queryset=Indicator.objects.all(),
        help_text="Id of a manual or bonus indicator of the cycle's system.",
    )
    points = _points("Points deducted (manual) or added (bonus), 0 to the indicator's full points.")
    note = _text(NOTE_LENGTH, "Why (评分说明), optional.")
    reason = _text(
        REASON_LENGTH,
        "Why the score is changed in review (复核调整原因): required from a supervisor once the "
        "cycle is in review.",
    )


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "description": "What the fact is."},
            "id": {"type": "integer", "description": "Id of the record."},
            "label": {"type": "string", "description": "How the record is named."},
            "url": {"type": "string", "description": "The record's endpoint."},
        },
    }
)
class _FactField(serializers.DictField):
    pass


class ScorecardRowSerializer(serializers.Serializer):
    """One indicator of the system on an assessment's scorecard."""

    dimension = serializers.CharField(
        allow_null=True, help_text="Name of the indicator's dimension; null for veto and bonus."
    )
    indicator = IndicatorSerializer(help_text="The indicator.")
    points = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        allow_null=True,
        help_text="Points deducted (or added, for a bonus); null when nothing was recorded.",
    )
    hit = serializers.BooleanField(
        help_text="Whether it counts: a veto that applies, or points deducted or added."
    )
    automatic = serializers.BooleanField(help_text="Whether scored automatically from facts.")
    facts = serializers.IntegerField(help_text="Number of facts counted.")
    note = serializers.CharField(help_text="Notes on the score.")
    entered_by = serializers.CharField(
        allow_null=True, help_text="User name of the evaluator; null for automatic scores."
    )
    behind = serializers.ListField(
        child=_FactField(),
        help_text="The recorded facts behind a fact indicator (inspections, sanctions, "
        "referrals, tips; a practitioner's points records), each with its endpoint.",
    )


# --- objections -------------------------------------------------------------------------------


class AssessmentBriefSerializer(serializers.ModelSerializer):
    cycle = CycleBriefSerializer(read_only=True, help_text="The cycle.")
    grade = _grade_or_blank(_ASSESSMENT_HELP["grade"])
    published_grade = _grade_or_blank(_ASSESSMENT_HELP["published_grade"])

    class Meta:
        model = Assessment
        fields = ["id", "cycle", "subject_name", "district", "score", "grade", "published_grade"]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                k: _ASSESSMENT_HELP[k]
                for k in ("subject_name", "district", "score", "grade", "published_grade")
            }
        )


_OBJECTION_HELP = {
    "received_on": "Date the objection (异议) was received; during the publication.",
    "grounds": "What the subject objects to (异议事由); required.",
    "due_on": "Last day to decide it (a set number of working days after receipt).",
    "status": "pending → upheld (异议成立) or rejected (异议不成立), by a supervisor.",
    "decided_on": "Date decided.",
    "decision": "The decision and its reason (处理意见).",
    "grade_before": "Published grade when the objection was received.",
    "grade_after": "Grade after the decision.",
}


class ObjectionSerializer(serializers.ModelSerializer):
    """Recording an objection goes through services.evaluation.record_objection."""

    assessment = BriefRelatedField(
        AssessmentBriefSerializer,
        queryset=Assessment.objects.select_related("cycle"),
        help_text="The assessment objected to: its id when writing, a brief object when reading.",
    )
    received_on = serializers.DateField(
        required=False,
        default=timezone.localdate,
        help_text=f"{_OBJECTION_HELP['received_on']} Default today.",
    )
    grounds = serializers.CharField(max_length=SUMMARY_LENGTH, help_text=_OBJECTION_HELP["grounds"])
    grade_before = _grade_or_blank(_OBJECTION_HELP["grade_before"])
    grade_after = _grade_or_blank(_OBJECTION_HELP["grade_after"])
    recorded_by = _username("recorded_by.username", "who recorded it")
    decided_by = _username("decided_by.username", "who decided it")

    class Meta:
        model = Objection
        fields = [
            "id",
            "assessment",
            *_OBJECTION_HELP,
            "recorded_by",
            "decided_by",
            *RECORD_FIELDS,
        ]
        read_only_fields = [
            "due_on",
            "status",
            "decided_on",
            "decision",
            "grade_before",
            "grade_after",
        ]
        extra_kwargs = help_texts(_OBJECTION_HELP)


class AdjustmentSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="Id of an indicator of the cycle's system."
    )
    points = _points("New points for that indicator.")


class DecideObjectionSerializer(serializers.Serializer):
    """Input of POST /api/objections/{id}/decide/."""

    upheld = serializers.BooleanField(
        help_text="true: the objection is upheld (异议成立), false: rejected."
    )
    decision = _text(
        OUTCOME_LENGTH, "The decision and its reason (处理意见); required.", required=True
    )
    decided_on = _date("Date of the decision; default today.")
    adjustments = AdjustmentSerializer(
        many=True,
        required=False,
        max_length=200,
        help_text="For an upheld objection: the indicators re-scored, each with its new points.",
    )

    def validate_adjustments(self, value: list[dict[str, Any]]) -> dict[int, Decimal]:
        indicators = [row["indicator"] for row in value]
        if len(set(indicators)) != len(indicators):
            raise serializers.ValidationError(_("同一指标只能调整一次。"))
        return {row["indicator"]: row["points"] for row in value}


# --- repairs and the check plan ---------------------------------------------------------------

_REPAIR_HELP = {
    "applied_on": "Date of the application (申请日期); not before eligible_from.",
    "rectification": "What was rectified (整改情况); required.",
    "eligible_from": "First day the grade may apply for repair (after the waiting period).",
    "status": "pending → approved (准予修复) or rejected (不予修复), by a supervisor.",
    "from_grade": "Grade repaired (C or D).",
    "to_grade": "Grade after an approved repair; empty otherwise.",
    "decided_on": "Date decided.",
    "decision": "The decision and its reason (审核意见).",
}


class CreditRepairSerializer(serializers.ModelSerializer):
    """An application for credit repair (信用修复), recorded through
    services.credit_actions.apply_for_repair."""

    rating = BriefRelatedField(
        CreditRatingBriefSerializer,
        queryset=CreditRating.objects.select_related("facility"),
        help_text="The C or D rating to repair: its id when writing, a brief object when reading.",
    )
    applied_on = serializers.DateField(
        required=False,
        default=timezone.localdate,
        help_text=f"{_REPAIR_HELP['applied_on']} Default today.",
    )
    rectification = serializers.CharField(
        max_length=SUMMARY_LENGTH, help_text=_REPAIR_HELP["rectification"]
    )
    to_grade = _grade_or_blank(_REPAIR_HELP["to_grade"])
    recorded_by = _username("recorded_by.username", "who recorded it")
    decided_by = _username("decided_by.username", "who decided it")

    class Meta:
        model = CreditRepair
        fields = ["id", "rating", *_REPAIR_HELP, "recorded_by", "decided_by", *RECORD_FIELDS]
        read_only_fields = [
            "eligible_from",
            "status",
            "from_grade",
            "to_grade",
            "decided_on",
            "decision",
        ]
        extra_kwargs = help_texts(_REPAIR_HELP)


class DecideRepairSerializer(serializers.Serializer):
    """Input of POST /api/credit-repairs/{id}/decide/."""

    approve = serializers.BooleanField(
        help_text="true: repaired (the grade goes up one step, marked repaired); false: refused."
    )
    decision = _text(
        OUTCOME_LENGTH, "The decision and its reason (审核意见); required.", required=True
    )
    decided_on = _date("Date of the decision; default today.")


class PlannedCheckSerializer(serializers.ModelSerializer):
    """One check a facility must have in a year by its grade (年度检查计划)."""

    facility = FacilityBriefSerializer(read_only=True, help_text="The facility to check.")
    behind = serializers.SerializerMethodField(
        help_text="true when the check is due and not done (no inspection, due_on past)."
    )

    class Meta:
        model = PlannedCheck
        fields = [
            "id",
            "year",
            "facility",
            "grade",
            "grade_year",
            "sequence",
            "due_on",
            "inspection",
            "behind",
        ]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                "year": "Year of the plan.",
                "grade": "The grade the plan follows from.",
                "grade_year": "Year of that grade.",
                "sequence": "Which of the year's required checks this is (1-12).",
                "due_on": "Day the check is due by.",
                "inspection": "Id of the inspection that fulfils it, or null.",
            }
        )

    @extend_schema_field({"type": "boolean"})
    def get_behind(self, check: PlannedCheck) -> bool:
        today = self.context.setdefault("today", timezone.localdate())
        return check.is_behind(today)
