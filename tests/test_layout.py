"""The frame of every page: tables that scroll in their own box, the phone menu, the link to
the API docs and the sign-in in front of them, and punctuation that follows the language.

How it looks at 390 px is checked in a browser: tests/browser/test_small_screens.py.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.pages import html_of, sign_in

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
APP_TEMPLATES = Path(settings.BASE_DIR) / "supervision" / "templates"
CODE = Path(settings.BASE_DIR) / "supervision"
PASSWORD = "correct-horse-battery-staple"  # tests.factories.UserFactory's
# Chinese punctuation that has an ASCII counterpart in English text.
FULL_WIDTH = re.compile(r"[（）：，。、；！？“”]")


def staff_templates() -> list[Path]:
    """The staff pages' templates (the admin's own are laid out by the admin)."""
    found = [*TEMPLATES.rglob("*.html"), *APP_TEMPLATES.rglob("*.html")]
    return sorted(p for p in found if "admin" not in p.relative_to(settings.BASE_DIR).parts)


def test_every_list_table_scrolls_in_its_own_box():
    """A table wider than a phone scrolls inside a .table-wrap, never the whole page."""
    bare = []
    for path in staff_templates():
        text = path.read_text()
        for match in re.finditer(r"<table\b", text):
            before = text[: match.start()].rstrip()
            if not before.endswith('<div class="table-wrap">'):
                line = text.count("\n", 0, match.start()) + 1
                bare.append(f"{path.relative_to(settings.BASE_DIR)}:{line}")
    assert bare == []


def test_the_menu_button_comes_before_the_navigation_and_the_tools(client, auditor):
    """The menu's open state shows what follows it (CSS sibling selectors, no script)."""
    client.force_login(auditor)
    html = html_of(client.get("/facilities/"))
    toggle = html.index('<details class="navtoggle')
    assert toggle < html.index('<nav class="mainnav"') < html.index('<div class="topbar-tools">')
    assert re.search(r'<details class="navtoggle[^"]*"><summary>菜单</summary></details>', html)


def test_a_signed_out_visitor_has_no_menu_button_but_the_language_switch(client):
    html = html_of(client.get("/accounts/login/"))
    assert "navtoggle" not in html
    assert 'class="langswitch"' in html


@pytest.mark.parametrize("persona", ["inspector", "supervisor", "auditor", "superuser"])
def test_the_user_menu_links_the_api_docs_for_every_role(client, request, persona):
    sign_in(client, request, persona)
    html = html_of(client.get("/"))
    panel = re.search(r'<div class="usermenu-panel">(.*?)</div>', html, re.S).group(1)
    assert '<a href="/api/docs/">API 文档</a>' in panel


def test_an_account_without_a_role_is_not_offered_the_api_docs(client, outsider):
    client.force_login(outsider)
    html = html_of(client.get("/accounts/password_change/"))
    assert "/api/docs/" not in html


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("url", ["/api/docs/", "/api/schema/"])
def test_a_signed_out_browser_is_sent_to_sign_in_and_back(client, auditor, url):
    response = client.get(url, HTTP_ACCEPT=BROWSER)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"

    login = client.get(response["Location"], HTTP_ACCEPT=BROWSER)
    assert f'value="{url}"' in html_of(login)  # the form carries where to go back to
    signed_in = client.post(
        "/accounts/login/", {"username": "auditor", "password": PASSWORD, "next": url}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == url
    assert client.get(url, HTTP_ACCEPT=BROWSER).status_code == 200


@pytest.mark.parametrize(
    ("url", "accept"),
    [
        ("/api/docs/", "*/*"),
        ("/api/schema/", "*/*"),
        ("/api/schema/", "application/json"),
        ("/api/schema/", "application/vnd.oai.openapi"),
    ],
)
def test_a_program_without_credentials_still_gets_401(client, url, accept):
    response = client.get(url, HTTP_ACCEPT=accept)
    assert response.status_code == 401


def _template_text_outside_translation(text: str) -> str:
    """The template with comments and every translated string taken out."""
    for pattern in (
        r"\{%\s*blocktranslate.*?%\}.*?\{%\s*endblocktranslate\s*%\}",
        r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}",
        r"\{#.*?#\}",
        r"\{%\s*translate\s+(\"[^\"]*\"|'[^']*').*?%\}",
        r"_\(\"[^\"]*\"\)|_\('[^']*'\)",
    ):
        text = re.sub(pattern, "", text, flags=re.S)
    return text


def test_templates_put_no_chinese_punctuation_into_english_pages():
    """Punctuation between values is translated ("%(label)s：%(text)s" reads "label: text")."""
    found = []
    for path in staff_templates():
        if path.name in ("500.html", "503.html"):  # static, in both languages side by side
            continue
        text = _template_text_outside_translation(path.read_text())
        found += [f"{path.name}: {m}" for m in FULL_WIDTH.findall(text)]
    assert found == []


_GETTEXT = {
    *("_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "gettext_noop"),
    *("ngettext", "ngettext_lazy", "npgettext", "npgettext_lazy"),
}


def _untranslated_punctuation(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if not FULL_WIDTH.search(node.value):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Expr):  # a docstring
            continue
        if isinstance(parent, ast.Call):
            name = getattr(parent.func, "id", None) or getattr(parent.func, "attr", None)
            if name in _GETTEXT:
                continue
        found.append(f"{path.relative_to(settings.BASE_DIR)}:{node.lineno} {node.value!r}")
    return found


def test_the_code_puts_no_chinese_punctuation_into_english_text():
    """Text built in Python joins values with supervision.formats.punctuation, not with （）：、."""
    skip = {"migrations", "management", "locale"}  # history, console output and demo data
    found = []
    for path in sorted(CODE.rglob("*.py")):
        if skip & set(path.relative_to(CODE).parts):
            continue
        found += _untranslated_punctuation(path)
    assert found == []


# --- date entry ------------------------------------------------------------------------------


def test_each_input_of_a_date_range_has_its_label(client, auditor):
    client.force_login(auditor)
    html = html_of(client.get("/inspections/"))
    for n, word in enumerate(["从", "至"]):
        assert f'<label for="id_start_date_{n}">{word}</label>' in html
        field = rf'<input type="date" name="start_date_\w+"[^>]* id="id_start_date_{n}">'
        assert re.search(field, html)
    assert re.search(r"<fieldset[^>]*>\s*<legend>开始日期</legend>", html)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("typed", ["03/10/2025", "10.03.2025", "2025/3/10"])
def test_a_date_range_refuses_what_its_message_does_not_name(client, auditor, language, typed):
    """The inputs are type=date (the browser sends 2025-03-10); typed by hand, a date is read in
    the one format the message names, in either language, not as the language's other formats
    (English would read 03/10/2025 as 10 March)."""
    client.force_login(auditor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = html_of(client.get("/inspections/", {"start_date_after": typed}))
    assert "YYYY-MM-DD" in html and "2025-03-10" in html
    assert 'aria-invalid="true" id="id_start_date_0"' in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_date_range_shows_and_reads_dates_as_yyyy_mm_dd(client, auditor, language):
    client.force_login(auditor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = html_of(client.get("/inspections/", {"start_date_after": "2025-03-10"}))
    assert 'value="2025-03-10"' in html
    assert "filter-errors" not in html and "aria-invalid" not in html


def test_the_api_refuses_a_date_not_written_as_yyyy_mm_dd(auditor):
    from tests.api import client_for

    response = client_for(auditor).get("/api/inspections/", {"start_date_after": "03/10/2025"})
    assert response.status_code == 400
    assert "YYYY-MM-DD" in str(response.json())
