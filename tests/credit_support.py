"""Indicator systems and cycles for the credit tests: a small system of 1000 points with one
indicator of every kind, and a cycle walked to any step."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from supervision.choices import (
    CreditCategoryCode,
    Grade,
    IndicatorFact,
    IndicatorMethod,
    SanctionKind,
    Violation,
)
from supervision.models import (
    CalendarYear,
    CreditCategory,
    Dimension,
    Indicator,
    IndicatorSystem,
)
from supervision.workdays import LIBRARY_YEARS

D = datetime.date


def enter_calendar_to_next_year() -> None:
    """Enter the working-day calendar of the years after the calendar library's last one up to
    next year, weekends only (as an administrator enters a new year's schedule): the credit tests
    publish relative to today, and a publication or objection period that runs into a year the
    calendar does not know has no deadline and is refused."""
    for year in range(LIBRARY_YEARS[1] + 1, timezone.localdate().year + 2):
        CalendarYear.objects.get_or_create(
            year=year,
            defaults={
                "notice": "测试日历：仅周末休息",
                "published_on": datetime.date(year - 1, 11, 1),
            },
        )


def build_system(
    category: str = CreditCategoryCode.MEDICAL_INSTITUTION, year: int = 2024
) -> IndicatorSystem:
    """基础管理 300 (manual 300), 基金使用 600 (violations 50 each ≤ 300, suspensions 100 each
    ≤ 200, money 10 per 10,000 yuan ≤ 100), 社会评价 100 (tips 20 each ≤ 100); veto: a police
    referral for forged delivery notes → D; bonus ≤ 20. The calendar is entered to next year
    (enter_calendar_to_next_year)."""
    enter_calendar_to_next_year()
    system = IndicatorSystem.objects.create(
        category=CreditCategory.objects.get(pk=category),
        year=year,
        name=f"{year}年度测试指标体系",
    )
    basic = Dimension.objects.create(system=system, position=1, name="基础管理", full_points=300)
    fund = Dimension.objects.create(system=system, position=2, name="基金使用", full_points=600)
    social = Dimension.objects.create(system=system, position=3, name="社会评价", full_points=100)

    def add(code, name, method, full, dimension=None, **extra):
        return Indicator.objects.create(
            system=system,
            dimension=dimension,
            position=len(code),
            code=code,
            name=name,
            method=method,
            full_points=full,
            **extra,
        )

    add("1.1", "内部管理制度", IndicatorMethod.MANUAL, 300, basic)
    add(
        "2.1",
        "检查发现违规",
        IndicatorMethod.FACT,
        300,
        fund,
        fact=IndicatorFact.INSPECTION_VIOLATION,
        points_per_unit=Decimal("50"),
    )
    add(
        "2.2",
        "暂停医保服务协议",
        IndicatorMethod.FACT,
        200,
        fund,
        fact=IndicatorFact.SANCTION,
        qualifier=SanctionKind.SUSPENSION,
        points_per_unit=Decimal("100"),
    )
    add(
        "2.3",
        "追回医保基金",
        IndicatorMethod.FACT,
        100,
        fund,
        fact=IndicatorFact.MONEY_RECOVERED,
        points_per_unit=Decimal("10"),
    )
    add(
        "3.1",
        "举报查实",
        IndicatorMethod.FACT,
        100,
        social,
        fact=IndicatorFact.SUBSTANTIATED_TIP,
        points_per_unit=Decimal("20"),
    )
    add(
        "V1",
        "伪造随货同行单移送公安",
        IndicatorMethod.VETO,
        0,
        fact=IndicatorFact.REFERRAL,
        qualifier=f"police:{Violation.FORGED_DELIVERY_NOTES}",
        veto_grade=Grade.D,
    )
    add("B1", "创新示范", IndicatorMethod.BONUS, 20)
    return system
