"""The two identifying codes: 统一社会信用代码 (GB 32100-2015) and 医保定点编码."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from supervision.choices import DIVISION_CODES, FacilityKind
from supervision.formats.punctuation import listed

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE_LENGTH = 18
INSURANCE_CODE_LENGTH = 12
_INSURANCE_CODE_RE = re.compile(r"^[HP][0-9]{11}$")  # not \d: it matches full-width digits


def credit_code_check_char(first17: str) -> str:
    """The check character that completes the first 17 characters of a credit code."""
    total = sum(
        CREDIT_CODE_ALPHABET.index(char) * weight
        for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    if len(code) != CREDIT_CODE_LENGTH or any(c not in CREDIT_CODE_ALPHABET for c in code):
        return False
    return credit_code_check_char(code[:17]) == code[17]


def validate_credit_code(value: str) -> None:
    """Field validator: length, character set and GB 32100-2015 check character."""
    code = (value or "").strip().upper()
    if len(code) != CREDIT_CODE_LENGTH:
        raise ValidationError(
            _("统一社会信用代码应为18位，当前为%(n)d位。"), code="length", params={"n": len(code)}
        )
    bad = sorted({c for c in code if c not in CREDIT_CODE_ALPHABET})
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符：%(chars)s（不使用I、O、S、V、Z）。"),
            code="charset",
            params={"chars": listed(bad)},
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("统一社会信用代码校验位不正确，请核对后重新输入。"), code="check_char"
        )


def validate_insurance_code_format(value: str) -> None:
    """Field validator: H or P, then a division code of Lhasa, then 5 digits."""
    # Judged as Facility.clean() will store it (field validators run before clean()).
    value = (value or "").strip().upper()
    if not value:
        return
    if not _INSURANCE_CODE_RE.match(value):
        raise ValidationError(
            _("医保定点编码应为12位：H或P加11位数字，例如H54010200012。"), code="format"
        )
    if value[1:7] not in DIVISION_CODES:
        raise ValidationError(
            _("医保定点编码第2–7位应为拉萨市的行政区划代码，%(code)s不是。"),
            code="division",
            params={"code": value[1:7]},
        )


def insurance_code_letter_error(kind: str, code: str) -> str | None:
    """Why this code does not fit this kind of facility, or None when it does."""
    letter = FacilityKind(kind).insurance_code_letter
    if not letter:
        return _("商业保险公司没有医保定点编码，请留空。") if code else None
    if not code:
        return _("定点医药机构必须填写医保定点编码。")
    if code[0] != letter:
        return _("%(kind)s的医保定点编码应以%(letter)s开头。") % {
            "kind": FacilityKind(kind).label,
            "letter": letter,
        }
    return None


# 公民身份号码 (GB 11643-1999): 17 digits and a check character (0-9 or X).
RESIDENT_ID_LENGTH = 18
RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")


def resident_id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def validate_resident_id(value: str) -> None:
    """Field validator: 18 characters, digits then a digit or X, and the check character."""
    code = (value or "").strip().upper()
    if not code:
        return
    if not _RESIDENT_ID_RE.match(code):
        raise ValidationError(
            _("身份证号码应为18位：17位数字加1位数字或X。"), code="resident_id_format"
        )
    if resident_id_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("身份证号码校验位不正确，请核对后重新输入。"), code="resident_id_check"
        )


_PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{4,18}[0-9]$")


def validate_phone(value: str) -> None:
    """Field validator: a telephone number of digits, optionally with +, spaces and hyphens."""
    if value and not _PHONE_RE.match(value.strip()):
        raise ValidationError(
            _("电话号码只能包含数字、空格、连字符和开头的+，6至20位。"), code="phone"
        )
