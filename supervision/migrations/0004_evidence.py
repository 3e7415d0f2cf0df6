"""Evidence files (supervision.models.Evidence) and the roles' permissions on them."""

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
import supervision.models.evidence
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

# A frozen copy of what this migration grants (supervision/roles.py when it was written):
# changing the app's roles later must not change what an old migration does. Evidence files are
# added by whoever may change the record they belong to, and read by every role.
EVIDENCE_PERMISSIONS = {
    "inspector": ["add_evidence", "view_evidence"],
    "supervisor": ["add_evidence", "view_evidence", "view_historicalevidence"],
    "auditor": ["view_evidence", "view_historicalevidence"],
}


def grant(apps, schema_editor):
    """Give the roles their evidence permissions, leaving the rest of each group as it is."""
    # Permissions are normally created after all migrations; the groups need them now.
    app_config = apps.get_app_config("supervision")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in EVIDENCE_PERMISSIONS.items():
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
    codenames = {c for codes in EVIDENCE_PERMISSIONS.values() for c in codes}
    for group in apps.get_model("auth", "Group").objects.filter(name__in=EVIDENCE_PERMISSIONS):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="supervision", codename__in=codenames)
        )


class Migration(migrations.Migration):

    dependencies = [
        ('supervision', '0002_roles_and_lookups'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalEvidence',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('file', models.TextField(max_length=100, verbose_name='文件')),
                ('original_name', models.CharField(max_length=120, verbose_name='文件名')),
                ('content_type', models.CharField(choices=[('application/pdf', 'PDF 文档'), ('image/jpeg', 'JPEG 图片'), ('image/png', 'PNG 图片'), ('image/webp', 'WebP 图片'), ('image/tiff', 'TIFF 图片'), ('application/ofd', 'OFD 版式文档')], max_length=40, verbose_name='文件类型')),
                ('size', models.PositiveBigIntegerField(verbose_name='大小（字节）')),
                ('sha256', models.CharField(max_length=64, verbose_name='SHA-256 校验值')),
                ('description', models.CharField(blank=True, default='', max_length=200, verbose_name='说明')),
                ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='上传时间')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('inspection', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='supervision.inspection', verbose_name='检查')),
                ('referral', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='supervision.referral', verbose_name='案件移送')),
                ('sanction', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='supervision.sanction', verbose_name='处理措施')),
                ('uploaded_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='上传人')),
            ],
            options={
                'verbose_name': '证据材料变更记录',
                'verbose_name_plural': 'historical 证据材料',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Evidence',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file', models.FileField(upload_to=supervision.models.evidence.evidence_path, verbose_name='文件')),
                ('original_name', models.CharField(max_length=120, verbose_name='文件名')),
                ('content_type', models.CharField(choices=[('application/pdf', 'PDF 文档'), ('image/jpeg', 'JPEG 图片'), ('image/png', 'PNG 图片'), ('image/webp', 'WebP 图片'), ('image/tiff', 'TIFF 图片'), ('application/ofd', 'OFD 版式文档')], max_length=40, verbose_name='文件类型')),
                ('size', models.PositiveBigIntegerField(verbose_name='大小（字节）')),
                ('sha256', models.CharField(max_length=64, verbose_name='SHA-256 校验值')),
                ('description', models.CharField(blank=True, default='', max_length=200, verbose_name='说明')),
                ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='上传时间')),
                ('inspection', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='evidence', to='supervision.inspection', verbose_name='检查')),
                ('referral', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='evidence', to='supervision.referral', verbose_name='案件移送')),
                ('sanction', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='evidence', to='supervision.sanction', verbose_name='处理措施')),
                ('uploaded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='上传人')),
            ],
            options={
                'verbose_name': '证据材料',
                'verbose_name_plural': '证据材料',
                'ordering': ['uploaded_at', 'id'],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('inspection__isnull', False), ('referral__isnull', True), ('sanction__isnull', True)), models.Q(('inspection__isnull', True), ('referral__isnull', False), ('sanction__isnull', True)), models.Q(('inspection__isnull', True), ('referral__isnull', True), ('sanction__isnull', False)), _connector='OR'), name='evidence_exactly_one_record', violation_error_message='证据材料须且只能属于一条检查、移送或处理措施。'), models.CheckConstraint(condition=models.Q(('content_type__in', ['application/pdf', 'image/jpeg', 'image/png', 'image/webp', 'image/tiff', 'application/ofd'])), name='evidence_content_type_valid', violation_error_message='文件类型无效。'), models.CheckConstraint(condition=models.Q(('size__gt', 0)), name='evidence_not_empty', violation_error_message='文件为空。'), models.CheckConstraint(condition=models.Q(('original_name', ''), _negated=True), name='evidence_has_name', violation_error_message='请提供文件名。')],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
