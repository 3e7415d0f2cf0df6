"""A record id or a year read from the query string is ASCII digits within range, or ignored:
"²" is a digit to str.isdigit() but int() refuses it, "٣" is one int() reads, and a 20-digit
number fits no key. Every page reachable without arguments, and every admin list, is opened with
each of them in every parameter that names a record or a year; none answers with a 500."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from supervision.forms.fields import plain_id

pytestmark = pytest.mark.django_db

NOT_IDS = ["²", "٣", "１２", "99999999999999999999", "-1", "1.0"]
PARAMS = ["facility", "inspection", "practitioner", "tip", "year", "page", "grade"]


def _names(resolver: URLResolver, prefix: str = "") -> list[str]:
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("admin", "api"):
                continue
            names += _names(pattern, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(pattern.name)
    return names


def _pages() -> list[str]:
    urls = []
    for name in sorted(set(_names(get_resolver()))):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # needs a record
        if "logout" in name or "keepalive" in name:
            continue
        urls.append(url)
    return urls


def _admin_lists() -> list[str]:
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
        if model._meta.app_label == "supervision"
    ]


@pytest.mark.parametrize("value", NOT_IDS)
def test_plain_id_takes_ascii_digits_within_a_key_only(value):
    assert plain_id(value) is None


@pytest.mark.parametrize("url", _pages() + _admin_lists())
def test_no_page_fails_on_an_id_that_is_not_one(url, superuser):
    client = Client()
    client.force_login(superuser)
    for value in NOT_IDS:
        response = client.get(url, {param: value for param in PARAMS} | {"grade": f"{value}-A"})
        assert response.status_code < 500, (url, value)
