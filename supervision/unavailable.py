"""The database out of reach (restarting, connection lost, refusing connections): a 503 that
says so and when to try again, as a page or as the API's JSON error, never a traceback.

Django turns an exception into a response at every layer of the middleware chain, so an error
reaches us by one of two roads:

- raised by a view (the pages, the admin, DRF): DatabaseUnavailableMiddleware.process_exception;
- raised by a middleware (the session read by SessionTouchMiddleware, the user loaded for the
  second factor, a session saved on the way out): Django hands it to handler500, whose view
  asks unavailable_in_flight() first (supervision/views/errors.py).

The 503 itself reads nothing from the database: no user, no session, no context processors.
Django drops a connection that raised at the end of the request (errors_occurred), and
CONN_HEALTH_CHECKS (settings) tests a kept connection before a request reuses it, so the first
requests after the database is back succeed without restarting anything.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext

# Every one of these says "try again later": the server is gone, restarting or full, the
# connection broke, or (SQLite) the database is locked.
UNAVAILABLE = (OperationalError, InterfaceError)
# A PostgreSQL restart takes a few seconds.
RETRY_AFTER_SECONDS = 5
API_PREFIX = "/api/"

logger = logging.getLogger(__name__)


def is_unavailable(error: BaseException | None) -> bool:
    return isinstance(error, UNAVAILABLE)


def unavailable_response(request: HttpRequest, error: BaseException) -> HttpResponse:
    """The 503 for request, logged as one line (a traceback per request would flood the log
    for the whole outage)."""
    summary = (str(error).strip().splitlines() or [type(error).__name__])[0]
    logger.warning("database unavailable: %s %s: %s", request.method, request.path, summary)
    if request.path_info.startswith(API_PREFIX):
        # The API's error shape (supervision/api/exceptions.py): {"detail": message}, in the
        # client's language even when LocaleMiddleware has not run yet (cookie or header only).
        with translation.override(translation.get_language_from_request(request)):
            detail = gettext("数据库暂时无法访问，请稍后重试。")
        response: HttpResponse = JsonResponse(
            {"detail": detail}, status=503, json_dumps_params={"ensure_ascii": False}
        )
    else:
        # Rendered without a request: no context processor (user, messages) can query.
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # Logged above; Django would otherwise log it again as an error, with the traceback.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def unavailable_in_flight(request: HttpRequest) -> HttpResponse | None:
    """For handler500, which Django calls while it handles the exception: the 503 when that
    exception is the database out of reach, else None."""
    error = sys.exc_info()[1]
    return unavailable_response(request, error) if is_unavailable(error) else None


class DatabaseUnavailableMiddleware:
    """A view's database error becomes the 503 (page or API), before Django would log it as a
    server error. Django asks every middleware's process_exception whatever its place; this one
    sits near the top of MIDDLEWARE, above the session and authentication middleware whose own
    errors reach handler500 instead (above). On its way out the 503 passes them untouched: a
    response of 500 or more never saves the session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return unavailable_response(request, exception) if is_unavailable(exception) else None
