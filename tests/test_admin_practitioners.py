"""The practitioners' admin pages: every page opens for a superuser and a supervisor at a cost
that does not grow with the rows; people are registered and corrected through the service (one
record per person), registrations ended through it; the points records and the qualification
measures are read-only for everyone; the rules are edited with their bands and periods and leave
history; and no page shows an ID number to a user without view_practitioneridentity.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision.choices import (
    District,
    InspectionStatus,
    MeasureKind,
    Profession,
    RegistrationEnd,
    Responsibility,
    Violation,
)
from supervision.models import (
    PointsBand,
    PointsPolicy,
    PointsRecord,
    Practitioner,
    PractitionerIdentity,
    QualificationMeasure,
    Registration,
    SuspensionPeriod,
)
from supervision.models.credit import mask_resident_id
from supervision.services import practitioners as service
from tests.admin_support import admin_url, change_form_data
from tests.dbstate import snapshot
from tests.factories import FacilityFactory, InspectionFactory, _resident_id

pytestmark = pytest.mark.django_db

D = datetime.date
PERSON_ID = _resident_id("54010219800101123")
NEW_ID = _resident_id("54010219900202456")
VIOLATIONS = [Violation.GHOST_ADMISSION, Violation.OVERCHARGING]


def make_practitioner_file(facility=None, user=None, id_number: str = PERSON_ID) -> SimpleNamespace:
    """A person registered (through the service) with facility, a completed inspection of it
    and 9 points that suspended the person: a record of every practitioners' model (the rules
    are seeded)."""
    facility = facility or FacilityFactory()
    registration = service.register(
        user=user,
        facility=facility,
        id_number=id_number,
        name="示例医师甲",
        profession=Profession.DOCTOR,
        certificate_number="110540000000001",
        registered_on=D(2025, 1, 6),
    ).registration
    person = registration.practitioner
    inspection = InspectionFactory(
        facility=facility,
        status=InspectionStatus.COMPLETED,
        start_date=D(2025, 3, 10),
        end_date=D(2025, 3, 12),
    )
    inspection.violations.set(VIOLATIONS)
    record = service.score_points(
        user=user,
        inspection=inspection,
        practitioner=person,
        violation=VIOLATIONS[0],
        responsibility=Responsibility.MAIN,
        points=9,
        basis="挂床住院，负主要责任。",
        decision_number="拉医保记〔2025〕1号",
        decided_on=D(2025, 6, 1),
    )
    return SimpleNamespace(
        facility=facility,
        person=person,
        registration=registration,
        inspection=inspection,
        record=record,
        measure=QualificationMeasure.objects.get(practitioner=person),
        policy=PointsPolicy.objects.get(from_year=2024),
        id_number=id_number,
    )


@pytest.fixture
def file(supervisor) -> SimpleNamespace:
    return make_practitioner_file(FacilityFactory(district=District.CHENGGUAN), supervisor)


RECORDS = {
    Practitioner: "person",
    Registration: "registration",
    PointsRecord: "record",
    QualificationMeasure: "measure",
    PointsPolicy: "policy",
}
by_model = pytest.mark.parametrize("model", list(RECORDS), ids=lambda m: m.__name__)


# --- every page opens ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["superuser", "supervisor"])
@by_model
def test_every_page_opens(client, request, file, persona, model):
    client.force_login(request.getfixturevalue(persona))
    record = getattr(file, RECORDS[model])
    urls = [
        admin_url(model, "changelist"),
        admin_url(record, "change"),
        admin_url(record, "history"),
    ]
    # The seeded rules have no history row until they are first changed.
    for version in record.history.values_list("history_id", flat=True)[:1]:
        urls.append(admin_url(model, "simple_history", record.pk, version))
    for url in urls:
        assert client.get(url).status_code == 200, url
    adds = model in (Practitioner, PointsPolicy)
    assert client.get(admin_url(model, "add")).status_code == (200 if adds else 403)


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@by_model
def test_a_changelist_costs_the_same_for_1_row_and_for_6(client, supervisor, file, model):
    client.force_login(supervisor)
    url = admin_url(model, "changelist")
    client.get(url)  # warm the per-process caches (content types)
    few = _count_queries(client, url)
    for i in range(5):
        make_practitioner_file(file.facility, supervisor, _resident_id(f"5401021975{i:07d}"))
        PointsPolicy.objects.create(from_year=2030 + i)
    assert client.get(url).context["cl"].result_count >= 6
    assert _count_queries(client, url) == few


def test_a_person_s_page_costs_the_same_with_more_registrations(client, supervisor, file):
    client.force_login(supervisor)
    url = admin_url(file.person, "change")
    client.get(url)
    few = _count_queries(client, url)
    for _ in range(4):
        service.register(
            user=supervisor,
            facility=FacilityFactory(),
            id_number=PERSON_ID,
            name="示例医师甲",
            profession=Profession.DOCTOR,
            registered_on=D(2025, 2, 1),
        )
    assert _count_queries(client, url) == few


# --- people -----------------------------------------------------------------------------------


def _add(client, facility, **overrides):
    return client.post(
        admin_url(Practitioner, "add"),
        {
            "facility": facility.pk,
            "id_number": NEW_ID.lower(),
            "name": "示例新医师",
            "profession": Profession.NURSE,
            "certificate_number": "",
            "department": "护理部",
            "registered_on": "2025-05-01",
            "note": "",
            **overrides,
        },
    )


def test_a_supervisor_registers_a_person_through_the_service(client, supervisor):
    facility = FacilityFactory()
    client.force_login(supervisor)
    response = _add(client, facility)
    assert response.status_code == 302, response.context and response.context["errors"]
    person = Practitioner.objects.get(name="示例新医师")
    assert person.identity.id_number == NEW_ID
    assert (person.id_masked, person.district) == (mask_resident_id(NEW_ID), facility.district)
    registration = person.registrations.get()
    assert (registration.facility, registration.department) == (facility, "护理部")
    assert person.history.get().history_user == supervisor
    assert registration.history.get().history_change_reason == "登记备案"


def test_the_same_number_at_a_second_facility_links_to_the_same_person(client, supervisor, file):
    other = FacilityFactory()
    client.force_login(supervisor)
    response = _add(client, other, id_number=PERSON_ID, name="示例医师甲")
    assert response.status_code == 302
    assert Practitioner.objects.count() == 1
    assert set(file.person.registrations.values_list("facility", flat=True)) == {
        file.facility.pk,
        other.pk,
    }
    messages = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert any("一医一档" in m for m in messages)


def test_the_same_number_with_another_name_is_refused_on_the_form(client, supervisor, file):
    other = FacilityFactory()
    client.force_login(supervisor)
    before = snapshot()
    response = _add(client, other, id_number=PERSON_ID, name="示例他人")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["name"] == ["该身份证号码已登记的人员姓名与填写的不一致，请核对。"]
    assert snapshot() == before


def test_a_wrong_number_is_refused_on_the_form(client, supervisor):
    facility = FacilityFactory()
    client.force_login(supervisor)
    response = _add(client, facility, id_number=NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1"))
    assert response.status_code == 200
    assert "id_number" in response.context["adminform"].form.errors
    assert not Practitioner.objects.exists()


def test_a_supervisor_edits_and_corrects_the_number_through_the_service(client, supervisor, file):
    client.force_login(supervisor)
    url = admin_url(file.person, "change")
    response = client.get(url)
    assert file.id_number in response.content.decode()
    data = change_form_data(response, note="调入外科", **{"identity-0-id_number": NEW_ID})
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.context and saved.context["errors"]
    file.person.refresh_from_db()
    assert file.person.note == "调入外科"
    assert file.person.identity.id_number == NEW_ID
    assert file.person.id_masked == mask_resident_id(NEW_ID)
    latest = file.person.history.latest()
    assert (latest.history_user, latest.note) == (supervisor, "调入外科")
    found = client.get(admin_url(Practitioner, "changelist"), {"q": NEW_ID})
    assert list(found.context["cl"].result_list) == [file.person]


def test_the_search_finds_a_name_and_a_certificate_prefix(client, auditor, file):
    client.force_login(auditor)
    url = admin_url(Practitioner, "changelist")
    for term in ("医师甲", "1105400", "110540000000001"):
        assert list(client.get(url, {"q": term}).context["cl"].result_list) == [file.person]


# --- registrations ----------------------------------------------------------------------------


def test_a_registration_is_ended_through_the_service_then_read_only(client, supervisor, file):
    client.force_login(supervisor)
    url = admin_url(file.registration, "change")
    response = client.get(url)
    data = change_form_data(response, ended_on="2025-06-15", end_reason=RegistrationEnd.LEFT)
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.context and saved.context["errors"]
    file.registration.refresh_from_db()
    assert (file.registration.ended_on, file.registration.end_reason) == (
        D(2025, 6, 15),
        RegistrationEnd.LEFT,
    )
    latest = file.registration.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (supervisor, "注销登记备案")
    page = client.get(url).content.decode()
    assert 'name="_save"' not in page
    assert client.post(url, data).status_code == 403


def test_an_end_before_the_registration_is_refused_with_a_message(client, supervisor, file):
    client.force_login(supervisor)
    url = admin_url(file.registration, "change")
    data = change_form_data(client.get(url), ended_on="2024-06-15", end_reason="other")
    before = snapshot()
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    assert any("注销日期不能早于登记备案日期" in str(m) for m in response.context["messages"])
    assert snapshot() == before


def test_an_end_without_a_reason_is_refused_on_the_form(client, supervisor, file):
    client.force_login(supervisor)
    url = admin_url(file.registration, "change")
    data = change_form_data(client.get(url), ended_on="2025-06-15")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "end_reason" in response.context["adminform"].form.errors
    file.registration.refresh_from_db()
    assert file.registration.ended_on is None


# --- written by the service only --------------------------------------------------------------


@pytest.mark.parametrize("persona", ["superuser", "supervisor", "auditor"])
@pytest.mark.parametrize("model", [PointsRecord, QualificationMeasure], ids=lambda m: m.__name__)
def test_the_service_s_records_are_read_only_for_everyone(client, request, file, persona, model):
    client.force_login(request.getfixturevalue(persona))
    record = getattr(file, RECORDS[model])
    url = admin_url(record, "change")
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert client.get(admin_url(model, "add")).status_code == 403
    before = snapshot()
    assert client.post(url, {"points": 1}).status_code == 403
    assert client.post(admin_url(model, "add"), {"points": 1}).status_code == 403
    assert client.post(admin_url(record, "delete"), {"post": "yes"}).status_code == 403
    assert snapshot() == before


# --- the rules --------------------------------------------------------------------------------


def test_a_supervisor_edits_the_rules_with_their_bands_and_periods_and_history(
    client, supervisor, file
):
    policy = file.policy
    client.force_login(supervisor)
    url = admin_url(policy, "change")
    response = client.get(url)
    data = change_form_data(response, suspension_threshold="8", note="本地规定")
    periods = list(policy.suspension_periods.order_by("points"))
    bands = list(policy.bands.order_by("min_points"))
    # Change the first band's label and the last period, add a period for 8 points.
    band_index = next(
        i for i in range(len(bands)) if str(data[f"bands-{i}-id"]) == str(bands[0].pk)
    )
    data[f"bands-{band_index}-label"] = "负有一般责任（本地）"
    period_index = next(
        i
        for i in range(len(periods))
        if str(data[f"suspension_periods-{i}-id"]) == str(periods[-1].pk)
    )
    data[f"suspension_periods-{period_index}-months"] = "5"
    total = int(data["suspension_periods-TOTAL_FORMS"])
    data.update(
        {
            "suspension_periods-TOTAL_FORMS": str(total + 1),
            f"suspension_periods-{total}-points": "8",
            f"suspension_periods-{total}-months": "1",
            f"suspension_periods-{total}-policy": str(policy.pk),
        }
    )
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.context and saved.context["errors"]
    policy.refresh_from_db()
    assert (policy.suspension_threshold, policy.note, policy.version) == (8, "本地规定", 2)
    assert policy.history.latest().history_user == supervisor
    assert PointsBand.objects.get(pk=bands[0].pk).label == "负有一般责任（本地）"
    assert PointsBand.history.filter(id=bands[0].pk).latest().history_user == supervisor
    changed = SuspensionPeriod.history.filter(id=periods[-1].pk).latest()
    assert (changed.months, changed.history_type, changed.history_user) == (5, "~", supervisor)
    added = SuspensionPeriod.objects.get(policy=policy, points=8)
    assert (added.months, added.history.get().history_user) == (1, supervisor)
    # The rules that scored the points stay: a supervisor deletes no band nor period.
    assert not any(f.formset.can_delete for f in client.get(url).context["inline_admin_formsets"])
    history = client.get(admin_url(policy, "history"))
    assert history.status_code == 200
    assert "supervisor" in history.content.decode()


def test_a_supervisor_adds_next_years_rules(client, supervisor):
    client.force_login(supervisor)
    response = client.post(
        admin_url(PointsPolicy, "add"),
        {
            "from_year": "2027",
            "note": "",
            "suspension_threshold": "9",
            "termination_threshold": "12",
            "block_months": "12",
            "block_months_single_event": "36",
            "bands-TOTAL_FORMS": "1",
            "bands-INITIAL_FORMS": "0",
            "bands-0-responsibility": Responsibility.GENERAL,
            "bands-0-min_points": "1",
            "bands-0-max_points": "3",
            "bands-0-label": "",
            "suspension_periods-TOTAL_FORMS": "1",
            "suspension_periods-INITIAL_FORMS": "0",
            "suspension_periods-0-points": "9",
            "suspension_periods-0-months": "2",
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    policy = PointsPolicy.objects.get(from_year=2027)
    assert [(b.min_points, b.max_points) for b in policy.bands.all()] == [(1, 3)]
    assert [(p.points, p.months) for p in policy.suspension_periods.all()] == [(9, 2)]
    assert policy.history.get().history_user == supervisor


@pytest.mark.parametrize(
    ("field", "value"),
    [("suspension_threshold", "12"), ("termination_threshold", "13"), ("block_months", "0")],
)
def test_inconsistent_rules_are_refused_on_the_form(client, supervisor, file, field, value):
    client.force_login(supervisor)
    url = admin_url(file.policy, "change")
    data = change_form_data(client.get(url), **{field: value})
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["errors"]
    assert snapshot() == before


def test_a_band_outside_one_to_twelve_is_refused(client, supervisor, file):
    client.force_login(supervisor)
    url = admin_url(file.policy, "change")
    data = change_form_data(client.get(url))
    data["bands-0-max_points"] = "13"
    before = snapshot()
    assert client.post(url, data).status_code == 200
    assert snapshot() == before


def test_the_rules_are_never_deleted(client, superuser, file):
    client.force_login(superuser)
    assert client.get(admin_url(file.policy, "delete")).status_code == 403


@pytest.mark.parametrize("persona", ["inspector", "auditor"])
def test_readers_view_the_rules_but_cannot_change_them(client, request, file, persona):
    client.force_login(request.getfixturevalue(persona))
    url = admin_url(file.policy, "change")
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert client.post(url, {"suspension_threshold": "1"}).status_code == 403
    assert client.get(admin_url(PointsPolicy, "add")).status_code == 403


# --- the ID number ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["inspector", "auditor"])
def test_without_view_practitioneridentity_no_admin_page_shows_an_id_number(
    client, request, supervisor, file, persona
):
    # A corrected number: the history holds both.
    service.edit_practitioner(file.person, user=supervisor, id_number=NEW_ID)
    file.person.refresh_from_db()
    client.force_login(request.getfixturevalue(persona))
    changelist = admin_url(Practitioner, "changelist")
    listed = client.get(changelist)
    assert file.person.id_masked in listed.content.decode()
    versions = file.person.history.values_list("history_id", flat=True)
    pages = [
        listed,
        client.get(admin_url(file.person, "change")),
        client.get(admin_url(file.person, "history")),
        *(
            client.get(admin_url(Practitioner, "simple_history", file.person.pk, v))
            for v in versions
        ),
        client.get(admin_url(file.registration, "change")),
        client.get(admin_url(file.registration, "history")),
        client.get(admin_url(file.record, "change")),
        client.get(admin_url(file.measure, "change")),
        client.get(admin_url(Registration, "changelist")),
        client.get(admin_url(PointsRecord, "changelist")),
    ]
    for response in pages:
        assert response.status_code in (200, 403)
        page = response.content.decode()
        for number in (PERSON_ID, NEW_ID):
            assert number not in page
            assert number[6:14] not in page  # not even the birth date
    change = client.get(admin_url(file.person, "change"))
    assert change.status_code == 200 and file.person.id_masked in change.content.decode()
    if persona == "auditor":  # who reads the history: the versions show the mask only
        assert client.get(admin_url(file.person, "history")).status_code == 200
        latest = file.person.history.latest().history_id
        version = client.get(admin_url(Practitioner, "simple_history", file.person.pk, latest))
        assert version.status_code == 200
        assert file.person.id_masked in version.content.decode()
    # The search reads the names and certificates only: a whole number finds nobody.
    assert not list(client.get(changelist, {"q": NEW_ID}).context["cl"].result_list)
    # There is no page of the numbers themselves.
    assert client.get("/admin/supervision/practitioneridentity/").status_code == 404


def test_the_identity_inline_is_not_even_read_without_the_permission(client, auditor, file):
    client.force_login(auditor)
    response = client.get(admin_url(file.person, "change"))
    formsets = [f.formset.model for f in response.context["inline_admin_formsets"]]
    assert PractitionerIdentity not in formsets
    assert Registration in formsets and QualificationMeasure in formsets


def test_the_measure_page_names_its_kind(client, auditor, file):
    client.force_login(auditor)
    page = client.get(admin_url(file.measure, "change")).content.decode()
    assert str(MeasureKind(file.measure.kind).label) in page
