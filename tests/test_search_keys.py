"""Facility search keys (name, pinyin, initials): what they hold, that every save path keeps them
current, and that the facility list's search finds by them."""

from __future__ import annotations

import importlib
import json
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from supervision.filtersets import FacilityFilterSet
from supervision.models import Facility
from supervision.search import search_keys, search_terms, terms_query
from tests.api import client_for, if_match_for
from tests.factories import FacilityFactory, make_credit_code
from tests.pages import html_of

pytestmark = pytest.mark.django_db

frozen = importlib.import_module("supervision.migrations.0101_search_keys")

NAMES = [
    "示例格桑大药房",
    "示例吉曲同心大药房（城关店）",
    "示例长青诊所",
    "示例朝阳医院",
    "示例仁和 Ａ座 药房0012",
    "Example Clinic",
    "",
]


# --- the keys ------------------------------------------------------------------------------------


def test_the_keys_hold_the_name_its_full_pinyin_and_its_initials():
    keys = search_keys("示例格桑大药房")
    assert keys.split() == ["示例格桑大药房", "shiligesangdayaofang", "slgsdyf"]
    assert keys.startswith(" ")  # every key starts after a space: see terms_query


def test_latin_and_digit_runs_read_as_themselves_and_full_width_becomes_plain():
    keys = search_keys("示例仁和 Ａ座 药房0012").split()
    assert keys[0] == "示例仁和a座药房0012"
    assert "shilirenheazuoyaofang0012" in keys
    assert "slrhazyf0012" in keys


@pytest.mark.parametrize(
    ("name", "reading"),
    [("示例长青诊所", "zhangqing"), ("示例朝阳医院", "chaoyang"), ("示例银行诊所", "yinxing")],
)
def test_a_common_second_reading_of_a_polyphonic_character_is_a_key_too(name, reading):
    assert reading in search_keys(name)


def test_the_migration_fills_the_keys_with_the_same_function_as_the_app():
    """The migration's copy is frozen on purpose; a change to one must be made to both, with a
    data migration recomputing the keys (see supervision/search.py)."""
    for name in NAMES:
        assert frozen.search_keys(name) == search_keys(name)


def test_the_migration_fills_the_keys_of_the_facilities_that_exist():
    facilities = FacilityFactory.create_batch(3)
    Facility.objects.update(search_keys="")
    frozen.fill(django_apps, SimpleNamespace(connection=connection))
    for facility in facilities:
        facility.refresh_from_db()
        assert facility.search_keys == search_keys(facility.name)


# --- every save path keeps them current ----------------------------------------------------------


def test_saving_a_facility_keeps_its_keys_with_its_name():
    facility = FacilityFactory(name="示例格桑大药房")
    facility.name = "示例雪域诊所"
    facility.save()
    facility.refresh_from_db()
    assert facility.search_keys == search_keys("示例雪域诊所")
    facility.name = "示例康宁医院"
    facility.save(update_fields=["name"])
    facility.refresh_from_db()
    assert "kangning" in facility.search_keys


def test_a_rename_through_the_api_is_found_by_its_new_pinyin(supervisor):
    facility = FacilityFactory(name="示例格桑大药房")
    client = client_for(supervisor)
    url = reverse("api:facility-detail", args=[facility.pk])
    response = client.patch(url, {"name": "示例德吉医院"}, format="json", **if_match_for(url))
    assert response.status_code == 200, response.content
    assert list(Facility.objects.filter(search_keys__contains="dejiyiyuan")) == [facility]


def test_a_rename_in_the_admin_is_found_by_its_new_pinyin(client, superuser):
    facility = FacilityFactory(name="示例格桑大药房")
    client.force_login(superuser)
    url = reverse("admin:supervision_facility_change", args=[facility.pk])
    page = client.get(url).context
    form = page["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    for inline in page["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data.update(name="示例扎西诊所", _save="1")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    facility.refresh_from_db()
    assert facility.name == "示例扎西诊所"
    assert "zhaxizhensuo" in facility.search_keys


def test_a_loaded_fixture_gets_the_keys_of_its_names_whatever_it_holds(tmp_path):
    rows = [
        {
            "model": "supervision.facility",
            "pk": 90001,
            "fields": {
                "name": "示例阳光大药房",
                "kind": "pharmacy",
                "ownership": "private",
                "district": "540102",
                "credit_code": make_credit_code(90001, prefix="92"),
                "insurance_code": "P54010290001",
                "created_at": "2024-01-01T00:00:00Z",
                "updated_at": "2024-01-01T00:00:00Z",
                "search_keys": " stale keys of an older version",
            },
        }
    ]
    path = tmp_path / "facilities.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    call_command("loaddata", str(path), verbosity=0)
    assert Facility.objects.get(pk=90001).search_keys == search_keys("示例阳光大药房")


def test_generated_facilities_have_the_keys_of_their_names():
    call_command("generate_data", facilities=60, inspections=0, years=1, seed=5, quiet=True)
    for name, keys in Facility.objects.values_list("name", "search_keys"):
        assert keys == search_keys(name)


def test_the_keys_are_not_history():
    facility = FacilityFactory(name="示例格桑大药房")
    fields = {f.name for f in facility.history.model._meta.fields}
    assert "search_keys" not in fields
    assert "name" in fields


# --- the facility list's search ------------------------------------------------------------------


@pytest.fixture
def registry(db):
    return {
        "gesang": FacilityFactory(name="示例格桑大药房", pharmacy=True),
        "tongxin": FacilityFactory(name="示例吉曲同心大药房", pharmacy=True),
        "clinic": FacilityFactory(name="示例格桑诊所", clinic=True),
        "insurer": FacilityFactory(name="示例阳光保险公司", insurer=True),
    }


def found(q: str) -> set[str]:
    filterset = FacilityFilterSet({"q": q}, queryset=Facility.objects.all())
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("name", flat=True))


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("格桑 药房", {"示例格桑大药房"}),
        ("格桑", {"示例格桑大药房", "示例格桑诊所"}),
        ("吉曲同心大药", {"示例吉曲同心大药房"}),
        ("gesang", {"示例格桑大药房", "示例格桑诊所"}),
        ("GeSang  YaoFang", {"示例格桑大药房"}),
        ("gsdyf", {"示例格桑大药房"}),
        ("jqtx", {"示例吉曲同心大药房"}),
        ("baoxian", {"示例阳光保险公司"}),
        ("不存在的名字", set()),
    ],
)
def test_every_word_must_match_the_name_pinyin_or_initials(registry, q, names):
    assert found(q) == names


def test_a_short_latin_term_matches_the_start_of_a_key_only(registry):
    assert found("sl") == set(Facility.objects.values_list("name", flat=True))  # shili…, sl…
    assert found("gs") == set()  # inside "slgsdyf": not the start of a key
    assert found("gs sl") == set()


def test_a_credit_code_or_insurance_code_prefix_finds_the_facility(registry):
    gesang = registry["gesang"]
    assert gesang.name in found(gesang.credit_code[:12])
    assert found(gesang.credit_code.lower()) == {gesang.name}
    assert found(gesang.insurance_code) == {gesang.name}
    assert gesang.name in found(gesang.insurance_code[:7])


def test_the_facility_list_page_searches_by_pinyin(client, inspector, registry):
    client.force_login(inspector)
    html = html_of(client.get(reverse("facility-list"), {"q": "gsdyf"}))
    assert "示例格桑大药房" in html
    assert "示例格桑诊所" not in html


def test_the_api_shares_the_search(inspector, registry):
    response = client_for(inspector).get(reverse("api:facility-list"), {"q": "jqtx"})
    assert response.status_code == 200
    assert [f["name"] for f in response.json()["results"]] == ["示例吉曲同心大药房"]


def test_search_words_are_normalised_and_capped():
    assert search_terms("  格桑　ＧＳ  gs 格桑 ") == ["格桑", "gs"]
    assert len(search_terms("a b c d e f g h")) == 5
    assert terms_query([]) is not None
