"""Helpers shared by the admin tests (this module holds no tests)."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from supervision.choices import CreditCategoryCode, Grade, IndicatorMethod
from supervision.codes import resident_id_check_char
from supervision.models import (
    Assessment,
    AssessmentItem,
    CalendarDay,
    CalendarYear,
    CreditCategory,
    CreditInstitution,
    CreditRepair,
    Dimension,
    EvaluationCycle,
    Hotline,
    Indicator,
    IndicatorSystem,
    InsuredIdentity,
    InsuredPerson,
    Objection,
    PlannedCheck,
    SupervisionMeasure,
)
from supervision.models.credit import mask_resident_id
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    RatingChangeFactory,
    ReferralFactory,
    SanctionFactory,
    TipExtensionFactory,
    TipFactory,
    TipReporterFactory,
    TipRewardFactory,
    UserFactory,
    make_credit_code,
)

# An insured person's ID number: region 540102, born 1980-01-01 (the check character computed).
RESIDENT_ID_17 = "54010219800101123"


def registered_admins() -> list[tuple[type, admin.ModelAdmin]]:
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def admin_url(model_or_obj, view: str, *args) -> str:
    opts = model_or_obj._meta
    if view in ("change", "history", "delete") and not args:
        args = (model_or_obj.pk,)
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def make_case_file() -> SimpleNamespace:
    """One facility with a record of every kind: rating and its change, an inspection with a
    referral, a suspension, a tip with its reporter, extension and reward; plus an inspector,
    a calendar year with a day, a hotline."""
    facility = FacilityFactory()
    rating = CreditRatingFactory(facility=facility, year=2024, grade=Grade.B)
    change = RatingChangeFactory(rating=rating)
    inspection = InspectionFactory(facility=facility, completed=True)
    referral = ReferralFactory(inspection=inspection)
    sanction = SanctionFactory(facility=facility, suspension=True)
    tip = TipFactory(facility=facility, concluded=True)
    TipReporterFactory(tip=tip)
    TipExtensionFactory(tip=TipFactory(facility=facility, investigating=True))
    return SimpleNamespace(
        facility=facility,
        rating=rating,
        change=change,
        inspection=inspection,
        referral=referral,
        sanction=sanction,
        inspector=InspectorFactory(),
        tip=tip,
        reward=TipRewardFactory(tip=tip),
        calendar_year=CalendarYear.objects.get_or_create(
            year=2027,
            defaults={
                "notice": "国办发明电〔2026〕示例号",
                "published_on": datetime.date(2026, 11, 1),
            },
        )[0],
        calendar_day=CalendarDay.objects.get_or_create(
            day=datetime.date(2027, 10, 1), defaults={"is_workday": False, "name": "国庆节"}
        )[0],
        hotline=_hotline(),
    )


def _hotline() -> Hotline:
    """The national hotline (the migrations seed it, without a history row: give it one)."""
    hotline, _created = Hotline.objects.get_or_create(
        channel="national_hotline",
        defaults={"name": "全国医保举报电话", "contact": "12393", "published": True},
    )
    hotline.save()
    return hotline


def change_form_data(response, **overrides) -> dict:
    """The POST a browser would send from an admin change/add page, with overrides."""
    data: dict = {}

    def put(form, name: str) -> None:
        value = form[name].value()
        if value is None or value is False:
            return
        if value is True:
            value = "on"
        elif isinstance(value, list | tuple):
            value = [str(v) for v in value]
        data[form.add_prefix(name)] = value

    form = response.context["adminform"].form
    for name in form.fields:
        put(form, name)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            put(formset.management_form, name)
        for inline_form in formset.forms:
            for name in inline_form.fields:
                put(inline_form, name)
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def make_credit_file(facility=None) -> SimpleNamespace:
    """One record of every credit-management model: an indicator system frozen by its opened
    cycle, an assessment with an item and an objection, a repair of a D grade, a planned check,
    an institution and an insured person with the ID number (the measures are seeded)."""
    facility = facility or FacilityFactory()
    system = IndicatorSystem.objects.create(
        category_id=CreditCategoryCode.MEDICAL_INSTITUTION, year=2024, name="2024年度定点医疗机构"
    )
    dimension = Dimension.objects.create(system=system, name="基金使用", full_points=1000)
    indicator = Indicator.objects.create(
        system=system,
        dimension=dimension,
        code="1.1",
        name="规范使用医保基金",
        method=IndicatorMethod.MANUAL,
        full_points=1000,
    )
    cycle = EvaluationCycle.objects.create(
        category_id=CreditCategoryCode.MEDICAL_INSTITUTION,
        year=2024,
        system=system,
        opened_on=datetime.date(2025, 1, 10),
        self_assessment_due=datetime.date(2025, 2, 10),
    )
    IndicatorSystem.objects.filter(pk=system.pk).update(frozen_at=timezone.now())
    system.refresh_from_db()
    assessment = Assessment.objects.create(
        cycle=cycle, facility=facility, district=facility.district, subject_name=facility.name
    )
    rating = CreditRatingFactory(facility=facility, year=2023, grade=Grade.D)
    id_number = RESIDENT_ID_17 + resident_id_check_char(RESIDENT_ID_17)
    person = InsuredPerson.objects.create(
        name="示例参保人", district=facility.district, id_masked=mask_resident_id(id_number)
    )
    InsuredIdentity.objects.create(person=person, id_number=id_number)
    return SimpleNamespace(
        system=system,
        dimension=dimension,
        indicator=indicator,
        cycle=cycle,
        assessment=assessment,
        item=AssessmentItem.objects.create(
            assessment=assessment,
            indicator=indicator,
            points=50,
            note="病历书写不规范",
            entered_by=UserFactory(),
        ),
        objection=Objection.objects.create(
            assessment=assessment, received_on=datetime.date(2025, 3, 3), grounds="扣分依据有误"
        ),
        repair=CreditRepair.objects.create(
            rating=rating,
            applied_on=datetime.date(2025, 1, 5),
            eligible_from=datetime.date(2024, 12, 1),
            rectification="已完成整改",
            from_grade=Grade.D,
        ),
        planned=PlannedCheck.objects.create(
            year=2025,
            facility=facility,
            grade=Grade.D,
            grade_year=2024,
            sequence=1,
            due_on=datetime.date(2025, 3, 31),
        ),
        institution=CreditInstitution.objects.create(
            category_id=CreditCategoryCode.PHARMA_COMPANY,
            name="示例医药有限公司",
            credit_code=make_credit_code(700_000_001),
            district=facility.district,
        ),
        person=person,
        id_number=id_number,
        category=_seeded(CreditCategory),
        measure=_seeded(SupervisionMeasure),
    )


def _seeded(model):
    """The first seeded row of model (the migrations create them without a history row: give
    it one, as an edit would)."""
    row = model.objects.order_by("pk").first()
    row.save()
    return row


def task_result():
    """A job the task worker ran (django-tasks' database queue, whose results its admin lists):
    the daily reminders of one day, finished."""
    from django.apps import apps

    model = apps.get_model("django_tasks_database", "DBTaskResult")
    now = timezone.now()
    return model.objects.create(
        task_path="supervision.tasks.daily_reminders",
        args_kwargs={"args": ["2025-06-16"], "kwargs": {}},
        backend_name="default",
        run_after=now,
        status="SUCCESSFUL",
        started_at=now,
        finished_at=now,
        return_value={"notified": 0},
    )
