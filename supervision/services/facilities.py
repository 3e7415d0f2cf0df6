"""The registry: register a facility and edit one, alike from the pages, the API and the admin."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from supervision.models import Facility
from supervision.scoping import check_in_scope
from supervision.services._common import User, save_with_history


def save_validated(record: Any, user: User, reason: str = "") -> None:
    """save_with_history for a record a ModelForm has just validated (the page and the admin
    run the model's full_clean in the form): refused outside the user's districts, saved with
    the user and reason on its history row, without validating (and querying) twice."""
    check_in_scope(user, record)
    record._history_user = user
    if reason:
        record._change_reason = reason
    record.save()


def save_record(record: Any, user: User, reason: str = "", *, validated: bool = False) -> None:
    """The save of a plain edit: save_validated when the caller's form validated the record,
    else save_with_history (which validates)."""
    if validated:
        save_validated(record, user, reason)
    else:
        save_with_history(record, user, reason)


@transaction.atomic
def register_facility(facility: Facility, *, user: User, validated: bool = False) -> Facility:
    """Add a new facility (unsaved) to the registry, in one of the user's districts.

    validated: the caller's form already ran the model's validation.
    """
    save_record(facility, user, validated=validated)
    return facility


@transaction.atomic
def edit_facility(
    facility: Facility,
    *,
    user: User,
    changes: Mapping[str, Any] | None = None,
    reason: str = "",
    validated: bool = False,
) -> Facility:
    """Save an edit of a registry entry: `changes` (field name to value) on top of what the
    instance already holds, with the reason on its history row. The version the instance
    carries is checked under the row's lock (models.base.Versioned): an edit of an older
    version is refused with StaleEdit. Moving a facility out of the user's districts is
    refused."""
    for name, value in (changes or {}).items():
        setattr(facility, name, value)
    save_record(facility, user, reason, validated=validated)
    return facility
