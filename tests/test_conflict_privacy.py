"""A refused stale edit tells who changed what only to a user who may read the record's history
(history.can_view_history); anyone else learns that the record changed and sees its
current values — on the pages (409), in the admin and in the API (412), for every role."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from supervision.choices import InspectionStatus
from supervision.history import SHORT_TEXT, can_view_history
from supervision.models import Inspection
from supervision.roles import SUPERVISOR
from tests.admin_support import admin_url, change_form_data
from tests.api import client_for
from tests.dbstate import snapshot
from tests.factories import InspectionFactory, InspectorFactory, UserFactory
from tests.pages import html_of

pytestmark = pytest.mark.django_db

PERSONAS = ["inspector", "supervisor", "auditor", "superuser", "outsider"]
OLD = "原发现：处方与药品不符"
NEW = "新发现：串换药品（已核实）"
MINE = "我的修改：尚未保存"


@pytest.fixture
def inspection():
    return InspectionFactory(
        status=InspectionStatus.IN_PROGRESS,
        findings=OLD,
        inspectors=InspectorFactory.create_batch(2),
    )


@pytest.fixture
def first():
    """The colleague who saves first."""
    return UserFactory(username="zhuoma", first_name="卓玛", role=SUPERVISOR)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _edit_form(client: Client, url: str) -> dict | None:
    response = client.get(url)
    if response.status_code != 200:
        return None
    form = response.context["form"]
    data = {name: form[name].value() for name in form.fields}
    return {k: ("" if v is None else v) for k, v in data.items()}


def _first_saves(first, inspection) -> None:
    client = signed_in(first)
    url = reverse("inspection-edit", args=[inspection.pk])
    assert client.post(url, {**_edit_form(client, url), "findings": NEW}).status_code == 302


def _leaks(text: str) -> bool:
    """Whether text tells who changed the record or what it held before."""
    return "卓玛" in text or "zhuoma" in text or OLD in text


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_refused_page_edit_shows_the_changes_only_to_history_readers(
    request, persona, inspection, first
):
    user = request.getfixturevalue(persona)
    client = signed_in(user)
    url = reverse("inspection-edit", args=[inspection.pk])
    form = _edit_form(client, url)
    _first_saves(first, inspection)
    before = snapshot()

    if form is None:  # may not edit: refused before any conflict is described
        response = client.post(url, {"findings": MINE})
        assert response.status_code == 403
        assert not _leaks(html_of(response))
        return
    response = client.post(url, {**form, "findings": MINE})

    assert response.status_code == 409
    assert snapshot() == before
    html = html_of(response)
    conflict = html[html.index('id="conflict"') :]
    assert MINE in html  # the input is kept
    if can_view_history(user, Inspection):
        assert "卓玛" in conflict and OLD in conflict and NEW in conflict
    else:
        assert not _leaks(html)
        assert "此记录在您打开后已被他人修改" in conflict
        assert NEW in conflict  # the current values


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_refused_api_write_shows_the_changes_only_to_history_readers(
    request, persona, inspection, first
):
    user = request.getfixturevalue(persona)
    api = client_for(user)
    path = f"/api/inspections/{inspection.pk}/"
    tag = f'W/"{inspection.pk}-{inspection.version}"'
    _first_saves(first, inspection)
    before = snapshot()

    response = api.patch(path, {"findings": MINE}, format="json", HTTP_IF_MATCH=tag)

    assert snapshot() == before
    text = response.content.decode()
    if response.status_code == 403:
        assert not _leaks(text)
        return
    assert response.status_code == 412
    body = response.json()
    assert {"field": "findings", "label": "检查发现", "value": NEW} in body["current"]
    if can_view_history(user, Inspection):
        (change,) = body["changes"]
        assert change["user"] == "zhuoma"
        assert {"field": "findings", "label": "检查发现", "old": OLD, "new": NEW} in (
            change["fields"]
        )
    else:
        assert "changes" not in body
        assert not _leaks(text)
        assert "此记录在您打开后已被他人修改" in body["detail"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_refused_admin_save_shows_the_changes_only_to_history_readers(
    request, persona, inspection, first
):
    user = request.getfixturevalue(persona)
    client = signed_in(user)
    url = admin_url(inspection, "change")
    page = client.get(url)
    _first_saves(first, inspection)
    before = snapshot()

    if page.status_code != 200 or "adminform" not in page.context:
        response = client.post(url, {"findings": MINE})
        assert response.status_code in (302, 403)
        assert not _leaks(response.content.decode())
        return
    response = client.post(url, change_form_data(page, findings=MINE))

    assert snapshot() == before
    if response.status_code in (302, 403):  # a view-only user: the save is refused outright
        assert not _leaks(response.content.decode())
        return
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    if can_view_history(user, Inspection):
        assert "卓玛" in errors and OLD in errors
    else:
        assert not _leaks(response.content.decode())
        assert "此记录在您打开后已被他人修改" in errors and NEW in errors


def test_every_persona_is_covered_both_ways():
    """The table above holds a role that may read history and one that may not, who both edit."""
    assert {"inspector", "supervisor"} <= set(PERSONAS)


def test_a_long_value_in_a_conflict_is_shortened_with_its_length(supervisor, first, inspection):
    client = signed_in(supervisor)
    url = reverse("inspection-edit", args=[inspection.pk])
    form = _edit_form(client, url)
    long_text = "甲" * 4000
    writer = signed_in(first)
    assert writer.post(url, {**_edit_form(writer, url), "findings": long_text}).status_code == 302

    response = client.post(url, {**form, "findings": MINE})

    assert response.status_code == 409
    html = html_of(response)
    assert "甲" * SHORT_TEXT + "…（共4,000字）" in html
    assert long_text not in html  # past FULL_TEXT: not carried along


def test_a_long_value_in_a_412_is_shortened(inspector, first, inspection):
    tag = f'W/"{inspection.pk}-{inspection.version}"'
    writer = signed_in(first)
    url = reverse("inspection-edit", args=[inspection.pk])
    writer.post(url, {**_edit_form(writer, url), "findings": "乙" * 4000})

    response = client_for(inspector).patch(
        f"/api/inspections/{inspection.pk}/", {"findings": MINE}, format="json", HTTP_IF_MATCH=tag
    )

    assert response.status_code == 412
    assert len(response.content) < 4000
    current = {c["field"]: c["value"] for c in response.json()["current"]}
    assert current["findings"] == "乙" * SHORT_TEXT + "…（共4,000字）"
