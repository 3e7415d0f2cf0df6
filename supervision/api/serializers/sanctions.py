"""Sanctions: recorded through services.sanction_kinds, which says what each kind takes."""

from __future__ import annotations

from rest_framework import serializers

from supervision.api.fields import BriefRelatedField, RelatedIdField
from supervision.api.serializers.base import (
    FACILITY_BRIEF,
    RECORD_FIELDS,
    CorrectionSerializer,
    acting_user,
    created_by_field,
    help_texts,
)
from supervision.api.serializers.briefs import FacilityBriefSerializer
from supervision.choices import SanctionKind
from supervision.models import CreditRating, Facility, Inspection, Sanction
from supervision.services.sanction_kinds import (
    MEASURE_FIELDS,
    field_problems,
    foreign_problems,
    record_sanction,
)
from supervision.services.sanctions import warning_problems

_SANCTION_HELP = {
    "kind": "Kind of measure (处理措施). Each kind takes its own fields: suspension starts_on + "
    "ends_on (at most 12 months, no overlap); termination starts_on (effective date); "
    "deposit_recovery deposit_percent (the amount follows from the deposit); fine and "
    "fund_recovery amount; warning note; commendation rating (an A grade, once).",
    "decided_on": "Date of the decision (决定日期); for suspension and termination not after "
    "starts_on.",
    "decision_number": "Number of the decision document (文书编号), at most 60 characters.",
    "legal_basis": "Legal basis cited (法律依据).",
    "starts_on": "Suspension: first day; termination: effective date. Empty for other kinds.",
    "ends_on": "Suspension: last day, included. Empty for other kinds.",
    "deposit_percent": "Deposit recovery: percent of the deposit recovered, over 0 and at most "
    "100, 2 decimals. Empty for other kinds.",
    "amount": "Fine or fund recovery: the amount in CNY, over 0. Deposit recovery: the amount "
    "recovered, computed from the deposit (read-only for it). Empty for other kinds.",
    "note": "Free-text note; for a warning, what the facility was told (required).",
}
# What a correction may change (facility and rating are declared read-only where it applies).
_CORRECTABLE = {"decision_number", "legal_basis", "inspection", "note"}
_SANCTION_FIELDS = ["id", "docket", *MEASURE_FIELDS, "created_by", *RECORD_FIELDS]


def _related_id(model: type, help_text: str, read_only: bool = False) -> RelatedIdField:
    if read_only:
        return RelatedIdField(read_only=True, help_text=help_text)
    return RelatedIdField(
        queryset=model.objects.all(), required=False, allow_null=True, help_text=help_text
    )


def _inspection_field(read_only: bool = False) -> RelatedIdField:
    return _related_id(
        Inspection,
        "Id of the inspection of this facility the measure rests on, if any.",
        read_only,
    )


def _rating_field(read_only: bool = False) -> RelatedIdField:
    return _related_id(
        CreditRating,
        "Id of this facility's credit rating the measure rests on: required for a "
        "commendation (an A grade), allowed for a suspension or deposit recovery decided on "
        "the grade.",
        read_only,
    )


class SanctionSerializer(serializers.ModelSerializer):
    """Creating a measure goes through the service of its kind (suspend_agreement, …)."""

    facility = BriefRelatedField(
        FacilityBriefSerializer, queryset=Facility.objects.all(), help_text=FACILITY_BRIEF
    )
    inspection = _inspection_field()
    rating = _rating_field()
    created_by = created_by_field()

    class Meta:
        model = Sanction
        fields = _SANCTION_FIELDS
        extra_kwargs = help_texts(_SANCTION_HELP)
        validators = []

    def validate(self, attrs: dict) -> dict:
        problems = field_problems(attrs["kind"], attrs)
        errors = {name: [problems[name]] for name in sorted(problems)}
        for name, message in foreign_problems(attrs["facility"], attrs).items():
            errors.setdefault(name, []).append(message)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def create(self, validated_data: dict) -> Sanction:
        data = {k: v for k, v in validated_data.items() if v not in (None, "")}
        return record_sanction(data.pop("facility"), user=acting_user(self), **data)


class SanctionUpdateSerializer(CorrectionSerializer):
    """What was decided, against whom and for how long stays; the decision number, legal basis,
    note and inspection can be corrected. Other corrections are an administrator's."""

    facility = BriefRelatedField(FacilityBriefSerializer, read_only=True, help_text=FACILITY_BRIEF)
    inspection = _inspection_field()
    rating = _rating_field(read_only=True)
    created_by = created_by_field()

    class Meta:
        model = Sanction
        fields = _SANCTION_FIELDS
        read_only_fields = [
            n for n in MEASURE_FIELDS if n not in _CORRECTABLE | {"facility", "rating"}
        ]
        extra_kwargs = help_texts(_SANCTION_HELP)

    def validate(self, attrs: dict) -> dict:
        if self.instance.kind == SanctionKind.WARNING and "note" in attrs:
            problems = warning_problems(note=attrs["note"])
            if problems:
                raise serializers.ValidationError(problems)
        return super().validate(attrs)


def _action_kwargs(fields: list[str], **own: str) -> dict[str, dict]:
    """The extra_kwargs of an action's input: the shared descriptions, and the kind's own
    fields (own: their descriptions) required."""
    return {
        **{name: {"help_text": _SANCTION_HELP[name]} for name in fields if name in _SANCTION_HELP},
        **{
            name: {"required": True, "allow_null": False, "help_text": text}
            for name, text in own.items()
        },
    }


# What every action's input takes besides the kind's own fields.
_ACTION_FIELDS = ["decided_on", "decision_number", "legal_basis", "inspection", "rating", "note"]


class _ActionSerializer(serializers.ModelSerializer):
    """Input of an action that records one kind of measure on the facility of the URL."""

    inspection = _inspection_field()
    rating = _rating_field()


class SuspendSerializer(_ActionSerializer):
    """Input of POST /api/facilities/{id}/suspend/."""

    class Meta:
        model = Sanction
        fields = ["starts_on", "ends_on", *_ACTION_FIELDS]
        extra_kwargs = _action_kwargs(
            fields,
            starts_on="First day of the suspension; not before decided_on.",
            ends_on="Last day of the suspension, included; at most 12 months after "
            "starts_on; no overlap with another suspension of the facility.",
        )


class RecoverDepositSerializer(_ActionSerializer):
    """Input of POST /api/facilities/{id}/recover-deposit/."""

    class Meta:
        model = Sanction
        fields = ["deposit_percent", *_ACTION_FIELDS]
        extra_kwargs = _action_kwargs(
            fields,
            deposit_percent="Percent of the facility's deposit recovered, over 0 and at most "
            "100, 2 decimals; the amount follows from the deposit.",
        )
