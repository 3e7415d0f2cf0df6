"""What the case forms share: the field factories and their messages, showing a check's
problems on a form, and the facility chosen by typing (FacilityField)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from supervision.codes import CREDIT_CODE_LENGTH, INSURANCE_CODE_LENGTH
from supervision.formats.punctuation import bracketed, listed
from supervision.models import Facility
from supervision.scoping import scoped_queryset
from supervision.search import search_terms, terms_query

MAX_FACILITY_LOOKUP_LENGTH = 200

REQUIRED = _("请填写此项。")
TEXT_ERRORS = {
    "required": REQUIRED,
    "max_length": _("最多%(limit_value)d个字符（当前%(show_value)d个）。"),
    "null_characters_not_allowed": _("不能包含空字符。"),
}
DATE_ERRORS = {
    "required": REQUIRED,
    "invalid": _("请输入有效日期，格式为YYYY-MM-DD，例如2025-03-10。"),
}
MONEY_ERRORS = {
    "required": REQUIRED,
    "invalid": _("请输入金额数字（元），例如1234.56。"),
    "min_value": _("金额不能为负数。"),
    "max_digits": _("金额过大：最多%(max)s位数字。"),
    "max_whole_digits": _("金额过大：整数部分最多%(max)s位。"),
    "max_decimal_places": _("金额最多两位小数。"),
}
CHOICE_ERRORS = {"required": _("请选择此项。"), "invalid_choice": _("所选项无效。")}
MULTI_ERRORS = {
    "required": _("请至少选择一项。"),
    "invalid_choice": _("所选项无效。"),
    "invalid_pk_value": _("所选项无效。"),
    "invalid_list": _("所选项无效。"),
}


# How every date input of the pages is written and read, in every language: what a browser's
# date picker sends, and what DATE_ERRORS asks for when a date is typed.
DATE_INPUT_FORMAT = "%Y-%m-%d"


def date_field(label: str, *, required: bool = True, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=[DATE_INPUT_FORMAT],
        widget=forms.DateInput(attrs={"type": "date"}, format=DATE_INPUT_FORMAT),
        error_messages=DATE_ERRORS,
        **kwargs,
    )


def money_field(label: str, *, required: bool = False, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
        error_messages=MONEY_ERRORS,
        **kwargs,
    )


class MultilineField(forms.CharField):
    """Text from a <textarea>: browsers send its line breaks as CRLF, kept here as LF, so a
    form submitted unchanged does not rewrite text entered through the API or the fixtures."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return text.replace("\r\n", "\n").replace("\r", "\n") if text else text


def text_field(
    label: str, max_length: int, *, required: bool = False, rows: int = 4, **kwargs: Any
) -> forms.CharField:
    """Free text: a textarea that refuses more than max_length characters."""
    return MultilineField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages=TEXT_ERRORS,
        **kwargs,
    )


def line_field(label: str, max_length: int, **kwargs: Any) -> forms.CharField:
    kwargs.setdefault("required", False)
    return forms.CharField(label=label, max_length=max_length, error_messages=TEXT_ERRORS, **kwargs)


def add_problems(form: forms.Form, problems: Mapping[str, Any]) -> None:
    """Show a check's problems on their fields; one on a field the form lacks goes on top."""
    for name, message in problems.items():
        form.add_error(name if name in form.fields else None, message)


def add_refusal(form: forms.Form, error: ValidationError) -> None:
    """A ValidationError raised by a check, shown like add_problems."""
    if hasattr(error, "error_dict"):
        add_problems(form, error.message_dict)
    else:
        form.add_error(None, error)


class FacilityField(forms.ModelChoiceField):
    """A facility chosen by typing: its 医保定点编码, 统一社会信用代码 or full name.

    Never a <select>: a city has hundreds of facilities, a province hundreds of thousands. The
    page's script (typeahead.js) suggests facilities as one types — a part of the name, pinyin,
    initials or a code prefix, from /lookup/facilities/ — and puts the chosen one's code in the
    field. Without the script, a name that is not exact gets the facilities it finds listed in
    the error, with their codes. An initial facility (?facility=<pk>) shows as its code.
    """

    widget = forms.TextInput(
        attrs={
            "autocomplete": "off",
            "spellcheck": "false",
            "maxlength": MAX_FACILITY_LOOKUP_LENGTH,
        }
    )
    default_error_messages = {
        "required": _("请填写机构的医保定点编码、统一社会信用代码或全称。"),
        "invalid_choice": _("未找到该机构：请核对医保定点编码、统一社会信用代码或全称。"),
        "candidates": _("没有名称或编码完全一致的机构。是否是：%(candidates)s？请填写其编码。"),
        "ambiguous": _("有多个机构叫这个名称，请改填医保定点编码或统一社会信用代码。"),
        "max_length": _("最多%(limit_value)d个字符。"),
    }
    # How many facilities a near miss lists in its error message.
    CANDIDATES = 5

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Facility):
            return value.insurance_code or value.credit_code
        return value

    def to_python(self, value: Any) -> Facility | None:
        if isinstance(value, Facility):
            return value
        text = str(value or "").strip()
        if not text:
            return None
        if len(text) > MAX_FACILITY_LOOKUP_LENGTH:
            raise ValidationError(
                self.error_messages["max_length"] % {"limit_value": MAX_FACILITY_LOOKUP_LENGTH},
                code="max_length",
            )
        code = text.upper()
        queryset = self.queryset
        if len(code) == CREDIT_CODE_LENGTH:
            found = list(queryset.filter(credit_code=code)[:1])
        elif len(code) == INSURANCE_CODE_LENGTH and code[0] in "HP":
            found = list(queryset.filter(insurance_code=code)[:1])
        else:
            found = []
        if not found:
            found = list(queryset.filter(name=text)[:2])
            if len(found) > 1:
                raise ValidationError(self.error_messages["ambiguous"], code="ambiguous")
        if not found:
            self._refuse_with_candidates(text)
        return found[0]

    def _refuse_with_candidates(self, text: str) -> None:
        """Not one facility by that exact code or name: name the few the words find, if any."""
        terms = search_terms(text)
        near = (
            list(self.queryset.filter(terms_query(terms)).order_by("name", "id")[: self.CANDIDATES])
            if terms
            else []
        )
        if not near:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        candidates = listed(
            bracketed(f.name, listed([f.get_district_display(), f.insurance_code or f.credit_code]))
            for f in near
        )
        raise ValidationError(
            self.error_messages["candidates"] % {"candidates": candidates}, code="candidates"
        )

    def validate(self, value: Facility | None) -> None:
        if value is None and self.required:
            raise ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial: Any, data: Any) -> bool:
        return str(self.prepare_value(initial) or "") != str(data or "")


def facility_field(label: str, user: AbstractBaseUser, initial: Facility | None) -> FacilityField:
    help_text = _(
        "输入名称、拼音或首字母（如 gsdyf）、编码的前几位，从列表中选择；"
        "也可直接填写医保定点编码、统一社会信用代码或机构全称。"
    )
    if initial is not None:
        help_text = _("已选：%(name)s。可改填其他机构的编码或全称。") % {"name": initial.name}
    field = FacilityField(
        queryset=scoped_queryset(user, Facility.objects.all()),
        label=label,
        initial=initial,
        help_text=help_text,
    )
    # typeahead.js turns the field into a combobox (only when it runs: no ARIA promises here).
    field.widget.attrs.update(
        {
            "data-typeahead": reverse("lookup-facilities"),
            "data-typeahead-empty": _("没有找到匹配的机构。"),
            "data-typeahead-chosen-label": _("已选："),
        }
    )
    if initial is not None:
        field.widget.attrs["data-typeahead-chosen"] = (
            f"{initial.name} · {initial.get_district_display()} · {initial.get_kind_display()}"
        )
    return field


# The largest id a table can hold (a signed 64-bit key).
MAX_ID = 2**63 - 1


def plain_id(value: object) -> int | None:
    """A record id (or a year) from a query parameter: ASCII digits within a key's range, else
    None. str.isdigit() alone is not enough: "²" and "٣" are digits to Python but int() refuses
    the first, and neither is anything the database holds."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > MAX_ID:
        return None
    return int(text)


def facility_from_query(user: AbstractBaseUser, value: str | None) -> Facility | None:
    """The facility a page was opened for (?facility=<pk>), if the user may see it."""
    pk = plain_id(value)
    if pk is None:
        return None
    return scoped_queryset(user, Facility.objects.all()).filter(pk=pk).first()
