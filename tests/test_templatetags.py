"""The shared template helpers (supervision_tags): money, dates, badges, sort links."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from supervision.templatetags.supervision_tags import cny, ymd, ymdhm


def render(source: str, **context) -> str:
    return Template("{% load supervision_tags %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1234567.8"), "¥1,234,567.80"),
        (Decimal("0"), "¥0.00"),
        (5, "¥5.00"),
        ("2500.555", "¥2,500.56"),
        (Decimal("-12.5"), "-¥12.50"),
        (None, "—"),
        ("", "—"),
        ("abc", "—"),
    ],
)
def test_cny_writes_yuan_with_separators_and_two_decimals(value, text):
    assert cny(value) == text


def test_dates_are_written_year_month_day_in_local_time():
    assert ymd(datetime.date(2025, 3, 9)) == "2025-03-09"
    late_utc = datetime.datetime(2025, 3, 9, 20, 30, tzinfo=datetime.UTC)  # 04:30 in Lhasa time
    assert ymd(late_utc) == "2025-03-10"
    assert ymdhm(late_utc) == "2025-03-10 04:30"
    assert ymd(None) == "—" and ymdhm(None) == "—"


def test_grade_badge_colours_by_grade_and_greys_out_no_grade():
    assert render("{% grade_badge 'D' 2024 %}") == (
        '<span class="grade grade-D" title="2024年度 D级">D</span>'
    )
    assert 'class="grade grade-none"' in render("{% grade_badge None %}")
    assert 'class="grade grade-none"' in render("{% grade_badge '<b>' %}")


def test_status_badge_finds_the_label_and_escapes_what_it_is_given():
    assert render("{% status_badge 'suspended' %}") == (
        '<span class="badge status-suspended">暂停</span>'
    )
    assert render("{% status_badge 'referred' %}").endswith(">已移送</span>")
    assert "&lt;i&gt;" in render("{% status_badge 'x' label %}", label="<i>")


def test_who_names_the_user_or_the_system(django_user_model, db):
    user = django_user_model(username="zhaxi", first_name="扎西", last_name="")
    assert render("{{ u|who }}", u=user) == "扎西"
    assert render("{{ u|who }}", u=django_user_model(username="dawa")) == "dawa"
    assert render("{{ u|who }}", u=None) == "系统"


def test_sort_link_toggles_the_direction_and_keeps_the_filter():
    request = RequestFactory().get("/facilities/", {"kind": "clinic", "page": "3"})
    html = render("{% sort_link 'name' '名称' %}", request=request)
    assert 'href="?kind=clinic&amp;ordering=name"' in html and 'class=""' in html
    request = RequestFactory().get("/facilities/", {"ordering": "name"})
    html = render("{% sort_link 'name' '名称' %}", request=request)
    assert 'href="?ordering=-name" class="sorted"' in html
    request = RequestFactory().get("/facilities/", {"ordering": "-name"})
    assert 'class="sorted desc"' in render("{% sort_link 'name' '名称' %}", request=request)
