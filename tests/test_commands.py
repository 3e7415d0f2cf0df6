"""Management commands: the demo setup and the bulk data generator."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from supervision.codes import is_valid_credit_code
from supervision.models import CreditRating, Facility, Inspection, RatingChange, Sanction
from supervision.models.inspection import check_inspectors

pytestmark = pytest.mark.django_db


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
