"""Referrals: hand an inspection's case to another agency and follow it to its end."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from supervision.choices import REFERRAL_TRANSITIONS, Agency, InspectionStatus, ReferralStatus
from supervision.models import Inspection, Referral
from supervision.services._common import User, refuse, required_text, save_with_history


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
    summary = required_text(summary, "summary", _("请填写案情摘要。"))
    if agency not in Agency.values:
        raise refuse("agency", _("移送部门无效。"))
    if inspection.status == InspectionStatus.PLANNED:
        raise refuse("inspection", _("计划中的检查尚无发现，不能移送。"))
    if referred_on < inspection.start_date:
        raise refuse("referred_on", _("移送日期不能早于检查开始日期。"))
    if Referral.objects.filter(inspection=inspection, agency=agency).exists():
        raise refuse("agency", _("该检查已移送过这个部门。"))
    referral = Referral(
        inspection=inspection,
        agency=agency,
        referred_on=referred_on,
        summary=summary,
        created_by=user,
    )
    save_with_history(referral, user, _("移送%(agency)s") % {"agency": Agency(agency).label})
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
) -> Referral:
    """Move a referral to its next status: accepted or declined, then closed."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    allowed = REFERRAL_TRANSITIONS[referral.status]
    if to_status not in allowed:
        raise refuse(
            "status",
            _("移送状态不能从“%(from)s”变为“%(to)s”。")
            % {
                "from": ReferralStatus(referral.status).label,
                "to": ReferralStatus(to_status).label
                if to_status in ReferralStatus.values
                else to_status,
            },
        )
    if to_status == ReferralStatus.CLOSED:
        if on < (referral.decided_on or referral.referred_on):
            raise refuse("closed_on", _("结案日期不能早于立案/不予立案日期。"))
        referral.closed_on = on
        referral.outcome = required_text(outcome, "outcome", _("结案时请填写处理结果。"))
    else:
        if on < referral.referred_on:
            raise refuse("decided_on", _("立案/不予立案日期不能早于移送日期。"))
        referral.decided_on = on
        if to_status == ReferralStatus.ACCEPTED:
            referral.case_number = required_text(
                case_number, "case_number", _("立案时请填写立案编号。")
            )
        if outcome.strip():
            referral.outcome = outcome.strip()
    referral.status = to_status
    save_with_history(referral, user, ReferralStatus(to_status).label)
    return referral
