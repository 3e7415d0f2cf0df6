"""Two-factor sign-in: required for supervisors and superusers, available to everyone.

These tests sign in through the login form (the password step), never with force_login, which
stands for a completed sign-in (tests/conftest.py).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from supervision import twofactor
from supervision.roles import INSPECTOR, SUPERVISOR
from tests.factories import FacilityFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"  # UserFactory's
SETUP = "/accounts/two-factor/"
VERIFY = "/accounts/two-factor/verify/"


def password_step(client, user) -> None:
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the password was accepted"
    assert "_auth_user_id" in client.session


def code_of(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows for device now (or steps_ahead periods later)."""
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0 - steps_ahead * device.step,
        digits=device.digits,
        drift=device.drift,
    )
    return f"{value:0{device.digits}d}"


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


@pytest.fixture
def facility(db):
    return FacilityFactory()


# --- who must pass it ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/facilities/", "/inspections/", "/admin/", "/admin/supervision/facility/"]
)
def test_a_supervisor_without_a_second_factor_is_sent_to_enrolment_before_any_page(
    client, supervisor, path
):
    password_step(client, supervisor)
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == f"{SETUP}?next={path.replace('/', '%2F')}"


def test_a_superuser_without_a_second_factor_cannot_open_the_admin(client, superuser):
    password_step(client, superuser)
    response = client.get("/admin/auth/user/")
    assert response.status_code == 302
    assert response.url.startswith(SETUP)


def test_a_supervisor_with_an_authenticator_is_asked_for_its_code_after_the_password(
    client, supervisor, facility
):
    enrolled(supervisor)
    response = client.post(
        reverse("login"), {"username": "supervisor", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0].startswith(VERIFY)
    html = response.content.decode()
    assert "两步验证" in html and "恢复码" in html
    assert client.get(f"/facilities/{facility.pk}/").status_code == 302


def test_a_supervisor_with_a_verified_code_reaches_the_page_asked_for(client, supervisor, facility):
    device = enrolled(supervisor)
    password_step(client, supervisor)
    wanted = f"/facilities/{facility.pk}/"
    response = client.post(VERIFY, {"code": code_of(device), "next": wanted})
    assert response.status_code == 302
    assert response.url == wanted
    assert client.get(wanted).status_code == 200
    assert client.get("/admin/supervision/facility/").status_code == 200


def test_an_inspector_works_without_a_second_factor(client, inspector):
    password_step(client, inspector)
    assert client.get("/").status_code == 200
    assert client.get("/facilities/").status_code == 200


def test_an_inspector_may_enrol_and_is_then_asked_for_the_code_too(client, inspector):
    password_step(client, inspector)
    assert client.get(SETUP).status_code == 200
    device = twofactor.pending_authenticator(inspector)
    assert client.post(SETUP, {"code": code_of(device)}).status_code == 200
    client.logout()
    password_step(client, inspector)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(VERIFY)


# --- enrolment -----------------------------------------------------------------------------


def test_the_enrolment_page_shows_a_qr_code_drawn_on_the_server_the_key_and_the_uri(
    client, supervisor
):
    password_step(client, supervisor)
    response = client.get(SETUP)
    assert response.status_code == 200
    html = response.content.decode()
    device = TOTPDevice.objects.get(user=supervisor, confirmed=False)
    assert re.search(r"<svg[^>]*>.*</svg>", html, re.S), "an inline SVG QR code"
    # No script draws it: the only script is the session notice every signed-in page loads.
    assert re.findall(r"<script[^>]*>", html) == [
        '<script src="/static/supervision/session.js" defer>'
    ]
    assert twofactor.secret(device) in html
    assert "otpauth://totp/" in html
    assert device.config_url.replace("&", "&amp;") in html
    # Opening the page again keeps the same key: the QR code does not change under the user.
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=supervisor).count() == 1


def test_enrolling_with_the_first_code_opens_the_pages_and_shows_ten_recovery_codes_once(
    client, supervisor
):
    password_step(client, supervisor)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=supervisor)
    response = client.post(SETUP, {"code": code_of(device), "next": "/facilities/"})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(codes) == twofactor.RECOVERY_CODES == 10
    assert set(codes) == set(StaticToken.objects.values_list("token", flat=True))
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/facilities/").status_code == 200
    # The status page says how many are left; it never shows them again.
    status = client.get(SETUP).content.decode()
    assert "剩余恢复码：10个" in status
    assert not any(code in status for code in codes)


def test_a_wrong_first_code_enrols_nothing(client, supervisor):
    password_step(client, supervisor)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=supervisor)
    wrong = code_of(device, steps_ahead=10)
    response = client.post(SETUP, {"code": wrong})
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/").status_code == 302


def test_a_password_alone_cannot_replace_an_enrolled_authenticator(client, supervisor):
    device = enrolled(supervisor)
    password_step(client, supervisor)
    response = client.get(f"{SETUP}?replace=1")
    assert response.status_code == 302
    assert response.url.startswith(VERIFY)
    assert list(TOTPDevice.objects.filter(user=supervisor)) == [device]


# --- verification and recovery codes -----------------------------------------------------------


def test_a_wrong_code_is_refused_with_a_message_and_the_pages_stay_closed(client, supervisor):
    device = enrolled(supervisor)
    password_step(client, supervisor)
    response = client.post(VERIFY, {"code": code_of(device, steps_ahead=10)})
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    assert client.get("/").status_code == 302


def test_right_after_a_wrong_code_even_the_right_one_waits(client, supervisor):
    device = enrolled(supervisor)
    password_step(client, supervisor)
    client.post(VERIFY, {"code": code_of(device, steps_ahead=10)})
    assert client.post(VERIFY, {"code": code_of(device)}).status_code == 200  # throttled
    assert client.get("/").status_code == 302


def test_a_code_once_used_is_not_accepted_again(client, supervisor):
    device = enrolled(supervisor)
    code = code_of(device)
    password_step(client, supervisor)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.logout()
    password_step(client, supervisor)
    assert client.post(VERIFY, {"code": code}).status_code == 200
    assert client.get("/").status_code == 302


def test_a_recovery_code_works_once(client, supervisor):
    enrolled(supervisor)
    codes = twofactor.new_recovery_codes(supervisor)
    password_step(client, supervisor)
    response = client.post(VERIFY, {"code": codes[0].upper()}, follow=True)
    assert response.status_code == 200
    assert "还剩9个" in response.content.decode()
    assert client.get("/").status_code == 200
    client.logout()
    password_step(client, supervisor)
    assert client.post(VERIFY, {"code": codes[0]}).status_code == 200
    assert client.get("/").status_code == 302
    # The wait after a refused code passes; another code works.
    StaticDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)
    assert client.post(VERIFY, {"code": codes[1]}).status_code == 302
    assert twofactor.recovery_codes_left(supervisor) == 8


def test_new_recovery_codes_replace_the_old_ones(client, supervisor):
    old = twofactor.new_recovery_codes(supervisor)
    client.force_login(supervisor)  # signed in with the second factor
    response = client.post("/accounts/two-factor/recovery-codes/")
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(new) == 10
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)
    assert not set(old) & set(new)


def test_signing_out_ends_the_verification_too(client, supervisor):
    device = enrolled(supervisor)
    password_step(client, supervisor)
    client.post(VERIFY, {"code": code_of(device)})
    client.post(reverse("logout"))
    password_step(client, supervisor)
    assert client.get("/").status_code == 302


# --- the API -----------------------------------------------------------------------------------


def test_an_api_token_needs_no_second_factor(client, supervisor):
    token = Token.objects.create(user=supervisor)
    response = client.get("/api/facilities/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


def test_a_session_without_the_second_factor_cannot_use_the_api(client, supervisor):
    password_step(client, supervisor)
    response = client.get("/api/facilities/")
    assert response.status_code == 403
    assert "两步验证" in response.json()["detail"]


def test_a_session_with_the_second_factor_can_use_the_api(client, supervisor):
    client.force_login(supervisor)
    assert client.get("/api/facilities/").status_code == 200


# --- the policy --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "superuser", "required"),
    [
        (SUPERVISOR, False, True),
        (None, True, True),
        (INSPECTOR, False, False),
        (None, False, False),
    ],
)
def test_who_must_use_a_second_factor(db, role, superuser, required):
    user = UserFactory(role=role, is_superuser=superuser)
    assert twofactor.second_factor_required(user) is required
