"""Sanctions: suspend or terminate an agreement, recover money, fine, warn, commend."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from supervision.choices import Grade, SanctionKind
from supervision.models import CreditRating, Facility, Inspection, Sanction
from supervision.models.sanction import MAX_SUSPENSION_MONTHS, latest_suspension_end
from supervision.services._common import User, refuse, save_with_history

CENT = Decimal("0.01")


def _record(sanction: Sanction, user: User) -> Sanction:
    sanction.created_by = user
    save_with_history(sanction, user, str(SanctionKind(sanction.kind).label))
    return sanction


def _lock(facility: Facility) -> Facility:
    """Serialise sanctions on one facility (PostgreSQL row lock; SQLite locks on BEGIN)."""
    return Facility.objects.select_for_update().get(pk=facility.pk)


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
    if ends_on < starts_on:
        raise refuse("ends_on", _("截止日期不能早于起始日期。"))
    if ends_on > latest_suspension_end(starts_on):
        raise refuse(
            "ends_on",
            _("暂停期限最长%(n)d个月，截止日期最晚为%(day)s。")
            % {"n": MAX_SUSPENSION_MONTHS, "day": latest_suspension_end(starts_on).isoformat()},
        )
    if decided_on > starts_on:
        raise refuse("decided_on", _("决定日期不能晚于暂停起始日期。"))
    overlapping = facility.sanctions.filter(
        kind=SanctionKind.SUSPENSION, starts_on__lte=ends_on, ends_on__gte=starts_on
    ).first()
    if overlapping:
        raise refuse(
            "starts_on",
            _("该机构在%(start)s至%(end)s已有暂停，期间不能重叠。")
            % {"start": overlapping.starts_on, "end": overlapping.ends_on},
        )
    terminated = facility.sanctions.filter(
        kind=SanctionKind.TERMINATION, starts_on__lte=starts_on
    ).exists()
    if terminated:
        raise refuse("starts_on", _("该机构的医保服务协议已解除，不能再暂停。"))
    return _record(
        Sanction(
            facility=facility,
            kind=SanctionKind.SUSPENSION,
            starts_on=starts_on,
            ends_on=ends_on,
            decided_on=decided_on,
            decision_number=decision_number.strip(),
            legal_basis=legal_basis.strip(),
            inspection=inspection,
            rating=rating,
            note=note.strip(),
        ),
        user,
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
    if not Decimal("0") < percent <= Decimal("100"):
        raise refuse("deposit_percent", _("收回保证金比例应大于0且不超过100。"))
    if facility.deposit <= 0:
        raise refuse("deposit_percent", _("该机构没有登记医保保证金，无法按比例收回。"))
    amount = (facility.deposit * percent / Decimal("100")).quantize(CENT, rounding=ROUND_HALF_UP)
    if amount <= 0:
        raise refuse("deposit_percent", _("按该比例收回的保证金不足0.01元。"))
    return _record(
        Sanction(
            facility=facility,
            kind=SanctionKind.DEPOSIT_RECOVERY,
            deposit_percent=percent,
            amount=amount,
            decided_on=decided_on,
            decision_number=decision_number.strip(),
            legal_basis=legal_basis.strip(),
            inspection=inspection,
            rating=rating,
            note=note.strip(),
        ),
        user,
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
        Sanction(
            facility=facility,
            kind=kind,
            amount=amount.quantize(CENT, rounding=ROUND_HALF_UP),
            decided_on=decided_on,
            decision_number=decision_number.strip(),
            legal_basis=legal_basis.strip(),
            inspection=inspection,
            note=note.strip(),
        ),
        user,
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
    if facility.sanctions.filter(kind=SanctionKind.TERMINATION).exists():
        raise refuse("kind", _("该机构的医保服务协议已解除。"))
    if decided_on > effective_on:
        raise refuse("decided_on", _("决定日期不能晚于解除生效日期。"))
    return _record(
        Sanction(
            facility=facility,
            kind=SanctionKind.TERMINATION,
            starts_on=effective_on,
            decided_on=decided_on,
            decision_number=decision_number.strip(),
            legal_basis=legal_basis.strip(),
            inspection=inspection,
            note=note.strip(),
        ),
        user,
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
    if not note.strip():
        raise refuse("note", _("请写明约谈或责令改正的内容。"))
    return _record(
        Sanction(
            facility=facility,
            kind=SanctionKind.WARNING,
            decided_on=decided_on,
            decision_number=decision_number.strip(),
            legal_basis=legal_basis.strip(),
            inspection=inspection,
            note=note.strip(),
        ),
        user,
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
    rating = CreditRating.objects.filter(facility=facility, year=year).first()
    if rating is None or rating.grade != Grade.A:
        raise refuse("rating", _("只有%(year)s年度评为A级的机构才能授牌。") % {"year": year})
    if rating.sanctions.filter(kind=SanctionKind.COMMENDATION).exists():
        raise refuse("rating", _("该机构%(year)s年度已授牌。") % {"year": year})
    return _record(
        Sanction(
            facility=facility,
            kind=SanctionKind.COMMENDATION,
            rating=rating,
            decided_on=decided_on,
            decision_number=decision_number.strip(),
            note=note.strip(),
        ),
        user,
    )
