"""What every serializer shares: the descriptions of the common fields, the acting user,
the plain save, and validation by the model before anything is saved."""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from supervision.api.exceptions import validation_detail
from supervision.services._common import save_with_history

ID = "Unique identifier of the record (read-only)."
CREATED_AT = "When the record was created (read-only)."
UPDATED_AT = "When the record was last changed (read-only)."
VERSION = (
    "Version of the record, 1 when recorded, one more on every change (read-only); the ETag "
    'header says the same as W/"<id>-<version>", to send back as If-Match when changing it.'
)
CREATED_BY = "User name of the staff member who recorded it (read-only; null for data loads)."
FACILITY_BRIEF = (
    "The facility (定点医药机构) concerned: its id when writing, a brief object when reading."
)


def acting_user(serializer: serializers.Serializer):
    return serializer.context["request"].user


# The bookkeeping every record carries, last in each serializer.
RECORD_FIELDS = ["created_at", "updated_at", "version"]
RECORD_HELP = {"id": ID, "created_at": CREATED_AT, "updated_at": UPDATED_AT, "version": VERSION}


def created_by_field() -> serializers.CharField:
    return serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True, help_text=CREATED_BY
    )


def help_texts(texts: dict[str, str]) -> dict[str, dict[str, str]]:
    """A Meta.extra_kwargs giving each named field, and the bookkeeping, its description."""
    return {name: {"help_text": text} for name, text in {**RECORD_HELP, **texts}.items()}


def save_changes(instance, changes: dict, user, reason: str = ""):
    """A plain edit: validated by the model, saved with the acting user on its history row
    (refused outside the user's districts, like every write)."""
    for name, value in changes.items():
        setattr(instance, name, value)
    save_with_history(instance, user, reason)
    return instance


class ModelValidatedSerializer(serializers.ModelSerializer):
    """Runs the model's own validation (field validators, clean(), constraints) on the input
    before anything is saved, so a refused edit is a 400 per field and writes nothing."""

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        model = self.Meta.model
        instance = copy.copy(self.instance) if self.instance is not None else model()
        concrete = {f.name for f in model._meta.concrete_fields}
        for name, value in attrs.items():
            if name in concrete:
                setattr(instance, name, value)
        self.before_model_validation(instance, attrs)
        try:
            instance.full_clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(validation_detail(exc)) from exc
        return attrs

    def before_model_validation(self, instance, attrs: dict) -> None:
        """Hook: checks that need the assembled instance (e.g. the many-to-many rows)."""


class CorrectionSerializer(ModelValidatedSerializer):
    """The update of a recorded case: a plain edit that history calls a correction (更正)."""

    def update(self, instance, validated_data: dict):
        return save_changes(instance, validated_data, acting_user(self), str(_("更正")))
