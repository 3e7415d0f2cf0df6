"""Who may call what: the model permissions of the roles (supervision.roles), reads included."""

from __future__ import annotations

from rest_framework.exceptions import MethodNotAllowed
from rest_framework.permissions import DjangoModelPermissions

_VIEW = ["%(app_label)s.view_%(model_name)s"]


class RolePermissions(DjangoModelPermissions):
    """Django model permissions, with view_<model> for reads.

    A workflow action needs the permissions of what it writes, declared on the viewset as
    `action_permissions = {"grade": ["supervision.add_creditrating", ...]}`. A method the
    endpoint does not offer is 405 for every signed-in user (not 403 for those who could not use
    it anyway). Which rows a user sees is decided by supervision.scoping, in get_queryset.
    """

    perms_map = {
        "GET": _VIEW,
        "HEAD": _VIEW,
        "OPTIONS": _VIEW,
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if getattr(view, "_ignore_model_permissions", False):
            return True
        action_map = getattr(view, "action_map", None)
        method = request.method.lower()
        if action_map is not None and method not in action_map and method != "options":
            raise MethodNotAllowed(request.method)
        action = getattr(view, "action", None)
        declared = getattr(view, "action_permissions", {})
        if action in declared:
            return user.has_perms(declared[action])
        model = self._queryset(view).model
        return user.has_perms(self.get_required_permissions(request.method, model))


class ReporterPermissions(RolePermissions):
    """Who reported a tip is personal data: reading it needs view_tipreporter, recording or
    correcting it change_tipreporter (besides reading the tip)."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        needed = "view" if request.method in ("GET", "HEAD", "OPTIONS") else "change"
        return request.user.has_perms(["supervision.view_tip", f"supervision.{needed}_tipreporter"])
