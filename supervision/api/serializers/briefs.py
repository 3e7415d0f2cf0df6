"""Brief objects nested in other records; the endpoint's queryset already selects them."""

from __future__ import annotations

from rest_framework import serializers

from supervision.api.serializers.base import ID
from supervision.models import CreditRating, Facility, Inspection, Inspector


class FacilityBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Facility
        fields = ["id", "name", "kind", "district"]
        extra_kwargs = {
            "id": {"help_text": ID},
            "name": {"help_text": "Registered name of the facility."},
            "kind": {"help_text": "Kind of facility."},
            "district": {"help_text": "County-level division of Lhasa (GB/T 2260 code)."},
        }


class InspectorBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Inspector
        fields = ["id", "name", "badge_number"]
        extra_kwargs = {
            "id": {"help_text": ID},
            "name": {"help_text": "Name of the law-enforcement officer (执法人员)."},
            "badge_number": {"help_text": "Law-enforcement certificate number (执法证号)."},
        }


class CreditRatingBriefSerializer(serializers.ModelSerializer):
    facility = FacilityBriefSerializer(read_only=True, help_text="The rated facility.")

    class Meta:
        model = CreditRating
        fields = ["id", "facility", "year", "grade"]
        extra_kwargs = {
            "id": {"help_text": ID},
            "year": {"help_text": "Calendar year the rating is for."},
            "grade": {"help_text": "Credit grade now held for that year."},
        }


class InspectionBriefSerializer(serializers.ModelSerializer):
    facility = FacilityBriefSerializer(read_only=True, help_text="The inspected facility.")

    class Meta:
        model = Inspection
        fields = ["id", "facility", "kind", "status", "start_date"]
        extra_kwargs = {
            "id": {"help_text": ID},
            "kind": {"help_text": "Kind of inspection."},
            "status": {"help_text": "Where the inspection stands."},
            "start_date": {"help_text": "First day of the inspection."},
        }
