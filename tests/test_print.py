"""A record page on paper: a header saying what was printed, by whom and when, and none of the
screen's controls (the browser check with print media is in tests/browser/test_small_screens.py).
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tests.factories import FacilityFactory, InspectionFactory, ReferralFactory, SanctionFactory
from tests.pages import html_of

pytestmark = pytest.mark.django_db

CSS = Path(settings.BASE_DIR) / "supervision" / "static" / "supervision" / "app.css"


def print_header(html: str) -> str:
    match = re.search(r'<div class="print-header"[^>]*>(.*?)</div>', html, re.S)
    assert match, "no print header"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


@pytest.fixture
def records(db):
    facility = FacilityFactory(name="示例拉萨城关区人民医院")
    inspection = InspectionFactory(facility=facility)
    return {
        "facility": (f"/facilities/{facility.pk}/", facility.name),
        "inspection": (f"/inspections/{inspection.pk}/", facility.name),
        "referral": (
            f"/referrals/{ReferralFactory(inspection=inspection).pk}/",
            facility.name,
        ),
        "sanction": (
            f"/sanctions/{SanctionFactory(facility=facility, fine=True).pk}/",
            facility.name,
        ),
    }


@pytest.mark.parametrize("kind", ["facility", "inspection", "referral", "sanction"])
def test_a_record_page_has_a_print_header_with_bureau_title_printer_and_time(
    client, auditor, records, kind
):
    auditor.first_name, auditor.last_name = "央金", "卓玛"
    auditor.save()
    client.force_login(auditor)
    url, title = records[kind]
    before = timezone.localtime()
    header = print_header(html_of(client.get(url)))
    after = timezone.localtime()
    assert header.startswith("拉萨市医疗保障局")
    assert title in header
    printed = re.search(r"打印人：(.+?) 打印时间：(\d{4}-\d\d-\d\d \d\d:\d\d)$", header)
    assert printed, header
    assert printed.group(1) == auditor.get_full_name()
    at = datetime.datetime.strptime(printed.group(2), "%Y-%m-%d %H:%M")
    assert before.replace(second=0, microsecond=0, tzinfo=None) <= at <= after.replace(tzinfo=None)


def test_an_account_without_a_full_name_is_named_by_its_username(client, inspector, records):
    client.force_login(inspector)
    header = print_header(html_of(client.get(records["inspection"][0])))
    assert "打印人：inspector 打印时间：" in header


def test_a_signed_out_page_has_no_print_header(client):
    assert "print-header" not in html_of(client.get("/accounts/login/"))


def _rules(css: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(selector, declarations) outside any @media, and inside @media print."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    screen, paper = [], []
    pos = 0
    for media in re.finditer(r"@media([^{]*)\{((?:[^{}]*\{[^{}]*\})*)\s*\}", css):
        screen += re.findall(r"([^{}]+)\{([^{}]*)\}", css[pos : media.start()])
        if "print" in media.group(1):
            paper += re.findall(r"([^{}]+)\{([^{}]*)\}", media.group(2))
        pos = media.end()
    screen += re.findall(r"([^{}]+)\{([^{}]*)\}", css[pos:])
    return screen, paper


def _hidden(rules: list[tuple[str, str]]) -> set[str]:
    return {
        selector.strip()
        for selectors, body in rules
        if re.search(r"display:\s*none", body)
        for selector in selectors.split(",")
    }


def test_on_paper_the_navigation_forms_buttons_language_switch_and_footer_are_hidden():
    _screen, paper = _rules(CSS.read_text())
    hidden = _hidden(paper)
    for control in ["form", "button", ".button", ".mainnav", ".langswitch", ".footer", ".topbar"]:
        assert control in hidden, control


def test_the_print_header_shows_on_paper_only():
    screen, paper = _rules(CSS.read_text())
    assert ".print-header" in _hidden(screen)
    shown = [body for sel, body in paper if ".print-header" in {s.strip() for s in sel.split(",")}]
    assert any(re.search(r"display:\s*block", body) for body in shown)


def test_the_upload_form_of_a_record_page_is_a_form_and_so_not_printed(client, supervisor, records):
    client.force_login(supervisor)
    html = html_of(client.get(records["inspection"][0]))
    upload = re.search(r'<form[^>]*enctype="multipart/form-data"', html)
    assert upload, "the evidence upload is a <form> (hidden on paper by the form rule)"
