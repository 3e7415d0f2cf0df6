"""Reference data an administrator keeps: the statutory working-day calendar and the published
hotlines.

A year's schedule is entered on one page, as the State Council's notice lists it: the holidays
that fall on weekdays and the weekend days worked instead (调休), one per line. Every save of the
calendar computes the running deadlines of the tips again (services.tips.recompute_deadlines), and
those of the open rectification orders (services.rectifications.recompute_due_dates), so a
deadline that fell in an unknown year gets its date, and says how many changed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from supervision import services
from supervision.admin.base import BaseAdmin
from supervision.models import CalendarDay, CalendarYear, CaseNumberPattern, Hotline
from supervision.services import publication, rectifications
from supervision.services._common import save_with_history

NAME_LENGTH = CalendarDay._meta.get_field("name").max_length
# A notice lists a few dozen days at most; a page of thousands of lines is not a calendar.
MAX_LINES = 100


def _lines(days: Iterable[CalendarDay]) -> str:
    return "\n".join(f"{d.day:%Y-%m-%d} {d.name}" for d in days)


class CalendarYearForm(forms.ModelForm):
    """The year's notice and its days, one per line: "2027-10-01 国庆节"."""

    holidays = forms.CharField(
        label=_("放假的工作日"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 40}),
        help_text=_("每行一天：日期和名称，例如“2027-10-01 国庆节”。只填落在周一至周五的假日。"),
    )
    workdays = forms.CharField(
        label=_("调休上班的周末"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 40}),
        help_text=_("每行一天：日期和名称，例如“2027-09-26 国庆节调休”。只填周六、周日。"),
    )

    class Meta:
        model = CalendarYear
        fields = ("year", "notice", "published_on", "note")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            days = CalendarDay.objects.filter(day__year=self.instance.year).order_by("day")
            self.initial["holidays"] = _lines(d for d in days if not d.is_workday)
            self.initial["workdays"] = _lines(d for d in days if d.is_workday)

    def _parse(self, field: str, year: int | None, workday: bool) -> dict[datetime.date, str]:
        found: dict[datetime.date, str] = {}
        lines = [line.strip() for line in (self.cleaned_data.get(field) or "").splitlines()]
        lines = [line for line in lines if line]
        if len(lines) > MAX_LINES:
            self.add_error(field, gettext("最多%(n)d行。") % {"n": MAX_LINES})
            return found
        for number, line in enumerate(lines, start=1):
            text, _sep, name = line.partition(" ")
            name = name.strip()
            try:
                day = datetime.date.fromisoformat(text.strip())
            except ValueError:
                self.add_error(
                    field,
                    gettext("第%(n)d行：日期应写成“2027-10-01”的格式。") % {"n": number},
                )
                continue
            problem = ""
            if year is not None and day.year != year:
                problem = gettext("日期不在%(year)d年。") % {"year": year}
            elif workday and day.weekday() < 5:
                problem = gettext("调休上班日应为周六或周日。")
            elif not workday and day.weekday() >= 5:
                problem = gettext("周末本来就休息，不必填写。")
            elif not name:
                problem = gettext("请填写名称。")
            elif len(name) > NAME_LENGTH:
                problem = gettext("名称最多%(n)d个字。") % {"n": NAME_LENGTH}
            elif day in found:
                problem = gettext("日期重复。")
            if problem:
                self.add_error(field, gettext("第%(n)d行：") % {"n": number} + problem)
                continue
            found[day] = name
        return found

    def clean(self):
        cleaned = super().clean()
        year = cleaned.get("year") or self.instance.year
        holidays = self._parse("holidays", year, workday=False)
        workdays = self._parse("workdays", year, workday=True)
        cleaned["days"] = {
            **{day: (False, name) for day, name in holidays.items()},
            **{day: (True, name) for day, name in workdays.items()},
        }
        return cleaned


@admin.register(CalendarYear)
class CalendarYearAdmin(BaseAdmin):
    """One page per year: the notice, and its holidays and make-up working days."""

    form = CalendarYearForm
    list_display = ("year", "notice", "published_on", "entered_by")
    list_select_related = ("entered_by",)
    search_fields = ("=year", "notice")
    readonly_fields = ("entered_by",)
    fieldsets = (
        (None, {"fields": ("year", "notice", "published_on", "note", "entered_by")}),
        (_("节假日安排"), {"fields": ("holidays", "workdays")}),
    )

    def get_readonly_fields(self, request, obj=None):
        # The days belong to the year: it is not renumbered once entered.
        return ("year", "entered_by") if obj is not None else ("entered_by",)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deadlines were computed on it: correct the days instead.
        return False

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if not change:
            obj.entered_by = request.user
        if not change or set(form.changed_data) & {"notice", "published_on", "note"}:
            save_with_history(obj, request.user)
        changed_days = sync_days(obj.year, form.cleaned_data["days"], request.user)
        if not change or changed_days:
            report_recomputed(request, since=datetime.date(obj.year, 1, 1))


def sync_days(year: int, wanted: dict[datetime.date, tuple[bool, str]], user) -> int:
    """Make the year's CalendarDay rows what the form lists; returns how many rows changed."""
    stored = {d.day: d for d in CalendarDay.objects.filter(day__year=year)}
    changed = 0
    for day, row in stored.items():
        if day not in wanted:
            row._history_user = user  # type: ignore[attr-defined]
            row.delete()
            changed += 1
    for day, (is_workday, name) in wanted.items():
        row = stored.get(day)
        if row is not None and (row.is_workday, row.name) == (is_workday, name):
            continue
        row = row or CalendarDay(day=day)
        row.is_workday, row.name = is_workday, name
        save_with_history(row, user)
        changed += 1
    return changed


def report_recomputed(request, since: datetime.date) -> None:
    """Compute again the running deadlines a change of the calendar from `since` on can move,
    and say how many tips changed."""
    count = services.tips.recompute_deadlines(request.user, since=since)
    messages.info(
        request,
        ngettext(
            "工作日历已更新，%(count)d条线索的办理期限已重新计算。",
            "工作日历已更新，%(count)d条线索的办理期限已重新计算。",
            count,
        )
        % {"count": count},
    )
    # The open rectification orders' deadlines (责令整改), said only when one moved.
    orders = rectifications.recompute_due_dates(request.user, since=since)
    if orders:
        messages.info(
            request,
            ngettext(
                "%(count)d项责令整改的整改期限已重新计算。",
                "%(count)d项责令整改的整改期限已重新计算。",
                orders,
            )
            % {"count": orders},
        )


@admin.register(CalendarDay)
class CalendarDayAdmin(BaseAdmin):
    """Single days, to correct one (the year's page enters them all)."""

    list_display = ("day", "name", "is_workday")
    list_filter = ("is_workday",)
    date_hierarchy = "day"
    search_fields = ("name",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def save_model(self, request, obj, form, change):
        if change and not form.changed_data:
            return
        moved_from = form.initial.get("day") if change else None
        save_with_history(obj, request.user)
        report_recomputed(request, since=min(d for d in (obj.day, moved_from) if d))

    def delete_model(self, request, obj):
        obj._history_user = request.user
        super().delete_model(request, obj)
        report_recomputed(request, since=obj.day)

    def delete_queryset(self, request, queryset):
        first = min(queryset.values_list("day", flat=True), default=None)
        super().delete_queryset(request, queryset)
        if first is not None:
            report_recomputed(request, since=first)


@admin.register(Hotline)
class HotlineAdmin(BaseAdmin):
    """The published ways to report: name, number or address, and whether they are shown."""

    list_display = ("channel", "name", "contact", "position", "published")
    list_filter = ("published",)
    search_fields = ("name", "contact")

    def get_readonly_fields(self, request, obj=None):
        # One row per channel: the channel is fixed once entered.
        return ("channel",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        # Unpublish instead: the footer and the public pages read these rows.
        return False

    def save_model(self, request, obj, form, change):
        if change and not form.changed_data:
            return
        save_with_history(obj, request.user)
        if obj.published or "published" in form.changed_data:
            # The public pages' footer and hotline page show it.
            publication.bump_edition()


@admin.register(CaseNumberPattern)
class CaseNumberPatternAdmin(BaseAdmin):
    """How each kind's case numbers read ({year}, {n}); a change applies to numbers given after
    it (those given keep their text). The counters are not edited here: numbers are given by
    services.case_numbers only."""

    list_display = ("kind", "pattern", "example")
    search_fields = ("pattern",)

    @admin.display(description=_("示例"))
    def example(self, obj: CaseNumberPattern) -> str:
        return obj.example

    def get_readonly_fields(self, request, obj=None):
        return ("kind",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if change and not form.changed_data:
            return
        save_with_history(obj, request.user)
