"""Management commands: the demo setup and the bulk data generator."""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from supervision.choices import RewardStatus, TipChannel, TipConclusion, TipStatus
from supervision.codes import is_valid_credit_code
from supervision.models import (
    CreditRating,
    Facility,
    Inspection,
    RatingChange,
    Referral,
    Sanction,
    Tip,
    TipReporter,
    TipReward,
)
from supervision.models.inspection import check_inspectors
from supervision.models.tip import facility_search_part, tip_search_keys
from tests.factories import TipRewardFactory

pytestmark = pytest.mark.django_db

# The rows of generate_data seed 3 (see test_generate_data_writes_the_same_rows_on_sqlite_and_
# postgresql). It changes when the generator's draws change, on purpose; then on both databases.
GENERATED_DIGEST = "174d02f2961efb0b99575323b01b9280c592a35503f6ea663e8fa801b9195d27"


def test_setup_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("setup_demo")
    assert not User.objects.exists()
    assert not Facility.objects.exists()


def test_setup_demo_loads_the_2024_data_and_one_account_per_role(settings, capsys):
    settings.DEBUG = True
    call_command("setup_demo")
    out = capsys.readouterr().out
    assert Facility.objects.count() == 350
    roles = {u.username: [g.name for g in u.groups.all()] for u in User.objects.all()}
    assert roles == {
        "admin": [],
        "supervisor": ["supervisor"],
        "inspector": ["inspector"],
        "auditor": ["auditor"],
        "tipdesk": ["tip_desk"],
        "evaluator": ["credit_evaluator"],
    }
    assert User.objects.get(username="admin").is_superuser
    assert "Demo-inspector-2024!" in out
    assert User.objects.get(username="inspector").check_password("Demo-inspector-2024!")
    # One initial history row per loaded record, none doubled by the M2M sets.
    assert Facility.history.count() == 350
    loaded = Inspection.objects.filter(created_by__isnull=True)  # the fixture's
    assert Inspection.history.filter(id__in=loaded.values("id")).count() == loaded.count()


def test_setup_demo_is_idempotent_and_keeps_edited_data(settings):
    settings.DEBUG = True
    call_command("setup_demo")
    facility = Facility.objects.first()
    facility.name = "示例已被工作人员修改的名称"
    facility.save()
    User.objects.get(username="auditor").set_password("something-else-entirely")
    call_command("setup_demo")
    assert Facility.objects.count() == 350
    assert User.objects.filter(username="auditor").count() == 1
    facility.refresh_from_db()
    assert facility.name == "示例已被工作人员修改的名称"


def test_generate_data_writes_valid_rows_in_the_numbers_asked():
    call_command("generate_data", facilities=300, inspections=500, years=2, seed=7, quiet=True)
    assert Facility.objects.count() == 300
    assert CreditRating.objects.count() == 600
    assert RatingChange.objects.count() == 600
    assert Inspection.objects.count() == 500
    for facility in Facility.objects.all():
        assert is_valid_credit_code(facility.credit_code)
        facility.full_clean()
    for inspection in Inspection.objects.prefetch_related("inspectors"):
        inspection.full_clean()
        check_inspectors(inspection.kind, len(inspection.inspectors.all()))
    for sanction in Sanction.objects.all():
        sanction.full_clean()


class _Rollback(Exception):
    pass


def _generate_and_read(seed: int) -> list[tuple]:
    """Generate into a savepoint, read the rows, roll back."""
    rows: list[tuple] = []
    try:
        with transaction.atomic():
            call_command(
                "generate_data", facilities=40, inspections=60, years=2, seed=seed, quiet=True
            )
            rows = list(
                Facility.objects.order_by("credit_code").values_list(
                    "credit_code", "insurance_code", "name", "kind", "district", "deposit"
                )
            )
            rows += list(
                CreditRating.objects.order_by("facility__credit_code", "year").values_list(
                    "facility__credit_code", "year", "grade"
                )
            )
            raise _Rollback
    except _Rollback:
        pass
    return rows


def test_generate_data_gives_the_same_rows_for_the_same_seed():
    first = _generate_and_read(seed=3)
    assert not Facility.objects.exists()
    assert first == _generate_and_read(seed=3)
    assert first != _generate_and_read(seed=4)


def test_generate_data_refuses_a_database_that_already_has_generated_data():
    call_command("generate_data", facilities=5, inspections=0, years=1, seed=3, quiet=True)
    with pytest.raises(CommandError):
        call_command("generate_data", facilities=5, inspections=0, years=1, seed=9, quiet=True)
    assert Facility.objects.count() == 5


@pytest.mark.parametrize("option", [{"facilities": 0}, {"inspections": -1}, {"years": 7}])
def test_generate_data_refuses_out_of_range_sizes(option):
    with pytest.raises(CommandError):
        call_command("generate_data", quiet=True, **option)
    assert not Facility.objects.exists()


def _digest_of_generated_rows() -> str:
    """A digest of every generated row, in generation order, ids left out (they depend on what
    the database held before)."""
    rows: list[tuple] = []
    rows += Facility.objects.order_by("id").values_list(
        "credit_code",
        "insurance_code",
        "name",
        "kind",
        "ownership",
        "district",
        "zone",
        "deposit",
        "designated_on",
        "address",
    )
    rows += CreditRating.objects.order_by("id").values_list(
        "facility__credit_code", "year", "grade", "rated_on", "basis"
    )
    rows += RatingChange.objects.order_by("id").values_list(
        "rating__facility__credit_code", "rating__year", "from_grade", "to_grade", "changed_at"
    )
    for inspection in Inspection.objects.order_by("id").prefetch_related(
        "inspectors", "violations"
    ):
        rows.append(
            (
                inspection.facility.credit_code,
                inspection.kind,
                inspection.status,
                inspection.start_date,
                inspection.end_date,
                inspection.amount_involved,
                inspection.amount_recovered,
                sorted(i.badge_number for i in inspection.inspectors.all()),
                sorted(v.code for v in inspection.violations.all()),
            )
        )
    # Sanction dates count back from today: their facilities, kinds and amounts only.
    rows += Sanction.objects.order_by("id").values_list("facility__credit_code", "kind", "amount")
    text = "\n".join(repr(tuple(str(value) for value in row)) for row in rows)
    return hashlib.sha256(text.encode()).hexdigest()


def test_generate_data_writes_the_same_rows_on_sqlite_and_postgresql():
    """COPY on PostgreSQL, bulk_create elsewhere: the same rows for the same seed (the digest
    below is the same on both; CI runs this file on each)."""
    call_command("generate_data", facilities=40, inspections=60, years=2, seed=3, quiet=True)
    assert _digest_of_generated_rows() == GENERATED_DIGEST


def test_expire_tip_rewards_expires_the_approved_rewards_past_their_claim_date(capsys):
    """Approved with claim_by 2025-06-24: still claimable that day, expired the day after; a
    paid or proposed reward is left alone."""
    approved = TipRewardFactory(approved=True)
    paid = TipRewardFactory(paid=True)
    proposed = TipRewardFactory()
    call_command("expire_tip_rewards", date="2025-06-24")
    assert "没有逾期未领取的举报奖励" in capsys.readouterr().out
    assert TipReward.objects.get(pk=approved.pk).status == RewardStatus.APPROVED
    call_command("expire_tip_rewards", date="2025-06-25")
    out = capsys.readouterr().out
    assert "截至2025-06-25，1项举报奖励逾期未领取" in out
    statuses = dict(TipReward.objects.values_list("pk", "status"))
    assert statuses == {
        approved.pk: RewardStatus.EXPIRED,
        paid.pk: RewardStatus.PAID,
        proposed.pk: RewardStatus.PROPOSED,
    }
    latest = TipReward.history.filter(id=approved.pk).latest("history_id")
    assert latest.status == RewardStatus.EXPIRED and latest.history_change_reason
    call_command("expire_tip_rewards", date="2025-06-26")
    assert "没有逾期未领取的举报奖励" in capsys.readouterr().out


def test_expire_tip_rewards_refuses_a_bad_date_in_chinese():
    with pytest.raises(CommandError, match="日期格式无效"):
        call_command("expire_tip_rewards", date="2025-13-01")


def test_generate_data_writes_tips_the_services_would_have_written():
    """Every generated tip passes the model's checks; the statuses, clocks and links are those
    the services keep; about 5 in 100 run a clock; most have a reporter (fictional)."""
    call_command("generate_data", facilities=60, inspections=120, years=1, seed=3, quiet=True)
    call_command("generate_data", add_tips=True, tips=2000, seed=3, quiet=True)
    tips = list(Tip.objects.select_related("inspection", "master"))
    assert len(tips) == 2000
    for tip in tips[:300]:
        tip.full_clean()
    for tip in tips:
        if tip.inspection_id:
            assert tip.inspection.facility_id == tip.facility_id
            assert tip.district == tip.inspection.facility.district
        if tip.status == TipStatus.MERGED:
            assert tip.master.status != TipStatus.MERGED
        if tip.clock:
            assert tip.status in (TipStatus.RECEIVED, TipStatus.ACCEPTED, TipStatus.INVESTIGATING)
    running = sum(1 for tip in tips if tip.clock)
    assert 40 <= running <= 180
    today = timezone.localdate()
    assert any(tip.due_on and tip.due_on < today for tip in tips if tip.clock)
    assert set(Tip.objects.values_list("status", flat=True)) == set(TipStatus.values)
    reporters = TipReporter.objects.all()
    assert 1200 <= reporters.count() <= 1700
    assert not reporters.filter(tip__anonymous=True).exists()
    for reporter in reporters[:200]:
        reporter.full_clean()
        assert reporter.name == "" or reporter.name.startswith("示例举报人")
    # The keys written in bulk (the facility's part in SQL) are those Tip.save writes.
    for tip in Tip.objects.select_related("facility")[:400]:
        facility_part = facility_search_part(tip.facility) if tip.facility_id else ""
        assert tip.search_keys == tip_search_keys(facility_part, tip.subject_name), tip.pk
        assert tip.search_keys
    with pytest.raises(CommandError, match="already has tips"):
        call_command("generate_data", add_tips=True, tips=10, seed=3, quiet=True)


def test_setup_demo_writes_plausible_tips_through_the_services(settings):
    """The demo's tips: the two behind the delivery-note cases referred to the police (received
    before their inspections started, linked to them, substantiated, the reporter told),
    fictional reporters, some anonymous, a paid and an approved reward, each step in history
    with the account and the reason."""
    settings.DEBUG = True
    call_command("setup_demo")
    tips = Tip.objects.select_related("inspection", "reporter")
    assert tips.count() >= 25
    assert len(set(tips.values_list("channel", flat=True))) == len(TipChannel.values)
    assert len(set(tips.values_list("district", flat=True))) >= 6
    assert {TipStatus.RECEIVED, TipStatus.INVESTIGATING, TipStatus.CLOSED} <= set(
        tips.values_list("status", flat=True)
    )
    referred = Referral.objects.filter(summary__contains="随货同行单").select_related("inspection")
    assert referred.count() == 2
    for referral in referred:
        tip = tips.get(inspection=referral.inspection)
        assert timezone.localdate(tip.received_at) < referral.inspection.start_date
        assert tip.conclusion == TipConclusion.SUBSTANTIATED
        assert tip.replied_on is not None and tip.facility == referral.inspection.facility
        assert tip.verified_amount == referral.inspection.amount_involved
    for reporter in TipReporter.objects.all():
        reporter.full_clean()
        assert reporter.name.startswith("示例举报人")
        assert reporter.phone.startswith("138000000") and reporter.address.startswith("示例")
    assert tips.filter(anonymous=True).count() >= 3
    statuses = set(TipReward.objects.values_list("status", flat=True))
    assert {RewardStatus.PAID, RewardStatus.APPROVED} <= statuses
    desk = User.objects.get(username="tipdesk")
    for tip in tips.exclude(status=TipStatus.RECEIVED):
        rows = tip.history.exclude(history_change_reason=None)
        assert rows.exists() and all(row.history_user_id for row in rows)
    assert tips.exclude(clock="").filter(due_on__lt=timezone.localdate()).exists()
    assert Tip.history.filter(history_user=desk).exists()
