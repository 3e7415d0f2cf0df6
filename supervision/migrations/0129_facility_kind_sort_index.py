"""The registry sorted by kind: an index read in order, as for name, grade, deposit and district."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0128_current_grade_on_the_row"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="facility",
            index=models.Index(fields=["kind", "id"], name="facility_kind_id_idx"),
        ),
    ]
