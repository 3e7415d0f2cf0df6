"""Small pieces of sign-in security shared by the settings, the middleware and the views."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest

# Refused requests (403), lockouts and failed second factors: one logger to alert on.
logger = logging.getLogger("supervision.security")


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind DJANGO_TRUSTED_PROXIES reverse proxies the
    address the outermost trusted proxy saw (X-Forwarded-For, counted from the right, so a client
    cannot choose its own address by sending the header)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not proxies or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    return hops[-proxies] if len(hops) >= proxies else hops[0]


def username_of(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    return getattr(user, "username", "") or "anonymous"
