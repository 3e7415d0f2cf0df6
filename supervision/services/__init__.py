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

__all__ = [
    "attach_evidence",
    "commend",
    "complete_inspection",
    "edit_facility",
    "edit_inspection",
    "lock_for_grade_changes",
    "move_referral",
    "record_inspection",
    "record_payment",
    "recover_deposit",
    "refer_inspection",
    "register_facility",
    "set_grade",
    "suspend_agreement",
    "terminate_agreement",
    "warn",
]
