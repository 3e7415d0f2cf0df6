"""WSGI entry point (gunicorn: `make serve`)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supervision.settings")
application = get_wsgi_application()

# Import every view now (the URL configuration) rather than on the first request, then hide all
# that was loaded from the cyclic garbage collector: it lives as long as the process, and a full
# collection walking it took about 50 ms inside whichever request set it off (bench/RESULTS.md).
# Collections now walk only what requests create.
get_resolver().url_patterns  # noqa: B018 (loads the URL configuration)
gc.freeze()
