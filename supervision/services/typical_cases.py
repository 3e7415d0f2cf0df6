"""Typical cases (典型案例): written from a completed inspection, submitted for review, reviewed
by another supervisor (published, or returned to draft with a comment), withdrawn with a reason.

draft → submitted → published → withdrawn; submitted → draft when the reviewer returns it. Only a
draft is edited. Whoever wrote, edited or submitted a case does not review it. The text a case
makes public is checked (public_text_problems) when it is submitted and again when it is
approved: no ID number, no mobile number, no name of a person registered with the inspected
facility. Every step is one transaction with its history row; publishing and withdrawing move the
public pages on to a new edition (publication.bump_edition).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supervision.choices import InspectionStatus, TypicalCaseStatus
from supervision.models import Facility, Inspection, Practitioner, TypicalCase
from supervision.models.base import REASON_LENGTH, check_version
from supervision.services import reasons
from supervision.services._common import User, refuse, required_text, save_with_history
from supervision.services.publication import bump_edition
from supervision.services.reasons import source_text

# The fields a case's author writes; all of them are made public.
CASE_FIELDS = ("title", "facts", "handling", "legal_basis", "lesson")
REVIEW_PERMISSION = "supervision.review_typicalcase"


# An ID number as people write it: 6 + 8 + 3 digits and a check character, maybe spaced.
_RESIDENT_ID = re.compile(r"(?<![0-9])[0-9]{6}[ -]?[0-9]{8}[ -]?[0-9]{3}[0-9X](?![0-9])", re.I)
# A mainland mobile number, maybe with +86 and spaces or hyphens (138 1234 5678).
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9])")
# A name this short matches too much ordinary text to be told from a name.
MIN_NAME_LENGTH = 2


def _plain(text: str) -> str:
    """Text as compared: full-width digits and letters as ASCII, case folded."""
    return unicodedata.normalize("NFKC", text or "").casefold()


# --- The public-text guard ---------------------------------------------------------------------


def _label(field: str) -> str:
    try:
        return str(TypicalCase._meta.get_field(field).verbose_name)
    except FieldDoesNotExist:  # a field of the caller's own (not the model's): named as given
        return field


def registered_names(facility: Facility) -> set[str]:
    """Queries: the names of everyone ever registered with facility (open or ended), as
    compared by the guard."""
    names = (
        Practitioner.objects.filter(registrations__facility=facility)
        .values_list("name", flat=True)
        .distinct()
    )
    return {plain for name in names if len(plain := _plain(name).strip()) >= MIN_NAME_LENGTH}


def public_text_problems(
    text_fields: Mapping[str, str], facility: Facility | None
) -> dict[str, list[str]]:
    """What keeps text from being published, per field: an ID number, a mobile number, the name
    of a person registered with facility. The messages say which field and what kind of data,
    never the data itself (a refusal is shown, logged and sent back by the API)."""
    names = registered_names(facility) if facility is not None else set()
    own_code = _plain(getattr(facility, "credit_code", "") or "")
    problems: dict[str, list[str]] = {}
    for field, value in text_fields.items():
        text = _plain(str(value or ""))
        if not text:
            continue
        label = _label(field)
        found = []
        ids = [m.group(0) for m in _RESIDENT_ID.finditer(text)]
        # The facility's own 18-character credit code may be all digits: it is public.
        if any(number != own_code for number in ids):
            found.append(
                _("“%(field)s”含有疑似身份证号码：公开的案例不得包含个人身份证号码，请删除。")
                % {"field": label}
            )
        if _MOBILE.search(text):
            found.append(
                _("“%(field)s”含有疑似手机号码：公开的案例不得包含个人联系方式，请删除。")
                % {"field": label}
            )
        if any(name in text for name in names):
            found.append(
                _(
                    "“%(field)s”含有被检查机构登记备案人员的姓名：公开的案例不得点名个人，"
                    "请改用“某医师”等称谓。"
                )
                % {"field": label}
            )
        if found:
            problems[field] = found
    return problems


def case_text_problems(case: TypicalCase) -> dict[str, list[str]]:
    """Queries: the guard's problems with a case's text as it is now."""
    facility = case.inspection.facility
    return public_text_problems({f: getattr(case, f) for f in CASE_FIELDS}, facility)


def _refuse_public_text(case: TypicalCase) -> None:
    problems = case_text_problems(case)
    if problems:
        raise ValidationError(problems)


# --- Who reviews -------------------------------------------------------------------------------


def writers_of(case: TypicalCase) -> set[int]:
    """Queries: the ids of the accounts that wrote, edited or submitted case (a return to draft
    is the reviewer's, not a writer's)."""
    writers = {case.created_by_id} if case.created_by_id else set()
    previous = None
    for status, user_id in case.history.order_by("history_date", "history_id").values_list(
        "status", "history_user_id"
    ):
        returned = status == TypicalCaseStatus.DRAFT and previous == TypicalCaseStatus.SUBMITTED
        became_submitted = (
            status == TypicalCaseStatus.SUBMITTED and previous == TypicalCaseStatus.DRAFT
        )
        written = status == TypicalCaseStatus.DRAFT and not returned
        if user_id and (written or became_submitted):
            writers.add(user_id)
        previous = status
    return writers


def may_review(case: TypicalCase, user: User) -> bool:
    """Queries: whether user may review case: the permission, and not one of its writers."""
    if user is None or not user.is_active or not user.has_perm(REVIEW_PERMISSION):
        return False
    return user.pk not in writers_of(case)


def _check_reviewer(case: TypicalCase, user: User) -> None:
    if user is None or not user.is_active or not user.has_perm(REVIEW_PERMISSION):
        raise PermissionDenied(_("您无权审核典型案例。"))
    if user.pk in writers_of(case):
        raise refuse(
            "__all__",
            _("审核人不能是该案例的撰写人、修改人或提交人，请由其他有审核权限的人员审核。"),
        )


# --- The steps ---------------------------------------------------------------------------------


def _locked(case: TypicalCase | int, expected_version: int | None) -> TypicalCase:
    pk = case.pk if isinstance(case, TypicalCase) else case
    locked = TypicalCase.objects.select_for_update().get(pk=pk)
    check_version(locked, expected_version)
    return locked


def _text(value: object) -> str:
    return str(value or "").strip()


def _check_lengths(case: TypicalCase) -> None:
    """Each text within its field's limit, refused on that field (the model's full_clean says
    so of a text field only as a whole-record constraint)."""
    problems = {}
    for name in CASE_FIELDS:
        limit = TypicalCase._meta.get_field(name).max_length
        count = len(getattr(case, name))
        if limit is not None and count > limit:
            problems[name] = _("最多%(limit)d个字符（当前%(count)d个）。") % {
                "limit": limit,
                "count": count,
            }
    if problems:
        raise ValidationError(problems)


def _reason_text(value: object, field: str, missing: str) -> str:
    text = required_text(str(value or ""), field, missing)
    if len(text) > REASON_LENGTH:
        raise refuse(
            field,
            _("最多%(limit)d个字符（当前%(count)d个）。")
            % {"limit": REASON_LENGTH, "count": len(text)},
        )
    return text


@transaction.atomic
def write_case(
    *,
    user: User,
    inspection: Inspection,
    title: str,
    facts: str,
    handling: str,
    legal_basis: str = "",
    lesson: str = "",
) -> TypicalCase:
    """A new draft written from a completed inspection (in the user's districts)."""
    inspection = Inspection.objects.select_related("facility").get(pk=inspection.pk)
    if inspection.status != InspectionStatus.COMPLETED:
        raise refuse("inspection", _("只能依据已完成的检查撰写典型案例。"))
    case = TypicalCase(
        inspection=inspection,
        title=_text(title),
        facts=_text(facts),
        handling=_text(handling),
        legal_basis=_text(legal_basis),
        lesson=_text(lesson),
        status=TypicalCaseStatus.DRAFT,
        created_by=user if getattr(user, "pk", None) else None,
    )
    _check_lengths(case)
    save_with_history(case, user, source_text(reasons.CASE_WRITTEN))
    return case


@transaction.atomic
def edit_case(
    case: TypicalCase,
    *,
    user: User,
    expected_version: int | None = None,
    reason: str = "",
    **fields: Any,
) -> TypicalCase:
    """Change a draft's text (CASE_FIELDS); a submitted, published or withdrawn case is not
    edited (a returned one is a draft again)."""
    unknown = sorted(set(fields) - set(CASE_FIELDS))
    if unknown:
        raise TypeError(f"not editable here: {', '.join(unknown)}")
    locked = _locked(case, expected_version)
    if locked.status != TypicalCaseStatus.DRAFT:
        raise refuse("__all__", _("只有草稿可以修改；已提交审核的案例须经审核退回后再修改。"))
    for name, value in fields.items():
        setattr(locked, name, _text(value))
    _check_lengths(locked)
    save_with_history(locked, user, _text(reason))
    return locked


@transaction.atomic
def submit_case(
    case: TypicalCase, *, user: User, expected_version: int | None = None
) -> TypicalCase:
    """Send a draft for review; refused while its text could not be published."""
    locked = _locked(case, expected_version)
    if locked.status != TypicalCaseStatus.DRAFT:
        raise refuse("__all__", _("只有草稿可以提交审核。"))
    _refuse_public_text(locked)
    locked.status = TypicalCaseStatus.SUBMITTED
    locked.submitted_on = timezone.localdate()
    save_with_history(locked, user, source_text(reasons.CASE_SUBMITTED))
    return locked


@transaction.atomic
def approve_case(
    case: TypicalCase, *, user: User, comment: str = "", expected_version: int | None = None
) -> TypicalCase:
    """The reviewer approves a submitted case: it is published today."""
    locked = _locked(case, expected_version)
    if locked.status != TypicalCaseStatus.SUBMITTED:
        raise refuse("__all__", _("只有待审核的案例可以审核。"))
    _check_reviewer(locked, user)
    comment = _text(comment)
    if len(comment) > REASON_LENGTH:
        raise refuse(
            "review_comment",
            _("最多%(limit)d个字符（当前%(count)d个）。")
            % {"limit": REASON_LENGTH, "count": len(comment)},
        )
    _refuse_public_text(locked)
    locked.status = TypicalCaseStatus.PUBLISHED
    locked.published_on = timezone.localdate()
    locked.reviewed_by = user
    locked.review_comment = comment
    save_with_history(locked, user, source_text(reasons.CASE_APPROVED))
    bump_edition()
    return locked


@transaction.atomic
def return_case(
    case: TypicalCase, *, user: User, comment: str, expected_version: int | None = None
) -> TypicalCase:
    """The reviewer returns a submitted case to its writers as a draft, saying why."""
    locked = _locked(case, expected_version)
    if locked.status != TypicalCaseStatus.SUBMITTED:
        raise refuse("__all__", _("只有待审核的案例可以审核。"))
    _check_reviewer(locked, user)
    comment = _reason_text(comment, "review_comment", _("退回修改须填写审核意见。"))
    locked.status = TypicalCaseStatus.DRAFT
    locked.submitted_on = None
    locked.reviewed_by = user
    locked.review_comment = comment
    save_with_history(locked, user, source_text(reasons.CASE_RETURNED, comment=comment))
    return locked


@transaction.atomic
def review_case(
    case: TypicalCase,
    *,
    user: User,
    approve: bool,
    comment: str = "",
    expected_version: int | None = None,
) -> TypicalCase:
    """approve_case or return_case."""
    step = approve_case if approve else return_case
    return step(case, user=user, comment=comment, expected_version=expected_version)


@transaction.atomic
def withdraw_case(
    case: TypicalCase, *, user: User, reason: str, expected_version: int | None = None
) -> TypicalCase:
    """Take a published case off the public pages, saying why."""
    if user is not None and not (user.is_active and user.has_perm(REVIEW_PERMISSION)):
        raise PermissionDenied(_("您无权撤回典型案例。"))
    locked = _locked(case, expected_version)
    if locked.status != TypicalCaseStatus.PUBLISHED:
        raise refuse("__all__", _("只有已发布的案例可以撤回。"))
    reason = _reason_text(reason, "withdraw_reason", _("请填写撤回原因。"))
    locked.status = TypicalCaseStatus.WITHDRAWN
    locked.withdrawn_on = timezone.localdate()
    locked.withdraw_reason = reason
    save_with_history(locked, user, source_text(reasons.CASE_WITHDRAWN, reason=reason))
    bump_edition()
    return locked
