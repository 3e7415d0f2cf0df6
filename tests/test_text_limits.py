"""Every free-text field has a limit, defined once (the model field's max_length), checked with
a Chinese message on the pages, the API and the admin, and held by a named CHECK in the
database; history shows long values shortened, whole only where they are small."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.urls import reverse

from supervision import services
from supervision.choices import Grade, InspectionStatus
from supervision.forms import inspections, rectifications, referrals, sanctions
from supervision.history import FULL_TEXT, SHORT_TEXT, shorten
from supervision.models import (
    Facility,
    GradePublication,
    Inspection,
    RandomCheckPlan,
    Rectification,
    Referral,
    Sanction,
    TypicalCase,
)
from tests.admin_support import admin_url, change_form_data
from tests.api import client_for
from tests.factories import (
    FacilityFactory,
    GradePublicationFactory,
    InspectionFactory,
    InspectorFactory,
    RandomCheckPlanFactory,
    RectificationFactory,
    ReferralFactory,
    SanctionFactory,
    TypicalCaseFactory,
)

pytestmark = pytest.mark.django_db


def free_text_fields():
    """Every editable TextField of the app's models (historical copies aside)."""
    for model in apps.get_app_config("supervision").get_models():
        if model.__name__.startswith("Historical"):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.TextField) and field.editable:
                yield model, field


def test_every_free_text_field_has_a_limit_held_by_a_named_check():
    found = list(free_text_fields())
    assert len(found) >= 8
    for model, field in found:
        assert field.max_length, f"{model.__name__}.{field.name} has no max_length"
        names = {c.name for c in model._meta.constraints}
        assert any(n.endswith(f"_{field.name}_length") for n in names), (model, field.name)


def test_the_forms_read_their_limits_from_the_models():
    assert Inspection._meta.get_field("findings").max_length == inspections.MAX_FINDINGS_LENGTH
    assert Referral._meta.get_field("summary").max_length == referrals.MAX_SUMMARY_LENGTH
    assert Referral._meta.get_field("outcome").max_length == referrals.MAX_OUTCOME_LENGTH
    assert Sanction._meta.get_field("legal_basis").max_length == sanctions.MAX_LEGAL_BASIS_LENGTH
    assert Sanction._meta.get_field("note").max_length == sanctions.MAX_NOTE_LENGTH
    forms_of = {
        "requirement": rectifications.OrderRectificationForm,
        "report": rectifications.ReportRectificationForm,
        "outcome": rectifications.FollowUpForm,
    }
    for name, form in forms_of.items():
        assert form.base_fields[name].max_length == Rectification._meta.get_field(name).max_length


@pytest.mark.parametrize(
    ("factory", "model", "field"),
    [
        (FacilityFactory, Facility, "note"),
        (InspectionFactory, Inspection, "findings"),
        (ReferralFactory, Referral, "summary"),
        (ReferralFactory, Referral, "outcome"),
        (SanctionFactory, Sanction, "legal_basis"),
        (SanctionFactory, Sanction, "note"),
        (RandomCheckPlanFactory, RandomCheckPlan, "note"),
        (GradePublicationFactory, GradePublication, "note"),
        (TypicalCaseFactory, TypicalCase, "facts"),
        (TypicalCaseFactory, TypicalCase, "handling"),
        (TypicalCaseFactory, TypicalCase, "legal_basis"),
        (TypicalCaseFactory, TypicalCase, "lesson"),
        (TypicalCaseFactory, TypicalCase, "review_comment"),
        (RectificationFactory, Rectification, "requirement"),
        (RectificationFactory, Rectification, "report"),
        (RectificationFactory, Rectification, "outcome"),
    ],
)
def test_the_database_refuses_text_past_the_limit_on_any_path(factory, model, field):
    record = factory()
    limit = model._meta.get_field(field).max_length
    rows = model.objects.filter(pk=record.pk)
    rows.update(**{field: "字" * limit})  # exactly the limit is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(**{field: "字" * (limit + 1)})
    assert len(getattr(rows.get(), field)) == limit


def test_validation_says_the_limit_in_chinese():
    inspection = InspectionFactory()
    inspection.findings = "字" * 5001
    with pytest.raises(ValidationError) as caught:
        inspection.full_clean()
    assert "检查发现最多5000个字符。" in caught.value.messages


def test_the_inspection_page_refuses_findings_past_the_limit(client, supervisor):
    client.force_login(supervisor)
    facility = FacilityFactory()
    inspectors = InspectorFactory.create_batch(2)
    response = client.post(
        reverse("inspection-create"),
        {
            "facility": facility.credit_code,
            "kind": "routine",
            "status": InspectionStatus.PLANNED,
            "start_date": "2024-03-01",
            "inspectors": [i.pk for i in inspectors],
            "findings": "字" * 5001,
            "amount_involved": "0",
            "amount_recovered": "0",
        },
    )
    assert response.status_code == 200
    assert "最多5000个字符（当前5001个）。" in response.content.decode()
    assert not Inspection.objects.exists()


def test_the_api_refuses_findings_past_the_limit(supervisor):
    inspection = InspectionFactory(status=InspectionStatus.IN_PROGRESS)
    response = client_for(supervisor).patch(
        f"/api/inspections/{inspection.pk}/",
        {"findings": "字" * 5001},
        format="json",
        HTTP_IF_MATCH=f'W/"{inspection.pk}-{inspection.version}"',
    )
    assert response.status_code == 400
    assert "5000" in str(response.json()["findings"])
    inspection.refresh_from_db()
    assert inspection.findings == ""


def test_the_admin_refuses_a_note_past_the_limit(client, superuser):
    facility = FacilityFactory(note="")
    client.force_login(superuser)
    url = admin_url(facility, "change")
    response = client.post(url, change_form_data(client.get(url), note="字" * 2001))
    assert response.status_code == 200
    assert "note" in response.context["adminform"].form.errors
    facility.refresh_from_db()
    assert facility.note == ""


def test_the_rectification_pages_and_api_refuse_a_requirement_past_the_limit(client, supervisor):
    inspection = InspectionFactory(completed=True, amount_involved=100)
    client.force_login(supervisor)
    page = client.post(
        f"{reverse('rectification-create')}?inspection={inspection.pk}",
        {"requirement": "字" * 2001, "workdays": "20", "ordered_on": "2025-03-14"},
    )
    assert page.status_code == 200
    assert "最多2000个字符（当前2001个）。" in page.content.decode()
    api = client_for(supervisor).post(
        "/api/rectifications/",
        {
            "inspection": inspection.pk,
            "requirement": "字" * 2001,
            "workdays": 20,
            "ordered_on": "2025-03-14",
        },
        format="json",
    )
    assert api.status_code == 400
    assert "2000" in str(api.json()["requirement"])
    assert not Rectification.objects.exists()


def test_the_admin_refuses_a_rectification_requirement_past_the_limit(client, superuser):
    rect = RectificationFactory()
    client.force_login(superuser)
    url = admin_url(rect, "change")
    response = client.post(url, change_form_data(client.get(url), requirement="字" * 2001))
    assert response.status_code == 200
    assert "requirement" in response.context["adminform"].form.errors
    rect.refresh_from_db()
    assert len(rect.requirement) < 2001


def test_a_reason_past_the_limit_is_refused_and_writes_nothing(supervisor):
    facility = FacilityFactory()
    with pytest.raises(ValidationError) as caught:
        services.set_grade(
            facility=facility, year=2024, grade=Grade.B, reason="因" * 1001, user=supervisor
        )
    assert "1000" in str(caught.value)
    assert not facility.ratings.exists()


def test_shorten_keeps_short_text_and_cuts_long_text_with_its_length():
    assert shorten("短") == "短"
    assert shorten("字" * SHORT_TEXT) == "字" * SHORT_TEXT
    assert shorten("字" * 2345) == "字" * SHORT_TEXT + "…（共2,345字）"


def test_history_shows_a_long_value_shortened_with_the_whole_in_a_details(client, supervisor):
    inspection = InspectionFactory(findings="")
    middle = "甲" * (FULL_TEXT - 10)
    inspection.findings = middle
    inspection.save()
    client.force_login(supervisor)
    html = client.get(inspection.get_absolute_url()).content.decode()
    assert "甲" * SHORT_TEXT + f"…（共{len(middle):,}字）" in html
    assert f'<details class="long-text"><summary>{"甲" * SHORT_TEXT}' in html
    assert middle in html  # small enough to carry along


def test_a_huge_value_written_before_the_limits_keeps_the_history_page_small(client, supervisor):
    inspection = InspectionFactory(findings="")
    inspection.findings = "旧"
    inspection.save()
    # As the hostile run left it: 2.4 MB findings in history rows (no limit then).
    inspection.history.filter(findings="旧").update(findings="旧" * 800_000)
    client.force_login(supervisor)
    response = client.get(inspection.get_absolute_url())
    assert response.status_code == 200
    assert len(response.content) < 100_000
    assert "…（共800,000字）" in response.content.decode()
