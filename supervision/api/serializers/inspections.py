"""Inspections: recorded through services.record_inspection, completed by an action."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from supervision import services
from supervision.api.exceptions import validation_detail
from supervision.api.fields import BriefRelatedField, CodeListField
from supervision.api.serializers.base import (
    FACILITY_BRIEF,
    RECORD_FIELDS,
    ModelValidatedSerializer,
    acting_user,
    created_by_field,
    help_texts,
)
from supervision.api.serializers.briefs import FacilityBriefSerializer, InspectorBriefSerializer
from supervision.choices import Agency, InspectionStatus, Violation
from supervision.forms.inspections import INSPECTION_FIELDS
from supervision.models import Facility, Inspection, Inspector
from supervision.models.inspection import check_inspectors

_INSPECTION_HELP = {
    "kind": "Kind of inspection (检查类型). All but self-inspection are on-site and need at least "
    "2 inspectors (Decree 735, Art. 29).",
    "status": "Where the inspection stands. A recorded inspection is completed with POST "
    "/api/inspections/{id}/complete/, not by editing its status; a past one may be recorded "
    "as completed, with its end date.",
    "start_date": "First day of the inspection.",
    "end_date": "Last day of the inspection; not before start_date; set when it is completed.",
    "findings": "What the inspectors found.",
    "amount_involved": "Fund money involved (涉及金额), CNY with 2 decimals, at least 0.",
    "amount_recovered": "Fund money recovered (追回金额), CNY with 2 decimals, at least 0 and at "
    "most amount_involved.",
}


class InspectionSerializer(ModelValidatedSerializer):
    """Creating an inspection goes through services.record_inspection."""

    facility = BriefRelatedField(
        FacilityBriefSerializer, queryset=Facility.objects.all(), help_text=FACILITY_BRIEF
    )
    inspectors = BriefRelatedField(
        InspectorBriefSerializer,
        queryset=Inspector.objects.all(),
        many=True,
        required=False,
        help_text="The inspectors (检查人员): ids when writing, brief objects when reading. At "
        "least 2 different ones for an on-site inspection.",
    )
    partner_agencies = CodeListField(
        child=serializers.ChoiceField(choices=Agency.choices),
        required=False,
        max_length=len(Agency),
        help_text="Agencies that took part (协作部门), e.g. police for a joint inspection.",
    )
    violations = CodeListField(
        child=serializers.ChoiceField(choices=Violation.choices),
        required=False,
        max_length=len(Violation),
        help_text="Categories of violation found (违规类型).",
    )
    created_by = created_by_field()

    class Meta:
        model = Inspection
        fields = ["id", "docket", *INSPECTION_FIELDS, "created_by", *RECORD_FIELDS]
        extra_kwargs = help_texts(_INSPECTION_HELP)

    def validate_status(self, value: str) -> str:
        # A past inspection may be recorded as completed; one on file is completed by the action.
        editing = self.instance is not None and self.instance.status != InspectionStatus.COMPLETED
        if editing and value == InspectionStatus.COMPLETED:
            raise serializers.ValidationError(
                _("请通过“完成检查”操作（POST /api/inspections/{id}/complete/）完成检查。")
            )
        return value

    def before_model_validation(self, instance: Inspection, attrs: dict) -> None:
        if "inspectors" in attrs:
            inspectors = attrs["inspectors"]
        elif self.instance is not None:
            inspectors = list(self.instance.inspectors.all())
        else:
            inspectors = []
        try:
            check_inspectors(instance.kind, len(set(inspectors)))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(validation_detail(exc)) from exc

    def create(self, validated_data: dict) -> Inspection:
        validated_data.setdefault("inspectors", [])
        return services.record_inspection(user=acting_user(self), **validated_data)


class CompleteSerializer(serializers.Serializer):
    """Input of POST /api/inspections/{id}/complete/."""

    end_date = serializers.DateField(
        help_text="Last day of the inspection; not before its start date."
    )
    findings = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=Inspection._meta.get_field("findings").max_length,
        help_text="What the inspectors found; replaces the findings when given, else they stay.",
    )
