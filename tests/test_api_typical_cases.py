"""The publication API: /api/typical-cases/ (list and read with the FilterSet, write and edit a
draft, submit, approve, return, withdraw, all through services.typical_cases) and
/api/grade-publications/ (list, read, publish through services.publication): each endpoint and
action per persona, the reviewer not the writer, the public-text guard, stale versions refused
(428 without If-Match, 412 with an old one), wrongly typed and hostile input refused with 400s,
district scope, and a fixed number of queries per list.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision.choices import District, InspectionStatus, TypicalCaseStatus
from supervision.models import GradePublication, TypicalCase
from supervision.roles import SUPERVISOR
from supervision.services import publication
from supervision.services import typical_cases as service
from tests.api import client_for
from tests.dbstate import snapshot
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    GradePublicationFactory,
    InspectionFactory,
    PractitionerFactory,
    RegistrationFactory,
    TypicalCaseFactory,
    UserDistrictFactory,
    UserFactory,
    _resident_id,
)

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2025, 6, 30)
CASES = "/api/typical-cases/"
GRADES = "/api/grade-publications/"
PERSONAS = ["anonymous", "outsider", "inspector", "auditor", "evaluator", "tip_desk", "supervisor"]
CASE_READERS = {"inspector", "auditor", "evaluator", "supervisor"}
GRADE_READERS = {"inspector", "auditor", "evaluator", "tip_desk", "supervisor"}
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def writer(db):
    return UserFactory(username="writer", role=SUPERVISOR)


@pytest.fixture
def inspection(db):
    return InspectionFactory(facility=FacilityFactory(name="示例人民医院"), completed=True)


def user_of(request, persona: str):
    return None if persona == "anonymous" else request.getfixturevalue(persona)


def if_match(case: TypicalCase) -> dict[str, str]:
    version = TypicalCase.objects.values_list("version", flat=True).get(pk=case.pk)
    return {"HTTP_IF_MATCH": f'W/"{case.pk}-{version}"'}


def write(inspection, user, **text) -> TypicalCase:
    values = {"title": "示例典型案例", "facts": "串换药品项目结算。", "handling": "追回基金。"}
    return service.write_case(user=user, inspection=inspection, **(values | text))


def body(at, **overrides) -> dict:
    return {
        "inspection": at.pk,
        "title": "示例典型案例",
        "facts": "检查发现该院串换药品项目结算。",
        "handling": "追回医保基金并处罚款。",
    } | overrides


def status_for(persona: str, allowed: set[str]) -> int:
    if persona == "anonymous":
        return 401
    return 200 if persona in allowed else 403


# --- who may call what ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_reads_follow_the_view_permissions(request, persona, writer, inspection):
    case = write(inspection, writer)
    GradePublicationFactory()
    client = client_for(user_of(request, persona))
    assert client.get(CASES).status_code == status_for(persona, CASE_READERS)
    assert client.get(f"{CASES}{case.pk}/").status_code == status_for(persona, CASE_READERS)
    assert client.get(GRADES).status_code == status_for(persona, GRADE_READERS)


@pytest.mark.parametrize("persona", ["outsider", "inspector", "auditor", "evaluator", "tip_desk"])
def test_no_one_but_a_supervisor_writes(request, persona, writer, inspection):
    draft = write(inspection, writer)
    submitted = service.submit_case(write(inspection, writer), user=writer)
    CreditRatingFactory(year=2024)
    client = client_for(user_of(request, persona))
    before = snapshot()
    calls = [
        client.post(CASES, body(inspection), format="json"),
        client.patch(f"{CASES}{draft.pk}/", {"title": "改"}, format="json", **if_match(draft)),
        client.post(f"{CASES}{draft.pk}/submit/", {}, format="json", **if_match(draft)),
        client.post(f"{CASES}{submitted.pk}/approve/", {}, format="json", **if_match(submitted)),
        client.post(
            f"{CASES}{submitted.pk}/return/",
            {"review_comment": "退回"},
            format="json",
            **if_match(submitted),
        ),
        client.post(GRADES, {"year": 2024, "category": "medical_institution"}, format="json"),
    ]
    assert {response.status_code for response in calls} <= {403, 404}
    assert snapshot() == before


def test_nothing_is_deleted_or_replaced(writer, inspection):
    case = write(inspection, writer)
    client = client_for(writer)
    assert client.delete(f"{CASES}{case.pk}/", **if_match(case)).status_code == 405
    assert client.put(f"{CASES}{case.pk}/", body(inspection), format="json").status_code == 405


# --- a case's life ----------------------------------------------------------------------------


def test_a_case_is_written_edited_submitted_approved_and_withdrawn(writer, supervisor, inspection):
    client = client_for(writer)
    response = client.post(CASES, body(inspection), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == TypicalCaseStatus.DRAFT
    assert data["created_by"] == "writer"
    assert data["inspection"]["id"] == inspection.pk
    case = TypicalCase.objects.get(pk=data["id"])
    url = f"{CASES}{case.pk}/"

    response = client.patch(url, {"lesson": "警示：规范结算。"}, format="json", **if_match(case))
    assert response.status_code == 200, response.json()
    assert response.json()["lesson"] == "警示：规范结算。"
    assert response["ETag"] == if_match(case)["HTTP_IF_MATCH"]

    response = client.post(f"{url}submit/", {}, format="json", **if_match(case))
    assert response.status_code == 200, response.json()
    assert response.json()["submitted_on"] == TODAY.isoformat()

    edition = publication.edition()
    reviewer = client_for(supervisor)
    response = reviewer.post(
        f"{url}approve/", {"review_comment": "同意"}, format="json", **if_match(case)
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == TypicalCaseStatus.PUBLISHED
    assert response.json()["reviewed_by"] == "supervisor"
    assert publication.edition() == edition + 1

    response = reviewer.post(
        f"{url}withdraw/", {"withdraw_reason": "决定已撤销"}, format="json", **if_match(case)
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == TypicalCaseStatus.WITHDRAWN
    assert publication.edition() == edition + 2
    rows = case.history.order_by("history_date", "history_id")
    assert [(r.history_user.username, r.history_change_reason) for r in rows] == [
        ("writer", "撰写典型案例"),
        ("writer", None),
        ("writer", "提交审核"),
        ("supervisor", "审核通过，发布"),
        ("supervisor", "撤回：决定已撤销"),
    ]


def test_the_writer_may_not_approve_or_return_their_own_case(writer, inspection):
    case = service.submit_case(write(inspection, writer), user=writer)
    client = client_for(writer)
    before = snapshot()
    for step, data in [("approve", {}), ("return", {"review_comment": "自己退回"})]:
        response = client.post(f"{CASES}{case.pk}/{step}/", data, format="json", **if_match(case))
        assert response.status_code == 400
        assert "撰写人" in response.json()["non_field_errors"][0]
    assert snapshot() == before


def test_a_return_needs_a_comment_and_makes_a_draft(writer, supervisor, inspection):
    case = service.submit_case(write(inspection, writer), user=writer)
    client = client_for(supervisor)
    url = f"{CASES}{case.pk}/return/"
    before = snapshot()
    for data in [{}, {"review_comment": ""}, {"review_comment": "   "}]:
        response = client.post(url, data, format="json", **if_match(case))
        assert response.status_code == 400
        assert "review_comment" in response.json()
    assert snapshot() == before
    response = client.post(url, {"review_comment": "请修改"}, format="json", **if_match(case))
    assert response.status_code == 200
    assert response.json()["status"] == TypicalCaseStatus.DRAFT
    assert response.json()["review_comment"] == "请修改"


def test_submitting_text_with_personal_data_is_refused_naming_field_and_kind(writer, inspection):
    RegistrationFactory(
        practitioner=PractitionerFactory(name="格桑卓玛"), facility=inspection.facility
    )
    number = _resident_id("54010219800101123")
    case = write(inspection, writer, facts=f"身份证{number}", handling="对格桑卓玛记分。")
    before = snapshot()
    response = client_for(writer).post(
        f"{CASES}{case.pk}/submit/", {}, format="json", **if_match(case)
    )
    assert response.status_code == 400
    errors = response.json()
    assert "身份证号码" in errors["facts"][0] and "基本案情" in errors["facts"][0]
    assert "姓名" in errors["handling"][0]
    assert number not in response.content.decode() and "格桑" not in response.content.decode()
    assert snapshot() == before


def test_only_a_completed_inspection_is_written_from(writer):
    open_one = InspectionFactory(status=InspectionStatus.IN_PROGRESS)
    before = snapshot()
    response = client_for(writer).post(CASES, body(open_one), format="json")
    assert response.status_code == 400
    assert response.json()["inspection"] == ["只能依据已完成的检查撰写典型案例。"]
    assert snapshot() == before


def test_a_submitted_case_is_not_edited(writer, inspection):
    case = service.submit_case(write(inspection, writer), user=writer)
    before = snapshot()
    response = client_for(writer).patch(
        f"{CASES}{case.pk}/", {"title": "改"}, format="json", **if_match(case)
    )
    assert response.status_code == 400
    assert snapshot() == before


# --- versions ---------------------------------------------------------------------------------


def test_a_write_without_if_match_is_428_and_with_an_old_one_412(writer, inspection):
    case = write(inspection, writer)
    client = client_for(writer)
    old = if_match(case)
    service.edit_case(case, user=writer, title="他人先改")
    before = snapshot()
    assert client.patch(f"{CASES}{case.pk}/", {"title": "改"}, format="json").status_code == 428
    assert (
        client.patch(f"{CASES}{case.pk}/", {"title": "改"}, format="json", **old).status_code == 412
    )
    assert client.post(f"{CASES}{case.pk}/submit/", {}, format="json", **old).status_code == 412
    assert snapshot() == before


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"inspection": "abc"},
        {"inspection": True},
        {"inspection": 99999999999999999999},
        {"inspection": [1]},
        {"inspection": None},
        {"title": ""},
        {"title": "题" * 101},
        {"title": {"a": 1}},
        {"title": ["x"]},
        {"facts": "案" * 5001},
        {"facts": None},
        {"handling": "示例\x00"},
        {"legal_basis": "法" * 2001},
    ],
)
def test_wrongly_typed_or_over_long_input_is_a_400(writer, inspection, overrides):
    before = snapshot()
    response = client_for(writer).post(CASES, body(inspection, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) & set(overrides)
    assert snapshot() == before


@pytest.mark.parametrize("payload", ["[]", "null", '"text"', "{", "1"])
def test_a_body_that_is_not_an_object_is_a_400(writer, inspection, payload):
    before = snapshot()
    response = client_for(writer).generic("POST", CASES, payload, content_type="application/json")
    assert response.status_code == 400
    assert snapshot() == before


def test_hostile_text_is_kept_as_typed(writer, inspection):
    response = client_for(writer).post(CASES, body(inspection, title=HOSTILE), format="json")
    assert response.status_code == 201
    assert TypicalCase.objects.get().title == HOSTILE


@pytest.mark.parametrize(
    "query",
    [
        {"status": "nonsense"},
        {"facility": "abc"},
        {"facility": "99999999999999999999"},
        {"published_on_after": "2025/01/01"},
        {"ordering": "password"},
        {"q": "x" * 500},
    ],
)
def test_bad_filters_are_a_400_not_a_500(auditor, query):
    assert client_for(auditor).get(CASES, query).status_code == 400


@pytest.mark.parametrize("pk", ["abc", "0", "99999999999999999999", "%C2%B2"])
def test_a_malformed_id_is_a_404(auditor, pk):
    assert client_for(auditor).get(f"{CASES}{pk}/").status_code == 404


# --- lists, filters, scope --------------------------------------------------------------------


def test_the_list_filters_by_status(writer, supervisor, inspection):
    draft = write(inspection, writer)
    published = service.approve_case(
        service.submit_case(write(inspection, writer), user=writer), user=supervisor
    )
    client = client_for(supervisor)
    ids = [row["id"] for row in client.get(CASES, {"status": "published"}).json()["results"]]
    assert ids == [published.pk]
    ids = [row["id"] for row in client.get(CASES, {"status": "draft"}).json()["results"]]
    assert ids == [draft.pk]


def test_a_district_limited_reader_sees_only_its_districts(auditor, writer, inspection):
    theirs = write(inspection, writer)
    dagze = InspectionFactory(facility=FacilityFactory(district=District.DAGZE), completed=True)
    mine = write(dagze, writer)
    UserDistrictFactory(user=auditor, district=District.DAGZE)
    client = client_for(auditor)
    assert [row["id"] for row in client.get(CASES).json()["results"]] == [mine.pk]
    assert client.get(f"{CASES}{theirs.pk}/").status_code == 404


def test_a_district_limited_writer_writes_only_in_its_districts(supervisor, inspection):
    UserDistrictFactory(user=supervisor, district=District.DAGZE)
    before = snapshot()
    response = client_for(supervisor).post(CASES, body(inspection), format="json")
    assert response.status_code == 400  # an inspection it may not see does not exist for it
    assert snapshot() == before


def test_the_lists_cost_the_same_queries_for_one_row_and_for_many(auditor):
    client = client_for(auditor)
    TypicalCaseFactory()
    GradePublicationFactory(year=2023)
    client.get(CASES)
    counts = {}
    for label in ("one", "many"):
        with CaptureQueriesContext(connection) as cases:
            assert client.get(CASES).status_code == 200
        with CaptureQueriesContext(connection) as grades:
            assert client.get(GRADES).status_code == 200
        counts[label] = (len(cases.captured_queries), len(grades.captured_queries))
        if label == "one":
            for _ in range(10):
                TypicalCaseFactory(inspection=InspectionFactory(completed=True), created_by=auditor)
            for year in range(2018, 2023):
                GradePublicationFactory(year=year, published_by=auditor)
    assert counts["one"] == counts["many"]


# --- grade publications -----------------------------------------------------------------------


def test_a_supervisor_publishes_a_rated_year_once(supervisor):
    CreditRatingFactory(year=2024)
    client = client_for(supervisor)
    edition = publication.edition()
    data = {"year": 2024, "category": "medical_institution", "note": "年度公布"}
    response = client.post(GRADES, data, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["published_by"] == "supervisor"
    assert response.json()["published_on"] == TODAY.isoformat()
    assert publication.edition() == edition + 1
    before = snapshot()
    again = client.post(GRADES, data, format="json")
    assert again.status_code == 400
    assert snapshot() == before
    assert GradePublication.objects.count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"year": 2023, "category": "medical_institution"},  # no grades that year
        {"year": 2024, "category": "employer"},  # not a facility category
        {"year": 2024, "category": HOSTILE},
        {"year": "abc", "category": "medical_institution"},
        {"year": 99999999999999999999, "category": "medical_institution"},
        {"year": True, "category": "medical_institution"},
        {"year": 2024, "category": "medical_institution", "note": "说" * 2001},
        {"category": "medical_institution"},
    ],
)
def test_a_publication_that_cannot_be_made_is_a_400(supervisor, data):
    CreditRatingFactory(year=2024)
    before = snapshot()
    response = client_for(supervisor).post(GRADES, data, format="json")
    assert response.status_code == 400, response.content
    assert snapshot() == before
