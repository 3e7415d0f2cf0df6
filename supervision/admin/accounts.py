"""Staff accounts: Django's user admin with the districts an account is limited to."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from supervision.models import UserDistrict


class UserDistrictInline(admin.TabularInline):
    """The districts the account sees; none at all: every district. Superusers edit them."""

    model = UserDistrict
    extra = 0
    fields = ("district",)
    verbose_name_plural = _("可见区县（不填则可见全部区县）")

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = (*UserAdmin.inlines, UserDistrictInline)
    # Set by the sign-in, not typed: as inputs (to the minute in Chinese) every save of an
    # account would cut their seconds off.
    readonly_fields = ("last_login", "date_joined")
