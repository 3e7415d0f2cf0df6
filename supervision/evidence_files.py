"""Evidence files over HTTP, the same for the pages and the API: an upload with its audit event,
a download with its own.

Files are never served from a URL of their own: the download views (supervision.views.evidence,
supervision.api.evidence) check, for every request, that the user may see evidence and the
record the file belongs to, then answer with download_response.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.http import FileResponse, Http404, HttpRequest
from django.utils.cache import patch_cache_control

from supervision import services
from supervision.choices import AuditAction
from supervision.models import Evidence
from supervision.services.audit_events import record_event

logger = logging.getLogger(__name__)


def evidence_response(evidence: Evidence) -> FileResponse:
    """The file as a download: an attachment under its sanitised name, with the type detected at
    upload (never sniffed by the browser), not to be kept in shared caches. A file missing from
    the storage is logged and answered as not found."""
    try:
        handle = evidence.file.storage.open(evidence.file.name, "rb")
    except OSError as exc:
        logger.error("Evidence #%s: its file %s cannot be read", evidence.pk, evidence.file.name)
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Were it ever shown in the browser after all: no scripts, no plugins, no same-origin rights.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    patch_cache_control(response, private=True, no_store=True)
    return response


def record_evidence_event(action: AuditAction, evidence: Evidence, request: HttpRequest) -> None:
    """An upload or a download of evidence as an audit event about the record it belongs to."""
    record_event(
        action,
        user=request.user,
        request=request,
        record=evidence.parent,
        summary=evidence.original_name,
        detail={"evidence": evidence.pk, "name": evidence.original_name, "size": evidence.size},
    )


def attach_and_record(
    record: Model, uploaded_file: Any, description: str, request: HttpRequest
) -> Evidence:
    """services.attach_evidence and the upload's audit event in one transaction: both or
    neither (the stored file is removed again when the event cannot be written)."""
    with transaction.atomic():
        evidence = services.attach_evidence(
            record, uploaded_file, user=request.user, description=description
        )
        try:
            record_evidence_event(AuditAction.EVIDENCE_UPLOADED, evidence, request)
        except BaseException:
            evidence.file.storage.delete(evidence.file.name)
            raise
    return evidence


def download_response(evidence: Evidence, request: HttpRequest) -> FileResponse:
    """The file as a download (evidence_response), its download kept as an audit event; a file
    that cannot be read is answered 404 and leaves no event."""
    response = evidence_response(evidence)
    record_evidence_event(AuditAction.EVIDENCE_DOWNLOADED, evidence, request)
    return response
