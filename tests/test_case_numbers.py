"""The bureau's case numbers (拉医保稽〔2025〕12号): one series per kind and year, given when a
record is created, consecutive with no gaps or duplicates, as the pattern (data) said then;
shown instead of "#53" and found by the searches of the pages, the API and the admin."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from supervision import services
from supervision.choices import Agency, CaseKind, InspectionKind, InspectionStatus
from supervision.models import CaseNumberPattern, Inspection, Tip
from supervision.search import docket_of
from tests.factories import FacilityFactory, InspectionFactory, InspectorFactory, TipFactory
from tests.pages import html_of

pytestmark = pytest.mark.django_db

D = datetime.date


def record(user, start: datetime.date, **kwargs) -> Inspection:
    return services.record_inspection(
        facility=kwargs.pop("facility", None) or FacilityFactory(),
        kind=InspectionKind.ROUTINE,
        start_date=start,
        inspectors=InspectorFactory.create_batch(2),
        user=user,
        **kwargs,
    )


def test_inspections_are_numbered_in_their_year_one_after_another(supervisor):
    first = record(supervisor, D(2025, 3, 10))
    second = record(supervisor, D(2025, 1, 6))
    earlier_year = record(supervisor, D(2024, 12, 30))
    assert first.docket == "拉医保稽〔2025〕1号"
    assert second.docket == "拉医保稽〔2025〕2号"  # the order of creation, not of the dates
    assert earlier_year.docket == "拉医保稽〔2024〕1号"
    assert Inspection.objects.get(pk=first.pk).docket == first.docket
    assert (first.docket_year, first.docket_sequence) == (2025, 1)


def test_each_kind_has_its_own_series(supervisor):
    inspection = record(supervisor, D(2025, 3, 10), status=InspectionStatus.IN_PROGRESS)
    services.complete_inspection(
        inspection, end_date=D(2025, 3, 12), findings="伪造随货同行单。", user=supervisor
    )
    referral = services.refer_inspection(
        inspection,
        agency=Agency.POLICE,
        referred_on=D(2025, 3, 20),
        summary="涉嫌骗取医保基金。",
        user=supervisor,
    )
    assert referral.docket == "拉医保移〔2025〕1号"
    assert inspection.docket == "拉医保稽〔2025〕1号"


def test_a_creation_that_fails_gives_its_number_back(supervisor):
    with pytest.raises(RuntimeError), transaction.atomic():
        record(supervisor, D(2025, 3, 10))
        raise RuntimeError("the rest of the workflow failed")
    assert record(supervisor, D(2025, 4, 1)).docket == "拉医保稽〔2025〕1号"


def test_a_changed_pattern_applies_to_the_numbers_given_after_it(supervisor):
    before = record(supervisor, D(2025, 3, 10))
    CaseNumberPattern.objects.filter(kind=CaseKind.INSPECTION).update(
        pattern="拉医保稽查〔{year}〕第{n}号"
    )
    after = record(supervisor, D(2025, 3, 11))
    assert Inspection.objects.get(pk=before.pk).docket == "拉医保稽〔2025〕1号"
    assert after.docket == "拉医保稽查〔2025〕第2号"


@pytest.mark.parametrize("pattern", ["拉医保稽〔{year}〕号", "拉医保稽第{n}号", ""])
def test_a_pattern_without_the_year_or_the_sequence_is_refused(pattern):
    row = CaseNumberPattern.objects.get(kind=CaseKind.TIP)
    row.pattern = pattern
    with pytest.raises(ValidationError):
        row.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseNumberPattern.objects.filter(pk=row.pk).update(pattern=pattern)


def test_two_records_cannot_hold_the_same_number(supervisor):
    taken = record(supervisor, D(2025, 3, 10))
    other = InspectionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Inspection.objects.filter(pk=other.pk).update(
            docket_year=2025, docket_sequence=1, docket="其他文号"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Inspection.objects.filter(pk=other.pk).update(docket=taken.docket)


def test_number_cases_numbers_rows_written_around_the_services_in_date_order(supervisor):
    given = record(supervisor, D(2025, 5, 1))
    late, early = (
        InspectionFactory(start_date=D(2025, 9, 1)),
        InspectionFactory(start_date=D(2025, 2, 1)),
    )
    tip = TipFactory()
    call_command("number_cases", verbosity=0)
    assert Inspection.objects.get(pk=early.pk).docket == "拉医保稽〔2025〕2号"
    assert Inspection.objects.get(pk=late.pk).docket == "拉医保稽〔2025〕3号"
    assert Inspection.objects.get(pk=given.pk).docket == "拉医保稽〔2025〕1号"
    assert Tip.objects.get(pk=tip.pk).docket == "拉医保举〔2025〕1号"
    call_command("number_cases", verbosity=0)  # again: nothing left to number
    assert Inspection.objects.filter(docket__isnull=True).count() == 0
    assert record(supervisor, D(2025, 6, 1)).docket == "拉医保稽〔2025〕4号"


def test_a_tip_is_numbered_by_the_day_it_was_received_in_china(supervisor):
    new_year = datetime.datetime(2024, 12, 31, 17, 30, tzinfo=datetime.UTC)  # 01:30 on 1 Jan
    tip = services.register_tip(
        channel="national_hotline",
        received_at=new_year,
        allegation="虚构诊疗项目。",
        user=supervisor,
        facility=FacilityFactory(),
    )
    assert tip.docket == "拉医保举〔2025〕1号"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("拉医保稽〔2025〕12号", (2025, 12)),
        ("〔2025〕12", (2025, 12)),
        ("[2025]12号", (2025, 12)),
        ("（2025）7号", (2025, 7)),
        ("［２０２５］３", (2025, 3)),
        ("2025-12", None),
        ("示例药店", None),
        ("〔2025〕0号", None),
    ],
)
def test_a_search_names_a_case_number_with_any_of_the_usual_brackets(text, found):
    assert docket_of(text) == found


def test_the_lists_find_a_record_by_its_number_and_show_it(client, supervisor):
    wanted = record(supervisor, D(2025, 3, 10))
    record(supervisor, D(2025, 3, 11))
    client.force_login(supervisor)
    html = html_of(client.get("/inspections/", {"q": "拉医保稽〔2025〕1号"}))
    assert wanted.docket in html and "拉医保稽〔2025〕2号" not in html
    detail = html_of(client.get(wanted.get_absolute_url()))
    assert wanted.docket in detail and f"#{wanted.pk}" not in detail


def test_the_api_gives_the_number_read_only_and_finds_by_it(client, supervisor):
    wanted = record(supervisor, D(2025, 3, 10))
    client.force_login(supervisor)
    body = client.get("/api/inspections/", {"q": "〔2025〕1"}).json()
    assert [row["docket"] for row in body["results"]] == [wanted.docket]


def test_the_tip_list_finds_a_tip_by_its_number(client, supervisor, tip_desk):
    tip = services.register_tip(
        channel="national_hotline",
        received_at=datetime.datetime(2025, 3, 3, 10, tzinfo=datetime.UTC),
        allegation="虚构诊疗项目。",
        user=tip_desk,
        facility=FacilityFactory(),
    )
    client.force_login(tip_desk)
    html = html_of(client.get("/tips/", {"q": "拉医保举〔2025〕1号"}))
    assert tip.docket in html


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks are PostgreSQL's; SQLite serialises all writers at BEGIN IMMEDIATE",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_people_creating_at_once_get_fifty_consecutive_numbers():
    from tests.factories import UserFactory
    from tests.test_concurrency import run_together

    user = UserFactory(username="lead", role="supervisor")
    facilities = FacilityFactory.create_batch(50)
    crews = [InspectorFactory.create_batch(2) for _ in facilities]

    def create(facility, crew):
        return lambda: (
            services.record_inspection(
                facility=facility,
                kind=InspectionKind.ROUTINE,
                start_date=D(2025, 3, 10),
                inspectors=crew,
                user=user,
            ).docket_sequence
        )

    results = run_together(*(create(f, c) for f, c in zip(facilities, crews, strict=True)))
    assert sorted(results) == list(range(1, 51))
    assert sorted(
        Inspection.objects.filter(docket_year=2025).values_list("docket_sequence", flat=True)
    ) == list(range(1, 51))
