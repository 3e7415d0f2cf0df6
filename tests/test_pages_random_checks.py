"""The random-check pages (双随机抽查计划): who may open and post what, writing and editing a draft
with its pool preview, drawing, verifying (and catching a tampered plan), publishing, cancelling,
substituting an inspector; hostile or wrong input and stale versions change nothing and are told
in Chinese; the pool downloads hash to the stored digests; a district-limited account sees its
targets only; a fixed number of queries for the list and the plan's page."""

from __future__ import annotations

import datetime
import hashlib
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision import random_draw
from supervision.choices import District, FacilityKind, InspectionStatus, RandomCheckStatus
from supervision.models import (
    Inspection,
    RandomCheckAssignment,
    RandomCheckPlan,
    RandomCheckTarget,
)
from supervision.services import random_checks as service
from tests.dbstate import snapshot
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectorFactory,
    RandomCheckPlanFactory,
    UserDistrictFactory,
)
from tests.pages import html_of, sign_in

pytestmark = pytest.mark.django_db

D = datetime.date
PERSONAS = [
    "anonymous",
    "outsider",
    "inspector",
    "evaluator",
    "supervisor",
    "auditor",
    "tip_desk",
    "superuser",
]
READERS = {"inspector", "evaluator", "supervisor", "auditor", "superuser"}
DRAWERS = {"supervisor", "superuser"}
HOSTILE = [
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    "'; DROP TABLE supervision_randomcheckplan; --",
]
SEED = "2026-03-01 双色球 03 08 15 22 27 31 + 09"


def make_pool(n: int = 8, district: str = District.CHENGGUAN) -> list:
    rows = FacilityFactory.create_batch(n, district=district)
    for facility, grade in zip(rows, "ABCDABCDABCD", strict=False):
        CreditRatingFactory(facility=facility, year=2025, grade=grade)
    return rows


def drawn_plan(user, **changes) -> RandomCheckPlan:
    plan = service.create_plan(
        user=user,
        **{
            "name": "2026年第一批双随机抽查",
            "starts_on": D(2026, 3, 1),
            "ends_on": D(2026, 6, 30),
            "target_count": 3,
            **changes,
        },
    )
    return service.draw(plan, seed=SEED, seed_source="福利彩票开奖公告", user=user)


@pytest.fixture
def world(supervisor):
    """Eight facilities in Chengguan, six inspectors, a draft and a drawn plan."""
    facilities = make_pool()
    inspectors = InspectorFactory.create_batch(6)
    draft = RandomCheckPlanFactory(name="2026年第二批双随机抽查")
    drawn = drawn_plan(supervisor)
    return SimpleNamespace(
        facilities=facilities,
        inspectors=inspectors,
        draft=draft,
        drawn=drawn,
        assignment=RandomCheckAssignment.objects.filter(target__plan=drawn).first(),
    )


def form_data(response, **fill) -> dict:
    """The form's fields as the page shows them (hidden version included), with fill."""
    form = response.context["form"]
    data: dict = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, list):
            data[name] = value
        elif isinstance(value, bool):
            data[name] = "on" if value else ""
        else:
            data[name] = "" if value is None else field.widget.format_value(value) or value
    return {k: v for k, v in (data | fill).items() if v is not None}


def plan_form(**overrides) -> dict:
    return {
        "name": "2026年第三批双随机抽查",
        "starts_on": "2026-03-01",
        "ends_on": "2026-06-30",
        "kinds": [FacilityKind.HOSPITAL],
        "districts": [District.CHENGGUAN],
        "grades": ["A", "B", "unrated"],
        "grade_year": "2025",
        "target_count": "3",
        "target_share": "",
        "weight_A": "1",
        "weight_D": "",
        "weight_unrated": "5",
        "inspectors_per_target": "2",
        "inspector_rest_months": "6",
        "exclude_home_district": "on",
        "note": "按《医疗保障基金飞行检查管理暂行办法》组织。",
    } | overrides


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- who may open what ------------------------------------------------------------------------

PAGES = [
    ("random-plan-list", READERS, lambda w: reverse("random-plan-list")),
    ("random-plan-detail", READERS, lambda w: w.drawn.get_absolute_url()),
    ("draft detail", READERS, lambda w: w.draft.get_absolute_url()),
    ("random-plan-pool", READERS, lambda w: reverse("random-plan-pool", args=[w.drawn.pk])),
    (
        "random-plan-inspector-pool",
        READERS,
        lambda w: reverse("random-plan-inspector-pool", args=[w.drawn.pk]),
    ),
    ("random-plan-create", DRAWERS, lambda w: reverse("random-plan-create")),
    ("random-plan-edit", DRAWERS, lambda w: reverse("random-plan-edit", args=[w.draft.pk])),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "allowed", "url"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_opens_only_for_the_roles_it_is_for(
    client, request, world, persona, name, allowed, url
):
    user = sign_in(client, request, persona)
    response = client.get(url(world))
    if user is None:
        assert response.status_code == 302
        assert reverse("login") in response["Location"]
    elif persona in allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


STEPS = [
    ("random-plan-draw", lambda w: w.draft.pk, {"seed": "7"}),
    ("random-plan-publish", lambda w: w.drawn.pk, {"confirm": "on"}),
    ("random-plan-cancel", lambda w: w.drawn.pk, {"reason": "计划调整"}),
    ("random-assignment-substitute", lambda w: w.assignment.pk, {"reason": "病假"}),
    ("random-plan-create", None, plan_form()),
    ("random-plan-edit", lambda w: w.draft.pk, plan_form()),
]


@pytest.mark.parametrize("persona", ["inspector", "auditor", "evaluator", "tip_desk", "outsider"])
@pytest.mark.parametrize(("step", "pk", "body"), STEPS, ids=[s[0] for s in STEPS])
def test_only_a_supervisor_may_post_a_step(client, request, world, persona, step, pk, body):
    sign_in(client, request, persona)
    url = reverse(step, args=[pk(world)]) if pk else reverse(step)
    before = snapshot()
    version = {"version": str(world.draft.version if step != "random-plan-publish" else 2)}
    assert client.post(url, body | version).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("inspector", True), ("auditor", True), ("supervisor", True), ("tip_desk", False)],
)
def test_the_navigation_links_the_list_for_readers_only(client, request, persona, shown):
    sign_in(client, request, persona)
    html = html_of(client.get(reverse("dashboard")))
    assert (f'href="{reverse("random-plan-list")}"' in html) is shown


def test_a_reader_is_offered_the_verification_but_no_step(client, auditor, world):
    client.force_login(auditor)
    html = html_of(client.get(world.drawn.get_absolute_url()))
    assert reverse("random-plan-verify", args=[world.drawn.pk]) in html
    for step in ("random-plan-publish", "random-plan-cancel", "random-plan-edit"):
        assert reverse(step, args=[world.drawn.pk]) not in html
    assert reverse("random-assignment-substitute", args=[world.assignment.pk]) not in html
    html = html_of(client.get(world.draft.get_absolute_url()))
    assert reverse("random-plan-draw", args=[world.draft.pk]) not in html
    assert reverse("random-plan-edit", args=[world.draft.pk]) not in html
    assert reverse("random-plan-create") not in html_of(client.get(reverse("random-plan-list")))


def test_a_supervisor_is_offered_the_steps_each_state_allows(client, supervisor, world):
    client.force_login(supervisor)
    html = html_of(client.get(world.draft.get_absolute_url()))
    assert reverse("random-plan-draw", args=[world.draft.pk]) in html
    assert reverse("random-plan-edit", args=[world.draft.pk]) in html
    assert reverse("random-plan-cancel", args=[world.draft.pk]) in html
    assert reverse("random-plan-publish", args=[world.draft.pk]) not in html
    html = html_of(client.get(world.drawn.get_absolute_url()))
    assert reverse("random-plan-publish", args=[world.drawn.pk]) in html
    assert reverse("random-plan-draw", args=[world.drawn.pk]) not in html
    assert reverse("random-plan-edit", args=[world.drawn.pk]) not in html
    assert reverse("random-assignment-substitute", args=[world.assignment.pk]) in html


def test_an_unknown_plan_is_a_404(client, supervisor):
    client.force_login(supervisor)
    for url in ("/random-checks/999999/", "/random-checks/999999/pool.csv"):
        assert client.get(url).status_code == 404
    assert client.post("/random-checks/999999/draw/", {"seed": "1"}).status_code == 404
    assert client.post("/random-checks/assignments/999999/substitute/").status_code == 404


# --- writing and editing a draft --------------------------------------------------------------


def test_writing_a_plan_saves_a_draft_with_its_criteria_and_history(client, supervisor):
    client.force_login(supervisor)
    response = client.post(reverse("random-plan-create"), plan_form(), follow=True)
    plan = RandomCheckPlan.objects.get()
    assert response.redirect_chain[-1][0] == plan.get_absolute_url()
    assert plan.status == RandomCheckStatus.DRAFT
    assert plan.kinds == [FacilityKind.HOSPITAL]
    assert plan.districts == [District.CHENGGUAN]
    assert plan.grades == ["", "A", "B"]
    assert plan.weights == {"A": 1, "": 5}
    assert (plan.grade_year, plan.target_count, plan.target_share) == (2025, 3, None)
    assert (plan.inspector_rest_months, plan.exclude_home_district) == (6, True)
    assert plan.created_by == supervisor
    assert plan.history.get().history_user == supervisor
    assert "抽查计划已保存为草稿" in html_of(response)


def test_a_share_instead_of_a_count(client, supervisor):
    client.force_login(supervisor)
    response = client.post(
        reverse("random-plan-create"), plan_form(target_count="", target_share="12.5")
    )
    assert response.status_code == 302
    plan = RandomCheckPlan.objects.get()
    assert (plan.target_count, str(plan.target_share)) == (None, "12.50")


def test_the_draft_shows_how_many_facilities_its_pool_holds(client, supervisor):
    make_pool(5)
    FacilityFactory(pharmacy=True)
    plan = RandomCheckPlanFactory(kinds=[FacilityKind.HOSPITAL], target_count=2)
    client.force_login(supervisor)
    response = client.get(plan.get_absolute_url())
    assert response.context["preview"] == {"pool": 5, "count": 2}
    assert "抽取范围有 5 家机构，将抽取 2 个对象" in html_of(response)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "请填写此项。"),
        ("name", "名" * 101, "最多100个字符"),
        ("name", "示例\x00", "不能包含空字符。"),
        ("starts_on", "2026/03/01", "请输入有效日期"),
        ("starts_on", HOSTILE[2], "请输入有效日期"),
        ("ends_on", "2026-02-01", "检查截止日期不能早于开始日期。"),
        ("kinds", ["surgery"], "所选项无效。"),
        ("kinds", [HOSTILE[0]], "所选项无效。"),
        ("districts", ["999999"], "所选项无效。"),
        ("grades", ["E"], "所选项无效。"),
        ("grades", [""], "所选项无效。"),
        ("grade_year", "abc", "请输入整数。"),
        ("grade_year", "1999", "不能小于2018。"),
        ("not_inspected_months", "121", "不能大于120。"),
        ("not_inspected_months", "99999999999999999999999", "不能大于120。"),
        ("target_count", "", "请填写抽取数量或抽取比例（二选一）。"),
        ("target_count", "0", "不能小于1。"),
        ("target_count", "1.5", "请输入整数。"),
        ("target_count", "100001", "不能大于100000。"),
        ("target_share", "5", "抽取数量和抽取比例只能填写一项。"),
        ("weight_A", "11", "不能大于10。"),
        ("weight_B", "0", "不能小于1。"),
        ("weight_unrated", HOSTILE[1], "请输入整数。"),
        ("inspectors_per_target", "1", "不能小于2。"),
        ("inspectors_per_target", "11", "不能大于10。"),
        ("inspectors_per_target", "", "请填写此项。"),
        ("inspector_rest_months", "-3", "不能小于1。"),
        ("note", "备" * 2001, "最多2000个字符"),
    ],
)
def test_bad_plan_input_is_refused_in_chinese_and_changes_nothing(
    client, supervisor, field, value, message
):
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(reverse("random-plan-create"), plan_form(**{field: value}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in e for errors_of in errors.values() for e in errors_of), errors
    assert snapshot() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("target_share", "0"),
        ("target_share", "100.01"),
        ("target_share", "1.234"),
        ("target_share", "NaN"),
        ("target_share", "1e400"),
        ("target_share", "abc"),
    ],
)
def test_a_bad_share_is_refused(client, supervisor, field, value):
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("random-plan-create"), plan_form(target_count="", **{field: value})
    )
    assert response.status_code == 200
    assert "target_share" in response.context["form"].errors
    assert snapshot() == before


def test_hostile_text_is_stored_as_typed_and_shown_escaped(client, supervisor):
    client.force_login(supervisor)
    client.post(reverse("random-plan-create"), plan_form(name=HOSTILE[0], note=HOSTILE[2]))
    plan = RandomCheckPlan.objects.get()
    assert plan.name == HOSTILE[0]
    html = html_of(client.get(plan.get_absolute_url()))
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    RandomCheckPlanFactory(name=HOSTILE[1])
    response = client.get(reverse("random-plan-list"), {"export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert HOSTILE[0] in text  # CSV is not HTML: as typed
    assert "'=cmd" in text  # a formula is written as text


def test_editing_a_draft_saves_it_with_its_history(client, supervisor, world):
    client.force_login(supervisor)
    url = reverse("random-plan-edit", args=[world.draft.pk])
    data = form_data(client.get(url), name="2026年第二批（调整）", target_count="5")
    response = client.post(url, data)
    assert response.status_code == 302
    world.draft.refresh_from_db()
    assert (world.draft.name, world.draft.target_count) == ("2026年第二批（调整）", 5)
    assert world.draft.history.latest().history_user == supervisor


def test_a_stale_edit_is_refused_and_changes_nothing(client, supervisor, world):
    client.force_login(supervisor)
    url = reverse("random-plan-edit", args=[world.draft.pk])
    data = form_data(client.get(url), name="过时的名称")
    service.edit_plan(world.draft, user=supervisor, note="另一人先改了说明")
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 409
    assert snapshot() == before
    assert "过时的名称" in html_of(response)  # what was typed stays on the page


@pytest.mark.parametrize("version", ["", "abc", "-1"])
def test_an_edit_without_a_valid_version_is_refused(client, supervisor, world, version):
    client.force_login(supervisor)
    url = reverse("random-plan-edit", args=[world.draft.pk])
    data = form_data(client.get(url), name="无版本", version=version)
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 200
    assert "表单缺少版本信息" in html_of(response)
    assert snapshot() == before


def test_a_drawn_plan_is_not_edited(client, supervisor, world):
    client.force_login(supervisor)
    url = reverse("random-plan-edit", args=[world.drawn.pk])
    before = snapshot()
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == world.drawn.get_absolute_url()
    assert "不能再修改抽取条件" in html_of(response)
    response = client.post(url, plan_form(version=str(world.drawn.version)), follow=True)
    assert "不能再修改抽取条件" in html_of(response)
    assert snapshot() == before


def test_a_limited_supervisor_writes_plans_in_their_districts_only(client, supervisor):
    UserDistrictFactory(user=supervisor, district=District.DAGZE)
    client.force_login(supervisor)
    form = client.get(reverse("random-plan-create")).context["form"]
    assert [v for v, _label in form.fields["districts"].choices] == [District.DAGZE]
    before = snapshot()
    response = client.post(reverse("random-plan-create"), plan_form(districts=[]))
    assert "您只能在本人负责的区县范围内抽查" in html_of(response)
    response = client.post(reverse("random-plan-create"), plan_form())  # Chengguan
    assert "districts" in response.context["form"].errors
    assert snapshot() == before
    response = client.post(reverse("random-plan-create"), plan_form(districts=[District.DAGZE]))
    assert response.status_code == 302


# --- drawing, verifying, the pools ------------------------------------------------------------


def test_drawing_stores_the_draw_and_shows_it(client, supervisor, world):
    client.force_login(supervisor)
    url = reverse("random-plan-draw", args=[world.draft.pk])
    response = client.post(
        url,
        {"seed": "8 15 23 42", "seed_source": "当日开奖号码", "version": world.draft.version},
        follow=True,
    )
    plan = RandomCheckPlan.objects.get(pk=world.draft.pk)
    assert plan.status == RandomCheckStatus.DRAWN
    assert (plan.seed, plan.seed_source, plan.drawn_by) == (
        "8 15 23 42",
        "当日开奖号码",
        supervisor,
    )
    assert plan.targets.count() == 3
    html = html_of(response)
    assert "已抽取：抽取范围8家机构，抽中3个对象" in html
    for text in (plan.pool_digest, plan.result_digest, plan.algorithm, "8 15 23 42"):
        assert text in html
    assert "sha256sum" in html
    assert "Efraimidis" in html  # the algorithm, as an auditor re-runs it


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"seed": ""}, "随机种子：请填写此项。"),
        ({"seed": "7|8"}, "随机种子不能包含竖线、换行或控制字符。"),
        ({"seed": "7\n8"}, "随机种子不能包含竖线、换行或控制字符。"),
        ({"seed": "7" * 129}, "最多128个字符"),
        ({"seed": "7", "seed_source": "源" * 201}, "最多200个字符"),
        ({"seed": HOSTILE[0] + "\x00"}, "不能包含空字符。"),
    ],
)
def test_a_bad_seed_is_refused_with_a_message_and_changes_nothing(
    client, supervisor, world, body, message
):
    client.force_login(supervisor)
    before = snapshot()
    url = reverse("random-plan-draw", args=[world.draft.pk])
    response = client.post(url, body | {"version": world.draft.version}, follow=True)
    assert response.redirect_chain[-1][0].startswith(world.draft.get_absolute_url())
    assert any(message in m for m in messages_of(response)), messages_of(response)
    assert snapshot() == before


def test_an_impossible_draw_is_refused_with_the_services_message(client, supervisor, world):
    plan = RandomCheckPlanFactory(kinds=[FacilityKind.INSURER])
    client.force_login(supervisor)
    before = snapshot()
    url = reverse("random-plan-draw", args=[plan.pk])
    response = client.post(url, {"seed": "7", "version": plan.version}, follow=True)
    assert "按这些条件没有可抽取的机构，请放宽条件。" in messages_of(response)
    assert snapshot() == before


def test_a_plan_is_drawn_only_once(client, supervisor, world):
    client.force_login(supervisor)
    before = snapshot()
    url = reverse("random-plan-draw", args=[world.drawn.pk])
    response = client.post(url, {"seed": "7", "version": world.drawn.version}, follow=True)
    assert "该计划已抽取或已撤销，不能重新抽取。" in messages_of(response)
    assert snapshot() == before


def test_a_stale_draw_is_refused(client, supervisor, world):
    client.force_login(supervisor)
    version = world.draft.version
    service.edit_plan(world.draft, user=supervisor, target_count=4)
    before = snapshot()
    url = reverse("random-plan-draw", args=[world.draft.pk])
    response = client.post(url, {"seed": "7", "version": version}, follow=True)
    assert any("已被他人修改" in m for m in messages_of(response))
    assert snapshot() == before


def test_the_verification_reports_a_good_draw(client, auditor, world):
    client.force_login(auditor)
    before = snapshot()
    response = client.post(reverse("random-plan-verify", args=[world.drawn.pk]), follow=True)
    shown = messages_of(response)
    assert any(m.startswith("核验通过") and world.drawn.result_digest in m for m in shown), shown
    assert snapshot() == before  # verifying writes nothing


def test_the_verification_reports_a_tampered_plan(client, auditor, world):
    first, second = world.drawn.targets.order_by("rank")[:2]
    RandomCheckTarget.objects.filter(pk=first.pk).update(rank=999)
    RandomCheckTarget.objects.filter(pk=second.pk).update(rank=1)
    RandomCheckTarget.objects.filter(pk=first.pk).update(rank=2)
    client.force_login(auditor)
    response = client.post(reverse("random-plan-verify", args=[world.drawn.pk]), follow=True)
    shown = messages_of(response)
    assert any(m.startswith("核验未通过") and "不一致" in m for m in shown), shown


def test_the_verification_of_a_draft_says_it_is_not_drawn(client, auditor, world):
    client.force_login(auditor)
    response = client.post(reverse("random-plan-verify", args=[world.draft.pk]), follow=True)
    assert any("该计划尚未抽取。" in m for m in messages_of(response))


def test_the_pool_download_hashes_to_the_pool_digest(client, auditor, world):
    client.force_login(auditor)
    response = client.get(reverse("random-plan-pool", args=[world.drawn.pk]))
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content)
    assert hashlib.sha256(content).hexdigest() == world.drawn.pool_digest
    entries = random_draw.unpack_pool(bytes(world.drawn.pool))
    assert content.decode() == "".join(random_draw.pool_text(entries))
    assert content.decode().splitlines()[0] == "facility_id,weight"
    assert len(content.decode().splitlines()) == 1 + world.drawn.pool_size


def test_the_inspector_pool_download_is_the_text_the_salt_digests(client, auditor, world):
    client.force_login(auditor)
    response = client.get(reverse("random-plan-inspector-pool", args=[world.drawn.pk]))
    content = b"".join(response.streaming_content)
    entries = random_draw.unpack_inspectors(bytes(world.drawn.inspector_pool))
    assert content.decode() == "".join(random_draw.inspector_pool_text(entries))
    assert len(content.decode().splitlines()) == 1 + world.drawn.inspector_pool_size


def test_a_draft_has_no_pool_to_download(client, auditor, world):
    client.force_login(auditor)
    assert client.get(reverse("random-plan-pool", args=[world.draft.pk])).status_code == 404


# --- publishing, cancelling, substituting ----------------------------------------------------


def test_publishing_needs_the_confirmation_and_makes_the_inspections(client, supervisor, world):
    client.force_login(supervisor)
    url = reverse("random-plan-publish", args=[world.drawn.pk])
    before = snapshot()
    response = client.post(url, {"version": world.drawn.version}, follow=True)
    assert any("请勾选确认后再公布。" in m for m in messages_of(response))
    assert snapshot() == before
    response = client.post(url, {"version": world.drawn.version, "confirm": "on"}, follow=True)
    plan = RandomCheckPlan.objects.get(pk=world.drawn.pk)
    assert plan.status == RandomCheckStatus.PUBLISHED
    assert Inspection.objects.filter(random_check_target__plan=plan).count() == 3
    html = html_of(response)
    assert "计划已公布" in html
    assert "拉医保稽〔" in html  # the opened inspections, by their case numbers


def test_a_tampered_plan_is_not_published(client, supervisor, world):
    RandomCheckPlan.objects.filter(pk=world.drawn.pk).update(seed="another seed")
    client.force_login(supervisor)
    before = snapshot()
    url = reverse("random-plan-publish", args=[world.drawn.pk])
    response = client.post(url, {"version": world.drawn.version, "confirm": "on"}, follow=True)
    assert any("抽取结果核验未通过，不能公布" in m for m in messages_of(response))
    assert snapshot() == before


def test_cancelling_needs_a_reason(client, supervisor, world):
    client.force_login(supervisor)
    url = reverse("random-plan-cancel", args=[world.drawn.pk])
    before = snapshot()
    for reason in ("", "   ", "因" * 1001):
        response = client.post(url, {"version": world.drawn.version, "reason": reason}, follow=True)
        assert any(m.startswith("撤销原因：") for m in messages_of(response)), messages_of(response)
    assert snapshot() == before
    client.post(url, {"version": world.drawn.version, "reason": "上级部署调整"})
    plan = RandomCheckPlan.objects.get(pk=world.drawn.pk)
    assert (plan.status, plan.cancel_reason) == (RandomCheckStatus.CANCELLED, "上级部署调整")


def test_a_published_plan_is_not_cancelled(client, supervisor, world):
    service.publish(world.drawn, user=supervisor)
    client.force_login(supervisor)
    plan = RandomCheckPlan.objects.get(pk=world.drawn.pk)
    before = snapshot()
    url = reverse("random-plan-cancel", args=[plan.pk])
    response = client.post(url, {"version": plan.version, "reason": "试试"}, follow=True)
    assert "已公布或已撤销的计划不能撤销。" in messages_of(response)
    assert snapshot() == before


def test_substituting_an_inspector_records_who_and_why(client, supervisor, world):
    client.force_login(supervisor)
    assignment = world.assignment
    url = reverse("random-assignment-substitute", args=[assignment.pk])
    response = client.post(url, {"reason": "突发疾病"}, follow=True)
    assert response.redirect_chain[-1][0].endswith(f"#target-{assignment.target_id}")
    assignment.refresh_from_db()
    assert (assignment.withdrawn_on is not None, assignment.withdrawn_reason) == (True, "突发疾病")
    replacement = assignment.replaced_by
    assert replacement.drawn is False and replacement.recorded_by == supervisor
    html = html_of(response)
    assert "已撤换" in html
    assert "突发疾病" in html
    assert replacement.inspector.name in html
    assert "抽查人员：" in html  # the plan's history tells the substitution


@pytest.mark.parametrize("reason", ["", "  ", "因" * 1001])
def test_a_substitution_needs_a_reason(client, supervisor, world, reason):
    client.force_login(supervisor)
    before = snapshot()
    url = reverse("random-assignment-substitute", args=[world.assignment.pk])
    response = client.post(url, {"reason": reason}, follow=True)
    assert any(m.startswith("撤换原因：") for m in messages_of(response)), messages_of(response)
    assert snapshot() == before


def test_a_withdrawn_inspector_is_not_withdrawn_again(client, supervisor, world):
    service.substitute(world.assignment, reason="病假", user=supervisor)
    client.force_login(supervisor)
    before = snapshot()
    url = reverse("random-assignment-substitute", args=[world.assignment.pk])
    response = client.post(url, {"reason": "再次"}, follow=True)
    assert "该检查人员已被撤换。" in messages_of(response)
    assert snapshot() == before


def test_a_completed_targets_inspectors_are_not_substituted(client, supervisor, world):
    service.publish(world.drawn, user=supervisor)
    target = world.assignment.target
    target.refresh_from_db()
    Inspection.objects.filter(pk=target.inspection_id).update(
        status=InspectionStatus.COMPLETED, end_date=D(2026, 3, 2)
    )
    client.force_login(supervisor)
    html = html_of(client.get(world.drawn.get_absolute_url()))
    assert reverse("random-assignment-substitute", args=[world.assignment.pk]) not in html
    before = snapshot()
    url = reverse("random-assignment-substitute", args=[world.assignment.pk])
    response = client.post(url, {"reason": "病假"}, follow=True)
    assert "该对象的检查已完成，不能再撤换检查人员。" in messages_of(response)
    assert snapshot() == before


def test_a_get_of_a_step_shows_the_plan(client, supervisor, world):
    client.force_login(supervisor)
    response = client.get(reverse("random-plan-publish", args=[world.drawn.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(world.drawn.get_absolute_url())


# --- districts ---------------------------------------------------------------------------------


def test_a_district_limited_supervisor_sees_and_substitutes_only_their_targets(
    client, supervisor, superuser
):
    mine = make_pool(4, District.DAGZE)
    make_pool(4, District.CHENGGUAN)
    InspectorFactory.create_batch(6)
    plan = drawn_plan(superuser, target_count=8)
    UserDistrictFactory(user=supervisor, district=District.DAGZE)
    client.force_login(supervisor)
    response = client.get(plan.get_absolute_url())
    shown = [row.target.facility for row in response.context["target_rows"]]
    assert sorted(f.pk for f in shown) == sorted(f.pk for f in mine)
    assert response.context["progress"].targets == 4
    assert "只显示您负责区县的抽查对象" in html_of(response)
    theirs = RandomCheckAssignment.objects.filter(
        target__plan=plan, target__facility__district=District.CHENGGUAN
    ).first()
    before = snapshot()
    url = reverse("random-assignment-substitute", args=[theirs.pk])
    assert client.post(url, {"reason": "病假"}).status_code == 404
    assert snapshot() == before


# --- lists and queries -------------------------------------------------------------------------


def test_the_list_filters_by_status_year_and_name(client, auditor, world):
    RandomCheckPlanFactory(name="2025年专项抽查", starts_on=D(2025, 5, 1), ends_on=D(2025, 9, 1))
    client.force_login(auditor)
    url = reverse("random-plan-list")

    def listed(**query) -> list[str]:
        response = client.get(url, query)
        assert response.status_code == 200
        return sorted(p.name for p in response.context["object_list"])

    assert listed(status=RandomCheckStatus.DRAWN) == [world.drawn.name]
    assert listed(year=2025) == ["2025年专项抽查"]
    assert listed(q="第二批") == [world.draft.name]
    assert listed(q=HOSTILE[2]) == []
    assert listed(status="nonsense") == []  # refused, with a message, not everything
    assert listed(year="abc") == []
    assert listed(year="99999999999999999999") == []


@pytest.mark.parametrize(
    "key",
    [
        "name",
        "starts_on",
        "ends_on",
        "status",
        "target_count",
        "target_share",
        "pool_size",
        "drawn_at",
        "published_on",
    ],
)
def test_every_column_sorts_both_ways(client, auditor, world, key):
    client.force_login(auditor)
    for ordering in (key, f"-{key}"):
        response = client.get(reverse("random-plan-list"), {"ordering": ordering})
        assert response.status_code == 200
        assert len(response.context["object_list"]) == 2


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_the_list_exports(client, auditor, world, export):
    client.force_login(auditor)
    response = client.get(reverse("random-plan-list"), {"export": export})
    assert response.status_code == 200
    if export == "csv":
        text = b"".join(response.streaming_content).decode("utf-8")
        assert world.drawn.name in text
        assert world.drawn.result_digest in text


def test_the_list_issues_as_many_queries_for_many_rows_as_for_one(
    client, auditor, django_assert_num_queries
):
    RandomCheckPlanFactory()
    client.force_login(auditor)
    url = reverse("random-plan-list")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).context["object_list"]) == 1
    RandomCheckPlanFactory.create_batch(30)
    with django_assert_num_queries(len(one)):
        assert len(client.get(url).context["object_list"]) == 31


def test_the_plans_page_issues_as_many_queries_for_many_targets_as_for_few(
    client, supervisor, django_assert_num_queries
):
    make_pool(40)
    InspectorFactory.create_batch(8)
    small = drawn_plan(supervisor, target_count=1)
    service.substitute(
        RandomCheckAssignment.objects.filter(target__plan=small).first(),
        reason="病假",
        user=supervisor,
    )
    big = drawn_plan(supervisor, target_count=40)
    for assignment in RandomCheckAssignment.objects.filter(target__plan=big)[:5]:
        service.substitute(assignment, reason="病假", user=supervisor)
    client.force_login(supervisor)
    with CaptureQueriesContext(connection) as few:
        assert client.get(small.get_absolute_url()).status_code == 200
    with django_assert_num_queries(len(few)):
        response = client.get(big.get_absolute_url())
    assert len(response.context["target_rows"]) == 40


def test_a_big_plans_targets_come_a_page_at_a_time(client, auditor, supervisor):
    make_pool(60)
    InspectorFactory.create_batch(4)
    plan = drawn_plan(supervisor, target_count=55)
    client.force_login(auditor)
    first = client.get(plan.get_absolute_url())
    assert [r.target.rank for r in first.context["target_rows"]] == list(range(1, 51))
    second = client.get(plan.get_absolute_url(), {"page": "2"})
    assert [r.target.rank for r in second.context["target_rows"]] == list(range(51, 56))
    for page in ("abc", "999", "-1", "99999999999999999999999"):
        assert client.get(plan.get_absolute_url(), {"page": page}).status_code == 200


def test_progress_shows_money_as_yuan_and_overdue_targets(client, auditor, supervisor, world):
    service.publish(world.drawn, user=supervisor)
    target = world.drawn.targets.order_by("rank").first()
    Inspection.objects.filter(pk=target.inspection_id).update(
        status=InspectionStatus.COMPLETED,
        end_date=D(2026, 3, 5),
        amount_involved="12345.60",
        amount_recovered="2000",
    )
    client.force_login(auditor)
    response = client.get(world.drawn.get_absolute_url())
    html = html_of(response)
    assert "¥12,345.60" in html
    assert "¥2,000.00" in html
    progress = response.context["progress"]
    assert (progress.completed, progress.planned) == (1, 2)


def test_a_drawn_inspection_links_its_plan_on_its_page(client, supervisor, world):
    service.publish(world.drawn, user=supervisor)
    inspection = Inspection.objects.filter(random_check_target__plan=world.drawn).first()
    client.force_login(supervisor)
    html = html_of(client.get(inspection.get_absolute_url()))
    assert f'href="{world.drawn.get_absolute_url()}"' in html
    assert world.drawn.name in html
