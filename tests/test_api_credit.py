"""The credit-management API: every endpoint and action per persona, a cycle walked end to end
through the actions (dates given as the house's tests do, in 2025, a year the working-day
calendar knows), stale versions refused, district scoping, refusals as 400s in Chinese, constant
query counts on the lists, and the schema."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Mapping
from functools import cached_property
from typing import ClassVar

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision.choices import (
    CreditCategoryCode,
    CycleStatus,
    District,
    Grade,
    InspectionStatus,
    ObjectionStatus,
    RepairStatus,
)
from supervision.models import (
    Assessment,
    CreditInstitution,
    CreditRating,
    CreditRepair,
    EvaluationCycle,
    Evidence,
    Indicator,
    InsuredPerson,
    Objection,
    PlannedCheck,
    RatingChange,
    SupervisionMeasure,
    ViolationCategory,
)
from supervision.roles import SUPERVISOR
from supervision.services import credit_actions, evaluation
from tests.api import client_for, if_match_for
from tests.credit_support import build_system
from tests.dbstate import snapshot
from tests.evidence import upload
from tests.factories import (
    PDF_BYTES,
    CreditInstitutionFactory,
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    InsuredPersonFactory,
    UserDistrictFactory,
    UserFactory,
    _resident_id,
    make_credit_code,
)

pytestmark = pytest.mark.django_db

D = datetime.date
MEDICAL = CreditCategoryCode.MEDICAL_INSTITUTION
OPENED, SELF_DUE = D(2025, 1, 6), D(2025, 1, 24)
INITIAL_DONE, PUBLISHED, FINALISED = D(2025, 2, 20), D(2025, 3, 3), D(2025, 4, 1)
PERSON_ID = _resident_id("54010219850101123")
OTHER_ID = _resident_id("54010219900202456")
PERSONAS = [
    "anonymous",
    "outsider",
    "inspector",
    "auditor",
    "tip_desk",
    "evaluator",
    "supervisor",
]


def open_cycle(year: int, user, category: str = MEDICAL) -> EvaluationCycle:
    build_system(category=category, year=year)
    return evaluation.open_cycle(
        category=category,
        year=year,
        user=user,
        opened_on=OPENED,
        self_assessment_due=SELF_DUE,
    )


def walk(cycle: EvaluationCycle, to: str, user) -> EvaluationCycle:
    """The cycle moved through the services, with fixed dates, up to step `to`."""
    steps: list[tuple[str, Callable[[], object]]] = [
        (CycleStatus.SCORING, lambda: evaluation.score_cycle(cycle, user=user)),
        (
            CycleStatus.REVIEW,
            lambda: evaluation.complete_initial_scoring(cycle, user=user, on=INITIAL_DONE),
        ),
        (
            CycleStatus.PUBLICATION,
            lambda: evaluation.publish_cycle(cycle, user=user, starts_on=PUBLISHED),
        ),
        (CycleStatus.FINAL, lambda: evaluation.finalise_cycle(cycle, user=user, on=FINALISED)),
    ]
    for status, step in steps:
        step()
        cycle.refresh_from_db()
        if status == to:
            break
    return cycle


class CreditWorld:
    """What the endpoints act on, each made on first use (a test builds only what it reads): a
    cycle at each step an action starts from (one year each) over two hospitals in two
    districts, an objection pending, a D rating that may apply for repair and an application
    pending, a planned check."""

    def __init__(self, user) -> None:
        self.user = user

    @cached_property
    def hospital(self):
        return FacilityFactory(name="示例城关医院", district=District.CHENGGUAN)

    @cached_property
    def other(self):
        return FacilityFactory(name="示例达孜医院", district=District.DAGZE)

    @cached_property
    def inspection(self):
        inspection = InspectionFactory(
            facility=self.hospital,
            status=InspectionStatus.COMPLETED,
            start_date=D(2024, 5, 6),
            end_date=D(2024, 5, 8),
        )
        inspection.violations.set([ViolationCategory.objects.get_or_create(code="overcharging")[0]])
        return inspection

    def subjects(self) -> list:
        """The hospitals (and the facts about one), made before a cycle takes them in."""
        return [self.hospital, self.other, self.inspection]

    def cycle(self, year: int, to: str | None = None) -> EvaluationCycle:
        self.subjects()
        cycle = open_cycle(year, self.user)
        return walk(cycle, to, self.user) if to else cycle

    def assessment_of(self, cycle: EvaluationCycle, facility) -> Assessment:
        return Assessment.objects.get(cycle=cycle, facility=facility)

    @cached_property
    def opened(self) -> EvaluationCycle:
        return self.cycle(2024)

    @cached_property
    def scoring(self) -> EvaluationCycle:
        return self.cycle(2023, CycleStatus.SCORING)

    @cached_property
    def review(self) -> EvaluationCycle:
        return self.cycle(2022, CycleStatus.REVIEW)

    @cached_property
    def publication(self) -> EvaluationCycle:
        return self.cycle(2021, CycleStatus.PUBLICATION)

    @cached_property
    def objected(self) -> EvaluationCycle:
        return self.cycle(2020, CycleStatus.PUBLICATION)

    @cached_property
    def final(self) -> EvaluationCycle:
        return self.cycle(2019, CycleStatus.FINAL)

    @cached_property
    def assessment(self) -> Assessment:
        return self.assessment_of(self.opened, self.hospital)

    @cached_property
    def scoring_assessment(self) -> Assessment:
        return self.assessment_of(self.scoring, self.hospital)

    @cached_property
    def objected_other(self) -> Assessment:
        return self.assessment_of(self.objected, self.other)

    @cached_property
    def manual(self) -> Indicator:
        return Indicator.objects.get(system=self.scoring.system, code="1.1")

    @cached_property
    def objection(self) -> Objection:
        return evaluation.record_objection(
            self.assessment_of(self.objected, self.hospital),
            received_on=D(2025, 3, 4),
            grounds="示例：检查结论有误。",
            user=self.user,
        )

    @cached_property
    def d_rating(self) -> CreditRating:
        return CreditRatingFactory(
            facility=FacilityFactory(pharmacy=True, name="示例药店甲"),
            year=2024,
            grade=Grade.D,
            score=None,
            rated_on=D(2025, 1, 10),
        )

    @cached_property
    def repair(self) -> CreditRepair:
        rating = CreditRatingFactory(
            facility=FacilityFactory(pharmacy=True, name="示例药店乙"),
            year=2024,
            grade=Grade.C,
            score=None,
            rated_on=D(2025, 1, 10),
        )
        return credit_actions.apply_for_repair(
            rating, applied_on=D(2025, 6, 1), rectification="示例：已完成整改。", user=self.user
        )

    @cached_property
    def check(self) -> PlannedCheck:
        return PlannedCheck.objects.create(
            year=2025,
            facility=self.hospital,
            grade=Grade.C,
            grade_year=2024,
            sequence=1,
            due_on=D(2025, 6, 30),
        )

    @cached_property
    def institution(self) -> CreditInstitution:
        return CreditInstitutionFactory(name="示例医药企业甲")

    @cached_property
    def person(self) -> InsuredPerson:
        return InsuredPersonFactory(name="示例参保人甲", id_number=PERSON_ID)

    @cached_property
    def measure(self) -> SupervisionMeasure:
        return SupervisionMeasure.objects.order_by("id").first()


class CreditIds(Mapping):
    """The id of an existing record per credit endpoint, each made only when asked for
    (test_api_schemathesis)."""

    _OF: ClassVar[dict[str, Callable[[CreditWorld], int]]] = {
        "indicator-systems": lambda w: w.opened.system_id,
        "supervision-measures": lambda w: w.measure.pk,
        "evaluation-cycles": lambda w: w.opened.pk,
        "assessments": lambda w: w.assessment.pk,
        "objections": lambda w: w.objection.pk,
        "credit-repairs": lambda w: w.repair.pk,
        "planned-checks": lambda w: w.check.pk,
        "credit-institutions": lambda w: w.institution.pk,
        "insured-persons": lambda w: w.person.pk,
    }

    def __init__(self, world: CreditWorld) -> None:
        self.world = world

    def __getitem__(self, endpoint: str) -> int:
        return self._OF[endpoint](self.world)

    def __iter__(self) -> Iterator[str]:
        return iter(self._OF)

    def __len__(self) -> int:
        return len(self._OF)


@pytest.fixture
def credit(supervisor) -> CreditWorld:
    return CreditWorld(supervisor)


def user_of(request, persona: str):
    return None if persona == "anonymous" else request.getfixturevalue(persona)


# --- who may call what ------------------------------------------------------------------------

READ = {"inspector": 200, "auditor": 200, "evaluator": 200, "supervisor": 200}
EVALUATORS = {"evaluator": 201, "supervisor": 201}
EVALUATORS_200 = {"evaluator": 200, "supervisor": 200}
SUPERVISOR_ONLY = {"supervisor": 200}
NOT_OFFERED = {p: 405 for p in PERSONAS[1:]}

Row = tuple[str, Callable, Callable | None, dict[str, int]]
TABLE: dict[str, Row] = {
    "categories": ("GET", lambda w: "/api/credit-categories/", None, READ),
    "systems": ("GET", lambda w: "/api/indicator-systems/?year=2024", None, READ),
    "system": ("GET", lambda w: f"/api/indicator-systems/{w.opened.system_id}/", None, READ),
    "system edit": (
        "PATCH",
        lambda w: f"/api/indicator-systems/{w.opened.system_id}/",
        lambda w: {"name": "x"},
        NOT_OFFERED,
    ),
    "measures": ("GET", lambda w: "/api/supervision-measures/", None, READ),
    "measure": ("GET", lambda w: f"/api/supervision-measures/{w.measure.pk}/", None, READ),
    "cycles": ("GET", lambda w: "/api/evaluation-cycles/", None, READ),
    "cycle": ("GET", lambda w: f"/api/evaluation-cycles/{w.opened.pk}/", None, READ),
    "cycle progress": (
        "GET",
        lambda w: f"/api/evaluation-cycles/{w.opened.pk}/progress/",
        None,
        READ,
    ),
    "cycle open": (
        "POST",
        lambda w: "/api/evaluation-cycles/",
        lambda w: _open_body(w),
        {"supervisor": 201},
    ),
    "cycle delete": (
        "DELETE",
        lambda w: f"/api/evaluation-cycles/{w.opened.pk}/",
        None,
        NOT_OFFERED,
    ),
    "cycle score": (
        "POST",
        lambda w: f"/api/evaluation-cycles/{w.opened.pk}/score/",
        None,
        SUPERVISOR_ONLY,
    ),
    "cycle complete initial": (
        "POST",
        lambda w: f"/api/evaluation-cycles/{w.scoring.pk}/complete-initial/",
        lambda w: {"on": "2025-02-20"},
        SUPERVISOR_ONLY,
    ),
    "cycle publish": (
        "POST",
        lambda w: f"/api/evaluation-cycles/{w.review.pk}/publish/",
        lambda w: {"starts_on": "2025-03-03"},
        SUPERVISOR_ONLY,
    ),
    "cycle finalise": (
        "POST",
        lambda w: f"/api/evaluation-cycles/{w.publication.pk}/finalise/",
        lambda w: {"on": "2025-04-01"},
        SUPERVISOR_ONLY,
    ),
    "cycle announce": (
        "POST",
        lambda w: f"/api/evaluation-cycles/{w.final.pk}/announce/",
        lambda w: {"on": "2025-04-02"},
        SUPERVISOR_ONLY,
    ),
    "assessments": ("GET", lambda w: f"/api/assessments/?cycle={w.opened.pk}", None, READ),
    "assessment": ("GET", lambda w: f"/api/assessments/{w.assessment.pk}/", None, READ),
    "scorecard": ("GET", lambda w: f"/api/assessments/{w.assessment.pk}/scorecard/", None, READ),
    "assessment edit": (
        "PATCH",
        lambda w: f"/api/assessments/{w.assessment.pk}/",
        lambda w: {"score": "1"},
        NOT_OFFERED,
    ),
    "self-assessment": (
        "POST",
        lambda w: f"/api/assessments/{w.assessment.pk}/self-assessment/",
        lambda w: {"score": "950.00", "received_on": "2025-01-20"},
        EVALUATORS_200,
    ),
    "score indicator": (
        "POST",
        lambda w: f"/api/assessments/{w.scoring_assessment.pk}/score-indicator/",
        lambda w: {"indicator": w.manual.pk, "points": "30", "note": "制度不健全"},
        EVALUATORS_200,
    ),
    "objections": ("GET", lambda w: "/api/objections/", None, READ),
    "objection": ("GET", lambda w: f"/api/objections/{w.objection.pk}/", None, READ),
    "objection record": (
        "POST",
        lambda w: "/api/objections/",
        lambda w: {
            "assessment": w.objected_other.pk,
            "received_on": "2025-03-05",
            "grounds": "示例：不认可扣分。",
        },
        EVALUATORS,
    ),
    "objection decide": (
        "POST",
        lambda w: f"/api/objections/{w.objection.pk}/decide/",
        lambda w: {
            "upheld": False,
            "decision": "经复核，扣分依据充分。",
            "decided_on": "2025-03-10",
        },
        SUPERVISOR_ONLY,
    ),
    "repairs": ("GET", lambda w: "/api/credit-repairs/", None, READ),
    "repair": ("GET", lambda w: f"/api/credit-repairs/{w.repair.pk}/", None, READ),
    "repair apply": (
        "POST",
        lambda w: "/api/credit-repairs/",
        lambda w: {
            "rating": w.d_rating.pk,
            "applied_on": "2025-08-01",
            "rectification": "示例：已退回违规费用并完成整改。",
        },
        EVALUATORS,
    ),
    "repair decide": (
        "POST",
        lambda w: f"/api/credit-repairs/{w.repair.pk}/decide/",
        lambda w: {"approve": True, "decision": "整改到位，准予修复。", "decided_on": "2025-06-10"},
        SUPERVISOR_ONLY,
    ),
    "institutions": ("GET", lambda w: "/api/credit-institutions/", None, READ),
    "institution": ("GET", lambda w: f"/api/credit-institutions/{w.institution.pk}/", None, READ),
    "institution register": (
        "POST",
        lambda w: "/api/credit-institutions/",
        lambda w: {
            "category": CreditCategoryCode.EMPLOYER,
            "name": "示例参保单位乙",
            "credit_code": make_credit_code(777, prefix="91"),
            "district": District.CHENGGUAN,
        },
        EVALUATORS,
    ),
    "institution edit": (
        "PATCH",
        lambda w: f"/api/credit-institutions/{w.institution.pk}/",
        lambda w: {"address": "示例路2号"},
        EVALUATORS_200,
    ),
    "institution delete": (
        "DELETE",
        lambda w: f"/api/credit-institutions/{w.institution.pk}/",
        None,
        NOT_OFFERED,
    ),
    "persons": ("GET", lambda w: "/api/insured-persons/", None, READ),
    "person": ("GET", lambda w: f"/api/insured-persons/{w.person.pk}/", None, READ),
    "person register": (
        "POST",
        lambda w: "/api/insured-persons/",
        lambda w: {"name": "示例参保人乙", "district": District.CHENGGUAN, "id_number": OTHER_ID},
        EVALUATORS,
    ),
    "person edit": (
        "PATCH",
        lambda w: f"/api/insured-persons/{w.person.pk}/",
        lambda w: {"note": "示例备注"},
        EVALUATORS_200,
    ),
    "planned checks": ("GET", lambda w: "/api/planned-checks/?year=2025", None, READ),
    "planned check": ("GET", lambda w: f"/api/planned-checks/{w.check.pk}/", None, READ),
}


def _open_body(w) -> dict:
    build_system(category=CreditCategoryCode.RETAIL_PHARMACY, year=2024)
    return {
        "category": CreditCategoryCode.RETAIL_PHARMACY,
        "year": 2024,
        "opened_on": "2025-01-06",
        "self_assessment_due": "2025-01-31",
    }


def expected(row: Row, persona: str) -> int:
    if persona == "anonymous":
        return 401
    return row[3].get(persona, 403)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", list(TABLE))
def test_permission_table(request, credit, name, persona):
    method, path, body, _codes = TABLE[name]
    client = client_for(user_of(request, persona))
    url = path(credit)
    headers = if_match_for(url) if method in ("PUT", "PATCH", "POST") else {}
    data = body(credit) if body else None
    call = getattr(client, method.lower())
    response = call(url) if method == "GET" else call(url, data, format="json", **headers)
    assert response.status_code == expected(TABLE[name], persona), response.content[:400]


# --- a cycle end to end through the API --------------------------------------------------------


def _post(user, url: str, body: dict | None = None):
    return client_for(user).post(url, body or {}, format="json", **if_match_for(url))


def test_a_cycle_runs_from_opening_to_announcement_through_the_api(supervisor, evaluator):
    hospital = FacilityFactory(name="示例甲医院")
    objecting = FacilityFactory(name="示例乙医院")
    inspection = InspectionFactory(
        facility=hospital,
        status=InspectionStatus.COMPLETED,
        start_date=D(2024, 5, 6),
        end_date=D(2024, 5, 8),
    )
    inspection.violations.set(
        [ViolationCategory.objects.get_or_create(code=c)[0] for c in ("overcharging", "upcoding")]
    )
    system = build_system(year=2024)
    manual = Indicator.objects.get(system=system, code="1.1")

    opened = client_for(supervisor).post(
        "/api/evaluation-cycles/",
        {
            "category": MEDICAL,
            "year": 2024,
            "opened_on": "2025-01-06",
            "self_assessment_due": "2025-01-24",
        },
        format="json",
    )
    assert opened.status_code == 201, opened.content
    cycle = opened.json()
    assert cycle["status"] == CycleStatus.SELF_ASSESSMENT and cycle["subject_count"] == 2
    assert opened["ETag"] == f'W/"{cycle["id"]}-{cycle["version"]}"'
    base = f"/api/evaluation-cycles/{cycle['id']}"
    rows = client_for(evaluator).get(f"/api/assessments/?cycle={cycle['id']}").json()["results"]
    ids = {row["facility"]["id"]: row["id"] for row in rows}

    received = _post(
        evaluator,
        f"/api/assessments/{ids[hospital.pk]}/self-assessment/",
        {"score": "980", "received_on": "2025-01-20"},
    )
    assert received.status_code == 200, received.content
    assert received.json()["self_score"] == "980.00"

    scored = _post(supervisor, f"{base}/score/")
    assert scored.status_code == 200, scored.content
    assert scored.json()["status"] == CycleStatus.SCORING
    manual_score = _post(
        evaluator,
        f"/api/assessments/{ids[objecting.pk]}/score-indicator/",
        {"indicator": manual.pk, "points": "200", "note": "内部管理制度缺失"},
    )
    assert manual_score.status_code == 200, manual_score.content
    assert (manual_score.json()["score"], manual_score.json()["grade"]) == ("800.00", Grade.B)

    card = client_for(evaluator).get(f"/api/assessments/{ids[hospital.pk]}/scorecard/").json()
    violations = next(row for row in card if row["indicator"]["code"] == "2.1")
    assert (violations["points"], violations["facts"], violations["automatic"]) == (
        "100.00",
        2,
        True,
    )
    assert [fact["id"] for fact in violations["behind"]] == [inspection.pk]
    assert violations["behind"][0]["url"] == f"/api/inspections/{inspection.pk}/"
    assert len(card) == Indicator.objects.filter(system=system).count()

    assert _post(supervisor, f"{base}/complete-initial/", {"on": "2025-02-20"}).status_code == 200
    published = _post(supervisor, f"{base}/publish/", {"starts_on": "2025-03-03"})
    assert published.status_code == 200, published.content
    assert published.json()["status"] == CycleStatus.PUBLICATION
    assert published.json()["publication_ends"] == "2025-03-12"  # 7 working days after

    recorded = client_for(evaluator).post(
        "/api/objections/",
        {"assessment": ids[objecting.pk], "received_on": "2025-03-04", "grounds": "制度已建立"},
        format="json",
    )
    assert recorded.status_code == 201, recorded.content
    objection = recorded.json()
    assert objection["status"] == ObjectionStatus.PENDING and objection["grade_before"] == "B"
    assert objection["recorded_by"] == "evaluator"
    decided = _post(
        supervisor,
        f"/api/objections/{objection['id']}/decide/",
        {
            "upheld": True,
            "decision": "经复核，制度材料齐全，调整评分。",
            "decided_on": "2025-03-10",
            "adjustments": [{"indicator": manual.pk, "points": "50"}],
        },
    )
    assert decided.status_code == 200, decided.content
    assert (decided.json()["status"], decided.json()["grade_after"]) == (
        ObjectionStatus.UPHELD,
        Grade.A,
    )

    progress = client_for(supervisor).get(f"{base}/progress/").json()
    assert progress["subjects"] == 2 and progress["objections_pending"] == 0
    assert progress["self_received"] == 1 and progress["self_missing"] == 1

    finalised = _post(supervisor, f"{base}/finalise/", {"on": "2025-04-01"})
    assert finalised.status_code == 200, finalised.content
    assert finalised.json()["status"] == CycleStatus.FINAL
    announced = _post(supervisor, f"{base}/announce/", {"on": "2025-04-02"})
    assert announced.json()["status"] == CycleStatus.ANNOUNCED
    assert announced.json()["announced_on"] == "2025-04-02"

    grades = dict(CreditRating.objects.filter(year=2024).values_list("facility_id", "grade"))
    assert grades == {hospital.pk: Grade.A, objecting.pk: Grade.A}
    assert RatingChange.objects.filter(rating__year=2024).count() == 2


def test_a_repair_is_applied_for_and_approved_through_the_api(credit, evaluator, supervisor):
    applied = client_for(evaluator).post(
        "/api/credit-repairs/",
        {"rating": credit.d_rating.pk, "applied_on": "2025-08-01", "rectification": "已整改"},
        format="json",
    )
    assert applied.status_code == 201, applied.content
    repair = applied.json()
    assert (repair["status"], repair["from_grade"]) == (RepairStatus.PENDING, Grade.D)
    assert repair["rating"]["facility"]["id"] == credit.d_rating.facility_id
    decided = _post(
        supervisor,
        f"/api/credit-repairs/{repair['id']}/decide/",
        {"approve": True, "decision": "整改到位，准予修复。", "decided_on": "2025-08-05"},
    )
    assert decided.status_code == 200, decided.content
    assert (decided.json()["status"], decided.json()["to_grade"]) == (
        RepairStatus.APPROVED,
        Grade.C,
    )
    rating = CreditRating.objects.get(pk=credit.d_rating.pk)
    assert (rating.grade, rating.repaired) == (Grade.C, True)


# --- versions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (lambda w: f"/api/evaluation-cycles/{w.scoring.pk}/complete-initial/", {}),
        (lambda w: f"/api/evaluation-cycles/{w.opened.pk}/score/", {}),
        (lambda w: f"/api/assessments/{w.assessment.pk}/self-assessment/", {"score": "9"}),
        (
            lambda w: f"/api/objections/{w.objection.pk}/decide/",
            {"upheld": False, "decision": "扣分依据充分。"},
        ),
        (
            lambda w: f"/api/credit-repairs/{w.repair.pk}/decide/",
            {"approve": False, "decision": "整改未到位。"},
        ),
    ],
)
def test_an_action_on_an_old_version_is_refused_and_writes_nothing(credit, supervisor, path, body):
    url = path(credit)
    record = url.split("/")[3]
    client = client_for(supervisor)
    before = snapshot()
    assert client.post(url, body, format="json").status_code == 428
    stale = client.post(url, body, format="json", HTTP_IF_MATCH=f'W/"{record}-99"')
    assert stale.status_code == 412
    assert "current_version" in stale.json()
    assert snapshot() == before


# --- districts --------------------------------------------------------------------------------


@pytest.fixture
def limited(db):
    """A supervisor limited to 城关区."""
    user = UserFactory(username="chengguan", role=SUPERVISOR)
    UserDistrictFactory(user=user, district=District.CHENGGUAN)
    return user


def test_a_limited_supervisor_sees_only_the_subjects_of_their_districts(credit, limited):
    client = client_for(limited)
    rows = client.get(f"/api/assessments/?cycle={credit.objected.pk}").json()["results"]
    assert [row["facility"]["id"] for row in rows] == [credit.hospital.pk]
    assert client.get(f"/api/assessments/{credit.objected_other.pk}/").status_code == 404
    assert client.get(f"/api/assessments/{credit.objected_other.pk}/scorecard/").status_code == 404
    # Cycle-wide steps act on every district: refused for a limited account.
    response = _post(limited, f"/api/evaluation-cycles/{credit.opened.pk}/score/")
    assert response.status_code == 400
    assert "user" in response.json()


# --- refusals ---------------------------------------------------------------------------------


def _chinese(errors) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(errors))


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (
            "cycles",
            {"category": "castle", "year": 2024, "self_assessment_due": "2025-01-24"},
            "category",
        ),
        (
            "cycles",
            {"category": MEDICAL, "year": 1900, "self_assessment_due": "2025-01-24"},
            "year",
        ),
        ("cycles", {"category": MEDICAL, "year": "x", "self_assessment_due": "2025-01-24"}, "year"),
        ("cycles", {"category": MEDICAL, "year": 2024}, "self_assessment_due"),
        (
            "cycles",
            {"category": MEDICAL, "year": 2024, "self_assessment_due": "2025-02-30"},
            "self_assessment_due",
        ),
        (
            "cycles",
            {
                "category": MEDICAL,
                "year": 2024,
                "opened_on": "2025-01-06",
                "self_assessment_due": "2025-01-24",
            },
            "year",
        ),
        (
            "cycles",
            {
                "category": MEDICAL,
                "year": 2025,
                "opened_on": "2025-01-06",
                "self_assessment_due": "2025-01-24",
            },
            "year",
        ),
        ("publish", {"starts_on": "2999-01-01"}, "starts_on"),
        ("publish", {"starts_on": "2025-02-01"}, "starts_on"),
        ("score-indicator", {"indicator": 10**30, "points": "1"}, "indicator"),
        ("score-indicator", {"indicator": "abc", "points": "1"}, "indicator"),
        ("score-indicator", {"indicator": "manual", "points": "1e400"}, "points"),
        ("score-indicator", {"indicator": "manual", "points": "-1"}, "points"),
        ("score-indicator", {"indicator": "manual", "points": "301"}, "points"),
        ("score-indicator", {"indicator": "manual", "points": "1", "note": "长" * 2001}, "note"),
        ("self-assessment", {"score": "abc"}, "score"),
        ("self-assessment", {"score": "1", "received_on": "2024-12-31"}, "received_on"),
        ("objections", {"assessment": "x", "grounds": "y"}, "assessment"),
        ("objections", {"assessment": "other", "grounds": ""}, "grounds"),
        (
            "objections",
            {"assessment": "other", "grounds": "y", "received_on": "2025-05-01"},
            "received_on",
        ),
        ("decide", {"upheld": "perhaps", "decision": "依据充分。"}, "upheld"),
        ("decide", {"upheld": False, "decision": ""}, "decision"),
        (
            "decide",
            {"upheld": True, "decision": "依据充分。", "adjustments": {"1": 2}},
            "adjustments",
        ),
        (
            "decide",
            {
                "upheld": True,
                "decision": "依据充分。",
                "adjustments": [{"indicator": 10**9, "points": "1"}],
            },
            "adjustments",
        ),
        ("repairs", {"rating": "rating", "rectification": ""}, "rectification"),
        (
            "repairs",
            {"rating": "rating", "rectification": "已整改", "applied_on": "2025-02-01"},
            "applied_on",
        ),
        (
            "repair-decide",
            {"approve": True, "decision": "ok", "decided_on": "2025-05-01"},
            "decided_on",
        ),
    ],
)
def test_a_refused_input_is_a_400_in_chinese_that_writes_nothing(
    credit, supervisor, url, body, field
):
    paths = {
        "cycles": "/api/evaluation-cycles/",
        "publish": f"/api/evaluation-cycles/{credit.review.pk}/publish/",
        "score-indicator": f"/api/assessments/{credit.scoring_assessment.pk}/score-indicator/",
        "self-assessment": f"/api/assessments/{credit.assessment.pk}/self-assessment/",
        "objections": "/api/objections/",
        "decide": f"/api/objections/{credit.objection.pk}/decide/",
        "repairs": "/api/credit-repairs/",
        "repair-decide": f"/api/credit-repairs/{credit.repair.pk}/decide/",
    }
    named = {
        "manual": credit.manual.pk,
        "other": credit.objected_other.pk,
        "rating": credit.d_rating.pk,
    }
    body = {k: named.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    before = snapshot()
    response = _post(supervisor, paths[url], body)
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert _chinese(errors[field]), errors
    assert snapshot() == before


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("supervisor", True), ("evaluator", False), ("inspector", False), ("auditor", False)],
)
def test_an_id_number_is_shown_only_to_who_may_read_it(request, credit, persona, shown):
    person = credit.person
    client = client_for(request.getfixturevalue(persona))
    listed = client.get("/api/insured-persons/")
    read = client.get(f"/api/insured-persons/{person.pk}/")
    assert listed.status_code == read.status_code == 200
    row = next(r for r in listed.json()["results"] if r["id"] == person.pk)
    for shown_row in (row, read.json()):
        assert shown_row["id_masked"] == PERSON_ID[:6] + "********" + PERSON_ID[-4:]
        assert ("id_number" in shown_row) is shown
    body = listed.content.decode() + read.content.decode()
    assert (PERSON_ID in body) is shown


def test_an_assessment_shows_an_insured_person_masked_even_to_a_supervisor(credit, supervisor):
    person = credit.person
    cycle = open_cycle(2024, supervisor, CreditCategoryCode.INSURED_PERSON)
    response = client_for(supervisor).get(f"/api/assessments/?cycle={cycle.pk}")
    [row] = response.json()["results"]
    assert row["insured_person"] == {
        "id": person.pk,
        "name": person.name,
        "id_masked": person.id_masked,
        "district": person.district,
    }
    assert PERSON_ID not in response.content.decode()


# --- queries ----------------------------------------------------------------------------------


def _queries(client, path: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    sql = [q["sql"] for q in captured.captured_queries]
    assert not any("COUNT(" in q.upper() for q in sql), sql
    return len(response.json()["results"]), len(sql)


def _more_subjects(cycle: EvaluationCycle, n: int) -> None:
    for facility in FacilityFactory.create_batch(n):
        Assessment.objects.create(
            cycle=cycle,
            facility=facility,
            district=facility.district,
            subject_name=facility.name,
        )


def _more_objections(cycle: EvaluationCycle, user, n: int) -> None:
    _more_subjects(cycle, n)
    for assessment in Assessment.objects.filter(cycle=cycle, objections__isnull=True):
        evaluation.record_objection(
            assessment, received_on=D(2025, 3, 4), grounds="示例异议", user=user
        )


def _more_repairs(user, n: int) -> None:
    for facility in FacilityFactory.create_batch(n, pharmacy=True):
        rating = CreditRatingFactory(
            facility=facility, year=2024, grade=Grade.C, score=None, rated_on=D(2025, 1, 10)
        )
        credit_actions.apply_for_repair(
            rating, applied_on=D(2025, 6, 1), rectification="示例整改", user=user
        )


def _more_checks(n: int) -> None:
    for facility in FacilityFactory.create_batch(n):
        PlannedCheck.objects.create(
            year=2025,
            facility=facility,
            grade=Grade.C,
            grade_year=2024,
            sequence=1,
            due_on=D(2025, 6, 30),
        )


OTHER_CATEGORIES = (CreditCategoryCode.RETAIL_PHARMACY, CreditCategoryCode.INSURER)


def _more_systems() -> None:
    for category in OTHER_CATEGORIES:
        for year in range(2018, 2023):
            build_system(category=category, year=year)


def _more_cycles(user) -> None:
    for category in OTHER_CATEGORIES:
        for year in range(2018, 2023):
            open_cycle(year, user, category)


def test_the_assessments_of_a_cycle_page_in_name_order(credit, auditor):
    _more_subjects(credit.opened, 3)
    client = client_for(auditor)
    url, names = f"/api/assessments/?cycle={credit.opened.pk}&page_size=2", []
    while url:
        page = client.get(url).json()
        names += [row["subject_name"] for row in page["results"]]
        url = page["next"]
    assert names == sorted(
        Assessment.objects.filter(cycle=credit.opened).values_list("subject_name", flat=True)
    )
    assert len(names) == 5


@pytest.mark.parametrize(
    ("path", "grow"),
    [
        ("/api/assessments/?cycle={w.objected.pk}", lambda w, u: _more_subjects(w.objected, 12)),
        ("/api/objections/", lambda w, u: _more_objections(w.objected, u, 12)),
        ("/api/credit-repairs/", lambda w, u: _more_repairs(u, 12)),
        ("/api/planned-checks/", lambda w, u: _more_checks(12)),
        ("/api/indicator-systems/", lambda w, u: _more_systems()),
        ("/api/evaluation-cycles/", lambda w, u: _more_cycles(u)),
        ("/api/supervision-measures/", lambda w, u: None),
        (
            "/api/credit-institutions/",
            lambda w, u: CreditInstitutionFactory.create_batch(12),
        ),
        ("/api/insured-persons/", lambda w, u: InsuredPersonFactory.create_batch(12)),
    ],
)
@pytest.mark.parametrize("reader", ["auditor", "supervisor"])
def test_a_list_costs_the_same_however_many_rows(request, credit, supervisor, reader, path, grow):
    client = client_for(request.getfixturevalue(reader))
    url = path.format(w=credit)
    assert credit.opened.system_id  # one system and one cycle at least: the prefetches run
    rows_before, queries_before = _queries(client, url)
    grow(credit, supervisor)
    rows_after, queries_after = _queries(client, url)
    if "measures" not in url:
        assert rows_after > rows_before
    assert queries_after == queries_before


def test_the_scorecard_is_read_in_a_fixed_number_of_queries(credit, auditor):
    url = f"/api/assessments/{credit.scoring_assessment.pk}/scorecard/"
    with CaptureQueriesContext(connection) as captured:
        assert client_for(auditor).get(url).status_code == 200
    # The assessment, its indicators and items, one query per fact indicator with facts.
    assert len(captured.captured_queries) <= 12


# --- the contract -----------------------------------------------------------------------------


def test_the_schema_documents_the_credit_endpoints(auditor):
    contract = (
        client_for(auditor)
        .get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        .json()
    )
    paths = contract["paths"]
    for path in (
        "/api/credit-categories/",
        "/api/indicator-systems/{id}/",
        "/api/evaluation-cycles/{id}/progress/",
        "/api/evaluation-cycles/{id}/finalise/",
        "/api/assessments/{id}/scorecard/",
        "/api/objections/{id}/decide/",
        "/api/credit-repairs/{id}/decide/",
        "/api/planned-checks/",
    ):
        assert path in paths, path
    publish = paths["/api/evaluation-cycles/{id}/publish/"]["post"]
    assert any(p["name"] == "If-Match" and p["required"] for p in publish["parameters"])
    assert {"412", "428"} <= set(publish["responses"])
    schemas = contract["components"]["schemas"]
    assert "id_number" not in schemas["InsuredPersonBrief"]["properties"]
    assert schemas["CreditCategoryEnum"]["enum"] == list(CreditCategoryCode.values)


def test_rows_the_api_writes_leave_history(credit, supervisor):
    url = f"/api/objections/{credit.objection.pk}/decide/"
    _post(supervisor, url, {"upheld": False, "decision": "经复核，扣分依据充分。"})
    objection = Objection.objects.get(pk=credit.objection.pk)
    assert objection.status == ObjectionStatus.REJECTED
    latest = objection.history.first()
    assert latest.history_user == supervisor and latest.status == ObjectionStatus.REJECTED


def test_a_repair_decision_is_history_too(credit, supervisor):
    url = f"/api/credit-repairs/{credit.repair.pk}/decide/"
    _post(
        supervisor,
        url,
        {"approve": False, "decision": "整改材料不全。", "decided_on": "2025-06-10"},
    )
    repair = CreditRepair.objects.get(pk=credit.repair.pk)
    assert repair.status == RepairStatus.REJECTED
    assert repair.history.first().history_user == supervisor


# --- evidence --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "record"),
    [("objections", lambda w: w.objection), ("credit-repairs", lambda w: w.repair)],
)
def test_evidence_is_attached_to_an_objection_or_a_repair_and_listed(
    credit, supervisor, inspector, media, endpoint, record
):
    target = record(credit)
    url = f"/api/{endpoint}/{target.pk}/evidence/"
    refused = client_for(inspector).post(
        url, {"file": upload("整改报告.pdf", PDF_BYTES)}, format="multipart"
    )
    assert refused.status_code == 403
    assert not Evidence.objects.exists()
    response = client_for(supervisor).post(
        url, {"file": upload("整改报告.pdf", PDF_BYTES), "description": "整改"}, format="multipart"
    )
    assert response.status_code == 201, response.content
    field = "objection" if endpoint == "objections" else "repair"
    assert response.json()[field] == target.pk
    listed = client_for(inspector).get(url)
    assert [row["original_name"] for row in listed.json()] == ["整改报告.pdf"]
