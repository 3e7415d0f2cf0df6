"""The facility registry: list with filters and export, the facility page, create/edit, grade."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Model, Prefetch, Q, QuerySet
from django.forms import Form
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supervision import services
from supervision.choices import SanctionKind
from supervision.exports import Column
from supervision.filtersets import FacilityFilterSet
from supervision.forms.facilities import (
    FacilityForm,
    GradeForm,
    default_grade_year,
    seen_versions,
)
from supervision.history import (
    History,
    can_view_history,
    history_entries,
    merged_history,
    related_history,
)
from supervision.models import (
    CreditRating,
    Facility,
    Inspection,
    Practitioner,
    RatingChange,
    Rectification,
    Referral,
    Registration,
    Sanction,
)
from supervision.scoping import can_view
from supervision.views.base import RecordDetailView, ServiceFormView
from supervision.views.case_lists import CaseListView

# How many of each kind of record the facility page shows; the rest are one click away.
RECENT = 10
# How many registered practitioners the facility page lists (a hospital has thousands).
PRACTITIONERS_SHOWN = 20

GRADE_PERMISSIONS = ("supervision.add_creditrating", "supervision.change_creditrating")


class FacilityListView(CaseListView):
    """The registry; the filter bar and export links are the case lists' own."""

    model = Facility
    filterset_class = FacilityFilterSet
    template_name = "facilities/list.html"
    filter_fields = [
        "q",
        "kind",
        "ownership",
        "district",
        "zone",
        "year",
        "grade",
        "agreement_status",
    ]
    export_name = "facilities"

    @property
    def export_columns(self) -> list[Column]:  # type: ignore[override]
        """The grade columns are the chosen year's when the list shows one (grade_year)."""
        year = self.grade_year()
        if year is None:
            grade = [
                Column(_("当前信用等级"), lambda f: f.current_grade),
                Column(_("评价年度"), lambda f: f.current_grade_year),
            ]
        else:
            grade = [
                Column(grade_header(year), lambda f: f.year_grade),
                Column(_("评价年度"), lambda f: year if f.year_grade else None),
            ]
        return [
            Column(_("名称"), lambda f: f.name),
            Column(_("机构类别"), lambda f: f.get_kind_display()),
            Column(_("经济类型"), lambda f: f.get_ownership_display()),
            Column(_("所属区县"), lambda f: f.get_district_display()),
            Column(_("园区"), lambda f: f.get_zone_display()),
            Column(_("统一社会信用代码"), lambda f: f.credit_code),
            Column(_("医保定点编码"), lambda f: f.insurance_code),
            *grade,
            Column(_("协议状态"), lambda f: f.agreement_status_label),
            Column(_("医保保证金（元）"), lambda f: f.deposit),
            Column(_("定点日期"), lambda f: f.designated_on),
            Column(_("地址"), lambda f: f.address),
        ]

    def grade_year(self) -> int | None:
        """The year whose grades the list filters, shows, sorts and exports (the FilterSet's
        grade_year), or None for each facility's current grade."""
        if not hasattr(self, "_grade_year"):
            filterset = getattr(self, "filterset", None)
            if filterset is None:
                filterset = self.get_filterset(self.get_filterset_class())
            self._grade_year = filterset.grade_year if filterset.is_valid() else None
        return self._grade_year

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        for field in filterset.form.fields.values():
            iterator = getattr(field, "choices", None)
            if getattr(field, "empty_label", None) is not None and hasattr(iterator, "choices"):
                # "全部" rather than django-filter's "---------"; setting the choices again
                # binds their iterator to this form's copy of the field.
                field.empty_label = _("全部")
                field.choices = iterator.choices
        return filterset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_add"] = self.request.user.has_perm("supervision.add_facility")
        year = self.grade_year()
        context["grade_year"] = year
        context["grade_year_defaulted"] = year is not None and self.filterset.grade_year_defaulted
        context["grade_header"] = grade_header(year) if year is not None else _("当前等级")
        return context


def grade_header(year: int) -> str:
    """The grade column's header for a year's grades, e.g. "2024年度评级"."""
    return _("%(year)s年度评级") % {"year": year}


@dataclass(frozen=True)
class Event:
    """One line of the facility's timeline; the template renders it by `type`."""

    day: datetime.date
    type: str  # rating, inspection, rectification, referral, sanction, designated
    record: Any = None


def _ordered_on(rectification: Rectification) -> datetime.date:
    return rectification.ordered_on


def _recent(queryset: QuerySet, n: int = RECENT) -> tuple[list[Model], bool]:
    """The first n rows and whether there are more (reads n + 1 rows, never counts)."""
    rows = list(queryset[: n + 1])
    return rows[:n], len(rows) > n


class FacilityDetailView(RecordDetailView):
    """The facility page: profile, agreement, grades with their changes, cases, timeline."""

    model = Facility
    template_name = "facilities/detail.html"
    history_limit = 20

    def get_queryset(self) -> QuerySet:
        return self.scoped(Facility.objects.for_lists())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        facility: Facility = self.object
        user = self.request.user
        today = timezone.localdate()

        ratings = list(
            self.scoped(CreditRating.objects.filter(facility=facility)).prefetch_related(
                Prefetch(
                    "changes",
                    queryset=self.scoped(RatingChange.objects.select_related("changed_by")),
                )
            )
        )
        inspections, more_inspections = _recent(
            self.scoped(Inspection.objects.filter(facility=facility))
        )
        referrals, more_referrals = _recent(
            self.scoped(Referral.objects.filter(inspection__facility=facility)).select_related(
                "inspection"
            )
        )
        sanctions, more_sanctions = _recent(self.scoped(Sanction.objects.filter(facility=facility)))
        # 责令整改: the orders made on the facility's inspections (None without the permission).
        rectifications, more_rectifications = (
            _recent(self.scoped(Rectification.objects.filter(facility=facility)))
            if can_view(user, Rectification)
            else (None, False)
        )
        context.update(
            today=today,
            agreement=self.agreement(facility, today),
            ratings=ratings,
            inspections=inspections,
            more_inspections=more_inspections,
            referrals=referrals,
            more_referrals=more_referrals,
            sanctions=sanctions,
            more_sanctions=more_sanctions,
            rectifications=rectifications,
            more_rectifications=more_rectifications,
            can_edit=user.has_perm("supervision.change_facility"),
            can_grade=user.has_perms(GRADE_PERMISSIONS),
            can_inspect=user.has_perm("supervision.add_inspection"),
            can_sanction=user.has_perm("supervision.add_sanction"),
        )
        context["practitioners"], context["more_practitioners"] = self.practitioners(facility)
        context["can_register"] = user.has_perm("supervision.add_registration")
        context["timeline"], context["timeline_since"] = self.timeline(
            facility,
            ratings,
            [
                (inspections, more_inspections, "inspection", lambda i: i.start_date),
                (referrals, more_referrals, "referral", lambda r: r.referred_on),
                (sanctions, more_sanctions, "sanction", lambda s: s.decided_on),
                (rectifications or [], more_rectifications, "rectification", _ordered_on),
            ],
        )
        return context

    def practitioners(self, facility: Facility) -> tuple[list[dict[str, Any]] | None, bool]:
        """The people registered with the facility, open registrations first, each with today's
        qualification status and this year's points: two queries whatever their number (the
        registrations, then the people shown). None without view_practitioner."""
        if not can_view(self.request.user, Practitioner):
            return None, False
        registrations, more = _recent(
            self.scoped(Registration.objects.filter(facility=facility))
            .select_related("practitioner")
            .order_by(F("ended_on").desc(nulls_first=True), "practitioner__name", "id"),
            PRACTITIONERS_SHOWN,
        )
        ids = {r.practitioner_id for r in registrations}
        people = (
            self.scoped(Practitioner.objects.for_lists().filter(pk__in=ids)).in_bulk()
            if ids
            else {}
        )
        rows = [
            {"registration": r, "person": people[r.practitioner_id]}
            for r in registrations
            if r.practitioner_id in people
        ]
        return rows, more

    def get_history(self) -> History:
        """The facility's changes and its ratings' (which have no page of their own): a grade
        set by a bulk action or through the API shows here."""
        own = history_entries(self.object, self.history_limit)
        if not can_view_history(self.request.user, CreditRating):
            return own
        ratings = related_history(
            CreditRating,
            CreditRating.history.filter(facility_id=self.object.pk),
            subject=lambda row: _("%(year)s年度信用评价") % {"year": row.year},
            limit=self.history_limit,
        )
        return merged_history(own, ratings, limit=self.history_limit)

    def agreement(self, facility: Facility, today: datetime.date) -> dict[str, Any]:
        """The sanctions behind the agreement status: in force today, and those still to come."""
        measures = list(
            self.scoped(Sanction.objects.filter(facility=facility))
            .filter(
                Q(kind=SanctionKind.SUSPENSION, ends_on__gte=today)
                | Q(kind=SanctionKind.TERMINATION)
            )
            .order_by("starts_on", "id")[:RECENT]
        )
        return {
            "in_force": [
                s
                for s in measures
                if s.is_in_force_on(today)
                or (s.kind == SanctionKind.TERMINATION and s.starts_on <= today)
            ],
            "scheduled": [s for s in measures if s.starts_on > today],
        }

    def timeline(
        self, facility: Facility, ratings: list[CreditRating], lists: list[tuple]
    ) -> tuple[list[Event], datetime.date | None]:
        """Everything on the page merged by date, newest first.

        Each list holds only its latest rows; where one was cut, older events of the other kinds
        would be out of context, so the timeline stops at the oldest date every list still covers.
        """
        events = [
            Event(timezone.localdate(change.changed_at), "rating", change)
            for rating in ratings
            for change in rating.changes.all()
        ]
        since: datetime.date | None = None
        for rows, more, kind, day in lists:
            events += [Event(day(row), kind, row) for row in rows]
            if more and rows:
                oldest = day(rows[-1])
                since = oldest if since is None else max(since, oldest)
        if facility.designated_on:
            events.append(Event(facility.designated_on, "designated"))
        if since is not None:
            events = [event for event in events if event.day >= since]
        order = {
            "rating": 0,
            "sanction": 1,
            "referral": 2,
            "rectification": 3,
            "inspection": 4,
            "designated": 5,
        }
        events.sort(key=lambda e: (e.day, -order[e.type]), reverse=True)
        return events, since


class FacilityCreateView(ServiceFormView):
    model = Facility
    form_class = FacilityForm
    permission_required = "supervision.add_facility"
    template_name = "facilities/form.html"
    success_message = _("机构已登记。")
    form_takes_user = True

    def perform(self, form: Form) -> Model:
        return services.register_facility(form.instance, user=self.request.user, validated=True)


class FacilityEditView(ServiceFormView):
    model = Facility
    object_model = Facility
    form_class = FacilityForm
    permission_required = "supervision.change_facility"
    template_name = "facilities/form.html"
    success_message = _("机构信息已保存。")
    form_takes_user = True
    form_edits_object = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(facility=self.get_object(), **kwargs)

    def perform(self, form: Form) -> Model:
        # The form has put its values on the instance; the service refuses a move out of the
        # user's districts.
        return services.edit_facility(
            form.instance,
            user=self.request.user,
            reason=form.cleaned_data.get("change_reason", ""),
            validated=True,
        )


class FacilityGradeView(ServiceFormView):
    """Set or change a grade through services.set_grade; its refusals land on the fields."""

    model = Facility
    object_model = Facility
    form_class = GradeForm
    permission_required = GRADE_PERMISSIONS
    template_name = "facilities/grade.html"
    success_message = _("信用等级已保存，调整记录已写入。")

    def ratings(self) -> list[CreditRating]:
        if not hasattr(self, "_ratings"):
            self._ratings = list(
                self.scoped(CreditRating.objects.filter(facility=self.get_object()))
            )
        return self._ratings

    def get_initial(self) -> dict[str, Any]:
        return {"year": default_grade_year(), "seen": seen_versions(self.ratings())}

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "ratings": self.ratings()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            facility=self.get_object(), ratings=self.ratings(), **kwargs
        )

    def perform(self, form: Form) -> Model:
        facility = self.get_object()
        services.set_grade(
            facility=facility,
            year=form.cleaned_data["year"],
            grade=form.cleaned_data["grade"],
            reason=form.cleaned_data["reason"],
            user=self.request.user,
            # Empty clears the score: the old grade's score never fits the new grade's band.
            score=form.cleaned_data["score"],
            expected_version=form.expected_version(),
            confirm_downgrade=form.cleaned_data["confirm_downgrade"],
        )
        return facility

    def get_success_url(self, record: Model | None = None) -> str:  # type: ignore[override]
        return self.get_object().get_absolute_url() + "#ratings"


urlpatterns = [
    path("", FacilityListView.as_view(), name="facility-list"),
    path("new/", FacilityCreateView.as_view(), name="facility-create"),
    path("<int:pk>/", FacilityDetailView.as_view(), name="facility-detail"),
    path("<int:pk>/edit/", FacilityEditView.as_view(), name="facility-edit"),
    path("<int:pk>/grade/", FacilityGradeView.as_view(), name="facility-grade"),
]
