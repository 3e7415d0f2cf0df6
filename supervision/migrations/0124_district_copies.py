"""Inspections, rectification orders and referrals carry their facility's district
(models.inspection.DISTRICT_COPY_NOTE): filled in for the rows there are, then kept by triggers
(_district_copies_0124), and indexed by district and date for a district's due items."""

from django.conf import settings
from django.db import migrations, models

from supervision.migrations import _district_copies_0124 as copies
from supervision.migrations import _tallies_0100 as tallies


def drop_tally_triggers_on_sqlite(apps, schema_editor):
    # SQLite alters a table by copying it: the overview's triggers that name the inspections
    # are dropped around the copies and created again after them.
    if schema_editor.connection.vendor == "sqlite":
        tallies.remove(schema_editor.connection)


def create_tally_triggers_on_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        tallies.install(schema_editor.connection)


def install_copies(apps, schema_editor):
    copies.fill(schema_editor.connection)
    copies.install(schema_editor.connection)


def remove_copies(apps, schema_editor):
    copies.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0123_tip_running_due_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_tally_triggers_on_sqlite, create_tally_triggers_on_sqlite),
        migrations.AddField(
            model_name="inspection",
            name="district",
            field=models.CharField(
                choices=[
                    ("540102", "城关区"),
                    ("540103", "堆龙德庆区"),
                    ("540104", "达孜区"),
                    ("540121", "林周县"),
                    ("540122", "当雄县"),
                    ("540123", "尼木县"),
                    ("540124", "曲水县"),
                    ("540127", "墨竹工卡县"),
                ],
                default="",
                editable=False,
                max_length=6,
                verbose_name="所属区县",
            ),
        ),
        migrations.AddField(
            model_name="rectification",
            name="district",
            field=models.CharField(
                choices=[
                    ("540102", "城关区"),
                    ("540103", "堆龙德庆区"),
                    ("540104", "达孜区"),
                    ("540121", "林周县"),
                    ("540122", "当雄县"),
                    ("540123", "尼木县"),
                    ("540124", "曲水县"),
                    ("540127", "墨竹工卡县"),
                ],
                default="",
                editable=False,
                max_length=6,
                verbose_name="所属区县",
            ),
        ),
        migrations.AddField(
            model_name="referral",
            name="district",
            field=models.CharField(
                choices=[
                    ("540102", "城关区"),
                    ("540103", "堆龙德庆区"),
                    ("540104", "达孜区"),
                    ("540121", "林周县"),
                    ("540122", "当雄县"),
                    ("540123", "尼木县"),
                    ("540124", "曲水县"),
                    ("540127", "墨竹工卡县"),
                ],
                default="",
                editable=False,
                max_length=6,
                verbose_name="所属区县",
            ),
        ),
        migrations.RunPython(
            create_tally_triggers_on_sqlite, drop_tally_triggers_on_sqlite
        ),
        migrations.RunPython(install_copies, remove_copies),
        migrations.AddIndex(
            model_name="inspection",
            index=models.Index(
                condition=models.Q(("status__in", ["planned", "in_progress"])),
                fields=["district", "status", "start_date", "id"],
                name="inspection_district_open_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="rectification",
            index=models.Index(
                condition=models.Q(("status__in", ["ordered", "reported"])),
                fields=["district", "due_on", "id"],
                name="rectification_district_due_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                condition=models.Q(("status", "referred")),
                fields=["district", "referred_on", "id"],
                name="referral_district_waiting_idx",
            ),
        ),
    ]
