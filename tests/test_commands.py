"""Management commands: the demo setup and the bulk data generator."""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from supervision.codes import is_valid_credit_code
from supervision.models import CreditRating, Facility, Inspection, RatingChange, Sanction
from supervision.models.inspection import check_inspectors

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
    }
    assert User.objects.get(username="admin").is_superuser
    assert "Demo-inspector-2024!" in out
    assert User.objects.get(username="inspector").check_password("Demo-inspector-2024!")
    # One initial history row per loaded record, none doubled by the M2M sets.
    assert Facility.history.count() == 350
    assert Inspection.history.count() == Inspection.objects.count()


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
