"""我的待办 ("my work"): where signing in lands, what the page lists (overdue first, with links and
next steps), the count in the navigation, the team section for supervisors only, and nobody
seeing anybody else's items."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision.choices import District, InspectionStatus
from supervision.roles import INSPECTOR, SUPERVISOR
from tests.factories import (
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    ReferralFactory,
    TipFactory,
    UserDistrictFactory,
    UserFactory,
)
from tests.pages import html_of

pytestmark = pytest.mark.django_db

D = datetime.date
URL = "/my-work/"


@pytest.fixture(autouse=True)
def _clear_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def officer(db):
    user = UserFactory(username="zhaxi", role=INSPECTOR)
    return user, InspectorFactory(user=user, name="扎西")


def planned(inspector, *, start: datetime.date, name: str = "示例药店"):
    return InspectionFactory(
        facility=FacilityFactory(name=name, district=District.CHENGGUAN),
        status=InspectionStatus.PLANNED,
        start_date=start,
        inspectors=[inspector],
    )


def sign_in_with_the_form(client, user) -> str:
    response = client.post(
        reverse("login"), {"username": user.username, "password": "correct-horse-battery-staple"}
    )
    assert response.status_code == 302
    return client.get(response.url).url


def test_an_inspector_lands_on_my_work_after_signing_in(client, officer):
    assert sign_in_with_the_form(client, officer[0]) == reverse("my-work")


def test_an_auditor_lands_on_the_overview(client, auditor):
    assert sign_in_with_the_form(client, auditor) == reverse("dashboard")


def test_the_page_lists_overdue_first_with_links_and_next_steps(client, officer):
    user, inspector = officer
    today = datetime.date.today()
    late = planned(inspector, start=today - datetime.timedelta(days=30), name="示例逾期药店")
    soon = planned(inspector, start=today, name="示例今日药店")
    client.force_login(user)
    html = html_of(client.get(URL))
    assert html.index("示例逾期药店") < html.index("示例今日药店")
    assert "逾期30天" in html
    assert "即将到期" in html
    assert f'href="{late.get_absolute_url()}"' in html
    assert f'href="{reverse("inspection-edit", args=[soon.pk])}"' in html


def test_the_navigation_counts_my_items_as_my_work_last_found_them(client, officer):
    user, inspector = officer
    planned(inspector, start=D(2025, 1, 6))
    planned(inspector, start=D(2025, 1, 7))
    client.force_login(user)
    assert '<span class="nav-count"' not in html_of(client.get(reverse("facility-list")))
    client.get(URL)
    html = html_of(client.get(reverse("facility-list")))
    assert f'href="{URL}"' in html
    assert '<span class="nav-count"' in html and ">2</span>" in html


def test_someone_elses_items_are_not_on_my_page(client, officer):
    _, inspector = officer
    planned(inspector, start=D(2025, 1, 6), name="示例别人的药店")
    other = UserFactory(username="other", role=INSPECTOR)
    InspectorFactory(user=other)
    client.force_login(other)
    html = html_of(client.get(URL))
    assert "示例别人的药店" not in html
    assert "没有逾期或即将到期的事项" in html


def test_a_supervisor_sees_the_teams_items_overdue_past_the_escalation(client, officer):
    _, inspector = officer
    planned(inspector, start=D(2025, 1, 6), name="示例久拖药店")
    lead = UserFactory(username="lead", role=SUPERVISOR)
    UserDistrictFactory(user=lead, district=District.CHENGGUAN)
    elsewhere = UserFactory(username="lead-dagze", role=SUPERVISOR)
    UserDistrictFactory(user=elsewhere, district=District.DAGZE)
    client.force_login(lead)
    html = html_of(client.get(URL))
    assert "团队逾期事项" in html and "示例久拖药店" in html
    client.force_login(elsewhere)
    assert "示例久拖药店" not in html_of(client.get(URL))
    client.force_login(officer[0])
    assert "团队逾期事项" not in html_of(client.get(URL))


def test_the_team_list_shows_the_longest_overdue_of_each_kind_and_counts_the_rest(
    client, officer, monkeypatch
):
    monkeypatch.setattr("supervision.services.due_items.TEAM_PAGE", 1)
    _, inspector = officer
    planned(inspector, start=D(2025, 1, 6), name="示例最久药店")
    planned(inspector, start=D(2025, 3, 3), name="示例次久药店")
    lead = UserFactory(username="lead", role=SUPERVISOR)
    client.force_login(lead)
    html = html_of(client.get(URL))
    team = html[html.index('id="team-heading"') :]
    assert "示例最久药店" in team and "示例次久药店" not in team
    assert "显示逾期最久的 1 项，共 2 项" in team


def test_an_officers_items_are_listed_earliest_first_however_many_they_have(
    client, officer, monkeypatch
):
    """An officer's items are read whole and ordered in Python (see due_items._items): the order
    and the count must be those of the SQL path."""
    monkeypatch.setattr("supervision.services.due_items.PAGE", 2)
    monkeypatch.setattr("supervision.services.due_items.COUNT_CAP", 2)
    user, inspector = officer
    for start, name in [
        (D(2025, 5, 6), "示例丙药店"),
        (D(2025, 1, 6), "示例甲药店"),
        (D(2025, 3, 3), "示例乙药店"),
    ]:
        planned(inspector, start=start, name=name)
    client.force_login(user)
    html = html_of(client.get(URL))
    assert html.index("示例甲药店") < html.index("示例乙药店")
    assert "示例丙药店" not in html
    assert "共 2 项以上" in html


def test_a_role_without_due_items_has_no_link_and_an_empty_page(client, auditor):
    TipFactory()
    client.force_login(auditor)
    assert f'href="{URL}"' not in html_of(client.get(reverse("facility-list")))
    response = client.get(URL)
    assert response.status_code == 200
    assert "没有逾期或即将到期的事项" in html_of(response)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_page_reads_a_constant_number_of_queries(client, officer):
    user, inspector = officer
    lead = UserFactory(username="lead", role=SUPERVISOR)

    def queries(who) -> int:
        client.force_login(who)
        client.get(URL)  # the session's first request writes it
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    planned(inspector, start=D(2025, 1, 6))
    ReferralFactory()
    few = (queries(user), queries(lead))
    for n in range(6):
        planned(inspector, start=D(2025, 1, 6 + n))
        ReferralFactory()
    assert (queries(user), queries(lead)) == few


def test_the_english_page_is_in_english(client, officer):
    user, inspector = officer
    planned(inspector, start=D(2025, 1, 6))
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = html_of(client.get(URL))
    assert "My work" in html
    assert "我的待办" not in html


@pytest.mark.parametrize("role", [INSPECTOR, SUPERVISOR])
def test_a_page_reads_the_users_roles_once(client, role):
    """The navigation's role label, the second factor and "my work" all ask for the roles."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = UserFactory(username="once", role=role)
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    # Besides Django's own read of the groups' permissions (once, cached on the user too).
    assert sum(query["sql"].startswith('SELECT "auth_group".') for query in captured) == 1


def test_a_user_object_whose_roles_change_reads_them_again(db):
    from supervision.scoping import group_names

    user = UserFactory(username="changing", role=INSPECTOR)
    assert group_names(user) == {INSPECTOR}
    user.groups.add(Group.objects.get(name=SUPERVISOR))
    assert group_names(user) == {INSPECTOR, SUPERVISOR}
    user.groups.clear()
    assert group_names(user) == frozenset()


@pytest.mark.parametrize(
    "name",
    ['<script>alert("x")</script>药店', '=HYPERLINK("http://x")', "'; DROP TABLE x; --"],
)
def test_hostile_names_are_shown_as_text_in_both_tables(client, officer, name):
    """The rows are made in Python (views.my_work.Rows), not by the template: every value must
    still be escaped, in the officer's table and the supervisor's team table."""
    _, inspector = officer
    planned(inspector, start=D(2025, 1, 6), name=name)
    lead = UserFactory(username="lead", role=SUPERVISOR)
    UserDistrictFactory(user=lead, district=District.CHENGGUAN)
    escaped = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = escaped.replace('"', "&quot;").replace("'", "&#x27;")
    for user, table in [(officer[0], "my-work"), (lead, "team-work")]:
        client.force_login(user)
        html = html_of(client.get(URL))
        body = html[html.index(f'id="{table}"') :]
        assert escaped in body
        assert "<script>alert" not in html
