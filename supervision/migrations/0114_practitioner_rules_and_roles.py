"""Practitioners' payment qualification: the national default rules of points (from 2024: bands
by degree of responsibility, suspension from 9 points in a year for 2–6 months, termination at
12 with no re-registration for 12 months, 36 when one event gives all 12) and the roles'
permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

_MODELS = [
    "practitioner",
    "registration",
    "pointsrecord",
    "qualificationmeasure",
    "pointspolicy",
    "pointsband",
    "suspensionperiod",
]
_READ = [f"view_{m}" for m in _MODELS]
_HISTORY = [f"view_historical{m}" for m in _MODELS]

# A frozen copy of supervision/roles.py's PRACTITIONER_PERMISSIONS when this was written.
PERMISSIONS = {
    "inspector": _READ,
    "credit_evaluator": _READ + _HISTORY,
    "supervisor": _READ
    + _HISTORY
    + [
        "add_practitioner",
        "change_practitioner",
        "view_practitioneridentity",
        "add_practitioneridentity",
        "change_practitioneridentity",
        "view_historicalpractitioneridentity",
        "add_registration",
        "change_registration",
        "add_pointsrecord",
        "change_pointsrecord",
        "add_pointspolicy",
        "change_pointspolicy",
        "add_pointsband",
        "change_pointsband",
        "add_suspensionperiod",
        "change_suspensionperiod",
    ],
    "auditor": _READ + _HISTORY,
}

# responsibility, min, max, label
BANDS = [
    ("general", 1, 3, "负有一般责任"),
    ("important", 4, 6, "负有重要责任"),
    ("main", 7, 9, "负有主要责任"),
    ("main", 10, 12, "负有主要责任，情节严重（如欺诈骗保）"),
]
# a year's points: months of suspension
PERIODS = {9: 2, 10: 4, 11: 6}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("supervision")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = list(
            Permission.objects.filter(content_type__app_label="supervision", codename__in=codenames)
        )
        missing = set(codenames) - {p.codename for p in perms}
        if missing:
            raise RuntimeError(f"permissions missing for {role}: {sorted(missing)}")
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in PERMISSIONS.items():
        for group in Group.objects.filter(name=role):
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label="supervision", codename__in=codenames
                )
            )


def add_policy(apps, schema_editor):
    Policy = apps.get_model("supervision", "PointsPolicy")
    Band = apps.get_model("supervision", "PointsBand")
    Period = apps.get_model("supervision", "SuspensionPeriod")
    policy, created = Policy.objects.get_or_create(
        from_year=2024,
        defaults={
            "suspension_threshold": 9,
            "termination_threshold": 12,
            "block_months": 12,
            "block_months_single_event": 36,
            "note": "国家医保局等部门2024年医保支付资格管理规定（默认值，可按本地规定修改）。",
        },
    )
    if not created:
        return
    for responsibility, low, high, label in BANDS:
        Band.objects.create(
            policy=policy,
            responsibility=responsibility,
            min_points=low,
            max_points=high,
            label=label,
        )
    for points, months in PERIODS.items():
        Period.objects.create(policy=policy, points=points, months=months)


def remove_policy(apps, schema_editor):
    apps.get_model("supervision", "PointsPolicy").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("supervision", "0113_practitioners")]

    operations = [
        migrations.RunPython(grant, revoke),
        migrations.RunPython(add_policy, remove_policy),
    ]
