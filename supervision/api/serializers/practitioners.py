"""Practitioners (医药机构相关人员) and their payment qualification (医保支付资格记分) in the API.

Every write goes through supervision.services.practitioners (its refusals are 400s per field, a
stale version 412, an ID number entered or corrected without the permission 403). A
practitioner's `id_number` is personal data: it is read only by a user with
view_practitioneridentity (the viewset selects `identity` for them, in their districts), entered
when registering a new person (add_practitioneridentity; the registration's input never returns
it) and corrected with change_practitioneridentity; for a user who may correct it but not read
it the field is write-only, for anyone else it is absent. `id_masked` is there for everyone, and
it is all any other endpoint ever shows of a person's number.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from supervision.api.fields import RelatedIdField
from supervision.api.serializers.base import ID, RECORD_FIELDS, acting_user, help_texts
from supervision.api.serializers.briefs import FacilityBriefSerializer, InspectionBriefSerializer
from supervision.api.serializers.credit import PractitionerBriefSerializer
from supervision.choices import (
    MeasureKind,
    PointsState,
    Profession,
    QualificationStatus,
    RegistrationEnd,
    Responsibility,
    Violation,
)
from supervision.codes import validate_resident_id
from supervision.models import (
    Facility,
    Inspection,
    PointsBand,
    PointsPolicy,
    PointsRecord,
    Practitioner,
    QualificationMeasure,
    Registration,
    SuspensionPeriod,
)
from supervision.models.base import BASIS_LENGTH, NOTE_LENGTH, REASON_LENGTH
from supervision.models.practitioner import CERTIFICATE_LENGTH, MAX_POINTS
from supervision.scoping import in_scope
from supervision.services import practitioners as service

ID_NUMBER_HELP = (
    "Resident ID number (身份证号码), 18 characters with a valid check character, stored "
    "upper-case. Personal data: returned only to a user with "
    "supervision.view_practitioneridentity, in their districts; changing it needs "
    "supervision.change_practitioneridentity. Write-only for a user who may correct but not "
    "read it, absent for everyone else."
)
ID_MASKED_HELP = (
    "ID number with the birth date and sequence hidden, e.g. 540102********123X (read-only)."
)
NAME_HELP = "Name of the person (姓名), at most 50 characters."
PROFESSION_HELP = (
    "Profession (人员类别): doctor (医师), nurse (护士), pharmacist (药师), technician (技师) or "
    "pharmacy_head (药店主要负责人)."
)
CERTIFICATE_HELP = "Practising certificate number (执业证书编号), at most 40 characters; optional."
DISTRICT_HELP = (
    "County-level division where the person is managed (GB/T 2260 code): the district of the "
    "first registration's facility."
)
NOTE_HELP = "Notes, at most 2,000 characters."
DEPARTMENT_HELP = "Department or post (科室或岗位), at most 100 characters; optional."
STATUS_HELP = (
    "Payment qualification today (医保支付资格): active (正常), qualification_suspended (暂停) "
    "or qualification_terminated (终止), from the measures in force."
)
YEAR_POINTS_HELP = (
    "Points standing in the current calendar year (本年度累计记分): revoked points do not count, "
    "reduced ones count their new value."
)
END_REASON_HELP = (
    "Why it ended: left (离职或调出), terminated (终止医保支付资格, written by the qualification "
    "rules) or other (其他); empty while open."
)
RESPONSIBILITY_HELP = (
    "Degree of responsibility (责任程度): general (一般责任), important (重要责任) or main "
    "(主要责任); the points must lie within one of its bands in the year's rules."
)
STATE_HELP = (
    "Where the points stand: scored (已记分) → objected (异议审查中) → maintained (维持), reduced "
    "(变更分值) or revoked (撤销, the points stop counting)."
)
VIOLATION_HELP = "Code of the violation (违规行为); one the inspection found."
TODAY = "Default today; not after today."


def _date(help_text: str) -> serializers.DateField:
    return serializers.DateField(
        required=False, allow_null=True, default=None, help_text=f"{help_text} {TODAY}"
    )


def _text(max_length: int, help_text: str, *, required: bool = False) -> serializers.CharField:
    if required:
        return serializers.CharField(max_length=max_length, help_text=help_text)
    return serializers.CharField(
        required=False, allow_blank=True, default="", max_length=max_length, help_text=help_text
    )


def _points(help_text: str, **kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1, max_value=MAX_POINTS, help_text=help_text, **kwargs
    )


def _username(source: str, help_text: str) -> serializers.CharField:
    return serializers.CharField(
        source=source, read_only=True, allow_null=True, help_text=help_text
    )


# --- brief objects ----------------------------------------------------------------------------


class RegistrationSummarySerializer(serializers.ModelSerializer):
    """One registration (登记备案) of a person, as their record lists it."""

    facility = FacilityBriefSerializer(read_only=True, help_text="The facility registered with.")
    end_reason = serializers.ChoiceField(
        choices=RegistrationEnd.choices, allow_blank=True, read_only=True, help_text=END_REASON_HELP
    )

    class Meta:
        model = Registration
        fields = ["id", "facility", "department", "registered_on", "ended_on", "end_reason"]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                "department": DEPARTMENT_HELP,
                "registered_on": "First day registered (登记备案日期).",
                "ended_on": "First day no longer registered (注销日期); null while open.",
            }
        )


# --- practitioners ----------------------------------------------------------------------------


class PractitionerSerializer(serializers.ModelSerializer):
    """A practitioner (one record per person across facilities, 一医一档), with the payment
    qualification's status today, the year's points and the registrations the reader may see.
    Edits go through services.practitioners.edit_practitioner."""

    id_number = serializers.CharField(
        source="identity.id_number",
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=ID_NUMBER_HELP,
    )
    qualification_status = serializers.ChoiceField(
        choices=QualificationStatus.choices, read_only=True, help_text=STATUS_HELP
    )
    year_points = serializers.IntegerField(read_only=True, help_text=YEAR_POINTS_HELP)
    registrations = RegistrationSummarySerializer(
        many=True,
        read_only=True,
        help_text="The person's registrations with facilities in the reader's districts, newest "
        "first.",
    )

    class Meta:
        model = Practitioner
        fields = [
            "id",
            "name",
            "profession",
            "certificate_number",
            "district",
            "id_number",
            "id_masked",
            "note",
            "qualification_status",
            "year_points",
            "registrations",
            *RECORD_FIELDS,
        ]
        read_only_fields = ["id", "id_masked", *RECORD_FIELDS]
        extra_kwargs = help_texts(
            {
                "name": NAME_HELP,
                "profession": PROFESSION_HELP,
                "certificate_number": CERTIFICATE_HELP,
                "district": DISTRICT_HELP,
                "id_masked": ID_MASKED_HELP,
                "note": NOTE_HELP,
            }
        )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is None:  # the schema: the field as documented
            return fields
        user = request.user
        if service.may_read_identity(user):
            return fields
        if service.may_correct_identity(user):
            fields["id_number"].write_only = True
        else:
            del fields["id_number"]
        return fields

    def to_representation(self, instance: Practitioner) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if "id_number" in data and (request is None or not in_scope(request.user, instance)):
            # Never outside the reader's districts, whatever a queryset let through.
            del data["id_number"]
        return data

    def validate_id_number(self, value: str) -> str:
        number = service.normalised_id(value)
        if number:
            validate_resident_id(number)
        return number

    def update(self, instance: Practitioner, validated_data: dict[str, Any]) -> Practitioner:
        values = dict(validated_data)
        identity = values.pop("identity", None) or {}
        if identity.get("id_number"):
            values["id_number"] = identity["id_number"]
        return service.edit_practitioner(
            instance, user=acting_user(self), expected_version=instance.version, **values
        )


class RegisterPractitionerSerializer(serializers.Serializer):
    """Input of POST /api/practitioners/: register a person with a facility (登记备案)."""

    facility = RelatedIdField(
        queryset=Facility.objects.all(),
        help_text="Id of the facility the person is registered with (in the user's districts).",
    )
    id_number = serializers.CharField(
        max_length=40,
        write_only=True,
        help_text="Resident ID number (身份证号码), 18 characters with a valid check character. "
        "A number on file links the registration to that person (一医一档; the name must "
        "match); a new one adds a person (supervision.add_practitioneridentity). Never "
        "returned by this call.",
    )
    name = serializers.CharField(max_length=50, help_text=NAME_HELP)
    profession = serializers.ChoiceField(
        choices=Profession.choices,
        help_text=f"{PROFESSION_HELP} Kept as on file when the person is known.",
    )
    certificate_number = _text(
        CERTIFICATE_LENGTH, f"{CERTIFICATE_HELP} Kept as on file when the person is known."
    )
    department = _text(100, DEPARTMENT_HELP)
    registered_on = _date("First day registered (登记备案日期).")
    note = _text(NOTE_LENGTH, f"{NOTE_HELP} Only for a new person.")

    def validate_id_number(self, value: str) -> str:
        number = service.normalised_id(value)
        validate_resident_id(number)
        return number


# --- registrations ----------------------------------------------------------------------------


class RegistrationSerializer(serializers.ModelSerializer):
    """A registration (登记备案) of a person with a facility: made by POST /api/practitioners/,
    ended by its `end` action (a termination ends it by itself)."""

    practitioner = PractitionerBriefSerializer(read_only=True, help_text="The person.")
    facility = FacilityBriefSerializer(read_only=True, help_text="The facility registered with.")
    end_reason = serializers.ChoiceField(
        choices=RegistrationEnd.choices, allow_blank=True, read_only=True, help_text=END_REASON_HELP
    )
    ended_by = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="Id of the termination (/api/qualification-measures/{id}/) that ended it; "
        "null otherwise.",
    )

    class Meta:
        model = Registration
        fields = [
            "id",
            "practitioner",
            "facility",
            "department",
            "registered_on",
            "ended_on",
            "end_reason",
            "ended_by",
            *RECORD_FIELDS,
        ]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                "department": DEPARTMENT_HELP,
                "registered_on": "First day registered (登记备案日期).",
                "ended_on": "First day no longer registered (注销日期); null while open.",
            }
        )


class EndRegistrationSerializer(serializers.Serializer):
    """Input of POST /api/registrations/{id}/end/."""

    ended_on = _date("First day no longer registered (注销日期); not before the registration.")
    end_reason = serializers.ChoiceField(
        choices=RegistrationEnd.choices,
        required=False,
        default=RegistrationEnd.LEFT,
        help_text="left (离职或调出, the default) or other (其他); `terminated` is written by the "
        "qualification rules only.",
    )

    def validate_end_reason(self, value: str) -> str:
        if value not in (RegistrationEnd.LEFT, RegistrationEnd.OTHER):
            raise serializers.ValidationError(_("注销原因无效。"))
        return value


class RegisteredPractitionerSerializer(serializers.Serializer):
    """Answer of POST /api/practitioners/ (services.practitioners.register)."""

    new_person = serializers.BooleanField(
        read_only=True,
        help_text="true: a new person was added; false: the ID number was on file and the "
        "registration links to that person (一医一档).",
    )
    registration = RegistrationSerializer(read_only=True, help_text="The registration written.")
    practitioner = PractitionerSerializer(
        read_only=True,
        allow_null=True,
        help_text="The person as /api/practitioners/{id}/ reads them; null when the person is "
        "managed in a district outside the user's.",
    )


# --- points -----------------------------------------------------------------------------------

_POINTS_HELP = {
    "responsibility": RESPONSIBILITY_HELP,
    "points": "Points counted (记分), 1-12; after a reduction, the new value.",
    "original_points": "Points first scored, when an objection reduced them; null otherwise.",
    "basis": "Legal basis and facts (记分依据).",
    "decision_number": "Number of the decision (记分决定书编号).",
    "decided_on": "Date of the decision (记分日期); its year is the year the points count in.",
    "year": "Calendar year the points count in (记分年度).",
    "notified_on": "Date the person was told (告知日期); null until then.",
    "state": STATE_HELP,
    "objected_on": "Date the objection was lodged (异议提出日期).",
    "objection_grounds": "The person's grounds (异议理由).",
    "objection_decided_on": "Date the objection was decided (异议处理日期).",
    "objection_reason": "Why it was decided so (异议处理理由).",
}


class PointsRecordSerializer(serializers.ModelSerializer):
    """Points scored against a person (记分) for a violation found in a completed inspection."""

    practitioner = PractitionerBriefSerializer(read_only=True, help_text="The person scored.")
    inspection = InspectionBriefSerializer(
        read_only=True, help_text="The completed inspection that found the violation."
    )
    facility = FacilityBriefSerializer(read_only=True, help_text="The inspected facility.")
    violation = serializers.ChoiceField(
        source="violation_id", choices=Violation.choices, read_only=True, help_text=VIOLATION_HELP
    )
    state = serializers.ChoiceField(
        choices=PointsState.choices, read_only=True, help_text=STATE_HELP
    )
    created_by = _username("created_by.username", "User name of who scored it (null for loads).")

    class Meta:
        model = PointsRecord
        fields = [
            "id",
            "practitioner",
            "inspection",
            "facility",
            "violation",
            *_POINTS_HELP,
            "created_by",
            *RECORD_FIELDS,
        ]
        read_only_fields = fields
        extra_kwargs = help_texts(_POINTS_HELP)


class ScorePointsSerializer(serializers.Serializer):
    """Input of POST /api/points-records/ (services.practitioners.score_points)."""

    practitioner = RelatedIdField(
        queryset=Practitioner.objects.all(),
        help_text="Id of the person, registered with the inspected facility.",
    )
    inspection = RelatedIdField(
        queryset=Inspection.objects.all(), help_text="Id of a completed inspection."
    )
    violation = serializers.ChoiceField(choices=Violation.choices, help_text=VIOLATION_HELP)
    responsibility = serializers.ChoiceField(
        choices=Responsibility.choices, help_text=RESPONSIBILITY_HELP
    )
    points = _points("Points to score, within a band of the degree of responsibility.")
    basis = _text(BASIS_LENGTH, _POINTS_HELP["basis"] + " Required.", required=True)
    decision_number = _text(60, _POINTS_HELP["decision_number"] + " Required.", required=True)
    decided_on = _date("Date of the decision; not before the inspection began.")
    notified_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Date the person was told (告知日期), when already done; left out or null: "
        "not yet (POST …/notify/ later). Not before the decision nor after today.",
    )


class RecordNotificationSerializer(serializers.Serializer):
    """Input of POST /api/points-records/{id}/notify/."""

    notified_on = _date(
        "Date the person was told of the points (告知日期); not before the decision."
    )


class LodgeObjectionSerializer(serializers.Serializer):
    """Input of POST /api/points-records/{id}/object/."""

    objection_grounds = _text(
        NOTE_LENGTH, "The person's grounds (异议理由); required.", required=True
    )
    objected_on = _date("Date the objection was lodged; not before the decision.")


class DecidePointsObjectionSerializer(serializers.Serializer):
    """Input of POST /api/points-records/{id}/decide/."""

    outcome = serializers.ChoiceField(
        choices=[(state, PointsState(state).label) for state in service.OBJECTION_OUTCOMES],
        help_text="maintained (异议不成立: the points stand), reduced (异议部分成立: give the new "
        "`points`) or revoked (异议成立: the points stop counting and a measure they no longer "
        "support is lifted).",
    )
    objection_reason = _text(REASON_LENGTH, "Why (异议处理理由); required.", required=True)
    objection_decided_on = _date("Date decided; not before the objection.")
    points = _points(
        "For `reduced`: the new points, below the first ones and within a band.",
        required=False,
        allow_null=True,
        default=None,
    )
    responsibility = serializers.ChoiceField(
        choices=Responsibility.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="For `reduced`: a new degree of responsibility; default the recorded one.",
    )


# --- measures and rules -----------------------------------------------------------------------


class QualificationMeasureSerializer(serializers.ModelSerializer):
    """A suspension or termination of a person's payment qualification, written by the rules
    when the year's points reach a threshold; lifted, never deleted, when they no longer do."""

    practitioner = PractitionerBriefSerializer(read_only=True, help_text="The person.")
    kind = serializers.ChoiceField(
        choices=MeasureKind.choices,
        read_only=True,
        help_text="suspension (暂停医保支付资格) or termination (终止医保支付资格).",
    )
    points_record = serializers.PrimaryKeyRelatedField(
        read_only=True,
        help_text="Id of the points record (/api/points-records/{id}/) with which the "
        "threshold was reached.",
    )
    in_force = serializers.SerializerMethodField(
        help_text="Whether it is in force today (not lifted, today between its first and last day)."
    )

    class Meta:
        model = QualificationMeasure
        fields = [
            "id",
            "practitioner",
            "year",
            "kind",
            "starts_on",
            "ends_on",
            "points",
            "single_event",
            "points_record",
            "lifted_on",
            "lift_reason",
            "in_force",
            "created_at",
            "version",
        ]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                "year": "Calendar year of the points (记分年度).",
                "starts_on": "First day in force.",
                "ends_on": "Last day in force; for a termination, the last day re-registration "
                "is refused.",
                "points": "Standing points of the year that gave it.",
                "single_event": "Whether one event gave all the points (一次记满分): a longer "
                "block on re-registration.",
                "lifted_on": "Date lifted (撤销) because the points no longer support it; null "
                "otherwise.",
                "lift_reason": "Why it was lifted.",
            }
        )

    @extend_schema_field({"type": "boolean"})
    def get_in_force(self, measure: QualificationMeasure) -> bool:
        return measure.in_force_on(timezone.localdate())


class PointsBandSerializer(serializers.ModelSerializer):
    class Meta:
        model = PointsBand
        fields = ["id", "responsibility", "min_points", "max_points", "label"]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                "id": ID,
                "responsibility": RESPONSIBILITY_HELP,
                "min_points": "Fewest points one event gives at this degree.",
                "max_points": "Most points one event gives at this degree.",
                "label": "When the band applies (适用情形).",
            }
        )


class SuspensionPeriodSerializer(serializers.ModelSerializer):
    class Meta:
        model = SuspensionPeriod
        fields = ["id", "points", "months"]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                "id": ID,
                "points": "A year's total of points (年度累计分值).",
                "months": "Months of suspension from that total up (暂停月数).",
            }
        )


class PointsPolicySerializer(serializers.ModelSerializer):
    """The rules of points in force from a year on (记分规则), kept in the admin by a
    supervisor."""

    bands = PointsBandSerializer(
        many=True, read_only=True, help_text="Points per event by degree of responsibility."
    )
    suspension_periods = SuspensionPeriodSerializer(
        many=True, read_only=True, help_text="Months of suspension by the year's total."
    )

    class Meta:
        model = PointsPolicy
        fields = [
            "id",
            "from_year",
            "suspension_threshold",
            "termination_threshold",
            "block_months",
            "block_months_single_event",
            "note",
            "bands",
            "suspension_periods",
            *RECORD_FIELDS,
        ]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                "from_year": "First calendar year the rules apply to (until a later policy).",
                "suspension_threshold": "A year's points from which the qualification is "
                "suspended (暂停分值, default 9).",
                "termination_threshold": "A year's points at which it is terminated (终止分值, "
                "default 12).",
                "block_months": "Months a terminated person may not register again (default 12).",
                "block_months_single_event": "The same when one event gave all the points "
                "(default 36).",
                "note": "Legal basis of the rules (依据).",
            }
        )


__all__ = [
    "DecidePointsObjectionSerializer",
    "EndRegistrationSerializer",
    "LodgeObjectionSerializer",
    "PointsPolicySerializer",
    "PointsRecordSerializer",
    "PractitionerSerializer",
    "QualificationMeasureSerializer",
    "RecordNotificationSerializer",
    "RegisterPractitionerSerializer",
    "RegisteredPractitionerSerializer",
    "RegistrationSerializer",
    "ScorePointsSerializer",
]
