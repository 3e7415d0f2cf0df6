"""Our own error pages: never a traceback, always a way back."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults

from supervision.unavailable import unavailable_in_flight


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Logged with every other 403 by supervision.middleware.PermissionDeniedLogMiddleware.
    return defaults.permission_denied(request, exception, template_name="403.html")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return defaults.page_not_found(request, exception, template_name="404.html")


def server_error(request: HttpRequest) -> HttpResponse:
    # The database out of reach (an error raised by a middleware, not a view): a 503.
    unavailable = unavailable_in_flight(request)
    if unavailable is not None:
        return unavailable
    # Rendered without context or database: it must work when everything else is failing.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
