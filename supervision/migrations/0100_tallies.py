"""The overview's running totals (GradeTally, InspectionTally), the triggers that keep them
(a frozen copy of supervision/tallies.py: _tallies_0100.py), and their first values computed from
the rows already there."""

from decimal import Decimal

from django.db import migrations, models

from supervision.migrations import _tallies_0100 as tallies


def install(apps, schema_editor):
    tallies.install(schema_editor.connection)
    tallies.rebuild(schema_editor.connection)


def remove(apps, schema_editor):
    tallies.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0099_merge_parallel_branches"),
    ]

    operations = [
        migrations.CreateModel(
            name="GradeTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "district",
                    models.CharField(
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
                        max_length=6,
                        verbose_name="所属区县",
                    ),
                ),
                ("year", models.PositiveSmallIntegerField(verbose_name="评价年度")),
                (
                    "grade",
                    models.CharField(
                        choices=[("A", "A级"), ("B", "B级"), ("C", "C级"), ("D", "D级")],
                        max_length=1,
                        verbose_name="信用等级",
                    ),
                ),
                ("facilities", models.IntegerField(default=0, verbose_name="机构数")),
            ],
            options={
                "verbose_name": "等级统计",
                "verbose_name_plural": "等级统计",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("year", "grade", "district"),
                        name="gradetally_year_grade_district_uniq",
                        violation_error_message="该区县该年度该等级的统计已存在。",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="InspectionTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "district",
                    models.CharField(
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
                        max_length=6,
                        verbose_name="所属区县",
                    ),
                ),
                ("month", models.DateField(help_text="该月第一天", verbose_name="月份")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("routine", "日常检查"),
                            ("unannounced", "飞行检查"),
                            ("joint", "联合检查"),
                            ("campaign", "专项整治"),
                            ("random", "双随机抽查"),
                            ("self", "自查自纠"),
                            ("followup", "复查"),
                        ],
                        max_length=16,
                        verbose_name="检查类型",
                    ),
                ),
                ("inspections", models.IntegerField(default=0, verbose_name="检查数")),
                (
                    "amount_involved",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0.00"),
                        max_digits=18,
                        verbose_name="涉及金额（元）",
                    ),
                ),
                (
                    "amount_recovered",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0.00"),
                        max_digits=18,
                        verbose_name="追回金额（元）",
                    ),
                ),
            ],
            options={
                "verbose_name": "检查统计",
                "verbose_name_plural": "检查统计",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("month", "kind", "district"),
                        name="inspectiontally_month_kind_district_uniq",
                        violation_error_message="该区县该月该类检查的统计已存在。",
                    )
                ],
            },
        ),
        migrations.RunPython(install, remove),
    ]
