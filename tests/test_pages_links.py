"""Ids in links are plain digits: numbers on pages are grouped by thousands (1,062), links not."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import FacilityFactory, InspectionFactory, SanctionFactory

pytestmark = pytest.mark.django_db

GROUPED_ID = re.compile(r"[?&](facility|inspection|page)=\d{1,3},\d{3}")


def test_a_facilitys_page_links_to_its_records_by_its_plain_id(client, supervisor):
    facility = FacilityFactory(pk=12_345)
    client.force_login(supervisor)
    html = client.get(facility.get_absolute_url()).content.decode()
    assert f"{reverse('sanction-create')}?facility=12345" in html
    assert f"{reverse('inspection-create')}?facility=12345" in html
    assert not GROUPED_ID.search(html)


def test_an_inspections_page_offers_a_sanction_for_its_plain_id(client, supervisor):
    inspection = InspectionFactory(pk=4_321)
    client.force_login(supervisor)
    html = client.get(inspection.get_absolute_url()).content.decode()
    assert f"{reverse('sanction-create')}?inspection=4321" in html
    assert not GROUPED_ID.search(html)


def test_a_sanctions_page_offers_another_measure_for_the_plain_facility_id(client, supervisor):
    sanction = SanctionFactory(facility=FacilityFactory(pk=1_062))
    client.force_login(supervisor)
    html = client.get(sanction.get_absolute_url()).content.decode()
    assert f"{reverse('sanction-create')}?facility=1062" in html
    assert not GROUPED_ID.search(html)
