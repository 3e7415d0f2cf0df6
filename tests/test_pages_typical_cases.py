"""The typical cases' pages (典型案例): who may open which page and post which form, writing from
a completed inspection (?inspection= preselects it), editing a draft (a stale edit refused with
the conflict shown), submitting, the review block for a reviewer who did not write the case,
approving, returning with a comment, withdrawing with a reason; bad, hostile and wrongly typed
input changes nothing; the list's filter, sort, pagination and fixed number of queries."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision.choices import District, InspectionStatus, TypicalCaseStatus
from supervision.models import TypicalCase
from supervision.roles import SUPERVISOR
from supervision.services import publication
from supervision.services import typical_cases as service
from tests.dbstate import snapshot, stored_version
from tests.factories import (
    FacilityFactory,
    InspectionFactory,
    PractitionerFactory,
    RegistrationFactory,
    TypicalCaseFactory,
    UserDistrictFactory,
    UserFactory,
    _resident_id,
)
from tests.pages import html_of, sign_in

pytestmark = pytest.mark.django_db

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
KEEPERS = {"supervisor", "superuser"}
HOSTILE = [
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    "'; DROP TABLE supervision_typicalcase; --",
]
ID_NUMBER = _resident_id("54010219800101123")


@pytest.fixture
def writer(db):
    """The supervisor who writes the cases; the `supervisor` persona reviews them."""
    return UserFactory(username="writer", role=SUPERVISOR)


@pytest.fixture
def world(db, writer):
    """A completed inspection with a draft, a submitted and a published case by `writer`."""
    inspection = InspectionFactory(facility=FacilityFactory(name="示例人民医院"), completed=True)
    reviewer = UserFactory(username="reviewer", role=SUPERVISOR)

    def case(title: str) -> TypicalCase:
        return service.write_case(
            user=writer,
            inspection=inspection,
            title=title,
            facts="检查发现串换药品项目结算。",
            handling="追回医保基金。",
        )

    draft = case("草稿案例")
    submitted = service.submit_case(case("待审核案例"), user=writer)
    published = service.approve_case(
        service.submit_case(case("已发布案例"), user=writer), user=reviewer
    )
    return SimpleNamespace(
        inspection=inspection, draft=draft, submitted=submitted, published=published
    )


def form_data(response, **fill) -> dict:
    """The form's fields as the page shows them (hidden version included), with fill."""
    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        data[name] = "" if value is None else field.widget.format_value(value) or value
    return {k: v for k, v in (data | fill).items() if v is not None}


def case_form(at, **overrides) -> dict[str, str]:
    return {
        "inspection": str(at.pk),
        "title": "示例典型案例",
        "facts": "检查发现该院串换药品项目结算。",
        "handling": "追回医保基金并处罚款。",
        "legal_basis": "",
        "lesson": "",
    } | overrides


# --- who may open what ------------------------------------------------------------------------


def _url(name: str, world) -> str:
    return {
        "typical-case-list": reverse("typical-case-list"),
        "typical-case-detail": reverse("typical-case-detail", args=[world.draft.pk]),
        "typical-case-create": f"{reverse('typical-case-create')}?inspection={world.inspection.pk}",
        "typical-case-edit": reverse("typical-case-edit", args=[world.draft.pk]),
        "typical-case-submit": reverse("typical-case-submit", args=[world.draft.pk]),
        "typical-case-approve": reverse("typical-case-approve", args=[world.submitted.pk]),
        "typical-case-return": reverse("typical-case-return", args=[world.submitted.pk]),
        "typical-case-withdraw": reverse("typical-case-withdraw", args=[world.published.pk]),
    }[name]


PAGES = [
    ("typical-case-list", READERS),
    ("typical-case-detail", READERS),
    ("typical-case-create", KEEPERS),
    ("typical-case-edit", KEEPERS),
    ("typical-case-submit", KEEPERS),
    ("typical-case-approve", KEEPERS),
    ("typical-case-return", KEEPERS),
    ("typical-case-withdraw", KEEPERS),
]
FORMS = [name for name, allowed in PAGES if allowed == KEEPERS]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_opens_only_for_the_roles_it_is_for(
    client, request, world, persona, name, allowed
):
    user = sign_in(client, request, persona)
    response = client.get(_url(name, world))
    if user is None:
        assert response.status_code == 302
        assert reverse("login") in response["Location"]
    elif persona in allowed:
        assert response.status_code == 200, html_of(response)[:500]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("persona", ["outsider", "inspector", "auditor", "evaluator", "tip_desk"])
@pytest.mark.parametrize("name", FORMS)
def test_no_one_but_a_supervisor_can_post_any_form(client, request, world, persona, name):
    sign_in(client, request, persona)
    before = snapshot()
    data = {"title": "改", "review_comment": "通过", "withdraw_reason": "撤", "version": "1"}
    assert client.post(_url(name, world), data).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("inspector", True), ("auditor", True), ("supervisor", True), ("tip_desk", False)],
)
def test_the_navigation_links_the_list_for_readers_only(client, request, persona, shown):
    sign_in(client, request, persona)
    html = html_of(client.get(reverse("dashboard")))
    assert (f'href="{reverse("typical-case-list")}"' in html) is shown


def test_a_reader_is_offered_no_write_links(client, inspector, world):
    client.force_login(inspector)
    assert reverse("typical-case-create") not in html_of(client.get(reverse("typical-case-list")))
    for case in (world.draft, world.submitted, world.published):
        html = html_of(client.get(case.get_absolute_url()))
        assert f"/typical-cases/{case.pk}/" in html or case.title in html
        for step in ("edit", "submit", "approve", "return", "withdraw"):
            assert f"/typical-cases/{case.pk}/{step}/" not in html


# --- the detail page's blocks -----------------------------------------------------------------


def test_the_reviewer_sees_approve_and_return_on_a_submitted_case(client, supervisor, world):
    client.force_login(supervisor)
    html = html_of(client.get(world.submitted.get_absolute_url()))
    assert reverse("typical-case-approve", args=[world.submitted.pk]) in html
    assert f'formaction="{reverse("typical-case-return", args=[world.submitted.pk])}"' in html
    assert world.inspection.get_absolute_url() in html


def test_the_writer_sees_no_review_buttons_but_why(client, writer, world):
    client.force_login(writer)
    html = html_of(client.get(world.submitted.get_absolute_url()))
    assert reverse("typical-case-approve", args=[world.submitted.pk]) not in html
    assert "须由其他有审核权限的人员审核" in html
    response = client.get(reverse("typical-case-approve", args=[world.submitted.pk]))
    assert response.status_code == 302
    assert response["Location"] == world.submitted.get_absolute_url()


def test_a_draft_offers_edit_and_submit_a_published_case_the_withdraw_form(
    client, supervisor, world
):
    client.force_login(supervisor)
    html = html_of(client.get(world.draft.get_absolute_url()))
    assert reverse("typical-case-edit", args=[world.draft.pk]) in html
    assert reverse("typical-case-submit", args=[world.draft.pk]) in html
    html = html_of(client.get(world.published.get_absolute_url()))
    assert reverse("typical-case-withdraw", args=[world.published.pk]) in html
    assert reverse("typical-case-edit", args=[world.published.pk]) not in html


def test_the_detail_page_shows_the_history_to_who_may_read_it(client, auditor, inspector, world):
    client.force_login(auditor)
    html = html_of(client.get(world.published.get_absolute_url()))
    assert 'id="history"' in html
    assert "审核通过，发布" in html
    client.force_login(inspector)  # no view_historicaltypicalcase
    assert 'id="history"' not in html_of(client.get(world.published.get_absolute_url()))


def test_a_draft_with_text_that_cannot_be_published_says_so_before_submitting(
    client, supervisor, world
):
    draft = world.draft
    service.edit_case(draft, user=supervisor, facts=f"当事人身份证号码{ID_NUMBER}。")
    client.force_login(supervisor)
    html = html_of(client.get(draft.get_absolute_url()))
    assert "“基本案情”含有疑似身份证号码" in html


# --- writing ----------------------------------------------------------------------------------


def test_writing_from_an_inspection_preselects_it_and_saves_a_draft(client, supervisor, world):
    client.force_login(supervisor)
    url = f"{reverse('typical-case-create')}?inspection={world.inspection.pk}"
    response = client.get(url)
    assert response.context["form"]["inspection"].value() == world.inspection.pk
    response = client.post(url, case_form(world.inspection), follow=True)
    case = TypicalCase.objects.get(title="示例典型案例")
    assert response.redirect_chain[-1][0] == case.get_absolute_url()
    assert case.status == TypicalCaseStatus.DRAFT
    assert case.created_by == supervisor
    assert case.history.get().history_user == supervisor


def test_a_completed_inspections_page_offers_writing_a_case_to_who_may(
    client, supervisor, inspector, world
):
    link = f"{reverse('typical-case-create')}?inspection={world.inspection.pk}"
    client.force_login(supervisor)
    assert link in html_of(client.get(world.inspection.get_absolute_url()))
    client.force_login(inspector)
    assert link not in html_of(client.get(world.inspection.get_absolute_url()))
    open_one = InspectionFactory(status=InspectionStatus.IN_PROGRESS)
    client.force_login(supervisor)
    assert "typical-cases/new/" not in html_of(client.get(open_one.get_absolute_url()))


def test_only_completed_inspections_in_scope_are_offered(client, supervisor, world):
    open_one = InspectionFactory(status=InspectionStatus.IN_PROGRESS)
    elsewhere = InspectionFactory(facility=FacilityFactory(district=District.DAGZE), completed=True)
    UserDistrictFactory(user=supervisor, district=world.inspection.facility.district)
    client.force_login(supervisor)
    response = client.get(reverse("typical-case-create"))
    offered = {
        value for value, _label in response.context["form"].fields["inspection"].widget.choices
    }
    assert world.inspection.pk in offered
    assert open_one.pk not in offered
    assert elsewhere.pk not in offered
    for inspection in (open_one, elsewhere):
        before = snapshot()
        response = client.post(reverse("typical-case-create"), case_form(inspection))
        assert response.status_code == 200
        assert "inspection" in response.context["form"].errors
        assert snapshot() == before


def test_an_unfinished_inspection_in_the_link_is_refused_with_a_message(client, supervisor):
    open_one = InspectionFactory(status=InspectionStatus.IN_PROGRESS)
    client.force_login(supervisor)
    response = client.get(reverse("typical-case-create"), {"inspection": open_one.pk})
    assert response.status_code == 302
    assert response["Location"] == open_one.get_absolute_url()
    response = client.get(response["Location"])
    assert "只能依据已完成的检查撰写典型案例" in html_of(response)


@pytest.mark.parametrize("value", ["", "abc", "0", "99999999999999999999", "-1", "1 OR 1=1", "²"])
def test_the_write_form_takes_any_inspection_parameter_without_failing(client, supervisor, value):
    client.force_login(supervisor)
    response = client.get(reverse("typical-case-create"), {"inspection": value})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("inspection", ""),
        ("inspection", "abc"),
        ("inspection", "99999999999999999999"),
        ("inspection", "-1"),
        ("inspection", HOSTILE[2]),
        ("title", ""),
        ("title", "题" * 101),
        ("title", "示例\x00"),
        ("facts", ""),
        ("facts", "案" * 5001),
        ("handling", "   "),
        ("legal_basis", "法" * 2001),
        ("lesson", "警" * 2001),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(client, supervisor, world, field, value):
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("typical-case-create"), case_form(world.inspection, **{field: value})
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert snapshot() == before


def test_hostile_text_is_stored_as_typed_and_shown_escaped(client, supervisor, world):
    client.force_login(supervisor)
    client.post(
        reverse("typical-case-create"),
        case_form(world.inspection, title=HOSTILE[0], facts=HOSTILE[2], lesson=HOSTILE[1]),
    )
    case = TypicalCase.objects.get(title=HOSTILE[0])
    assert case.facts == HOSTILE[2]
    html = html_of(client.get(case.get_absolute_url()))
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    response = client.get(reverse("typical-case-list"), {"export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert "&lt;script&gt;" not in text and HOSTILE[0] in text


# --- editing ----------------------------------------------------------------------------------


def test_a_draft_is_edited_with_the_reason_on_its_history(client, supervisor, world):
    client.force_login(supervisor)
    url = reverse("typical-case-edit", args=[world.draft.pk])
    response = client.get(url)
    data = form_data(response, facts="改写后的案情。", change_reason="补充案情")
    response = client.post(url, data)
    assert response.status_code == 302
    world.draft.refresh_from_db()
    assert world.draft.facts == "改写后的案情。"
    latest = world.draft.history.first()
    assert (latest.history_user, latest.history_change_reason) == (supervisor, "补充案情")


def test_a_stale_edit_is_refused_with_the_conflict_and_keeps_the_input(
    client, supervisor, writer, world
):
    client.force_login(supervisor)
    url = reverse("typical-case-edit", args=[world.draft.pk])
    data = form_data(client.get(url), facts="我的修改。")
    service.edit_case(world.draft, user=writer, facts="他人先保存的修改。")
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 409
    assert response.context["conflict"] is not None
    assert "我的修改。" in html_of(response)
    assert snapshot() == before


def test_a_submitted_case_is_not_edited(client, supervisor, world):
    client.force_login(supervisor)
    url = reverse("typical-case-edit", args=[world.submitted.pk])
    before = snapshot()
    response = client.post(url, {"title": "改", "facts": "改", "handling": "改", "version": "2"})
    assert response.status_code == 302
    assert response["Location"] == world.submitted.get_absolute_url()
    assert snapshot() == before


@pytest.mark.parametrize("version", ["", "abc", "-1", "99999999999999999999", HOSTILE[0]])
def test_a_missing_or_tampered_version_is_refused(client, supervisor, world, version):
    client.force_login(supervisor)
    url = reverse("typical-case-edit", args=[world.draft.pk])
    data = form_data(client.get(url), title="改", version=version)
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code in (200, 409)
    assert response.context["form"].errors
    assert snapshot() == before


# --- the steps --------------------------------------------------------------------------------


def _step(client, name: str, case: TypicalCase, **data):
    return client.post(
        reverse(name, args=[case.pk]), {"version": stored_version(case), **data}, follow=True
    )


def test_submitting_a_clean_draft_sends_it_for_review(client, supervisor, world):
    client.force_login(supervisor)
    response = _step(client, "typical-case-submit", world.draft)
    assert response.redirect_chain[-1][0] == world.draft.get_absolute_url()
    world.draft.refresh_from_db()
    assert world.draft.status == TypicalCaseStatus.SUBMITTED
    assert "已提交审核" in html_of(response)


def test_submitting_text_with_a_registered_name_is_refused_naming_the_field(
    client, supervisor, world
):
    RegistrationFactory(
        practitioner=PractitionerFactory(name="格桑卓玛"), facility=world.inspection.facility
    )
    service.edit_case(world.draft, user=supervisor, handling="对格桑卓玛予以记分。")
    client.force_login(supervisor)
    before = snapshot()
    response = _step(client, "typical-case-submit", world.draft)
    assert response.status_code == 200
    html = html_of(response)
    assert "“处理结果”含有被检查机构登记备案人员的姓名" in html
    assert snapshot() == before


def test_the_reviewer_approves_and_the_public_pages_move_on(client, supervisor, world):
    client.force_login(supervisor)
    edition = publication.edition()
    response = _step(client, "typical-case-approve", world.submitted, review_comment="同意")
    assert response.redirect_chain[-1][0] == world.submitted.get_absolute_url()
    world.submitted.refresh_from_db()
    assert world.submitted.status == TypicalCaseStatus.PUBLISHED
    assert world.submitted.reviewed_by == supervisor
    assert publication.edition() == edition + 1


def test_the_writer_posting_an_approval_changes_nothing(client, writer, world):
    client.force_login(writer)
    before = snapshot()
    response = _step(client, "typical-case-approve", world.submitted)
    assert response.redirect_chain[-1][0] == world.submitted.get_absolute_url()
    assert "审核人不能是该案例的撰写人" in html_of(response)
    assert snapshot() == before


def test_a_return_without_a_comment_is_refused_and_changes_nothing(client, supervisor, world):
    client.force_login(supervisor)
    before = snapshot()
    response = _step(client, "typical-case-return", world.submitted, review_comment="  ")
    assert response.status_code == 200
    assert "review_comment" in response.context["form"].errors
    assert snapshot() == before


def test_a_return_with_a_comment_makes_it_a_draft_again(client, supervisor, world):
    client.force_login(supervisor)
    _step(client, "typical-case-return", world.submitted, review_comment="请删去当事人姓名。")
    world.submitted.refresh_from_db()
    assert world.submitted.status == TypicalCaseStatus.DRAFT
    assert world.submitted.review_comment == "请删去当事人姓名。"
    latest = world.submitted.history.first()
    assert latest.history_user == supervisor
    assert latest.history_change_reason == "审核退回：请删去当事人姓名。"


def test_an_approval_on_an_old_version_is_refused_as_stale(client, supervisor, writer, world):
    client.force_login(supervisor)
    url = reverse("typical-case-return", args=[world.submitted.pk])
    data = form_data(client.get(url), review_comment="退回")
    # Meanwhile another reviewer returned it, the writer resubmitted it.
    other = UserFactory(username="other", role=SUPERVISOR)
    case = service.return_case(world.submitted, user=other, comment="先退回")
    service.submit_case(case, user=writer)
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 409
    assert snapshot() == before


@pytest.mark.parametrize("reason", ["", "   ", "撤" * 1001])
def test_a_withdrawal_without_a_fitting_reason_changes_nothing(client, supervisor, world, reason):
    client.force_login(supervisor)
    before = snapshot()
    response = _step(client, "typical-case-withdraw", world.published, withdraw_reason=reason)
    assert response.status_code == 200
    assert "withdraw_reason" in response.context["form"].errors
    assert snapshot() == before


def test_withdrawing_takes_the_case_off_the_public_pages(client, supervisor, world):
    client.force_login(supervisor)
    edition = publication.edition()
    _step(client, "typical-case-withdraw", world.published, withdraw_reason="决定已被撤销")
    world.published.refresh_from_db()
    assert world.published.status == TypicalCaseStatus.WITHDRAWN
    assert world.published.withdraw_reason == "决定已被撤销"
    assert publication.edition() == edition + 1
    latest = world.published.history.first()
    assert (latest.history_user, latest.history_change_reason) == (supervisor, "撤回：决定已被撤销")


@pytest.mark.parametrize("name", ["typical-case-submit", "typical-case-approve"])
def test_a_step_on_a_case_in_another_state_is_refused_with_a_message(
    client, supervisor, world, name
):
    client.force_login(supervisor)
    case = world.published
    before = snapshot()
    response = _step(client, name, case)
    assert response.redirect_chain[-1][0] == case.get_absolute_url()
    assert snapshot() == before


# --- the list ---------------------------------------------------------------------------------


def test_the_list_filters_by_status_and_sorts(client, auditor, world):
    client.force_login(auditor)
    response = client.get(reverse("typical-case-list"), {"status": "published"})
    assert list(response.context["object_list"]) == [world.published]
    response = client.get(reverse("typical-case-list"), {"ordering": "title"})
    titles = [c.title for c in response.context["object_list"]]
    assert titles == sorted(titles)
    response = client.get(reverse("typical-case-list"), {"status": "nonsense"})
    assert response.status_code == 200
    assert list(response.context["object_list"]) == []


@pytest.mark.parametrize(
    "query",
    [
        {"page": "abc"},
        {"page": "99999999999999999999"},
        {"ordering": "password"},
        {"q": "x" * 500},
        {"q": HOSTILE[0]},
        {"published_on_after": "not a date"},
        {"facility": "99999999999999999999"},
        {"district": "999999"},
    ],
)
def test_the_list_takes_any_query_without_failing(client, auditor, world, query):
    client.force_login(auditor)
    assert client.get(reverse("typical-case-list"), query).status_code == 200


def test_the_list_searches_the_title_and_the_facility(client, auditor, world):
    client.force_login(auditor)
    found = client.get(reverse("typical-case-list"), {"q": "草稿"}).context["object_list"]
    assert list(found) == [world.draft]
    found = client.get(reverse("typical-case-list"), {"q": "人民医院"}).context["object_list"]
    assert len(found) == 3


def test_the_list_is_paginated(client, auditor, world):
    TypicalCaseFactory.create_batch(50, inspection=world.inspection)
    client.force_login(auditor)
    response = client.get(reverse("typical-case-list"))
    assert len(response.context["object_list"]) == 50
    assert response.context["page_obj"].has_next()
    assert len(client.get(reverse("typical-case-list"), {"page": 2}).context["object_list"]) == 3


def test_the_list_costs_the_same_queries_for_one_row_and_for_many(client, auditor, world):
    client.force_login(auditor)
    url = reverse("typical-case-list")
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(20):
        TypicalCaseFactory(inspection=InspectionFactory(completed=True), created_by=auditor)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_district_limited_account_sees_only_its_districts(client, auditor, world):
    UserDistrictFactory(user=auditor, district=District.DAGZE)
    mine = TypicalCaseFactory(
        inspection=InspectionFactory(
            facility=FacilityFactory(district=District.DAGZE), completed=True
        )
    )
    client.force_login(auditor)
    assert list(client.get(reverse("typical-case-list")).context["object_list"]) == [mine]
    assert client.get(world.draft.get_absolute_url()).status_code == 404


def test_the_pages_render_in_english(client, supervisor, world):
    client.force_login(supervisor)
    response = client.get(world.submitted.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
