"""The facility changelist's bulk actions: confirm, validate, write all or nothing."""

from __future__ import annotations

import datetime

import pytest

from supervision.choices import Grade, SanctionKind
from supervision.models import CreditRating, Facility, RatingChange, Sanction
from tests.admin_support import admin_url
from tests.factories import CreditRatingFactory, FacilityFactory, SanctionFactory

pytestmark = pytest.mark.django_db

CHANGELIST = admin_url(Facility, "changelist")
REASON = "2024年度信用评价结果公示期满，无异议。"


def action_post(action: str, facilities, **fields) -> dict:
    data = {"action": action, "_selected_action": [str(f.pk) for f in facilities]}
    if fields:
        data["confirm"] = "yes"
        data.update({k: str(v) for k, v in fields.items()})
    return data


@pytest.fixture
def pharmacies():
    return FacilityFactory.create_batch(3, pharmacy=True)


# ------------------------------------------------------------------ set grade


def test_set_grade_asks_for_confirmation_listing_the_facilities(client, supervisor, pharmacies):
    client.force_login(supervisor)
    response = client.post(CHANGELIST, action_post("set_grade_for_year", pharmacies))
    assert response.status_code == 200
    assert response.templates[0].name == "admin/supervision/facility/bulk_action.html"
    page = response.content.decode()
    for facility in pharmacies:
        assert facility.name in page
    assert 'name="action" value="set_grade_for_year"' in page
    assert 'name="bulk_selection"' in page  # the listed facilities, as one signed field
    assert "csrfmiddlewaretoken" in page
    assert "调整原因" in page
    assert CreditRating.objects.count() == 0


def test_set_grade_without_a_reason_says_so_in_chinese_and_writes_nothing(
    client, supervisor, pharmacies
):
    client.force_login(supervisor)
    data = action_post("set_grade_for_year", pharmacies, year=2024, grade="D", reason="  ")
    response = client.post(CHANGELIST, data)
    assert response.status_code == 200
    assert "请填写调整原因。" in response.content.decode()
    assert CreditRating.objects.count() == 0
    assert RatingChange.objects.count() == 0


def test_set_grade_refuses_a_year_that_has_not_begun(client, supervisor, pharmacies):
    client.force_login(supervisor)
    data = action_post("set_grade_for_year", pharmacies, year=2999, grade="D", reason=REASON)
    response = client.post(CHANGELIST, data)
    assert "不能评价尚未开始的年度" in response.content.decode()
    assert CreditRating.objects.count() == 0


def test_set_grade_writes_one_change_and_one_history_row_per_facility_with_user_and_reason(
    client, supervisor, pharmacies
):
    already_d = FacilityFactory(pharmacy=True)
    CreditRatingFactory(facility=already_d, year=2024, grade=Grade.D)
    was_b = CreditRatingFactory(facility=pharmacies[0], year=2024, grade=Grade.B)
    history_before = was_b.history.count()
    client.force_login(supervisor)

    data = action_post(
        "set_grade_for_year",
        [*pharmacies, already_d],
        year=2024,
        grade="D",
        reason=REASON,
        confirm_downgrade="on",
    )
    response = client.post(CHANGELIST, data, follow=True)

    page = response.content.decode()
    assert "已为3家机构设定2024年度信用等级为D级" in page
    assert already_d.name in page  # reported as skipped
    changes = RatingChange.objects.filter(changed_by=supervisor, reason=REASON)
    assert changes.count() == 3
    assert {c.rating.facility_id for c in changes} == {f.pk for f in pharmacies}
    assert changes.get(rating=was_b).from_grade == Grade.B
    for facility in pharmacies:
        rating = CreditRating.objects.get(facility=facility, year=2024)
        assert rating.grade == Grade.D
        new_rows = rating.history.order_by("history_date")[
            history_before if rating == was_b else 0 :
        ]
        assert len(new_rows) == 1
        assert new_rows[0].history_user == supervisor
        assert new_rows[0].history_change_reason == REASON
    for change in changes:
        (row,) = change.history.all()
        assert (row.history_user, row.history_change_reason) == (supervisor, REASON)
    # The facility already at D: untouched, no RatingChange.
    assert not RatingChange.objects.filter(rating__facility=already_d).exists()


def test_set_grade_is_not_carried_out_for_an_inspector(client, inspector, pharmacies):
    client.force_login(inspector)
    data = action_post("set_grade_for_year", pharmacies, year=2024, grade="D", reason=REASON)
    client.post(CHANGELIST, data)
    assert CreditRating.objects.count() == 0


# ------------------------------------------------------------------ suspend

START = datetime.date(2025, 4, 1)


def suspension(**overrides) -> dict:
    fields = {
        "starts_on": START,
        "ends_on": datetime.date(2025, 5, 31),
        "decided_on": datetime.date(2025, 3, 20),
        "decision_number": "拉医保协〔2025〕7号",
        "legal_basis": "《拉萨市医疗保障信用评价管理办法》",
    }
    fields.update(overrides)
    return fields


def test_suspend_asks_for_confirmation(client, supervisor, pharmacies):
    client.force_login(supervisor)
    response = client.post(CHANGELIST, action_post("suspend_agreements", pharmacies))
    assert response.status_code == 200
    page = response.content.decode()
    assert "暂停医保服务协议" in page and "文书编号" in page
    assert all(f.name in page for f in pharmacies)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_on": datetime.date(2025, 3, 31)}, "截止日期不能早于起始日期。"),
        ({"ends_on": datetime.date(2026, 4, 1)}, "暂停期限最长12个月，截止日期最晚为2026-03-31。"),
        ({"decided_on": datetime.date(2025, 4, 2)}, "决定日期不能晚于暂停起始日期。"),
        ({"starts_on": ""}, "请填写暂停起始日期。"),
    ],
)
def test_suspend_refuses_bad_dates_with_a_chinese_message_and_writes_nothing(
    client, supervisor, pharmacies, overrides, message
):
    client.force_login(supervisor)
    data = action_post("suspend_agreements", pharmacies, **suspension(**overrides))
    response = client.post(CHANGELIST, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Sanction.objects.count() == 0


def test_suspend_writes_one_suspension_per_facility_with_the_acting_user(
    client, supervisor, pharmacies
):
    client.force_login(supervisor)
    response = client.post(
        CHANGELIST, action_post("suspend_agreements", pharmacies, **suspension()), follow=True
    )
    assert "已暂停3家机构的医保服务协议" in response.content.decode()
    for facility in pharmacies:
        (sanction,) = Sanction.objects.filter(facility=facility)
        assert sanction.kind == SanctionKind.SUSPENSION
        assert (sanction.starts_on, sanction.ends_on) == (START, datetime.date(2025, 5, 31))
        assert sanction.decision_number == "拉医保协〔2025〕7号"
        assert sanction.created_by == supervisor
        (row,) = sanction.history.all()
        assert row.history_user == supervisor


def test_suspend_writes_nothing_when_one_facility_cannot_be_suspended(
    client, supervisor, pharmacies
):
    blocked = pharmacies[1]
    SanctionFactory(
        facility=blocked,
        suspension=True,
        starts_on=datetime.date(2025, 5, 1),
        ends_on=datetime.date(2025, 6, 30),
    )
    client.force_login(supervisor)
    response = client.post(
        CHANGELIST, action_post("suspend_agreements", pharmacies, **suspension())
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "所有机构均未写入任何记录" in page
    assert (
        f"{blocked.name}（{blocked.credit_code}）：该机构在2025-05-01至2025-06-30已有暂停" in page
    )
    assert Sanction.objects.count() == 1  # only the one that was there


def test_suspend_is_not_offered_to_an_auditor(client, auditor, pharmacies):
    client.force_login(auditor)
    client.post(CHANGELIST, action_post("suspend_agreements", pharmacies, **suspension()))
    assert Sanction.objects.count() == 0


def test_a_bulk_action_on_too_many_facilities_asks_to_filter_first(
    client, supervisor, pharmacies, monkeypatch
):
    monkeypatch.setattr("supervision.admin.actions.MAX_BULK_FACILITIES", 2)
    client.force_login(supervisor)
    data = action_post("suspend_agreements", pharmacies, **suspension())
    response = client.post(CHANGELIST, data, follow=True)
    assert "一次最多处理2家机构，请先筛选。" in response.content.decode()
    assert Sanction.objects.count() == 0


def test_the_superuser_bulk_deletes_facilities_without_records(client, superuser, pharmacies):
    client.force_login(superuser)
    data = {**action_post("delete_selected", pharmacies), "post": "yes"}
    assert client.post(CHANGELIST, data).status_code == 302
    assert not Facility.objects.exists()
