"""The annual evaluation in the browser (issue 13, "Done when"): a supervisor publishes a cycle in
review, records an objection of a facility during the publication, upholds it with a corrected
score, finalises the cycle, and the facility's page shows the new grade with its scorecard.

The cycle is opened, scored and its initial scoring completed through the services (the steps
the pages walk in tests/test_pages_credit.py); every step of this test goes through the pages.
The publication is dated a month back so that its period has passed when the test finalises.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from supervision.choices import CreditCategoryCode, CycleStatus, Grade, ObjectionStatus
from supervision.models import Assessment, CreditRating, Indicator, Objection
from supervision.roles import SUPERVISOR
from supervision.services import evaluation
from tests.credit_support import build_system
from tests.factories import FacilityFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = timezone.localdate()
YEAR = TODAY.year - 1
PUBLISHED = TODAY - datetime.timedelta(days=30)
GROUNDS = "我院内部管理制度已于当年修订并执行，请求复核基础管理项评分。"
DECISION = "经核实，该院制度已修订并执行，更正基础管理项评分。"


@pytest.fixture(autouse=True)
def _fail_fast(page: Page) -> None:
    page.set_default_timeout(10_000)


def sign_in_as(page: Page, live_server, user) -> None:
    """The browser gets a session of user (a supervisor's with the second factor passed)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def submit(page: Page, scope, button: str) -> None:
    with page.expect_navigation():
        scope.get_by_role("button", name=button, exact=True).click()


@pytest.fixture
def cycle_in_review(db):
    """A cycle of last year in review: the facility lost 200 points on the manual indicator."""
    build_system(year=YEAR)
    facility = FacilityFactory(name="示例信用评价医院")
    lead = UserFactory(username="credit-lead", role=SUPERVISOR)
    cycle = evaluation.open_cycle(
        category=CreditCategoryCode.MEDICAL_INSTITUTION,
        year=YEAR,
        user=lead,
        self_assessment_due=TODAY - datetime.timedelta(days=50),
        opened_on=TODAY - datetime.timedelta(days=60),
    )
    evaluation.score_cycle(cycle, user=lead)
    assessment = Assessment.objects.get(cycle=cycle, facility=facility)
    evaluation.score_indicator(
        assessment,
        indicator=Indicator.objects.get(system=cycle.system, code="1.1"),
        points="200",
        note="内部管理制度不健全",
        user=lead,
    )
    evaluation.complete_initial_scoring(cycle, user=lead, on=TODAY - datetime.timedelta(days=40))
    assessment.refresh_from_db()
    assert assessment.grade == Grade.B
    return cycle, facility, assessment


def test_a_supervisor_publishes_takes_an_objection_finalises_and_the_facility_shows_the_grade(
    page: Page, live_server, supervisor, cycle_in_review
):
    cycle, facility, assessment = cycle_in_review
    sign_in_as(page, live_server, supervisor)
    cycle_url = f"{live_server.url}{reverse('evaluationcycle-detail', args=[cycle.pk])}"

    # 复核完成并公示, dated a month back.
    page.goto(f"{live_server.url}/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="信用评价").click()
    page.locator("#cycles").get_by_role("link", name=str(cycle.category.label)).click()
    expect(page).to_have_url(cycle_url)
    publish = page.locator("form.cycle-step", has_text="复核完成并公示")
    publish.get_by_label("公示开始日期").fill(PUBLISHED.isoformat())
    publish.get_by_label("我已核对上述情况，确认办理").check()
    submit(page, publish, "复核完成并公示")
    expect(page.get_by_role("status")).to_contain_text("评价结果已公示。")
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.PUBLICATION

    # The facility objects during the publication.
    page.get_by_role("link", name=facility.name).click()
    objection_form = page.locator("#objection-form")
    objection_form.get_by_label("收到日期").fill(cycle.publication_starts.isoformat())
    objection_form.get_by_label("异议事由").fill(GROUNDS)
    submit(page, objection_form, "登记异议")
    expect(page.get_by_role("status")).to_contain_text("异议已登记。")
    objection = Objection.objects.get()
    expect(page.locator(f"#objection-{objection.pk}")).to_contain_text(GROUNDS)

    # Upheld: the manual indicator corrected to no deduction.
    page.get_by_role("link", name="处理异议").click()
    page.get_by_label("异议成立", exact=True).check()
    page.get_by_label("处理意见").fill(DECISION)
    page.get_by_label("决定日期").fill(cycle.publication_starts.isoformat())
    page.get_by_label(re.compile(r"^1\.1 内部管理制度 更正后分数")).fill("0")
    submit(page, page, "保存")
    expect(page.get_by_role("status")).to_contain_text("异议已处理。")
    objection.refresh_from_db()
    assert (objection.status, objection.grade_before, objection.grade_after) == (
        ObjectionStatus.UPHELD,
        Grade.B,
        Grade.A,
    )

    # 确定结果 (the publication ended weeks ago).
    page.goto(cycle_url)
    finalise = page.locator("form.cycle-step", has_text="确定结果")
    finalise.get_by_label("确定日期").fill(TODAY.isoformat())
    finalise.get_by_label("我已核对上述情况，确认办理").check()
    submit(page, finalise, "确定结果")
    expect(page.get_by_role("status")).to_contain_text("评价结果已确定。")
    rating = CreditRating.objects.get(facility=facility, year=YEAR)
    assert (rating.grade, rating.assessment_id) == (Grade.A, assessment.pk)

    # The facility's page: the new grade, and its scorecard one click away.
    page.goto(f"{live_server.url}{reverse('facility-detail', args=[facility.pk])}")
    row = page.locator(f"#rating-{YEAR}")
    expect(row.get_by_title(f"{YEAR}年度 A级")).to_have_text("A")
    expect(row).to_contain_text(f"{YEAR}年度医保信用评价结果")
    row.get_by_role("link", name="评分明细").click()
    expect(page).to_have_url(
        f"{live_server.url}{reverse('assessment-detail', args=[assessment.pk])}"
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text(facility.name)
    expect(
        page.locator("#indicator-" + str(Indicator.objects.get(system=cycle.system, code="1.1").pk))
    ).to_contain_text("0")
