"""Publication (信息公开): what makes something public, and the public pages' edition counter.

A public page is cached under the current edition (supervision.public.cache); every step here
that changes what the public pages show moves the edition on, inside the same transaction, so a
page is never served from before a publication that has committed (within the per-process memo
of supervision.public.cache, one second).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from supervision.choices import (
    CATEGORY_FACILITY_KINDS,
    RandomCheckStatus,
    SanctionKind,
    category_of_facility_kind,
)
from supervision.models import (
    CreditCategory,
    CreditRating,
    GradePublication,
    Inspection,
    PublicEdition,
    RandomCheckTarget,
    Sanction,
)
from supervision.models.base import NOTE_LENGTH
from supervision.services import reasons
from supervision.services._common import User, refuse, required_text, save_with_history
from supervision.services.reasons import source_text

# The sanctions the public "in force" page lists; the D-grade page lists every published kind.
IN_FORCE_KINDS = (SanctionKind.SUSPENSION, SanctionKind.TERMINATION)


def bump_edition() -> None:
    """Move the public pages on to a new edition (their caches are then stale)."""
    if not PublicEdition.objects.filter(pk=1).update(
        number=F("number") + 1, changed_at=timezone.now()
    ):
        PublicEdition.objects.get_or_create(pk=1)


def edition() -> int:
    return PublicEdition.objects.filter(pk=1).values_list("number", flat=True).first() or 0


# --- Grades --------------------------------------------------------------------------------------


def published_categories(year: int) -> list[str]:
    return list(GradePublication.objects.filter(year=year).values_list("category_id", flat=True))


def latest_published_year() -> int | None:
    return GradePublication.objects.order_by("-year").values_list("year", flat=True).first()


def published_kinds(year: int) -> list[str]:
    """The facility kinds whose grades of year are public."""
    return [
        kind
        for category in published_categories(year)
        for kind in CATEGORY_FACILITY_KINDS.get(category, ())
    ]


@transaction.atomic
def publish_grades(
    *,
    year: int,
    category: CreditCategory | str,
    user: User,
    on: datetime.date | None = None,
    note: str = "",
) -> GradePublication:
    """Make the final grades of year in a facility category public. Refused when already public,
    or when that year has no grade in that category."""
    code = category.pk if isinstance(category, CreditCategory) else category
    if code not in CATEGORY_FACILITY_KINDS:
        raise refuse("category", _("只公布定点医药机构和商业保险承办机构的信用等级。"))
    if GradePublication.objects.filter(year=year, category_id=code).exists():
        raise refuse("__all__", _("该类别该年度的信用等级已公布。"))
    if not CreditRating.objects.filter(
        year=year, facility__kind__in=CATEGORY_FACILITY_KINDS[code]
    ).exists():
        raise refuse("year", _("该类别该年度还没有信用等级，无法公布。"))
    note = (note or "").strip()
    if len(note) > NOTE_LENGTH:
        raise refuse("note", _("说明最多%(n)d个字符。") % {"n": NOTE_LENGTH})
    publication = GradePublication(
        year=year,
        category_id=code,
        published_on=on or timezone.localdate(),
        published_by=user,
        note=note,
    )
    save_with_history(publication, user)
    bump_edition()
    return publication


def note_rating_change(year: int, facility_kind: str) -> None:
    """A grade changed (dynamic adjustment, repair, a correction): if that year's grades of the
    facility's category are public, the public pages move on."""
    if GradePublication.objects.filter(
        year=year, category_id=category_of_facility_kind(facility_kind)
    ).exists():
        bump_edition()


def note_inspection_change(inspection: Inspection) -> None:
    """An inspection changed: if it is the work of a published random-check plan, the plan's
    public results move on."""
    if RandomCheckTarget.objects.filter(
        inspection=inspection, plan__status=RandomCheckStatus.PUBLISHED
    ).exists():
        bump_edition()


# --- Sanctions ----------------------------------------------------------------------------------


@transaction.atomic
def publish_sanction(
    sanction: Sanction, *, user: User, on: datetime.date | None = None
) -> Sanction:
    """Make a sanction public (its facility, kind, dates, decision number and legal basis)."""
    sanction = Sanction.objects.select_for_update().get(pk=sanction.pk)
    if sanction.published_on is not None:
        raise refuse("__all__", _("该处理措施已公开。"))
    if sanction.kind == SanctionKind.COMMENDATION:
        raise refuse("__all__", _("授牌不在处理措施公开之列。"))
    if not sanction.legal_basis.strip():
        raise refuse("legal_basis", _("公开前请先填写法律依据。"))
    sanction.published_on = on or timezone.localdate()
    sanction.published_by = user
    save_with_history(sanction, user, reason=source_text(reasons.SANCTION_PUBLISHED))
    bump_edition()
    return sanction


@transaction.atomic
def withdraw_sanction(sanction: Sanction, *, user: User, reason: str) -> Sanction:
    """Take a sanction off the public pages (revoked on review, published by mistake)."""
    reason = required_text(reason, "reason", _("请填写撤回原因。"))
    sanction = Sanction.objects.select_for_update().get(pk=sanction.pk)
    if sanction.published_on is None:
        raise refuse("__all__", _("该处理措施未公开。"))
    sanction.published_on = None
    sanction.published_by = None
    save_with_history(
        sanction, user, reason=source_text(reasons.SANCTION_UNPUBLISHED, reason=reason)
    )
    bump_edition()
    return sanction
