"""District scope of staff accounts (supervision.scoping): the districts an account sees."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('supervision', '0002_roles_and_lookups'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='UserDistrict',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('district', models.CharField(choices=[('540102', '城关区'), ('540103', '堆龙德庆区'), ('540104', '达孜区'), ('540121', '林周县'), ('540122', '当雄县'), ('540123', '尼木县'), ('540124', '曲水县'), ('540127', '墨竹工卡县')], max_length=6, verbose_name='区县')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='districts', to=settings.AUTH_USER_MODEL, verbose_name='账号')),
            ],
            options={
                'verbose_name': '可见区县',
                'verbose_name_plural': '可见区县',
                'ordering': ['user', 'district'],
                'constraints': [models.UniqueConstraint(fields=('user', 'district'), name='userdistrict_unique', violation_error_message='该账号已限定此区县。'), models.CheckConstraint(condition=models.Q(('district__in', ['540102', '540103', '540104', '540121', '540122', '540123', '540124', '540127'])), name='userdistrict_district_valid', violation_error_message='区县无效。')],
            },
        ),
    ]
