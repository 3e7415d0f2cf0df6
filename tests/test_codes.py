"""The two identifying codes: 统一社会信用代码 (GB 32100-2015) and 医保定点编码."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from supervision.choices import DIVISION_CODES, District, FacilityKind, Zone
from supervision.codes import (
    CREDIT_CODE_ALPHABET,
    insurance_code_letter_error,
    is_valid_credit_code,
    validate_credit_code,
    validate_insurance_code_format,
)
from supervision.models import Facility
from tests.factories import FacilityFactory, make_credit_code

CJK = re.compile(r"[\u4e00-\u9fff]")

DOMAIN_EXAMPLES = ["91110000100006485K", "91110108551385082Q", "92370102MA3M9AG94X"]
FACTORY_EXAMPLES = [
    make_credit_code(0),
    make_credit_code(1),
    make_credit_code(999_999_999),
    make_credit_code(4_242, prefix="12", division="540103"),
    make_credit_code(77, prefix="52", division="540127"),
    make_credit_code(31, prefix="92", division="540100"),
]
VALID_CODES = DOMAIN_EXAMPLES + FACTORY_EXAMPLES
FORBIDDEN_LETTERS = "IOSVZ"


def _refusal(code: str) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    (message,) = exc.value.messages
    assert CJK.search(message), message
    return exc.value


# --- 统一社会信用代码 --------------------------------------------------------------------------


def test_the_alphabet_has_31_characters_and_none_of_the_forbidden_letters():
    assert len(CREDIT_CODE_ALPHABET) == 31
    assert len(set(CREDIT_CODE_ALPHABET)) == 31
    assert not set(FORBIDDEN_LETTERS) & set(CREDIT_CODE_ALPHABET)


@pytest.mark.parametrize("code", VALID_CODES)
def test_a_valid_credit_code_passes(code):
    assert is_valid_credit_code(code)
    validate_credit_code(code)


@pytest.mark.parametrize("n", [0, 1, 30, 31, 12_345, 999_999_998])
def test_make_credit_code_builds_distinct_valid_codes(n):
    code = make_credit_code(n)
    assert len(code) == 18
    assert is_valid_credit_code(code)
    assert code != make_credit_code(n + 1)


@pytest.mark.parametrize("position", range(18))
@pytest.mark.parametrize("code", VALID_CODES)
def test_every_other_character_at_a_position_breaks_the_check(code, position):
    accepted = []
    for char in CREDIT_CODE_ALPHABET:
        if char == code[position]:
            continue
        changed = code[:position] + char + code[position + 1 :]
        if is_valid_credit_code(changed):
            accepted.append(changed)
        assert _refusal(changed).code == "check_char"
    assert accepted == []


@pytest.mark.parametrize("position", range(18))
@pytest.mark.parametrize("code", VALID_CODES)
def test_a_forbidden_letter_at_a_position_is_refused(code, position):
    for letter in FORBIDDEN_LETTERS:
        changed = code[:position] + letter + code[position + 1 :]
        assert not is_valid_credit_code(changed)
        error = _refusal(changed)
        assert error.code == "charset"
        assert letter in error.messages[0]


@pytest.mark.parametrize(
    "code",
    ["", "9", DOMAIN_EXAMPLES[0][:17], DOMAIN_EXAMPLES[0] + "0", DOMAIN_EXAMPLES[0] * 2],
    ids=["empty", "1", "17", "19", "36"],
)
def test_a_credit_code_of_the_wrong_length_is_refused(code):
    assert not is_valid_credit_code(code)
    error = _refusal(code)
    assert error.code == "length"
    assert str(len(code)) in error.messages[0]


@pytest.mark.parametrize("code", DOMAIN_EXAMPLES)
def test_is_valid_credit_code_wants_upper_case(code):
    assert not is_valid_credit_code(code.lower())


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["91110108551385082Q", "92370102MA3M9AG94X"])
def test_a_facility_accepts_a_lower_case_credit_code_and_stores_it_upper_case(code):
    facility = FacilityFactory.build(credit_code=code.lower())
    facility.full_clean()
    facility.save()
    assert Facility.objects.values_list("credit_code", flat=True).get(pk=facility.pk) == code


@pytest.mark.django_db
def test_a_facility_created_directly_with_a_lower_case_credit_code_is_stored_upper_case():
    facility = FacilityFactory(credit_code="92370102ma3m9ag94x")
    facility.refresh_from_db()
    assert facility.credit_code == "92370102MA3M9AG94X"


@pytest.mark.django_db
def test_a_facility_with_a_broken_credit_code_is_refused_on_that_field():
    facility = FacilityFactory.build(credit_code="91110000100006485J")
    with pytest.raises(ValidationError) as exc:
        facility.full_clean()
    assert list(exc.value.message_dict) == ["credit_code"]


@pytest.mark.django_db
def test_two_facilities_cannot_share_a_credit_code_whatever_its_case():
    FacilityFactory(credit_code="92370102MA3M9AG94X")
    other = FacilityFactory.build(credit_code="92370102ma3m9ag94x")
    with pytest.raises(ValidationError) as exc:
        other.full_clean()
    assert list(exc.value.message_dict) == ["credit_code"]


# --- 医保定点编码 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "H54010200012",
        "P54010300007",
        "H54010000001",  # the city itself
        "P54012799999",
        "H54017200001",  # a zone
        *[f"H{division}00001" for division in District.values],
        *[f"P{division}00001" for division in Zone.values],
        "",  # insurers have none; whether one is required depends on the kind
    ],
)
def test_a_well_formed_insurance_code_passes(code):
    validate_insurance_code_format(code)


def test_every_division_a_code_may_carry_is_in_lhasa():
    assert all(code.startswith("5401") for code in DIVISION_CODES)


@pytest.mark.parametrize(
    ("code", "error_code"),
    [
        ("H11010100001", "division"),  # Beijing
        ("P54020200001", "division"),  # Shigatse
        ("H54019900001", "division"),
        ("H5401020001", "format"),  # 11 characters
        ("H540102000123", "format"),  # 13
        ("H540102", "format"),
        ("54010200012H", "format"),
        ("X54010200012", "format"),
        ("HH4010200012", "format"),
        ("H5401020001A", "format"),
        ("H5401020001２", "format"),  # a full-width digit
        ("H54010２00012", "format"),
        ("H540102٠٠٠١٢", "format"),  # Arabic-Indic digits
        ("H 5401020001", "format"),
    ],
)
def test_a_malformed_insurance_code_is_refused(code, error_code):
    with pytest.raises(ValidationError) as exc:
        validate_insurance_code_format(code)
    assert exc.value.code == error_code
    assert CJK.search(exc.value.messages[0])


@pytest.mark.parametrize(
    ("kind", "code", "fits"),
    [
        (FacilityKind.HOSPITAL, "H54010200012", True),
        (FacilityKind.CLINIC, "H54010200012", True),
        (FacilityKind.PHARMACY, "P54010200012", True),
        (FacilityKind.INSURER, "", True),
        (FacilityKind.HOSPITAL, "P54010200012", False),
        (FacilityKind.CLINIC, "P54010200012", False),
        (FacilityKind.PHARMACY, "H54010200012", False),
        (FacilityKind.INSURER, "H54010200012", False),
        (FacilityKind.INSURER, "P54010200012", False),
        (FacilityKind.HOSPITAL, "", False),
        (FacilityKind.CLINIC, "", False),
        (FacilityKind.PHARMACY, "", False),
    ],
)
def test_the_insurance_code_letter_must_fit_the_kind(kind, code, fits):
    problem = insurance_code_letter_error(kind, code)
    if fits:
        assert problem is None
    else:
        assert CJK.search(str(problem))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("traits", "code"),
    [
        ({}, "P54010200012"),
        ({"clinic": True}, "P54010200012"),
        ({"pharmacy": True}, "H54010200012"),
        ({"insurer": True}, "H54010200012"),
        ({}, ""),
        ({"pharmacy": True}, ""),
        ({}, "H11010100001"),
        ({}, "H5401020001"),
        ({"pharmacy": True}, "P5401020001X"),
    ],
)
def test_a_facility_with_an_insurance_code_that_does_not_fit_is_refused(traits, code):
    facility = FacilityFactory.build(insurance_code=code, **traits)
    with pytest.raises(ValidationError) as exc:
        facility.full_clean()
    assert list(exc.value.message_dict) == ["insurance_code"]


@pytest.mark.django_db
def test_an_insurer_without_an_insurance_code_is_accepted():
    FacilityFactory.build(insurer=True).full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize("traits", [{}, {"pharmacy": True}])
def test_a_facility_accepts_a_lower_case_insurance_code_and_stores_it_upper_case(traits):
    facility = FacilityFactory.build(**traits)
    expected = facility.insurance_code
    facility.insurance_code = expected.lower()
    facility.full_clean()
    facility.save()
    assert Facility.objects.values_list("insurance_code", flat=True).get(pk=facility.pk) == expected
