"""Credit management in the admin: every page opens for a supervisor at a cost that does not
grow with the rows; a frozen indicator system is read-only and a save that tries anyway is
refused with the reason; the copy action; the registries save through their services; the
evaluation is read-only; an insured person's ID number reaches only those who may read it."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from supervision.admin.credit import IndicatorSystemAdmin
from supervision.choices import (
    CreditCategoryCode,
    District,
    Grade,
    IndicatorMethod,
)
from supervision.codes import resident_id_check_char
from supervision.models import (
    Assessment,
    AssessmentItem,
    CreditCategory,
    CreditInstitution,
    CreditRepair,
    Dimension,
    EvaluationCycle,
    Indicator,
    IndicatorSystem,
    InsuredIdentity,
    InsuredPerson,
    Objection,
    PlannedCheck,
    SupervisionMeasure,
)
from supervision.models.credit import mask_resident_id
from supervision.roles import CREDIT_EVALUATOR
from tests.admin_support import admin_url, change_form_data, make_credit_file
from tests.dbstate import snapshot
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    UserFactory,
    make_credit_code,
)

pytestmark = pytest.mark.django_db

FROZEN = "2024年度定点医疗机构信用评价已启动，指标体系已锁定，不能修改。"
_serial = itertools.count(1)


@pytest.fixture
def credit(db) -> SimpleNamespace:
    return make_credit_file(FacilityFactory(name="示例信用医院", district=District.CHENGGUAN))


@pytest.fixture
def evaluator(db):
    return UserFactory(username="evaluator", role=CREDIT_EVALUATOR)


def _id_number() -> str:
    first17 = f"5401021985{next(_serial):07d}"
    return first17 + resident_id_check_char(first17)


def _system(year: int, *, dimensions: int = 1, category=CreditCategoryCode.RETAIL_PHARMACY):
    """An open (not frozen) system whose dimensions add up to 1000, a manual indicator each."""
    system = IndicatorSystem.objects.create(
        category_id=category, year=year, name=f"{year}年度定点零售药店"
    )
    points = [1000 // dimensions] * dimensions
    points[0] += 1000 - sum(points)
    for position, full in enumerate(points, start=1):
        dimension = Dimension.objects.create(
            system=system, position=position, name=f"维度{position}", full_points=full
        )
        Indicator.objects.create(
            system=system,
            dimension=dimension,
            position=position,
            code=f"{position}.1",
            name=f"指标{position}",
            method=IndicatorMethod.MANUAL,
            full_points=full,
        )
    return system


# --- more rows of each model, for the query counts ---------------------------------------------


def _more_systems(credit, count: int) -> None:
    for n in range(count):
        _system(2030 + n, dimensions=2)


def _more_institutions(credit, count: int) -> None:
    for _ in range(count):
        CreditInstitution.objects.create(
            category_id=CreditCategoryCode.EMPLOYER,
            name=f"示例参保单位{next(_serial)}",
            credit_code=make_credit_code(710_000_000 + next(_serial)),
            district=District.CHENGGUAN,
        )


def _more_persons(credit, count: int) -> None:
    for _ in range(count):
        number = _id_number()
        person = InsuredPerson.objects.create(
            name="示例参保人", district=District.CHENGGUAN, id_masked=mask_resident_id(number)
        )
        InsuredIdentity.objects.create(person=person, id_number=number)


def _more_cycles(credit, count: int) -> None:
    for n in range(count):
        system = _system(2030 + n)
        EvaluationCycle.objects.create(
            category_id=system.category_id,
            year=system.year,
            system=system,
            opened_on=credit.cycle.opened_on,
            self_assessment_due=credit.cycle.self_assessment_due,
        )


def _assessment(credit) -> Assessment:
    facility = FacilityFactory()
    return Assessment.objects.create(
        cycle=credit.cycle,
        facility=facility,
        district=facility.district,
        subject_name=facility.name,
    )


def _more_assessments(credit, count: int) -> None:
    for _ in range(count):
        _assessment(credit)


def _more_items(credit, count: int) -> None:
    for _ in range(count):
        AssessmentItem.objects.create(
            assessment=_assessment(credit),
            indicator=credit.indicator,
            points=10,
            entered_by=credit.item.entered_by,
        )


def _more_objections(credit, count: int) -> None:
    for _ in range(count):
        Objection.objects.create(
            assessment=_assessment(credit),
            received_on=credit.objection.received_on,
            grounds="扣分依据有误",
        )


def _more_repairs(credit, count: int) -> None:
    for _ in range(count):
        CreditRepair.objects.create(
            rating=CreditRatingFactory(year=2023, grade=Grade.C),
            applied_on=credit.repair.applied_on,
            eligible_from=credit.repair.eligible_from,
            rectification="已完成整改",
            from_grade=Grade.C,
        )


def _more_planned(credit, count: int) -> None:
    for _ in range(count):
        PlannedCheck.objects.create(
            year=2025,
            facility=FacilityFactory(),
            grade=Grade.C,
            grade_year=2024,
            sequence=1,
            due_on=credit.planned.due_on,
        )


MORE = {
    IndicatorSystem: _more_systems,
    CreditInstitution: _more_institutions,
    InsuredPerson: _more_persons,
    EvaluationCycle: _more_cycles,
    Assessment: _more_assessments,
    AssessmentItem: _more_items,
    Objection: _more_objections,
    CreditRepair: _more_repairs,
    PlannedCheck: _more_planned,
}
RECORDS = {
    CreditCategory: "category",
    SupervisionMeasure: "measure",
    IndicatorSystem: "system",
    CreditInstitution: "institution",
    InsuredPerson: "person",
    EvaluationCycle: "cycle",
    Assessment: "assessment",
    AssessmentItem: "item",
    Objection: "objection",
    CreditRepair: "repair",
    PlannedCheck: "planned",
}
by_model = pytest.mark.parametrize("model", list(RECORDS), ids=lambda m: m.__name__)


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# --- every page opens, at a cost that does not grow --------------------------------------------


@by_model
def test_every_credit_page_opens_for_a_supervisor(client, supervisor, credit, model):
    client.force_login(supervisor)
    record = getattr(credit, RECORDS[model])
    for url in (
        admin_url(model, "changelist"),
        admin_url(record, "change"),
        admin_url(record, "history"),
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("model", list(MORE), ids=lambda m: m.__name__)
def test_a_credit_changelist_costs_the_same_for_1_row_and_for_6(client, supervisor, credit, model):
    client.force_login(supervisor)
    url = admin_url(model, "changelist")
    client.get(url)  # warm the per-process caches (content types)
    few = _count_queries(client, url)
    MORE[model](credit, 5)
    assert client.get(url).context["cl"].result_count >= 6
    assert _count_queries(client, url) == few


def test_the_indicator_system_page_costs_the_same_for_1_dimension_and_for_8(client, supervisor):
    small, large = _system(2030, dimensions=1), _system(2031, dimensions=8)
    client.force_login(supervisor)
    client.get(admin_url(small, "change"))
    assert _count_queries(client, admin_url(small, "change")) == _count_queries(
        client, admin_url(large, "change")
    )


def test_the_measures_and_categories_list_every_seeded_row(client, supervisor):
    client.force_login(supervisor)
    assert client.get(admin_url(CreditCategory, "changelist")).context["cl"].result_count == 8
    measures = client.get(admin_url(SupervisionMeasure, "changelist")).context["cl"]
    assert measures.result_count == SupervisionMeasure.objects.count() == 32


# --- indicator systems -------------------------------------------------------------------------


def test_a_frozen_system_is_shown_read_only_with_the_reason(client, supervisor, credit):
    client.force_login(supervisor)
    response = client.get(admin_url(credit.system, "change"))
    page = response.content.decode()
    assert FROZEN in page
    assert 'name="_save"' not in page
    assert not any(
        inline.has_change_permission for inline in response.context["inline_admin_formsets"]
    )
    assert client.get(admin_url(credit.system, "delete")).status_code == 403


def _indicator_form(client, system: IndicatorSystem) -> dict:
    """The POST of a system's page as it was loaded, with the first indicator renamed."""
    data = change_form_data(client.get(admin_url(system, "change")))
    assert data["indicators-0-name"] == "指标1"
    data["indicators-0-name"] = "改过的指标"
    return data


def test_a_frozen_system_refuses_a_changed_indicator_with_the_reason(client, supervisor, credit):
    system = _system(2030)
    client.force_login(supervisor)
    data = _indicator_form(client, system)
    IndicatorSystem.objects.filter(pk=system.pk).update(frozen_at=timezone.now())
    before = snapshot()

    response = client.post(admin_url(system, "change"), data, follow=True)

    assert response.status_code == 200
    assert "信用评价已启动，指标体系已锁定，不能修改。" in response.content.decode()
    assert snapshot() == before


def test_a_system_frozen_during_the_save_refuses_it_with_the_reason(
    client, supervisor, credit, monkeypatch
):
    system = _system(2030)
    client.force_login(supervisor)
    data = _indicator_form(client, system)
    original = IndicatorSystemAdmin.save_model

    def freeze_meanwhile(self, request, obj, form, change):
        IndicatorSystem.objects.filter(pk=obj.pk).update(frozen_at=timezone.now())
        original(self, request, obj, form, change)

    monkeypatch.setattr(IndicatorSystemAdmin, "save_model", freeze_meanwhile)
    before = snapshot()

    response = client.post(admin_url(system, "change"), data, follow=True)

    assert response.status_code == 200
    messages = [str(m) for m in get_messages(response.wsgi_request)] or [response.content.decode()]
    assert any("指标体系已锁定" in m for m in messages)
    assert snapshot() == before


def test_a_supervisor_changes_an_indicator_of_an_open_system_with_history(client, supervisor):
    system = _system(2030)
    client.force_login(supervisor)
    response = client.post(admin_url(system, "change"), _indicator_form(client, system))
    assert response.status_code == 302
    indicator = system.indicators.get(code="1.1")
    assert indicator.name == "改过的指标"
    assert indicator.history.latest().history_user == supervisor


def test_the_system_page_says_when_the_dimensions_do_not_add_up(client, supervisor):
    system = _system(2030, dimensions=2)
    Dimension.objects.filter(system=system, position=2).update(full_points=100)
    client.force_login(supervisor)
    assert "各维度分值合计应为1000分" in client.get(admin_url(system, "change")).content.decode()
    listed = client.get(admin_url(IndicatorSystem, "changelist")).content.decode()
    assert "（应为1000）" in listed


def test_the_copy_action_makes_next_years_system_with_the_same_indicators(
    client, supervisor, credit
):
    client.force_login(supervisor)
    url = admin_url(IndicatorSystem, "changelist")
    action = {"action": "copy_to_next_year", ACTION_CHECKBOX_NAME: [credit.system.pk]}

    response = client.post(url, action, follow=True)

    copy = IndicatorSystem.objects.get(category=credit.system.category, year=2025)
    assert copy.frozen_at is None and copy.copied_from == credit.system
    assert list(copy.dimensions.values_list("name", "full_points")) == [("基金使用", 1000)]
    assert list(copy.indicators.values_list("code", "dimension__name")) == [("1.1", "基金使用")]
    assert "已将" in response.content.decode()

    again = client.post(url, action, follow=True)
    assert "未复制" in again.content.decode()
    assert IndicatorSystem.objects.filter(category=credit.system.category, year=2025).count() == 1


def test_the_copy_action_is_offered_only_with_the_add_permissions(client, auditor, supervisor):
    _system(2030)
    for user, offered in ((supervisor, True), (auditor, False)):
        client.force_login(user)
        form = client.get(admin_url(IndicatorSystem, "changelist")).context["action_form"]
        names = {name for name, _label in form.fields["action"].choices} if form else set()
        assert ("copy_to_next_year" in names) is offered


# --- what an auditor may do, and the read-only evaluation --------------------------------------


@pytest.mark.parametrize(
    "attribute", ["institution", "person", "measure", "category", "assessment", "objection"]
)
def test_an_auditor_views_but_cannot_change(client, auditor, credit, attribute):
    record = getattr(credit, attribute)
    client.force_login(auditor)
    url = admin_url(record, "change")
    assert 'name="_save"' not in client.get(url).content.decode()
    before = snapshot()
    assert client.post(url, {"name": "改名", "note": "改"}).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("attribute", ["cycle", "assessment", "item", "objection", "repair"])
def test_the_evaluation_is_read_only_even_for_a_supervisor(client, supervisor, credit, attribute):
    record = getattr(credit, attribute)
    client.force_login(supervisor)
    assert 'name="_save"' not in client.get(admin_url(record, "change")).content.decode()
    assert client.post(admin_url(record, "change"), {}).status_code == 403
    assert client.get(admin_url(type(record), "add")).status_code == 403
    assert client.get(admin_url(record, "delete")).status_code == 403


def test_only_a_superuser_words_a_categorys_description(client, superuser, supervisor, credit):
    url = admin_url(credit.category, "change")
    client.force_login(supervisor)
    assert client.post(url, {"description": "改"}).status_code == 403
    client.force_login(superuser)
    assert client.post(url, {"description": "医药企业的说明"}).status_code == 302
    credit.category.refresh_from_db()
    assert credit.category.description == "医药企业的说明"
    assert credit.category.history.latest().history_user == superuser


def test_a_supervisor_changes_a_measure_with_history(client, supervisor, credit):
    measure = credit.measure
    client.force_login(supervisor)
    url = admin_url(measure, "change")
    data = change_form_data(client.get(url), min_checks="3", max_checks="")
    assert client.post(url, data).status_code == 302
    measure.refresh_from_db()
    assert measure.min_checks == 3
    assert measure.history.latest().history_user == supervisor
    assert client.get(admin_url(SupervisionMeasure, "add")).status_code == 403


def test_a_measure_with_fewer_checks_at_most_than_at_least_is_refused(client, supervisor, credit):
    client.force_login(supervisor)
    url = admin_url(credit.measure, "change")
    data = change_form_data(client.get(url), min_checks="4", max_checks="2")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "至多次数不少于至少次数" in response.content.decode()


# --- the registries, through their services ----------------------------------------------------


def test_a_supervisor_registers_and_corrects_an_institution(client, supervisor, credit):
    client.force_login(supervisor)
    code = make_credit_code(720_000_001)
    response = client.post(
        admin_url(CreditInstitution, "add"),
        {
            "category": CreditCategoryCode.SERVICE_PROVIDER,
            "name": "  示例第三方服务公司 ",
            "credit_code": code.lower(),
            "district": District.CHENGGUAN,
        },
    )
    assert response.status_code == 302
    institution = CreditInstitution.objects.get(credit_code=code)
    assert institution.name == "示例第三方服务公司"
    url = admin_url(institution, "change")
    data = change_form_data(client.get(url), legal_representative="示例法人")
    assert client.post(url, data).status_code == 302
    institution.refresh_from_db()
    assert (institution.legal_representative, institution.version) == ("示例法人", 2)
    assert institution.history.latest().history_user == supervisor


def test_an_institution_of_a_facility_category_is_refused(client, supervisor):
    client.force_login(supervisor)
    response = client.post(
        admin_url(CreditInstitution, "add"),
        {
            "category": CreditCategoryCode.MEDICAL_INSTITUTION,
            "name": "示例",
            "credit_code": make_credit_code(720_000_002),
            "district": District.CHENGGUAN,
        },
    )
    assert response.status_code == 200
    assert "category" in response.context["adminform"].form.errors
    assert not CreditInstitution.objects.exists()


def test_the_institution_search_finds_a_credit_code_and_a_name(client, supervisor, credit):
    client.force_login(supervisor)
    url = admin_url(CreditInstitution, "changelist")
    code = credit.institution.credit_code
    for term in (code, code[:8], "示例医药"):
        assert list(client.get(url, {"q": term}).context["cl"].result_list) == [credit.institution]


def test_an_evaluator_registers_an_insured_person_without_reading_the_number_back(
    client, evaluator
):
    number = _id_number()
    client.force_login(evaluator)
    response = client.post(
        admin_url(InsuredPerson, "add"),
        {"name": "示例新参保人", "district": District.CHENGGUAN, "id_number": number.lower()},
    )
    assert response.status_code == 302
    person = InsuredPerson.objects.get(name="示例新参保人")
    assert person.identity.id_number == number
    assert person.id_masked == mask_resident_id(number)
    page = client.get(admin_url(person, "change"), follow=True).content.decode()
    assert number not in page and person.id_masked in page


def test_an_id_number_already_registered_is_refused_on_the_add_form(client, supervisor, credit):
    client.force_login(supervisor)
    response = client.post(
        admin_url(InsuredPerson, "add"),
        {"name": "示例重复", "district": District.CHENGGUAN, "id_number": credit.id_number},
    )
    assert response.status_code == 200
    assert "id_number" in response.context["adminform"].form.errors
    assert not InsuredPerson.objects.filter(name="示例重复").exists()


def test_a_supervisor_reads_searches_and_corrects_the_id_number(client, supervisor, credit):
    client.force_login(supervisor)
    url = admin_url(credit.person, "change")
    response = client.get(url)
    assert credit.id_number in response.content.decode()
    found = client.get(admin_url(InsuredPerson, "changelist"), {"q": credit.id_number})
    assert list(found.context["cl"].result_list) == [credit.person]

    corrected = _id_number()
    data = change_form_data(response, **{"identity-0-id_number": corrected})
    assert client.post(url, data).status_code == 302
    credit.person.refresh_from_db()
    assert credit.person.identity.id_number == corrected
    assert credit.person.id_masked == mask_resident_id(corrected)


@pytest.mark.parametrize("persona", ["inspector", "auditor", "evaluator"])
def test_without_view_insuredidentity_no_admin_page_shows_an_id_number(
    client, request, credit, persona
):
    client.force_login(request.getfixturevalue(persona))
    changelist = admin_url(InsuredPerson, "changelist")
    listed = client.get(changelist)
    version = credit.person.history.latest().history_id
    assert credit.person.id_masked in listed.content.decode()
    for response in (
        listed,
        client.get(admin_url(credit.person, "change")),
        client.get(admin_url(credit.person, "history")),
        client.get(admin_url(InsuredPerson, "simple_history", credit.person.pk, version)),
    ):
        assert response.status_code in (200, 403)
        page = response.content.decode()
        assert credit.id_number not in page
        assert credit.id_number[6:14] not in page  # not even the birth date
    # The search reads the names only: the full number finds nobody.
    searched = client.get(changelist, {"q": credit.id_number})
    assert not list(searched.context["cl"].result_list)
