"""The one place that decides which rows a user may see: every page and endpoint goes through it.

A queryset that a view, an endpoint or a related-field choice touches is passed through
scoped_queryset(); a view that forgot a permission check then shows nothing rather than
everything. District scoping (a user sees the facilities of their districts) arrives with a later
issue and belongs here, in one place.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet


def can_view(user: AbstractBaseUser | AnonymousUser | None, model: type[Model]) -> bool:
    """Whether user holds the view permission of model (superusers hold every permission)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}")


def scoped_queryset(user: AbstractBaseUser | AnonymousUser | None, queryset: QuerySet) -> QuerySet:
    """The rows of queryset that user may see: all of them with the view permission, else none."""
    if not can_view(user, queryset.model):
        return queryset.none()
    return queryset
