"""The one place that decides which rows a user may see: every page, endpoint and admin page goes
through it.

A queryset that a view, an endpoint, an admin page or a related-field choice touches is passed
through scoped_queryset(); a view that forgot a permission check then shows nothing rather than
everything. Two rules, in that order:

1. the model's view permission (superusers hold every permission): without it, no rows;
2. the account's districts (supervision.models.UserDistrict): an account with rows sees only the
   records of facilities in those districts; an account without any sees every district.

Each model says once how its district is reached, as `district_path` (e.g. Referral:
"inspection__facility__district"), or a tuple of paths for a record that hangs from one of
several parents (any of them in the districts will do); None marks a table shared by every
district (inspectors, the code lists). A model that does not say is shown to no limited account:
a forgotten path fails closed. Writes are re-checked with check_in_scope().
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet

UserLike = AbstractBaseUser | AnonymousUser | None

_UNDECLARED = object()
_CACHE = "_supervision_districts"


def can_view(user: UserLike, model: type[Model]) -> bool:
    """Whether user holds the view permission of model (superusers hold every permission)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}")


def user_districts(user: UserLike) -> frozenset[str] | None:
    """The districts user is limited to, or None when not limited (one query, then cached)."""
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, _CACHE, _UNDECLARED)
    if cached is _UNDECLARED:
        # Through the reverse relation of UserDistrict.user: the models import this module.
        rows = frozenset(user.districts.values_list("district", flat=True))  # type: ignore[union-attr]
        cached = rows or None
        setattr(user, _CACHE, cached)
    return cached  # type: ignore[return-value]


def forget_districts(user: UserLike) -> None:
    """Drop the cached districts (after they were changed for this user object)."""
    if user is not None and hasattr(user, _CACHE):
        delattr(user, _CACHE)


_GROUPS = "_supervision_group_names"


def group_names(user: UserLike) -> frozenset[str]:
    """The names of user's groups (roles), read once per user object as Django keeps its
    permissions: the navigation, the second factor and "my work" ask it on every page."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, _GROUPS, None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))  # type: ignore[union-attr]
        setattr(user, _GROUPS, cached)
    return cached


def forget_groups(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    """m2m_changed of the users' groups: a user object whose groups changed reads them again."""
    if action.startswith("post_") and hasattr(instance, _GROUPS):
        delattr(instance, _GROUPS)


def district_path(model: type[Model]) -> Any:
    """The model's lookup path to a district, None for shared tables, _UNDECLARED if not said."""
    return getattr(model, "district_path", _UNDECLARED)


def scoped_queryset(user: UserLike, queryset: QuerySet) -> QuerySet:
    """The rows of queryset that user may see.

    A table derived from another one (the overview's totals) names it as `permission_model`:
    whoever may see ratings may see how many there are, in the same districts."""
    if not can_view(user, getattr(queryset.model, "permission_model", queryset.model)):
        return queryset.none()
    districts = user_districts(user)
    if districts is None:
        return queryset
    path = district_path(queryset.model)
    if path is None:
        return queryset
    if path is _UNDECLARED:
        return queryset.none()
    paths = (path,) if isinstance(path, str) else path
    condition = Q()
    for each in paths:
        condition |= Q(**{f"{each}__in": sorted(districts)})
    return queryset.filter(condition)


def district_of(obj: Model) -> str | None:
    """The district obj belongs to, following its model's district_path (may query)."""
    path = district_path(type(obj))
    if path is None or path is _UNDECLARED:
        return None
    for each in (path,) if isinstance(path, str) else path:
        value: Any = obj
        for step in each.split("__"):
            value = getattr(value, step, None)
            if value is None:
                break
        if value is not None:
            return value
    return None


def in_scope(user: UserLike, obj: Model) -> bool:
    """Whether obj (as it is now, saved or not) lies in user's districts."""
    districts = user_districts(user)
    if districts is None:
        return True
    path = district_path(type(obj))
    if path is None:
        return True
    if path is _UNDECLARED:
        return False
    return district_of(obj) in districts


def check_in_scope(user: UserLike, obj: Model) -> None:
    """Refuse (PermissionDenied, a 403) writing obj outside user's districts.

    The re-check of every write: the services, the API's plain saves and the admin call it with
    the record as it is about to be saved, so moving a facility out of one's districts is refused
    as well as creating a record for a facility outside them.
    """
    if not in_scope(user, obj):
        raise PermissionDenied("outside the account's districts")
