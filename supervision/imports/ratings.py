"""Importing annual credit ratings, by 统一社会信用代码 and year."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supervision.choices import Grade, ImportKind, RowOutcome
from supervision.imports.columns import (
    Checked,
    Column,
    Kind,
    changes_of,
    copy_of,
    facilities_by_code,
    in_batches,
    model_problems,
    outside_districts,
    unknown_facility,
)
from supervision.models import (
    CreditRating,
    Facility,
)
from supervision.scoping import check_in_scope
from supervision.services import ratings
from supervision.services._common import User, save_with_history


class RatingKind(Kind):
    """Annual credit ratings: a grade per facility (by 统一社会信用代码) and year; a new grade
    goes through set_grade (its change record and reason), like a grade set on the page."""

    kind = ImportKind.RATING
    model = CreditRating
    permissions: ClassVar[list[str]] = [
        "supervision.add_creditrating",
        "supervision.change_creditrating",
    ]
    FIELDS = ("grade", "score", "rated_on", "basis")
    columns: ClassVar[list[Column]] = [
        Column("credit_code", Facility._meta.get_field("credit_code").verbose_name, True),
        Column("year", CreditRating._meta.get_field("year").verbose_name, True, ("年度",)),
        Column("grade", CreditRating._meta.get_field("grade").verbose_name, True, ("等级",)),
        Column("score", CreditRating._meta.get_field("score").verbose_name, False, ("分数",)),
        Column("rated_on", CreditRating._meta.get_field("rated_on").verbose_name),
        Column("basis", CreditRating._meta.get_field("basis").verbose_name),
        Column("reason", gettext_lazy("调整原因"), False, ("原因",)),
    ]

    def __init__(self, user: User, source: str) -> None:
        super().__init__(user, source)
        self.facilities: dict[str, Facility] = {}
        self.ratings: dict[tuple[int, int], CreditRating] = {}

    def convert(self, column: Column, text: str) -> Any:
        if column.name in ("credit_code", "reason"):
            return text
        if column.name == "grade":
            grade = text.upper().removesuffix("级")
            if grade not in Grade.values:
                raise ValueError(_("信用等级只能是A、B、C或D"))
            return grade
        return super().convert(column, text)

    def prefetch(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        self.facilities = facilities_by_code(rows)
        years = sorted({row["year"] for row in rows if isinstance(row.get("year"), int)})
        for batch in in_batches(facility.pk for facility in self.facilities.values()):
            for rating in CreditRating.objects.filter(facility_id__in=batch, year__in=years):
                self.ratings[(rating.facility_id, rating.year)] = rating

    def check(self, values: dict[str, Any]) -> Checked:
        code = str(values["credit_code"]).strip().upper()
        year = values["year"]
        key = f"{code}/{year}"
        facility = self.facilities.get(code)
        if facility is None:
            return unknown_facility(key, self.labels)
        label = facility.name
        try:
            check_in_scope(self.user, facility)
        except PermissionDenied:
            return outside_districts(key, label, self.labels["credit_code"])
        current = self.ratings.get((facility.pk, year))
        rating = (
            CreditRating(facility=facility, year=year, grade=values["grade"])
            if current is None
            else copy_of(current)
        )
        for name in self.FIELDS:
            if name in values:
                setattr(rating, name, values[name])
        grade_changes = current is None or current.grade != rating.grade
        reason = values.get("reason") or _("导入：%(source)s") % {"source": self.source}
        problems = ratings.grade_problems(
            year=year,
            grade=rating.grade,
            reason=reason,
            current=current,
            score=rating.score,
            confirm_downgrade=True,
        )
        if problems:
            return Checked(
                RowOutcome.REFUSED,
                key,
                label,
                problems=[
                    [self.labels.get(name, ""), str(message)] for name, message in problems.items()
                ],
            )
        try:
            rating.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            return Checked(
                RowOutcome.REFUSED, key, label, problems=model_problems(exc, self.labels)
            )
        plan = (facility, rating, reason, grade_changes)
        if current is None:
            return Checked(RowOutcome.NEW, key, label, write=plan)
        changes = changes_of(current, rating, self.FIELDS, self.labels)
        if not changes:
            return Checked(RowOutcome.UNCHANGED, key, label)
        return Checked(RowOutcome.CHANGED, key, label, changes=changes, write=plan)

    def write(self, checked: Checked) -> None:
        facility, rating, reason, grade_changes = checked.write
        if grade_changes:
            ratings.set_grade(
                facility=facility,
                year=rating.year,
                grade=rating.grade,
                reason=reason,
                user=self.user,
                score=rating.score,
                rated_on=rating.rated_on,
                basis=rating.basis,
                confirm_downgrade=True,
            )
        else:
            save_with_history(rating, self.user, reason)
        self.ratings[(facility.pk, rating.year)] = rating
