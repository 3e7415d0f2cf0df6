"""Generate realistic, valid, deterministic data in bulk for load tests and benchmarks.

    python manage.py generate_data --facilities 1000000 --inspections 5000000 --years 3 --seed 1

Rows are written in bulk with no per-row history (like an import, not staff edits) by the
writers of supervision.bulkload: on PostgreSQL by COPY, elsewhere by bulk_create. Both write the
same rows for the same seed: every random draw happens in one place, row by row, before the
writer sees it.
Run it on a database without generated data. Sanction dates are counted back from the day it
runs, so that some suspensions are in force.
"""

from __future__ import annotations

import datetime
import random
from array import array
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import accumulate

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction

from supervision import tallies
from supervision.bulkload import Progress, writer_for
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
from supervision.search import search_keys

MARK = "generate_data"
INSPECTORS = 200
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
LAST_YEAR = 2024


class Weighted:
    """A weighted choice that costs one random() per draw (cumulative weights computed once)."""

    def __init__(self, weights: dict) -> None:
        self.values = [getattr(key, "value", key) for key in weights]
        self.cumulative = list(accumulate(weights.values()))

    def draw(self, rng: random.Random) -> str:
        return rng.choices(self.values, cum_weights=self.cumulative, k=1)[0]


# The command -----------------------------------------------------------------------------------


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
        self.writer = writer_for(self.quiet)
        loaded = [
            Inspector,
            Facility,
            CreditRating,
            RatingChange,
            Inspection,
            Inspection.inspectors.through,
            Inspection.violations.through,
            Sanction,
        ]
        with transaction.atomic():
            # The overview's totals: off row by row where the database allows it (a trigger
            # per copied row would double the load), then recomputed in one pass at the end,
            # before anyone sees the new rows.
            switched_off = tallies.set_enabled(connection, False)
            with self.writer.loading(loaded):
                inspectors = self._inspectors(seed)
                facility_ids = self._facilities(n_fac, seed)
                self._ratings(facility_ids, years)
                self._inspections(facility_ids, inspectors, n_insp)
                self._sanctions(facility_ids)
            if switched_off:
                tallies.set_enabled(connection, True)
                tallies.rebuild(connection)
        self.writer.finish(loaded)
        self.stdout.write(
            f"Generated {n_fac:,} facilities, {n_fac * years:,} ratings, "
            f"{n_insp:,} inspections (seed {seed})."
        )

    def _write(self, model, fields: Sequence[str], rows: Iterable[tuple], total: int, label: str):
        self.writer.write(model, fields, rows, Progress(label, total, self.quiet))

    def _ids(self, model: type[models.Model], count: int) -> range:
        first = self.writer.reserve_ids(model, count)
        return range(first, first + count)

    def _inspectors(self, seed: int) -> range:
        ids = self._ids(Inspector, INSPECTORS)
        rows = (
            (pk, f"示例检查员{i:03d}", f"GEN{seed:04d}{i:05d}") for i, pk in enumerate(ids, start=1)
        )
        self._write(Inspector, ["id", "name", "badge_number"], rows, INSPECTORS, "inspectors")
        return ids

    def _facilities(self, count: int, seed: int) -> range:
        rng = self.rng
        ids = self._ids(Facility, count)
        districts = District.values
        zones = list(Zone.values)
        kinds = Weighted(KIND_WEIGHTS)
        sequences: dict[tuple[str, str], int] = {}
        first_day = datetime.date(2015, 1, 1)
        # A generated name is one of a few hundred Chinese stems and a number: the stem's keys
        # (supervision.search) are computed once, and the number, read as itself, ends each.
        stem_keys: dict[str, list[str]] = {}

        def keys_of(stem: str, number: str) -> str:
            keys = stem_keys.get(stem)
            if keys is None:
                keys = stem_keys[stem] = search_keys(stem).split()
            return " " + " ".join(key + number for key in keys)

        def rows() -> Iterator[tuple]:
            for i, pk in enumerate(ids):
                kind = FacilityKind(kinds.draw(rng))
                district = districts[i % len(districts)]
                public = kind == FacilityKind.HOSPITAL and rng.random() < 0.6
                prefix = "12" if public else rng.choice(["91", "92", "52"])
                first17 = f"{prefix}{district}{seed % 100:02d}{i:07d}"
                letter = kind.insurance_code_letter
                insurance_code = ""
                if letter:
                    division = DIVISIONS[(i // len(districts)) % len(DIVISIONS)]
                    seq = sequences.get((letter, division), INSURANCE_SEQ_START)
                    sequences[(letter, division)] = seq + 1
                    insurance_code = f"{letter}{division}{seq:05d}"
                stem = f"示例{rng.choice(WORDS)}{rng.choice(WORDS)}{SUFFIX[kind]}"
                number = f"{i:07d}"
                zone = rng.choice(zones) if rng.random() < 0.05 else ""
                address = f"示例路{rng.randint(1, 999)}号"
                deposit = (
                    Decimal(0)
                    if kind == FacilityKind.INSURER
                    else Decimal(rng.randrange(10_000, 500_000, 1000))
                )
                designated_on = first_day + datetime.timedelta(days=rng.randrange(3600))
                yield (
                    pk,
                    stem + number,
                    kind.value,
                    (Ownership.PUBLIC if public else Ownership.PRIVATE).value,
                    district,
                    zone,
                    first17 + credit_code_check_char(first17),
                    insurance_code,
                    address,
                    deposit,
                    designated_on,
                    f"{MARK} seed={seed}",
                    keys_of(stem, number),
                )

        fields = [
            "id",
            "name",
            "kind",
            "ownership",
            "district",
            "zone",
            "credit_code",
            "insurance_code",
            "address",
            "deposit",
            "designated_on",
            "note",
            "search_keys",
        ]
        self._write(Facility, fields, rows(), count, "facilities")
        return ids

    def _ratings(self, facility_ids: range, years: int) -> None:
        """A rating per facility and year, each with the rating change that set its grade."""
        rng = self.rng
        year_list = list(range(LAST_YEAR - years + 1, LAST_YEAR + 1))
        total = len(facility_ids) * years
        ids = self._ids(CreditRating, total)
        grades = Weighted(GRADE_WEIGHTS)
        drawn = bytearray()  # the grade of each rating (as a byte), for its change

        def ratings() -> Iterator[tuple]:
            pk = iter(ids)
            for facility_id in facility_ids:
                for year in year_list:
                    grade = grades.draw(rng)
                    drawn.append(ord(grade))
                    rated_on = datetime.date(year + 1, 3, 15)
                    yield (next(pk), facility_id, year, grade, rated_on, f"{year}年度医保信用评价")

        def changes() -> Iterator[tuple]:
            for index, rating_id in enumerate(ids):
                year = year_list[index % years]
                changed_at = datetime.datetime(year + 1, 3, 15, 10, 0, tzinfo=datetime.UTC)
                yield (rating_id, chr(drawn[index]), f"{year}年度信用评价结果", changed_at)

        rating_fields = ["id", "facility_id", "year", "grade", "rated_on", "basis"]
        self._write(CreditRating, rating_fields, ratings(), total, "ratings")
        change_fields = ["rating_id", "to_grade", "reason", "changed_at"]
        self._write(RatingChange, change_fields, changes(), total, "rating changes")

    def _inspections(self, facility_ids: range, inspectors: range, count: int) -> None:
        """Inspections with two inspectors on site and a violation where money was involved.

        The links are drawn with their inspection (so the rows do not depend on batch sizes)
        and kept compactly until the inspections are in.
        """
        rng = self.rng
        ids = self._ids(Inspection, count)
        kinds = Weighted(INSPECTION_KIND_WEIGHTS)
        violation_codes = Violation.values
        first_day = datetime.date(2022, 1, 1)
        on_site = array("q")  # inspection id, inspector id (twice per on-site inspection)
        found = array("q")  # inspection id, violation index
        completed = InspectionStatus.COMPLETED.value
        in_progress = InspectionStatus.IN_PROGRESS.value
        self_inspection = InspectionKind.SELF.value

        def rows() -> Iterator[tuple]:
            for pk in ids:
                kind = kinds.draw(rng)
                start = first_day + datetime.timedelta(days=rng.randrange(1460))
                status = completed if rng.random() < 0.9 else in_progress
                involved = Decimal(rng.randrange(0, 200_000)) if rng.random() < 0.3 else Decimal(0)
                end = (
                    start + datetime.timedelta(days=rng.randrange(4))
                    if status == completed
                    else None
                )
                recovered = (involved * Decimal(rng.randrange(0, 101)) / 100).quantize(
                    Decimal("0.01")
                )
                facility_id = rng.choice(facility_ids)
                if kind != self_inspection:
                    for inspector_id in rng.sample(inspectors, 2):
                        on_site.extend((pk, inspector_id))
                if involved:
                    found.extend((pk, rng.randrange(len(violation_codes))))
                yield (
                    pk,
                    facility_id,
                    kind,
                    status,
                    start,
                    end,
                    "示例：检查发现问题已责令整改。" if involved else "",
                    involved,
                    recovered,
                )

        fields = [
            "id",
            "facility_id",
            "kind",
            "status",
            "start_date",
            "end_date",
            "findings",
            "amount_involved",
            "amount_recovered",
        ]
        self._write(Inspection, fields, rows(), count, "inspections")
        self._write(
            Inspection.inspectors.through,
            ["inspection_id", "inspector_id"],
            zip(on_site[::2], on_site[1::2], strict=True),
            len(on_site) // 2,
            "on-site crews",
        )
        self._write(
            Inspection.violations.through,
            ["inspection_id", "violationcategory_id"],
            ((pk, violation_codes[v]) for pk, v in zip(found[::2], found[1::2], strict=True)),
            len(found) // 2,
            "violations",
        )

    def _sanctions(self, facility_ids: range) -> None:
        """Suspensions for about 1 in 200 facilities, a third of them in force today; fines."""
        rng = self.rng
        today = datetime.date.today()
        rows = []
        suspended = rng.sample(facility_ids, max(1, len(facility_ids) // 200))
        for number, facility_id in enumerate(suspended, start=1):
            starts = today - datetime.timedelta(days=rng.randrange(0, 180))
            ends = starts + datetime.timedelta(days=rng.choice([29, 59, 89]))
            decided = starts - datetime.timedelta(days=7)
            number_text = f"示例〔{starts.year}〕{number}号"
            rows.append(
                (
                    facility_id,
                    SanctionKind.SUSPENSION.value,
                    decided,
                    starts,
                    ends,
                    number_text,
                    None,
                )
            )
        for facility_id in rng.sample(facility_ids, max(1, len(facility_ids) // 100)):
            decided = today - datetime.timedelta(days=rng.randrange(1, 700))
            amount = Decimal(rng.randrange(1_000, 100_000))
            rows.append((facility_id, SanctionKind.FINE.value, decided, None, None, "", amount))
        fields = [
            "facility_id",
            "kind",
            "decided_on",
            "starts_on",
            "ends_on",
            "decision_number",
            "amount",
        ]
        self._write(Sanction, fields, rows, len(rows), "sanctions")
