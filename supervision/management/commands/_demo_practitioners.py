"""Demo practitioners (医药机构相关人员) for `setup_demo`, written through the services so that
every registration, points record and measure has its history row.

Fictional people (names start with 示例, test ID numbers with a valid check character) are
registered with the facilities of the fixture's completed inspections that found violations, a
few of them with a second facility (一医一档). Points follow those inspections' violations:

* most get a few points (一般/重要责任) for the violation of their facility's inspection;
* the people of the facilities whose forged delivery notes went to the police get more: at the
  first, the one in charge all 12 in one event (terminated, no re-registration for 3 years);
* one person of the latest inspection gets 9 points, decided within the last month: suspended
  today, for 2 months.
"""

from __future__ import annotations

import datetime
import random

from django.contrib.auth.models import User
from django.db.models import Count

from supervision.choices import (
    FacilityKind,
    InspectionStatus,
    Profession,
    Responsibility,
)
from supervision.codes import resident_id_check_char
from supervision.models import Inspection, Practitioner, Referral
from supervision.services import practitioners as service

SEED = 20240705
FACILITIES = 30
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"]
GIVEN = ["伟", "芳", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰"]
TIBETAN = ["扎西", "次仁", "卓玛", "央金", "格桑", "达瓦", "尼玛", "拉姆", "普布", "旦增"]
STAFF = {
    FacilityKind.HOSPITAL: [
        Profession.DOCTOR,
        Profession.DOCTOR,
        Profession.NURSE,
        Profession.TECHNICIAN,
    ],
    FacilityKind.CLINIC: [Profession.DOCTOR, Profession.NURSE],
    FacilityKind.PHARMACY: [Profession.PHARMACY_HEAD, Profession.PHARMACIST],
}
BASIS = "《医疗保障基金使用监督管理条例》及医保支付资格管理有关规定"


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        if rng.random() < 0.6:
            name = "示例" + rng.choice(TIBETAN) + rng.choice(TIBETAN)[:1]
        else:
            name = "示例" + rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        if name not in used:
            used.add(name)
            return name


def _id_number(rng: random.Random, district: str, n: int) -> str:
    born = datetime.date(1965, 1, 1) + datetime.timedelta(days=rng.randrange(0, 30 * 365))
    first17 = f"{district}{born:%Y%m%d}{n % 1000:03d}"
    return first17 + resident_id_check_char(first17)


def _decision(day: datetime.date, n: int) -> str:
    return f"拉医保资记〔{day.year}〕{n}号"


def load_demo_practitioners(supervisor: User, today: datetime.date) -> int:
    """Register the demo practitioners and score their points; nothing when there already are
    practitioners. Returns how many people were registered."""
    if Practitioner.objects.exists():
        return 0
    rng = random.Random(SEED)
    inspections = list(
        Inspection.objects.filter(
            status=InspectionStatus.COMPLETED,
            end_date__lte=today,
            facility__kind__in=list(STAFF),
        )
        .annotate(found=Count("violations"))
        .filter(found__gt=0)
        .select_related("facility")
        .prefetch_related("violations")
        .order_by("end_date", "id")
    )
    if not inspections:
        return 0
    police = set(Referral.objects.filter(agency="police").values_list("inspection_id", flat=True))
    latest = next((i for i in reversed(inspections) if i.pk not in police), None)
    chosen: dict[int, Inspection] = {}
    first = [i for i in inspections if i.pk in police] + ([latest] if latest else [])
    for inspection in first + inspections:
        chosen.setdefault(inspection.facility_id, inspection)
        if len(chosen) >= FACILITIES:
            break
    used: set[str] = set()
    staff: dict[int, list[Practitioner]] = {}
    count = 0
    for inspection in chosen.values():
        facility = inspection.facility
        registered_on = datetime.date(2019, 1, 2) + datetime.timedelta(days=rng.randrange(0, 1500))
        for profession in STAFF[facility.kind]:
            count += 1
            result = service.register(
                user=supervisor,
                facility=facility,
                id_number=_id_number(rng, facility.district, count),
                name=_name(rng, used),
                profession=profession,
                certificate_number=f"SL{540000 + count:08d}",
                department=""
                if facility.kind == FacilityKind.PHARMACY
                else rng.choice(["内科", "外科", "中医科", "藏医科", "检验科", "药剂科"]),
                registered_on=registered_on,
            )
            staff.setdefault(facility.pk, []).append(result.registration.practitioner)
    # 一医一档: a few doctors also work at a clinic of the set.
    clinics = [i.facility for i in chosen.values() if i.facility.kind == FacilityKind.CLINIC]
    doctors = [
        p
        for i in chosen.values()
        if i.facility.kind == FacilityKind.HOSPITAL
        for p in staff[i.facility_id]
        if p.profession == Profession.DOCTOR
    ]
    for doctor, clinic in list(zip(doctors[1::2], clinics, strict=False))[:3]:
        identity = doctor.identity.id_number
        service.register(
            user=supervisor,
            facility=clinic,
            id_number=identity,
            name=doctor.name,
            profession=doctor.profession,
            department="多点执业",
            registered_on=datetime.date(2024, 3, 1),
        )
    number = 0
    terminated = False
    for inspection in chosen.values():
        people = staff[inspection.facility_id]
        violation = inspection.violations.all()[0]
        decided_on = min(inspection.end_date + datetime.timedelta(days=21), today)
        if inspection.pk in police and not terminated:
            terminated = True
            plan = [(people[0], Responsibility.MAIN, 12), (people[-1], Responsibility.GENERAL, 3)]
        elif inspection.pk in police:
            plan = [(people[0], Responsibility.MAIN, 8), (people[-1], Responsibility.GENERAL, 3)]
        elif latest is not None and inspection.facility_id == latest.facility_id:
            continue
        elif rng.random() < 0.5:
            plan = [(people[0], Responsibility.IMPORTANT, rng.randint(4, 6))]
        else:
            plan = [(people[-1], Responsibility.GENERAL, rng.randint(1, 3))]
        for person, responsibility, points in plan:
            number += 1
            service.score_points(
                user=supervisor,
                inspection=inspection,
                practitioner=person,
                violation=violation,
                responsibility=responsibility,
                points=points,
                basis=BASIS,
                decision_number=_decision(decided_on, number),
                decided_on=decided_on,
                notified_on=min(decided_on + datetime.timedelta(days=3), today),
            )
    if latest is not None:
        # Decided within the last month: the suspension is in force today.
        decided_on = max(latest.end_date, today - datetime.timedelta(days=20))
        number += 1
        service.score_points(
            user=supervisor,
            inspection=latest,
            practitioner=staff[latest.facility_id][0],
            violation=latest.violations.all()[0],
            responsibility=Responsibility.MAIN,
            points=9,
            basis=BASIS,
            decision_number=_decision(decided_on, number),
            decided_on=decided_on,
        )
    return count
