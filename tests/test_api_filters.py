"""Every filter of every list endpoint: the same FilterSets as the pages, through the API.

One table of (endpoint, query, the records expected); a last test checks that the table names
every parameter of every FilterSet, so a filter added later cannot go untested.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from supervision.api.views import (
    CreditRatingViewSet,
    FacilityViewSet,
    InspectionViewSet,
    RatingChangeViewSet,
    ReferralViewSet,
    SanctionViewSet,
)
from supervision.choices import (
    Agency,
    District,
    FacilityKind,
    Grade,
    InspectionKind,
    InspectionStatus,
    Ownership,
    ReferralStatus,
    Violation,
    Zone,
)
from supervision.models import Facility
from tests.api import client_for
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    RatingChangeFactory,
    ReferralFactory,
    SanctionFactory,
    UserFactory,
    make_credit_code,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def data(db):
    """Four facilities and their records, each filter splitting them differently."""
    today = timezone.localdate()
    a = FacilityFactory(
        name="示例甲医院",
        kind=FacilityKind.HOSPITAL,
        ownership=Ownership.PUBLIC,
        district=District.CHENGGUAN,
        zone=Zone.HIGH_TECH,
        credit_code=make_credit_code(900_000_000 + 501),
        insurance_code="H54010277001",
        deposit=Decimal("300000.00"),
    )
    b = FacilityFactory(
        pharmacy=True,
        name="示例乙药店",
        district=District.DOILUNGDEQEN,
        insurance_code="P54010388001",
        deposit=Decimal("20000.00"),
    )
    c = FacilityFactory(
        clinic=True, name="示例丙诊所", district=District.DAGZE, insurance_code="H54010499001"
    )
    d = FacilityFactory(insurer=True, name="示例丁保险", district=District.CHENGGUAN)
    ratings = SimpleNamespace(
        a24=CreditRatingFactory(facility=a, year=2024, grade=Grade.A),
        a23=CreditRatingFactory(facility=a, year=2023, grade=Grade.C),
        b24=CreditRatingFactory(facility=b, year=2024, grade=Grade.D),
        d23=CreditRatingFactory(facility=d, year=2023, grade=Grade.B),
    )
    clerk = UserFactory(username="clerk")
    changes = SimpleNamespace(
        a24=RatingChangeFactory(
            rating=ratings.a24,
            to_grade=Grade.A,
            changed_by=clerk,
            changed_at=timezone.make_aware(datetime.datetime(2025, 1, 10, 9)),
        ),
        b24=RatingChangeFactory(
            rating=ratings.b24,
            to_grade=Grade.D,
            changed_at=timezone.make_aware(datetime.datetime(2025, 2, 10, 9)),
        ),
    )
    inspections = SimpleNamespace(
        a=InspectionFactory(
            facility=a, kind=InspectionKind.JOINT, completed=True, start_date=D(2025, 3, 1)
        ),
        b=InspectionFactory(
            facility=b,
            kind=InspectionKind.UNANNOUNCED,
            status=InspectionStatus.IN_PROGRESS,
            start_date=D(2025, 5, 1),
        ),
    )
    inspections.a.partner_agencies.set([Agency.POLICE])
    inspections.a.violations.set([Violation.FORGED_DELIVERY_NOTES])
    inspections.b.violations.set([Violation.OVERCHARGING])
    referrals = SimpleNamespace(
        police=ReferralFactory(
            inspection=inspections.a, agency=Agency.POLICE, referred_on=D(2025, 3, 5)
        ),
        market=ReferralFactory(
            inspection=inspections.a,
            agency=Agency.MARKET,
            referred_on=D(2025, 4, 5),
            status=ReferralStatus.ACCEPTED,
            decided_on=D(2025, 4, 20),
            case_number="SJ-1",
        ),
    )
    sanctions = SimpleNamespace(
        b_suspension=SanctionFactory(
            facility=b,
            suspension=True,
            rating=ratings.b24,  # decided on the 2024 D grade
            decided_on=today - datetime.timedelta(days=10),
            starts_on=today - datetime.timedelta(days=5),
            ends_on=today + datetime.timedelta(days=30),
        ),
        c_termination=SanctionFactory(
            facility=c,
            termination=True,
            decided_on=D(2025, 1, 2),
            starts_on=D(2025, 1, 3),
        ),
        a_fine=SanctionFactory(facility=a, fine=True, decided_on=D(2025, 3, 20)),
    )
    return SimpleNamespace(
        facilities=SimpleNamespace(a=a, b=b, c=c, d=d),
        ratings=ratings,
        changes=changes,
        inspections=inspections,
        referrals=referrals,
        sanctions=sanctions,
        clerk=clerk,
    )


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
