"""Joins the migrations of the trust work (versions, evidence, district scope and sign-in) and
the PostgreSQL search indexes, which were written side by side on 0002, into one history."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0003_versions"),
        ("supervision", "0004_evidence"),
        ("supervision", "0005_scope_and_security"),
        ("supervision", "0010_postgres_search_indexes"),
    ]

    operations = []
