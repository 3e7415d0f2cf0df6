from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models

# The acting user; None only for system loads (seed data, management commands).
User: TypeAlias = AbstractBaseUser | None


def save_with_history(instance: models.Model, user: User, reason: str = "") -> None:
    """Validate and save, recording the acting user and reason on the history row it writes."""
    instance.full_clean()
    instance._history_user = user  # type: ignore[attr-defined]
    if reason:
        instance._change_reason = reason  # type: ignore[attr-defined]
    instance.save()


def required_text(value: str, field: str, message: str) -> str:
    """value stripped; refused with message when nothing is left."""
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


def refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})
