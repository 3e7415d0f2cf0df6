"""The facility changelist's bulk actions: a confirmation form, then the services for every
selected facility in one transaction (all or nothing)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from supervision import services
from supervision.admin.forms import BulkSetGradeForm, BulkSuspendForm
from supervision.choices import Grade
from supervision.models import CreditRating, Facility

# One transaction holds a lock per facility: a bulk edit is for a filtered list, not the registry.
MAX_BULK_FACILITIES = 1000

TEMPLATE = "admin/supervision/facility/bulk_action.html"


@dataclass
class Outcome:
    done: list[Facility] = field(default_factory=list)
    skipped: list[Facility] = field(default_factory=list)
    failures: list[tuple[Facility, list[str]]] = field(default_factory=list)


def apply_to_all(
    facilities: list[Facility],
    apply_one: Callable[[Facility], bool],
    before: Callable[[], None] | None = None,
) -> Outcome:
    """Run apply_one for every facility in one transaction; roll all back if any one refuses.

    apply_one returns False to skip a facility. Every refusal is collected (not only the first)
    so the clerk can fix them all at once. before() runs first in the transaction (locks).
    """
    outcome = Outcome()
    with transaction.atomic():
        if before is not None:
            before()
        for facility in facilities:
            try:
                applied = apply_one(facility)
            except ValidationError as exc:
                outcome.failures.append((facility, exc.messages))
                continue
            (outcome.done if applied else outcome.skipped).append(facility)
        if outcome.failures:
            transaction.set_rollback(True)
    return outcome


def _names(facilities: list[Facility]) -> str:
    return pgettext("list separator", "、").join(f.name for f in facilities)


def confirm_and_run(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset,
    *,
    action_name: str,
    form_class: type,
    title: str,
    perform: Callable[[list[Facility], dict], Outcome],
    done_message: Callable[[int, dict], str],
) -> HttpResponse | None:
    """First POST: show the form. Confirmed POST: validate, perform, report (None → changelist)."""
    facilities = list(queryset.order_by("name", "pk")[: MAX_BULK_FACILITIES + 1])
    if len(facilities) > MAX_BULK_FACILITIES:
        modeladmin.message_user(
            request,
            _("一次最多处理%(n)d家机构，请先筛选。") % {"n": MAX_BULK_FACILITIES},
            messages.ERROR,
        )
        return None
    failures: list[tuple[Facility, list[str]]] = []
    if "confirm" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            outcome = perform(facilities, form.cleaned_data)
            if not outcome.failures:
                message = done_message(len(outcome.done), form.cleaned_data)
                _report(modeladmin, request, message, outcome)
                return None
            failures = outcome.failures
            form.add_error(None, _("有机构无法处理，所有机构均未写入任何记录。请修正后重试。"))
    else:
        form = form_class()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": modeladmin.model._meta,
        "form": form,
        "facilities": facilities,
        "failures": failures,
        "action_name": action_name,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media + form.media,
    }
    return TemplateResponse(request, TEMPLATE, context)


def _report(modeladmin, request, done_message: str, outcome: Outcome) -> None:
    modeladmin.message_user(request, done_message, messages.SUCCESS)
    if outcome.skipped:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d家机构该年度已是此等级，未作调整：%(names)s。",
                "%(count)d家机构该年度已是此等级，未作调整：%(names)s。",
                len(outcome.skipped),
            )
            % {"count": len(outcome.skipped), "names": _names(outcome.skipped)},
            messages.WARNING,
        )


class FacilityBulkActions:
    """Mixed into FacilityAdmin: the two bulk actions and the permissions that offer them."""

    def has_set_grade_permission(self, request: HttpRequest) -> bool:
        # set_grade creates the year's rating or changes it.
        return request.user.has_perms(
            ["supervision.add_creditrating", "supervision.change_creditrating"]
        )

    def has_suspend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("supervision.add_sanction")

    @admin.action(description=gettext_lazy("设定某年度信用等级"), permissions=["set_grade"])
    def set_grade_for_year(self, request, queryset):
        def perform(facilities: list[Facility], data: dict) -> Outcome:
            year, grade = data["year"], data["grade"]
            # Read before the transaction: a grade set meanwhile makes set_grade refuse, and
            # the refusal rolls everything back like any other.
            current = dict(
                CreditRating.objects.filter(facility__in=facilities, year=year).values_list(
                    "facility_id", "grade"
                )
            )

            def apply_one(facility: Facility) -> bool:
                # Already at that grade: nothing to change, and not an error for a bulk edit.
                if current.get(facility.pk) == grade:
                    return False
                services.set_grade(
                    facility=facility,
                    year=year,
                    grade=grade,
                    reason=data["reason"],
                    user=request.user,
                )
                return True

            return apply_to_all(
                facilities,
                apply_one,
                before=lambda: services.lock_for_grade_changes(facilities, year),
            )

        return confirm_and_run(
            self,
            request,
            queryset,
            action_name="set_grade_for_year",
            form_class=BulkSetGradeForm,
            title=_("设定某年度信用等级"),
            perform=perform,
            done_message=lambda count, data: (
                ngettext(
                    "已为%(count)d家机构设定%(year)s年度信用等级为%(grade)s，并记录调整原因。",
                    "已为%(count)d家机构设定%(year)s年度信用等级为%(grade)s，并记录调整原因。",
                    count,
                )
                % {"count": count, "year": data["year"], "grade": Grade(data["grade"]).label}
            ),
        )

    @admin.action(description=gettext_lazy("暂停医保服务协议"), permissions=["suspend"])
    def suspend_agreements(self, request, queryset):
        def perform(facilities: list[Facility], data: dict) -> Outcome:
            def apply_one(facility: Facility) -> bool:
                services.suspend_agreement(facility, user=request.user, **data)
                return True

            return apply_to_all(facilities, apply_one)

        return confirm_and_run(
            self,
            request,
            queryset,
            action_name="suspend_agreements",
            form_class=BulkSuspendForm,
            title=_("暂停医保服务协议"),
            perform=perform,
            done_message=lambda count, data: (
                ngettext(
                    "已暂停%(count)d家机构的医保服务协议（%(start)s至%(end)s）。",
                    "已暂停%(count)d家机构的医保服务协议（%(start)s至%(end)s）。",
                    count,
                )
                % {"count": count, "start": data["starts_on"], "end": data["ends_on"]}
            ),
        )
