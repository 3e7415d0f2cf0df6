"""Personas and shared fixtures."""

from __future__ import annotations

import pytest

from supervision.roles import AUDITOR, INSPECTOR, SUPERVISOR
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Personas have passwords; the production hasher would spend a quarter second on each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
