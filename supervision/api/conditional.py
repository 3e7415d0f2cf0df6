"""Conditional writes: no lost updates through the API.

A read of one record answers `ETag: W/"<id>-<version>"` (models.base.Versioned). A write that
changes that record (PUT, PATCH and the actions that change it) must send the tag back as
`If-Match`: without it the answer is 428 (so a client cannot forget), with another version 412
with who changed what since (so it cannot overwrite what it has not seen). `If-Match: *` is
refused like a missing tag: it would overwrite any version.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from supervision.history import Conflict, conflict
from supervision.models.base import StaleEdit, Versioned

# One entity tag of an If-Match list, weak or strong (compared weakly); quotes may be left out.
_TAG = re.compile(r'^(?:W/)?"?(\d{1,18})-(\d{1,18})"?$')

IF_MATCH_HELP = (
    'The ETag of the record as last read (`W/"<id>-<version>"`, from a GET or the answer of '
    "the previous write). Required: without it (or with `*`) the answer is 428; when the record "
    "has been changed since, 412 with who changed what, and nothing is written."
)
ETAG_HELP = (
    'The record\'s version as an entity tag, `W/"<id>-<version>"`: send it as If-Match when '
    "changing the record."
)


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _(
        "修改记录须在If-Match请求头中给出读取时的ETag（不接受*），以免覆盖他人的修改。"
    )
    default_code = "precondition_required"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("If-Match中的ETag不是该记录的版本，未保存。请重新读取该记录。")
    default_code = "precondition_failed"


def etag_of(pk: Any, version: int) -> str:
    return f'W/"{pk}-{version}"'


def etag(record: Versioned) -> str:
    return etag_of(record.pk, record.version)


def if_match_version(request: Request, record: Versioned) -> int:
    """The version of record named by the request's If-Match (428/412 when there is none)."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        raise PreconditionRequired
    for item in header.split(","):
        match = _TAG.match(item.strip())
        if match and int(match[1]) == record.pk:
            return int(match[2])
    raise PreconditionFailed


def stale_response(error: StaleEdit, user: Any) -> Response:
    """412 for a write made on an old version: the current ETag and values and, for a user who
    may read the record's history, who changed what since (history.conflict). Long text
    comes shortened ("…（共N字）"): the record itself has it whole."""
    found = conflict(error, user)
    body: dict[str, Any] = {
        "detail": str(error.message),
        "current_version": found.current_version,
        "current": [{"field": c.name, "label": c.label, "value": c.new} for c in found.current],
    }
    if found.shows_changes:
        body["changes"] = changes_of(found)
    else:
        body["detail"] = gettext("此记录在您打开后已被他人修改，本次修改未保存。请重新读取该记录。")
    headers = {"ETag": etag_of(error.record.pk, error.current)}
    return Response(body, status=status.HTTP_412_PRECONDITION_FAILED, headers=headers)


def changes_of(found: Conflict) -> list[dict[str, Any]]:
    return [
        {
            "version": entry.version,
            "user": entry.user.get_username() if entry.user is not None else None,
            "at": entry.when,
            "action": entry.kind,
            "reason": entry.reason,
            "fields": [
                {"field": c.name, "label": c.label, "old": c.old, "new": c.new}
                for c in entry.changes
            ],
        }
        for entry in found.entries
    ]
