"""`manage.py verify_random_draw`: the outcome of re-running a plan's draw, in Chinese, and exit
code 1 when a plan does not verify, does not exist or is not named."""

from __future__ import annotations

import datetime
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from supervision.models import RandomCheckPlan, RandomCheckTarget
from supervision.services import random_checks as service
from tests.dbstate import snapshot
from tests.factories import FacilityFactory, InspectorFactory, RandomCheckPlanFactory

pytestmark = pytest.mark.django_db


def drawn(supervisor, seed: str = "42") -> RandomCheckPlan:
    plan = RandomCheckPlanFactory(starts_on=datetime.date(2026, 3, 1))
    return service.draw(plan, seed=seed, user=supervisor)


@pytest.fixture
def pools():
    FacilityFactory.create_batch(6)
    InspectorFactory.create_batch(4)


def run(*args) -> str:
    out = StringIO()
    call_command("verify_random_draw", *args, stdout=out)
    return out.getvalue()


def test_a_good_draw_verifies(supervisor, pools):
    plan = drawn(supervisor)
    before = snapshot()
    text = run(str(plan.pk))
    assert f"计划{plan.pk}" in text
    assert "核验通过" in text
    assert plan.result_digest in text
    assert snapshot() == before  # verifying writes nothing


def test_a_tampered_draw_fails_with_exit_code_1(supervisor, pools):
    plan = drawn(supervisor)
    first = RandomCheckTarget.objects.filter(plan=plan).order_by("rank").first()
    RandomCheckTarget.objects.filter(pk=first.pk).update(weight=first.weight % 10 + 1)
    RandomCheckPlan.objects.filter(pk=plan.pk).update(seed="changed")
    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("verify_random_draw", str(plan.pk), stdout=out)
    assert refused.value.returncode == 1
    assert "核验未通过" in out.getvalue()
    assert "1个计划核验未通过" in str(refused.value)


@pytest.mark.parametrize("value", ["999999", "abc", "-1", "1" * 40, "１"])
def test_an_unknown_or_malformed_plan_fails(db, value):
    with pytest.raises(CommandError) as refused:
        run(value)
    assert refused.value.returncode == 1
    assert "计划" in str(refused.value)


def test_nothing_named_fails(db):
    with pytest.raises(CommandError, match="请给出计划编号"):
        run()


def test_all_published_plans_are_verified(supervisor, pools):
    published = [service.publish(drawn(supervisor, seed), user=supervisor) for seed in "12"]
    drawn(supervisor, "3")  # drawn, not published: not in --all-published
    text = run("--all-published")
    assert text.count("核验通过") == 2
    for plan in published:
        assert f"计划{plan.pk}" in text


def test_all_published_reports_a_bad_one_among_good_ones(supervisor, pools):
    good, bad = (service.publish(drawn(supervisor, seed), user=supervisor) for seed in "12")
    RandomCheckPlan.objects.filter(pk=bad.pk).update(result_digest="0" * 64)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_random_draw", "--all-published", stdout=out)
    assert f"计划{good.pk}" in out.getvalue() and "核验通过" in out.getvalue()
    assert f"计划{bad.pk}" in out.getvalue() and "核验未通过" in out.getvalue()


def test_all_published_without_any_says_so(db):
    assert "没有已公布的抽查计划" in run("--all-published")


def test_the_command_line_exits_with_1_for_an_unknown_plan(db):
    result = subprocess.run(
        [sys.executable, "manage.py", "verify_random_draw", "abc"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "计划编号无效" in result.stderr


def test_a_cancelled_plan_keeps_a_verifiable_draw(supervisor, pools):
    plan = service.cancel(drawn(supervisor), reason="部署调整", user=supervisor)
    assert plan.result_digest  # the draw stays on record
    assert service.verify(plan).ok
