"""Changelist filters that need more than a field: agreement status, grade by year, in force."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from supervision.choices import AgreementStatus, Grade
from supervision.forms.fields import plain_id
from supervision.services.ratings import rated_years


def rating_years() -> list[int]:
    """The rated years, newest first, from the grade totals (as the pages' year pickers)."""
    return rated_years()


class AgreementStatusFilter(admin.SimpleListFilter):
    title = _("协议状态")
    parameter_name = "agreement"

    def lookups(self, request, model_admin):
        return AgreementStatus.choices

    def queryset(self, request, queryset):
        value = self.value()
        if value in AgreementStatus.values:
            return queryset.with_agreement_status_in([value])
        return queryset


class GradeByYearFilter(admin.SimpleListFilter):
    """Year × grade, e.g. "2024 · A级": the facilities rated so for that year."""

    title = _("年度信用等级")
    parameter_name = "grade_in_year"

    def lookups(self, request, model_admin):
        return [
            (f"{year}-{grade}", f"{year} · {label}")
            for year in rating_years()
            for grade, label in Grade.choices
        ]

    def queryset(self, request, queryset):
        year, _sep, grade = (self.value() or "").partition("-")
        if plain_id(year) is not None and grade in Grade.values:
            return queryset.with_grade(int(year), [grade])
        return queryset


class RatingYearFilter(admin.SimpleListFilter):
    title = _("评价年度")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        return [(str(year), str(year)) for year in rating_years()]

    def queryset(self, request, queryset):
        year = plain_id(self.value())
        if year is not None:
            return queryset.filter(year=year)
        return queryset


class InForceFilter(admin.SimpleListFilter):
    """Suspensions in force today."""

    title = _("暂停是否生效")
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("yes", _("今日生效中的暂停"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.in_force_on()
        return queryset
