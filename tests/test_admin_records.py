"""Single-record admin pages: writes go through the services, rules show as field messages,
evidence is not deleted."""

from __future__ import annotations

import datetime

import pytest

from supervision.choices import (
    Agency,
    Grade,
    InspectionKind,
    InspectionStatus,
    ReferralStatus,
    SanctionKind,
)
from supervision.models import CreditRating, Facility, Inspection, RatingChange, Referral, Sanction
from tests.admin_support import admin_url, change_form_data, make_case_file
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    ReferralFactory,
    SanctionFactory,
)

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------ credit ratings


def test_adding_a_rating_goes_through_set_grade_with_its_reason(client, supervisor):
    facility = FacilityFactory()
    client.force_login(supervisor)
    response = client.post(
        admin_url(CreditRating, "add"),
        {"facility": facility.pk, "year": 2024, "grade": "A", "reason": "年度评价"},
    )
    assert response.status_code == 302
    rating = CreditRating.objects.get(facility=facility, year=2024)
    change = RatingChange.objects.get(rating=rating)
    assert (change.from_grade, change.to_grade, change.reason) == ("", Grade.A, "年度评价")
    assert change.changed_by == supervisor
    (row,) = rating.history.all()
    assert (row.history_user, row.history_change_reason) == (supervisor, "年度评价")


def test_a_rating_without_a_reason_is_refused_in_chinese(client, supervisor):
    facility = FacilityFactory()
    client.force_login(supervisor)
    response = client.post(
        admin_url(CreditRating, "add"), {"facility": facility.pk, "year": 2024, "grade": "A"}
    )
    assert response.status_code == 200
    assert "请填写调整原因。" in response.content.decode()
    assert not CreditRating.objects.exists()


def test_changing_a_grade_records_from_and_to(client, supervisor):
    rating = CreditRatingFactory(grade=Grade.B)
    client.force_login(supervisor)
    url = admin_url(rating, "change")
    data = change_form_data(client.get(url), grade="C", reason="复核后下调")
    assert client.post(url, data).status_code == 302
    rating.refresh_from_db()
    assert rating.grade == Grade.C
    change = RatingChange.objects.get(rating=rating)
    assert (change.from_grade, change.to_grade, change.changed_by) == ("B", "C", supervisor)


def test_changing_only_the_score_writes_no_rating_change(client, supervisor):
    rating = CreditRatingFactory(grade=Grade.B)
    client.force_login(supervisor)
    url = admin_url(rating, "change")
    data = change_form_data(client.get(url), score="850.50", reason="补录得分")
    assert client.post(url, data).status_code == 302
    rating.refresh_from_db()
    assert str(rating.score) == "850.50"
    assert not RatingChange.objects.exists()
    assert rating.history.latest().history_change_reason == "补录得分"


def test_changing_a_grade_and_emptying_score_and_date_clears_them_in_one_save(client, supervisor):
    rating = CreditRatingFactory(
        grade=Grade.B, score="850.00", rated_on=datetime.date(2025, 3, 1), basis="初评"
    )
    client.force_login(supervisor)
    url = admin_url(rating, "change")
    data = change_form_data(client.get(url), grade="C", score="", rated_on="", reason="复核改判")
    assert client.post(url, data).status_code == 302
    rating.refresh_from_db()
    assert (rating.grade, rating.score, rating.rated_on, rating.basis) == ("C", None, None, "初评")
    assert rating.history.count() == 2  # created, then this one change


def test_rating_changes_are_read_only_for_everyone(client, superuser):
    case = make_case_file()
    client.force_login(superuser)
    url = admin_url(case.change, "change")
    assert 'name="_save"' not in client.get(url).content.decode()
    assert client.post(url, {"reason": "改写"}).status_code == 403
    assert client.get(admin_url(RatingChange, "add")).status_code == 403


# ------------------------------------------------------------------ inspections


def inspection_post(facility, kind, inspectors) -> dict:
    return {
        "facility": facility.pk,
        "kind": kind,
        "status": InspectionStatus.PLANNED,
        "start_date": "2025-03-10",
        "inspectors": [i.pk for i in inspectors],
        "amount_involved": "0",
        "amount_recovered": "0",
    }


def test_an_on_site_inspection_needs_two_inspectors(client, inspector):
    facility = FacilityFactory()
    client.force_login(inspector)
    data = inspection_post(facility, InspectionKind.UNANNOUNCED, [InspectorFactory()])
    response = client.post(admin_url(Inspection, "add"), data)
    assert response.status_code == 200
    assert "现场检查至少需要2名检查人员，当前为1名。" in response.content.decode()
    assert not Inspection.objects.exists()


def test_an_inspection_with_two_inspectors_is_recorded_by_its_author(client, inspector):
    facility = FacilityFactory()
    client.force_login(inspector)
    data = inspection_post(facility, InspectionKind.UNANNOUNCED, InspectorFactory.create_batch(2))
    assert client.post(admin_url(Inspection, "add"), data).status_code == 302
    inspection = Inspection.objects.get()
    assert inspection.inspectors.count() == 2
    assert inspection.created_by == inspector


def test_a_self_inspection_needs_no_inspector(client, inspector):
    client.force_login(inspector)
    data = inspection_post(FacilityFactory(), InspectionKind.SELF, [])
    assert client.post(admin_url(Inspection, "add"), data).status_code == 302


# ------------------------------------------------------------------ sanctions


def sanction_post(facility, **fields) -> dict:
    data = {"facility": facility.pk, "decided_on": "2025-03-20"}
    data.update(fields)
    return data


def test_a_suspension_longer_than_twelve_months_is_refused(client, supervisor):
    facility = FacilityFactory()
    client.force_login(supervisor)
    data = sanction_post(
        facility, kind=SanctionKind.SUSPENSION, starts_on="2025-04-01", ends_on="2026-04-01"
    )
    response = client.post(admin_url(Sanction, "add"), data)
    assert response.status_code == 200
    assert "暂停期限最长12个月，截止日期最晚为2026-03-31。" in response.content.decode()
    assert not Sanction.objects.exists()


def test_an_overlapping_suspension_is_refused(client, supervisor):
    existing = SanctionFactory(suspension=True)
    client.force_login(supervisor)
    data = sanction_post(
        existing.facility,
        kind=SanctionKind.SUSPENSION,
        starts_on="2025-05-01",
        ends_on="2025-06-30",
    )
    response = client.post(admin_url(Sanction, "add"), data)
    assert "期间不能重叠" in response.content.decode()
    assert Sanction.objects.count() == 1


def test_a_suspension_added_in_the_admin_is_recorded_by_the_service(client, supervisor):
    facility = FacilityFactory(pharmacy=True)
    client.force_login(supervisor)
    data = sanction_post(
        facility,
        kind=SanctionKind.SUSPENSION,
        starts_on="2025-04-01",
        ends_on="2025-05-31",
        decision_number="拉医保协〔2025〕1号",
    )
    assert client.post(admin_url(Sanction, "add"), data).status_code == 302
    sanction = Sanction.objects.get()
    assert sanction.created_by == supervisor
    (row,) = sanction.history.all()
    assert (row.history_user, row.history_change_reason) == (supervisor, "暂停医保服务协议")


def test_a_deposit_recovery_computes_its_amount(client, supervisor):
    facility = FacilityFactory(deposit="200000.00")
    client.force_login(supervisor)
    data = sanction_post(facility, kind=SanctionKind.DEPOSIT_RECOVERY, deposit_percent="2.5")
    assert client.post(admin_url(Sanction, "add"), data).status_code == 302
    assert str(Sanction.objects.get().amount) == "5000.00"


def test_a_sanction_cannot_cite_another_facilitys_inspection(client, supervisor):
    facility = FacilityFactory()
    other_inspection = InspectionFactory()
    client.force_login(supervisor)
    data = sanction_post(
        facility, kind=SanctionKind.WARNING, note="约谈", inspection=other_inspection.pk
    )
    response = client.post(admin_url(Sanction, "add"), data)
    assert "所选记录不属于该机构。" in response.content.decode()
    assert not Sanction.objects.exists()


@pytest.mark.parametrize(
    ("grade", "commended", "message"),
    [
        (Grade.B, False, "只有2024年度评为A级的机构才能授牌。"),
        (Grade.A, True, "该机构2024年度已授牌。"),
    ],
)
def test_a_commendation_is_refused_with_the_service_s_message(
    client, supervisor, grade, commended, message
):
    rating = CreditRatingFactory(year=2024, grade=grade)
    if commended:
        SanctionFactory(facility=rating.facility, kind=SanctionKind.COMMENDATION, rating=rating)
    client.force_login(supervisor)
    data = sanction_post(rating.facility, kind=SanctionKind.COMMENDATION, rating=rating.pk)
    response = client.post(admin_url(Sanction, "add"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Sanction.objects.count() == int(commended)


# ------------------------------------------------------------------ referrals


def test_a_planned_inspection_cannot_be_referred(client, supervisor):
    inspection = InspectionFactory(status=InspectionStatus.PLANNED)
    client.force_login(supervisor)
    data = {
        "inspection": inspection.pk,
        "agency": Agency.POLICE,
        "referred_on": "2025-03-20",
        "summary": "伪造随货同行单",
    }
    response = client.post(admin_url(Referral, "add"), data)
    assert "计划中的检查尚无发现，不能移送。" in response.content.decode()
    assert not Referral.objects.exists()


def test_a_referral_is_made_through_the_service(client, supervisor):
    inspection = InspectionFactory(completed=True)
    client.force_login(supervisor)
    data = {
        "inspection": inspection.pk,
        "agency": Agency.POLICE,
        "referred_on": "2025-03-20",
        "summary": "伪造随货同行单",
    }
    assert client.post(admin_url(Referral, "add"), data).status_code == 302
    referral = Referral.objects.get()
    assert referral.created_by == supervisor
    assert referral.history.get().history_change_reason == "移送公安机关"


def test_a_referral_moves_only_to_its_next_statuses(client, supervisor):
    referral = ReferralFactory()
    client.force_login(supervisor)
    url = admin_url(referral, "change")
    response = client.get(url)
    choices = [value for value, _ in response.context["adminform"].form.fields["status"].choices]
    assert choices == [ReferralStatus.REFERRED, ReferralStatus.ACCEPTED, ReferralStatus.DECLINED]

    refused = client.post(
        url, change_form_data(response, status="accepted", decided_on="2025-04-01")
    )
    assert "立案时请填写立案编号。" in refused.content.decode()

    data = change_form_data(
        response, status="accepted", decided_on="2025-04-01", case_number="拉公（经）立字2025-3"
    )
    assert client.post(url, data).status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.case_number) == (
        ReferralStatus.ACCEPTED,
        "拉公（经）立字2025-3",
    )
    assert referral.history.latest().history_user == supervisor


# ------------------------------------------------------------------ facility page, deletion


def test_the_facility_page_shows_its_records_with_links(client, auditor):
    case = make_case_file()
    client.force_login(auditor)
    page = client.get(admin_url(case.facility, "change")).content.decode()
    for record in (case.rating, case.inspection, case.sanction, case.referral):
        assert admin_url(record, "change") in page
    assert "B级（2024）" in page


def test_the_facility_page_names_the_suspension_behind_its_status(client, auditor):
    today = datetime.date.today()
    sanction = SanctionFactory(
        suspension=True,
        starts_on=today - datetime.timedelta(days=1),
        ends_on=today + datetime.timedelta(days=30),
        decision_number="拉医保协〔2025〕9号",
    )
    client.force_login(auditor)
    page = client.get(admin_url(sanction.facility, "change")).content.decode()
    assert "暂停" in page
    assert f'<a href="{admin_url(sanction, "change")}">拉医保协〔2025〕9号</a>' in page


def test_a_facility_with_records_gets_the_cannot_delete_page(client, superuser):
    case = make_case_file()
    client.force_login(superuser)
    url = admin_url(case.facility, "delete")
    for response in (client.get(url), client.post(url, {"post": "yes"})):
        assert response.status_code == 200
        assert response.context["protected"]
    assert Facility.objects.filter(pk=case.facility.pk).exists()


def test_bulk_delete_of_facilities_with_records_is_refused_too(client, superuser):
    case = make_case_file()
    client.force_login(superuser)
    data = {"action": "delete_selected", "_selected_action": [case.facility.pk], "post": "yes"}
    response = client.post(admin_url(Facility, "changelist"), data)
    assert response.status_code == 200
    assert response.context["protected"]
    assert Facility.objects.filter(pk=case.facility.pk).exists()


def test_a_facility_without_records_can_be_deleted_by_the_superuser(client, superuser):
    facility = FacilityFactory()
    client.force_login(superuser)
    assert client.post(admin_url(facility, "delete"), {"post": "yes"}).status_code == 302
    assert not Facility.objects.filter(pk=facility.pk).exists()


def test_a_history_version_cannot_be_posted_back(client, superuser):
    facility = FacilityFactory(name="原名称")
    version = facility.history.get()
    client.force_login(superuser)
    url = admin_url(Facility, "simple_history", facility.pk, version.history_id)
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "篡改"}).status_code == 403
    facility.refresh_from_db()
    assert facility.name == "原名称"


def test_a_supervisor_edits_a_facility_with_its_record_lists_on_the_page(client, supervisor):
    case = make_case_file()
    client.force_login(supervisor)
    url = admin_url(case.facility, "change")
    response = client.post(url, change_form_data(client.get(url), name="示例测试医院（更名）"))
    assert response.status_code == 302
    case.facility.refresh_from_db()
    assert case.facility.name == "示例测试医院（更名）"
    assert case.facility.history.latest().history_user == supervisor


def test_a_suspension_can_be_corrected_without_overlapping_itself(client, supervisor):
    sanction = SanctionFactory(suspension=True)
    client.force_login(supervisor)
    url = admin_url(sanction, "change")
    data = change_form_data(client.get(url), ends_on="2025-06-30")
    assert client.post(url, data).status_code == 302
    sanction.refresh_from_db()
    assert sanction.ends_on == datetime.date(2025, 6, 30)
    assert sanction.history.latest().history_change_reason == "更正"
