"""A common search word is planned as a walk of the list's order, a rare one through the trigram
index (supervision.search.filter_by_terms); either way the same rows come back."""

from __future__ import annotations

import pytest
from django.db import connection

from supervision import search
from supervision.models import Facility
from supervision.pagination import CappedCountPaginator
from tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the sample is taken on PostgreSQL only"
)


@pytest.fixture
def registry(monkeypatch):
    """Sixty facilities, all named 示例…, three of them 格桑…; the table is sampled whole."""
    monkeypatch.setattr(search, "SAMPLE_FROM", 0)
    monkeypatch.setattr(search, "SAMPLE_ROWS", 10**9)
    monkeypatch.setattr(search, "COMMON_SHARE", 0.1)  # 示例: all of them; 格桑: 1 in 20
    search._shares.clear()
    facilities = [
        FacilityFactory(name=f"示例{'格桑' if n % 20 == 0 else '阳光'}药房{n:03d}")
        for n in range(60)
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE supervision_facility")  # reltuples, read by the sample
    yield facilities
    search._shares.clear()


def _unindexed(queryset) -> bool:
    """Whether the SQL compares or sorts by a concatenation (SQLite CONCAT, PostgreSQL ||)."""
    sql = str(queryset.query)
    return "CONCAT" in sql.upper() or "||" in sql


def _names(queryset) -> list[str]:
    return list(queryset.order_by("name", "id").values_list("name", flat=True))


@pytest.mark.parametrize("word", ["示例", "格桑", "阳光药房", "gesang", "sl", "没有这个词"])
def test_a_search_finds_the_same_facilities_however_it_is_planned(registry, word):
    terms = search.search_terms(word)
    planned = search.filter_by_terms(Facility.objects.all(), terms)
    assert _names(planned) == _names(Facility.objects.filter(search.terms_query(terms)))


@postgresql_only
def test_a_word_in_most_names_is_compared_outside_the_trigram_index(registry):
    planned = search.filter_by_terms(Facility.objects.all(), ["示例"])
    assert _unindexed(planned)
    assert planned.query.rows_estimate == 60


@postgresql_only
def test_a_rare_word_is_looked_up_in_the_trigram_index(registry):
    planned = search.filter_by_terms(Facility.objects.all(), ["格桑"])
    assert not _unindexed(planned)
    assert not hasattr(planned.query, "rows_estimate")
    assert planned.query.sort_matches  # and sorted without walking the name index:
    ordered = search.sorted_after_matching(planned)
    assert _unindexed(ordered)
    assert _names(ordered) == ["示例格桑药房000", "示例格桑药房020", "示例格桑药房040"]
    assert [f.name for f in ordered] == _names(ordered)


@postgresql_only
def test_a_capped_list_of_a_common_word_shows_the_samples_estimate(registry, monkeypatch):
    planned = search.filter_by_terms(Facility.objects.all(), ["示例"])
    paginator = CappedCountPaginator(planned.order_by("name", "id"), 10, cap=20)
    assert (paginator.count, paginator.capped, paginator.estimate) == (20, True, 60)


def test_without_postgresql_or_a_large_registry_no_sample_is_taken():
    """SQLite has no trigram index to choose against; a small registry is quick either way."""
    FacilityFactory(name="示例药房")
    search._shares.clear()
    assert search.facility_share(["示例"], "default") is None
    planned = search.filter_by_terms(Facility.objects.all(), ["示例"])
    assert not hasattr(planned.query, "rows_estimate")
