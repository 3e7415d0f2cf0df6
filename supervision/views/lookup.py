"""Type-ahead answers for the staff forms (supervision/static/supervision/typeahead.js).

GET /lookup/facilities/?q=… → the first few facilities, in name order, that the words typed
find (name, pinyin, initials, code prefixes: supervision.search), within the user's districts.
Two queries whatever the table's size: the user's districts (once per request) and one
LIMITed SELECT answered by the indexes of migrations 0010 and 0101.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from supervision.filtersets import MAX_SEARCH_LENGTH
from supervision.models import Facility
from supervision.scoping import can_view, scoped_queryset
from supervision.search import search_terms, terms_query

MAX_RESULTS = 10
MIN_QUERY_LENGTH = 2


def facility_suggestion(facility: Facility) -> dict[str, object]:
    """What a suggestion shows (name, district, kind: namesakes differ there) and the value the
    form's field takes for it (its insurance code, or its credit code for an insurer)."""
    return {
        "id": facility.pk,
        "value": facility.insurance_code or facility.credit_code,
        "name": facility.name,
        "district": facility.get_district_display(),
        "kind": facility.get_kind_display(),
        "credit_code": facility.credit_code,
        "insurance_code": facility.insurance_code,
    }


@never_cache
@require_GET
def facilities(request: HttpRequest) -> JsonResponse:
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"detail": _("请先登录。")}, status=403)
    if not can_view(user, Facility):
        return JsonResponse({"detail": _("您没有查看机构的权限。")}, status=403)
    text = request.GET.get("q", "")
    if len(text) > MAX_SEARCH_LENGTH:
        return JsonResponse(
            {"detail": _("最多%(limit)d个字符。") % {"limit": MAX_SEARCH_LENGTH}}, status=400
        )
    terms = search_terms(text)
    if sum(len(term) for term in terms) < MIN_QUERY_LENGTH:
        return JsonResponse({"results": []})
    found = (
        scoped_queryset(user, Facility.objects.all())
        .filter(terms_query(terms))
        .only("name", "kind", "district", "credit_code", "insurance_code")
        .order_by("name", "id")[:MAX_RESULTS]
    )
    return JsonResponse({"results": [facility_suggestion(f) for f in found]})


urlpatterns = [
    path("facilities/", facilities, name="lookup-facilities"),
]
