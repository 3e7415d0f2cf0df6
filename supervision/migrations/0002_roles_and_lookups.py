"""Create the lookup rows and the staff groups with their permissions on every database."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# A frozen copy of what this migration grants and creates (from supervision/roles.py and
# supervision/choices.py when it was written): changing the app's roles or choices later must not
# change what an old migration does. Later migrations add the permissions of later models.
_CASE_MODELS = ["facility", "creditrating", "ratingchange", "inspection", "referral", "sanction"]
_LOOKUPS = ["inspector", "partneragency", "violationcategory"]
_ALL = _CASE_MODELS + _LOOKUPS
_HISTORY = [f"historical{m}" for m in [*_CASE_MODELS, "inspector"]]

ROLE_PERMISSIONS = {
    # Records and edits inspections; reads the rest.
    "inspector": [f"view_{m}" for m in _ALL] + ["add_inspection", "change_inspection"],
    # Also keeps the registry, sets grades, records sanctions and makes referrals.
    "supervisor": [f"view_{m}" for m in _ALL + _HISTORY]
    + [
        "add_facility",
        "change_facility",
        "add_creditrating",
        "change_creditrating",
        "add_inspection",
        "change_inspection",
        "add_referral",
        "change_referral",
        "add_sanction",
        "change_sanction",
        "add_inspector",
        "change_inspector",
    ],
    # Reads everything, history included; changes nothing.
    "auditor": [f"view_{m}" for m in _ALL + _HISTORY],
}

LOOKUP_ROWS = {
    "partneragency": ["police", "market", "health", "discipline"],
    "violationcategory": [
        "forged_delivery_notes",
        "false_claims",
        "substitution",
        "overcharging",
        "duplicate_charging",
        "split_charging",
        "excessive_prescribing",
        "ghost_admission",
        "impersonation",
        "drug_reselling",
        "traceability_code",
        "management_failure",
    ],
}


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations; groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    for model_name, codes in LOOKUP_ROWS.items():
        model = apps.get_model("supervision", model_name)
        for code in codes:
            model.objects.get_or_create(code=code)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = list(
            Permission.objects.filter(content_type__app_label="supervision", codename__in=codenames)
        )
        missing = set(codenames) - {p.codename for p in perms}
        if missing:
            raise RuntimeError(f"permissions missing for {role}: {sorted(missing)}")
        group.permissions.set(perms)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
