"""/api/schema/ and /api/docs/: the OpenAPI contract and Swagger UI, for signed-in users.

Apart from supervision.api.schema, which DRF imports while drf-spectacular's views are being
defined (DEFAULT_SCHEMA_CLASS): importing the views from there would be circular.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotAuthenticated


def _browser(request: HttpRequest) -> bool:
    """A person's browser opening the address (it asks for a page), not a program (JSON, */*)."""
    return "text/html" in request.headers.get("Accept", "")


class _SignInFirst:
    """A signed-out browser is sent to the sign-in page and back here; any other client gets
    the API's 401."""

    def handle_exception(self, exc: Exception) -> HttpResponseBase:
        request = self.request  # type: ignore[attr-defined]
        if isinstance(exc, NotAuthenticated) and _browser(request):
            return redirect_to_login(request.get_full_path())
        return super().handle_exception(exc)  # type: ignore[misc]


class SchemaView(_SignInFirst, SpectacularAPIView):
    """/api/schema/: the OpenAPI contract."""


class DocsView(_SignInFirst, SpectacularSwaggerSplitView):
    """/api/docs/: Swagger UI, from the app's own static files."""
