"""Evidence files: attach a file to an inspection, a referral or a sanction.

Files are only ever added: there is no edit and no removal (evidence is kept).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Model
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from supervision.choices import EvidenceType
from supervision.models import Evidence
from supervision.models.evidence import evidence_field
from supervision.scoping import check_in_scope
from supervision.services import reasons
from supervision.services._common import User, refuse
from supervision.uploads import detect_type, safe_name


def too_large_message(size: int | None = None) -> str:
    """Why a file is refused for its size (size: the file's, when known)."""
    limit = filesizeformat(settings.EVIDENCE_MAX_BYTES)
    if size is None:
        return _("文件过大：最大%(max)s。") % {"max": limit}
    return _("文件过大：最大%(max)s，该文件%(size)s。") % {
        "max": limit,
        "size": filesizeformat(size),
    }


def accepted_types_message() -> str:
    names = pgettext("list separator", "、").join(str(kind.label) for kind in EvidenceType)
    return _("只能上传以下类型的文件：%(types)s。") % {"types": names}


def _digest(uploaded_file: UploadedFile) -> tuple[str, int]:
    """SHA-256 of the content and its length, read in chunks (never whole into memory)."""
    sha256, size = hashlib.sha256(), 0
    for chunk in uploaded_file.chunks():
        sha256.update(chunk)
        size += len(chunk)
        if size > settings.EVIDENCE_MAX_BYTES:
            raise refuse("file", too_large_message())
    uploaded_file.seek(0)
    return sha256.hexdigest(), size


def attach_evidence(
    parent: Model,
    uploaded_file: UploadedFile,
    *,
    user: User,
    description: str = "",
) -> Evidence:
    """Keep uploaded_file as evidence of parent (a record of PARENT_FIELDS: an inspection, referral,
    sanction, tip, objection or credit repair), uploaded by user, and return its record.

    Refused with a message on "file" when the file is empty, larger than
    settings.EVIDENCE_MAX_BYTES or, by its content, none of the accepted types (EvidenceType).
    Nothing is written before every check has passed; the file is stored under a random name
    (models.evidence.evidence_path) with the history row in the user's name, and removed again if
    the row cannot be saved.
    """
    try:
        field = evidence_field(type(parent))
    except LookupError:
        raise TypeError(f"evidence cannot be attached to {type(parent).__name__}") from None
    check_in_scope(user, parent)
    if uploaded_file.size is not None and uploaded_file.size > settings.EVIDENCE_MAX_BYTES:
        raise refuse("file", too_large_message(uploaded_file.size))
    if not uploaded_file.size:
        raise refuse("file", _("文件为空。"))
    kind = detect_type(uploaded_file)
    if kind is None:
        raise refuse(
            "file",
            _("文件内容不是可接受的类型（按内容判断，不看文件名）。")
            + " "
            + accepted_types_message(),
        )
    sha256, size = _digest(uploaded_file)
    evidence = Evidence(
        **{field: parent},
        original_name=safe_name(uploaded_file.name or "", kind, default=_("证据材料")),
        content_type=kind,
        size=size,
        sha256=sha256,
        description=" ".join(description.split()),
        uploaded_by=user,
    )
    evidence.full_clean(exclude=["file"])
    try:
        with transaction.atomic():
            evidence.file.save("upload", uploaded_file, save=False)
            evidence._history_user = user  # type: ignore[attr-defined]
            evidence._change_reason = reasons.EVIDENCE_UPLOADED  # type: ignore[attr-defined]
            evidence.save()
    except BaseException:
        if evidence.file.name:
            evidence.file.storage.delete(evidence.file.name)
        raise
    return evidence
