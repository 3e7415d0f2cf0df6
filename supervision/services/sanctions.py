"""Sanctions: suspend or terminate an agreement, recover money, fine, warn, commend."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import models, transaction
from django.utils.translation import gettext as _

from supervision.choices import Grade, SanctionKind
from supervision.models import CreditRating, Facility, Inspection, Sanction
from supervision.models.sanction import MAX_SUSPENSION_MONTHS, latest_suspension_end
from supervision.services import reasons
from supervision.services._common import User, refuse, refuse_problems, save_with_history

CENT = Decimal("0.01")


def _record(
    facility: Facility,
    kind: str,
    user: User,
    *,
    decided_on: datetime.date,
    decision_number: str = "",
    legal_basis: str = "",
    note: str = "",
    **fields: object,
) -> Sanction:
    """Save a sanction of kind with its history; the free texts are kept without margins."""
    sanction = Sanction(
        facility=facility,
        kind=kind,
        decided_on=decided_on,
        decision_number=decision_number.strip(),
        legal_basis=legal_basis.strip(),
        note=note.strip(),
        created_by=user,
        **fields,
    )
    save_with_history(sanction, user, reasons.sanction_recorded(sanction.kind))
    return sanction


def _lock(facility: Facility) -> Facility:
    """Serialise sanctions on one facility (PostgreSQL row lock; SQLite locks on BEGIN)."""
    return Facility.objects.select_for_update().get(pk=facility.pk)


# The checks below write nothing: a form calls them to show field messages before anything is
# saved, and the workflows call them again under the facility's row lock. A date given as None
# is one the form reports as missing; the checks that need it are skipped.


def _others(facility: Facility, exclude_pk: int | None) -> models.QuerySet[Sanction]:
    """The facility's sanctions but the one being corrected (exclude_pk)."""
    sanctions = facility.sanctions.all()
    return sanctions if exclude_pk is None else sanctions.exclude(pk=exclude_pk)


def suspension_period_problems(
    *,
    starts_on: datetime.date | None,
    ends_on: datetime.date | None,
    decided_on: datetime.date | None,
) -> dict[str, str]:
    """What is wrong with a suspension's dates, by field, whatever the facility."""
    problems: dict[str, str] = {}
    if starts_on and ends_on:
        if ends_on < starts_on:
            problems["ends_on"] = _("截止日期不能早于起始日期。")
        elif ends_on > latest_suspension_end(starts_on):
            problems["ends_on"] = _("暂停期限最长%(n)d个月，截止日期最晚为%(day)s。") % {
                "n": MAX_SUSPENSION_MONTHS,
                "day": latest_suspension_end(starts_on).isoformat(),
            }
    if starts_on and decided_on and decided_on > starts_on:
        problems["decided_on"] = _("决定日期不能晚于暂停起始日期。")
    return problems


def suspension_problems(
    facility: Facility,
    *,
    starts_on: datetime.date | None,
    ends_on: datetime.date | None,
    decided_on: datetime.date | None,
    exclude_pk: int | None = None,
) -> dict[str, str]:
    """Queries: why facility could not be suspended over these dates, by field (empty: it can).

    exclude_pk: the suspension being corrected, which does not overlap itself.
    """
    problems = suspension_period_problems(
        starts_on=starts_on, ends_on=ends_on, decided_on=decided_on
    )
    if not (starts_on and ends_on) or ends_on < starts_on:
        return problems
    others = _others(facility, exclude_pk)
    overlapping = others.filter(
        kind=SanctionKind.SUSPENSION, starts_on__lte=ends_on, ends_on__gte=starts_on
    ).first()
    if overlapping:
        problems["starts_on"] = _("该机构在%(start)s至%(end)s已有暂停，期间不能重叠。") % {
            "start": overlapping.starts_on,
            "end": overlapping.ends_on,
        }
    elif others.filter(kind=SanctionKind.TERMINATION, starts_on__lte=starts_on).exists():
        problems["starts_on"] = _("该机构的医保服务协议已解除，不能再暂停。")
    return problems


def termination_problems(
    facility: Facility,
    *,
    effective_on: datetime.date | None,
    decided_on: datetime.date | None,
    exclude_pk: int | None = None,
) -> dict[str, str]:
    """Queries: why facility's agreement could not be terminated, by field (empty: it can)."""
    problems: dict[str, str] = {}
    if _others(facility, exclude_pk).filter(kind=SanctionKind.TERMINATION).exists():
        problems["kind"] = _("该机构的医保服务协议已解除。")
    if effective_on and decided_on and decided_on > effective_on:
        problems["decided_on"] = _("决定日期不能晚于解除生效日期。")
    return problems


def deposit_recovery_amount(facility: Facility, percent: Decimal) -> Decimal:
    """The amount recovering percent of facility's deposit comes to, rounded half up to cents.

    Raises ValidationError on deposit_percent when nothing can be recovered that way.
    """
    percent = Decimal(percent)
    if not Decimal("0") < percent <= Decimal("100"):
        raise refuse("deposit_percent", _("收回保证金比例应大于0且不超过100。"))
    if facility.deposit <= 0:
        raise refuse("deposit_percent", _("该机构没有登记医保保证金，无法按比例收回。"))
    amount = (facility.deposit * percent / Decimal("100")).quantize(CENT, rounding=ROUND_HALF_UP)
    if amount <= 0:
        raise refuse("deposit_percent", _("按该比例收回的保证金不足0.01元。"))
    return amount


def warning_problems(*, note: str) -> dict[str, str]:
    """A warning says what the facility was warned about."""
    return {} if note.strip() else {"note": _("请写明约谈或责令改正的内容。")}


def commendation_rating(
    facility: Facility, *, year: int, exclude_pk: int | None = None
) -> CreditRating:
    """Queries: the A rating of year a commendation of facility rests on.

    Raises ValidationError on rating when there is none, or when it was commended already
    (by another sanction than exclude_pk, the one being corrected).
    """
    rating = CreditRating.objects.filter(facility=facility, year=year).first()
    if rating is None or rating.grade != Grade.A:
        raise refuse("rating", _("只有%(year)s年度评为A级的机构才能授牌。") % {"year": year})
    commendations = rating.sanctions.filter(kind=SanctionKind.COMMENDATION)
    if exclude_pk is not None:
        commendations = commendations.exclude(pk=exclude_pk)
    if commendations.exists():
        raise refuse("rating", _("该机构%(year)s年度已授牌。") % {"year": year})
    return rating


@transaction.atomic
def suspend_agreement(
    facility: Facility,
    *,
    starts_on: datetime.date,
    ends_on: datetime.date,
    decided_on: datetime.date,
    user: User,
    decision_number: str = "",
    legal_basis: str = "",
    inspection: Inspection | None = None,
    rating: CreditRating | None = None,
    note: str = "",
) -> Sanction:
    """Suspend a facility's service agreement from starts_on to ends_on, both included."""
    facility = _lock(facility)
    refuse_problems(
        suspension_problems(facility, starts_on=starts_on, ends_on=ends_on, decided_on=decided_on)
    )
    return _record(
        facility,
        SanctionKind.SUSPENSION,
        user,
        starts_on=starts_on,
        ends_on=ends_on,
        decided_on=decided_on,
        decision_number=decision_number,
        legal_basis=legal_basis,
        inspection=inspection,
        rating=rating,
        note=note,
    )


@transaction.atomic
def recover_deposit(
    facility: Facility,
    *,
    percent: Decimal,
    decided_on: datetime.date,
    user: User,
    decision_number: str = "",
    legal_basis: str = "",
    inspection: Inspection | None = None,
    rating: CreditRating | None = None,
    note: str = "",
) -> Sanction:
    """Recover percent of the facility's deposit; the amount follows from the deposit."""
    facility = _lock(facility)
    percent = Decimal(percent)
    amount = deposit_recovery_amount(facility, percent)
    return _record(
        facility,
        SanctionKind.DEPOSIT_RECOVERY,
        user,
        deposit_percent=percent,
        amount=amount,
        decided_on=decided_on,
        decision_number=decision_number,
        legal_basis=legal_basis,
        inspection=inspection,
        rating=rating,
        note=note,
    )


@transaction.atomic
def record_payment(
    facility: Facility,
    *,
    kind: str,
    amount: Decimal,
    decided_on: datetime.date,
    user: User,
    decision_number: str = "",
    legal_basis: str = "",
    inspection: Inspection | None = None,
    note: str = "",
) -> Sanction:
    """Record a fine or a recovery of fund money (追回医保基金)."""
    if kind not in (SanctionKind.FINE, SanctionKind.FUND_RECOVERY):
        raise refuse("kind", _("只能登记罚款或追回医保基金。"))
    amount = Decimal(amount)
    if amount <= 0:
        raise refuse("amount", _("金额必须大于0。"))
    return _record(
        facility,
        kind,
        user,
        amount=amount.quantize(CENT, rounding=ROUND_HALF_UP),
        decided_on=decided_on,
        decision_number=decision_number,
        legal_basis=legal_basis,
        inspection=inspection,
        note=note,
    )


@transaction.atomic
def terminate_agreement(
    facility: Facility,
    *,
    effective_on: datetime.date,
    decided_on: datetime.date,
    user: User,
    decision_number: str = "",
    legal_basis: str = "",
    inspection: Inspection | None = None,
    note: str = "",
) -> Sanction:
    """Terminate the facility's service agreement from effective_on; it does not come back."""
    facility = _lock(facility)
    refuse_problems(
        termination_problems(facility, effective_on=effective_on, decided_on=decided_on)
    )
    return _record(
        facility,
        SanctionKind.TERMINATION,
        user,
        starts_on=effective_on,
        decided_on=decided_on,
        decision_number=decision_number,
        legal_basis=legal_basis,
        inspection=inspection,
        note=note,
    )


@transaction.atomic
def warn(
    facility: Facility,
    *,
    decided_on: datetime.date,
    user: User,
    note: str,
    decision_number: str = "",
    legal_basis: str = "",
    inspection: Inspection | None = None,
) -> Sanction:
    """Record a warning talk or an order to rectify (约谈/责令改正)."""
    refuse_problems(warning_problems(note=note))
    return _record(
        facility,
        SanctionKind.WARNING,
        user,
        decided_on=decided_on,
        decision_number=decision_number,
        legal_basis=legal_basis,
        inspection=inspection,
        note=note,
    )


@transaction.atomic
def commend(
    facility: Facility,
    *,
    year: int,
    decided_on: datetime.date,
    user: User,
    decision_number: str = "",
    note: str = "",
) -> Sanction:
    """Award the plaque (授牌) to a facility rated A for year; once per rating."""
    rating = commendation_rating(facility, year=year)
    return _record(
        facility,
        SanctionKind.COMMENDATION,
        user,
        rating=rating,
        decided_on=decided_on,
        decision_number=decision_number,
        note=note,
    )
