"""Rectification orders (责令整改) in the API.

Every write goes through services.rectifications, as the pages do: an order is made on a
completed inspection that found problems, the facility's report and the follow-up inspection
(复查) are actions on it (refusals are 400s per field, a stale version 412, a record outside the
user's districts 404 or 403).
"""

from __future__ import annotations

from rest_framework import serializers

from supervision.api.fields import RelatedIdField
from supervision.api.serializers.base import RECORD_FIELDS, created_by_field, help_texts
from supervision.api.serializers.briefs import FacilityBriefSerializer, InspectionBriefSerializer
from supervision.choices import RectificationStatus
from supervision.models import Inspection, Inspector, Rectification
from supervision.models.rectification import MAX_RECTIFICATION_WORKDAYS

STATUS_HELP = (
    "ordered (整改中) → reported (已报告整改, the facility's report recorded) → confirmed "
    "(整改到位) or not_done (整改不到位) by the follow-up inspection (复查); an order may be "
    "followed up without a report. Moved by the report and follow-up actions (read-only here)."
)
_HELP = {
    "requirement": "What the facility must put right (整改要求), at most 2,000 characters.",
    "ordered_on": "Date of the order (责令整改日期); not before the inspection began, not in "
    "the future.",
    "workdays": f"Period in statutory working days (1–{MAX_RECTIFICATION_WORKDAYS}), counted "
    "from the day after the order: public holidays do not count, make-up working days (调休) "
    "do.",
    "due_on": "Deadline (整改期限): the workdays-th working day after ordered_on; null while the "
    "holiday schedule of a year it runs into is not known (read-only).",
    "reported_on": "Date the facility's report came in (整改报告收到日期); null until recorded.",
    "report": "Summary of the facility's report (整改报告摘要).",
    "checked_on": "Date of the follow-up inspection (复查日期); null until followed up.",
    "outcome": "What the follow-up found (复查结论); also the follow-up inspection's findings.",
}
_FIELDS = [
    "id",
    "inspection",
    "facility",
    "requirement",
    "ordered_on",
    "workdays",
    "due_on",
    "status",
    "reported_on",
    "report",
    "follow_up",
    "checked_on",
    "outcome",
    "created_by",
    *RECORD_FIELDS,
]


def _text(help_text: str) -> serializers.CharField:
    return serializers.CharField(
        max_length=Rectification._meta.get_field("requirement").max_length, help_text=help_text
    )


class RectificationSerializer(serializers.ModelSerializer):
    """A rectification order (责令整改), with its report and follow-up."""

    inspection = InspectionBriefSerializer(
        read_only=True, help_text="The completed inspection whose findings are to be put right."
    )
    facility = FacilityBriefSerializer(read_only=True, help_text="The inspected facility.")
    status = serializers.ChoiceField(
        choices=RectificationStatus.choices, read_only=True, help_text=STATUS_HELP
    )
    follow_up = InspectionBriefSerializer(
        read_only=True,
        allow_null=True,
        help_text="The follow-up inspection (复查, kind followup); null until followed up.",
    )
    created_by = created_by_field()

    class Meta:
        model = Rectification
        fields = _FIELDS
        read_only_fields = _FIELDS
        extra_kwargs = help_texts(_HELP)


class OrderRectificationSerializer(serializers.Serializer):
    """Input of POST /api/rectifications/ (services.rectifications.order_rectification)."""

    inspection = RelatedIdField(
        queryset=Inspection.objects.all(),
        help_text="Id of a completed inspection in the user's districts that found problems "
        "(a violation category recorded, or an amount involved); once per inspection.",
    )
    requirement = _text(_HELP["requirement"])
    workdays = serializers.IntegerField(
        min_value=1, max_value=MAX_RECTIFICATION_WORKDAYS, help_text=_HELP["workdays"]
    )
    ordered_on = serializers.DateField(help_text=_HELP["ordered_on"])


class ReportRectificationSerializer(serializers.Serializer):
    """Input of POST /api/rectifications/{id}/report/ (an order still 整改中)."""

    reported_on = serializers.DateField(
        help_text="Date the report came in; not before the order, not in the future."
    )
    report = _text(_HELP["report"] + " Required, at most 2,000 characters.")


class FollowUpSerializer(serializers.Serializer):
    """Input of POST /api/rectifications/{id}/follow-up/ (an order not yet followed up)."""

    checked_on = serializers.DateField(
        help_text="Date of the follow-up inspection; not before the order (nor the report), "
        "not in the future."
    )
    done = serializers.BooleanField(
        required=True,
        help_text="true: the order was carried out (整改到位); false: it was not (整改不到位), "
        "after which a sanction may be recorded on the follow-up inspection.",
    )
    outcome = _text(_HELP["outcome"] + " Required, at most 2,000 characters.")
    inspectors = RelatedIdField(
        queryset=Inspector.objects.filter(is_active=True),
        many=True,
        required=False,
        help_text="Ids of the officers on duty who did the follow-up: at least 2 different "
        "ones (an on-site inspection). Left out: the acting user's own officer record only, "
        "which is not enough on its own.",
    )


__all__ = [
    "FollowUpSerializer",
    "OrderRectificationSerializer",
    "RectificationSerializer",
    "ReportRectificationSerializer",
]
