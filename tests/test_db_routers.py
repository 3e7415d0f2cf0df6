"""A streaming replica for the lists (DATABASE_REPLICA_URL): which reads go where."""

from __future__ import annotations

import copy
import importlib.util
from collections.abc import Iterator
from types import ModuleType

import pytest
from django.db import OperationalError, connections
from django.db.utils import load_backend
from django.http import HttpResponse
from django.template import engines
from django.template.response import SimpleTemplateResponse
from django.test import RequestFactory
from django.urls import resolve

import supervision.settings as settings_module
from supervision import db_routers
from supervision.db_routers import (
    PIN_COOKIE,
    PrimaryReplicaRouter,
    ReplicaReadsMiddleware,
    reads_from_replica,
    replica_available,
    replica_reads,
)
from supervision.models import Facility
from tests.factories import FacilityFactory

router = PrimaryReplicaRouter()


def test_reads_go_to_the_replica_only_inside_replica_reads():
    assert router.db_for_read(Facility) == "default"
    with replica_reads():
        assert router.db_for_read(Facility) == "replica"
        assert router.db_for_write(Facility) == "default"
    assert router.db_for_read(Facility) == "default"


def test_only_the_primary_is_migrated():
    assert router.allow_migrate("default", "supervision")
    assert not router.allow_migrate("replica", "supervision")


LISTS = [
    "/",
    "/facilities/",
    "/inspections/",
    "/referrals/",
    "/sanctions/",
    "/admin/supervision/facility/",
    "/admin/supervision/creditrating/",
    "/api/facilities/",
    "/api/ratings/",
]
NOT_LISTS = [
    "/facilities/1/",
    "/facilities/1/edit/",
    "/facilities/1/grade/",
    "/inspections/new/",
    "/admin/supervision/facility/1/change/",
    "/api/facilities/1/",
    "/accounts/login/",
]


@pytest.mark.parametrize("path", LISTS)
def test_a_get_of_a_list_reads_from_the_replica(path):
    request = RequestFactory().get(path)
    assert reads_from_replica(request, resolve(path).func)


@pytest.mark.parametrize("path", NOT_LISTS)
def test_a_record_its_forms_and_sign_in_read_from_the_primary(path):
    request = RequestFactory().get(path)
    assert not reads_from_replica(request, resolve(path).func)


@pytest.mark.parametrize("path", ["/api/facilities/", "/facilities/"])
def test_a_write_never_reads_from_the_replica(path):
    request = RequestFactory().post(path)
    assert not reads_from_replica(request, resolve(path).func)


def test_a_browser_that_just_wrote_reads_its_lists_from_the_primary():
    factory = RequestFactory()
    request = factory.get("/facilities/")
    request.COOKIES[PIN_COOKIE] = "1"
    assert not reads_from_replica(request, resolve("/facilities/").func)


def _through_middleware(request) -> tuple[HttpResponse, str]:
    """Run request through the middleware as Django's handler would; the database the view
    would have read from."""
    seen = {}

    def view_layer(request):
        middleware.process_view(request, resolve(request.path).func, (), {})
        seen["db"] = router.db_for_read(Facility)
        return HttpResponse("ok")

    middleware = ReplicaReadsMiddleware(view_layer)
    response = middleware(request)
    return response, seen["db"]


def test_the_middleware_sends_a_lists_reads_to_the_replica_for_that_request_only():
    response, db = _through_middleware(RequestFactory().get("/facilities/"))
    assert db == "replica"
    assert PIN_COOKIE not in response.cookies
    assert router.db_for_read(Facility) == "default"


def test_after_a_write_the_browser_is_pinned_to_the_primary(settings):
    settings.REPLICA_PIN_SECONDS = 7
    response, db = _through_middleware(RequestFactory().post("/facilities/1/grade/"))
    assert db == "default"
    assert response.cookies[PIN_COOKIE]["max-age"] == 7


def _load_settings(monkeypatch, tmp_path, **env: str) -> ModuleType:
    """A fresh copy of supervision/settings.py under env (the live settings stay)."""
    for name in ("DATABASE_URL", "DATABASE_REPLICA_URL", "DJANGO_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DJANGO_DATA_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("settings_under_test", settings_module.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_a_replica_url_there_is_one_database_and_no_router(monkeypatch, tmp_path):
    module = _load_settings(monkeypatch, tmp_path)
    assert list(module.DATABASES) == ["default"]
    assert not getattr(module, "DATABASE_ROUTERS", [])
    assert "supervision.db_routers.ReplicaReadsMiddleware" not in module.MIDDLEWARE


def test_a_replica_url_adds_the_replica_the_router_and_the_middleware(monkeypatch, tmp_path):
    module = _load_settings(
        monkeypatch,
        tmp_path,
        DATABASE_URL="postgres://app:secret@primary.internal:5432/supervision",
        DATABASE_REPLICA_URL="postgres://app:secret@replica.internal:5432/supervision",
    )
    replica = module.DATABASES["replica"]
    assert (replica["HOST"], replica["NAME"]) == ("replica.internal", "supervision")
    # A dead replica delays a list by seconds, not by libpq's unbounded default.
    assert replica["OPTIONS"]["connect_timeout"] == 2
    assert replica["TEST"] == {"MIRROR": "default"}
    assert module.DATABASE_ROUTERS == ["supervision.db_routers.PrimaryReplicaRouter"]
    assert module.MIDDLEWARE[-1] == "supervision.db_routers.ReplicaReadsMiddleware"


# A replica that cannot be reached ----------------------------------------------------------------


@pytest.fixture
def dead_replica(db, settings, monkeypatch, tmp_path) -> Iterator[list[int]]:
    """The router and the middleware installed, with a "replica" database that refuses every
    connection: a port nothing listens on (PostgreSQL), a file in a missing folder (SQLite).
    Yields the list of connection attempts made to it.

    The connection is handed to `connections` directly, not declared in its settings: the test
    database's set-up and teardown, which go over every declared alias, leave it alone."""
    replica_settings = copy.deepcopy(connections["default"].settings_dict)
    if replica_settings["ENGINE"] == "django.db.backends.sqlite3":
        replica_settings["NAME"] = str(tmp_path / "missing" / "db.sqlite3")
    else:
        replica_settings.update(HOST="127.0.0.1", PORT="1")
        replica_settings["OPTIONS"] = {**replica_settings["OPTIONS"], "connect_timeout": 2}
    replica = load_backend(replica_settings["ENGINE"]).DatabaseWrapper(replica_settings, "replica")
    attempts: list[int] = []
    real_connect = replica.connect

    def connect() -> None:
        attempts.append(1)
        real_connect()

    monkeypatch.setattr(replica, "connect", connect)
    connections["replica"] = replica
    settings.DATABASE_ROUTERS = ["supervision.db_routers.PrimaryReplicaRouter"]
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "supervision.db_routers.ReplicaReadsMiddleware"]
    settings.REPLICA_RETRY_SECONDS = 30
    monkeypatch.setattr(db_routers, "_replica_down_until", 0.0)
    yield attempts
    replica.close()
    del connections["replica"]


LISTS_OF_EACH_KIND = ["/facilities/", "/api/facilities/", "/admin/supervision/facility/", "/"]


@pytest.mark.parametrize("path", LISTS_OF_EACH_KIND)
def test_a_list_whose_replica_cannot_be_reached_is_read_from_the_primary(
    client, superuser, dead_replica, path
):
    FacilityFactory(name="示例主库医院")
    client.force_login(superuser)
    response = client.get(path)
    assert response.status_code == 200
    assert dead_replica == [1]  # the replica was tried, and failed
    if path != "/":
        assert "示例主库医院" in response.content.decode()
    assert not replica_available()


def test_while_the_replica_is_down_lists_do_not_try_it(client, superuser, dead_replica):
    client.force_login(superuser)
    for _ in range(3):
        assert client.get("/facilities/").status_code == 200
    assert dead_replica == [1]
    with replica_reads():
        assert router.db_for_read(Facility) == "default"


def test_the_replica_is_tried_again_once_the_retry_period_has_passed(
    client, superuser, dead_replica, monkeypatch
):
    client.force_login(superuser)
    client.get("/facilities/")
    now = db_routers.time.monotonic()
    monkeypatch.setattr(db_routers.time, "monotonic", lambda: now + 31)
    assert replica_available()
    assert client.get("/facilities/").status_code == 200
    assert dead_replica == [1, 1]


def test_a_record_page_never_touches_the_replica(client, superuser, dead_replica):
    facility = FacilityFactory()
    client.force_login(superuser)
    assert client.get(f"/facilities/{facility.pk}/").status_code == 200
    assert dead_replica == []
    assert replica_available()


def test_an_error_that_is_not_the_replica_failing_is_left_to_django(dead_replica):
    """The replica was never tried: an OperationalError comes from elsewhere (the primary)."""
    request = RequestFactory().get("/facilities/")
    middleware = ReplicaReadsMiddleware(lambda request: HttpResponse("ok"))
    token = db_routers._replica_reads.set(False)
    try:
        middleware.process_view(request, resolve("/facilities/").func, (), {})
        assert router.db_for_read(Facility) == "replica"
        assert middleware.process_exception(request, OperationalError("primary down")) is None
        assert middleware.process_exception(request, ValueError("a bug")) is None
    finally:
        db_routers._replica_reads.reset(token)
    assert replica_available()


def test_a_list_read_again_from_the_primary_comes_back_rendered(dead_replica):
    """The replica may fail while a template response renders (a lazy list): Django renders no
    response that process_exception returns then, so the middleware does."""

    def view(request):
        return SimpleTemplateResponse(engines["django"].from_string("{{ n }} rows"), {"n": 7})

    view.view_class = type("AList", (), {"replica_reads": True})
    request = RequestFactory().get("/somewhere/")
    middleware = ReplicaReadsMiddleware(lambda request: HttpResponse("unused"))
    token = db_routers._replica_reads.set(False)
    try:
        middleware.process_view(request, view, (), {})
        with pytest.raises(OperationalError):
            connections["replica"].ensure_connection()
        response = middleware.process_exception(request, OperationalError("lost"))
    finally:
        db_routers._replica_reads.reset(token)
    assert response.content == b"7 rows"
    assert not replica_available()
