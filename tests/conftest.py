"""Personas and shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.test.client import ClientMixin
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from supervision.roles import AUDITOR, INSPECTOR, SUPERVISOR
from supervision.twofactor import second_factor_required
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Personas have passwords; the production hasher would spend a quarter second on each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request in English leaves English active in the thread (LocaleMiddleware activates the
    language and nothing switches it back): every test starts in the default language, whatever
    ran before it."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture
def inspector(db):
    return UserFactory(username="inspector", role=INSPECTOR)


@pytest.fixture
def supervisor(db):
    return UserFactory(username="supervisor", role=SUPERVISOR)


@pytest.fixture
def auditor(db):
    return UserFactory(username="auditor", role=AUDITOR)


@pytest.fixture
def outsider(db):
    """A staff account with no group: may sign in, may see nothing."""
    return UserFactory(username="outsider")


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_superuser=True)


@pytest.fixture(autouse=True)
def _force_login_includes_the_second_factor(monkeypatch):
    """client.force_login(user) stands for a completed sign-in: the password and, for an account
    that must use one, the second factor (a confirmed authenticator, verified in the session).

    Tests of the sign-in itself post the login form instead and go through every step.
    """
    original = ClientMixin.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if second_factor_required(user):
            verify_second_factor(self, user)

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


def verify_second_factor(client, user) -> TOTPDevice:
    """Mark client's session as having passed the second factor with user's authenticator."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


@pytest.fixture(autouse=True, scope="session")
def _media_root_outside_the_repository(tmp_path_factory):
    """Evidence files written by any test go to a temporary folder, never into var/media.

    Tests that look at the stored files use `media`, a folder of their own.
    """
    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        yield


@pytest.fixture
def media(tmp_path, settings) -> Path:
    """MEDIA_ROOT in the test's own temporary folder: what a test stores, and only that."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root
