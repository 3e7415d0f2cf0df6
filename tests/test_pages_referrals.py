"""The referral pages: refer an inspection, list, detail, move a referral through its statuses."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from supervision import services
from supervision.choices import Agency, InspectionStatus, ReferralStatus
from supervision.models import Referral
from tests.dbstate import snapshot, stored_version
from tests.factories import FacilityFactory, InspectionFactory, ReferralFactory, SanctionFactory
from tests.pages import html_of, sign_in

# Every test here uses the database, also those that take a persona by name: marked, they
# run with the other database tests, never on a database another test has flushed.
pytestmark = pytest.mark.django_db

D = datetime.date
PERSONAS = ["anonymous", "outsider", "inspector", "supervisor", "auditor", "superuser"]
READERS = {"inspector", "supervisor", "auditor", "superuser"}
SUPERVISORS = {"supervisor", "superuser"}  # add_referral / change_referral
# (page, method) → who gets 200; the anonymous are sent to the login page, everyone else 403.
PAGES = {
    ("referral-list", "get"): READERS,
    ("referral-detail", "get"): READERS,
    ("referral-move", "get"): SUPERVISORS,
    ("referral-move", "post"): SUPERVISORS,
    ("inspection-refer", "get"): SUPERVISORS,
    ("inspection-refer", "post"): SUPERVISORS,
}
CASES = [
    (page, method, persona, 302 if persona == "anonymous" else 200 if persona in ok else 403)
    for (page, method), ok in PAGES.items()
    for persona in PERSONAS
]


def field_block(html: str, field: str) -> str:
    block = html[html.index(f'id="field-{field}"') :]
    return re.split(r'id="field-|</form>', block[1:], maxsplit=1)[0]


def new_rows(before: dict, after: dict) -> dict[str, int]:
    return {table: len(after[table]) - len(before[table]) for table in after}


@pytest.fixture
def facility(db):
    return FacilityFactory(name="示例堆龙医院")


@pytest.fixture
def inspection(facility):
    return InspectionFactory(facility=facility, completed=True)


@pytest.fixture
def referral(inspection):
    return ReferralFactory(inspection=inspection)


@pytest.mark.parametrize(("page", "method", "persona", "status"), CASES)
def test_each_persona_gets_the_expected_status_and_a_refused_write_saves_nothing(
    client, request, referral, page, method, persona, status
):
    sign_in(client, request, persona)
    if page == "referral-list":
        url = reverse(page)
    elif page == "inspection-refer":
        url = reverse(page, args=[referral.inspection_id])
    else:
        url = reverse(page, args=[referral.pk])
    before = snapshot()
    response = getattr(client, method)(url, {})
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    assert snapshot() == before


# Referring --------------------------------------------------------------------------------


def test_referring_writes_what_refer_inspection_writes(client, supervisor, inspection):
    summary = "伪造、变造随货同行单，涉嫌诈骗医保基金。"
    client.force_login(supervisor)  # signing in is an audit event of its own
    before = snapshot()
    with transaction.atomic():
        services.refer_inspection(
            inspection,
            agency=Agency.POLICE,
            referred_on=D(2025, 3, 20),
            summary=summary,
            user=supervisor,
        )
        by_service = new_rows(before, snapshot())
        transaction.set_rollback(True)

    response = client.post(
        reverse("inspection-refer", args=[inspection.pk]),
        {"agency": Agency.POLICE, "referred_on": "2025-03-20", "summary": summary},
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == referral.get_absolute_url()
    assert new_rows(before, snapshot()) == by_service
    assert (referral.inspection, referral.agency, referral.status) == (
        inspection,
        Agency.POLICE,
        ReferralStatus.REFERRED,
    )
    assert referral.referred_on == D(2025, 3, 20)
    assert referral.summary == summary
    assert referral.created_by == supervisor
    history = referral.history.get()
    assert history.history_user == supervisor
    assert history.history_change_reason == "移送公安机关"


def test_an_agency_already_referred_to_is_not_offered_again(client, supervisor, referral):
    client.force_login(supervisor)
    url = reverse("inspection-refer", args=[referral.inspection_id])
    offered = [c[0] for c in client.get(url).context["form"].fields["agency"].choices]
    assert Agency.POLICE not in offered
    assert Agency.MARKET in offered
    before = snapshot()
    response = client.post(
        url, {"agency": Agency.POLICE, "referred_on": "2025-03-21", "summary": "再次移送"}
    )
    assert "所选项无效。" in field_block(html_of(response), "agency")
    assert snapshot() == before


REFER_REFUSALS = [
    ("no_summary", {"summary": "   "}, "summary", "请填写此项。"),
    ("before_inspection", {"referred_on": "2025-03-01"}, "referred_on", "移送日期不能早于"),
    ("bad_date", {"referred_on": "2025-13-01"}, "referred_on", "请输入有效日期"),
    ("long_summary", {"summary": "案" * 2001}, "summary", "最多2000个字符"),
    ("unknown_agency", {"agency": "army"}, "agency", "所选项无效。"),
]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [r[1:] for r in REFER_REFUSALS],
    ids=[r[0] for r in REFER_REFUSALS],
)
def test_a_refused_referral_shows_the_message_at_its_field_and_saves_nothing(
    client, supervisor, inspection, changes, field, message
):
    client.force_login(supervisor)
    data = {
        "agency": Agency.MARKET,
        "referred_on": "2025-03-20",
        "summary": "串换药品。",
        **changes,
    }
    before = snapshot()
    response = client.post(reverse("inspection-refer", args=[inspection.pk]), data)
    assert response.status_code == 200
    assert message in field_block(html_of(response), field)
    assert snapshot() == before


def test_a_planned_inspection_cannot_be_referred(client, supervisor, facility):
    planned = InspectionFactory(facility=facility, status=InspectionStatus.PLANNED)
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("inspection-refer", args=[planned.pk]),
        {"agency": Agency.POLICE, "referred_on": "2025-03-20", "summary": "x"},
        follow=True,
    )
    assert "计划中的检查尚无发现，不能移送。" in html_of(response)
    assert snapshot() == before


# Moving -----------------------------------------------------------------------------------


def test_only_the_allowed_next_statuses_are_offered(client, supervisor, referral):
    client.force_login(supervisor)
    url = reverse("referral-move", args=[referral.pk])
    form = client.get(url).context["form"]
    assert [c[0] for c in form.fields["status"].choices] == ["accepted", "declined"]
    assert "closed_on" not in form.fields
    referral.status, referral.decided_on = ReferralStatus.DECLINED, D(2025, 3, 25)
    referral.save()
    form = client.get(url).context["form"]
    assert [c[0] for c in form.fields["status"].choices] == ["closed"]
    assert "decided_on" not in form.fields and "case_number" not in form.fields


def test_accepting_needs_a_case_number(client, supervisor, referral):
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("referral-move", args=[referral.pk]),
        {"status": "accepted", "decided_on": "2025-03-25", "case_number": ""},
    )
    assert "立案时请填写立案编号。" in field_block(html_of(response), "case_number")
    assert snapshot() == before


def test_accepting_writes_what_move_referral_writes(client, supervisor, referral):
    client.force_login(supervisor)
    response = client.post(
        reverse("referral-move", args=[referral.pk]),
        {
            "status": "accepted",
            "decided_on": "2025-03-25",
            "case_number": "拉公（经）立字〔2025〕15号",
            "version": 1,
        },
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    assert referral.decided_on == D(2025, 3, 25)
    assert referral.case_number == "拉公（经）立字〔2025〕15号"
    latest = referral.history.latest("history_id")
    assert (latest.history_user, latest.history_change_reason) == (supervisor, "已立案")


def test_closing_needs_an_outcome_then_closes(client, supervisor, referral):
    services.move_referral(
        referral, to_status="accepted", on=D(2025, 3, 25), case_number="A-1", user=supervisor
    )
    client.force_login(supervisor)
    url = reverse("referral-move", args=[referral.pk])
    before = snapshot()
    response = client.post(url, {"status": "closed", "closed_on": "2025-06-30", "outcome": ""})
    assert "请填写此项。" in field_block(html_of(response), "outcome")
    assert snapshot() == before
    response = client.post(url, {"status": "closed", "closed_on": "2025-03-24", "outcome": "判决"})
    assert "结案日期不能早于立案/不予立案日期。" in field_block(html_of(response), "closed_on")
    assert snapshot() == before
    response = client.post(
        url,
        {
            "status": "closed",
            "closed_on": "2025-06-30",
            "outcome": "已判决，追回全部基金。",
            "version": stored_version(referral),
        },
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.closed_on) == (ReferralStatus.CLOSED, D(2025, 6, 30))
    assert referral.outcome == "已判决，追回全部基金。"


def test_skipping_a_status_is_refused(client, supervisor, referral):
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("referral-move", args=[referral.pk]),
        {"status": "closed", "decided_on": "2025-03-25", "outcome": "跳过"},
    )
    assert "所选项无效。" in field_block(html_of(response), "status")
    assert snapshot() == before


def test_a_closed_referral_sends_the_move_page_back(client, supervisor, referral):
    Referral.objects.filter(pk=referral.pk).update(
        status=ReferralStatus.CLOSED, decided_on=D(2025, 3, 25), closed_on=D(2025, 4, 1)
    )
    client.force_login(supervisor)
    response = client.get(reverse("referral-move", args=[referral.pk]), follow=True)
    assert response.redirect_chain[-1][0] == referral.get_absolute_url()
    assert "该移送已结案，状态不能再变更。" in html_of(response)


# Detail -----------------------------------------------------------------------------------


def test_the_detail_page_shows_the_referral_its_inspection_and_related_records(
    client, auditor, referral, facility
):
    other = ReferralFactory(inspection=referral.inspection, agency=Agency.MARKET)
    sanction = SanctionFactory(facility=facility, inspection=referral.inspection, fine=True)
    client.force_login(auditor)
    html = html_of(client.get(referral.get_absolute_url()))
    for text in [
        facility.name,
        facility.get_absolute_url(),
        referral.inspection.get_absolute_url(),
        "公安机关",
        "已移送",
        "2025-03-20",
        referral.summary,
        other.get_absolute_url(),
        sanction.get_absolute_url(),
        'id="history"',
    ]:
        assert text in html, text
    assert reverse("referral-move", args=[referral.pk]) not in html  # auditors move nothing


def test_hostile_case_numbers_are_shown_escaped(client, supervisor, referral):
    client.force_login(supervisor)
    client.post(
        reverse("referral-move", args=[referral.pk]),
        {"status": "accepted", "decided_on": "2025-03-25", "case_number": "<b>X</b>", "version": 1},
    )
    html = html_of(client.get(referral.get_absolute_url()))
    assert "<b>X</b>" not in html and "&lt;b&gt;X&lt;/b&gt;" in html


def test_an_over_long_case_number_is_refused(client, supervisor, referral):
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("referral-move", args=[referral.pk]),
        {"status": "accepted", "decided_on": "2025-03-25", "case_number": "号" * 61},
    )
    assert "最多60个字符（当前61个）。" in field_block(html_of(response), "case_number")
    assert snapshot() == before


# The list ---------------------------------------------------------------------------------


def pks(response) -> list[int]:
    return [r.pk for r in response.context["object_list"]]


def test_the_list_issues_as_many_queries_for_50_rows_as_for_1(
    client, auditor, django_assert_num_queries
):
    ReferralFactory()
    client.force_login(auditor)
    url = reverse("referral-list")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).context["object_list"]) == 1
    for _ in range(49):
        ReferralFactory()
    with django_assert_num_queries(len(one)):
        assert len(client.get(url).context["object_list"]) == 50


def test_the_list_filters_by_agency_status_dates_facility_and_search(client, auditor, facility):
    police = ReferralFactory(
        inspection=InspectionFactory(facility=facility, completed=True),
        referred_on=D(2025, 3, 20),
    )
    market = ReferralFactory(
        agency=Agency.MARKET,
        status=ReferralStatus.DECLINED,
        decided_on=D(2025, 5, 1),
        referred_on=D(2025, 4, 20),
    )
    client.force_login(auditor)
    url = reverse("referral-list")
    assert pks(client.get(url, {"agency": "police"})) == [police.pk]
    assert pks(client.get(url, {"status": "declined"})) == [market.pk]
    assert pks(client.get(url, {"status": ["declined", "referred"]})) == [market.pk, police.pk]
    assert pks(client.get(url, {"referred_on_after": "2025-04-01"})) == [market.pk]
    assert pks(client.get(url, {"referred_on_before": "2025-03-31"})) == [police.pk]
    assert pks(client.get(url, {"facility": facility.pk})) == [police.pk]
    assert pks(client.get(url, {"inspection": police.inspection_id})) == [police.pk]
    assert pks(client.get(url, {"q": "堆龙"})) == [police.pk]


def test_the_list_sorts_by_date_and_status(client, auditor):
    early = ReferralFactory(referred_on=D(2025, 3, 20))
    late = ReferralFactory(
        referred_on=D(2025, 4, 20), status=ReferralStatus.ACCEPTED, decided_on=D(2025, 4, 21)
    )
    client.force_login(auditor)
    url = reverse("referral-list")
    assert pks(client.get(url)) == [late.pk, early.pk]
    assert pks(client.get(url, {"ordering": "referred_on"})) == [early.pk, late.pk]
    assert pks(client.get(url, {"ordering": "status"})) == [
        late.pk,
        early.pk,
    ]  # accepted < referred


def test_the_exports_neutralise_formulas_and_hold_only_the_filtered_rows(client, auditor):
    for n, text in enumerate(["=1+2", "+1", "-1", "@A1"]):
        ReferralFactory(
            inspection=InspectionFactory(
                facility=FacilityFactory(name=f"{text}药店{n}"), completed=True
            ),
            summary=text,
        )
    ReferralFactory(agency=Agency.HEALTH, summary="不导出")
    client.force_login(auditor)
    url = reverse("referral-list")
    response = client.get(url, {"agency": "police", "export": "csv"})
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    header, body = rows[0], rows[1:]
    assert len(body) == 4
    assert all(r[header.index("机构")].startswith("'") for r in body)
    assert sorted(r[header.index("案情摘要")] for r in body) == ["'+1", "'-1", "'=1+2", "'@A1"]
    assert "不导出" not in content
    response = client.get(url, {"agency": "police", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 5
    summary = values[0].index("案情摘要")
    assert sorted(v[summary] for v in values[1:]) == ["'+1", "'-1", "'=1+2", "'@A1"]
