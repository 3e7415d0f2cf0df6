"""Links into the audit log (/audit/) from a record's page."""

from __future__ import annotations

from django import template
from django.db.models import Model
from django.http import QueryDict
from django.urls import reverse

from supervision.audit import AUDITED, record_number
from supervision.models import Facility

register = template.Library()


@register.simple_tag
def audit_url(record: Model | None) -> str:
    """The audit log filtered to record: a facility with everything about it (its ratings,
    inspections, referrals, sanctions and their files), any other audited record by type and id;
    "" for a record the log does not cover."""
    if record is None or record.pk is None or type(record) not in AUDITED:
        return ""
    query = QueryDict(mutable=True)
    if isinstance(record, Facility):
        query["facility"] = str(record.pk)
    else:
        query["record_type"] = record._meta.model_name
        query["record_id"] = str(record_number(record))
    return f"{reverse('audit')}?{query.urlencode()}"
