"""Random-check plans (双随机、一公开): write a plan, draw it, verify the draw, publish it (each
drawn target becomes a planned random inspection with its drawn inspectors), substitute an inspector
with a reason, cancel a plan not yet published. The draw itself is supervision.random_draw.

Every write records history with the acting user; the plan's row is locked for each step, so two
supervisors cannot draw or publish the same plan twice.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from supervision import random_draw
from supervision.choices import (
    District,
    FacilityKind,
    Grade,
    InspectionKind,
    InspectionStatus,
    RandomCheckStatus,
)
from supervision.formats.punctuation import clauses, labelled
from supervision.models import (
    Facility,
    Inspection,
    Inspector,
    PlannedCheck,
    RandomCheckAssignment,
    RandomCheckPlan,
    RandomCheckTarget,
)
from supervision.models.base import check_version, current_version
from supervision.models.inspection import check_inspectors
from supervision.models.random_check import MAX_TARGETS, MAX_WEIGHT
from supervision.models.sanction import add_months
from supervision.scoping import user_districts
from supervision.services import publication, reasons
from supervision.services._common import (
    User,
    refuse,
    required_text,
    save_with_history,
    write_history,
)
from supervision.services.case_numbers import number_new
from supervision.services.check_plans import match_planned_checks
from supervision.services.reasons import source_text

UNRATED = ""  # the key of "no grade that year" in a plan's grades and weights
GRADE_KEYS = (*Grade.values, UNRATED)
_CHUNK = 5000

# The fields a plan's form or the API may set; the rest is written by the steps below.
PLAN_FIELDS = (
    "name",
    "starts_on",
    "ends_on",
    "kinds",
    "districts",
    "grades",
    "grade_year",
    "not_inspected_months",
    "from_check_plan",
    "target_count",
    "target_share",
    "weights",
    "inspectors_per_target",
    "inspector_rest_months",
    "exclude_home_district",
    "note",
)


# --- Writing a plan ----------------------------------------------------------------------------


def _clean_criteria(plan: RandomCheckPlan, user: User) -> None:
    """Lists and weights hold known codes only; a limited account draws in its districts only."""
    problems: dict[str, str] = {}
    for name, allowed in (
        ("kinds", FacilityKind.values),
        ("districts", District.values),
        ("grades", GRADE_KEYS),
    ):
        values = getattr(plan, name)
        if not isinstance(values, list) or any(
            not isinstance(v, str) or v not in allowed for v in values
        ):
            problems[name] = _("包含无效的选项。")
        else:
            setattr(plan, name, sorted(set(values)))
    weights = plan.weights
    if not isinstance(weights, dict) or any(
        key not in GRADE_KEYS
        or isinstance(value, bool)
        or not isinstance(value, int)
        or not 1 <= value <= MAX_WEIGHT
        for key, value in weights.items()
    ):
        problems["weights"] = _("权重应为1到%(max)d的整数，按A、B、C、D或未评级填写。") % {
            "max": MAX_WEIGHT
        }
    limited = user_districts(user)
    if (
        limited is not None
        and not problems.get("districts")
        and (not plan.districts or not set(plan.districts) <= limited)
    ):
        problems["districts"] = _("您只能在本人负责的区县范围内抽查，请选择这些区县。")
    if problems:
        raise ValidationError(problems)


def _within_districts(plan: RandomCheckPlan, user: User) -> None:
    """A limited account publishes or cancels only a plan wholly within its districts (it may
    read one that merely touches them)."""
    limited = user_districts(user)
    if limited is not None and (not plan.districts or not set(plan.districts) <= limited):
        raise refuse(
            "__all__", _("该计划包含您负责范围以外的区县，只有负责这些区县的人员可以操作。")
        )


def _with_changes(plan: RandomCheckPlan, changes: Mapping[str, Any]) -> None:
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise ValueError(f"not a plan field: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(plan, name, value)
    plan.name = " ".join((plan.name or "").split())  # one line, whatever was typed
    plan.note = (plan.note or "").strip()


@transaction.atomic
def create_plan(*, user: User, **changes: Any) -> RandomCheckPlan:
    plan = RandomCheckPlan(created_by=user)
    _with_changes(plan, changes)
    _clean_criteria(plan, user)
    save_with_history(plan, user)
    return plan


@transaction.atomic
def edit_plan(
    plan: RandomCheckPlan, *, user: User, version: int | None = None, **changes: Any
) -> RandomCheckPlan:
    """Change a draft; a drawn plan's criteria are what its draw read and stay as they are."""
    _lock(plan, version)
    if plan.status != RandomCheckStatus.DRAFT:
        raise refuse("__all__", _("计划已抽取，不能再修改抽取条件；如需调整请撤销后新建计划。"))
    _with_changes(plan, changes)
    _clean_criteria(plan, user)
    save_with_history(plan, user)
    return plan


def _lock(plan: RandomCheckPlan, version: int | None) -> None:
    """Lock the plan's row, refresh it, and refuse a stale edit."""
    stored = current_version(RandomCheckPlan, plan.pk)
    if stored is None:
        raise refuse("__all__", _("该计划不存在。"))
    expected = plan.version if version is None else version
    plan.refresh_from_db()
    plan.version = stored
    check_version(plan, expected)


# --- The pool --------------------------------------------------------------------------------


def grade_year_of(plan: RandomCheckPlan) -> int:
    return plan.grade_year or plan.starts_on.year - 1


def pool_queryset(plan: RandomCheckPlan) -> QuerySet[Facility]:
    """The facilities the plan draws from, each with its grade of the plan's grade year (or "")."""
    year = grade_year_of(plan)
    rows = Facility.objects.annotate(
        year_rating=FilteredRelation("ratings", condition=Q(ratings__year=year))
    )
    if plan.kinds:
        rows = rows.filter(kind__in=plan.kinds)
    if plan.districts:
        rows = rows.filter(district__in=plan.districts)
    if plan.grades:
        graded = [g for g in plan.grades if g != UNRATED]
        condition = Q(year_rating__grade__in=graded) if graded else Q(pk__in=[])
        if UNRATED in plan.grades:
            condition |= Q(year_rating__id__isnull=True)
        rows = rows.filter(condition)
    if plan.not_inspected_months:
        since = add_months(plan.starts_on, -plan.not_inspected_months)
        rows = rows.filter(
            ~Exists(
                Inspection.objects.filter(
                    facility=OuterRef("pk"), start_date__gte=since, start_date__lte=plan.starts_on
                )
            )
        )
    if plan.from_check_plan:
        rows = rows.filter(
            Exists(
                PlannedCheck.objects.filter(
                    facility=OuterRef("pk"), year=plan.starts_on.year, inspection__isnull=True
                )
            )
        )
    return rows


def pool_entries(plan: RandomCheckPlan) -> list[tuple[int, int]]:
    """(facility id, weight) of every facility in the pool, in id order."""
    weights = {key: int(value) for key, value in (plan.weights or {}).items()}
    rows = (
        pool_queryset(plan)
        .order_by("pk")
        .values_list("pk", "year_rating__grade")
        .iterator(chunk_size=20000)
    )
    return [(pk, weights.get(grade or UNRATED, 1)) for pk, grade in rows]


def inspector_entries() -> list[tuple[int, str]]:
    """The enforcement staff the draw may pick: every inspector on duty, in id order."""
    return list(
        Inspector.objects.filter(is_active=True).order_by("pk").values_list("pk", "district")
    )


def _recent_checks(plan: RandomCheckPlan, facility_ids: list[int]) -> dict[int, set[int]]:
    """Per facility, the inspectors who inspected it in the plan's rest period."""
    excluded: dict[int, set[int]] = {}
    if not plan.inspector_rest_months or not facility_ids:
        return excluded
    since = add_months(plan.starts_on, -plan.inspector_rest_months)
    through = Inspection.inspectors.through
    for start in range(0, len(facility_ids), _CHUNK):
        chunk = facility_ids[start : start + _CHUNK]
        pairs = through.objects.filter(
            inspection__facility_id__in=chunk,
            inspection__start_date__gte=since,
            inspection__start_date__lte=plan.starts_on,
        ).values_list("inspection__facility_id", "inspector_id")
        for facility_id, inspector_id in pairs:
            excluded.setdefault(facility_id, set()).add(inspector_id)
    return excluded


def _districts_of(facility_ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(facility_ids), _CHUNK):
        chunk = facility_ids[start : start + _CHUNK]
        found.update(Facility.objects.filter(pk__in=chunk).values_list("pk", "district"))
    return found


# --- The draw --------------------------------------------------------------------------------


def _seed(seed: str, source: str) -> tuple[str, str]:
    seed = required_text(seed, "seed", _("请填写随机种子。"))
    source = (source or "").strip()
    problems = {}
    if len(seed) > RandomCheckPlan._meta.get_field("seed").max_length:
        problems["seed"] = _("随机种子最多%(n)d个字符。") % {"n": 128}
    if any(ch in seed for ch in "|\r\n\t") or not seed.isprintable():
        problems["seed"] = _("随机种子不能包含竖线、换行或控制字符。")
    if len(source) > RandomCheckPlan._meta.get_field("seed_source").max_length:
        problems["seed_source"] = _("种子来源最多%(n)d个字符。") % {"n": 200}
    if problems:
        raise ValidationError(problems)
    return seed, source


@transaction.atomic
def draw(
    plan: RandomCheckPlan,
    *,
    seed: str,
    seed_source: str = "",
    user: User,
    version: int | None = None,
) -> RandomCheckPlan:
    """Draw a draft plan: read and store the pools, draw the targets and their inspectors, store
    the result. Refused (nothing written) when the pool is empty or a target cannot have enough
    inspectors; a drawn plan is never drawn again."""
    seed, seed_source = _seed(seed, seed_source)
    _lock(plan, version)
    if plan.status != RandomCheckStatus.DRAFT:
        raise refuse("__all__", _("该计划已抽取或已撤销，不能重新抽取。"))
    _clean_criteria(plan, user)
    entries = pool_entries(plan)
    count = random_draw.count_for(len(entries), plan.target_count, plan.target_share)
    if not entries or count == 0:
        raise refuse("__all__", _("按这些条件没有可抽取的机构，请放宽条件。"))
    inspectors = inspector_entries()
    pool_digest = random_draw.digest(random_draw.pool_text(entries))
    inspector_digest = random_draw.digest(random_draw.inspector_pool_text(inspectors))
    salt = random_draw.salt(seed, pool_digest, inspector_digest)
    picked = random_draw.draw_targets(salt, entries, count)
    picked_ids = [facility_id for facility_id, _w in picked]
    excluded = _recent_checks(plan, picked_ids)
    districts = _districts_of(picked_ids)
    facts = {
        facility_id: random_draw.TargetFacts(
            facility_id, districts[facility_id], frozenset(excluded.get(facility_id, ()))
        )
        for facility_id in picked_ids
    }
    try:
        result = random_draw.draw(
            salt,
            entries,
            count,
            inspectors,
            facts,
            plan.inspectors_per_target,
            exclude_home_district=plan.exclude_home_district,
            targets=picked,
        )
    except random_draw.DrawImpossible as impossible:
        facility = Facility.objects.filter(pk=impossible.facility_id).first()
        raise refuse(
            "__all__",
            _("%(facility)s 可抽取的执法人员只有%(eligible)d名，少于每个对象%(needed)d名。")
            % {
                "facility": facility,
                "eligible": impossible.eligible,
                "needed": impossible.needed,
            },
        ) from impossible

    plan.algorithm = random_draw.ALGORITHM
    plan.seed = seed
    plan.seed_source = seed_source
    plan.pool = random_draw.pack_pool(entries)
    plan.pool_size = len(entries)
    plan.pool_digest = pool_digest
    plan.inspector_pool = random_draw.pack_inspectors(inspectors)
    plan.inspector_pool_size = len(inspectors)
    plan.result_digest = random_draw.result_digest(result)
    plan.drawn_at = timezone.now()
    plan.drawn_by = user
    plan.status = RandomCheckStatus.DRAWN
    save_with_history(plan, user, reason=source_text(reasons.PLAN_DRAWN, seed=seed))

    targets = RandomCheckTarget.objects.bulk_create(
        [
            RandomCheckTarget(
                plan=plan,
                facility_id=drawn.facility_id,
                rank=drawn.rank,
                weight=drawn.weight,
                district=facts[drawn.facility_id].district,
                excluded_inspectors=sorted(facts[drawn.facility_id].excluded),
            )
            for drawn in result
        ],
        batch_size=2000,
    )
    target_of = {target.facility_id: target for target in targets}
    if any(target.pk is None for target in targets):  # a backend without RETURNING
        target_of = {t.facility_id: t for t in RandomCheckTarget.objects.filter(plan=plan)}
    assignments = [
        RandomCheckAssignment(
            target=target_of[drawn.facility_id],
            inspector_id=inspector_id,
            position=position,
            drawn=True,
            recorded_by=user,
        )
        for drawn in result
        for position, inspector_id in enumerate(drawn.inspector_ids, start=1)
    ]
    bulk_create_with_history(assignments, RandomCheckAssignment, batch_size=2000, default_user=user)
    return plan


# --- Verification ------------------------------------------------------------------------------


@dataclass
class Verification:
    """The outcome of re-running a plan's draw from what it stored."""

    ok: bool
    problems: list[str] = field(default_factory=list)
    pool_size: int = 0
    target_count: int = 0
    result_digest: str = ""


def stored_result(plan: RandomCheckPlan) -> list[random_draw.DrawnTarget]:
    """The draw as stored: targets in rank order with their drawn (not substitute) inspectors."""
    drawn: dict[int, list[int]] = {}
    for target_id, inspector_id in (
        RandomCheckAssignment.objects.filter(target__plan=plan, drawn=True)
        .order_by("target_id", "position")
        .values_list("target_id", "inspector_id")
    ):
        drawn.setdefault(target_id, []).append(inspector_id)
    return [
        random_draw.DrawnTarget(rank, facility_id, weight, tuple(drawn.get(pk, ())))
        for pk, rank, facility_id, weight in RandomCheckTarget.objects.filter(plan=plan)
        .order_by("rank")
        .values_list("pk", "rank", "facility_id", "weight")
    ]


def verify(plan: RandomCheckPlan) -> Verification:
    """Re-run the draw from the stored seed and pools alone and compare it with what is stored:
    the pools' digests, the targets in rank order, each target's drawn inspectors and the
    result's digest. Reads nothing else (not today's facilities, grades or inspectors)."""
    # A cancelled plan keeps the draw it had, if any: that draw stays verifiable.
    if plan.drawn_at is None or plan.pool is None or plan.inspector_pool is None:
        return Verification(ok=False, problems=[_("该计划尚未抽取。")])
    problems: list[str] = []
    entries = random_draw.unpack_pool(bytes(plan.pool))
    inspectors = random_draw.unpack_inspectors(bytes(plan.inspector_pool))
    pool_digest = random_draw.digest(random_draw.pool_text(entries))
    inspector_digest = random_draw.digest(random_draw.inspector_pool_text(inspectors))
    if pool_digest != plan.pool_digest:
        problems.append(_("抽取范围与记录的摘要不一致。"))
    stored = stored_result(plan)
    facts = {
        facility_id: random_draw.TargetFacts(facility_id, district, frozenset(excluded))
        for facility_id, district, excluded in RandomCheckTarget.objects.filter(
            plan=plan
        ).values_list("facility_id", "district", "excluded_inspectors")
    }
    salt = random_draw.salt(plan.seed, plan.pool_digest, inspector_digest)
    count = random_draw.count_for(len(entries), plan.target_count, plan.target_share)
    try:
        again = random_draw.draw(
            salt,
            entries,
            count,
            inspectors,
            facts,
            plan.inspectors_per_target,
            exclude_home_district=plan.exclude_home_district,
        )
    except random_draw.DrawImpossible:
        again = []
        problems.append(_("按记录的条件无法重现抽取。"))
    if [(t.rank, t.facility_id) for t in again] != [(t.rank, t.facility_id) for t in stored]:
        problems.append(_("重新抽取的对象与记录的对象不一致。"))
    elif [t.inspector_ids for t in again] != [t.inspector_ids for t in stored]:
        problems.append(_("重新抽取的检查人员与记录的不一致。"))
    digest = random_draw.result_digest(again)
    if digest != plan.result_digest:
        problems.append(_("重新抽取结果的摘要与记录的摘要不一致。"))
    return Verification(
        ok=not problems,
        problems=problems,
        pool_size=len(entries),
        target_count=len(again),
        result_digest=digest,
    )


# --- Publication, substitution, cancellation ---------------------------------------------------


def _open_inspections(plan: RandomCheckPlan, user: User) -> None:
    """Each target's planned random inspection with its current inspectors, set-based (a plan of
    a thousand targets in a second, not thirty): the inspections, their inspector links, their
    history rows and the history of the links, the targets' links to them, then the year's
    check plan as recording an inspection does (services.check_plans.match_planned_checks)."""
    targets = list(RandomCheckTarget.objects.filter(plan=plan).order_by("rank"))
    teams: dict[int, list[int]] = {}
    for target_id, inspector_id in (
        RandomCheckAssignment.objects.filter(target__plan=plan, withdrawn_on__isnull=True)
        .order_by("target_id", "position")
        .values_list("target_id", "inspector_id")
    ):
        teams.setdefault(target_id, []).append(inspector_id)
    for target in targets:
        check_inspectors(InspectionKind.RANDOM, len(set(teams.get(target.pk, ()))))
    inspections = Inspection.objects.bulk_create(
        [
            Inspection(
                facility_id=target.facility_id,
                kind=InspectionKind.RANDOM,
                status=InspectionStatus.PLANNED,
                start_date=plan.starts_on,
                created_by=user,
            )
            for target in targets
        ],
        batch_size=_CHUNK,
    )
    if any(inspection.pk is None for inspection in inspections):
        raise RuntimeError("the database did not return the new inspections' ids")
    for target, inspection in zip(targets, inspections, strict=True):
        target.inspection = inspection
    RandomCheckTarget.objects.bulk_update(targets, ["inspection"], batch_size=_CHUNK)
    through = Inspection.inspectors.through
    made = through.objects.bulk_create(
        [
            through(inspection_id=target.inspection_id, inspector_id=inspector_id)
            for target in targets
            for inspector_id in teams.get(target.pk, ())
        ],
        batch_size=_CHUNK,
    )
    link_id = {(link.inspection_id, link.inspector_id): link.pk for link in made}
    number_new(inspections)  # before their first history rows, which carry the numbers
    ids = [inspection.pk for inspection in inspections]
    history = Inspection.history.model  # type: ignore[attr-defined]
    links = history._meta.get_field("historicalinspection_inspectors").related_model
    team_of = {target.inspection_id: teams.get(target.pk, ()) for target in targets}
    reason = source_text(reasons.RANDOM_INSPECTION_OPENED, name=plan.name)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        write_history(Inspection.objects.filter(pk__in=chunk), kind="+", user=user, reason=reason)
        links.objects.bulk_create(
            [
                links(
                    id=link_id[(inspection_id, inspector)],
                    history_id=history_id,
                    inspection_id=inspection_id,
                    inspector_id=inspector,
                )
                for history_id, inspection_id in history.objects.filter(
                    id__in=chunk, history_type="+"
                ).values_list("history_id", "id")
                for inspector in team_of[inspection_id]
            ],
            batch_size=_CHUNK,
        )
    match_planned_checks(
        year=plan.starts_on.year, facility_ids=[t.facility_id for t in targets], user=user
    )


@transaction.atomic
def publish(
    plan: RandomCheckPlan,
    *,
    user: User,
    today: datetime.date | None = None,
    version: int | None = None,
) -> RandomCheckPlan:
    """Publish a drawn plan: it shows on the public pages, and each target becomes a planned
    random inspection (双随机抽查) from the plan's first day with its current inspectors."""
    today = today or timezone.localdate()
    _lock(plan, version)
    _within_districts(plan, user)
    if plan.status != RandomCheckStatus.DRAWN:
        raise refuse("__all__", _("只有已抽取、未公布的计划可以公布。"))
    check = verify(plan)
    if not check.ok:
        raise refuse(
            "__all__", labelled(_("抽取结果核验未通过，不能公布"), clauses(check.problems))
        )
    _open_inspections(plan, user)
    plan.status = RandomCheckStatus.PUBLISHED
    plan.published_on = today
    plan.published_by = user
    save_with_history(plan, user, reason=source_text(reasons.RANDOM_PLAN_PUBLISHED))
    publication.bump_edition()
    return plan


@transaction.atomic
def cancel(
    plan: RandomCheckPlan,
    *,
    reason: str,
    user: User,
    today: datetime.date | None = None,
    version: int | None = None,
) -> RandomCheckPlan:
    """Cancel a plan before publication (its draw, if any, stays on record)."""
    reason = required_text(reason, "reason", _("请填写撤销原因。"))
    _lock(plan, version)
    _within_districts(plan, user)
    if plan.status not in (RandomCheckStatus.DRAFT, RandomCheckStatus.DRAWN):
        raise refuse("__all__", _("已公布或已撤销的计划不能撤销。"))
    plan.status = RandomCheckStatus.CANCELLED
    plan.cancelled_on = today or timezone.localdate()
    plan.cancel_reason = reason
    save_with_history(plan, user, reason=reason)
    return plan


@transaction.atomic
def substitute(
    assignment: RandomCheckAssignment,
    *,
    reason: str,
    user: User,
    today: datetime.date | None = None,
) -> RandomCheckAssignment:
    """Withdraw an inspector from a target with a reason; the substitute is the next inspector of
    that target's draw sequence (random_draw.inspector_sequence) who is on duty now, not already
    on (or withdrawn from) the target and not in conflict: a choice the seed makes, not a person.
    The target's inspection, if not yet completed, follows."""
    reason = required_text(reason, "reason", _("请填写撤换原因。"))
    today = today or timezone.localdate()
    # Only the assignment is locked (the plan by _lock below): PostgreSQL cannot lock the
    # nullable side of the outer join to a target's inspection, which a drawn target lacks.
    assignment = (
        RandomCheckAssignment.objects.select_for_update(of=("self",))
        .select_related("target__plan", "target__inspection")
        .get(pk=assignment.pk)
    )
    target = assignment.target
    plan = target.plan
    _lock(plan, None)
    if plan.status not in (RandomCheckStatus.DRAWN, RandomCheckStatus.PUBLISHED):
        raise refuse("__all__", _("只有已抽取的计划可以撤换检查人员。"))
    if assignment.withdrawn_on is not None:
        raise refuse("__all__", _("该检查人员已被撤换。"))
    inspection = target.inspection
    if inspection is not None and inspection.status == InspectionStatus.COMPLETED:
        raise refuse("__all__", _("该对象的检查已完成，不能再撤换检查人员。"))
    pool = random_draw.unpack_inspectors(bytes(plan.inspector_pool or b""))
    districts = dict(pool)
    inspector_digest = random_draw.digest(random_draw.inspector_pool_text(pool))
    salt = random_draw.salt(plan.seed, plan.pool_digest, inspector_digest)
    involved = set(
        RandomCheckAssignment.objects.filter(target=target).values_list("inspector_id", flat=True)
    )
    on_duty = set(
        Inspector.objects.filter(pk__in=[pk for pk, _d in pool], is_active=True).values_list(
            "pk", flat=True
        )
    )
    excluded = set(target.excluded_inspectors)
    substitute_id = next(
        (
            candidate
            for candidate in random_draw.inspector_sequence(
                salt, target.facility_id, pool, skip=involved
            )
            if candidate in on_duty
            and candidate not in excluded
            and not (plan.exclude_home_district and districts.get(candidate) == target.district)
        ),
        None,
    )
    if substitute_id is None:
        raise refuse("__all__", _("执法人员库中已没有可替换的人员。"))
    assignment.withdrawn_on = today
    assignment.withdrawn_reason = reason
    save_with_history(assignment, user, reason=reason)
    position = (
        RandomCheckAssignment.objects.filter(target=target)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    replacement = RandomCheckAssignment(
        target=target,
        inspector_id=substitute_id,
        position=(position or 0) + 1,
        drawn=False,
        replaces=assignment,
        recorded_by=user,
    )
    save_with_history(replacement, user, reason=reason)
    if inspection is not None:
        inspection.inspectors.remove(assignment.inspector_id)
        inspection.inspectors.add(substitute_id)
    if plan.status == RandomCheckStatus.PUBLISHED:
        publication.bump_edition()
    return replacement


# --- Progress ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    targets: int
    planned: int
    in_progress: int
    completed: int
    with_problems: int
    overdue: int
    amount_involved: Decimal
    amount_recovered: Decimal


def progress(
    plan: RandomCheckPlan,
    today: datetime.date | None = None,
    targets: QuerySet[RandomCheckTarget] | None = None,
) -> Progress:
    """The plan's figures in one query: targets by their inspection's status, those whose
    inspection found problems (a violation or money involved), those not completed after the
    plan's last day, and the money involved and recovered."""
    today = today or timezone.localdate()
    rows = targets if targets is not None else RandomCheckTarget.objects.filter(plan=plan)
    problems = Q(inspection__status=InspectionStatus.COMPLETED) & (
        Q(inspection__amount_involved__gt=0) | Q(inspection__violations__isnull=False)
    )
    figures = rows.aggregate(
        targets=Count("pk", distinct=True),
        planned=Count(
            "pk",
            filter=Q(inspection__isnull=True) | Q(inspection__status=InspectionStatus.PLANNED),
            distinct=True,
        ),
        in_progress=Count(
            "pk", filter=Q(inspection__status=InspectionStatus.IN_PROGRESS), distinct=True
        ),
        completed=Count(
            "pk", filter=Q(inspection__status=InspectionStatus.COMPLETED), distinct=True
        ),
        with_problems=Count("pk", filter=problems, distinct=True),
    )
    money = rows.aggregate(
        involved=Sum("inspection__amount_involved"), recovered=Sum("inspection__amount_recovered")
    )
    overdue = (
        figures["targets"] - figures["completed"] if plan.ends_on < today and plan.is_drawn else 0
    )
    return Progress(
        targets=figures["targets"],
        planned=figures["planned"],
        in_progress=figures["in_progress"],
        completed=figures["completed"],
        with_problems=figures["with_problems"],
        overdue=overdue,
        amount_involved=money["involved"] or Decimal("0.00"),
        amount_recovered=money["recovered"] or Decimal("0.00"),
    )


def is_overdue(plan: RandomCheckPlan, target: RandomCheckTarget, today: datetime.date) -> bool:
    inspection = target.inspection
    done = inspection is not None and inspection.status == InspectionStatus.COMPLETED
    return plan.is_drawn and plan.ends_on < today and not done


def may_draw(user: User) -> bool:
    return bool(user and user.has_perm("supervision.draw_randomcheckplan"))


__all__ = [
    "GRADE_KEYS",
    "MAX_TARGETS",
    "PLAN_FIELDS",
    "UNRATED",
    "Progress",
    "Verification",
    "cancel",
    "create_plan",
    "draw",
    "edit_plan",
    "grade_year_of",
    "is_overdue",
    "may_draw",
    "pool_entries",
    "pool_queryset",
    "progress",
    "publish",
    "stored_result",
    "substitute",
    "verify",
]
