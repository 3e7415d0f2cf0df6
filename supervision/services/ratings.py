"""Credit ratings: set or change a facility's grade for a year, always with a reason."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from supervision.choices import Grade
from supervision.models import CreditRating, Facility, RatingChange
from supervision.services._common import (
    UNSET,
    Unset,
    User,
    refuse,
    required_text,
    save_with_history,
)


@transaction.atomic
def set_grade(
    *,
    facility: Facility,
    year: int,
    grade: str,
    reason: str,
    user: User,
    score: Decimal | Unset | None = UNSET,
    rated_on: datetime.date | Unset | None = UNSET,
    basis: str | Unset | None = UNSET,
) -> RatingChange:
    """Give facility `grade` for `year`, creating the rating or changing it.

    Writes one RatingChange (from → to, reason, who) in the same transaction. Refuses a change
    that would leave the grade as it is. score, rated_on and basis left out stay as they are;
    None clears them.
    """
    reason = required_text(reason, "reason", _("请填写评级调整原因。"))
    if grade not in Grade.values:
        raise refuse("grade", _("信用等级只能是A、B、C或D。"))
    rating = CreditRating.objects.select_for_update().filter(facility=facility, year=year).first()
    if rating is None:
        rating = CreditRating(facility=facility, year=year, grade=grade)
        from_grade = ""
    else:
        if rating.grade == grade:
            raise refuse(
                "grade",
                _("%(facility)s %(year)s年度已是%(grade)s级，无需调整。")
                % {"facility": facility.name, "year": year, "grade": grade},
            )
        from_grade = rating.grade
        rating.grade = grade
    if not isinstance(score, Unset):
        rating.score = score
    if not isinstance(rated_on, Unset):
        rating.rated_on = rated_on
    if not isinstance(basis, Unset):
        rating.basis = basis or ""
    save_with_history(rating, user, reason)
    change = RatingChange(
        rating=rating, from_grade=from_grade, to_grade=grade, reason=reason, changed_by=user
    )
    save_with_history(change, user, reason)
    return change
