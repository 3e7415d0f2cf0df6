"""Practitioners (医药机构相关人员) and their points (医保支付资格记分): the list with filters and
export, a person's page, registering with a facility (登记备案), editing, ending a registration,
scoring points from a completed inspection and the steps of a points record (告知, 异议, 处理).

Every write goes through services.practitioners. The ID number is personal data: lists and
exports show the masked number whoever reads them; a person's page shows the whole one only to
who may read it (services.practitioners.may_read_identity), and the history of the number says
that it was recorded or corrected, not what, to everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Model, Prefetch, QuerySet
from django.forms import Form
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supervision.choices import InspectionStatus, PointsState
from supervision.exports import Column
from supervision.filtersets import PractitionerFilterSet
from supervision.formats.punctuation import listed
from supervision.formats.values import ymd
from supervision.forms.fields import facility_from_query, plain_id
from supervision.forms.practitioners import (
    DecideObjectionForm,
    EndRegistrationForm,
    LodgeObjectionForm,
    NotificationForm,
    PractitionerForm,
    RegisterForm,
    ScorePointsForm,
)
from supervision.history import (
    History,
    can_view_history,
    history_entries,
    mask,
    masked,
    merged_history,
    related_history,
)
from supervision.models import (
    Facility,
    Inspection,
    PointsPolicy,
    PointsRecord,
    Practitioner,
    PractitionerIdentity,
    QualificationMeasure,
    Registration,
)
from supervision.scoping import can_view
from supervision.services import practitioners as service
from supervision.views.base import RecordDetailView, ServiceFormView
from supervision.views.case_lists import CaseListView

# How many registrations and points records a person's page lists; the rest are in the lists.
RECENT = 50


def open_registrations(scoped: QuerySet) -> Prefetch:
    """The open registrations with their facilities, as `open_registrations` (one query for a
    whole page of people)."""
    return Prefetch(
        "registrations",
        queryset=scoped.filter(ended_on__isnull=True)
        .select_related("facility")
        .order_by("-registered_on", "-id"),
        to_attr="open_registrations",
    )


def facility_names(person: Practitioner) -> str:
    return listed(r.facility.name for r in getattr(person, "open_registrations", []))


# Never the whole ID number, whoever exports: an export leaves the system.
PRACTITIONER_COLUMNS = [
    Column(_("姓名"), lambda p: p.name),
    Column(_("人员类别"), lambda p: p.get_profession_display()),
    Column(_("执业证书编号"), lambda p: p.certificate_number),
    Column(_("身份证号码（脱敏）"), lambda p: p.id_masked),
    Column(_("所属区县"), lambda p: p.get_district_display()),
    Column(_("登记机构"), facility_names),
    Column(_("本年度记分"), lambda p: p.year_points),
    Column(_("支付资格状态"), lambda p: p.qualification_status_label),
]


# --- The list ----------------------------------------------------------------------------------


class PractitionerListView(CaseListView):
    """The people: masked ID numbers only (a page of 50 whole numbers is a leak waiting to be
    printed). The page's rows, their status, points and facilities in a fixed number of queries;
    the count stops at the paginator's cap, never COUNT(*) of millions."""

    model = Practitioner
    filterset_class = PractitionerFilterSet
    template_name = "practitioners/list.html"
    filter_fields = ["q", "profession", "status", "district", "points_min"]
    chip_models = {"facility": Facility}
    export_columns = PRACTITIONER_COLUMNS
    export_name = "practitioners"

    def get_queryset(self) -> QuerySet:
        registrations = self.scoped(Registration.objects.all())
        return self.scoped(
            Practitioner.objects.for_lists().prefetch_related(open_registrations(registrations))
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_register"] = self.request.user.has_perm("supervision.add_registration")
        context["year"] = timezone.localdate().year
        return context


# --- A person's page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """The year's standing points against the thresholds of the year's rules."""

    year: int
    points: int
    policy: PointsPolicy | None

    @property
    def to_suspension(self) -> int | None:
        if self.policy is None:
            return None
        return max(self.policy.suspension_threshold - self.points, 0)

    @property
    def to_termination(self) -> int | None:
        if self.policy is None:
            return None
        return max(self.policy.termination_threshold - self.points, 0)


def _policy(year: int) -> PointsPolicy | None:
    try:
        return service.policy_for(year)
    except ValidationError:
        return None


def _first(rows: QuerySet, n: int = RECENT) -> tuple[list[Any], bool]:
    """The first n rows and whether there are more (reads n + 1, never counts)."""
    found = list(rows[: n + 1])
    return found[:n], len(found) > n


class PractitionerDetailView(RecordDetailView):
    """A person: profile, registrations, points, status timeline, the year's points against the
    thresholds, and the history of the person, the ID number and the registrations."""

    model = Practitioner
    template_name = "practitioners/detail.html"
    history_limit = 30

    def get_queryset(self) -> QuerySet:
        return self.scoped(Practitioner.objects.for_lists())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        person: Practitioner = self.object
        user = self.request.user
        year = timezone.localdate().year
        registrations, more_registrations = _first(
            self.scoped(Registration.objects.filter(practitioner=person))
            .select_related("facility")
            .order_by(F("ended_on").desc(nulls_first=True), "-registered_on", "-id")
        )
        records, more_records = (
            _first(
                self.scoped(PointsRecord.objects.filter(practitioner=person)).select_related(
                    "facility", "inspection", "violation"
                )
            )
            if can_view(user, PointsRecord)
            else ([], False)
        )
        context.update(
            may_read_identity=service.may_read_identity(user),
            id_number=service.identity_of(person, user),
            registrations=registrations,
            more_registrations=more_registrations,
            records=records,
            more_records=more_records,
            timeline=(service.timeline(person) if can_view(user, QualificationMeasure) else None),
            standing=Standing(year, person.year_points, _policy(year)),
            can_edit=user.has_perm("supervision.change_practitioner"),
            can_end=user.has_perm("supervision.change_registration"),
            can_register=user.has_perm("supervision.add_registration"),
        )
        return context

    def get_history(self) -> History:
        """The person's changes, the ID number's (masked unless the reader may see numbers) and
        the registrations' (a termination ends them, its lifting reopens them)."""
        person: Practitioner = self.object
        user = self.request.user
        limit = self.history_limit
        parts = [history_entries(person, limit)]
        identity = related_history(
            PractitionerIdentity,
            PractitionerIdentity.history.filter(practitioner_id=person.pk),
            subject=lambda row: gettext("身份证号码"),
            limit=limit,
        )
        if masked(user, PractitionerIdentity) or not can_view_history(user, PractitionerIdentity):
            identity = mask(identity)
        parts.append(identity)
        if can_view_history(user, Registration):
            names = dict(
                self.scoped(Registration.objects.filter(practitioner=person)).values_list(
                    "pk", "facility__name"
                )
            )
            parts.append(
                related_history(
                    Registration,
                    Registration.history.filter(practitioner_id=person.pk, id__in=list(names)),
                    subject=lambda row: (
                        gettext("登记备案：%(facility)s") % {"facility": names.get(row.id, "")}
                    ),
                    limit=limit,
                )
            )
        if can_view_history(user, QualificationMeasure):
            parts.append(
                related_history(
                    QualificationMeasure,
                    QualificationMeasure.history.filter(practitioner_id=person.pk),
                    subject=lambda row: gettext("支付资格处理"),
                    limit=limit,
                )
            )
        return merged_history(*parts, limit=limit)


# --- Register, edit, end a registration ---------------------------------------------------------


class RegisterView(ServiceFormView):
    """登记备案. ?facility=<pk> (from a facility's page) fills in the facility."""

    model = Registration
    form_class = RegisterForm
    permission_required = "supervision.add_registration"
    template_name = "practitioners/register.html"
    form_takes_user = True

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        pk = plain_id(self.request.GET.get("facility"))
        kwargs["facility"] = facility_from_query(self.request.user, str(pk)) if pk else None
        return kwargs

    def perform(self, form: Form) -> Model:
        try:
            registered = service.register(user=self.request.user, **form.values())
        except PermissionDenied as error:
            # A new person's ID number needs add_practitioneridentity; say so on the form.
            raise ValidationError(
                gettext("无权登记：新人员须由有权录入身份证号码的人员登记，且机构须在您的辖区内。")
            ) from error
        self.success_message = (
            gettext("已登记备案：新建人员档案。")
            if registered.new_person
            else gettext("已登记备案：该身份证号码已有人员档案，已关联到同一人员（一医一档）。")
        )
        return registered.registration


class PractitionerEditView(ServiceFormView):
    model = Practitioner
    object_model = Practitioner
    form_class = PractitionerForm
    permission_required = "supervision.change_practitioner"
    template_name = "practitioners/edit.html"
    success_message = _("人员信息已保存。")
    form_takes_user = True

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "instance": self.get_object()}

    def perform(self, form: Form) -> Model:
        try:
            return service.edit_practitioner(
                self.get_object(),
                user=self.request.user,
                expected_version=form.expected_version,
                reason=form.cleaned_data.get("change_reason", ""),
                **form.values(),
            )
        except PermissionDenied as error:
            raise ValidationError(gettext("您无权修改该人员的信息。")) from error


class EndRegistrationView(ServiceFormView):
    """注销 one registration (离职或调出, 其他)."""

    model = Registration
    object_model = Registration
    form_class = EndRegistrationForm
    permission_required = "supervision.change_registration"
    template_name = "practitioners/step.html"
    success_message = _("登记备案已注销。")

    def get_object(self) -> Model:
        if not hasattr(self, "_object"):
            registration = self.scoped_object(Registration, self.kwargs["pk"])
            self._object = Registration.objects.select_related("practitioner", "facility").get(
                pk=registration.pk
            )
        return self._object

    def refusal(self) -> str | None:
        if self.get_object().ended_on is not None:
            return gettext("该登记备案已注销。")
        return None

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "registration": self.get_object()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        registration = self.get_object()
        context.update(
            title=gettext("注销登记备案"),
            person=registration.practitioner,
            registration=registration,
            cancel_url=registration.get_absolute_url(),
        )
        return context

    def perform(self, form: Form) -> Model:
        return service.end_registration(
            self.get_object(),
            user=self.request.user,
            ended_on=form.cleaned_data["ended_on"],
            end_reason=form.cleaned_data["end_reason"],
            expected_version=form.expected_version,
        )

    def get_success_url(self, record: Model | None = None) -> str:  # type: ignore[override]
        return f"{self.get_object().get_absolute_url()}#registrations"


# --- Points -------------------------------------------------------------------------------------


def measures_text(measures: list[QualificationMeasure]) -> str:
    return listed(
        gettext("%(kind)s %(start)s至%(end)s")
        % {"kind": m.get_kind_display(), "start": ymd(m.starts_on), "end": ymd(m.ends_on)}
        for m in measures
    )


class ScorePointsView(ServiceFormView):
    """记分 from a completed inspection with violations: ?inspection=<pk>."""

    model = PointsRecord
    form_class = ScorePointsForm
    permission_required = "supervision.add_pointsrecord"
    template_name = "practitioners/score.html"
    success_message = _("记分已登记。")

    def inspection(self) -> Inspection | None:
        if not hasattr(self, "_inspection"):
            pk = plain_id(self.request.GET.get("inspection"))
            self._inspection = (
                self.scoped(
                    Inspection.objects.select_related("facility").prefetch_related("violations")
                )
                .filter(pk=pk)
                .first()
                if pk
                else None
            )
        return self._inspection

    def refusal(self) -> str | None:
        inspection = self.inspection()
        if inspection is None:
            return gettext("请从检查页面发起记分：记分须依据已完成检查发现的违规行为。")
        if inspection.status != InspectionStatus.COMPLETED:
            return gettext("只能依据已完成检查发现的违规行为记分。")
        if not inspection.violations.all():
            return gettext("该检查没有记录违规行为，不能记分。")
        return None

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "inspection": self.inspection()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(inspection=self.inspection(), **kwargs)

    def perform(self, form: Form) -> Model:
        record = service.score_points(user=self.request.user, **form.service_arguments())
        measures = list(
            QualificationMeasure.objects.filter(points_record=record, lifted_on__isnull=True)
        )
        if measures:
            messages.warning(
                self.request,
                gettext("该人员本年度累计记分已达到处理分值：%(measures)s。")
                % {"measures": measures_text(measures)},
            )
        return record

    def get_success_url(self, record: Model | None = None) -> str:  # type: ignore[override]
        if record is not None:
            return record.get_absolute_url()
        inspection = self.inspection()
        return inspection.get_absolute_url() if inspection else reverse("inspection-list")


class PointsDetailView(RecordDetailView):
    """A points record: what was scored, its objection, the measures it started, the forms of
    the steps the reader may take now, and its history."""

    model = PointsRecord
    template_name = "practitioners/points_detail.html"

    def get_queryset(self) -> QuerySet:
        return (
            super()
            .get_queryset()
            .select_related(
                "practitioner", "facility", "inspection", "violation", "created_by__inspector"
            )
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        record: PointsRecord = self.object
        user = self.request.user
        context["measures"] = (
            list(
                QualificationMeasure.objects.filter(points_record=record).order_by(
                    "starts_on", "id"
                )
            )
            if can_view(user, QualificationMeasure)
            else []
        )
        context["forms"] = step_forms(record, user)
        return context


def step_forms(record: PointsRecord, user: Any) -> dict[str, Form]:
    """The steps the record's state allows and the user may take, as forms for its page."""
    if not user.has_perm("supervision.change_pointsrecord"):
        return {}
    forms: dict[str, Form] = {}
    if record.notified_on is None:
        forms["notify"] = NotificationForm(record=record, auto_id="id_notify_%s")
    if record.state == PointsState.SCORED:
        forms["object"] = LodgeObjectionForm(record=record, auto_id="id_object_%s")
    if record.state == PointsState.OBJECTED:
        forms["decide"] = DecideObjectionForm(record=record, auto_id="id_decide_%s")
    return forms


class _PointsStep(ServiceFormView):
    """A step on one points record; its form takes the record as `record`."""

    model = PointsRecord
    object_model = PointsRecord
    permission_required = "supervision.change_pointsrecord"
    template_name = "practitioners/step.html"
    title: str = ""

    def get_object(self) -> Model:
        if not hasattr(self, "_object"):
            record = self.scoped_object(PointsRecord, self.kwargs["pk"])
            self._object = PointsRecord.objects.select_related(
                "practitioner", "facility", "violation"
            ).get(pk=record.pk)
        return self._object

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "record": self.get_object()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        record = self.get_object()
        context.update(
            title=str(self.title),
            person=record.practitioner,
            record=record,
            cancel_url=record.get_absolute_url(),
        )
        return context

    def get_success_url(self, record: Model | None = None) -> str:  # type: ignore[override]
        return self.get_object().get_absolute_url()


class NotifyView(_PointsStep):
    form_class = NotificationForm
    title = _("记录告知")
    success_message = _("告知日期已记录。")

    def refusal(self) -> str | None:
        if self.get_object().notified_on is not None:
            return gettext("已记录告知日期。")
        return None

    def perform(self, form: Form) -> Model:
        return service.record_notification(
            self.get_object(),
            user=self.request.user,
            notified_on=form.cleaned_data["notified_on"],
            expected_version=form.expected_version,
        )


class LodgeObjectionView(_PointsStep):
    form_class = LodgeObjectionForm
    title = _("登记异议")
    success_message = _("异议已登记，审查期间记分仍计入年度累计。")

    def refusal(self) -> str | None:
        if self.get_object().state != PointsState.SCORED:
            return gettext("该记分已有异议，不能重复提出。")
        return None

    def perform(self, form: Form) -> Model:
        return service.lodge_objection(
            self.get_object(),
            user=self.request.user,
            grounds=form.cleaned_data["objection_grounds"],
            objected_on=form.cleaned_data["objected_on"],
            expected_version=form.expected_version,
        )


class DecideObjectionView(_PointsStep):
    form_class = DecideObjectionForm
    title = _("处理异议")
    success_message = _("异议已处理，年度累计记分及支付资格处理已重新计算。")

    def refusal(self) -> str | None:
        if self.get_object().state != PointsState.OBJECTED:
            return gettext("该记分没有待处理的异议。")
        return None

    def perform(self, form: Form) -> Model:
        return service.decide_objection(
            self.get_object(),
            user=self.request.user,
            expected_version=form.expected_version,
            **form.service_arguments(),
        )


urlpatterns = [
    path("", PractitionerListView.as_view(), name="practitioner-list"),
    path("register/", RegisterView.as_view(), name="practitioner-register"),
    path("<int:pk>/", PractitionerDetailView.as_view(), name="practitioner-detail"),
    path("<int:pk>/edit/", PractitionerEditView.as_view(), name="practitioner-edit"),
    path("registrations/<int:pk>/end/", EndRegistrationView.as_view(), name="registration-end"),
    path("points/new/", ScorePointsView.as_view(), name="points-create"),
    path("points/<int:pk>/", PointsDetailView.as_view(), name="points-detail"),
    path("points/<int:pk>/notify/", NotifyView.as_view(), name="points-notify"),
    path("points/<int:pk>/objection/", LodgeObjectionView.as_view(), name="points-object"),
    path("points/<int:pk>/decide/", DecideObjectionView.as_view(), name="points-decide"),
]
