"""What `make run` prints: the address to open, last, and recovery codes that stay valid from
one start to the next."""

from __future__ import annotations

import re
import shutil
import subprocess
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django_otp.plugins.otp_static.models import StaticToken

from supervision.models import EvaluationCycle, IndicatorSystem
from tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.DEBUG = True
    FacilityFactory()  # the demo data counts as loaded: these tests are about the accounts


def run(*args: str) -> str:
    out = StringIO()
    call_command("setup_demo", *args, stdout=out)
    return out.getvalue()


def recovery_codes(output: str) -> dict[str, list[str]]:
    """The codes printed for each account, by username."""
    codes, user = {}, None
    for line in output.splitlines():
        if match := re.match(r"\s+(\w+)\s+key ", line):
            user = match.group(1)
        elif match := re.match(r"\s+recovery codes: (.+)$", line):
            codes[user] = match.group(1).split()
    return codes


def test_the_address_to_open_is_the_last_line_after_the_accounts():
    output = run("--address", "127.0.0.1:8123")
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines[-1].startswith("打开 http://127.0.0.1:8123/")
    assert output.index("Demo-auditor-2024!") < output.index("打开 http://127.0.0.1:8123/")
    assert "8000" not in output


def test_a_server_on_every_interface_is_opened_at_this_machine_s_address():
    assert "打开 http://127.0.0.1:9000/" in run("--address", "0.0.0.0:9000")


def test_make_run_tells_setup_demo_its_host_and_port():
    make = shutil.which("make")
    if make is None:
        pytest.skip("no make")
    dry = subprocess.run(  # noqa: S603 (make, with fixed arguments)
        [make, "-n", "run", "HOST=0.0.0.0", "PORT=9001"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "manage.py setup_demo --address 0.0.0.0:9001" in dry
    assert dry.index("setup_demo") < dry.index("runserver 0.0.0.0:9001")


def test_a_second_start_prints_the_same_recovery_codes_and_they_still_work():
    first = recovery_codes(run())
    assert set(first) == {"admin", "supervisor"}
    assert all(len(codes) == 10 for codes in first.values())
    second = recovery_codes(run())
    assert second == first
    supervisor = User.objects.get(username="supervisor")
    kept = StaticToken.objects.filter(device__user=supervisor).values_list("token", flat=True)
    assert sorted(kept) == sorted(first["supervisor"])


def test_a_used_recovery_code_is_not_printed_again():
    first = recovery_codes(run())["supervisor"]
    StaticToken.objects.get(token=first[0], device__user__username="supervisor").delete()  # used
    assert recovery_codes(run())["supervisor"] == first[1:]


def test_ten_new_codes_once_every_code_is_used():
    first = recovery_codes(run())["admin"]
    StaticToken.objects.filter(device__user__username="admin").delete()
    again = recovery_codes(run())["admin"]
    assert len(again) == 10 and not set(again) & set(first)


def test_new_recovery_codes_replace_the_old_ones_when_asked():
    first = recovery_codes(run())
    output = run("--new-recovery-codes")
    second = recovery_codes(output)
    for username in ("admin", "supervisor"):
        assert len(second[username]) == 10
        assert not set(second[username]) & set(first[username])
        left = StaticToken.objects.filter(device__user__username=username)
        assert sorted(left.values_list("token", flat=True)) == sorted(second[username])


def test_the_output_says_how_to_get_new_codes():
    assert "setup_demo --new-recovery-codes" in run()


def test_the_credit_evaluator_account_is_printed_and_has_its_role_without_a_second_factor():
    output = run()
    line = next(line for line in output.splitlines() if line.strip().startswith("evaluator "))
    assert "Demo-evaluator-2024!" in line and "信用评价员" in line
    evaluator = User.objects.get(username="evaluator")
    assert evaluator.check_password("Demo-evaluator-2024!")
    assert list(evaluator.groups.values_list("name", flat=True)) == ["credit_evaluator"]
    assert "evaluator" not in recovery_codes(output)


def test_without_the_2024_indicator_systems_no_credit_evaluation_is_opened():
    output = run()
    run()
    assert not IndicatorSystem.objects.exists()
    assert not EvaluationCycle.objects.exists()
    assert "credit evaluation" not in output
