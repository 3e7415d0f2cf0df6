"""Agreement status follows from the sanctions alone; current grade is annotated in SQL."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.utils import timezone

from supervision.choices import AgreementStatus, Grade
from supervision.models import CreditRating, Facility, Sanction
from tests.factories import CreditRatingFactory, FacilityFactory, SanctionFactory

pytestmark = pytest.mark.django_db

D = datetime.date
ACTIVE, SUSPENDED, TERMINATED = (
    AgreementStatus.ACTIVE,
    AgreementStatus.SUSPENDED,
    AgreementStatus.TERMINATED,
)


def _annotated(facility: Facility, day: datetime.date | None) -> str:
    return (
        Facility.objects.with_agreement_status(day)
        .values_list("agreement_status", flat=True)
        .get(pk=facility.pk)
    )


def _selected(status: str, day: datetime.date | None) -> set[int]:
    return set(
        Facility.objects.with_agreement_status_in([status], day).values_list("pk", flat=True)
    )


def _assert_status(facility: Facility, day: datetime.date | None, expected: str) -> None:
    """All three ways of asking agree."""
    assert _annotated(facility, day) == expected
    assert facility.agreement_status_on(day) == expected
    for status in AgreementStatus.values:
        assert (facility.pk in _selected(status, day)) == (status == expected), status


@pytest.fixture
def suspended():
    """Suspended from 1 April to 31 May 2025, both included."""
    facility = FacilityFactory()
    SanctionFactory(facility=facility, suspension=True)
    return facility


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2025, 3, 31), ACTIVE),  # the day before
        (D(2025, 4, 1), SUSPENDED),  # the first day
        (D(2025, 4, 30), SUSPENDED),
        (D(2025, 5, 31), SUSPENDED),  # the last day
        (D(2025, 6, 1), ACTIVE),  # the day after: ends by itself
        (D(2026, 1, 1), ACTIVE),
    ],
)
def test_a_suspension_is_in_force_from_its_first_to_its_last_day(suspended, day, expected):
    _assert_status(suspended, day, expected)


def test_a_suspension_ends_by_itself_without_any_write(suspended):
    before = list(Sanction.objects.values())
    assert suspended.agreement_status_on(D(2025, 5, 31)) == SUSPENDED
    assert suspended.agreement_status_on(D(2025, 6, 1)) == ACTIVE
    assert list(Sanction.objects.values()) == before


def test_a_facility_without_sanctions_is_active():
    _assert_status(FacilityFactory(), D(2025, 4, 15), ACTIVE)


@pytest.mark.parametrize("kind", ["warning", "fine"])
def test_other_sanctions_leave_the_agreement_active(kind):
    facility = FacilityFactory()
    SanctionFactory(facility=facility, **({"fine": True} if kind == "fine" else {}))
    _assert_status(facility, D(2025, 3, 25), ACTIVE)


def test_a_suspension_of_another_facility_does_not_count(suspended):
    _assert_status(FacilityFactory(), D(2025, 4, 15), ACTIVE)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2025, 5, 31), ACTIVE),
        (D(2025, 6, 1), TERMINATED),  # effective day
        (D(2030, 1, 1), TERMINATED),  # never comes back
    ],
)
def test_a_termination_holds_from_its_effective_day_on(day, expected):
    facility = FacilityFactory()
    SanctionFactory(facility=facility, termination=True)
    _assert_status(facility, day, expected)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2025, 4, 10), SUSPENDED),
        (D(2025, 4, 30), SUSPENDED),
        (D(2025, 5, 1), TERMINATED),  # terminated during the suspension
        (D(2025, 5, 31), TERMINATED),
        (D(2025, 6, 1), TERMINATED),
    ],
)
def test_termination_wins_over_a_suspension(day, expected):
    facility = FacilityFactory()
    SanctionFactory(facility=facility, suspension=True)
    SanctionFactory(facility=facility, termination=True, starts_on=D(2025, 5, 1))
    _assert_status(facility, day, expected)


def test_the_status_defaults_to_today():
    today = timezone.localdate()
    facility = FacilityFactory()
    SanctionFactory(
        facility=facility,
        suspension=True,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=30),
    )
    ended = FacilityFactory()
    SanctionFactory(
        facility=ended,
        suspension=True,
        starts_on=today - datetime.timedelta(days=30),
        ends_on=today - datetime.timedelta(days=1),
    )
    _assert_status(facility, None, SUSPENDED)
    _assert_status(ended, None, ACTIVE)


@pytest.fixture
def registry():
    """One facility in each situation the status can come from."""
    made = {
        "plain": FacilityFactory(),
        "suspended": FacilityFactory(),
        "suspended_twice": FacilityFactory(),
        "terminated": FacilityFactory(),
        "terminated_while_suspended": FacilityFactory(),
        "warned": FacilityFactory(),
    }
    SanctionFactory(facility=made["suspended"], suspension=True)
    SanctionFactory(facility=made["suspended_twice"], suspension=True)
    SanctionFactory(
        facility=made["suspended_twice"],
        suspension=True,
        starts_on=D(2025, 7, 1),
        ends_on=D(2025, 7, 31),
    )
    SanctionFactory(facility=made["terminated"], termination=True)
    SanctionFactory(facility=made["terminated_while_suspended"], suspension=True)
    SanctionFactory(
        facility=made["terminated_while_suspended"], termination=True, starts_on=D(2025, 5, 1)
    )
    SanctionFactory(facility=made["warned"])
    return made


DAYS = [D(2025, 3, 31), D(2025, 4, 1), D(2025, 5, 1), D(2025, 5, 31), D(2025, 6, 1), D(2025, 7, 15)]
SUBSETS = [
    list(subset)
    for size in range(len(AgreementStatus.values) + 1)
    for subset in itertools.combinations(AgreementStatus.values, size)
]


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("statuses", SUBSETS, ids=lambda s: "+".join(s) or "none")
def test_with_agreement_status_in_selects_what_filtering_the_annotation_selects(
    registry, day, statuses
):
    by_annotation = set(
        Facility.objects.with_agreement_status(day)
        .filter(agreement_status__in=statuses)
        .values_list("pk", flat=True)
    )
    by_exists = set(
        Facility.objects.with_agreement_status_in(statuses, day).values_list("pk", flat=True)
    )
    assert by_exists == by_annotation


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2025, 3, 31), {"suspended": ACTIVE, "terminated": ACTIVE}),
        (
            D(2025, 5, 1),
            {
                "suspended": SUSPENDED,
                "suspended_twice": SUSPENDED,
                "terminated": ACTIVE,
                "terminated_while_suspended": TERMINATED,
            },
        ),
        (
            D(2025, 7, 15),
            {
                "suspended": ACTIVE,
                "suspended_twice": SUSPENDED,
                "terminated": TERMINATED,
                "terminated_while_suspended": TERMINATED,
            },
        ),
    ],
)
def test_the_registry_shows_each_facility_s_status(registry, day, expected):
    annotated = dict(
        Facility.objects.with_agreement_status(day).values_list("pk", "agreement_status")
    )
    for name, status in expected.items():
        assert annotated[registry[name].pk] == status, name
    assert annotated[registry["plain"].pk] == ACTIVE
    assert annotated[registry["warned"].pk] == ACTIVE


def test_the_agreement_status_label_reads_the_annotation(suspended):
    row = Facility.objects.with_agreement_status(D(2025, 4, 1)).get(pk=suspended.pk)
    assert row.agreement_status_label == "暂停"


# --- current grade ------------------------------------------------------------------------


def test_the_current_grade_is_the_grade_of_the_latest_rated_year():
    facility = FacilityFactory()
    # Created out of order, so neither id nor creation time can give the answer.
    CreditRatingFactory(facility=facility, year=2023, grade=Grade.A)
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.D)
    CreditRatingFactory(facility=facility, year=2022, grade=Grade.B)
    row = Facility.objects.get(pk=facility.pk)
    assert (row.current_grade, row.current_grade_year) == (Grade.D, 2024)


def test_a_facility_never_rated_has_no_current_grade():
    row = Facility.objects.get(pk=FacilityFactory().pk)
    assert (row.current_grade, row.current_grade_year) == (None, None)


def test_the_current_grade_of_one_facility_ignores_the_others():
    mine, other = FacilityFactory(), FacilityFactory()
    CreditRatingFactory(facility=mine, year=2023, grade=Grade.C)
    CreditRatingFactory(facility=other, year=2024, grade=Grade.A)
    grades = dict(Facility.objects.values_list("pk", "current_grade"))
    assert grades == {mine.pk: Grade.C, other.pk: Grade.A}


def _current(facility) -> tuple:
    row = Facility.objects.values_list("current_grade", "current_grade_year").get(pk=facility.pk)
    return tuple(row)


def test_every_kind_of_write_to_the_ratings_keeps_the_current_grade_on_the_row():
    """The row's copy follows the ratings whatever writes them: a save, a queryset update, a
    bulk insert, a rating moved to another facility, a delete."""
    facility, other = FacilityFactory(), FacilityFactory()
    older = CreditRatingFactory(facility=facility, year=2023, grade=Grade.A)
    assert _current(facility) == (Grade.A, 2023)
    latest = CreditRatingFactory(facility=facility, year=2024, grade=Grade.C)
    assert _current(facility) == (Grade.C, 2024)
    CreditRating.objects.filter(pk=latest.pk).update(grade=Grade.D)
    assert _current(facility) == (Grade.D, 2024)
    CreditRating.objects.filter(pk=latest.pk).update(facility=other)
    assert (_current(facility), _current(other)) == ((Grade.A, 2023), (Grade.D, 2024))
    older.delete()
    assert _current(facility) == (None, None)
    CreditRating.objects.bulk_create(
        [CreditRatingFactory.build(facility=facility, year=2022, grade=Grade.B)]
    )
    assert _current(facility) == (Grade.B, 2022)


def test_a_facility_saved_from_a_stale_copy_keeps_the_grade_its_ratings_give():
    facility = FacilityFactory()
    stale = Facility.objects.get(pk=facility.pk)  # read before the grade is given
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.B)
    stale.name = "示例改名药房"
    stale.save()
    assert _current(facility) == (Grade.B, 2024)


def test_rebuilding_the_totals_repairs_a_current_grade_written_past_the_triggers():
    """A bulk load runs with the triggers off (generate_data) and a restore may bypass them:
    rebuild() puts every row right and says how many were wrong. (The switch is undone with the
    test's transaction on both engines.)"""
    from django.db import connection

    from supervision import tallies

    facility = FacilityFactory()
    if not tallies.set_enabled(connection, False):
        with connection.cursor() as cursor:  # SQLite: no switch; the trigger goes instead
            cursor.execute("DROP TRIGGER creditrating_current_grade_insert")
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.A)
    assert _current(facility) == (None, None)
    assert tallies.rebuild_current_grades(connection) == 1
    assert _current(facility) == (Grade.A, 2024)
    assert tallies.rebuild_current_grades(connection) == 0


@pytest.mark.parametrize("count", [1, 25])
def test_the_list_annotations_take_one_query_however_many_facilities(
    count, django_assert_num_queries
):
    for n in range(count):
        facility = FacilityFactory()
        CreditRatingFactory(facility=facility, year=2023, grade=Grade.B)
        CreditRatingFactory(facility=facility, year=2024, grade=Grade.values[n % 4])
        if n % 3 == 0:
            SanctionFactory(facility=facility, suspension=True)
    with django_assert_num_queries(1):
        rows = list(Facility.objects.for_lists())
        grades = [(row.current_grade, row.current_grade_year) for row in rows]
        statuses = [row.agreement_status_label for row in rows]
    assert len(rows) == count
    assert all(year == 2024 for _, year in grades)
    assert [grade for grade, _ in grades] == [
        Grade.values[n % 4] for n in range(count)
    ]  # ordered by name, which follows creation
    assert len(statuses) == count


def test_with_grade_selects_the_grade_of_that_year():
    a_then_c, b = FacilityFactory(), FacilityFactory()
    CreditRatingFactory(facility=a_then_c, year=2023, grade=Grade.A)
    CreditRatingFactory(facility=a_then_c, year=2024, grade=Grade.C)
    CreditRatingFactory(facility=b, year=2024, grade=Grade.B)
    assert list(Facility.objects.with_grade(2024, [Grade.A])) == []
    assert list(Facility.objects.with_grade(2023, [Grade.A])) == [a_then_c]
    assert set(Facility.objects.with_grade(2024, [Grade.B, Grade.C])) == {a_then_c, b}


@pytest.mark.parametrize(
    ("day", "in_force"),
    [
        (D(2025, 3, 31), False),
        (D(2025, 4, 1), True),
        (D(2025, 5, 31), True),
        (D(2025, 6, 1), False),
    ],
)
def test_a_suspension_says_when_it_is_in_force(suspended, day, in_force):
    suspension = Sanction.objects.get(facility=suspended)
    assert suspension.is_in_force_on(day) is in_force
    assert list(Sanction.objects.in_force_on(day)) == ([suspension] if in_force else [])


def test_only_suspensions_are_in_force():
    SanctionFactory(termination=True)
    SanctionFactory(fine=True)
    assert not Sanction.objects.get(kind="termination").is_in_force_on(D(2025, 7, 1))
    assert list(Sanction.objects.in_force_on(D(2025, 7, 1))) == []
