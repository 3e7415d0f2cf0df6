"""Keyset ("cursor") pagination: no COUNT(*), no OFFSET, the same speed on page 1 and page 20,000.

A page is the next `page_size` rows after the last row seen, in a total order: the ordering the
client chose with the FilterSet's `ordering` parameter (or the endpoint's default, an indexed
key), then the primary key to break ties. The cursor carries the last row's values of those keys,
so the database seeks to it through an index instead of counting or skipping rows. NULLs (a
facility never rated has no current grade) sort before every value in both databases.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections import OrderedDict
from dataclasses import replace
from typing import Any

import django_filters
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Field, IntegerField, Model, QuerySet
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param

from supervision.keyset import Key, after, nullable, value_of

MAX_PAGE_SIZE = 200
# Larger integers than a BIGINT column holds are refused before they reach the database.
MAX_INT = 2**63 - 1


class _CursorEncoder(DjangoJSONEncoder):
    """Full precision: Django's encoder cuts datetimes to milliseconds, and a cursor that is a
    little before its row would show that row again."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _resolve_field(queryset: QuerySet, name: str) -> Field:
    """The model field or annotation a key orders by, to read cursor values back."""
    annotation = queryset.query.annotations.get(name)
    if annotation is not None:
        return annotation.output_field
    model: type[Model] = queryset.model
    parts = name.split("__")
    for part in parts[:-1]:
        model = model._meta.get_field(part).related_model
    field = model._meta.pk if parts[-1] == "pk" else model._meta.get_field(parts[-1])
    return field.target_field if field.is_relation else field


class KeysetPagination(BasePagination):
    """Cursor pagination over a composite key; `next` and `previous` are ready-made URLs."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list[Model]:
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        self.keys = [
            replace(key, nullable=nullable(queryset, key.name))
            for key in self.get_keys(request, view, queryset)
        ]
        position, backwards = self.decode_cursor(request, queryset)
        keys = [key.flipped() for key in self.keys] if backwards else self.keys
        if position is not None:
            queryset = queryset.filter(after(keys, position))
        rows = list(
            queryset.order_by(*(key.order_expression() for key in keys))[: self.page_size + 1]
        )
        has_more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if backwards:
            rows.reverse()
        first = self.position_of(rows[0]) if rows else position
        last = self.position_of(rows[-1]) if rows else position
        came_from_elsewhere = position is not None
        if backwards:
            self.next_position = last if came_from_elsewhere else None
            self.previous_position = first if has_more else None
        else:
            self.next_position = last if has_more else None
            self.previous_position = first if came_from_elsewhere else None
        return rows

    # --- request parameters ---

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return api_settings.PAGE_SIZE
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("每页条数应为1到%(max)d之间的整数。") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def get_keys(self, request, view, queryset: QuerySet) -> list[Key]:
        """The client's ordering (the FilterSet's `ordering` parameter), else the view's."""
        keys = self.requested_keys(request, view) or [
            Key(name.lstrip("-"), name.startswith("-"))
            for name in getattr(view, "ordering", None) or ["-pk"]
        ]
        keys = [Key("pk" if k.name == "id" else k.name, k.descending) for k in keys]
        if not any(key.name == "pk" for key in keys):
            keys.append(Key("pk", keys[0].descending))
        return keys

    def requested_keys(self, request, view) -> list[Key]:
        filterset_class = getattr(view, "filterset_class", None)
        raw = request.query_params.get("ordering", "")
        if filterset_class is None or not raw:
            return []
        ordering = next(
            (
                f
                for f in filterset_class.base_filters.values()
                if isinstance(f, django_filters.OrderingFilter)
            ),
            None,
        )
        if ordering is None:
            return []
        keys = []
        for token in (t.strip() for t in raw.split(",")):
            descending = token.startswith("-")
            field = ordering.param_map.get(token.lstrip("-"))
            if field is not None:  # unknown values were refused by the FilterSet already
                keys.append(Key(field, descending))
        return keys

    # --- cursors ---

    def position_of(self, instance: Model) -> list[Any]:
        return [value_of(instance, key.name) for key in self.keys]

    def encode_cursor(self, position: list[Any], backwards: bool) -> str:
        payload = {"k": [k.name for k in self.keys], "p": position, "r": backwards}
        text = json.dumps(payload, cls=_CursorEncoder, separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def decode_cursor(self, request, queryset: QuerySet) -> tuple[list[Any] | None, bool]:
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None, False
        try:
            text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
            payload = json.loads(text)
            names, values, backwards = payload["k"], payload["p"], payload["r"]
            if names != [k.name for k in self.keys] or not isinstance(backwards, bool):
                raise ValueError("the cursor belongs to another ordering")
            if not isinstance(values, list) or len(values) != len(self.keys):
                raise ValueError("the cursor does not match the ordering")
            position = [
                self.read_value(queryset, key, value)
                for key, value in zip(self.keys, values, strict=True)
            ]
        except (
            ValueError,
            TypeError,
            KeyError,
            binascii.Error,
            UnicodeDecodeError,
            ValidationError,
            FieldDoesNotExist,
            AttributeError,
        ) as exc:
            raise exceptions.ValidationError(
                {self.cursor_query_param: [_("无效的分页游标。")]}
            ) from exc
        return position, backwards

    @staticmethod
    def read_value(queryset: QuerySet, key: Key, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, (dict, list, bool)):
            raise ValueError("not a scalar")
        field = _resolve_field(queryset, key.name)
        result = field.to_python(value)
        if isinstance(field, IntegerField) and not -MAX_INT <= result <= MAX_INT:
            raise ValueError("integer out of range")
        return result

    # --- response ---

    def link(self, position: list[Any] | None, backwards: bool) -> str | None:
        if position is None:
            return None
        return replace_query_param(
            self.base_url, self.cursor_query_param, self.encode_cursor(position, backwards)
        )

    def get_next_link(self) -> str | None:
        return self.link(self.next_position, backwards=False)

    def get_previous_link(self) -> str | None:
        if self.previous_position is None:
            return None
        return self.link(self.previous_position, backwards=True)

    def get_paginated_response(self, data) -> Response:
        return Response(
            OrderedDict(
                [
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "URL of the next page; null on the last page."},
                "previous": {
                    **link,
                    "description": "URL of the previous page; null on the first page.",
                },
                "results": {**schema, "description": "The rows of this page."},
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque position in the list, taken from a `next` or `previous` "
                "URL; never built by hand.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1 to {self.max_page_size} "
                f"(default {api_settings.PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
