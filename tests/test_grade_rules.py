"""Grade changes that make sense on every path (service, page, API, admin, bulk action): the score
fits the grade's band, the reason says something, a downgrade to D is confirmed."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from supervision.choices import Grade
from supervision.models import CreditRating, RatingChange
from supervision.models.rating import score_fits_grade
from supervision.services import set_grade
from supervision.services.ratings import grade_problems
from tests.admin_support import admin_url, change_form_data
from tests.api import client_for
from tests.dbstate import snapshot
from tests.factories import CreditRatingFactory, FacilityFactory
from tests.test_admin_actions import CHANGELIST, action_post

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "lhasa_2024.json"
REASON = "飞行检查发现串换药品"

BANDS = [
    ("A", "900", True),
    ("A", "1000", True),
    ("A", "899.99", False),
    ("B", "750", True),
    ("B", "899.99", True),
    ("B", "900", False),
    ("B", "749.99", False),
    ("C", "600", True),
    ("C", "749.99", True),
    ("C", "750", False),
    ("C", "599.5", False),
    ("D", "0", True),
    ("D", "599.99", True),
    ("D", "600", False),
]


# --- the score band ----------------------------------------------------------------------------


@pytest.mark.parametrize(("grade", "score", "fits"), BANDS)
def test_the_service_takes_a_score_only_within_its_grades_band(supervisor, grade, score, fits):
    facility = FacilityFactory()
    call = lambda: set_grade(  # noqa: E731
        facility=facility,
        year=2024,
        grade=grade,
        reason=REASON,
        user=supervisor,
        score=Decimal(score),
    )
    if fits:
        call()
        assert CreditRating.objects.get().score == Decimal(score)
    else:
        before = snapshot()
        with pytest.raises(ValidationError) as exc:
            call()
        assert list(exc.value.message_dict) == ["score"]
        assert "分数段" in exc.value.message_dict["score"][0]
        assert snapshot() == before


@pytest.mark.parametrize(("grade", "score", "fits"), BANDS)
def test_the_database_refuses_a_score_outside_its_grades_band(grade, score, fits):
    rating = CreditRatingFactory(grade=grade)
    update = lambda: CreditRating.objects.filter(pk=rating.pk).update(score=Decimal(score))  # noqa: E731
    if fits:
        update()
    else:
        with pytest.raises(IntegrityError), transaction.atomic():
            update()


def test_no_score_fits_every_grade():
    for grade in Grade.values:
        CreditRatingFactory(grade=grade, score=None)
    assert CreditRating.objects.count() == 4


def test_a_change_with_a_stored_score_of_the_old_grade_asks_for_a_new_score_or_none(supervisor):
    rating = CreditRatingFactory(year=2024, grade=Grade.B, score=Decimal("850"))
    facility = rating.facility
    with pytest.raises(ValidationError) as exc:
        set_grade(facility=facility, year=2024, grade=Grade.C, reason=REASON, user=supervisor)
    assert "原得分850" in exc.value.message_dict["score"][0]
    set_grade(
        facility=facility,
        year=2024,
        grade=Grade.C,
        reason=REASON,
        user=supervisor,
        score=Decimal("700"),
    )
    rating.refresh_from_db()
    assert (rating.grade, rating.score) == (Grade.C, Decimal("700"))


def test_the_demo_fixture_scores_fit_their_grades():
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))
    ratings = [r["fields"] for r in rows if r["model"] == "supervision.creditrating"]
    assert len(ratings) == 350
    misfits = [r for r in ratings if not score_fits_grade(r["grade"], Decimal(r["score"]))]
    assert misfits == []


# --- the reason --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason", ["复核", "调整。", "。。。。。。", " ！？…… ", "ok", "abcd", "--==--"]
)
def test_the_service_refuses_a_reason_that_says_nothing(supervisor, reason):
    facility = FacilityFactory()
    with pytest.raises(ValidationError) as exc:
        set_grade(facility=facility, year=2024, grade=Grade.B, reason=reason, user=supervisor)
    assert list(exc.value.message_dict) == ["reason"]
    assert "至少3个汉字" in exc.value.message_dict["reason"][0]
    assert not CreditRating.objects.exists()


@pytest.mark.parametrize("reason", ["异议成立", "  年度评价  ", "appeal", "复核发现伪造单据"])
def test_the_service_takes_a_real_reason_trimmed(supervisor, reason):
    change = set_grade(
        facility=FacilityFactory(), year=2024, grade=Grade.B, reason=reason, user=supervisor
    )
    assert change.reason == reason.strip()


# --- the downgrade to D ------------------------------------------------------------------------


@pytest.mark.parametrize("current", ["A", "B", "C"])
def test_a_downgrade_to_d_is_refused_unless_confirmed(supervisor, current):
    rating = CreditRatingFactory(year=2024, grade=current)
    kwargs = dict(facility=rating.facility, year=2024, grade=Grade.D, reason=REASON)
    with pytest.raises(ValidationError) as exc:
        set_grade(user=supervisor, **kwargs)
    assert "降为D级须确认" in exc.value.message_dict["confirm_downgrade"][0]
    assert not RatingChange.objects.exists()
    set_grade(user=supervisor, confirm_downgrade=True, **kwargs)
    rating.refresh_from_db()
    assert rating.grade == Grade.D


def test_a_first_rating_of_d_needs_no_confirmation(supervisor):
    change = set_grade(
        facility=FacilityFactory(), year=2024, grade=Grade.D, reason=REASON, user=supervisor
    )
    assert change.to_grade == Grade.D


def test_the_grade_form_asks_to_confirm_a_downgrade_to_d_and_saves_with_it(client, supervisor):
    rating = CreditRatingFactory(year=2024, grade=Grade.B)
    url = reverse("facility-grade", args=[rating.facility.pk])
    client.force_login(supervisor)
    data = {"year": 2024, "grade": "D", "reason": REASON}
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 200
    assert "降为D级须确认" in " ".join(response.context["form"].errors["confirm_downgrade"])
    assert 'name="confirm_downgrade"' in response.content.decode()
    assert snapshot() == before
    response = client.post(url, {**data, "confirm_downgrade": "on"})
    assert response.status_code == 302
    rating.refresh_from_db()
    assert rating.grade == Grade.D


def test_the_grade_form_shows_every_problem_at_once_and_saves_nothing(client, supervisor):
    rating = CreditRatingFactory(year=2024, grade=Grade.B)
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("facility-grade", args=[rating.facility.pk]),
        {"year": 2024, "grade": "D", "score": "650", "reason": "。。"},
    )
    errors = response.context["form"].errors
    assert set(errors) == {"score", "reason", "confirm_downgrade"}
    assert "D级的分数段（不足600分）" in errors["score"][0]
    assert snapshot() == before


def test_the_grade_form_takes_a_score_in_the_band(client, supervisor):
    rating = CreditRatingFactory(year=2024, grade=Grade.B, score=Decimal("820"))
    client.force_login(supervisor)
    response = client.post(
        reverse("facility-grade", args=[rating.facility.pk]),
        {"year": 2024, "grade": "C", "score": "700.5", "reason": REASON},
    )
    assert response.status_code == 302
    rating.refresh_from_db()
    assert (rating.grade, rating.score) == (Grade.C, Decimal("700.5"))


def test_the_api_asks_to_confirm_a_downgrade_to_d(supervisor):
    rating = CreditRatingFactory(year=2024, grade=Grade.B)
    api = client_for(supervisor)
    path = f"/api/facilities/{rating.facility.pk}/grade/"
    body = {"year": 2024, "grade": "D", "reason": REASON}
    response = api.post(path, body, format="json")
    assert response.status_code == 400
    assert "降为D级须确认" in response.json()["confirm_downgrade"][0]
    assert api.post(path, {**body, "confirm_downgrade": True}, format="json").status_code == 201


def test_the_api_refuses_a_reason_that_says_nothing(supervisor):
    facility = FacilityFactory()
    response = client_for(supervisor).post(
        f"/api/facilities/{facility.pk}/grade/",
        {"year": 2024, "grade": "A", "reason": "..."},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["reason"]


def test_the_admin_rating_form_asks_to_confirm_a_downgrade_to_d(client, superuser):
    rating = CreditRatingFactory(year=2024, grade=Grade.B)
    client.force_login(superuser)
    url = admin_url(rating, "change")
    data = change_form_data(client.get(url), grade="D", reason=REASON)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "降为D级须确认" in response.content.decode()
    rating.refresh_from_db()
    assert rating.grade == Grade.B
    response = client.post(url, {**data, "confirm_downgrade": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    rating.refresh_from_db()
    assert rating.grade == Grade.D


def test_the_bulk_action_refuses_an_unconfirmed_downgrade_for_all_and_writes_nothing(
    client, superuser
):
    was_b = CreditRatingFactory(year=2024, grade=Grade.B, score=Decimal("800"))
    unrated = FacilityFactory()
    client.force_login(superuser)
    before = snapshot()
    data = action_post(
        "set_grade_for_year", [was_b.facility, unrated], year=2024, grade="D", reason=REASON
    )
    response = client.post(CHANGELIST, data)
    assert "降为D级须确认" in response.content.decode()
    assert snapshot() == before


def test_the_bulk_action_with_confirmation_sets_d_and_clears_the_old_score(client, superuser):
    was_b = CreditRatingFactory(year=2024, grade=Grade.B, score=Decimal("800"))
    client.force_login(superuser)
    data = action_post(
        "set_grade_for_year",
        [was_b.facility],
        year=2024,
        grade="D",
        reason=REASON,
        confirm_downgrade="on",
    )
    client.post(CHANGELIST, data)
    was_b.refresh_from_db()
    assert (was_b.grade, was_b.score) == (Grade.D, None)
    assert was_b.history.first().history_change_reason == REASON


def test_the_bulk_form_refuses_a_reason_that_says_nothing(client, superuser):
    facility = FacilityFactory()
    client.force_login(superuser)
    data = action_post("set_grade_for_year", [facility], year=2024, grade="B", reason="复核")
    response = client.post(CHANGELIST, data)
    assert "至少3个汉字" in response.content.decode()
    assert not CreditRating.objects.exists()


def test_grade_problems_reads_nothing_from_the_database(django_assert_num_queries):
    rating = CreditRatingFactory.build(year=2024, grade=Grade.B, score=Decimal("800"))
    with django_assert_num_queries(0):
        problems = grade_problems(
            year=2024, grade=Grade.D, reason="复核", current=rating, score=Decimal("700")
        )
    assert set(problems) == {"reason", "score", "confirm_downgrade"}
