"""Build fixtures/lhasa_2024.json, the 2024 demo data, from seeds/lhasa_2024.toml.

    .venv/bin/python seeds/build_fixture.py [--output PATH]

No database is touched: the script writes a Django JSON fixture for `manage.py loaddata
lhasa_2024`. The output is deterministic (one seeded random generator, fixed timestamps,
sorted keys), so the same seed file always gives the same bytes.

The fixture reproduces the cited 2024 figures exactly (350 facilities rated A 69 / B 234 /
C 42 / D 5; the D-grade suspensions and deposit recovery; a plaque for every A grade; two
police referrals for forged delivery notes); everything else in it is invented and every
facility name starts with 示例 so that no real business appears to have been sanctioned.
Primary keys are fixed, so load it into an empty database.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import sys
import tomllib
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Only plain modules of the app are used: no settings, no database.
from supervision.choices import (  # noqa: E402
    Agency,
    CycleStatus,
    District,
    FacilityKind,
    Grade,
    IndicatorFact,
    IndicatorMethod,
    InspectionKind,
    InspectionStatus,
    Ownership,
    RatingChangeKind,
    ReferralStatus,
    SanctionKind,
    Violation,
    Zone,
)
from supervision.codes import CREDIT_CODE_ALPHABET, credit_code_check_char  # noqa: E402

SEEDS = ROOT / "seeds" / "lhasa_2024.toml"
OUTPUT = ROOT / "fixtures" / "lhasa_2024.json"
APP = "supervision"
CENT = Decimal("0.01")
MEDICAL = (FacilityKind.HOSPITAL, FacilityKind.CLINIC)
FULL_SCORE = Decimal(1000)
TEN_THOUSAND = Decimal(10000)
# The credit category of each kind of facility (categories 1–3).
CATEGORY_OF_KIND = {
    FacilityKind.HOSPITAL: "medical_institution",
    FacilityKind.CLINIC: "medical_institution",
    FacilityKind.PHARMACY: "retail_pharmacy",
    FacilityKind.INSURER: "insurer",
}

# GB 11714 organisation code (positions 9–17 of a credit code): 8 characters and a check.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY_CHARS = CREDIT_CODE_ALPHABET  # keeps the credit code within its own alphabet

# What each kind of facility is plausibly found doing (forged delivery notes are kept for the
# two referral cases, so that their count stays the cited one).
VIOLATIONS_BY_KIND: dict[str, list[str]] = {
    FacilityKind.PHARMACY: [
        Violation.FALSE_CLAIMS,
        Violation.SUBSTITUTION,
        Violation.DRUG_RESELLING,
        Violation.TRACEABILITY_CODE,
        Violation.IMPERSONATION,
        Violation.MANAGEMENT_FAILURE,
    ],
    FacilityKind.CLINIC: [
        Violation.FALSE_CLAIMS,
        Violation.OVERCHARGING,
        Violation.DUPLICATE_CHARGING,
        Violation.SPLIT_CHARGING,
        Violation.EXCESSIVE_PRESCRIBING,
        Violation.IMPERSONATION,
        Violation.MANAGEMENT_FAILURE,
    ],
    FacilityKind.HOSPITAL: [
        Violation.FALSE_CLAIMS,
        Violation.SUBSTITUTION,
        Violation.OVERCHARGING,
        Violation.DUPLICATE_CHARGING,
        Violation.SPLIT_CHARGING,
        Violation.GHOST_ADMISSION,
        Violation.MANAGEMENT_FAILURE,
    ],
}

FINDINGS: dict[str, str] = {
    Violation.FORGED_DELIVERY_NOTES: (
        "核对药品耗材进销存时发现，多张随货同行单的供货单位、品名、数量与供货企业留存联对不上，"
        "疑为事后制作或涂改，用来虚增进货、套取医保基金。"
    ),
    Violation.FALSE_CLAIMS: "抽查结算明细，部分费用找不到对应的诊疗或购药记录。",
    Violation.SUBSTITUTION: "部分医保结算品种与实际销售或使用的药品耗材不一致。",
    Violation.OVERCHARGING: "部分项目收费高于本市医疗服务价格标准。",
    Violation.DUPLICATE_CHARGING: "同一项目在同次就诊中重复计费。",
    Violation.SPLIT_CHARGING: "将一次完整的诊疗服务拆成多个项目分别计费。",
    Violation.EXCESSIVE_PRESCRIBING: "部分处方药量明显超出病情需要和规定天数。",
    Violation.GHOST_ADMISSION: "在院名单与实际在床病人不符，存在挂床住院。",
    Violation.IMPERSONATION: "发现使用他人医保凭证结算费用。",
    Violation.DRUG_RESELLING: "个别参保人短期内反复购买同类药品，存在倒卖嫌疑。",
    Violation.TRACEABILITY_CODE: "药品追溯码扫码记录与销售记录不符，存在重复扫码。",
    Violation.MANAGEMENT_FAILURE: "医保管理制度和进销存台账不健全，人员培训不到位。",
}
NO_FINDINGS = "未发现违规使用医保基金问题。"
SELF_REVIEWED = "机构提交的自查自纠报告已审核。"
FOLLOWUP_FINDINGS = "暂停期满后复查，问题已整改，相关制度已建立。"
REFERRAL_SUMMARY = (
    "与公安、市场监管联合检查时发现该机构用伪造或涂改的随货同行单虚增药品耗材进货，"
    "涉嫌套取医保基金，线索和证据已移交公安机关。"
)


# ---------------------------------------------------------------------------------------------
# Small helpers


def stamp(day: datetime.date) -> str:
    """09:00 Beijing time on day, as Django serialises an aware datetime (UTC)."""
    return f"{day.isoformat()}T01:00:00Z"


def utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(value: Decimal | int) -> str:
    return str(Decimal(value).quantize(CENT))


def random_day(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, (last - first).days))


def weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def org_code(body: str) -> str:
    """An 8-character body completed with its GB 11714 check character."""
    total = sum(int(char, 36) * weight for char, weight in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, prefix: str, division: str) -> str:
    """A GB 32100-2015 code: registering body and kind, division, organisation code, check."""
    if prefix[0] == "9":
        # Businesses registered since 2015 carry an "MA" organisation code.
        body = "MA" + "".join(rng.choice(_ORG_BODY_CHARS) for _ in range(6))
    else:
        body = f"{rng.randint(0, 99_999_999):08d}"
    first17 = prefix + division + org_code(body)
    return first17 + credit_code_check_char(first17)


def row(model: str, pk: int | str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"model": f"{APP}.{model}", "pk": pk, "fields": fields}


# ---------------------------------------------------------------------------------------------
# The builder


class Builder:
    """Holds the seed data and the one random generator; each step adds rows in order."""

    def __init__(self, seeds: dict[str, Any]) -> None:
        self.facts = seeds["facts"]
        self.gen = seeds["generator"]
        self.credit_spec = seeds["credit"]
        self.rng = random.Random(self.gen["seed"])
        self.facilities: list[dict[str, Any]] = []
        self.inspections: list[dict[str, Any]] = []
        self.referrals: list[dict[str, Any]] = []
        self.sanctions: list[dict[str, Any]] = []
        self.inspector_pks: list[int] = []
        self.rows: list[dict[str, Any]] = []
        self._names: set[str] = set()
        self._credit_codes: set[str] = set()

    # -- checks that the parameters reproduce the cited facts --------------------------------

    def check_parameters(self) -> None:
        ratings = self.facts["ratings"]
        grades = self.gen["grades"]
        for grade in Grade.values:
            planned = sum(grades[grade]["kinds"].values())
            if planned != ratings[grade]:
                raise SystemExit(
                    f"grade {grade}: {planned} facilities planned, cited {ratings[grade]}"
                )
        if sum(ratings[g] for g in Grade.values) != ratings["total"]:
            raise SystemExit("the cited grade counts do not add up to the cited total")
        d_kinds = grades[Grade.D]["kinds"]
        measures = {m["kind"]: m["count"] for m in self.facts["d_grade"]["measures"]}
        medical = sum(d_kinds[k] for k in MEDICAL)
        if d_kinds[FacilityKind.PHARMACY] != measures["pharmacy"] or medical != measures["medical"]:
            raise SystemExit("grade D must be the cited pharmacies and medical institution")
        if set(self.gen["districts"]) != set(District.values):
            raise SystemExit("seed districts must be exactly Lhasa's 8 districts")

    # -- facilities and ratings ------------------------------------------------------------

    def unique_name(self, kind: str, ownership: str, district: str) -> str:
        names = self.gen["names"]
        if kind == FacilityKind.PHARMACY:
            suffixes = names["pharmacy"]
        elif kind == FacilityKind.INSURER:
            suffixes = names["insurer"]
        elif kind == FacilityKind.HOSPITAL:
            suffixes = names[f"hospital_{ownership}"]
        elif ownership == Ownership.PRIVATE:
            suffixes = names["clinic_private"]
        elif district == District.CHENGGUAN:
            suffixes = names["clinic_public_city"]
        else:
            suffixes = names["clinic_public_county"]
        while True:
            first = self.rng.choice(names["first"])
            # Insurers read better as one word; the rest take two.
            middle = "" if kind == FacilityKind.INSURER else self.rng.choice(names["second"])
            name = f"{names['prefix']}{first}{middle}{self.rng.choice(suffixes)}"
            if name not in self._names:
                self._names.add(name)
                return name

    def unique_credit_code(self, kind: str, ownership: str, district: str) -> str:
        if kind in MEDICAL:
            # Public: 12 (public institution); private: 52 (private non-enterprise unit).
            prefix = "12" if ownership == Ownership.PUBLIC else "52"
        elif kind == FacilityKind.PHARMACY:
            sole = self.rng.random() < self.gen["sole_proprietor_share"]
            prefix = "92" if sole else "91"
        else:
            prefix = "91"
        while True:
            code = credit_code(self.rng, prefix, district)
            if code not in self._credit_codes:
                self._credit_codes.add(code)
                return code

    def build_facilities(self) -> None:
        slots: list[tuple[str, str, str]] = []
        for grade in Grade.values:
            spec = self.gen["grades"][grade]
            for kind, count in spec["kinds"].items():
                public = spec["public"].get(kind, 0)
                slots += [(grade, kind, Ownership.PUBLIC)] * public
                slots += [(grade, kind, Ownership.PRIVATE)] * (count - public)
        self.rng.shuffle(slots)

        districts = self.gen["districts"]
        weights = {code: spec["weight"] for code, spec in districts.items()}
        first_day, last_day = self.gen["designated_between"]
        for pk, (grade, kind, ownership) in enumerate(slots, start=1):
            district = (
                District.CHENGGUAN if kind == FacilityKind.INSURER else weighted(self.rng, weights)
            )
            spec = districts[district]
            deposit = self.gen["deposits"][kind]
            steps = (deposit["high"] - deposit["low"]) // deposit["step"]
            self.facilities.append(
                {
                    "pk": pk,
                    "grade": grade,
                    "kind": kind,
                    "ownership": ownership,
                    "district": district,
                    "zone": "",
                    "name": self.unique_name(kind, ownership, district),
                    "credit_code": self.unique_credit_code(kind, ownership, district),
                    "address": (
                        f"{spec['town']}{self.rng.choice(spec['streets'])}"
                        f"{self.rng.randint(1, 299)}号"
                    ),
                    "deposit": Decimal(
                        deposit["low"] + deposit["step"] * self.rng.randint(0, steps)
                    ),
                    "designated_on": random_day(self.rng, first_day, last_day),
                }
            )
        self.place_in_zones()
        self.assign_insurance_codes()

    def place_in_zones(self) -> None:
        for zone in self.gen["zones"]:
            if zone["code"] not in Zone.values:
                raise SystemExit(f"unknown zone {zone['code']}")
            candidates = [
                f
                for f in self.facilities
                if f["district"] == zone["district"]
                and f["kind"] != FacilityKind.INSURER
                and not f["zone"]
            ]
            for facility in self.rng.sample(candidates, zone["count"]):
                facility["zone"] = zone["code"]

    def assign_insurance_codes(self) -> None:
        """H or P + district + 5-digit sequence, numbered in order of designation."""
        sequence: Counter[tuple[str, str]] = Counter()
        for facility in sorted(self.facilities, key=lambda f: (f["designated_on"], f["pk"])):
            letter = FacilityKind(facility["kind"]).insurance_code_letter
            if not letter:
                facility["insurance_code"] = ""
                continue
            sequence[letter, facility["district"]] += 1
            number = sequence[letter, facility["district"]]
            facility["insurance_code"] = f"{letter}{facility['district']}{number:05d}"

    def facility_rows(self) -> None:
        for f in self.facilities:
            self.rows.append(
                row(
                    "facility",
                    f["pk"],
                    {
                        "name": f["name"],
                        "kind": f["kind"],
                        "ownership": f["ownership"],
                        "district": f["district"],
                        "zone": f["zone"],
                        "credit_code": f["credit_code"],
                        "insurance_code": f["insurance_code"],
                        "address": f["address"],
                        "deposit": money(f["deposit"]),
                        "designated_on": f["designated_on"].isoformat(),
                        "created_at": stamp(f["designated_on"]),
                        "updated_at": stamp(f["designated_on"]),
                    },
                )
            )

    def rating_rows(self) -> None:
        spec = self.gen["ratings"]
        rated_on = spec["rated_on"]
        for f in self.facilities:
            low, high = (Decimal(str(x)) for x in self.gen["grades"][f["grade"]]["score"])
            # Half points: the indicator system scores in steps of 0.5.
            score = Decimal(self.rng.randint(int(low * 2), int(high * 2))) / 2
            f["score"] = score
            basis = spec["basis"].format(
                category=spec["categories"][f["kind"]], year=spec["year"], score=money(score)
            )
            self.rows.append(
                row(
                    "creditrating",
                    f["pk"],
                    {
                        "facility": f["pk"],
                        "year": spec["year"],
                        "grade": f["grade"],
                        "score": money(score),
                        "rated_on": rated_on.isoformat(),
                        "basis": basis,
                        # The 2024 cycle's assessment of the facility has the facility's pk.
                        "assessment": f["pk"],
                        "repaired": False,
                        "created_at": stamp(rated_on),
                        "updated_at": stamp(rated_on),
                    },
                )
            )
            self.rows.append(
                row(
                    "ratingchange",
                    f["pk"],
                    {
                        "rating": f["pk"],
                        "from_grade": "",
                        "to_grade": f["grade"],
                        "reason": spec["reason"],
                        "kind": RatingChangeKind.EVALUATION,
                        "inspection": None,
                        "changed_by": None,
                        "changed_at": utc(spec["changed_at"]),
                    },
                )
            )

    # -- inspectors and inspections --------------------------------------------------------

    def inspector_rows(self) -> None:
        spec = self.gen["inspectors"]
        for pk, name in enumerate(spec["names"], start=1):
            self.inspector_pks.append(pk)
            self.rows.append(
                row(
                    "inspector",
                    pk,
                    {
                        "name": name,
                        "badge_number": f"{spec['badge_prefix']}{pk:04d}",
                        "user": None,
                        "is_active": True,
                    },
                )
            )

    def two_inspectors(self) -> list[int]:
        return sorted(self.rng.sample(self.inspector_pks, 2))

    def amounts(self, recovered_share: float | None) -> tuple[Decimal, Decimal]:
        """An amount involved in cents, and how much of it has been recovered."""
        involved = Decimal(self.rng.randint(100_000, 6_000_000)) / 100
        if recovered_share is None:
            share = 1.0 if self.rng.random() < 0.7 else self.rng.random()
        else:
            share = recovered_share
        recovered = (involved * Decimal(str(share))).quantize(CENT, rounding=ROUND_HALF_UP)
        return involved, min(recovered, involved)

    def add_inspection(self, facility: dict[str, Any], **fields: Any) -> dict[str, Any]:
        inspection = {
            "facility": facility,
            "partner_agencies": [],
            "violations": [],
            "findings": "",
            "end_date": None,
            "amount_involved": Decimal("0"),
            "amount_recovered": Decimal("0"),
            **fields,
        }
        self.inspections.append(inspection)
        return inspection

    def build_referral_cases(self) -> None:
        """Two joint inspections with police and market regulation; each referred to police."""
        taken: set[int] = set()
        for case in self.gen["referral_cases"]:
            candidates = [
                f
                for f in self.facilities
                if f["grade"] == Grade.C
                and f["kind"] == case["kind"]
                and f["ownership"] == Ownership.PRIVATE
                and f["pk"] not in taken
            ]
            facility = self.rng.choice(candidates)
            taken.add(facility["pk"])
            involved, _ = self.amounts(0.0)
            inspection = self.add_inspection(
                facility,
                kind=InspectionKind.JOINT,
                status=InspectionStatus.COMPLETED,
                start_date=case["start_date"],
                end_date=case["end_date"],
                inspectors=self.two_inspectors(),
                partner_agencies=sorted([Agency.MARKET, Agency.POLICE]),
                violations=[Violation.FORGED_DELIVERY_NOTES],
                findings=FINDINGS[Violation.FORGED_DELIVERY_NOTES],
                # Nothing recovered yet: the money follows the police investigation.
                amount_involved=involved,
            )
            self.referrals.append(
                {
                    "inspection": inspection,
                    "agency": Agency.POLICE,
                    "status": case["status"],
                    "referred_on": case["referred_on"],
                    "decided_on": case.get("decided_on"),
                    "case_number": case.get("case_number", ""),
                }
            )

    def build_d_grade_cases(self) -> None:
        """The inspection behind each D grade, then the follow-up after the suspension."""
        spec = self.gen["d_grade"]
        first, last = spec["inspections_between"]
        follow_first, follow_last = spec["followup_between"]
        for facility in self.d_facilities():
            start = random_day(self.rng, first, last)
            violations = sorted(self.rng.sample(VIOLATIONS_BY_KIND[facility["kind"]], 2))
            involved, recovered = self.amounts(1.0)
            self.add_inspection(
                facility,
                kind=self.rng.choice([InspectionKind.CAMPAIGN, InspectionKind.UNANNOUNCED]),
                status=InspectionStatus.COMPLETED,
                start_date=start,
                end_date=start + datetime.timedelta(days=self.rng.randint(1, 3)),
                inspectors=self.two_inspectors(),
                violations=violations,
                findings="".join(FINDINGS[v] for v in violations),
                amount_involved=involved,
                amount_recovered=recovered,
            )
            follow = random_day(self.rng, follow_first, follow_last)
            self.add_inspection(
                facility,
                kind=InspectionKind.FOLLOWUP,
                status=InspectionStatus.COMPLETED,
                start_date=follow,
                end_date=follow,
                inspectors=self.two_inspectors(),
                findings=FOLLOWUP_FINDINGS,
            )

    def build_other_inspections(self) -> None:
        spec = self.gen["other_inspections"]
        pool = [f for f in self.facilities if f["kind"] != FacilityKind.INSURER]
        pool = [f for f in pool if f["grade"] in spec["grade_weights"]]
        weights = [spec["grade_weights"][f["grade"]] for f in pool]
        statuses = [
            status
            for status in (
                InspectionStatus.COMPLETED,
                InspectionStatus.IN_PROGRESS,
                InspectionStatus.PLANNED,
            )
            for _ in range(spec[status]["count"])
        ]
        for status in statuses:
            facility = self.rng.choices(pool, weights=weights)[0]
            kind = weighted(self.rng, spec["kind_weights"])
            start = random_day(self.rng, *spec[status]["between"])
            fields: dict[str, Any] = {
                "kind": kind,
                "status": status,
                "start_date": start,
                "inspectors": self.two_inspectors() if InspectionKind(kind).is_on_site else [],
            }
            if status == InspectionStatus.COMPLETED:
                fields["end_date"] = start + datetime.timedelta(days=self.rng.randint(0, 4))
            if fields["status"] != InspectionStatus.PLANNED:
                if self.rng.random() < spec["violation_share"]:
                    count = self.rng.choice([1, 1, 2])
                    violations = sorted(
                        self.rng.sample(VIOLATIONS_BY_KIND[facility["kind"]], count)
                    )
                    done = fields["status"] == InspectionStatus.COMPLETED
                    # A facility that finds its own fault pays it back in full.
                    share = 1.0 if kind == InspectionKind.SELF else None
                    involved, recovered = self.amounts(share if done else 0.0)
                    fields |= {
                        "violations": violations,
                        "findings": "".join(FINDINGS[v] for v in violations),
                        "amount_involved": involved,
                        "amount_recovered": recovered,
                    }
                elif fields["status"] == InspectionStatus.COMPLETED:
                    fields["findings"] = (
                        SELF_REVIEWED if kind == InspectionKind.SELF else NO_FINDINGS
                    )
            self.add_inspection(facility, **fields)

    def inspection_rows(self) -> None:
        # Primary keys in date order, as they would have been entered.
        self.inspections.sort(key=lambda i: (i["start_date"], i["facility"]["pk"], i["kind"]))
        for pk, i in enumerate(self.inspections, start=1):
            i["pk"] = pk
            entered = i["start_date"]
            updated = i["end_date"] or entered
            self.rows.append(
                row(
                    "inspection",
                    pk,
                    {
                        "facility": i["facility"]["pk"],
                        "kind": i["kind"],
                        "status": i["status"],
                        "start_date": i["start_date"].isoformat(),
                        "end_date": i["end_date"].isoformat() if i["end_date"] else None,
                        "inspectors": i["inspectors"],
                        "partner_agencies": i["partner_agencies"],
                        "violations": i["violations"],
                        "findings": i["findings"],
                        "amount_involved": money(i["amount_involved"]),
                        "amount_recovered": money(i["amount_recovered"]),
                        "created_by": None,
                        "created_at": stamp(entered),
                        "updated_at": stamp(updated),
                    },
                )
            )

    def referral_rows(self) -> None:
        for pk, r in enumerate(self.referrals, start=1):
            decided = r["decided_on"]
            if (r["status"] == ReferralStatus.ACCEPTED) != bool(decided and r["case_number"]):
                raise SystemExit("an accepted referral needs its decision date and case number")
            self.rows.append(
                row(
                    "referral",
                    pk,
                    {
                        "inspection": r["inspection"]["pk"],
                        "agency": r["agency"],
                        "status": r["status"],
                        "referred_on": r["referred_on"].isoformat(),
                        "summary": REFERRAL_SUMMARY,
                        "case_number": r["case_number"],
                        "decided_on": decided.isoformat() if decided else None,
                        "closed_on": None,
                        "outcome": "",
                        "created_by": None,
                        "created_at": stamp(r["referred_on"]),
                        "updated_at": stamp(decided or r["referred_on"]),
                    },
                )
            )

    # -- sanctions -------------------------------------------------------------------------

    def d_facilities(self) -> list[dict[str, Any]]:
        return [f for f in self.facilities if f["grade"] == Grade.D]

    def build_sanctions(self) -> None:
        spec = self.gen["d_grade"]
        base = {"decided_on": spec["decided_on"], "legal_basis": spec["legal_basis"]}
        # Pharmacies first, then the medical institution; one decision number each.
        d_grade = sorted(self.d_facilities(), key=lambda f: (f["kind"] in MEDICAL, f["pk"]))
        for n, facility in enumerate(d_grade, start=1):
            number = spec["decision_number"].format(n=n)
            if facility["kind"] == FacilityKind.PHARMACY:
                period = spec["pharmacy_suspension"]
            else:
                period = spec["medical_suspension"]
            self.sanctions.append(
                base
                | {
                    "facility": facility,
                    "kind": SanctionKind.SUSPENSION,
                    "decision_number": number,
                    "starts_on": period["starts_on"],
                    "ends_on": period["ends_on"],
                }
            )
            if facility["kind"] in MEDICAL:
                percent = Decimal(spec["deposit_percent"])
                amount = (facility["deposit"] * percent / 100).quantize(
                    CENT, rounding=ROUND_HALF_UP
                )
                self.sanctions.append(
                    base
                    | {
                        "facility": facility,
                        "kind": SanctionKind.DEPOSIT_RECOVERY,
                        "decision_number": number,
                        "deposit_percent": percent,
                        "amount": amount,
                    }
                )
        plaques = self.gen["commendations"]
        for facility in self.facilities:
            if facility["grade"] == Grade.A:
                self.sanctions.append(
                    {
                        "facility": facility,
                        "kind": SanctionKind.COMMENDATION,
                        "decided_on": plaques["decided_on"],
                        "decision_number": plaques["decision_number"],
                        "legal_basis": plaques["legal_basis"],
                        "note": plaques["note"],
                    }
                )

    def sanction_rows(self) -> None:
        for pk, s in enumerate(self.sanctions, start=1):
            percent = s.get("deposit_percent")
            amount = s.get("amount")
            self.rows.append(
                row(
                    "sanction",
                    pk,
                    {
                        "facility": s["facility"]["pk"],
                        "kind": s["kind"],
                        "inspection": None,
                        # Every sanction here follows from the 2024 grade; the rating's pk is its
                        # facility's.
                        "rating": s["facility"]["pk"],
                        "decided_on": s["decided_on"].isoformat(),
                        "decision_number": s["decision_number"],
                        "legal_basis": s["legal_basis"],
                        "starts_on": s["starts_on"].isoformat() if s.get("starts_on") else None,
                        "ends_on": s["ends_on"].isoformat() if s.get("ends_on") else None,
                        "deposit_percent": money(percent) if percent is not None else None,
                        "amount": money(amount) if amount is not None else None,
                        "note": s.get("note", ""),
                        "created_by": None,
                        "created_at": stamp(s["decided_on"]),
                        "updated_at": stamp(s["decided_on"]),
                    },
                )
            )

    # -- credit: indicator systems and the 2024 evaluation ---------------------------------

    def build_credit(self) -> None:
        self.credit = Credit(self.credit_spec, self)
        self.rows += self.credit.rows()

    # -- all together ----------------------------------------------------------------------

    def build(self) -> list[dict[str, Any]]:
        self.check_parameters()
        self.build_facilities()
        self.facility_rows()
        self.rating_rows()
        self.inspector_rows()
        self.build_referral_cases()
        self.build_d_grade_cases()
        self.build_other_inspections()
        self.inspection_rows()
        self.referral_rows()
        self.build_sanctions()
        self.sanction_rows()
        self.build_credit()
        return self.rows


# ---------------------------------------------------------------------------------------------
# Credit management


def fact_points(indicator: dict[str, Any], units: Decimal) -> Decimal:
    """Points a fact indicator deducts for `units` facts (money: yuan), as the scoring does."""
    per_unit = Decimal(indicator["points_per_unit"])
    if indicator["fact"] == IndicatorFact.MONEY_RECOVERED:
        raw = units / TEN_THOUSAND * per_unit
    else:
        raw = units * per_unit
    return min(Decimal(indicator["full_points"]), raw).quantize(CENT, rounding=ROUND_HALF_UP)


def grade_for(score: Decimal, thresholds: dict[str, int]) -> str:
    for grade in (Grade.A, Grade.B, Grade.C):
        if score >= thresholds[grade]:
            return grade
    return Grade.D


class Credit:
    """The 8 indicator systems of 2024 and the announced 2024 cycles of categories 1–3, whose
    scores are the facilities' ratings: the fact items are what the 2024 facts give, the manual
    and bonus items make up the rest. Its own random generator, so that the rows built before
    it do not change."""

    def __init__(self, spec: dict[str, Any], builder: Builder) -> None:
        self.spec = spec
        self.builder = builder
        self.rng = random.Random(spec["seed"])
        self.year = spec["year"]
        self.thresholds = spec["thresholds"]
        self.cycle_spec = spec["cycle"]
        self.out: list[dict[str, Any]] = []
        # category → {"pk", "indicators": [dict], ...}
        self.systems: dict[str, dict[str, Any]] = {}
        self.item_pk = 0
        self.results: dict[int, dict[str, Any]] = {}

    # -- systems ---------------------------------------------------------------------------

    def system_rows(self) -> None:
        dimension_pk = indicator_pk = 0
        opened = self.cycle_spec["opened_on"]
        for pk, spec in enumerate(self.spec["systems"], start=1):
            category = spec["category"]
            rated = category in self.spec["rated"]
            frozen = stamp(opened) if rated else None
            self.out.append(
                row(
                    "indicatorsystem",
                    pk,
                    {
                        "category": category,
                        "year": self.year,
                        "name": spec["name"],
                        "threshold_a": self.thresholds[Grade.A],
                        "threshold_b": self.thresholds[Grade.B],
                        "threshold_c": self.thresholds[Grade.C],
                        "copied_from": None,
                        "frozen_at": frozen,
                        "note": spec["note"],
                        "version": 1,
                        "created_at": stamp(self.spec["adopted_on"]),
                        "updated_at": frozen or stamp(self.spec["adopted_on"]),
                    },
                )
            )
            indicators: list[dict[str, Any]] = []
            total = 0
            for position, dimension in enumerate(spec["dimensions"], start=1):
                dimension_pk += 1
                total += dimension["full_points"]
                self.out.append(
                    row(
                        "dimension",
                        dimension_pk,
                        {
                            "system": pk,
                            "position": position,
                            "name": dimension["name"],
                            "full_points": dimension["full_points"],
                        },
                    )
                )
                if (
                    sum(i["full_points"] for i in dimension["indicators"])
                    != dimension["full_points"]
                ):
                    raise SystemExit(f"{category} {dimension['name']}: indicators ≠ dimension")
                for indicator in dimension["indicators"]:
                    indicators.append({**indicator, "dimension": dimension_pk})
            if total != FULL_SCORE:
                raise SystemExit(f"{category}: dimensions add up to {total}, not 1000")
            for veto in spec["vetoes"]:
                indicators.append({**veto, "method": IndicatorMethod.VETO, "full_points": 0})
            for bonus in spec["bonuses"]:
                indicators.append({**bonus, "method": IndicatorMethod.BONUS})
            for position, indicator in enumerate(indicators, start=1):
                indicator_pk += 1
                indicator["pk"] = indicator_pk
                self.out.append(self.indicator_row(pk, position, indicator))
            self.systems[category] = {"pk": pk, "indicators": indicators, "spec": spec}

    def indicator_row(self, system: int, position: int, indicator: dict[str, Any]) -> dict:
        method = indicator["method"]
        if method == IndicatorMethod.VETO and indicator["veto_grade"] not in (Grade.C, Grade.D):
            raise SystemExit(f"veto {indicator['code']}: grade C or D")
        return row(
            "indicator",
            indicator["pk"],
            {
                "system": system,
                "dimension": indicator.get("dimension"),
                "position": position,
                "code": indicator["code"],
                "name": indicator["name"],
                "method": method,
                "fact": indicator.get("fact", ""),
                "qualifier": indicator.get("qualifier", ""),
                "points_per_unit": money(Decimal(indicator.get("points_per_unit", "0"))),
                "full_points": indicator["full_points"],
                "veto_grade": indicator.get("veto_grade", ""),
                "guidance": indicator["guidance"],
            },
        )

    # -- the facts of the year -------------------------------------------------------------

    def in_year(self, day: datetime.date | None) -> bool:
        return day is not None and day.year == self.year

    def units(self, indicator: dict[str, Any], facility: dict[str, Any]) -> Decimal:
        """The facility's facts of the year an indicator reads (money: yuan)."""
        fact, qualifier = indicator.get("fact", ""), indicator.get("qualifier", "")
        completed = [
            i
            for i in self.builder.inspections
            if i["facility"] is facility
            and i["status"] == InspectionStatus.COMPLETED
            and self.in_year(i["end_date"])
        ]
        if fact == IndicatorFact.INSPECTION_VIOLATION:
            found = [v for i in completed for v in i["violations"]]
            return Decimal(sum(1 for v in found if not qualifier or v == qualifier))
        if fact == IndicatorFact.MONEY_RECOVERED:
            return sum((i["amount_recovered"] for i in completed), Decimal("0"))
        if fact == IndicatorFact.SANCTION:
            return Decimal(
                sum(
                    1
                    for s in self.builder.sanctions
                    if s["facility"] is facility
                    and self.in_year(s["decided_on"])
                    and (s["kind"] == qualifier if qualifier else s["kind"] != "commendation")
                )
            )
        if fact == IndicatorFact.REFERRAL:
            agency, _sep, violation = qualifier.partition(":")
            return Decimal(
                sum(
                    1
                    for r in self.builder.referrals
                    if r["inspection"]["facility"] is facility
                    and self.in_year(r["referred_on"])
                    and (not agency or r["agency"] == agency)
                    and (not violation or violation in r["inspection"]["violations"])
                )
            )
        # Substantiated tips: the fixture has none (the demo tips are written by setup_demo).
        return Decimal("0")

    # -- one facility's assessment ---------------------------------------------------------

    def assess(self, facility: dict[str, Any], system: dict[str, Any]) -> dict[str, Any]:
        """The items and totals that give the facility its rated score."""
        automatic: list[tuple[dict, Decimal, int]] = []
        vetoes: list[str] = []
        for indicator in system["indicators"]:
            if not indicator.get("fact"):
                continue
            units = self.units(indicator, facility)
            if not units:
                continue
            if indicator["method"] == IndicatorMethod.VETO:
                vetoes.append(indicator["veto_grade"])
                automatic.append((indicator, Decimal("0"), int(units)))
                continue
            facts = 0 if indicator["fact"] == IndicatorFact.MONEY_RECOVERED else int(units)
            automatic.append((indicator, fact_points(indicator, units), facts))
        from_facts = sum((points for _i, points, _n in automatic), Decimal("0"))
        need = FULL_SCORE - facility["score"] - from_facts  # manual deductions less bonus
        bonus_indicator = next(
            i for i in system["indicators"] if i["method"] == IndicatorMethod.BONUS
        )
        manual = [i for i in system["indicators"] if i["method"] == IndicatorMethod.MANUAL]
        room = sum(Decimal(i["full_points"]) for i in manual)
        bonus = self.bonus(facility["grade"], need, Decimal(bonus_indicator["full_points"]), room)
        deducted = need + bonus
        if not Decimal("0") <= deducted <= room:
            raise SystemExit(f"facility {facility['pk']}: cannot reach {facility['score']}")
        return {
            "automatic": automatic,
            "manual": self.spread(deducted, manual),
            "bonus": (bonus_indicator, bonus) if bonus else None,
            "from_facts": from_facts,
            "deductions": from_facts + deducted,
            "bonus_points": bonus,
            "vetoes": vetoes,
        }

    def bonus(self, grade: str, need: Decimal, ceiling: Decimal, room: Decimal) -> Decimal:
        """Bonus points in steps of 5: those the score needs, or now and then some more."""
        steps = [Decimal(n) for n in range(5, int(ceiling) + 1, 5)]
        fits = [b for b in steps if need + b >= 0 and need + b <= room]
        if need < 0:
            if not fits:
                raise SystemExit(f"a bonus of {-need} is needed, more than {ceiling}")
            return self.rng.choice(fits[:2])
        if fits and self.rng.random() < self.spec["bonus_share"][grade]:
            return self.rng.choice(fits)
        return Decimal("0")

    def spread(self, total: Decimal, manual: list[dict[str, Any]]) -> list[tuple[dict, Decimal]]:
        """Points deducted on the manual indicators, adding up to total: in steps of 5 (the
        guidance's units) over indicators drawn at random, the odd remainder on the last."""
        points: dict[int, Decimal] = {}
        left = total
        while left > 0:
            open_ = [i for i in manual if points.get(i["pk"], 0) < i["full_points"]]
            indicator = self.rng.choices(open_, weights=[i["full_points"] for i in open_])[0]
            have = points.get(indicator["pk"], Decimal("0"))
            step = Decimal(self.rng.choice([5, 5, 10, 10, 15, 20]))
            step = min(step, left, Decimal(indicator["full_points"]) - have)
            points[indicator["pk"]] = have + step
            left -= step
        return [(i, points[i["pk"]]) for i in manual if i["pk"] in points]

    # -- cycles, assessments, items --------------------------------------------------------

    def cycle_rows(self) -> None:
        spec = self.cycle_spec
        by_category: dict[str, list[dict[str, Any]]] = {c: [] for c in self.spec["rated"]}
        for facility in self.builder.facilities:
            by_category[CATEGORY_OF_KIND[facility["kind"]]].append(facility)
        for pk, category in enumerate(self.spec["rated"], start=1):
            system = self.systems[category]
            facilities = sorted(by_category[category], key=lambda f: f["pk"])
            grades = dict.fromkeys(Grade.values, 0)
            received = 0
            vetoed = 0
            cycle_start = len(self.out)
            for facility in facilities:
                result = self.assess(facility, system)
                self.results[facility["pk"]] = result
                received += self.assessment_rows(pk, facility, result)
                grades[facility["grade"]] += 1
                vetoed += bool(result["vetoes"])
            label = system["spec"]["name"].removeprefix(f"{self.year}年度").split("医保")[0]
            self.out.insert(
                cycle_start,
                row(
                    "evaluationcycle",
                    pk,
                    {
                        "category": category,
                        "year": self.year,
                        "system": system["pk"],
                        "status": CycleStatus.ANNOUNCED,
                        "opened_on": spec["opened_on"].isoformat(),
                        "self_assessment_due": spec["self_assessment_due"].isoformat(),
                        "scored_at": utc(spec["scored_at"]),
                        "initial_done_on": spec["initial_done_on"].isoformat(),
                        "reviewed_on": spec["reviewed_on"].isoformat(),
                        "publication_starts": spec["publication_starts"].isoformat(),
                        "publication_ends": spec["publication_ends"].isoformat(),
                        "finalised_on": spec["finalised_on"].isoformat(),
                        "announced_on": spec["announced_on"].isoformat(),
                        "subject_count": len(facilities),
                        "figures": {
                            "grades": grades,
                            "unscored": 0,
                            "vetoed": vetoed,
                            "self_received": received,
                            "finalised": len(facilities),
                            "subjects": len(facilities),
                        },
                        "note": spec["note"].format(
                            year=self.year,
                            category=label,
                            announced=f"{spec['announced_on']:%Y年%-m月%-d日}",
                        ),
                        "version": 1,
                        "created_at": stamp(spec["opened_on"]),
                        "updated_at": stamp(spec["announced_on"]),
                    },
                ),
            )

    def assessment_rows(self, cycle: int, facility: dict[str, Any], result: dict) -> int:
        """The facility's assessment (pk: the facility's) and its items; 1 if self-assessed."""
        score = FULL_SCORE - result["deductions"] + result["bonus_points"]
        grade = grade_for(score, self.thresholds)
        for veto in result["vetoes"]:
            grade = max(grade, veto)
        if score != facility["score"] or grade != facility["grade"]:
            raise SystemExit(f"facility {facility['pk']}: {score} {grade} ≠ its rating")
        self_score = None
        received = None
        if self.rng.random() < self.spec["self_assessed_share"]:
            # Subjects rate themselves a little higher than the bureau does.
            gain = Decimal(self.rng.randint(0, 120)) / 2
            self_score = min(FULL_SCORE, facility["score"] + gain)
            received = random_day(self.rng, *self.spec["self_received_between"])
        finalised = datetime.datetime.combine(
            self.cycle_spec["finalised_on"], datetime.time(10), self.cycle_spec["scored_at"].tzinfo
        )
        self.out.append(
            row(
                "assessment",
                facility["pk"],
                {
                    "cycle": cycle,
                    "facility": facility["pk"],
                    "institution": None,
                    "insured_person": None,
                    "district": facility["district"],
                    "subject_name": facility["name"],
                    "self_score": money(self_score) if self_score is not None else None,
                    "self_received_on": received.isoformat() if received else None,
                    "self_note": "已报送自评报告及佐证材料。" if received else "",
                    "deductions": money(result["deductions"]),
                    "bonus": money(result["bonus_points"]),
                    "vetoed": bool(result["vetoes"]),
                    "score": money(score),
                    "grade": grade,
                    "published_grade": grade,
                    "finalised": True,
                    "version": 1,
                    "updated_at": utc(finalised),
                },
            )
        )
        scored = utc(self.cycle_spec["scored_at"])
        for indicator, points, facts in result["automatic"]:
            self.item_row(facility, indicator, points, facts, "", scored, automatic=True)
        entries = list(result["manual"])
        if result["bonus"]:
            entries.append(result["bonus"])
        for indicator, points in entries:
            day = random_day(self.rng, *self.spec["manual_scored_between"])
            note = self.rng.choice(indicator["notes"])
            self.item_row(facility, indicator, points, 0, note, stamp(day), automatic=False)
        return 1 if received else 0

    def item_row(
        self,
        facility: dict[str, Any],
        indicator: dict[str, Any],
        points: Decimal,
        facts: int,
        note: str,
        at: str,
        *,
        automatic: bool,
    ) -> None:
        if points > indicator["full_points"] and indicator["method"] != IndicatorMethod.VETO:
            raise SystemExit(f"facility {facility['pk']}: {indicator['code']} over its points")
        self.item_pk += 1
        self.out.append(
            row(
                "assessmentitem",
                self.item_pk,
                {
                    "assessment": facility["pk"],
                    "indicator": indicator["pk"],
                    "automatic": automatic,
                    "points": money(points),
                    "facts": facts,
                    "note": note,
                    "entered_by": None,
                    "entered_at": at,
                },
            )
        )

    def d_grade_report(self) -> list[str]:
        """How each D grade's score comes about: the facts' deductions and the evaluators'."""
        lines = []
        for facility in self.builder.d_facilities():
            result = self.results[facility["pk"]]
            facts = ", ".join(f"{i['code']} −{p}" for i, p, _n in result["automatic"])
            lines.append(
                f"D: facility {facility['pk']} ({facility['kind']}) {facility['score']} = 1000 "
                f"− {result['from_facts']} from 2024 facts ({facts}) "
                f"− {result['deductions'] - result['from_facts']} manual"
            )
        return lines

    def rows(self) -> list[dict[str, Any]]:
        self.system_rows()
        self.cycle_rows()
        return self.out


def build(seeds_path: Path = SEEDS, report: list[str] | None = None) -> str:
    """The fixture's text, from the seed file; `report` gets how the D grades come about."""
    with seeds_path.open("rb") as handle:
        seeds = tomllib.load(handle)
    builder = Builder(seeds)
    rows = builder.build()
    if report is not None:
        report += builder.credit.d_grade_report()
    return json.dumps(rows, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=SEEDS)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    # Bytes, not text mode: the same file on every platform (no CRLF on Windows).
    report: list[str] = []
    args.output.write_bytes(build(args.seeds, report).encode("utf-8"))
    print(f"wrote {args.output}")
    print("\n".join(report))


if __name__ == "__main__":
    main()
