"""Tips: the roles' permissions on them (a new role, the tip desk 举报受理), and the published
report channels (supervision.models.Hotline): the national 12393 line published, the autonomous
region's and the city's lines, the portal and WeChat waiting for their numbers, which an
administrator enters and publishes in the admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# A frozen copy of supervision/roles.py's TIP_PERMISSIONS when this was written.
TIP_PERMISSIONS = {
    "inspector": [
        "view_tip",
        "view_tipextension",
        "view_tipreward",
        "view_calendarday",
        "view_calendaryear",
        "view_hotline",
    ],
    "supervisor": [
        "view_tip",
        "view_tipextension",
        "view_tipreward",
        "view_calendarday",
        "view_calendaryear",
        "view_hotline",
        "view_historicaltip",
        "view_historicaltipextension",
        "view_historicaltipreward",
        "view_tipreporter",
        "add_tipreporter",
        "change_tipreporter",
        "view_historicaltipreporter",
        "add_tip",
        "change_tip",
        "add_tipextension",
        "add_tipreward",
        "change_tipreward",
    ],
    "auditor": [
        "view_tip",
        "view_tipextension",
        "view_tipreward",
        "view_calendarday",
        "view_calendaryear",
        "view_hotline",
        "view_historicaltip",
        "view_historicaltipextension",
        "view_historicaltipreward",
        "view_historicalcalendarday",
        "view_historicalcalendaryear",
        "view_historicalhotline",
    ],
    "tip_desk": [
        "view_facility",
        "view_creditrating",
        "view_ratingchange",
        "view_inspection",
        "view_referral",
        "view_sanction",
        "view_inspector",
        "view_partneragency",
        "view_violationcategory",
        "view_tip",
        "view_tipextension",
        "view_tipreward",
        "view_calendarday",
        "view_calendaryear",
        "view_hotline",
        "view_historicaltip",
        "view_historicaltipextension",
        "view_historicaltipreward",
        "view_tipreporter",
        "add_tipreporter",
        "change_tipreporter",
        "view_historicaltipreporter",
        "add_tip",
        "change_tip",
        "add_tipreward",
        "add_inspection",
        "add_evidence",
        "view_evidence",
    ],
}

HOTLINES = [
    # channel, name, contact, position, published
    ("national_hotline", "国家医保局举报电话", "12393", 1, True),
    ("region_hotline", "西藏自治区医保举报电话", "", 2, False),
    ("city_hotline", "拉萨市医保举报电话", "", 3, False),
    ("portal", "拉萨市医疗保障局门户网站", "", 4, False),
    ("wechat", "拉萨医保微信公众号", "", 5, False),
]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("supervision")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in TIP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = list(
            Permission.objects.filter(content_type__app_label="supervision", codename__in=codenames)
        )
        missing = set(codenames) - {p.codename for p in perms}
        if missing:
            raise RuntimeError(f"permissions missing for {role}: {sorted(missing)}")
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name="tip_desk").delete()
    codenames = {c for codes in TIP_PERMISSIONS.values() for c in codes}
    tip_models = {
        "tip",
        "tipreporter",
        "tipextension",
        "tipreward",
        "calendarday",
        "calendaryear",
        "hotline",
    }
    owned = [c for c in codenames if c.split("_", 1)[1].removeprefix("historical") in tip_models]
    for group in Group.objects.filter(name__in=TIP_PERMISSIONS):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="supervision", codename__in=owned)
        )


def add_hotlines(apps, schema_editor):
    Hotline = apps.get_model("supervision", "Hotline")
    for channel, name, contact, position, published in HOTLINES:
        Hotline.objects.get_or_create(
            channel=channel,
            defaults={
                "name": name,
                "contact": contact,
                "position": position,
                "published": published,
            },
        )


def remove_hotlines(apps, schema_editor):
    apps.get_model("supervision", "Hotline").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("supervision", "0105_tips")]

    operations = [
        migrations.RunPython(grant, revoke),
        migrations.RunPython(add_hotlines, remove_hotlines),
    ]
