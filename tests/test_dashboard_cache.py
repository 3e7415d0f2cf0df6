"""The dashboard's figures over a whole year are computed once per DASHBOARD_CACHE_SECONDS."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import CreditRatingFactory


@pytest.fixture
def cached(settings):
    settings.DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def grade_counts(client, **params) -> tuple[list[int], list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("dashboard"), params)
    assert response.status_code == 200
    counts = [figure.value for figure in response.context["grades"]]
    grade_sql = [
        q["sql"]
        for q in queries
        if "GROUP BY" in q["sql"] and "supervision_creditrating" in q["sql"]
    ]
    return counts, grade_sql


def test_the_second_view_of_the_dashboard_reuses_the_grade_counts(client, auditor, cached):
    for grade in "AAB":
        CreditRatingFactory(year=2024, grade=grade)
    client.force_login(auditor)
    first, first_sql = grade_counts(client)
    second, second_sql = grade_counts(client)
    assert first == second == [2, 1, 0, 0]
    assert len(first_sql) == 1
    assert second_sql == []


def test_figures_of_another_year_are_not_taken_for_the_cached_ones(client, auditor, cached):
    CreditRatingFactory(year=2024, grade="A")
    CreditRatingFactory(year=2023, grade="D")
    client.force_login(auditor)
    assert grade_counts(client, year=2024)[0] == [1, 0, 0, 0]
    assert grade_counts(client, year=2023)[0] == [0, 0, 0, 1]


def test_with_no_cache_time_every_view_counts_afresh(client, auditor, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    CreditRatingFactory(year=2024, grade="A")
    client.force_login(auditor)
    assert grade_counts(client)[0] == [1, 0, 0, 0]
    CreditRatingFactory(year=2024, grade="C")
    counts, sql = grade_counts(client)
    assert counts == [1, 0, 1, 0]
    assert len(sql) == 1
