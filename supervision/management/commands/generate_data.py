"""Generate realistic, valid, deterministic data in bulk for load tests and benchmarks.

    python manage.py generate_data --facilities 1000000 --inspections 5000000 --years 3 --seed 1
    python manage.py generate_data --add-tips --tips 2000000 --seed 1   (tips for that database)

Rows are written in bulk with no per-row history (like an import, not staff edits) by the
writers of supervision.bulkload: on PostgreSQL by COPY, elsewhere by bulk_create. Both write the
same rows for the same seed: every random draw happens in one place, row by row, before the
writer sees it.
Run it on a database without generated data. Sanction dates are counted back from the day it
runs, so that some suspensions are in force; so are the tips' (`--tips`, or `--add-tips` to add
them to a database generated before), so that about 5 in 100 have a running clock, some of them
overdue, by the statutory working-day calendar.
"""

from __future__ import annotations

import datetime
import random
from array import array
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import accumulate

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.db.models.functions import Mod
from django.utils import timezone

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
    ReplyMethod,
    SanctionKind,
    TipChannel,
    TipClock,
    TipConclusion,
    TipStatus,
    TipSubject,
    Violation,
    Zone,
)
from supervision.codes import credit_code_check_char, resident_id_check_char
from supervision.models import (
    CreditRating,
    Facility,
    Inspection,
    Inspector,
    RatingChange,
    Sanction,
    Tip,
    TipReporter,
)
from supervision.models.tip import tip_search_keys
from supervision.search import search_keys
from supervision.workdays import Calendar

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
        parser.add_argument("--tips", type=int, default=0, help="tips (举报线索) to generate")
        parser.add_argument(
            "--add-tips",
            action="store_true",
            help="only add --tips tips to a database generated before (that has none yet)",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, **opts) -> None:
        n_fac, n_insp, years, seed = (
            opts["facilities"],
            opts["inspections"],
            opts["years"],
            opts["seed"],
        )
        n_tips = opts["tips"]
        if n_fac < 1 or n_insp < 0 or n_tips < 0 or not 1 <= years <= 6:
            raise CommandError(
                "--facilities ≥ 1, --inspections ≥ 0, --tips ≥ 0, --years from 1 to 6."
            )
        if n_fac > len(DIVISIONS) * 2 * (100_000 - INSURANCE_SEQ_START):
            raise CommandError("Too many facilities for distinct insurance codes.")
        self.quiet = opts["quiet"]
        self.writer = writer_for(self.quiet)
        if opts["add_tips"]:
            if Tip.objects.exists():
                raise CommandError("This database already has tips; use one without.")
            self._add_tips(n_tips, seed)
            return
        if Facility.objects.filter(note__startswith=MARK).exists():
            raise CommandError("This database already has generated data; use a fresh one.")
        self.rng = random.Random(seed)
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
        if n_tips:
            self._add_tips(n_tips, seed)

    def _add_tips(self, count: int, seed: int) -> None:
        """Tips after the rest, in their own transaction (their own random draws: the other
        rows stay the same with or without them)."""
        if not count:
            return
        loaded = [Tip, TipReporter, Tip.violations.through]
        with transaction.atomic(), self.writer.loading(loaded):
            reporters = TipGenerator(self, random.Random(seed * 7919 + 12)).write(count)
            fill_facility_search_keys()
        self.writer.finish(loaded)
        self.stdout.write(f"Generated {count:,} tips, {reporters:,} with a reporter (seed {seed}).")

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


# Tips ------------------------------------------------------------------------------------------

TIP_CHANNEL_WEIGHTS = {
    TipChannel.NATIONAL_HOTLINE: 28,
    TipChannel.REGION_HOTLINE: 10,
    TipChannel.CITY_HOTLINE: 25,
    TipChannel.PORTAL: 10,
    TipChannel.WECHAT: 14,
    TipChannel.LETTER: 6,
    TipChannel.VISIT: 4,
    TipChannel.TRANSFER: 3,
}
# Where the tips stand: most long closed; about 5 in 100 with a running clock (received,
# accepted, investigating).
TIP_STATUS_WEIGHTS = {
    TipStatus.CLOSED: 620,
    TipStatus.REPLIED: 120,
    TipStatus.CONCLUDED: 40,
    TipStatus.NOT_ACCEPTED: 120,
    TipStatus.MERGED: 50,
    TipStatus.RECEIVED: 15,
    TipStatus.ACCEPTED: 5,
    TipStatus.INVESTIGATING: 30,
}
TIP_CONCLUSION_WEIGHTS = {
    TipConclusion.SUBSTANTIATED: 45,
    TipConclusion.PARTLY: 15,
    TipConclusion.NOT_SUBSTANTIATED: 40,
}
TIP_SUBJECT_KINDS = [TipSubject.BUSINESS, TipSubject.PRACTITIONER, TipSubject.INSURED]
ALLEGATIONS = [
    "示例：该机构涉嫌伪造随货同行单，虚增药品进货。",
    "示例：该机构涉嫌串换药品，把保健品按医保药品结算。",
    "示例：该机构涉嫌挂床住院，虚构住院天数。",
    "示例：该机构涉嫌刷医保卡套取现金。",
    "示例：该机构涉嫌虚构诊疗项目、重复收费。",
    "示例：有人冒用他人医保卡就医购药。",
    "示例：该机构诱导参保人住院，过度诊疗。",
    "示例：该药店用医保卡购买生活用品。",
]
# The years the generated tips span, ending today.
TIP_YEARS = 4
# Tips about one facility in FACILITY_POOL_STEP: tips gather on some facilities, as they do.
FACILITY_POOL_STEP = 5
POOL_LIMIT = 200_000


def fill_facility_search_keys() -> None:
    """Put each generated tip's facility part (supervision.models.tip.facility_search_part) in
    front of its keys, in one statement rather than a lookup per row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE supervision_tip SET search_keys = ("
            " SELECT f.search_keys"
            " || CASE WHEN f.credit_code <> '' THEN ' ' || LOWER(f.credit_code) ELSE '' END"
            " || CASE WHEN COALESCE(f.insurance_code, '') <> ''"
            "    THEN ' ' || LOWER(f.insurance_code) ELSE '' END"
            " FROM supervision_facility f WHERE f.id = supervision_tip.facility_id)"
            " || supervision_tip.search_keys"
            " WHERE facility_id IS NOT NULL"
        )


class TipGenerator:
    """Tips with their reporters and violations, consistent with the rules the services keep
    (statuses and their dates, the running clock and its deadline by the statutory calendar,
    an inspection of the tip's facility for every investigated tip, a master for each merged
    one). The facilities and inspections they name are drawn from the database, so tips can
    be added to a database generated before (`generate_data --add-tips`)."""

    def __init__(self, command: Command, rng: random.Random) -> None:
        self.command, self.rng = command, rng
        self.today = timezone.localdate()
        self.calendar = Calendar.load()
        self.deadlines: dict[tuple[datetime.date, int], datetime.date | None] = {}
        self.ids_of_reporters = [
            first17 + resident_id_check_char(first17)
            for first17 in (
                f"5401{k % 30 + 1:02d}{1950 + k % 50}{k % 12 + 1:02d}{k % 28 + 1:02d}{k % 997:03d}"
                for k in range(997)
            )
        ]

    def deadline(self, start: datetime.date, count: int) -> datetime.date | None:
        key = (start, count)
        if key not in self.deadlines:
            self.deadlines[key] = self.calendar.deadline(start, count)
        return self.deadlines[key]

    def pools(self) -> tuple[list[tuple[int, str]], list[tuple[int, int, str, str]]]:
        """Facilities tips may name (id, district), and inspections that may investigate them
        (id, facility, status, district): at most POOL_LIMIT of each, every n-th by id."""

        def every_nth(queryset: models.QuerySet, *fields: str) -> list[tuple]:
            step = -(-queryset.count() // POOL_LIMIT)
            if step > 1:
                queryset = queryset.annotate(nth=Mod("pk", step)).filter(nth=0)
            return list(queryset.order_by("pk").values_list(*fields)[:POOL_LIMIT])

        facilities = every_nth(Facility.objects.all(), "pk", "district")
        inspections = every_nth(
            Inspection.objects.all(), "pk", "facility_id", "status", "facility__district"
        )
        return facilities, inspections

    def write(self, count: int) -> int:
        rng, today = self.rng, self.today
        facilities, inspections = self.pools()
        if not facilities:
            raise CommandError("No facilities to name in tips: generate them first.")
        completed = [i for i in inspections if i[2] == InspectionStatus.COMPLETED]
        running = [i for i in inspections if i[2] != InspectionStatus.COMPLETED]
        channels = Weighted(TIP_CHANNEL_WEIGHTS)
        statuses = Weighted(TIP_STATUS_WEIGHTS)
        conclusions = Weighted(TIP_CONCLUSION_WEIGHTS)
        violation_codes = Violation.values
        ids = self.command._ids(Tip, count)
        reporters = array("q")  # tip ids with a reporter (named or not: the sign says)
        found = array("q")  # tip id, violation index
        masters: list[tuple[int, int | None, str, str]] = []  # recent tips one may merge into
        span = 365 * TIP_YEARS
        shanghai = timezone.get_default_timezone()
        investigation_days = settings.TIP_INVESTIGATION_WORKDAYS
        acceptance_days = settings.TIP_ACCEPTANCE_WORKDAYS

        def rows() -> Iterator[tuple]:
            for n, pk in enumerate(ids):
                status = statuses.draw(rng)
                if status == TipStatus.MERGED and not masters:
                    status = TipStatus.CLOSED
                clock_runs = status in (
                    TipStatus.RECEIVED,
                    TipStatus.ACCEPTED,
                    TipStatus.INVESTIGATING,
                )
                if status == TipStatus.RECEIVED:
                    received = today - datetime.timedelta(days=rng.randrange(0, 10))
                elif clock_runs:
                    received = today - datetime.timedelta(days=rng.randrange(3, 70))
                else:
                    received = today - datetime.timedelta(days=rng.randrange(20, span))
                received_at = datetime.datetime.combine(
                    received, datetime.time(rng.randrange(8, 21), rng.randrange(60)), shanghai
                )
                investigated = status in (
                    TipStatus.INVESTIGATING,
                    TipStatus.CONCLUDED,
                    TipStatus.REPLIED,
                ) or (status == TipStatus.CLOSED and rng.random() < 0.7)
                pool = running if status == TipStatus.INVESTIGATING else completed
                if investigated and not pool:
                    investigated = False
                    status = TipStatus.NOT_ACCEPTED if status != TipStatus.CLOSED else status
                anonymous = rng.random() < 0.25
                wants_reply = not anonymous and rng.random() < 0.85
                if status == TipStatus.REPLIED and not wants_reply:
                    status = TipStatus.CLOSED  # nobody to reply to: closed after concluding
                inspection_id = master_id = None
                subject_kind, subject_name = TipSubject.FACILITY.value, ""
                if status == TipStatus.MERGED:
                    master_id, facility_id, district, subject_name = rng.choice(masters)
                    if not facility_id:
                        subject_kind = TipSubject.BUSINESS.value
                elif investigated:
                    inspection_id, facility_id, _status, district = rng.choice(pool)
                elif rng.random() < 0.85:
                    facility_id, district = rng.choice(facilities)
                else:
                    facility_id = None
                    subject_kind = rng.choice(TIP_SUBJECT_KINDS).value
                    district = District.values[n % len(District.values)]
                    subject_name = f"示例{rng.choice(WORDS)}{rng.choice(WORDS)}保健品店{n:07d}"
                if status != TipStatus.MERGED:
                    masters.append((pk, facility_id, district, subject_name))
                    if len(masters) > 1000:
                        del masters[:500]
                acceptance_due = self.deadline(received, acceptance_days)
                decided = concluded = replied = closed = None
                decision_note = conclusion = conclusion_note = reply_method = reply_note = ""
                verified = None
                if status not in (TipStatus.RECEIVED, TipStatus.MERGED):
                    decided = min(today, received + datetime.timedelta(days=rng.randrange(1, 6)))
                    if not investigated and status != TipStatus.ACCEPTED:
                        decision_note = "示例：举报内容不属于医保基金监管范围。"
                if investigated and status != TipStatus.INVESTIGATING:
                    concluded = min(today, decided + datetime.timedelta(days=rng.randrange(10, 45)))
                    conclusion = conclusions.draw(rng)
                    conclusion_note = "示例：检查已核实。"
                    if conclusion != TipConclusion.NOT_SUBSTANTIATED:
                        verified = Decimal(rng.randrange(500, 300_000))
                        found.extend((pk, rng.randrange(len(violation_codes))))
                if status in (TipStatus.REPLIED, TipStatus.CLOSED) and wants_reply:
                    replied = min(
                        today, (concluded or decided) + datetime.timedelta(days=rng.randrange(5))
                    )
                    reply_method, reply_note = ReplyMethod.PHONE.value, "示例：已电话告知处理结果。"
                if status == TipStatus.CLOSED:
                    last = replied or concluded or decided
                    closed = min(today, last + datetime.timedelta(days=rng.randrange(10)))
                clock, due_on = TipClock.NONE.value, None
                if status == TipStatus.RECEIVED:
                    clock, due_on = TipClock.ACCEPTANCE.value, acceptance_due
                elif status in (TipStatus.ACCEPTED, TipStatus.INVESTIGATING):
                    clock = TipClock.INVESTIGATION.value
                    due_on = self.deadline(decided, investigation_days)
                if not anonymous:
                    reporters.append(pk)
                if not investigated and rng.random() < 0.4:
                    found.extend((pk, rng.randrange(len(violation_codes))))
                alleged = Decimal(rng.randrange(1_000, 500_000)) if rng.random() < 0.5 else None
                yield (
                    pk,
                    channels.draw(rng),
                    received_at,
                    district,
                    subject_kind,
                    facility_id,
                    subject_name,
                    rng.choice(ALLEGATIONS),
                    alleged,
                    anonymous,
                    wants_reply,
                    master_id,
                    status,
                    decided,
                    decision_note,
                    inspection_id,
                    conclusion,
                    concluded,
                    conclusion_note,
                    verified,
                    replied,
                    reply_method,
                    reply_note,
                    closed,
                    clock,
                    due_on,
                    acceptance_due,
                    # The subject's part; the facility's is added in SQL once all are written.
                    tip_search_keys("", subject_name),
                )

        fields = [
            "id",
            "channel",
            "received_at",
            "district",
            "subject_kind",
            "facility_id",
            "subject_name",
            "allegation",
            "amount_alleged",
            "anonymous",
            "wants_reply",
            "master_id",
            "status",
            "decided_on",
            "decision_note",
            "inspection_id",
            "conclusion",
            "concluded_on",
            "conclusion_note",
            "verified_amount",
            "replied_on",
            "reply_method",
            "reply_note",
            "closed_on",
            "clock",
            "due_on",
            "acceptance_due",
            "search_keys",
        ]
        self.command._write(Tip, fields, rows(), count, "tips")
        ids_of = self.ids_of_reporters

        def reporter_rows() -> Iterator[tuple]:
            for n, tip_id in enumerate(reporters):
                named = n % 10 != 0  # one in ten left a phone number only
                yield (
                    tip_id,
                    f"示例举报人{n:07d}" if named else "",
                    f"1380000{n % 10_000:04d}",
                    ids_of[n % len(ids_of)] if named else "",
                    f"示例市示例路{n % 999 + 1}号" if named else "",
                )

        self.command._write(
            TipReporter,
            ["tip_id", "name", "phone", "id_number", "address"],
            reporter_rows(),
            len(reporters),
            "reporters",
        )
        self.command._write(
            Tip.violations.through,
            ["tip_id", "violationcategory_id"],
            ((pk, violation_codes[v]) for pk, v in zip(found[::2], found[1::2], strict=True)),
            len(found) // 2,
            "tip violations",
        )
        return len(reporters)
