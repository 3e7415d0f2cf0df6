"""Check that a refused workflow left the database exactly as it found it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every supervision table: history and many-to-many tables included."""
    config = apps.get_app_config("supervision")
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in config.get_models(include_auto_created=True)
    }


def assert_refused(call: Callable[[], object], errors: dict[str, list[str]]) -> ValidationError:
    """call() raises a ValidationError with exactly errors and writes nothing."""
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        call()
    assert exc.value.message_dict == errors
    assert snapshot() == before
    return exc.value


def assert_refused_on(call: Callable[[], object], fields: list[str]) -> ValidationError:
    """Like assert_refused, for Django's own messages: only which fields are named."""
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        call()
    assert sorted(exc.value.message_dict) == sorted(fields)
    assert snapshot() == before
    return exc.value


def without_writing(call: Callable[[], Any]) -> Any:
    """call()'s result, once it is checked that call() wrote nothing."""
    before = snapshot()
    result = call()
    assert snapshot() == before
    return result


def stored_version(record: Any) -> int:
    """The version of record's row as stored now (what an edit form opened now would carry)."""
    return type(record)._base_manager.values_list("version", flat=True).get(pk=record.pk)
