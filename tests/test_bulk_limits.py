"""Bulk actions up to their stated limit: the confirmation carries the selection in a few fields
(not one per facility, which passed DATA_UPLOAD_MAX_NUMBER_FIELDS and got a bare 400), and the
work is done in batches, each all or nothing, so that other writers wait for one batch only."""

from __future__ import annotations

import datetime
import re
from html import unescape

import pytest

from supervision.admin import actions
from supervision.choices import SanctionKind
from supervision.models import Facility, Sanction
from tests.factories import FacilityFactory, SanctionFactory
from tests.test_admin_actions import CHANGELIST, suspension

pytestmark = pytest.mark.django_db


def hidden_fields(html: str) -> list[tuple[str, str]]:
    return [
        (unescape(name), unescape(value))
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    ]


def confirm(client, page_html: str, **fields) -> object:
    """Post back the confirmation page as a browser would, with the form's fields."""
    data: dict[str, list[str]] = {}
    for name, value in hidden_fields(page_html):
        data.setdefault(name, []).append(value)
    data.update({k: [str(v)] for k, v in fields.items()})
    return client.post(CHANGELIST + "?kind=pharmacy", data)


@pytest.fixture
def many():
    return [FacilityFactory(pharmacy=True, name=f"示例药店{i:03d}") for i in range(30)]


def test_the_confirmation_posts_a_few_fields_whatever_the_selection(
    client, supervisor, many, settings
):
    # 30 facilities against a limit of 20 fields stand for 1,000 against Django's 1,000.
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    client.force_login(supervisor)
    page = client.post(
        CHANGELIST + "?kind=pharmacy",
        {"action": "suspend_agreements", "select_across": "1", "_selected_action": [many[0].pk]},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert len(hidden_fields(html)) < 10
    assert "每50家机构为一批" in html  # the confirmation says how it is written

    response = confirm(client, html, **suspension())

    assert response.status_code == 302
    assert Sanction.objects.filter(kind=SanctionKind.SUSPENSION).count() == 30


def test_only_the_listed_facilities_are_processed_when_the_filter_selects_more_since(
    client, supervisor, many
):
    client.force_login(supervisor)
    page = client.post(
        CHANGELIST + "?kind=pharmacy",
        {"action": "suspend_agreements", "select_across": "1", "_selected_action": [many[0].pk]},
    )
    newcomer = FacilityFactory(pharmacy=True, name="示例药店新增")

    confirm(client, page.content.decode(), **suspension())

    assert Sanction.objects.count() == 30
    assert not Sanction.objects.filter(facility=newcomer).exists()


def test_a_tampered_selection_is_refused_with_a_message_and_writes_nothing(
    client, supervisor, many
):
    client.force_login(supervisor)
    page = client.post(
        CHANGELIST + "?kind=pharmacy",
        {"action": "suspend_agreements", "select_across": "1", "_selected_action": [many[0].pk]},
    )
    html = re.sub(r'(name="bulk_selection" value=")[^"]*', r"\1[1,2,3]", page.content.decode())

    response = confirm(client, html, **suspension())

    assert response.status_code == 302
    assert "所选机构的清单无效" in client.get(response.url).content.decode()
    assert Sanction.objects.count() == 0


def test_a_selection_past_the_limit_is_refused_with_a_message_not_a_bare_400(
    client, supervisor, many, monkeypatch
):
    monkeypatch.setattr(actions, "MAX_BULK_FACILITIES", 29)
    client.force_login(supervisor)
    response = client.post(
        CHANGELIST + "?kind=pharmacy",
        {"action": "suspend_agreements", "select_across": "1", "_selected_action": [many[0].pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "一次最多处理29家机构，请先筛选。" in response.content.decode()


def test_a_failing_facility_rolls_back_its_batch_only_and_the_page_lists_what_is_left(
    client, supervisor, monkeypatch
):
    monkeypatch.setattr(actions, "BULK_BATCH", 2)
    facilities = [FacilityFactory(pharmacy=True, name=f"示例药店{i}") for i in range(5)]
    blocked = facilities[2]
    SanctionFactory(
        facility=blocked,
        suspension=True,
        starts_on=datetime.date(2025, 5, 1),
        ends_on=datetime.date(2025, 6, 30),
    )
    client.force_login(supervisor)
    data = {
        "action": "suspend_agreements",
        "_selected_action": [str(f.pk) for f in facilities],
        "confirm": "yes",
        **{k: str(v) for k, v in suspension().items()},
    }

    response = client.post(CHANGELIST, data)

    suspended = set(
        Sanction.objects.filter(decision_number="拉医保协〔2025〕7号").values_list(
            "facility__name", flat=True
        )
    )
    assert suspended == {"示例药店0", "示例药店1", "示例药店4"}  # batches 1 and 3
    html = response.content.decode()
    assert "其余批次已保存" in html and "尚未处理的2家机构" in html
    listed = set(re.findall(r"<td>(示例药店\d)</td>", html))
    assert listed == {"示例药店2", "示例药店3"}
    for sanction in Sanction.objects.filter(decision_number="拉医保协〔2025〕7号"):
        (row,) = sanction.history.all()
        assert row.history_user == supervisor


def test_batches_hold_the_write_lock_for_a_batch_at_a_time(monkeypatch):
    """Each batch is its own transaction: a transaction per BULK_BATCH facilities."""
    monkeypatch.setattr(actions, "BULK_BATCH", 4)
    facilities = [FacilityFactory(pharmacy=True) for _ in range(10)]
    seen: list[int] = []

    outcome = actions.apply_to_all(facilities, lambda f: True, before=lambda b: seen.append(len(b)))

    assert seen == [4, 4, 2]
    assert len(outcome.done) == 10
    assert Facility.objects.count() == 10


def test_on_sqlite_waiting_writers_get_the_lock_between_batches(monkeypatch):
    from django.db import connection

    monkeypatch.setattr(actions, "BULK_BATCH", 4)
    pauses: list[float] = []
    monkeypatch.setattr(actions.time, "sleep", pauses.append)
    facilities = [FacilityFactory(pharmacy=True) for _ in range(10)]

    actions.apply_to_all(facilities, lambda f: True)

    expected = [actions.SQLITE_BATCH_PAUSE] * 2 if connection.vendor == "sqlite" else []
    assert pauses == expected
