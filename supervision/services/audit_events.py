"""Recording audit events (supervision.models.AuditEvent): one function, record_event, called
where the event happens (the sign-in signals, the evidence views, the token command, the second
factor pages, the exports, the admin), inside the transaction of what it records when there is
one. What a password field held is never passed here: only the username that was tried."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest

from supervision.choices import AuditAction
from supervision.models import AuditEvent, Facility
from supervision.models.audit_event import MAX_SUMMARY_LENGTH, MAX_USERNAME_LENGTH
from supervision.security import client_ip

# Enough of a user agent to tell a browser and its system from a script; never the whole header.
MAX_AGENT_LENGTH = 120
# Of a query string recorded with an export.
MAX_QUERY_LENGTH = 500


def _clip(text: str, length: int) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def short_agent(request: HttpRequest | None) -> str:
    """The request's User-Agent, on one line, at most MAX_AGENT_LENGTH characters."""
    if request is None:
        return ""
    return _clip(request.META.get("HTTP_USER_AGENT", ""), MAX_AGENT_LENGTH)


def request_detail(request: HttpRequest | None) -> dict[str, str]:
    """Where a request came from: the client's address and its shortened user agent."""
    if request is None:
        return {}
    detail = {"ip": client_ip(request)}
    agent = short_agent(request)
    if agent:
        detail["agent"] = agent
    return detail


def facility_id_of(record: models.Model | None) -> int | None:
    """The id of the facility record concerns: itself, its facility, its inspection's facility,
    or the facility of the record it is attached to (evidence). May query (a referral's)."""
    if record is None:
        return None
    if isinstance(record, Facility):
        return record.pk
    if getattr(record, "facility_id", None) is not None:
        return record.facility_id  # type: ignore[attr-defined]
    parent = getattr(record, "parent", None)  # evidence: its inspection, referral or sanction
    if parent is not None and parent is not record:
        return facility_id_of(parent)
    inspection = getattr(record, "inspection", None)  # a referral
    if inspection is not None:
        return inspection.facility_id
    return None


def _acting(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def record_event(
    action: AuditAction | str,
    *,
    user: Any = None,
    username: str | None = None,
    request: HttpRequest | None = None,
    record: models.Model | None = None,
    summary: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event: action by user (None: the system or an unknown person, named by
    username), about record (optional; its facility is found from it), with a short summary and a
    small JSON detail; with the request, its address and user agent are added to the detail."""
    acting = _acting(user)
    name = username if username is not None else (acting.get_username() if acting else "")
    data = {**request_detail(request), **(detail or {})}
    event = AuditEvent(
        action=AuditAction(action),
        user=acting,
        username=_clip(name, MAX_USERNAME_LENGTH),
        summary=_clip(summary, MAX_SUMMARY_LENGTH),
        detail=data,
    )
    if record is not None and record.pk is not None:
        event.content_type = ContentType.objects.get_for_model(type(record))
        event.object_id = record.pk
        event.facility_id = facility_id_of(record)
    event.save()
    return event


def record_export(
    request: HttpRequest, *, list_name: str, export_format: str, rows: int
) -> AuditEvent:
    """An export of a list: by whom, which list, with which filter (the query string without
    the export parameter), how many rows, in which format."""
    query = request.GET.copy()
    query.pop("export", None)
    querystring = _clip(query.urlencode(), MAX_QUERY_LENGTH)
    return record_event(
        AuditAction.EXPORT,
        user=request.user,
        request=request,
        summary=f"{list_name} · {export_format.upper()} · {rows}",
        detail={
            "list": list_name,
            "format": export_format,
            "rows": rows,
            "query": querystring,
            "path": request.path,
        },
    )


def export_recorder(
    request: HttpRequest, list_name: str, export_format: str
) -> Callable[[int], None]:
    """An on_complete for supervision.exports: records the export once its file is complete."""

    def on_complete(rows: int) -> None:
        record_export(request, list_name=list_name, export_format=export_format, rows=rows)

    return on_complete


# ------------------------------------------------------------------------------- sign-in


def on_logged_in(
    sender: Any, request: HttpRequest | None = None, user: Any = None, **_: Any
) -> None:
    """A sign-in with the password (the second factor, when asked, is an event of its own)."""
    record_event(AuditAction.SIGN_IN, user=user, request=request)


def on_logged_out(
    sender: Any, request: HttpRequest | None = None, user: Any = None, **_: Any
) -> None:
    if user is not None:
        record_event(AuditAction.SIGN_OUT, user=user, request=request)


def on_login_failed(
    sender: Any,
    credentials: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    **_: Any,
) -> None:
    """A refused sign-in: the username tried (never the password), the address, the agent;
    locked: refused because that sign-in was locked (django-axes)."""
    tried = str((credentials or {}).get("username") or "")
    detail = {"locked": True} if getattr(request, "axes_locked_out", False) else {}
    record_event(AuditAction.SIGN_IN_FAILED, username=tried, request=request, detail=detail)


def on_locked_out(
    sender: Any, request: HttpRequest | None = None, username: str | None = None, **_: Any
) -> None:
    """django-axes locked a sign-in after too many failures."""
    record_event(AuditAction.LOCKED_OUT, username=str(username or ""), request=request)


def connect_signals() -> None:
    """Called once from SupervisionConfig.ready()."""
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    user_logged_in.connect(on_logged_in, dispatch_uid="supervision.audit.logged_in")
    user_logged_out.connect(on_logged_out, dispatch_uid="supervision.audit.logged_out")
    user_login_failed.connect(on_login_failed, dispatch_uid="supervision.audit.login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="supervision.audit.locked_out")


# ------------------------------------------------------------------ tokens, second factor


def record_token_event(
    action: AuditAction,
    owner: Any,
    *,
    by: Any = None,
    request: HttpRequest | None = None,
    via: str,
    replaced: bool = False,
) -> AuditEvent:
    """An API token issued to or revoked from owner, by an administrator (by) or from the command
    line (by None: the system). The key itself is never recorded."""
    detail: dict[str, Any] = {"owner": owner.get_username(), "via": via}
    if replaced:
        detail["replaced"] = True
    return record_event(
        action,
        user=by,
        username=None if by is not None else "",
        request=request,
        record=owner,
        summary=owner.get_username(),
        detail=detail,
    )
