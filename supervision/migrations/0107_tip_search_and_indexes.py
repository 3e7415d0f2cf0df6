"""The tip list's search and indexes, found by measuring it at 2,000,000 tips
(bench/RESULTS.md).

- Tip.search_keys: the search on one column of the tip (its facility's name keys and codes,
  then the subject's name as reported), filled here for the tips there are; a search that ORed
  a join to the facilities with the tip's own name read both tables whole to count 1,001
  matches of a common word (0.65 s).
- A deadline only on a running clock (a constraint), so that overdue and due soon are a range
  of tip_due_idx read from the index alone (the overview counted them from the rows: 86 ms).
- tip_due_idx covers every tip, not only those whose clock runs: the list sorted by deadline
  reads it forward or backward; tip_due_unknown_idx holds the few clocks whose deadline is
  unknown.
- On PostgreSQL only (skipped on SQLite): the trigram index of the keys, and the deadline in
  the API's cursor order (NULL first ascending), which SQLite cannot index.
"""

import importlib

from django.db import migrations, models

# The frozen search keys of migration 0101 (a migration must give the same result whatever the
# app's code becomes).
_frozen = importlib.import_module("supervision.migrations.0101_search_keys")

INDEXES = [
    # Django writes `search_keys__contains` as search_keys LIKE '%…%': a trigram index answers it.
    (
        "tip_search_keys_trgm_idx",
        "supervision_tip",
        "USING gin (search_keys gin_trgm_ops)",
    ),
    # The API's cursor pages sorted by deadline: keyset order puts NULL first ascending and
    # last descending (supervision.keyset), the order of this index forward and backward.
    (
        "tip_due_keyset_idx",
        "supervision_tip",
        "(due_on ASC NULLS FIRST, id ASC)",
    ),
]


def fill(apps, schema_editor):
    """The keys of the tips there are: the facility's part in one statement, the names as
    reported (a minority of tips) in Python."""
    schema_editor.execute(
        "UPDATE supervision_tip SET search_keys = ("
        " SELECT f.search_keys"
        " || CASE WHEN f.credit_code <> '' THEN ' ' || LOWER(f.credit_code) ELSE '' END"
        " || CASE WHEN COALESCE(f.insurance_code, '') <> ''"
        "    THEN ' ' || LOWER(f.insurance_code) ELSE '' END"
        " FROM supervision_facility f WHERE f.id = supervision_tip.facility_id)"
        " WHERE facility_id IS NOT NULL"
    )
    Tip = apps.get_model("supervision", "Tip")
    named = Tip.objects.exclude(subject_name="").only("pk", "search_keys", "subject_name")
    batch = []
    for tip in named.iterator(chunk_size=2000):
        tip.search_keys = (tip.search_keys or "") + _frozen.search_keys(tip.subject_name)
        batch.append(tip)
        if len(batch) == 2000:
            Tip.objects.bulk_update(batch, ["search_keys"])
            batch = []
    if batch:
        Tip.objects.bulk_update(batch, ["search_keys"])


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, definition in INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" {definition}')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _definition in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("supervision", "0106_tip_roles_and_hotlines")]

    operations = [
        migrations.RemoveIndex(model_name="tip", name="tip_due_idx"),
        migrations.AddField(
            model_name="tip",
            name="search_keys",
            field=models.TextField(
                blank=True, default="", editable=False, verbose_name="检索词"
            ),
        ),
        migrations.AddIndex(
            model_name="tip",
            index=models.Index(fields=["due_on", "id"], name="tip_due_idx"),
        ),
        migrations.AddIndex(
            model_name="tip",
            index=models.Index(
                condition=models.Q(("due_on__isnull", True), models.Q(("clock", ""), _negated=True)),
                fields=["id"],
                name="tip_due_unknown_idx",
            ),
        ),
        # A deadline belongs to a running clock: so the overdue and due-soon lists and counts
        # read the deadlines alone, from the index, without the rows.
        migrations.AddConstraint(
            model_name="tip",
            constraint=models.CheckConstraint(
                condition=models.Q(("due_on__isnull", True), models.Q(("clock", ""), _negated=True), _connector="OR"),
                name="tip_due_only_while_running",
                violation_error_message="只有正在计时的线索有办理期限。",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create, drop),
    ]
