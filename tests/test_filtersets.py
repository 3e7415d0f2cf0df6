"""The shared FilterSets refuse input that would otherwise reach the database as an error."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.urls import reverse

from supervision import filtersets
from supervision.models import Facility, Inspection, Referral, Sanction

pytestmark = pytest.mark.django_db

HUGE = str(10**30)
FILTERSETS = [
    (filtersets.InspectionFilterSet, Inspection, "facility"),
    (filtersets.ReferralFilterSet, Referral, "facility"),
    (filtersets.ReferralFilterSet, Referral, "inspection"),
    (filtersets.SanctionFilterSet, Sanction, "facility"),
    (filtersets.RatingChangeFilterSet, None, "facility"),
    (filtersets.RatingChangeFilterSet, None, "changed_by"),
]


@pytest.mark.parametrize(("filterset", "model", "name"), FILTERSETS)
def test_an_id_no_table_can_hold_is_refused_with_a_message(filterset, model, name):
    queryset = (model or filterset._meta.model).objects.all()
    bound = filterset(QueryDict(f"{name}={HUGE}"), queryset=queryset)
    assert not bound.is_valid()
    assert name in bound.errors


@pytest.mark.parametrize("value", ["perhaps", "2", "tru"])
def test_a_yes_no_filter_refuses_anything_but_yes_or_no(value):
    bound = filtersets.SanctionFilterSet(
        QueryDict(f"in_force={value}"), queryset=Sanction.objects.all()
    )
    assert not bound.is_valid()
    assert "in_force" in bound.errors


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("false", False), ("", None)])
def test_a_yes_no_filter_reads_yes_no_and_nothing(value, expected):
    bound = filtersets.SanctionFilterSet(
        QueryDict(f"in_force={value}"), queryset=Sanction.objects.all()
    )
    assert bound.is_valid()
    assert bound.form.cleaned_data["in_force"] is expected


@pytest.mark.parametrize(
    "url", ["inspection-list", "referral-list", "sanction-list", "facility-list"]
)
@pytest.mark.parametrize("query", [f"facility={HUGE}", f"inspection={HUGE}", "in_force=perhaps"])
def test_list_pages_answer_bad_filters_with_a_message_not_a_server_error(
    client, auditor, url, query
):
    client.force_login(auditor)
    response = client.get(reverse(url) + "?" + query)
    assert response.status_code == 200
    assert Facility.objects.count() == 0  # nothing was written either
