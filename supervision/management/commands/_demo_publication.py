"""What the demo publishes (信息公开) for `setup_demo`, through the services so that every step has
its history row and the public pages (/public/) have something to show:

* the 2024 final grades of the three facility categories (the fixture's 350);
* the fixture's sanctions that have a legal basis (the D-grade facilities' suspensions and
  deposit recoveries);
* a random-check plan of pharmacies graded C or D (C ×2, D ×3), eight targets, drawn from a
  typed seed and published (eight planned inspections), and a draft plan of clinics;
* a typical case written from the first inspection referred to the police, reviewed by the
  administrator and published.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User

from supervision.choices import CATEGORY_FACILITY_KINDS, FacilityKind
from supervision.models import (
    CreditRating,
    GradePublication,
    RandomCheckPlan,
    Referral,
    Sanction,
    TypicalCase,
)
from supervision.services import publication, random_checks, typical_cases

GRADE_YEAR = 2024


def load_demo_publication(supervisor: User, reviewer: User, today: datetime.date) -> int:
    """Publish the demo's public items once; returns how many were published (0: already)."""
    if RandomCheckPlan.objects.exists() or GradePublication.objects.exists():
        return 0
    published = 0
    for category in CATEGORY_FACILITY_KINDS:
        if CreditRating.objects.filter(
            year=GRADE_YEAR, facility__kind__in=CATEGORY_FACILITY_KINDS[category]
        ).exists():
            publication.publish_grades(
                year=GRADE_YEAR, category=category, user=supervisor, on=datetime.date(2025, 3, 31)
            )
            published += 1
    for sanction in Sanction.objects.exclude(legal_basis="").exclude(kind="commendation"):
        publication.publish_sanction(sanction, user=supervisor, on=sanction.decided_on)
        published += 1
    published += _demo_plans(supervisor, today)
    published += _demo_case(supervisor, reviewer)
    return published


def _demo_plans(supervisor: User, today: datetime.date) -> int:
    pharmacies_to_draw = CreditRating.objects.filter(
        year=GRADE_YEAR, grade__in=["C", "D"], facility__kind=FacilityKind.PHARMACY
    )
    if pharmacies_to_draw.count() < 8:  # the demo data is not the fixture's: nothing to draw from
        return 0
    starts = today.replace(day=1)
    plan = random_checks.create_plan(
        user=supervisor,
        name=f"示例：{starts.year}年第一批定点零售药店双随机抽查",
        starts_on=starts,
        ends_on=starts + datetime.timedelta(days=89),
        kinds=[FacilityKind.PHARMACY],
        grades=["C", "D"],
        grade_year=GRADE_YEAR,
        target_count=8,
        weights={"C": 2, "D": 3},
        inspectors_per_target=2,
        note="示例计划：从2024年度信用等级为C级、D级的定点零售药店中抽取，D级权重3，C级权重2。",
    )
    random_checks.draw(
        plan,
        seed=f"{starts:%Y%m%d}-示例种子",
        seed_source="示例：监管人员现场输入",
        user=supervisor,
    )
    random_checks.publish(plan, user=supervisor, today=today)
    random_checks.create_plan(
        user=supervisor,
        name=f"示例：{starts.year}年第二批基层医疗机构双随机抽查（草稿）",
        starts_on=starts + datetime.timedelta(days=90),
        ends_on=starts + datetime.timedelta(days=179),
        kinds=[FacilityKind.CLINIC],
        not_inspected_months=12,
        target_share=5,
        inspector_rest_months=12,
    )
    return 1


def _demo_case(supervisor: User, reviewer: User) -> int:
    referral = (
        Referral.objects.select_related("inspection__facility")
        .filter(inspection__status="completed")
        .order_by("id")
        .first()
    )
    if referral is None or TypicalCase.objects.exists():
        return 0
    inspection = referral.inspection
    case = typical_cases.write_case(
        user=supervisor,
        inspection=inspection,
        title=f"示例：{inspection.facility.name}伪造随货同行单骗取医保基金案",
        facts=(
            "示例案情：医保部门在检查中比对进销存数据，发现该机构以伪造的随货同行单虚增药品购进，"
            "并据此申报医保结算。"
        ),
        handling="示例处理：追回违规结算的医保基金，解除医保服务协议，并将案件线索移送公安机关。",
        legal_basis="《医疗保障基金使用监督管理条例》第四十条",
        lesson="示例警示：定点医药机构应如实记录药品购销情况，任何伪造票据骗取基金的行为都将被依法追究。",
    )
    case = typical_cases.submit_case(case, user=supervisor)
    typical_cases.approve_case(case, user=reviewer)
    return 1
