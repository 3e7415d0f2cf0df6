"""Serializer fields shared by the endpoints."""

from __future__ import annotations

from rest_framework import serializers

from supervision.api.pagination import MAX_INT
from supervision.scoping import scoped_queryset


class RelatedIdField(serializers.PrimaryKeyRelatedField):
    """A related row given by its id, chosen among the rows the user may see.

    An id the user may not see reads as one that does not exist. Booleans, fractions and ids
    beyond the database's integer range are refused before a query is made.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        return scoped_queryset(getattr(request, "user", None), queryset)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str):
            if not data.isascii() or not data.isdigit():
                self.fail("incorrect_type", data_type="str")
            data = int(data)
        if not 1 <= data <= MAX_INT:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class BriefRelatedField(RelatedIdField):
    """Written as an id, read as a brief object (id, name, …) that the queryset already selects."""

    def __init__(self, brief: type[serializers.Serializer], **kwargs) -> None:
        self.brief = brief
        super().__init__(**kwargs)

    def use_pk_only_optimization(self) -> bool:
        return False

    def to_representation(self, value):
        return self.brief(value, context=self.context).data


class CodeListField(serializers.ListField):
    """A many-to-many to a table of codes (partner agencies, violation categories) as a list of
    codes; reads the prefetched rows."""

    def to_representation(self, data):
        if hasattr(data, "all"):
            data = [row.pk for row in data.all()]
        return super().to_representation(data)
