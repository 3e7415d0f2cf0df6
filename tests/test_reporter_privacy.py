"""Who reported a tip is seen only by those with the reporter permission (the tip desk and
supervisors, in their districts): every surface × every persona.

A tip whose reporter was recorded and then corrected (so the history holds two sets of
values) is read through every page, list, export, endpoint, history, audit entry and admin page
by every persona. Those who may not read the reporter never receive any of the values, old or
new, in any response; where the surface presents the reporter they see it masked (MASK), not
blank. Those who may, see the current values where the surface presents them.

A new surface that shows tips belongs in SURFACES.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from supervision.choices import District, TipChannel, TipConclusion
from supervision.codes import resident_id_check_char
from supervision.models.tip import MASK
from supervision.roles import AUDITOR, INSPECTOR, SUPERVISOR, TIP_DESK
from supervision.services import complete_inspection, tip_rewards
from supervision.services import tips as services
from tests.api import client_for
from tests.factories import FacilityFactory, InspectorFactory, UserDistrictFactory, UserFactory

pytestmark = pytest.mark.django_db


def _id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


OLD = services.ReporterDetails(
    name="示例举报人旧名",
    phone="13800001234",
    id_number=_id("54010219800101123"),
    address="示例路旧址88号",
)
NEW = services.ReporterDetails(
    name="示例举报人新名",
    phone="13900005678",
    id_number=_id("54010219900202567"),
    address="示例路新址99号",
)
SECRETS = [value for details in (OLD, NEW) for value in details.__dict__.values()]


@dataclass
class Case:
    """The tip, its inspection and reward, and the personas."""

    tip: object
    users: dict[str, object]


@pytest.fixture
def case(db) -> Case:
    desk = UserFactory(username="desk", role=TIP_DESK)
    approver = UserFactory(username="approver", role=SUPERVISOR)
    facility = FacilityFactory(name="示例隐私测试医院", district=District.CHENGGUAN)
    received = timezone.make_aware(datetime.datetime(2025, 3, 3, 9, 30))
    tip = services.register_tip(
        channel=TipChannel.CITY_HOTLINE,
        received_at=received,
        allegation="示例：涉嫌虚构诊疗项目。",
        user=desk,
        facility=facility,
        reporter=OLD,
    )
    services.set_reporter(tip, NEW, user=desk)  # the history now holds OLD and NEW
    tip = services.accept_tip(
        tip,
        on=datetime.date(2025, 3, 4),
        user=desk,
        inspectors=InspectorFactory.create_batch(2),
    )
    complete_inspection(
        tip.inspection, end_date=datetime.date(2025, 3, 20), user=approver, findings="示例发现"
    )
    tip = services.conclude_tip(
        tip,
        conclusion=TipConclusion.SUBSTANTIATED,
        on=datetime.date(2025, 3, 21),
        user=desk,
        verified_amount=Decimal("80000.00"),
    )
    tip_rewards.propose_reward(tip, on=datetime.date(2025, 3, 24), user=desk)
    local = UserFactory(username="local", role=SUPERVISOR)
    UserDistrictFactory(user=local, district=District.CHENGGUAN)
    elsewhere = UserFactory(username="elsewhere", role=SUPERVISOR)
    UserDistrictFactory(user=elsewhere, district=District.DAGZE)
    users = {
        "tip_desk": desk,
        "supervisor": approver,
        "local_supervisor": local,
        "superuser": UserFactory(username="root", is_superuser=True),
        "inspector": UserFactory(username="insp", role=INSPECTOR),
        "auditor": UserFactory(username="aud", role=AUDITOR),
        "other_district_supervisor": elsewhere,
        "outsider": UserFactory(username="nobody"),
    }
    return Case(tip=tip, users=users)


SEES = {"tip_desk", "supervisor", "local_supervisor", "superuser"}
MASKED = {"inspector", "auditor"}
PERSONAS = sorted(SEES | MASKED | {"other_district_supervisor", "outsider"})


def _text(response) -> str:
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    text = body.decode("utf-8", errors="replace")
    if response.get("Content-Type", "").startswith("application/json"):
        # JSON may escape non-ASCII characters: compare the decoded values.
        text = json.dumps(json.loads(text), ensure_ascii=False)
    return text


@dataclass(frozen=True)
class Surface:
    name: str
    get: Callable[[Case, object], object]  # (case, user) -> response
    # Whether the surface presents the reporter (then a masked reader must see MASK).
    presents_reporter: bool = False
    # A search: what the reader typed (the page may show it back); the search must not find
    # the tip by it.
    typed: str = ""


def _page(name: str, *args_of: Callable[[Case], object], query: dict | None = None):
    def get(case: Case, user):
        client = Client()
        client.force_login(user)
        args = [f(case) for f in args_of]
        return client.get(reverse(name, args=args), query or {})

    return get


def _api(path_of: Callable[[Case], str]):
    def get(case: Case, user):
        return client_for(user).get(path_of(case))

    return get


def _tip_pk(case: Case) -> int:
    return case.tip.pk


def _inspection_pk(case: Case) -> int:
    return case.tip.inspection_id


def _facility_pk(case: Case) -> int:
    return case.tip.facility_id


SURFACES = [
    Surface("tip list", _page("tip-list"), presents_reporter=True),
    Surface(
        "tip list searched by the reporter's name",
        _page("tip-list", query={"q": NEW.name}),
        typed=NEW.name,
    ),
    Surface("tip page", _page("tip-detail", _tip_pk), presents_reporter=True),
    Surface("tip edit form", _page("tip-edit", _tip_pk)),
    Surface("reporter form", _page("tip-reporter", _tip_pk)),
    Surface("tip export", _page("tip-list", query={"export": "csv"}), presents_reporter=True),
    Surface("rewards", _page("tipreward-list")),
    Surface("overview", _page("dashboard")),
    Surface("inspection page", _page("inspection-detail", _inspection_pk)),
    Surface("facility page", _page("facility-detail", _facility_pk)),
    Surface("audit log", _page("audit")),
    Surface("audit export", _page("audit", query={"export": "csv"})),
    Surface("audit log of the reporter", _page("audit", query={"record_type": "tipreporter"})),
    Surface("API tip list", _api(lambda c: "/api/tips/"), presents_reporter=True),
    Surface("API tip", _api(lambda c: f"/api/tips/{c.tip.pk}/"), presents_reporter=True),
    Surface(
        "API tip list searched by the reporter's phone",
        _api(lambda c: f"/api/tips/?q={NEW.phone}"),
        typed=NEW.phone,
    ),
    Surface("API reporter", _api(lambda c: f"/api/tips/{c.tip.pk}/reporter/")),
    Surface("API rewards", _api(lambda c: "/api/tip-rewards/")),
    Surface("API inspection", _api(lambda c: f"/api/inspections/{c.tip.inspection_id}/")),
    Surface("admin tip list", _page("admin:supervision_tip_changelist")),
    Surface("admin tip", _page("admin:supervision_tip_change", _tip_pk)),
    Surface("admin tip history", _page("admin:supervision_tip_history", _tip_pk)),
    Surface("admin reward list", _page("admin:supervision_tipreward_changelist")),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_the_reporter_is_seen_only_with_the_permission(case, surface, persona):
    user = case.users[persona]
    response = surface.get(case, user)
    assert response.status_code < 500, (surface.name, persona)
    text = _text(response) if response.status_code == 200 else ""
    if persona in SEES:
        if surface.presents_reporter and response.status_code == 200:
            assert NEW.name in text, (surface.name, persona)
        return
    if surface.typed:
        text = text.replace(surface.typed, "")
        # Found by the reporter's details, the tip would tell who reported it.
        assert case.tip.get_absolute_url() not in text, (surface.name, persona)
        assert f'"id": {case.tip.pk},' not in text, (surface.name, persona)
    leaked = [secret for secret in SECRETS if secret in text]
    assert not leaked, (surface.name, persona, leaked)
    if persona in MASKED and surface.presents_reporter:
        assert response.status_code == 200, (surface.name, persona)
        assert MASK in text, (surface.name, persona)


@pytest.mark.parametrize("persona", sorted(MASKED))
def test_the_history_of_a_corrected_reporter_shows_that_it_changed_but_not_what(case, persona):
    client = Client()
    client.force_login(case.users[persona])
    text = _text(client.get(reverse("tip-detail", args=[case.tip.pk])))
    assert MASK in text
    assert not [secret for secret in SECRETS if secret in text]


def test_the_reporter_permission_is_held_by_the_tip_desk_and_supervisors_only():
    from supervision.roles import ROLE_PERMISSIONS

    holders = {role for role, perms in ROLE_PERMISSIONS.items() if "view_tipreporter" in perms}
    assert holders == {TIP_DESK, SUPERVISOR}
    history_holders = {
        role for role, perms in ROLE_PERMISSIONS.items() if "view_historicaltipreporter" in perms
    }
    assert history_holders == {TIP_DESK, SUPERVISOR}
