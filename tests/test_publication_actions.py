"""The staff actions that publish: the grade publications page and its form (a year with grades,
a facility category, once), the 对外公开 / 撤回公开 buttons on a sanction's page, and the Sanction
admin's action; each through services.publication, with history, the public edition moving on,
and nothing changed by a refusal, a reader or bad input."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supervision.choices import Grade, SanctionKind
from supervision.models import GradePublication, Sanction
from supervision.services import publication
from tests.dbstate import snapshot
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    GradePublicationFactory,
    SanctionFactory,
    TypicalCaseFactory,
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
GRADE_READERS = {"inspector", "evaluator", "supervisor", "auditor", "tip_desk", "superuser"}
PUBLISHERS = {"supervisor", "superuser"}
BASIS = "《医疗保障基金使用监督管理条例》第三十八条"
HOSTILE = "<script>alert(1)</script>"


def publish_form(**overrides) -> dict[str, str]:
    return {"year": "2024", "category": "medical_institution", "note": ""} | overrides


# --- grade publications -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_grade_publications_page_opens_for_its_readers(client, request, persona):
    user = sign_in(client, request, persona)
    response = client.get(reverse("grade-publication-list"))
    if user is None:
        assert response.status_code == 302
    elif persona in GRADE_READERS:
        assert response.status_code == 200
        shown = reverse("grade-publication-create") in html_of(response)
        assert shown is (persona in PUBLISHERS)
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("persona", ["inspector", "auditor", "evaluator", "tip_desk", "outsider"])
def test_no_one_but_a_publisher_publishes_grades(client, request, persona):
    CreditRatingFactory(year=2024)
    sign_in(client, request, persona)
    before = snapshot()
    assert client.post(reverse("grade-publication-create"), publish_form()).status_code == 403
    assert snapshot() == before


def test_a_supervisor_publishes_a_year_of_a_category(client, supervisor):
    CreditRatingFactory(year=2024)
    client.force_login(supervisor)
    edition = publication.edition()
    response = client.post(
        reverse("grade-publication-create"), publish_form(note=HOSTILE), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("grade-publication-list")
    row = GradePublication.objects.get()
    assert (row.year, row.category_id, row.published_by) == (
        2024,
        "medical_institution",
        supervisor,
    )
    assert row.history.get().history_user == supervisor
    assert publication.edition() == edition + 1
    html = html_of(response)
    assert "&lt;script&gt;" in html and "<script>alert" not in html


def test_the_form_offers_rated_years_and_facility_categories_only(client, supervisor):
    CreditRatingFactory(year=2023)
    client.force_login(supervisor)
    form = client.get(reverse("grade-publication-create")).context["form"]
    assert [y for y, _l in form.fields["year"].choices if y] == [2023]
    assert {c for c, _l in form.fields["category"].choices if c} == {
        "medical_institution",
        "retail_pharmacy",
        "insurer",
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {"year": "2023"},  # no grades that year
        {"year": "abc"},
        {"year": "99999999999999999999"},
        {"year": ""},
        {"category": "employer"},
        {"category": HOSTILE},
        {"category": ""},
        {"note": "说" * 2001},
        {"category": "retail_pharmacy"},  # no pharmacy has a 2024 grade
    ],
)
def test_a_publication_that_cannot_be_made_changes_nothing(client, supervisor, overrides):
    CreditRatingFactory(year=2024)
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(reverse("grade-publication-create"), publish_form(**overrides))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert snapshot() == before


def test_a_year_is_published_once(client, supervisor):
    CreditRatingFactory(year=2024)
    publication.publish_grades(year=2024, category="medical_institution", user=supervisor)
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(reverse("grade-publication-create"), publish_form())
    assert "该类别该年度的信用等级已公布。" in html_of(response)
    assert snapshot() == before


@pytest.mark.parametrize("query", [{"year": "abc"}, {"category": HOSTILE}, {"page": "x" * 100}])
def test_the_list_takes_any_query_without_failing(client, auditor, query):
    client.force_login(auditor)
    assert client.get(reverse("grade-publication-list"), query).status_code == 200


# --- a sanction's page ------------------------------------------------------------------------


@pytest.fixture
def sanction(db):
    return SanctionFactory(facility=FacilityFactory(), suspension=True, legal_basis=BASIS)


def publish_url(sanction: Sanction) -> str:
    return reverse("sanction-publish", args=[sanction.pk])


def unpublish_url(sanction: Sanction) -> str:
    return reverse("sanction-unpublish", args=[sanction.pk])


def test_who_may_change_sanctions_is_offered_the_button(client, supervisor, auditor, sanction):
    client.force_login(supervisor)
    assert publish_url(sanction) in html_of(client.get(sanction.get_absolute_url()))
    client.force_login(auditor)
    html = html_of(client.get(sanction.get_absolute_url()))
    assert publish_url(sanction) not in html
    assert "未公开" in html


def test_publishing_from_the_page_dates_it_writes_history_and_moves_the_public_pages_on(
    client, supervisor, sanction
):
    client.force_login(supervisor)
    edition = publication.edition()
    response = client.post(publish_url(sanction), follow=True)
    assert response.redirect_chain[-1][0] == f"{sanction.get_absolute_url()}#publication"
    sanction.refresh_from_db()
    assert sanction.published_on is not None
    assert sanction.published_by == supervisor
    latest = sanction.history.first()
    assert (latest.history_user, latest.history_change_reason) == (supervisor, "对外公开")
    assert publication.edition() == edition + 1
    html = html_of(response)
    assert "该处理措施已对外公开。" in html
    assert publish_url(sanction) not in html  # shown as published, with the withdraw form
    assert unpublish_url(sanction) in html


def test_a_sanction_without_a_legal_basis_is_refused_with_a_message(client, supervisor):
    bare = SanctionFactory(suspension=True, legal_basis="")
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(publish_url(bare), follow=True)
    assert "公开前请先填写法律依据。" in html_of(response)
    assert snapshot() == before


def test_a_commendation_is_offered_no_button_and_refused(client, supervisor):
    rating = CreditRatingFactory(year=2024, grade=Grade.A)
    commendation = SanctionFactory(
        facility=rating.facility, kind=SanctionKind.COMMENDATION, rating=rating, legal_basis=BASIS
    )
    client.force_login(supervisor)
    assert publish_url(commendation) not in html_of(client.get(commendation.get_absolute_url()))
    before = snapshot()
    response = client.post(publish_url(commendation), follow=True)
    assert "授牌不在处理措施公开之列。" in html_of(response)
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["inspector", "auditor", "evaluator", "tip_desk", "outsider"])
def test_a_reader_cannot_publish_or_withdraw(client, request, sanction, supervisor, persona):
    publication.publish_sanction(
        SanctionFactory(suspension=True, legal_basis=BASIS), user=supervisor
    )
    published = Sanction.objects.exclude(published_on=None).get()
    sign_in(client, request, persona)
    before = snapshot()
    assert client.post(publish_url(sanction)).status_code == 403
    assert client.post(unpublish_url(published), {"reason": "撤回"}).status_code == 403
    assert snapshot() == before


def test_the_buttons_answer_only_a_post(client, supervisor, sanction):
    client.force_login(supervisor)
    assert client.get(publish_url(sanction)).status_code == 405
    assert client.get(unpublish_url(sanction)).status_code == 405


def test_an_anonymous_post_goes_to_sign_in(client, sanction):
    before = snapshot()
    response = client.post(publish_url(sanction))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert snapshot() == before


@pytest.mark.parametrize("pk", ["99999999", "0"])
def test_an_unknown_sanction_is_a_404(client, supervisor, pk):
    client.force_login(supervisor)
    assert client.post(f"/sanctions/{pk}/publish/").status_code == 404


@pytest.mark.parametrize("reason", ["", "   ", "撤" * 1001])
def test_a_withdrawal_without_a_fitting_reason_changes_nothing(
    client, supervisor, sanction, reason
):
    publication.publish_sanction(sanction, user=supervisor)
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(unpublish_url(sanction), {"reason": reason}, follow=True)
    assert "撤回原因" in html_of(response)
    assert snapshot() == before


def test_withdrawing_takes_it_off_the_public_pages(client, supervisor, sanction):
    publication.publish_sanction(sanction, user=supervisor)
    client.force_login(supervisor)
    edition = publication.edition()
    response = client.post(unpublish_url(sanction), {"reason": "复议撤销"}, follow=True)
    sanction.refresh_from_db()
    assert sanction.published_on is None
    latest = sanction.history.first()
    assert (latest.history_user, latest.history_change_reason) == (
        supervisor,
        "撤回公开：复议撤销",
    )
    assert publication.edition() == edition + 1
    assert publish_url(sanction) in html_of(response)


def test_withdrawing_what_is_not_public_is_refused_with_a_message(client, supervisor, sanction):
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(unpublish_url(sanction), {"reason": "撤回"}, follow=True)
    assert "该处理措施未公开。" in html_of(response)
    assert snapshot() == before


# --- the admin action -------------------------------------------------------------------------


def run_action(client, sanctions: list[Sanction]):
    return client.post(
        reverse("admin:supervision_sanction_changelist"),
        {"action": "publish_selected", "_selected_action": [s.pk for s in sanctions]},
        follow=True,
    )


def test_the_admin_action_publishes_each_and_reports_each_refusal(client, supervisor):
    ready = SanctionFactory(suspension=True, legal_basis=BASIS)
    also_ready = SanctionFactory(fine=True, legal_basis=BASIS)
    bare = SanctionFactory(suspension=True, legal_basis="")
    client.force_login(supervisor)
    edition = publication.edition()
    response = run_action(client, [ready, also_ready, bare])
    html = html_of(response)
    assert "已对外公开2项处理措施。" in html
    assert "未公开：公开前请先填写法律依据。" in html
    assert set(Sanction.objects.exclude(published_on=None).values_list("pk", flat=True)) == {
        ready.pk,
        also_ready.pk,
    }
    assert publication.edition() == edition + 2
    for sanction in (ready, also_ready):
        latest = sanction.history.first()
        assert (latest.history_user, latest.history_change_reason) == (supervisor, "对外公开")


def test_the_admin_action_is_not_offered_without_the_change_permission(client, auditor):
    ready = SanctionFactory(suspension=True, legal_basis=BASIS)
    client.force_login(auditor)
    response = client.get(reverse("admin:supervision_sanction_changelist"))
    assert response.status_code == 200
    assert "publish_selected" not in html_of(response)
    before = snapshot()
    run_action(client, [ready])
    assert snapshot() == before


# --- the admin pages of typical cases and grade publications (read only) ----------------------

# L changelist, A add, C change (view), H history, D delete; as tests/test_admin.py's ALLOWED.
ADMIN_ALLOWED = {
    "superuser": "LCH",
    "supervisor": "LCH",
    "inspector": "LC",
    "auditor": "LCH",
    "outsider": "",
}


@pytest.mark.parametrize("persona", list(ADMIN_ALLOWED))
@pytest.mark.parametrize("model_name", ["typicalcase", "gradepublication"])
def test_the_admin_reads_typical_cases_and_grade_publications_only(
    client, request, persona, model_name
):
    obj = TypicalCaseFactory() if model_name == "typicalcase" else GradePublicationFactory()
    sign_in(client, request, persona)
    base = f"admin:supervision_{model_name}"
    urls = {
        "L": reverse(f"{base}_changelist"),
        "A": reverse(f"{base}_add"),
        "C": reverse(f"{base}_change", args=[obj.pk]),
        "H": reverse(f"{base}_history", args=[obj.pk]),
        "D": reverse(f"{base}_delete", args=[obj.pk]),
    }
    for letter, url in urls.items():
        expected = 200 if letter in ADMIN_ALLOWED[persona] else 403
        assert client.get(url).status_code == expected, (persona, letter)
    before = snapshot()
    client.post(urls["C"], {"title": "改"})
    assert snapshot() == before
