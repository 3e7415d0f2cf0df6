"""Reads of the lists from a PostgreSQL streaming replica; everything else from the primary.

On only when DATABASE_REPLICA_URL is set (settings.py adds the "replica" database, this router
and the middleware). A GET of a list (the staff lists, the dashboard, the admin changelists, the
API's list endpoints) reads from the replica: those are most of the reading and the replica is
at most a moment behind. Everything else reads and writes the primary: a record's own page, its
forms, every POST. A browser that has just written something reads its next lists from the
primary too for REPLICA_PIN_SECONDS, so that the list it lands on shows what it wrote.

A replica that cannot be reached costs one request its connect attempt, not an error page: when a
list's read on the replica fails to connect or loses its connection, the list is read again from
the primary, and for REPLICA_RETRY_SECONDS this process sends every read to the primary without
trying the replica (a dead replica would otherwise cost each list a connect timeout).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY = "default"
# Set on responses to writes: "read from the primary for a while".
PIN_COOKIE = "primary_reads"
SAFE_METHODS = ("GET", "HEAD")

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)
# time.monotonic() until which this process reads nothing from the replica (it failed).
_replica_down_until = 0.0


def replica_available() -> bool:
    """Whether the replica may be tried: it has not failed in the last REPLICA_RETRY_SECONDS."""
    return time.monotonic() >= _replica_down_until


def mark_replica_down() -> None:
    """Send this process's reads to the primary for REPLICA_RETRY_SECONDS."""
    global _replica_down_until
    _replica_down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS


def replica_failed(exception: BaseException) -> bool:
    """Whether exception is the replica's connection failing to open or being cut: an error of
    the connection (not of a query), and this thread's replica connection is gone.

    A query the replica refused (a statement cancelled by a recovery conflict, say) leaves its
    connection open and is not the replica being down.
    """
    if not isinstance(exception, OperationalError | InterfaceError):
        return False
    replica = connections[REPLICA]
    if not replica.errors_occurred:
        return False
    raw = replica.connection
    return raw is None or bool(getattr(raw, "closed", False))


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
        return REPLICA if _replica_reads.get() and replica_available() else PRIMARY

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
    """Sends a list's reads to the replica; pins a browser to the primary after it writes; reads
    a list again from the primary when the replica is down."""

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
            # Kept to run the view again on the primary if the replica fails (process_exception).
            request.replica_view = (view_func, view_args, view_kwargs)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A list whose replica failed is read again from the primary (a GET of a list writes
        nothing, so running it twice is safe); any other error is left to Django."""
        rerun = getattr(request, "replica_view", None)
        if rerun is None or not _replica_reads.get() or not replica_failed(exception):
            return None
        mark_replica_down()
        logger.warning(
            "The replica failed (%s): lists read from the primary for %s s",
            exception,
            settings.REPLICA_RETRY_SECONDS,
        )
        _replica_reads.set(False)
        view_func, view_args, view_kwargs = rerun
        response = view_func(request, *view_args, **view_kwargs)
        # Django renders a template response the view returns, not one returned from here
        # (rendering is where a lazy list would have failed).
        render = getattr(response, "render", None)
        if callable(render):
            response = render()
        return response
