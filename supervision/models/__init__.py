"""The domain's entities, one module each."""

from supervision.models.audit_event import AuditEvent
from supervision.models.calendar import CalendarDay, CalendarYear
from supervision.models.evidence import Evidence
from supervision.models.facility import Facility
from supervision.models.hotline import Hotline
from supervision.models.inspection import Inspection, Inspector, PartnerAgency, ViolationCategory
from supervision.models.rating import CreditRating, RatingChange
from supervision.models.referral import Referral
from supervision.models.sanction import Sanction
from supervision.models.scope import UserDistrict
from supervision.models.tally import GradeTally, InspectionTally
from supervision.models.tip import Tip, TipExtension, TipReporter, TipReward

__all__ = [
    "AuditEvent",
    "CalendarDay",
    "CalendarYear",
    "CreditRating",
    "Evidence",
    "Facility",
    "GradeTally",
    "Hotline",
    "Inspection",
    "InspectionTally",
    "Inspector",
    "PartnerAgency",
    "RatingChange",
    "Referral",
    "Sanction",
    "Tip",
    "TipExtension",
    "TipReporter",
    "TipReward",
    "UserDistrict",
    "ViolationCategory",
]
