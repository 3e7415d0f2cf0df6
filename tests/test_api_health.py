"""GET /healthz: 200 while the database answers, 503 when it does not; no login, no details."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError, connection


@pytest.mark.django_db
def test_it_answers_ok_without_a_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_answers_503_when_the_database_does_not(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}  # nothing of the error itself


@pytest.mark.django_db
def test_it_only_answers_reads(client):
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200
