"""Middleware: the second-factor gate, the log of refused requests, and Server-Timing.

Server-Timing (total server time and SQL queries of each response) is on only when
DJANGO_SERVER_TIMING is true (bench/ sets it); production leaves it off so response headers say
nothing about the internals.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext

from supervision.security import logger as security_logger
from supervision.security import username_of


class ServerTimingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        counter = {"queries": 0, "db": 0.0}

        def count(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                counter["queries"] += 1
                counter["db"] += time.perf_counter() - started

        started = time.perf_counter()
        with connections["default"].execute_wrapper(count):
            response = self.get_response(request)
            # A streamed body runs its queries later; bench endpoints are not streamed.
        total = (time.perf_counter() - started) * 1000
        response["Server-Timing"] = (
            f'app;dur={total:.2f}, db;dur={counter["db"] * 1000:.2f};desc="{counter["queries"]}"'
        )
        return response


class SecondFactorMiddleware:
    """Sends a signed-in user who must pass the second factor (supervision.twofactor) and has not
    in this session to the verification page, or to enrolment when they have no authenticator
    yet, before any page: the staff pages, the admin and the API's session use alike (the API
    answers 403 in JSON). Requests signed with an API token are left to the API's own
    authentication. After django-otp's OTPMiddleware."""

    API_PREFIX = "/api/"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open_paths: frozenset[str] | None = None

    def open_paths(self) -> frozenset[str]:
        """What an unverified session may still open: the second-factor pages, sign-out, the
        language switch and the health check."""
        if self._open_paths is None:
            self._open_paths = frozenset(
                reverse(name)
                for name in ("two-factor-setup", "two-factor-verify", "logout", "set_language")
            ) | {reverse("healthz")}
        return self._open_paths

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self.refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        from supervision import twofactor

        user = request.user
        if not user.is_authenticated or twofactor.is_verified(user):
            return None
        path = request.path_info
        if path in self.open_paths() or path.startswith(settings.STATIC_URL):
            return None
        api = path.startswith(self.API_PREFIX)
        if api and request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("token "):
            return None  # a token client: DRF authenticates the token, not the session
        if not twofactor.second_factor_expected(user):
            return None
        if api:
            return JsonResponse({"detail": gettext("请先在网页上完成两步验证。")}, status=403)
        step = "two-factor-verify" if twofactor.has_authenticator(user) else "two-factor-setup"
        return redirect_to(step, request.get_full_path())


def redirect_to(name: str, next_url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': next_url})}")


class PermissionDeniedLogMiddleware:
    """Logs every refused request (403): the pages, the admin and the API, whoever refused it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 403:
            security_logger.warning(
                "permission denied: user=%s method=%s path=%s",
                username_of(request),
                request.method,
                request.path,
            )
        return response
