"""Hostile input answers with a message or a normal page, never a server error: page numbers on
every list (built from the URL patterns, so a new list is covered), ids in the admin's
autocomplete fields, JSON nested a thousand levels deep."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from supervision.api.parsers import MAX_JSON_DEPTH
from supervision.choices import InspectionKind
from supervision.models import Inspection
from tests.api import client_for
from tests.factories import FacilityFactory, InspectorFactory

HOSTILE_PAGES = [
    "922337203685477580",
    "9223372036854775808",
    "99999999999999999999999999999999",
    "-1",
    "-922337203685477580",
    "0",
    "abc",
    "1e9",
    "",
]
HOSTILE_IDS = ["abc", "99999999999999999999", "-99999999999999999999", "1.5", "1 OR 1=1"]


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


# Not lists, and slow to build (the OpenAPI schema): left out of the page-number sweep.
NOT_LISTS = {"api:schema", "api:docs", "logout", "set_language"}


def _is_list(route: str, pattern: URLPattern) -> bool:
    """Every page of the staff site and the API without a parameter (the lists among them),
    and the admin's changelists (its other pages take no page number)."""
    if route.startswith("admin/"):
        return bool(pattern.name and pattern.name.endswith("_changelist"))
    return True


def list_urls() -> list[str]:
    """Every list without a parameter in its path: the staff pages, the API, the admin."""
    urls = set()
    for route, pattern in _walk(get_resolver().url_patterns):
        if "<" in route or "(?P" in route or not _is_list(route, pattern):
            continue
        if pattern.name in {name.split(":")[-1] for name in NOT_LISTS}:
            continue
        path = "/" + route.replace("^", "").replace("\\Z", "").replace("$", "")
        if "(" in path or "[" in path or "\\" in path:  # a format-suffix variant
            continue
        urls.add(path)
    return sorted(urls)


def test_the_list_of_lists_covers_pages_api_and_admin():
    urls = list_urls()
    expected = {
        reverse("facility-list"),
        reverse("inspection-list"),
        reverse("audit"),
        reverse("api:facility-list"),
        reverse("api:inspection-list"),
        reverse("admin:supervision_facility_changelist"),
    }
    assert expected <= set(urls)
    changelists = [u for u in urls if u.startswith("/admin/")]
    assert len(changelists) == len(admin.site._registry)


@pytest.mark.parametrize("url", list_urls())
def test_a_hostile_page_number_never_fails_a_list(client, superuser, url):
    FacilityFactory()
    client.force_login(superuser)
    for page in HOSTILE_PAGES:
        for name in ("page", "p", "cursor", "page_size"):
            response = client.get(url, {name: page})
            assert response.status_code < 500, (url, name, page)


def test_a_page_past_the_end_shows_the_last_page(client, superuser):
    FacilityFactory(name="示例唯一机构")
    client.force_login(superuser)
    response = client.get(reverse("facility-list"), {"page": "922337203685477580"})
    assert response.status_code == 200
    assert "示例唯一机构" in response.content.decode()


def test_the_admin_changelist_shows_a_huge_page_number_as_an_error_not_a_failure(client, superuser):
    FacilityFactory()
    client.force_login(superuser)
    url = reverse("admin:supervision_facility_changelist")
    response = client.get(url, {"p": "922337203685477580"})
    assert response.status_code in (200, 302)


@pytest.mark.parametrize("value", HOSTILE_IDS)
@pytest.mark.parametrize("model", ["inspection", "sanction", "creditrating", "referral"])
def test_an_admin_add_page_opened_with_a_bad_related_id_shows_the_form(
    client, superuser, model, value
):
    client.force_login(superuser)
    url = reverse(f"admin:supervision_{model}_add")
    response = client.get(url, {"facility": value, "inspection": value, "inspectors": value})
    assert response.status_code == 200


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_an_admin_form_posted_with_a_bad_related_id_says_the_choice_is_invalid(
    client, superuser, value
):
    client.force_login(superuser)
    inspectors = InspectorFactory.create_batch(2)
    response = client.post(
        reverse("admin:supervision_inspection_add"),
        {
            "facility": value,
            "kind": InspectionKind.ROUTINE,
            "status": "planned",
            "start_date": "2024-03-01",
            "inspectors": [str(inspectors[0].pk), value],
            "findings": "",
            "amount_involved": "0",
            "amount_recovered": "0",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "facility" in errors
    assert "inspectors" in errors
    assert not Inspection.objects.exists()


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_the_admin_autocomplete_answers_a_bad_page_or_term(client, superuser, value):
    client.force_login(superuser)
    FacilityFactory()
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "supervision",
            "model_name": "inspection",
            "field_name": "facility",
            "term": value,
            "page": value,
        },
    )
    assert response.status_code < 500


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_a_staff_form_posted_with_bad_inspector_ids_says_the_choice_is_invalid(
    client, supervisor, value
):
    client.force_login(supervisor)
    facility = FacilityFactory()
    response = client.post(
        reverse("inspection-create"),
        {
            "facility": facility.credit_code,
            "kind": InspectionKind.ROUTINE,
            "status": "planned",
            "start_date": "2024-03-01",
            "inspectors": [value],
        },
    )
    assert response.status_code == 200
    assert "inspectors" in response.context["form"].errors
    assert not Inspection.objects.exists()


@pytest.mark.parametrize("body", ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000])
def test_json_nested_a_thousand_levels_is_refused_with_a_message(supervisor, body):
    response = client_for(supervisor).post(
        "/api/facilities/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "嵌套" in response.json()["detail"]


def test_json_nested_just_past_the_limit_is_refused_and_within_it_is_read(supervisor):
    client = client_for(supervisor)
    too_deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    response = client.post("/api/facilities/", too_deep, content_type="application/json")
    assert response.status_code == 400
    assert "嵌套" in response.json()["detail"]
    within = '{"name": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}"
    response = client.post("/api/facilities/", within, content_type="application/json")
    assert response.status_code == 400
    assert "嵌套" not in str(response.json())  # read, then refused field by field
