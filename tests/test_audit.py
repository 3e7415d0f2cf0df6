"""The audit log (/audit/): every change of the case records across the historical tables,
newest first, for auditors, supervisors and superusers (not inspectors); filtered by user, dates,
record type and action; exported as CSV or XLSX with formulas neutralised; paged without
counting the whole history."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from supervision.choices import Grade
from supervision.models import Facility, UserDistrict
from supervision.roles import AUDITOR, SUPERVISOR
from tests.api import client_for, if_match_for
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    ReferralFactory,
    SanctionFactory,
    UserFactory,
)
from tests.pages import html_of
from tests.test_admin_actions import CHANGELIST, REASON, action_post

pytestmark = pytest.mark.django_db

URL = reverse("audit")


def shown(response) -> list[tuple[str, object, str]]:
    """(record type, record id, action) of each change listed, in order (the audit events listed
    with them, such as the reader's own sign-in, are left out: tests/test_audit_events.py)."""
    return [
        (item.model._meta.model_name, item.record_id, item.entry.kind)
        for item in response.context["entries"]
        if item.event is None
    ]


# ------------------------------------------------------------------------ who may see it


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 302),
        ("outsider", 403),
        ("inspector", 403),
        ("tip_desk", 200),
        # The credit evaluator reads the history of the credit registries.
        ("evaluator", 200),
        ("supervisor", 200),
        ("auditor", 200),
        ("superuser", 200),
    ],
)
def test_who_may_open_the_audit_log(request, client, persona, status):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    response = client.get(URL)
    assert response.status_code == status
    if persona == "anonymous":
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "linked"),
    [
        ("inspector", False),
        ("evaluator", True),
        ("supervisor", True),
        ("auditor", True),
        ("superuser", True),
    ],
)
def test_the_navigation_links_the_audit_log_only_for_those_who_may_open_it(
    request, client, persona, linked
):
    client.force_login(request.getfixturevalue(persona))
    html = html_of(client.get(reverse("dashboard")))
    assert (f'href="{URL}"' in html) is linked


def test_asking_who_may_read_history_builds_no_history_manager(inspector, monkeypatch):
    """Every page's navigation asks it of each audited record type; reading a model's `history`
    builds a manager class each time (the cost once was 17 ms a page for an inspector)."""
    from simple_history.manager import HistoryDescriptor

    from supervision.audit import can_audit

    built = []
    original = HistoryDescriptor.__get__

    def counting(self, instance, owner):
        built.append(owner)
        return original(self, instance, owner)

    can_audit(inspector)  # the first question of a process may look each model up once
    monkeypatch.setattr(HistoryDescriptor, "__get__", counting)
    assert can_audit(inspector) is False
    assert built == []


# ------------------------------------------------------------------------------ contents


def test_it_lists_changes_of_every_record_type_newest_first_with_who_and_what(
    client, auditor, supervisor
):
    facility = FacilityFactory(name="示例审计医院")
    rating = CreditRatingFactory(facility=facility, grade=Grade.B)
    inspection = InspectionFactory(facility=facility)
    referral = ReferralFactory(inspection=InspectionFactory(facility=facility, completed=True))
    sanction = SanctionFactory(facility=facility)
    facility._history_user = supervisor
    facility.note = "补充说明"
    facility.save()
    client.force_login(auditor)
    response = client.get(URL)
    rows = shown(response)
    assert rows[0] == ("facility", facility.pk, "~")
    assert {("creditrating", rating.pk), ("inspection", inspection.pk)} <= {r[:2] for r in rows}
    assert {("referral", referral.pk), ("sanction", sanction.pk)} <= {r[:2] for r in rows}
    whens = [item.entry.when for item in response.context["entries"]]
    assert whens == sorted(whens, reverse=True)
    html = html_of(response)
    assert "备注：— → 补充说明" in html and "supervisor" in html
    assert facility.get_absolute_url() in html


def test_bulk_admin_changes_and_api_writes_appear_in_the_log(client, auditor, supervisor):
    rated = CreditRatingFactory.create_batch(2, grade=Grade.B, facility__pharmacy=True)
    client.force_login(supervisor)
    client.post(
        CHANGELIST,
        action_post(
            "set_grade_for_year",
            [r.facility for r in rated],
            year=2024,
            grade="D",
            reason=REASON,
            confirm_downgrade="on",
        ),
    )
    inspection = InspectionFactory()
    path = f"/api/inspections/{inspection.pk}/"
    api = client_for(supervisor).patch(
        path, {"findings": "接口写入的发现"}, format="json", **if_match_for(path)
    )
    assert api.status_code == 200
    client.force_login(auditor)
    html = html_of(client.get(URL, {"user": supervisor.pk}))
    assert html.count("信用等级：B级 → D级") == 2 and REASON in html
    assert "检查发现：— → 接口写入的发现" in html


def test_a_deletion_in_the_admin_is_listed_with_its_action(client, superuser, auditor):
    facility = FacilityFactory(name="示例待删除机构")
    client.force_login(superuser)
    client.post(reverse("admin:supervision_facility_delete", args=[facility.pk]), {"post": "yes"})
    assert not Facility.objects.filter(pk=facility.pk).exists()
    client.force_login(auditor)
    response = client.get(URL, {"action": ["-"]})
    assert shown(response) == [("facility", facility.pk, "-")]
    assert "示例待删除机构" in html_of(response)  # named as it was, though gone
    assert facility.get_absolute_url() not in html_of(response)


# ------------------------------------------------------------------------------- filters


@pytest.fixture
def changes(supervisor, auditor):
    """A facility created by the system, edited by the supervisor on 2025-03-10; a sanction
    recorded by the supervisor."""
    facility = FacilityFactory()
    facility._history_user = supervisor
    facility.note = "三月的修改"
    facility.save()
    march = timezone.make_aware(datetime.datetime(2025, 3, 10, 10, 0))
    facility.history.filter(version=2).update(history_date=march)
    sanction = SanctionFactory(facility=facility)
    sanction.history.update(history_user=supervisor)
    return facility, sanction


def test_it_filters_by_user(client, auditor, supervisor, changes):
    facility, sanction = changes
    client.force_login(auditor)
    rows = shown(client.get(URL, {"user": supervisor.pk}))
    assert sorted(rows) == sorted([("facility", facility.pk, "~"), ("sanction", sanction.pk, "+")])


def test_it_filters_by_date_range_inclusive(client, auditor, changes):
    facility, _ = changes
    client.force_login(auditor)
    rows = shown(client.get(URL, {"since": "2025-03-10", "until": "2025-03-10"}))
    assert rows == [("facility", facility.pk, "~")]
    assert shown(client.get(URL, {"since": "2025-03-11", "until": "2025-03-31"})) == []


def test_it_filters_by_record_type_and_action(client, auditor, changes):
    facility, sanction = changes
    client.force_login(auditor)
    assert shown(client.get(URL, {"record_type": ["sanction"]})) == [("sanction", sanction.pk, "+")]
    assert shown(client.get(URL, {"record_type": ["facility"], "action": ["~"]})) == [
        ("facility", facility.pk, "~")
    ]


def test_an_invalid_filter_shows_its_error_and_no_rows(client, auditor, changes):
    client.force_login(auditor)
    response = client.get(URL, {"since": "2025-04-01", "until": "2025-03-01"})
    assert response.status_code == 200
    assert response.context["entries"] == []
    assert "截止日期不能早于起始日期。" in html_of(response)
    assert shown(client.get(URL, {"action": ["x"]})) == []


def test_a_district_limited_auditor_sees_the_changes_of_their_districts_only(client, db):
    limited = UserFactory(username="limited", role=AUDITOR)
    UserDistrict.objects.create(user=limited, district="540103")
    mine = FacilityFactory(district="540103")
    FacilityFactory(district="540102")
    client.force_login(limited)
    assert shown(client.get(URL)) == [("facility", mine.pk, "+")]


# -------------------------------------------------------------------------------- export


def test_the_csv_export_has_what_the_filters_select_with_formulas_neutralised(
    client, auditor, supervisor
):
    facility = FacilityFactory()
    facility._history_user = supervisor
    facility._change_reason = '=HYPERLINK("http://x")'
    facility.note = "补充"
    facility.save()
    FacilityFactory()  # created by the system: filtered out by user
    client.force_login(auditor)
    response = client.get(URL, {"user": supervisor.pk, "export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header == [
        "时间",
        "用户",
        "姓名",
        "操作",
        "记录类型",
        "记录编号",
        "记录",
        "变更内容",
        "原因",
    ]
    (row,) = rows
    assert row[1:] == [
        "supervisor",
        "",
        "修改",
        "定点医药机构",
        str(facility.pk),
        facility.name,
        "备注：— → 补充",
        '\'=HYPERLINK("http://x")',
    ]


def test_the_xlsx_export_neutralises_a_change_reason_that_looks_like_a_formula(client, auditor):
    facility = FacilityFactory()
    facility._change_reason = "=1+1"
    facility.note = "x"
    facility.save()
    client.force_login(auditor)
    response = client.get(URL, {"action": ["~"], "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [cell.value for cell in sheet[2]]
    assert "'=1+1" in values
    assert sheet.max_row == 2


def test_an_inspector_cannot_export_the_log(client, inspector):
    client.force_login(inspector)
    assert client.get(URL, {"export": "csv"}).status_code == 403


# ---------------------------------------------------------------------------- pagination


def test_a_page_costs_the_same_queries_for_one_change_and_for_fifty(client, auditor):
    InspectionFactory()
    client.force_login(auditor)
    changes_only = {"action": ["+", "~", "-"]}  # not the reader's sign-in (an event)
    with CaptureQueriesContext(connection) as few:
        client.get(URL, changes_only)
    for _ in range(30):
        InspectionFactory()  # a facility, an inspection and its inspectors each
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL, changes_only)
    assert len(response.context["entries"]) == 50
    assert len(many) == len(few)


def test_the_count_stops_at_the_cap_and_says_there_are_more(client, auditor, monkeypatch):
    # The cap is computed by supervision.pagination.count_cap (shared with the other lists).
    monkeypatch.setattr("supervision.pagination.COUNT_CAP", 3)
    monkeypatch.setattr("supervision.views.audit.PER_PAGE", 2)
    monkeypatch.setattr("supervision.pagination.PAGES_AHEAD", 0)
    FacilityFactory.create_batch(6)
    client.force_login(auditor)
    response = client.get(URL)
    assert response.context["paginator"].capped
    assert "超过 3 条" in html_of(response)
    assert len(response.context["entries"]) == 2


def test_supervisors_see_the_same_log_as_auditors(client, auditor):
    other = UserFactory(username="zhuoma", role=SUPERVISOR)
    FacilityFactory.create_batch(2)
    client.force_login(auditor)
    seen_by_auditor = shown(client.get(URL))
    client.force_login(other)
    assert shown(client.get(URL)) == seen_by_auditor
