"""The credit-subject registries in the API: institutions of categories 4–6 and insured persons.

Both are written through supervision.services.credit_subjects (its refusals are 400s per field,
a stale version 412, an ID number written without the permission 403). An insured person's
`id_number` is personal data: it is read only by a user with view_insuredidentity (the viewset
selects `identity` for them), written on creation by a user with add_insuredidentity and
corrected by one with change_insuredidentity; for an evaluator, who may enter one but not read
it, the field is write-only; for anyone else it is absent. `id_masked` is there for everyone.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from supervision.api.serializers.base import RECORD_FIELDS, acting_user, help_texts
from supervision.choices import INSTITUTION_CATEGORIES, CreditCategoryCode
from supervision.codes import validate_resident_id
from supervision.models import CreditInstitution, InsuredPerson
from supervision.scoping import in_scope
from supervision.services import credit_subjects as service

CATEGORY_HELP = (
    "Credit category (信用主体类别) of the institution: pharma_company (医药企业), employer "
    "(参保单位) or service_provider (第三方服务机构)."
)
ID_NUMBER_HELP = (
    "Resident ID number (身份证号码), 18 characters with a valid check character, stored "
    "upper-case. Personal data: returned only to a user with supervision.view_insuredidentity; "
    "required when creating (permission supervision.add_insuredidentity); changing it needs "
    "supervision.change_insuredidentity. Write-only for a user who may enter but not read it, "
    "absent for everyone else."
)


class CreditInstitutionSerializer(serializers.ModelSerializer):
    """An institution of categories 4–6 (信用主体单位)."""

    category = serializers.ChoiceField(
        source="category_id",
        choices=[(c, CreditCategoryCode(c).label) for c in INSTITUTION_CATEGORIES],
        help_text=CATEGORY_HELP,
    )

    class Meta:
        model = CreditInstitution
        fields = [
            "id",
            "category",
            "name",
            "credit_code",
            "district",
            "address",
            "legal_representative",
            "note",
            *RECORD_FIELDS,
        ]
        read_only_fields = ["id", *RECORD_FIELDS]
        extra_kwargs = help_texts(
            {
                "name": "Name of the institution, at most 200 characters.",
                "credit_code": "Unified social credit code (统一社会信用代码), 18 characters with "
                "the GB 32100-2015 check character; unique; stored upper-case.",
                "district": "County-level division of Lhasa (GB/T 2260 code).",
                "address": "Address, at most 300 characters.",
                "legal_representative": "Legal representative (法定代表人), at most 100 "
                "characters.",
                "note": "Notes, at most 2,000 characters.",
            }
        )
        # Uniqueness is the service's to check, with a message that names the holder.
        validators: list = []

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["credit_code"].validators = []
        return fields

    @staticmethod
    def _values(validated: dict[str, Any]) -> dict[str, Any]:
        values = dict(validated)
        if "category_id" in values:
            values["category"] = values.pop("category_id")
        return values

    def create(self, validated_data: dict[str, Any]) -> CreditInstitution:
        return service.register_institution(user=acting_user(self), **self._values(validated_data))

    def update(self, instance: CreditInstitution, validated_data: dict[str, Any]):
        return service.edit_institution(
            instance,
            user=acting_user(self),
            expected_version=instance.version,
            **self._values(validated_data),
        )


class InsuredPersonSerializer(serializers.ModelSerializer):
    """An insured person (参保人员, category 8), the ID number only as the reader may see it."""

    id_number = serializers.CharField(
        source="identity.id_number",
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=ID_NUMBER_HELP,
    )

    class Meta:
        model = InsuredPerson
        fields = ["id", "name", "district", "id_number", "id_masked", "note", *RECORD_FIELDS]
        read_only_fields = ["id", "id_masked", *RECORD_FIELDS]
        extra_kwargs = help_texts(
            {
                "name": "Name of the insured person, at most 50 characters.",
                "district": "County-level division insured in (GB/T 2260 code).",
                "id_masked": "ID number with the birth date and sequence hidden, e.g. "
                "540102********123X (read-only).",
                "note": "Notes, at most 2,000 characters.",
            }
        )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is None:  # the schema: the field as documented
            return fields
        user = request.user
        if service.may_read_identity(user):
            return fields
        if service.may_enter_identity(user) or service.may_correct_identity(user):
            fields["id_number"].write_only = True
        else:
            del fields["id_number"]
        return fields

    def to_representation(self, instance: InsuredPerson) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if "id_number" in data and request is not None and not in_scope(request.user, instance):
            # Never outside the reader's districts, whatever a queryset let through.
            del data["id_number"]
        return data

    def validate_id_number(self, value: str) -> str:
        number = service.normalised_id(value)
        if number:
            validate_resident_id(number)
        return number

    @staticmethod
    def _values(validated: dict[str, Any]) -> dict[str, Any]:
        values = dict(validated)
        identity = values.pop("identity", None) or {}
        if identity.get("id_number"):
            values["id_number"] = identity["id_number"]
        return values

    def create(self, validated_data: dict[str, Any]) -> InsuredPerson:
        values = self._values(validated_data)
        values.setdefault("id_number", "")
        return service.register_insured_person(user=acting_user(self), **values)

    def update(self, instance: InsuredPerson, validated_data: dict[str, Any]) -> InsuredPerson:
        return service.edit_insured_person(
            instance,
            user=acting_user(self),
            expected_version=instance.version,
            **self._values(validated_data),
        )
