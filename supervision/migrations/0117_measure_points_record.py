"""A measure's triggering points record is `points_record`: `record_id` is a column name the audit
log's union of histories uses for the record a row is about."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("supervision", "0116_measure_lift_reason_limit")]

    operations = [
        migrations.RenameField(
            model_name="qualificationmeasure", old_name="record", new_name="points_record"
        ),
        migrations.RenameField(
            model_name="historicalqualificationmeasure", old_name="record", new_name="points_record"
        ),
    ]
