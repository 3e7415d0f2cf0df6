"""The rectification orders' pages (责令整改): who may open which form, which buttons the
inspection page offers in each state of an order, the forms doing their step when submitted as
shown, bad, hostile and stale input changing nothing, and the order on the facility's page."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from supervision.choices import District, InspectionKind, RectificationStatus, Violation
from supervision.models import Inspection, Rectification
from supervision.services import rectifications as service
from tests.dbstate import snapshot, stored_version
from tests.factories import (
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    RectificationFactory,
    UserDistrictFactory,
    UserFactory,
)
from tests.pages import html_of, sign_in

pytestmark = pytest.mark.django_db

D = datetime.date
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
WRITERS = {"inspector", "supervisor", "superuser"}
HOSTILE = "<script>alert(1)</script>"


def completed_with_violation(**kwargs) -> Inspection:
    inspection = InspectionFactory(completed=True, **kwargs)
    inspection.violations.set([Violation.OVERCHARGING])
    return inspection


@pytest.fixture
def world(db):
    """A completed inspection that found a violation (no order yet), and orders in each state."""
    return SimpleNamespace(
        found=completed_with_violation(facility=FacilityFactory(name="示例整改医院")),
        ordered=RectificationFactory(),
        reported=RectificationFactory(reported=True),
        confirmed=RectificationFactory(confirmed=True),
        not_done=RectificationFactory(not_done=True),
    )


def _url(name: str, world) -> str:
    return {
        "rectification-create": f"{reverse('rectification-create')}?inspection={world.found.pk}",
        "rectification-report": reverse("rectification-report", args=[world.ordered.pk]),
        "rectification-follow-up": reverse("rectification-follow-up", args=[world.reported.pk]),
    }[name]


FORMS = ["rectification-create", "rectification-report", "rectification-follow-up"]


def form_data(response, **fill) -> dict:
    """The form's fields as the page shows them (hidden version included), with fill."""
    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, list):
            data[name] = [str(v) for v in value]
            continue
        data[name] = "" if value is None else field.widget.format_value(value) or value
    return {k: v for k, v in (data | fill).items() if v is not None}


# --- who may open what ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", FORMS)
def test_each_form_opens_only_for_those_who_make_and_follow_up_orders(
    client, request, world, persona, name
):
    user = sign_in(client, request, persona)
    response = client.get(_url(name, world))
    if user is None:
        assert response.status_code == 302
        assert reverse("login") in response["Location"]
    elif persona in WRITERS:
        assert response.status_code == 200, html_of(response)[:500]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("persona", ["outsider", "auditor", "evaluator", "tip_desk"])
@pytest.mark.parametrize("name", FORMS)
def test_no_one_else_can_post_any_form(client, request, world, persona, name):
    sign_in(client, request, persona)
    before = snapshot()
    data = {
        "requirement": "整改",
        "workdays": "20",
        "ordered_on": "2025-03-14",
        "reported_on": "2025-04-01",
        "report": "已整改",
        "checked_on": "2025-04-15",
        "done": "true",
        "outcome": "到位",
        "version": "1",
    }
    assert client.post(_url(name, world), data).status_code == 403
    assert snapshot() == before


def test_the_order_form_needs_an_inspection_the_user_may_see(client, supervisor, world):
    client.force_login(supervisor)
    assert client.get(reverse("rectification-create")).status_code == 404
    assert client.get(reverse("rectification-create"), {"inspection": "x"}).status_code == 404
    assert client.get(reverse("rectification-create"), {"inspection": 999999}).status_code == 404
    UserDistrictFactory(user=supervisor, district=District.DAGZE)
    assert client.get(_url("rectification-create", world)).status_code == 404


# --- the buttons of the inspection page ---------------------------------------------------------


def buttons(client, inspection) -> set[str]:
    html = html_of(client.get(inspection.get_absolute_url()))
    section = re.search(r'<section class="card" id="rectification">(.*?)</section>', html, re.S)
    if section is None:
        return {"no section"}
    return set(re.findall(r'<a class="button[^"]*" href="([^"]+)"', section.group(1)))


def test_a_completed_inspection_with_problems_offers_the_order_to_who_may_order(
    client, inspector, auditor, world
):
    create = _url("rectification-create", world)
    client.force_login(inspector)
    assert buttons(client, world.found) == {create}
    client.force_login(auditor)
    assert buttons(client, world.found) == set()


@pytest.mark.parametrize(
    "make",
    [
        lambda: InspectionFactory(completed=True),
        lambda: InspectionFactory(amount_involved=Decimal("100")),
    ],
    ids=["nothing-found", "in-progress"],
)
def test_no_order_is_offered_without_problems_found_or_before_completion(client, supervisor, make):
    inspection = make()
    client.force_login(supervisor)
    assert buttons(client, inspection) == set()
    assert "尚未责令整改。" in html_of(client.get(inspection.get_absolute_url()))
    response = client.get(reverse("rectification-create"), {"inspection": inspection.pk})
    assert response.status_code == 302
    assert response["Location"] == inspection.get_absolute_url()


def test_an_amount_involved_alone_makes_the_order_available(client, supervisor):
    inspection = InspectionFactory(completed=True, amount_involved=Decimal("0.01"))
    client.force_login(supervisor)
    assert buttons(client, inspection) == {
        f"{reverse('rectification-create')}?inspection={inspection.pk}"
    }


def test_an_open_order_offers_its_report_and_follow_up(client, inspector, auditor, world):
    report = reverse("rectification-report", args=[world.ordered.pk])
    check = reverse("rectification-follow-up", args=[world.ordered.pk])
    client.force_login(inspector)
    assert buttons(client, world.ordered.inspection) == {report, check}
    assert buttons(client, world.reported.inspection) == {
        reverse("rectification-follow-up", args=[world.reported.pk])
    }
    assert buttons(client, world.confirmed.inspection) == set()
    client.force_login(auditor)
    assert buttons(client, world.ordered.inspection) == set()


def test_an_order_not_carried_out_offers_a_sanction_on_the_follow_up(
    client, supervisor, inspector, world
):
    sanction = f"{reverse('sanction-create')}?inspection={world.not_done.follow_up_id}"
    client.force_login(supervisor)
    assert buttons(client, world.not_done.inspection) == {sanction}
    html = html_of(client.get(world.not_done.inspection.get_absolute_url()))
    assert world.not_done.follow_up.get_absolute_url() in html
    assert "整改不到位" in html
    client.force_login(inspector)  # may not record sanctions
    assert buttons(client, world.not_done.inspection) == set()


def test_the_section_shows_the_order_and_the_follow_up_links_back(client, auditor, world):
    client.force_login(auditor)
    html = html_of(client.get(world.confirmed.inspection.get_absolute_url()))
    assert world.confirmed.requirement in html
    assert str(world.confirmed.due_on) in html
    assert 'class="badge status-confirmed"' in html
    assert world.confirmed.report in html and world.confirmed.outcome in html
    back = html_of(client.get(world.confirmed.follow_up.get_absolute_url()))
    assert world.confirmed.get_absolute_url() in back


def test_a_reader_of_inspections_without_the_orders_permission_sees_no_section(client, world):
    reader = UserFactory(username="reader")
    reader.user_permissions.add(
        Permission.objects.get(content_type__app_label="supervision", codename="view_inspection")
    )
    client.force_login(reader)
    html = html_of(client.get(world.ordered.inspection.get_absolute_url()))
    assert 'id="rectification"' not in html and world.ordered.requirement not in html
    assert client.get(_url("rectification-report", world)).status_code == 403


def test_the_order_is_on_the_facility_page_and_its_timeline(client, auditor, world):
    client.force_login(auditor)
    html = html_of(client.get(world.ordered.facility.get_absolute_url()))
    section = re.search(r'id="rectifications">(.*?)</section>', html, re.S).group(1)
    assert world.ordered.get_absolute_url() in section
    timeline = re.search(r'id="timeline">(.*?)</section>', html, re.S).group(1)
    assert world.ordered.get_absolute_url() in timeline


def test_the_inspection_page_shows_the_orders_history(client, auditor, supervisor):
    inspection = completed_with_violation()
    rect = service.order_rectification(
        inspection, requirement="整改。", workdays=5, ordered_on=D(2025, 3, 14), user=supervisor
    )
    service.record_report(
        rect, reported_on=D(2025, 3, 17), report="已整改。", user=supervisor, version=rect.version
    )
    client.force_login(auditor)
    history = html_of(client.get(inspection.get_absolute_url())).split('id="history"')[1]
    assert "收到整改报告" in history and "下达责令整改" in history


# --- the forms ----------------------------------------------------------------------------------


def test_the_order_form_as_shown_orders_with_the_default_period(client, inspector, world):
    client.force_login(inspector)
    url = _url("rectification-create", world)
    opened = client.get(url)
    data = form_data(opened, requirement=f"整改：{HOSTILE}")
    assert data["workdays"] == "20"

    response = client.post(url, data)

    assert response.status_code == 302
    assert response["Location"] == world.found.get_absolute_url() + "#rectification"
    rect = Rectification.objects.get(inspection=world.found)
    assert (rect.status, rect.workdays, rect.created_by) == (
        RectificationStatus.ORDERED,
        20,
        inspector,
    )
    page = html_of(client.get(response["Location"]))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and HOSTILE not in page


def test_the_report_form_as_shown_records_the_report(client, inspector, world):
    client.force_login(inspector)
    url = _url("rectification-report", world)
    data = form_data(client.get(url), report="已完成整改。\r\n附整改报告。")

    assert client.post(url, data).status_code == 302

    world.ordered.refresh_from_db()
    assert world.ordered.status == RectificationStatus.REPORTED
    assert world.ordered.report == "已完成整改。\n附整改报告。"


def test_the_follow_up_form_starts_with_the_inspections_officers_and_records_it(
    client, inspector, world
):
    officer = InspectorFactory(user=inspector)
    client.force_login(inspector)
    url = _url("rectification-follow-up", world)
    opened = client.get(url)
    ticked = {int(pk) for pk in opened.context["form"]["inspectors"].value()}
    crew = set(world.reported.inspection.inspectors.values_list("pk", flat=True))
    assert ticked == crew | {officer.pk}
    data = form_data(opened, done="false", outcome="仍未退回多收费用。")

    response = client.post(url, data)

    assert response.status_code == 302, html_of(response)[:2000]
    world.reported.refresh_from_db()
    assert world.reported.status == RectificationStatus.NOT_DONE
    follow_up = world.reported.follow_up
    assert follow_up.kind == InspectionKind.FOLLOWUP
    assert set(follow_up.inspectors.values_list("pk", flat=True)) == ticked


BAD_INPUT = {
    "rectification-create": [
        {"requirement": "", "workdays": "20", "ordered_on": "2025-03-14"},
        {"requirement": "字" * 2001, "workdays": "20", "ordered_on": "2025-03-14"},
        {"requirement": "整改", "workdays": "0", "ordered_on": "2025-03-14"},
        {"requirement": "整改", "workdays": "181", "ordered_on": "2025-03-14"},
        {"requirement": "整改", "workdays": "二十", "ordered_on": "2025-03-14"},
        {"requirement": "整改", "workdays": "20", "ordered_on": "2025-03-01"},
        {"requirement": "整改", "workdays": "20", "ordered_on": "14/03/2025"},
        {"requirement": "整改\x00", "workdays": "20", "ordered_on": "2025-03-14"},
    ],
    "rectification-report": [
        {"reported_on": "2025-04-01", "report": ""},
        {"reported_on": "2025-03-13", "report": "已整改"},
        {"reported_on": "2999-01-01", "report": "已整改"},
        {"reported_on": "2025-04-01", "report": "字" * 2001},
        {"reported_on": "2025-04-01", "report": "已整改", "version": ""},
    ],
    "rectification-follow-up": [
        {"checked_on": "2025-04-15", "done": "", "outcome": "到位"},
        {"checked_on": "2025-04-15", "done": "maybe", "outcome": "到位"},
        {"checked_on": "2025-04-15", "done": "true", "outcome": ""},
        {"checked_on": "2025-03-31", "done": "true", "outcome": "到位"},
        {"checked_on": "2025-04-15", "done": "true", "outcome": "到位", "inspectors": []},
        {"checked_on": "2025-04-15", "done": "true", "outcome": "到位", "inspectors": ["x"]},
    ],
}
BAD_CASES = [(name, data) for name, cases in BAD_INPUT.items() for data in cases]
BAD_IDS = [f"{name}-{i}" for i, (name, _data) in enumerate(BAD_CASES)]


@pytest.mark.parametrize(
    ("name", "bad"), BAD_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD_CASES)]
)
def test_every_form_refuses_bad_input_and_changes_nothing(client, supervisor, world, name, bad):
    client.force_login(supervisor)
    url = _url(name, world)
    data = form_data(client.get(url), **bad)
    before = snapshot()

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert "未保存" in html_of(response)
    assert snapshot() == before


def test_a_report_on_a_stale_page_is_refused_with_the_conflict(client, supervisor, world):
    client.force_login(supervisor)
    url = _url("rectification-report", world)
    data = form_data(client.get(url), report="已整改。")
    Rectification.objects.get(pk=world.ordered.pk).save()  # saved by someone else meanwhile
    before = snapshot()

    response = client.post(url, data)

    assert response.status_code == 409
    assert snapshot() == before
    assert stored_version(world.ordered) == int(data["version"]) + 1


@pytest.mark.parametrize(
    ("name", "record"),
    [
        ("rectification-report", "reported"),
        ("rectification-report", "confirmed"),
        ("rectification-follow-up", "not_done"),
    ],
)
def test_a_step_the_order_is_past_sends_back_to_the_inspection(
    client, supervisor, world, name, record
):
    rect = getattr(world, record)
    client.force_login(supervisor)
    before = snapshot()
    for response in (
        client.get(reverse(name, args=[rect.pk])),
        client.post(reverse(name, args=[rect.pk]), {"report": "x", "outcome": "x"}),
    ):
        assert response.status_code == 302
        assert response["Location"] == rect.get_absolute_url()
    assert snapshot() == before


def test_a_second_order_is_refused_from_a_stale_page(client, supervisor, world):
    client.force_login(supervisor)
    url = _url("rectification-create", world)
    data = form_data(client.get(url), requirement="整改。")
    assert client.post(url, data).status_code == 302
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 302  # refused before the form: the page says why
    assert snapshot() == before
    assert Rectification.objects.filter(inspection=world.found).count() == 1
