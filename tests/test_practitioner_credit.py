"""Practitioners in the credit evaluation (category 7): their scorecard shows the points records
behind the automatic deduction, on the page and in the API."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from supervision.choices import CreditCategoryCode
from supervision.models import Assessment
from supervision.services import evaluation
from tests.api import client_for
from tests.factories import FacilityFactory, PractitionerFactory, RegistrationFactory
from tests.test_services_practitioners import practitioner_system, score

D = datetime.date


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: D(2026, 6, 30))


@pytest.fixture
def assessment(db):
    facility = FacilityFactory()
    person = PractitionerFactory()
    RegistrationFactory(practitioner=person, facility=facility)
    record = score(person, facility, D(2025, 3, 1), 5)
    practitioner_system(2025)
    cycle = evaluation.open_cycle(
        category=CreditCategoryCode.PRACTITIONER,
        year=2025,
        user=None,
        opened_on=D(2026, 1, 5),
        self_assessment_due=D(2026, 1, 23),
    )
    evaluation.score_cycle(cycle, user=None)
    return Assessment.objects.get(cycle=cycle, practitioner=person), record


def test_the_scorecard_page_links_the_points_record_behind_the_deduction(assessment, auditor):
    subject, record = assessment
    client = Client()
    client.force_login(auditor)
    response = client.get(reverse("assessment-detail", args=[subject.pk]))
    assert response.status_code == 200
    assert record.get_absolute_url() in response.content.decode()


def test_the_api_scorecard_names_the_points_record_behind_the_deduction(assessment, auditor):
    subject, record = assessment
    rows = client_for(auditor).get(reverse("api:assessment-scorecard", args=[subject.pk])).json()
    behind = [fact for row in rows for fact in row["behind"]]
    assert behind == [
        {
            "kind": "points_record",
            "id": record.pk,
            "label": f"#{record.pk} 2025-03-01",
            "url": reverse("api:pointsrecord-detail", args=[record.pk]),
        }
    ]
    assessment_data = (
        client_for(auditor).get(reverse("api:assessment-detail", args=[subject.pk])).json()
    )
    assert assessment_data["practitioner"]["id_masked"] == subject.practitioner.id_masked
    assert "id_number" not in assessment_data["practitioner"]
