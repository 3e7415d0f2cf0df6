"""Forms of the practitioners' pages (医药机构相关人员): register with a facility (登记备案),
edit a person, end a registration, score points (记分) and the steps of a points record
(告知, 异议, 异议处理).

The forms check what the user typed; services.practitioners checks the rest and its refusals come
back onto the fields, which are named as the service names them (objection_grounds, …). The ID
number is entered, never shown: its input never renders a value (WriteOnlyInput), so a refused
submit does not give it back and no page's source holds it.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supervision.choices import (
    District,
    PointsState,
    Profession,
    RegistrationEnd,
    Responsibility,
)
from supervision.codes import validate_resident_id
from supervision.formats.punctuation import bracketed, clauses, listed
from supervision.forms.credit_subjects import CODE_INPUT_LENGTH, WriteOnlyInput
from supervision.forms.fields import (
    CHOICE_ERRORS,
    REQUIRED,
    TEXT_ERRORS,
    date_field,
    facility_field,
    line_field,
    text_field,
)
from supervision.forms.versions import VersionedFormMixin
from supervision.models import (
    Facility,
    Inspection,
    PointsPolicy,
    PointsRecord,
    Practitioner,
    Registration,
)
from supervision.models.base import BASIS_LENGTH, NOTE_LENGTH, REASON_LENGTH
from supervision.models.practitioner import MAX_POINTS
from supervision.scoping import user_districts
from supervision.services.practitioners import (
    PRACTITIONER_FIELDS,
    may_correct_identity,
    policy_for,
)

MAX_CHANGE_REASON_LENGTH = 200
POINTS_ERRORS = {
    "required": REQUIRED,
    "invalid": _("请输入整数分值，例如3。"),
    "min_value": _("分值最少%(limit_value)s分。"),
    "max_value": _("分值最多%(limit_value)s分。"),
}
# What the end form offers: a termination ends registrations by itself, never by hand.
ENDS_BY_HAND = [RegistrationEnd.LEFT, RegistrationEnd.OTHER]


def _max(model: type, name: str) -> int:
    return model._meta.get_field(name).max_length


def today() -> datetime.date:
    return timezone.localdate()


def _choice(label: str, choices: list[tuple[str, Any]], **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=[("", "---------"), *choices], error_messages=CHOICE_ERRORS, **kwargs
    )


def _points_field(label: str, *, required: bool = True) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=1,
        max_value=MAX_POINTS,
        error_messages=POINTS_ERRORS,
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_POINTS, "step": 1}),
    )


def id_number_field(*, required: bool, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=_("身份证号码"),
        required=required,
        max_length=CODE_INPUT_LENGTH,
        validators=[validate_resident_id],
        error_messages={**TEXT_ERRORS, "required": REQUIRED},
        widget=WriteOnlyInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=help_text,
    )


def policy_text(policy: PointsPolicy) -> str:
    """The year's bands and thresholds in a line, e.g. "一般责任1–3分；…；暂停9分，终止12分"."""
    bands = sorted(policy.bands.all(), key=lambda band: band.min_points)
    by_degree: dict[str, list[str]] = {}
    for band in bands:
        by_degree.setdefault(band.responsibility, []).append(f"{band.min_points}–{band.max_points}")
    parts = [
        gettext("%(responsibility)s每次记%(bands)s分")
        % {"responsibility": label, "bands": listed(by_degree[value])}
        for value, label in Responsibility.choices
        if value in by_degree
    ]
    parts.append(
        gettext("年度累计%(suspend)s分暂停、%(terminate)s分终止医保支付资格")
        % {"suspend": policy.suspension_threshold, "terminate": policy.termination_threshold}
    )
    return clauses(parts)


class RegisterForm(forms.Form):
    """登记备案: a person with a facility. An ID number on file links to that person (一医一档)."""

    id_number = id_number_field(
        required=True,
        help_text=_("18位，含校验位。已登记的号码将关联到同一人员（一医一档），姓名须一致。"),
    )
    name = line_field(_("姓名"), _max(Practitioner, "name"), required=True)
    profession = _choice(_("人员类别"), Profession.choices)
    certificate_number = line_field(_("执业证书编号"), _max(Practitioner, "certificate_number"))
    department = line_field(_("科室或岗位"), _max(Registration, "department"))
    registered_on = date_field(_("登记备案日期"))
    note = text_field(_("备注"), NOTE_LENGTH)

    def __init__(
        self, *args: Any, user: AbstractBaseUser, facility: Facility | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {"registered_on": today()})
        super().__init__(*args, **kwargs)
        self.fields["facility"] = facility_field(_("登记机构"), user, facility)
        self.order_fields(["facility"])

    def clean_id_number(self) -> str:
        return (self.cleaned_data.get("id_number") or "").strip().upper()

    def values(self) -> dict[str, Any]:
        """The arguments of services.practitioners.register."""
        names = ["facility", "id_number", "name", "profession", "certificate_number"]
        names += ["department", "registered_on", "note"]
        return {name: self.cleaned_data[name] for name in names}


class PractitionerForm(VersionedFormMixin, forms.Form):
    """Edit a person (with the version it was loaded at). The ID number is offered only to whoever
    may correct it, empty, and left as stored when left empty."""

    name = line_field(_("姓名"), _max(Practitioner, "name"), required=True)
    profession = _choice(_("人员类别"), Profession.choices)
    certificate_number = line_field(_("执业证书编号"), _max(Practitioner, "certificate_number"))
    note = text_field(_("备注"), NOTE_LENGTH)

    def __init__(
        self, *args: Any, user: AbstractBaseUser, instance: Practitioner, **kwargs: Any
    ) -> None:
        kwargs.setdefault(
            "initial", {name: getattr(instance, name) for name in PRACTITIONER_FIELDS}
        )
        super().__init__(*args, **kwargs)
        districts = user_districts(user)
        self.fields["district"] = _choice(
            _("所属区县"),
            [(v, label) for v, label in District.choices if districts is None or v in districts],
        )
        if may_correct_identity(user):
            self.fields["id_number"] = id_number_field(
                required=False,
                help_text=_("当前：%(masked)s。留空则不修改；填写则更正为新号码。")
                % {"masked": instance.id_masked},
            )
        self.fields["change_reason"] = line_field(
            _("修改说明"), MAX_CHANGE_REASON_LENGTH, help_text=_("可选，记入变更记录。")
        )
        self.order_fields(["name", "profession", "certificate_number", "district", "id_number"])
        self.carry_version(instance)

    def clean_id_number(self) -> str:
        return (self.cleaned_data.get("id_number") or "").strip().upper()

    def values(self) -> dict[str, Any]:
        """The person's fields for the service; id_number only when one was typed."""
        values = {name: self.cleaned_data[name] for name in PRACTITIONER_FIELDS}
        if self.cleaned_data.get("id_number"):
            values["id_number"] = self.cleaned_data["id_number"]
        return values


class EndRegistrationForm(VersionedFormMixin, forms.Form):
    """注销登记备案: the day and why (left or other)."""

    ended_on = date_field(_("注销日期"))
    end_reason = forms.ChoiceField(
        label=_("注销原因"),
        choices=[(value, RegistrationEnd(value).label) for value in ENDS_BY_HAND],
        error_messages=CHOICE_ERRORS,
    )

    def __init__(self, *args: Any, registration: Registration, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"ended_on": today(), "end_reason": RegistrationEnd.LEFT})
        super().__init__(*args, **kwargs)
        self.carry_version(registration)


def _person_label(registration: Registration) -> str:
    person = registration.practitioner
    details = [person.get_profession_display(), person.id_masked]
    if registration.department:
        details.append(registration.department)
    if registration.ended_on is not None:
        details.append(gettext("已注销"))
    return bracketed(person.name, listed(details))


class ScorePointsForm(forms.Form):
    """记分 for a completed inspection: a person registered with the inspected facility (its
    registrations only, open or since ended), one of the violations the inspection found."""

    practitioner = forms.ChoiceField(label=_("记分人员"), error_messages=CHOICE_ERRORS)
    violation = forms.ChoiceField(label=_("违规行为"), error_messages=CHOICE_ERRORS)
    responsibility = _choice(_("责任程度"), Responsibility.choices)
    points = _points_field(_("记分"))
    basis = text_field(_("记分依据"), BASIS_LENGTH, required=True)
    decision_number = line_field(
        _("记分决定书编号"), _max(PointsRecord, "decision_number"), required=True
    )
    decided_on = date_field(_("记分日期"))
    notified_on = date_field(_("告知日期"), required=False, help_text=_("尚未告知的可留空。"))

    def __init__(self, *args: Any, inspection: Inspection, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"decided_on": today()})
        super().__init__(*args, **kwargs)
        self.inspection = inspection
        registrations = (
            Registration.objects.filter(facility_id=inspection.facility_id)
            .select_related("practitioner")
            .order_by("ended_on", "practitioner__name", "practitioner_id", "-registered_on")
        )
        self.people: dict[str, Practitioner] = {}
        choices = []
        for registration in registrations:
            key = str(registration.practitioner_id)
            if key not in self.people:  # a person registered there twice is offered once
                self.people[key] = registration.practitioner
                choices.append((key, _person_label(registration)))
        self.fields["practitioner"].choices = [("", "---------"), *choices]
        self.fields["violation"].choices = [
            ("", "---------"),
            *[(v.pk, str(v)) for v in inspection.violations.all()],
        ]
        try:
            policy = policy_for(today().year)
        except ValidationError:
            policy = None
        if policy is not None:
            self.fields["points"].help_text = gettext("%(year)s年起的记分规则：%(rules)s。") % {
                "year": policy.from_year,
                "rules": policy_text(policy),
            }

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "inspection": self.inspection,
            "practitioner": self.people[data["practitioner"]],
            "violation": data["violation"],
            "responsibility": data["responsibility"],
            "points": data["points"],
            "basis": data["basis"],
            "decision_number": data["decision_number"],
            "decided_on": data["decided_on"],
            "notified_on": data.get("notified_on"),
        }


class NotificationForm(VersionedFormMixin, forms.Form):
    """告知: the day the person was told of the points."""

    notified_on = date_field(_("告知日期"))

    def __init__(self, *args: Any, record: PointsRecord, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"notified_on": today()})
        super().__init__(*args, **kwargs)
        self.carry_version(record)


class LodgeObjectionForm(VersionedFormMixin, forms.Form):
    """异议: the person objects to the points; they keep counting until it is decided."""

    objected_on = date_field(_("异议提出日期"))
    objection_grounds = text_field(_("异议理由"), NOTE_LENGTH, required=True)

    def __init__(self, *args: Any, record: PointsRecord, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"objected_on": today()})
        super().__init__(*args, **kwargs)
        self.carry_version(record)


OUTCOMES = [PointsState.MAINTAINED, PointsState.REDUCED, PointsState.REVOKED]


class DecideObjectionForm(VersionedFormMixin, forms.Form):
    """异议处理: maintained, reduced (new points, and the degree of responsibility if it changes)
    or revoked, always with the reason."""

    outcome = forms.ChoiceField(
        label=_("处理结果"),
        choices=[(value, PointsState(value).label) for value in OUTCOMES],
        widget=forms.RadioSelect,
        error_messages=CHOICE_ERRORS,
    )
    objection_reason = text_field(_("异议处理理由"), REASON_LENGTH, required=True)
    objection_decided_on = date_field(_("异议处理日期"))
    points = _points_field(_("变更后的分值"), required=False)
    responsibility = _choice(
        _("变更后的责任程度"),
        Responsibility.choices,
        required=False,
        help_text=_("留空则不变。"),
    )

    def __init__(self, *args: Any, record: PointsRecord, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"objection_decided_on": today()})
        super().__init__(*args, **kwargs)
        self.fields["points"].help_text = gettext(
            "仅“异议部分成立，变更分值”时填写：低于原记分（%(points)s分）。"
        ) % {"points": record.points}
        self.carry_version(record)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        reduced = cleaned.get("outcome") == PointsState.REDUCED
        if reduced and cleaned.get("points") is None and "points" not in self.errors:
            self.add_error("points", _("请填写变更后的分值。"))
        return cleaned

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        reduced = data["outcome"] == PointsState.REDUCED
        return {
            "outcome": data["outcome"],
            "reason": data["objection_reason"],
            "decided_on": data["objection_decided_on"],
            "points": data.get("points") if reduced else None,
            "responsibility": (data.get("responsibility") or None) if reduced else None,
        }
