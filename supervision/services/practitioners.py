"""Practitioners' registrations, points and payment qualification (医保支付资格记分), shared by
the pages, the API, the admin and the commands.

One record per person across facilities (一医一档): registering an ID number already on file links
the registration to that person. The ID number is personal data (PractitionerIdentity): entered
with add_practitioneridentity, corrected with change_practitioneridentity, read only with
view_practitioneridentity; everyone else sees id_masked, and a refusal never says whose it is.

Every change of a person's points (a record scored, an objection decided) recomputes the
consequences of that calendar year under the year's rules (PointsPolicy) in the same transaction,
with the person's row locked: the first day the standing points reach the suspension threshold
starts a suspension whose length the year's total gives; the first day they reach the
termination threshold starts a termination that ends the person's open registrations and refuses
re-registration for the block period (longer when one event gave all the points). A measure the
points no longer support is lifted, never deleted, and a lifted termination reopens the
registrations it ended.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supervision.choices import (
    STANDING_POINTS_STATES,
    InspectionStatus,
    MeasureKind,
    PointsState,
    RegistrationEnd,
    Responsibility,
)
from supervision.codes import RESIDENT_ID_LENGTH
from supervision.formats.punctuation import listed
from supervision.formats.values import ymd
from supervision.models import (
    Facility,
    Inspection,
    PointsBand,
    PointsPolicy,
    PointsRecord,
    Practitioner,
    PractitionerIdentity,
    QualificationMeasure,
    Registration,
    ViolationCategory,
)
from supervision.models.base import check_version
from supervision.models.credit import mask_resident_id
from supervision.models.sanction import add_months
from supervision.scoping import check_in_scope
from supervision.services import reasons
from supervision.services._common import User, refuse, save_with_history

PRACTITIONER_FIELDS = ("name", "profession", "certificate_number", "district", "note")
_TEXT_FIELDS = ("name", "certificate_number")
# The outcomes of an objection's decision.
OBJECTION_OUTCOMES = (PointsState.MAINTAINED, PointsState.REDUCED, PointsState.REVOKED)


# --- Who may read and write the ID number ------------------------------------------------------


def _holds(user: User, permission: str) -> bool:
    return bool(user is not None and user.is_active and user.has_perm(permission))


def may_read_identity(user: User) -> bool:
    """Whether user may read practitioners' ID numbers (supervisors, superusers)."""
    return _holds(user, "supervision.view_practitioneridentity")


def may_enter_identity(user: User) -> bool:
    """Whether user may enter an ID number when registering a person (None: a system load)."""
    return user is None or _holds(user, "supervision.add_practitioneridentity")


def may_correct_identity(user: User) -> bool:
    return user is None or _holds(user, "supervision.change_practitioneridentity")


def identity_of(practitioner: Practitioner, user: User) -> str:
    """The ID number for a reader who may see it, else the masked one."""
    if not may_read_identity(user):
        return practitioner.id_masked
    identity = PractitionerIdentity.objects.filter(practitioner=practitioner).first()
    return identity.id_number if identity is not None else practitioner.id_masked


def normalised_id(value: object) -> str:
    return str(value or "").strip().upper()


def _check_identity(identity: PractitionerIdentity) -> None:
    """The number's own rules (required, format, check character) and that no other person
    holds it, with a message that does not say whose it is."""
    if not identity.id_number:
        raise refuse("id_number", _("请填写身份证号码。"))
    try:
        identity.full_clean(exclude=["practitioner"], validate_unique=False)
    except ValidationError as error:
        message = error.message_dict.get("id_number", error.messages)[0]
        raise refuse("id_number", message) from error
    others = PractitionerIdentity.objects.filter(id_number=identity.id_number)
    if identity.practitioner_id is not None:
        others = others.exclude(practitioner_id=identity.practitioner_id)
    if others.exists():
        raise refuse("id_number", _("该身份证号码已登记为其他人员。"))


# --- Rules ------------------------------------------------------------------------------------


def policy_for(year: int) -> PointsPolicy:
    """The rules in force for a calendar year: the latest from that year or before."""
    policy = (
        PointsPolicy.objects.filter(from_year__lte=year)
        .prefetch_related("bands", "suspension_periods")
        .order_by("-from_year")
        .first()
    )
    if policy is None:
        raise refuse("decided_on", _("%(year)s年度没有适用的记分规则。") % {"year": year})
    return policy


def bands_text(bands: Iterable[PointsBand]) -> str:
    return listed(f"{band.min_points}–{band.max_points}" for band in bands)


def check_points_in_band(policy: PointsPolicy, responsibility: str, points: int) -> None:
    """Refuse points outside every band of the degree of responsibility."""
    if responsibility not in Responsibility.values:
        raise refuse("responsibility", _("责任程度无效。"))
    bands = [band for band in policy.bands.all() if band.responsibility == responsibility]
    if not bands:
        raise refuse("responsibility", _("记分规则未设定该责任程度的分值档次。"))
    if not any(band.min_points <= points <= band.max_points for band in bands):
        raise refuse(
            "points",
            _("%(responsibility)s每次记%(bands)s分。")
            % {
                "responsibility": Responsibility(responsibility).label,
                "bands": bands_text(bands),
            },
        )


def suspension_months(policy: PointsPolicy, points: int) -> int:
    """Months of suspension for a year's total: the period of the highest total at or below it
    (at least the shortest period)."""
    periods = sorted(policy.suspension_periods.all(), key=lambda period: period.points)
    if not periods:
        raise refuse("points", _("记分规则未设定暂停期限。"))
    months = periods[0].months
    for period in periods:
        if period.points <= points:
            months = period.months
    return months


def _last_day(start: datetime.date, months: int) -> datetime.date:
    return add_months(start, months) - datetime.timedelta(days=1)


def _day(value: datetime.date | None, field: str) -> datetime.date:
    today = timezone.localdate()
    day = value or today
    if not isinstance(day, datetime.date):
        raise refuse(field, _("请输入有效的日期。"))
    if day > today:
        raise refuse(field, _("日期不能晚于今天。"))
    return day


# --- Practitioners and registrations -----------------------------------------------------------


def _locked_person(practitioner: Practitioner | int) -> Practitioner:
    pk = practitioner.pk if isinstance(practitioner, Practitioner) else practitioner
    return Practitioner.objects.select_for_update().get(pk=pk)


def termination_blocking(
    practitioner: Practitioner, day: datetime.date
) -> QualificationMeasure | None:
    """The termination that refuses a registration on day, if any."""
    return (
        QualificationMeasure.objects.filter(
            practitioner=practitioner,
            kind=MeasureKind.TERMINATION,
            lifted_on__isnull=True,
            starts_on__lte=day,
            ends_on__gte=day,
        )
        .order_by("-ends_on")
        .first()
    )


@dataclass(frozen=True)
class Registered:
    registration: Registration
    # Whether the person was new (False: the ID number was on file, 一医一档).
    new_person: bool


@transaction.atomic
def register(
    *,
    user: User,
    facility: Facility,
    id_number: str,
    name: str,
    profession: str,
    certificate_number: str = "",
    department: str = "",
    registered_on: datetime.date | None = None,
    note: str = "",
) -> Registered:
    """Register a person with a facility (登记备案). An ID number already on file links to that
    person (the name must match); otherwise a new person is added in the facility's district.
    Refused while a termination bars the person from registering."""
    number = normalised_id(id_number)
    name = str(name or "").strip()
    registered_on = _day(registered_on, "registered_on")
    identity = (
        PractitionerIdentity.objects.select_related("practitioner").filter(id_number=number).first()
        if len(number) == RESIDENT_ID_LENGTH
        else None
    )
    new_person = identity is None
    if new_person:
        if not may_enter_identity(user):
            raise PermissionDenied(_("您无权登记相关人员的身份证号码。"))
        person = Practitioner(
            name=name,
            profession=profession,
            certificate_number=str(certificate_number or "").strip(),
            district=facility.district,
            note=note or "",
            id_masked=mask_resident_id(number),
        )
        new_identity = PractitionerIdentity(id_number=number)
        problems: dict[str, list[str]] = {}
        try:
            person.full_clean()
        except ValidationError as error:
            problems.update(error.message_dict)
        try:
            _check_identity(new_identity)
        except ValidationError as error:
            problems.update(error.message_dict)
        if problems:
            raise ValidationError(problems)
        check_in_scope(user, Registration(facility=facility))
        save_with_history(person, user)
        new_identity.practitioner = person
        save_with_history(new_identity, user)
    else:
        person = _locked_person(identity.practitioner)
        if person.name != name:
            raise refuse("name", _("该身份证号码已登记的人员姓名与填写的不一致，请核对。"))
        blocking = termination_blocking(person, registered_on)
        if blocking is not None:
            raise refuse(
                "id_number",
                _("该人员医保支付资格已终止，%(day)s前不得再次登记备案。")
                % {"day": ymd(blocking.ends_on + datetime.timedelta(days=1))},
            )
    registration = Registration(
        practitioner=person,
        facility=facility,
        department=str(department or "").strip(),
        registered_on=registered_on,
    )
    save_with_history(registration, user, reasons.system(reasons.PRACTITIONER_REGISTERED))
    return Registered(registration, new_person)


@transaction.atomic
def end_registration(
    registration: Registration,
    *,
    user: User,
    ended_on: datetime.date | None = None,
    end_reason: str = RegistrationEnd.LEFT,
    expected_version: int | None = None,
) -> Registration:
    """End an open registration (离职或调出, 其他); a termination ends them by itself."""
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    check_version(locked, expected_version)
    check_in_scope(user, locked)
    if locked.ended_on is not None:
        raise refuse("ended_on", _("该登记备案已注销。"))
    if end_reason not in (RegistrationEnd.LEFT, RegistrationEnd.OTHER):
        raise refuse("end_reason", _("注销原因无效。"))
    locked.ended_on = _day(ended_on, "ended_on")
    locked.end_reason = end_reason
    save_with_history(locked, user, reasons.system(reasons.REGISTRATION_ENDED))
    return locked


@transaction.atomic
def edit_practitioner(
    practitioner: Practitioner,
    *,
    user: User,
    expected_version: int | None = None,
    reason: str = "",
    **fields: Any,
) -> Practitioner:
    """Change the given fields (PRACTITIONER_FIELDS); an `id_number` replaces the stored number
    (only with change_practitioneridentity) and its mask."""
    unknown = sorted(set(fields) - {*PRACTITIONER_FIELDS, "id_number"})
    if unknown:
        raise TypeError(f"not editable here: {', '.join(unknown)}")
    locked = _locked_person(practitioner)
    check_version(locked, expected_version)
    check_in_scope(user, locked)
    number = fields.pop("id_number", None)
    for name, value in fields.items():
        setattr(locked, name, str(value or "").strip() if name in _TEXT_FIELDS else value)
    number = normalised_id(number)
    if number:
        identity = (
            PractitionerIdentity.objects.select_for_update().filter(practitioner=locked).first()
        )
        if identity is None or identity.id_number != number:
            if not may_correct_identity(user):
                raise PermissionDenied(_("您无权修改相关人员的身份证号码。"))
            locked.id_masked = mask_resident_id(number)
            locked.full_clean()
            check_in_scope(user, locked)
            identity = identity or PractitionerIdentity(practitioner=locked)
            identity.id_number = number
            _check_identity(identity)
            save_with_history(identity, user)
    save_with_history(locked, user, reason)
    return locked


# --- Points ------------------------------------------------------------------------------------


@transaction.atomic
def score_points(
    *,
    user: User,
    inspection: Inspection,
    practitioner: Practitioner,
    violation: ViolationCategory | str,
    responsibility: str,
    points: int,
    basis: str,
    decision_number: str,
    decided_on: datetime.date | None = None,
    notified_on: datetime.date | None = None,
) -> PointsRecord:
    """Score points against a person registered with the inspected facility, for one of the
    violations a completed inspection found; then recompute the year's consequences."""
    person = _locked_person(practitioner)
    inspection = Inspection.objects.select_related("facility").get(pk=inspection.pk)
    decided_on = _day(decided_on, "decided_on")
    code = violation.pk if isinstance(violation, ViolationCategory) else str(violation or "")
    problems: dict[str, str] = {}
    if inspection.status != InspectionStatus.COMPLETED:
        problems["inspection"] = _("只能依据已完成检查发现的违规行为记分。")
    elif not inspection.violations.filter(pk=code).exists():
        problems["violation"] = _("请选择该次检查发现的违规行为。")
    if not Registration.objects.filter(practitioner=person, facility=inspection.facility).exists():
        problems["practitioner"] = _("该人员未在被检查机构登记备案。")
    if inspection.start_date and decided_on < inspection.start_date:
        problems["decided_on"] = _("记分日期不能早于检查开始日期。")
    if not isinstance(points, int) or isinstance(points, bool):
        problems["points"] = _("请输入整数分值。")
    if problems:
        raise ValidationError(problems)
    policy = policy_for(decided_on.year)
    check_points_in_band(policy, responsibility, points)
    if notified_on is not None:
        notified_on = _day(notified_on, "notified_on")
    record = PointsRecord(
        practitioner=person,
        inspection=inspection,
        facility=inspection.facility,
        violation_id=code,
        responsibility=responsibility,
        points=points,
        basis=str(basis or "").strip(),
        decision_number=str(decision_number or "").strip(),
        decided_on=decided_on,
        notified_on=notified_on,
        created_by=user if getattr(user, "pk", None) else None,
    )
    record.year = decided_on.year
    save_with_history(record, user, reasons.system(reasons.POINTS_SCORED))
    recompute_year(person, decided_on.year, user=user)
    return record


def _locked_record(record: PointsRecord, expected_version: int | None) -> PointsRecord:
    locked = PointsRecord.objects.select_for_update().get(pk=record.pk)
    check_version(locked, expected_version)
    return locked


@transaction.atomic
def record_notification(
    record: PointsRecord,
    *,
    user: User,
    notified_on: datetime.date | None = None,
    expected_version: int | None = None,
) -> PointsRecord:
    """Record the day the person was told of the points (告知)."""
    locked = _locked_record(record, expected_version)
    check_in_scope(user, locked)
    if locked.notified_on is not None:
        raise refuse("notified_on", _("已记录告知日期。"))
    day = _day(notified_on, "notified_on")
    if day < locked.decided_on:
        raise refuse("notified_on", _("告知日期不能早于记分日期。"))
    locked.notified_on = day
    save_with_history(locked, user, reasons.system(reasons.POINTS_NOTIFIED))
    return locked


@transaction.atomic
def lodge_objection(
    record: PointsRecord,
    *,
    user: User,
    grounds: str,
    objected_on: datetime.date | None = None,
    expected_version: int | None = None,
) -> PointsRecord:
    """Record the person's objection to the points (异议). The points keep counting until the
    objection is decided."""
    locked = _locked_record(record, expected_version)
    check_in_scope(user, locked)
    if locked.state != PointsState.SCORED:
        raise refuse("state", _("该记分已有异议，不能重复提出。"))
    grounds = str(grounds or "").strip()
    if not grounds:
        raise refuse("objection_grounds", _("请填写异议理由。"))
    day = _day(objected_on, "objected_on")
    if day < locked.decided_on:
        raise refuse("objected_on", _("异议提出日期不能早于记分日期。"))
    locked.state = PointsState.OBJECTED
    locked.objected_on = day
    locked.objection_grounds = grounds
    save_with_history(locked, user, reasons.system(reasons.POINTS_OBJECTED))
    return locked


@transaction.atomic
def decide_objection(
    record: PointsRecord,
    *,
    user: User,
    outcome: str,
    reason: str,
    decided_on: datetime.date | None = None,
    points: int | None = None,
    responsibility: str | None = None,
    expected_version: int | None = None,
) -> PointsRecord:
    """Decide an objection: maintained (the points stand), reduced (new, lower points, within
    the band of the degree of responsibility, which may change too) or revoked (the points stop
    counting). Then recompute the year: a suspension or termination the points no longer reach
    is lifted."""
    person = _locked_person(record.practitioner_id)
    locked = _locked_record(record, expected_version)
    check_in_scope(user, locked)
    if locked.state != PointsState.OBJECTED:
        raise refuse("state", _("该记分没有待处理的异议。"))
    if outcome not in OBJECTION_OUTCOMES:
        raise refuse("outcome", _("请选择处理结果。"))
    reason = str(reason or "").strip()
    if not reason:
        raise refuse("objection_reason", _("请填写处理理由。"))
    day = _day(decided_on, "objection_decided_on")
    if day < locked.objected_on:
        raise refuse("objection_decided_on", _("处理日期不能早于异议提出日期。"))
    if outcome == PointsState.REDUCED:
        if not isinstance(points, int) or isinstance(points, bool):
            raise refuse("points", _("请填写变更后的分值。"))
        if not 1 <= points < locked.points:
            raise refuse("points", _("变更后的分值应在1分到原记分之间（不含原记分）。"))
        responsibility = responsibility or locked.responsibility
        check_points_in_band(policy_for(locked.year), responsibility, points)
        locked.original_points = locked.points
        locked.points = points
        locked.responsibility = responsibility
    locked.state = outcome
    locked.objection_decided_on = day
    locked.objection_reason = reason
    save_with_history(locked, user, reasons.system(reasons.POINTS_OBJECTION_DECIDED))
    recompute_year(person, locked.year, user=user, on=day)
    return locked


# --- Consequences ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """A measure the year's points give."""

    kind: str
    starts_on: datetime.date
    ends_on: datetime.date
    points: int
    single_event: bool
    record: PointsRecord


def plan_year(records: Iterable[PointsRecord], policy: PointsPolicy) -> dict[str, Planned]:
    """The measures a year's standing records (in decision order) give under policy: a
    suspension from the day the total reaches the suspension threshold, for the months of the
    total reached before any termination; a termination from the day it reaches the termination
    threshold, barring re-registration for the block period."""
    total = 0
    suspension_record: PointsRecord | None = None
    termination_record: PointsRecord | None = None
    points_before_termination = 0
    for record in records:
        total += record.points
        if termination_record is None and total >= policy.termination_threshold:
            termination_record = record
        elif termination_record is None:
            points_before_termination = total
            if suspension_record is None and total >= policy.suspension_threshold:
                suspension_record = record
    planned: dict[str, Planned] = {}
    if suspension_record is not None:
        months = suspension_months(policy, points_before_termination)
        start = suspension_record.decided_on
        planned[MeasureKind.SUSPENSION] = Planned(
            MeasureKind.SUSPENSION,
            start,
            _last_day(start, months),
            points_before_termination,
            False,
            suspension_record,
        )
    if termination_record is not None:
        single = termination_record.points >= policy.termination_threshold
        months = policy.block_months_single_event if single else policy.block_months
        start = termination_record.decided_on
        planned[MeasureKind.TERMINATION] = Planned(
            MeasureKind.TERMINATION,
            start,
            _last_day(start, months),
            total,
            single,
            termination_record,
        )
    return planned


def recompute_year(
    practitioner: Practitioner, year: int, *, user: User, on: datetime.date | None = None
) -> list[QualificationMeasure]:
    """Bring the year's measures in line with its standing points (the caller holds the
    person's lock, in its transaction). Returns the measures written or lifted."""
    on = on or timezone.localdate()
    records = list(
        PointsRecord.objects.filter(
            practitioner=practitioner, year=year, state__in=STANDING_POINTS_STATES
        ).order_by("decided_on", "id")
    )
    planned = plan_year(records, policy_for(year)) if records else {}
    current = {
        measure.kind: measure
        for measure in QualificationMeasure.objects.select_for_update().filter(
            practitioner=practitioner, year=year, lifted_on__isnull=True
        )
    }
    written: list[QualificationMeasure] = []
    for kind in MeasureKind.values:
        want, have = planned.get(kind), current.get(kind)
        if want is None and have is not None:
            _lift(have, user=user, on=on)
            written.append(have)
        elif want is not None and have is None:
            written.append(_create_measure(practitioner, year, want, user=user))
        elif want is not None and have is not None and _differs(have, want):
            _update_measure(have, want, user=user)
            written.append(have)
    return written


def _differs(measure: QualificationMeasure, want: Planned) -> bool:
    return (
        measure.starts_on,
        measure.ends_on,
        measure.points,
        measure.single_event,
        measure.points_record_id,
    ) != (want.starts_on, want.ends_on, want.points, want.single_event, want.record.pk)


def _measure_reason(kind: str) -> str:
    if kind == MeasureKind.TERMINATION:
        return reasons.system(reasons.QUALIFICATION_TERMINATED)
    return reasons.system(reasons.QUALIFICATION_SUSPENDED)


def _create_measure(
    practitioner: Practitioner, year: int, want: Planned, *, user: User
) -> QualificationMeasure:
    measure = QualificationMeasure(
        practitioner=practitioner,
        year=year,
        kind=want.kind,
        starts_on=want.starts_on,
        ends_on=want.ends_on,
        points=want.points,
        single_event=want.single_event,
        points_record=want.record,
    )
    measure.full_clean()
    measure._history_user = user  # type: ignore[attr-defined]
    measure._change_reason = _measure_reason(want.kind)  # type: ignore[attr-defined]
    measure.save()
    if want.kind == MeasureKind.TERMINATION:
        _end_registrations(measure, user=user)
    return measure


def _update_measure(measure: QualificationMeasure, want: Planned, *, user: User) -> None:
    moved = measure.starts_on != want.starts_on
    measure.starts_on = want.starts_on
    measure.ends_on = want.ends_on
    measure.points = want.points
    measure.single_event = want.single_event
    measure.points_record = want.record
    measure.full_clean()
    measure._history_user = user  # type: ignore[attr-defined]
    measure._change_reason = _measure_reason(want.kind)  # type: ignore[attr-defined]
    measure.save()
    if moved and measure.kind == MeasureKind.TERMINATION:
        _reopen_registrations(measure, user=user)
        _end_registrations(measure, user=user)


def _lift(measure: QualificationMeasure, *, user: User, on: datetime.date) -> None:
    measure.lifted_on = on
    measure.lift_reason = reasons.system(reasons.QUALIFICATION_LIFTED)
    measure.full_clean()
    measure._history_user = user  # type: ignore[attr-defined]
    measure._change_reason = measure.lift_reason  # type: ignore[attr-defined]
    measure.save()
    if measure.kind == MeasureKind.TERMINATION:
        _reopen_registrations(measure, user=user)


def _end_registrations(measure: QualificationMeasure, *, user: User) -> None:
    """A termination ends the person's open registrations on its first day."""
    for registration in Registration.objects.select_for_update().filter(
        practitioner_id=measure.practitioner_id, ended_on__isnull=True
    ):
        registration.ended_on = max(measure.starts_on, registration.registered_on)
        registration.end_reason = RegistrationEnd.TERMINATED
        registration.ended_by = measure
        registration.full_clean()
        registration._history_user = user  # type: ignore[attr-defined]
        registration._change_reason = reasons.system(  # type: ignore[attr-defined]
            reasons.REGISTRATION_TERMINATED
        )
        registration.save()


def _reopen_registrations(measure: QualificationMeasure, *, user: User) -> None:
    """Reopen what a lifted (or moved) termination ended, unless the person registered with
    the same facility again since."""
    for registration in Registration.objects.select_for_update().filter(ended_by=measure):
        if Registration.objects.filter(
            practitioner_id=registration.practitioner_id,
            facility_id=registration.facility_id,
            ended_on__isnull=True,
        ).exists():
            continue
        registration.ended_on = None
        registration.end_reason = ""
        registration.ended_by = None
        registration.full_clean()
        registration._history_user = user  # type: ignore[attr-defined]
        registration._change_reason = reasons.system(  # type: ignore[attr-defined]
            reasons.REGISTRATION_REOPENED
        )
        registration.save()


# --- Reading -----------------------------------------------------------------------------------


def year_points(practitioner: Practitioner, year: int) -> int:
    """Standing points of a calendar year."""
    return sum(
        PointsRecord.objects.filter(
            practitioner=practitioner, year=year, state__in=STANDING_POINTS_STATES
        ).values_list("points", flat=True)
    )


def timeline(practitioner: Practitioner) -> list[Mapping[str, Any]]:
    """The person's status timeline, oldest first: each measure's start and end, and its
    lifting, as dated events."""
    events: list[dict[str, Any]] = []
    for measure in QualificationMeasure.objects.filter(practitioner=practitioner).order_by(
        "starts_on", "id"
    ):
        events.append({"day": measure.starts_on, "measure": measure, "event": "start"})
        if measure.lifted_on is not None:
            events.append({"day": measure.lifted_on, "measure": measure, "event": "lifted"})
        else:
            events.append(
                {
                    "day": measure.ends_on + datetime.timedelta(days=1),
                    "measure": measure,
                    "event": "end",
                }
            )
    return sorted(events, key=lambda event: (event["day"], event["measure"].pk))
