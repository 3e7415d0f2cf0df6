"""Credit ratings: set or change a facility's grade for a year, always with a reason."""

from __future__ import annotations

import datetime
import unicodedata
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supervision import tallies
from supervision.choices import Grade
from supervision.models import CreditRating, Facility, GradeTally, RatingChange
from supervision.models.base import check_version
from supervision.models.rating import (
    MIN_RATING_YEAR,
    check_rating_year,
    grade_band_text,
    score_fits_grade,
)
from supervision.services import publication
from supervision.services._common import (
    UNSET,
    Unset,
    User,
    refuse,
    refuse_problems,
    save_with_history,
)

# A reason is read by an auditor years later: "调整", "ok" or "..." says nothing. Counted in
# letters and digits, a Chinese character as two: at least 3 Chinese characters or 5 Latin ones.
MIN_REASON_LENGTH = 5


def _reason_weight(text: str) -> int:
    return sum(
        2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
        if unicodedata.category(c)[0] in "LN"
    )


def reason_problem(reason: str | None) -> str | None:
    """What is wrong with a grade change's reason, or None: once trimmed, at least 3 Chinese
    characters or 5 letters and digits (punctuation, symbols and spaces do not count)."""
    text = (reason or "").strip()
    if not text:
        return _("请填写评级调整原因。")
    if _reason_weight(text) < MIN_REASON_LENGTH:
        return _("调整原因须写明依据和事实：至少3个汉字（或5个字母、数字），标点和空格不计。")
    return None


def grade_problems(
    *,
    year: int | None,
    grade: str | None,
    reason: str | None,
    current: CreditRating | None = None,
    score: Decimal | Unset | None = UNSET,
    confirm_downgrade: bool = False,
) -> dict[str, str]:
    """Every rule of a grade set or change, by field: the one check the service, the grade
    form, the API and the admin (single and bulk) share. Reads nothing from the database.

    current is the facility's rating of that year (None when it has none); score UNSET keeps the
    current rating's score. A move from A, B or C to D must be confirmed (confirm_downgrade).
    """
    problems: dict[str, str] = {}
    if year is not None and year < MIN_RATING_YEAR:
        problems["year"] = _("评价年度不能早于%(min)s年。") % {"min": MIN_RATING_YEAR}
    elif year is not None:  # a year after MAX_RATING_YEAR has not begun either
        try:
            check_rating_year(year)
        except ValidationError as exc:
            problems["year"] = exc.message_dict["year"][0]
    if grade is not None and grade not in Grade.values:
        problems["grade"] = _("信用等级只能是A、B、C或D。")
        grade = None
    message = reason_problem(reason)
    if message:
        problems["reason"] = message
    if grade is None:
        return problems
    kept = isinstance(score, Unset)
    value = (current.score if current is not None else None) if kept else score
    if not score_fits_grade(grade, value):
        problems["score"] = (
            _("原得分%(score)s分不在%(grade)s的分数段（%(band)s）内：请填写新的得分或清空得分。")
            if kept
            else _("得分%(score)s分不在%(grade)s的分数段（%(band)s）内。")
        ) % {"score": value, "grade": Grade(grade).label, "band": grade_band_text(grade)}
    if (
        grade == Grade.D
        and current is not None
        and current.grade != Grade.D
        and not confirm_downgrade
    ):
        problems["confirm_downgrade"] = _(
            "将%(year)s年度等级由%(from)s降为D级须确认：D级将受重点监管并依法处理。"
            "请勾选“确认降为D级”后再保存。"
        ) % {"year": current.year, "from": Grade(current.grade).label}
    return problems


def rated_years() -> list[int]:
    """The years with ratings, newest first: one read of the grade totals (a few rows per
    district and year, kept by the database triggers), not of the ratings."""
    years = (
        GradeTally.objects.filter(facilities__gt=0)
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )
    return list(years)


def default_rating_year(
    today: datetime.date | None = None, years: list[int] | None = None
) -> int | None:
    """The year grade filters and the overview default to: the latest rated year that has
    ended, so that a rating of this year (which the rules refuse) never takes over; the latest
    rated year at all when no ended year is rated; None when nothing is rated.

    years: rated_years() when the caller has read them already (else one read).
    """
    today = today or timezone.localdate()
    years = rated_years() if years is None else years
    ended = [year for year in years if year < today.year]
    return ended[0] if ended else (years[0] if years else None)


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
    confirm_downgrade: bool = False,
) -> RatingChange:
    """Give facility `grade` for `year`, creating the rating or changing it.

    Writes one RatingChange (from → to, reason, who) in the same transaction. Refuses what
    grade_problems refuses (a year not yet ended, a score outside the grade's band, a reason
    that says nothing, an unconfirmed downgrade to D) and a change that would leave the grade
    as it is. score, rated_on and basis left out stay as they are; None clears them.
    expected_version: the version of the year's rating the user saw; another one is refused
    with StaleEdit.
    """
    if grade not in Grade.values:
        raise refuse("grade", _("信用等级只能是A、B、C或D。"))
    refuse_problems(grade_problems(year=year, grade=None, reason=reason))
    reason = reason.strip()
    # The facility's row lock serialises grade changes of one facility (PostgreSQL; SQLite
    # locks the database at BEGIN): two first grades of a year would otherwise both find no
    # rating to lock and both create one.
    Facility.objects.select_for_update().only("pk").get(pk=facility.pk)
    rating = CreditRating.objects.select_for_update().filter(facility=facility, year=year).first()
    if rating is not None:
        check_version(rating, expected_version)
    refuse_problems(
        grade_problems(
            year=None,
            grade=grade,
            reason=reason,
            current=rating,
            score=score,
            confirm_downgrade=confirm_downgrade,
        )
    )
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
    publication.note_rating_change(rating.year, rating.facility.kind)
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
