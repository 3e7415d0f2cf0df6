"""Reminders (services.reminders, supervision.tasks): in-app notifications for the owners of due
items only, once; one e-mail per person per day whatever runs twice, dies or runs beside it; the
daily job queued once and run by the real database worker; the pages 我的提醒 and 提醒设置."""

from __future__ import annotations

import datetime
import smtplib
import threading

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from supervision.choices import DigestState, District, InspectionStatus, TipStatus
from supervision.models import (
    DigestDelivery,
    Notification,
    ReminderPreference,
    ScheduledRun,
    Tip,
)
from supervision.roles import AUDITOR, INSPECTOR, SUPERVISOR, TIP_DESK
from supervision.services import due_items, reminder_owners, reminders
from supervision.services.due_items import Window
from supervision.tasks import daily_reminders, run_at, schedule_daily
from tests.factories import (
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    TipFactory,
    UserDistrictFactory,
    UserFactory,
)

D = datetime.date
TODAY = D(2025, 6, 16)  # a Monday
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
IMMEDIATE_TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default"],
    }
}


@pytest.fixture(autouse=True)
def _figures(settings):
    settings.DUE_SOON_WORKDAYS = 3
    settings.ESCALATE_AFTER_WORKDAYS = 5
    settings.REFERRAL_FOLLOW_UP_DAYS = 60
    settings.SITE_URL = "https://jianguan.example.cn"
    settings.DAILY_RUN_AT = "07:30"
    settings.TASKS = DATABASE_TASKS


def person(username: str, role: str, district: str | None = None, *, email: bool = True) -> User:
    user = UserFactory(
        username=username, role=role, email=f"{username}@ybj.example.cn" if email else ""
    )
    if district:
        UserDistrictFactory(user=user, district=district)
    return user


@pytest.fixture
def world(db):
    """In 城关区: an inspection planned for 2 June, not started (overdue past the escalation), and
    a tip whose acceptance was due on 13 June (overdue by one working day)."""
    facility = FacilityFactory(district=District.CHENGGUAN, name="示例城关医院")
    officer = person("zhaxi", INSPECTOR)
    inspection = InspectionFactory(
        facility=facility,
        status=InspectionStatus.PLANNED,
        start_date=D(2025, 6, 2),
        inspectors=[InspectorFactory(user=officer, name="扎西")],
    )
    tip = TipFactory(facility=facility, due_on=D(2025, 6, 13))
    return {
        "inspection": inspection,
        "tip": tip,
        "officer": officer,
        "other_officer": person("other", INSPECTOR),
        "lead": person("lead", SUPERVISOR, District.CHENGGUAN),
        "lead_there": person("lead-dagze", SUPERVISOR, District.DAGZE),
        "desk": person("desk", TIP_DESK, District.CHENGGUAN),
        "desk_there": person("desk-dagze", TIP_DESK, District.DAGZE),
        "auditor": person("reader", AUDITOR),
    }


def keys_of(user: User) -> set[str]:
    return set(Notification.objects.filter(user=user).values_list("key", flat=True))


def window() -> Window:
    return Window.of(TODAY)


# --- in-app notifications -----------------------------------------------------------------------


def test_notifications_go_to_the_owners_of_each_item_only(world):
    inspection, tip = world["inspection"].pk, world["tip"].pk
    created = reminders.notify(window())
    assert keys_of(world["officer"]) == {f"inspection:{inspection}:overdue"}
    assert keys_of(world["desk"]) == {f"tip:{tip}:overdue"}
    # Overdue past the escalation: the district's supervisor is told; the tip (overdue by one
    # working day) is not escalated yet.
    assert keys_of(world["lead"]) == {f"inspection:{inspection}:overdue"}
    for name in ("other_officer", "lead_there", "desk_there", "auditor"):
        assert keys_of(world[name]) == set(), name
    assert created == 3
    note = Notification.objects.get(user=world["desk"])
    assert note.title == "举报线索受理期限：示例城关医院"
    assert note.url == reverse("tip-detail", args=[tip])
    assert note.overdue and note.due_on == D(2025, 6, 13) and note.read_at is None


def test_a_second_run_creates_nothing_new(world):
    assert reminders.notify(window()) == 3
    rows = set(Notification.objects.values_list("user_id", "key", "created_at"))
    assert reminders.notify(window()) == 0
    assert set(Notification.objects.values_list("user_id", "key", "created_at")) == rows


def test_an_item_that_moves_from_due_soon_to_overdue_is_told_again(world):
    world["tip"].due_on = D(2025, 6, 17)
    world["tip"].save()
    reminders.notify(Window.of(TODAY))
    reminders.notify(Window.of(D(2025, 6, 18)))
    tip = world["tip"].pk
    assert keys_of(world["desk"]) == {f"tip:{tip}:soon", f"tip:{tip}:overdue"}


def test_a_kind_muted_in_the_product_is_not_notified(world):
    ReminderPreference.objects.create(user=world["desk"], muted_in_app=["tip"])
    reminders.notify(window())
    assert keys_of(world["desk"]) == set()
    assert keys_of(world["officer"])


def test_a_person_is_told_of_the_latest_due_items_first_up_to_the_limit(world, monkeypatch):
    monkeypatch.setattr(reminder_owners, "NOTIFY_LIMIT", 2)
    facility = world["inspection"].facility
    older = TipFactory(facility=facility, due_on=D(2025, 6, 5))
    newest = TipFactory(facility=facility, due_on=D(2025, 6, 17))  # due soon
    reminders.notify(window())
    assert keys_of(world["desk"]) == {f"tip:{newest.pk}:soon", f"tip:{world['tip'].pk}:overdue"}
    # The next day the newest is decided (not accepted): the older one's turn.
    Tip.objects.filter(pk=newest.pk).update(
        status=TipStatus.NOT_ACCEPTED,
        decided_on=D(2025, 6, 16),
        decision_note="举报内容不属于医保基金监管范围。",
        clock="",
        due_on=None,
    )
    reminders.notify(Window.of(D(2025, 6, 17)))
    assert f"tip:{older.pk}:overdue" in keys_of(world["desk"])


def test_a_city_wide_account_owns_the_items_of_every_district(world):
    city = person("desk-city", TIP_DESK)
    reminders.notify(window())
    assert keys_of(city) == {f"tip:{world['tip'].pk}:overdue"}


def test_an_inactive_account_is_told_nothing(world):
    world["desk"].is_active = False
    world["desk"].save()
    reminders.notify(window())
    assert keys_of(world["desk"]) == set()


def test_the_people_are_read_in_the_same_number_of_queries_for_few_and_many(
    world, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8) as few:
        reminders.recipients()
    for n in range(15):
        person(f"many{n}", [INSPECTOR, SUPERVISOR, TIP_DESK][n % 3], District.DAGZE)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(reminders.recipients()) == 7 + 15


# --- the daily e-mail --------------------------------------------------------------------------


def test_each_owner_gets_one_e_mail_of_the_day_overdue_first_with_absolute_links(world):
    world["tip"].due_on = D(2025, 6, 18)  # due soon
    world["tip"].save()
    TipFactory(facility=world["inspection"].facility, due_on=D(2025, 6, 12))  # overdue
    counts = reminders.send_digests(window(), worker="w1")
    by_person = {message.to[0]: message for message in mail.outbox}
    assert set(by_person) == {
        "zhaxi@ybj.example.cn",
        "lead@ybj.example.cn",
        "desk@ybj.example.cn",
    }
    assert counts.sent == 3 and counts.failed == 0 and counts.skipped == 0
    # Everyone else who wants the e-mail had nothing: their row says so, and nothing was sent.
    assert counts.empty == 4
    desk = by_person["desk@ybj.example.cn"]
    assert desk.subject == "医保基金监管 2025-06-16 待办提醒：逾期 1 项，即将到期 1 项"
    assert desk.body.index("逾期4天") < desk.body.index("- 即将到期 ·")
    assert f"https://jianguan.example.cn/tips/{world['tip'].pk}/" in desk.body
    html, kind = desk.alternatives[0]
    assert kind == "text/html"
    assert f'href="https://jianguan.example.cn/tips/{world["tip"].pk}/"' in html
    assert "举报线索期限" in desk.body and "举报线索期限" in html
    row = DigestDelivery.objects.get(user=world["desk"], day=TODAY)
    assert (row.state, row.items, row.error) == (DigestState.SENT, 2, "")
    assert row.sent_at is not None and row.worker.startswith("w1/")
    empty = DigestDelivery.objects.get(user=world["auditor"], day=TODAY)
    assert empty.state == DigestState.EMPTY


@pytest.mark.parametrize(
    "name",
    ['<script>alert("x")</script>示例药店', '=HYPERLINK("http://x")', "示例'; DROP TABLE x;--"],
)
def test_hostile_names_are_escaped_in_the_e_mails_html(world, name):
    world["inspection"].facility.name = name
    world["inspection"].facility.save()
    reminders.send_digests(window(), worker="w1")
    (desk,) = [m for m in mail.outbox if m.to == ["desk@ybj.example.cn"]]
    html, _kind = desk.alternatives[0]
    assert escape(name) in html
    assert "<script>" not in html
    assert name in desk.body  # the plain text is not HTML: shown as written


def test_an_e_mail_lists_fifty_items_and_counts_the_rest(world):
    for n in range(55):
        TipFactory(
            facility=world["inspection"].facility, due_on=D(2025, 6, 2) + datetime.timedelta(n % 10)
        )
    reminders.send_digests(window(), worker="w1")
    (desk,) = [m for m in mail.outbox if m.to == ["desk@ybj.example.cn"]]
    assert desk.body.count("/tips/") == 50
    assert "还有6项未列出。" in desk.body
    assert "https://jianguan.example.cn/my-work/" in desk.body
    assert DigestDelivery.objects.get(user=world["desk"]).items == 56


def test_the_e_mail_preferences_are_kept(world):
    ReminderPreference.objects.create(user=world["desk"], email_digest=False)
    ReminderPreference.objects.create(user=world["lead"], muted_by_email=["inspection"])
    world["officer"].email = ""
    world["officer"].save()
    counts = reminders.send_digests(window(), worker="w1")
    assert [m.to for m in mail.outbox] == []
    assert counts.sent == 0
    # The desk asked for no e-mail and the officer has no address: no row either.
    assert not DigestDelivery.objects.filter(user__in=[world["desk"], world["officer"]]).exists()
    assert DigestDelivery.objects.get(user=world["lead"]).state == DigestState.EMPTY


def test_a_second_run_of_the_day_sends_nothing(world):
    first = reminders.send_digests(window(), worker="w1")
    second = reminders.send_digests(window(), worker="w2")
    assert len(mail.outbox) == first.sent == 3
    assert second.sent == 0 and second.skipped == first.sent + first.empty
    assert DigestDelivery.objects.count() == first.sent + first.empty


def test_two_workers_one_after_the_other_send_each_e_mail_once(world):
    # The sequential variant of the concurrent test below, for every database.
    for worker in ("w1", "w2", "w1"):
        reminders.send_digests(window(), worker=worker)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["zhaxi@ybj.example.cn", "lead@ybj.example.cn", "desk@ybj.example.cn"]
    )


def _claim_left_by_a_dead_worker(user: User, minutes: int) -> DigestDelivery:
    row = DigestDelivery.objects.create(user=user, day=TODAY, worker="dead/0000")
    DigestDelivery.objects.filter(pk=row.pk).update(
        claimed_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )
    return row


def test_a_claim_left_over_an_hour_by_a_dead_worker_is_retried_once(world):
    row = _claim_left_by_a_dead_worker(world["desk"], minutes=61)
    counts = reminders.send_digests(window(), worker="w2")
    assert counts.retried == 1
    assert ["desk@ybj.example.cn"] in [m.to for m in mail.outbox]
    row.refresh_from_db()
    assert row.state == DigestState.SENT and row.error.startswith(reminders.RETRY_MARK)
    # The retry died too: the row is left for an administrator, never taken a third time.
    DigestDelivery.objects.filter(pk=row.pk).update(
        state=DigestState.CLAIMED, claimed_at=timezone.now() - datetime.timedelta(hours=3)
    )
    mail.outbox.clear()
    assert reminders.send_digests(window(), worker="w3").retried == 0
    assert mail.outbox == []


def test_a_fresh_claim_of_another_worker_is_left_alone(world):
    _claim_left_by_a_dead_worker(world["desk"], minutes=10)
    counts = reminders.send_digests(window(), worker="w2")
    assert counts.retried == 0
    assert ["desk@ybj.example.cn"] not in [m.to for m in mail.outbox]
    assert DigestDelivery.objects.get(user=world["desk"]).state == DigestState.CLAIMED
    left = reminders.digests_left(TODAY)
    assert left.due_now == 0 and left.wait_until is not None


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused(
            {m.to[0]: (550, b"mailbox unavailable") for m in messages}
        )


def test_a_failed_e_mail_is_recorded_and_tried_once_more_by_the_next_run(world, settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.RefusingBackend"
    counts = reminders.send_digests(window(), worker="w1")
    assert counts.failed == 3 and counts.sent == 0
    row = DigestDelivery.objects.get(user=world["desk"])
    assert row.state == DigestState.FAILED and "SMTPRecipientsRefused" in row.error
    assert reminders.digests_left(TODAY).due_now == 3
    # The next run fails again: recorded, and not tried a third time.
    assert reminders.send_digests(window(), worker="w2").retried == 3
    row.refresh_from_db()
    assert row.state == DigestState.FAILED and row.error.startswith(reminders.RETRY_MARK)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert reminders.send_digests(window(), worker="w3").sent == 0
    assert mail.outbox == []


def test_a_failed_e_mail_goes_out_when_the_server_is_back(world, settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.RefusingBackend"
    reminders.send_digests(window(), worker="w1")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    counts = reminders.send_digests(window(), worker="w2")
    assert counts.sent == counts.retried == 3
    assert len(mail.outbox) == 3
    assert reminders.digests_left(TODAY).due_now == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_e_mail_once():
    if connection.vendor == "sqlite":
        # SQLite's test database is shared memory, where a second writer fails at once instead
        # of waiting; the sequential test above runs everywhere. CI runs this on PostgreSQL.
        pytest.skip("two writers at once: PostgreSQL only")
    facility = FacilityFactory(district=District.CHENGGUAN)
    # 412 people, three claim rounds; every 35th is a tip desk with e-mails to send, the others
    # (auditors) have nothing to tell.
    for n in range(412):
        if n % 35:
            person(f"idle{n}", AUDITOR)
        else:
            person(f"desk{n // 35}", TIP_DESK, District.CHENGGUAN)
    for n in range(30):
        TipFactory(facility=facility, due_on=D(2025, 6, 10) + datetime.timedelta(n % 5))
    start = threading.Barrier(2)
    results, errors = {}, []

    def work(name: str) -> None:
        try:
            start.wait()
            results[name] = reminders.send_digests(window(), worker=name)
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    sent = sorted(m.to[0] for m in mail.outbox)
    assert sent == sorted(f"desk{n}@ybj.example.cn" for n in range(12))
    assert sum(r.sent for r in results.values()) == 12
    assert sum(r.skipped for r in results.values()) == 412
    assert DigestDelivery.objects.count() == 412


# --- the daily job -----------------------------------------------------------------------------


def test_a_day_is_queued_once_however_often_it_is_asked(db):
    day = timezone.localdate() + datetime.timedelta(days=1)
    first = schedule_daily(day)
    assert first is not None
    assert schedule_daily(day) is None
    assert ScheduledRun.objects.filter(day=day).count() == 1
    (task,) = DBTaskResult.objects.all()
    assert task.task_path == "supervision.tasks.daily_reminders"
    assert task.args_kwargs["args"] == [day.isoformat()]
    assert task.run_after == run_at(day)
    assert timezone.localtime(task.run_after).strftime("%H:%M") == "07:30"
    assert ScheduledRun.objects.get(day=day).task_id == str(first.id)


def test_a_day_whose_time_has_passed_is_queued_to_run_now(db):
    day = timezone.localdate() - datetime.timedelta(days=1)
    before = timezone.now()
    schedule_daily(day)
    assert DBTaskResult.objects.get().run_after >= before


def test_nothing_is_queued_on_a_backend_that_cannot_wait(db, settings):
    settings.TASKS = IMMEDIATE_TASKS
    assert schedule_daily(timezone.localdate()) is None
    assert not ScheduledRun.objects.exists()


def test_the_command_queues_today_and_tomorrow_once(db, capsys):
    call_command("schedule_reminders")
    call_command("schedule_reminders")
    today = timezone.localdate()
    assert set(ScheduledRun.objects.values_list("day", flat=True)) == {
        today,
        today + datetime.timedelta(days=1),
    }
    assert DBTaskResult.objects.count() == 2
    assert "queued before" in capsys.readouterr().out


def _run_the_worker() -> None:
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=1,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_runs_the_daily_job_and_queues_the_next_day():
    today = timezone.localdate()
    facility = FacilityFactory(district=District.CHENGGUAN)
    desk = person("desk", TIP_DESK, District.CHENGGUAN)
    tip = TipFactory(facility=facility, due_on=today - datetime.timedelta(days=1))
    # Queued for yesterday and run late (the worker was down): it works on today.
    result = daily_reminders.enqueue((today - datetime.timedelta(days=1)).isoformat())
    _run_the_worker()
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
    assert result.return_value["day"] == today.isoformat()
    assert result.return_value["sent"] == 1
    assert keys_of(desk) == {f"tip:{tip.pk}:overdue"}
    assert [m.to for m in mail.outbox] == [["desk@ybj.example.cn"]]
    assert DigestDelivery.objects.get(user=desk).day == today
    assert set(ScheduledRun.objects.values_list("job", "day")) == {
        ("daily_reminders", today + datetime.timedelta(days=1)),
        ("reminders_catch_up", today),
    }
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert waiting.count() == 2 and all(t.run_after > timezone.now() for t in waiting)


# --- the pages ---------------------------------------------------------------------------------


def _note(user: User, title: str, **kwargs) -> Notification:
    return Notification.objects.create(
        user=user,
        kind="tip",
        key=f"tip:{title}:overdue",
        title=title,
        url="/tips/1/",
        due_on=D(2025, 6, 13),
        overdue=True,
        **kwargs,
    )


def test_the_list_shows_my_own_notifications_only_newest_first(client, inspector, tip_desk):
    _note(inspector, "举报线索受理期限：示例甲医院")
    _note(inspector, "举报线索受理期限：示例乙医院", read_at=timezone.now())
    _note(tip_desk, "举报线索受理期限：示例丙医院")
    client.force_login(inspector)
    page = client.get(reverse("notification-list")).content.decode()
    assert "示例乙医院" in page and "示例甲医院" in page
    assert page.index("示例乙医院") < page.index("示例甲医院")
    assert "示例丙医院" not in page
    assert page.count('class="badge badge-unread"') == 1
    assert 'href="/tips/1/"' in page


def test_the_list_is_paginated_and_survives_a_bad_page_number(client, inspector):
    for n in range(51):
        _note(inspector, f"提醒{n}")
    client.force_login(inspector)
    assert client.get(reverse("notification-list")).content.decode().count("<tr class") == 50
    assert client.get(reverse("notification-list"), {"page": "x'"}).status_code == 200
    assert "提醒0<" in client.get(reverse("notification-list"), {"page": 2}).content.decode()


def test_marking_all_read_marks_my_own_only(client, inspector, tip_desk):
    mine = _note(inspector, "甲")
    theirs = _note(tip_desk, "乙")
    client.force_login(inspector)
    assert reminders.unread_count(inspector) == 1
    response = client.post(reverse("notification-mark-read"))
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    assert reminders.unread_count(inspector) == 0
    assert client.get(reverse("notification-mark-read")).status_code == 405


def test_the_unread_count_is_one_query(inspector, django_assert_num_queries):
    _note(inspector, "甲")
    with django_assert_num_queries(1):
        assert reminders.unread_count(inspector) == 1


def test_the_pages_need_a_signed_in_user(client, db):
    for name in ("notification-list", "notification-settings"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.post(reverse("notification-mark-read"))
    assert not Notification.objects.exists()


def test_every_role_may_keep_its_own_settings(client, auditor):
    client.force_login(auditor)
    page = client.get(reverse("notification-settings"))
    assert page.status_code == 200
    # Every kind in the product and by e-mail, and the daily e-mail: all on by default.
    assert page.content.decode().count("checked") == 2 * len(due_items.KINDS) + 1
    response = client.post(
        reverse("notification-settings"),
        {"in_app": ["tip", "inspection"], "by_email": ["tip"], "email_digest": "on"},
    )
    assert response.status_code == 302
    preference = ReminderPreference.objects.get(user=auditor)
    assert set(preference.muted_in_app) == set(due_items.KINDS) - {"tip", "inspection"}
    assert "tip" not in preference.muted_by_email and "inspection" in preference.muted_by_email
    assert preference.email_digest is True
    # Submitted again as shown: the row stays as it is.
    again = client.post(
        reverse("notification-settings"),
        {"in_app": ["tip", "inspection"], "by_email": ["tip"], "email_digest": "on"},
    )
    assert again.status_code == 302
    assert ReminderPreference.objects.filter(user=auditor).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"in_app": ["nonsense"], "email_digest": "on", "by_email": ["tip"]}, "所选项无效。"),
        (
            {"in_app": ["tip"], "email_digest": "on"},
            "已选择接收每日待办邮件，请至少勾选一类邮件提醒的事项，或不接收每日邮件。",
        ),
    ],
)
def test_bad_settings_are_refused_in_chinese_and_change_nothing(client, inspector, data, message):
    ReminderPreference.objects.create(user=inspector, muted_in_app=["suspension"])
    client.force_login(inspector)
    response = client.post(reverse("notification-settings"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    preference = ReminderPreference.objects.get(user=inspector)
    assert preference.muted_in_app == ["suspension"] and preference.muted_by_email == []
