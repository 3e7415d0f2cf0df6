"""Referrals: created through services.refer_inspection, moved one step by an action."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from supervision import services
from supervision.api.fields import BriefRelatedField
from supervision.api.serializers.base import (
    RECORD_FIELDS,
    CorrectionSerializer,
    ModelValidatedSerializer,
    acting_user,
    created_by_field,
    help_texts,
)
from supervision.api.serializers.briefs import InspectionBriefSerializer
from supervision.choices import ReferralStatus
from supervision.models import Inspection, Referral

_REFERRAL_HELP = {
    "agency": "Agency the case is referred to (移送部门); each inspection goes to an agency once.",
    "status": "referred (已移送) → accepted (已立案) or declined (不予立案) → closed "
    "(已结案); moved with POST /api/referrals/{id}/move/ (read-only here).",
    "referred_on": "Date of the referral; not before the inspection began.",
    "summary": "Summary of the case (案情摘要); required.",
    "case_number": "The agency's case number (立案编号), at most 60 characters; given on "
    "acceptance.",
    "decided_on": "Date the agency accepted or declined the case (read-only here).",
    "closed_on": "Date the case was closed (read-only here).",
    "outcome": "What became of the case (处理结果).",
}
_REFERRAL_FIELDS = [
    "id",
    "docket",
    "inspection",
    "agency",
    "status",
    "referred_on",
    "summary",
    "case_number",
    "decided_on",
    "closed_on",
    "outcome",
    "created_by",
    *RECORD_FIELDS,
]


class ReferralSerializer(ModelValidatedSerializer):
    """Creating a referral goes through services.refer_inspection."""

    inspection = BriefRelatedField(
        InspectionBriefSerializer,
        queryset=Inspection.objects.all(),
        help_text="The inspection whose findings are referred: its id when writing, a brief "
        "object when reading. A planned inspection cannot be referred.",
    )
    created_by = created_by_field()

    class Meta:
        model = Referral
        fields = _REFERRAL_FIELDS
        read_only_fields = ["status", "case_number", "decided_on", "closed_on", "outcome"]
        extra_kwargs = help_texts(_REFERRAL_HELP)
        validators = []  # once per agency: refer_inspection says so on the agency field

    def create(self, validated_data: dict) -> Referral:
        inspection = validated_data.pop("inspection")
        return services.refer_inspection(inspection, user=acting_user(self), **validated_data)


class ReferralUpdateSerializer(CorrectionSerializer, ReferralSerializer):
    """Summary, case number and outcome can be corrected; the rest follows the workflow."""

    inspection = BriefRelatedField(
        InspectionBriefSerializer, read_only=True, help_text="The inspection referred."
    )

    class Meta(ReferralSerializer.Meta):
        read_only_fields = ["agency", "status", "referred_on", "decided_on", "closed_on"]


class ReferSerializer(serializers.ModelSerializer):
    """Input of POST /api/inspections/{id}/refer/."""

    class Meta:
        model = Referral
        fields = ["agency", "referred_on", "summary"]
        extra_kwargs = {name: {"help_text": _REFERRAL_HELP[name]} for name in fields}


class MoveSerializer(serializers.Serializer):
    """Input of POST /api/referrals/{id}/move/."""

    status = serializers.ChoiceField(
        choices=[
            (s.value, s.label)
            for s in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.CLOSED)
        ],
        help_text="Status to move to: accepted or declined from referred, closed from "
        "either of those.",
    )
    decided_on = serializers.DateField(
        required=False,
        help_text="Date of the agency's decision; required for accepted and declined; not "
        "before the referral.",
    )
    closed_on = serializers.DateField(
        required=False,
        help_text="Date the case was closed; required for closed; not before the decision.",
    )
    case_number = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=60,
        help_text="The agency's case number; required for accepted.",
    )
    outcome = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=Referral._meta.get_field("outcome").max_length,
        help_text="What became of the case; required for closed.",
    )

    def validate(self, attrs: dict) -> dict:
        date_field = "closed_on" if attrs["status"] == ReferralStatus.CLOSED else "decided_on"
        if attrs.get(date_field) is None:
            raise serializers.ValidationError({date_field: [_("请填写日期。")]})
        return attrs
