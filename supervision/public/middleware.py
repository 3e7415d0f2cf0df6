"""Serves the public pages (信息公开, every path under /public/) on its own.

It resolves the URL and calls the view itself and never the rest of the middleware chain: no
session, CSRF, authentication, second factor, messages or lockout code runs for a visitor, and
so no cookie is set and nothing varies by cookie. In order:

1. a rate limit per client address (django-ratelimit, PUBLIC_RATE_LIMIT): 429 with Retry-After;
2. GET and HEAD only: 405;
3. the response cache (supervision.public.cache), keyed by the edition, the day, the language
   and the full path: a hit costs one read of the edition at most;
4. the view; a 404 in the public layout; only complete 200 pages are cached (CSV is streamed);
5. the same strict headers on every response, whatever its status.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.handlers.exception import response_for_exception
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponsePermanentRedirect,
)
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils import translation
from django_ratelimit.core import get_usage

from supervision.public import cache
from supervision.public.views import NAMESPACES, html_lang, language_of_namespace, not_found
from supervision.security import client_ip

PREFIX = "/public/"
RATE_GROUP = "supervision.public"
SAFE_METHODS = ("GET", "HEAD")

HEADERS = {
    # Nothing runs, nothing loads from elsewhere, nothing frames the page: the pages are plain
    # HTML and one stylesheet of this site.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "public, max-age=60",
}


def _client(group: str, request: HttpRequest) -> str:
    return client_ip(request)


def language_of_path(path: str) -> str:
    """The language of a path that did not resolve: English under /public/en/."""
    english = path.startswith(PREFIX + "en/") or path == PREFIX + "en"
    return language_of_namespace(NAMESPACES[1] if english else NAMESPACES[0])


class PublicPagesMiddleware:
    """Right after WhiteNoise: answers every /public/ request without the rest of the chain."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        try:
            request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware would check it: else 400
            response = self.serve(request)
        except Exception as error:  # Django's own conversion: 400, 403, 404, 500
            response = response_for_exception(request, error)
        return protect(response)

    def serve(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        try:
            match = resolve(path)
        except Resolver404:
            match = None
        language = language_of_namespace(match.namespace) if match else language_of_path(path)
        limited = self.rate_limited(request, language)
        if limited is not None:
            return limited
        if request.method not in SAFE_METHODS:
            return HttpResponseNotAllowed(SAFE_METHODS)
        if match is None or match.namespace not in NAMESPACES:
            return self.slash_redirect(request) or not_found(request, language)
        request.resolver_match = match
        cache_key = cache.key(cache.current_edition(), language, request.get_full_path())
        cached = cache.get(cache_key)
        if cached is not None:
            return cached
        try:
            response = match.func(request, *match.args, **match.kwargs)
        except Http404:
            return not_found(request, language)
        cache.put(cache_key, response, language)
        return response

    def rate_limited(self, request: HttpRequest, language: str) -> HttpResponse | None:
        usage = get_usage(
            request,
            group=RATE_GROUP,
            key=_client,
            rate=settings.PUBLIC_RATE_LIMIT,
            increment=True,
        )
        if usage is None or not usage["should_limit"]:
            return None
        with translation.override(language):
            body = render_to_string("public/429.html", {"html_lang": html_lang(language)})
        response = HttpResponse(body, status=429)
        response["Retry-After"] = str(max(int(usage["time_left"]), 1))
        response["Content-Language"] = language
        # A shared cache must not answer other clients with this client's refusal.
        response["Cache-Control"] = "no-store"
        return response

    @staticmethod
    def slash_redirect(request: HttpRequest) -> HttpResponse | None:
        """/public/grades → /public/grades/ (CommonMiddleware's APPEND_SLASH does not run)."""
        path = request.path_info
        if path.endswith("/"):
            return None
        try:
            match = resolve(path + "/")
        except Resolver404:
            return None
        if match.namespace not in NAMESPACES:
            return None
        query = request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))


def protect(response: HttpResponse) -> HttpResponse:
    """The public pages' headers on any response (a 429 keeps its no-store)."""
    for name, value in HEADERS.items():
        if name not in response:
            response[name] = value
    return response
