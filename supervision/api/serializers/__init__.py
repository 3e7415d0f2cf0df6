"""What the API reads and writes, one module per entity. Plain edits are validated by the model
(fields, clean(), constraints) before they are saved; everything that is a workflow goes through
supervision.services, as the pages and the admin do.

Related rows are written as ids and read as brief objects that the endpoint's queryset already
selects, so a list costs the same number of queries for 1 row and for 50.
"""

from supervision.api.serializers.facilities import FacilitySerializer
from supervision.api.serializers.inspections import CompleteSerializer, InspectionSerializer
from supervision.api.serializers.ratings import (
    CreditRatingSerializer,
    CreditRatingUpdateSerializer,
    GradeSerializer,
    RatingChangeSerializer,
)
from supervision.api.serializers.referrals import (
    MoveSerializer,
    ReferralSerializer,
    ReferralUpdateSerializer,
    ReferSerializer,
)
from supervision.api.serializers.sanctions import (
    RecoverDepositSerializer,
    SanctionSerializer,
    SanctionUpdateSerializer,
    SuspendSerializer,
)
from supervision.api.serializers.tips import (
    AcceptSerializer,
    CloseSerializer,
    ConcludeSerializer,
    DecideRewardSerializer,
    DeclineSerializer,
    ExtendSerializer,
    HotlineSerializer,
    MergeSerializer,
    OpenInspectionSerializer,
    PayRewardSerializer,
    ProposeRewardSerializer,
    ReplySerializer,
    ReporterInputSerializer,
    ReporterSerializer,
    TipRewardSerializer,
    TipSerializer,
    TipUpdateSerializer,
)

__all__ = [
    "AcceptSerializer",
    "CloseSerializer",
    "CompleteSerializer",
    "ConcludeSerializer",
    "CreditRatingSerializer",
    "CreditRatingUpdateSerializer",
    "DecideRewardSerializer",
    "DeclineSerializer",
    "ExtendSerializer",
    "FacilitySerializer",
    "GradeSerializer",
    "HotlineSerializer",
    "InspectionSerializer",
    "MergeSerializer",
    "MoveSerializer",
    "OpenInspectionSerializer",
    "PayRewardSerializer",
    "ProposeRewardSerializer",
    "RatingChangeSerializer",
    "RecoverDepositSerializer",
    "ReferSerializer",
    "ReferralSerializer",
    "ReferralUpdateSerializer",
    "ReplySerializer",
    "ReporterInputSerializer",
    "ReporterSerializer",
    "SanctionSerializer",
    "SanctionUpdateSerializer",
    "SuspendSerializer",
    "TipRewardSerializer",
    "TipSerializer",
    "TipUpdateSerializer",
]
