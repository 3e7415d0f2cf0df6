"""总览: the figures of the chosen year and of today, each linking to the list behind it."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supervision.choices import Grade, InspectionKind, ReferralStatus, SanctionKind
from supervision.models import GradeTally
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    RatingChangeFactory,
    ReferralFactory,
    SanctionFactory,
)

# Every test here uses the database, also those that take a persona by name: marked, they
# run with the other database tests, never on a database another test has flushed.
pytestmark = pytest.mark.django_db

PERSONA_STATUS = [
    ("inspector", 200),
    ("supervisor", 200),
    ("auditor", 200),
    ("superuser", 200),
    ("outsider", 403),
]


def today() -> datetime.date:
    return timezone.localdate()


def dashboard(client, **params):
    return client.get(reverse("dashboard"), params)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


@pytest.mark.parametrize(("persona", "status"), PERSONA_STATUS)
def test_each_persona_gets_the_expected_status_on_the_dashboard(client, request, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert dashboard(client).status_code == status


def rate(year: int, grades: dict[str, int]) -> None:
    for grade, n in grades.items():
        for _ in range(n):
            CreditRatingFactory(year=year, grade=grade)


def test_it_counts_the_grades_of_the_latest_rated_year_by_default(client, auditor):
    rate(2023, {"A": 1})
    rate(2024, {"A": 3, "B": 2, "D": 1})
    client.force_login(auditor)
    response = dashboard(client)
    assert response.context["year"] == 2024
    counts = {f.key: f.value for f in response.context["grades"]}
    assert counts == {"A": 3, "B": 2, "C": 0, "D": 1}
    assert response.context["grade_total"] == 6


def test_the_year_selector_shows_another_year(client, auditor):
    rate(2023, {"C": 2})
    rate(2024, {"A": 1})
    client.force_login(auditor)
    response = dashboard(client, year=2023)
    assert {f.key: f.value for f in response.context["grades"]}["C"] == 2
    html = response.content.decode()
    assert '<option value="2023" selected>2023年度</option>' in html
    assert '<option value="2024">2024年度</option>' in html


def test_a_malformed_year_falls_back_to_the_latest_rated_year(client, auditor):
    rate(2024, {"B": 1})
    client.force_login(auditor)
    for bad in ("abc", "1999", "-1", "2024'--"):
        assert dashboard(client, year=bad).context["year"] == 2024


def test_with_no_ratings_it_shows_last_year_and_says_so(client, auditor):
    # Last year: the next to be rated (a year is rated after it has ended).
    client.force_login(auditor)
    response = dashboard(client)
    assert response.context["year"] == today().year - 1
    assert "该年度尚无信用评价" in response.content.decode()


def test_the_grade_chart_is_server_drawn_svg_whose_bars_link_to_the_facility_list(client, auditor):
    rate(2024, {"A": 4, "B": 2})
    client.force_login(auditor)
    html = dashboard(client).content.decode()
    # The chart needs no script: the page's only one is the session notice, every page's.
    scripts = re.findall(r"<script[^>]*>", html)
    assert len(scripts) == 1 and "session.js" in scripts[0]
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.count("<rect") == 4
    assert 'class="bar-A"' in svg
    widths = dict(re.findall(r'class="bar-([A-D])"[^>]*width="(\d+)"', svg))
    assert int(widths["A"]) == 2 * int(widths["B"]) and widths["C"] == "0"
    assert f"{reverse('facility-list')}?year=2024&amp;grade=A" in svg


def test_each_grade_count_links_to_a_facility_list_of_that_many(client, auditor):
    rate(2024, {"A": 3, "B": 1})
    rate(2023, {"A": 2})
    client.force_login(auditor)
    for figure in dashboard(client).context["grades"]:
        listed = client.get(figure.url).context["paginator"].count
        assert listed == figure.value, figure


def suspend(facility, **days):
    return SanctionFactory(
        facility=facility,
        suspension=True,
        starts_on=today() - datetime.timedelta(days=days.get("since", 5)),
        ends_on=today() + datetime.timedelta(days=days.get("until", 20)),
    )


def test_it_counts_agreements_suspended_today_as_the_list_does(client, auditor):
    suspend(FacilityFactory(pharmacy=True))
    suspend(FacilityFactory(pharmacy=True))
    suspend(FacilityFactory(pharmacy=True), since=40, until=-1)  # over yesterday
    terminated = FacilityFactory()
    suspend(terminated)
    SanctionFactory(facility=terminated, termination=True, starts_on=today())
    client.force_login(auditor)
    figure = dashboard(client).context["suspended"]
    assert figure.value == 2
    assert query_of(figure.url) == {"agreement_status": ["suspended"]}
    assert client.get(figure.url).context["paginator"].count == 2


def test_it_counts_open_referrals_by_status(client, auditor):
    ReferralFactory()
    ReferralFactory(status=ReferralStatus.ACCEPTED, decided_on=datetime.date(2025, 4, 1))
    ReferralFactory(status=ReferralStatus.DECLINED, decided_on=datetime.date(2025, 4, 1))
    ReferralFactory(
        status=ReferralStatus.CLOSED,
        decided_on=datetime.date(2025, 4, 1),
        closed_on=datetime.date(2025, 5, 1),
    )
    client.force_login(auditor)
    referrals = dashboard(client).context["referrals"]
    assert referrals["total"] == 3
    assert query_of(referrals["url"]) == {"status": ["referred", "accepted", "declined"]}
    assert {f.key: f.value for f in referrals["by_status"]} == {
        "referred": 1,
        "accepted": 1,
        "declined": 1,
    }


def test_it_counts_this_months_inspections_by_kind_with_links(client, auditor):
    first = today().replace(day=1)
    InspectionFactory(start_date=first, kind=InspectionKind.UNANNOUNCED)
    InspectionFactory(start_date=today(), kind=InspectionKind.UNANNOUNCED)
    InspectionFactory(start_date=today(), kind=InspectionKind.ROUTINE)
    InspectionFactory(start_date=first - datetime.timedelta(days=1))  # last month
    client.force_login(auditor)
    inspections = dashboard(client).context["inspections"]
    assert inspections["total"] == 3
    counts = {f.key: f.value for f in inspections["by_kind"]}
    assert counts["unannounced"] == 2 and counts["routine"] == 1 and counts["joint"] == 0
    unannounced = next(f for f in inspections["by_kind"] if f.key == "unannounced")
    query = query_of(unannounced.url)
    assert query["kind"] == ["unannounced"]
    assert query["start_date_after"] == [first.isoformat()]
    assert query["start_date_before"][0].startswith(first.isoformat()[:8])


def test_it_sums_the_money_involved_and_recovered_in_the_year(client, auditor):
    rate(2024, {"B": 1})
    InspectionFactory(
        start_date=datetime.date(2024, 3, 1),
        amount_involved=Decimal("1200000.50"),
        amount_recovered=Decimal("300000.25"),
    )
    InspectionFactory(
        start_date=datetime.date(2024, 12, 31),
        amount_involved=Decimal("10"),
        amount_recovered=Decimal("10"),
    )
    InspectionFactory(start_date=datetime.date(2025, 1, 1), amount_involved=Decimal("999"))
    client.force_login(auditor)
    response = dashboard(client, year=2024)
    amounts = response.context["amounts"]
    assert amounts["involved"] == Decimal("1200010.50")
    assert amounts["recovered"] == Decimal("300010.25")
    assert query_of(amounts["url"]) == {
        "start_date_after": ["2024-01-01"],
        "start_date_before": ["2024-12-31"],
    }
    html = response.content.decode()
    assert "¥1,200,010.50" in html and "¥300,010.25" in html


def test_it_lists_the_years_sanctions_by_kind_with_amounts(client, auditor):
    SanctionFactory(fine=True, amount=Decimal("5000"), decided_on=datetime.date(2024, 6, 1))
    SanctionFactory(fine=True, amount=Decimal("2500.5"), decided_on=datetime.date(2024, 7, 1))
    SanctionFactory(decided_on=datetime.date(2024, 8, 1))  # a warning
    SanctionFactory(fine=True, decided_on=datetime.date(2023, 6, 1))
    client.force_login(auditor)
    response = dashboard(client, year=2024)
    rows = {row["kind"]: row for row in response.context["sanctions"]}
    assert rows[SanctionKind.FINE]["count"] == 2
    assert rows[SanctionKind.FINE]["amount"] == Decimal("7500.50")
    assert rows[SanctionKind.WARNING]["count"] == 1
    assert query_of(rows[SanctionKind.FINE]["url"]) == {
        "decided_on_after": ["2024-01-01"],
        "decided_on_before": ["2024-12-31"],
        "kind": ["fine"],
    }
    assert "¥7,500.50" in response.content.decode()


def test_it_shows_the_latest_rating_changes_and_sanctions(client, auditor, supervisor):
    facility = FacilityFactory(name="示例当雄卫生院")
    rating = CreditRatingFactory(facility=facility, grade=Grade.D)
    RatingChangeFactory(
        rating=rating, from_grade="B", reason="专项整治发现串换药品", changed_by=supervisor
    )
    SanctionFactory(facility=facility, decision_number="拉医保〔2025〕3号")
    client.force_login(auditor)
    html = dashboard(client).content.decode()
    changes = html[html.index('id="latest-changes"') : html.index('id="latest-sanctions"')]
    assert "示例当雄卫生院" in changes and "专项整治发现串换药品" in changes
    assert "supervisor" in changes and facility.get_absolute_url() in changes
    sanctions = html[html.index('id="latest-sanctions"') :]
    assert "拉医保〔2025〕3号" in sanctions and "约谈/责令改正" in sanctions


def test_every_figure_links_to_a_list(client, auditor):
    rate(2024, {"A": 1})
    client.force_login(auditor)
    html = dashboard(client).content.decode()
    for name in ("facility-list", "inspection-list", "referral-list", "sanction-list"):
        assert f'href="{reverse(name)}?' in html, name


def populate(n: int) -> None:
    for i in range(n):
        facility = FacilityFactory()
        rating = CreditRatingFactory(facility=facility, year=2024, grade="ABCD"[i % 4])
        RatingChangeFactory(rating=rating)
        suspend(facility)
        InspectionFactory(facility=facility, start_date=today(), amount_involved=Decimal(i))
        ReferralFactory(inspection__facility=facility)
        SanctionFactory(facility=facility, fine=True, decided_on=datetime.date(2024, 5, 1))


def queries_of_dashboard(client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert dashboard(client).status_code == 200
    return [q["sql"] for q in queries]


def test_the_dashboard_issues_the_same_queries_for_small_and_large_data(client, auditor):
    client.force_login(auditor)
    populate(1)
    small = queries_of_dashboard(client)
    populate(30)
    assert len(queries_of_dashboard(client)) == len(small)


def test_the_counts_by_grade_are_one_group_by_over_the_running_totals(client, auditor):
    rate(2024, {"A": 2, "B": 1, "C": 1, "D": 1})
    client.force_login(auditor)
    queries = queries_of_dashboard(client)
    # One for the counts; the other reads the rated years (the default year) from the totals.
    grade_queries = [sql for sql in queries if 'FROM "supervision_gradetally"' in sql]
    assert len(grade_queries) == 2
    assert len([sql for sql in grade_queries if "GROUP BY" in sql]) == 1
    # No figure counts the ratings or sums the inspections themselves.
    # (The handling of a year's grades counts sanctions, joined to the ratings they rest on.)
    assert not [
        sql for sql in queries if "COUNT(" in sql and 'FROM "supervision_creditrating"' in sql
    ]
    assert not [sql for sql in queries if "SUM(" in sql and '"supervision_inspection"' in sql]


def test_the_chart_groups_its_counts_by_thousands_like_the_table(client, auditor):
    rate(2024, {"A": 1})
    GradeTally.objects.filter(year=2024, grade="A").update(facilities=196_846)
    client.force_login(auditor)
    html = dashboard(client, year=2024).content.decode()
    chart = html[html.index('<figure class="chart">') : html.index("</figure>")]
    assert ">196,846</text>" in chart
    assert 'x="1,' not in chart and 'y="1,' not in chart  # coordinates stay plain numbers
