"""Sign-in hardening: lockout after repeated wrong passwords (django-axes), sessions that end
after inactivity, deactivated accounts shut out at once, and refusals in the security log."""

from __future__ import annotations

import datetime
import logging
import re
import time

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from supervision.sessions import TOUCHED
from tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"  # UserFactory's
LOGIN = "/accounts/login/"


def sign_in(client, username: str, password: str, address: str = "198.51.100.7", url=LOGIN):
    return client.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=address, follow=False
    )


def fail(client, username: str, times: int, address: str = "198.51.100.7", url=LOGIN):
    for _ in range(times):
        response = sign_in(client, username, "wrong-password", address, url)
    return response


# --- lockout ---------------------------------------------------------------------------------


def test_the_defaults_are_five_failures_and_fifteen_minutes(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert datetime.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_four_wrong_passwords_are_each_refused_on_the_form(client, inspector):
    response = fail(client, "inspector", 4)
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert sign_in(client, "inspector", PASSWORD).status_code == 302


def test_the_fifth_wrong_password_locks_the_sign_in_with_a_chinese_page(client, inspector):
    response = fail(client, "inspector", 5)
    assert response.status_code == 429
    html = response.content.decode()
    assert "登录已暂时锁定" in html
    assert "15分钟" in html


def test_a_locked_sign_in_refuses_even_the_right_password(client, inspector):
    fail(client, "inspector", 5)
    response = sign_in(client, "inspector", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_the_lock_holds_that_username_from_that_address_only(client, inspector, auditor):
    fail(client, "inspector", 5, address="198.51.100.7")
    assert sign_in(client, "auditor", PASSWORD, address="198.51.100.7").status_code == 302
    client.logout()
    assert sign_in(client, "inspector", PASSWORD, address="203.0.113.9").status_code == 302


def test_the_sign_in_unlocks_after_the_cool_off(client, inspector):
    fail(client, "inspector", 5)
    assert sign_in(client, "inspector", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert sign_in(client, "inspector", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200


def test_the_lock_is_still_on_before_the_cool_off_ends(client, inspector):
    fail(client, "inspector", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=14))
    assert sign_in(client, "inspector", PASSWORD).status_code == 429


def test_the_failure_limit_is_configurable(client, inspector, settings):
    settings.AXES_FAILURE_LIMIT = 3
    assert fail(client, "inspector", 2).status_code == 200
    assert fail(client, "inspector", 1).status_code == 429


def test_the_admin_login_locks_too(client, superuser):
    response = fail(client, "admin", 5, url="/admin/login/")
    assert response.status_code == 429
    assert "登录已暂时锁定" in response.content.decode()
    assert sign_in(client, "admin", PASSWORD, url=LOGIN).status_code == 429


def test_a_lockout_and_each_failure_are_logged(client, inspector, caplog):
    with caplog.at_level(logging.INFO):
        fail(client, "inspector", 5)
    assert any(
        r.name == "supervision.security"
        and "locked out" in r.getMessage()
        and "inspector" in r.getMessage()
        and "198.51.100.7" in r.getMessage()
        for r in caplog.records
    )
    assert any(r.name.startswith("axes") and "inspector" in r.getMessage() for r in caplog.records)


def test_behind_a_trusted_proxy_the_lock_follows_the_client_address(client, inspector, settings):
    settings.TRUSTED_PROXIES = 1

    def through_proxy(client_address: str, password: str):
        return client.post(
            LOGIN,
            {"username": "inspector", "password": password},
            REMOTE_ADDR="10.0.0.2",  # the proxy
            HTTP_X_FORWARDED_FOR=f"1.2.3.4, {client_address}",  # the first hop is forged
        )

    for _ in range(5):
        through_proxy("198.51.100.7", "wrong-password")
    assert through_proxy("198.51.100.7", PASSWORD).status_code == 429
    assert through_proxy("203.0.113.9", PASSWORD).status_code == 302


# --- passwords -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("Kx9#short", True),  # 9 characters
        ("Lhasa#2025x", True),  # 11
        ("password1234", True),  # common
        ("123456789012", True),  # common and numeric
        ("Lhasa-Plateau-2025!", False),
    ],
)
def test_passwords_need_twelve_characters_and_must_not_be_common(password, refused):
    if refused:
        with pytest.raises(ValidationError):
            validate_password(password)
    else:
        validate_password(password)


# --- sessions --------------------------------------------------------------------------------


def test_a_session_lasts_thirty_minutes_from_the_last_request(client, inspector, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client.force_login(inspector)
    client.get("/")
    session = Session.objects.get(session_key=client.session.session_key)
    remaining = session.expire_date - timezone.now()
    assert datetime.timedelta(minutes=29) < remaining <= datetime.timedelta(minutes=30)


def _session_writes(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return sum(
        "django_session" in query["sql"]
        and query["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
        for query in queries.captured_queries
    )


def test_a_request_within_a_minute_of_the_last_save_writes_no_session(client, inspector):
    client.force_login(inspector)  # signing in saved the session
    assert _session_writes(client) == 0
    assert _session_writes(client) == 0


def test_a_session_from_before_the_touch_stamp_is_extended_by_its_next_request(client, inspector):
    client.force_login(inspector)
    session = client.session
    del session[TOUCHED]
    session.save()
    assert _session_writes(client) == 1
    assert _session_writes(client) == 0


def test_a_request_a_minute_after_the_last_save_extends_the_session(client, inspector, settings):
    client.force_login(inspector)
    client.get("/")
    key = client.session.session_key
    session = client.session
    session[TOUCHED] -= settings.SESSION_TOUCH_SECONDS
    session.save()
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + datetime.timedelta(minutes=29)
    )
    assert _session_writes(client) == 1
    remaining = Session.objects.get(session_key=key).expire_date - timezone.now()
    assert remaining > datetime.timedelta(minutes=29, seconds=50)


def test_a_clock_set_back_extends_the_session_rather_than_trusting_it(client, inspector):
    client.force_login(inspector)
    session = client.session
    session[TOUCHED] = int(time.time()) + 3600  # saved "in the future"
    session.save()
    assert _session_writes(client) == 1


def test_the_time_out_notice_counts_from_the_last_save(client, inspector, settings):
    client.force_login(inspector)
    client.get("/")
    session = client.session
    session[TOUCHED] -= 40
    session.save()
    html = client.get("/").content.decode()
    assert f'data-session-seconds="{settings.SESSION_COOKIE_AGE}"' in html
    idle = int(re.search(r'data-session-idle="(\d+)"', html).group(1))
    assert 40 <= idle <= 42


def test_an_anonymous_request_with_an_unknown_session_cookie_makes_no_session(client):
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
    assert client.get(reverse("login")).status_code == 200
    assert client.get("/").status_code == 302
    assert not Session.objects.exists()


def test_a_session_idle_past_its_age_is_signed_out(client, inspector):
    client.force_login(inspector)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_session_cookie_ends_with_the_browser(client, inspector):
    response = client.post(LOGIN, {"username": "inspector", "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert not cookie["max-age"] and not cookie["expires"]
    assert cookie["httponly"]


# --- deactivated accounts --------------------------------------------------------------------


def test_a_deactivated_accounts_page_session_stops_at_once(client, inspector):
    client.force_login(inspector)
    assert client.get("/").status_code == 200
    inspector.is_active = False
    inspector.save()
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_deactivated_accounts_api_session_stops_at_once(inspector):
    api = APIClient()
    api.force_login(inspector)
    assert api.get("/api/facilities/").status_code == 200
    inspector.is_active = False
    inspector.save()
    assert api.get("/api/facilities/").status_code in (401, 403)


def test_a_deactivated_accounts_api_token_stops_at_once(inspector):
    FacilityFactory()
    token = Token.objects.create(user=inspector)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/facilities/").status_code == 200
    inspector.is_active = False
    inspector.save()
    assert api.get("/api/facilities/").status_code == 401


def test_a_deactivated_supervisors_verified_session_stops_too(client, supervisor):
    client.force_login(supervisor)  # password and second factor
    assert client.get("/admin/").status_code == 200
    supervisor.is_active = False
    supervisor.save()
    assert client.get("/admin/").status_code == 302
    assert client.get("/").status_code == 302


# --- refusals are logged -----------------------------------------------------------------------


def _denials(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "supervision.security" and "permission denied" in r.getMessage()
    ]


def test_a_refused_page_is_logged(client, inspector, caplog):
    client.force_login(inspector)
    with caplog.at_level(logging.WARNING):
        assert client.get(reverse("facility-create")).status_code == 403
    assert _denials(caplog) == [
        "permission denied: user=inspector method=GET path=/facilities/new/"
    ]


def test_a_refused_api_call_is_logged(inspector, caplog):
    token = Token.objects.create(user=inspector)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    with caplog.at_level(logging.WARNING):
        assert api.post("/api/facilities/", {}, format="json").status_code == 403
    assert _denials(caplog) == [
        "permission denied: user=inspector method=POST path=/api/facilities/"
    ]


def test_a_refused_admin_page_is_logged(client, inspector, caplog):
    client.force_login(inspector)
    with caplog.at_level(logging.WARNING):
        assert client.get("/admin/supervision/facility/add/").status_code == 403
    assert _denials(caplog) == [
        "permission denied: user=inspector method=GET path=/admin/supervision/facility/add/"
    ]
