"""What every request pays before and after its view: each middleware's own time, in-process.

    .venv/bin/python bench/overhead.py [N]            # N requests of each (default 300)

The production settings (DEBUG off) on an SQLite database made for the run, with the demo
accounts' roles. A marker is put between every two middlewares; a middleware's own time is what
passes between its marker and the next one's on the way in, plus the same on the way out, so
the view's time is no one's. Three requests: /healthz (no session), a signed-in staff page that
does nearly nothing (the session keep-alive), and the facility list. Prints p50 in
microseconds per middleware, the total of the chain and the whole request.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 300

_database = Path(tempfile.mkdtemp(prefix="overhead-")) / "db.sqlite3"
os.environ.update(
    DJANGO_SETTINGS_MODULE="supervision.settings",
    DJANGO_DEBUG="false",
    DJANGO_SECRET_KEY="overhead-bench-" + "x" * 40,
    DJANGO_ALLOWED_HOSTS="testserver",
    DATABASE_URL=f"sqlite:///{_database}",
)
os.environ.pop("DJANGO_SERVER_TIMING", None)

# The settings name the markers as bench.overhead.MarkN: this very module, however it was started.
sys.modules.setdefault("bench.overhead", sys.modules[__name__])

# One sample per request: marker index -> [in time, out time].
_stamps: dict[int, list[float]] = {}


class Mark:
    index = 0

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _stamps[self.index] = [time.perf_counter(), 0.0]
        response = self.get_response(request)
        _stamps[self.index][1] = time.perf_counter()
        return response


def _markers(middleware: list[str]) -> list[str]:
    """middleware with a marker before each one and one after the last."""
    chain = []
    for index in range(len(middleware) + 1):
        name = f"Mark{index}"
        globals()[name] = type(name, (Mark,), {"index": index})
        chain.append(f"bench.overhead.{name}")
        if index < len(middleware):
            chain.append(middleware[index])
    return chain


def main() -> None:
    import django
    from django.conf import settings

    names = list(settings.MIDDLEWARE)
    settings.MIDDLEWARE = _markers(names)
    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("overhead-auditor", password="x" * 16, is_staff=True)
    user.groups.set([Group.objects.get(name="auditor")])
    client = Client()
    client.force_login(user)
    anonymous = Client()
    pages = [
        ("/healthz", anonymous, "/healthz"),
        ("signed-in, session keep-alive", client, "/accounts/keepalive/"),
        ("signed-in, facility list", client, "/facilities/"),
    ]
    for label, who, url in pages:
        own: dict[str, list[float]] = defaultdict(list)
        totals, chain = [], []
        method = who.post if "keep-alive" in label else who.get
        for i in range(N + 20):
            _stamps.clear()
            started = time.perf_counter()
            response = method(url, secure=True)
            total = time.perf_counter() - started
            assert response.status_code < 400, (url, response.status_code)
            if i < 20:
                continue  # warm-up
            for index, name in enumerate(names):
                here, after = _stamps[index], _stamps.get(index + 1)
                if after is None:  # answered by this middleware itself
                    own[name].append(here[1] - here[0])
                    continue
                own[name].append((after[0] - here[0]) + (here[1] - after[1]))
            last = _stamps.get(len(names))
            view = (last[1] - last[0]) if last else 0.0
            totals.append(total)
            chain.append(_stamps[0][1] - _stamps[0][0] - view)
        print(
            f"\n{label} ({url}): request p50 {statistics.median(totals) * 1e3:.2f} ms, "
            f"middleware p50 {statistics.median(chain) * 1e3:.2f} ms"
        )
        for name in names:
            if own[name]:
                print(f"  {statistics.median(own[name]) * 1e6:8.0f} µs  {name}")


if __name__ == "__main__":
    main()
