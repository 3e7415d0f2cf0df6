"""Workflows that change state. Each is atomic, writes its history with the acting user, and is
called alike by the pages, the API and the admin."""

from supervision.services.evidence import attach_evidence
from supervision.services.facilities import edit_facility, register_facility
from supervision.services.inspections import (
    complete_inspection,
    edit_inspection,
    record_inspection,
)
from supervision.services.ratings import lock_for_grade_changes, set_grade
from supervision.services.referrals import move_referral, refer_inspection
from supervision.services.sanctions import (
    commend,
    record_payment,
    recover_deposit,
    suspend_agreement,
    terminate_agreement,
    warn,
)
from supervision.services.tip_rewards import (
    decide_reward,
    expire_rewards,
    pay_reward,
    propose_reward,
)
from supervision.services.tips import (
    accept_tip,
    close_tip,
    conclude_tip,
    decline_tip,
    edit_tip,
    extend_investigation,
    merge_tip,
    open_inspection,
    recompute_deadlines,
    register_tip,
    reply_to_reporter,
    set_reporter,
)

__all__ = [
    "accept_tip",
    "attach_evidence",
    "close_tip",
    "commend",
    "complete_inspection",
    "conclude_tip",
    "decide_reward",
    "decline_tip",
    "edit_facility",
    "edit_inspection",
    "edit_tip",
    "expire_rewards",
    "extend_investigation",
    "lock_for_grade_changes",
    "merge_tip",
    "move_referral",
    "open_inspection",
    "pay_reward",
    "propose_reward",
    "recompute_deadlines",
    "record_inspection",
    "record_payment",
    "recover_deposit",
    "refer_inspection",
    "register_facility",
    "register_tip",
    "reply_to_reporter",
    "set_grade",
    "set_reporter",
    "suspend_agreement",
    "terminate_agreement",
    "warn",
]
