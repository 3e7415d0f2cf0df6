"""Credit ratings and their changes; a grade is set or changed through services.set_grade."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from supervision import services
from supervision.api.fields import BriefRelatedField
from supervision.api.serializers.base import (
    FACILITY_BRIEF,
    ID,
    RECORD_FIELDS,
    ModelValidatedSerializer,
    acting_user,
    help_texts,
    save_changes,
)
from supervision.api.serializers.briefs import CreditRatingBriefSerializer, FacilityBriefSerializer
from supervision.models import CreditRating, Facility, RatingChange
from supervision.models.base import REASON_LENGTH
from supervision.services.ratings import grade_problems

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
    "year": "Calendar year rated, 2018-2100, one that has ended; one rating per facility and year.",
    "grade": "Credit grade (信用等级) A-D. Every setting or change of the grade writes a rating "
    "change with the reason.",
    "score": "Evaluation score, 0-1000 with 2 decimals, within the grade's band (A >= 900, "
    "B 750-899, C 600-749, D < 600); optional (null when not scored).",
    "rated_on": "Date the rating was decided; not before the rated year.",
    "basis": "Rules or evidence the rating rests on.",
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
            *RECORD_FIELDS,
        ]
        extra_kwargs = help_texts(_RATING_HELP)
        validators = []  # one per facility and year: the model's constraint says it in Chinese

    def validate(self, attrs: dict) -> dict:
        if self.instance is None:
            _check_grade(attrs, attrs.get("year"))
        return super().validate(attrs)

    def create(self, validated_data: dict) -> CreditRating:
        return services.set_grade(user=acting_user(self), **validated_data).rating


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
        user, reason = acting_user(self), validated_data.pop("reason").strip()
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
        return save_changes(instance, validated_data, user, reason)


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
            **help_texts(_RATING_HELP),
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
