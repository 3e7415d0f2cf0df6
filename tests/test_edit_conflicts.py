"""Two people open the same record and both save: the second save is refused with who changed
what since, on the pages (409, the form keeps the input), in the admin (form errors, no 500)
and in the API (412); the first change is kept in the history, and after reloading the second
person saves on top of it."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from supervision.choices import InspectionStatus
from supervision.models import Facility, Inspection
from supervision.roles import INSPECTOR, SUPERVISOR
from tests.admin_support import admin_url, change_form_data
from tests.api import client_for
from tests.dbstate import snapshot, stored_version
from tests.factories import FacilityFactory, InspectionFactory, InspectorFactory, UserFactory
from tests.pages import html_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def first():
    """The colleague who saves first."""
    return UserFactory(username="zhuoma", first_name="卓玛", role=SUPERVISOR)


@pytest.fixture
def facility():
    return FacilityFactory(name="示例城关医院", note="")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def facility_form(client: Client, facility: Facility) -> dict:
    """What a browser would post from the facility's edit page as it was loaded."""
    form = client.get(reverse("facility-edit", args=[facility.pk])).context["form"]
    data = {name: form[name].value() for name in form.fields}
    return {k: ("" if v is None else v) for k, v in data.items()}


# ----------------------------------------------------------------------------- pages


def test_the_second_facility_edit_is_refused_with_who_changed_what(facility, first, supervisor):
    a, b = signed_in(first), signed_in(supervisor)
    url = reverse("facility-edit", args=[facility.pk])
    form_a, form_b = facility_form(a, facility), facility_form(b, facility)
    assert a.post(url, {**form_a, "name": "示例城关医院（新址）"}).status_code == 302
    before = snapshot()

    response = b.post(url, {**form_b, "note": "我的备注：电话已核实"})

    assert response.status_code == 409
    assert snapshot() == before  # nothing of the second save was written
    html = html_of(response)
    start = html.index('id="conflict"')
    conflict = html[start : html.index('<div class="field', start)]  # up to the form's fields
    assert "卓玛" in conflict  # who
    assert re.search(r"名称</td><td[^>]*>示例城关医院</td><td[^>]*>示例城关医院（新址）", conflict)
    assert "在新窗口打开最新版本" in conflict and f'href="{url}"' in conflict
    assert "我的备注：电话已核实" in html  # the refused input stays on the page
    assert Facility.objects.get(pk=facility.pk).name == "示例城关医院（新址）"


def test_after_reloading_the_second_edit_saves_and_history_keeps_both(facility, first, supervisor):
    a, b = signed_in(first), signed_in(supervisor)
    url = reverse("facility-edit", args=[facility.pk])
    form_b = facility_form(b, facility)
    a.post(url, {**facility_form(a, facility), "name": "示例城关医院（新址）"})
    assert b.post(url, {**form_b, "note": "我的备注"}).status_code == 409

    reloaded = facility_form(b, facility)
    assert b.post(url, {**reloaded, "note": "我的备注"}).status_code == 302

    facility.refresh_from_db()
    assert (facility.name, facility.note, facility.version) == (
        "示例城关医院（新址）",
        "我的备注",
        3,
    )
    rows = list(facility.history.order_by("history_id"))
    assert [(r.history_user, r.name, r.note) for r in rows[1:]] == [
        (first, "示例城关医院（新址）", ""),
        (supervisor, "示例城关医院（新址）", "我的备注"),
    ]


def test_an_edit_form_without_its_version_is_refused(facility, supervisor):
    client = signed_in(supervisor)
    data = facility_form(client, facility)
    del data["version"]
    before = snapshot()
    response = client.post(reverse("facility-edit", args=[facility.pk]), data)
    assert response.status_code == 200
    assert "表单缺少版本信息" in html_of(response)
    assert snapshot() == before


def test_the_second_inspection_edit_is_refused_naming_the_inspectors_changed(supervisor):
    inspection = InspectionFactory(status=InspectionStatus.IN_PROGRESS)
    first = UserFactory(username="tenzin", role=INSPECTOR)
    a, b = signed_in(first), signed_in(supervisor)
    url = reverse("inspection-edit", args=[inspection.pk])
    form_a = b_form = None
    form_a = {n: f.value() for n, f in _fields(a.get(url))}
    b_form = {n: f.value() for n, f in _fields(b.get(url))}
    extra = InspectorFactory(name="次仁")
    form_a["inspectors"] = [*form_a["inspectors"], extra.pk]
    assert a.post(url, _posted(form_a)).status_code == 302

    response = b.post(url, _posted({**b_form, "findings": "账实不符"}))

    assert response.status_code == 409
    html = html_of(response)
    assert "tenzin" in html and "检查人员" in html and "次仁" in html
    assert "账实不符" in html
    assert Inspection.objects.get(pk=inspection.pk).findings == ""


def test_completing_an_inspection_edited_meanwhile_is_refused(supervisor, inspector):
    inspection = InspectionFactory(status=InspectionStatus.IN_PROGRESS)
    a, b = signed_in(inspector), signed_in(supervisor)
    complete = reverse("inspection-complete", args=[inspection.pk])
    version = b.get(complete).context["form"]["version"].value()
    edit = reverse("inspection-edit", args=[inspection.pk])
    form_a = {n: f.value() for n, f in _fields(a.get(edit))}
    a.post(edit, _posted({**form_a, "findings": "补充：药品进销存不符"}))
    before = snapshot()

    response = b.post(complete, {"end_date": "2025-03-12", "findings": "", "version": version})

    assert response.status_code == 409
    assert "药品进销存不符" in html_of(response)
    assert snapshot() == before
    assert Inspection.objects.get(pk=inspection.pk).status == InspectionStatus.IN_PROGRESS


def _fields(response):
    form = response.context["form"]
    return [(name, form[name]) for name in form.fields]


def _posted(data: dict) -> dict:
    return {k: ("" if v is None else v) for k, v in data.items()}


# ----------------------------------------------------------------------------- admin


def test_the_admin_change_form_carries_the_version_in_a_hidden_field(facility, superuser):
    html = html_of(signed_in(superuser).get(admin_url(facility, "change")))
    assert re.search(r'<input type="hidden" name="version" value="1"', html)


def test_the_second_admin_save_is_refused_with_who_changed_what_and_no_500(
    facility, first, superuser
):
    a, b = signed_in(first), signed_in(superuser)
    url = admin_url(facility, "change")
    data_a = change_form_data(a.get(url), name="示例城关医院（新址）")
    data_b = change_form_data(b.get(url), note="管理员备注")
    assert a.post(url, data_a).status_code == 302
    before = snapshot()

    response = b.post(url, data_b)

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "该记录在您打开后已被他人修改" in errors
    assert "卓玛" in errors and "名称：示例城关医院 → 示例城关医院（新址）" in errors
    assert "管理员备注" in html_of(response)  # the input is kept
    assert snapshot() == before

    reloaded = change_form_data(b.get(url), note="管理员备注")
    assert b.post(url, reloaded).status_code == 302
    facility.refresh_from_db()
    assert (facility.name, facility.note) == ("示例城关医院（新址）", "管理员备注")


def test_an_admin_save_after_a_page_save_is_refused(facility, supervisor, superuser):
    admin, page = signed_in(superuser), signed_in(supervisor)
    url = admin_url(facility, "change")
    data = change_form_data(admin.get(url), note="后台备注")
    page.post(
        reverse("facility-edit", args=[facility.pk]),
        {**facility_form(page, facility), "address": "城关区示例路1号"},
    )
    response = admin.post(url, data)
    assert response.status_code == 200
    assert "地址：— → 城关区示例路1号" in " ".join(
        response.context["adminform"].form.non_field_errors()
    )


# ------------------------------------------------------------------------------- API


def test_the_second_api_write_is_412_with_who_changed_what(facility, first, supervisor):
    path = f"/api/facilities/{facility.pk}/"
    a, b = client_for(first), client_for(supervisor)
    tag_a, tag_b = a.get(path)["ETag"], b.get(path)["ETag"]
    assert tag_a == tag_b == f'W/"{facility.pk}-1"'
    first_write = a.patch(
        path, {"name": "示例城关医院（新址）"}, format="json", HTTP_IF_MATCH=tag_a
    )
    assert first_write.status_code == 200 and first_write["ETag"] == f'W/"{facility.pk}-2"'
    before = snapshot()

    refused = b.patch(path, {"note": "接口备注"}, format="json", HTTP_IF_MATCH=tag_b)

    assert refused.status_code == 412
    assert snapshot() == before
    assert refused["ETag"] == f'W/"{facility.pk}-2"'
    body = refused.json()
    assert body["current_version"] == 2
    (change,) = body["changes"]
    assert (change["version"], change["user"], change["action"]) == (2, "zhuoma", "~")
    assert {
        "field": "name",
        "label": "名称",
        "old": "示例城关医院",
        "new": "示例城关医院（新址）",
    } in (change["fields"])

    again = b.patch(path, {"note": "接口备注"}, format="json", HTTP_IF_MATCH=refused["ETag"])
    assert again.status_code == 200
    facility.refresh_from_db()
    assert (facility.name, facility.note, facility.version) == (
        "示例城关医院（新址）",
        "接口备注",
        3,
    )
    users = list(facility.history.order_by("history_id").values_list("history_user", flat=True))
    assert users[1:] == [first.pk, supervisor.pk]


def test_a_page_edit_and_an_api_write_of_the_same_version_cannot_both_pass(facility, supervisor):
    api = client_for(supervisor)
    path = f"/api/facilities/{facility.pk}/"
    tag = api.get(path)["ETag"]
    page = signed_in(supervisor)
    page.post(
        reverse("facility-edit", args=[facility.pk]),
        {**facility_form(page, facility), "contact_phone": "0891-6000000"},
    )
    assert api.patch(path, {"note": "x"}, format="json", HTTP_IF_MATCH=tag).status_code == 412
    assert stored_version(facility) == 2
