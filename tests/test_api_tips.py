"""The tips API: every endpoint and action per persona, the reporter masked or shown by
permission on every response, the schema's marks on the reporter's fields, hostile input, and
constant query counts."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from supervision.choices import (
    District,
    InspectionKind,
    RewardStatus,
    TipChannel,
    TipConclusion,
    TipStatus,
)
from supervision.models import Evidence, Hotline, Inspection, Tip, TipExtension, TipReward
from supervision.models.tip import MASK, TipReporter
from supervision.roles import SUPERVISOR
from tests.api import client_for, if_match_for
from tests.dbstate import snapshot
from tests.factories import (
    PDF_BYTES,
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    TipFactory,
    TipReporterFactory,
    TipRewardFactory,
    UserDistrictFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "outsider", "inspector", "auditor", "tip_desk", "supervisor", "limited"]
REPORTER_NAME = "示例举报人张三"
REPORTER_VALUES = {"name", "phone", "id_number", "address"}
MASKED = {"name": MASK, "phone": MASK, "id_number": MASK, "address": MASK, "withheld": True}


@pytest.fixture
def limited(db):
    """A supervisor limited to 城关区 (the tips below are of 达孜区)."""
    user = UserFactory(username="chengguan", role=SUPERVISOR)
    UserDistrictFactory(user=user, district=District.CHENGGUAN)
    return user


@pytest.fixture
def tips(db) -> SimpleNamespace:
    """A tip in each state the actions start from, all in 达孜区, each with a named reporter."""
    facility = FacilityFactory(name="示例达孜医院", district=District.DAGZE)
    inspectors = InspectorFactory.create_batch(2)

    def tip(**kwargs) -> Tip:
        made = TipFactory(facility=facility, **kwargs)
        TipReporterFactory(tip=made)
        return made

    received = tip()
    other = tip()
    accepted = tip(status=TipStatus.ACCEPTED, decided_on=datetime.date(2025, 3, 5))
    completed = InspectionFactory(facility=facility, completed=True)
    investigating = tip(investigating=True, inspection=completed)
    concluded = tip(concluded=True)
    declined = tip(declined=True, wants_reply=False)
    reward = TipRewardFactory(tip=tip(concluded=True))
    approved = TipRewardFactory(tip=tip(concluded=True), approved=True)
    return SimpleNamespace(
        facility=facility,
        inspectors=inspectors,
        received=received,
        other=other,
        accepted=accepted,
        investigating=investigating,
        concluded=concluded,
        declined=declined,
        reward=reward,
        approved=approved,
    )


def user_of(request, persona: str):
    return None if persona == "anonymous" else request.getfixturevalue(persona)


# --- who may call what ------------------------------------------------------------------------

READ = {"inspector": 200, "auditor": 200, "tip_desk": 200, "supervisor": 200}
DESK = {"tip_desk": 200, "supervisor": 200}
NOT_OFFERED = {p: 405 for p in ("outsider", "inspector", "auditor", "tip_desk", "supervisor")}


def new_tip(t) -> dict:
    return {
        "channel": TipChannel.CITY_HOTLINE,
        "facility": t.facility.pk,
        "allegation": "示例：该院虚开检查项目。",
        "reporter": {"name": "示例王五", "phone": "13900000000"},
    }


Row = tuple[str, Callable, Callable | None, dict[str, int]]
TABLE: dict[str, Row] = {
    "list": ("GET", lambda t: "/api/tips/", None, READ),
    "create": ("POST", lambda t: "/api/tips/", new_tip, {"tip_desk": 201, "supervisor": 201}),
    "read": ("GET", lambda t: f"/api/tips/{t.received.pk}/", None, READ),
    "edit": (
        "PATCH",
        lambda t: f"/api/tips/{t.received.pk}/",
        lambda t: {"allegation": "更正后的举报内容"},
        DESK,
    ),
    "delete": ("DELETE", lambda t: f"/api/tips/{t.received.pk}/", None, NOT_OFFERED),
    "accept": ("POST", lambda t: f"/api/tips/{t.received.pk}/accept/", lambda t: {}, DESK),
    "accept and inspect": (
        "POST",
        lambda t: f"/api/tips/{t.received.pk}/accept/",
        lambda t: {
            "inspection_kind": InspectionKind.UNANNOUNCED,
            "inspectors": [i.pk for i in t.inspectors],
        },
        DESK,
    ),
    "decline": (
        "POST",
        lambda t: f"/api/tips/{t.received.pk}/decline/",
        lambda t: {"decision_note": "不属于医保基金监管范围。"},
        DESK,
    ),
    "merge": (
        "POST",
        lambda t: f"/api/tips/{t.received.pk}/merge/",
        lambda t: {"master": t.other.pk},
        DESK,
    ),
    "open inspection": (
        "POST",
        lambda t: f"/api/tips/{t.accepted.pk}/open-inspection/",
        lambda t: {"inspectors": [i.pk for i in t.inspectors]},
        DESK,
    ),
    "extend": (
        "POST",
        lambda t: f"/api/tips/{t.investigating.pk}/extend/",
        lambda t: {"working_days": 10, "reason": "需调取外省购销记录。"},
        {"supervisor": 200},
    ),
    "conclude": (
        "POST",
        lambda t: f"/api/tips/{t.investigating.pk}/conclude/",
        lambda t: {"conclusion": TipConclusion.SUBSTANTIATED, "verified_amount": "8000.00"},
        DESK,
    ),
    "reply": (
        "POST",
        lambda t: f"/api/tips/{t.concluded.pk}/reply/",
        lambda t: {"reply_method": "phone", "reply_note": "已电话告知核查结果。"},
        DESK,
    ),
    "close": ("POST", lambda t: f"/api/tips/{t.declined.pk}/close/", lambda t: {}, DESK),
    "propose reward": (
        "POST",
        lambda t: f"/api/tips/{t.concluded.pk}/propose-reward/",
        lambda t: {},
        {"tip_desk": 201, "supervisor": 201},
    ),
    "reporter read": ("GET", lambda t: f"/api/tips/{t.received.pk}/reporter/", None, DESK),
    "reporter write": (
        "PUT",
        lambda t: f"/api/tips/{t.received.pk}/reporter/",
        lambda t: {"name": "示例李四", "phone": "", "id_number": "", "address": ""},
        DESK,
    ),
    "evidence list": ("GET", lambda t: f"/api/tips/{t.received.pk}/evidence/", None, READ),
    "rewards list": ("GET", lambda t: "/api/tip-rewards/", None, READ),
    "reward read": ("GET", lambda t: f"/api/tip-rewards/{t.reward.pk}/", None, READ),
    "reward edit": (
        "PATCH",
        lambda t: f"/api/tip-rewards/{t.reward.pk}/",
        lambda t: {"note": "x"},
        NOT_OFFERED,
    ),
    "reward decide": (
        "POST",
        lambda t: f"/api/tip-rewards/{t.reward.pk}/decide/",
        lambda t: {"approve": True},
        {"supervisor": 200},
    ),
    "reward pay": (
        "POST",
        lambda t: f"/api/tip-rewards/{t.approved.pk}/pay/",
        lambda t: {"paid_on": "2025-04-02", "method": "bank", "reference": "示例凭证0002"},
        {"supervisor": 200},
    ),
    "hotlines": ("GET", lambda t: "/api/hotlines/", None, {**READ, "limited": 200}),
}


def expected(row: Row, persona: str, url: str) -> int:
    if persona == "anonymous":
        return 401
    codes = row[3]
    if persona == "limited" and persona not in codes:
        # A supervisor of another district: a tip there is a 404 like a missing id; lists
        # answer 200 without it; what no one may do stays 405.
        supervisor = codes.get("supervisor", 403)
        names_a_record = any(part.isdigit() for part in url.split("/"))
        return 404 if names_a_record and supervisor != 405 else supervisor
    return codes.get(persona, 403)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", list(TABLE))
def test_permission_table(request, tips, name, persona):
    method, path, body, _codes = TABLE[name]
    client = client_for(user_of(request, persona))
    url = path(tips)
    headers = if_match_for(url) if method in ("PUT", "PATCH", "POST") else {}
    data = body(tips) if body else None
    if name == "create" and persona == "limited":
        # The facility lies in another district: the limited supervisor cannot name it.
        response = getattr(client, method.lower())(url, data, format="json", **headers)
        assert response.status_code == 400
        assert "facility" in response.json()
        return
    call = getattr(client, method.lower())
    response = call(url, data, format="json", **headers) if data is not None else call(url)
    assert response.status_code == expected(TABLE[name], persona, url), response.content[:400]


def test_the_limited_supervisor_s_lists_hold_no_tip_of_another_district(tips, limited):
    mine = TipFactory(facility=FacilityFactory(district=District.CHENGGUAN))
    rows = client_for(limited).get("/api/tips/").json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    assert client_for(limited).get("/api/tip-rewards/").json()["results"] == []


# --- the reporter, masked or shown -----------------------------------------------------------


def _reporter_of(payload: dict) -> dict:
    return payload["reporter"]


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("tip_desk", True), ("supervisor", True), ("inspector", False), ("auditor", False)],
)
def test_the_reporter_is_shown_only_with_the_permission(request, tips, persona, shown):
    client = client_for(request.getfixturevalue(persona))
    listed = {row["id"]: row for row in client.get("/api/tips/").json()["results"]}
    read = client.get(f"/api/tips/{tips.received.pk}/").json()
    body = str(client.get("/api/tips/").content) + str(read)
    for reporter in (_reporter_of(listed[tips.received.pk]), _reporter_of(read)):
        if shown:
            assert reporter["name"] == REPORTER_NAME
            assert reporter["withheld"] is False
        else:
            assert reporter == MASKED
    if not shown:
        assert REPORTER_NAME not in body
        assert "13800000000" not in body


def test_an_empty_or_anonymous_reporter_is_masked_too(tips, inspector, tip_desk):
    anonymous = TipFactory(facility=tips.facility, anonymous=True, wants_reply=False)
    masked = client_for(inspector).get(f"/api/tips/{anonymous.pk}/").json()["reporter"]
    assert masked == MASKED  # no empty string and no null to tell it apart
    shown = client_for(tip_desk).get(f"/api/tips/{anonymous.pk}/").json()["reporter"]
    assert shown == {"name": "", "phone": "", "id_number": "", "address": "", "withheld": False}


def test_the_answers_of_actions_mask_the_reporter_for_who_may_not_read_it(tips):
    # A user who may accept tips but not read who reported (a custom grant).
    clerk = UserFactory(username="clerk")
    clerk.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="supervision", codename__in=["view_tip", "change_tip"]
        )
    )
    url = f"/api/tips/{tips.received.pk}/accept/"
    response = client_for(clerk).post(url, {}, format="json", **if_match_for(url))
    assert response.status_code == 200, response.content
    assert response.json()["reporter"] == MASKED
    assert REPORTER_NAME not in response.content.decode()


def test_the_answers_of_actions_show_the_reporter_to_the_tip_desk(tips, tip_desk):
    url = f"/api/tips/{tips.received.pk}/decline/"
    response = client_for(tip_desk).post(
        url, {"decision_note": "不属于医保基金监管范围。"}, format="json", **if_match_for(url)
    )
    assert response.status_code == 200
    assert response.json()["reporter"]["name"] == REPORTER_NAME
    assert response.json()["status"] == TipStatus.NOT_ACCEPTED


def test_registering_a_tip_with_its_reporter(tips, tip_desk):
    body = {**new_tip(tips), "reporter": {"name": " 示例王五 ", "id_number": _ID.lower()}}
    response = client_for(tip_desk).post("/api/tips/", body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["reporter"]["name"] == "示例王五"
    assert created["reporter"]["id_number"] == _ID
    assert created["district"] == District.DAGZE  # the facility's
    assert created["clock"] == "acceptance" and created["status"] == TipStatus.RECEIVED
    assert response["ETag"] == f'W/"{created["id"]}-1"'
    assert TipReporter.objects.get(tip_id=created["id"]).name == "示例王五"


_ID = "11010519491231002X"


def test_registering_a_reporter_needs_the_reporter_permission(tips):
    clerk = UserFactory(username="clerk")
    clerk.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="supervision",
            codename__in=["view_tip", "add_tip", "view_facility"],
        )
    )
    before = snapshot()
    response = client_for(clerk).post("/api/tips/", new_tip(tips), format="json")
    assert response.status_code == 403
    assert "举报人" in response.json()["detail"]
    assert snapshot() == before
    # Without the reporter, the same user registers the tip; the answer masks the reporter.
    body = {k: v for k, v in new_tip(tips).items() if k != "reporter"}
    response = client_for(clerk).post("/api/tips/", body, format="json")
    assert response.status_code == 201
    assert response.json()["reporter"] == MASKED


def test_the_reporter_endpoint_reads_and_corrects_the_reporter(tips, tip_desk, inspector):
    url = f"/api/tips/{tips.received.pk}/reporter/"
    assert client_for(tip_desk).get(url).json()["name"] == REPORTER_NAME
    denied = client_for(inspector).get(url)
    assert denied.status_code == 403
    assert REPORTER_NAME not in denied.content.decode()
    response = client_for(tip_desk).put(
        url, {"name": "示例李四", "phone": "0891-6000000"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["name"] == "示例李四"
    assert response.json()["id_number"] == ""  # a field left out is cleared
    assert TipReporter.objects.get(tip=tips.received).phone == "0891-6000000"


def test_the_reporter_of_an_anonymous_tip_is_refused(tips, tip_desk):
    anonymous = TipFactory(facility=tips.facility, anonymous=True, wants_reply=False)
    url = f"/api/tips/{anonymous.pk}/reporter/"
    response = client_for(tip_desk).put(url, {"name": "示例李四"}, format="json")
    assert response.status_code == 400
    assert "anonymous" in response.json()
    assert not TipReporter.objects.filter(tip=anonymous).exists()


def test_the_list_never_searches_the_reporter(tips, tip_desk, inspector):
    for user in (tip_desk, inspector):
        for term in (REPORTER_NAME, "13800000000", "张三"):
            rows = client_for(user).get("/api/tips/", {"q": term}).json()["results"]
            assert rows == [], (user, term)


def test_the_schema_marks_the_reporter_fields_as_personal_data(auditor):
    contract = (
        client_for(auditor)
        .get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        .json()
    )
    schemas = contract["components"]["schemas"]
    for name in ("Reporter", "ReporterRequest"):
        for field in REPORTER_VALUES:
            prop = schemas[name]["properties"][field]
            assert prop["x-personal-data"] is True, (name, field)
            assert "view_tipreporter" in prop["description"]
            assert MASK in prop["description"]
    assert "withheld" in schemas["Reporter"]["properties"]
    tip_reporter = schemas["Tip"]["properties"]["reporter"]
    assert "personal data" in tip_reporter["description"]
    # Rewards and the hotlines never carry a reporter.
    assert "reporter" not in schemas["TipReward"]["properties"]


# --- the workflow through the API ------------------------------------------------------------


def _post(user, url: str, body: dict):
    return client_for(user).post(url, body, format="json", **if_match_for(url))


def test_a_tip_runs_its_workflow_through_the_actions(tips, tip_desk, supervisor):
    tip = tips.received
    accepted = _post(
        tip_desk,
        f"/api/tips/{tip.pk}/accept/",
        {
            "decided_on": "2025-03-05",
            "inspection_kind": InspectionKind.UNANNOUNCED,
            "inspectors": [i.pk for i in tips.inspectors],
        },
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == TipStatus.INVESTIGATING
    assert accepted.json()["clock"] == "investigation"
    inspection = Inspection.objects.get(pk=accepted.json()["inspection"]["id"])
    assert inspection.facility == tips.facility
    extended = _post(
        supervisor, f"/api/tips/{tip.pk}/extend/", {"working_days": 5, "reason": "需延期核查。"}
    )
    assert extended.json()["extension_days"] == 5
    assert [e["working_days"] for e in extended.json()["extensions"]] == [5]
    inspection.status, inspection.end_date = "completed", datetime.date(2025, 3, 12)
    inspection.save()
    concluded = _post(
        tip_desk,
        f"/api/tips/{tip.pk}/conclude/",
        {
            "conclusion": "substantiated",
            "verified_amount": "50000.00",
            "concluded_on": "2025-03-20",
        },
    )
    assert concluded.status_code == 200, concluded.content
    proposed = _post(tip_desk, f"/api/tips/{tip.pk}/propose-reward/", {})
    assert proposed.status_code == 201, proposed.content
    assert proposed.json()["amount"] == "1000.00"
    assert "reporter" not in proposed.json()
    reward = proposed.json()["id"]
    decided = _post(supervisor, f"/api/tip-rewards/{reward}/decide/", {"approve": True})
    assert decided.json()["status"] == RewardStatus.APPROVED
    replied = _post(
        tip_desk,
        f"/api/tips/{tip.pk}/reply/",
        {"reply_method": "phone", "reply_note": "已告知核查属实。"},
    )
    assert replied.json()["status"] == TipStatus.REPLIED
    closed = _post(tip_desk, f"/api/tips/{tip.pk}/close/", {})
    assert closed.json()["status"] == TipStatus.CLOSED
    assert closed.json()["reward"] == reward


def test_an_action_needs_the_current_version(tips, tip_desk):
    url = f"/api/tips/{tips.received.pk}/decline/"
    body = {"decision_note": "不属于医保基金监管范围。"}
    assert client_for(tip_desk).post(url, body, format="json").status_code == 428
    stale = client_for(tip_desk).post(
        url, body, format="json", HTTP_IF_MATCH=f'W/"{tips.received.pk}-99"'
    )
    assert stale.status_code == 412
    assert Tip.objects.get(pk=tips.received.pk).status == TipStatus.RECEIVED


def test_accepting_with_an_inspection_needs_the_inspection_permission(tips):
    clerk = UserFactory(username="clerk")
    clerk.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="supervision",
            codename__in=["view_tip", "change_tip", "view_inspector"],
        )
    )
    before = snapshot()
    response = _post(
        clerk,
        f"/api/tips/{tips.received.pk}/accept/",
        {"inspection_kind": "unannounced", "inspectors": [i.pk for i in tips.inspectors]},
    )
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("received/close", {}, "status"),
        ("received/decline", {"decision_note": ""}, "decision_note"),
        ("received/decline", {"decision_note": "x", "decided_on": "2025-03-01"}, "decided_on"),
        ("received/decline", {"decision_note": "x", "decided_on": "2999-01-01"}, "decided_on"),
        ("received/merge", {"master": 10**30}, "master"),
        ("received/merge", {"master": "abc"}, "master"),
        ("received/accept", {"inspection_kind": "castle"}, "inspection_kind"),
        ("received/accept", {"inspection_kind": "unannounced"}, "inspectors"),
        ("investigating/extend", {"working_days": 31, "reason": "x"}, "working_days"),
        ("investigating/extend", {"working_days": "ten", "reason": "x"}, "working_days"),
        ("investigating/extend", {"working_days": 5, "reason": "长" * 2001}, "reason"),
        ("investigating/conclude", {"conclusion": "maybe"}, "conclusion"),
        (
            "investigating/conclude",
            {"conclusion": "substantiated", "verified_amount": "-1"},
            "verified_amount",
        ),
        ("concluded/reply", {"reply_method": "pigeon", "reply_note": "x"}, "reply_method"),
        ("concluded/reply", {"reply_method": "sms", "reply_note": ["x"]}, "reply_note"),
        ("received/propose-reward", {}, "tip"),
    ],
)
def test_a_refused_action_is_a_400_in_chinese_that_writes_nothing(
    tips, supervisor, url, body, field
):
    record, step = url.split("/")
    before = snapshot()
    response = _post(supervisor, f"/api/tips/{getattr(tips, record).pk}/{step}/", body)
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(errors[field])), errors
    assert snapshot() == before


HOSTILE = [
    "<script>alert('x')</script>",
    "'; DROP TABLE supervision_tip; --",
    '=HYPERLINK("http://x")',
    "{{ settings.SECRET_KEY }}",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_markup_formulas_and_sql_are_stored_verbatim(tips, tip_desk, text):
    url = f"/api/tips/{tips.received.pk}/"
    response = client_for(tip_desk).patch(
        url, {"allegation": text, "subject_name": text}, format="json", **if_match_for(url)
    )
    assert response.status_code == 200, response.content
    assert response.json()["allegation"] == text
    assert Tip.objects.get(pk=tips.received.pk).allegation == text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"allegation": "长" * 2001}, "allegation"),
        ({"allegation": ""}, "allegation"),
        ({"allegation": {"x": 1}}, "allegation"),
        ({"allegation": "a\x00b"}, "allegation"),
        ({"subject_name": "长" * 101}, "subject_name"),
        ({"channel": "pigeon"}, "channel"),
        ({"channel": None}, "channel"),
        ({"subject_kind": 3}, "subject_kind"),
        ({"district": "999999"}, "district"),
        ({"facility": "one"}, "facility"),
        ({"facility": 10**30}, "facility"),
        ({"facility": True}, "facility"),
        ({"violations": ["nonsense"]}, "violations"),
        ({"violations": "forged_delivery_notes"}, "violations"),
        ({"amount_alleged": "abc"}, "amount_alleged"),
        ({"amount_alleged": "-5"}, "amount_alleged"),
        ({"amount_alleged": "1e400"}, "amount_alleged"),
        ({"received_at": "2999-01-01T00:00:00+08:00"}, "received_at"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"wants_reply": "perhaps"}, "wants_reply"),
        ({"facility": None, "subject_name": ""}, "subject_name"),
    ],
)
def test_invalid_edits_are_a_400_in_chinese_that_write_nothing(tips, tip_desk, body, field):
    before = snapshot()
    url = f"/api/tips/{tips.received.pk}/"
    response = client_for(tip_desk).patch(url, body, format="json", **if_match_for(url))
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(errors[field])), errors
    assert snapshot() == before


@pytest.mark.parametrize(
    "reporter",
    [
        {"phone": "call me"},
        {"id_number": "110105194912310021"},
        {"name": "长" * 51},
        {"address": ["x"]},
        {"name": None},
        "示例张三",
    ],
)
def test_invalid_reporter_details_are_a_400_that_writes_nothing(tips, tip_desk, reporter):
    before = snapshot()
    response = client_for(tip_desk).post(
        "/api/tips/", {**new_tip(tips), "reporter": reporter}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "reporter" in response.json()
    assert snapshot() == before
    # The refusal never echoes what was sent.
    assert "call me" not in response.content.decode()


def test_an_edit_cannot_change_the_status_or_the_reporter(tips, tip_desk):
    url = f"/api/tips/{tips.received.pk}/"
    response = client_for(tip_desk).patch(
        url,
        {"status": "closed", "reporter": {"name": "示例李四"}, "anonymous": True},
        format="json",
        **if_match_for(url),
    )
    assert response.status_code == 200
    tip = Tip.objects.get(pk=tips.received.pk)
    assert (tip.status, tip.anonymous) == (TipStatus.RECEIVED, False)
    assert TipReporter.objects.get(tip=tip).name == REPORTER_NAME


def test_a_tip_without_a_facility_needs_its_district(tips, tip_desk):
    body = {"channel": "letter", "subject_name": "示例某保健品店", "allegation": "示例：骗保。"}
    response = client_for(tip_desk).post("/api/tips/", body, format="json")
    assert response.status_code == 400
    assert "district" in response.json()
    response = client_for(tip_desk).post(
        "/api/tips/", {**body, "district": District.DAGZE}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["facility"] is None


# --- filters, evidence, hotlines -----------------------------------------------------------


def test_the_list_filters_and_orders_with_the_tip_filterset(tips, inspector):
    client = client_for(inspector)
    rows = client.get("/api/tips/", {"status": "concluded"}).json()["results"]
    assert {row["status"] for row in rows} == {TipStatus.CONCLUDED}
    assert client.get("/api/tips/", {"status": "nonsense"}).status_code == 400
    assert client.get("/api/tips/", {"ordering": "allegation"}).status_code == 400
    ordered = client.get("/api/tips/", {"ordering": "received_at"})
    assert ordered.status_code == 200
    paged = client.get("/api/tips/", {"page_size": 2}).json()
    assert len(paged["results"]) == 2 and paged["next"]
    assert client.get(paged["next"]).status_code == 200


def test_evidence_is_attached_to_a_tip(tips, tip_desk, inspector):
    url = f"/api/tips/{tips.received.pk}/evidence/"
    upload = SimpleUploadedFile("录音记录.pdf", PDF_BYTES, content_type="application/pdf")
    response = client_for(tip_desk).post(url, {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["tip"] == tips.received.pk
    assert Evidence.objects.get(pk=response.json()["id"]).tip == tips.received
    assert [row["id"] for row in client_for(inspector).get(url).json()] == [response.json()["id"]]
    denied = client_for(inspector).post(
        url,
        {"file": SimpleUploadedFile("a.pdf", PDF_BYTES, content_type="application/pdf")},
        format="multipart",
    )
    assert denied.status_code == 403


def test_the_hotlines_endpoint_lists_the_published_ones(inspector):
    Hotline.objects.all().delete()
    Hotline.objects.create(channel="national_hotline", name="全国", contact="12393", published=True)
    Hotline.objects.create(channel="portal", name="门户网站", contact="", published=False)
    rows = client_for(inspector).get("/api/hotlines/").json()
    assert rows == [{"channel": "national_hotline", "name": "全国", "contact": "12393"}]


def test_rewards_refuse_a_decision_by_the_proposer(tips, supervisor):
    TipReward.objects.filter(pk=tips.reward.pk).update(proposed_by=supervisor)
    response = _post(supervisor, f"/api/tip-rewards/{tips.reward.pk}/decide/", {"approve": True})
    assert response.status_code == 400
    assert "decided_by" in response.json()
    assert TipReward.objects.get(pk=tips.reward.pk).status == RewardStatus.PROPOSED


# --- queries ------------------------------------------------------------------------------


def _more_tips(facility, count: int) -> None:
    for _ in range(count):
        tip = TipFactory(facility=facility, concluded=True)
        TipReporterFactory(tip=tip)
        TipRewardFactory(tip=tip)
        TipExtension.objects.create(
            tip=tip, working_days=5, reason="延期", granted_on=datetime.date(2025, 3, 10)
        )


@pytest.mark.parametrize("persona", ["tip_desk", "inspector"])
def test_the_lists_cost_the_same_for_1_and_for_many_rows(
    request, django_assert_max_num_queries, persona
):
    user = request.getfixturevalue(persona)
    facility = FacilityFactory()
    _more_tips(facility, 1)
    client = client_for(user)
    client.get("/api/tips/")  # the token, the permissions, the calendar: warm
    with django_assert_max_num_queries(12) as few:
        assert len(client.get("/api/tips/").json()["results"]) == 1
    _more_tips(facility, 12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/tips/").json()["results"]) == 13
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/tip-rewards/").json()["results"]) == 13


def test_the_amount_of_a_reward_is_never_edited_through_the_api(tips, supervisor):
    url = f"/api/tip-rewards/{tips.reward.pk}/"
    assert client_for(supervisor).patch(url, {"amount": "9"}, format="json").status_code == 405
    assert TipReward.objects.get(pk=tips.reward.pk).amount == Decimal("1000.00")
