"""Counts are exact up to the cap; past it the list says so and, on PostgreSQL, estimates."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from supervision.models import Facility
from supervision.pagination import CappedCountPaginator, rounded
from tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"


@pytest.mark.parametrize(
    ("n", "shown"), [(7, 7), (42, 42), (999, 1_000), (24_443, 24_000), (1_250_399, 1_300_000)]
)
def test_an_estimate_is_rounded_to_two_significant_figures(n, shown):
    assert rounded(n) == shown


def analysed(count: int) -> None:
    FacilityFactory.create_batch(count)
    if POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE supervision_facility")


def test_a_count_within_the_cap_is_exact_and_has_no_estimate():
    analysed(5)
    paginator = CappedCountPaginator(Facility.objects.for_lists(), 2, cap=5)
    assert (paginator.count, paginator.capped, paginator.estimate) == (5, False, None)


@pytest.mark.skipif(not POSTGRES, reason="SQLite's planner gives no row estimate")
def test_past_the_cap_postgresql_estimates_the_whole_from_its_statistics():
    analysed(30)
    paginator = CappedCountPaginator(Facility.objects.for_lists(), 2, cap=10)
    assert (paginator.count, paginator.capped) == (10, True)
    assert paginator.estimate == 30


@pytest.mark.skipif(POSTGRES, reason="on PostgreSQL the planner estimates")
def test_past_the_cap_sqlite_says_only_more_than_the_cap():
    analysed(30)
    paginator = CappedCountPaginator(Facility.objects.for_lists(), 2, cap=10)
    assert (paginator.count, paginator.capped, paginator.estimate) == (10, True, None)


def test_the_list_page_labels_a_capped_count_and_its_estimate(client, auditor, monkeypatch):
    monkeypatch.setattr("supervision.pagination.COUNT_CAP", 10)
    monkeypatch.setattr("supervision.pagination.PAGES_AHEAD", 0)
    analysed(60)
    client.force_login(auditor)
    html = client.get(reverse("facility-list")).content.decode()
    # The cap is at least the rows up to the page asked for (50 a page).
    assert "超过 50 条" in html
    assert ("估计约 60 条" in html) is POSTGRES
