"""Audit events in the admin: read-only for everyone; and the admin's token and second-factor
device pages, whose issuing, revoking and resetting become audit events."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from supervision.audit import visible_events
from supervision.choices import AuditAction
from supervision.models import AuditEvent
from supervision.services.audit_events import record_event, record_token_event


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read by those who hold its view permission (superusers); nobody adds, edits or deletes."""

    list_display = ("occurred_at", "username", "action", "summary", "content_type", "object_id")
    list_filter = ("action",)
    list_select_related = ("content_type",)
    date_hierarchy = None
    ordering = ("-occurred_at", "-id")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        if not self.has_view_permission(request):
            # Refused (403) by every view anyway; as a "not found" it would be a redirect.
            return super().get_queryset(request)
        return visible_events(request.user).select_related("content_type")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class AuditedTokenAdmin(TokenAdmin):
    """DRF's token admin: a token added here is issued, one deleted here revoked, each kept as an
    audit event in the administrator's name."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            record_token_event(
                AuditAction.TOKEN_ISSUED, obj.user, by=request.user, request=request, via="admin"
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            record_token_event(
                AuditAction.TOKEN_REVOKED, obj.user, by=request.user, request=request, via="admin"
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            for token in queryset.select_related("user"):
                record_token_event(
                    AuditAction.TOKEN_REVOKED,
                    token.user,
                    by=request.user,
                    request=request,
                    via="admin",
                )
            super().delete_queryset(request, queryset)


class _DeviceResetMixin:
    """Deleting a user's second-factor device in the admin resets it: an audit event about the
    account, in the administrator's name."""

    def _record_reset(self, request: HttpRequest, device: Any) -> None:
        record_event(
            AuditAction.OTP_RESET,
            user=request.user,
            request=request,
            record=device.user,
            summary=device.user.get_username(),
            detail={"owner": device.user.get_username(), "device": device.name},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            self._record_reset(request, obj)
            super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            for device in queryset.select_related("user"):
                self._record_reset(request, device)
            super().delete_queryset(request, queryset)  # type: ignore[misc]


admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(TOTPDevice)
class AuditedTOTPDeviceAdmin(_DeviceResetMixin, TOTPDeviceAdmin):
    pass


@admin.register(StaticDevice)
class AuditedStaticDeviceAdmin(_DeviceResetMixin, StaticDeviceAdmin):
    pass
