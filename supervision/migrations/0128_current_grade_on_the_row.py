"""A facility's current grade on its row (Facility.current_grade, current_grade_year): filled in
for the facilities there are, then kept by triggers (_current_grades_0128), and indexed for the
registry's sort by grade. Both columns are added as nullable columns without a default, which
SQLite adds in place (no copy of the table, so the triggers already on it stay)."""

from django.db import migrations, models

from supervision.migrations import _current_grades_0128 as current_grades


def install(apps, schema_editor):
    current_grades.fill(schema_editor.connection)
    current_grades.install(schema_editor.connection)


def remove(apps, schema_editor):
    current_grades.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0127_imports"),
    ]

    operations = [
        migrations.AddField(
            model_name="facility",
            name="current_grade",
            field=models.CharField(
                choices=[("A", "A级"), ("B", "B级"), ("C", "C级"), ("D", "D级")],
                editable=False,
                max_length=1,
                null=True,
                verbose_name="当前信用等级",
            ),
        ),
        migrations.AddField(
            model_name="facility",
            name="current_grade_year",
            field=models.PositiveSmallIntegerField(
                editable=False, null=True, verbose_name="评价年度"
            ),
        ),
        migrations.RunPython(install, remove),
        migrations.AddIndex(
            model_name="facility",
            index=models.Index(fields=["current_grade", "id"], name="facility_current_grade_idx"),
        ),
    ]
