"""The reasons the system writes on history rows itself: stored in Chinese whatever the
language of whoever caused them, shown in the reader's language; typed reasons shown as typed."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import RequestFactory
from django.utils import translation

from supervision.choices import Agency, ReferralStatus, SanctionKind
from supervision.models import Sanction
from supervision.services import reasons
from supervision.services._common import save_with_history
from supervision.services.evidence import attach_evidence
from supervision.services.inspections import complete_inspection
from supervision.services.referrals import move_referral, refer_inspection
from supervision.services.sanctions import suspend_agreement
from tests.evidence import upload
from tests.factories import FacilityFactory, InspectionFactory, ReferralFactory
from tests.pages import html_of

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 6, 3)


def last_reason(record) -> str:
    return record.history.order_by("-history_id").first().history_change_reason


def in_english(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def english():
    """The person acting uses the English pages (or API with Accept-Language: en)."""
    with translation.override("en"):
        yield


@pytest.fixture
def completed(supervisor):
    inspection = InspectionFactory(start_date=DAY)
    return complete_inspection(inspection, end_date=DAY, user=supervisor)


def test_completing_an_inspection_in_english_stores_the_chinese_reason(english, supervisor):
    inspection = complete_inspection(
        InspectionFactory(start_date=DAY), end_date=DAY, user=supervisor
    )
    assert last_reason(inspection) == "检查完成"


def test_referring_and_moving_in_english_store_the_chinese_reasons(english, completed, supervisor):
    referral = refer_inspection(
        completed, agency=Agency.POLICE, referred_on=DAY, summary="伪造随货同行单", user=supervisor
    )
    assert last_reason(referral) == "移送公安机关"
    referral = move_referral(
        referral, to_status=ReferralStatus.ACCEPTED, on=DAY, case_number="A-1", user=supervisor
    )
    assert last_reason(referral) == "已立案"


def test_recording_a_sanction_in_english_stores_the_chinese_reason(english, supervisor):
    sanction = suspend_agreement(
        FacilityFactory(),
        starts_on=DAY,
        ends_on=DAY + datetime.timedelta(days=30),
        decided_on=DAY,
        user=supervisor,
    )
    assert last_reason(sanction) == "暂停医保服务协议"


def test_uploading_evidence_in_english_stores_the_chinese_reason(
    english, media, completed, supervisor
):
    evidence = attach_evidence(completed, upload(), user=supervisor)
    assert last_reason(evidence) == "上传证据材料"


@pytest.mark.parametrize(
    ("write", "chinese", "english_text"),
    [
        (lambda: reasons.INSPECTION_COMPLETED, "检查完成", "Inspection completed"),
        (lambda: reasons.EVIDENCE_UPLOADED, "上传证据材料", "Upload evidence"),
        (lambda: reasons.referred_to(Agency.POLICE), "移送公安机关", "Referred to Police"),
        (lambda: reasons.referral_moved(ReferralStatus.ACCEPTED), "已立案", "Case opened"),
        (lambda: reasons.sanction_recorded(SanctionKind.FINE), "罚款", "Fine"),
    ],
    ids=["completed", "evidence", "referred", "moved", "sanction"],
)
def test_a_system_reason_is_stored_in_chinese_and_shown_in_the_reader_s_language(
    write, chinese, english_text
):
    with translation.override("en"):
        stored = write()
        assert stored == chinese
        assert reasons.shown_reason(stored) == english_text
    with translation.override("zh-hans"):
        assert reasons.shown_reason(stored) == chinese
        # A row written from the English pages before reasons were stored in Chinese.
        assert reasons.shown_reason(english_text) == chinese


def test_a_typed_reason_is_shown_as_typed_in_both_languages():
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert reasons.shown_reason("复核后更正检查结论") == "复核后更正检查结论"
            assert reasons.shown_reason("") == ""


def test_the_english_history_section_shows_system_reasons_in_english(client, completed, auditor):
    html = html_of(in_english(client, auditor).get(f"/inspections/{completed.pk}/"))
    assert "Inspection completed" in html
    assert "检查完成" not in html


def test_the_chinese_history_section_shows_system_reasons_in_chinese(client, completed, auditor):
    client.force_login(auditor)
    html = html_of(client.get(f"/inspections/{completed.pk}/"))
    assert "检查完成" in html


def test_the_english_history_shows_a_typed_reason_as_typed(client, supervisor, auditor):
    inspection = InspectionFactory(start_date=DAY)
    inspection.findings = "复查发现新的问题"
    save_with_history(inspection, supervisor, "复核后更正检查结论")
    html = html_of(in_english(client, auditor).get(f"/inspections/{inspection.pk}/"))
    assert "复核后更正检查结论" in html


def test_the_english_audit_log_shows_system_reasons_in_english(
    client, completed, supervisor, auditor
):
    referral = ReferralFactory(inspection=completed, referred_on=DAY)
    move_referral(referral, to_status=ReferralStatus.DECLINED, on=DAY, user=supervisor)
    html = html_of(in_english(client, auditor).get("/audit/"))
    assert "Inspection completed" in html and "Declined" in html
    assert "检查完成" not in html and "不予立案" not in html


def test_correcting_a_sanction_in_the_english_admin_stores_the_chinese_reason(english, superuser):
    sanction = suspend_agreement(
        FacilityFactory(),
        starts_on=DAY,
        ends_on=DAY + datetime.timedelta(days=30),
        decided_on=DAY,
        user=superuser,
    )
    request = RequestFactory().post("/admin/")
    request.user = superuser
    sanction.note = "文书编号更正"
    admin.site._registry[Sanction].save_model(request, sanction, form=None, change=True)
    assert last_reason(sanction) == "更正"
