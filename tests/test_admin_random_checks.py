"""The random-check admin pages: every page opens for who may read plans at a cost that does not
grow with the rows; a draft is written and edited through the service (with history, in the
user's districts); a drawn plan, its targets and their inspectors are read only for everyone;
nothing is deleted; bad input is refused on the form in Chinese and writes nothing."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision.choices import District, FacilityKind, RandomCheckStatus
from supervision.models import RandomCheckAssignment, RandomCheckPlan, RandomCheckTarget
from supervision.services import random_checks as service
from tests.admin_support import admin_url, change_form_data
from tests.dbstate import snapshot
from tests.factories import (
    FacilityFactory,
    InspectorFactory,
    RandomCheckPlanFactory,
    UserDistrictFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def plans(supervisor) -> SimpleNamespace:
    FacilityFactory.create_batch(6, district=District.CHENGGUAN)
    InspectorFactory.create_batch(5)
    draft = RandomCheckPlanFactory(name="2026年第二批双随机抽查")
    drawn = service.draw(
        RandomCheckPlanFactory(name="2026年第一批双随机抽查"), seed="42", user=supervisor
    )
    service.substitute(
        RandomCheckAssignment.objects.filter(target__plan=drawn).first(),
        reason="病假",
        user=supervisor,
    )
    target = drawn.targets.order_by("rank").first()
    return SimpleNamespace(
        draft=draft,
        drawn=drawn,
        target=target,
        assignment=RandomCheckAssignment.objects.filter(target__plan=drawn).first(),
    )


RECORDS = {
    RandomCheckPlan: "drawn",
    RandomCheckTarget: "target",
    RandomCheckAssignment: "assignment",
}
by_model = pytest.mark.parametrize("model", list(RECORDS), ids=lambda m: m.__name__)


@pytest.mark.parametrize("persona", ["superuser", "supervisor", "auditor"])
@by_model
def test_every_page_opens(client, request, plans, persona, model):
    client.force_login(request.getfixturevalue(persona))
    record = getattr(plans, RECORDS[model])
    for url in (
        admin_url(model, "changelist"),
        admin_url(record, "change"),
        admin_url(record, "history"),
    ):
        assert client.get(url).status_code == 200, url
    adds = model is RandomCheckPlan and persona != "auditor"
    assert client.get(admin_url(model, "add")).status_code == (200 if adds else 403)


@pytest.mark.parametrize("persona", ["outsider", "tip_desk"])
@by_model
def test_no_page_opens_without_the_view_permission(client, request, plans, persona, model):
    client.force_login(request.getfixturevalue(persona))
    record = getattr(plans, RECORDS[model])
    assert client.get(admin_url(model, "changelist")).status_code == 403
    assert client.get(admin_url(record, "change")).status_code == 403


@pytest.mark.parametrize("persona", ["superuser", "supervisor"])
@by_model
def test_nothing_is_deleted_by_anyone(client, request, plans, persona, model):
    client.force_login(request.getfixturevalue(persona))
    record = getattr(plans, RECORDS[model])
    before = snapshot()
    assert client.get(admin_url(record, "delete")).status_code == 403
    assert client.post(admin_url(record, "delete"), {"post": "yes"}).status_code == 403
    changelist = client.get(admin_url(model, "changelist"))
    assert "delete_selected" not in changelist.content.decode()
    assert snapshot() == before


@by_model
def test_a_changelist_costs_the_same_for_few_rows_and_many(client, supervisor, plans, model):
    client.force_login(supervisor)
    url = admin_url(model, "changelist")
    client.get(url)  # warm the per-process caches (content types)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    FacilityFactory.create_batch(20)
    for seed in "123":
        service.draw(RandomCheckPlanFactory(target_count=5), seed=seed, user=supervisor)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


# --- drafts through the service ----------------------------------------------------------------


def _add_data(**overrides) -> dict:
    return {
        "name": "2026年第三批双随机抽查",
        "starts_on": "2026-03-01",
        "ends_on": "2026-06-30",
        "kinds": [FacilityKind.HOSPITAL],
        "districts": [District.CHENGGUAN],
        "grades": ["A", "unrated"],
        "grade_year": "",
        "not_inspected_months": "",
        "target_count": "3",
        "target_share": "",
        "weights": '{"A": 2, "": 4}',
        "inspectors_per_target": "2",
        "inspector_rest_months": "",
        "note": "",
    } | overrides


def test_a_supervisor_writes_a_draft_through_the_service(client, supervisor):
    client.force_login(supervisor)
    response = client.post(admin_url(RandomCheckPlan, "add"), _add_data())
    assert response.status_code == 302, response.context and response.context["errors"]
    plan = RandomCheckPlan.objects.get()
    assert plan.status == RandomCheckStatus.DRAFT
    assert (plan.grades, plan.weights) == (["", "A"], {"A": 2, "": 4})
    assert plan.created_by == supervisor
    assert plan.history.get().history_user == supervisor


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "名" * 101),
        ("kinds", ["surgery"]),
        ("grades", ["E"]),
        ("weights", '{"A": 11}'),
        ("weights", '{"E": 2}'),
        ("weights", "not json"),
        ("target_count", "0"),
        ("inspectors_per_target", "1"),
        ("ends_on", "2026-01-01"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(client, supervisor, field, value):
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(admin_url(RandomCheckPlan, "add"), _add_data(**{field: value}))
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert response.context["adminform"].form.errors or response.context["errors"]
        text = response.content.decode()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text)
    else:  # refused by the service: a message on the same page
        messages = [str(m) for m in client.get(response["Location"]).context["messages"]]
        assert messages
    assert snapshot() == before


def test_a_limited_supervisor_writes_drafts_in_their_districts_only(client, supervisor):
    UserDistrictFactory(user=supervisor, district=District.DAGZE)
    client.force_login(supervisor)
    form = client.get(admin_url(RandomCheckPlan, "add")).context["adminform"].form
    assert [v for v, _label in form.fields["districts"].choices] == [District.DAGZE]
    before = snapshot()
    response = client.post(admin_url(RandomCheckPlan, "add"), _add_data())
    assert response.status_code == 200
    assert snapshot() == before


def test_a_supervisor_edits_a_draft_through_the_service(client, supervisor, plans):
    client.force_login(supervisor)
    url = admin_url(plans.draft, "change")
    data = change_form_data(client.get(url), target_count="4", note="调整")
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    plans.draft.refresh_from_db()
    assert (plans.draft.target_count, plans.draft.note) == (4, "调整")
    assert plans.draft.history.latest().history_user == supervisor


def test_a_stale_edit_is_refused(client, supervisor, plans):
    client.force_login(supervisor)
    url = admin_url(plans.draft, "change")
    data = change_form_data(client.get(url), note="过时")
    service.edit_plan(plans.draft, user=supervisor, note="另一人先改了")
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 200
    assert "已被他人修改" in response.content.decode() or "重新加载最新版本" in (
        response.content.decode()
    )
    assert snapshot() == before


def test_a_drawn_plan_is_read_only_even_for_a_superuser(client, superuser, plans):
    client.force_login(superuser)
    url = admin_url(plans.drawn, "change")
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    before = snapshot()
    assert client.post(url, {"name": "改名", "target_count": "9"}).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("model", [RandomCheckTarget, RandomCheckAssignment])
def test_targets_and_inspectors_are_read_only(client, superuser, plans, model):
    client.force_login(superuser)
    record = getattr(plans, RECORDS[model])
    before = snapshot()
    assert client.post(admin_url(record, "change"), {"weight": "9"}).status_code == 403
    assert snapshot() == before


def test_the_pools_are_not_on_the_plan_page(client, superuser, plans):
    client.force_login(superuser)
    html = client.get(admin_url(plans.drawn, "change")).content.decode()
    assert plans.drawn.pool_digest in html
    assert 'name="pool"' not in html and 'name="inspector_pool"' not in html


def test_a_limited_account_reads_its_districts_targets_only(client, supervisor, superuser):
    FacilityFactory.create_batch(3, district=District.DAGZE)
    FacilityFactory.create_batch(3, district=District.CHENGGUAN)
    InspectorFactory.create_batch(5)
    plan = service.draw(RandomCheckPlanFactory(target_count=6), seed="1", user=superuser)
    UserDistrictFactory(user=supervisor, district=District.DAGZE)
    client.force_login(supervisor)
    response = client.get(admin_url(RandomCheckTarget, "changelist"))
    shown = list(response.context["cl"].result_list)
    assert {t.facility.district for t in shown} == {District.DAGZE}
    theirs = RandomCheckTarget.objects.filter(
        plan=plan, facility__district=District.CHENGGUAN
    ).first()
    assert client.get(admin_url(theirs, "change")).status_code == 404
