"""Credit management: the 8 categories of credit subject, the default measures of each grade
(分级分类监管: A at most one routine check a year and a plaque, B one check, C at least two and a
talk with the legal representative, D quarterly checks and the focus list), and the roles'
permissions, with a new role, the credit evaluator (信用评价员)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# A frozen copy of supervision/roles.py's CREDIT_PERMISSIONS when this was written.
CREDIT_PERMISSIONS = {
    "inspector": [
        "view_creditcategory",
        "view_creditinstitution",
        "view_insuredperson",
        "view_indicatorsystem",
        "view_dimension",
        "view_indicator",
        "view_evaluationcycle",
        "view_assessment",
        "view_assessmentitem",
        "view_objection",
        "view_creditrepair",
        "view_supervisionmeasure",
        "view_plannedcheck",
    ],
    "credit_evaluator": [
        "view_facility",
        "view_creditrating",
        "view_ratingchange",
        "view_inspection",
        "view_referral",
        "view_sanction",
        "view_inspector",
        "view_partneragency",
        "view_violationcategory",
        "view_creditcategory",
        "view_creditinstitution",
        "view_insuredperson",
        "view_indicatorsystem",
        "view_dimension",
        "view_indicator",
        "view_evaluationcycle",
        "view_assessment",
        "view_assessmentitem",
        "view_objection",
        "view_creditrepair",
        "view_supervisionmeasure",
        "view_plannedcheck",
        "view_historicalcreditcategory",
        "view_historicalcreditinstitution",
        "view_historicalinsuredperson",
        "view_historicalindicatorsystem",
        "view_historicaldimension",
        "view_historicalindicator",
        "view_historicalevaluationcycle",
        "view_historicalassessment",
        "view_historicalassessmentitem",
        "view_historicalobjection",
        "view_historicalcreditrepair",
        "view_historicalsupervisionmeasure",
        "view_historicalplannedcheck",
        "change_assessment",
        "add_assessmentitem",
        "change_assessmentitem",
        "add_objection",
        "change_objection",
        "add_creditrepair",
        "change_creditrepair",
        "add_creditinstitution",
        "change_creditinstitution",
        "add_insuredperson",
        "change_insuredperson",
        "add_insuredidentity",
        "add_evidence",
        "view_evidence",
    ],
    "supervisor": [
        "view_creditcategory",
        "view_creditinstitution",
        "view_insuredperson",
        "view_indicatorsystem",
        "view_dimension",
        "view_indicator",
        "view_evaluationcycle",
        "view_assessment",
        "view_assessmentitem",
        "view_objection",
        "view_creditrepair",
        "view_supervisionmeasure",
        "view_plannedcheck",
        "view_historicalcreditcategory",
        "view_historicalcreditinstitution",
        "view_historicalinsuredperson",
        "view_historicalindicatorsystem",
        "view_historicaldimension",
        "view_historicalindicator",
        "view_historicalevaluationcycle",
        "view_historicalassessment",
        "view_historicalassessmentitem",
        "view_historicalobjection",
        "view_historicalcreditrepair",
        "view_historicalsupervisionmeasure",
        "view_historicalplannedcheck",
        "change_assessment",
        "add_assessmentitem",
        "change_assessmentitem",
        "add_objection",
        "change_objection",
        "add_creditrepair",
        "change_creditrepair",
        "add_creditinstitution",
        "change_creditinstitution",
        "add_insuredperson",
        "change_insuredperson",
        "add_insuredidentity",
        "view_insuredidentity",
        "change_insuredidentity",
        "view_historicalinsuredidentity",
        "add_indicatorsystem",
        "change_indicatorsystem",
        "add_dimension",
        "change_dimension",
        "add_indicator",
        "change_indicator",
        "add_evaluationcycle",
        "change_evaluationcycle",
        "review_evaluationcycle",
        "finalise_evaluationcycle",
        "decide_objection",
        "decide_creditrepair",
        "change_supervisionmeasure",
        "add_plannedcheck",
        "change_plannedcheck",
        "add_ratingchange",
    ],
    "auditor": [
        "view_creditcategory",
        "view_creditinstitution",
        "view_insuredperson",
        "view_indicatorsystem",
        "view_dimension",
        "view_indicator",
        "view_evaluationcycle",
        "view_assessment",
        "view_assessmentitem",
        "view_objection",
        "view_creditrepair",
        "view_supervisionmeasure",
        "view_plannedcheck",
        "view_historicalcreditcategory",
        "view_historicalcreditinstitution",
        "view_historicalinsuredperson",
        "view_historicalindicatorsystem",
        "view_historicaldimension",
        "view_historicalindicator",
        "view_historicalevaluationcycle",
        "view_historicalassessment",
        "view_historicalassessmentitem",
        "view_historicalobjection",
        "view_historicalcreditrepair",
        "view_historicalsupervisionmeasure",
        "view_historicalplannedcheck",
    ],
}

CATEGORIES = [
    # code, number, subject type
    ("medical_institution", 1, "facility"),
    ("retail_pharmacy", 2, "facility"),
    ("insurer", 3, "facility"),
    ("pharma_company", 4, "institution"),
    ("employer", 5, "institution"),
    ("service_provider", 6, "institution"),
    ("practitioner", 7, "practitioner"),
    ("insured_person", 8, "insured_person"),
]

# grade: min checks, max checks, focus list, talk, plaque, simplified, note
MEASURES = {
    "A": (
        0,
        1,
        False,
        False,
        True,
        True,
        "守信激励：授牌，简化办事程序，原则上每年常规检查不超过1次。",
    ),
    "B": (1, None, False, False, False, False, "常规监管。"),
    "C": (2, None, False, True, False, False, "每年至少检查2次，约谈法定代表人。"),
    "D": (4, None, True, True, False, False, "列入重点监管名单，每季度检查，依法依规处理。"),
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("supervision")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in CREDIT_PERMISSIONS.items():
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
    Group.objects.filter(name="credit_evaluator").delete()
    credit_models = {
        "creditcategory",
        "creditinstitution",
        "insuredperson",
        "insuredidentity",
        "indicatorsystem",
        "dimension",
        "indicator",
        "evaluationcycle",
        "assessment",
        "assessmentitem",
        "objection",
        "creditrepair",
        "supervisionmeasure",
        "plannedcheck",
    }
    codenames = {c for codes in CREDIT_PERMISSIONS.values() for c in codes}
    owned = [c for c in codenames if c.split("_", 1)[1].removeprefix("historical") in credit_models]
    for group in Group.objects.filter(name__in=CREDIT_PERMISSIONS):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="supervision", codename__in=owned)
        )


def add_categories(apps, schema_editor):
    Category = apps.get_model("supervision", "CreditCategory")
    Measure = apps.get_model("supervision", "SupervisionMeasure")
    for code, number, subject_type in CATEGORIES:
        Category.objects.get_or_create(
            code=code, defaults={"number": number, "subject_type": subject_type}
        )
        for grade, (low, high, focus, talk, plaque, simple, note) in MEASURES.items():
            Measure.objects.get_or_create(
                category_id=code,
                grade=grade,
                defaults={
                    "min_checks": low,
                    "max_checks": high,
                    "focus_list": focus,
                    "talk": talk,
                    "plaque": plaque,
                    "simplified": simple,
                    "note": note,
                },
            )


def remove_categories(apps, schema_editor):
    apps.get_model("supervision", "SupervisionMeasure").objects.all().delete()
    apps.get_model("supervision", "CreditCategory").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("supervision", "0108_credit_management")]

    operations = [
        migrations.RunPython(grant, revoke),
        migrations.RunPython(add_categories, remove_categories),
    ]
