"""/api/rectifications/: list and read with the FilterSet, order (create), record the report and
the follow-up inspection, all through services.rectifications: each call per persona, stale
versions refused (428 without If-Match, 412 with an old one), wrongly typed, hostile and
over-long input refused with 400s and nothing written, district scope, a fixed number of queries
per list."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision.choices import District, InspectionKind, RectificationStatus, Violation
from supervision.models import Inspection, Rectification
from tests.api import client_for
from tests.dbstate import snapshot
from tests.factories import (
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    RectificationFactory,
    UserDistrictFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2025, 6, 30)
URL = "/api/rectifications/"
PERSONAS = ["anonymous", "outsider", "inspector", "auditor", "evaluator", "tip_desk", "supervisor"]
READERS = {"inspector", "auditor", "evaluator", "tip_desk", "supervisor"}
WRITERS = {"inspector", "supervisor"}
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY)


def user_of(request, persona: str):
    return None if persona == "anonymous" else request.getfixturevalue(persona)


def if_match(rect: Rectification) -> dict[str, str]:
    version = Rectification.objects.values_list("version", flat=True).get(pk=rect.pk)
    return {"HTTP_IF_MATCH": f'W/"{rect.pk}-{version}"'}


def found(**kwargs) -> Inspection:
    inspection = InspectionFactory(completed=True, **kwargs)
    inspection.violations.set([Violation.FALSE_CLAIMS])
    return inspection


def order_body(at: Inspection, **overrides) -> dict:
    return {
        "inspection": at.pk,
        "requirement": "退回违规结算的医保基金。",
        "workdays": 15,
        "ordered_on": "2025-03-14",
    } | overrides


def follow_up_body(**overrides) -> dict:
    team = InspectorFactory.create_batch(2)
    return {
        "checked_on": "2025-04-15",
        "done": True,
        "outcome": "复查确认已退回。",
        "inspectors": [i.pk for i in team],
    } | overrides


def status_for(persona: str, allowed: set[str], ok: int = 200) -> int:
    if persona == "anonymous":
        return 401
    return ok if persona in allowed else 403


# --- who may call what --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_reads_follow_the_view_permission(request, persona):
    rect = RectificationFactory()
    client = client_for(user_of(request, persona))
    assert client.get(URL).status_code == status_for(persona, READERS)
    assert client.get(f"{URL}{rect.pk}/").status_code == status_for(persona, READERS)


@pytest.mark.parametrize("persona", ["outsider", "auditor", "evaluator", "tip_desk"])
def test_no_one_else_orders_reports_or_follows_up(request, persona):
    inspection = found()
    ordered = RectificationFactory()
    client = client_for(user_of(request, persona))
    check = follow_up_body()
    before = snapshot()
    calls = [
        client.post(URL, order_body(inspection), format="json"),
        client.post(
            f"{URL}{ordered.pk}/report/",
            {"reported_on": "2025-04-01", "report": "已整改。"},
            format="json",
            **if_match(ordered),
        ),
        client.post(f"{URL}{ordered.pk}/follow-up/", check, format="json", **if_match(ordered)),
    ]
    assert [c.status_code for c in calls] == [403, 403, 403]
    assert snapshot() == before


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_an_order_is_not_edited_or_deleted_through_the_api(supervisor, method):
    rect = RectificationFactory()
    response = getattr(client_for(supervisor), method)(
        f"{URL}{rect.pk}/", {"requirement": "改"}, format="json", **if_match(rect)
    )
    assert response.status_code == 405


# --- the workflow -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", sorted(WRITERS))
def test_an_order_its_report_and_its_follow_up(request, persona):
    user = user_of(request, persona)
    client = client_for(user)
    inspection = found(facility=FacilityFactory(name="示例整改诊所"))

    made = client.post(URL, order_body(inspection), format="json")

    assert made.status_code == 201, made.json()
    data = made.json()
    assert data["status"] == RectificationStatus.ORDERED
    assert data["due_on"] == "2025-04-07"  # 15 working days; 4 April (Qingming) is a holiday
    assert data["inspection"]["id"] == inspection.pk
    assert data["facility"]["name"] == "示例整改诊所"
    assert data["created_by"] == user.username
    assert made["ETag"] == f'W/"{data["id"]}-1"'
    rect = Rectification.objects.get(pk=data["id"])

    reported = client.post(
        f"{URL}{rect.pk}/report/",
        {"reported_on": "2025-04-03", "report": HOSTILE},
        format="json",
        **if_match(rect),
    )

    assert reported.status_code == 200, reported.json()
    assert reported.json()["status"] == RectificationStatus.REPORTED
    assert reported.json()["report"] == HOSTILE  # JSON carries it as text; pages escape it

    checked = client.post(
        f"{URL}{rect.pk}/follow-up/",
        follow_up_body(done=False, outcome="仍有违规结算未退回。"),
        format="json",
        **if_match(rect),
    )

    assert checked.status_code == 200, checked.json()
    result = checked.json()
    assert result["status"] == RectificationStatus.NOT_DONE
    assert result["follow_up"]["kind"] == InspectionKind.FOLLOWUP
    follow_up = Inspection.objects.get(pk=result["follow_up"]["id"])
    assert follow_up.findings == "仍有违规结算未退回。"
    assert follow_up.inspectors.count() == 2
    reasons = list(
        Rectification.history.filter(id=rect.pk)
        .order_by("history_id")
        .values_list("history_change_reason", "history_user")
    )
    assert reasons == [
        ("下达责令整改", user.pk),
        ("收到整改报告", user.pk),
        ("复查：整改不到位", user.pk),
    ]


def test_the_list_filters_by_status_facility_and_overdue(supervisor):
    late = RectificationFactory()  # due 2025-04-14, open on 30 June
    done = RectificationFactory(confirmed=True)
    future = RectificationFactory(ordered_on=D(2025, 6, 27))
    client = client_for(supervisor)

    def ids(**params):
        response = client.get(URL, params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {late.pk, done.pk, future.pk}
    assert ids(status="confirmed") == {done.pk}
    assert ids(overdue="true") == {late.pk}
    assert ids(overdue="false") == {done.pk, future.pk}
    assert ids(facility=late.facility_id) == {late.pk}
    assert ids(inspection=done.inspection_id) == {done.pk}
    assert client.get(URL, {"status": "lost"}).status_code == 400
    assert client.get(URL, {"overdue": "perhaps"}).status_code == 400


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"requirement": ""}, "requirement"),
        ({"requirement": "字" * 2001}, "requirement"),
        ({"requirement": "整改\x00"}, "requirement"),
        ({"workdays": 0}, "workdays"),
        ({"workdays": 181}, "workdays"),
        ({"workdays": "二十"}, "workdays"),
        ({"workdays": True}, "workdays"),
        ({"ordered_on": "2025-13-01"}, "ordered_on"),
        ({"ordered_on": "2025-07-01"}, "ordered_on"),  # after today
        ({"ordered_on": "2025-03-01"}, "ordered_on"),  # before the inspection
        ({"inspection": 99999999999999999999}, "inspection"),
        ({"inspection": "x"}, "inspection"),
    ],
)
def test_a_bad_order_is_a_400_on_its_field_and_writes_nothing(supervisor, overrides, field):
    inspection = found()
    before = snapshot()
    response = client_for(supervisor).post(URL, order_body(inspection, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert snapshot() == before


@pytest.mark.parametrize(
    "make",
    [
        lambda: InspectionFactory(completed=True),
        lambda: InspectionFactory(amount_involved=Decimal("10")),
        lambda: RectificationFactory().inspection,
    ],
    ids=["nothing-found", "not-completed", "already-ordered"],
)
def test_an_inspection_that_cannot_be_ordered_is_a_400(supervisor, make):
    inspection = make()
    before = snapshot()
    response = client_for(supervisor).post(URL, order_body(inspection), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["inspection"]
    assert snapshot() == before


def test_a_step_needs_the_current_version(supervisor):
    rect = RectificationFactory()
    client = client_for(supervisor)
    step = f"{URL}{rect.pk}/report/"
    body = {"reported_on": "2025-04-01", "report": "已整改。"}
    check = follow_up_body()
    before = snapshot()
    assert client.post(step, body, format="json").status_code == 428
    stale = {"HTTP_IF_MATCH": f'W/"{rect.pk}-{rect.version + 5}"'}
    assert client.post(step, body, format="json", **stale).status_code == 412
    checked = client.post(f"{URL}{rect.pk}/follow-up/", check, format="json", **stale)
    assert checked.status_code == 412
    assert snapshot() == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("report", {"reported_on": "2025-04-01", "report": ""}, "report"),
        ("report", {"reported_on": "2025-03-13", "report": "已整改。"}, "reported_on"),
        ("report", {"report": "已整改。"}, "reported_on"),
        ("follow-up", {"done": "perhaps"}, "done"),
        ("follow-up", {"inspectors": [1, 1]}, "inspectors"),
        ("follow-up", {"inspectors": [999999]}, "inspectors"),
        ("follow-up", {"outcome": "字" * 2001}, "outcome"),
        ("follow-up", {"checked_on": "2025-03-01"}, "checked_on"),
    ],
)
def test_a_bad_step_is_a_400_on_its_field_and_writes_nothing(supervisor, path, body, field):
    rect = RectificationFactory()
    data = body if path == "report" else follow_up_body(**body)
    before = snapshot()
    response = client_for(supervisor).post(
        f"{URL}{rect.pk}/{path}/", data, format="json", **if_match(rect)
    )
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert snapshot() == before


def test_a_checked_order_takes_no_more_steps(supervisor):
    rect = RectificationFactory(confirmed=True)
    client = client_for(supervisor)
    body = follow_up_body()
    before = snapshot()
    report = client.post(
        f"{URL}{rect.pk}/report/",
        {"reported_on": "2025-04-20", "report": "补充。"},
        format="json",
        **if_match(rect),
    )
    check = client.post(f"{URL}{rect.pk}/follow-up/", body, format="json", **if_match(rect))
    assert (report.status_code, check.status_code) == (400, 400)
    assert list(report.json()) == ["status"]
    assert snapshot() == before


# --- districts and queries ----------------------------------------------------------------------


def test_a_limited_account_sees_and_acts_in_its_districts_only(supervisor):
    UserDistrictFactory(user=supervisor, district=District.CHENGGUAN)
    mine = RectificationFactory()
    dagze = FacilityFactory(district=District.DAGZE)
    other = RectificationFactory(inspection__facility=dagze)
    elsewhere = found(facility=dagze)
    client = client_for(supervisor)
    assert {r["id"] for r in client.get(URL).json()["results"]} == {mine.pk}
    assert client.get(f"{URL}{other.pk}/").status_code == 404
    before = snapshot()
    step = client.post(
        f"{URL}{other.pk}/report/",
        {"reported_on": "2025-04-01", "report": "已整改。"},
        format="json",
        **if_match(other),
    )
    made = client.post(URL, order_body(elsewhere), format="json")
    assert step.status_code == 404
    assert made.status_code == 400 and "inspection" in made.json()
    assert snapshot() == before


def test_the_list_costs_the_same_queries_for_1_row_and_for_many(auditor):
    RectificationFactory(confirmed=True)
    client = client_for(auditor)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(URL).json()["results"]) == 1
    for _ in range(5):
        RectificationFactory(not_done=True)
        RectificationFactory()
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).json()["results"]) == 11
    assert len(many) == len(one)
