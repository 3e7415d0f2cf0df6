"""How a person is named on pages and in exports."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist


def person_name(user: object) -> str:
    """An account's person: the name of the officer linked to it (Inspector.user), else the
    account's full name, else its username; "" for no account.

    Reading `user.inspector` queries unless the caller selected it
    (`select_related("created_by__inspector")`), as every list and export here does.
    """
    if user is None or not hasattr(user, "get_username"):
        return ""
    try:
        inspector = user.inspector  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        inspector = None
    if inspector is not None and inspector.name:
        return inspector.name
    return user.get_full_name() or user.get_username()  # type: ignore[attr-defined]
