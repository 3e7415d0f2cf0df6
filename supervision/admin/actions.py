"""The facility changelist's bulk actions: a confirmation form, then the services for every
selected facility, BULK_BATCH facilities per transaction.

One transaction for a thousand facilities held SQLite's write lock for 19 s (other writers
waited up to 17.8 s of their 20 s timeout); a batch holds it about a second. Each batch is all
or nothing: a facility that cannot be processed keeps its whole batch unwritten, the other
batches are saved, and the confirmation page comes back with the facilities still to do.

The confirmation carries the selection as one signed field, not one field per facility: a
thousand of them passed DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) and got a bare 400.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from supervision import services
from supervision.admin.forms import BulkSetGradeForm, BulkSuspendForm
from supervision.choices import Grade
from supervision.models import CreditRating, Facility

# A bulk edit is for a filtered list, not the registry.
MAX_BULK_FACILITIES = 1000
# Facilities per transaction: how long other writers may wait for one (see the docstring).
BULK_BATCH = 50
# SQLite: the pause after each batch, longer than the longest sleep of a waiting writer's busy
# handler (100 ms), so that writers queued behind a batch get the lock before the next batch
# takes it again (without it they starved and timed out after 20 s, batches or not).
SQLITE_BATCH_PAUSE = 0.15
SELECTION = "bulk_selection"
_SELECTION_SALT = "supervision.admin.bulk-selection"

TEMPLATE = "admin/supervision/facility/bulk_action.html"


@dataclass
class Outcome:
    done: list[Facility] = field(default_factory=list)
    skipped: list[Facility] = field(default_factory=list)
    failures: list[tuple[Facility, list[str]]] = field(default_factory=list)
    # In a batch that was rolled back because another facility of it failed.
    undone: list[Facility] = field(default_factory=list)

    @property
    def still_to_do(self) -> list[Facility]:
        return [f for f, _ in self.failures] + self.undone


def apply_to_all(
    facilities: list[Facility],
    apply_one: Callable[[Facility], bool],
    before: Callable[[list[Facility]], None] | None = None,
    batch_size: int | None = None,
) -> Outcome:
    """Run apply_one for every facility, batch_size (BULK_BATCH) per transaction; a batch in
    which any one refuses is rolled back whole, the others are kept.

    apply_one returns False to skip a facility. Every refusal is collected (not only the first)
    so the clerk can fix them all at once. before(batch) runs first in each transaction (locks).
    """
    size = batch_size or BULK_BATCH
    outcome = Outcome()
    for start in range(0, len(facilities), size):
        if start and connection.vendor == "sqlite":
            time.sleep(SQLITE_BATCH_PAUSE)
        batch = facilities[start : start + size]
        done, skipped, failures = [], [], []
        with transaction.atomic():
            if before is not None:
                before(batch)
            for facility in batch:
                try:
                    applied = apply_one(facility)
                except ValidationError as exc:
                    failures.append((facility, exc.messages))
                    continue
                (done if applied else skipped).append(facility)
            if failures:
                transaction.set_rollback(True)
        outcome.failures += failures
        if failures:
            outcome.undone += done + skipped
        else:
            outcome.done += done
            outcome.skipped += skipped
    return outcome


def signed_selection(facilities: list[Facility]) -> str:
    return signing.dumps([f.pk for f in facilities], salt=_SELECTION_SALT, compress=True)


def confirmed_ids(value: str) -> list[int] | None:
    """The facility ids a confirmation page listed; None when the field was tampered with."""
    try:
        ids = signing.loads(value, salt=_SELECTION_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        return None
    return ids


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
    """First POST: show the form. Confirmed POST: validate, perform, report (None → changelist).

    The confirmation posts the changelist's selection as "all that the filter selects" and
    the facilities it listed as one signed field: the action runs on those of them that the
    filter (and the user's districts) still select.
    """
    if SELECTION in request.POST:
        ids = confirmed_ids(request.POST[SELECTION])
        if ids is None or len(ids) > MAX_BULK_FACILITIES:
            modeladmin.message_user(request, _("所选机构的清单无效，请重新选择。"), messages.ERROR)
            return None
        queryset = queryset.filter(pk__in=ids)
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
            if outcome.done or outcome.skipped:
                # Saved batches stay saved; the page now lists only what is still to do.
                _report(
                    modeladmin, request, done_message(len(outcome.done), form.cleaned_data), outcome
                )
                form.add_error(
                    None,
                    _(
                        "有机构无法处理：它们所在的批次（每批最多%(n)d家）均未写入，"
                        "其余批次已保存。下面只列出尚未处理的%(left)d家机构，请修正后重试。"
                    )
                    % {"n": BULK_BATCH, "left": len(outcome.still_to_do)},
                )
                facilities = sorted(outcome.still_to_do, key=lambda f: (f.name, f.pk))
            else:
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
        "selection_name": SELECTION,
        "selection": signed_selection(facilities),
        "first_id": facilities[0].pk if facilities else "",
        "batch_note": _(
            "每%(n)d家机构为一批，各批分别写入：一批中有机构无法处理时，该批全部不写入，"
            "其他批照常保存，结果页会列出未处理的机构。"
        )
        % {"n": BULK_BATCH},
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
                    # The old grade's score never fits the new grade's band (the form says so).
                    score=None,
                    confirm_downgrade=data["confirm_downgrade"],
                )
                return True

            return apply_to_all(
                facilities,
                apply_one,
                before=lambda batch: services.lock_for_grade_changes(batch, year),
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
