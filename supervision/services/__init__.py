"""Workflows that change state. Each is atomic, writes its history with the acting user, and is
called alike by the pages, the API and the admin."""

from supervision.services.check_plans import build_check_plan, match_planned_checks
from supervision.services.credit_actions import adjust_grade, apply_for_repair, decide_repair
from supervision.services.credit_subjects import (
    edit_institution,
    edit_insured_person,
    register_institution,
    register_insured_person,
)
from supervision.services.evaluation import (
    announce_cycle,
    complete_initial_scoring,
    copy_system,
    decide_objection,
    finalise_cycle,
    open_cycle,
    publish_cycle,
    record_objection,
    record_self_assessment,
    score_cycle,
    score_indicator,
)
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
    "adjust_grade",
    "announce_cycle",
    "apply_for_repair",
    "attach_evidence",
    "build_check_plan",
    "close_tip",
    "commend",
    "complete_initial_scoring",
    "complete_inspection",
    "conclude_tip",
    "copy_system",
    "decide_objection",
    "decide_repair",
    "decide_reward",
    "decline_tip",
    "edit_facility",
    "edit_inspection",
    "edit_institution",
    "edit_insured_person",
    "edit_tip",
    "expire_rewards",
    "extend_investigation",
    "finalise_cycle",
    "lock_for_grade_changes",
    "match_planned_checks",
    "merge_tip",
    "move_referral",
    "open_cycle",
    "open_inspection",
    "pay_reward",
    "propose_reward",
    "publish_cycle",
    "recompute_deadlines",
    "record_inspection",
    "record_objection",
    "record_payment",
    "record_self_assessment",
    "recover_deposit",
    "refer_inspection",
    "register_facility",
    "register_institution",
    "register_insured_person",
    "register_tip",
    "reply_to_reporter",
    "score_cycle",
    "score_indicator",
    "set_grade",
    "set_reporter",
    "suspend_agreement",
    "terminate_agreement",
    "warn",
]
