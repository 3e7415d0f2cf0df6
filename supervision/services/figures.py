"""The figures of a period: what the overview (总览) shows and the reports for the region (报表)
count, computed in one place so that the two agree by construction.

Pure reads. Each function takes a Scope (whose view of the tables: the permissions and districts
of supervision.scoping, or the whole city for the scheduled run) and a year, a period or a day,
and returns small frozen dataclasses of numbers; the pages and the reports add labels and links.

What a figure counts by is fixed here, and the reports and the README say it:
- grades: by rating year (评级年度), from the districts' running totals (GradeTally);
- inspections and their money: by start date (开始日期), from InspectionTally (month, kind,
  district);
- sanctions: by decision date (决定日期); the handling of a year's grades by the rating it rests
  on, whenever decided;
- referrals: by referral date (移送日期), with their outcome as of the period's last day
  (the dates of the decision and of the closing);
- tips: by date received (接收时间), with their outcome as of the period's last day; rewards by
  the date of each step (proposed, decided, paid).
A figure of a past period therefore stays the same when records of other periods are added; only
a record dated inside the period (or corrected there) changes it. The overview's "today" figures
(suspended today, open referrals) are today's state by design and are not in the reports.

A constant number of queries whatever the size of the tables; none reads more than the period's
rows of one table (the grades and inspections not even those: a few tally rows per district).
"""

from __future__ import annotations

import calendar
import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from supervision.choices import (
    CycleStatus,
    FacilityKind,
    Grade,
    InspectionKind,
    QualificationStatus,
    ReferralStatus,
    RewardStatus,
    SanctionKind,
    TipConclusion,
    TipStatus,
)
from supervision.models import (
    CreditRating,
    EvaluationCycle,
    GradeTally,
    InspectionTally,
    Practitioner,
    Referral,
    Sanction,
    Tip,
    TipReward,
)
from supervision.models.sanction import add_months
from supervision.scoping import UserLike, scoped_queryset, user_districts

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
OPEN_REFERRAL_STATUSES = [s for s in ReferralStatus if s != ReferralStatus.CLOSED]
_FINAL_CYCLES = [CycleStatus.FINAL, CycleStatus.ANNOUNCED]
# The measures whose terms the reports detail (the others are counted by kind).
DETAILED_MEASURES = [
    SanctionKind.SUSPENSION,
    SanctionKind.DEPOSIT_RECOVERY,
    SanctionKind.COMMENDATION,
]
# Money decided back into the fund (the fines go to the treasury, not to the fund).
TO_THE_FUND = [SanctionKind.FUND_RECOVERY, SanctionKind.DEPOSIT_RECOVERY]


# --- Whose view, which period ----------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose view of the tables: a user's (supervision.scoping: view permissions, districts) or,
    with user None, every record of every district (the scheduled run on the server)."""

    user: UserLike = None

    def __call__(self, queryset: QuerySet) -> QuerySet:
        return queryset if self.user is None else scoped_queryset(self.user, queryset)

    @property
    def districts(self) -> frozenset[str] | None:
        """The districts the figures are limited to; None: every district."""
        return None if self.user is None else user_districts(self.user)


@dataclass(frozen=True)
class Period:
    """A calendar month (month 1–12) or a calendar year (month None)."""

    year: int
    month: int | None = None

    @property
    def is_year(self) -> bool:
        return self.month is None

    @property
    def first(self) -> datetime.date:
        return datetime.date(self.year, self.month or 1, 1)

    @property
    def last(self) -> datetime.date:
        month = self.month or 12
        return datetime.date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def last_month(self) -> datetime.date:
        """The first day of the period's last month (the tallies are kept by month)."""
        return self.last.replace(day=1)

    @property
    def slug(self) -> str:
        return f"{self.year:04d}" if self.month is None else f"{self.year:04d}-{self.month:02d}"

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The period as local instants: [its first day's midnight, the next period's)."""
        after = self.last + datetime.timedelta(days=1)
        start = datetime.datetime.combine(self.first, datetime.time.min)
        end = datetime.datetime.combine(after, datetime.time.min)
        return timezone.make_aware(start), timezone.make_aware(end)

    def months(self) -> list[datetime.date]:
        return [
            datetime.date(self.year, m, 1) for m in range(self.first.month, self.last.month + 1)
        ]


def money(value: Decimal | None) -> Decimal:
    """A sum of money to the cent (SQLite sums decimals with float noise)."""
    return ZERO if value is None else Decimal(value).quantize(CENT)


def month_of(day: datetime.date) -> Period:
    return Period(day.year, day.month)


# --- Grades ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeCounts:
    """Facilities holding each grade for a rating year, per district."""

    year: int
    cells: dict[tuple[str, str], int] = field(default_factory=dict)  # (district, grade) → n

    @property
    def by_grade(self) -> dict[str, int]:
        counts = dict.fromkeys(Grade.values, 0)
        for (_district, grade), n in self.cells.items():
            counts[grade] = counts.get(grade, 0) + n
        return counts

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    def of_district(self, district: str) -> dict[str, int]:
        return {grade: self.cells.get((district, grade), 0) for grade in Grade.values}


def grades_of_year(scope: Scope, year: int) -> GradeCounts:
    """The year's grades from the districts' running totals: one GROUP BY of a few rows."""
    rows = (
        scope(GradeTally.objects.filter(year=year))
        .order_by()
        .values_list("district", "grade")
        .annotate(n=Sum("facilities"))
    )
    return GradeCounts(year, {(d, g): n or 0 for d, g, n in rows if n})


def grades_by_kind(scope: Scope, year: int) -> dict[tuple[str, str], int]:
    """(facility kind, grade) → facilities rated so for year: one GROUP BY over the year's
    ratings (rating_year_grade_idx), joined to their facilities."""
    rows = (
        scope(CreditRating.objects.filter(year=year))
        .order_by()
        .values_list("facility__kind", "grade")
        .annotate(n=Count("id"))
    )
    return {(kind, grade): n for kind, grade, n in rows}


# --- Inspections and their money --------------------------------------------------------------


@dataclass(frozen=True)
class InspectionSums:
    """How many inspections began, and the money they involved and recovered."""

    count: int = 0
    involved: Decimal = ZERO
    recovered: Decimal = ZERO

    def __add__(self, other: InspectionSums) -> InspectionSums:
        return InspectionSums(
            self.count + other.count,
            self.involved + other.involved,
            self.recovered + other.recovered,
        )


def total(sums: Iterable[InspectionSums]) -> InspectionSums:
    return sum(sums, InspectionSums())


def inspections_by(
    scope: Scope, first_month: datetime.date, last_month: datetime.date, key: str
) -> dict[Any, InspectionSums]:
    """The inspections begun from first_month to last_month (first days of months), grouped by
    "kind", "district" or "month", from the running totals: one GROUP BY of a few rows."""
    if key not in ("kind", "district", "month"):
        raise ValueError(key)
    rows = (
        scope(InspectionTally.objects.filter(month__range=(first_month, last_month)))
        .order_by()
        .values_list(key)
        .annotate(
            n=Sum("inspections"),
            involved=Sum("amount_involved"),
            recovered=Sum("amount_recovered"),
        )
    )
    return {
        value: InspectionSums(n or 0, money(involved), money(recovered))
        for value, n, involved, recovered in rows
    }


def inspections_by_kind(
    scope: Scope, first_month: datetime.date, last_month: datetime.date
) -> dict[str, InspectionSums]:
    """Every kind of inspection (zero where none began), in InspectionKind's order."""
    found = inspections_by(scope, first_month, last_month, "kind")
    return {kind.value: found.get(kind.value, InspectionSums()) for kind in InspectionKind}


# --- Sanctions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindTotal:
    """Measures of one kind: how many, and their amounts (None: the kind has no amount)."""

    kind: str
    count: int
    amount: Decimal | None


def _by_kind(rows: Iterable[dict[str, Any]]) -> dict[str, KindTotal]:
    found = {row["kind"]: row for row in rows}
    return {
        kind.value: KindTotal(
            kind.value,
            found[kind.value]["n"],
            None if found[kind.value]["amount"] is None else money(found[kind.value]["amount"]),
        )
        for kind in SanctionKind
        if kind.value in found
    }


def sanctions_decided(
    scope: Scope, first: datetime.date, last: datetime.date
) -> dict[str, KindTotal]:
    """Measures decided from first to last by kind (the kinds with any), with their amounts:
    one GROUP BY over the decision-date index."""
    rows = (
        scope(Sanction.objects.filter(decided_on__range=(first, last)))
        .order_by()
        .values("kind")
        .annotate(n=Count("id"), amount=Sum("amount"))
    )
    return _by_kind(rows)


@dataclass(frozen=True)
class Handling:
    """The measures resting on a year's grades (a D grade's suspension, an A grade's plaque),
    by kind, and the span of their decision dates."""

    year: int
    by_kind: dict[str, KindTotal]
    first: datetime.date | None
    last: datetime.date | None


def handling_of_grades(scope: Scope, year: int) -> Handling:
    """One GROUP BY over the sanctions that rest on a rating (few), joined to their ratings."""
    rows = list(
        scope(Sanction.objects.filter(rating__year=year))
        .order_by()
        .values("kind")
        .annotate(
            n=Count("id"), amount=Sum("amount"), first=Min("decided_on"), last=Max("decided_on")
        )
    )
    return Handling(
        year,
        _by_kind(rows),
        min((row["first"] for row in rows), default=None),
        max((row["last"] for row in rows), default=None),
    )


@dataclass(frozen=True, order=True)
class Term:
    """A suspension's length: whole months when it runs whole months (the last day included),
    and its days in any case."""

    days: int
    months: int | None


def term_of(starts_on: datetime.date, ends_on: datetime.date) -> Term:
    days = (ends_on - starts_on).days + 1
    for months in range(1, 13):
        if add_months(starts_on, months) - datetime.timedelta(days=1) == ends_on:
            return Term(days, months)
    return Term(days, None)


@dataclass(frozen=True)
class MeasureTerms:
    """The terms of the detailed measures: suspensions by facility kind and length, deposit
    recoveries by facility kind and percent (with their amounts), plaques by facility kind."""

    suspensions: dict[tuple[str, Term], int]
    deposit_recoveries: dict[tuple[str, Decimal], tuple[int, Decimal]]
    commendations: dict[str, int]


def _terms(queryset: QuerySet) -> MeasureTerms:
    rows = (
        queryset.filter(kind__in=DETAILED_MEASURES)
        .order_by()
        .values("kind", "facility__kind", "starts_on", "ends_on", "deposit_percent")
        .annotate(n=Count("id"), amount=Sum("amount"))
    )
    suspensions: Counter[tuple[str, Term]] = Counter()
    recoveries: dict[tuple[str, Decimal], tuple[int, Decimal]] = {}
    plaques: Counter[str] = Counter()
    for row in rows:
        kind, facility_kind, n = row["kind"], row["facility__kind"], row["n"]
        if kind == SanctionKind.SUSPENSION and row["starts_on"] and row["ends_on"]:
            suspensions[(facility_kind, term_of(row["starts_on"], row["ends_on"]))] += n
        elif kind == SanctionKind.DEPOSIT_RECOVERY and row["deposit_percent"] is not None:
            key = (facility_kind, row["deposit_percent"])
            count, amount = recoveries.get(key, (0, ZERO))
            recoveries[key] = (count + n, amount + money(row["amount"]))
        elif kind == SanctionKind.COMMENDATION:
            plaques[facility_kind] += n
    order = {kind.value: index for index, kind in enumerate(FacilityKind)}
    return MeasureTerms(
        dict(sorted(suspensions.items(), key=lambda item: (order.get(item[0][0], 99), item[0][1]))),
        dict(sorted(recoveries.items(), key=lambda item: (order.get(item[0][0], 99), item[0][1]))),
        dict(sorted(plaques.items(), key=lambda item: order.get(item[0], 99))),
    )


def terms_decided(scope: Scope, first: datetime.date, last: datetime.date) -> MeasureTerms:
    """The terms of the measures decided from first to last: one GROUP BY."""
    return _terms(scope(Sanction.objects.filter(decided_on__range=(first, last))))


def terms_of_grades(scope: Scope, year: int) -> MeasureTerms:
    """The terms of the measures resting on year's grades: one GROUP BY."""
    return _terms(scope(Sanction.objects.filter(rating__year=year)))


def money_to_the_fund(decided: dict[str, KindTotal]) -> Decimal:
    """Money decided back into the fund: recovered fund money and recovered deposits."""
    return sum((decided[kind].amount or ZERO for kind in TO_THE_FUND if kind in decided), ZERO)


# --- Today's state (the overview only) ---------------------------------------------------------


def suspended_on(scope: Scope, day: datetime.date) -> int:
    """Facilities whose agreement is suspended on day (and not terminated), from the
    sanctions' (kind, starts_on, ends_on) index rather than a pass over every facility."""
    sanctions = scope(Sanction.objects.all())
    terminated = sanctions.filter(kind=SanctionKind.TERMINATION, starts_on__lte=day)
    return (
        sanctions.in_force_on(day)
        .exclude(facility__in=terminated.values("facility"))
        .order_by()
        .values("facility")
        .distinct()
        .count()
    )


def practitioners_with_status(scope: Scope, day: datetime.date) -> dict[str, int]:
    """Practitioners whose payment qualification is suspended, and terminated, on day: driven
    from the few measures in force (with_qualification_status_in), one count each."""
    people = scope(Practitioner.objects.all())
    return {
        status.value: people.with_qualification_status_in([status.value], day).order_by().count()
        for status in (QualificationStatus.SUSPENDED, QualificationStatus.TERMINATED)
    }


def open_referrals(scope: Scope) -> dict[str, int]:
    """Referrals not closed, whatever their year, by status (every open status, zero if none)."""
    counts = dict(
        scope(Referral.objects.filter(status__in=OPEN_REFERRAL_STATUSES))
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    return {status.value: counts.get(status.value, 0) for status in OPEN_REFERRAL_STATUSES}


@dataclass(frozen=True)
class CreditCycles:
    in_progress: list[EvaluationCycle]
    latest_year: int | None
    latest: list[EvaluationCycle]


def credit_cycles() -> CreditCycles:
    """The annual evaluations in progress and those of the latest finalised year, with their
    stored counts (one query). The cycles are the city's: the caller checks the permission."""
    cycles = list(EvaluationCycle.objects.order_by("-year", "category__number")[:40])
    done = [c for c in cycles if c.status in _FINAL_CYCLES]
    latest = done[0].year if done else None
    return CreditCycles(
        [c for c in cycles if c.status not in _FINAL_CYCLES],
        latest,
        [c for c in done if c.year == latest],
    )


# --- Referrals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralOutcomes:
    """Referrals made to an agency in a period and where they stood on its last day."""

    referred: int = 0
    pending: int = 0  # no decision yet (已移送)
    accepted: int = 0  # 已立案
    declined: int = 0  # 不予立案
    closed: int = 0  # of the accepted and declined, closed (已结案)

    def __add__(self, other: ReferralOutcomes) -> ReferralOutcomes:
        return ReferralOutcomes(
            *(a + b for a, b in zip(self.counts(), other.counts(), strict=True))
        )

    def counts(self) -> tuple[int, int, int, int, int]:
        return (self.referred, self.pending, self.accepted, self.declined, self.closed)


def referrals_of_period(
    scope: Scope, first: datetime.date, last: datetime.date
) -> dict[str, ReferralOutcomes]:
    """Referrals made from first to last by agency (those with any), each with its outcome as
    of last: decided when its decision date is on or before last; accepted when it was
    accepted (a closed one: when it carries the case number an acceptance requires);
    closed when its closing date is. One GROUP BY over referral_agency_idx."""
    decided = Q(decided_on__lte=last)
    accepted = decided & (
        Q(status=ReferralStatus.ACCEPTED) | (Q(status=ReferralStatus.CLOSED) & ~Q(case_number=""))
    )
    rows = (
        scope(Referral.objects.filter(referred_on__range=(first, last)))
        .order_by()
        .values("agency")
        .annotate(
            n=Count("id"),
            decided=Count("id", filter=decided),
            accepted=Count("id", filter=accepted),
            closed=Count("id", filter=Q(closed_on__lte=last)),
        )
    )
    return {
        row["agency"]: ReferralOutcomes(
            referred=row["n"],
            pending=row["n"] - row["decided"],
            accepted=row["accepted"],
            declined=row["decided"] - row["accepted"],
            closed=row["closed"],
        )
        for row in rows
    }


# --- Tips and rewards --------------------------------------------------------------------------


@dataclass(frozen=True)
class TipOutcomes:
    """Tips received by one channel in a period and where they stood on its last day."""

    received: int = 0
    pending: int = 0  # not decided (待受理)
    merged: int = 0  # merged into another tip (重复并案)
    not_accepted: int = 0  # 不予受理
    investigating: int = 0  # accepted, not concluded
    substantiated: int = 0  # concluded: 属实
    partly: int = 0  # concluded: 部分属实
    not_substantiated: int = 0  # concluded: 不属实
    verified: Decimal = ZERO  # money verified by the conclusions

    def __add__(self, other: TipOutcomes) -> TipOutcomes:
        names = [f for f in self.__dataclass_fields__]
        return TipOutcomes(**{n: getattr(self, n) + getattr(other, n) for n in names})


# A tip that was refused, or refused and then answered or closed, has no conclusion; a tip that
# was accepted is concluded before it is answered or closed (TIP_TRANSITIONS).
_REFUSED_STATUSES = [TipStatus.NOT_ACCEPTED, TipStatus.REPLIED, TipStatus.CLOSED]


def tips_of_period(scope: Scope, period: Period) -> dict[str, TipOutcomes]:
    """Tips received in period by channel (those with any), each with its outcome as of the
    period's last day, from its dates: the acceptance decision, the conclusion; a merge, which
    has no date of its own, by the time its history records it. Two queries: one GROUP BY over
    the period's tips (tip_channel_idx), one over the merges among them."""
    start, end = period.bounds()
    last = period.last
    tips = scope(Tip.objects.filter(received_at__gte=start, received_at__lt=end))
    decided = Q(decided_on__lte=last)
    concluded = Q(concluded_on__lte=last)
    refused = decided & Q(conclusion="") & Q(status__in=_REFUSED_STATUSES)
    conclusions = {
        c.value: Count("id", filter=concluded & Q(conclusion=c.value)) for c in TipConclusion
    }
    rows = (
        tips.order_by()
        .values("channel")
        .annotate(
            n=Count("id"),
            decided=Count("id", filter=decided),
            refused=Count("id", filter=refused),
            concluded=Count("id", filter=concluded),
            verified=Sum("verified_amount", filter=concluded),
            **conclusions,
        )
    )
    merged = dict(
        Tip.history.filter(id__in=tips.values("id"), status=TipStatus.MERGED, history_date__lt=end)
        .order_by()
        .values_list("channel")
        .annotate(n=Count("id", distinct=True))
    )
    found = {}
    for row in rows:
        channel = row["channel"]
        merges = min(merged.get(channel, 0), row["n"] - row["decided"])
        found[channel] = TipOutcomes(
            received=row["n"],
            pending=row["n"] - row["decided"] - merges,
            merged=merges,
            not_accepted=row["refused"],
            investigating=row["decided"] - row["refused"] - row["concluded"],
            substantiated=row[TipConclusion.SUBSTANTIATED.value],
            partly=row[TipConclusion.PARTLY.value],
            not_substantiated=row[TipConclusion.NOT_SUBSTANTIATED.value],
            verified=money(row["verified"]),
        )
    return found


@dataclass(frozen=True)
class RewardSteps:
    """Tip rewards by the step taken in a period, whatever the period of their tip."""

    proposed: int = 0
    proposed_amount: Decimal = ZERO
    approved: int = 0
    approved_amount: Decimal = ZERO
    refused: int = 0
    paid: int = 0
    paid_amount: Decimal = ZERO


def rewards_of_period(scope: Scope, first: datetime.date, last: datetime.date) -> RewardSteps:
    """Rewards proposed, approved (still approved, then paid or expired), refused and paid in
    the period, by the date of each step: one aggregate."""
    proposed = Q(proposed_on__range=(first, last))
    decided = Q(decided_on__range=(first, last))
    approved = decided & Q(
        status__in=[RewardStatus.APPROVED, RewardStatus.PAID, RewardStatus.EXPIRED]
    )
    paid = Q(paid_on__range=(first, last))
    totals = scope(TipReward.objects.filter(proposed | decided | paid)).aggregate(
        proposed=Count("id", filter=proposed),
        proposed_amount=Sum("amount", filter=proposed),
        approved=Count("id", filter=approved),
        approved_amount=Sum("amount", filter=approved),
        refused=Count("id", filter=decided & Q(status=RewardStatus.REFUSED)),
        paid=Count("id", filter=paid),
        paid_amount=Sum("amount", filter=paid),
    )
    return RewardSteps(
        **{
            name: money(value) if name.endswith("_amount") else value or 0
            for name, value in totals.items()
        }
    )


# --- Lists behind the figures (bounded) ------------------------------------------------------


def listed(queryset: QuerySet, limit: int) -> tuple[list[Any], bool]:
    """The first limit rows and whether there were more (one query: limit + 1 rows)."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


def severe_measures_decided(
    scope: Scope, first: datetime.date, last: datetime.date, limit: int
) -> tuple[list[Sanction], bool]:
    """The measures other than warnings and plaques decided in the period, oldest first."""
    queryset = (
        scope(Sanction.objects.filter(decided_on__range=(first, last)))
        .exclude(kind__in=[SanctionKind.WARNING, SanctionKind.COMMENDATION])
        .select_related("facility")
        .order_by("decided_on", "id")
    )
    return listed(queryset, limit)


def measures_of_grades(scope: Scope, year: int, limit: int) -> tuple[list[Sanction], bool]:
    """The measures resting on year's grades other than plaques, oldest first."""
    queryset = (
        scope(Sanction.objects.filter(rating__year=year))
        .exclude(kind=SanctionKind.COMMENDATION)
        .select_related("facility", "rating")
        .order_by("decided_on", "id")
    )
    return listed(queryset, limit)


def referrals_made(
    scope: Scope, first: datetime.date, last: datetime.date, limit: int
) -> tuple[list[Referral], bool]:
    queryset = (
        scope(Referral.objects.filter(referred_on__range=(first, last)))
        .select_related("inspection__facility")
        .order_by("referred_on", "id")
    )
    return listed(queryset, limit)


def referral_state_on(referral: Referral, day: datetime.date) -> str:
    """A referral's status as of day, from its dates (as referrals_of_period counts it)."""
    if referral.closed_on and referral.closed_on <= day:
        return ReferralStatus.CLOSED
    if referral.decided_on and referral.decided_on <= day:
        accepted = referral.status == ReferralStatus.ACCEPTED or (
            referral.status == ReferralStatus.CLOSED and referral.case_number
        )
        return ReferralStatus.ACCEPTED if accepted else ReferralStatus.DECLINED
    return ReferralStatus.REFERRED
