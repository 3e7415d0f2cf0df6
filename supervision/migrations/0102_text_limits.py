"""Upper limits on every free-text field.

Each TextField gets its max_length (what forms, serializers and the admin check) and a named
CHECK on its length in characters (what every other path meets). The max_length changes nothing
in the database, so those operations are state only; a CHECK added on SQLite rebuilds the table,
which would break the tally triggers that name it (their frozen copy, _tallies_0100.py), so they are taken off
around the rebuild and put back after.

A row already longer than its limit could not take the CHECK: its text is cut to the limit
first (with "…" as the last character). The full text stays in the record's history rows.
"""

from django.db import migrations, models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from supervision.migrations import _tallies_0100 as tallies

# (model, field, limit, label of the message, blank allowed)
LIMITS = [
    ("creditrating", "basis", 2000, "评价依据", True),
    ("facility", "note", 2000, "备注", True),
    ("inspection", "findings", 5000, "检查发现", True),
    ("ratingchange", "reason", 1000, "调整原因", False),
    ("referral", "summary", 2000, "案情摘要", False),
    ("referral", "outcome", 2000, "处理结果", True),
    ("sanction", "legal_basis", 1000, "法律依据", True),
    ("sanction", "note", 2000, "备注", True),
]
# The constraint names: the model's table prefix, as the models name them.
PREFIX = {"creditrating": "rating"}


def text_field(limit: int, label: str, blank: bool) -> models.TextField:
    if blank:
        return models.TextField(blank=True, default="", max_length=limit, verbose_name=label)
    return models.TextField(max_length=limit, verbose_name=label)


def cut_overlong_text(apps, schema_editor):
    for model_name, field, limit, _label, _blank in LIMITS:
        model = apps.get_model("supervision", model_name)
        rows = model._base_manager.using(schema_editor.connection.alias)
        too_long = rows.annotate(_length=Length(field)).filter(_length__gt=limit)
        for pk, text in too_long.values_list("pk", field).iterator():
            rows.filter(pk=pk).update(**{field: text[: limit - 1] + "…"})


def remove_triggers(apps, schema_editor):
    tallies.remove(schema_editor.connection)


def install_triggers(apps, schema_editor):
    tallies.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0101_search_keys")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name=prefix + model_name,
                    name=field,
                    field=text_field(limit, label, blank),
                )
                for model_name, field, limit, label, blank in LIMITS
                for prefix in ("", "historical")
            ]
        ),
        migrations.RunPython(cut_overlong_text, migrations.RunPython.noop),
        migrations.RunPython(remove_triggers, install_triggers),
        *[
            migrations.AddConstraint(
                model_name=model_name,
                constraint=models.CheckConstraint(
                    condition=LessThanOrEqual(Length(field), limit),
                    name=f"{PREFIX.get(model_name, model_name)}_{field}_length",
                    violation_error_message=f"{label}最多{limit}个字符。",
                ),
            )
            for model_name, field, limit, label, _blank in LIMITS
        ],
        migrations.RunPython(install_triggers, remove_triggers),
    ]
