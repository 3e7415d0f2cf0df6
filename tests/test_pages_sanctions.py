"""The sanction pages: list, record (one form for every kind), detail."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from supervision import services
from supervision.choices import Grade, SanctionKind
from supervision.models import Sanction
from tests.dbstate import snapshot
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
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
SUPERVISORS = {"supervisor", "superuser"}  # add_sanction
# (page, method) → who gets 200; the anonymous are sent to the login page, everyone else 403.
PAGES = {
    ("sanction-list", "get"): READERS,
    ("sanction-detail", "get"): READERS,
    ("sanction-create", "get"): SUPERVISORS,
    ("sanction-create", "post"): SUPERVISORS,
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
    return FacilityFactory(name="示例达孜药店", pharmacy=True, deposit=Decimal("80000.00"))


@pytest.mark.parametrize(("page", "method", "persona", "status"), CASES)
def test_each_persona_gets_the_expected_status_and_a_refused_write_saves_nothing(
    client, request, facility, page, method, persona, status
):
    sanction = SanctionFactory(facility=facility)
    sign_in(client, request, persona)
    url = reverse(page, args=[sanction.pk] if page == "sanction-detail" else [])
    before = snapshot()
    response = getattr(client, method)(url, {})
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    assert snapshot() == before


def post(target, kind, **fields) -> dict:
    data = {
        "facility": target.insurance_code,
        "kind": kind,
        "decided_on": "2025-03-25",
        "decision_number": "",
        "legal_basis": "",
        "starts_on": "",
        "ends_on": "",
        "deposit_percent": "",
        "amount": "",
        "rating_year": "",
        "inspection": "",
        "note": "",
    }
    data.update(fields)
    return data


# Each kind, through its service -----------------------------------------------------------


def test_a_suspension_writes_what_suspend_agreement_writes(client, supervisor, facility):
    rating = CreditRatingFactory(facility=facility, year=2024, grade=Grade.D)
    inspection = InspectionFactory(facility=facility)
    client.force_login(supervisor)  # signing in is an audit event of its own
    before = snapshot()
    with transaction.atomic():
        services.suspend_agreement(
            facility,
            starts_on=D(2025, 4, 1),
            ends_on=D(2025, 5, 31),
            decided_on=D(2025, 3, 25),
            decision_number="拉医保处〔2025〕3号",
            legal_basis="《拉萨市医疗保障信用评价管理办法》",
            inspection=inspection,
            rating=rating,
            user=supervisor,
        )
        by_service = new_rows(before, snapshot())
        transaction.set_rollback(True)

    response = client.post(
        reverse("sanction-create"),
        post(
            facility,
            SanctionKind.SUSPENSION,
            starts_on="2025-04-01",
            ends_on="2025-05-31",
            decision_number="拉医保处〔2025〕3号",
            legal_basis="《拉萨市医疗保障信用评价管理办法》",
            inspection=inspection.pk,
            rating_year="2024",
        ),
    )
    sanction = Sanction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == sanction.get_absolute_url()
    assert new_rows(before, snapshot()) == by_service
    assert (sanction.kind, sanction.starts_on, sanction.ends_on) == (
        SanctionKind.SUSPENSION,
        D(2025, 4, 1),
        D(2025, 5, 31),
    )
    assert (sanction.inspection, sanction.rating) == (inspection, rating)
    assert sanction.decision_number == "拉医保处〔2025〕3号"
    assert sanction.created_by == supervisor
    history = sanction.history.get()
    assert (history.history_user, history.history_change_reason) == (supervisor, "暂停医保服务协议")


def test_a_deposit_recovery_computes_the_amount_from_the_deposit(client, supervisor, facility):
    client.force_login(supervisor)
    response = client.post(
        reverse("sanction-create"),
        post(facility, SanctionKind.DEPOSIT_RECOVERY, deposit_percent="2.5"),
    )
    assert response.status_code == 302
    sanction = Sanction.objects.get()
    assert sanction.deposit_percent == Decimal("2.50")
    assert sanction.amount == Decimal("2000.00")
    assert "¥2,000.00" in html_of(client.get(sanction.get_absolute_url()))


@pytest.mark.parametrize("kind", [SanctionKind.FINE, SanctionKind.FUND_RECOVERY])
def test_a_fine_or_recovery_records_its_amount(client, supervisor, facility, kind):
    client.force_login(supervisor)
    client.post(reverse("sanction-create"), post(facility, kind, amount="15000.5"))
    sanction = Sanction.objects.get()
    assert (sanction.kind, sanction.amount) == (kind, Decimal("15000.50"))


def test_a_termination_takes_its_effective_date(client, supervisor, facility):
    client.force_login(supervisor)
    client.post(
        reverse("sanction-create"),
        post(facility, SanctionKind.TERMINATION, starts_on="2025-04-01"),
    )
    sanction = Sanction.objects.get()
    assert (sanction.kind, sanction.starts_on, sanction.ends_on) == (
        SanctionKind.TERMINATION,
        D(2025, 4, 1),
        None,
    )


def test_a_warning_records_what_was_said(client, supervisor, facility):
    client.force_login(supervisor)
    client.post(reverse("sanction-create"), post(facility, SanctionKind.WARNING, note="约谈负责人"))
    assert Sanction.objects.get().note == "约谈负责人"


def test_a_commendation_rests_on_the_a_rating_of_its_year(client, supervisor, facility):
    rating = CreditRatingFactory(facility=facility, year=2024, grade=Grade.A)
    client.force_login(supervisor)
    client.post(
        reverse("sanction-create"), post(facility, SanctionKind.COMMENDATION, rating_year="2024")
    )
    sanction = Sanction.objects.get()
    assert (sanction.kind, sanction.rating) == (SanctionKind.COMMENDATION, rating)


# Refusals ---------------------------------------------------------------------------------


REFUSALS = [
    (
        "suspension_over_12_months",
        dict(kind=SanctionKind.SUSPENSION, starts_on="2025-04-01", ends_on="2026-04-01"),
        "ends_on",
        "暂停期限最长12个月，截止日期最晚为2026-03-31。",
    ),
    (
        "suspension_end_before_start",
        dict(kind=SanctionKind.SUSPENSION, starts_on="2025-04-01", ends_on="2025-03-31"),
        "ends_on",
        "截止日期不能早于起始日期。",
    ),
    (
        "suspension_without_end",
        dict(kind=SanctionKind.SUSPENSION, starts_on="2025-04-01"),
        "ends_on",
        "暂停医保服务协议必须填写此项。",
    ),
    (
        "decided_after_start",
        dict(
            kind=SanctionKind.SUSPENSION,
            starts_on="2025-04-01",
            ends_on="2025-04-30",
            decided_on="2025-04-02",
        ),
        "decided_on",
        "决定日期不能晚于暂停起始日期。",
    ),
    (
        "percent_for_a_fine",
        dict(kind=SanctionKind.FINE, amount="100", deposit_percent="5"),
        "deposit_percent",
        "罚款不填写此项。",
    ),
    (
        "fine_without_amount",
        dict(kind=SanctionKind.FINE),
        "amount",
        "罚款必须填写此项。",
    ),
    ("letters_in_amount", dict(kind=SanctionKind.FINE, amount="五千"), "amount", "请输入金额数字"),
    (
        "zero_percent",
        dict(kind=SanctionKind.DEPOSIT_RECOVERY, deposit_percent="0"),
        "deposit_percent",
        "比例应大于0。",
    ),
    (
        "percent_over_100",
        dict(kind=SanctionKind.DEPOSIT_RECOVERY, deposit_percent="101"),
        "deposit_percent",
        "比例不能超过100。",
    ),
    (
        "warning_without_note",
        dict(kind=SanctionKind.WARNING, note="  "),
        "note",
        "约谈/责令改正必须填写此项。",
    ),
    (
        "commendation_without_a_rating",
        dict(kind=SanctionKind.COMMENDATION, rating_year="2024"),
        "rating_year",
        "只有2024年度评为A级的机构才能授牌。",
    ),
    (
        "bad_decision_date",
        dict(kind=SanctionKind.WARNING, note="x", decided_on="2025/3/25"),
        "decided_on",
        "请输入有效日期",
    ),
    (
        "long_decision_number",
        dict(kind=SanctionKind.WARNING, note="x", decision_number="号" * 61),
        "decision_number",
        "最多60个字符（当前61个）。",
    ),
    ("unknown_kind", dict(kind="jail"), "kind", "所选项无效。"),
    (
        "unknown_facility",
        dict(kind=SanctionKind.WARNING, note="x", facility="不存在的机构"),
        "facility",
        "未找到该机构",
    ),
]


@pytest.mark.parametrize(
    ("fields", "field", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_a_refused_sanction_shows_the_message_at_its_field_and_saves_nothing(
    client, supervisor, facility, fields, field, message
):
    client.force_login(supervisor)
    data = post(facility, **fields)
    before = snapshot()
    response = client.post(reverse("sanction-create"), data)
    assert response.status_code == 200
    assert message in field_block(html_of(response), field)
    assert snapshot() == before


def test_an_overlapping_suspension_is_refused(client, supervisor, facility):
    SanctionFactory(facility=facility, suspension=True)  # 2025-04-01 … 2025-05-31
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("sanction-create"),
        post(facility, SanctionKind.SUSPENSION, starts_on="2025-05-01", ends_on="2025-06-30"),
    )
    assert "已有暂停，期间不能重叠" in field_block(html_of(response), "starts_on")
    assert snapshot() == before


def test_an_inspection_of_another_facility_is_refused(client, supervisor, facility):
    elsewhere = InspectionFactory()
    client.force_login(supervisor)
    before = snapshot()
    # Opened for the facility (?facility=), the form offers its inspections in a select.
    response = client.post(
        f"{reverse('sanction-create')}?facility={facility.pk}",
        post(facility, SanctionKind.FINE, amount="100", inspection=elsewhere.pk),
    )
    assert "依据的检查不是对该机构的检查。" in field_block(html_of(response), "inspection")
    assert snapshot() == before
    # Opened without it, the field is hidden and the message goes on top of the form.
    response = client.post(
        reverse("sanction-create"),
        post(facility, SanctionKind.FINE, amount="100", inspection=elsewhere.pk),
    )
    top = html_of(response).split('id="field-')[0]
    assert "依据的检查不是对该机构的检查。" in top
    assert snapshot() == before


def test_a_deposit_recovery_without_a_deposit_is_refused(client, supervisor):
    insurer = FacilityFactory(insurer=True)
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("sanction-create"),
        post(
            insurer,
            SanctionKind.DEPOSIT_RECOVERY,
            facility=insurer.credit_code,
            deposit_percent="5",
        ),
    )
    assert "该机构没有登记医保保证金" in field_block(html_of(response), "deposit_percent")
    assert snapshot() == before


# The form without and with its script -----------------------------------------------------


def test_the_form_names_the_kinds_each_field_is_for_and_loads_no_inline_script(
    client, supervisor, facility
):
    client.force_login(supervisor)
    html = html_of(client.get(reverse("sanction-create"), {"facility": facility.pk}))
    assert re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html) is None
    assert " on" not in " ".join(re.findall(r"<[^>]+\son\w+=", html))
    assert 'src="/static/supervision/sanction_form.js"' in html
    assert 'data-kinds="suspension deposit_recovery commendation"' in field_block(
        html, "rating_year"
    )
    assert "适用：暂停医保服务协议、解除协议" in field_block(html, "starts_on")
    assert f'value="{facility.insurance_code}"' in field_block(html, "facility")


def test_opening_from_an_inspection_preselects_it_and_its_facility(client, supervisor, facility):
    inspection = InspectionFactory(facility=facility)
    client.force_login(supervisor)
    response = client.get(reverse("sanction-create"), {"inspection": inspection.pk})
    form = response.context["form"]
    assert form["facility"].value() == facility.insurance_code
    assert str(form["inspection"].value()) == str(inspection.pk)
    assert f'<option value="{inspection.pk}" selected>' in field_block(
        html_of(response), "inspection"
    )


# Detail -----------------------------------------------------------------------------------


def test_the_detail_page_shows_every_field_and_links(client, auditor, facility):
    inspection = InspectionFactory(facility=facility, completed=True)
    referral = ReferralFactory(inspection=inspection)
    rating = CreditRatingFactory(facility=facility, year=2024, grade=Grade.D)
    sanction = services.suspend_agreement(
        facility,
        starts_on=D(2025, 4, 1),
        ends_on=D(2025, 5, 31),
        decided_on=D(2025, 3, 25),
        decision_number="拉医保处〔2025〕3号",
        legal_basis="<i>条例</i>第三十八条",
        inspection=inspection,
        rating=rating,
        note="=恶意公式",
        user=None,
    )
    client.force_login(auditor)
    html = html_of(client.get(sanction.get_absolute_url()))
    for text in [
        facility.get_absolute_url(),
        "暂停医保服务协议",
        "2025-03-25",
        "2025-04-01",
        "2025-05-31",
        "拉医保处〔2025〕3号",
        "&lt;i&gt;条例&lt;/i&gt;第三十八条",
        "=恶意公式",
        inspection.get_absolute_url(),
        "2024年度 D级",
        referral.get_absolute_url(),
        'id="history"',
    ]:
        assert text in html, text


def test_the_detail_page_offers_recording_only_to_supervisors(client, request, facility):
    sanction = SanctionFactory(facility=facility)
    create = reverse("sanction-create")
    for persona, offered in [("supervisor", True), ("inspector", False), ("auditor", False)]:
        sign_in(client, request, persona)
        html = html_of(client.get(sanction.get_absolute_url()))
        assert (f"{create}?facility={facility.pk}" in html) is offered, persona


# The list ---------------------------------------------------------------------------------


def pks(response) -> list[int]:
    return [s.pk for s in response.context["object_list"]]


def test_the_list_issues_as_many_queries_for_50_rows_as_for_1(
    client, auditor, django_assert_num_queries
):
    SanctionFactory(inspection=InspectionFactory())
    client.force_login(auditor)
    url = reverse("sanction-list")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).context["object_list"]) == 1
    for _ in range(49):
        SanctionFactory(fine=True, inspection=InspectionFactory())
    with django_assert_num_queries(len(one)):
        assert len(client.get(url).context["object_list"]) == 50


def test_the_list_filters_by_kind_dates_facility_in_force_and_search(client, auditor, facility):
    today = timezone.localdate()
    suspension = SanctionFactory(
        facility=facility,
        suspension=True,
        decided_on=today - datetime.timedelta(days=10),
        starts_on=today - datetime.timedelta(days=5),
        ends_on=today + datetime.timedelta(days=5),
    )
    fine = SanctionFactory(fine=True, decided_on=D(2024, 6, 1))
    client.force_login(auditor)
    url = reverse("sanction-list")
    assert pks(client.get(url, {"kind": "fine"})) == [fine.pk]
    assert pks(client.get(url, {"kind": ["fine", "suspension"]})) == [suspension.pk, fine.pk]
    assert pks(client.get(url, {"decided_on_before": "2024-12-31"})) == [fine.pk]
    assert pks(client.get(url, {"decided_on_after": "2025-01-01"})) == [suspension.pk]
    assert pks(client.get(url, {"facility": facility.pk})) == [suspension.pk]
    assert pks(client.get(url, {"in_force": "true"})) == [suspension.pk]
    assert pks(client.get(url, {"q": "达孜"})) == [suspension.pk]


def test_the_list_shows_money_with_the_yuan_sign_and_separators(client, auditor, facility):
    SanctionFactory(facility=facility, fine=True, amount=Decimal("1234567.5"))
    client.force_login(auditor)
    assert "¥1,234,567.50" in html_of(client.get(reverse("sanction-list")))


def test_the_exports_neutralise_formulas_and_hold_only_the_filtered_rows(client, auditor):
    for n, text in enumerate(["=1+2", "+1", "-1", "@A1"]):
        SanctionFactory(facility=FacilityFactory(name=f"{text}医院{n}"), note=text)
    SanctionFactory(fine=True, note="不导出")
    client.force_login(auditor)
    url = reverse("sanction-list")
    response = client.get(url, {"kind": "warning", "export": "csv"})
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    header, body = rows[0], rows[1:]
    assert len(body) == 4
    assert all(r[header.index("机构")].startswith("'") for r in body)
    assert sorted(r[header.index("备注")] for r in body) == ["'+1", "'-1", "'=1+2", "'@A1"]
    assert "不导出" not in content
    response = client.get(url, {"kind": "warning", "export": "xlsx"})
    values = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(values) == 5
    note = values[0].index("备注")
    assert sorted(v[note] for v in values[1:]) == ["'+1", "'-1", "'=1+2", "'@A1"]
