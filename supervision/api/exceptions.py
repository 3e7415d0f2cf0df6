"""One place where refusals become 400s with a message per field (and a stale edit a 412).

Services and model validation raise django.core.exceptions.ValidationError({field: message});
the database refuses what slipped past them with an IntegrityError. Both are the client's
input, so both are 400, never 500.
"""

from __future__ import annotations

import logging

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from supervision.api.conditional import stale_response
from supervision.models.base import StaleEdit

logger = logging.getLogger(__name__)


def validation_detail(exc: DjangoValidationError) -> dict[str, list[str]]:
    """{field: [messages]} with Django's __all__ renamed to DRF's non_field_errors."""
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}


def exception_handler(exc: Exception, context: dict):
    if isinstance(exc, StaleEdit):
        # A write on a version someone else has changed since: 412, with who changed what.
        request = context.get("request")
        return stale_response(exc, getattr(request, "user", None))
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_detail(exc))
    elif isinstance(exc, IntegrityError):
        # A constraint the validation did not foresee (e.g. a concurrent write): the client's
        # input conflicts with stored data. The database message is logged, not returned.
        logger.warning("API write refused by the database: %s", exc)
        exc = exceptions.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: [_("数据与已有记录冲突，请检查后重试。")]}
        )
    return drf_exception_handler(exc, context)
