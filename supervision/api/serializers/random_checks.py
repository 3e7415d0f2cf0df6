"""Random-check plans (双随机抽查计划) in the API.

Every write goes through supervision.services.random_checks (its refusals are 400s per field, a
stale version 412). The stored pools are never in JSON: a plan shows their sizes and SHA-256
digests, and the `pool` and `inspector-pool` actions return them as the CSV text the digests are
taken of.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from supervision import random_draw
from supervision.api.serializers.base import RECORD_FIELDS, help_texts
from supervision.api.serializers.briefs import (
    FacilityBriefSerializer,
    InspectionBriefSerializer,
    InspectorBriefSerializer,
)
from supervision.choices import District, FacilityKind, RandomCheckStatus
from supervision.models import RandomCheckAssignment, RandomCheckPlan, RandomCheckTarget
from supervision.models.base import NOTE_LENGTH, REASON_LENGTH
from supervision.models.random_check import (
    MAX_INSPECTORS_PER_TARGET,
    MAX_MONTHS,
    MAX_TARGETS,
    MAX_WEIGHT,
    MIN_INSPECTORS_PER_TARGET,
    PLAN_NAME_LENGTH,
    SEED_LENGTH,
    SEED_SOURCE_LENGTH,
)
from supervision.models.rating import MAX_RATING_YEAR, MIN_RATING_YEAR
from supervision.services.random_checks import GRADE_KEYS

GRADES_HELP = (
    'Credit grades of `grade_year` the pool takes: "A"-"D", and "" for a facility without a '
    "grade that year (未评级). Empty: any."
)
WEIGHTS_HELP = (
    'Relative weight per grade, e.g. {"A": 1, "D": 5, "": 3}: an integer 1-10 per key "A"-"D" or '
    '"" (未评级); a grade left out weighs 1.'
)
STATUS_HELP = (
    "draft (草稿) → drawn (已抽取) → published (已公布); or cancelled (已撤销) before publication."
)

_PLAN_HELP = {
    "name": "Name of the plan (计划名称), at most 100 characters.",
    "starts_on": "First day of the checks; the pool's months and grade year count from it.",
    "ends_on": "Last day of the checks (检查截止日期); a target not completed after it is overdue.",
    "kinds": "Kinds of facility the pool takes; empty: any.",
    "districts": "Districts (GB/T 2260 codes) the pool takes; empty: any. A district-limited "
    "user must name districts of theirs only.",
    "grades": GRADES_HELP,
    "grade_year": "Year of the grades the pool filters and weighs by, 2018-2100; null: the year "
    "before starts_on.",
    "not_inspected_months": "Only facilities not inspected in the N months before starts_on "
    "(1-120); null: any.",
    "from_check_plan": "Only facilities with a check of this year's check plan not done yet.",
    "target_count": "How many to draw (1-100000); give this or target_share.",
    "target_share": "Share of the pool to draw, percent (0.01-100, rounded up); give this or "
    "target_count.",
    "weights": WEIGHTS_HELP,
    "inspectors_per_target": "Inspectors drawn per target, 2-10.",
    "inspector_rest_months": "Leave out an inspector who inspected the facility in the N months "
    "before starts_on (1-120); null: nobody is left out for that.",
    "exclude_home_district": "Leave out inspectors based in the facility's district.",
    "note": "Notes, at most 2,000 characters.",
}
_DRAW_HELP = {
    "status": STATUS_HELP,
    "algorithm": "The draw's algorithm (supervision.random_draw), e.g. ES-SHA256/1; empty "
    "before the draw.",
    "seed": "The seed the draw used (随机种子).",
    "seed_source": "Where the seed came from (种子来源).",
    "drawn_at": "When the plan was drawn; null before.",
    "pool_size": "Facilities in the stored pool.",
    "pool_digest": "SHA-256 of the pool's CSV text (GET …/pool/): sha256sum of that text.",
    "inspector_pool_size": "Inspectors in the stored inspector pool.",
    "result_digest": "SHA-256 of the draw's result (rank, facility, inspectors per line).",
    "published_on": "Day published; null before.",
    "cancelled_on": "Day cancelled; null unless cancelled.",
    "cancel_reason": "Why it was cancelled.",
}


def _username(source: str, help_text: str) -> serializers.CharField:
    return serializers.CharField(
        source=source, read_only=True, allow_null=True, help_text=help_text
    )


def _months(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1, max_value=MAX_MONTHS, required=False, allow_null=True, help_text=help_text
    )


class WeightsField(serializers.DictField):
    """Weights by grade: keys "A"-"D" or "", integer values 1-10 (not true/false)."""

    child = serializers.IntegerField(min_value=1, max_value=MAX_WEIGHT)

    def to_internal_value(self, data: Any) -> dict[str, int]:
        if isinstance(data, dict):
            if any(key not in GRADE_KEYS for key in data):
                raise serializers.ValidationError(_("权重应按A、B、C、D或未评级（空字符串）填写。"))
            if any(isinstance(value, bool) for value in data.values()):
                raise serializers.ValidationError(_("权重应为1到10的整数。"))
        return super().to_internal_value(data)


class RandomCheckPlanSerializer(serializers.ModelSerializer):
    """A plan: its criteria, status and draw (sizes and digests of the stored pools, never the
    pools). Written through services.random_checks (create_plan, edit_plan for a draft)."""

    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=FacilityKind.choices),
        required=False,
        max_length=len(FacilityKind.values),
        help_text=_PLAN_HELP["kinds"],
    )
    districts = serializers.ListField(
        child=serializers.ChoiceField(choices=District.choices),
        required=False,
        max_length=len(District.values),
        help_text=_PLAN_HELP["districts"],
    )
    grades = serializers.ListField(
        child=serializers.ChoiceField(choices=[(g, g) for g in GRADE_KEYS], allow_blank=True),
        required=False,
        max_length=len(GRADE_KEYS),
        help_text=GRADES_HELP,
    )
    weights = WeightsField(required=False, help_text=WEIGHTS_HELP)
    grade_year = serializers.IntegerField(
        min_value=MIN_RATING_YEAR,
        max_value=MAX_RATING_YEAR,
        required=False,
        allow_null=True,
        help_text=_PLAN_HELP["grade_year"],
    )
    not_inspected_months = _months(_PLAN_HELP["not_inspected_months"])
    inspector_rest_months = _months(_PLAN_HELP["inspector_rest_months"])
    target_count = serializers.IntegerField(
        min_value=1,
        max_value=MAX_TARGETS,
        required=False,
        allow_null=True,
        help_text=_PLAN_HELP["target_count"],
    )
    inspectors_per_target = serializers.IntegerField(
        min_value=MIN_INSPECTORS_PER_TARGET,
        max_value=MAX_INSPECTORS_PER_TARGET,
        required=False,
        help_text=_PLAN_HELP["inspectors_per_target"],
    )
    name = serializers.CharField(max_length=PLAN_NAME_LENGTH, help_text=_PLAN_HELP["name"])
    note = serializers.CharField(
        max_length=NOTE_LENGTH,
        required=False,
        allow_blank=True,
        help_text=_PLAN_HELP["note"],
    )
    status = serializers.ChoiceField(
        choices=RandomCheckStatus.choices, read_only=True, help_text=STATUS_HELP
    )
    drawn_by = _username("drawn_by.username", "User name of who drew it; null before.")
    published_by = _username("published_by.username", "User name of who published it.")
    created_by = _username("created_by.username", "User name of who wrote it.")
    target_total = serializers.SerializerMethodField(
        help_text="Targets the draw drew (or would draw from the stored pool); null before the "
        "draw."
    )

    class Meta:
        model = RandomCheckPlan
        fields = [
            "id",
            *_PLAN_HELP,
            "status",
            "algorithm",
            "seed",
            "seed_source",
            "drawn_at",
            "drawn_by",
            "pool_size",
            "pool_digest",
            "inspector_pool_size",
            "result_digest",
            "target_total",
            "published_on",
            "published_by",
            "cancelled_on",
            "cancel_reason",
            "created_by",
            *RECORD_FIELDS,
        ]
        read_only_fields = ["id", *_DRAW_HELP, *RECORD_FIELDS]
        extra_kwargs = help_texts({**_PLAN_HELP, **_DRAW_HELP})

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_target_total(self, plan: RandomCheckPlan) -> int | None:
        if plan.drawn_at is None:
            return None
        return random_draw.count_for(plan.pool_size, plan.target_count, plan.target_share)


class DrawSerializer(serializers.Serializer):
    """Input of POST /api/random-check-plans/{id}/draw/."""

    seed = serializers.CharField(
        max_length=SEED_LENGTH,
        help_text="The seed (随机种子): a public number (e.g. a lottery draw of the day) or text, "
        "at most 128 characters, without | or line breaks.",
    )
    seed_source = serializers.CharField(
        max_length=SEED_SOURCE_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Where the seed comes from (种子来源), at most 200 characters.",
    )


class CancelSerializer(serializers.Serializer):
    """Input of POST /api/random-check-plans/{id}/cancel/."""

    reason = serializers.CharField(
        max_length=REASON_LENGTH, help_text="Why the plan is cancelled (撤销原因); required."
    )


class SubstituteSerializer(serializers.Serializer):
    """Input of POST /api/random-check-assignments/{id}/substitute/."""

    reason = serializers.CharField(
        max_length=REASON_LENGTH,
        help_text="Why the inspector is withdrawn (撤换原因); required. The substitute is the "
        "next inspector of the target's draw sequence who may go: the seed decides, not a "
        "person.",
    )


class VerificationSerializer(serializers.Serializer):
    """Answer of …/verify/: the draw re-run from the stored seed and pools alone."""

    ok = serializers.BooleanField(help_text="Whether the re-run gives exactly what is stored.")
    problems = serializers.ListField(
        child=serializers.CharField(), help_text="What differs, in words; empty when ok."
    )
    algorithm = serializers.CharField(help_text="The draw's algorithm.")
    seed = serializers.CharField(help_text="The stored seed.")
    pool_size = serializers.IntegerField(help_text="Facilities in the stored pool.")
    target_count = serializers.IntegerField(help_text="Targets the re-run drew.")
    pool_digest = serializers.CharField(help_text="The stored pool digest.")
    result_digest = serializers.CharField(help_text="The digest of the re-run's result.")
    stored_result_digest = serializers.CharField(help_text="The stored result digest.")


class AssignmentSerializer(serializers.ModelSerializer):
    """An inspector of a drawn target: drawn, or a substitute for one withdrawn."""

    inspector = InspectorBriefSerializer(read_only=True, help_text="The inspector.")
    target = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="Id of the target (/api/random-check-targets/{id}/)."
    )
    replaces = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Id of the assignment this one replaced."
    )

    class Meta:
        model = RandomCheckAssignment
        fields = [
            "id",
            "target",
            "inspector",
            "position",
            "drawn",
            "replaces",
            "withdrawn_on",
            "withdrawn_reason",
            "recorded_at",
        ]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                "position": "Order of the inspector on the target (drawn first, substitutes "
                "after).",
                "drawn": "true: drawn by the draw; false: a substitute.",
                "withdrawn_on": "Day withdrawn (撤换日期); null while on the target.",
                "withdrawn_reason": "Why withdrawn.",
                "recorded_at": "When recorded.",
            }
        )


class RandomCheckTargetSerializer(serializers.ModelSerializer):
    """A drawn target: its rank, the facility, its inspectors now and every assignment."""

    plan = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="Id of the plan (/api/random-check-plans/{id}/)."
    )
    facility = FacilityBriefSerializer(read_only=True, help_text="The drawn facility.")
    inspection = InspectionBriefSerializer(
        read_only=True,
        allow_null=True,
        help_text="The planned random inspection publication made of it; null before.",
    )
    current_inspectors = serializers.SerializerMethodField(
        help_text="The inspectors on the target now (withdrawn ones left out), in order."
    )
    assignments = AssignmentSerializer(
        many=True, read_only=True, help_text="Every inspector drawn or substituted, in order."
    )

    class Meta:
        model = RandomCheckTarget
        fields = [
            "id",
            "plan",
            "rank",
            "facility",
            "district",
            "weight",
            "inspection",
            "current_inspectors",
            "assignments",
        ]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                "rank": "Order in which the draw drew it (1 first).",
                "district": "The facility's district when drawn (GB/T 2260 code).",
                "weight": "Its weight in the draw (1-10).",
            }
        )

    @extend_schema_field(InspectorBriefSerializer(many=True))
    def get_current_inspectors(self, target: RandomCheckTarget) -> list[dict]:
        current = [a.inspector for a in target.assignments.all() if a.withdrawn_on is None]
        return InspectorBriefSerializer(current, many=True, context=self.context).data


__all__ = [
    "AssignmentSerializer",
    "CancelSerializer",
    "DrawSerializer",
    "RandomCheckPlanSerializer",
    "RandomCheckTargetSerializer",
    "SubstituteSerializer",
    "VerificationSerializer",
]
