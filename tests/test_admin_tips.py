"""Tips, rewards, the working-day calendar and the hotlines in the admin: who sees what (the
reporter only with its permission), saves through the services, the calendar recomputing
deadlines, the hotlines' rules."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from supervision.choices import District, TipChannel, TipStatus
from supervision.models import CalendarDay, CalendarYear, Hotline, Tip, TipReporter
from tests.admin_support import admin_url, change_form_data
from tests.dbstate import snapshot
from tests.factories import (
    FacilityFactory,
    TipFactory,
    TipReporterFactory,
    TipRewardFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NAME = "示例举报人张三"
PHONE = "13800000000"


@pytest.fixture
def tip(db) -> Tip:
    made = TipFactory(facility=FacilityFactory(name="示例城关医院", district=District.CHENGGUAN))
    TipReporterFactory(tip=made)
    return made


def _tip_form(response, **overrides) -> dict:
    """change_form_data for a tip's page: the receipt's split date and time as a browser sends
    them."""
    data = change_form_data(response, **overrides)
    received = data.pop("received_at", None)
    if received is not None and "received_at_0" not in data:
        local = timezone.localtime(received)
        data["received_at_0"], data["received_at_1"] = f"{local:%Y-%m-%d}", f"{local:%H:%M:%S}"
        # The field has a default (now): the page also sends the value it showed.
        data["initial-received_at_0"] = data["received_at_0"]
        data["initial-received_at_1"] = data["received_at_1"]
    return data


def _page(client, user, url: str):
    client.force_login(user)
    return client.get(url)


# --- the reporter in the admin ---------------------------------------------------------------


@pytest.mark.parametrize("persona", ["tip_desk", "supervisor", "superuser"])
def test_who_may_read_the_reporter_sees_it_on_the_tip_page(client, request, tip, persona):
    page = _page(client, request.getfixturevalue(persona), admin_url(tip, "change"))
    assert page.status_code == 200
    html = page.content.decode()
    assert NAME in html and PHONE in html
    assert 'name="reporter-0-name"' in html  # editable: they may change it too


@pytest.mark.parametrize("persona", ["inspector", "auditor"])
def test_the_reporter_inline_does_not_exist_without_the_permission(client, request, tip, persona):
    user = request.getfixturevalue(persona)
    page = _page(client, user, admin_url(tip, "change"))
    assert page.status_code == 200
    html = page.content.decode()
    assert NAME not in html and PHONE not in html
    assert "reporter-" not in html
    assert all(i.opts.model is not TipReporter for i in page.context["inline_admin_formsets"])
    history = client.get(admin_url(tip, "history"))
    assert NAME not in history.content.decode()


def test_the_reporter_is_read_only_with_view_but_not_change(client, tip):
    reader = UserFactory(username="reader")
    reader.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="supervision",
            codename__in=["view_tip", "view_tipreporter"],
        )
    )
    html = _page(client, reader, admin_url(tip, "change")).content.decode()
    assert NAME in html
    assert 'name="reporter-0-name"' not in html


def test_the_reporter_has_no_admin_page_and_no_history_page(client, superuser, tip):
    with pytest.raises(NoReverseMatch):
        reverse("admin:supervision_tipreporter_history", args=[tip.pk])
    client.force_login(superuser)
    assert client.get(f"/admin/supervision/tipreporter/{tip.pk}/history/").status_code == 404
    assert client.get("/admin/supervision/tipreporter/").status_code == 404


@pytest.mark.parametrize("persona", ["tip_desk", "superuser", "inspector"])
def test_the_changelist_search_never_reads_the_reporter(client, request, tip, persona):
    client.force_login(request.getfixturevalue(persona))
    url = admin_url(Tip, "changelist")
    for term in (NAME, PHONE, "张三"):
        assert list(client.get(url, {"q": term}).context["cl"].result_list) == []
    assert list(client.get(url, {"q": "城关医院"}).context["cl"].result_list) == [tip]
    assert list(client.get(url, {"q": f"#{tip.pk}"}).context["cl"].result_list) == [tip]


def test_the_tip_desk_corrects_the_reporter_through_the_service(client, tip_desk, tip):
    client.force_login(tip_desk)
    url = admin_url(tip, "change")
    data = _tip_form(client.get(url), **{"reporter-0-name": "示例李四"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    reporter = TipReporter.objects.get(tip=tip)
    assert reporter.name == "示例李四"
    last = reporter.history.order_by("-history_id").first()
    assert last.history_user == tip_desk
    assert last.history_change_reason == "修改举报人信息"
    tip.refresh_from_db()
    assert tip.version == 1  # the tip itself was not touched


def test_a_correction_of_the_tip_goes_through_the_service(client, tip_desk, tip):
    client.force_login(tip_desk)
    url = admin_url(tip, "change")
    data = _tip_form(client.get(url), allegation="更正后的举报内容")
    assert client.post(url, data).status_code == 302
    tip.refresh_from_db()
    assert tip.allegation == "更正后的举报内容"
    last = tip.history.order_by("-history_id").first()
    assert (last.history_user, last.history_change_reason) == (tip_desk, "修改线索")


def test_a_closed_tip_is_read_only(client, tip_desk):
    closed = TipFactory(closed=True)
    html = _page(client, tip_desk, admin_url(closed, "change")).content.decode()
    assert 'name="allegation"' not in html


def test_adding_a_tip_registers_it_with_its_reporter(client, tip_desk):
    facility = FacilityFactory(district=District.DAGZE)
    client.force_login(tip_desk)
    url = admin_url(Tip, "add")
    data = change_form_data(
        client.get(url),
        channel=TipChannel.LETTER,
        received_at_0="2025-03-03",
        received_at_1="10:00:00",
        facility=str(facility.pk),
        allegation="示例：虚开检查项目。",
        wants_reply="on",
        **{"reporter-0-name": "示例王五", "reporter-0-phone": "13900000000"},
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = Tip.objects.get(allegation="示例：虚开检查项目。")
    assert created.district == District.DAGZE  # the facility's
    assert created.created_by == tip_desk
    assert created.clock == "acceptance" and created.due_on is not None
    assert TipReporter.objects.get(tip=created).name == "示例王五"


def test_an_anonymous_tip_takes_no_reporter(client, tip_desk):
    facility = FacilityFactory()
    client.force_login(tip_desk)
    url = admin_url(Tip, "add")
    data = change_form_data(
        client.get(url),
        channel=TipChannel.VISIT,
        received_at_0="2025-03-03",
        received_at_1="10:00:00",
        facility=str(facility.pk),
        allegation="示例：匿名举报。",
        anonymous="on",
        **{"reporter-0-name": "示例王五"},
    )
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 200
    assert "匿名举报不登记举报人信息。" in response.content.decode()
    assert snapshot() == before


def test_a_tip_received_in_the_future_is_refused_in_chinese(client, tip_desk):
    facility = FacilityFactory()
    client.force_login(tip_desk)
    url = admin_url(Tip, "add")
    later = timezone.localdate() + datetime.timedelta(days=30)
    data = change_form_data(
        client.get(url),
        channel=TipChannel.VISIT,
        received_at_0=later.isoformat(),
        received_at_1="10:00:00",
        facility=str(facility.pk),
        allegation="示例。",
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "接收时间不能晚于现在。" in response.content.decode()
    assert not Tip.objects.filter(allegation="示例。").exists()


def test_rewards_are_read_only_and_carry_no_reporter(client, supervisor):
    reward = TipRewardFactory()
    TipReporterFactory(tip=reward.tip)
    page = _page(client, supervisor, admin_url(reward, "change"))
    assert page.status_code == 200
    assert NAME not in page.content.decode()
    assert 'name="amount"' not in page.content.decode()
    assert client.get(admin_url(TipRewardFactory._meta.model, "add")).status_code == 403


# --- the working-day calendar ----------------------------------------------------------------


def _year_form(client, **fields):
    url = admin_url(CalendarYear, "add")
    return url, change_form_data(client.get(url), **fields)


def test_entering_a_year_gives_the_unknown_deadlines_their_dates(client, superuser):
    # Received on Monday 28 December 2026: five working days run into 2027, which the
    # calendar library does not know, so the deadline is unknown until 2027 is entered.
    waiting = TipFactory(
        received_at=timezone.make_aware(datetime.datetime(2026, 12, 28, 10)),
        due_on=None,
        acceptance_due=None,
    )
    client.force_login(superuser)
    url, data = _year_form(
        client,
        year="2027",
        notice="国办发明电〔2026〕示例号",
        published_on="2026-11-20",
        holidays="2027-01-01 元旦",
    )
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any("1条线索的办理期限已重新计算" in m for m in messages), messages
    waiting.refresh_from_db()
    # 29, 30, 31 December; 1 January is the holiday; Monday 4 and Tuesday 5 January.
    assert waiting.due_on == datetime.date(2027, 1, 5)
    assert waiting.acceptance_due == datetime.date(2027, 1, 5)
    assert CalendarDay.objects.get(day=datetime.date(2027, 1, 1)).is_workday is False
    year = CalendarYear.objects.get(year=2027)
    assert year.entered_by == superuser
    assert year.history.first().history_user == superuser


def test_a_make_up_working_day_moves_a_deadline(client, superuser):
    year = CalendarYear.objects.create(
        year=2027, notice="国办发明电〔2026〕示例号", published_on=datetime.date(2026, 11, 20)
    )
    # Received Thursday 7 January 2027: Fri 8, Mon 11 … Thu 14 without make-up days.
    tip = TipFactory(received_at=timezone.make_aware(datetime.datetime(2027, 1, 7, 10)))
    Tip.objects.filter(pk=tip.pk).update(due_on=None)
    client.force_login(superuser)
    url = admin_url(year, "change")
    data = change_form_data(client.get(url), workdays="2027-01-09 示例调休")
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    tip.refresh_from_db()
    assert tip.due_on == datetime.date(2027, 1, 13)  # Sat 9 counts: Fri 8, Sat 9, 11, 12, 13


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("holidays", "2027-01-02 周六", "周末本来就休息"),
        ("workdays", "2027-01-04 周一", "调休上班日应为周六或周日"),
        ("holidays", "2028-01-03 元旦", "日期不在2027年"),
        ("holidays", "2027-13-01 元旦", "日期应写成"),
        ("holidays", "2027-01-01", "请填写名称"),
        ("holidays", "2027-01-01 元旦\n2027-01-01 元旦", "日期重复"),
        ("holidays", "2027-01-01 " + "长" * 41, "名称最多40个字"),
    ],
)
def test_a_wrong_line_is_refused_in_chinese_and_nothing_is_saved(
    client, superuser, field, text, message
):
    client.force_login(superuser)
    url, data = _year_form(
        client, year="2027", notice="国办发明电〔2026〕示例号", published_on="2026-11-20"
    )
    data[field] = text
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot() == before


def test_the_calendar_is_kept_by_administrators_only(client, supervisor):
    client.force_login(supervisor)
    assert client.get(admin_url(CalendarYear, "changelist")).status_code == 200
    assert client.get(admin_url(CalendarYear, "add")).status_code == 403


# --- hotlines -----------------------------------------------------------------------------


def _hotline() -> Hotline:
    hotline, _ = Hotline.objects.update_or_create(
        channel="region_hotline",
        defaults={"name": "自治区医保举报电话", "contact": "0891-1111111", "published": True},
    )
    return hotline


def test_a_published_hotline_needs_its_number(client, superuser):
    hotline = _hotline()
    client.force_login(superuser)
    url = admin_url(hotline, "change")
    before = snapshot()
    response = client.post(url, change_form_data(client.get(url), contact=""))
    assert response.status_code == 200
    assert "对外公布的渠道必须填写号码或地址。" in response.content.decode()
    assert snapshot() == before


def test_an_administrator_unpublishes_a_hotline_with_history(client, superuser):
    hotline = _hotline()
    client.force_login(superuser)
    url = admin_url(hotline, "change")
    data = change_form_data(client.get(url))
    data.pop("published", None)
    assert client.post(url, data).status_code == 302
    hotline.refresh_from_db()
    assert hotline.published is False
    assert hotline.history.first().history_user == superuser


def test_only_an_administrator_changes_a_hotline(client, supervisor, tip_desk):
    hotline = _hotline()
    for user in (supervisor, tip_desk):
        client.force_login(user)
        assert client.get(admin_url(hotline, "change")).status_code == 200
        assert client.post(admin_url(hotline, "change"), {"name": "x"}).status_code == 403
    hotline.refresh_from_db()
    assert hotline.name == "自治区医保举报电话"


def test_tip_status_moves_are_not_made_in_the_admin(client, supervisor, tip):
    client.force_login(supervisor)
    url = admin_url(tip, "change")
    data = _tip_form(client.get(url), status=TipStatus.CLOSED)
    client.post(url, data)
    tip.refresh_from_db()
    assert tip.status == TipStatus.RECEIVED


# --- queries ------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [Tip, TipRewardFactory._meta.model], ids=["Tip", "TipReward"])
def test_a_changelist_costs_the_same_for_1_row_and_for_20(
    client, supervisor, django_assert_max_num_queries, model
):
    def rows(count: int) -> None:
        for _ in range(count):
            reward = TipRewardFactory()
            TipReporterFactory(tip=reward.tip)

    client.force_login(supervisor)
    url = admin_url(model, "changelist")
    rows(1)
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        assert client.get(url).status_code == 200
    rows(19)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
