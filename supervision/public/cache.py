"""The public pages' response cache, keyed by the edition (supervision.services.publication).

Every publication moves the edition on, so a cached page is never served from before one; the
edition itself is read from the database at most once per PUBLIC_EDITION_TTL seconds per
process, which is how late a publication may show. The key also holds the day, because "in
force" changes at midnight without anyone publishing anything.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone

from supervision.services import publication

_lock = threading.Lock()
_memo: tuple[float, int] | None = None  # (read at, monotonic seconds; edition)


def current_edition() -> int:
    """The edition number, memoised for PUBLIC_EDITION_TTL seconds (0: read every time)."""
    global _memo
    ttl = settings.PUBLIC_EDITION_TTL
    now = time.monotonic()
    memo = _memo
    if memo is not None and now - memo[0] < ttl:
        return memo[1]
    number = publication.edition()
    with _lock:
        _memo = (now, number)
    return number


def forget_edition() -> None:
    """Drop the memo (tests; a management command that has just published)."""
    global _memo
    with _lock:
        _memo = None


@dataclass(frozen=True)
class Stored:
    """A cached page: its body and the headers it was rendered with."""

    content: bytes
    content_type: str
    language: str

    def response(self) -> HttpResponse:
        response = HttpResponse(self.content, content_type=self.content_type)
        response["Content-Language"] = self.language
        return response


def key(edition: int, language: str, full_path: str) -> str:
    """The cache key of a page: edition, day, language and the path with its query string
    (hashed: a hostile query string may be long or hold anything)."""
    digest = hashlib.sha256(full_path.encode("utf-8", "surrogateescape")).hexdigest()
    return f"public:{edition}:{timezone.localdate().isoformat()}:{language}:{digest}"


def get(cache_key: str) -> HttpResponse | None:
    stored = cache.get(cache_key)
    return stored.response() if isinstance(stored, Stored) else None


def put(cache_key: str, response: HttpResponse, language: str) -> None:
    """Keep a complete page (200, not streamed) for PUBLIC_CACHE_SECONDS at most."""
    if response.status_code != 200 or response.streaming:
        return
    stored = Stored(bytes(response.content), response.get("Content-Type", ""), language)
    cache.set(cache_key, stored, settings.PUBLIC_CACHE_SECONDS)
