"""Rectification orders (责令整改): the roles' permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# A frozen copy of supervision/roles.py's RECTIFICATION_PERMISSIONS when this was written.
PERMISSIONS = {
    "inspector": ["view_rectification", "add_rectification", "change_rectification"],
    "tip_desk": ["view_rectification"],
    "credit_evaluator": ["view_rectification"],
    "supervisor": [
        "view_rectification",
        "add_rectification",
        "change_rectification",
        "view_historicalrectification",
    ],
    "auditor": ["view_rectification", "view_historicalrectification"],
}


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


class Migration(migrations.Migration):
    dependencies = [("supervision", "0120_rectification_reminders")]

    operations = [migrations.RunPython(grant, revoke)]
