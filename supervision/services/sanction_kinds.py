"""The sanction-kind rule, in one place: what each kind of measure takes, its checks and the
service that records it. The page form, the API and the admin read it and hold no copy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from supervision.choices import SanctionKind
from supervision.models import Facility, Sanction
from supervision.services._common import User
from supervision.services.sanctions import (
    commend,
    commendation_rating,
    deposit_recovery_amount,
    record_payment,
    recover_deposit,
    suspend_agreement,
    suspension_problems,
    terminate_agreement,
    termination_problems,
    warn,
    warning_problems,
)

_OPTIONAL = frozenset({"decision_number", "legal_basis", "inspection", "note"})
# What each kind takes beyond facility, kind and decided_on: (required, optional). `rating` is
# the credit rating the measure rests on (the page form asks for its year, rating_year).
KIND_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    SanctionKind.SUSPENSION: (frozenset({"starts_on", "ends_on"}), _OPTIONAL | {"rating"}),
    SanctionKind.TERMINATION: (frozenset({"starts_on"}), _OPTIONAL),
    SanctionKind.DEPOSIT_RECOVERY: (frozenset({"deposit_percent"}), _OPTIONAL | {"rating"}),
    SanctionKind.FUND_RECOVERY: (frozenset({"amount"}), _OPTIONAL),
    SanctionKind.FINE: (frozenset({"amount"}), _OPTIONAL),
    SanctionKind.WARNING: (frozenset({"note"}), _OPTIONAL - {"note"}),
    SanctionKind.COMMENDATION: (frozenset({"rating"}), frozenset({"decision_number", "note"})),
}
# What a measure records, in the order the API and the admin show it.
MEASURE_FIELDS = (
    "facility",
    "kind",
    "decided_on",
    "decision_number",
    "legal_basis",
    "starts_on",
    "ends_on",
    "deposit_percent",
    "amount",
    "inspection",
    "rating",
    "note",
)
# Every field some kind takes and another does not, in the order the page form shows them.
KIND_SPECIFIC = (
    "starts_on",
    "ends_on",
    "deposit_percent",
    "amount",
    "rating",
    "inspection",
    "decision_number",
    "legal_basis",
    "note",
)


def kinds_taking(name: str) -> list[str]:
    """The sanction kinds that take field `name` (required or optional)."""
    return [kind for kind, (req, opt) in KIND_FIELDS.items() if name in req | opt]


def field_problems(
    kind: str,
    values: Mapping[str, Any],
    *,
    names: Mapping[str, str] | None = None,
    skip: frozenset[str] | set[str] = frozenset(),
) -> dict[str, str]:
    """By field: a field the kind needs left empty, or one it does not take filled in.

    names: the caller's name of a field where it differs (the page form's rating_year);
    skip: fields already refused for another reason.
    """
    names = names or {}
    required, optional = KIND_FIELDS[kind]
    label = SanctionKind(kind).label
    problems: dict[str, str] = {}
    for name in KIND_SPECIFIC:
        field = names.get(name, name)
        if field in skip:
            continue
        given = values.get(field) not in (None, "")
        if name in required and not given:
            problems[field] = _("%(kind)s必须填写此项。") % {"kind": label}
        elif given and name not in required | optional:
            problems[field] = _("%(kind)s不填写此项。") % {"kind": label}
    return problems


def foreign_problems(facility: Facility, values: Mapping[str, Any]) -> dict[str, str]:
    """The inspection or rating cited, when it is not the facility's own."""
    return {
        name: _("所选记录不属于该机构。")
        for name in ("inspection", "rating")
        if values.get(name) is not None and values[name].facility_id != facility.pk
    }


def kind_problems(
    kind: str,
    facility: Facility,
    values: Mapping[str, Any],
    *,
    year: int | None = None,
    exclude_pk: int | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Queries: the kind's own checks, which its service runs again when writing.

    Returns what follows from the values (a deposit recovery's amount, a commendation's
    rating) and the problems by field. year: the rating year a commendation rests on (None: no
    rating given); exclude_pk: the sanction being corrected.
    """
    if kind == SanctionKind.SUSPENSION:
        return {}, suspension_problems(
            facility,
            starts_on=values.get("starts_on"),
            ends_on=values.get("ends_on"),
            decided_on=values.get("decided_on"),
            exclude_pk=exclude_pk,
        )
    if kind == SanctionKind.TERMINATION:
        return {}, termination_problems(
            facility,
            effective_on=values.get("starts_on"),
            decided_on=values.get("decided_on"),
            exclude_pk=exclude_pk,
        )
    if kind == SanctionKind.WARNING:
        return {}, warning_problems(note=values.get("note") or "")
    try:
        if kind == SanctionKind.DEPOSIT_RECOVERY:
            percent = values.get("deposit_percent")
            if percent is None:
                return {}, {"deposit_percent": _("收回保证金须填写比例。")}
            return {"amount": deposit_recovery_amount(facility, percent)}, {}
        if kind == SanctionKind.COMMENDATION:
            if year is None:
                return {}, {"rating": _("授牌必须关联一条A级信用评价。")}
            return {"rating": commendation_rating(facility, year=year, exclude_pk=exclude_pk)}, {}
    except ValidationError as error:
        return {}, error.message_dict
    return {}, {}


def record_sanction(facility: Facility, *, kind: str, user: User, **values: Any) -> Sanction:
    """Record a measure of `kind` through its service.

    values: decided_on and the fields the kind takes (KIND_FIELDS), by name; a commendation's
    rating year is `year`, by default that of `rating`.
    """
    common: dict[str, Any] = {
        "decided_on": values["decided_on"],
        "user": user,
        "decision_number": values.get("decision_number") or "",
        "note": values.get("note") or "",
    }
    if kind == SanctionKind.COMMENDATION:
        year = values.get("year")
        return commend(facility, year=values["rating"].year if year is None else year, **common)
    common |= {
        "legal_basis": values.get("legal_basis") or "",
        "inspection": values.get("inspection"),
    }
    rating = values.get("rating")
    if kind == SanctionKind.SUSPENSION:
        return suspend_agreement(
            facility,
            starts_on=values["starts_on"],
            ends_on=values["ends_on"],
            rating=rating,
            **common,
        )
    if kind == SanctionKind.TERMINATION:
        return terminate_agreement(facility, effective_on=values["starts_on"], **common)
    if kind == SanctionKind.DEPOSIT_RECOVERY:
        return recover_deposit(facility, percent=values["deposit_percent"], rating=rating, **common)
    if kind in (SanctionKind.FINE, SanctionKind.FUND_RECOVERY):
        return record_payment(facility, kind=kind, amount=values["amount"], **common)
    if kind == SanctionKind.WARNING:
        return warn(facility, **common)
    raise ValueError(f"unknown sanction kind {kind!r}")
