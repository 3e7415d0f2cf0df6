"""A streaming replica for the lists (DATABASE_REPLICA_URL): which reads go where."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve

import supervision.settings as settings_module
from supervision.db_routers import (
    PIN_COOKIE,
    PrimaryReplicaRouter,
    ReplicaReadsMiddleware,
    reads_from_replica,
    replica_reads,
)
from supervision.models import Facility

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
    assert replica["TEST"] == {"MIRROR": "default"}
    assert module.DATABASE_ROUTERS == ["supervision.db_routers.PrimaryReplicaRouter"]
    assert module.MIDDLEWARE[-1] == "supervision.db_routers.ReplicaReadsMiddleware"
