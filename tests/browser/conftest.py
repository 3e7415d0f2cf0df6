"""Browser tests: Playwright driving the system Chromium against live_server.

Where no Chromium is installed they skip with a message, except under CI=true, where a missing
browser fails the run (.ci/run installs it).
"""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from supervision.roles import LOOKUP_ROWS, ROLE_PERMISSIONS

HERE = Path(__file__).resolve().parent

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made by the
# test itself (setting up data, checking results) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _chromium_available() -> bool:
    return os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)


def _is_browser_test(item: pytest.Item) -> bool:
    return HERE in item.path.parents


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    # The browser tests run last. They are transactional: the flush after each one empties every
    # table, the roles and lookup rows of the data migration included. pytest-django sorts such
    # tests after the others, but pytest's own grouping by the session-scoped, parametrized
    # browser_name fixture may run after that sort and move them into the middle of the suite.
    browser = [item for item in items if _is_browser_test(item)]
    items[:] = [item for item in items if not _is_browser_test(item)] + browser

    if _chromium_available():
        return
    if os.environ.get("CI", "").lower() == "true":
        raise pytest.UsageError(
            f"CI=true but no Chromium at {CHROMIUM}: the browser tests must run in CI."
        )
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    for item in browser:
        item.add_marker(skip)


@pytest.fixture(autouse=True)
def _roles_and_lookups(transactional_db):
    """Put back what the data migrations wrote (the groups with their permissions, the lookup
    rows, the credit categories): the flush after the previous browser test removed them.

    Not serialized_rollback: once Playwright runs, its event loop makes Django's ORM in the test
    thread use another connection object than the one the test database was set up (and
    serialized) on, so the serialized copy is not found.
    """
    for model_name, codes in LOOKUP_ROWS.items():
        model = apps.get_model("supervision", model_name)
        for code in codes:
            model.objects.get_or_create(code=code)
    # The credit categories and their supervision measures (migration 0109).
    importlib.import_module(
        "supervision.migrations.0109_credit_categories_and_roles"
    ).add_categories(apps, None)
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="supervision", codename__in=codenames)
        )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1366, "height": 768}}
