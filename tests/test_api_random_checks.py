"""The random-check API (双随机抽查): every endpoint and action per persona, writing and editing a
draft through the service, drawing, verifying (and catching a tampered plan), publishing,
cancelling, substituting; stale versions refused; hostile and wrongly typed input refused with
400s in Chinese and nothing written; the pools never in JSON and their CSV hashing to the stored
digests; district scoping of the targets; constant query counts on the lists."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from functools import cached_property
from typing import ClassVar

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision.choices import District, FacilityKind, RandomCheckStatus
from supervision.models import (
    Inspection,
    RandomCheckAssignment,
    RandomCheckPlan,
    RandomCheckTarget,
)
from supervision.services import random_checks as service
from tests.api import client_for
from tests.dbstate import snapshot
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectorFactory,
    RandomCheckPlanFactory,
    UserDistrictFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
PERSONAS = ["anonymous", "outsider", "inspector", "auditor", "evaluator", "tip_desk", "supervisor"]
HOSTILE = ["<script>alert(1)</script>", "=cmd|' /C calc'!A0", "'; DROP TABLE x; --"]
PLANS = "/api/random-check-plans/"


def if_match(path: str) -> dict[str, str]:
    """The If-Match a client that has just read the plan of path would send."""
    parts = path.split("?")[0].strip("/").split("/")
    if len(parts) < 3 or parts[1] != "random-check-plans" or not parts[2].isdigit():
        return {}
    version = RandomCheckPlan.objects.filter(pk=parts[2]).values_list("version", flat=True).first()
    return {} if version is None else {"HTTP_IF_MATCH": f'W/"{parts[2]}-{version}"'}


def plan_body(**overrides) -> dict:
    return {
        "name": "2026年第一批双随机抽查",
        "starts_on": "2026-03-01",
        "ends_on": "2026-06-30",
        "kinds": [FacilityKind.HOSPITAL],
        "districts": [District.CHENGGUAN],
        "grades": ["A", ""],
        "weights": {"A": 2, "": 3},
        "target_count": 3,
        "inspectors_per_target": 2,
    } | overrides


class RandomCheckWorld:
    """What the endpoints act on, each made on first use: eight facilities in Chengguan, six
    inspectors, a draft plan, a drawn plan and one of its inspectors."""

    def __init__(self, user) -> None:
        self.user = user

    @cached_property
    def pools(self) -> None:
        for facility in FacilityFactory.create_batch(8, district=District.CHENGGUAN):
            CreditRatingFactory(facility=facility, year=2025, grade="A")
        InspectorFactory.create_batch(6)

    @cached_property
    def draft(self) -> RandomCheckPlan:
        self.pools  # noqa: B018
        return RandomCheckPlanFactory(name="2026年第二批双随机抽查")

    @cached_property
    def drawn(self) -> RandomCheckPlan:
        self.pools  # noqa: B018
        plan = RandomCheckPlanFactory(name="2026年第一批双随机抽查")
        return service.draw(plan, seed="8 15 23 42", seed_source="开奖号码", user=self.user)

    @cached_property
    def target(self) -> RandomCheckTarget:
        return self.drawn.targets.order_by("rank").first()

    @cached_property
    def assignment(self) -> RandomCheckAssignment:
        return self.target.assignments.order_by("position").first()


class RandomCheckIds(Mapping):
    """The id of an existing record per endpoint, each made only when asked for (for
    test_api_schemathesis's existing_ids)."""

    _OF: ClassVar[dict[str, Callable[[RandomCheckWorld], int]]] = {
        "random-check-plans": lambda w: w.drawn.pk,
        "random-check-targets": lambda w: w.target.pk,
        "random-check-assignments": lambda w: w.assignment.pk,
    }

    def __init__(self, world: RandomCheckWorld) -> None:
        self.world = world

    def __getitem__(self, endpoint: str) -> int:
        return self._OF[endpoint](self.world)

    def __iter__(self) -> Iterator[str]:
        return iter(self._OF)

    def __len__(self) -> int:
        return len(self._OF)


@pytest.fixture
def world(supervisor) -> RandomCheckWorld:
    return RandomCheckWorld(supervisor)


def _text(response) -> str:
    return json.dumps(response.json(), ensure_ascii=False)


# --- who may call what ------------------------------------------------------------------------

READ = {"inspector": 200, "auditor": 200, "evaluator": 200, "supervisor": 200}
NOT_OFFERED = {p: 405 for p in PERSONAS[1:]}

Row = tuple[str, Callable, Callable | None, dict[str, int]]
TABLE: dict[str, Row] = {
    "plans": ("GET", lambda w: PLANS, None, READ),
    "plan": ("GET", lambda w: f"{PLANS}{w.drawn.pk}/", None, READ),
    "write plan": ("POST", lambda w: PLANS, lambda w: plan_body(), {"supervisor": 201}),
    "edit draft": (
        "PATCH",
        lambda w: f"{PLANS}{w.draft.pk}/",
        lambda w: {"note": "调整说明"},
        {"supervisor": 200},
    ),
    "replace plan": ("PUT", lambda w: f"{PLANS}{w.draft.pk}/", lambda w: plan_body(), NOT_OFFERED),
    "delete plan": ("DELETE", lambda w: f"{PLANS}{w.draft.pk}/", None, NOT_OFFERED),
    "draw": (
        "POST",
        lambda w: f"{PLANS}{w.draft.pk}/draw/",
        lambda w: {"seed": "7", "seed_source": "当日开奖"},
        {"supervisor": 200},
    ),
    "verify (GET)": ("GET", lambda w: f"{PLANS}{w.drawn.pk}/verify/", None, READ),
    "verify (POST)": ("POST", lambda w: f"{PLANS}{w.drawn.pk}/verify/", lambda w: {}, READ),
    "publish": (
        "POST",
        lambda w: f"{PLANS}{w.drawn.pk}/publish/",
        lambda w: {},
        {"supervisor": 200},
    ),
    "cancel": (
        "POST",
        lambda w: f"{PLANS}{w.drawn.pk}/cancel/",
        lambda w: {"reason": "部署调整"},
        {"supervisor": 200},
    ),
    "pool": ("GET", lambda w: f"{PLANS}{w.drawn.pk}/pool/", None, READ),
    "inspector pool": ("GET", lambda w: f"{PLANS}{w.drawn.pk}/inspector-pool/", None, READ),
    "targets": ("GET", lambda w: "/api/random-check-targets/", None, READ),
    "target": ("GET", lambda w: f"/api/random-check-targets/{w.target.pk}/", None, READ),
    "add target": ("POST", lambda w: "/api/random-check-targets/", lambda w: {}, NOT_OFFERED),
    "assignments": ("GET", lambda w: "/api/random-check-assignments/", None, READ),
    "substitute": (
        "POST",
        lambda w: f"/api/random-check-assignments/{w.assignment.pk}/substitute/",
        lambda w: {"reason": "突发疾病"},
        {"supervisor": 201},
    ),
}


def expected(row: Row, persona: str) -> int:
    if persona == "anonymous":
        return 401
    return row[3].get(persona, 403)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", list(TABLE))
def test_permission_table(request, world, name, persona):
    method, path, body, _ = TABLE[name]
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    url = path(world)
    data = body(world) if body else None
    headers = if_match(url) if method in ("PUT", "PATCH", "POST") else {}
    call = getattr(client_for(user), method.lower())
    if data is not None:
        response = call(url, data, format="json", **headers)
    else:
        response = call(url, **headers)
    assert response.status_code == expected(TABLE[name], persona), response.content[:500]


def test_a_refused_write_writes_nothing(world, inspector, auditor):
    world.drawn, world.draft  # noqa: B018 (made before the snapshot)
    before = snapshot()
    for user in (inspector, auditor):
        client = client_for(user)
        assert client.post(PLANS, plan_body(), format="json").status_code == 403
        url = f"{PLANS}{world.draft.pk}/draw/"
        assert client.post(url, {"seed": "1"}, format="json", **if_match(url)).status_code == 403
        url = f"/api/random-check-assignments/{world.assignment.pk}/substitute/"
        assert client.post(url, {"reason": "病假"}, format="json").status_code == 403
    assert snapshot() == before


# --- writing and editing ----------------------------------------------------------------------


def test_writing_a_plan_makes_a_draft_through_the_service(supervisor):
    response = client_for(supervisor).post(PLANS, plan_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    plan = RandomCheckPlan.objects.get(pk=body["id"])
    assert plan.status == RandomCheckStatus.DRAFT
    assert (plan.grades, plan.weights) == (["", "A"], {"A": 2, "": 3})
    assert plan.created_by == supervisor
    assert plan.history.get().history_user == supervisor
    assert body["status"] == "draft"
    assert body["created_by"] == supervisor.username
    assert response["ETag"] == f'W/"{plan.pk}-1"'
    assert "pool" not in body and "inspector_pool" not in body


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "名" * 101}, "name"),
        ({"name": 12}, None),  # a number is not refused as a name: DRF reads it as text
        ({"starts_on": "2026/03/01"}, "starts_on"),
        ({"starts_on": HOSTILE[2]}, "starts_on"),
        ({"ends_on": "2026-01-01"}, "non_field_errors"),
        ({"kinds": "hospital"}, "kinds"),
        ({"kinds": ["surgery"]}, "kinds"),
        ({"kinds": [HOSTILE[0]]}, "kinds"),
        ({"kinds": [["hospital"]]}, "kinds"),
        ({"districts": ["999999"]}, "districts"),
        ({"grades": ["E"]}, "grades"),
        ({"grades": [None]}, "grades"),
        ({"weights": {"A": 11}}, "weights"),
        ({"weights": {"A": 0}}, "weights"),
        ({"weights": {"A": True}}, "weights"),
        ({"weights": {"A": 1.5}}, "weights"),
        ({"weights": {"E": 2}}, "weights"),
        ({"weights": [1, 2]}, "weights"),
        ({"weights": "A=2"}, "weights"),
        ({"grade_year": 1999}, "grade_year"),
        ({"grade_year": "abc"}, "grade_year"),
        ({"not_inspected_months": 121}, "not_inspected_months"),
        ({"not_inspected_months": 10**30}, "not_inspected_months"),
        ({"target_count": None}, "non_field_errors"),
        ({"target_count": 0}, "target_count"),
        ({"target_count": 3, "target_share": "5"}, "non_field_errors"),
        ({"target_count": None, "target_share": "100.01"}, "target_share"),
        ({"target_count": None, "target_share": "NaN"}, "target_share"),
        ({"target_count": None, "target_share": "1e400"}, "target_share"),
        ({"inspectors_per_target": 1}, "inspectors_per_target"),
        ({"inspectors_per_target": 11}, "inspectors_per_target"),
        ({"inspectors_per_target": True}, "inspectors_per_target"),
        ({"inspector_rest_months": 0}, "inspector_rest_months"),
        ({"exclude_home_district": "perhaps"}, "exclude_home_district"),
        ({"note": "备" * 2001}, "note"),
    ],
)
def test_bad_plan_input_is_refused_in_chinese_and_writes_nothing(supervisor, changes, field):
    before = snapshot()
    response = client_for(supervisor).post(PLANS, plan_body(**changes), format="json")
    if field is None:
        assert response.status_code == 201
        return
    assert response.status_code == 400, response.json()
    assert field in response.json(), response.json()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in _text(response))  # told in Chinese
    assert snapshot() == before


@pytest.mark.parametrize(
    "body", [[], "text", None, 12, {"plan": {"nested": True}}, {"name": "\x00"}]
)
def test_a_body_of_the_wrong_shape_is_a_400(supervisor, body):
    before = snapshot()
    response = client_for(supervisor).post(PLANS, body, format="json")
    assert response.status_code == 400
    assert snapshot() == before


def test_a_limited_supervisor_writes_plans_in_their_districts_only(supervisor):
    UserDistrictFactory(user=supervisor, district=District.DAGZE)
    client = client_for(supervisor)
    before = snapshot()
    response = client.post(PLANS, plan_body(), format="json")
    assert response.status_code == 400
    assert response.json() == {"districts": ["您只能在本人负责的区县范围内抽查，请选择这些区县。"]}
    assert snapshot() == before
    assert client.post(PLANS, plan_body(districts=["540104"]), format="json").status_code == 201


def test_editing_a_draft_needs_its_etag(world, supervisor):
    client = client_for(supervisor)
    url = f"{PLANS}{world.draft.pk}/"
    before = snapshot()
    assert client.patch(url, {"target_count": 5}, format="json").status_code == 428
    stale = {"HTTP_IF_MATCH": f'W/"{world.draft.pk}-{world.draft.version + 5}"'}
    assert client.patch(url, {"target_count": 5}, format="json", **stale).status_code == 412
    assert snapshot() == before
    response = client.patch(url, {"target_count": 5}, format="json", **if_match(url))
    assert response.status_code == 200, response.json()
    assert response.json()["target_count"] == 5
    assert response["ETag"] == f'W/"{world.draft.pk}-{world.draft.version + 1}"'


def test_a_stale_edit_is_refused_with_who_changed_what(world, supervisor):
    client = client_for(supervisor)
    url = f"{PLANS}{world.draft.pk}/"
    headers = if_match(url)
    service.edit_plan(world.draft, user=supervisor, note="另一人先改了说明")
    before = snapshot()
    response = client.patch(url, {"name": "过时的名称"}, format="json", **headers)
    assert response.status_code == 412
    assert response.json()["changes"]
    assert snapshot() == before


def test_a_drawn_plan_is_not_edited(world, supervisor):
    url = f"{PLANS}{world.drawn.pk}/"
    before = snapshot()
    response = client_for(supervisor).patch(url, {"note": "改"}, format="json", **if_match(url))
    assert response.status_code == 400
    assert "不能再修改抽取条件" in _text(response)
    assert snapshot() == before


# --- drawing, verifying, the pools ------------------------------------------------------------


def test_drawing_answers_the_draw_without_the_pools(world, supervisor):
    url = f"{PLANS}{world.draft.pk}/draw/"
    response = client_for(supervisor).post(
        url, {"seed": "20260301", "seed_source": "双色球"}, format="json", **if_match(url)
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    plan = RandomCheckPlan.objects.get(pk=world.draft.pk)
    assert body["status"] == "drawn"
    assert body["pool_digest"] == plan.pool_digest
    assert body["result_digest"] == plan.result_digest
    assert (body["pool_size"], body["inspector_pool_size"], body["target_total"]) == (8, 6, 3)
    assert body["drawn_by"] == supervisor.username
    assert "pool" not in body and "inspector_pool" not in body
    assert plan.targets.count() == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "seed"),
        ({"seed": ""}, "seed"),
        ({"seed": "7|8"}, "seed"),
        ({"seed": "7\n8"}, "seed"),
        ({"seed": "7" * 129}, "seed"),
        ({"seed": ["7"]}, "seed"),
        ({"seed": "7", "seed_source": "源" * 201}, "seed_source"),
    ],
)
def test_a_bad_seed_is_refused_and_writes_nothing(world, supervisor, body, field):
    url = f"{PLANS}{world.draft.pk}/draw/"
    before = snapshot()
    response = client_for(supervisor).post(url, body, format="json", **if_match(url))
    assert response.status_code == 400
    assert field in response.json()
    assert snapshot() == before


def test_a_draw_needs_the_etag_and_happens_once(world, supervisor):
    client = client_for(supervisor)
    url = f"{PLANS}{world.draft.pk}/draw/"
    before = snapshot()
    assert client.post(url, {"seed": "7"}, format="json").status_code == 428
    assert snapshot() == before
    again = f"{PLANS}{world.drawn.pk}/draw/"
    response = client.post(again, {"seed": "7"}, format="json", **if_match(again))
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["该计划已抽取或已撤销，不能重新抽取。"]}


def test_the_verification_reports_a_good_draw(world, auditor):
    world.drawn  # noqa: B018 (made before the snapshot)
    before = snapshot()
    response = client_for(auditor).get(f"{PLANS}{world.drawn.pk}/verify/")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["problems"] == []
    assert body["result_digest"] == body["stored_result_digest"] == world.drawn.result_digest
    assert body["pool_digest"] == world.drawn.pool_digest
    assert snapshot() == before


def test_the_verification_reports_a_tampered_plan(world, auditor):
    first, second = world.drawn.targets.order_by("rank")[:2]
    RandomCheckTarget.objects.filter(pk=first.pk).update(rank=999)
    RandomCheckTarget.objects.filter(pk=second.pk).update(rank=1)
    RandomCheckTarget.objects.filter(pk=first.pk).update(rank=2)
    body = client_for(auditor).post(f"{PLANS}{world.drawn.pk}/verify/").json()
    assert body["ok"] is False
    assert "重新抽取的对象与记录的对象不一致。" in body["problems"]


def test_the_verification_of_a_draft_is_not_ok(world, auditor):
    body = client_for(auditor).get(f"{PLANS}{world.draft.pk}/verify/").json()
    assert (body["ok"], body["problems"]) == (False, ["该计划尚未抽取。"])


def test_the_pool_hashes_to_the_pool_digest(world, auditor):
    response = client_for(auditor).get(f"{PLANS}{world.drawn.pk}/pool/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert hashlib.sha256(response.content).hexdigest() == world.drawn.pool_digest
    assert response.content.decode().startswith("facility_id,weight\n")
    # Whatever the client accepts, the file is the file.
    response = client_for(auditor).get(f"{PLANS}{world.drawn.pk}/pool/", HTTP_ACCEPT="text/csv")
    assert hashlib.sha256(response.content).hexdigest() == world.drawn.pool_digest


def test_the_inspector_pool_is_the_text_the_salt_digests(world, auditor):
    from supervision import random_draw

    response = client_for(auditor).get(f"{PLANS}{world.drawn.pk}/inspector-pool/")
    entries = random_draw.unpack_inspectors(bytes(world.drawn.inspector_pool))
    assert response.content.decode() == "".join(random_draw.inspector_pool_text(entries))


def test_a_draft_has_no_pool(world, auditor):
    response = client_for(auditor).get(f"{PLANS}{world.draft.pk}/pool/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


# --- publishing, cancelling, substituting ----------------------------------------------------


def test_publishing_makes_the_inspections(world, supervisor):
    url = f"{PLANS}{world.drawn.pk}/publish/"
    response = client_for(supervisor).post(url, {}, format="json", **if_match(url))
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "published"
    assert Inspection.objects.filter(random_check_target__plan=world.drawn).count() == 3
    targets = (
        client_for(supervisor)
        .get("/api/random-check-targets/", {"plan": world.drawn.pk})
        .json()["results"]
    )
    assert all(t["inspection"]["kind"] == "random" for t in targets)


def test_a_tampered_plan_is_not_published(world, supervisor):
    RandomCheckPlan.objects.filter(pk=world.drawn.pk).update(seed="another")
    url = f"{PLANS}{world.drawn.pk}/publish/"
    before = snapshot()
    response = client_for(supervisor).post(url, {}, format="json", **if_match(url))
    assert response.status_code == 400
    assert "抽取结果核验未通过，不能公布" in _text(response)
    assert snapshot() == before


@pytest.mark.parametrize("reason", ["", "   ", "因" * 1001, None, ["因"]])
def test_cancelling_needs_a_reason(world, supervisor, reason):
    url = f"{PLANS}{world.drawn.pk}/cancel/"
    before = snapshot()
    response = client_for(supervisor).post(url, {"reason": reason}, format="json", **if_match(url))
    assert response.status_code == 400
    assert "reason" in response.json()
    assert snapshot() == before


def test_substituting_answers_the_substitute(world, supervisor):
    url = f"/api/random-check-assignments/{world.assignment.pk}/substitute/"
    response = client_for(supervisor).post(url, {"reason": "突发疾病"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["drawn"] is False
    assert body["replaces"] == world.assignment.pk
    world.assignment.refresh_from_db()
    assert world.assignment.withdrawn_reason == "突发疾病"
    target = client_for(supervisor).get(f"/api/random-check-targets/{world.target.pk}/").json()
    current = [i["id"] for i in target["current_inspectors"]]
    assert world.assignment.inspector_id not in current
    assert body["inspector"]["id"] in current


@pytest.mark.parametrize("reason", ["", "因" * 1001, 12.5, None])
def test_a_substitution_needs_a_reason(world, supervisor, reason):
    url = f"/api/random-check-assignments/{world.assignment.pk}/substitute/"
    before = snapshot()
    response = client_for(supervisor).post(url, {"reason": reason}, format="json")
    if reason == 12.5:  # DRF reads a number as text: a reason, oddly worded
        assert response.status_code == 201
        return
    assert response.status_code == 400
    assert snapshot() == before


def test_a_withdrawn_inspector_is_not_withdrawn_again(world, supervisor):
    service.substitute(world.assignment, reason="病假", user=supervisor)
    url = f"/api/random-check-assignments/{world.assignment.pk}/substitute/"
    before = snapshot()
    response = client_for(supervisor).post(url, {"reason": "再次"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["该检查人员已被撤换。"]}
    assert snapshot() == before


@pytest.mark.parametrize("pk", ["abc", "0", "99999999999999999999999", "-1"])
def test_a_bad_id_is_a_404(supervisor, pk):
    client = client_for(supervisor)
    assert client.get(f"{PLANS}{pk}/").status_code == 404
    assert client.get(f"{PLANS}{pk}/verify/").status_code == 404
    response = client.post(f"/api/random-check-assignments/{pk}/substitute/", {"reason": "x"})
    assert response.status_code == 404


# --- districts, filters, queries ---------------------------------------------------------------


def test_a_limited_supervisor_reads_and_substitutes_only_their_targets(supervisor, superuser):
    FacilityFactory.create_batch(3, district=District.DAGZE)
    FacilityFactory.create_batch(3, district=District.CHENGGUAN)
    InspectorFactory.create_batch(5)
    plan = service.draw(RandomCheckPlanFactory(target_count=6), seed="1", user=superuser)
    UserDistrictFactory(user=supervisor, district=District.DAGZE)
    client = client_for(supervisor)
    targets = client.get("/api/random-check-targets/", {"plan": plan.pk}).json()["results"]
    assert len(targets) == 3
    assert {t["facility"]["district"] for t in targets} == {District.DAGZE}
    theirs = RandomCheckAssignment.objects.filter(
        target__plan=plan, target__facility__district=District.CHENGGUAN
    ).first()
    assert client.get(f"/api/random-check-targets/{theirs.target_id}/").status_code == 404
    before = snapshot()
    url = f"/api/random-check-assignments/{theirs.pk}/substitute/"
    assert client.post(url, {"reason": "病假"}, format="json").status_code == 404
    assert snapshot() == before
    assert client.get(f"{PLANS}{plan.pk}/").status_code == 200  # the plan is shared


def test_the_plans_filter_by_status_year_and_name(world, auditor):
    world.drawn, world.draft  # noqa: B018
    RandomCheckPlanFactory(name="2025年专项", starts_on=D(2025, 5, 1), ends_on=D(2025, 8, 1))
    client = client_for(auditor)

    def names(**query) -> list[str]:
        response = client.get(PLANS, query)
        assert response.status_code == 200, response.json()
        return sorted(p["name"] for p in response.json()["results"])

    assert names(status="drawn") == [world.drawn.name]
    assert names(year=2025) == ["2025年专项"]
    assert names(q="第二批") == [world.draft.name]
    assert names(ordering="-pool_size")[0]
    assert client.get(PLANS, {"status": "nonsense"}).status_code == 400
    assert client.get(PLANS, {"year": "abc"}).status_code == 400
    assert client.get(PLANS, {"ordering": "pool"}).status_code == 400


def test_the_targets_filter_by_plan(world, auditor):
    world.draft  # noqa: B018
    other = service.draw(RandomCheckPlanFactory(target_count=2), seed="9", user=world.user)
    client = client_for(auditor)
    rows = client.get("/api/random-check-targets/", {"plan": other.pk}).json()["results"]
    assert [r["rank"] for r in rows] == [1, 2]
    assert client.get("/api/random-check-targets/", {"plan": "abc"}).status_code == 400


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_lists_cost_the_same_for_one_row_and_many(supervisor, django_assert_num_queries):
    FacilityFactory.create_batch(30)
    InspectorFactory.create_batch(6)
    client = client_for(supervisor)
    small = service.draw(RandomCheckPlanFactory(target_count=1), seed="1", user=supervisor)
    one = {
        "plans": _count(client, PLANS),
        "targets": _count(client, f"/api/random-check-targets/?plan={small.pk}"),
        "assignments": _count(client, f"/api/random-check-assignments/?plan={small.pk}"),
    }
    big = service.draw(RandomCheckPlanFactory(target_count=30), seed="2", user=supervisor)
    for assignment in RandomCheckAssignment.objects.filter(target__plan=big)[:4]:
        service.substitute(assignment, reason="病假", user=supervisor)
    RandomCheckPlanFactory.create_batch(10)
    with django_assert_num_queries(one["plans"]):
        client.get(PLANS)
    with django_assert_num_queries(one["targets"]):
        rows = client.get(f"/api/random-check-targets/?plan={big.pk}").json()["results"]
    assert len(rows) == 30
    with django_assert_num_queries(one["assignments"]):
        client.get(f"/api/random-check-assignments/?plan={big.pk}")


def test_the_targets_page_by_cursor_in_rank_order(supervisor, auditor):
    FacilityFactory.create_batch(25)
    InspectorFactory.create_batch(4)
    plan = service.draw(RandomCheckPlanFactory(target_count=25), seed="5", user=supervisor)
    client = client_for(auditor)
    url = f"/api/random-check-targets/?plan={plan.pk}&page_size=10"
    ranks = []
    while url:
        body = client.get(url).json()
        ranks += [row["rank"] for row in body["results"]]
        url = body["next"]
    assert ranks == list(range(1, 26))
