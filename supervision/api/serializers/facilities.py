"""Facilities (定点医药机构) and insurers."""

from __future__ import annotations

from rest_framework import serializers

from supervision.api.serializers.base import (
    RECORD_FIELDS,
    ModelValidatedSerializer,
    help_texts,
)
from supervision.choices import AgreementStatus, Grade
from supervision.forms.facilities import FACILITY_IDENTITY
from supervision.models import Facility

_FACILITY_HELP = {
    "name": "Registered name of the facility or insurer, at most 200 characters.",
    "kind": "Kind of credit subject: hospital, primary-care clinic, retail pharmacy or "
    "commercial insurer.",
    "ownership": "Economic type: public (公立) or private (民营).",
    "district": "County-level division of Lhasa where the facility is registered (GB/T 2260 code).",
    "zone": "Development zone (园区) the facility lies in, if any; empty string for none.",
    "credit_code": "Unified social credit code (统一社会信用代码): 18 characters from "
    "0-9 and A-Z without I, O, S, V, Z, with a valid GB 32100-2015 check character; unique; "
    "stored upper-case.",
    "insurance_code": "Medical-insurance designation code (医保定点编码): H (medical) or "
    "P (pharmacy), a Lhasa division code and 5 digits, e.g. H54010200012; must fit the kind; "
    "empty for insurers; unique when present.",
    "address": "Address, at most 300 characters.",
    "legal_representative": "Legal representative (法定代表人), at most 100 characters.",
    "contact_phone": "Contact telephone, at most 40 characters.",
    "deposit": "Medical-insurance deposit (医保保证金) held, in CNY with 2 decimals, at least 0.",
    "designated_on": "Date the facility was designated (定点日期), if known.",
    "note": "Free-text note.",
}


class FacilitySerializer(ModelValidatedSerializer):
    current_grade = serializers.ChoiceField(
        choices=Grade.choices,
        read_only=True,
        allow_null=True,
        help_text="Grade of the latest rated year (read-only); null if never rated.",
    )
    current_grade_year = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The year current_grade is for (read-only); null if never rated.",
    )
    agreement_status = serializers.ChoiceField(
        choices=AgreementStatus.choices,
        read_only=True,
        help_text="Service-agreement status today, derived from the sanctions (read-only): "
        "suspended while a suspension is in force, terminated from a termination's date.",
    )

    class Meta:
        model = Facility
        fields = [
            "id",
            *FACILITY_IDENTITY,
            "address",
            "legal_representative",
            "contact_phone",
            "deposit",
            "designated_on",
            "note",
            "current_grade",
            "current_grade_year",
            "agreement_status",
            *RECORD_FIELDS,
        ]
        extra_kwargs = help_texts(_FACILITY_HELP)
