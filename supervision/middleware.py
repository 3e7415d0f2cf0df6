"""Server-Timing for benchmarks: total server time and SQL queries of each response.

On only when DJANGO_SERVER_TIMING is true (bench/ sets it); production leaves it off so
response headers say nothing about the internals.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connections
from django.http import HttpRequest, HttpResponse


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
