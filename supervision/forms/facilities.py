"""Facility registry forms: create/edit a facility, change a grade (through services.set_grade)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supervision.choices import Grade, Zone
from supervision.forms.versions import VersionedFormMixin
from supervision.models import CreditRating, Facility, RatingChange
from supervision.models.rating import MAX_RATING_YEAR, MAX_SCORE, MIN_RATING_YEAR
from supervision.scoping import user_districts
from supervision.services.ratings import default_rating_year, grade_problems

# The limits of the model fields (held by the database too), for the widgets and help texts.
MAX_NOTE_LENGTH = Facility._meta.get_field("note").max_length
MAX_REASON_LENGTH = RatingChange._meta.get_field("reason").max_length
MAX_CHANGE_REASON_LENGTH = 200
# Who a facility is, first on its form and in the API.
FACILITY_IDENTITY = [
    "name",
    "kind",
    "ownership",
    "district",
    "zone",
    "credit_code",
    "insurance_code",
]


class FacilityForm(VersionedFormMixin, forms.ModelForm):
    """The registry entry; the model's clean() and constraints give the Chinese messages. An edit
    carries the version it was made on (forms.versions)."""

    change_reason = forms.CharField(
        label=_("修改说明"),
        required=False,
        max_length=MAX_CHANGE_REASON_LENGTH,
        help_text=_("可选，记入变更记录。"),
    )

    class Meta:
        model = Facility
        fields = [
            *FACILITY_IDENTITY,
            "legal_representative",
            "contact_phone",
            "address",
            "deposit",
            "designated_on",
            "note",
        ]
        widgets = {
            "designated_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "deposit": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "note": forms.Textarea(attrs={"rows": 4, "maxlength": MAX_NOTE_LENGTH}),
            "credit_code": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            "insurance_code": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        }

    def __init__(self, *args, user: AbstractBaseUser | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        districts = user_districts(user)
        if districts is not None:
            # An account limited to some districts registers facilities in those only.
            field = self.fields["district"]
            field.choices = [(v, label) for v, label in field.choices if not v or v in districts]
        self.fields["zone"].choices = [("", _("（不在园区）")), *Zone.choices]
        if self.instance.pk is None:
            # A change reason explains an edit; a new entry needs none.
            del self.fields["change_reason"]

    def clean_credit_code(self) -> str:
        return (self.cleaned_data.get("credit_code") or "").strip().upper()

    def clean_insurance_code(self) -> str:
        return (self.cleaned_data.get("insurance_code") or "").strip().upper()

    def save(self, commit: bool = True) -> Facility:
        reason = self.cleaned_data.get("change_reason", "")
        if reason:
            # simple_history reads it when it writes the history row of this save.
            self.instance._change_reason = reason
        return super().save(commit=commit)


SEEN = re.compile(r"seen:(\d{4}=\d{1,9}(,\d{4}=\d{1,9}){0,49})?")


def default_grade_year() -> int:
    """The latest rated year (a grade change during a year adjusts it), never one that has not
    ended; last year when nothing has been rated yet."""
    last = timezone.localdate().year - 1
    year = default_rating_year()
    return min(year, last) if year else last


class GradeForm(forms.Form):
    """Set or change a facility's grade for a year; the reason is required and kept.

    The rules are services.ratings.grade_problems, checked here so that every problem shows on
    its field at once, and again by the service when it saves.
    """

    year = forms.IntegerField(
        label=_("评价年度"),
        min_value=MIN_RATING_YEAR,
        max_value=MAX_RATING_YEAR,
        help_text=_("只能评价已结束的年度；年内调整等级时，选择最近已评价的年度。"),
    )
    grade = forms.ChoiceField(label=_("信用等级"), choices=Grade.choices, widget=forms.RadioSelect)
    score = forms.DecimalField(
        label=_("得分"),
        required=False,
        min_value=0,
        max_value=MAX_SCORE,
        max_digits=6,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0", "max": "1000"}),
        help_text=_(
            "可选，满分1000分，须在所选等级的分数段内：A级900分及以上，B级750–899分，"
            "C级600–749分，D级不足600分。不填则不记得分（原得分随等级调整清空）。"
        ),
    )
    reason = forms.CharField(
        label=_("调整原因"),
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "必填，写明依据和事实（至少3个汉字或5个字母、数字）；记入评级调整记录，审核时可见。"
        ),
    )
    confirm_downgrade = forms.BooleanField(
        label=_("确认降为D级"),
        required=False,
        help_text=_("由A、B、C级降为D级时必须勾选：D级机构将受重点监管并依法处理。"),
    )
    # The versions of the facility's ratings as the form was shown ("seen:2024=3,2023=1";
    # "seen:" when it had none): a grade changed or first set by someone else meanwhile is then
    # refused with who changed what, instead of being silently built upon.
    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, ratings: Iterable[CreditRating] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The facility's ratings as shown: the chosen year's is the one a grade changes.
        self.ratings = {rating.year: rating for rating in ratings}

    def clean(self) -> dict:
        cleaned = super().clean()
        problems = grade_problems(
            year=cleaned.get("year"),
            grade=cleaned.get("grade"),
            reason=cleaned.get("reason"),
            current=self.ratings.get(cleaned.get("year")),
            score=cleaned.get("score"),
            confirm_downgrade=bool(cleaned.get("confirm_downgrade")),
        )
        for field, message in problems.items():
            if field not in self.errors:  # e.g. no reason: the field says so already
                self.add_error(field if field in self.fields else None, message)
        return cleaned

    def clean_seen(self) -> dict[int, int] | None:
        raw = self.cleaned_data.get("seen") or ""
        if not raw:
            return None  # a client that does not say what it saw: nothing is checked
        if not SEEN.fullmatch(raw):
            raise forms.ValidationError(_("页面数据有误，请刷新页面后重试。"))
        pairs = [item.split("=") for item in raw.removeprefix("seen:").split(",") if item]
        return {int(year): int(version) for year, version in pairs}

    def expected_version(self) -> int | None:
        """The version of the chosen year's rating the user saw: 0 when there was none,
        None when the form did not say."""
        seen = self.cleaned_data.get("seen")
        if seen is None:
            return None
        return seen.get(self.cleaned_data["year"], 0)


def seen_versions(ratings: Iterable[CreditRating]) -> str:
    """The value of GradeForm's `seen` field for the ratings shown."""
    return "seen:" + ",".join(f"{r.year}={r.version}" for r in ratings)
