"""The inspection pages: list, record, detail, edit, complete (referral pages: their own file)."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from supervision import services
from supervision.choices import Agency, InspectionKind, InspectionStatus, Violation
from supervision.forms.inspections import InspectionForm
from supervision.models import Inspection, Inspector
from tests.dbstate import snapshot, stored_version
from tests.factories import (
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    ReferralFactory,
    SanctionFactory,
)
from tests.pages import html_of, sign_in

# Every test here uses the database, also those that take a persona by name: marked, they
# run with the other database tests, never on a database another test has flushed.
pytestmark = pytest.mark.django_db

D = datetime.date
PERSONAS = ["anonymous", "outsider", "inspector", "supervisor", "auditor", "superuser"]
READERS = {"inspector", "supervisor", "auditor", "superuser"}
RECORDERS = {"inspector", "supervisor", "superuser"}  # add_inspection / change_inspection
# (page, method) → who gets 200; the anonymous are sent to the login page, everyone else 403.
PAGES = {
    ("inspection-list", "get"): READERS,
    ("inspection-detail", "get"): READERS,
    ("inspection-create", "get"): RECORDERS,
    ("inspection-create", "post"): RECORDERS,
    ("inspection-edit", "get"): RECORDERS,
    ("inspection-edit", "post"): RECORDERS,
    ("inspection-complete", "get"): RECORDERS,
    ("inspection-complete", "post"): RECORDERS,
}
CASES = [
    (page, method, persona, 302 if persona == "anonymous" else 200 if persona in ok else 403)
    for (page, method), ok in PAGES.items()
    for persona in PERSONAS
]


def field_block(html: str, field: str) -> str:
    """The markup of one form field: its label, input and messages."""
    block = html[html.index(f'id="field-{field}"') :]
    return re.split(r'id="field-|</form>', block[1:], maxsplit=1)[0]


@pytest.fixture
def facility(db):
    return FacilityFactory(name="示例城关医院")


@pytest.fixture
def inspection(facility):
    return InspectionFactory(facility=facility, kind=InspectionKind.ROUTINE)


@pytest.fixture
def team(db):
    return InspectorFactory.create_batch(3)


@pytest.mark.parametrize(("page", "method", "persona", "status"), CASES)
def test_each_persona_gets_the_expected_status_and_a_refused_write_saves_nothing(
    client, request, inspection, page, method, persona, status
):
    sign_in(client, request, persona)
    url = reverse(
        page, args=[] if page in ("inspection-list", "inspection-create") else [inspection.pk]
    )
    before = snapshot()
    response = getattr(client, method)(url, {})
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    assert snapshot() == before  # an empty form is refused, and so is anyone without the right


# Recording --------------------------------------------------------------------------------


def valid_post(target, team, **changes) -> dict:
    data = {
        "facility": target.insurance_code,
        "kind": InspectionKind.JOINT,
        "status": InspectionStatus.IN_PROGRESS,
        "start_date": "2025-03-10",
        "end_date": "",
        "inspectors": [team[0].pk, team[1].pk],
        "partner_agencies": [Agency.POLICE],
        "violations": [Violation.FORGED_DELIVERY_NOTES, Violation.FALSE_CLAIMS],
        "findings": "随货同行单与入库记录不符。",
        "amount_involved": "125000.50",
        "amount_recovered": "20000",
    }
    data.update(changes)
    return data


def new_rows(before: dict, after: dict) -> dict[str, int]:
    return {table: len(after[table]) - len(before[table]) for table in after}


def test_recording_an_inspection_writes_what_record_inspection_writes(
    client, inspector, facility, team
):
    client.force_login(inspector)  # signing in is an audit event of its own
    before = snapshot()
    with transaction.atomic():
        services.record_inspection(
            facility=facility,
            kind=InspectionKind.JOINT,
            status=InspectionStatus.IN_PROGRESS,
            start_date=D(2025, 3, 10),
            inspectors=team[:2],
            partner_agencies=[Agency.POLICE],
            violations=[Violation.FORGED_DELIVERY_NOTES, Violation.FALSE_CLAIMS],
            findings="随货同行单与入库记录不符。",
            amount_involved=Decimal("125000.50"),
            amount_recovered=Decimal("20000"),
            user=inspector,
        )
        by_service = new_rows(before, snapshot())
        transaction.set_rollback(True)

    response = client.post(reverse("inspection-create"), valid_post(facility, team))
    inspection = Inspection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inspection-detail", args=[inspection.pk])
    assert new_rows(before, snapshot()) == by_service
    assert inspection.facility == facility
    assert inspection.kind == InspectionKind.JOINT
    assert inspection.status == InspectionStatus.IN_PROGRESS
    assert inspection.start_date == D(2025, 3, 10) and inspection.end_date is None
    assert set(inspection.inspectors.all()) == set(team[:2])
    assert list(inspection.partner_agencies.values_list("code", flat=True)) == [Agency.POLICE]
    assert set(inspection.violations.values_list("code", flat=True)) == {
        Violation.FORGED_DELIVERY_NOTES,
        Violation.FALSE_CLAIMS,
    }
    assert inspection.amount_involved == Decimal("125000.50")
    assert inspection.amount_recovered == Decimal("20000.00")
    assert inspection.created_by == inspector
    assert {h.history_user for h in inspection.history.all()} == {inspector}
    assert "检查已登记" in html_of(client.get(response["Location"]))


@pytest.mark.parametrize(
    "lookup", ["insurance_code", "credit_code", "name"], ids=["insurance", "credit", "name"]
)
def test_the_facility_is_found_by_either_code_or_its_full_name(
    client, inspector, facility, team, lookup
):
    client.force_login(inspector)
    value = getattr(facility, lookup).lower() if lookup != "name" else facility.name
    client.post(reverse("inspection-create"), valid_post(facility, team, facility=value))
    assert Inspection.objects.get().facility == facility


def test_a_name_shared_by_two_facilities_asks_for_a_code(client, inspector, facility, team):
    FacilityFactory(name=facility.name)
    client.force_login(inspector)
    before = snapshot()
    response = client.post(
        reverse("inspection-create"), valid_post(facility, team, facility=facility.name)
    )
    assert "有多个机构叫这个名称" in field_block(html_of(response), "facility")
    assert snapshot() == before


def test_the_create_page_preselects_the_facility_given_in_the_address(client, inspector, facility):
    client.force_login(inspector)
    html = html_of(client.get(reverse("inspection-create"), {"facility": facility.pk}))
    assert f'value="{facility.insurance_code}"' in field_block(html, "facility")
    assert "已选：示例城关医院" in field_block(html, "facility")


def test_only_active_inspectors_are_offered(client, inspector, team):
    retired = InspectorFactory(name="退休检查员", is_active=False)
    client.force_login(inspector)
    form = client.get(reverse("inspection-create")).context["form"]
    offered = set(form.fields["inspectors"].queryset)
    assert offered == set(team)
    assert retired not in offered


# Refusals: a message in Chinese next to the field, nothing saved ---------------------------


REFUSALS = [
    ("end_before_start", {"end_date": "2025-03-09"}, "end_date", "结束日期不能早于开始日期。"),
    ("one_inspector_on_site", {"inspectors": ["{0}"]}, "inspectors", "现场检查至少需要2名"),
    ("letters_in_amount", {"amount_involved": "十二万"}, "amount_involved", "请输入金额数字"),
    ("negative_amount", {"amount_involved": "-5"}, "amount_involved", "金额不能为负数。"),
    ("three_decimals", {"amount_involved": "1.005"}, "amount_involved", "金额最多两位小数。"),
    ("huge_amount", {"amount_involved": "1" * 15}, "amount_involved", "金额过大"),
    (
        "recovered_over_involved",
        {"amount_recovered": "200000"},
        "amount_recovered",
        "追回金额不能大于涉及金额。",
    ),
    ("bad_date", {"start_date": "2025-02-30"}, "start_date", "请输入有效日期"),
    ("date_in_words", {"start_date": "三月十日"}, "start_date", "请输入有效日期"),
    ("missing_date", {"start_date": ""}, "start_date", "请填写此项。"),
    ("unknown_facility", {"facility": "H54010299999"}, "facility", "未找到该机构"),
    ("long_findings", {"findings": "查" * 5001}, "findings", "最多5000个字符（当前5001个）。"),
    ("unknown_kind", {"kind": "raid"}, "kind", "所选项无效。"),
    ("completed_on_create", {"status": "completed"}, "status", "所选项无效。"),
]


@pytest.mark.parametrize(
    ("changes", "field", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_a_refused_inspection_shows_the_message_at_its_field_and_saves_nothing(
    client, inspector, facility, team, changes, field, message
):
    changes = {
        k: [v.format(team[0].pk) for v in value] if isinstance(value, list) else value
        for k, value in changes.items()
    }
    client.force_login(inspector)
    before = snapshot()
    response = client.post(reverse("inspection-create"), valid_post(facility, team, **changes))
    assert response.status_code == 200
    assert snapshot() == before
    assert any(message in error for error in response.context["form"].errors[field])
    assert message in field_block(html_of(response), field)


def test_a_self_inspection_needs_no_inspectors(client, inspector, facility, team):
    client.force_login(inspector)
    data = valid_post(facility, team, kind=InspectionKind.SELF, inspectors=[])
    assert client.post(reverse("inspection-create"), data).status_code == 302
    assert Inspection.objects.get().inspectors.count() == 0


def test_hostile_text_is_stored_as_typed_and_shown_escaped(
    client, inspector, auditor, facility, team
):
    hostile = (
        "<script>alert('x')</script>\n"
        '=HYPERLINK("http://evil")\n'
        "'; DROP TABLE supervision_inspection; --"
    )
    client.force_login(inspector)
    client.post(reverse("inspection-create"), valid_post(facility, team, findings=hostile))
    inspection = Inspection.objects.get()
    assert inspection.findings == hostile
    client.force_login(auditor)
    html = html_of(client.get(inspection.get_absolute_url()))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "DROP TABLE supervision_inspection" in html


# Editing ----------------------------------------------------------------------------------


def edit_post(inspection: Inspection, **changes) -> dict:
    data = {
        "kind": inspection.kind,
        "status": inspection.status,
        "start_date": inspection.start_date.isoformat(),
        "end_date": inspection.end_date.isoformat() if inspection.end_date else "",
        "inspectors": [i.pk for i in inspection.inspectors.all()],
        "partner_agencies": [],
        "violations": [],
        "findings": inspection.findings,
        "amount_involved": str(inspection.amount_involved),
        "amount_recovered": str(inspection.amount_recovered),
        "version": stored_version(inspection),
    }
    data.update(changes)
    return data


def test_editing_saves_fields_and_inspectors_with_history_of_the_user(
    client, inspector, inspection, team
):
    client.force_login(inspector)
    history_before = inspection.history.count()
    response = client.post(
        reverse("inspection-edit", args=[inspection.pk]),
        edit_post(
            inspection,
            findings="复核后补充：串换药品。",
            inspectors=[t.pk for t in team],
            violations=[Violation.SUBSTITUTION],
        ),
    )
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.findings == "复核后补充：串换药品。"
    assert set(inspection.inspectors.all()) == set(team)
    assert list(inspection.violations.values_list("code", flat=True)) == [Violation.SUBSTITUTION]
    new = inspection.history.order_by("-history_id")[: inspection.history.count() - history_before]
    assert new and {h.history_user for h in new} == {inspector}


def test_editing_down_to_one_inspector_is_refused_and_changes_nothing(
    client, inspector, inspection
):
    client.force_login(inspector)
    before = snapshot()
    keep = inspection.inspectors.first()
    response = client.post(
        reverse("inspection-edit", args=[inspection.pk]),
        edit_post(inspection, inspectors=[keep.pk], findings="改了"),
    )
    assert response.status_code == 200
    assert "现场检查至少需要2名检查人员，当前为1名。" in field_block(
        html_of(response), "inspectors"
    )
    assert snapshot() == before


def test_an_edit_is_atomic_with_its_inspectors(client, inspector, inspection, team):
    client.force_login(inspector)
    before = snapshot()
    with (
        mock.patch.object(InspectionForm, "_save_m2m", side_effect=RuntimeError("m2m failed")),
        pytest.raises(RuntimeError),
    ):
        client.post(
            reverse("inspection-edit", args=[inspection.pk]),
            edit_post(inspection, findings="不应保存", inspectors=[t.pk for t in team]),
        )
    assert snapshot() == before


def test_an_edit_keeps_an_inactive_inspector_already_on_the_inspection(
    client, inspector, inspection
):
    retired = inspection.inspectors.first()
    Inspector.objects.filter(pk=retired.pk).update(is_active=False)
    client.force_login(inspector)
    response = client.post(
        reverse("inspection-edit", args=[inspection.pk]), edit_post(inspection, findings="补充")
    )
    assert response.status_code == 302
    assert retired in inspection.inspectors.all()


def test_the_facility_of_an_inspection_cannot_be_changed(client, inspector, inspection):
    other = FacilityFactory()
    client.force_login(inspector)
    client.post(
        reverse("inspection-edit", args=[inspection.pk]),
        edit_post(inspection, facility=other.insurance_code),
    )
    inspection.refresh_from_db()
    assert inspection.facility_id != other.pk


# Completing -------------------------------------------------------------------------------


def test_completing_writes_what_complete_inspection_writes(client, inspector, inspection):
    client.force_login(inspector)
    response = client.post(
        reverse("inspection-complete", args=[inspection.pk]),
        {"end_date": "2025-03-12", "findings": "已责令整改。", "version": 1},
    )
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.COMPLETED
    assert inspection.end_date == D(2025, 3, 12)
    assert inspection.findings == "已责令整改。"
    latest = inspection.history.latest("history_id")
    assert latest.history_user == inspector
    assert latest.history_change_reason == "检查完成"


def test_completing_before_the_start_is_refused_at_the_end_date(client, inspector, inspection):
    client.force_login(inspector)
    before = snapshot()
    response = client.post(
        reverse("inspection-complete", args=[inspection.pk]), {"end_date": "2025-03-01"}
    )
    assert "结束日期不能早于开始日期。" in field_block(html_of(response), "end_date")
    assert snapshot() == before


def test_a_completed_inspection_sends_the_complete_page_back_with_a_message(
    client, inspector, facility
):
    done = InspectionFactory(facility=facility, completed=True)
    client.force_login(inspector)
    before = snapshot()
    response = client.post(
        reverse("inspection-complete", args=[done.pk]), {"end_date": "2025-03-20"}, follow=True
    )
    assert response.redirect_chain[-1][0] == done.get_absolute_url()
    assert "该检查已完成。" in html_of(response)
    assert snapshot() == before


# The detail page --------------------------------------------------------------------------


def test_the_detail_page_shows_every_field_and_the_related_records(client, auditor, facility, team):
    inspection = InspectionFactory(
        facility=facility,
        completed=True,
        inspectors=team[:2],
        findings="发现伪造随货同行单。",
        amount_involved=Decimal("1234567.8"),
        amount_recovered=Decimal("1000"),
    )
    inspection.partner_agencies.set([Agency.POLICE])
    inspection.violations.set([Violation.FORGED_DELIVERY_NOTES])
    referral = ReferralFactory(inspection=inspection)
    sanction = SanctionFactory(facility=facility, inspection=inspection, fine=True)
    client.force_login(auditor)
    html = html_of(client.get(inspection.get_absolute_url()))
    for text in [
        facility.name,
        facility.get_absolute_url(),
        "日常检查",
        "已完成",
        "2025-03-10",
        "2025-03-12",
        team[0].name,
        team[1].name,
        "公安机关",
        "伪造变造随货同行单",
        "发现伪造随货同行单。",
        "¥1,234,567.80",
        "¥1,000.00",
        referral.get_absolute_url(),
        sanction.get_absolute_url(),
        "¥5,000.00",
    ]:
        assert text in html, text


ACTIONS = {
    "inspection-edit": "编辑",
    "inspection-complete": "完成检查",
    "inspection-refer": "移送",
    "sanction-create": "登记处理措施",
}


@pytest.mark.parametrize(
    ("persona", "shown"),
    [
        ("inspector", {"inspection-edit", "inspection-complete"}),
        ("supervisor", set(ACTIONS)),
        ("auditor", set()),
    ],
)
def test_the_detail_page_offers_only_the_actions_the_role_may_take(
    client, request, inspection, persona, shown
):
    sign_in(client, request, persona)
    html = html_of(client.get(inspection.get_absolute_url()))
    actions = re.search(r'<div class="actions">(.*?)</div>', html, re.S).group(1)
    offered = {
        name
        for name in ACTIONS
        if reverse(name, args=[inspection.pk] if name != "sanction-create" else []) in actions
    }
    assert offered == shown


def test_the_history_shows_who_changed_what_from_and_to(client, inspector, auditor, inspection):
    client.force_login(inspector)
    client.post(
        reverse("inspection-edit", args=[inspection.pk]),
        edit_post(inspection, findings="第二次复核", amount_involved="3000"),
    )
    client.force_login(auditor)
    html = html_of(client.get(inspection.get_absolute_url()))
    history = html[html.index('id="history"') :]
    assert "inspector" in history
    assert re.search(r"检查发现</td><td[^>]*>—</td><td[^>]*>第二次复核", history)
    assert re.search(r"涉及金额（元）</td><td[^>]*>¥0.00</td><td[^>]*>¥3,000.00", history)


def test_the_history_shows_the_latest_50_changes_in_a_fixed_number_of_queries(
    client, auditor, inspection, django_assert_num_queries
):
    client.force_login(auditor)
    url = inspection.get_absolute_url()
    with CaptureQueriesContext(connection) as few:
        assert "只显示最近" not in html_of(client.get(url))
    for n in range(60):
        inspection.findings = f"第{n}次修改"
        inspection.save()
    with django_assert_num_queries(len(few)):
        response = client.get(url)
    history = response.context["history"]
    assert len(history) == 50 and history.truncated
    assert "第59次修改" in html_of(response) and "只显示最近 50 条变更。" in html_of(response)


def test_an_inspector_without_the_history_permission_sees_no_history(client, inspector, inspection):
    client.force_login(inspector)
    assert 'id="history"' not in html_of(client.get(inspection.get_absolute_url()))


def test_a_missing_inspection_is_a_404(client, auditor):
    client.force_login(auditor)
    assert client.get(reverse("inspection-detail", args=[999999])).status_code == 404


# The list ---------------------------------------------------------------------------------


def pks(response) -> list[int]:
    return [i.pk for i in response.context["object_list"]]


def test_the_list_issues_as_many_queries_for_50_rows_as_for_1(
    client, auditor, django_assert_num_queries
):
    first = InspectionFactory()
    first.partner_agencies.set([Agency.POLICE])
    first.violations.set([Violation.OVERCHARGING])
    client.force_login(auditor)
    url = reverse("inspection-list")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).context["object_list"]) == 1
    for _ in range(49):
        more = InspectionFactory()
        more.partner_agencies.set([Agency.MARKET])
        more.violations.set([Violation.FALSE_CLAIMS])
    with django_assert_num_queries(len(one)):
        assert len(client.get(url).context["object_list"]) == 50


def test_the_list_filters_by_kind_status_dates_agency_facility_and_search(
    client, auditor, facility
):
    joint = InspectionFactory(
        facility=facility, kind=InspectionKind.JOINT, start_date=D(2025, 1, 5)
    )
    joint.partner_agencies.set([Agency.POLICE])
    flying = InspectionFactory(
        kind=InspectionKind.UNANNOUNCED,
        start_date=D(2025, 2, 5),
        completed=True,
        end_date=D(2025, 2, 6),
    )
    routine = InspectionFactory(
        kind=InspectionKind.ROUTINE, start_date=D(2024, 12, 5), status=InspectionStatus.PLANNED
    )
    client.force_login(auditor)
    url = reverse("inspection-list")
    assert pks(client.get(url, {"kind": "joint"})) == [joint.pk]
    assert pks(client.get(url, {"kind": ["joint", "unannounced"]})) == [flying.pk, joint.pk]
    assert pks(client.get(url, {"status": "completed"})) == [flying.pk]
    assert pks(client.get(url, {"status": "planned"})) == [routine.pk]
    assert pks(client.get(url, {"start_date_after": "2025-01-01"})) == [flying.pk, joint.pk]
    assert pks(client.get(url, {"start_date_before": "2024-12-31"})) == [routine.pk]
    assert pks(client.get(url, {"agency": "police"})) == [joint.pk]
    assert pks(client.get(url, {"facility": facility.pk})) == [joint.pk]
    assert pks(client.get(url, {"q": "城关医院"})) == [joint.pk]


def test_a_facility_filter_shows_as_a_chip_that_can_be_removed(
    client, auditor, inspection, facility
):
    client.force_login(auditor)
    html = html_of(
        client.get(reverse("inspection-list"), {"facility": facility.pk, "kind": "routine"})
    )
    chip = re.search(r'<span class="chip">(.*?)</span>', html, re.S).group(1)
    assert facility.name in chip
    assert 'href="?kind=routine"' in chip
    assert f'<input type="hidden" name="facility" value="{facility.pk}">' in html


def test_a_malformed_filter_shows_its_error_and_no_rows(client, auditor, inspection):
    client.force_login(auditor)
    response = client.get(reverse("inspection-list"), {"start_date_after": "去年"})
    assert response.status_code == 200
    assert pks(response) == []
    assert "filter-errors" in html_of(response)


def test_the_list_sorts_by_the_column_headers(client, auditor):
    b = InspectionFactory(facility=FacilityFactory(name="示例B医院"), start_date=D(2025, 2, 1))
    a = InspectionFactory(facility=FacilityFactory(name="示例A医院"), start_date=D(2025, 1, 1))
    client.force_login(auditor)
    url = reverse("inspection-list")
    assert pks(client.get(url)) == [b.pk, a.pk]  # newest first
    assert pks(client.get(url, {"ordering": "start_date"})) == [a.pk, b.pk]
    response = client.get(url, {"ordering": "facility"})
    assert pks(response) == [a.pk, b.pk]
    assert 'href="?ordering=-facility" class="sorted"' in html_of(response)
    assert pks(client.get(url, {"ordering": "-facility"})) == [b.pk, a.pk]


def test_the_list_is_paginated_by_50(client, auditor):
    InspectionFactory.create_batch(51, inspectors=[])
    client.force_login(auditor)
    assert len(client.get(reverse("inspection-list")).context["object_list"]) == 50
    assert len(client.get(reverse("inspection-list"), {"page": 2}).context["object_list"]) == 1


FORMULAS = ["=1+2", "+SUM(A1:A2)", "-2+3", "@cmd"]


def test_the_csv_export_neutralises_formulas_and_holds_only_the_filtered_rows(client, auditor):
    for n, text in enumerate(FORMULAS):
        InspectionFactory(
            facility=FacilityFactory(name=f"{text}医院{n}"),
            kind=InspectionKind.JOINT,
            findings=text,
        )
    InspectionFactory(facility=FacilityFactory(name="示例不导出医院"), kind=InspectionKind.ROUTINE)
    client.force_login(auditor)
    response = client.get(reverse("inspection-list"), {"kind": "joint", "export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    header, body = rows[0], rows[1:]
    assert len(body) == len(FORMULAS)
    facility_col, findings_col = header.index("被检查机构"), header.index("检查发现")
    assert sorted(r[facility_col] for r in body) == sorted(
        f"'{t}医院{n}" for n, t in enumerate(FORMULAS)
    )
    assert sorted(r[findings_col] for r in body) == sorted(f"'{t}" for t in FORMULAS)
    assert "示例不导出医院" not in content


def test_the_xlsx_export_neutralises_formulas_and_holds_only_the_filtered_rows(
    client, auditor, facility
):
    InspectionFactory(
        facility=FacilityFactory(name='=HYPERLINK("http://x")'),
        findings="@SUM(1)",
        kind=InspectionKind.JOINT,
    )
    InspectionFactory(facility=facility, kind=InspectionKind.ROUTINE)
    client.force_login(auditor)
    response = client.get(reverse("inspection-list"), {"kind": "joint", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert len(rows) == 2
    row = rows[1]
    assert row[header.index("被检查机构")] == '\'=HYPERLINK("http://x")'
    assert row[header.index("检查发现")] == "'@SUM(1)"
    assert all(cell.data_type != "f" for cell in next(sheet.iter_rows(min_row=2, max_row=2)))
