"""Publication (信息公开) in the API: typical cases (典型案例) and grade publications.

Every write goes through supervision.services: a typical case is written, edited, submitted,
approved, returned and withdrawn by services.typical_cases (its refusals are 400s per field, a
stale version 412, a reviewer without the permission 403); grades are published by
services.publication.publish_grades.
"""

from __future__ import annotations

from rest_framework import serializers

from supervision.api.fields import RelatedIdField
from supervision.api.serializers.base import RECORD_FIELDS, help_texts
from supervision.api.serializers.briefs import InspectionBriefSerializer
from supervision.choices import CATEGORY_FACILITY_KINDS, CreditCategoryCode, TypicalCaseStatus
from supervision.models import GradePublication, Inspection, TypicalCase
from supervision.models.base import NOTE_LENGTH, REASON_LENGTH
from supervision.models.rating import MAX_RATING_YEAR, MIN_RATING_YEAR

STATUS_HELP = (
    "Where the case stands: draft (草稿, edited by its writers) → submitted (待审核) → published "
    "(已发布, on the public pages) → withdrawn (已撤回); a reviewer may return a submitted case "
    "to draft with a comment."
)
PUBLIC_TEXT = (
    " Public once published: no ID number, no mobile number and no name of a person "
    "registered with the inspected facility (checked on submit and on approval)."
)
_CASE_HELP = {
    "title": "Title (标题), at most 100 characters." + PUBLIC_TEXT,
    "facts": "What happened (基本案情), at most 5,000 characters." + PUBLIC_TEXT,
    "handling": "How it was handled (处理结果), at most 5,000 characters." + PUBLIC_TEXT,
    "legal_basis": "Legal basis (法律依据), at most 2,000 characters; optional." + PUBLIC_TEXT,
    "lesson": "What it warns of (警示意义), at most 2,000 characters; optional." + PUBLIC_TEXT,
}
_REVIEW_HELP = {
    "submitted_on": "Date submitted for review (提交审核日期); null for a draft.",
    "review_comment": "The reviewer's comment (审核意见): why it was returned, or a note on "
    "approval.",
    "published_on": "Date published (发布日期); null until approved.",
    "withdrawn_on": "Date withdrawn (撤回日期); null unless withdrawn.",
    "withdraw_reason": "Why it was withdrawn (撤回原因).",
}
# All eight categories, so that the schema names one enum (CreditCategoryEnum); only the
# facility categories are published (services.publication refuses the others).
CATEGORY_CHOICES = CreditCategoryCode.choices
FACILITY_CATEGORIES = ", ".join(CATEGORY_FACILITY_KINDS)


def _username(source: str, help_text: str) -> serializers.CharField:
    return serializers.CharField(
        source=source, read_only=True, allow_null=True, help_text=help_text
    )


def _text(max_length: int, help_text: str, *, required: bool = False) -> serializers.CharField:
    if required:
        return serializers.CharField(max_length=max_length, help_text=help_text)
    return serializers.CharField(
        required=False, allow_blank=True, max_length=max_length, help_text=help_text
    )


class TypicalCaseSerializer(serializers.ModelSerializer):
    """A typical case (典型案例) written from a completed inspection."""

    inspection = InspectionBriefSerializer(
        read_only=True, help_text="The completed inspection the case is written from."
    )
    status = serializers.ChoiceField(
        choices=TypicalCaseStatus.choices, read_only=True, help_text=STATUS_HELP
    )
    created_by = _username("created_by.username", "User name of who wrote it.")
    reviewed_by = _username(
        "reviewed_by.username", "User name of who approved or last returned it."
    )

    class Meta:
        model = TypicalCase
        fields = [
            "id",
            "title",
            "inspection",
            *_CASE_HELP,
            "status",
            *_REVIEW_HELP,
            "created_by",
            "reviewed_by",
            *RECORD_FIELDS,
        ]
        read_only_fields = fields
        extra_kwargs = help_texts({**_CASE_HELP, **_REVIEW_HELP})


class WriteTypicalCaseSerializer(serializers.Serializer):
    """Input of POST /api/typical-cases/: a new draft."""

    inspection = RelatedIdField(
        queryset=Inspection.objects.all(),
        help_text="Id of a completed inspection in the user's districts.",
    )
    title = _text(100, _CASE_HELP["title"], required=True)
    facts = _text(5000, _CASE_HELP["facts"], required=True)
    handling = _text(5000, _CASE_HELP["handling"], required=True)
    legal_basis = _text(NOTE_LENGTH, _CASE_HELP["legal_basis"])
    lesson = _text(NOTE_LENGTH, _CASE_HELP["lesson"])


class EditTypicalCaseSerializer(serializers.Serializer):
    """Input of PATCH /api/typical-cases/{id}/: the fields given change (a draft only)."""

    title = serializers.CharField(required=False, max_length=100, help_text=_CASE_HELP["title"])
    facts = serializers.CharField(required=False, max_length=5000, help_text=_CASE_HELP["facts"])
    handling = serializers.CharField(
        required=False, max_length=5000, help_text=_CASE_HELP["handling"]
    )
    legal_basis = _text(NOTE_LENGTH, _CASE_HELP["legal_basis"])
    lesson = _text(NOTE_LENGTH, _CASE_HELP["lesson"])


class SubmitTypicalCaseSerializer(serializers.Serializer):
    """Input of POST /api/typical-cases/{id}/submit/: nothing."""


class ApproveTypicalCaseSerializer(serializers.Serializer):
    """Input of POST /api/typical-cases/{id}/approve/."""

    review_comment = _text(REASON_LENGTH, "A note on the approval (审核意见); optional.")


class ReturnTypicalCaseSerializer(serializers.Serializer):
    """Input of POST /api/typical-cases/{id}/return/."""

    review_comment = _text(REASON_LENGTH, "What to change (审核意见); required.", required=True)


class WithdrawTypicalCaseSerializer(serializers.Serializer):
    """Input of POST /api/typical-cases/{id}/withdraw/."""

    withdraw_reason = _text(
        REASON_LENGTH, "Why it is withdrawn (撤回原因); required.", required=True
    )


class GradePublicationSerializer(serializers.ModelSerializer):
    """The final grades of a year of a facility category, public since published_on."""

    category = serializers.ChoiceField(
        source="category_id",
        choices=CATEGORY_CHOICES,
        read_only=True,
        help_text="Credit category: medical_institution (定点医疗机构), retail_pharmacy "
        "(定点零售药店) or insurer (商业保险承办机构); the only ones published.",
    )
    published_by = _username("published_by.username", "User name of who published them.")

    class Meta:
        model = GradePublication
        fields = ["id", "year", "category", "published_on", "published_by", "note"]
        read_only_fields = fields
        extra_kwargs = help_texts(
            {
                "year": "Year of the ratings (评价年度).",
                "published_on": "Date published (公布日期).",
                "note": "A note kept with the publication (说明).",
            }
        )


class PublishGradesSerializer(serializers.Serializer):
    """Input of POST /api/grade-publications/ (services.publication.publish_grades)."""

    year = serializers.IntegerField(
        min_value=MIN_RATING_YEAR,
        max_value=MAX_RATING_YEAR,
        help_text="Year of the ratings; it must have grades in the category.",
    )
    category = serializers.ChoiceField(
        choices=CATEGORY_CHOICES,
        help_text=f"One of {FACILITY_CATEGORIES} (the others are refused); once per year.",
    )
    note = _text(NOTE_LENGTH, "A note kept with the publication; optional.")


__all__ = [
    "ApproveTypicalCaseSerializer",
    "EditTypicalCaseSerializer",
    "GradePublicationSerializer",
    "PublishGradesSerializer",
    "ReturnTypicalCaseSerializer",
    "SubmitTypicalCaseSerializer",
    "TypicalCaseSerializer",
    "WithdrawTypicalCaseSerializer",
    "WriteTypicalCaseSerializer",
]
