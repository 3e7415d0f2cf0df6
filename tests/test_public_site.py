"""How the public pages are served (supervision.public.middleware): none of the staff middleware,
no cookie, strict headers on every response, GET and HEAD only, a rate limit per client, and a
cache that a publication replaces at once."""

from __future__ import annotations

import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from supervision.public import cache as public_cache
from supervision.services import publication
from tests.factories import FacilityFactory, SanctionFactory
from tests.test_public_pages import ROUTES, body_of, build_world, public_url

pytestmark = pytest.mark.django_db

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


@pytest.fixture(autouse=True)
def _fresh_public_cache():
    cache.clear()
    public_cache.forget_edition()
    yield
    cache.clear()
    public_cache.forget_edition()


@pytest.fixture
def world(db):
    return build_world()


def _all_responses(client, world):
    """Every route in both languages, a 404, a 405 and a redirect."""
    for namespace in ("public", "public_en"):
        for name in ROUTES:
            yield f"{namespace}:{name}", client.get(public_url(world, name, namespace))
    yield "404", client.get("/public/no-such-page/")
    yield "404 record", client.get("/public/en/typical-cases/999999/")
    yield "405", client.post(reverse("public:grades"))
    yield "301", client.get("/public/grades")


def test_every_public_response_has_the_strict_headers(client, world):
    for label, response in _all_responses(client, world):
        assert response["Content-Security-Policy"] == CSP, label
        assert response["X-Content-Type-Options"] == "nosniff", label
        assert response["Referrer-Policy"] == "same-origin", label
        assert response["X-Frame-Options"] == "DENY", label
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", label
        assert "camera=()" in response["Permissions-Policy"], label
        assert response["Cache-Control"] == "public, max-age=60", label
        body_of(response)


def test_no_public_response_sets_a_cookie_or_varies_by_cookie_even_for_a_signed_in_browser(
    client, world, supervisor
):
    """A supervisor who has not passed the second factor would be sent to it on any staff page:
    the public pages do not even look at the session."""
    client.force_login(supervisor)
    session = client.session
    del session[DEVICE_ID_SESSION_KEY]  # signed in, second factor not passed
    session.save()
    assert client.get(reverse("dashboard")).status_code == 302
    for label, response in _all_responses(client, world):
        assert not response.cookies, label
        assert "Set-Cookie" not in response, label
        assert "Cookie" not in response.get("Vary", ""), label
        assert response.status_code != 302 or label == "301", label
        assert "supervisor" not in body_of(response), label


def test_the_pages_have_no_inline_script_or_style_and_no_external_asset(client, world):
    for namespace in ("public", "public_en"):
        for name in ROUTES:
            if name.endswith("-csv"):
                continue
            html = body_of(client.get(public_url(world, name, namespace)))
            assert "<script" not in html and "<style" not in html and " style=" not in html
            assert "http://" not in html and "https://" not in html
            assert "/static/public/public.css" in html


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_other_methods_than_get_and_head_are_refused(client, world, method):
    response = getattr(client, method)(reverse("public:grades"))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_head_answers_like_get_without_a_body(client, world):
    response = client.head(reverse("public:grades"))
    assert response.status_code == 200
    assert response.content == b""


def test_an_unknown_page_is_the_public_404_in_the_language_of_its_path(client, world):
    chinese = client.get("/public/nothing-here/")
    english = client.get("/public/en/nothing-here/")
    assert chinese.status_code == english.status_code == 404
    assert '<html lang="zh-Hans">' in body_of(chinese) and "页面不存在" in body_of(chinese)
    assert '<html lang="en">' in body_of(english)
    assert 'href="/public/en/grades/"' in body_of(english)
    assert "skip-link" in body_of(english)


def test_a_path_without_its_slash_is_redirected_to_it(client, world):
    response = client.get("/public/en/grades", {"district": "540102"})
    assert response.status_code == 301
    assert response["Location"] == "/public/en/grades/?district=540102"


# --- The cache ----------------------------------------------------------------------------------


def test_a_cached_page_costs_one_query_the_edition(
    client, world, settings, django_assert_num_queries
):
    settings.PUBLIC_EDITION_TTL = 0
    url = reverse("public:grades")
    first = client.get(url)
    with django_assert_num_queries(1):
        again = client.get(url)
    assert again.content == first.content
    assert again["Content-Language"] == "zh-hans"


def test_within_the_edition_memo_a_cached_page_costs_no_query(
    client, world, settings, django_assert_num_queries
):
    settings.PUBLIC_EDITION_TTL = 60
    url = reverse("public_en:plans")
    client.get(url)
    with django_assert_num_queries(0):
        assert client.get(url).status_code == 200


def test_a_publication_shows_on_the_next_request_after_the_edition_moves_on(
    client, world, settings
):
    settings.PUBLIC_EDITION_TTL = 0
    url = reverse("public:sanctions")
    assert "拉医保暂〔2026〕9号" not in body_of(client.get(url))
    today = timezone.localdate()
    sanction = SanctionFactory(
        termination=True,
        facility=FacilityFactory(name="示例新解除协议医院"),
        starts_on=today,
        decision_number="拉医保暂〔2026〕9号",
        legal_basis="《医疗保障基金使用监督管理条例》",
    )
    # Written behind the service's back: the cached page stands.
    type(sanction).objects.filter(pk=sanction.pk).update(published_on=today)
    assert "拉医保暂〔2026〕9号" not in body_of(client.get(url))
    publication.bump_edition()
    assert "拉医保暂〔2026〕9号" in body_of(client.get(url))


def test_the_publication_service_moves_the_edition_on(client, world, settings, supervisor):
    settings.PUBLIC_EDITION_TTL = 0
    url = reverse("public_en:sanctions")
    client.get(url)
    sanction = SanctionFactory(
        termination=True,
        facility=FacilityFactory(name="示例经服务公开医院"),
        starts_on=timezone.localdate() - datetime.timedelta(days=1),
        legal_basis="《医疗保障基金使用监督管理条例》",
    )
    publication.publish_sanction(sanction, user=supervisor)
    assert "示例经服务公开医院" in body_of(client.get(url))


def test_each_language_and_query_string_is_cached_apart(client, world, settings):
    settings.PUBLIC_EDITION_TTL = 0
    chinese = client.get(reverse("public:grades"))
    english = client.get(reverse("public_en:grades"))
    filtered = client.get(reverse("public:grades"), {"grade": "D"})
    assert '<html lang="en">' in body_of(english) and '<html lang="zh-Hans">' in body_of(chinese)
    assert [r.facility.name for r in filtered.context["object_list"]] == ["示例公开丁医院"]


def test_downloads_and_errors_are_not_cached(client, world, settings):
    settings.PUBLIC_EDITION_TTL = 0
    url = reverse("public:grades-csv")
    body_of(client.get(url))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.streaming
        body_of(response)
    assert len(queries) > 1
    client.get("/public/typical-cases/999999/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/public/typical-cases/999999/").status_code == 404
    assert len(queries) > 1


# --- The rate limit -----------------------------------------------------------------------------


def test_a_client_past_the_rate_limit_is_refused_with_retry_after_in_the_pages_language(
    client, world, settings
):
    settings.PUBLIC_RATE_LIMIT = "3/m"
    url = reverse("public_en:grades")
    for _ in range(3):
        assert client.get(url).status_code == 200
    refused = client.get(url)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert '<html lang="en">' in body_of(refused)
    assert refused["Cache-Control"] == "no-store"
    assert refused["Content-Security-Policy"] == CSP
    assert not refused.cookies
    # Another address still gets in; the staff pages are not limited by it.
    assert client.get(url, REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get(reverse("login")).status_code == 200


def test_the_rate_limit_counts_cache_hits_and_refusals_cost_no_query(
    client, world, settings, django_assert_num_queries
):
    settings.PUBLIC_RATE_LIMIT = "2/m"
    url = reverse("public:home")
    client.get(url)
    client.get(url)
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.status_code == 429
    assert "请求过于频繁" in body_of(response)


def test_a_host_that_is_not_allowed_is_refused_as_the_staff_pages_refuse_it(client, world):
    response = client.get(reverse("public:grades"), HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Security-Policy"] == CSP


def test_an_error_inside_a_page_is_a_500_with_the_strict_headers_and_no_cookie(world, monkeypatch):
    from django.test import Client

    from supervision.public import published

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(published, "hotlines", broken)
    response = Client(raise_request_exception=False).get(reverse("public:hotlines"))
    assert response.status_code == 500
    assert response["Content-Security-Policy"] == CSP
    assert not response.cookies
    assert "boom" not in body_of(response)


# --- Accessible, printable, readable on a phone -------------------------------------------------

CSS = Path(settings.BASE_DIR) / "supervision" / "static" / "public" / "public.css"


class _Structure(HTMLParser):
    """The inputs and their labels, the tables and their captions and headers of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[str] = []
        self.labels: set[str] = set()
        self.tables = 0
        self.captions = 0
        self.headers_without_scope = 0
        self.headers = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("input", "select", "textarea") and attributes.get("type") != "hidden":
            self.inputs.append(attributes.get("id") or "")
        elif tag == "label":
            self.labels.add(attributes.get("for") or "")
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "th":
            self.headers += 1
            self.headers_without_scope += attributes.get("scope") not in ("col", "row")


@pytest.mark.parametrize("name", [n for n in ROUTES if not n.endswith("-csv")])
def test_every_input_has_its_label_and_every_table_its_caption_and_scoped_headers(
    client, world, name
):
    for namespace in ("public", "public_en"):
        page = _Structure()
        page.feed(body_of(client.get(public_url(world, name, namespace))))
        assert all(page.inputs) and set(page.inputs) <= page.labels, name
        assert page.captions == page.tables, name
        assert page.headers_without_scope == 0, name
    if name == "grades":
        assert len(page.inputs) == 5


def test_the_stylesheet_prints_the_content_without_navigation_or_forms_and_fits_a_phone():
    css = CSS.read_text()
    paper = css[css.index("@media print") :]
    for hidden in (".site-nav", ".filters", "form", ".pagination", ".downloads", ".langlink"):
        assert hidden in paper.split("display: none")[0], hidden
    assert "@media (max-width: 640px)" in css
    assert ":focus-visible" in css
    assert "url(" not in css and "@import" not in css  # nothing loaded from elsewhere


def test_the_pages_are_scaled_for_a_phone(client, world):
    html = body_of(client.get(reverse("public:grades")))
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
