"""Every visible string is translatable, and the English catalog is complete and compiled."""

from __future__ import annotations

import datetime
import gettext
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models as models_
from django.template import Context, Template
from django.test import TestCase
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format, number_format

from supervision.models import Assessment, Facility, Inspection, Referral, Sanction
from tests.factories import (
    CreditRatingFactory,
    RectificationFactory,
    TipExtensionFactory,
    TipReporterFactory,
    TipRewardFactory,
)

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "supervision" / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
CJK = re.compile(r"[\u3400-\u9fff]")  # ideographs; full-width punctuation may frame a value
# Template text that is translated, commented out, or a template variable/tag.
_TRANSLATED = re.compile(
    r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}"
    r"|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}"
    r"|{#.*?#}"
    r"|{%.*?%}"
    r"|{{.*?}}",
    re.DOTALL,
)
# The 500 and 503 pages render without the translation machinery, so they carry both languages.
UNTRANSLATED_BY_DESIGN = {"500.html", "503.html"}


@pytest.fixture(autouse=True)
def _back_to_the_default_language():
    """LocaleMiddleware leaves the request's language active in the thread: reset it."""
    yield
    translation.deactivate()


def _templates() -> list[Path]:
    return sorted(
        p for p in (ROOT / "templates").rglob("*.html") if p.name not in UNTRANSLATED_BY_DESIGN
    )


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_have_no_chinese_text_outside_translation_tags(template):
    text = _TRANSLATED.sub("", template.read_text(encoding="utf-8"))
    leftovers = [line.strip() for line in text.splitlines() if CJK.search(line)]
    assert leftovers == []


def _catalog():
    with PO.open("rb") as handle:
        return read_po(handle, locale="en")


def test_the_english_catalog_translates_every_message():
    catalog = _catalog()
    missing = [
        m.id
        for m in catalog
        if m.id and not (m.string if isinstance(m.string, str) else all(m.string))
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert missing == []
    assert fuzzy == []


def test_the_compiled_catalog_matches_the_po_file(tmp_path):
    compiled = tmp_path / "django.mo"
    with compiled.open("wb") as handle:
        write_mo(handle, _catalog())
    with compiled.open("rb") as fresh, MO.open("rb") as committed:
        assert (
            gettext.GNUTranslations(fresh)._catalog == gettext.GNUTranslations(committed)._catalog
        )


def test_english_is_served_when_chosen():
    with translation.override("en"):
        assert translation.gettext("检查") != "检查"
    with translation.override("zh-hans"):
        assert translation.gettext("检查") == "检查"


# --------------------------------------------------------------------------------------------
# The English pages, rendered with the 2024 demo data.
#
# Data (facility names, addresses, decision numbers, findings…) is Chinese by nature, so every
# text and label of a page is checked after removing the data values stored in the database:
# whatever Chinese is left came from our code. The language switcher names 简体中文 in its own
# language (lang="zh-hans") and is left out.


class _PageText(HTMLParser):
    """Visible text pieces of a page and the texts of its labelling attributes."""

    SKIP = {"script", "style"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
    LABELS = ("title", "aria-label", "placeholder", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden: skipped or in another language)
        self.pieces: list[str] = []

    def _hidden(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = (attrs.get("lang") or "").lower()
        hidden = self._hidden() or tag in self.SKIP or (lang != "" and not lang.startswith("en"))
        if not hidden:
            self.pieces += [attrs[a] for a in self.LABELS if attrs.get(a)]
            if tag == "input" and attrs.get("type") in {"submit", "button"} and attrs.get("value"):
                self.pieces.append(attrs["value"])
        if tag not in self.VOID:
            self.stack.append((tag, hidden))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self._hidden() and data.strip():
            self.pieces.append(data.strip())


def _data_values() -> list[str]:
    """Every Chinese text value stored in the database: the data a page may show."""
    values: set[str] = set()
    models = [*apps.get_app_config("supervision").get_models(), get_user_model()]
    for model in models:
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, (models_.CharField, models_.TextField)) and not f.choices
        ]
        if not names:
            continue
        for row in model._base_manager.order_by().values_list(*names):
            values.update(v.strip() for v in row if v and CJK.search(v))
    return sorted(values, key=len, reverse=True)


def _chinese_from_code(html: str, data: list[str], pattern: re.Pattern) -> list[str]:
    parser = _PageText()
    parser.feed(html)
    leftovers = []
    for piece in parser.pieces:
        if not CJK.search(piece):
            continue
        rest = pattern.sub(" ", piece)
        if not CJK.search(rest):
            continue
        # A long value cut short for a list (truncatechars): a piece of one stored value.
        cut = piece.rstrip("…").strip()
        if len(cut) >= 8 and any(cut in value for value in data):
            continue
        leftovers.append(piece)
    return leftovers


# Chinese words of the interface that must never reach an English page.
UI_WORDS = ["总览", "机构", "检查", "移送", "处理措施", "搜索", "导出", "信用等级"]
NAV = [
    "My work",
    "Overview",
    "Facilities",
    "Inspections",
    "Referrals",
    "Sanctions",
    "Practitioner",
    "Random checks",
    "Typical cases",
    "Tips",
    "Credit rating",
    "Reports",
    "Audit",
]


class EnglishPagesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("loaddata", "lhasa_2024", verbosity=0)
        cls.user = get_user_model().objects.create_superuser(
            "i18n-admin", password="correct-horse-battery-staple"
        )
        cls.facility = (
            Facility.objects.filter(inspections__isnull=False, sanctions__isnull=False)
            .order_by("pk")
            .first()
        )
        cls.inspection = Inspection.objects.filter(referrals__isnull=False).order_by("pk").first()
        cls.referral = Referral.objects.order_by("pk").first()
        cls.sanction = Sanction.objects.filter(rating__isnull=False).order_by("pk").first()
        # A tip with its reporter, extension and reward: every section of its page.
        cls.tip = TipRewardFactory(
            approved=True,
            tip__facility=cls.inspection.facility,
            tip__inspection=cls.inspection,
            decided_by=cls.user,
        ).tip
        TipReporterFactory(tip=cls.tip)
        TipExtensionFactory(tip=cls.tip, granted_on=cls.tip.decided_on)
        cls.assessment = Assessment.objects.select_related("cycle").order_by("pk").first()
        # Rectification orders (责令整改): an inspection to order, and an order with its steps.
        completed = Inspection.objects.filter(
            status="completed", amount_involved__gt=0, rectification__isnull=True
        ).order_by("pk")
        cls.orderable = completed.first()
        cls.rectification = RectificationFactory(inspection=completed.last())
        cls.data = _data_values()
        cls.pattern = re.compile("|".join(re.escape(v) for v in cls.data))

    def setUp(self):
        self.client.force_login(self.user)
        response = self.client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        assert response.status_code == 302
        assert self.client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    def pages(self) -> list[str]:
        return [
            "/",
            "/facilities/",
            self.facility.get_absolute_url(),
            "/inspections/",
            # Filtered: the chips, "clear filters" and the count.
            f"/inspections/?facility={self.facility.pk}&status=completed",
            # A wrong filter: the error messages.
            "/facilities/?grade=Q&year=x",
            "/inspections/new/",
            self.inspection.get_absolute_url(),
            "/referrals/",
            self.referral.get_absolute_url(),
            "/sanctions/",
            "/sanctions/new/",
            f"/sanctions/new/?facility={self.facility.pk}",
            self.sanction.get_absolute_url(),
            "/admin/",
            "/admin/supervision/facility/",
            f"/admin/supervision/facility/{self.facility.pk}/change/",
            "/admin/supervision/creditrating/",
            "/tips/",
            "/tips/?clock=overdue&status=received",
            "/tips/new/",
            self.tip.get_absolute_url(),
            f"/tips/{self.tip.pk}/reply/",
            "/tips/rewards/",
            "/admin/supervision/tip/",
            "/admin/supervision/calendaryear/add/",
            # Credit management: the 2024 cycles of the fixture.
            "/credit/",
            "/credit/open/",
            self.assessment.cycle.get_absolute_url(),
            self.assessment.get_absolute_url(),
            f"/credit/systems/{self.assessment.cycle.system_id}/",
            "/credit/objections/",
            "/credit/repairs/",
            "/credit/plan/",
            "/credit/subjects/institutions/",
            "/credit/subjects/insured/",
            "/admin/supervision/indicatorsystem/",
            "/audit/",
            # A wrong filter: the error messages.
            "/audit/?since=2025-04-01&until=2025-03-01",
            f"/rectifications/new/?inspection={self.orderable.pk}",
            self.rectification.get_absolute_url(),
            f"/rectifications/{self.rectification.pk}/report/",
            f"/rectifications/{self.rectification.pk}/follow-up/",
        ]

    def get(self, url: str) -> str:
        response = self.client.get(url)
        assert response.status_code == 200, url
        return response.content.decode()

    def test_the_fixture_gives_the_pages_chinese_data_to_show(self):
        # Otherwise the checks below would pass for want of anything Chinese on the pages.
        assert self.facility and self.inspection and self.referral and self.sanction
        assert len(self.data) > 300
        assert self.facility.name in self.get(self.facility.get_absolute_url())

    def test_no_chinese_is_left_on_the_english_pages_but_the_data(self):
        found = {}
        for url in self.pages():
            html = self.get(url)
            assert '<html lang="en"' in html or url.startswith("/admin/"), url
            leftovers = _chinese_from_code(html, self.data, self.pattern)
            if leftovers:
                found[url] = leftovers
        assert found == {}

    def test_the_interface_words_appear_in_english_only(self):
        for url in self.pages():
            parser = _PageText()
            parser.feed(self.get(url))
            text = self.pattern.sub(" ", "\n".join(parser.pieces))
            assert [w for w in UI_WORDS if w in text] == [], url

    def test_the_chrome_of_the_staff_pages_is_english(self):
        for url in self.pages():
            if url.startswith("/admin/"):
                continue
            html = self.get(url)
            nav = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', html, re.S)
            assert nav, url
            assert re.findall(r"<a [^>]*>([^<]+)</a>", nav.group(1)) == NAV, url
            assert "Lhasa Medical Security Bureau" in html and "Sign out" in html, url

    def test_the_headings_filters_and_table_headers_are_english(self):
        expected = {
            "/facilities/": [
                "<h1>Designated facilities</h1>",
                ">Search<",
                ">Facility type<",
                ">Credit grade<",
                ">Agreement status<",
                ">Filter<",
                ">Insurance facility code<",
                ">Deposit<",
                "¥",
            ],
            "/inspections/": [
                "<h1>Inspections</h1>",
                ">Inspection type<",
                ">Partner agencies<",
                ">Inspected facility<",
                ">Inspectors<",
                ">Amount involved<",
                ">Unannounced inspection<",
                ">Random inspection<",
            ],
            "/referrals/": ["<h1>Referrals</h1>", ">Referred to<", ">Case number<", ">Police<"],
            "/sanctions/": ["<h1>Sanctions</h1>", ">Sanction type<", ">Decision number<"],
            "/sanctions/new/": [">Sanction type<", ">Agreement suspension<", ">Fund recovery<"],
            "/inspections/new/": [">Inspected facility<", ">Inspection type<", ">Save<"],
            self.facility.get_absolute_url(): [
                ">Unified social credit code<",
                ">Credit ratings<",
                ">Inspections<",
                ">Sanctions<",
                ">Timeline<",
                ">Designated facilities<",
            ],
            "/": ['aria-label="Key figures"', ">Recent grade changes<", ">Recent sanctions<"],
        }
        missing = {}
        for url, needles in expected.items():
            html = self.get(url)
            absent = [n for n in needles if n not in html]
            if absent:
                missing[url] = absent
        assert missing == {}

    def test_the_same_page_in_chinese_is_chinese(self):
        self.client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
        html = self.get("/facilities/")
        assert '<html lang="zh-hans"' in html
        assert ">总览<" in html and ">搜索<" in html and "Designated facilities" not in html


# --------------------------------------------------------------------------------------------
# Numbers, dates and money. Chinese figures are grouped by thousands with commas (Django's own
# zh_Hans format groups nothing; supervision/formats/zh_Hans overrides it); dates are Chinese
# style or YYYY-MM-DD; money is ¥ with two decimals in either language. A year or a record
# number is never grouped.


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_numbers_are_grouped_by_thousands(language):
    with translation.override(language):
        assert number_format(Decimal("1234567.5"), 2) == "1,234,567.50"
        assert Template("{{ n }}").render(Context({"n": 12345})) == "12,345"
        assert Template("{% load humanize %}{{ n|intcomma }}").render(Context({"n": 1234})) == (
            "1,234"
        )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_money_is_yuan_with_two_decimals(language):
    with translation.override(language):
        assert Template("{% load supervision_tags %}{{ v|cny }}").render(
            Context({"v": Decimal("1234567.8")})
        ) == ("¥1,234,567.80")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_years_and_record_numbers_are_not_grouped(language):
    template = Template(
        "{% load i18n l10n %}{{ y|unlocalize }}|"
        "{% blocktranslate with n=pk|unlocalize %}检查 #{{ n }}{% endblocktranslate %}"
    )
    with translation.override(language):
        text = template.render(Context({"y": 2024, "pk": 12345}))
    assert text.startswith("2024|") and text.endswith("#12345")


def test_chinese_dates_are_chinese_style_and_forms_take_and_write_iso_dates():
    day = datetime.date(2025, 3, 10)
    with translation.override("zh-hans"):
        assert date_format(day) == "2025年3月10日"
        assert Template("{% load supervision_tags %}{{ d|ymd }}").render(Context({"d": day})) == (
            "2025-03-10"
        )
        field = forms.DateField()
        for typed in ["2025-03-10", "2025/03/10", "2025年3月10日"]:
            assert field.clean(typed) == day, typed
        # A text date field writes its value back in the first input format.
        assert 'value="2025-03-10"' in forms.DateInput().render("d", day)


def test_the_admin_shows_a_rating_year_without_a_separator(admin_client, db):
    rating = CreditRatingFactory(year=2024)
    for language in ["zh-hans", "en"]:
        admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        listing = admin_client.get(reverse("admin:supervision_creditrating_changelist"))
        change = admin_client.get(
            reverse("admin:supervision_creditrating_change", args=[rating.pk])
        )
        for response in (listing, change):
            html = response.content.decode()
            assert ">2024<" in html and "2,024" not in html, language
