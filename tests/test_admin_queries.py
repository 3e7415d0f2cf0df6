"""Changelists cost the same number of queries for 1 row and for 30; code search finds."""

from __future__ import annotations

import itertools

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision.admin.base import CappedCountPaginator
from supervision.choices import Violation
from supervision.models import (
    CreditRating,
    Facility,
    Inspection,
    Inspector,
    PointsRecord,
    Practitioner,
    QualificationMeasure,
    RatingChange,
    Referral,
    Registration,
    Sanction,
)
from tests.admin_support import admin_url
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    RatingChangeFactory,
    ReferralFactory,
    SanctionFactory,
    _resident_id,
)
from tests.test_admin_practitioners import make_practitioner_file

pytestmark = pytest.mark.django_db


def rated_suspended_facility():
    facility = FacilityFactory()
    CreditRatingFactory(facility=facility)
    SanctionFactory(facility=facility, suspension=True)


def inspection_with_everything():
    inspection = InspectionFactory()
    inspection.violations.set([Violation.FALSE_CLAIMS, Violation.OVERCHARGING])
    inspection.partner_agencies.set(["police"])


_people = itertools.count()


def suspended_practitioner():
    """A person registered with a facility, with points and the suspension they gave."""
    make_practitioner_file(id_number=_resident_id(f"5401021960{next(_people):07d}"))


ROWS = [
    (Facility, rated_suspended_facility),
    (CreditRating, CreditRatingFactory),
    (RatingChange, RatingChangeFactory),
    (Inspection, inspection_with_everything),
    (Referral, ReferralFactory),
    (Sanction, SanctionFactory),
    (Inspector, InspectorFactory),
    (Practitioner, suspended_practitioner),
    (Registration, suspended_practitioner),
    (PointsRecord, suspended_practitioner),
    (QualificationMeasure, suspended_practitioner),
]


@pytest.mark.parametrize(("model", "make_row"), ROWS, ids=[m.__name__ for m, _ in ROWS])
def test_a_changelist_costs_the_same_queries_for_1_row_and_for_30(
    client, supervisor, django_assert_num_queries, model, make_row
):
    make_row()
    client.force_login(supervisor)
    url = admin_url(model, "changelist")
    client.get(url)  # warm the per-process caches (content types)
    with CaptureQueriesContext(connection) as one_row:
        assert len(client.get(url).context["cl"].result_list) == 1

    for _ in range(29):
        make_row()
    with django_assert_num_queries(len(one_row)):
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 30


def test_the_paginator_stops_counting_at_its_cap():
    FacilityFactory.create_batch(3)
    capped = CappedCountPaginator(Facility.objects.for_lists(), 1, cap=2)
    assert (capped.count, capped.capped) == (2, True)
    exact = CappedCountPaginator(Facility.objects.for_lists(), 1, cap=3)
    assert (exact.count, exact.capped) == (3, False)


def test_a_capped_facility_list_says_there_are_more(client, superuser, monkeypatch):
    FacilityFactory.create_batch(3)
    monkeypatch.setattr("supervision.pagination.COUNT_CAP", 1)
    monkeypatch.setattr("supervision.pagination.PAGES_AHEAD", 0)
    monkeypatch.setattr(admin.site._registry[Facility], "list_per_page", 1)
    client.force_login(superuser)
    response = client.get(admin_url(Facility, "changelist"))
    assert response.context["cl"].paginator.capped
    assert "超过 1 条" in response.content.decode()


@pytest.fixture
def registry():
    return {
        "hospital": FacilityFactory(name="示例测试医院甲"),
        "pharmacy": FacilityFactory(pharmacy=True, name="示例测试药店乙"),
    }


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        (lambda r: r["pharmacy"].credit_code, "pharmacy"),
        (lambda r: r["pharmacy"].credit_code.lower(), "pharmacy"),
        (lambda r: r["hospital"].insurance_code, "hospital"),
        (lambda r: r["pharmacy"].insurance_code[:6].lower(), "pharmacy"),
        (lambda r: "药店乙", "pharmacy"),
    ],
    ids=["credit-code", "credit-code-lowercase", "insurance-code", "insurance-prefix", "name"],
)
def test_the_facility_search_finds_by_code_and_by_name(client, superuser, registry, term, expected):
    client.force_login(superuser)
    response = client.get(admin_url(Facility, "changelist"), {"q": term(registry)})
    assert list(response.context["cl"].result_list) == [registry[expected]]


def test_the_sanction_search_finds_by_the_facility_credit_code(client, superuser):
    sanction = SanctionFactory()
    SanctionFactory()
    client.force_login(superuser)
    response = client.get(admin_url(Sanction, "changelist"), {"q": sanction.facility.credit_code})
    assert list(response.context["cl"].result_list) == [sanction]


def test_the_facility_autocomplete_finds_by_insurance_code(client, supervisor, registry):
    client.force_login(supervisor)
    response = client.get(
        "/admin/autocomplete/",
        {
            "term": registry["pharmacy"].insurance_code,
            "app_label": "supervision",
            "model_name": "sanction",
            "field_name": "facility",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["示例测试药店乙"]


def test_asking_for_facet_counts_adds_no_query(client, supervisor, django_assert_num_queries):
    rated_suspended_facility()
    client.force_login(supervisor)
    url = admin_url(Facility, "changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as plain:
        client.get(url)
    with django_assert_num_queries(len(plain)):
        client.get(url, {"_facets": "True"})
