"""Signing in to the API: tokens issued and revoked by a command or an administrator, sessions
for the pages (with CSRF); anonymous is 401; rows outside a user's rights are 404."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from supervision import scoping
from supervision.models import Facility
from tests.api import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _issue(username: str) -> str:
    out = io.StringIO()
    call_command("api_token", "issue", username, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def test_an_issued_token_signs_in_and_a_revoked_one_no_longer_does(world, auditor):
    key = _issue("auditor")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/facilities/").status_code == 200
    call_command("api_token", "revoke", "auditor", stderr=io.StringIO())
    response = client.get("/api/facilities/")
    assert response.status_code == 401
    assert not Token.objects.exists()


def test_issuing_again_replaces_the_token(auditor):
    first, second = _issue("auditor"), _issue("auditor")
    assert first != second
    assert list(Token.objects.values_list("key", flat=True)) == [second]


def test_no_token_is_issued_to_an_inactive_or_unknown_user(db):
    UserFactory(username="gone", is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        _issue("gone")
    with pytest.raises(CommandError, match="No user"):
        _issue("nobody")
    assert not Token.objects.exists()


def test_a_token_of_a_user_made_inactive_stops_working(world, auditor):
    client = client_for(auditor)
    auditor.is_active = False
    auditor.save()
    assert client.get("/api/facilities/").status_code == 401


def test_an_administrator_manages_tokens_in_the_admin(superuser):
    from django.contrib import admin

    assert any(model._meta.app_label == "authtoken" for model in admin.site._registry)


@pytest.mark.parametrize("header", ["", "Token", "Token nope", "Bearer abc", "Basic YTpi"])
def test_anonymous_or_a_bad_token_is_401_with_a_challenge(world, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(f"/api/facilities/{world.hospital.pk}/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "示例" not in response.content.decode()


def test_a_session_signs_in_and_writes_need_the_csrf_token(world, supervisor):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(supervisor)
    assert client.get("/api/facilities/").status_code == 200
    response = client.patch(f"/api/facilities/{world.hospital.pk}/", {"note": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_user_without_the_view_permission_sees_nothing(world, outsider):
    client = client_for(outsider)
    assert client.get("/api/facilities/").status_code == 403
    # The same answer whether the record exists or not: nothing leaks.
    assert client.get(f"/api/facilities/{world.hospital.pk}/").status_code == 403
    assert client.get("/api/facilities/999999/").status_code == 403


@pytest.fixture
def hidden_hospital(world, monkeypatch):
    """Scoping that keeps the hospital from everyone, as district scoping will for some users."""
    original = scoping.scoped_queryset

    def narrower(user, queryset):
        queryset = original(user, queryset)
        if queryset.model is Facility:
            return queryset.exclude(pk=world.hospital.pk)
        return queryset

    for module in ("supervision.scoping", "supervision.api.views", "supervision.api.fields"):
        monkeypatch.setattr(f"{module}.scoped_queryset", narrower)
    return world.hospital


def test_a_record_outside_the_user_s_rights_is_404_for_every_operation(hidden_hospital, supervisor):
    client = client_for(supervisor)
    base = f"/api/facilities/{hidden_hospital.pk}/"
    assert client.get(base).status_code == 404
    assert client.patch(base, {"note": "x"}, format="json").status_code == 404
    grade = {"year": 2024, "grade": "A", "reason": "x"}
    assert client.post(base + "grade/", grade, format="json").status_code == 404
    ids = [f["id"] for f in client.get("/api/facilities/").json()["results"]]
    assert hidden_hospital.pk not in ids and ids


def test_a_record_outside_the_user_s_rights_cannot_be_written_to(hidden_hospital, supervisor):
    body = {
        "facility": hidden_hospital.pk,
        "kind": "warning",
        "decided_on": "2025-05-01",
        "note": "约谈",
    }
    response = client_for(supervisor).post("/api/sanctions/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["facility"]
