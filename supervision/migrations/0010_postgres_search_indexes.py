"""Indexes for search and the big lists, found with EXPLAIN ANALYZE at a million facilities.

The PostgreSQL ones are not in the models' Meta because they use PostgreSQL features (trigram
GIN, operator classes) or serve plans only PostgreSQL makes; on SQLite they are skipped. Each
one names the query it serves; bench/RESULTS.md has the figures.
"""

from django.db import migrations, models

# (name, table, definition). Names are unique in the schema; definitions follow the SQL that
# Django emits, so the planner can match them:
INDEXES = [
    # Name search (pages, API `q`, admin): Django writes `icontains` as
    # UPPER("supervision_facility"."name"::text) LIKE UPPER('%…%'); a trigram index on exactly
    # that expression answers it from the index instead of reading every facility.
    (
        "facility_name_trgm_idx",
        "supervision_facility",
        "USING gin ((UPPER(name::text)) gin_trgm_ops)",
    ),
    # The start of an insurance code (`insurance_code::text LIKE 'H5401%'`): a pattern-ops
    # B-tree, usable whatever the database's collation. The credit code has one already
    # (Django creates `…_credit_code_…_like` for its unique column).
    (
        "facility_insurance_code_like_idx",
        "supervision_facility",
        "(insurance_code varchar_pattern_ops)",
    ),
    # The admin's search box writes its "=credit_code" and "^insurance_code" fields as
    # UPPER("…credit_code"::text) = UPPER(…) and UPPER("…insurance_code"::text) LIKE UPPER('…%'),
    # ORed with the name: every branch needs an index, or the whole OR reads the table.
    (
        "facility_credit_code_upper_idx",
        "supervision_facility",
        "((UPPER(credit_code::text)))",
    ),
    (
        "facility_insurance_code_upper_idx",
        "supervision_facility",
        "((UPPER(insurance_code::text)) text_pattern_ops)",
    ),
    # "Grade X in year N" as a set of facility ids (facility list and API filter by grade):
    # read from the index alone, in facility order, for a merge with the other filters.
    (
        "rating_year_grade_facility_idx",
        "supervision_creditrating",
        "(year, grade, facility_id)",
    ),
    # The registry filtered by district, walked in id order (the capped count of a filtered
    # list) without touching the table.
    (
        "facility_district_id_idx",
        "supervision_facility",
        "(district, id)",
    ),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension: the database owner may create it (CI also puts it in
    # template1, so test databases have it already).
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, definition in INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" {definition}')
    # No statistics on the indexed name expression: with them the planner estimates a fragment
    # found in 1 name in 150 from 100 sampled names, and may then walk the name index in order
    # hoping to meet 50 matches soon. Names that share a fragment sort together (a fragment is
    # often the beginning of a name), so the walk can read most of the registry (3.7 s at a
    # million facilities). Without statistics a fragment is taken to be rare: the matches are
    # read from the trigram index and sorted, which costs what the number of matches costs.
    schema_editor.execute('ALTER INDEX "facility_name_trgm_idx" ALTER COLUMN 1 SET STATISTICS 0')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _definition in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("supervision", "0002_roles_and_lookups")]

    operations = [
        # The dashboard's latest changes: ORDER BY changed_at DESC, id DESC LIMIT 8. Generated
        # and imported ratings share a timestamp; without id in the index every tie is sorted.
        migrations.RemoveIndex(model_name="ratingchange", name="ratingchange_recent_idx"),
        migrations.AddIndex(
            model_name="ratingchange",
            index=models.Index(fields=["-changed_at", "-id"], name="ratingchange_recent_idx"),
        ),
        # The registry sorted by deposit or by creation date: without them, one page of a
        # million facilities sorted by deposit reads and sorts all of them (0.4 s).
        migrations.AddIndex(
            model_name="facility",
            index=models.Index(fields=["deposit", "id"], name="facility_deposit_idx"),
        ),
        migrations.AddIndex(
            model_name="facility",
            index=models.Index(fields=["created_at", "id"], name="facility_created_idx"),
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
