"""Django's model permissions, with a user's own and their roles' permissions read in one
query: Django's ModelBackend reads them in two, on every request that checks a permission."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RolePermissionBackend(ModelBackend):
    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                return super().get_all_permissions(user_obj)
            fields = ("content_type__app_label", "codename")
            own = Permission.objects.filter(user=user_obj).values_list(*fields).order_by()
            of_roles = (
                Permission.objects.filter(group__user=user_obj).values_list(*fields).order_by()
            )
            user_obj._perm_cache = {
                f"{app_label}.{codename}" for app_label, codename in own.union(of_roles)
            }
        return user_obj._perm_cache
