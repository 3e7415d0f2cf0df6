"""Every filter of every list endpoint: the same FilterSets as the pages, through the API.

One table of (endpoint, query, the records expected); a last test checks that the table names
every parameter of every FilterSet, so a filter added later cannot go untested.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

from supervision.api.views import (
    CreditRatingViewSet,
    FacilityViewSet,
    InspectionViewSet,
    RatingChangeViewSet,
    ReferralViewSet,
    SanctionViewSet,
)
from supervision.models import Facility
from tests.api import client_for

pytestmark = pytest.mark.django_db

D = datetime.date


def _ids(group: SimpleNamespace, names: str) -> list[int]:
    return [getattr(group, n).pk for n in names.split()] if names else []


# endpoint: (url, group of records in data, {query: expected names, in order when "ordering"}).
# A query value may be a function of data, for ids.
CASES = {
    "facilities": {
        "q=甲": "a",
        "q=乙药": "b",
        "q={facilities.a.credit_code}": "a",
        "q={facilities.a.credit_code_lower}": "a",
        "q=P5401038": "b",
        "kind=pharmacy&kind=clinic": "b c",
        "kind=insurer": "d",
        "ownership=public": "a",
        "district=540102": "a d",
        "district=540103&district=540104": "b c",
        "zone=540171": "a",
        "grade=A": "a",
        "grade=D&year=2024": "b",
        "grade=C&year=2023": "a",
        "grade=B&grade=C&year=2023": "a d",
        "year=2023": "a b c d",
        "agreement_status=suspended": "b",
        "agreement_status=terminated": "c",
        "agreement_status=active": "a d",
        "district=540103&grade=D&year=2024&agreement_status=suspended": "b",
        "ordering=name": "d c b a",
        "ordering=-deposit": "a c b d",
        "ordering=kind": "c a d b",
        "ordering=district,name": "d a b c",
        "ordering=-created_at": "d c b a",
        "ordering=current_grade": "c a d b",
        "ordering=-current_grade": "b d a c",
    },
    "ratings": {
        "facility={facilities.a.pk}": "a24 a23",
        "year=2023": "a23 d23",
        "grade=D": "b24",
        "year=2024&grade=A&grade=D": "b24 a24",
        "kind=insurer": "d23",
        "district=540102": "a24 a23 d23",
        "q=乙药店": "b24",
        "ordering=grade": "a24 d23 a23 b24",
        "ordering=year,facility": "d23 a23 b24 a24",
        "ordering=-facility": "a23 a24 b24 d23",
    },
    "rating-changes": {
        "rating={ratings.a24.pk}": "a24",
        "facility={facilities.b.pk}": "b24",
        "year=2024": "b24 a24",
        "to_grade=D": "b24",
        "changed_by={clerk.pk}": "a24",
        "changed_after=2025-02-01": "b24",
        "changed_before=2025-02-01": "a24",
        "q=甲": "a24",
    },
    "inspections": {
        "facility={facilities.b.pk}": "b",
        "kind=joint": "a",
        "status=in_progress": "b",
        "status=completed&status=in_progress": "b a",
        "start_date_after=2025-04-01": "b",
        "start_date_before=2025-04-01": "a",
        "agency=police": "a",
        "violation=overcharging": "b",
        "district=540103": "b",
        "q=甲医院": "a",
        # The auditor asking registered nothing (tests/test_my_filters.py: whose records are).
        "mine=true": "",
        "mine=false": "a b",
        "ordering=start_date": "a b",
        "ordering=facility": "b a",
        "ordering=-kind": "b a",
    },
    "referrals": {
        "inspection={inspections.a.pk}": "market police",
        "facility={facilities.a.pk}": "market police",
        "facility={facilities.b.pk}": "",
        "agency=market": "market",
        "status=accepted": "market",
        "referred_on_after=2025-04-01": "market",
        "referred_on_before=2025-04-01": "police",
        "q=甲": "market police",
        "mine=true": "",
        "mine=false": "market police",
        "ordering=referred_on": "police market",
        "ordering=-status": "police market",
    },
    "sanctions": {
        "facility={facilities.c.pk}": "c_termination",
        "kind=fine&kind=termination": "a_fine c_termination",
        "decided_on_after=2025-02-01&decided_on_before=2025-12-31": "a_fine",
        "in_force=true": "b_suspension",
        "in_force=false": "a_fine c_termination",
        "rating_year=2024": "b_suspension",
        "district=540104": "c_termination",
        "q=丙": "c_termination",
        "mine=true": "",
        "mine=false": "a_fine b_suspension c_termination",
        "ordering=decided_on": "c_termination a_fine b_suspension",
        "ordering=facility": "c_termination b_suspension a_fine",
        "ordering=-kind": "c_termination b_suspension a_fine",
    },
}
GROUPS = {
    "facilities": "facilities",
    "ratings": "ratings",
    "rating-changes": "changes",
    "inspections": "inspections",
    "referrals": "referrals",
    "sanctions": "sanctions",
}


class _Formatting(SimpleNamespace):
    pass


def _query(template: str, data: SimpleNamespace) -> str:
    facilities = _Formatting(**vars(data.facilities))
    facilities.a.credit_code_lower = facilities.a.credit_code.lower()
    return template.format(**{**vars(data), "facilities": facilities})


@pytest.mark.parametrize(
    ("endpoint", "query"), [(e, q) for e, queries in CASES.items() for q in queries]
)
def test_a_filter_selects_its_records(data, auditor, endpoint, query):
    response = client_for(auditor).get(f"/api/{endpoint}/?{_query(query, data)}")
    assert response.status_code == 200, response.json()
    found = [row["id"] for row in response.json()["results"]]
    expected = _ids(getattr(data, GROUPS[endpoint]), CASES[endpoint][query])
    if "ordering=" in query:
        assert found == expected
    else:
        assert sorted(found) == sorted(expected)


def test_the_issue_s_example_finds_the_suspended_d_grade_pharmacy(data, auditor):
    response = client_for(auditor).get(
        "/api/facilities/?district=540103&grade=D&year=2024&agreement_status=suspended"
    )
    assert [f["name"] for f in response.json()["results"]] == ["示例乙药店"]
    assert Facility.objects.count() == 4


@pytest.mark.parametrize(
    ("endpoint", "query"),
    [
        ("facilities", "kind=castle"),
        ("facilities", "year=1999&grade=A"),
        ("facilities", "ordering=secret"),
        ("ratings", "grade=E"),
        ("ratings", "year=abc"),
        ("rating-changes", "changed_after=2025-13-01"),
        ("inspections", "status=done"),
        ("referrals", "agency=army"),
        ("sanctions", "in_force=perhaps"),
        ("facilities", "q=" + "长" * 101),
    ],
)
def test_an_invalid_filter_value_is_a_400_naming_the_parameter(auditor, endpoint, query):
    response = client_for(auditor).get(f"/api/{endpoint}/?{query}")
    assert response.status_code == 400
    parameter = query.split("=")[0]
    # A date range reports on the range (changed_after → changed).
    assert parameter.removesuffix("_after") in response.json()


VIEWSETS = {
    "facilities": FacilityViewSet,
    "ratings": CreditRatingViewSet,
    "rating-changes": RatingChangeViewSet,
    "inspections": InspectionViewSet,
    "referrals": ReferralViewSet,
    "sanctions": SanctionViewSet,
}


@pytest.mark.parametrize("endpoint", list(VIEWSETS))
def test_every_parameter_of_the_filterset_is_tested(endpoint):
    filterset = VIEWSETS[endpoint].filterset_class
    parameters = set()
    for name, filter_ in filterset.base_filters.items():
        if filter_.__class__.__name__ == "DateFromToRangeFilter":
            parameters |= {f"{name}_after", f"{name}_before"}
        else:
            parameters.add(name)
    tested = {part.split("=")[0] for query in CASES[endpoint] for part in query.split("&")}
    assert parameters <= tested, f"untested filters: {sorted(parameters - tested)}"
