"""Tips (举报线索), their rewards and the published hotlines.

Tips are registered and edited through services.tips, and every step of their workflow is an
action of its own. The reporter is a nested object that only a user with view_tipreporter reads:
everyone else gets every field as MASK and `withheld: true` — the same answer whether the tip has
a reporter or not, so not even an empty field tells anything.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from supervision import services
from supervision.api.fields import BriefRelatedField, CodeListField, RelatedIdField
from supervision.api.serializers.base import (
    FACILITY_BRIEF,
    ID,
    RECORD_FIELDS,
    ModelValidatedSerializer,
    acting_user,
    created_by_field,
    help_texts,
)
from supervision.api.serializers.briefs import (
    FacilityBriefSerializer,
    InspectionBriefSerializer,
    InspectorBriefSerializer,
)
from supervision.choices import (
    InspectionKind,
    PaymentMethod,
    ReplyMethod,
    TipConclusion,
    Violation,
)
from supervision.models import Facility, Hotline, Inspection, Inspector, Tip, TipReward
from supervision.models.base import NOTE_LENGTH, OUTCOME_LENGTH
from supervision.models.tip import MASK, TipExtension, TipReporter
from supervision.services.tips import ReporterDetails, may_read_reporter

PERSONAL = (
    "Personal data of the reporter (举报人信息): the stored value only for a user with the "
    "permission supervision.view_tipreporter (the tip desk, supervisors); for everyone else it "
    f'is always "{MASK}", whether or not a value is stored.'
)
_REPORTER_HELP = {
    "name": "Reporter's name (举报人姓名), at most 50 characters.",
    "phone": "Reporter's telephone (联系电话): digits, spaces, hyphens and a leading +, 6-20.",
    "id_number": "Reporter's resident ID number (身份证号码): 18 characters with a valid check "
    "character; stored upper-case.",
    "address": "Reporter's address (联系地址), at most 200 characters.",
}
_TIP_HELP = {
    "channel": "How the tip reached the bureau (举报渠道): a hotline, the portal, WeChat, a "
    "letter, a visit or a transfer from another agency.",
    "received_at": "When the tip was received; not in the future. Default: now.",
    "district": "County-level division of Lhasa the tip belongs to (GB/T 2260 code); the "
    "facility's own when a facility is named, required otherwise.",
    "subject_kind": "Whom the tip is about (被举报对象类型).",
    "subject_name": "Name of the subject as reported, when no registered facility is named "
    "(a business, a practitioner, an insured person), at most 100 characters.",
    "allegation": "What is alleged (举报内容); required, at most 2,000 characters.",
    "amount_alleged": "Fund money the reporter alleges (CNY, 2 decimals, at least 0), if any.",
    "anonymous": "Anonymous tip (匿名举报): no reporter is recorded and no reply is wanted.",
    "wants_reply": "Whether the reporter asked to be told the result (要求答复).",
    "master": "Id of the tip this duplicate was merged into (并案), or null (read-only; "
    "POST /api/tips/{id}/merge/).",
    "status": "Where the tip stands (read-only): each step is an action of its own.",
    "decided_on": "Date acceptance was decided (read-only).",
    "decision_note": "Why the tip was accepted, declined or merged (read-only).",
    "conclusion": "Result of the investigation (核查结论), empty until concluded (read-only).",
    "concluded_on": "Date the investigation was concluded (read-only).",
    "conclusion_note": "What the investigation found (read-only).",
    "verified_amount": "Fund money verified (查实金额), CNY (read-only).",
    "replied_on": "Date the reporter was told the result (read-only).",
    "reply_method": "How the reporter was told (read-only); empty before the reply.",
    "reply_note": "What the reporter was told (read-only).",
    "closed_on": "Date the tip was closed (read-only).",
    "clock": "Which statutory clock runs: acceptance (5 working days from receipt), "
    "investigation (30 working days from acceptance plus extensions) or none (read-only).",
    "due_on": "Deadline of the running clock (read-only); null when none runs or when the "
    "deadline falls in a year whose working-day calendar is not known yet.",
    "acceptance_due": "Deadline of the acceptance decision (read-only); null in an unknown year.",
    "extension_days": "Working days the investigation has been extended by (read-only).",
}
# What an edit of a tip may change (services.edit_tip); the rest follows the workflow.
TIP_EDITABLE = [
    "channel",
    "received_at",
    "district",
    "subject_kind",
    "facility",
    "subject_name",
    "allegation",
    "violations",
    "amount_alleged",
    "wants_reply",
]
_TIP_FIELDS = [
    "id",
    "docket",
    "channel",
    "received_at",
    "district",
    "subject_kind",
    "facility",
    "subject_name",
    "allegation",
    "violations",
    "amount_alleged",
    "anonymous",
    "wants_reply",
    "reporter",
    "master",
    "status",
    "decided_on",
    "decision_note",
    "inspection",
    "conclusion",
    "concluded_on",
    "conclusion_note",
    "verified_amount",
    "replied_on",
    "reply_method",
    "reply_note",
    "closed_on",
    "clock",
    "due_on",
    "acceptance_due",
    "clock_state",
    "extension_days",
    "extensions",
    "reward",
    "created_by",
    *RECORD_FIELDS,
]
_TIP_READ_ONLY = [
    "master",
    "status",
    "decided_on",
    "decision_note",
    "conclusion",
    "concluded_on",
    "conclusion_note",
    "verified_amount",
    "replied_on",
    "reply_method",
    "reply_note",
    "closed_on",
    "clock",
    "due_on",
    "acceptance_due",
    "extension_days",
]
CLOCK_STATES = ["", "running", "due_soon", "overdue", "unknown"]


def _today() -> datetime.date:
    return timezone.localdate()


def _user_of(serializer: serializers.Field):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


@extend_schema_field({"type": "string", "x-personal-data": True})
class PersonalDataField(serializers.CharField):
    """A reporter's detail: marked `x-personal-data: true` in the OpenAPI schema."""


class ReporterSerializer(serializers.Serializer):
    """Who reported a tip (举报人信息): personal data, shown only to a user with
    supervision.view_tipreporter; masked for everyone else."""

    # Read from the tip itself (source "*"): without the permission no reporter row is read.
    # Written as {"reporter": ReporterDetails}, what services.tips takes.

    name = PersonalDataField(
        required=False,
        allow_blank=True,
        max_length=TipReporter._meta.get_field("name").max_length,
        help_text=f"{_REPORTER_HELP['name']} {PERSONAL}",
    )
    phone = PersonalDataField(
        required=False,
        allow_blank=True,
        max_length=TipReporter._meta.get_field("phone").max_length,
        validators=TipReporter._meta.get_field("phone").validators,
        help_text=f"{_REPORTER_HELP['phone']} {PERSONAL}",
    )
    id_number = PersonalDataField(
        required=False,
        allow_blank=True,
        max_length=TipReporter._meta.get_field("id_number").max_length,
        validators=TipReporter._meta.get_field("id_number").validators,
        help_text=f"{_REPORTER_HELP['id_number']} {PERSONAL}",
    )
    address = PersonalDataField(
        required=False,
        allow_blank=True,
        max_length=TipReporter._meta.get_field("address").max_length,
        help_text=f"{_REPORTER_HELP['address']} {PERSONAL}",
    )
    withheld = serializers.BooleanField(
        read_only=True,
        help_text="true when the reader lacks supervision.view_tipreporter: every field above "
        f'is then "{MASK}" (举报人信息已隐藏).',
    )

    def to_internal_value(self, data: Any) -> dict:
        if isinstance(data, dict) and isinstance(data.get("id_number"), str):
            data = {**data, "id_number": data["id_number"].strip().upper()}
        values = super().to_internal_value(data)
        return {"reporter": ReporterDetails.of(values)}

    def to_representation(self, instance: Any) -> dict:
        return reporter_data(instance, _user_of(self))


def reporter_data(tip: Tip, user) -> dict[str, Any]:
    """The reporter object of tip as user may read it. Without the permission no reporter row
    is read at all (the endpoint does not select it): every field is MASK."""
    if not may_read_reporter(user):
        return {**dict.fromkeys(services.tips.REPORTER_FIELDS, MASK), "withheld": True}
    try:
        row = tip.reporter
    except TipReporter.DoesNotExist:
        row = None
    values = {name: getattr(row, name, "") or "" for name in services.tips.REPORTER_FIELDS}
    return {**values, "withheld": False}


class ReporterInputSerializer(ReporterSerializer):
    """Input of PUT /api/tips/{id}/reporter/: the reporter as a whole (empty fields clear)."""


class TipExtensionSerializer(serializers.ModelSerializer):
    granted_by = serializers.CharField(
        source="granted_by.username",
        read_only=True,
        allow_null=True,
        help_text="User name of who granted the extension.",
    )

    class Meta:
        model = TipExtension
        fields = ["id", "working_days", "reason", "granted_on", "granted_by"]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": ID},
            "working_days": {"help_text": "Working days added to the investigation, 1-30."},
            "reason": {"help_text": "Why the investigation was extended."},
            "granted_on": {"help_text": "Date the extension was granted."},
        }


class TipSerializer(ModelValidatedSerializer):
    """Registering a tip goes through services.register_tip; the reporter only from a user who
    may record it (supervision.add_tipreporter), else 403 and nothing is written."""

    facility = BriefRelatedField(
        FacilityBriefSerializer,
        queryset=Facility.objects.all(),
        required=False,
        allow_null=True,
        help_text=f"{FACILITY_BRIEF} Optional: a tip may name a business not (yet) registered "
        "(subject_name).",
    )
    violations = CodeListField(
        child=serializers.ChoiceField(choices=Violation.choices),
        required=False,
        max_length=len(Violation),
        help_text="Categories of violation alleged (违规类型).",
    )
    reporter = ReporterSerializer(
        source="*",
        required=False,
        help_text="Who reported (举报人信息) — personal data, readable only with the permission "
        f'supervision.view_tipreporter; masked ("{MASK}", withheld true) for everyone else. '
        "Written only on registration, and only by a user with supervision.add_tipreporter "
        "(403 otherwise); corrected with PUT /api/tips/{id}/reporter/. Ignored for an "
        "anonymous tip.",
    )
    inspection = BriefRelatedField(
        InspectionBriefSerializer,
        read_only=True,
        allow_null=True,
        help_text="The inspection investigating the tip, or null (read-only; set by the accept "
        "and open-inspection actions).",
    )
    conclusion = serializers.ChoiceField(
        choices=TipConclusion.choices,
        allow_blank=True,
        read_only=True,
        help_text=_TIP_HELP["conclusion"],
    )
    reply_method = serializers.ChoiceField(
        choices=ReplyMethod.choices,
        allow_blank=True,
        read_only=True,
        help_text=_TIP_HELP["reply_method"],
    )
    clock_state = serializers.SerializerMethodField(
        help_text="The running clock today (read-only): running, due_soon (at most 2 working "
        "days left), overdue, unknown (deadline in a year the calendar does not know) or empty "
        "when no clock runs."
    )
    extensions = TipExtensionSerializer(
        many=True, read_only=True, help_text="Extensions of the investigation, oldest first."
    )
    reward = serializers.SerializerMethodField(
        help_text="Id of the tip's reward (/api/tip-rewards/{id}/), or null."
    )
    created_by = created_by_field()

    class Meta:
        model = Tip
        fields = _TIP_FIELDS
        read_only_fields = _TIP_READ_ONLY
        extra_kwargs = {
            **help_texts(_TIP_HELP),
            "district": {"help_text": _TIP_HELP["district"], "required": False},
        }

    @extend_schema_field({"type": "string", "enum": CLOCK_STATES})
    def get_clock_state(self, tip: Tip) -> str:
        today, soon = _clock_days(self)
        return services.tips.clock_state(tip, today, soon)

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_reward(self, tip: Tip) -> int | None:
        try:
            return tip.reward.pk
        except TipReward.DoesNotExist:
            return None

    def validate(self, attrs: dict) -> dict:
        details = attrs.get("reporter")
        if (
            self.instance is None
            and details is not None
            and not details.is_empty()
            and not attrs.get("anonymous")
        ):
            user = acting_user(self)
            if not user.has_perm("supervision.add_tipreporter"):
                raise PermissionDenied(_("您无权登记举报人信息。"))
        return super().validate(attrs)

    def before_model_validation(self, instance: Tip, attrs: dict) -> None:
        # The district follows the facility (services.tips); the model needs it to validate.
        facility = attrs.get("facility", getattr(instance, "facility", None))
        if facility is not None:
            instance.district = facility.district
        elif not instance.district:
            raise serializers.ValidationError(
                {"district": [_("未选择被举报机构时，请选择所属区县。")]}
            )
        # The service's own checks, on their fields (the model's constraint has none).
        problems = services.tips.tip_problems(
            channel=None,
            received_at=instance.received_at,
            facility=instance.facility,
            subject_kind=None,
            subject_name=instance.subject_name,
            allegation=None,
        )
        if problems:
            raise serializers.ValidationError({f: [m] for f, m in problems.items()})

    def create(self, validated_data: dict) -> Tip:
        data = dict(validated_data)
        return services.register_tip(
            user=acting_user(self),
            channel=data.pop("channel"),
            received_at=data.pop("received_at", None) or timezone.now(),
            allegation=data.pop("allegation"),
            reporter=data.pop("reporter", None),
            **data,
        )


def _clock_days(serializer: serializers.Field) -> tuple[datetime.date, datetime.date]:
    """Today and the last due-soon day, computed once per response (the calendar: 2 queries)."""
    context = serializer.context
    if "tip_clock_days" not in context:
        today = _today()
        context["tip_clock_days"] = (today, services.tips.due_soon_limit(today))
    return context["tip_clock_days"]


class TipUpdateSerializer(TipSerializer):
    """An edit (services.edit_tip) while the tip is open: the subject, channel, dates, allegation,
    amount. The reporter is corrected with PUT /api/tips/{id}/reporter/."""

    reporter = ReporterSerializer(
        source="*",
        read_only=True,
        help_text="Who reported — personal data (see the tip); read-only here.",
    )

    class Meta(TipSerializer.Meta):
        read_only_fields = [*_TIP_READ_ONLY, "anonymous"]

    def update(self, instance: Tip, validated_data: dict) -> Tip:
        data = dict(validated_data)
        violations = data.pop("violations", None)
        return services.edit_tip(
            instance,
            user=acting_user(self),
            changes=data,
            violations=violations,
            expected_version=instance.version,
        )


# --- the actions' input ----------------------------------------------------------------------


def _date(help_text: str) -> serializers.DateField:
    return serializers.DateField(required=False, default=_today, help_text=help_text)


def _text(max_length: int, help_text: str, *, required: bool = False) -> serializers.CharField:
    return serializers.CharField(
        required=required,
        allow_blank=not required,
        default="" if not required else serializers.empty,
        max_length=max_length,
        help_text=help_text,
    )


def _inspectors() -> BriefRelatedField:
    return BriefRelatedField(
        InspectorBriefSerializer,
        queryset=Inspector.objects.filter(is_active=True),
        many=True,
        required=False,
        help_text="Ids of the inspectors of the new inspection: at least 2 for an on-site kind.",
    )


class AcceptSerializer(serializers.Serializer):
    """Input of POST /api/tips/{id}/accept/."""

    decided_on = _date(
        "Date of the decision; not before receipt, not in the future. Default today."
    )
    decision_note = _text(OUTCOME_LENGTH, "Why the tip is accepted (受理意见), optional.")
    inspection_kind = serializers.ChoiceField(
        choices=InspectionKind.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="Kind of the inspection to open in the same step (needs "
        "supervision.add_inspection); omitted or null: the tip is only accepted.",
    )
    inspectors = _inspectors()
    start_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="First day of the new inspection; default the decision date.",
    )


class DeclineSerializer(serializers.Serializer):
    """Input of POST /api/tips/{id}/decline/."""

    decided_on = _date(
        "Date of the decision; not before receipt, not in the future. Default today."
    )
    decision_note = _text(
        OUTCOME_LENGTH, "Why the tip is not accepted (不予受理理由); required.", required=True
    )


class MergeSerializer(serializers.Serializer):
    """Input of POST /api/tips/{id}/merge/."""

    master = RelatedIdField(
        queryset=Tip.objects.all(),
        help_text="Id of the tip this one duplicates (并入线索); a duplicate's own master is used.",
    )
    note = _text(OUTCOME_LENGTH, "Note on the merge, optional.")


class OpenInspectionSerializer(serializers.Serializer):
    """Input of POST /api/tips/{id}/open-inspection/."""

    inspection_kind = serializers.ChoiceField(
        choices=InspectionKind.choices,
        required=False,
        default=InspectionKind.UNANNOUNCED,
        help_text="Kind of the new inspection (default unannounced).",
    )
    inspectors = _inspectors()
    start_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="First day of the new inspection; not before acceptance. Default today.",
    )
    inspection = RelatedIdField(
        queryset=Inspection.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of an existing inspection of the same facility to link instead of "
        "opening a new one.",
    )


class ExtendSerializer(serializers.Serializer):
    """Input of POST /api/tips/{id}/extend/."""

    working_days = serializers.IntegerField(
        min_value=1, max_value=30, help_text="Working days to add, 1-30 (60 in all at most)."
    )
    reason = _text(NOTE_LENGTH, "Why the investigation needs more time; required.", required=True)
    granted_on = _date("Date the extension is granted; not before acceptance. Default today.")


class ConcludeSerializer(serializers.Serializer):
    """Input of POST /api/tips/{id}/conclude/."""

    conclusion = serializers.ChoiceField(
        choices=TipConclusion.choices, help_text="Result of the investigation (核查结论)."
    )
    concluded_on = _date("Date concluded; not before acceptance, not in the future. Default today.")
    conclusion_note = _text(OUTCOME_LENGTH, "What the investigation found (核查情况).")
    verified_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        default=None,
        help_text="Fund money verified (查实金额), CNY; ignored when not substantiated.",
    )


class ReplySerializer(serializers.Serializer):
    """Input of POST /api/tips/{id}/reply/."""

    replied_on = _date("Date of the reply; not before the conclusion. Default today.")
    reply_method = serializers.ChoiceField(
        choices=ReplyMethod.choices, help_text="How the reporter is told (答复方式)."
    )
    reply_note = _text(
        NOTE_LENGTH, "What the reporter is told (答复内容); required.", required=True
    )


class CloseSerializer(serializers.Serializer):
    """Input of POST /api/tips/{id}/close/."""

    closed_on = _date("Date closed; not before the last step. Default today.")


class ProposeRewardSerializer(serializers.Serializer):
    """Input of POST /api/tips/{id}/propose-reward/."""

    proposed_on = _date("Date proposed; not before the conclusion. Default today.")
    note = _text(NOTE_LENGTH, "Note on the proposal, optional.")


# --- rewards -------------------------------------------------------------------------------


class TipBriefSerializer(serializers.ModelSerializer):
    subject = serializers.CharField(
        read_only=True, help_text="Whom the tip is about: the facility's name, else as reported."
    )

    class Meta:
        model = Tip
        fields = ["id", "channel", "status", "district", "subject"]
        extra_kwargs = {
            "id": {"help_text": ID},
            "channel": {"help_text": "How the tip reached the bureau."},
            "status": {"help_text": "Where the tip stands."},
            "district": {"help_text": "County-level division of the tip."},
        }


def _username(source: str, text: str) -> serializers.CharField:
    return serializers.CharField(source=source, read_only=True, allow_null=True, help_text=text)


class TipRewardSerializer(serializers.ModelSerializer):
    """A reward (举报奖励): never the reporter's details, whoever reads it."""

    tip = TipBriefSerializer(read_only=True, help_text="The rewarded tip.")
    method = serializers.ChoiceField(
        choices=PaymentMethod.choices,
        allow_blank=True,
        read_only=True,
        help_text="How it was paid; empty until paid.",
    )
    proposed_by = _username("proposed_by.username", "User name of who proposed it.")
    decided_by = _username("decided_by.username", "User name of who approved or refused it.")

    class Meta:
        model = TipReward
        fields = [
            "id",
            "tip",
            "status",
            "verified_amount",
            "share",
            "amount",
            "proposed_on",
            "proposed_by",
            "decided_on",
            "decided_by",
            "claim_by",
            "paid_on",
            "method",
            "reference",
            "note",
            *RECORD_FIELDS,
        ]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                "status": "proposed → approved (by someone other than the proposer) or refused; "
                "approved → paid, or expired when not claimed by claim_by.",
                "verified_amount": "Fund money verified on the tip when proposed, CNY.",
                "share": "Share of the verified money rewarded, e.g. 0.0200 for 2%.",
                "amount": "The reward, CNY: the share of the verified money, at least 200 and "
                "at most 200,000.",
                "proposed_on": "Date proposed.",
                "decided_on": "Date approved or refused; null while proposed.",
                "claim_by": "Last day the reporter may claim an approved reward.",
                "paid_on": "Date paid; null until paid.",
                "method": "How it was paid; empty until paid.",
                "reference": "Payment reference (发放凭证号); empty until paid.",
                "note": "Notes on the proposal or the decision.",
            }
        )


class DecideRewardSerializer(serializers.Serializer):
    """Input of POST /api/tip-rewards/{id}/decide/."""

    approve = serializers.BooleanField(help_text="true approves the reward, false refuses it.")
    decided_on = _date("Date of the decision; not before the proposal. Default today.")
    note = _text(NOTE_LENGTH, "Why; required when refusing.")


class PayRewardSerializer(serializers.Serializer):
    """Input of POST /api/tip-rewards/{id}/pay/."""

    paid_on = _date("Date paid; not before approval, not after claim_by. Default today.")
    method = serializers.ChoiceField(
        choices=PaymentMethod.choices, help_text="How it was paid (发放方式)."
    )
    reference = _text(
        TipReward._meta.get_field("reference").max_length,
        "Payment reference (发放凭证号); required.",
        required=True,
    )


class HotlineSerializer(serializers.ModelSerializer):
    class Meta:
        model = Hotline
        fields = ["channel", "name", "contact"]
        read_only_fields = fields
        extra_kwargs = {
            "channel": {"help_text": "The channel (a hotline level, the portal or WeChat)."},
            "name": {"help_text": "Name shown to the public."},
            "contact": {"help_text": "The number, web address or account name."},
        }


__all__ = [
    "AcceptSerializer",
    "CloseSerializer",
    "ConcludeSerializer",
    "DecideRewardSerializer",
    "DeclineSerializer",
    "ExtendSerializer",
    "HotlineSerializer",
    "MergeSerializer",
    "OpenInspectionSerializer",
    "PayRewardSerializer",
    "ProposeRewardSerializer",
    "ReplySerializer",
    "ReporterInputSerializer",
    "ReporterSerializer",
    "TipRewardSerializer",
    "TipSerializer",
    "TipUpdateSerializer",
]
