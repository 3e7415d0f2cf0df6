"""Helpers shared by the admin tests (this module holds no tests)."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from django.contrib import admin
from django.urls import reverse

from supervision.choices import Grade
from supervision.models import CalendarDay, CalendarYear, Hotline
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
)


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
