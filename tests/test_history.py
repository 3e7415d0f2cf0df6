"""History in the product: every facility, inspection, referral and sanction page lists who
changed which fields when, old → new, including the changes of the admin's bulk actions and of
the API; and nobody, superusers included, can edit or delete history through the pages, the
admin or the API."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from supervision import services
from supervision.choices import Agency, Grade, InspectionKind, Violation
from supervision.history import history_entries
from supervision.models import (
    Assessment,
    AssessmentItem,
    CreditCategory,
    CreditInstitution,
    CreditRating,
    CreditRepair,
    Dimension,
    EvaluationCycle,
    Facility,
    Indicator,
    IndicatorSystem,
    Inspection,
    InsuredIdentity,
    InsuredPerson,
    Objection,
    PlannedCheck,
    Referral,
    Sanction,
    SupervisionMeasure,
)
from tests.admin_support import admin_url
from tests.api import client_for, if_match_for
from tests.dbstate import snapshot
from tests.factories import (
    AssessmentFactory,
    CreditRatingFactory,
    EvaluationCycleFactory,
    FacilityFactory,
    IndicatorSystemFactory,
    InspectionFactory,
    InspectorFactory,
    ObjectionFactory,
    ReferralFactory,
    SanctionFactory,
)
from tests.test_admin_actions import CHANGELIST, REASON, action_post, suspension

pytestmark = pytest.mark.django_db


def history_section(client, record) -> str:
    html = client.get(record.get_absolute_url()).content.decode()
    start = html.index('id="history"')
    return html[start : html.index("</section>", start)]


def row(label: str, old: str, new: str) -> re.Pattern:
    return re.compile(
        rf"{re.escape(label)}</td><td[^>]*>{re.escape(old)}</td><td[^>]*>{re.escape(new)}<"
    )


# ----------------------------------------------------------------- bulk and API changes


def test_a_bulk_grade_change_shows_in_the_facility_s_history(client, supervisor, auditor):
    rated = CreditRatingFactory.create_batch(2, grade=Grade.B, facility__pharmacy=True)
    client.force_login(supervisor)
    data = action_post(
        "set_grade_for_year",
        [r.facility for r in rated],
        year=2024,
        grade="D",
        reason=REASON,
        confirm_downgrade="on",
    )
    assert client.post(CHANGELIST, data).status_code == 302
    client.force_login(auditor)
    for rating in rated:
        history = history_section(client, rating.facility)
        assert "2024年度信用评价" in history and "supervisor" in history and REASON in history
        assert row("信用等级", "B级", "D级").search(history)


def test_a_bulk_suspension_shows_in_each_sanction_s_history(client, supervisor, auditor):
    pharmacies = FacilityFactory.create_batch(2, pharmacy=True)
    client.force_login(supervisor)
    client.post(CHANGELIST, action_post("suspend_agreements", pharmacies, **suspension()))
    client.force_login(auditor)
    for sanction in Sanction.objects.all():
        history = history_section(client, sanction)
        assert "supervisor" in history and "创建" in history
        assert row("截止日期", "—", "2025-05-31").search(history)


@pytest.mark.parametrize(
    ("make", "resource", "body", "label", "new"),
    [
        (
            FacilityFactory,
            "facilities",
            {"contact_phone": "0891-6000000"},
            "联系电话",
            "0891-6000000",
        ),
        (
            InspectionFactory,
            "inspections",
            {"findings": "接口：账实不符"},
            "检查发现",
            "接口：账实不符",
        ),
        (ReferralFactory, "referrals", {"case_number": "LA-9"}, "立案编号", "LA-9"),
        (
            SanctionFactory,
            "sanctions",
            {"decision_number": "拉医保罚1号"},
            "文书编号",
            "拉医保罚1号",
        ),
    ],
    ids=["facility", "inspection", "referral", "sanction"],
)
def test_an_api_write_shows_in_the_record_s_history_in_the_caller_s_name(
    client, supervisor, auditor, make, resource, body, label, new
):
    record = make()
    path = f"/api/{resource}/{record.pk}/"
    response = client_for(supervisor).patch(path, body, format="json", **if_match_for(path))
    assert response.status_code == 200, response.content
    client.force_login(auditor)
    history = history_section(client, record)
    assert "supervisor" in history
    assert row(label, "—", new).search(history)


def test_an_api_move_shows_in_the_referral_s_history(client, supervisor, auditor):
    referral = ReferralFactory()
    path = f"/api/referrals/{referral.pk}/move/"
    body = {"status": "accepted", "decided_on": "2025-04-01", "case_number": "LA-1"}
    client_for(supervisor).post(path, body, format="json", **if_match_for(path))
    client.force_login(auditor)
    history = history_section(client, referral)
    assert "supervisor" in history
    assert row("状态", "已移送", "已立案").search(history)


def test_the_history_section_offers_no_way_to_change_it(client, superuser):
    facility = FacilityFactory()
    facility.note = "改"
    facility.save()
    client.force_login(superuser)
    history = history_section(client, facility)
    assert "<form" not in history and "<button" not in history


# -------------------------------------------------------------------- nobody writes history


CREDIT_MODELS = (
    CreditCategory,
    CreditInstitution,
    InsuredPerson,
    InsuredIdentity,
    IndicatorSystem,
    Dimension,
    Indicator,
    EvaluationCycle,
    Assessment,
    AssessmentItem,
    Objection,
    CreditRepair,
    SupervisionMeasure,
    PlannedCheck,
)
HISTORY_MODELS = [
    m.history.model
    for m in (Facility, CreditRating, Inspection, Referral, Sanction, *CREDIT_MODELS)
]


def test_no_historical_model_is_registered_in_the_admin():
    registered = [model for model in admin.site._registry if hasattr(model, "instance_type")]
    assert registered == []
    names = [model.__name__ for model in admin.site._registry]
    assert not [name for name in names if name.startswith("Historical")]


@pytest.mark.parametrize(
    "make",
    [
        FacilityFactory,
        CreditRatingFactory,
        InspectionFactory,
        ReferralFactory,
        SanctionFactory,
        IndicatorSystemFactory,
        EvaluationCycleFactory,
        AssessmentFactory,
        ObjectionFactory,
    ],
    ids=lambda f: f._meta.model.__name__,
)
@pytest.mark.parametrize("button", ["_save", "_change_history"])
def test_a_superuser_cannot_post_back_a_history_version_in_the_admin(
    client, superuser, make, button
):
    record = make()
    version = record.history.earliest()
    client.force_login(superuser)
    url = admin_url(type(record), "simple_history", record.pk, version.history_id)
    page = client.get(url)
    assert page.status_code == 200 and page.context["revert_disabled"] is True
    before = snapshot()
    assert client.post(url, {button: "1"}).status_code == 403
    assert snapshot() == before


def _patterns(resolver: URLResolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def test_the_only_history_urls_are_the_admin_s_read_only_views():
    history_routes = sorted(
        (route, pattern.name) for route, pattern in _patterns(get_resolver()) if "history" in route
    )
    assert history_routes
    # The admin's history list and simple-history's version page (GET only, see above).
    assert all(route.startswith("admin/") for route, _ in history_routes), history_routes
    assert all(name.endswith("_history") for _, name in history_routes), history_routes


def test_no_api_endpoint_serves_a_historical_model():
    from supervision.api.urls import router

    served = [viewset.queryset.model for _, viewset, _ in router.registry]
    assert not set(served) & set(HISTORY_MODELS)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_has_no_history_to_write(superuser, method):
    facility = FacilityFactory()
    client = client_for(superuser)
    for path in ("/api/history/", f"/api/facilities/{facility.pk}/history/"):
        assert getattr(client, method)(path, {}, format="json").status_code in (404, 405)
    assert facility.history.count() == 1


def test_the_audit_log_is_read_only(client, superuser):
    client.force_login(superuser)
    assert client.post(reverse("audit"), {}).status_code == 405


def test_recording_an_inspection_with_its_crew_is_one_history_entry(inspector):
    inspection = services.record_inspection(
        facility=FacilityFactory(),
        kind=InspectionKind.JOINT,
        start_date=datetime.date(2025, 3, 10),
        inspectors=InspectorFactory.create_batch(2),
        partner_agencies=[Agency.POLICE],
        violations=[Violation.FORGED_DELIVERY_NOTES],
        findings="随货同行单与入库记录不符。",
        user=inspector,
    )
    assert inspection.history.count() == 4  # the record, then one row per many-to-many field

    (entry,) = history_entries(inspection)
    assert (entry.kind, entry.user) == ("+", inspector)
    changed = {change.name for change in entry.changes}
    assert {"inspectors", "partner_agencies", "violations", "findings"} <= changed


def test_a_later_edit_of_the_same_record_stays_an_entry_of_its_own(inspector):
    inspection = InspectionFactory()
    inspection.inspectors.set(InspectorFactory.create_batch(2))
    count = len(history_entries(inspection))
    inspection.findings = "复查发现已整改。"
    inspection.save()
    assert len(history_entries(inspection)) == count + 1
