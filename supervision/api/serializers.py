"""What the API reads and writes. Plain edits are validated by the model (fields, clean(),
constraints) before they are saved; everything that is a workflow goes through supervision.services,
as the pages and the admin do.

Related rows are written as ids and read as brief objects that the endpoint's queryset already
selects, so a list costs the same number of queries for 1 row and for 50.
"""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from supervision import services
from supervision.api.exceptions import validation_detail
from supervision.api.fields import BriefRelatedField, CodeListField, RelatedIdField
from supervision.choices import (
    Agency,
    AgreementStatus,
    Grade,
    InspectionStatus,
    ReferralStatus,
    SanctionKind,
    Violation,
)
from supervision.models import (
    CreditRating,
    Facility,
    Inspection,
    Inspector,
    RatingChange,
    Referral,
    Sanction,
)
from supervision.models.base import REASON_LENGTH
from supervision.models.inspection import check_inspectors
from supervision.services._common import save_with_history
from supervision.services.ratings import grade_problems
from supervision.services.sanctions import warning_problems

# --- descriptions shared by several serializers ---

ID = "Unique identifier of the record (read-only)."
CREATED_AT = "When the record was created (read-only)."
UPDATED_AT = "When the record was last changed (read-only)."
VERSION = (
    "Version of the record, 1 when recorded, one more on every change (read-only); the ETag "
    'header says the same as W/"<id>-<version>", to send back as If-Match when changing it.'
)
CREATED_BY = "User name of the staff member who recorded it (read-only; null for data loads)."
FACILITY_BRIEF = (
    "The facility (定点医药机构) concerned: its id when writing, a brief object when reading."
)


def _user(serializer: serializers.Serializer):
    return serializer.context["request"].user


def save_plain(instance, user, reason: str = "") -> None:
    """A plain edit: validated by the model, saved with the acting user on its history row
    (refused outside the user's districts, like every write)."""
    save_with_history(instance, user, reason)


class ModelValidatedSerializer(serializers.ModelSerializer):
    """Runs the model's own validation (field validators, clean(), constraints) on the input
    before anything is saved, so a refused edit is a 400 per field and writes nothing."""

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        model = self.Meta.model
        instance = copy.copy(self.instance) if self.instance is not None else model()
        concrete = {f.name for f in model._meta.concrete_fields}
        for name, value in attrs.items():
            if name in concrete:
                setattr(instance, name, value)
        self.before_model_validation(instance, attrs)
        try:
            instance.full_clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(validation_detail(exc)) from exc
        return attrs

    def before_model_validation(self, instance, attrs: dict) -> None:
        """Hook: checks that need the assembled instance (e.g. the many-to-many rows)."""


# --- brief objects nested in other records ---


class FacilityBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Facility
        fields = ["id", "name", "kind", "district"]
        extra_kwargs = {
            "id": {"help_text": ID},
            "name": {"help_text": "Registered name of the facility."},
            "kind": {"help_text": "Kind of facility."},
            "district": {"help_text": "County-level division of Lhasa (GB/T 2260 code)."},
        }


class InspectorBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Inspector
        fields = ["id", "name", "badge_number"]
        extra_kwargs = {
            "id": {"help_text": ID},
            "name": {"help_text": "Name of the law-enforcement officer (执法人员)."},
            "badge_number": {"help_text": "Law-enforcement certificate number (执法证号)."},
        }


class CreditRatingBriefSerializer(serializers.ModelSerializer):
    facility = FacilityBriefSerializer(read_only=True, help_text="The rated facility.")

    class Meta:
        model = CreditRating
        fields = ["id", "facility", "year", "grade"]
        extra_kwargs = {
            "id": {"help_text": ID},
            "year": {"help_text": "Calendar year the rating is for."},
            "grade": {"help_text": "Credit grade now held for that year."},
        }


class InspectionBriefSerializer(serializers.ModelSerializer):
    facility = FacilityBriefSerializer(read_only=True, help_text="The inspected facility.")

    class Meta:
        model = Inspection
        fields = ["id", "facility", "kind", "status", "start_date"]
        extra_kwargs = {
            "id": {"help_text": ID},
            "kind": {"help_text": "Kind of inspection."},
            "status": {"help_text": "Where the inspection stands."},
            "start_date": {"help_text": "First day of the inspection."},
        }


# --- facilities ---

_FACILITY_HELP = {
    "id": ID,
    "name": "Registered name of the facility or insurer, at most 200 characters.",
    "kind": "Kind of credit subject: hospital, primary-care clinic, retail pharmacy or "
    "commercial insurer.",
    "ownership": "Economic type: public (公立) or private (民营).",
    "district": "County-level division of Lhasa where the facility is registered (GB/T 2260 code).",
    "zone": "Development zone (园区) the facility lies in, if any; empty string for none.",
    "credit_code": "Unified social credit code (统一社会信用代码): 18 characters from "
    "0-9 and A-Z without I, O, S, V, Z, with a valid GB 32100-2015 check character; unique; "
    "stored upper-case.",
    "insurance_code": "Medical-insurance designation code (医保定点编码): H (medical) or "
    "P (pharmacy), a Lhasa division code and 5 digits, e.g. H54010200012; must fit the kind; "
    "empty for insurers; unique when present.",
    "address": "Address, at most 300 characters.",
    "legal_representative": "Legal representative (法定代表人), at most 100 characters.",
    "contact_phone": "Contact telephone, at most 40 characters.",
    "deposit": "Medical-insurance deposit (医保保证金) held, in CNY with 2 decimals, at least 0.",
    "designated_on": "Date the facility was designated (定点日期), if known.",
    "note": "Free-text note.",
    "created_at": CREATED_AT,
    "updated_at": UPDATED_AT,
    "version": VERSION,
}


class FacilitySerializer(ModelValidatedSerializer):
    current_grade = serializers.ChoiceField(
        choices=Grade.choices,
        read_only=True,
        allow_null=True,
        help_text="Grade of the latest rated year (read-only); null if never rated.",
    )
    current_grade_year = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The year current_grade is for (read-only); null if never rated.",
    )
    agreement_status = serializers.ChoiceField(
        choices=AgreementStatus.choices,
        read_only=True,
        help_text="Service-agreement status today, derived from the sanctions (read-only): "
        "suspended while a suspension is in force, terminated from a termination's date.",
    )

    class Meta:
        model = Facility
        fields = [
            "id",
            "name",
            "kind",
            "ownership",
            "district",
            "zone",
            "credit_code",
            "insurance_code",
            "address",
            "legal_representative",
            "contact_phone",
            "deposit",
            "designated_on",
            "note",
            "current_grade",
            "current_grade_year",
            "agreement_status",
            "created_at",
            "updated_at",
            "version",
        ]
        extra_kwargs = {name: {"help_text": text} for name, text in _FACILITY_HELP.items()}

    def create(self, validated_data: dict) -> Facility:
        facility = Facility(**validated_data)
        save_plain(facility, _user(self))
        return facility

    def update(self, instance: Facility, validated_data: dict) -> Facility:
        for name, value in validated_data.items():
            setattr(instance, name, value)
        save_plain(instance, _user(self))
        return instance


# --- ratings and their changes ---

REASON_HELP = (
    "Why the grade is set or changed (at least 3 Chinese characters or 5 letters and digits; "
    "punctuation and spaces do not count), or why "
    "the rating is edited (required, not blank). "
    "Written to the rating change record (评级调整) and the history."
)
CONFIRM_DOWNGRADE_HELP = (
    "Must be true to lower a grade of A, B or C to D (a D grade brings focused supervision "
    "and sanctions); otherwise such a change is refused with a 400 on this field."
)


def _check_grade(attrs: dict, year: int | None) -> None:
    """The grade rules every path shares (services.ratings.grade_problems) that need no stored
    rating: a year that has ended, a real reason. The service checks the rest when it saves."""
    problems = grade_problems(year=year, grade=None, reason=attrs.get("reason"))
    if problems:
        raise serializers.ValidationError({f: [m] for f, m in problems.items()})


_RATING_HELP = {
    "id": ID,
    "year": "Calendar year rated, 2018-2100, one that has ended; one rating per facility and year.",
    "grade": "Credit grade (信用等级) A-D. Every setting or change of the grade writes a rating "
    "change with the reason.",
    "score": "Evaluation score, 0-1000 with 2 decimals, within the grade's band (A >= 900, "
    "B 750-899, C 600-749, D < 600); optional (null when not scored).",
    "rated_on": "Date the rating was decided; not before the rated year.",
    "basis": "Rules or evidence the rating rests on.",
    "created_at": CREATED_AT,
    "updated_at": UPDATED_AT,
    "version": VERSION,
}


class CreditRatingSerializer(ModelValidatedSerializer):
    """Creating a rating sets its grade through services.set_grade: a rating change is written."""

    facility = BriefRelatedField(
        FacilityBriefSerializer, queryset=Facility.objects.all(), help_text=FACILITY_BRIEF
    )
    reason = serializers.CharField(write_only=True, max_length=REASON_LENGTH, help_text=REASON_HELP)
    confirm_downgrade = serializers.BooleanField(
        write_only=True, required=False, default=False, help_text=CONFIRM_DOWNGRADE_HELP
    )

    class Meta:
        model = CreditRating
        fields = [
            "id",
            "facility",
            "year",
            "grade",
            "score",
            "rated_on",
            "basis",
            "reason",
            "confirm_downgrade",
            "created_at",
            "updated_at",
            "version",
        ]
        extra_kwargs = {name: {"help_text": text} for name, text in _RATING_HELP.items()}
        validators = []  # one per facility and year: the model's constraint says it in Chinese

    def validate(self, attrs: dict) -> dict:
        if self.instance is None:
            _check_grade(attrs, attrs.get("year"))
        return super().validate(attrs)

    def create(self, validated_data: dict) -> CreditRating:
        return services.set_grade(user=_user(self), **validated_data).rating


class CreditRatingUpdateSerializer(CreditRatingSerializer):
    """Facility and year are fixed; a new grade goes through services.set_grade."""

    facility = BriefRelatedField(FacilityBriefSerializer, read_only=True, help_text=FACILITY_BRIEF)

    class Meta(CreditRatingSerializer.Meta):
        read_only_fields = ["year"]

    def validate(self, attrs: dict) -> dict:
        if "reason" not in attrs:  # a PATCH too: every edit of a rating says why
            raise serializers.ValidationError({"reason": [_("请填写调整原因。")]})
        return super().validate(attrs)

    def update(self, instance: CreditRating, validated_data: dict) -> CreditRating:
        user, reason = _user(self), validated_data.pop("reason").strip()
        grade = validated_data.pop("grade", instance.grade)
        confirm_downgrade = validated_data.pop("confirm_downgrade", False)
        if grade != instance.grade:
            return services.set_grade(
                facility=instance.facility,
                year=instance.year,
                grade=grade,
                reason=reason,
                user=user,
                confirm_downgrade=confirm_downgrade,
                # The version of the If-Match (the view put it on the instance).
                expected_version=instance.version,
                **validated_data,  # score, rated_on, basis as sent; left out, they stay
            ).rating
        # Score, date or basis only: no grade change to record; the reason goes to history.
        for name, value in validated_data.items():
            setattr(instance, name, value)
        save_plain(instance, user, reason)
        return instance


class RatingChangeSerializer(serializers.ModelSerializer):
    rating = CreditRatingBriefSerializer(read_only=True, help_text="The rating changed.")
    changed_by = serializers.CharField(
        source="changed_by.username",
        read_only=True,
        allow_null=True,
        help_text="User name of who set the grade (null for data loads).",
    )

    class Meta:
        model = RatingChange
        fields = ["id", "rating", "from_grade", "to_grade", "reason", "changed_by", "changed_at"]
        extra_kwargs = {
            "id": {"help_text": ID},
            "from_grade": {
                "help_text": "Grade before the change; empty string when it was set "
                "for the first time."
            },
            "to_grade": {"help_text": "Grade after the change."},
            "reason": {"help_text": "Why the grade was set or changed."},
            "changed_at": {"help_text": "When the grade was set or changed."},
        }


class GradeSerializer(serializers.ModelSerializer):
    """Input of POST /api/facilities/{id}/grade/."""

    reason = serializers.CharField(max_length=REASON_LENGTH, help_text=REASON_HELP)
    confirm_downgrade = serializers.BooleanField(
        required=False, default=False, help_text=CONFIRM_DOWNGRADE_HELP
    )

    class Meta:
        model = CreditRating
        fields = ["year", "grade", "score", "rated_on", "basis", "reason", "confirm_downgrade"]
        extra_kwargs = {
            **{name: {"help_text": text} for name, text in _RATING_HELP.items()},
            "year": {
                "help_text": "Calendar year rated, 2018-2100, one that has ended (a year is rated "
                "after it ends; a change during a year adjusts the latest rated year). The "
                "facility's rating of that year is created or its grade changed."
            },
            "score": {
                "help_text": "Evaluation score, 0-1000, within the grade's band (A >= 900, "
                "B 750-899, C 600-749, D < 600); null clears it. Omitted, it stays as it is, "
                "and the change is refused when the stored score does not fit the new grade."
            },
            "rated_on": {
                "help_text": "Date the rating was decided; left as it is when omitted or null."
            },
            "basis": {
                "help_text": "Rules or evidence the rating rests on; left as it is when omitted."
            },
        }

    def validate(self, attrs: dict) -> dict:
        _check_grade(attrs, attrs.get("year"))
        return attrs


# --- inspections ---

_INSPECTION_HELP = {
    "id": ID,
    "kind": "Kind of inspection (检查类型). All but self-inspection are on-site and need at least "
    "2 inspectors (Decree 735, Art. 29).",
    "status": "Where the inspection stands. A recorded inspection is completed with POST "
    "/api/inspections/{id}/complete/, not by editing its status; a past one may be recorded "
    "as completed, with its end date.",
    "start_date": "First day of the inspection.",
    "end_date": "Last day of the inspection; not before start_date; set when it is completed.",
    "findings": "What the inspectors found.",
    "amount_involved": "Fund money involved (涉及金额), CNY with 2 decimals, at least 0.",
    "amount_recovered": "Fund money recovered (追回金额), CNY with 2 decimals, at least 0 and at "
    "most amount_involved.",
    "created_at": CREATED_AT,
    "updated_at": UPDATED_AT,
    "version": VERSION,
}


class InspectionSerializer(ModelValidatedSerializer):
    """Creating an inspection goes through services.record_inspection."""

    facility = BriefRelatedField(
        FacilityBriefSerializer, queryset=Facility.objects.all(), help_text=FACILITY_BRIEF
    )
    inspectors = BriefRelatedField(
        InspectorBriefSerializer,
        queryset=Inspector.objects.all(),
        many=True,
        required=False,
        help_text="The inspectors (检查人员): ids when writing, brief objects when reading. At "
        "least 2 different ones for an on-site inspection.",
    )
    partner_agencies = CodeListField(
        child=serializers.ChoiceField(choices=Agency.choices),
        required=False,
        max_length=len(Agency),
        help_text="Agencies that took part (协作部门), e.g. police for a joint inspection.",
    )
    violations = CodeListField(
        child=serializers.ChoiceField(choices=Violation.choices),
        required=False,
        max_length=len(Violation),
        help_text="Categories of violation found (违规类型).",
    )
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True, help_text=CREATED_BY
    )

    class Meta:
        model = Inspection
        fields = [
            "id",
            "facility",
            "kind",
            "status",
            "start_date",
            "end_date",
            "inspectors",
            "partner_agencies",
            "violations",
            "findings",
            "amount_involved",
            "amount_recovered",
            "created_by",
            "created_at",
            "updated_at",
            "version",
        ]
        extra_kwargs = {name: {"help_text": text} for name, text in _INSPECTION_HELP.items()}

    def validate_status(self, value: str) -> str:
        # A past inspection may be recorded as completed; one on file is completed by the action.
        editing = self.instance is not None and self.instance.status != InspectionStatus.COMPLETED
        if editing and value == InspectionStatus.COMPLETED:
            raise serializers.ValidationError(
                _("请通过“完成检查”操作（POST /api/inspections/{id}/complete/）完成检查。")
            )
        return value

    def before_model_validation(self, instance: Inspection, attrs: dict) -> None:
        if "inspectors" in attrs:
            inspectors = attrs["inspectors"]
        elif self.instance is not None:
            inspectors = list(self.instance.inspectors.all())
        else:
            inspectors = []
        try:
            check_inspectors(instance.kind, len(set(inspectors)))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(validation_detail(exc)) from exc

    def create(self, validated_data: dict) -> Inspection:
        validated_data.setdefault("inspectors", [])
        return services.record_inspection(user=_user(self), **validated_data)

    @transaction.atomic
    def update(self, instance: Inspection, validated_data: dict) -> Inspection:
        related = {
            name: validated_data.pop(name)
            for name in ("inspectors", "partner_agencies", "violations")
            if name in validated_data
        }
        for name, value in validated_data.items():
            setattr(instance, name, value)
        save_plain(instance, _user(self))
        for name, value in related.items():
            getattr(instance, name).set(value)
        return instance


class CompleteSerializer(serializers.Serializer):
    """Input of POST /api/inspections/{id}/complete/."""

    end_date = serializers.DateField(
        help_text="Last day of the inspection; not before its start date."
    )
    findings = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=Inspection._meta.get_field("findings").max_length,
        help_text="What the inspectors found; replaces the findings when given, else they stay.",
    )


# --- referrals ---

_REFERRAL_HELP = {
    "id": ID,
    "agency": "Agency the case is referred to (移送部门); each inspection goes to an agency once.",
    "status": "referred (已移送) → accepted (已立案) or declined (不予立案) → closed "
    "(已结案); moved with POST /api/referrals/{id}/move/ (read-only here).",
    "referred_on": "Date of the referral; not before the inspection began.",
    "summary": "Summary of the case (案情摘要); required.",
    "case_number": "The agency's case number (立案编号), at most 60 characters; given on "
    "acceptance.",
    "decided_on": "Date the agency accepted or declined the case (read-only here).",
    "closed_on": "Date the case was closed (read-only here).",
    "outcome": "What became of the case (处理结果).",
    "created_at": CREATED_AT,
    "updated_at": UPDATED_AT,
    "version": VERSION,
}
_REFERRAL_FIELDS = [
    "id",
    "inspection",
    "agency",
    "status",
    "referred_on",
    "summary",
    "case_number",
    "decided_on",
    "closed_on",
    "outcome",
    "created_by",
    "created_at",
    "updated_at",
    "version",
]


class ReferralSerializer(ModelValidatedSerializer):
    """Creating a referral goes through services.refer_inspection."""

    inspection = BriefRelatedField(
        InspectionBriefSerializer,
        queryset=Inspection.objects.all(),
        help_text="The inspection whose findings are referred: its id when writing, a brief "
        "object when reading. A planned inspection cannot be referred.",
    )
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True, help_text=CREATED_BY
    )

    class Meta:
        model = Referral
        fields = _REFERRAL_FIELDS
        read_only_fields = ["status", "case_number", "decided_on", "closed_on", "outcome"]
        extra_kwargs = {name: {"help_text": text} for name, text in _REFERRAL_HELP.items()}
        validators = []  # once per agency: refer_inspection says so on the agency field

    def create(self, validated_data: dict) -> Referral:
        inspection = validated_data.pop("inspection")
        return services.refer_inspection(inspection, user=_user(self), **validated_data)


class ReferralUpdateSerializer(ReferralSerializer):
    """Summary, case number and outcome can be corrected; the rest follows the workflow."""

    inspection = BriefRelatedField(
        InspectionBriefSerializer, read_only=True, help_text="The inspection referred."
    )

    class Meta(ReferralSerializer.Meta):
        read_only_fields = ["agency", "status", "referred_on", "decided_on", "closed_on"]

    def update(self, instance: Referral, validated_data: dict) -> Referral:
        for name, value in validated_data.items():
            setattr(instance, name, value)
        save_plain(instance, _user(self), str(_("更正")))
        return instance


class ReferSerializer(serializers.ModelSerializer):
    """Input of POST /api/inspections/{id}/refer/."""

    class Meta:
        model = Referral
        fields = ["agency", "referred_on", "summary"]
        extra_kwargs = {name: {"help_text": _REFERRAL_HELP[name]} for name in fields}


class MoveSerializer(serializers.Serializer):
    """Input of POST /api/referrals/{id}/move/."""

    status = serializers.ChoiceField(
        choices=[
            (s.value, s.label)
            for s in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.CLOSED)
        ],
        help_text="Status to move to: accepted or declined from referred, closed from "
        "either of those.",
    )
    decided_on = serializers.DateField(
        required=False,
        help_text="Date of the agency's decision; required for accepted and declined; not "
        "before the referral.",
    )
    closed_on = serializers.DateField(
        required=False,
        help_text="Date the case was closed; required for closed; not before the decision.",
    )
    case_number = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=60,
        help_text="The agency's case number; required for accepted.",
    )
    outcome = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=Referral._meta.get_field("outcome").max_length,
        help_text="What became of the case; required for closed.",
    )

    def validate(self, attrs: dict) -> dict:
        date_field = "closed_on" if attrs["status"] == ReferralStatus.CLOSED else "decided_on"
        if attrs.get(date_field) is None:
            raise serializers.ValidationError({date_field: [_("请填写日期。")]})
        return attrs


# --- sanctions ---

_SANCTION_HELP = {
    "id": ID,
    "kind": "Kind of measure (处理措施). Each kind takes its own fields: suspension starts_on + "
    "ends_on (at most 12 months, no overlap); termination starts_on (effective date); "
    "deposit_recovery deposit_percent (the amount follows from the deposit); fine and "
    "fund_recovery amount; warning note; commendation rating (an A grade, once).",
    "decided_on": "Date of the decision (决定日期); for suspension and termination not after "
    "starts_on.",
    "decision_number": "Number of the decision document (文书编号), at most 60 characters.",
    "legal_basis": "Legal basis cited (法律依据).",
    "starts_on": "Suspension: first day; termination: effective date. Empty for other kinds.",
    "ends_on": "Suspension: last day, included. Empty for other kinds.",
    "deposit_percent": "Deposit recovery: percent of the deposit recovered, over 0 and at most "
    "100, 2 decimals. Empty for other kinds.",
    "amount": "Fine or fund recovery: the amount in CNY, over 0. Deposit recovery: the amount "
    "recovered, computed from the deposit (read-only for it). Empty for other kinds.",
    "note": "Free-text note; for a warning, what the facility was told (required).",
    "created_at": CREATED_AT,
    "updated_at": UPDATED_AT,
    "version": VERSION,
}
_SANCTION_FIELDS = [
    "id",
    "facility",
    "kind",
    "decided_on",
    "decision_number",
    "legal_basis",
    "starts_on",
    "ends_on",
    "deposit_percent",
    "amount",
    "inspection",
    "rating",
    "note",
    "created_by",
    "created_at",
    "updated_at",
    "version",
]
_OPTIONAL = {"decision_number", "legal_basis", "inspection", "note"}
# What each kind takes beyond facility, kind and decided_on: required, then optional.
KIND_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    SanctionKind.SUSPENSION: ({"starts_on", "ends_on"}, _OPTIONAL | {"rating"}),
    SanctionKind.TERMINATION: ({"starts_on"}, _OPTIONAL),
    SanctionKind.DEPOSIT_RECOVERY: ({"deposit_percent"}, _OPTIONAL | {"rating"}),
    SanctionKind.FINE: ({"amount"}, _OPTIONAL),
    SanctionKind.FUND_RECOVERY: ({"amount"}, _OPTIONAL),
    SanctionKind.WARNING: ({"note"}, _OPTIONAL - {"note"}),
    SanctionKind.COMMENDATION: ({"rating"}, {"decision_number", "note"}),
}
_KIND_SPECIFIC = {"starts_on", "ends_on", "deposit_percent", "amount", "inspection", "rating"}
_KIND_SPECIFIC |= {"decision_number", "legal_basis", "note"}


def _related_id(model: type, help_text: str, read_only: bool = False) -> RelatedIdField:
    if read_only:
        return RelatedIdField(read_only=True, help_text=help_text)
    return RelatedIdField(
        queryset=model.objects.all(), required=False, allow_null=True, help_text=help_text
    )


def _inspection_field(read_only: bool = False) -> RelatedIdField:
    return _related_id(
        Inspection,
        "Id of the inspection of this facility the measure rests on, if any.",
        read_only,
    )


def _rating_field(read_only: bool = False) -> RelatedIdField:
    return _related_id(
        CreditRating,
        "Id of this facility's credit rating the measure rests on: required for a "
        "commendation (an A grade), allowed for a suspension or deposit recovery decided on "
        "the grade.",
        read_only,
    )


class SanctionSerializer(serializers.ModelSerializer):
    """Creating a measure goes through the service of its kind (suspend_agreement, …)."""

    facility = BriefRelatedField(
        FacilityBriefSerializer, queryset=Facility.objects.all(), help_text=FACILITY_BRIEF
    )
    inspection = _inspection_field()
    rating = _rating_field()
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True, help_text=CREATED_BY
    )

    class Meta:
        model = Sanction
        fields = _SANCTION_FIELDS
        extra_kwargs = {name: {"help_text": text} for name, text in _SANCTION_HELP.items()}
        validators = []

    def validate(self, attrs: dict) -> dict:
        kind = attrs["kind"]
        required, optional = KIND_FIELDS[kind]
        errors: dict[str, list[str]] = {}
        label = SanctionKind(kind).label
        for name in sorted(_KIND_SPECIFIC):
            given = attrs.get(name) not in (None, "")
            if name in required and not given:
                errors[name] = [_("%(kind)s必须填写此项。") % {"kind": label}]
            elif given and name not in required | optional:
                errors[name] = [_("%(kind)s不填写此项。") % {"kind": label}]
        for name in ("inspection", "rating"):
            related = attrs.get(name)
            if related is not None and related.facility_id != attrs["facility"].pk:
                errors.setdefault(name, []).append(_("所选记录不属于该机构。"))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def create(self, validated_data: dict) -> Sanction:
        data = {k: v for k, v in validated_data.items() if v not in (None, "")}
        facility, kind = data.pop("facility"), data.pop("kind")
        user = _user(self)
        if kind == SanctionKind.SUSPENSION:
            return services.suspend_agreement(facility, user=user, **data)
        if kind == SanctionKind.TERMINATION:
            return services.terminate_agreement(
                facility, user=user, effective_on=data.pop("starts_on"), **data
            )
        if kind == SanctionKind.DEPOSIT_RECOVERY:
            return services.recover_deposit(
                facility, user=user, percent=data.pop("deposit_percent"), **data
            )
        if kind in (SanctionKind.FINE, SanctionKind.FUND_RECOVERY):
            return services.record_payment(facility, kind=kind, user=user, **data)
        if kind == SanctionKind.WARNING:
            return services.warn(facility, user=user, **data)
        rating = data.pop("rating")
        return services.commend(facility, year=rating.year, user=user, **data)


class SanctionUpdateSerializer(ModelValidatedSerializer):
    """What was decided, against whom and for how long stays; the decision number, legal basis,
    note and inspection can be corrected. Other corrections are an administrator's."""

    facility = BriefRelatedField(FacilityBriefSerializer, read_only=True, help_text=FACILITY_BRIEF)
    inspection = _inspection_field()
    rating = _rating_field(read_only=True)
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True, help_text=CREATED_BY
    )

    class Meta:
        model = Sanction
        fields = _SANCTION_FIELDS
        read_only_fields = [
            "kind",
            "decided_on",
            "starts_on",
            "ends_on",
            "deposit_percent",
            "amount",
        ]
        extra_kwargs = {name: {"help_text": text} for name, text in _SANCTION_HELP.items()}

    def validate(self, attrs: dict) -> dict:
        if self.instance.kind == SanctionKind.WARNING and "note" in attrs:
            problems = warning_problems(note=attrs["note"])
            if problems:
                raise serializers.ValidationError(problems)
        return super().validate(attrs)

    def update(self, instance: Sanction, validated_data: dict) -> Sanction:
        for name, value in validated_data.items():
            setattr(instance, name, value)
        save_plain(instance, _user(self), str(_("更正")))
        return instance


class SuspendSerializer(serializers.ModelSerializer):
    """Input of POST /api/facilities/{id}/suspend/."""

    inspection = _inspection_field()
    rating = _rating_field()

    class Meta:
        model = Sanction
        fields = [
            "starts_on",
            "ends_on",
            "decided_on",
            "decision_number",
            "legal_basis",
            "inspection",
            "rating",
            "note",
        ]
        extra_kwargs = {
            **{name: {"help_text": _SANCTION_HELP[name]} for name in fields[:-3]},
            "note": {"help_text": _SANCTION_HELP["note"]},
            "starts_on": {
                "required": True,
                "allow_null": False,
                "help_text": "First day of the suspension; not before decided_on.",
            },
            "ends_on": {
                "required": True,
                "allow_null": False,
                "help_text": "Last day of the suspension, included; at most 12 months after "
                "starts_on; no overlap with another suspension of the facility.",
            },
        }


class RecoverDepositSerializer(serializers.ModelSerializer):
    """Input of POST /api/facilities/{id}/recover-deposit/."""

    inspection = _inspection_field()
    rating = _rating_field()

    class Meta:
        model = Sanction
        fields = [
            "deposit_percent",
            "decided_on",
            "decision_number",
            "legal_basis",
            "inspection",
            "rating",
            "note",
        ]
        extra_kwargs = {
            **{name: {"help_text": _SANCTION_HELP[name]} for name in fields[1:-3]},
            "note": {"help_text": _SANCTION_HELP["note"]},
            "deposit_percent": {
                "required": True,
                "allow_null": False,
                "help_text": "Percent of the facility's deposit recovered, over 0 and at most "
                "100, 2 decimals; the amount follows from the deposit.",
            },
        }
