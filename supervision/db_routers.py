"""Reads of the lists from a PostgreSQL streaming replica; everything else from the primary.

On only when DATABASE_REPLICA_URL is set (settings.py adds the "replica" database, this router
and the middleware). A GET of a list (the staff lists, the dashboard, the admin changelists, the
API's list endpoints) reads from the replica: those are most of the reading and the replica is
at most a moment behind. Everything else reads and writes the primary: a record's own page, its
forms, every POST. A browser that has just written something reads its next lists from the
primary too for REPLICA_PIN_SECONDS, so that the list it lands on shows what it wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
PRIMARY = "default"
# Set on responses to writes: "read from the primary for a while".
PIN_COOKIE = "primary_reads"
SAFE_METHODS = ("GET", "HEAD")

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside the block go to the replica (when there is one)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class PrimaryReplicaRouter:
    """Installed (by settings.py) only when there is a replica."""

    def db_for_read(self, model, **hints) -> str:
        return REPLICA if _replica_reads.get() else PRIMARY

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the same data on both

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == PRIMARY  # the replica follows the primary's schema by itself


def is_list_view(view_func: Callable) -> bool:
    """Whether a URL's view is a list: a view class that says `replica_reads = True` (the staff
    lists and the dashboard), an admin changelist, or an API list endpoint."""
    view_class = getattr(view_func, "view_class", None)
    if view_class is not None and getattr(view_class, "replica_reads", False):
        return True
    if getattr(view_func, "model_admin", None) is not None:
        return view_func.__name__ == "changelist_view"
    actions = getattr(view_func, "actions", None) or {}
    return actions.get("get") == "list"


def reads_from_replica(request: HttpRequest, view_func: Callable) -> bool:
    return (
        request.method in SAFE_METHODS
        and PIN_COOKIE not in request.COOKIES
        and is_list_view(view_func)
    )


class ReplicaReadsMiddleware:
    """Sends a list's reads to the replica; pins a browser to the primary after it writes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _replica_reads.set(False)
        try:
            response = self.get_response(request)
        finally:
            _replica_reads.reset(token)
        if request.method not in SAFE_METHODS:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

    def process_view(self, request: HttpRequest, view_func: Callable, view_args, view_kwargs):
        if reads_from_replica(request, view_func):
            _replica_reads.set(True)
        return None
