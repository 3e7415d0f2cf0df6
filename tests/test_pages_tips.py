"""The tip pages (举报线索): list, tip page, each step's form, rewards, the overview's panel and
the footer's hotlines; and the reporter rule on each of them (masked for inspectors and
auditors, shown to the tip desk and supervisors)."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supervision.choices import (
    District,
    InspectionKind,
    InspectionStatus,
    RewardStatus,
    TipChannel,
    TipConclusion,
    TipStatus,
)
from supervision.models import Hotline, Inspection, Tip, TipReporter, TipReward
from supervision.models.tip import MASK
from supervision.templatetags.supervision_tags import HOTLINES_CACHE_KEY
from tests.dbstate import snapshot, stored_version
from tests.factories import (
    FacilityFactory,
    InspectorFactory,
    TipExtensionFactory,
    TipFactory,
    TipReporterFactory,
    TipRewardFactory,
    UserDistrictFactory,
)
from tests.pages import html_of, sign_in

pytestmark = pytest.mark.django_db

D = datetime.date
REPORTER = "示例举报人张三"
PHONE = "13800000000"
PERSONAS = ["anonymous", "outsider", "inspector", "supervisor", "auditor", "tip_desk", "superuser"]
READERS = {"inspector", "supervisor", "auditor", "tip_desk", "superuser"}
DESK = {"supervisor", "tip_desk", "superuser"}  # add_tip / change_tip / reporter
SUPERVISORS = {"supervisor", "superuser"}  # add_tipextension / change_tipreward
REPORTER_READERS = {"supervisor", "tip_desk", "superuser"}


def today() -> datetime.date:
    return timezone.localdate()


def received_tip(**kwargs) -> Tip:
    tip = TipFactory(**kwargs)
    TipReporterFactory(tip=tip, name=REPORTER, phone=PHONE)
    return tip


def investigating_tip(completed: bool = False, **kwargs) -> Tip:
    tip = TipFactory(investigating=True, **kwargs)
    if completed:
        Inspection.objects.filter(pk=tip.inspection_id).update(
            status=InspectionStatus.COMPLETED, end_date=D(2025, 3, 15)
        )
        tip.refresh_from_db()
    TipReporterFactory(tip=tip, name=REPORTER, phone=PHONE)
    return tip


def concluded_tip(**kwargs) -> Tip:
    tip = TipFactory(concluded=True, **kwargs)
    TipReporterFactory(tip=tip, name=REPORTER, phone=PHONE)
    return tip


def reward_of(**kwargs) -> TipReward:
    tip = concluded_tip()
    return TipRewardFactory(tip=tip, **kwargs)


# (url name, how to build its argument, method) → who gets 200.
def _tip_arg(kind: str):
    return {
        "received": lambda: received_tip().pk,
        "accepted": lambda: (
            TipFactory(
                status=TipStatus.ACCEPTED, decided_on=D(2025, 3, 5), clock="investigation"
            ).pk
        ),
        "investigating": lambda: investigating_tip().pk,
        "concluded": lambda: concluded_tip().pk,
        "reward": lambda: reward_of().pk,
        "approved": lambda: reward_of(approved=True).pk,
        "none": lambda: None,
    }[kind]


PAGES = [
    ("tip-list", "none", READERS),
    ("tip-export", "none", READERS),
    ("tipreward-list", "none", READERS),
    ("tip-detail", "received", READERS),
    ("tip-detail", "concluded", READERS),
    ("tip-create", "none", DESK),
    ("tip-edit", "received", DESK),
    ("tip-reporter", "received", DESK),
    ("tip-accept", "received", DESK),
    ("tip-decline", "received", DESK),
    ("tip-merge", "received", DESK),
    ("tip-open-inspection", "accepted", DESK),
    ("tip-extend", "investigating", SUPERVISORS),
    ("tip-conclude", "investigating", DESK),
    ("tip-reply", "concluded", DESK),
    ("tip-close", "concluded", DESK),
    ("tip-reward-propose", "concluded", DESK),
    ("tipreward-decide", "reward", SUPERVISORS),
    ("tipreward-pay", "approved", SUPERVISORS),
]
CASES = [
    (name, kind, persona, 302 if persona == "anonymous" else 200 if persona in ok else 403)
    for name, kind, ok in PAGES
    for persona in PERSONAS
]


@pytest.mark.parametrize(("name", "kind", "persona", "status"), CASES)
def test_each_page_answers_each_persona(client, request, name, kind, persona, status):
    sign_in(client, request, persona)
    pk = _tip_arg(kind)()
    url = reverse(name, args=[pk] if pk is not None else [])
    response = client.get(url)
    assert response.status_code == status, html_of(response)[:2000]
    if persona == "anonymous":
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "name", ["tip-detail", "tip-edit", "tip-accept", "tip-decline", "tip-reporter"]
)
def test_a_tip_outside_the_users_districts_is_a_404(client, supervisor, name):
    UserDistrictFactory(user=supervisor, district=District.DOILUNGDEQEN)
    tip = received_tip(facility=FacilityFactory(district=District.CHENGGUAN))
    client.force_login(supervisor)
    assert client.get(reverse(name, args=[tip.pk])).status_code == 404
    assert tip not in client.get(reverse("tip-list")).context["object_list"]


def test_a_refused_post_changes_nothing(client, inspector):
    tip = received_tip()
    client.force_login(inspector)
    before = snapshot()
    response = client.post(
        reverse("tip-decline", args=[tip.pk]),
        {"decided_on": "2025-03-05", "reason": "x", "version": tip.version},
    )
    assert response.status_code == 403
    assert snapshot() == before


# --- the list -------------------------------------------------------------------------------------


def rows_of(client, **params) -> set[int]:
    response = client.get(reverse("tip-list"), params)
    assert response.status_code == 200
    assert not response.context["filter"].form.errors, response.context["filter"].form.errors
    return {t.pk for t in response.context["object_list"]}


@pytest.fixture
def small_set(db):
    """Five tips, each filter splitting them differently."""
    now = timezone.localdate()
    hospital = FacilityFactory(name="示例格桑医院", district=District.CHENGGUAN)
    pharmacy = FacilityFactory(name="示例央金药店", pharmacy=True, district=District.DOILUNGDEQEN)
    overdue = TipFactory(facility=hospital, due_on=now - datetime.timedelta(days=3))
    soon = TipFactory(
        facility=pharmacy,
        channel=TipChannel.WECHAT,
        due_on=now,
        received_at=timezone.make_aware(datetime.datetime(2025, 6, 2, 9)),
    )
    unknown = TipFactory(
        unregistered=True,
        subject_name="示例某某保健品店",
        district=District.DAMXUNG,
        due_on=None,
        channel=TipChannel.LETTER,
    )
    running = TipFactory(
        facility=hospital, due_on=now + datetime.timedelta(days=60), channel=TipChannel.PORTAL
    )
    concluded = TipFactory(concluded=True, facility=pharmacy)
    TipReporterFactory(tip=overdue, name="示例告密人王五")
    return {
        "overdue": overdue,
        "soon": soon,
        "unknown": unknown,
        "running": running,
        "concluded": concluded,
        "hospital": hospital,
        "pharmacy": pharmacy,
    }


def test_the_list_filters_split_a_small_set(client, auditor, small_set):
    s = small_set
    client.force_login(auditor)
    pk = {k: v.pk for k, v in s.items()}
    assert rows_of(client) == {
        pk[k] for k in ("overdue", "soon", "unknown", "running", "concluded")
    }
    assert rows_of(client, clock="overdue") == {pk["overdue"]}
    assert rows_of(client, clock="due_soon") == {pk["soon"]}
    assert rows_of(client, clock="unknown") == {pk["unknown"]}
    assert rows_of(client, channel=["wechat", "letter"]) == {pk["soon"], pk["unknown"]}
    assert rows_of(client, status="concluded") == {pk["concluded"]}
    assert rows_of(client, district="540122") == {pk["unknown"]}
    assert rows_of(client, facility=s["hospital"].pk) == {pk["overdue"], pk["running"]}
    assert rows_of(client, received_after="2025-06-01", received_before="2025-06-02") == {
        pk["soon"]
    }
    assert rows_of(client, received_before="2025-06-01") == {
        pk["overdue"],
        pk["unknown"],
        pk["running"],
        pk["concluded"],
    }
    assert rows_of(client, conclusion="substantiated") == {pk["concluded"]}
    assert rows_of(client, q=f"#{pk['running']}") == {pk["running"]}
    assert rows_of(client, q="保健品") == {pk["unknown"]}
    assert rows_of(client, q="央金") == {pk["soon"], pk["concluded"]}


def test_the_search_never_matches_the_reporter(client, request, small_set):
    for persona in ("auditor", "tip_desk"):
        sign_in(client, request, persona)
        assert rows_of(client, q="告密人") == set()
        assert rows_of(client, q=PHONE) == set()


@pytest.mark.parametrize(
    "params",
    [
        {"clock": "later"},
        {"channel": "fax"},
        {"received_after": "2025-13-01"},
        {"facility": "99999999999999999999999"},
        {"q": "x" * 500},
        {"status": "<script>"},
        {"ordering": "reporter__name"},
    ],
)
def test_bad_filters_are_refused_with_a_message(client, auditor, small_set, params):
    client.force_login(auditor)
    response = client.get(reverse("tip-list"), params)
    assert response.status_code == 200
    if "ordering" not in params:
        assert response.context["filter"].form.errors
        assert not response.context["object_list"]


def test_hostile_searches_do_not_fail(client, auditor, small_set):
    client.force_login(auditor)
    for text in ["' OR 1=1 --", "<script>alert(1)</script>", "=cmd|' /C calc'!A0", "#", "＃12"]:
        response = client.get(reverse("tip-list"), {"q": text})
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in html_of(response)


def test_the_clock_badges(client, auditor, small_set):
    client.force_login(auditor)
    html = html_of(client.get(reverse("tip-list")))
    assert 'class="badge clock-overdue"' in html
    assert 'class="badge clock-due_soon"' in html
    assert 'class="badge clock-unknown"' in html
    assert "期限未知" in html
    assert 'class="badge clock-running"' in html


@pytest.mark.parametrize("persona", ["inspector", "auditor"])
def test_the_reporter_column_is_masked_for_those_without_the_permission(
    client, request, small_set, persona
):
    sign_in(client, request, persona)
    html = html_of(client.get(reverse("tip-list")))
    assert "示例告密人王五" not in html
    assert MASK in html
    export = client.get(reverse("tip-export")).getvalue().decode("utf-8-sig")
    assert "示例告密人王五" not in export
    assert MASK in export


@pytest.mark.parametrize("persona", ["tip_desk", "supervisor"])
def test_the_reporter_column_shows_the_name_to_readers(client, request, small_set, persona):
    sign_in(client, request, persona)
    html = html_of(client.get(reverse("tip-list")))
    assert "示例告密人王五" in html
    assert "未留姓名" in html  # the tips without a reporter row
    export = client.get(reverse("tip-export")).getvalue().decode("utf-8-sig")
    assert "示例告密人王五" in export


def test_an_anonymous_tip_reads_anonymous_to_readers_and_mask_to_others(client, request):
    TipFactory(anonymous=True, wants_reply=False)
    sign_in(client, request, "tip_desk")
    assert "匿名" in html_of(client.get(reverse("tip-list")))
    sign_in(client, request, "inspector")
    html = html_of(client.get(reverse("tip-list")))
    assert MASK in html


def test_the_export_follows_the_filters_and_is_audited(client, auditor, small_set):
    client.force_login(auditor)
    response = client.get(reverse("tip-export"), {"clock": "overdue"})
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert len(rows) == 2
    assert rows[1][0] == str(small_set["overdue"].pk)
    from supervision.models import AuditEvent

    assert AuditEvent.objects.filter(user=auditor).exists()


@pytest.mark.parametrize("persona", ["tip_desk", "auditor"])
def test_the_list_issues_as_many_queries_for_50_rows_as_for_1(
    client, request, persona, django_assert_num_queries
):
    received_tip()
    sign_in(client, request, persona)
    url = reverse("tip-list")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).context["object_list"]) == 1
    for index in range(49):
        tip = TipFactory(anonymous=index % 3 == 0)
        if index % 2:
            TipReporterFactory(tip=tip)
    with django_assert_num_queries(len(one)):
        assert len(client.get(url).context["object_list"]) == 50


# --- the tip's page ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["inspector", "auditor"])
def test_the_reporter_panel_is_masked(client, request, persona):
    tip = received_tip()
    TipReporter.objects.filter(tip=tip).update(
        id_number="11010519491231002X", address="示例市秘密路9号"
    )
    sign_in(client, request, persona)
    html = html_of(client.get(reverse("tip-detail", args=[tip.pk])))
    for secret in (REPORTER, PHONE, "11010519491231002X", "示例市秘密路9号"):
        assert secret not in html
    assert html.count(MASK) >= 4
    assert "举报人信息已隐藏" in html
    assert reverse("tip-reporter", args=[tip.pk]) not in html


@pytest.mark.parametrize("persona", ["tip_desk", "supervisor"])
def test_the_reporter_panel_shows_the_reporter_to_readers(client, request, persona):
    tip = received_tip()
    sign_in(client, request, persona)
    html = html_of(client.get(reverse("tip-detail", args=[tip.pk])))
    assert REPORTER in html
    assert PHONE in html
    assert "举报人信息已隐藏" not in html
    assert reverse("tip-reporter", args=[tip.pk]) in html


def test_the_page_shows_deadlines_extensions_inspection_reward_and_timeline(client, supervisor):
    tip = TipFactory(concluded=True, violations=[])
    TipReporterFactory(tip=tip)
    inspection = tip.inspection
    TipExtensionFactory(tip=tip, reason="需调取外省购销记录。", granted_on=D(2025, 3, 10))
    TipRewardFactory(tip=tip, approved=True)
    duplicate = TipFactory(
        status=TipStatus.MERGED, master=tip, clock="", due_on=None, facility=tip.facility
    )
    client.force_login(supervisor)
    html = html_of(client.get(reverse("tip-detail", args=[tip.pk])))
    assert "需调取外省购销记录。" in html
    assert reverse("inspection-detail", args=[inspection.pk]) in html
    assert reverse("tip-detail", args=[duplicate.pk]) in html
    assert reverse("tipreward-pay", args=[tip.reward.pk]) in html
    assert "办理过程" in html
    for label in ("接收线索", "受理", "办结", "提出奖励"):
        assert label in html
    # …and the inspection's page links back.
    html = html_of(client.get(reverse("inspection-detail", args=[inspection.pk])))
    assert "来源举报线索" in html
    assert reverse("tip-detail", args=[tip.pk]) in html


def test_an_unknown_deadline_names_the_year(client, auditor):
    tip = TipFactory(
        received_at=timezone.make_aware(datetime.datetime(2031, 12, 29, 10)),
        due_on=None,
        acceptance_due=None,
    )
    client.force_login(auditor)
    html = html_of(client.get(reverse("tip-detail", args=[tip.pk])))
    assert "期限未知：2031年节假日安排尚未录入" in html


def test_only_the_allowed_steps_have_buttons(client, request):
    tip = received_tip()
    url = reverse("tip-detail", args=[tip.pk])
    sign_in(client, request, "tip_desk")
    html = html_of(client.get(url))
    assert reverse("tip-accept", args=[tip.pk]) in html
    assert reverse("tip-decline", args=[tip.pk]) in html
    assert reverse("tip-conclude", args=[tip.pk]) not in html
    assert reverse("tip-extend", args=[tip.pk]) not in html
    sign_in(client, request, "inspector")
    html = html_of(client.get(url))
    assert reverse("tip-accept", args=[tip.pk]) not in html
    assert reverse("tip-edit", args=[tip.pk]) not in html


def test_the_page_issues_as_many_queries_with_many_related_rows(
    client, supervisor, django_assert_num_queries
):
    tip = TipFactory(concluded=True)
    TipReporterFactory(tip=tip)
    client.force_login(supervisor)
    url = reverse("tip-detail", args=[tip.pk])
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(5):
        TipFactory(status=TipStatus.MERGED, master=tip, clock="", due_on=None)
    TipRewardFactory(tip=tip)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    # A tip has one reward at most: its history costs the rows before each entry (two) and the
    # names of the accounts it names (one); the duplicates cost nothing more.
    assert len(many) <= len(one) + 3


# --- the steps ------------------------------------------------------------------------------------


def post(client, name, pk, data):
    return client.post(reverse(name, args=[pk] if pk is not None else []), data)


def errors(response) -> dict:
    form = response.context["form"]
    return {k: [str(e) for e in v] for k, v in form.errors.items()}


def register_data(**extra):
    return {
        "channel": TipChannel.CITY_HOTLINE,
        "received_at": "2025-03-03T10:00",
        "subject_kind": "business",
        "subject_name": "示例某某诊所",
        "district": District.CHENGGUAN,
        "allegation": "举报该诊所虚构诊疗项目。",
        "wants_reply": "on",
        **extra,
    }


def test_register_with_a_reporter(client, tip_desk):
    client.force_login(tip_desk)
    form = client.get(reverse("tip-create"))
    assert 'name="reporter_name"' in html_of(form)
    response = post(
        client,
        "tip-create",
        None,
        register_data(reporter_name=REPORTER, reporter_phone=PHONE),
    )
    assert response.status_code == 302, errors(response)
    tip = Tip.objects.get()
    assert tip.status == TipStatus.RECEIVED
    assert tip.reporter.name == REPORTER
    assert tip.acceptance_due is not None


def test_register_without_the_reporter_permission_has_no_reporter_fields(
    client, supervisor, tip_desk
):
    from django.contrib.auth.models import Permission

    for codename in ("add_tipreporter", "change_tipreporter", "view_tipreporter"):
        supervisor.groups.first().permissions.remove(Permission.objects.get(codename=codename))
    supervisor = type(supervisor).objects.get(pk=supervisor.pk)
    client.force_login(supervisor)
    html = html_of(client.get(reverse("tip-create")))
    assert 'name="reporter_name"' not in html
    response = post(client, "tip-create", None, register_data(reporter_name="偷偷写入"))
    assert response.status_code == 302
    assert not TipReporter.objects.exists()


def test_register_refuses_bad_input_with_chinese_messages(client, tip_desk):
    client.force_login(tip_desk)
    before = snapshot()
    response = post(
        client,
        "tip-create",
        None,
        register_data(
            channel="fax",
            subject_name="",
            district="",
            allegation="",
            received_at="2099-01-01T00:00",
            amount_alleged="-5",
            reporter_phone="abc",
            reporter_id_number="123",
        ),
    )
    assert response.status_code == 200
    found = errors(response)
    for name in (
        "channel",
        "allegation",
        "subject_name",
        "district",
        "amount_alleged",
        "reporter_phone",
        "reporter_id_number",
    ):
        assert name in found, (name, found)
    assert "身份证号码" in " ".join(found["reporter_id_number"])
    assert snapshot() == before


def test_register_offers_the_duplicates_then_merges_or_registers(client, tip_desk):
    facility = FacilityFactory()
    master = TipFactory(facility=facility)
    client.force_login(tip_desk)
    data = register_data(facility=facility.insurance_code, subject_name="")
    response = post(client, "tip-create", None, data)
    assert response.status_code == 200
    html = html_of(response)
    assert "可能重复" in html
    assert reverse("tip-detail", args=[master.pk]) in html
    assert Tip.objects.count() == 1
    response = post(client, "tip-create", None, {**data, "duplicate_of": str(master.pk)})
    assert response.status_code == 302, errors(response)
    merged = Tip.objects.exclude(pk=master.pk).get()
    assert merged.status == TipStatus.MERGED
    assert merged.master == master
    response = post(client, "tip-create", None, {**data, "duplicate_of": "new"})
    assert response.status_code == 302
    assert Tip.objects.filter(status=TipStatus.RECEIVED).count() == 2


HOSTILE = [
    "<script>alert('x')</script>",
    '=HYPERLINK("http://evil")',
    "'; DROP TABLE supervision_tip; --",
    "\u202e示例",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_stored_escaped(client, tip_desk, text):
    client.force_login(tip_desk)
    response = post(
        client,
        "tip-create",
        None,
        register_data(subject_name=text, allegation=text, reporter_name=text[:50]),
    )
    assert response.status_code == 302, errors(response)
    tip = Tip.objects.get()
    assert tip.allegation == text.strip()
    html = html_of(client.get(reverse("tip-detail", args=[tip.pk])))
    assert "<script>alert('x')</script>" not in html
    assert html_of(client.get(reverse("tip-list"))).count("<script>alert") == 0


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("tip-decline", "reason"),
        ("tip-merge", "master"),
        ("tip-accept", "note"),
        ("tip-edit", "allegation"),
        ("tip-reporter", "reporter_address"),
    ],
)
def test_over_long_and_null_text_is_refused(client, tip_desk, name, field):
    tip = received_tip()
    client.force_login(tip_desk)
    before = snapshot()
    for value in ("x" * 20_000, "a\x00b"):
        response = post(
            client,
            name,
            tip.pk,
            {field: value, "version": tip.version, "decided_on": "2025-03-05"},
        )
        assert response.status_code == 200
        assert field in errors(response) or errors(response)
    assert snapshot() == before


def test_edit_changes_the_tip_and_a_stale_edit_is_refused(client, tip_desk):
    tip = received_tip()
    client.force_login(tip_desk)
    data = {
        "channel": TipChannel.PORTAL,
        "received_at": "2025-03-03T10:00",
        "facility": tip.facility.insurance_code,
        "subject_kind": "facility",
        "subject_name": "",
        "district": tip.district,
        "allegation": "更正后的举报内容。",
        "wants_reply": "on",
        "version": tip.version,
    }
    response = post(client, "tip-edit", tip.pk, data)
    assert response.status_code == 302, errors(response)
    tip.refresh_from_db()
    assert tip.channel == TipChannel.PORTAL
    assert tip.allegation == "更正后的举报内容。"
    before = snapshot()
    response = post(client, "tip-edit", tip.pk, {**data, "allegation": "过期的修改。"})
    assert response.status_code == 409
    assert "已被他人修改" in html_of(response)
    assert snapshot() == before


def test_reporter_edit(client, tip_desk, inspector):
    tip = received_tip()
    client.force_login(tip_desk)
    response = post(
        client,
        "tip-reporter",
        tip.pk,
        {"reporter_name": "示例李四", "reporter_phone": "0891-6000000"},
    )
    assert response.status_code == 302, errors(response)
    assert TipReporter.objects.get(tip=tip).name == "示例李四"
    response = post(client, "tip-reporter", tip.pk, {"reporter_id_number": "110105194912310021"})
    assert "reporter_id_number" in errors(response)
    client.force_login(inspector)
    assert post(client, "tip-reporter", tip.pk, {"reporter_name": "x"}).status_code == 403
    assert TipReporter.objects.get(tip=tip).name == "示例李四"


def test_accept_opening_the_inspection(client, tip_desk):
    tip = received_tip()
    inspectors = InspectorFactory.create_batch(2)
    client.force_login(tip_desk)
    form = html_of(client.get(reverse("tip-accept", args=[tip.pk])))
    assert 'value="unannounced" selected' in form
    data = {
        "decided_on": "2025-03-05",
        "open_inspection": "on",
        "inspection_kind": InspectionKind.UNANNOUNCED,
        "start_date": "2025-03-06",
        "inspectors": [str(inspectors[0].pk)],
        "version": tip.version,
    }
    response = post(client, "tip-accept", tip.pk, data)
    assert response.status_code == 200
    assert "inspectors" in errors(response)
    data["inspectors"] = [str(i.pk) for i in inspectors]
    response = post(client, "tip-accept", tip.pk, data)
    assert response.status_code == 302, errors(response)
    tip.refresh_from_db()
    assert tip.status == TipStatus.INVESTIGATING
    assert tip.inspection.facility == tip.facility
    # Not twice: the step is gone, the form says why.
    response = client.get(reverse("tip-accept", args=[tip.pk]))
    assert response.status_code == 302


def test_accept_without_inspection_then_open_it(client, tip_desk):
    tip = received_tip()
    client.force_login(tip_desk)
    response = post(
        client,
        "tip-accept",
        tip.pk,
        {
            "decided_on": "2025-03-05",
            "inspection_kind": "unannounced",
            "version": tip.version,
            "start_date": "2025-03-05",
        },
    )
    assert response.status_code == 302, errors(response)
    tip.refresh_from_db()
    assert tip.status == TipStatus.ACCEPTED
    inspectors = InspectorFactory.create_batch(2)
    response = post(
        client,
        "tip-open-inspection",
        tip.pk,
        {
            "inspection_kind": "unannounced",
            "start_date": "2025-03-01",
            "inspectors": [str(i.pk) for i in inspectors],
            "version": tip.version,
        },
    )
    assert response.status_code == 200
    assert "start_date" in errors(response)  # before the acceptance
    response = post(
        client,
        "tip-open-inspection",
        tip.pk,
        {
            "inspection_kind": "unannounced",
            "start_date": "2025-03-06",
            "inspectors": [str(i.pk) for i in inspectors],
            "version": tip.version,
        },
    )
    assert response.status_code == 302, errors(response)
    tip.refresh_from_db()
    assert tip.status == TipStatus.INVESTIGATING


def test_decline_needs_a_reason(client, tip_desk):
    tip = received_tip()
    client.force_login(tip_desk)
    data = {"decided_on": "2025-03-05", "reason": "  ", "version": tip.version}
    response = post(client, "tip-decline", tip.pk, data)
    assert "reason" in errors(response)
    response = post(client, "tip-decline", tip.pk, {**data, "reason": "不属于医保基金监管范围。"})
    assert response.status_code == 302, errors(response)
    tip.refresh_from_db()
    assert tip.status == TipStatus.NOT_ACCEPTED


def test_merge_by_number(client, tip_desk):
    master = received_tip()
    tip = received_tip()
    client.force_login(tip_desk)
    response = post(client, "tip-merge", tip.pk, {"master": f"#{tip.pk}", "version": tip.version})
    assert "master" in errors(response)
    response = post(client, "tip-merge", tip.pk, {"master": "#999999", "version": tip.version})
    assert "master" in errors(response)
    response = post(
        client, "tip-merge", tip.pk, {"master": f"#{master.pk}", "version": tip.version}
    )
    assert response.status_code == 302, errors(response)
    tip.refresh_from_db()
    assert tip.master == master
    assert tip.status == TipStatus.MERGED


def test_extend(client, supervisor, tip_desk):
    tip = investigating_tip()
    client.force_login(supervisor)
    data = {"working_days": "31", "reason": "需调取记录。", "granted_on": "2025-03-20"}
    response = post(client, "tip-extend", tip.pk, {**data, "version": tip.version})
    assert "working_days" in errors(response)
    data["working_days"] = "10"
    response = post(client, "tip-extend", tip.pk, {**data, "version": tip.version})
    assert response.status_code == 302, errors(response)
    tip.refresh_from_db()
    assert tip.extension_days == 10
    client.force_login(tip_desk)
    assert post(client, "tip-extend", tip.pk, data).status_code == 403


def test_conclude_is_prefilled_from_the_inspection(client, tip_desk):
    tip = investigating_tip(completed=True)
    Inspection.objects.filter(pk=tip.inspection_id).update(amount_involved=Decimal("80000.00"))
    client.force_login(tip_desk)
    html = html_of(client.get(reverse("tip-conclude", args=[tip.pk])))
    assert 'value="substantiated"' in html and "checked" in html
    assert "80000.00" in html
    response = post(
        client,
        "tip-conclude",
        tip.pk,
        {
            "conclusion": "substantiated",
            "concluded_on": "2025-03-20",
            "verified_amount": "80000.00",
            "version": tip.version,
        },
    )
    assert response.status_code == 302, errors(response)
    tip.refresh_from_db()
    assert tip.conclusion == TipConclusion.SUBSTANTIATED
    assert tip.verified_amount == Decimal("80000.00")


def test_conclude_is_refused_while_the_inspection_runs(client, tip_desk):
    tip = investigating_tip()
    client.force_login(tip_desk)
    before = snapshot()
    response = post(
        client,
        "tip-conclude",
        tip.pk,
        {"conclusion": "substantiated", "concluded_on": "2025-03-20", "version": tip.version},
    )
    assert response.status_code == 200
    assert "尚未完成" in html_of(response)
    assert snapshot() == before


def test_reply_then_close(client, tip_desk):
    tip = concluded_tip()
    client.force_login(tip_desk)
    response = post(
        client, "tip-close", tip.pk, {"closed_on": "2025-03-21", "version": tip.version}
    )
    assert response.status_code == 200
    assert "请先答复" in html_of(response)
    response = post(
        client,
        "tip-reply",
        tip.pk,
        {
            "replied_on": "2025-03-21",
            "reply_method": "fax",
            "reply_note": "",
            "version": tip.version,
        },
    )
    assert {"reply_method", "reply_note"} <= set(errors(response))
    response = post(
        client,
        "tip-reply",
        tip.pk,
        {
            "replied_on": "2025-03-21",
            "reply_method": "phone",
            "reply_note": "已电话告知核查结果。",
            "version": tip.version,
        },
    )
    assert response.status_code == 302, errors(response)
    tip.refresh_from_db()
    response = post(
        client, "tip-close", tip.pk, {"closed_on": "2025-03-22", "version": tip.version}
    )
    assert response.status_code == 302, errors(response)
    tip.refresh_from_db()
    assert tip.status == TipStatus.CLOSED


def test_a_reward_is_proposed_approved_and_paid(client, tip_desk, supervisor, request):
    tip = concluded_tip()
    client.force_login(tip_desk)
    html = html_of(client.get(reverse("tip-reward-propose", args=[tip.pk])))
    assert "1,000.00" in html  # 2% of 50,000
    response = post(client, "tip-reward-propose", tip.pk, {"proposed_on": "2025-03-25"})
    assert response.status_code == 302, errors(response)
    reward = TipReward.objects.get(tip=tip)
    assert response["Location"].endswith("#reward")
    client.force_login(supervisor)
    response = post(
        client,
        "tipreward-decide",
        reward.pk,
        {"decision": "refuse", "decided_on": "2025-03-26", "note": "", "version": reward.version},
    )
    assert "note" in errors(response)
    response = post(
        client,
        "tipreward-decide",
        reward.pk,
        {"decision": "approve", "decided_on": "2025-03-26", "version": reward.version},
    )
    assert response.status_code == 302, errors(response)
    reward.refresh_from_db()
    assert reward.status == RewardStatus.APPROVED
    response = post(
        client,
        "tipreward-pay",
        reward.pk,
        {"paid_on": "2025-03-27", "method": "bank", "reference": "", "version": reward.version},
    )
    assert "reference" in errors(response)
    response = post(
        client,
        "tipreward-pay",
        reward.pk,
        {
            "paid_on": "2025-03-27",
            "method": "bank",
            "reference": "示例凭证001",
            "version": reward.version,
        },
    )
    assert response.status_code == 302, errors(response)
    reward.refresh_from_db()
    assert reward.status == RewardStatus.PAID
    html = html_of(client.get(reverse("tip-detail", args=[tip.pk])))
    assert "示例凭证001" in html
    assert "发放奖励" in html


def test_the_proposer_cannot_approve(client, supervisor):
    reward = reward_of(proposed_by=supervisor)
    client.force_login(supervisor)
    response = post(
        client,
        "tipreward-decide",
        reward.pk,
        {"decision": "approve", "decided_on": "2025-03-26", "version": reward.version},
    )
    assert response.status_code == 200
    assert "提出人以外" in html_of(response)


def test_no_reward_for_an_anonymous_tip(client, tip_desk):
    tip = TipFactory(concluded=True, anonymous=True, wants_reply=False)
    client.force_login(tip_desk)
    response = client.get(reverse("tip-reward-propose", args=[tip.pk]))
    assert response.status_code == 302
    assert not TipReward.objects.exists()


def test_the_reward_detail_redirects_to_the_tips_section(client, auditor):
    reward = reward_of()
    client.force_login(auditor)
    assert reward.get_absolute_url().endswith("#reward")
    response = client.get(reverse("tipreward-detail", args=[reward.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("tip-detail", args=[reward.tip_id]) + "#reward"


def test_the_rewards_report_by_year(client, auditor):
    reward_of()
    reward_of(approved=True, amount=Decimal("2500.00"))
    client.force_login(auditor)
    response = client.get(reverse("tipreward-list"))
    html = html_of(response)
    assert "2025" in html
    assert "3,500.00" in html
    assert len(response.context["object_list"]) == 2
    response = client.get(reverse("tipreward-list"), {"status": "approved"})
    assert len(response.context["object_list"]) == 1
    response = client.get(reverse("tipreward-list"), {"year": "2024"})
    assert len(response.context["object_list"]) == 0
    for name in (REPORTER, PHONE):
        assert name not in html


# --- stale versions on the steps ------------------------------------------------------------------


def test_a_step_on_a_stale_version_is_refused(client, tip_desk):
    tip = received_tip()
    client.force_login(tip_desk)
    old = stored_version(tip)
    Tip.objects.filter(pk=tip.pk).update(version=old + 1)
    before = snapshot()
    response = post(
        client,
        "tip-decline",
        tip.pk,
        {"decided_on": "2025-03-05", "reason": "不属于监管范围。", "version": old},
    )
    assert response.status_code == 409
    assert snapshot() == before


# --- the overview and the footer ----------------------------------------------------------------


def test_the_overview_panel(client, request, small_set):
    sign_in(client, request, "auditor")
    html = html_of(client.get(reverse("dashboard")))
    assert 'id="tips-deadlines"' in html
    assert f"{reverse('tip-list')}?clock=overdue" in html
    assert "clock-overdue" in html
    sign_in(client, request, "outsider")
    # the outsider cannot open the overview at all; a user without view_tip sees no panel:
    from django.contrib.auth.models import Permission

    inspector = request.getfixturevalue("inspector")
    inspector.groups.first().permissions.remove(Permission.objects.get(codename="view_tip"))
    inspector = type(inspector).objects.get(pk=inspector.pk)
    client.force_login(inspector)
    html = html_of(client.get(reverse("dashboard")))
    assert 'id="tips-deadlines"' not in html
    assert reverse("tip-list") not in html


def test_the_nav_offers_tips_to_readers_only(client, request):
    sign_in(client, request, "auditor")
    assert reverse("tip-list") in html_of(client.get(reverse("dashboard")))


def test_the_footer_shows_the_published_hotlines_only(client, auditor):
    Hotline.objects.all().delete()
    Hotline.objects.create(
        channel="national_hotline", name="示例全国电话", contact="12393", published=True
    )
    Hotline.objects.create(
        channel="city_hotline", name="示例市级电话", contact="0891-1234567", published=False
    )
    cache.delete(HOTLINES_CACHE_KEY)
    client.force_login(auditor)
    html = html_of(client.get(reverse("dashboard")))
    assert "示例全国电话 12393" in html
    assert "示例市级电话" not in html
    # A change shows at once (the cache is dropped on save).
    Hotline.objects.filter(channel="city_hotline").update(published=True)
    Hotline.objects.get(channel="city_hotline").save()
    html = html_of(client.get(reverse("dashboard")))
    assert "示例市级电话 0891-1234567" in html


def test_the_footer_shows_nothing_without_published_hotlines(client, auditor):
    Hotline.objects.all().delete()
    cache.delete(HOTLINES_CACHE_KEY)
    client.force_login(auditor)
    html = html_of(client.get(reverse("dashboard")))
    assert "举报渠道：" not in html
    assert re.search(r"12393", html) is None


STEP_TEXT = [
    ("tip-decline", received_tip, "reason", {"decided_on": "2025-03-05"}),
    ("tip-accept", received_tip, "note", {"decided_on": "2025-03-05", "inspection_kind": "self"}),
    ("tip-merge", received_tip, "note", {"master": "#1"}),
    (
        "tip-extend",
        investigating_tip,
        "reason",
        {"working_days": "5", "granted_on": "2025-03-20"},
    ),
    ("tip-reply", concluded_tip, "reply_note", {"replied_on": "2025-03-21", "reply_method": "sms"}),
    ("tip-reporter", received_tip, "reporter_address", {}),
    ("tip-reporter", received_tip, "reporter_name", {}),
]


@pytest.mark.parametrize(("name", "make", "field", "data"), STEP_TEXT)
@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_in_each_step_is_stored_escaped_or_refused(
    client, superuser, name, make, field, data, text
):
    tip = make()
    client.force_login(superuser)
    response = post(client, name, tip.pk, {**data, field: text, "version": tip.version})
    assert response.status_code in (200, 302, 409)
    html = html_of(client.get(reverse("tip-detail", args=[tip.pk])))
    assert "<script>alert('x')</script>" not in html


def test_links_carry_plain_ids(client, supervisor):
    tip = received_tip(facility=FacilityFactory(pk=12_345))
    Tip.objects.filter(pk=tip.pk).update(id=4_321)
    TipReporter.objects.filter(tip_id=tip.pk).update(tip_id=4_321)
    client.force_login(supervisor)
    for url in (reverse("tip-detail", args=[4_321]), reverse("tip-list")):
        html = html_of(client.get(url))
        assert not re.search(r"(tips/|#|facility=)\d{1,3},\d{3}", html), url
        assert "4321" in html


def test_evidence_is_uploaded_to_a_tip_and_listed_on_its_page(client, tip_desk, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import PDF_BYTES

    tip = received_tip()
    client.force_login(tip_desk)
    page = html_of(client.get(reverse("tip-detail", args=[tip.pk])))
    assert reverse("tip-evidence", args=[tip.pk]) in page
    pdf = SimpleUploadedFile("举报材料.pdf", PDF_BYTES, content_type="application/pdf")
    response = client.post(reverse("tip-evidence", args=[tip.pk]), {"file": pdf})
    assert response.status_code == 302
    assert "举报材料.pdf" in html_of(client.get(reverse("tip-detail", args=[tip.pk])))
