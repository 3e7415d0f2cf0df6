"""The practitioners' pages (医药机构相关人员, 医保支付资格记分): who may open which page,
registering and linking one person across facilities (一医一档), scoring from an inspection up to a
suspension, an objection that lifts it, the sections on the facility, inspection and dashboard
pages; bad input, hostile text and stale edits change nothing; a fixed number of queries; the ID
number never whole in a list, an export or the history of a reader without the permission."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supervision.choices import (
    District,
    InspectionStatus,
    MeasureKind,
    PointsState,
    Profession,
    QualificationStatus,
    RegistrationEnd,
    Responsibility,
    Violation,
)
from supervision.codes import resident_id_check_char
from supervision.models import (
    PointsRecord,
    Practitioner,
    QualificationMeasure,
    Registration,
)
from supervision.services import practitioners as service
from tests.dbstate import snapshot
from tests.factories import FacilityFactory, InspectionFactory, UserDistrictFactory
from tests.pages import html_of, sign_in

pytestmark = pytest.mark.django_db

PERSONAS = [
    "anonymous",
    "outsider",
    "inspector",
    "evaluator",
    "supervisor",
    "auditor",
    "tip_desk",
    "superuser",
]
READERS = {"inspector", "evaluator", "supervisor", "auditor", "superuser"}
KEEPERS = {"supervisor", "superuser"}
VIOLATIONS = [Violation.GHOST_ADMISSION, Violation.OVERCHARGING]
HOSTILE = [
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    "'; DROP TABLE supervision_practitioner; --",
]


def resident_id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


ID_A = resident_id("54010219800101123")
ID_B = resident_id("54010219900202567")
WRONG_B = ID_B[:17] + ("0" if ID_B[17] != "0" else "1")


def today() -> datetime.date:
    return timezone.localdate()


def register(facility, number: str = ID_A, name: str = "示例医师甲", **kwargs) -> Registration:
    values = {"profession": Profession.DOCTOR, "registered_on": today() - datetime.timedelta(30)}
    return service.register(
        user=None, facility=facility, id_number=number, name=name, **(values | kwargs)
    ).registration


def completed(facility, violations=VIOLATIONS):
    start = today() - datetime.timedelta(days=7)
    inspection = InspectionFactory(
        facility=facility, status=InspectionStatus.COMPLETED, start_date=start, end_date=start
    )
    inspection.violations.set(violations)
    return inspection


def score(person, inspection, points: int = 3, violation=VIOLATIONS[0], **kwargs) -> PointsRecord:
    responsibility = (
        Responsibility.GENERAL
        if points <= 3
        else Responsibility.IMPORTANT
        if points <= 6
        else Responsibility.MAIN
    )
    values = {
        "responsibility": responsibility,
        "basis": "《医疗保障基金使用监督管理条例》第十五条",
        "decision_number": f"拉医保记〔{today().year}〕{points}号",
        "decided_on": today(),
    }
    return service.score_points(
        user=None,
        inspection=inspection,
        practitioner=person,
        violation=violation,
        points=points,
        **(values | kwargs),
    )


@pytest.fixture
def world(db):
    """A hospital with a registered doctor, a completed inspection with violations, a points
    record not yet notified (scored) and one under objection."""
    hospital = FacilityFactory(name="示例人民医院")
    person = register(hospital).practitioner
    inspection = completed(hospital)
    scored = score(person, inspection, 2, VIOLATIONS[0])
    objected = score(person, inspection, 1, VIOLATIONS[1])
    objected = service.lodge_objection(objected, user=None, grounds="当日未当班。")
    return SimpleNamespace(
        hospital=hospital, person=person, inspection=inspection, scored=scored, objected=objected
    )


def form_data(response, **fill) -> dict:
    """The form's fields as the page shows them (hidden version included), with fill."""
    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        data[name] = "" if value is None else field.widget.format_value(value) or value
    return {k: v for k, v in (data | fill).items() if v is not None}


# --- who may open what ------------------------------------------------------------------------


def _url(name: str, world) -> str:
    person = world.person
    inspection = world.inspection
    scored = world.scored
    objected = world.objected
    registration = person.registrations.get()
    return {
        "practitioner-list": reverse("practitioner-list"),
        "practitioner-detail": reverse("practitioner-detail", args=[person.pk]),
        "practitioner-register": reverse("practitioner-register"),
        "practitioner-edit": reverse("practitioner-edit", args=[person.pk]),
        "registration-end": reverse("registration-end", args=[registration.pk]),
        "points-create": f"{reverse('points-create')}?inspection={inspection.pk}",
        "points-detail": reverse("points-detail", args=[scored.pk]),
        "points-notify": reverse("points-notify", args=[scored.pk]),
        "points-object": reverse("points-object", args=[scored.pk]),
        "points-decide": reverse("points-decide", args=[objected.pk]),
    }[name]


PAGES = [
    ("practitioner-list", READERS),
    ("practitioner-detail", READERS),
    ("points-detail", READERS),
    ("practitioner-register", KEEPERS),
    ("practitioner-edit", KEEPERS),
    ("registration-end", KEEPERS),
    ("points-create", KEEPERS),
    ("points-notify", KEEPERS),
    ("points-object", KEEPERS),
    ("points-decide", KEEPERS),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_opens_only_for_the_roles_it_is_for(
    client, request, world, persona, name, allowed
):
    url = _url(name, world)
    user = sign_in(client, request, persona)
    response = client.get(url)
    if user is None:
        assert response.status_code == 302
        assert reverse("login") in response["Location"]
    elif persona in allowed:
        assert response.status_code == 200, html_of(response)[:500]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("persona", ["inspector", "auditor", "evaluator"])
@pytest.mark.parametrize("name", [p[0] for p in PAGES if p[1] == KEEPERS])
def test_a_reader_cannot_post_any_form(client, request, world, persona, name):
    sign_in(client, request, persona)
    before = snapshot()
    assert client.post(_url(name, world), {"name": "示例"}).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("inspector", True), ("auditor", True), ("supervisor", True), ("tip_desk", False)],
)
def test_the_navigation_links_the_list_for_readers_only(client, request, persona, shown):
    sign_in(client, request, persona)
    html = html_of(client.get(reverse("dashboard")))
    assert (f'href="{reverse("practitioner-list")}"' in html) is shown


def test_a_reader_is_offered_no_write_links(client, inspector, world):
    person = world.person
    inspection = world.inspection
    scored = world.scored
    client.force_login(inspector)
    html = html_of(client.get(person.get_absolute_url()))
    assert reverse("practitioner-edit", args=[person.pk]) not in html
    assert reverse("practitioner-register") not in html
    assert "/end/" not in html
    html = html_of(client.get(scored.get_absolute_url()))
    assert reverse("points-notify", args=[scored.pk]) not in html
    assert reverse("points-object", args=[scored.pk]) not in html
    html = html_of(client.get(inspection.get_absolute_url()))
    assert reverse("points-create") not in html
    assert person.name in html  # the section lists who was scored


def test_a_supervisor_is_offered_the_steps_the_records_allow(client, supervisor, world):
    inspection = world.inspection
    scored = world.scored
    objected = world.objected
    client.force_login(supervisor)
    html = html_of(client.get(scored.get_absolute_url()))
    assert reverse("points-notify", args=[scored.pk]) in html
    assert reverse("points-object", args=[scored.pk]) in html
    assert reverse("points-decide", args=[scored.pk]) not in html
    html = html_of(client.get(objected.get_absolute_url()))
    assert reverse("points-decide", args=[objected.pk]) in html
    assert reverse("points-object", args=[objected.pk]) not in html
    html = html_of(client.get(inspection.get_absolute_url()))
    assert f"{reverse('points-create')}?inspection={inspection.pk}" in html


def test_scoring_is_offered_only_on_a_completed_inspection_with_violations(client, supervisor):
    facility = FacilityFactory()
    open_one = InspectionFactory(facility=facility, status=InspectionStatus.IN_PROGRESS)
    without = completed(facility, violations=[])
    client.force_login(supervisor)
    for inspection in (open_one, without):
        assert reverse("points-create") not in html_of(client.get(inspection.get_absolute_url()))
        response = client.get(reverse("points-create"), {"inspection": inspection.pk})
        assert response.status_code == 302  # refused with a message, back to the inspection
        assert response["Location"] == inspection.get_absolute_url()


@pytest.mark.parametrize("value", ["", "abc", "0", "99999999999999999999", "-1", "1 OR 1=1", "²"])
def test_the_score_form_without_a_valid_inspection_says_where_to_start(client, supervisor, value):
    client.force_login(supervisor)
    response = client.get(reverse("points-create"), {"inspection": value}, follow=True)
    assert response.status_code == 200
    assert "请从检查页面发起记分" in html_of(response)


def test_a_district_limited_account_sees_only_its_districts(client, supervisor):
    UserDistrictFactory(user=supervisor, district=District.DAGZE)
    mine = register(FacilityFactory(district=District.DAGZE), ID_A, "示例达孜医师").practitioner
    theirs = register(FacilityFactory(), ID_B, "示例城关医师").practitioner
    client.force_login(supervisor)
    listed = list(client.get(reverse("practitioner-list")).context["object_list"])
    assert listed == [mine]
    assert client.get(theirs.get_absolute_url()).status_code == 404
    assert client.get(reverse("practitioner-edit", args=[theirs.pk])).status_code == 404


# --- registering (登记备案, 一医一档) ------------------------------------------------------------


def register_form(at, **overrides) -> dict[str, str]:
    return {
        "facility": at.credit_code,
        "id_number": ID_B,
        "name": "示例护士乙",
        "profession": Profession.NURSE,
        "certificate_number": "110540100012345",
        "department": "内科",
        "registered_on": today().isoformat(),
        "note": "",
    } | overrides


def test_registering_a_new_person_creates_the_file_and_the_registration(client, supervisor):
    facility = FacilityFactory()
    client.force_login(supervisor)
    response = client.post(reverse("practitioner-register"), register_form(facility), follow=True)
    person = Practitioner.objects.get()
    assert response.redirect_chain[-1][0] == person.get_absolute_url()
    assert person.identity.id_number == ID_B
    assert person.district == facility.district
    assert person.registrations.get().facility == facility
    html = html_of(response)
    assert "新建人员档案" in html
    assert ID_B in html  # a supervisor reads the whole number on the person's page
    assert person.history.get().history_user == supervisor


def test_an_id_on_file_links_a_second_facility_to_the_same_person(client, supervisor):
    first = FacilityFactory()
    second = FacilityFactory()
    person = register(first, ID_B, "示例护士乙").practitioner
    client.force_login(supervisor)
    response = client.post(
        reverse("practitioner-register"),
        register_form(second, id_number=ID_B.lower(), profession=Profession.NURSE),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == person.get_absolute_url()
    assert Practitioner.objects.count() == 1
    assert {r.facility for r in person.registrations.all()} == {first, second}
    assert "一医一档" in html_of(response)


def test_the_same_id_with_another_name_is_refused_and_changes_nothing(client, supervisor):
    register(FacilityFactory(), ID_B, "示例护士乙")
    second = FacilityFactory()
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("practitioner-register"), register_form(second, name="示例冒名者")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "该身份证号码已登记的人员姓名与填写的不一致，请核对。"
    ]
    assert snapshot() == before
    assert ID_B not in html_of(response)  # the number typed is not given back


def test_registering_twice_at_the_same_facility_is_refused(client, supervisor):
    facility = FacilityFactory()
    register(facility, ID_B, "示例护士乙")
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(reverse("practitioner-register"), register_form(facility))
    assert response.status_code == 200
    assert "该人员已在该机构登记备案。" in html_of(response)
    assert snapshot() == before


def test_the_register_form_opened_from_a_facility_carries_it(client, supervisor):
    facility = FacilityFactory()
    client.force_login(supervisor)
    html = html_of(client.get(reverse("practitioner-register"), {"facility": facility.pk}))
    assert facility.credit_code in html or facility.insurance_code in html
    for value in ["abc", "99999999999999999999", "-5", "²"]:
        response = client.get(reverse("practitioner-register"), {"facility": value})
        assert response.status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id_number", WRONG_B),  # a wrong check character
        ("id_number", ID_B[:17]),
        ("id_number", "5" * 300),
        ("id_number", ""),
        ("id_number", HOSTILE[0]),
        ("id_number", HOSTILE[2]),
        ("name", ""),
        ("name", "姓" * 51),
        ("name", "示例\x00"),
        ("profession", "surgeon"),
        ("profession", HOSTILE[1]),
        ("certificate_number", "9" * 41),
        ("department", "科" * 101),
        ("registered_on", "2025/03/10"),
        ("registered_on", HOSTILE[2]),
        ("registered_on", (datetime.date.today() + datetime.timedelta(days=400)).isoformat()),
        ("note", "备" * 2001),
        ("facility", "不存在的机构"),
        ("facility", HOSTILE[2]),
        ("facility", "9" * 300),
    ],
)
def test_bad_registration_input_is_refused_and_changes_nothing(client, supervisor, field, value):
    facility = FacilityFactory()
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("practitioner-register"), register_form(facility, **{field: value})
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert snapshot() == before


def test_hostile_text_is_stored_as_typed_shown_escaped_and_exported_defused(client, supervisor):
    facility = FacilityFactory()
    client.force_login(supervisor)
    name = HOSTILE[0]
    client.post(
        reverse("practitioner-register"),
        register_form(facility, name=name, department=HOSTILE[2], certificate_number=HOSTILE[1]),
    )
    person = Practitioner.objects.get()
    assert person.name == name
    assert person.certificate_number == HOSTILE[1]
    html = html_of(client.get(person.get_absolute_url()))
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    response = client.get(reverse("practitioner-list"), {"export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert "'=cmd" in text  # a formula is written as text


# --- editing, ending a registration -----------------------------------------------------------


def test_editing_a_person_saves_it_with_its_history(client, supervisor):
    person = register(FacilityFactory(), ID_A, "示例医师甲").practitioner
    client.force_login(supervisor)
    url = reverse("practitioner-edit", args=[person.pk])
    page = client.get(url)
    assert ID_A not in html_of(page)  # the edit form never holds the number
    data = form_data(page, name="示例医师甲（更名）", change_reason="身份证件更名")
    response = client.post(url, data)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.name == "示例医师甲（更名）"
    assert person.identity.id_number == ID_A
    latest = person.history.latest()
    assert latest.history_user == supervisor
    assert latest.history_change_reason == "身份证件更名"


def test_a_supervisor_corrects_a_number_and_its_mask(client, supervisor):
    person = register(FacilityFactory(), ID_A).practitioner
    client.force_login(supervisor)
    url = reverse("practitioner-edit", args=[person.pk])
    response = client.post(url, form_data(client.get(url), id_number=ID_B))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.identity.id_number == ID_B
    assert person.id_masked.endswith(ID_B[-4:])


def test_a_stale_edit_is_refused_and_changes_nothing(client, supervisor):
    person = register(FacilityFactory(), ID_A, "示例医师甲").practitioner
    client.force_login(supervisor)
    url = reverse("practitioner-edit", args=[person.pk])
    data = form_data(client.get(url), name="示例医师（过时）")
    service.edit_practitioner(person, user=supervisor, note="另一人先改了备注")
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 409
    assert snapshot() == before
    assert "示例医师（过时）" in html_of(response)  # what was typed stays on the page


def test_a_stale_notification_is_refused(client, supervisor, world):
    scored = world.scored
    client.force_login(supervisor)
    url = reverse("points-notify", args=[scored.pk])
    data = form_data(client.get(url))
    PointsRecord.objects.filter(pk=scored.pk).update(version=scored.version + 1)
    before = snapshot()
    assert client.post(url, data).status_code == 409
    assert snapshot() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "姓" * 51),
        ("name", ""),
        ("district", "999999"),
        ("profession", HOSTILE[2]),
        ("id_number", HOSTILE[0]),
        ("note", "备" * 2001),
        ("version", "abc"),
        ("version", ""),
    ],
)
def test_bad_edit_input_is_refused_and_changes_nothing(client, supervisor, field, value):
    person = register(FacilityFactory(), ID_A).practitioner
    client.force_login(supervisor)
    url = reverse("practitioner-edit", args=[person.pk])
    data = form_data(client.get(url), **{field: value})
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert snapshot() == before


def test_ending_a_registration_through_the_page(client, supervisor):
    registration = register(FacilityFactory(), ID_A)
    client.force_login(supervisor)
    url = reverse("registration-end", args=[registration.pk])
    response = client.post(url, form_data(client.get(url), end_reason=RegistrationEnd.OTHER))
    assert response.status_code == 302
    registration.refresh_from_db()
    assert (registration.ended_on, registration.end_reason) == (today(), RegistrationEnd.OTHER)
    # Ended: the page says so instead of the form.
    again = client.get(url, follow=True)
    assert "该登记备案已注销。" in html_of(again)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("end_reason", RegistrationEnd.TERMINATED),
        ("end_reason", HOSTILE[1]),
        ("ended_on", "not a date"),
        ("ended_on", "1999-01-01"),  # before the registration
        ("ended_on", (datetime.date.today() + datetime.timedelta(days=30)).isoformat()),
    ],
)
def test_bad_end_input_is_refused_and_changes_nothing(client, supervisor, field, value):
    registration = register(FacilityFactory(), ID_A)
    client.force_login(supervisor)
    url = reverse("registration-end", args=[registration.pk])
    data = form_data(client.get(url), **{field: value})
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert snapshot() == before


# --- points ------------------------------------------------------------------------------------


def score_form(person, inspection, **overrides) -> dict[str, str]:
    return {
        "practitioner": str(person.pk),
        "violation": VIOLATIONS[0],
        "responsibility": Responsibility.MAIN,
        "points": "9",
        "basis": "《医疗保障基金使用监督管理条例》第十五条",
        "decision_number": "拉医保记〔2025〕1号",
        "decided_on": today().isoformat(),
        "notified_on": "",
    } | overrides


def score_url(inspection) -> str:
    return f"{reverse('points-create')}?inspection={inspection.pk}"


def test_the_score_form_offers_the_facilitys_people_and_the_inspections_violations(
    client, supervisor
):
    facility = FacilityFactory()
    mine = register(facility, ID_A, "示例本院医师").practitioner
    other = register(FacilityFactory(), ID_B, "示例外院医师").practitioner
    inspection = completed(facility)
    client.force_login(supervisor)
    response = client.get(score_url(inspection))
    form = response.context["form"]
    assert [v for v, _ in form.fields["practitioner"].choices if v] == [str(mine.pk)]
    assert [v for v, _ in form.fields["violation"].choices if v] == VIOLATIONS
    html = html_of(response)
    assert other.name not in html
    assert "主要责任每次记7–9、10–12分" in html  # the year's bands as help
    assert ID_A not in html  # people are named with the masked number


def test_scoring_nine_points_through_the_page_suspends_the_person(client, supervisor):
    facility = FacilityFactory()
    person = register(facility, ID_A).practitioner
    inspection = completed(facility)
    client.force_login(supervisor)
    response = client.post(score_url(inspection), score_form(person, inspection), follow=True)
    record = PointsRecord.objects.get()
    assert response.redirect_chain[-1][0] == record.get_absolute_url()
    assert (record.points, record.created_by) == (9, supervisor)
    measure = QualificationMeasure.objects.get()
    assert (measure.kind, measure.starts_on, measure.points_record) == (
        MeasureKind.SUSPENSION,
        today(),
        record,
    )
    assert person.qualification_status_on(today()) == QualificationStatus.SUSPENDED
    assert "暂停医保支付资格" in html_of(response)  # the message names the measure
    page = html_of(client.get(person.get_absolute_url()))
    assert "status-qualification_suspended" in page


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("points", "abc"),
        ("points", "0"),
        ("points", "13"),
        ("points", "1.5"),
        ("points", "99999999999999999999999"),
        ("points", "4"),  # outside the main responsibility's bands
        ("responsibility", "nonsense"),
        ("violation", Violation.DRUG_RESELLING),  # not found by this inspection
        ("violation", HOSTILE[1]),
        ("practitioner", "99999999999999999999"),
        ("practitioner", HOSTILE[2]),
        ("practitioner", "abc"),
        ("basis", ""),
        ("basis", "据" * 2001),
        ("decision_number", ""),
        ("decision_number", "号" * 61),
        ("decided_on", "2025/3/10"),
        ("decided_on", (datetime.date.today() + datetime.timedelta(days=3)).isoformat()),
        ("decided_on", "2000-01-01"),  # before the inspection
        ("notified_on", "2000-01-01"),  # before the decision
        ("notified_on", HOSTILE[0]),
    ],
)
def test_bad_points_input_is_refused_and_changes_nothing(client, supervisor, field, value):
    facility = FacilityFactory()
    person = register(facility, ID_A).practitioner
    inspection = completed(facility)
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(score_url(inspection), score_form(person, inspection, **{field: value}))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert snapshot() == before


def test_the_same_violation_cannot_be_scored_twice(client, supervisor):
    facility = FacilityFactory()
    person = register(facility, ID_A).practitioner
    inspection = completed(facility)
    score(person, inspection, 2)
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        score_url(inspection),
        score_form(person, inspection, points="2", responsibility=Responsibility.GENERAL),
    )
    assert response.status_code == 200
    assert "该人员已就此次检查的该项违规行为记分。" in html_of(response)
    assert snapshot() == before


def test_recording_the_notification_through_the_page(client, supervisor, world):
    scored = world.scored
    client.force_login(supervisor)
    url = reverse("points-notify", args=[scored.pk])
    assert client.post(url, form_data(client.get(url))).status_code == 302
    scored.refresh_from_db()
    assert scored.notified_on == today()
    assert client.get(url).status_code == 302  # already recorded: back to the record


def test_a_revoked_objection_lifts_the_suspension(client, supervisor):
    facility = FacilityFactory()
    person = register(facility, ID_A).practitioner
    inspection = completed(facility)
    client.force_login(supervisor)
    client.post(score_url(inspection), score_form(person, inspection))
    record = PointsRecord.objects.get()
    assert person.qualification_status_on(today()) == QualificationStatus.SUSPENDED

    url = reverse("points-object", args=[record.pk])
    data = form_data(client.get(url), objection_grounds="当日未当班，系他人冒用工号。")
    assert client.post(url, data).status_code == 302
    record.refresh_from_db()
    assert record.state == PointsState.OBJECTED

    url = reverse("points-decide", args=[record.pk])
    data = form_data(
        client.get(url), outcome=PointsState.REVOKED, objection_reason="经核实确系冒用工号。"
    )
    response = client.post(url, data, follow=True)
    assert response.redirect_chain[-1][0] == record.get_absolute_url()
    record.refresh_from_db()
    assert record.state == PointsState.REVOKED
    measure = QualificationMeasure.objects.get()
    assert measure.lifted_on == today()
    assert person.qualification_status_on(today()) == QualificationStatus.ACTIVE
    page = html_of(client.get(person.get_absolute_url()))
    assert "status-qualification_suspended" not in page


def test_a_reduced_objection_needs_the_new_points(client, supervisor, world):
    objected = world.objected
    client.force_login(supervisor)
    url = reverse("points-decide", args=[objected.pk])
    data = form_data(client.get(url), outcome=PointsState.REDUCED, objection_reason="部分属实。")
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 200
    assert "points" in response.context["form"].errors
    # 1 point cannot be reduced: the service's refusal lands on the field.
    response = client.post(url, data | {"points": "1"})
    assert "points" in response.context["form"].errors
    assert snapshot() == before


@pytest.mark.parametrize(
    ("step", "field", "value"),
    [
        ("points-object", "objection_grounds", ""),
        ("points-object", "objection_grounds", "理" * 2001),
        ("points-object", "objected_on", "2000-01-01"),
        ("points-object", "objected_on", HOSTILE[2]),
        ("points-decide", "outcome", "nonsense"),
        ("points-decide", "outcome", HOSTILE[1]),
        ("points-decide", "objection_reason", ""),
        ("points-decide", "objection_reason", "理" * 1001),
        ("points-decide", "objection_decided_on", "2000-01-01"),
        ("points-decide", "points", "abc"),
        ("points-decide", "responsibility", HOSTILE[0]),
        ("points-notify", "notified_on", "2000-01-01"),
        ("points-notify", "notified_on", "abc"),
    ],
)
def test_bad_step_input_is_refused_and_changes_nothing(
    client, supervisor, world, step, field, value
):
    scored = world.scored
    objected = world.objected
    record = objected if step == "points-decide" else scored
    client.force_login(supervisor)
    url = reverse(step, args=[record.pk])
    fill = {"outcome": PointsState.MAINTAINED, "objection_reason": "理由"}
    fill |= {"objection_grounds": "理由"} if step == "points-object" else {}
    data = form_data(client.get(url), **(fill if step != "points-notify" else {}))
    before = snapshot()
    response = client.post(url, data | {field: value})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert snapshot() == before


# --- the ID number -----------------------------------------------------------------------------


def test_the_whole_number_only_for_who_may_read_it(client, supervisor, auditor, world):
    person = world.person
    number = person.identity.id_number
    service.edit_practitioner(person, user=supervisor, id_number=ID_B)  # history of the number
    client.force_login(supervisor)
    assert ID_B in html_of(client.get(person.get_absolute_url()))
    client.force_login(auditor)
    html = html_of(client.get(person.get_absolute_url()))
    assert ID_B not in html and number not in html
    assert person.history.model is not None
    assert "身份证号码" in html  # its history says it changed, not what to
    list_html = html_of(client.get(reverse("practitioner-list")))
    assert ID_B not in list_html
    client.force_login(supervisor)
    list_html = html_of(client.get(reverse("practitioner-list")))
    assert ID_B not in list_html  # lists mask it whoever reads


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_the_export_holds_masked_numbers_only(client, superuser, world, export):
    hospital = world.hospital
    person = world.person
    client.force_login(superuser)
    response = client.get(reverse("practitioner-list"), {"export": export})
    assert response.status_code == 200
    if export == "csv":
        content = b"".join(response.streaming_content)
        text = content.decode("utf-8")
        assert person.id_masked in text
        assert hospital.name in text
    else:
        import io
        import zipfile

        content = response.content
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            text = "".join(archive.read(n).decode("utf-8", "ignore") for n in archive.namelist())
        assert person.id_masked in text
    assert person.identity.id_number not in text


def test_the_search_finds_a_whole_number_only_for_who_may_read_it(client, supervisor, inspector):
    person = register(FacilityFactory(), ID_A, "示例医师甲").practitioner
    url = reverse("practitioner-list")
    client.force_login(supervisor)
    assert list(client.get(url, {"q": ID_A}).context["object_list"]) == [person]
    client.force_login(inspector)
    assert list(client.get(url, {"q": ID_A}).context["object_list"]) == []
    assert list(client.get(url, {"q": "示例医师"}).context["object_list"]) == [person]


# --- lists and filters -------------------------------------------------------------------------


def test_the_list_filters_by_facility_status_and_points(client, auditor):
    facility = FacilityFactory()
    suspended = register(facility, ID_A, "示例医师甲").practitioner
    score(suspended, completed(facility), 9)
    other = register(FacilityFactory(), ID_B, "示例护士乙").practitioner
    client.force_login(auditor)
    url = reverse("practitioner-list")

    def listed(**query) -> list:
        response = client.get(url, query)
        assert response.status_code == 200
        return list(response.context["object_list"])

    assert listed(facility=facility.pk) == [suspended]
    assert listed(status=QualificationStatus.SUSPENDED) == [suspended]
    assert listed(status=QualificationStatus.ACTIVE) == [other]
    assert listed(points_min=9) == [suspended]
    assert listed(points_min="abc") == []  # refused, with a message, not everything
    assert listed(facility="99999999999999999999999") == []
    assert listed(facility="²") == []  # a digit to Python, no id to the database
    html = html_of(client.get(url, {"facility": facility.pk}))
    assert facility.name in html  # the chip names the facility


def _people(n: int, facility) -> None:
    for i in range(n):
        registration = register(facility, resident_id(f"540102198{i:08d}"), f"示例医师{i}")
        score(registration.practitioner, completed(facility), 1 + i % 3)


def test_the_list_issues_as_many_queries_for_many_rows_as_for_one(
    client, supervisor, django_assert_num_queries
):
    facility = FacilityFactory()
    _people(1, facility)
    client.force_login(supervisor)
    url = reverse("practitioner-list")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).context["object_list"]) == 1
    other = FacilityFactory()
    for i in range(1, 25):
        registration = register(other, resident_id(f"540102198{i:08d}"), f"示例医师{i}")
        Registration.objects.create(
            practitioner=registration.practitioner,
            facility=facility,
            registered_on=today() - datetime.timedelta(days=3),
        )
        score(registration.practitioner, completed(other), 1 + i % 3)
    with django_assert_num_queries(len(one)):
        assert len(client.get(url).context["object_list"]) == 25


def test_a_persons_page_issues_as_many_queries_for_a_long_record_as_for_a_short_one(
    client, supervisor, django_assert_num_queries
):
    facility = FacilityFactory()
    person = register(facility, ID_A).practitioner
    score(person, completed(facility), 2)
    # One of each kind of change: more rows of a kind must not add queries.
    service.edit_practitioner(person, user=supervisor, note="备注", id_number=ID_B)
    client.force_login(supervisor)
    url = person.get_absolute_url()
    with CaptureQueriesContext(connection) as short:
        assert client.get(url).status_code == 200
    for n in range(4):
        other = FacilityFactory()
        Registration.objects.create(practitioner=person, facility=other, registered_on=today())
        service.score_points(
            user=supervisor,
            inspection=completed(other),
            practitioner=person,
            violation=VIOLATIONS[0],
            responsibility=Responsibility.GENERAL,
            points=1,
            basis="依据",
            decision_number=f"拉医保记〔2025〕{n + 10}号",
            decided_on=today(),
        )
    service.edit_practitioner(person, user=supervisor, note="备注二", id_number=ID_A)
    with django_assert_num_queries(len(short)):
        assert client.get(url).status_code == 200


# --- the facility page, the inspection page, the overview -------------------------------------


def test_the_facility_page_lists_its_people_open_registrations_first(client, inspector):
    facility = FacilityFactory()
    left = register(facility, ID_A, "示例甲医师")
    service.end_registration(left, user=None, end_reason=RegistrationEnd.LEFT)
    staying = register(facility, ID_B, "示例乙医师")
    client.force_login(inspector)
    response = client.get(facility.get_absolute_url())
    rows = response.context["practitioners"]
    assert [row["person"] for row in rows] == [staying.practitioner, left.practitioner]
    html = html_of(response)
    assert f"{reverse('practitioner-list')}?facility={facility.pk}" in html
    assert reverse("practitioner-register") not in html  # an inspector does not register


def test_the_facility_page_caps_its_people_with_a_link_to_the_rest(client, supervisor):
    facility = FacilityFactory()
    for i in range(21):
        register(facility, resident_id(f"540102197{i:08d}"), f"示例医师{i:02d}")
    client.force_login(supervisor)
    response = client.get(facility.get_absolute_url())
    assert len(response.context["practitioners"]) == 20
    assert response.context["more_practitioners"]
    assert f"{reverse('practitioner-register')}?facility={facility.pk}" in html_of(response)


def test_the_facility_page_issues_as_many_queries_for_many_people_as_for_one(
    client, auditor, django_assert_num_queries
):
    facility = FacilityFactory()
    register(facility, ID_A)
    client.force_login(auditor)
    with CaptureQueriesContext(connection) as one:
        client.get(facility.get_absolute_url())
    for i in range(10):
        register(facility, resident_id(f"540102197{i:08d}"), f"示例医师{i:02d}")
    with django_assert_num_queries(len(one)):
        client.get(facility.get_absolute_url())


def test_the_facility_page_has_no_people_section_for_a_role_without_them(client, tip_desk):
    facility = FacilityFactory()
    register(facility, ID_A, "示例甲医师")
    client.force_login(tip_desk)
    response = client.get(facility.get_absolute_url())
    assert response.context["practitioners"] is None
    assert "示例甲医师" not in html_of(response)


def test_the_overview_counts_suspended_and_terminated_practitioners(client, auditor, tip_desk):
    facility = FacilityFactory()
    suspended = register(facility, ID_A).practitioner
    score(suspended, completed(facility), 9)
    terminated = register(facility, ID_B, "示例护士乙").practitioner
    score(terminated, completed(facility), 12)
    client.force_login(auditor)
    response = client.get(reverse("dashboard"))
    figures = {f.key: f for f in response.context["practitioners"]}
    assert figures[QualificationStatus.SUSPENDED].value == 1
    assert figures[QualificationStatus.TERMINATED].value == 1
    url = figures[QualificationStatus.SUSPENDED].url
    assert list(client.get(url).context["object_list"]) == [suspended]
    client.force_login(tip_desk)
    response = client.get(reverse("dashboard"))
    assert response.context["practitioners"] is None
    assert "practitioner-qualification" not in html_of(response)
