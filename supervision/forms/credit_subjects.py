"""Forms of the credit-subject registries: an institution of categories 4–6, an insured person.

The forms check what the user typed; the services (supervision.services.credit_subjects) check
the rest and their refusals come back onto the fields. An ID number is entered, never shown:
its field is never filled in from the record nor given back after a refused submit, so an
evaluator who may enter one does not read it back (and nobody finds one in a page's source).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from supervision.choices import INSTITUTION_CATEGORIES, CreditCategoryCode, District
from supervision.codes import validate_credit_code, validate_resident_id
from supervision.forms.fields import CHOICE_ERRORS, REQUIRED, TEXT_ERRORS, line_field, text_field
from supervision.forms.versions import VersionedFormMixin
from supervision.models import CreditInstitution, InsuredPerson
from supervision.models.base import NOTE_LENGTH
from supervision.scoping import user_districts
from supervision.services.credit_subjects import (
    INSTITUTION_FIELDS,
    PERSON_FIELDS,
    may_correct_identity,
    may_enter_identity,
)

MAX_CHANGE_REASON_LENGTH = 200
# Longer than any code, so that a code of the wrong length gets the validator's message
# ("应为18位，当前为N位") rather than a bare length limit.
CODE_INPUT_LENGTH = 40


def _max(model: type, name: str) -> int:
    return model._meta.get_field(name).max_length


def _district_field(label: str, user: AbstractBaseUser | None) -> forms.ChoiceField:
    """The districts, only the user's when the account is limited to some."""
    districts = user_districts(user)
    choices = [(v, label) for v, label in District.choices if districts is None or v in districts]
    return forms.ChoiceField(
        label=label, choices=[("", "---------"), *choices], error_messages=CHOICE_ERRORS
    )


def _reason_field() -> forms.CharField:
    return line_field(_("修改说明"), MAX_CHANGE_REASON_LENGTH, help_text=_("可选，记入变更记录。"))


class WriteOnlyInput(forms.TextInput):
    """A text input that never renders a value: what was typed is not sent back to the page."""

    def format_value(self, value: Any) -> None:
        return None


class InstitutionForm(VersionedFormMixin, forms.Form):
    """Register an institution of categories 4–6, or edit one (with the version it was made on)."""

    name = line_field(_("名称"), _max(CreditInstitution, "name"), required=True)
    category = forms.ChoiceField(
        label=_("信用主体类别"),
        choices=[("", "---------")]
        + [(c, CreditCategoryCode(c).label) for c in INSTITUTION_CATEGORIES],
        error_messages=CHOICE_ERRORS,
    )
    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=CODE_INPUT_LENGTH,
        validators=[validate_credit_code],
        error_messages=TEXT_ERRORS,
        help_text=_("18位，按GB 32100-2015校验，字母大写。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    legal_representative = line_field(
        _("法定代表人"), _max(CreditInstitution, "legal_representative")
    )
    address = line_field(_("地址"), _max(CreditInstitution, "address"))
    note = text_field(_("备注"), NOTE_LENGTH)

    def __init__(
        self,
        *args: Any,
        user: AbstractBaseUser | None = None,
        instance: CreditInstitution | None = None,
        **kwargs: Any,
    ) -> None:
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {name: getattr(instance, name) for name in INSTITUTION_FIELDS if name != "category"}
                | {"category": instance.category_id},
            )
        super().__init__(*args, **kwargs)
        self.fields["district"] = _district_field(_("所属区县"), user)
        self.order_fields(["name", "category", "credit_code", "district"])
        if instance is not None:
            self.carry_version(instance)
            self.fields["change_reason"] = _reason_field()

    def clean_credit_code(self) -> str:
        return (self.cleaned_data.get("credit_code") or "").strip().upper()

    def values(self) -> dict[str, Any]:
        """The institution's fields, for the service."""
        return {name: self.cleaned_data[name] for name in INSTITUTION_FIELDS}


class InsuredPersonForm(VersionedFormMixin, forms.Form):
    """Register an insured person with the ID number, or edit one.

    On registering, the ID number is required of whoever may enter it. On an edit, the number
    is offered only to whoever may correct it, empty, and left as stored when left empty.
    """

    name = line_field(_("姓名"), _max(InsuredPerson, "name"), required=True)
    note = text_field(_("备注"), NOTE_LENGTH)

    def __init__(
        self,
        *args: Any,
        user: AbstractBaseUser | None = None,
        instance: InsuredPerson | None = None,
        **kwargs: Any,
    ) -> None:
        if instance is not None:
            kwargs.setdefault("initial", {name: getattr(instance, name) for name in PERSON_FIELDS})
        super().__init__(*args, **kwargs)
        self.fields["district"] = _district_field(_("参保地区县"), user)
        takes_number = may_enter_identity(user) if instance is None else may_correct_identity(user)
        if takes_number:
            self.fields["id_number"] = forms.CharField(
                label=_("身份证号码"),
                required=instance is None,
                max_length=CODE_INPUT_LENGTH,
                validators=[validate_resident_id],
                error_messages={**TEXT_ERRORS, "required": REQUIRED},
                widget=WriteOnlyInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
                help_text=(
                    _("18位，含校验位。保存后列表和页面只显示脱敏号码。")
                    if instance is None
                    else _("当前：%(masked)s。留空则不修改；填写则更正为新号码。")
                    % {"masked": instance.id_masked}
                ),
            )
        self.order_fields(["name", "district", "id_number"])
        if instance is not None:
            self.carry_version(instance)
            self.fields["change_reason"] = _reason_field()

    def clean_id_number(self) -> str:
        return (self.cleaned_data.get("id_number") or "").strip().upper()

    def values(self) -> dict[str, Any]:
        """The person's fields for the service; id_number only when one was typed."""
        values = {name: self.cleaned_data[name] for name in PERSON_FIELDS}
        if self.cleaned_data.get("id_number"):
            values["id_number"] = self.cleaned_data["id_number"]
        return values
