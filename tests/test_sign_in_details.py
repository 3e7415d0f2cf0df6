"""Sign-in details: a new session key once the second factor is passed, the throttle's wait said
as a wait, and a warning before the password lock."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from supervision import twofactor
from tests.test_two_factor import code_of, enrolled, password_step

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VERIFY = "/accounts/two-factor/verify/"
ADDRESS = "198.51.100.9"


def wrong_password(client: Client, username: str):
    return client.post(
        LOGIN, {"username": username, "password": "not-the-password"}, REMOTE_ADDR=ADDRESS
    )


# --- session fixation -------------------------------------------------------------------------


def test_passing_the_second_factor_gives_the_session_a_new_key(client, supervisor):
    device = enrolled(supervisor)
    password_step(client, supervisor)
    before = client.session.session_key
    response = client.post(VERIFY, {"code": code_of(device)})
    assert response.status_code == 302
    after = client.session.session_key
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/").status_code == 200


def test_a_session_key_known_before_the_second_factor_is_not_verified_after_it(client, supervisor):
    device = enrolled(supervisor)
    password_step(client, supervisor)
    planted = client.session.session_key  # e.g. read by someone else before the code was typed
    client.post(VERIFY, {"code": code_of(device)})
    other = Client()
    other.cookies[settings.SESSION_COOKIE_NAME] = planted
    assert other.get("/").status_code == 302  # no session: sent to sign in


def test_a_recovery_code_rotates_the_key_too(client, supervisor):
    enrolled(supervisor)
    codes = twofactor.new_recovery_codes(supervisor)
    password_step(client, supervisor)
    before = client.session.session_key
    assert client.post(VERIFY, {"code": codes[0]}).status_code == 302
    assert client.session.session_key != before


# --- the throttle ------------------------------------------------------------------------------


def test_a_right_code_refused_by_the_throttle_says_how_long_to_wait(client, supervisor):
    device = enrolled(supervisor)
    password_step(client, supervisor)
    client.post(VERIFY, {"code": code_of(device, steps_ahead=10)})  # wrong
    client.post(VERIFY, {"code": code_of(device, steps_ahead=12)})  # wrong again: wait 2 s
    page = client.post(VERIFY, {"code": code_of(device)}).content.decode()
    assert "请等待2秒后再试" in page or "请等待1秒后再试" in page
    assert "验证码不正确" not in page
    assert client.get("/").status_code == 302


def test_a_wrong_code_is_still_called_wrong(client, supervisor):
    device = enrolled(supervisor)
    password_step(client, supervisor)
    page = client.post(VERIFY, {"code": code_of(device, steps_ahead=10)}).content.decode()
    assert "验证码不正确" in page
    assert "请等待" not in page


def test_once_the_wait_is_over_the_right_code_passes(client, supervisor):
    device = enrolled(supervisor)
    password_step(client, supervisor)
    client.post(VERIFY, {"code": code_of(device, steps_ahead=10)})
    device.refresh_from_db()
    device.throttling_failure_timestamp -= datetime.timedelta(seconds=5)
    device.save()
    assert client.post(VERIFY, {"code": code_of(device)}).status_code == 302


def test_the_wait_is_counted_from_the_devices_own_throttle(supervisor):
    device = enrolled(supervisor)
    assert twofactor.wait_seconds(supervisor, "123456") == 0
    device.throttle_increment()
    device.throttle_increment()
    device.throttle_increment()  # 3 failures: 4 seconds
    assert 3 <= twofactor.wait_seconds(supervisor, "123456") <= 4
    assert twofactor.wait_seconds(supervisor, "abcd-efgh") == 0  # recovery codes: their own


# --- the password lock -------------------------------------------------------------------------


def test_a_wrong_password_says_how_many_tries_are_left_before_the_lock(client, inspector):
    page = wrong_password(client, inspector.username).content.decode()
    assert "再输错4次将锁定15分钟" in page
    for _ in range(2):
        page = wrong_password(client, inspector.username).content.decode()
    assert "再输错2次将锁定15分钟" in page


def test_the_last_try_before_the_lock_is_announced_and_then_the_lock_comes(client, inspector):
    for _ in range(4):
        page = wrong_password(client, inspector.username).content.decode()
    assert "再输错1次将锁定15分钟" in page
    assert wrong_password(client, inspector.username).status_code == 429


def test_the_warning_follows_the_configured_limit_and_cool_off(client, inspector, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=30)
    page = wrong_password(client, inspector.username).content.decode()
    assert "再输错2次将锁定30分钟" in page


def test_the_sign_in_page_itself_shows_no_warning(client):
    assert "将锁定" not in client.get(reverse("login")).content.decode()
