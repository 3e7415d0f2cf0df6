"""The audit log's filters: extreme, reversed and malformed values get a clear message and no
rows (never a server error, on the page or in an export); the filters by event action, by record
(type + id) and by facility."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supervision import services
from supervision.choices import AuditAction
from supervision.services.audit_events import record_event
from tests.evidence import upload
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    ReferralFactory,
    SanctionFactory,
)
from tests.pages import html_of

pytestmark = pytest.mark.django_db

URL = reverse("audit")
HUGE = "9" * 30
OUT_OF_RANGE = "日期须在1900-01-01至2100-12-31之间。"


@pytest.fixture
def reader(client, auditor):
    FacilityFactory()
    client.force_login(auditor)
    return client


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"until": "9999-12-31"}, OUT_OF_RANGE),
        ({"since": "0001-01-01"}, OUT_OF_RANGE),
        ({"since": "0001-01-01", "until": "9999-12-31"}, OUT_OF_RANGE),
        ({"since": "2101-01-01"}, OUT_OF_RANGE),
        ({"until": "1899-12-31"}, OUT_OF_RANGE),
        ({"since": "2025-04-01", "until": "2025-03-01"}, "截止日期不能早于起始日期。"),
        ({"since": "10000-01-01"}, "请输入有效日期"),
        ({"since": "2025-02-30"}, "请输入有效日期"),
        ({"until": "yesterday"}, "请输入有效日期"),
        ({"since": "2025-03-01\x00"}, "请输入有效日期"),
        ({"user": "abc"}, "所选用户不存在。"),
        ({"user": HUGE}, "所选用户不存在。"),
        ({"user": "-1"}, "所选用户不存在。"),
        ({"record_type": ["nothing"]}, "所选项无效。"),
        ({"action": ["drop table"]}, "所选项无效。"),
        ({"record_type": ["inspection"], "record_id": "abc"}, "记录编号须为正整数。"),
        ({"record_type": ["inspection"], "record_id": "0"}, "记录编号须为正整数。"),
        ({"record_type": ["inspection"], "record_id": HUGE}, "记录编号过大。"),
        ({"record_id": "12"}, "按记录编号筛选时，请只选择一种记录类型。"),
        (
            {"record_type": ["inspection", "sanction"], "record_id": "12"},
            "按记录编号筛选时，请只选择一种记录类型。",
        ),
        ({"facility": "x1"}, "机构编号须为正整数。"),
        ({"facility": HUGE}, "机构编号过大。"),
    ],
)
def test_a_bad_filter_shows_a_clear_message_and_no_rows(reader, query, message):
    response = reader.get(URL, query)
    assert response.status_code == 200
    assert response.context["entries"] == []
    assert message in html_of(response)


@pytest.mark.parametrize(
    "query",
    [
        {"until": "9999-12-31"},
        {"since": "0001-01-01"},
        {"since": "2025-04-01", "until": "2025-03-01"},
        {"user": HUGE},
        {"facility": HUGE},
    ],
)
@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_an_export_with_a_bad_filter_has_the_header_only(reader, query, export):
    response = reader.get(URL, {**query, "export": export})
    assert response.status_code == 200
    if export == "csv":
        lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("时间,")


@pytest.mark.parametrize("page", ["abc", "-3", "0", HUGE, "1e9", "9223372036854775808"])
def test_any_page_number_shows_a_page(reader, page):
    response = reader.get(URL, {"page": page})
    assert response.status_code == 200
    assert response.context["entries"]


def test_the_widest_accepted_range_still_lists_everything(reader):
    response = reader.get(URL, {"since": "1900-01-01", "until": "2100-12-31"})
    assert response.status_code == 200
    assert [item.entry.kind for item in response.context["entries"]][-1] == "+"


# ------------------------------------------------------------------------------ actions


def test_it_filters_by_an_event_action_and_by_kinds_of_change_and_events_together(client, auditor):
    facility = FacilityFactory()
    record_event(AuditAction.SIGN_IN_FAILED, username="guess")
    client.force_login(auditor)
    failed = client.get(URL, {"action": [AuditAction.SIGN_IN_FAILED]}).context["entries"]
    assert [(item.entry.kind, item.username) for item in failed] == [("sign_in_failed", "guess")]
    both = client.get(URL, {"action": ["+", AuditAction.SIGN_IN]}).context["entries"]
    assert [item.entry.kind for item in both] == ["sign_in", "+"]
    assert both[1].record == facility


# ------------------------------------------------------------------------------ record


def test_it_filters_by_record_its_changes_and_its_evidence_events(
    client, auditor, supervisor, media
):
    inspection = InspectionFactory()
    other = InspectionFactory(facility=inspection.facility)
    inspection.findings = "补充"
    inspection.save()
    evidence = services.attach_evidence(inspection, upload("现场.pdf"), user=supervisor)
    record_event(
        AuditAction.EVIDENCE_DOWNLOADED,
        user=auditor,
        record=inspection,
        summary=evidence.original_name,
    )
    record_event(AuditAction.EVIDENCE_DOWNLOADED, user=auditor, record=other)
    client.force_login(auditor)
    response = client.get(URL, {"record_type": ["inspection"], "record_id": inspection.pk})
    rows = [(item.entry.kind, item.record_id) for item in response.context["entries"]]
    assert rows == [
        ("evidence_downloaded", inspection.pk),
        ("~", inspection.pk),
        ("+", inspection.pk),
    ]
    assert "现场.pdf" in html_of(response)


def test_a_record_filter_on_a_record_with_no_rows_shows_none(client, auditor):
    FacilityFactory()
    client.force_login(auditor)
    response = client.get(URL, {"record_type": ["facility"], "record_id": 987654})
    assert response.status_code == 200 and response.context["entries"] == []


# ----------------------------------------------------------------------------- facility


def test_it_filters_by_facility_everything_about_it_and_nothing_else(
    client, auditor, supervisor, media
):
    facility = FacilityFactory()
    rating = CreditRatingFactory(facility=facility)
    inspection = InspectionFactory(facility=facility)
    referral = ReferralFactory(inspection=InspectionFactory(facility=facility, completed=True))
    sanction = SanctionFactory(facility=facility)
    evidence = services.attach_evidence(sanction, upload(), user=supervisor)
    record_event(
        AuditAction.EVIDENCE_UPLOADED,
        user=supervisor,
        record=sanction,
        detail={"evidence": evidence.pk},
    )
    elsewhere = InspectionFactory()
    ReferralFactory(inspection=InspectionFactory(facility=elsewhere.facility, completed=True))
    record_event(AuditAction.EVIDENCE_DOWNLOADED, user=supervisor, record=elsewhere)
    record_event(AuditAction.SIGN_IN, user=supervisor)
    client.force_login(auditor)
    response = client.get(URL, {"facility": facility.pk})
    seen = {(item.model._meta.model_name, item.record_id) for item in response.context["entries"]}
    assert seen == {
        ("facility", facility.pk),
        ("creditrating", rating.pk),
        ("inspection", inspection.pk),
        ("inspection", referral.inspection_id),
        ("referral", referral.pk),
        ("sanction", sanction.pk),
    }
    kinds = [item.entry.kind for item in response.context["entries"]]
    assert kinds.count("evidence_uploaded") == 1 and "sign_in" not in kinds
    assert "evidence_downloaded" not in kinds


def test_a_facility_filter_keeps_the_history_of_a_deleted_facility(client, superuser, auditor):
    facility = FacilityFactory(name="示例已删除机构")
    pk = facility.pk
    facility.delete()
    client.force_login(auditor)
    response = client.get(URL, {"facility": pk})
    assert [item.entry.kind for item in response.context["entries"]] == ["-", "+"]
    assert "示例已删除机构" in html_of(response)


# ------------------------------------------------------------- links from a record's page


def test_a_records_history_links_to_its_entries_in_the_log(client, auditor):
    inspection = InspectionFactory()
    client.force_login(auditor)
    html = html_of(client.get(inspection.get_absolute_url()))
    link = f"{URL}?record_type=inspection&amp;record_id={inspection.pk}"
    assert f'href="{link}"' in html and "在审计中查看" in html
    response = client.get(URL, {"record_type": "inspection", "record_id": inspection.pk})
    assert {item.record_id for item in response.context["entries"]} == {inspection.pk}


def test_a_facilitys_history_links_to_everything_about_it_in_the_log(client, auditor):
    facility = FacilityFactory()
    client.force_login(auditor)
    html = html_of(client.get(facility.get_absolute_url()))
    assert f'href="{URL}?facility={facility.pk}"' in html


def test_an_inspector_sees_no_link_to_the_log(client, inspector):
    inspection = InspectionFactory()
    client.force_login(inspector)
    assert "在审计中查看" not in html_of(client.get(inspection.get_absolute_url()))
