"""set_grade: every grade set or changed writes one RatingChange with its reason and user."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from supervision.choices import Grade
from supervision.models import CreditRating, RatingChange
from supervision.services import set_grade
from tests.dbstate import assert_refused, assert_refused_on
from tests.factories import CreditRatingFactory, FacilityFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def facility():
    return FacilityFactory(name="示例测试医院甲")


def test_it_creates_the_rating_and_one_change_from_nothing(facility, supervisor):
    change = set_grade(
        facility=facility,
        year=2024,
        grade=Grade.A,
        reason="  2024年度信用评价  ",
        user=supervisor,
        score=Decimal("953.50"),
        rated_on=D(2025, 3, 1),
        basis="《拉萨市医疗保障信用评价管理办法》",
    )
    rating = CreditRating.objects.get()
    assert (rating.facility, rating.year, rating.grade) == (facility, 2024, Grade.A)
    assert (rating.score, rating.rated_on) == (Decimal("953.50"), D(2025, 3, 1))
    assert rating.basis == "《拉萨市医疗保障信用评价管理办法》"
    assert list(RatingChange.objects.all()) == [change]
    change.refresh_from_db()
    assert (change.rating, change.from_grade, change.to_grade) == (rating, "", Grade.A)
    assert (change.reason, change.changed_by) == ("2024年度信用评价", supervisor)


def test_a_change_writes_from_and_to_with_its_reason_and_user(facility, supervisor):
    set_grade(facility=facility, year=2024, grade=Grade.B, reason="年度评价", user=supervisor)
    reviewer = UserFactory(username="reviewer")
    change = set_grade(
        facility=facility,
        year=2024,
        grade=Grade.D,
        reason="复核发现伪造单据",
        user=reviewer,
        confirm_downgrade=True,
    )
    assert CreditRating.objects.get().grade == Grade.D
    assert RatingChange.objects.count() == 2
    change.refresh_from_db()
    assert (change.from_grade, change.to_grade) == (Grade.B, Grade.D)
    assert (change.reason, change.changed_by) == ("复核发现伪造单据", reviewer)


def test_a_change_keeps_score_date_and_basis_it_was_not_given(facility, supervisor):
    # Unscored: a stored score would not fit the new grade's band (see test_grade_rules).
    CreditRatingFactory(
        facility=facility, year=2024, grade=Grade.B, rated_on=D(2025, 3, 1), basis="初评"
    )
    set_grade(facility=facility, year=2024, grade=Grade.C, reason="复核改判", user=supervisor)
    rating = CreditRating.objects.get()
    assert (rating.grade, rating.score, rating.basis) == (Grade.C, None, "初评")
    assert rating.rated_on == D(2025, 3, 1)


def test_none_clears_score_date_and_basis_in_the_same_history_row(facility, supervisor):
    CreditRatingFactory(
        facility=facility,
        year=2024,
        grade=Grade.B,
        score=Decimal("850"),
        rated_on=D(2025, 3, 1),
        basis="初评",
    )
    set_grade(
        facility=facility,
        year=2024,
        grade=Grade.C,
        reason="复核改判",
        user=supervisor,
        score=None,
        rated_on=None,
        basis=None,
    )
    rating = CreditRating.objects.get()
    assert (rating.grade, rating.score, rating.rated_on, rating.basis) == (Grade.C, None, None, "")
    latest, first = rating.history.order_by("-history_id")
    assert (latest.grade, latest.score, latest.history_change_reason) == (Grade.C, None, "复核改判")
    assert first.history_type == "+"


def test_each_year_gets_its_own_rating(facility, supervisor):
    set_grade(facility=facility, year=2023, grade=Grade.A, reason="年度评价", user=supervisor)
    set_grade(facility=facility, year=2024, grade=Grade.A, reason="年度评价", user=supervisor)
    assert sorted(CreditRating.objects.values_list("year", "grade")) == [
        (2023, Grade.A),
        (2024, Grade.A),
    ]
    assert list(RatingChange.objects.values_list("from_grade", flat=True)) == ["", ""]


def test_the_history_rows_carry_the_user_and_the_reason(facility, supervisor):
    set_grade(facility=facility, year=2024, grade=Grade.B, reason="年度评价", user=supervisor)
    set_grade(facility=facility, year=2024, grade=Grade.A, reason="异议成立", user=supervisor)
    rating_history = CreditRating.history.order_by("history_id")
    assert [(h.history_type, h.grade, h.history_change_reason) for h in rating_history] == [
        ("+", Grade.B, "年度评价"),
        ("~", Grade.A, "异议成立"),
    ]
    assert {h.history_user for h in rating_history} == {supervisor}
    change_history = RatingChange.history.order_by("history_id")
    assert [(h.to_grade, h.history_change_reason) for h in change_history] == [
        (Grade.B, "年度评价"),
        (Grade.A, "异议成立"),
    ]
    assert {h.history_user for h in change_history} == {supervisor}


def test_a_system_load_may_set_a_grade_without_a_user(facility):
    change = set_grade(facility=facility, year=2024, grade=Grade.C, reason="批量导入", user=None)
    assert change.changed_by is None
    assert CreditRating.history.get().history_user is None


@pytest.mark.parametrize("reason", ["", "   ", "\n\t "])
def test_it_refuses_a_grade_without_reason(facility, supervisor, reason):
    assert_refused(
        lambda: set_grade(
            facility=facility, year=2024, grade=Grade.A, reason=reason, user=supervisor
        ),
        {"reason": ["请填写评级调整原因。"]},
    )


@pytest.mark.parametrize("reason", ["", "  "])
def test_it_refuses_a_grade_change_without_reason(facility, supervisor, reason):
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.B)
    assert_refused(
        lambda: set_grade(
            facility=facility, year=2024, grade=Grade.A, reason=reason, user=supervisor
        ),
        {"reason": ["请填写评级调整原因。"]},
    )


@pytest.mark.parametrize("grade", Grade.values)
def test_it_refuses_to_change_a_grade_to_itself(facility, supervisor, grade):
    CreditRatingFactory(facility=facility, year=2024, grade=grade)
    assert_refused(
        lambda: set_grade(
            facility=facility, year=2024, grade=grade, reason="复核改判", user=supervisor
        ),
        {"grade": [f"示例测试医院甲 2024年度已是{grade}级，无需调整。"]},
    )


@pytest.mark.parametrize("grade", ["E", "a", "", "AA", "优"])
def test_it_refuses_a_grade_that_does_not_exist(facility, supervisor, grade):
    assert_refused(
        lambda: set_grade(
            facility=facility, year=2024, grade=grade, reason="年度评价", user=supervisor
        ),
        {"grade": ["信用等级只能是A、B、C或D。"]},
    )


def test_it_refuses_a_grade_for_a_year_that_has_not_begun(facility, supervisor):
    next_year = timezone.localdate().year + 1
    assert_refused(
        lambda: set_grade(
            facility=facility, year=next_year, grade=Grade.A, reason="年度评价", user=supervisor
        ),
        {"year": [f"不能评价尚未开始的年度（{next_year}）。"]},
    )


@pytest.mark.parametrize("year", [2017, 1999])
def test_it_refuses_a_grade_for_a_year_before_ratings_began(facility, supervisor, year):
    assert_refused_on(
        lambda: set_grade(
            facility=facility, year=year, grade=Grade.A, reason="年度评价", user=supervisor
        ),
        ["year"],
    )


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"score": Decimal("1000.01")}, "score"),
        ({"score": Decimal("-1")}, "score"),
        ({"rated_on": D(2023, 12, 31)}, "rated_on"),
    ],
)
def test_it_refuses_a_grade_with_an_invalid_score_or_date(facility, supervisor, extra, field):
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.B)
    assert_refused_on(
        lambda: set_grade(
            facility=facility, year=2024, grade=Grade.A, reason="年度评价", user=supervisor, **extra
        ),
        [field],
    )
