"""Generate realistic, valid, deterministic data in bulk for load tests and benchmarks.

    python manage.py generate_data --facilities 100000 --inspections 300000 --years 3 --seed 1

Rows are written with bulk inserts and no per-row history (like an import, not staff edits).
Run it on a database without generated data. The same seed gives the same rows, except that
sanction dates are counted back from the day it runs, so that some suspensions are in force.
"""

from __future__ import annotations

import datetime
import random
import sys
from collections.abc import Iterator
from decimal import Decimal
from itertools import islice

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from supervision.choices import (
    DIVISION_CODES,
    District,
    FacilityKind,
    Grade,
    InspectionKind,
    InspectionStatus,
    Ownership,
    SanctionKind,
    Violation,
    Zone,
)
from supervision.codes import credit_code_check_char
from supervision.models import (
    CreditRating,
    Facility,
    Inspection,
    Inspector,
    RatingChange,
    Sanction,
)

BATCH = 5000
MARK = "generate_data"
KIND_WEIGHTS = {
    FacilityKind.PHARMACY: 55,
    FacilityKind.CLINIC: 33,
    FacilityKind.HOSPITAL: 11,
    FacilityKind.INSURER: 1,
}
# The 2024 Lhasa distribution: A 69, B 234, C 42, D 5 of 350.
GRADE_WEIGHTS = {Grade.A: 69, Grade.B: 234, Grade.C: 42, Grade.D: 5}
INSPECTION_KIND_WEIGHTS = {
    InspectionKind.ROUTINE: 40,
    InspectionKind.RANDOM: 20,
    InspectionKind.UNANNOUNCED: 10,
    InspectionKind.CAMPAIGN: 12,
    InspectionKind.JOINT: 5,
    InspectionKind.SELF: 8,
    InspectionKind.FOLLOWUP: 5,
}
WORDS = ["格桑", "雪域", "康宁", "吉祥", "圣城", "高原"]
WORDS += ["阳光", "仁和", "福瑞", "安康", "德吉", "扎西"]
SUFFIX = {
    FacilityKind.PHARMACY: "大药房",
    FacilityKind.CLINIC: "诊所",
    FacilityKind.HOSPITAL: "医院",
    FacilityKind.INSURER: "保险公司",
}
# Generated codes use sequence numbers from 01000 up, leaving the low ones to hand-made data.
INSURANCE_SEQ_START = 1000
DIVISIONS = sorted(DIVISION_CODES)


def _weighted(rng: random.Random, weights: dict) -> list:
    return rng.choices(list(weights), weights=list(weights.values()), k=1)[0]


def _batched(items: Iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(items, size)):
        yield chunk


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, max(total, 1), 0

    def advance(self, n: int) -> None:
        self.done += n
        width = 30
        filled = int(width * self.done / self.total)
        sys.stderr.write(
            f"\r{self.label:<12} [{'#' * filled}{'.' * (width - filled)}] "
            f"{self.done:>9,}/{self.total:,}"
        )
        if self.done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


class Command(BaseCommand):
    help = "Generate valid facilities, ratings, inspections and sanctions in bulk."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--facilities", type=int, default=10_000)
        parser.add_argument("--inspections", type=int, default=30_000)
        parser.add_argument("--years", type=int, default=3, help="rated years, ending in 2024")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, **opts) -> None:
        n_fac, n_insp, years, seed = (
            opts["facilities"],
            opts["inspections"],
            opts["years"],
            opts["seed"],
        )
        if n_fac < 1 or n_insp < 0 or not 1 <= years <= 6:
            raise CommandError("--facilities ≥ 1, --inspections ≥ 0, --years from 1 to 6.")
        if n_fac > len(DIVISIONS) * 2 * (100_000 - INSURANCE_SEQ_START):
            raise CommandError("Too many facilities for distinct insurance codes.")
        if Facility.objects.filter(note__startswith=MARK).exists():
            raise CommandError("This database already has generated data; use a fresh one.")
        self.rng = random.Random(seed)
        self.quiet = opts["quiet"]
        with transaction.atomic():
            inspectors = self._inspectors(seed)
            facility_ids = self._facilities(n_fac, seed)
            self._ratings(facility_ids, years)
            self._inspections(facility_ids, inspectors, n_insp)
            self._sanctions(facility_ids)
        self.stdout.write(
            f"Generated {n_fac:,} facilities, {n_fac * years:,} ratings, "
            f"{n_insp:,} inspections (seed {seed})."
        )

    def _progress(self, label: str, total: int) -> Progress | None:
        return None if self.quiet else Progress(label, total)

    def _bulk(self, model, rows: Iterator, total: int, label: str) -> list[int]:
        progress = self._progress(label, total)
        ids: list[int] = []
        for chunk in _batched(rows, BATCH):
            created = model.objects.bulk_create(chunk, batch_size=BATCH)
            ids.extend(obj.pk for obj in created)
            if progress:
                progress.advance(len(chunk))
        return ids

    def _inspectors(self, seed: int) -> list[int]:
        rows = (
            Inspector(name=f"示例检查员{i:03d}", badge_number=f"GEN{seed:04d}{i:05d}")
            for i in range(1, 201)
        )
        return self._bulk(Inspector, rows, 200, "inspectors")

    def _facilities(self, count: int, seed: int) -> list[int]:
        rng = self.rng
        districts = District.values
        zones = list(Zone.values)
        sequences: dict[tuple[str, str], int] = {}

        def rows() -> Iterator[Facility]:
            for i in range(count):
                kind = FacilityKind(_weighted(rng, KIND_WEIGHTS))
                district = districts[i % len(districts)]
                ownership = (
                    Ownership.PUBLIC
                    if kind == FacilityKind.HOSPITAL and rng.random() < 0.6
                    else Ownership.PRIVATE
                )
                prefix = "12" if ownership == Ownership.PUBLIC else rng.choice(["91", "92", "52"])
                first17 = f"{prefix}{district}{seed % 100:02d}{i:07d}"
                letter = kind.insurance_code_letter
                insurance_code = ""
                if letter:
                    division = DIVISIONS[(i // len(districts)) % len(DIVISIONS)]
                    seq = sequences.get((letter, division), INSURANCE_SEQ_START)
                    sequences[(letter, division)] = seq + 1
                    insurance_code = f"{letter}{division}{seq:05d}"
                yield Facility(
                    name=f"示例{rng.choice(WORDS)}{rng.choice(WORDS)}{SUFFIX[kind]}{i:07d}",
                    kind=kind,
                    ownership=ownership,
                    district=district,
                    zone=rng.choice(zones) if rng.random() < 0.05 else "",
                    credit_code=first17 + credit_code_check_char(first17),
                    insurance_code=insurance_code,
                    address=f"示例路{rng.randint(1, 999)}号",
                    deposit=Decimal(0)
                    if kind == FacilityKind.INSURER
                    else Decimal(rng.randrange(10_000, 500_000, 1000)),
                    designated_on=datetime.date(2015, 1, 1)
                    + datetime.timedelta(days=rng.randrange(3600)),
                    note=f"{MARK} seed={seed}",
                )

        return self._bulk(Facility, rows(), count, "facilities")

    def _ratings(self, facility_ids: list[int], years: int) -> None:
        rng = self.rng
        year_list = list(range(2024 - years + 1, 2025))
        total = len(facility_ids) * years

        def ratings() -> Iterator[CreditRating]:
            for facility_id in facility_ids:
                for year in year_list:
                    yield CreditRating(
                        facility_id=facility_id,
                        year=year,
                        grade=_weighted(rng, GRADE_WEIGHTS),
                        rated_on=datetime.date(year + 1, 3, 15),
                        basis=f"{year}年度医保信用评价",
                    )

        progress = self._progress("ratings", total)
        for chunk in _batched(ratings(), BATCH):
            created = CreditRating.objects.bulk_create(chunk, batch_size=BATCH)
            RatingChange.objects.bulk_create(
                [
                    RatingChange(
                        rating_id=r.pk,
                        to_grade=r.grade,
                        reason=f"{r.year}年度信用评价结果",
                        changed_at=datetime.datetime(r.year + 1, 3, 15, 10, 0, tzinfo=datetime.UTC),
                    )
                    for r in created
                ],
                batch_size=BATCH,
            )
            if progress:
                progress.advance(len(chunk))

    def _inspections(self, facility_ids: list[int], inspectors: list[int], count: int) -> None:
        rng = self.rng
        through = Inspection.inspectors.through
        violations_through = Inspection.violations.through
        violation_codes = Violation.values
        first_day = datetime.date(2022, 1, 1)
        progress = self._progress("inspections", count)

        def rows() -> Iterator[Inspection]:
            for _ in range(count):
                kind = InspectionKind(_weighted(rng, INSPECTION_KIND_WEIGHTS))
                start = first_day + datetime.timedelta(days=rng.randrange(1460))
                status = (
                    InspectionStatus.COMPLETED
                    if rng.random() < 0.9
                    else InspectionStatus.IN_PROGRESS
                )
                involved = Decimal(rng.randrange(0, 200_000)) if rng.random() < 0.3 else Decimal(0)
                yield Inspection(
                    facility_id=rng.choice(facility_ids),
                    kind=kind,
                    status=status,
                    start_date=start,
                    end_date=start + datetime.timedelta(days=rng.randrange(4))
                    if status == InspectionStatus.COMPLETED
                    else None,
                    findings="示例：检查发现问题已责令整改。" if involved else "",
                    amount_involved=involved,
                    amount_recovered=(involved * Decimal(rng.randrange(0, 101)) / 100).quantize(
                        Decimal("0.01")
                    ),
                )

        for chunk in _batched(rows(), BATCH):
            created = Inspection.objects.bulk_create(chunk, batch_size=BATCH)
            links, found = [], []
            for inspection in created:
                if inspection.kind != InspectionKind.SELF:
                    for inspector_id in rng.sample(inspectors, 2):
                        links.append(
                            through(inspection_id=inspection.pk, inspector_id=inspector_id)
                        )
                if inspection.amount_involved:
                    found.append(
                        violations_through(
                            inspection_id=inspection.pk,
                            violationcategory_id=rng.choice(violation_codes),
                        )
                    )
            through.objects.bulk_create(links, batch_size=BATCH)
            violations_through.objects.bulk_create(found, batch_size=BATCH)
            if progress:
                progress.advance(len(chunk))

    def _sanctions(self, facility_ids: list[int]) -> None:
        """Suspensions for about 1 in 200 facilities, a third of them in force today; fines."""
        rng = self.rng
        today = datetime.date.today()
        rows = []
        for facility_id in rng.sample(facility_ids, max(1, len(facility_ids) // 200)):
            starts = today - datetime.timedelta(days=rng.randrange(0, 180))
            rows.append(
                Sanction(
                    facility_id=facility_id,
                    kind=SanctionKind.SUSPENSION,
                    decided_on=starts - datetime.timedelta(days=7),
                    starts_on=starts,
                    ends_on=starts + datetime.timedelta(days=rng.choice([29, 59, 89])),
                    decision_number=f"示例〔{starts.year}〕{len(rows) + 1}号",
                )
            )
        for facility_id in rng.sample(facility_ids, max(1, len(facility_ids) // 100)):
            rows.append(
                Sanction(
                    facility_id=facility_id,
                    kind=SanctionKind.FINE,
                    decided_on=today - datetime.timedelta(days=rng.randrange(1, 700)),
                    amount=Decimal(rng.randrange(1_000, 100_000)),
                )
            )
        self._bulk(Sanction, iter(rows), len(rows), "sanctions")
