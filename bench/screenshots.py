"""Pictures of the main staff pages at 1366×768 for a person to judge the design: not a check.

    .venv/bin/python bench/screenshots.py        # writes bench/out/screenshots/*.png

It builds a small data set in a throwaway test database, serves it with Django's live server and
takes the pictures with Playwright in the system Chromium (CHROMIUM_PATH, else `chromium` on the
PATH). It runs under pytest for the test suite's fixtures — the personas with their second factor
(tests/conftest.py), the roles and the browser settings (tests/browser/conftest.py) — but it is
not part of the suite. (The phone-sized pictures are taken by the small-screen tests:
SCREENSHOTS=1 .venv/bin/python -m pytest tests/browser/test_small_screens.py.)
"""

from __future__ import annotations

import datetime
import os
import sys
from decimal import Decimal
from pathlib import Path

import django
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT_DIR = ROOT / "bench" / "out" / "screenshots"


@pytest.fixture(autouse=True)
def _fail_fast(page) -> None:
    page.set_default_timeout(10_000)


def sign_in(page, live_server, user) -> None:
    """Give the browser a session of user that has passed the second factor too."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


@pytest.mark.django_db(transaction=True)
def test_screenshots_of_the_main_pages(page, live_server, supervisor) -> None:
    from django.utils import timezone
    from playwright.sync_api import expect

    from supervision.choices import FacilityKind, Grade
    from tests.factories import (
        CreditRatingFactory,
        FacilityFactory,
        InspectionFactory,
        InspectorFactory,
        RatingChangeFactory,
        ReferralFactory,
        SanctionFactory,
    )

    inspectors = [InspectorFactory(name="次仁多吉"), InspectorFactory(name="格桑卓玛")]
    facility = FacilityFactory(name="拉萨市城关区示例人民医院")
    for n, grade in enumerate([Grade.A, Grade.A, Grade.B, Grade.B, Grade.B, Grade.C, Grade.D]):
        other = FacilityFactory(pharmacy=n % 2 == 1)
        CreditRatingFactory(facility=other, year=2024, grade=grade)
    FacilityFactory(kind=FacilityKind.CLINIC, name="拉萨市堆龙德庆区示例诊所")
    rating = CreditRatingFactory(facility=facility, year=2024, grade=Grade.A)
    RatingChangeFactory(rating=rating)
    RatingChangeFactory(rating=rating, from_grade=Grade.A, to_grade=Grade.B, reason="复核下调")
    rating.grade = Grade.B
    rating.save()
    today = timezone.localdate()
    inspection = InspectionFactory(
        facility=facility,
        completed=True,
        start_date=today.replace(day=1),
        end_date=today.replace(day=1),
        amount_involved=Decimal("125000.00"),
        amount_recovered=Decimal("80000.00"),
        inspectors=inspectors,
    )
    ReferralFactory(inspection=inspection)
    SanctionFactory(facility=facility, fine=True, decided_on=datetime.date(2024, 6, 1))
    SanctionFactory(facility=facility, decision_number="拉医保罚〔2024〕12号")

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server, supervisor)
    shots = {
        "dashboard": "/",
        "facility-list": "/facilities/",
        "facility-detail": f"/facilities/{facility.pk}/",
        "inspection-form": f"/inspections/new/?facility={facility.pk}",
    }
    for name, path in shots.items():
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
    # The form with its messages, too.
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".field-errors").first).to_be_visible()
    page.screenshot(path=str(SCREENSHOT_DIR / "inspection-form-errors.png"), full_page=True)
    print(f"\nScreenshots in {SCREENSHOT_DIR}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    # The suite's fixture modules are loaded as plugins, before pytest-django would set Django up.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supervision.settings")
    django.setup()
    sys.exit(
        pytest.main(
            [
                __file__,
                f"--rootdir={ROOT}",
                # Playwright's fixtures first, so that the browser settings override them.
                "-p",
                "playwright",
                "-p",
                "tests.conftest",
                "-p",
                "tests.browser.conftest",
                "-p",
                "no:cacheprovider",
                "-n",
                "0",
                "-s",
                *sys.argv[1:],
            ]
        )
    )
