"""Two people acting on the same facility at the same moment, each in their own transaction.

Real threads with their own database connections, on PostgreSQL, where row locks are real: on
SQLite a writer locks the whole database at BEGIN (IMMEDIATE), so the question does not arise.
Each workflow's check is slowed down (wrapped with a pause) so that, without the row lock, both
transactions would pass it before either writes: the tests fail if the lock goes.
"""

from __future__ import annotations

import datetime
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from supervision import services
from supervision.admin.actions import Outcome, apply_to_all
from supervision.choices import District, Grade, SanctionKind
from supervision.models import CreditRating, GradeTally, RatingChange, Sanction
from supervision.services import ratings as rating_services
from supervision.services import sanctions as sanction_services
from tests.factories import FacilityFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks are PostgreSQL's; SQLite serialises all writers at BEGIN IMMEDIATE",
    ),
    # Real commits; the roles and lookup rows of migration 0002 are put back before each test
    # (the flush after a transactional test empties every table).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PAUSE = 0.3  # seconds a workflow waits after its check, inside its transaction
D = datetime.date


def run_together(*calls: Callable[[], Any]) -> list[Any]:
    """Run calls in threads started at once; each result is its return value or its exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # the test looks at what each call did
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a call never finished (deadlock?)"
    return results


def slowed(monkeypatch, module, name: str, *, before: bool = False) -> None:
    """Make module.name pause after it has run (or before it runs), as a busy server might."""
    original = getattr(module, name)

    def slow(*args, **kwargs):
        if before:
            time.sleep(PAUSE)
        result = original(*args, **kwargs)
        if not before:
            time.sleep(PAUSE)
        return result

    monkeypatch.setattr(module, name, slow)


def test_of_two_overlapping_suspensions_at_once_exactly_one_is_written(supervisor, monkeypatch):
    facility = FacilityFactory()
    slowed(monkeypatch, sanction_services, "suspension_problems")

    def suspend(starts: datetime.date, ends: datetime.date):
        return lambda: services.suspend_agreement(
            facility,
            starts_on=starts,
            ends_on=ends,
            decided_on=D(2024, 5, 1),
            user=supervisor,
        )

    results = run_together(
        suspend(D(2024, 6, 1), D(2024, 7, 31)), suspend(D(2024, 7, 1), D(2024, 8, 31))
    )

    written = [r for r in results if isinstance(r, Sanction)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(written) == 1, results
    assert len(refused) == 1, results
    assert "starts_on" in refused[0].message_dict
    assert Sanction.objects.filter(facility=facility, kind=SanctionKind.SUSPENSION).count() == 1


def test_suspensions_that_do_not_overlap_are_both_written(supervisor, monkeypatch):
    facility = FacilityFactory()
    slowed(monkeypatch, sanction_services, "suspension_problems")
    results = run_together(
        lambda: services.suspend_agreement(
            facility,
            starts_on=D(2024, 6, 1),
            ends_on=D(2024, 6, 30),
            decided_on=D(2024, 5, 1),
            user=supervisor,
        ),
        lambda: services.suspend_agreement(
            facility,
            starts_on=D(2024, 9, 1),
            ends_on=D(2024, 9, 30),
            decided_on=D(2024, 5, 1),
            user=supervisor,
        ),
    )
    assert all(isinstance(r, Sanction) for r in results), results
    assert Sanction.objects.filter(facility=facility).count() == 2


def _grade(facility, grade: str, user) -> Callable[[], RatingChange]:
    return lambda: services.set_grade(
        facility=facility,
        year=2024,
        grade=grade,
        reason=f"改为{grade}级",
        user=user,
        confirm_downgrade=True,
    )


def assert_one_chain(facility, start: str, *, changes: int) -> None:
    """The year's changes read as one history: each starts where the one before ended, and the
    rating holds the last one's grade (nothing lost, nothing doubled)."""
    rating = CreditRating.objects.get(facility=facility, year=2024)
    chain = list(rating.changes.order_by("changed_at", "id"))
    assert len(chain) == changes
    assert chain[0].from_grade == start
    for before, after in itertools.pairwise(chain):
        assert after.from_grade == before.to_grade, [(c.from_grade, c.to_grade) for c in chain]
    assert rating.grade == chain[-1].to_grade


def test_two_grade_changes_at_once_make_one_chain_of_changes(supervisor, monkeypatch):
    facility = FacilityFactory()
    services.set_grade(
        facility=facility, year=2024, grade=Grade.B, reason="年度初评", user=supervisor
    )
    # Between reading the year's rating and writing it.
    slowed(monkeypatch, rating_services, "save_with_history", before=True)

    results = run_together(
        _grade(facility, Grade.A, supervisor), _grade(facility, Grade.C, supervisor)
    )

    assert all(isinstance(r, RatingChange) for r in results), results
    assert_one_chain(facility, "", changes=3)  # "" → B, then the two at once


def test_two_first_grades_of_a_year_at_once_make_one_rating_and_one_chain(supervisor, monkeypatch):
    facility = FacilityFactory()
    # Between reading the year's rating and writing it.
    slowed(monkeypatch, rating_services, "save_with_history", before=True)

    results = run_together(
        _grade(facility, Grade.A, supervisor), _grade(facility, Grade.D, supervisor)
    )

    assert all(isinstance(r, RatingChange) for r in results), results
    assert CreditRating.objects.filter(facility=facility, year=2024).count() == 1
    assert_one_chain(facility, "", changes=2)


def _bulk(facilities, grade: str, user) -> Callable[[], Outcome]:
    """The admin's bulk grade edit, as its action runs it."""

    def apply_one(facility) -> bool:
        services.set_grade(
            facility=facility,
            year=2024,
            grade=grade,
            reason="批量调整",
            user=user,
            confirm_downgrade=True,
        )
        return True

    return lambda: apply_to_all(
        facilities,
        apply_one,
        before=lambda batch: services.lock_for_grade_changes(batch, 2024),
    )


def test_two_bulk_grade_edits_across_the_same_districts_queue_instead_of_deadlocking(
    supervisor, monkeypatch
):
    chengguan = FacilityFactory.create_batch(2, district=District.CHENGGUAN)
    dagze = FacilityFactory.create_batch(2, district=District.DAGZE)
    for facility in [*chengguan, *dagze]:
        CreditRating.objects.create(facility=facility, year=2024, grade=Grade.B)
    # A pause after each facility: without the locks taken up front, the first edit would hold
    # Chengguan's totals and wait for Dagze's while the second holds Dagze's and waits.
    slowed(monkeypatch, rating_services, "save_with_history")

    results = run_together(
        _bulk([chengguan[0], dagze[0]], Grade.A, supervisor),
        _bulk([dagze[1], chengguan[1]], Grade.C, supervisor),
    )

    assert all(isinstance(r, Outcome) and len(r.done) == 2 for r in results), results
    totals = {
        (t.grade, t.district): t.facilities
        for t in GradeTally.objects.filter(year=2024, facilities__gt=0)
    }
    assert totals == {
        ("A", District.CHENGGUAN): 1,
        ("C", District.CHENGGUAN): 1,
        ("A", District.DAGZE): 1,
        ("C", District.DAGZE): 1,
    }
