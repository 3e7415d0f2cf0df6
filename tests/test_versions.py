"""Every save of a facility, rating, inspection, referral, sanction or credit record (indicator
system, cycle, assessment, objection, repair, credit subject) raises its version by one,
whoever saves it (a service, the admin, a bulk action, the API), and a save made on an older
version than the stored one is refused with StaleEdit and writes nothing."""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.db import connection, transaction

from supervision import services
from supervision.choices import Grade, InspectionStatus, ReferralStatus
from supervision.models import (
    Assessment,
    CreditInstitution,
    CreditRating,
    CreditRepair,
    EvaluationCycle,
    Facility,
    IndicatorSystem,
    Inspection,
    InsuredPerson,
    Objection,
    Referral,
    Sanction,
)
from supervision.models.base import StaleEdit
from tests.dbstate import snapshot, stored_version
from tests.factories import (
    AssessmentFactory,
    CreditInstitutionFactory,
    CreditRatingFactory,
    EvaluationCycleFactory,
    FacilityFactory,
    IndicatorSystemFactory,
    InspectionFactory,
    InsuredPersonFactory,
    ObjectionFactory,
    ReferralFactory,
    SanctionFactory,
)
from tests.test_admin_actions import CHANGELIST, REASON, action_post, suspension

pytestmark = pytest.mark.django_db

D = datetime.date


def credit_repair() -> CreditRepair:
    return CreditRepair.objects.create(
        rating=CreditRatingFactory(grade=Grade.D),
        applied_on=D(2025, 6, 2),
        rectification="已完成全部整改。",
        eligible_from=D(2025, 6, 1),
        from_grade=Grade.D,
    )


FACTORIES = {
    Facility: FacilityFactory,
    CreditRating: CreditRatingFactory,
    Inspection: InspectionFactory,
    Referral: ReferralFactory,
    Sanction: SanctionFactory,
    IndicatorSystem: IndicatorSystemFactory,
    EvaluationCycle: EvaluationCycleFactory,
    Assessment: AssessmentFactory,
    Objection: ObjectionFactory,
    CreditRepair: credit_repair,
    CreditInstitution: CreditInstitutionFactory,
    InsuredPerson: InsuredPersonFactory,
}


@pytest.mark.parametrize("model", list(FACTORIES), ids=lambda m: m.__name__)
def test_a_record_starts_at_version_1_and_each_save_adds_one(model):
    record = FACTORIES[model]()
    assert stored_version(record) == 1
    record.save()
    record.save(update_fields=["updated_at"])
    assert record.version == stored_version(record) == 3


@pytest.mark.parametrize("model", list(FACTORIES), ids=lambda m: m.__name__)
def test_saving_an_old_copy_after_someone_else_saved_is_refused_and_writes_nothing(model):
    record = FACTORIES[model]()
    mine = model.objects.get(pk=record.pk)
    theirs = model.objects.get(pk=record.pk)
    theirs.save()
    before = snapshot()
    with pytest.raises(StaleEdit) as refused:
        mine.save()
    assert (refused.value.expected, refused.value.current) == (1, 2)
    assert snapshot() == before
    assert mine.version == 1  # unchanged: the caller can still tell which version it had


def test_the_history_row_of_a_save_carries_the_new_version():
    facility = FacilityFactory()
    facility.note = "改"
    facility.save()
    assert list(facility.history.order_by("history_id").values_list("version", flat=True)) == [
        1,
        2,
    ]


# ------------------------------------------------------------------------------ services


def test_completing_an_inspection_adds_a_version_and_refuses_an_old_one(supervisor):
    inspection = InspectionFactory(status=InspectionStatus.IN_PROGRESS)
    inspection.findings = "初查"
    inspection.save()  # version 2
    before = snapshot()
    with pytest.raises(StaleEdit):
        services.complete_inspection(
            inspection, end_date=D(2025, 3, 12), user=supervisor, expected_version=1
        )
    assert snapshot() == before
    done = services.complete_inspection(
        inspection, end_date=D(2025, 3, 12), user=supervisor, expected_version=2
    )
    assert done.version == stored_version(inspection) == 3


def test_moving_a_referral_adds_a_version_and_refuses_an_old_one(supervisor):
    referral = ReferralFactory()
    services.move_referral(
        referral, to_status=ReferralStatus.ACCEPTED, on=D(2025, 3, 25), case_number="A-1",
        user=supervisor, expected_version=1,
    )  # fmt: skip
    assert stored_version(referral) == 2
    before = snapshot()
    with pytest.raises(StaleEdit):
        services.move_referral(
            referral, to_status=ReferralStatus.CLOSED, on=D(2025, 6, 1), outcome="判决",
            user=supervisor, expected_version=1,
        )  # fmt: skip
    assert snapshot() == before


def test_changing_a_grade_adds_a_version_to_the_rating_and_refuses_an_old_one(supervisor):
    rating = CreditRatingFactory(grade=Grade.B)
    change = services.set_grade(
        facility=rating.facility, year=2024, grade=Grade.C, reason="复核改判", user=supervisor
    )
    assert change.rating.version == stored_version(rating) == 2
    before = snapshot()
    with pytest.raises(StaleEdit):
        services.set_grade(
            facility=rating.facility, year=2024, grade=Grade.D, reason="再次复核",
            user=supervisor, expected_version=1,
        )  # fmt: skip
    assert snapshot() == before


def test_a_workflow_that_only_creates_records_leaves_the_facility_s_version(supervisor):
    facility = FacilityFactory()
    services.suspend_agreement(
        facility, starts_on=D(2025, 4, 1), ends_on=D(2025, 5, 31), decided_on=D(2025, 3, 20),
        user=supervisor,
    )  # fmt: skip
    assert stored_version(facility) == 1


# --------------------------------------------------------------------------- bulk actions


def test_the_bulk_grade_action_adds_a_version_to_every_rating_it_changes(client, supervisor):
    rated = CreditRatingFactory.create_batch(3, grade=Grade.B, facility__pharmacy=True)
    client.force_login(supervisor)
    data = action_post(
        "set_grade_for_year",
        [r.facility for r in rated],
        year=2024,
        grade="D",
        reason=REASON,
        confirm_downgrade="on",
    )
    assert client.post(CHANGELIST, data).status_code == 302
    assert [stored_version(r) for r in rated] == [2, 2, 2]
    assert all(r.history.latest().version == 2 for r in rated)


def test_the_bulk_suspension_writes_sanctions_at_version_1(client, supervisor):
    pharmacies = FacilityFactory.create_batch(2, pharmacy=True)
    client.force_login(supervisor)
    client.post(CHANGELIST, action_post("suspend_agreements", pharmacies, **suspension()))
    assert list(Sanction.objects.values_list("version", flat=True)) == [1, 1]


# ------------------------------------------------------------------------------ the lock


@pytest.mark.django_db(transaction=True)
def test_two_saves_of_the_same_version_at_the_same_moment_cannot_both_pass():
    """Both read version 1; the first save holds the row's lock until it commits, so the second
    reads version 2 under the lock and is refused. (A plain read would see 1 and both pass.)"""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises writers on BEGIN IMMEDIATE)")
    facility = FacilityFactory()
    both_loaded = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []

    def edit(note: str, hold: float) -> None:
        try:
            with transaction.atomic():
                mine = Facility.objects.get(pk=facility.pk)
                both_loaded.wait()
                time.sleep(0.2 - hold)  # the one that holds the lock saves first
                mine.note = note
                mine.save()
                time.sleep(hold)
            outcomes.append("saved")
        except StaleEdit:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=edit, args=("甲", 0.2)),
        threading.Thread(target=edit, args=("乙", 0.0)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "saved"]
    facility.refresh_from_db()
    assert (facility.version, facility.note) == (2, "甲")
