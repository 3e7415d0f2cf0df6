"""Random checks and publication: the roles' permissions, and the public pages' edition counter."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

_MODELS = [
    "randomcheckplan",
    "randomchecktarget",
    "randomcheckassignment",
    "typicalcase",
    "gradepublication",
]
_READ = [f"view_{m}" for m in _MODELS]
_HISTORY = [
    f"view_historical{m}"
    for m in ["randomcheckplan", "randomcheckassignment", "typicalcase", "gradepublication"]
]

# A frozen copy of supervision/roles.py's PUBLICATION_PERMISSIONS when this was written.
PERMISSIONS = {
    "inspector": _READ,
    "tip_desk": ["view_gradepublication"],
    "credit_evaluator": _READ + _HISTORY,
    "supervisor": _READ
    + _HISTORY
    + [
        "add_randomcheckplan",
        "change_randomcheckplan",
        "draw_randomcheckplan",
        "add_typicalcase",
        "change_typicalcase",
        "review_typicalcase",
        "add_gradepublication",
    ],
    "auditor": _READ + _HISTORY,
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


def first_edition(apps, schema_editor):
    apps.get_model("supervision", "PublicEdition").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0118_random_checks_and_publication")]

    operations = [
        migrations.RunPython(grant, revoke),
        migrations.RunPython(first_edition, migrations.RunPython.noop),
    ]
