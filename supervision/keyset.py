"""Keyset order: a total order of keys (the primary key last) and the rows after a position in
it, sought through an index instead of counted or skipped. The API's cursor pages
(supervision.api.pagination) and the streamed exports (supervision.exports) both read by it.
NULLs (a facility never rated has no current grade) sort before every value in both databases.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Model, Q, QuerySet


@dataclass(frozen=True)
class Key:
    name: str  # a field path as order_by takes it, e.g. "facility__name" or "current_grade"
    descending: bool
    # A column that is never NULL is ordered without a NULLS clause, so that its index (which
    # stores NULLS LAST ascending) gives the order: "name ASC NULLS FIRST" would make the
    # database sort every matching row before returning the first page.
    nullable: bool = True

    def flipped(self) -> Key:
        return replace(self, descending=not self.descending)

    def order_expression(self):
        field = F(self.name)
        if not self.nullable:
            return field.desc() if self.descending else field.asc()
        return field.desc(nulls_last=True) if self.descending else field.asc(nulls_first=True)

    def beyond(self, value: Any) -> Q:
        """Rows strictly past value in this key's direction (NULL counts as the smallest)."""
        if self.descending:
            if value is None:
                return Q(pk__in=[])
            return Q(**{f"{self.name}__lt": value}) | Q(**{f"{self.name}__isnull": True})
        if value is None:
            return Q(**{f"{self.name}__isnull": False})
        return Q(**{f"{self.name}__gt": value})

    def equal(self, value: Any) -> Q:
        if value is None:
            return Q(**{f"{self.name}__isnull": True})
        return Q(**{self.name: value})


def after(keys: list[Key], values: list[Any]) -> Q:
    """Rows after the position `values` in the order `keys`: a lexicographic comparison, plus
    the first key's bound on its own (name >= x), which the database can seek to in the index:
    the OR of the comparison alone is only a filter, so each page would read every row before
    it (streaming a million facilities read 250 million index entries)."""
    head, value = keys[0], values[0]
    after = _lexicographic(keys, values)
    if value is None or head.nullable:
        return after
    return Q(**{f"{head.name}__{'lte' if head.descending else 'gte'}": value}) & after


def _lexicographic(keys: list[Key], values: list[Any]) -> Q:
    head, value = keys[0], values[0]
    if len(keys) == 1:
        return head.beyond(value)
    return head.beyond(value) | (head.equal(value) & _lexicographic(keys[1:], values[1:]))


def nullable(queryset: QuerySet, name: str) -> bool:
    """Whether the key can be NULL: an annotation, a nullable column, or a column reached
    through a nullable foreign key (an outer join)."""
    if name in queryset.query.annotations:
        return True
    model: type[Model] = queryset.model
    for part in name.split("__"):
        if part == "pk":
            return False
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return True
        if getattr(field, "null", True):
            return True
        if field.is_relation:
            model = field.related_model
    return False


def value_of(instance: Model, name: str) -> Any:
    value: Any = instance
    for part in name.split("__"):
        if value is None:
            return None
        value = getattr(value, part)
    return value
