"""The annual evaluation pages (年度信用评价): the cycle list and opening a cycle, a cycle's page
with its steps and its assessments, a subject's scorecard and its forms, the objection list, an
indicator system, the facility page's link to the scorecard; who may see and do what, bad input,
stale versions, constant queries, and a whole cycle walked through the pages."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supervision.choices import (
    CreditCategoryCode,
    CycleStatus,
    District,
    Grade,
    IndicatorMethod,
    ObjectionStatus,
    Violation,
)
from supervision.models import (
    Assessment,
    AssessmentItem,
    CreditRating,
    EvaluationCycle,
    Evidence,
    Indicator,
    IndicatorSystem,
    Objection,
)
from supervision.roles import SUPERVISOR
from supervision.services import evaluation
from tests.credit_support import build_system
from tests.dbstate import snapshot, stored_version
from tests.factories import (
    AssessmentFactory,
    EvaluationCycleFactory,
    FacilityFactory,
    InspectionFactory,
    ObjectionFactory,
    UserDistrictFactory,
    UserFactory,
)
from tests.pages import html_of, sign_in

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = timezone.localdate()
YEAR = TODAY.year - 1
MEDICAL = CreditCategoryCode.MEDICAL_INSTITUTION

PERSONAS = [
    "anonymous",
    "outsider",
    "tip_desk",
    "inspector",
    "evaluator",
    "supervisor",
    "auditor",
    "superuser",
]
READERS = {"inspector", "evaluator", "supervisor", "auditor", "superuser"}
EVALUATORS = {"evaluator", "supervisor", "superuser"}
SUPERVISORS = {"supervisor", "superuser"}


def ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def lead():
    """The supervisor who walks the cycles the tests set up (not a persona)."""
    return UserFactory(username="credit-lead", role=SUPERVISOR)


def cycle_at(status: str = CycleStatus.SELF_ASSESSMENT, facilities: int = 2) -> EvaluationCycle:
    """A cycle of YEAR for medical institutions, walked through the services to status: the
    first facility had a violation found in YEAR; published 30 days ago, so the publication
    period is over."""
    build_system(year=YEAR)
    first = FacilityFactory(name="示例评价医院甲", district=District.CHENGGUAN)
    InspectionFactory(
        facility=first,
        completed=True,
        start_date=D(YEAR, 3, 10),
        end_date=D(YEAR, 3, 12),
    ).violations.set([Violation.OVERCHARGING])
    for index in range(facilities - 1):
        FacilityFactory(name=f"示例评价医院{index:02d}", district=District.DOILUNGDEQEN)
    user = lead()
    cycle = evaluation.open_cycle(
        category=MEDICAL,
        year=YEAR,
        user=user,
        self_assessment_due=ago(50),
        opened_on=ago(60),
    )
    if status == CycleStatus.SELF_ASSESSMENT:
        return cycle
    evaluation.score_cycle(cycle, user=user)
    if status == CycleStatus.SCORING:
        return EvaluationCycle.objects.get(pk=cycle.pk)
    evaluation.complete_initial_scoring(cycle, user=user, on=ago(40))
    if status == CycleStatus.REVIEW:
        return EvaluationCycle.objects.get(pk=cycle.pk)
    evaluation.publish_cycle(cycle, user=user, starts_on=ago(30))
    if status == CycleStatus.PUBLICATION:
        return EvaluationCycle.objects.get(pk=cycle.pk)
    evaluation.finalise_cycle(cycle, user=user, on=TODAY)
    return EvaluationCycle.objects.get(pk=cycle.pk)


def first_assessment(cycle: EvaluationCycle) -> Assessment:
    return Assessment.objects.get(cycle=cycle, subject_name="示例评价医院甲")


def objection_of(cycle: EvaluationCycle) -> Objection:
    assessment = first_assessment(cycle)
    return evaluation.record_objection(
        assessment,
        received_on=cycle.publication_starts,
        grounds="示例异议：违规已整改。",
        user=lead(),
    )


def manual(cycle: EvaluationCycle) -> Indicator:
    return Indicator.objects.get(system=cycle.system, code="1.1")


# (url name, what its argument is) → who gets 200.
def _arg(kind: str):
    return {
        "none": lambda: None,
        "self_assessment": lambda: cycle_at(CycleStatus.SELF_ASSESSMENT).pk,
        "scoring": lambda: cycle_at(CycleStatus.SCORING).pk,
        "review": lambda: cycle_at(CycleStatus.REVIEW).pk,
        "publication": lambda: cycle_at(CycleStatus.PUBLICATION).pk,
        "final": lambda: cycle_at(CycleStatus.FINAL).pk,
        "a_self": lambda: first_assessment(cycle_at(CycleStatus.SELF_ASSESSMENT)).pk,
        "a_scoring": lambda: first_assessment(cycle_at(CycleStatus.SCORING)).pk,
        "a_publication": lambda: first_assessment(cycle_at(CycleStatus.PUBLICATION)).pk,
        "a_final": lambda: first_assessment(cycle_at(CycleStatus.FINAL)).pk,
        "objection": lambda: objection_of(cycle_at(CycleStatus.PUBLICATION)).pk,
        "system": lambda: build_system(year=YEAR).pk,
    }[kind]


PAGES = [
    ("evaluationcycle-list", "none", READERS),
    ("evaluationcycle-open", "none", SUPERVISORS),
    ("evaluationcycle-detail", "publication", READERS),
    ("evaluationcycle-score", "self_assessment", SUPERVISORS),
    ("evaluationcycle-complete", "scoring", SUPERVISORS),
    ("evaluationcycle-publish", "review", SUPERVISORS),
    ("evaluationcycle-finalise", "publication", SUPERVISORS),
    ("evaluationcycle-announce", "final", SUPERVISORS),
    ("assessment-detail", "a_publication", READERS),
    ("assessment-detail", "a_final", READERS),
    ("assessment-self", "a_self", EVALUATORS),
    ("assessment-score", "a_scoring", EVALUATORS),
    ("assessment-objection", "a_publication", EVALUATORS),
    ("objection-list", "none", READERS),
    ("objection-detail", "objection", READERS),
    ("objection-decide", "objection", SUPERVISORS),
    # The evaluator records an objection and attaches its evidence.
    ("objection-evidence", "objection", EVALUATORS),
    ("indicatorsystem-detail", "system", READERS),
]
CASES = [
    (name, kind, persona, 302 if persona == "anonymous" else 200 if persona in ok else 403)
    for name, kind, ok in PAGES
    for persona in PERSONAS
]


@pytest.mark.parametrize(("name", "kind", "persona", "status"), CASES)
def test_each_page_answers_each_persona(client, request, name, kind, persona, status):
    sign_in(client, request, persona)
    pk = _arg(kind)()
    response = client.get(reverse(name, args=[pk] if pk is not None else []))
    assert response.status_code == status, html_of(response)[:2000]
    if persona == "anonymous":
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("persona", "name", "kind", "data"),
    [
        ("evaluator", "evaluationcycle-publish", "review", {"on": "", "confirm": "on"}),
        ("inspector", "evaluationcycle-score", "self_assessment", {"confirm": "on"}),
        ("auditor", "evaluationcycle-open", "none", {"category": MEDICAL, "year": YEAR}),
        ("inspector", "assessment-self", "a_self", {"score": "900", "received_on": "x"}),
        ("auditor", "assessment-objection", "a_publication", {"grounds": "示例异议事由"}),
        ("evaluator", "objection-decide", "objection", {"outcome": "rejected"}),
        ("inspector", "objection-evidence", "objection", {"description": "x"}),
    ],
)
def test_a_forbidden_post_is_refused_and_changes_nothing(
    client, request, persona, name, kind, data
):
    pk = _arg(kind)()
    sign_in(client, request, persona)
    before = snapshot()
    response = client.post(reverse(name, args=[pk] if pk is not None else []), data)
    assert response.status_code == 403
    assert snapshot() == before


def test_the_nav_shows_credit_to_whoever_may_read_cycles(client, inspector, tip_desk):
    client.force_login(inspector)
    assert "信用评价" in html_of(client.get(reverse("dashboard")))
    client.force_login(tip_desk)
    html = html_of(client.get(reverse("dashboard")))
    assert reverse("evaluationcycle-list") not in html


def test_an_assessment_outside_the_users_districts_is_a_404(client, supervisor):
    cycle = cycle_at(CycleStatus.PUBLICATION)
    UserDistrictFactory(user=supervisor, district=District.DAGZE)
    client.force_login(supervisor)
    assessment = first_assessment(cycle)
    for name in ("assessment-detail", "assessment-objection"):
        assert client.get(reverse(name, args=[assessment.pk])).status_code == 404
    listed = client.get(reverse("evaluationcycle-detail", args=[cycle.pk]))
    assert list(listed.context["object_list"]) == []
    assert listed.context["counts"].subjects == 0


def test_a_limited_account_sees_its_districts_counts(client, supervisor):
    cycle = cycle_at(CycleStatus.SCORING, facilities=3)
    UserDistrictFactory(user=supervisor, district=District.DOILUNGDEQEN)
    client.force_login(supervisor)
    response = client.get(reverse("evaluationcycle-list"))
    (row,) = response.context["rows"]
    assert row.counts.subjects == 2
    assert cycle.figures["subjects"] == 3


# --- the cycle list and opening ----------------------------------------------------------------


def test_the_list_shows_each_cycle_with_its_counts_and_overdue_markers(client, auditor):
    cycle = cycle_at(CycleStatus.PUBLICATION)
    objection_of(cycle)
    client.force_login(auditor)
    response = client.get(reverse("evaluationcycle-list"))
    html = html_of(response)
    (row,) = response.context["rows"]
    assert row.counts.subjects == 2
    assert sum(row.counts.grades.values()) == 2
    assert "公示期满，待确定" in row.overdue
    assert "1件异议逾期" in row.overdue
    assert reverse("evaluationcycle-detail", args=[cycle.pk]) in html
    assert reverse("indicatorsystem-detail", args=[cycle.system_id]) in html
    assert 'action="' + reverse("evaluationcycle-open") not in html  # auditors open nothing


def test_a_supervisor_opens_a_cycle_from_the_list(client, supervisor):
    build_system(year=YEAR)
    FacilityFactory.create_batch(3)
    client.force_login(supervisor)
    assert 'action="' + reverse("evaluationcycle-open") in html_of(
        client.get(reverse("evaluationcycle-list"))
    )
    response = client.post(
        reverse("evaluationcycle-open"),
        {"category": MEDICAL, "year": str(YEAR), "self_assessment_due": str(TODAY)},
    )
    cycle = EvaluationCycle.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluationcycle-detail", args=[cycle.pk])
    assert cycle.subject_count == 3
    assert IndicatorSystem.objects.get(year=YEAR).frozen_at is not None
    assert cycle.history.first().history_user == supervisor


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"year": "abc"}, "year", "请输入四位年份"),
        ({"year": "99999999999999999999"}, "year", "评价年度不能晚于"),
        ({"year": str(TODAY.year)}, "year", "尚未结束"),
        ({"category": "<script>x</script>"}, "category", "所选项无效"),
        ({"self_assessment_due": "2025-02-30"}, "self_assessment_due", "请输入有效日期"),
        ({"self_assessment_due": str(ago(1))}, "self_assessment_due", "不能早于启动日期"),
        ({"category": CreditCategoryCode.PHARMA_COMPANY}, "year", "还没有指标体系"),
    ],
)
def test_opening_refuses_bad_input_and_changes_nothing(client, supervisor, data, field, message):
    build_system(year=YEAR)
    client.force_login(supervisor)
    before = snapshot()
    base = {"category": MEDICAL, "year": str(YEAR), "self_assessment_due": str(TODAY)}
    response = client.post(reverse("evaluationcycle-open"), {**base, **data})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors.get(field, []) + errors.get("__all__", [])), errors
    assert snapshot() == before


# --- the cycle page and its steps --------------------------------------------------------------


def test_the_cycle_page_shows_where_it_stands_and_the_steps_the_user_may_take(client, supervisor):
    cycle = cycle_at(CycleStatus.REVIEW)
    client.force_login(supervisor)
    response = client.get(reverse("evaluationcycle-detail", args=[cycle.pk]))
    html = html_of(response)
    states = [(s.label, s.state) for s in response.context["stages"]]
    assert states[:4] == [("自评", "done"), ("初评", "done"), ("复核", "current"), ("公示", "todo")]
    assert [step.slug for step, _form in response.context["actions"]] == ["score", "publish"]
    assert reverse("evaluationcycle-publish", args=[cycle.pk]) in html
    assert reverse("evaluationcycle-finalise", args=[cycle.pk]) not in html
    assert f'name="version" value="{cycle.version}"' in html


def test_an_evaluator_is_offered_no_cycle_step(client, evaluator):
    cycle = cycle_at(CycleStatus.REVIEW)
    client.force_login(evaluator)
    response = client.get(reverse("evaluationcycle-detail", args=[cycle.pk]))
    assert response.context["actions"] == []
    assert "当前环节没有您可以办理的操作" in html_of(response)


def test_a_step_without_confirmation_is_refused(client, supervisor):
    cycle = cycle_at(CycleStatus.REVIEW)
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("evaluationcycle-publish", args=[cycle.pk]),
        {"on": str(ago(1)), "version": cycle.version},
    )
    assert response.status_code == 200
    assert "请勾选确认" in " ".join(response.context["form"].errors["confirm"])
    assert snapshot() == before


def test_a_step_on_a_stale_cycle_is_refused_with_who_changed_it(client, supervisor):
    cycle = cycle_at(CycleStatus.REVIEW)
    stale = cycle.version
    evaluation.score_cycle(cycle, user=lead())  # someone scores again meanwhile
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("evaluationcycle-publish", args=[cycle.pk]),
        {"on": str(ago(1)), "confirm": "on", "version": stale},
    )
    assert response.status_code == 409
    assert "已被修改" in html_of(response) or "已被他人修改" in html_of(response)
    assert snapshot() == before


def test_a_step_that_is_not_open_now_sends_back_with_the_reason(client, supervisor):
    cycle = cycle_at(CycleStatus.SCORING)
    client.force_login(supervisor)
    response = client.post(
        reverse("evaluationcycle-announce", args=[cycle.pk]),
        {"on": str(TODAY), "confirm": "on", "version": cycle.version},
        follow=True,
    )
    assert "不能“公布结果”" in html_of(response)
    assert EvaluationCycle.objects.get(pk=cycle.pk).status == CycleStatus.SCORING


def test_publishing_in_the_future_is_refused_in_chinese(client, supervisor):
    cycle = cycle_at(CycleStatus.REVIEW)
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("evaluationcycle-publish", args=[cycle.pk]),
        {"on": str(TODAY + datetime.timedelta(days=3)), "confirm": "on", "version": cycle.version},
    )
    assert response.status_code == 200
    assert "日期不能晚于今天" in " ".join(response.context["form"].errors["on"])
    assert snapshot() == before


def test_the_assessment_list_filters_and_sorts(client, auditor):
    cycle = cycle_at(CycleStatus.PUBLICATION, facilities=3)
    objection_of(cycle)
    client.force_login(auditor)
    url = reverse("evaluationcycle-detail", args=[cycle.pk])

    def names(**params) -> list[str]:
        response = client.get(url, params)
        assert not response.context["filter"].form.errors
        return [a.subject_name for a in response.context["object_list"]]

    assert names(pending_objection="true") == ["示例评价医院甲"]
    assert len(names(pending_objection="false")) == 2
    assert names(q="甲") == ["示例评价医院甲"]
    assert len(names(district=District.DOILUNGDEQEN)) == 2
    assert names(grade=Grade.A, ordering="score") == names(grade=Grade.A, ordering="score")
    by_score = names(ordering="score")
    assert by_score[0] == "示例评价医院甲"  # the only one with a deduction
    assert names(ordering="-score")[-1] == "示例评价医院甲"
    assert names(self_received="true") == []
    for column in ("subject_name", "district", "score", "grade"):
        assert len(names(ordering=f"-{column}")) == 3


@pytest.mark.parametrize(
    "params", [{"vetoed": "perhaps"}, {"grade": "Z"}, {"ordering": "secret"}, {"q": "x" * 500}]
)
def test_a_bad_filter_shows_its_error_and_no_rows(client, auditor, params):
    cycle = cycle_at(CycleStatus.SCORING)
    client.force_login(auditor)
    response = client.get(reverse("evaluationcycle-detail", args=[cycle.pk]), params)
    assert response.status_code == 200
    assert response.context["filter"].form.errors
    assert list(response.context["object_list"]) == []


def test_the_assessment_export_follows_the_filters_and_is_audited(client, auditor):
    from supervision.models import AuditEvent

    cycle = cycle_at(CycleStatus.SCORING, facilities=3)
    client.force_login(auditor)
    response = client.get(
        reverse("evaluationcycle-detail", args=[cycle.pk]),
        {"district": District.DOILUNGDEQEN, "export": "csv"},
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "评价对象"
    assert len(rows) == 3
    assert AuditEvent.objects.filter(user=auditor).exists()


def _cycles(count: int) -> None:
    categories = [
        CreditCategoryCode.MEDICAL_INSTITUTION,
        CreditCategoryCode.RETAIL_PHARMACY,
        CreditCategoryCode.INSURER,
    ]
    from supervision.models import CreditCategory

    made = EvaluationCycle.objects.count()
    for index in range(made, made + count):
        category = CreditCategory.objects.get(pk=categories[index % 3])
        cycle = EvaluationCycleFactory(category=category, year=YEAR - 1 - index // 3)
        AssessmentFactory(cycle=cycle)


@pytest.mark.parametrize("persona", ["supervisor", "auditor"])
def test_the_cycle_list_issues_as_many_queries_for_20_cycles_as_for_1(
    client, request, persona, django_assert_num_queries
):
    _cycles(1)
    sign_in(client, request, persona)
    url = reverse("evaluationcycle-list")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).context["rows"]) == 1
    _cycles(19)
    with django_assert_num_queries(len(one)):
        assert len(client.get(url).context["rows"]) == 20


def test_the_limited_cycle_list_issues_as_many_queries_for_20_cycles_as_for_1(
    client, supervisor, django_assert_num_queries
):
    UserDistrictFactory(user=supervisor, district=District.CHENGGUAN)
    _cycles(1)
    client.force_login(supervisor)
    url = reverse("evaluationcycle-list")
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _cycles(19)
    with django_assert_num_queries(len(one)):
        assert len(client.get(url).context["rows"]) == 20


def test_the_assessment_list_issues_as_many_queries_for_20_rows_as_for_1(
    client, auditor, django_assert_num_queries
):
    cycle = cycle_at(CycleStatus.PUBLICATION, facilities=1)
    client.force_login(auditor)
    url = reverse("evaluationcycle-detail", args=[cycle.pk])
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).context["object_list"]) == 1
    for _index in range(19):
        AssessmentFactory(cycle=cycle)
    with django_assert_num_queries(len(one)):
        assert len(client.get(url).context["object_list"]) == 20


def test_the_objection_list_issues_as_many_queries_for_20_rows_as_for_1(
    client, auditor, django_assert_num_queries
):
    ObjectionFactory()
    client.force_login(auditor)
    url = reverse("objection-list")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).context["object_list"]) == 1
    for _index in range(19):
        ObjectionFactory()
    with django_assert_num_queries(len(one)):
        assert len(client.get(url).context["object_list"]) == 20


# --- the objection list ------------------------------------------------------------------------


def test_the_objection_list_puts_pending_first_and_marks_the_overdue(client, auditor):
    decided = ObjectionFactory(
        status=ObjectionStatus.REJECTED,
        decided_on=D(2025, 3, 10),
        decision="示例：异议理由不成立。",
        grade_after=Grade.B,
        received_on=D(2025, 3, 9),
    )
    late = ObjectionFactory(due_on=ago(2))
    later = ObjectionFactory(due_on=TODAY + datetime.timedelta(days=5))
    client.force_login(auditor)
    response = client.get(reverse("objection-list"))
    assert list(response.context["object_list"]) == [late, later, decided]
    html = html_of(response)
    assert html.count("已逾期") == 1
    overdue = client.get(reverse("objection-list"), {"overdue": "true"})
    assert list(overdue.context["object_list"]) == [late]
    by_status = client.get(reverse("objection-list"), {"status": ObjectionStatus.REJECTED})
    assert list(by_status.context["object_list"]) == [decided]


# --- the scorecard -----------------------------------------------------------------------------


def test_the_scorecard_shows_every_indicator_and_the_facts_behind_a_deduction(client, auditor):
    cycle = cycle_at(CycleStatus.PUBLICATION)
    assessment = first_assessment(cycle)
    inspection = assessment.facility.inspections.get()
    client.force_login(auditor)
    response = client.get(reverse("assessment-detail", args=[assessment.pk]))
    html = html_of(response)
    codes = [line.row.indicator.code for g in response.context["groups"] for line in g.lines]
    assert sorted(codes) == sorted(
        Indicator.objects.filter(system=cycle.system).values_list("code", flat=True)
    )
    assert [g.label for g in response.context["groups"]] == [
        "基础管理",
        "基金使用",
        "社会评价",
        "一票否决项和加分项",
    ]
    assert reverse("inspection-detail", args=[inspection.pk]) in html
    assert reverse("facility-detail", args=[assessment.facility_id]) in html
    assert "−50.00" in html
    assert assessment.score == Decimal("950.00")
    assert response.context["history"] is not None  # auditors read history


def test_the_scorecard_issues_as_many_queries_with_many_facts(
    client, auditor, django_assert_num_queries
):
    cycle = cycle_at(CycleStatus.PUBLICATION)
    assessment = first_assessment(cycle)
    client.force_login(auditor)
    url = reverse("assessment-detail", args=[assessment.pk])
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for day in (13, 14, 15):
        InspectionFactory(
            facility=assessment.facility,
            completed=True,
            start_date=D(YEAR, 4, day),
            end_date=D(YEAR, 4, day),
        ).violations.set([Violation.OVERCHARGING])
    with django_assert_num_queries(len(one)):
        client.get(url)


def test_an_inspector_sees_the_scorecard_without_forms_or_history(client, inspector):
    cycle = cycle_at(CycleStatus.PUBLICATION)
    client.force_login(inspector)
    response = client.get(reverse("assessment-detail", args=[first_assessment(cycle).pk]))
    assert response.context["forms"] == {}
    assert response.context["history"] is None
    assert reverse("assessment-objection", args=[first_assessment(cycle).pk]) not in html_of(
        response
    )


def test_an_evaluator_records_a_self_assessment(client, evaluator):
    cycle = cycle_at(CycleStatus.SELF_ASSESSMENT)
    assessment = first_assessment(cycle)
    client.force_login(evaluator)
    response = client.post(
        reverse("assessment-self", args=[assessment.pk]),
        {
            "score": "960.5",
            "received_on": str(ago(55)),
            "note": "<b>示例自评</b>",
            "version": assessment.version,
        },
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.self_score == Decimal("960.50")
    assert assessment.history.first().history_user == evaluator
    html = html_of(client.get(reverse("assessment-detail", args=[assessment.pk])))
    assert "<b>示例自评</b>" not in html
    assert "&lt;b&gt;示例自评&lt;/b&gt;" in html


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"score": "abc"}, "score", "请输入数字分值"),
        ({"score": "<script>1</script>"}, "score", "请输入数字分值"),
        ({"score": "-1"}, "score", "不能为负数"),
        ({"score": "1000.01"}, "score", "不能超过"),
        ({"score": "1e9999"}, "score", ""),
        ({"score": "12.345"}, "score", "最多两位小数"),
        ({"received_on": "yesterday"}, "received_on", "请输入有效日期"),
        ({"received_on": str(TODAY + datetime.timedelta(days=1))}, "received_on", "不能晚于今天"),
        ({"received_on": str(ago(400))}, "received_on", "不能早于评价启动日期"),
        ({"note": "x" * 2001}, "note", "最多2000个字符"),
        ({"note": "a\x00b"}, "note", "空字符"),
    ],
)
def test_the_self_assessment_refuses_bad_input(client, evaluator, data, field, message):
    cycle = cycle_at(CycleStatus.SELF_ASSESSMENT)
    assessment = first_assessment(cycle)
    client.force_login(evaluator)
    before = snapshot()
    base = {"score": "900", "received_on": str(ago(55)), "version": assessment.version}
    response = client.post(reverse("assessment-self", args=[assessment.pk]), {**base, **data})
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert errors and message in " ".join(errors)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e) for e in errors)
    assert snapshot() == before


def test_a_stale_self_assessment_is_refused(client, evaluator):
    cycle = cycle_at(CycleStatus.SELF_ASSESSMENT)
    assessment = first_assessment(cycle)
    stale = assessment.version
    evaluation.record_self_assessment(
        assessment, score="800", received_on=ago(55), note="先到的", user=lead()
    )
    client.force_login(evaluator)
    before = snapshot()
    response = client.post(
        reverse("assessment-self", args=[assessment.pk]),
        {"score": "900", "received_on": str(ago(55)), "version": stale},
    )
    assert response.status_code == 409
    assert snapshot() == before
    assert stored_version(assessment) == stale + 1


def test_an_evaluator_scores_a_manual_indicator_and_the_grade_follows(client, evaluator):
    cycle = cycle_at(CycleStatus.SCORING)
    assessment = first_assessment(cycle)
    client.force_login(evaluator)
    response = client.post(
        reverse("assessment-score", args=[assessment.pk]),
        {
            "indicator": manual(cycle).pk,
            "points": "200",
            "note": "制度不健全",
            "version": assessment.version,
        },
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    assessment.refresh_from_db()
    assert assessment.score == Decimal("750.00")
    assert assessment.grade == Grade.B
    item = AssessmentItem.objects.get(assessment=assessment, indicator=manual(cycle))
    assert item.entered_by == evaluator
    assert item.history.first().history_user == evaluator


def test_a_review_change_needs_a_reason(client, supervisor):
    cycle = cycle_at(CycleStatus.REVIEW)
    assessment = first_assessment(cycle)
    client.force_login(supervisor)
    before = snapshot()
    data = {"indicator": manual(cycle).pk, "points": "10", "version": assessment.version}
    response = client.post(reverse("assessment-score", args=[assessment.pk]), data)
    assert response.status_code == 200
    assert "请填写此项" in " ".join(response.context["form"].errors["reason"])
    assert snapshot() == before
    response = client.post(
        reverse("assessment-score", args=[assessment.pk]),
        {**data, "reason": "复核发现台账缺失"},
    )
    assert response.status_code == 302
    item = AssessmentItem.objects.get(assessment=assessment, indicator=manual(cycle))
    history = item.history.first()
    assert "复核发现台账缺失" in history.history_change_reason


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"points": "301"}, "points", "分数应在0到300分之间"),
        ({"points": "-5"}, "points", "不能为负数"),
        ({"points": "NaN"}, "points", "请输入数字分值"),
        ({"points": "<img src=x>"}, "points", "请输入数字分值"),
        ({"indicator": "fact"}, "indicator", "所选项无效"),
        ({"indicator": "abc"}, "indicator", "所选项无效"),
        ({"indicator": "99999999999999999999999"}, "indicator", "所选项无效"),
        ({"note": "x" * 2001}, "note", "最多2000个字符"),
    ],
)
def test_scoring_refuses_bad_input(client, evaluator, data, field, message):
    cycle = cycle_at(CycleStatus.SCORING)
    assessment = first_assessment(cycle)
    if data.get("indicator") == "fact":
        data = {"indicator": Indicator.objects.get(system=cycle.system, code="2.1").pk}
    client.force_login(evaluator)
    before = snapshot()
    base = {"indicator": manual(cycle).pk, "points": "10", "version": assessment.version}
    response = client.post(reverse("assessment-score", args=[assessment.pk]), {**base, **data})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert snapshot() == before


def test_an_objection_is_recorded_and_decided_upheld_with_a_correction(client, supervisor):
    cycle = cycle_at(CycleStatus.PUBLICATION)
    assessment = first_assessment(cycle)
    fact = Indicator.objects.get(system=cycle.system, code="2.1")
    client.force_login(supervisor)
    response = client.post(
        reverse("assessment-objection", args=[assessment.pk]),
        {"received_on": str(cycle.publication_starts), "grounds": "示例：违规当年已整改"},
    )
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.due_on is not None
    page = html_of(client.get(reverse("assessment-detail", args=[assessment.pk])))
    assert reverse("objection-decide", args=[objection.pk]) in page
    assert reverse("objection-evidence", args=[objection.pk]) in page
    response = client.post(
        reverse("objection-decide", args=[objection.pk]),
        {
            "outcome": "upheld",
            "decision": "经核实，该违规属另一年度，予以更正。",
            "decided_on": str(cycle.publication_starts),
            f"adjust_{fact.pk}": "0",
            "version": objection.version,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("objection-detail", args=[objection.pk]) + "#decision"
    objection.refresh_from_db()
    assessment.refresh_from_db()
    assert objection.status == ObjectionStatus.UPHELD
    assert objection.decided_by == supervisor
    assert assessment.score == Decimal("1000.00")
    assert objection.grade_after == Grade.A


def test_an_objection_rejected_changes_no_score(client, supervisor):
    cycle = cycle_at(CycleStatus.PUBLICATION)
    objection = objection_of(cycle)
    score = first_assessment(cycle).score
    client.force_login(supervisor)
    response = client.post(
        reverse("objection-decide", args=[objection.pk]),
        {
            "outcome": "rejected",
            "decision": "异议理由不成立，维持原评价。",
            "decided_on": str(cycle.publication_starts),
            "version": objection.version,
        },
    )
    assert response.status_code == 302
    assert Objection.objects.get().status == ObjectionStatus.REJECTED
    assert first_assessment(cycle).score == score


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"decision": ""}, "decision", "请填写此项"),
        ({"decision": "好"}, "decision", "至少3个汉字"),
        ({"decision": "x" * 2001}, "decision", "最多2000个字符"),
        ({"outcome": "maybe"}, "outcome", "所选项无效"),
        ({"outcome": "rejected", "adjust": "0"}, "__all__", "异议不成立时不调整评分"),
        ({"adjust": "301"}, "adjust", "不能超过300"),
        ({"adjust": "<script>"}, "adjust", "请输入数字分值"),
        ({"decided_on": "2025-13-01"}, "decided_on", "请输入有效日期"),
        ({"decided_on": "2000-01-01"}, "decided_on", "不能早于收到日期"),
    ],
)
def test_deciding_refuses_bad_input(client, supervisor, data, field, message):
    cycle = cycle_at(CycleStatus.PUBLICATION)
    objection = objection_of(cycle)
    name = f"adjust_{manual(cycle).pk}"
    data = {(name if k == "adjust" else k): v for k, v in data.items()}
    field = name if field == "adjust" else field
    client.force_login(supervisor)
    before = snapshot()
    base = {
        "outcome": "upheld",
        "decision": "经核实，予以更正。",
        "decided_on": str(cycle.publication_starts),
        "version": objection.version,
    }
    response = client.post(reverse("objection-decide", args=[objection.pk]), {**base, **data})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert snapshot() == before


def test_a_stale_decision_is_refused(client, supervisor):
    cycle = cycle_at(CycleStatus.PUBLICATION)
    objection = objection_of(cycle)
    stale = objection.version
    Objection.objects.filter(pk=objection.pk).update(version=stale + 1)
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("objection-decide", args=[objection.pk]),
        {
            "outcome": "rejected",
            "decision": "异议理由不成立。",
            "decided_on": str(cycle.publication_starts),
            "version": stale,
        },
    )
    assert response.status_code == 409
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"grounds": ""}, "grounds", "请填写此项"),
        ({"grounds": "x" * 2001}, "grounds", "最多2000个字符"),
        ({"received_on": "2025/03/01"}, "received_on", "请输入有效日期"),
        ({"received_on": "2000-01-03"}, "received_on", "应在公示期内"),
    ],
)
def test_recording_an_objection_refuses_bad_input(client, evaluator, data, field, message):
    cycle = cycle_at(CycleStatus.PUBLICATION)
    assessment = first_assessment(cycle)
    client.force_login(evaluator)
    before = snapshot()
    base = {"received_on": str(cycle.publication_starts), "grounds": "示例异议"}
    response = client.post(reverse("assessment-objection", args=[assessment.pk]), {**base, **data})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert snapshot() == before


def test_evidence_is_uploaded_to_an_objection(client, supervisor, media):
    cycle = cycle_at(CycleStatus.PUBLICATION)
    objection = objection_of(cycle)
    client.force_login(supervisor)
    upload = SimpleUploadedFile(
        "整改报告.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf"
    )
    response = client.post(
        reverse("objection-evidence", args=[objection.pk]),
        {"file": upload, "description": "整改报告"},
    )
    assert response.status_code == 302, html_of(response)[:3000]
    evidence = Evidence.objects.get()
    assert evidence.objection == objection
    assert response["Location"] == reverse("objection-detail", args=[objection.pk]) + "#evidence"
    download = reverse("evidence-download", args=[evidence.pk])
    assert download in html_of(
        client.get(reverse("assessment-detail", args=[objection.assessment_id]))
    )
    page = client.get(reverse("objection-detail", args=[objection.pk]))
    assert download in html_of(page)
    assert "证据材料：整改报告.pdf" in [str(entry.subject) for entry in page.context["history"]]


def test_the_objection_page_shows_the_grounds_the_decision_and_the_way_to_decide(
    client, supervisor, auditor
):
    cycle = cycle_at(CycleStatus.PUBLICATION)
    objection = objection_of(cycle)
    client.force_login(supervisor)
    html = html_of(client.get(reverse("objection-detail", args=[objection.pk])))
    assert objection.grounds in html
    assert reverse("objection-decide", args=[objection.pk]) in html
    assert reverse("assessment-detail", args=[objection.assessment_id]) in html
    client.force_login(auditor)
    html = html_of(client.get(reverse("objection-detail", args=[objection.pk])))
    assert reverse("objection-decide", args=[objection.pk]) not in html


def test_the_scorecard_history_shows_the_items_and_objections(client, auditor):
    cycle = cycle_at(CycleStatus.SCORING)
    assessment = first_assessment(cycle)
    evaluation.score_indicator(
        assessment, indicator=manual(cycle), points="30", note="示例", user=lead()
    )
    client.force_login(auditor)
    response = client.get(reverse("assessment-detail", args=[assessment.pk]))
    subjects = [entry.subject for entry in response.context["history"]]
    assert "指标1.1" in subjects


# --- the indicator system and the facility page ----------------------------------------------


def test_the_system_page_shows_dimensions_thresholds_and_whether_frozen(client, superuser):
    cycle = cycle_at(CycleStatus.SELF_ASSESSMENT)
    client.force_login(superuser)
    response = client.get(reverse("indicatorsystem-detail", args=[cycle.system_id]))
    html = html_of(response)
    assert [d.name for d, _i in response.context["dimensions"]] == [
        "基础管理",
        "基金使用",
        "社会评价",
    ]
    assert {i.method for i in response.context["extras"]} == {
        IndicatorMethod.VETO,
        IndicatorMethod.BONUS,
    }
    assert "已锁定" in html
    assert response.context["problems"] == []
    assert reverse("admin:supervision_indicatorsystem_change", args=[cycle.system_id]) in html


def test_the_facility_page_links_a_final_grade_to_its_scorecard(client, inspector):
    cycle = cycle_at(CycleStatus.FINAL)
    assessment = first_assessment(cycle)
    rating = CreditRating.objects.get(assessment=assessment)
    CreditRating.objects.filter(pk=rating.pk).update(repaired=True)
    client.force_login(inspector)
    html = html_of(client.get(reverse("facility-detail", args=[assessment.facility_id])))
    assert reverse("assessment-detail", args=[assessment.pk]) in html
    assert "评分明细" in html
    assert "修复" in html


# --- the whole cycle through the pages -------------------------------------------------------


@pytest.fixture(autouse=True)
def today_is(monkeypatch):
    """Set what timezone.localdate() answers when asked for today (a day given to it is read
    as usual): the publication period passes without waiting for it. TODAY unless set: the
    dates the tests were built from hold even when the run crosses midnight."""
    real = timezone.localdate
    state = {"day": TODAY}

    def localdate(value=None, timezone=None):
        if value is None:
            return state["day"]
        return real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)

    def set_day(day: datetime.date) -> None:
        state["day"] = day

    return set_day


def test_a_whole_cycle_walks_through_the_pages(client, supervisor, evaluator, today_is):
    start = TODAY - datetime.timedelta(days=60)
    today_is(start)
    build_system(year=start.year - 1)
    facility = FacilityFactory(name="示例全程医院")
    client.force_login(supervisor)

    def post(name: str, pk: int | None, data: dict) -> None:
        response = client.post(reverse(name, args=[pk] if pk else []), data)
        assert response.status_code == 302, response.context and response.context["form"].errors

    post(
        "evaluationcycle-open",
        None,
        {"category": MEDICAL, "year": start.year - 1, "self_assessment_due": str(start)},
    )
    cycle = EvaluationCycle.objects.get()
    step = {"on": str(start), "confirm": "on"}
    post("evaluationcycle-score", cycle.pk, {"confirm": "on", "version": stored_version(cycle)})
    assessment = Assessment.objects.get(facility=facility)

    client.force_login(evaluator)
    post(
        "assessment-score",
        assessment.pk,
        {
            "indicator": manual(cycle).pk,
            "points": "200",
            "note": "制度执行不到位",
            "version": stored_version(assessment),
        },
    )
    assert Assessment.objects.get(pk=assessment.pk).grade == Grade.B

    client.force_login(supervisor)
    post("evaluationcycle-complete", cycle.pk, {**step, "version": stored_version(cycle)})
    post("evaluationcycle-publish", cycle.pk, {**step, "version": stored_version(cycle)})
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.PUBLICATION
    post(
        "assessment-objection",
        assessment.pk,
        {"received_on": str(start), "grounds": "示例：制度已于当年修订"},
    )
    objection = Objection.objects.get()
    post(
        "objection-decide",
        objection.pk,
        {
            "outcome": "upheld",
            "decision": "经核实制度已修订执行，更正评分。",
            "decided_on": str(start),
            f"adjust_{manual(cycle).pk}": "0",
            "version": stored_version(objection),
        },
    )
    assert Assessment.objects.get(pk=assessment.pk).grade == Grade.A

    later = cycle.publication_ends + datetime.timedelta(days=1)
    today_is(later)
    final = {"on": str(later), "confirm": "on"}
    post("evaluationcycle-finalise", cycle.pk, {**final, "version": stored_version(cycle)})
    post("evaluationcycle-announce", cycle.pk, {**final, "version": stored_version(cycle)})
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.ANNOUNCED
    rating = CreditRating.objects.get(facility=facility, year=start.year - 1)
    assert rating.grade == Grade.A
    assert rating.assessment_id == assessment.pk
    assert rating.changes.get().changed_by == supervisor
    html = html_of(client.get(reverse("facility-detail", args=[facility.pk])))
    assert reverse("assessment-detail", args=[assessment.pk]) in html
    history = client.get(reverse("evaluationcycle-detail", args=[cycle.pk])).context["history"]
    assert len(history) >= 6
