"""Indexes for the cycle page's list at a million subjects: the vetoed subjects by name, and on
PostgreSQL the highest score first with the unscored last ("-score"), which the ascending
(cycle, score, id) index cannot give read backwards (it would put the unscored first)."""

from django.db import migrations, models

SCORE_DESC = "assessment_score_desc_idx"


def create_score_desc(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {SCORE_DESC} ON supervision_assessment "
        "(cycle_id, score DESC NULLS LAST, id DESC)"
    )


def drop_score_desc(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {SCORE_DESC}")


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0110_credit_limits"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="assessment",
            index=models.Index(
                condition=models.Q(("vetoed", True)),
                fields=["cycle", "subject_name", "id"],
                name="assessment_vetoed_idx",
            ),
        ),
        migrations.RunPython(create_score_desc, drop_score_desc),
    ]
