"""Credit ratings: set or change a facility's grade for a year, always with a reason."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils.translation import gettext as _

from supervision import tallies
from supervision.choices import Grade
from supervision.models import CreditRating, Facility, RatingChange
from supervision.models.base import check_version
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
    expected_version: int | None = None,
) -> RatingChange:
    """Give facility `grade` for `year`, creating the rating or changing it.

    Writes one RatingChange (from → to, reason, who) in the same transaction. Refuses a change
    that would leave the grade as it is. score, rated_on and basis left out stay as they are;
    None clears them. expected_version: the version of the year's rating the user saw; another
    one is refused with StaleEdit.
    """
    reason = required_text(reason, "reason", _("请填写评级调整原因。"))
    if grade not in Grade.values:
        raise refuse("grade", _("信用等级只能是A、B、C或D。"))
    # The facility's row lock serialises grade changes of one facility (PostgreSQL; SQLite
    # locks the database at BEGIN): two first grades of a year would otherwise both find no
    # rating to lock and both create one.
    Facility.objects.select_for_update().only("pk").get(pk=facility.pk)
    rating = CreditRating.objects.select_for_update().filter(facility=facility, year=year).first()
    if rating is None:
        rating = CreditRating(facility=facility, year=year, grade=grade)
        from_grade = ""
    else:
        check_version(rating, expected_version)
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


def lock_for_grade_changes(facilities: list[Facility], year: int) -> None:
    """Before changing the grades of many facilities in one transaction (the admin's bulk
    edit): lock the facilities in id order, then the year's grade totals of their districts.

    Every single change (set_grade) locks its facility first and its totals last; taking all
    of them in that same order up front means two bulk edits, or a bulk edit and a single
    change, wait for each other instead of deadlocking.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("lock_for_grade_changes() holds its locks only inside a transaction.")
    ids = sorted(f.pk for f in facilities)
    districts = list(
        Facility.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("district", flat=True)
    )
    tallies.lock_grade_rows(connection, year, Grade.values, sorted(set(districts)))
