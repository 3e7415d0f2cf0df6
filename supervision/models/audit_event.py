"""Audit events: what happens besides changes of the case records (those are their history rows):
sign-ins, the second factor, API tokens, exports, evidence files uploaded and downloaded."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from supervision.choices import AuditAction

MAX_SUMMARY_LENGTH = 300
MAX_USERNAME_LENGTH = 150


class ReadOnlyRecord(Exception):
    """An audit event was to be changed or deleted: they are written once and kept."""


class AuditEventQuerySet(models.QuerySet):
    def delete(self) -> Any:
        raise ReadOnlyRecord("audit events are never deleted")

    def update(self, **kwargs: Any) -> int:
        raise ReadOnlyRecord("audit events are never changed")


class AuditEvent(models.Model):
    """One audited event (审计事件): when, who (the account, and its username kept should the
    account be deleted), what, and optionally the record and the facility it concerns. Written
    once, in the transaction of what it records when there is one; never changed or deleted."""

    occurred_at = models.DateTimeField(_("时间"), default=timezone.now, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the (user, time) index below serves it
    )
    # The account's username when it acted, or the username typed at a failed sign-in.
    username = models.CharField(_("用户名"), max_length=MAX_USERNAME_LENGTH, blank=True, default="")
    action = models.CharField(_("操作"), max_length=32, choices=AuditAction.choices)
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("记录类型"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the (content type, id) index below serves it
    )
    object_id = models.BigIntegerField(_("记录编号"), null=True, blank=True)
    # The facility concerned, kept as an id even after the facility is deleted (like history).
    facility = models.ForeignKey(
        "supervision.Facility",
        verbose_name=_("机构"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the (facility, time) index below serves it
    )
    summary = models.CharField(_("摘要"), max_length=MAX_SUMMARY_LENGTH, blank=True, default="")
    detail = models.JSONField(_("详情"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AuditEventQuerySet.as_manager()
    # Not scoped by supervision.scoping's rules: an event about no facility (a sign-in, an
    # export) belongs to no district. supervision.audit.visible_events decides who sees which events
    # (the log and the admin alike): a district-limited account those of its districts'
    # facilities and its own.
    district_path = None

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = pgettext_lazy("plural", "审计事件")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # The audit log, newest first.
            models.Index(fields=["-occurred_at", "-id"], name="auditevent_newest"),
            # Filtered by user or by action.
            models.Index(fields=["user", "-occurred_at"], name="auditevent_user"),
            models.Index(fields=["action", "-occurred_at"], name="auditevent_action"),
            # Everything about one record, or one facility.
            models.Index(fields=["content_type", "object_id"], name="auditevent_record"),
            models.Index(fields=["facility", "-occurred_at"], name="auditevent_facility"),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.occurred_at).strftime("%Y-%m-%d %H:%M")
        return f"{when} {self.username} {self.get_action_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ReadOnlyRecord("audit events are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ReadOnlyRecord("audit events are never deleted")
