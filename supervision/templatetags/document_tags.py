"""The documents section of an inspection's, a referral's and a sanction's page:
``{% load document_tags %}{% documents_section object %}``.

Shows the versions issued from the record (kind, version, number, SHA-256, who, when, the
download) to whoever may see them and the record's evidence, and the preview and issue buttons
to whoever may issue them (services.documents.may_issue). Two queries: the issued versions and
the record in the user's scope.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from supervision.models import Evidence, IssuedDocument
from supervision.scoping import can_view
from supervision.services import documents as service

register = template.Library()


@register.inclusion_tag("documents/section.html", takes_context=True)
def documents_section(context: template.Context, record: Any) -> dict[str, Any]:
    user = context["request"].user
    kinds = service.kinds_for(record)
    visible = can_view(user, IssuedDocument) and can_view(user, Evidence)
    issued = (
        list(service.issued_versions(record).filter(pk__in=IssuedDocument.objects.visible_to(user)))
        if visible and kinds
        else []
    )
    offered = []
    if kinds and service.may_issue(user, record):
        name = record._meta.model_name
        for kind in kinds:
            last = max((d.version for d in issued if d.kind == kind), default=0)
            args = [record.pk, kind.value]
            offered.append(
                {
                    "kind": kind,
                    "next_version": last + 1,
                    "preview_url": reverse(f"{name}-document-preview", args=args),
                    "issue_url": reverse(f"{name}-document-issue", args=args),
                }
            )
    return {
        "show": bool(kinds) and (visible or bool(offered)),
        "issued": issued,
        "offered": offered,
        "visible": visible,
        "csrf_token": context.get("csrf_token"),
    }
