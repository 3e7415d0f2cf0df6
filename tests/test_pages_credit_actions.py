"""The pages between cycles: credit repair (list, application from a rating, the application's
page and its decision, evidence), the dynamic adjustment of a rating, and the year's check plan
(totals by grade, who is behind, building it). Permissions for every persona, district scope,
bad input that changes nothing, and query counts that do not grow with the rows."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supervision.choices import (
    District,
    Grade,
    InspectionStatus,
    RatingChangeKind,
    RepairStatus,
    Violation,
)
from supervision.models import CreditRating, CreditRepair, Evidence, PlannedCheck, RatingChange
from supervision.services.check_plans import build_check_plan, match_planned_checks
from supervision.services.credit_actions import apply_for_repair
from tests.dbstate import snapshot, stored_version
from tests.factories import (
    PDF_BYTES,
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    UserDistrictFactory,
)
from tests.pages import html_of, sign_in

pytestmark = pytest.mark.django_db

D = datetime.date
PERSONAS = [
    "anonymous",
    "outsider",
    "inspector",
    "supervisor",
    "auditor",
    "evaluator",
    "superuser",
]
READERS = {"inspector", "supervisor", "auditor", "evaluator", "superuser"}
APPLICANTS = {"supervisor", "evaluator", "superuser"}  # add_creditrepair
SUPERVISORS = {"supervisor", "superuser"}  # decide_creditrepair, add_ratingchange, plan
RECTIFIED = "已退回违规费用，完成全员培训。"
DECISION = "整改到位，准予修复。"
REASON = "飞行检查发现虚构医疗服务，动态调整"


def today() -> datetime.date:
    return timezone.localdate()


def eligible_rating(grade: str = Grade.D, **facility) -> CreditRating:
    """The facility's latest rating, rated long enough ago to apply for repair today."""
    year = today().year - 2
    return CreditRatingFactory(
        facility=FacilityFactory(**facility), year=year, grade=grade, rated_on=D(year + 1, 1, 10)
    )


def pending_repair(**facility) -> CreditRepair:
    return apply_for_repair(
        eligible_rating(**facility), applied_on=today(), rectification=RECTIFIED, user=None
    )


def adjustable_rating(**facility) -> CreditRating:
    """A B rating of last year with a completed inspection this year that found a violation."""
    year = today().year - 1
    rating = CreditRatingFactory(facility=FacilityFactory(**facility), year=year, grade=Grade.B)
    serious_inspection(rating)
    return rating


def serious_inspection(rating: CreditRating):
    end = D(rating.year + 1, 1, 20)
    inspection = InspectionFactory(
        facility=rating.facility,
        status=InspectionStatus.COMPLETED,
        start_date=end,
        end_date=end,
    )
    inspection.violations.set([Violation.FALSE_CLAIMS])
    return inspection


def planned_year(**facility) -> int:
    """A plan for this year from last year's D grade of one facility."""
    year = today().year
    CreditRatingFactory(facility=FacilityFactory(**facility), year=year - 1, grade=Grade.D)
    build_check_plan(year=year, user=None)
    return year


def _arg(kind: str):
    return {
        "none": lambda: None,
        "repair": lambda: pending_repair().pk,
        "eligible": lambda: eligible_rating().pk,
        "adjustable": lambda: adjustable_rating().pk,
        "plan": lambda: planned_year() and None,
    }[kind]


PAGES = [
    ("creditrepair-list", "none", READERS),
    ("creditrepair-detail", "repair", READERS),
    ("creditrepair-apply", "eligible", APPLICANTS),
    ("creditrepair-decide", "repair", SUPERVISORS),
    # The evaluator registers an application and attaches its rectification documents.
    ("creditrepair-evidence", "repair", APPLICANTS),
    ("rating-adjust", "adjustable", SUPERVISORS),
    ("plannedcheck-list", "plan", READERS),
    ("plannedcheck-build", "none", SUPERVISORS),
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
    ("name", "kind"),
    [
        ("creditrepair-detail", "repair"),
        ("creditrepair-decide", "repair"),
        ("creditrepair-evidence", "repair"),
        ("creditrepair-apply", "eligible"),
        ("rating-adjust", "adjustable"),
    ],
)
def test_a_record_outside_the_users_districts_is_a_404(client, supervisor, name, kind):
    UserDistrictFactory(user=supervisor, district=District.DAMXUNG)
    client.force_login(supervisor)
    pk = _arg(kind)()  # facilities of 城关区
    assert client.get(reverse(name, args=[pk])).status_code == 404
    if name != "creditrepair-detail":
        assert client.post(reverse(name, args=[pk]), {}).status_code == 404


def test_a_refused_post_changes_nothing(client, inspector, evaluator):
    repair = pending_repair()
    rating = adjustable_rating()
    other = Client()
    client.force_login(inspector)
    other.force_login(evaluator)
    before = snapshot()
    data = {"outcome": "approve", "decided_on": today().isoformat(), "decision": DECISION}
    assert client.post(reverse("creditrepair-decide", args=[repair.pk]), data).status_code == 403
    assert other.post(reverse("creditrepair-decide", args=[repair.pk]), data).status_code == 403
    assert other.post(reverse("rating-adjust", args=[rating.pk]), {}).status_code == 403
    assert other.post(reverse("plannedcheck-build"), {"year": "2025"}).status_code == 403
    assert snapshot() == before


# --- the repair list ------------------------------------------------------------------------------


def rows_of(client, **params) -> set[int]:
    response = client.get(reverse("creditrepair-list"), params)
    assert response.status_code == 200
    assert not response.context["filter"].form.errors, response.context["filter"].form.errors
    return {r.pk for r in response.context["object_list"]}


def test_the_repair_list_filters_by_status_grade_and_district(client, auditor):
    d = pending_repair(name="示例格桑诊所")
    c = apply_for_repair(
        eligible_rating(Grade.C, district=District.DAMXUNG),
        applied_on=today(),
        rectification=RECTIFIED,
        user=None,
    )
    CreditRepair.objects.filter(pk=c.pk).update(
        status=RepairStatus.REJECTED, decided_on=today(), decision="材料不全，不予修复。"
    )
    client.force_login(auditor)
    assert rows_of(client) == {d.pk, c.pk}
    assert rows_of(client, status=RepairStatus.PENDING) == {d.pk}
    assert rows_of(client, grade="C") == {c.pk}
    assert rows_of(client, district=District.DAMXUNG) == {c.pk}
    assert rows_of(client, q="格桑") == {d.pk}
    assert rows_of(client, ordering="-applied_on") == {d.pk, c.pk}


def test_a_district_limited_reader_sees_only_its_districts(client, auditor):
    mine = pending_repair(district=District.DAMXUNG)
    pending_repair()
    UserDistrictFactory(user=auditor, district=District.DAMXUNG)
    client.force_login(auditor)
    assert rows_of(client) == {mine.pk}


@pytest.mark.parametrize(
    "params",
    [
        {"status": "later"},
        {"grade": "E"},
        {"district": "<script>"},
        {"applied_after": "2025-13-01"},
        {"facility": "99999999999999999999999"},
        {"q": "x" * 500},
        {"ordering": "rectification"},
        {"page": "-1"},
    ],
)
def test_bad_filters_are_answered_not_failed(client, auditor, params):
    pending_repair()
    client.force_login(auditor)
    assert client.get(reverse("creditrepair-list"), params).status_code == 200
    assert client.get(reverse("plannedcheck-list"), params).status_code == 200


def test_the_repair_list_issues_as_many_queries_for_many_rows_as_for_one(
    client, auditor, django_assert_num_queries
):
    pending_repair()
    client.force_login(auditor)
    url = reverse("creditrepair-list")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).context["object_list"]) == 1
    for _ in range(12):
        pending_repair()
    with django_assert_num_queries(len(one)):
        assert len(client.get(url).context["object_list"]) == 13


def test_the_export_has_one_row_per_application(client, auditor):
    pending_repair()
    pending_repair()
    client.force_login(auditor)
    response = client.get(reverse("creditrepair-list"), {"export": "csv"})
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 3


# --- applying -------------------------------------------------------------------------------------


def test_an_application_from_a_rating_opens_the_applications_page(client, evaluator):
    rating = eligible_rating()
    client.force_login(evaluator)
    response = client.post(
        reverse("creditrepair-apply", args=[rating.pk]),
        {"applied_on": today().isoformat(), "rectification": RECTIFIED},
    )
    repair = CreditRepair.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("creditrepair-detail", args=[repair.pk])
    assert (repair.from_grade, repair.recorded_by) == (Grade.D, evaluator)
    page = client.get(response["Location"])
    assert RECTIFIED in html_of(page)


@pytest.mark.parametrize(
    "data",
    [
        {"applied_on": "2025-02-30", "rectification": RECTIFIED},
        {"applied_on": "tomorrow", "rectification": RECTIFIED},
        {"applied_on": "2999-01-01", "rectification": RECTIFIED},
        {"applied_on": "1900-01-01", "rectification": RECTIFIED},
        {"rectification": RECTIFIED},
        {"applied_on": "TODAY", "rectification": "   "},
        {"applied_on": "TODAY", "rectification": "整" * 2001},
        {"applied_on": "TODAY", "rectification": "\x00<script>alert(1)</script>"},
    ],
)
def test_a_bad_application_is_shown_again_and_changes_nothing(client, supervisor, data):
    rating = eligible_rating()
    client.force_login(supervisor)
    data = {k: today().isoformat() if v == "TODAY" else v for k, v in data.items()}
    before = snapshot()
    response = client.post(reverse("creditrepair-apply", args=[rating.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert snapshot() == before


def test_a_grade_that_may_not_apply_is_sent_back_with_the_reason(client, supervisor):
    rating = eligible_rating(Grade.B)
    client.force_login(supervisor)
    response = client.get(reverse("creditrepair-apply", args=[rating.pk]), follow=True)
    assert "只有C级、D级可以申请信用修复" in html_of(response)
    waiting = CreditRatingFactory(year=today().year - 1, grade=Grade.D, rated_on=today())
    before = snapshot()
    response = client.post(
        reverse("creditrepair-apply", args=[waiting.pk]),
        {"applied_on": today().isoformat(), "rectification": RECTIFIED},
        follow=True,
    )
    assert "整改后等待期未满" in html_of(response)
    assert snapshot() == before


# --- deciding -------------------------------------------------------------------------------------


def decide(client, repair, **data):
    payload = {
        "outcome": "approve",
        "decided_on": today().isoformat(),
        "decision": DECISION,
        "version": stored_version(repair),
        **data,
    }
    return client.post(reverse("creditrepair-decide", args=[repair.pk]), payload)


def test_an_approval_raises_the_grade_and_shows_it_repaired(client, supervisor):
    repair = pending_repair()
    client.force_login(supervisor)
    page = client.get(reverse("creditrepair-detail", args=[repair.pk]))
    assert 'action="{}"'.format(reverse("creditrepair-decide", args=[repair.pk])) in html_of(page)
    response = decide(client, repair)
    assert response.status_code == 302
    rating = CreditRating.objects.get(pk=repair.rating_id)
    assert (rating.grade, rating.repaired) == (Grade.C, True)
    assert RatingChange.objects.get(rating=rating).kind == RatingChangeKind.REPAIR
    page = html_of(client.get(response["Location"]))
    assert DECISION in page and "信用修复" in page


def test_a_rejection_keeps_the_grade(client, supervisor):
    repair = pending_repair()
    client.force_login(supervisor)
    decide(client, repair, outcome="reject", decision="整改材料不全，不予修复。")
    repair.refresh_from_db()
    assert repair.status == RepairStatus.REJECTED
    assert CreditRating.objects.get(pk=repair.rating_id).grade == Grade.D


@pytest.mark.parametrize(
    "data",
    [
        {"outcome": "maybe"},
        {"outcome": ""},
        {"decision": "同意"},
        {"decision": "准" * 2001},
        {"decided_on": "2999-01-01"},
        {"decided_on": "2025-02-30"},
        {"version": ""},
        {"version": "abc"},
    ],
)
def test_a_bad_decision_is_shown_again_and_changes_nothing(client, supervisor, data):
    repair = pending_repair()
    client.force_login(supervisor)
    before = snapshot()
    response = decide(client, repair, **data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert snapshot() == before


def test_a_decision_on_a_version_changed_since_is_refused_with_the_input_kept(client, supervisor):
    repair = pending_repair()
    client.force_login(supervisor)
    version = stored_version(repair)
    CreditRepair.objects.filter(pk=repair.pk).update(version=version + 1)
    before = snapshot()
    response = decide(client, repair, version=version)
    assert response.status_code == 409
    assert DECISION in html_of(response)
    assert snapshot() == before


def test_a_decided_application_sends_the_decider_back(client, supervisor):
    repair = pending_repair()
    client.force_login(supervisor)
    decide(client, repair, outcome="reject", decision="整改材料不全，不予修复。")
    response = client.get(reverse("creditrepair-decide", args=[repair.pk]), follow=True)
    assert "该申请已作出决定" in html_of(response)


def test_evidence_is_uploaded_to_an_application(client, supervisor):
    repair = pending_repair()
    client.force_login(supervisor)
    upload = SimpleUploadedFile("整改报告.pdf", PDF_BYTES, content_type="application/pdf")
    response = client.post(
        reverse("creditrepair-evidence", args=[repair.pk]),
        {"file": upload, "description": "整改报告"},
    )
    assert response.status_code == 302
    assert Evidence.objects.get().repair == repair


# --- dynamic adjustment ---------------------------------------------------------------------------


def test_an_adjustment_lowers_the_grade_with_its_inspection(client, supervisor):
    rating = adjustable_rating()
    inspection = rating.facility.inspections.get()
    client.force_login(supervisor)
    page = client.get(reverse("rating-adjust", args=[rating.pk]))
    assert list(page.context["form"].fields["inspection"].queryset) == [inspection]
    assert [v for v, _ in page.context["form"].fields["to_grade"].choices] == ["C", "D"]
    response = client.post(
        reverse("rating-adjust", args=[rating.pk]),
        {
            "to_grade": "C",
            "inspection": inspection.pk,
            "reason": REASON,
            "version": stored_version(rating),
        },
    )
    assert response.status_code == 302
    change = RatingChange.objects.get()
    assert (change.kind, change.inspection, change.to_grade) == (
        RatingChangeKind.ADJUSTMENT,
        inspection,
        Grade.C,
    )


@pytest.mark.parametrize(
    "data",
    [
        {"to_grade": "A"},
        {"to_grade": "B"},
        {"to_grade": "<b>"},
        {"to_grade": "D"},  # not confirmed
        {"inspection": "99999999999999999999"},
        {"inspection": "abc"},
        {"inspection": "OTHER"},
        {"inspection": ""},
        {"reason": "调整"},
        {"reason": "原" * 1001},
        {"version": ""},
    ],
)
def test_a_bad_adjustment_is_shown_again_and_changes_nothing(client, supervisor, data):
    rating = adjustable_rating()
    other = adjustable_rating().facility.inspections.get()
    client.force_login(supervisor)
    payload = {
        "to_grade": "C",
        "inspection": rating.facility.inspections.get().pk,
        "reason": REASON,
        "version": stored_version(rating),
        **data,
    }
    if payload["inspection"] == "OTHER":
        payload["inspection"] = other.pk
    before = snapshot()
    response = client.post(reverse("rating-adjust", args=[rating.pk]), payload)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert snapshot() == before


def test_a_rating_without_a_serious_inspection_cannot_be_adjusted(client, supervisor):
    rating = CreditRatingFactory(year=today().year - 1, grade=Grade.B)
    client.force_login(supervisor)
    response = client.get(reverse("rating-adjust", args=[rating.pk]), follow=True)
    assert "不能动态调整" in html_of(response)


# --- the check plan -------------------------------------------------------------------------------


def test_the_plan_shows_totals_and_who_is_behind(client, auditor):
    year = today().year
    d = CreditRatingFactory(year=year - 1, grade=Grade.D)
    CreditRatingFactory(year=year - 1, grade=Grade.B)
    build_check_plan(year=year, user=None)
    inspection = InspectionFactory(facility=d.facility, start_date=D(year, 1, 5))
    match_planned_checks(year=year)
    client.force_login(auditor)
    response = client.get(reverse("plannedcheck-list"))
    assert response.context["year"] == year
    progress = response.context["progress"]
    assert (progress.required, progress.done) == (5, 1)
    page = html_of(response)
    assert reverse("inspection-detail", args=[inspection.pk]) in page
    assert "生成检查计划" not in page  # the auditor may not build it
    behind = client.get(reverse("plannedcheck-list"), {"year": year, "behind": "true"})
    expected = PlannedCheck.objects.filter(inspection__isnull=True, due_on__lt=today()).count()
    assert len(behind.context["object_list"]) == expected
    graded = client.get(reverse("plannedcheck-list"), {"year": year, "grade": "B"})
    assert {c.grade for c in graded.context["object_list"]} == {"B"}
    done = client.get(reverse("plannedcheck-list"), {"year": year, "done": "true"})
    assert [c.inspection_id for c in done.context["object_list"]] == [inspection.pk]


def test_the_plan_counts_only_the_users_districts(client, auditor):
    year = planned_year(district=District.DAMXUNG)
    planned_year()
    UserDistrictFactory(user=auditor, district=District.DAMXUNG)
    client.force_login(auditor)
    response = client.get(reverse("plannedcheck-list"), {"year": year})
    assert response.context["progress"].required == 4
    assert {c.facility.district for c in response.context["object_list"]} == {District.DAMXUNG}


def test_the_plan_issues_as_many_queries_for_many_rows_as_for_one(
    client, auditor, django_assert_num_queries
):
    year = today().year
    d = CreditRatingFactory(year=year - 1, grade=Grade.B)
    build_check_plan(year=year, user=None)
    InspectionFactory(facility=d.facility, start_date=D(year, 1, 5))
    match_planned_checks(year=year)
    client.force_login(auditor)
    url = reverse("plannedcheck-list")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url, {"year": year}).context["object_list"]) == 1
    for _ in range(5):
        rating = CreditRatingFactory(year=year - 1, grade=Grade.D)
        InspectionFactory(facility=rating.facility, start_date=D(year, 1, 6))
    build_check_plan(year=year, user=None)
    match_planned_checks(year=year)
    with django_assert_num_queries(len(one)):
        assert len(client.get(url, {"year": year}).context["object_list"]) == 21


def test_the_build_button_builds_the_plan_and_shows_it(client, supervisor):
    year = today().year
    CreditRatingFactory(year=year - 1, grade=Grade.C)
    client.force_login(supervisor)
    assert "生成检查计划" in html_of(client.get(reverse("plannedcheck-list")))
    response = client.post(reverse("plannedcheck-build"), {"year": year}, follow=True)
    assert response.status_code == 200
    assert PlannedCheck.objects.count() == 2
    assert response.context["year"] == year
    assert "新增2次计划检查" in html_of(response)


@pytest.mark.parametrize("year", ["", "abc", "2018", "99999999999999999999", "1.5"])
def test_a_bad_year_to_build_is_shown_again_and_changes_nothing(client, supervisor, year):
    CreditRatingFactory(year=today().year - 1, grade=Grade.C)
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(reverse("plannedcheck-build"), {"year": year})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert snapshot() == before


def test_a_year_without_grades_is_refused_with_the_reason(client, supervisor):
    client.force_login(supervisor)
    response = client.post(reverse("plannedcheck-build"), {"year": "2030"})
    assert response.status_code == 200
    assert "2029年度尚无信用评价结果" in html_of(response)
