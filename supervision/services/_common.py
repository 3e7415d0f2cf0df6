from __future__ import annotations

from typing import Final, TypeAlias

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supervision.models.base import REASON_LENGTH
from supervision.models.case_numbers import Numbered
from supervision.scoping import check_in_scope
from supervision.services.case_numbers import give_number

# The acting user; None only for system loads (seed data, management commands).
User: TypeAlias = AbstractBaseUser | None


class Unset:
    """The type of UNSET: an argument left out ("leave as is"), where None means "clear it"."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()


def save_with_history(instance: models.Model, user: User, reason: str = "") -> None:
    """Validate and save, recording the acting user and reason on the history row it writes.

    Refused (PermissionDenied) when the record lies outside the user's districts.
    """
    check_in_scope(user, instance)
    if len(reason) > REASON_LENGTH:
        # The history row keeps the reason; a page of history must not carry a novel.
        raise ValidationError(
            {
                "reason": _("原因最多%(limit)d个字符（当前%(count)d个）。")
                % {"limit": REASON_LENGTH, "count": len(reason)}
            }
        )
    instance.full_clean()
    instance._history_user = user  # type: ignore[attr-defined]
    if reason:
        instance._change_reason = reason  # type: ignore[attr-defined]
    if isinstance(instance, Numbered) and instance._state.adding and not instance.docket:
        # A new case takes its number in the transaction that saves it (no gap if it fails).
        with transaction.atomic(using=router.db_for_write(type(instance), instance=instance)):
            give_number(instance)
            instance.save()
        return
    instance.save()


def required_text(value: str, field: str, message: str) -> str:
    """value stripped; refused with message when nothing is left."""
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


def refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


def refuse_problems(problems: dict[str, str]) -> None:
    """Refuse with every problem a check function found, each on its field; none: go on."""
    if problems:
        raise ValidationError(problems)


def write_history(queryset: models.QuerySet, *, kind: str, user: User, reason: str) -> int:
    """History rows (django-simple-history's table of queryset's model) for every row queryset
    selects, as the rows are now, in one INSERT…SELECT: the record of a set-based write, which
    writes no history itself. kind: "+" created, "~" changed, "-" deleted. Returns the rows
    written."""
    model = queryset.model
    history = model.history.model  # type: ignore[attr-defined]
    # The model's columns the history keeps (a column kept by the database, such as a district
    # copy, is left out of it).
    kept = {field.attname for field in history._meta.concrete_fields}
    fields = [field.attname for field in model._meta.concrete_fields if field.attname in kept]
    source, params = queryset.order_by().values_list(*fields).query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(name)
        for name in (
            *fields,
            "history_date",
            "history_change_reason",
            "history_type",
            "history_user_id",
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(history._meta.db_table)} ({columns}) "  # noqa: S608
            f"SELECT s.*, %s, %s, %s, %s FROM ({source}) s",
            [timezone.now(), reason[:REASON_LENGTH], kind, getattr(user, "pk", None), *params],
        )
        return cursor.rowcount
