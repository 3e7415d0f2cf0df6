"""The domain's entities, one module each."""

from supervision.models.audit_event import AuditEvent
from supervision.models.calendar import CalendarDay, CalendarYear
from supervision.models.case_numbers import CaseNumberCounter, CaseNumberPattern
from supervision.models.credit import (
    CreditCategory,
    CreditInstitution,
    Dimension,
    Indicator,
    IndicatorSystem,
    InsuredIdentity,
    InsuredPerson,
)
from supervision.models.documents import DocumentTemplate, IssuedDocument
from supervision.models.evaluation import (
    Assessment,
    AssessmentItem,
    CreditRepair,
    EvaluationCycle,
    Objection,
    PlannedCheck,
    SupervisionMeasure,
)
from supervision.models.evidence import Evidence
from supervision.models.facility import Facility
from supervision.models.hotline import Hotline
from supervision.models.imports import ImportJob, ImportRow
from supervision.models.inspection import Inspection, Inspector, PartnerAgency, ViolationCategory
from supervision.models.practitioner import (
    PointsBand,
    PointsPolicy,
    PointsRecord,
    Practitioner,
    PractitionerIdentity,
    QualificationMeasure,
    Registration,
    SuspensionPeriod,
)
from supervision.models.publication import GradePublication, PublicEdition, TypicalCase
from supervision.models.random_check import (
    RandomCheckAssignment,
    RandomCheckPlan,
    RandomCheckTarget,
)
from supervision.models.rating import CreditRating, RatingChange
from supervision.models.rectification import Rectification
from supervision.models.referral import Referral
from supervision.models.reminders import (
    DigestDelivery,
    Notification,
    ReminderPreference,
    ScheduledRun,
)
from supervision.models.sanction import Sanction
from supervision.models.scope import UserDistrict
from supervision.models.tally import GradeTally, InspectionTally
from supervision.models.tip import Tip, TipExtension, TipReporter, TipReward

__all__ = [
    "Assessment",
    "AssessmentItem",
    "AuditEvent",
    "CalendarDay",
    "CalendarYear",
    "CaseNumberCounter",
    "CaseNumberPattern",
    "CreditCategory",
    "CreditInstitution",
    "CreditRating",
    "CreditRepair",
    "DigestDelivery",
    "Dimension",
    "DocumentTemplate",
    "EvaluationCycle",
    "Evidence",
    "Facility",
    "GradePublication",
    "GradeTally",
    "Hotline",
    "ImportJob",
    "ImportRow",
    "Indicator",
    "IndicatorSystem",
    "Inspection",
    "InspectionTally",
    "Inspector",
    "InsuredIdentity",
    "InsuredPerson",
    "IssuedDocument",
    "Notification",
    "Objection",
    "PartnerAgency",
    "PlannedCheck",
    "PointsBand",
    "PointsPolicy",
    "PointsRecord",
    "Practitioner",
    "PractitionerIdentity",
    "PublicEdition",
    "QualificationMeasure",
    "RandomCheckAssignment",
    "RandomCheckPlan",
    "RandomCheckTarget",
    "RatingChange",
    "Rectification",
    "Referral",
    "Registration",
    "ReminderPreference",
    "Sanction",
    "ScheduledRun",
    "SupervisionMeasure",
    "SuspensionPeriod",
    "Tip",
    "TipExtension",
    "TipReporter",
    "TipReward",
    "TypicalCase",
    "UserDistrict",
    "ViolationCategory",
]
