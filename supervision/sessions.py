"""Idle sign-out without writing the session on every request.

A session ends DJANGO_SESSION_MINUTES after the last request (settings.SESSION_COOKIE_AGE).
Saving it on every request kept that exact but cost every page a transaction (BEGIN, UPDATE,
COMMIT) and a re-signing of its data. Instead the session is saved, with a fresh expiry, when
it was last saved SESSION_TOUCH_SECONDS or more ago: the idle time-out stays within that many
seconds of exact, and a page that only reads writes nothing. The page's time-out notice
(static/supervision/session.js) counts from the last save, so it never promises more time than
the server keeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse

TOUCHED = "_touched"


def _touched(session: SessionBase) -> int | None:
    touched = session.get(TOUCHED)
    return touched if isinstance(touched, int) else None


def touch(session: SessionBase, *, force: bool = False) -> None:
    """Extend session if it was last saved long enough ago (or at all, given force)."""
    touched = _touched(session)
    if session.session_key is None:
        return  # no session (or an ended one): nothing to extend, and none is made
    now = int(time.time())
    if force or touched is None or not 0 <= now - touched < settings.SESSION_TOUCH_SECONDS:
        session[TOUCHED] = now


def touched_at_sign_in(sender: object, request: HttpRequest | None, **kwargs: object) -> None:
    """user_logged_in: signing in saves the session anyway; mark it saved now."""
    if request is not None and hasattr(request, "session"):
        request.session[TOUCHED] = int(time.time())


def seconds_idle(session: SessionBase) -> int:
    """Seconds since the session was last saved (its expiry counts from then); 0 if unknown."""
    touched = _touched(session)
    return 0 if touched is None else min(max(0, int(time.time()) - touched), 24 * 3600)


class SessionTouchMiddleware:
    """Right after SessionMiddleware: extends the session at most once a
    SESSION_TOUCH_SECONDS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        touch(request.session)
        return self.get_response(request)
