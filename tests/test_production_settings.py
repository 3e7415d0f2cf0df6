"""Production settings: HTTPS-only cookies with the __Host- prefix, HSTS, the SSL redirect, the
security headers and a Content-Security-Policy without inline script; `check --deploy` clean."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from tests.test_settings import _load_settings

ROOT = Path(settings.BASE_DIR)
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x" * 8 + secrets.token_urlsafe(48),
    "DJANGO_ALLOWED_HOSTS": "supervision.example.gov.cn",
}


def test_check_deploy_passes_with_the_production_environment(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL"))
    }
    env.update(PRODUCTION, DJANGO_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_https_is_switched_off(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(PRODUCTION, DJANGO_DATA_DIR=str(tmp_path), DJANGO_HTTPS="false")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # no HSTS


def test_production_cookies_are_https_only_with_the_host_prefix(monkeypatch, tmp_path):
    module = _load_settings(monkeypatch, tmp_path, **PRODUCTION)
    assert module.HTTPS is True
    assert module.SESSION_COOKIE_NAME == "__Host-sessionid"
    assert module.CSRF_COOKIE_NAME == "__Host-csrftoken"
    assert module.SESSION_COOKIE_SECURE and module.CSRF_COOKIE_SECURE
    assert module.SESSION_COOKIE_HTTPONLY and module.CSRF_COOKIE_HTTPONLY


def test_production_asks_browsers_for_https_for_a_year(monkeypatch, tmp_path):
    module = _load_settings(monkeypatch, tmp_path, **PRODUCTION)
    assert module.SECURE_SSL_REDIRECT is True
    assert module.SECURE_HSTS_SECONDS == 365 * 24 * 3600
    assert module.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
    assert module.SECURE_HSTS_PRELOAD is True
    assert not hasattr(module, "SECURE_PROXY_SSL_HEADER")


def test_preload_and_the_redirect_are_configurable_and_a_proxy_is_trusted_when_declared(
    monkeypatch, tmp_path
):
    module = _load_settings(
        monkeypatch,
        tmp_path,
        **PRODUCTION,
        DJANGO_HSTS_PRELOAD="false",
        DJANGO_SSL_REDIRECT="false",
        DJANGO_TRUSTED_PROXIES="1",
    )
    assert module.SECURE_HSTS_PRELOAD is False
    assert module.SECURE_SSL_REDIRECT is False
    assert module.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")


def test_the_laptop_keeps_plain_http_cookies(monkeypatch, tmp_path):
    module = _load_settings(monkeypatch, tmp_path)
    assert module.HTTPS is False
    assert module.SESSION_COOKIE_NAME == "sessionid"
    assert module.SECURE_SSL_REDIRECT is False
    assert module.SECURE_HSTS_SECONDS == 0


def test_the_session_and_lockout_are_configurable_by_env(monkeypatch, tmp_path):
    module = _load_settings(
        monkeypatch,
        tmp_path,
        DJANGO_SESSION_MINUTES="10",
        DJANGO_LOGIN_FAILURE_LIMIT="3",
        DJANGO_LOGIN_COOLOFF_MINUTES="60",
        DJANGO_LOGIN_LOCKOUT="username,ip_address",
    )
    assert module.SESSION_COOKIE_AGE == 600
    assert module.AXES_FAILURE_LIMIT == 3
    assert module.AXES_COOLOFF_TIME.total_seconds() == 3600
    assert module.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]


def test_a_lockout_key_that_does_not_exist_stops_the_start(monkeypatch, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="DJANGO_LOGIN_LOCKOUT"):
        _load_settings(monkeypatch, tmp_path, DJANGO_LOGIN_LOCKOUT="username+cookie")


# --- the headers of a response ---------------------------------------------------------------

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def _policy(header: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in parts}


@pytest.mark.django_db
@override_settings(
    SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True
)
def test_a_page_over_https_carries_every_security_header(client):
    response = client.get("/accounts/login/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    policy = _policy(response["Content-Security-Policy"])
    for directive, value in CSP.items():
        assert policy[directive] == value, directive
    assert "unsafe-inline" not in response["Content-Security-Policy"]


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_sent_to_https(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response.url.startswith("https://")


def test_no_template_has_inline_script_style_or_event_handlers():
    """What the CSP would block: <script> without src, <style>, style="", on…="" handlers."""
    offenders = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        html = template.read_text(encoding="utf-8")
        for pattern in (
            r"<script(?![^>]*\bsrc=)[^>]*>",
            r"<style\b",
            r"\sstyle=",
            r"\son[a-z]+=",
            r"javascript:",
        ):
            if re.search(pattern, html, re.IGNORECASE):
                offenders.append(f"{template.relative_to(ROOT)}: {pattern}")
    assert not offenders


@pytest.mark.django_db
def test_the_api_docs_page_loads_no_inline_script_or_style(client, auditor):
    client.force_login(auditor)
    html = client.get("/api/docs/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html


def test_the_wsgi_entry_point_loads_every_view_and_hides_them_from_the_collector():
    import gc
    import importlib

    import supervision.wsgi

    try:
        importlib.reload(supervision.wsgi)
        assert gc.get_freeze_count() > 10_000
        assert callable(supervision.wsgi.application)
    finally:
        gc.unfreeze()
