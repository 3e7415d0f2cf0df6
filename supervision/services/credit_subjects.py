"""The registries of credit subjects kept apart from the facilities: institutions of categories
4–6 (医药企业、参保单位、第三方服务机构) and insured persons (参保人员, category 8).

An insured person's ID number is personal data, kept in InsuredIdentity: it is written only by
those who may (add_insuredidentity on registering, change_insuredidentity to correct it), read
only with view_insuredidentity, and everyone else sees the person's id_masked. A refusal of a
duplicate number never says whose it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from supervision.choices import INSTITUTION_CATEGORIES, CreditCategoryCode
from supervision.codes import RESIDENT_ID_LENGTH
from supervision.formats.punctuation import listed
from supervision.models import CreditCategory, CreditInstitution, InsuredIdentity, InsuredPerson
from supervision.models.base import check_version
from supervision.models.credit import mask_resident_id
from supervision.scoping import check_in_scope, scoped_queryset
from supervision.services._common import User, refuse, save_with_history

INSTITUTION_FIELDS = (
    "category",
    "name",
    "credit_code",
    "district",
    "address",
    "legal_representative",
    "note",
)
PERSON_FIELDS = ("name", "district", "note")
TEXT_FIELDS = ("name", "address", "legal_representative", "credit_code")
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


def may_read_identity(user: User) -> bool:
    """Whether user may read insured persons' ID numbers (supervisors, superusers)."""
    return _holds(user, "supervision.view_insuredidentity")


def may_enter_identity(user: User) -> bool:
    """Whether user may enter an ID number when registering a person (evaluators too, who do
    not read it back)."""
    return user is None or _holds(user, "supervision.add_insuredidentity")


def may_correct_identity(user: User) -> bool:
    """Whether user may change a registered person's ID number."""
    return user is None or _holds(user, "supervision.change_insuredidentity")


def _holds(user: User, permission: str) -> bool:
    return bool(user is not None and user.is_active and user.has_perm(permission))


def _unknown_fields(fields: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise TypeError(f"not editable here: {', '.join(unknown)}")


def _stripped(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: (str(value or "").strip() if name in TEXT_FIELDS else value)
        for name, value in values.items()
    }


# --- Institutions (categories 4–6) ------------------------------------------------------------


def institution_category(value: CreditCategory | str | None) -> CreditCategory:
    """The category of an institution from a category or its code; refused unless one of 4–6."""
    code = value.pk if isinstance(value, CreditCategory) else str(value or "")
    if code not in INSTITUTION_CATEGORIES:
        raise refuse(
            "category",
            _("信用主体单位的类别只能是：%(choices)s。")
            % {"choices": listed(CreditCategoryCode(c).label for c in INSTITUTION_CATEGORIES)},
        )
    if isinstance(value, CreditCategory):
        return value
    return CreditCategory.objects.get(pk=code)


def _check_credit_code_free(user: User, code: str, institution: CreditInstitution) -> None:
    """Refuse a credit code another institution holds, naming it when the user may see it."""
    code = (code or "").strip().upper()
    if not code:
        return
    others = CreditInstitution.objects.filter(credit_code=code)
    if institution.pk is not None:
        others = others.exclude(pk=institution.pk)
    if not others.exists():
        return
    seen = scoped_queryset(user, others).first() if user is not None else others.first()
    if seen is not None:
        message = _("该统一社会信用代码已登记：%(name)s。") % {"name": seen.name}
    else:
        message = _("该统一社会信用代码已登记。")
    raise refuse("credit_code", message)


def _save_institution(institution: CreditInstitution, user: User, reason: str) -> None:
    _check_credit_code_free(user, institution.credit_code, institution)
    save_with_history(institution, user, reason)


@transaction.atomic
def register_institution(
    *,
    user: User,
    category: CreditCategory | str,
    name: str,
    credit_code: str,
    district: str,
    address: str = "",
    legal_representative: str = "",
    note: str = "",
) -> CreditInstitution:
    """Add an institution of category 4–6, in one of the user's districts."""
    values = _stripped(
        {
            "name": name,
            "credit_code": credit_code,
            "district": district,
            "address": address,
            "legal_representative": legal_representative,
            "note": note,
        }
    )
    institution = CreditInstitution(category=institution_category(category), **values)
    _save_institution(institution, user, "")
    return institution


@transaction.atomic
def edit_institution(
    institution: CreditInstitution,
    *,
    user: User,
    expected_version: int | None = None,
    reason: str = "",
    **fields: Any,
) -> CreditInstitution:
    """Change the given fields of an institution (those of INSTITUTION_FIELDS). Refused when
    someone saved it since expected_version, or when it is, or would move, outside the user's
    districts."""
    _unknown_fields(fields, INSTITUTION_FIELDS)
    locked = CreditInstitution.objects.select_for_update().get(pk=institution.pk)
    check_version(locked, expected_version)
    check_in_scope(user, locked)
    values = _stripped(fields)
    if "category" in values:
        values["category"] = institution_category(values["category"])
    for name, value in values.items():
        setattr(locked, name, value)
    _save_institution(locked, user, reason)
    return locked


# --- Insured persons (category 8) -------------------------------------------------------------


def normalised_id(value: str) -> str:
    return str(value or "").strip().upper()


def is_resident_id_shaped(text: str) -> bool:
    """Whether text (normalised) has the shape of a whole ID number: 17 digits and a digit or
    X. The check character is not asked: a search by a mistyped number finds nobody."""
    return len(text) == RESIDENT_ID_LENGTH and bool(_ID_SHAPE.fullmatch(text))


def _check_identity(identity: InsuredIdentity) -> None:
    """The number's own rules (required, format, check character) and that no one else holds
    it, with a message that does not say whose it is."""
    if not identity.id_number:
        raise refuse("id_number", _("请填写身份证号码。"))
    try:
        identity.full_clean(exclude=["person"], validate_unique=False)
    except ValidationError as error:
        message = error.message_dict.get("id_number", error.messages)[0]
        raise refuse("id_number", message) from error
    others = InsuredIdentity.objects.filter(id_number=identity.id_number)
    if identity.person_id is not None:
        others = others.exclude(person_id=identity.person_id)
    if others.exists():
        raise refuse("id_number", _("该身份证号码已登记为参保人员，不能重复登记。"))


@transaction.atomic
def register_insured_person(
    *, user: User, name: str, district: str, id_number: str, note: str = ""
) -> InsuredPerson:
    """Add an insured person with the ID number (only with add_insuredidentity): the number is
    stored apart, the person shows it masked."""
    if not may_enter_identity(user):
        raise PermissionDenied(_("您无权登记参保人员的身份证号码。"))
    number = normalised_id(id_number)
    identity = InsuredIdentity(id_number=number)
    person = InsuredPerson(
        name=str(name or "").strip(), district=district, note=note or "", id_masked=""
    )
    # Everything the person's own fields need is checked before the number, so that a form
    # shows every problem at once.
    problems: dict[str, list[str]] = {}
    try:
        person.id_masked = mask_resident_id(number)
        person.full_clean()
    except ValidationError as error:
        problems.update(error.message_dict)
    try:
        _check_identity(identity)
    except ValidationError as error:
        problems.update(error.message_dict)
    if problems:
        raise ValidationError(problems)
    save_with_history(person, user)
    identity.person = person
    save_with_history(identity, user)
    return person


def _correct_identity(person: InsuredPerson, number: str, user: User) -> bool:
    """Store a new ID number for person; False when it is the one already stored."""
    identity = InsuredIdentity.objects.select_for_update().filter(person=person).first()
    if identity is not None and identity.id_number == number:
        return False
    if not may_correct_identity(user):
        raise PermissionDenied(_("您无权修改参保人员的身份证号码。"))
    if identity is None:
        identity = InsuredIdentity(person=person)
    identity.id_number = number
    _check_identity(identity)
    save_with_history(identity, user)
    return True


@transaction.atomic
def edit_insured_person(
    person: InsuredPerson,
    *,
    user: User,
    expected_version: int | None = None,
    reason: str = "",
    **fields: Any,
) -> InsuredPerson:
    """Change the given fields of an insured person (name, district, note); an `id_number`
    replaces the stored number (only with change_insuredidentity) and its mask."""
    _unknown_fields(fields, (*PERSON_FIELDS, "id_number"))
    locked = InsuredPerson.objects.select_for_update().get(pk=person.pk)
    check_version(locked, expected_version)
    check_in_scope(user, locked)
    number = fields.pop("id_number", None)
    for name, value in fields.items():
        setattr(locked, name, str(value or "").strip() if name == "name" else value)
    if number is not None and normalised_id(number):
        number = normalised_id(number)
        locked.id_masked = mask_resident_id(number)
        # The person's own fields first: a refused move out of the districts writes nothing.
        locked.full_clean()
        check_in_scope(user, locked)
        _correct_identity(locked, number, user)
    save_with_history(locked, user, reason)
    return locked


def identity_of(person: InsuredPerson, user: User) -> str:
    """The person's ID number for a reader who may see it, else the masked one (queries once
    for a holder of the permission)."""
    if not may_read_identity(user):
        return person.id_masked
    identity = InsuredIdentity.objects.filter(person=person).first()
    return identity.id_number if identity is not None else person.id_masked
