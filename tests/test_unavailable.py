"""The database out of reach: a 503 page or API error with Retry-After, never a traceback, and
nothing in the 503's own path that needs the database (supervision/unavailable.py)."""

from __future__ import annotations

import logging
from unittest import mock

import pytest
from django.db import OperationalError, ProgrammingError, connection
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from supervision.unavailable import RETRY_AFTER_SECONDS, unavailable_response
from tests.api import client_for
from tests.factories import FacilityFactory

DOWN = OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")
PAGE_TEXT = "系统暂时无法访问"
API_ERROR = {"detail": "数据库暂时无法访问，请稍后重试。"}


class DatabaseDown:
    """Inside `with`, every query raises `error`; counts the attempts, so a test sees whether
    anything after the first failure (the 503's own path) tried the database again."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.attempts = 0
        self.patches = [
            mock.patch.object(connection, name, side_effect=self.refuse)
            for name in ("cursor", "chunked_cursor")
        ]

    def refuse(self, *args: object, **kwargs: object) -> None:
        self.attempts += 1
        raise self.error

    def __enter__(self) -> DatabaseDown:
        for patch in self.patches:
            patch.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        for patch in self.patches:
            patch.stop()


@pytest.fixture
def database_down() -> DatabaseDown:
    return DatabaseDown(DOWN)


@pytest.fixture
def web(client):
    """A browser: the errors Django turns into responses are answered, not raised in the test
    (the test client re-raises them by default)."""
    client.raise_request_exception = False
    return client


def assert_the_503_page(response) -> None:
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert PAGE_TEXT in body
    assert "Traceback" not in body
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_a_signed_in_page_answers_the_503_page_in_chinese(web, inspector, database_down):
    web.force_login(inspector)
    with database_down:
        response = web.get("/facilities/")
    assert_the_503_page(response)
    # The session read failed; nothing after it (the 503 itself) went back to the database.
    assert database_down.attempts == 1


@pytest.mark.django_db
def test_the_admin_answers_the_503_page(web, superuser, database_down):
    web.force_login(superuser)
    with database_down:
        response = web.get("/admin/supervision/facility/")
    assert_the_503_page(response)
    assert database_down.attempts == 1


@pytest.mark.django_db
def test_a_public_page_answers_the_503_page_and_it_is_not_cached(web, database_down):
    with database_down:
        response = web.get("/public/grades/")
    assert_the_503_page(response)


@pytest.mark.django_db
def test_the_api_answers_503_in_its_error_shape(supervisor, database_down):
    api = client_for(supervisor)
    with database_down:
        response = api.get("/api/facilities/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == API_ERROR
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert database_down.attempts == 1


@pytest.mark.django_db
def test_an_api_write_during_the_outage_answers_503(supervisor, database_down):
    facility = FacilityFactory()
    api = client_for(supervisor)
    body = {"year": 2024, "grade": "B", "reason": "复核后调整为B级"}
    with database_down:
        response = api.post(f"/api/facilities/{facility.pk}/grade/", body, format="json")
    assert response.status_code == 503
    assert response.json() == API_ERROR


@pytest.mark.django_db
def test_the_api_answers_503_when_the_connection_breaks_during_the_view(supervisor):
    """The token is read, then the connection breaks: the view's error, answered by the
    middleware."""
    api = client_for(supervisor)
    real_cursor = connection.cursor
    calls = {"n": 0}

    def breaks_after_the_token(*args: object, **kwargs: object):
        calls["n"] += 1
        if calls["n"] > 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_cursor(*args, **kwargs)

    with mock.patch.object(connection, "cursor", side_effect=breaks_after_the_token):
        response = api.get("/api/facilities/")
    assert response.status_code == 503
    assert response.json() == API_ERROR


@pytest.mark.django_db
def test_each_refused_request_is_one_warning_line_without_a_traceback(
    web, inspector, database_down, caplog
):
    web.force_login(inspector)
    api = client_for(inspector)
    with caplog.at_level(logging.INFO), database_down:
        web.get("/facilities/")
        api.get("/api/facilities/")
    warnings = [r for r in caplog.records if r.name == "supervision.unavailable"]
    assert [r.levelno for r in warnings] == [logging.WARNING, logging.WARNING]
    assert "GET /facilities/" in warnings[0].getMessage()
    assert "Connection refused" in warnings[0].getMessage()
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in warnings)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.django_db
def test_the_503_reads_no_user_no_session_and_no_database(rf: RequestFactory):
    def touched() -> None:
        raise AssertionError("the 503 path touched the user or the session")

    for path in ("/facilities/", "/api/facilities/"):
        request = rf.get(path)
        request.user = SimpleLazyObject(touched)
        request.session = SimpleLazyObject(touched)
        no_database = AssertionError("the 503 path queried the database")
        with mock.patch.object(connection, "cursor", side_effect=no_database):
            response = unavailable_response(request, DOWN)
        assert response.status_code == 503


@pytest.mark.django_db
def test_any_other_database_error_is_still_a_500(web, inspector):
    web.force_login(inspector)
    with mock.patch.object(connection, "cursor", side_effect=ProgrammingError("no such column")):
        response = web.get("/facilities/")
    assert response.status_code == 500
    assert "Retry-After" not in response
