"""Reminders (提醒): what a person is told in the product (Notification), what they chose to
receive (ReminderPreference), the daily e-mail digest sent once per person per day
(DigestDelivery) and the daily runs the task worker has scheduled (ScheduledRun).

The due items themselves are not stored: supervision.services.due_items computes them from the
records, so they never disagree with them. A notification is a copy made once, when the item
first became due soon or overdue, so that the person sees it even if it is done by then.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from supervision.choices import DigestState

KEY_LENGTH = 80
TITLE_LENGTH = 300


class Notification(models.Model):
    """An in-app notification (站内提醒) of a due item, once per person and item state."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("事项类型"), max_length=32)
    # "<kind>:<record id>:<state>", the item it is about: unique per person.
    key = models.CharField(_("事项标识"), max_length=KEY_LENGTH)
    title = models.CharField(_("标题"), max_length=TITLE_LENGTH)
    url = models.CharField(_("链接"), max_length=300)
    due_on = models.DateField(_("期限"), null=True, blank=True)
    overdue = models.BooleanField(_("已逾期"), default=False)
    created_at = models.DateTimeField(_("提醒时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内提醒")
        verbose_name_plural = pgettext_lazy("plural", "站内提醒")
        ordering = ["-created_at", "-id"]
        indexes = [
            # A person's unread ones (the navigation's count), newest first.
            models.Index(
                fields=["user", "-created_at"],
                name="notification_unread_idx",
                condition=Q(read_at__isnull=True),
            ),
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"],
                name="notification_once_per_item",
                violation_error_message=_("该事项已提醒过此人。"),
            ),
            models.CheckConstraint(
                condition=~Q(key="") & ~Q(title=""),
                name="notification_key_and_title_required",
                violation_error_message=_("提醒须有事项标识和标题。"),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ReminderPreference(models.Model):
    """What a person receives: per kind of due item, in the product and in the daily e-mail.
    Without a row, everything (the defaults)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="reminder_preference",
    )
    # Kinds (services.due_items.KINDS) the person does not want, in the product / by e-mail.
    muted_in_app = models.JSONField(_("不在站内提醒的事项"), default=list, blank=True)
    muted_by_email = models.JSONField(_("不在邮件中提醒的事项"), default=list, blank=True)
    email_digest = models.BooleanField(_("接收每日待办邮件"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("提醒设置")
        verbose_name_plural = pgettext_lazy("plural", "提醒设置")

    def __str__(self) -> str:
        return str(self.user)


class DigestDelivery(models.Model):
    """The daily e-mail of one person for one day: the row is the claim, so two workers (or a
    worker restarted) never send it twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="digests",
    )
    day = models.DateField(_("日期"))
    state = models.CharField(
        _("状态"), max_length=16, choices=DigestState.choices, default=DigestState.CLAIMED
    )
    items = models.PositiveIntegerField(_("事项数"), default=0)
    worker = models.CharField(_("发送进程"), max_length=64, blank=True, default="")
    claimed_at = models.DateTimeField(_("认领时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("每日待办邮件")
        verbose_name_plural = pgettext_lazy("plural", "每日待办邮件")
        ordering = ["-day", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "day"],
                name="digest_once_per_day",
                violation_error_message=_("此人当天的待办邮件已发送。"),
            ),
            models.CheckConstraint(
                condition=Q(state__in=DigestState.values),
                name="digest_state_valid",
                violation_error_message=_("邮件状态无效。"),
            ),
            models.CheckConstraint(
                condition=~Q(state=DigestState.SENT) | Q(sent_at__isnull=False),
                name="digest_sent_has_time",
                violation_error_message=_("已发送的邮件须有发送时间。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.day:%Y-%m-%d}"


class ScheduledRun(models.Model):
    """A daily job enqueued for a day: once, however many workers start."""

    job = models.CharField(_("任务"), max_length=64)
    day = models.DateField(_("日期"))
    enqueued_at = models.DateTimeField(_("排入时间"), auto_now_add=True)
    task_id = models.CharField(_("任务编号"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("定时任务")
        verbose_name_plural = pgettext_lazy("plural", "定时任务")
        ordering = ["-day", "job"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "day"],
                name="scheduled_run_once_per_day",
                violation_error_message=_("该任务当天已排入。"),
            ),
            models.CheckConstraint(
                condition=~Q(job=""),
                name="scheduled_run_job_required",
                violation_error_message=_("请填写任务名称。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.day:%Y-%m-%d}"
