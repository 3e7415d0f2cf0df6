"""Referrals: hand an inspection's case to another agency and follow it to its end."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from supervision.choices import REFERRAL_TRANSITIONS, Agency, InspectionStatus, ReferralStatus
from supervision.models import Inspection, Referral
from supervision.models.base import check_version
from supervision.services import reasons
from supervision.services._common import User, refuse_problems, save_with_history

# referral_problems and move_problems write nothing: a form calls them to show field messages
# before saving, and the workflows below call them again. None stands for a value the form
# reports as missing; the checks that need it are skipped.


def referral_problems(
    inspection: Inspection,
    *,
    agency: str | None,
    referred_on: datetime.date | None,
    summary: str | None,
) -> dict[str, str]:
    """Queries: why inspection could not be referred to agency, by field (empty: it can)."""
    problems: dict[str, str] = {}
    if summary is not None and not summary.strip():
        problems["summary"] = _("请填写案情摘要。")
    if agency is not None:
        if agency not in Agency.values:
            problems["agency"] = _("移送部门无效。")
        elif Referral.objects.filter(inspection=inspection, agency=agency).exists():
            problems["agency"] = _("该检查已移送过这个部门。")
    if inspection.status == InspectionStatus.PLANNED:
        problems["inspection"] = _("计划中的检查尚无发现，不能移送。")
    if referred_on and referred_on < inspection.start_date:
        problems["referred_on"] = _("移送日期不能早于检查开始日期。")
    return problems


def move_problems(
    referral: Referral,
    *,
    to_status: str,
    on: datetime.date | None,
    case_number: str = "",
    outcome: str = "",
) -> dict[str, str]:
    """Why referral could not move to to_status on day on, by field (empty: it can)."""
    if to_status not in REFERRAL_TRANSITIONS[referral.status]:
        to_label = (
            ReferralStatus(to_status).label if to_status in ReferralStatus.values else to_status
        )
        return {
            "status": _("移送状态不能从“%(from)s”变为“%(to)s”。")
            % {"from": ReferralStatus(referral.status).label, "to": to_label}
        }
    problems: dict[str, str] = {}
    if to_status == ReferralStatus.CLOSED:
        if on and on < (referral.decided_on or referral.referred_on):
            problems["closed_on"] = _("结案日期不能早于立案/不予立案日期。")
        if not outcome.strip():
            problems["outcome"] = _("结案时请填写处理结果。")
        return problems
    if on and on < referral.referred_on:
        problems["decided_on"] = _("立案/不予立案日期不能早于移送日期。")
    if to_status == ReferralStatus.ACCEPTED and not case_number.strip():
        problems["case_number"] = _("立案时请填写立案编号。")
    return problems


@transaction.atomic
def refer_inspection(
    inspection: Inspection,
    *,
    agency: str,
    referred_on: datetime.date,
    summary: str,
    user: User,
) -> Referral:
    """Refer what an inspection found to an agency (e.g. forged delivery notes to the police)."""
    refuse_problems(
        referral_problems(inspection, agency=agency, referred_on=referred_on, summary=summary)
    )
    referral = Referral(
        inspection=inspection,
        agency=agency,
        referred_on=referred_on,
        summary=summary.strip(),
        created_by=user,
    )
    save_with_history(referral, user, reasons.referred_to(agency))
    return referral


@transaction.atomic
def move_referral(
    referral: Referral,
    *,
    to_status: str,
    on: datetime.date,
    user: User,
    case_number: str = "",
    outcome: str = "",
    expected_version: int | None = None,
) -> Referral:
    """Move a referral to its next status: accepted or declined, then closed.

    expected_version: the version the user saw; another one is refused with StaleEdit.
    """
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    check_version(referral, expected_version)
    refuse_problems(
        move_problems(
            referral, to_status=to_status, on=on, case_number=case_number, outcome=outcome
        )
    )
    if to_status == ReferralStatus.CLOSED:
        referral.closed_on = on
    else:
        referral.decided_on = on
        if to_status == ReferralStatus.ACCEPTED:
            referral.case_number = case_number.strip()
    if outcome.strip():
        referral.outcome = outcome.strip()
    referral.status = to_status
    save_with_history(referral, user, reasons.referral_moved(to_status))
    return referral
