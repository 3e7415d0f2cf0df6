"""The PostgreSQL indexes of migration 0010 match the SQL Django writes for the searches.

On a test-sized table the planner prefers reading the table; with sequential scans switched off
it must use an index if one fits the expression, and the plan names it. A mismatch between the
index expression and Django's SQL (say `UPPER(name)` against `UPPER(name::text)`) fails here.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.utils.timezone import now

from supervision.filtersets import FacilityFilterSet
from supervision.keyset import Key, after
from supervision.models import Facility

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL-only indexes"),
    pytest.mark.django_db,
]


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # Whatever statistics earlier tests left (an ANALYZE, autovacuum after a transactional
        # test): with sorting off, a plan sorts only when no index gives the order.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_pages_and_api_search_of_a_name_uses_the_search_keys_trigram_index():
    filterset = FacilityFilterSet({"q": "格桑阳光"}, queryset=Facility.objects.all())
    plan = plan_of(filterset.qs.order_by().values("pk"))
    assert "facility_search_keys_trgm_idx" in plan
    assert "Seq Scan" not in plan


def test_the_pages_and_api_search_of_a_code_uses_the_keys_and_code_indexes():
    filterset = FacilityFilterSet({"q": "P540102"}, queryset=Facility.objects.all())
    plan = plan_of(filterset.qs.order_by().values("pk"))
    assert "facility_search_keys_trgm_idx" in plan
    assert "facility_insurance_code_like_idx" in plan
    assert "credit_code" in plan  # the unique index (or its pattern twin) answers the prefix
    assert "Seq Scan" not in plan


def test_the_admin_search_box_uses_an_index_for_every_branch_of_its_or(superuser):
    model_admin = admin.site._registry[Facility]
    request = RequestFactory().get("/admin/supervision/facility/", {"q": "格桑阳光"})
    request.user = superuser
    queryset, _ = model_admin.get_search_results(request, Facility.objects.all(), "格桑阳光")
    plan = plan_of(queryset.order_by().values("pk"))
    for index in (
        "facility_name_trgm_idx",
        "facility_credit_code_upper_idx",
        "facility_insurance_code_upper_idx",
    ):
        assert index in plan


def test_generate_data_keeps_the_statistics_setting_of_the_indexes_it_rebuilds():
    call_command("generate_data", facilities=20, inspections=10, years=1, seed=5, quiet=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute "
            "WHERE attrelid = 'facility_name_trgm_idx'::regclass AND attnum = 1"
        )
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize(
    "ordering", [("name", "pk"), ("-deposit", "-pk"), ("-created_at", "-pk")], ids=str
)
def test_a_later_page_by_keyset_seeks_in_the_index_instead_of_reading_every_row_before_it(
    ordering,
):
    # Streamed exports and the API's cursor read page after page: each must start at its place.
    keys = [Key(name.lstrip("-"), name.startswith("-"), False) for name in ordering]
    position = {"name": "示例格桑大药房", "deposit": Decimal("5000.00"), "created_at": now()}
    values = [position.get(key.name, 1000) for key in keys]
    queryset = Facility.objects.order_by(*(key.order_expression() for key in keys))
    plan = plan_of(queryset.filter(after(keys, values))[:2000])
    first = keys[0].name
    assert re.search(rf"Index Cond: .*\b{first}\b", plan), plan


# --- tips (migration 0107) --------------------------------------------------------------------


def test_the_tip_search_reads_the_tips_own_keys_from_their_trigram_index():
    from supervision.filtersets import TipFilterSet
    from supervision.models import Tip

    filterset = TipFilterSet({"q": "格桑"}, queryset=Tip.objects.all())
    assert filterset.is_valid()
    plan = plan_of(filterset.qs.order_by().values("pk"))
    assert "tip_search_keys_trgm_idx" in plan
    assert "supervision_facility" not in plan  # no join: one column, one index


@pytest.mark.parametrize("ordering", ["due_on", "-due_on"])
def test_the_tip_list_sorted_by_deadline_reads_the_deadline_index(ordering):
    from supervision.filtersets import TipFilterSet
    from supervision.models import Tip

    filterset = TipFilterSet({"ordering": ordering}, queryset=Tip.objects.all())
    assert filterset.is_valid()
    plan = plan_of(filterset.qs[:50])
    assert "tip_due_idx" in plan
    assert "Sort" not in plan  # read in order from the index, not sorted


@pytest.mark.parametrize("descending", [False, True])
def test_the_api_s_cursor_sorted_by_deadline_reads_the_keyset_index(descending):
    from supervision.models import Tip

    keys = [Key("due_on", descending), Key("pk", descending)]
    queryset = Tip.objects.order_by(*(key.order_expression() for key in keys))[:50]
    plan = plan_of(queryset)
    assert "tip_due_keyset_idx" in plan


ASSESSMENT_SORTS = ["subject_name", "district", "score", "grade"]


@pytest.mark.parametrize(
    "ordering", [*ASSESSMENT_SORTS, *(f"-{name}" for name in ASSESSMENT_SORTS)]
)
def test_every_sort_of_a_cycles_subjects_reads_an_index_in_order(ordering):
    """The cycle page at a million subjects: each sort, either way, walks an index of the
    cycle (a descending sort on a NOT NULL column has no NULLS LAST to keep it from reading
    backwards; "-score" has its own index)."""
    from supervision.filtersets import AssessmentFilterSet
    from supervision.models import Assessment

    filterset = AssessmentFilterSet(
        {"ordering": ordering}, queryset=Assessment.objects.filter(cycle_id=1)
    )
    assert filterset.is_valid()
    plan = plan_of(filterset.qs[:50])
    assert "assessment_" in plan and "_idx" in plan, plan
    assert "Sort" not in plan, plan


def test_the_vetoed_subjects_of_a_cycle_are_read_from_their_own_index():
    from supervision.filtersets import AssessmentFilterSet
    from supervision.models import Assessment

    filterset = AssessmentFilterSet(
        {"vetoed": "true"}, queryset=Assessment.objects.filter(cycle_id=1)
    )
    assert filterset.is_valid()
    plan = plan_of(filterset.qs.order_by("subject_name", "id")[:50])
    assert "assessment_vetoed_idx" in plan, plan
