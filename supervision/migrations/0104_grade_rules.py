"""Grade rules held by the database: a rating's score fits its grade's band.

A 1000-point score belongs to one grade: A ≥ 900, B 750–899, C 600–749, D < 600 (the city's
default thresholds, supervision.models.rating.GRADE_BANDS). Scores recorded before the rule that
lie outside their grade's band are cleared first (the grade stays: it is the decision), each with
a history row saying why, so that the constraint can be added to a database in use.

SQLite adds a constraint by copying the table into a new one: the overview's triggers
(_tallies_0100.py, a frozen copy) that name the ratings table are dropped around the copy and created
again after it (no rating changes meanwhile, so the totals stay exact).
"""

from decimal import Decimal

from django.db import migrations, models
from django.db.models import F, Q
from django.utils import timezone

from supervision.migrations import _tallies_0100 as tallies

BAND = (
    Q(score__isnull=True)
    | Q(grade="A", score__gte=Decimal("900"))
    | Q(grade="B", score__gte=Decimal("750"), score__lt=Decimal("900"))
    | Q(grade="C", score__gte=Decimal("600"), score__lt=Decimal("750"))
    | Q(grade="D", score__lt=Decimal("600"))
)
REASON = "得分不在信用等级的分数段内（A级900分及以上，B级750–899分，C级600–749分，D级不足600分），按新规则清空得分"


def clear_scores_outside_their_band(apps, schema_editor):
    rating_model = apps.get_model("supervision", "CreditRating")
    history_model = apps.get_model("supervision", "HistoricalCreditRating")
    db = schema_editor.connection.alias
    misfits = list(rating_model.objects.using(db).exclude(BAND).order_by("pk"))
    if not misfits:
        return
    now = timezone.now()
    rating_model.objects.using(db).filter(pk__in=[r.pk for r in misfits]).update(
        score=None, version=F("version") + 1, updated_at=now
    )
    fields = [f.attname for f in rating_model._meta.concrete_fields]
    rows = []
    for rating in rating_model.objects.using(db).filter(pk__in=[r.pk for r in misfits]):
        rows.append(
            history_model(
                **{name: getattr(rating, name) for name in fields},
                history_date=now,
                history_type="~",
                history_change_reason=REASON,
            )
        )
    history_model.objects.using(db).bulk_create(rows)


def drop_triggers_on_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        tallies.remove(schema_editor.connection)


def create_triggers_on_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        tallies.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0103_audit_events")]

    operations = [
        migrations.RunPython(clear_scores_outside_their_band, migrations.RunPython.noop),
        migrations.RunPython(drop_triggers_on_sqlite, create_triggers_on_sqlite),
        migrations.AddConstraint(
            model_name="creditrating",
            constraint=models.CheckConstraint(
                condition=BAND,
                name="rating_score_fits_grade",
                violation_error_message=(
                    "得分与信用等级不符：A级900分及以上，B级750–899分，C级600–749分，"
                    "D级不足600分；不评分可留空。"
                ),
            ),
        ),
        migrations.RunPython(create_triggers_on_sqlite, drop_triggers_on_sqlite),
    ]
