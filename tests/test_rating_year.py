"""The right year everywhere: a year is rated after it has ended, grade filters default to the
latest rated year (not a stray rating of this year), a chosen year's grades are what the list
shows, sorts and exports, and every figure of the overview says which year and date it counts."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supervision.choices import Grade
from supervision.models import CreditRating, RatingChange
from supervision.services import set_grade
from supervision.services.ratings import default_rating_year
from tests.api import client_for
from tests.dbstate import snapshot
from tests.factories import CreditRatingFactory, FacilityFactory, SanctionFactory
from tests.pages import html_of
from tests.test_admin_actions import CHANGELIST, action_post

pytestmark = pytest.mark.django_db


def this_year() -> int:
    return timezone.localdate().year


@pytest.fixture
def demo_like():
    """Six facilities rated D for 2024 (C for 2023), and one stray rating of this year: the
    situation in which the product used to switch to this year with one facility."""
    d_grades = []
    for n in range(6):
        facility = FacilityFactory(name=f"示例药店{n}", pharmacy=True)
        CreditRatingFactory(facility=facility, year=2023, grade=Grade.C)
        CreditRatingFactory(facility=facility, year=2024, grade=Grade.D)
        d_grades.append(facility)
    # Entered before the rule: the factory writes it as an old database would hold it.
    stray = CreditRatingFactory(facility=d_grades[0], year=this_year(), grade=Grade.C)
    return d_grades, stray


# --- a year is rated after it has ended ----------------------------------------------------


def test_the_service_refuses_a_rating_of_the_current_year_and_writes_nothing(supervisor):
    facility = FacilityFactory()
    before = snapshot()
    with pytest.raises(Exception) as exc:
        set_grade(
            facility=facility, year=this_year(), grade=Grade.A, reason="年度评价", user=supervisor
        )
    assert f"{this_year()}年度尚未结束" in " ".join(exc.value.message_dict["year"])
    assert snapshot() == before


def test_the_grade_form_refuses_the_current_year_with_a_chinese_message(client, supervisor):
    facility = FacilityFactory()
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("facility-grade", args=[facility.pk]),
        {"year": this_year(), "grade": "A", "reason": "年内提前评价"},
    )
    assert response.status_code == 200
    assert f"{this_year()}年度尚未结束，不能评价" in " ".join(
        response.context["form"].errors["year"]
    )
    assert snapshot() == before


def test_the_grade_form_offers_the_latest_ended_year_not_a_stray_rating_of_this_year(
    client, supervisor, demo_like
):
    d_grades, _stray = demo_like
    client.force_login(supervisor)
    response = client.get(reverse("facility-grade", args=[d_grades[1].pk]))
    assert response.context["form"].initial["year"] == 2024
    assert "年内因违规等调整等级时，调整最近已评价年度的评价" in html_of(response)


def test_a_grade_change_during_a_year_adjusts_the_latest_rated_year(client, supervisor):
    facility = FacilityFactory()
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.B)
    client.force_login(supervisor)
    response = client.post(
        reverse("facility-grade", args=[facility.pk]),
        {"year": 2024, "grade": "C", "reason": "年内专项检查发现串换药品"},
    )
    assert response.status_code == 302
    change = RatingChange.objects.get()
    assert (change.rating.year, change.from_grade, change.to_grade) == (2024, "B", "C")
    assert change.reason == "年内专项检查发现串换药品"


def test_the_api_refuses_a_rating_of_the_current_year_on_the_year(supervisor):
    facility = FacilityFactory()
    api = client_for(supervisor)
    for path, body in [
        (f"/api/facilities/{facility.pk}/grade/", {}),
        ("/api/ratings/", {"facility": facility.pk}),
    ]:
        response = api.post(
            path, {**body, "year": this_year(), "grade": "A", "reason": "年度评价"}, format="json"
        )
        assert response.status_code == 400, path
        assert f"{this_year()}年度尚未结束" in response.json()["year"][0]
    assert not CreditRating.objects.exists()


def test_the_admin_bulk_action_refuses_the_current_year(client, superuser):
    facilities = FacilityFactory.create_batch(2)
    client.force_login(superuser)
    data = action_post(
        "set_grade_for_year", facilities, year=this_year(), grade="B", reason="年度评价结果"
    )
    response = client.post(CHANGELIST, data)
    assert f"{this_year()}年度尚未结束" in response.content.decode()
    assert not CreditRating.objects.exists()


def test_the_admin_rating_form_refuses_the_current_year(client, superuser):
    facility = FacilityFactory()
    client.force_login(superuser)
    response = client.post(
        reverse("admin:supervision_creditrating_add"),
        {"facility": facility.pk, "year": this_year(), "grade": "A", "reason": "年度评价结果"},
    )
    assert response.status_code == 200
    assert f"{this_year()}年度尚未结束" in response.content.decode()
    assert not CreditRating.objects.exists()


# --- the default year ------------------------------------------------------------------------


def test_the_default_year_is_the_latest_ended_rated_year_in_one_query(
    demo_like, django_assert_num_queries
):
    with django_assert_num_queries(1) as captured:
        assert default_rating_year() == 2024
    assert 'FROM "supervision_gradetally"' in captured.captured_queries[0]["sql"]


def test_with_only_this_years_ratings_the_default_is_that_year():
    CreditRatingFactory(year=this_year())
    assert default_rating_year() == this_year()


def test_a_grade_filter_without_a_year_uses_the_latest_rated_year_and_says_so(
    client, auditor, demo_like
):
    d_grades, _stray = demo_like
    client.force_login(auditor)
    response = client.get(reverse("facility-list"), {"grade": "D"})
    assert {f.pk for f in response.context["object_list"]} == {f.pk for f in d_grades}
    html = html_of(response)
    assert "未选择评价年度：信用等级按最近评价年度（2024年度）筛选" in html
    assert "2024年度评级" in html


def test_the_api_grade_filter_without_a_year_uses_the_latest_rated_year(auditor, demo_like):
    d_grades, _stray = demo_like
    response = client_for(auditor).get("/api/facilities/", {"grade": "D"})
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {f.pk for f in d_grades}


def test_the_overview_defaults_to_the_latest_ended_rated_year(client, auditor, demo_like):
    client.force_login(auditor)
    response = client.get(reverse("dashboard"))
    assert response.context["year"] == 2024
    assert {f.key: f.value for f in response.context["grades"]}["D"] == 6
    assert "默认显示最近已评价的年度（2024年度）" in html_of(response)


# --- a chosen year's grades: column, sort, export --------------------------------------------


def test_with_a_year_the_grade_column_shows_that_years_grade_and_says_which_year(
    client, auditor, demo_like
):
    client.force_login(auditor)
    response = client.get(reverse("facility-list"), {"year": 2024, "grade": "D"})
    html = html_of(response)
    table = html[html.index('class="list facility-list"') : html.index("</table>")]
    assert "2024年度评级" in table and "当前等级" not in table
    assert table.count('class="grade grade-D"') == 6
    assert "grade-C" not in table
    assert "未选择评价年度" not in html  # a year was chosen


def test_without_a_year_or_grade_the_column_is_the_current_grade(client, auditor, demo_like):
    client.force_login(auditor)
    html = html_of(client.get(reverse("facility-list")))
    table = html[html.index('class="list facility-list"') : html.index("</table>")]
    assert "当前等级" in table


def test_sorting_by_grade_with_a_year_sorts_by_that_years_grade(client, auditor):
    a_then_d = FacilityFactory(name="示例甲")
    CreditRatingFactory(facility=a_then_d, year=2023, grade=Grade.A)
    CreditRatingFactory(facility=a_then_d, year=2024, grade=Grade.D)
    d_then_a = FacilityFactory(name="示例乙")
    CreditRatingFactory(facility=d_then_a, year=2023, grade=Grade.D)
    CreditRatingFactory(facility=d_then_a, year=2024, grade=Grade.A)
    client.force_login(auditor)
    for year, expected in [(2023, [a_then_d, d_then_a]), (2024, [d_then_a, a_then_d])]:
        response = client.get(reverse("facility-list"), {"year": year, "ordering": "current_grade"})
        assert list(response.context["object_list"]) == expected, year


def export_rows(client, fmt_params: dict) -> list[list[str]]:
    response = client.get(reverse("facility-list"), {**fmt_params, "export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_the_csv_export_gives_the_chosen_years_grade_and_year(client, auditor, demo_like):
    client.force_login(auditor)
    rows = export_rows(client, {"year": 2024, "grade": "D"})
    header, data = rows[0], rows[1:]
    grade_at, year_at = header.index("2024年度评级"), header.index("评价年度")
    assert len(data) == 6
    assert {(row[grade_at], row[year_at]) for row in data} == {("D", "2024")}


def test_the_csv_export_of_a_grade_filter_without_a_year_uses_the_default_year(
    client, auditor, demo_like
):
    client.force_login(auditor)
    rows = export_rows(client, {"grade": "D"})
    assert "2024年度评级" in rows[0]
    assert len(rows) == 7


def test_the_list_with_a_year_issues_the_same_queries_for_1_row_and_for_20(
    client, auditor, django_assert_num_queries
):
    def listed() -> None:
        facility = FacilityFactory()
        CreditRatingFactory(facility=facility, year=2023, grade=Grade.C)
        CreditRatingFactory(facility=facility, year=2024, grade=Grade.D)

    client.force_login(auditor)
    params = {"year": 2024, "grade": ["D"], "ordering": "-current_grade"}
    listed()
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("facility-list"), params)
    for _ in range(19):
        listed()
    with django_assert_num_queries(len(one)):
        response = client.get(reverse("facility-list"), params)
    assert len(response.context["object_list"]) == 20


# --- the overview says which year and date each figure counts --------------------------------


def test_the_overview_shows_the_handling_of_a_years_grades_with_their_decision_dates(
    client, auditor
):
    facility = FacilityFactory(pharmacy=True, name="示例暂停药店")
    rating = CreditRatingFactory(facility=facility, year=2024, grade=Grade.D)
    SanctionFactory(
        facility=facility,
        suspension=True,
        rating=rating,
        decided_on=datetime.date(2025, 3, 10),
        starts_on=datetime.date(2025, 3, 15),
        ends_on=datetime.date(2025, 5, 14),
    )
    client.force_login(auditor)
    response = client.get(reverse("dashboard"), {"year": 2024})
    html = html_of(response)
    block = html[html.index('id="handling-of-grades"') : html.index('id="sanctions-of-year"')]
    assert "2024年度评级结果的处理措施" in block
    assert "决定日期 2025-03-10 至 2025-03-10" in block
    assert "暂停医保服务协议" in block
    assert f"{reverse('sanction-list')}?rating_year=2024" in block
    decided = html[html.index('id="sanctions-of-year"') :]
    # Decided in 2025, so not among the measures decided within 2024, which says so.
    assert "2024年内决定的处理措施" in decided and "2024年内没有决定的处理措施" in decided
    assert "按决定日期" in decided


def test_the_overview_labels_every_figure_with_its_year_or_date(client, auditor, demo_like):
    client.force_login(auditor)
    html = html_of(client.get(reverse("dashboard"), {"year": 2024}))
    assert "评级年度" in html
    assert "2024年开始的检查及金额" in html and "按检查开始日期：2024-01-01 至 2024-12-31" in html
    assert "按决定日期" in html
    today = timezone.localdate().isoformat()
    assert f"截至{today}" in html
    # The ambiguous heading that mixed rating year and decision year is gone.
    assert "2024年度处理措施" not in html


def test_the_sanction_list_filters_by_the_rating_year_they_rest_on(client, auditor):
    on_2024 = SanctionFactory(
        facility=(f := FacilityFactory()),
        suspension=True,
        rating=CreditRatingFactory(facility=f, year=2024, grade=Grade.D),
        decided_on=datetime.date(2025, 3, 1),
        starts_on=datetime.date(2025, 3, 2),
        ends_on=datetime.date(2025, 4, 1),
    )
    SanctionFactory(fine=True, amount=Decimal("100"), decided_on=datetime.date(2024, 6, 1))
    client.force_login(auditor)
    response = client.get(reverse("sanction-list"), {"rating_year": 2024})
    assert [s.pk for s in response.context["object_list"]] == [on_2024.pk]


def test_the_api_sorts_by_the_chosen_years_grade_page_by_page(auditor):
    a_then_d = FacilityFactory(name="示例甲")
    CreditRatingFactory(facility=a_then_d, year=2023, grade=Grade.A)
    CreditRatingFactory(facility=a_then_d, year=2024, grade=Grade.D)
    d_then_a = FacilityFactory(name="示例乙")
    CreditRatingFactory(facility=d_then_a, year=2023, grade=Grade.D)
    CreditRatingFactory(facility=d_then_a, year=2024, grade=Grade.A)
    api = client_for(auditor)
    params = {"year": 2024, "ordering": "current_grade", "page_size": 1}
    first = api.get("/api/facilities/", params).json()
    second = api.get(first["next"]).json()
    assert [first["results"][0]["id"], second["results"][0]["id"]] == [d_then_a.pk, a_then_d.pk]
