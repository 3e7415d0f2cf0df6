"""A version on every record people edit together: refuses lost updates (models.base.Versioned)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('supervision', '0002_roles_and_lookups'),
    ]

    operations = [
        migrations.AddField(
            model_name='creditrating',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, help_text='每次保存加1；据此拒绝基于旧版本的修改。', verbose_name='版本'),
        ),
        migrations.AddField(
            model_name='facility',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, help_text='每次保存加1；据此拒绝基于旧版本的修改。', verbose_name='版本'),
        ),
        migrations.AddField(
            model_name='historicalcreditrating',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, help_text='每次保存加1；据此拒绝基于旧版本的修改。', verbose_name='版本'),
        ),
        migrations.AddField(
            model_name='historicalfacility',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, help_text='每次保存加1；据此拒绝基于旧版本的修改。', verbose_name='版本'),
        ),
        migrations.AddField(
            model_name='historicalinspection',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, help_text='每次保存加1；据此拒绝基于旧版本的修改。', verbose_name='版本'),
        ),
        migrations.AddField(
            model_name='historicalreferral',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, help_text='每次保存加1；据此拒绝基于旧版本的修改。', verbose_name='版本'),
        ),
        migrations.AddField(
            model_name='historicalsanction',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, help_text='每次保存加1；据此拒绝基于旧版本的修改。', verbose_name='版本'),
        ),
        migrations.AddField(
            model_name='inspection',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, help_text='每次保存加1；据此拒绝基于旧版本的修改。', verbose_name='版本'),
        ),
        migrations.AddField(
            model_name='referral',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, help_text='每次保存加1；据此拒绝基于旧版本的修改。', verbose_name='版本'),
        ),
        migrations.AddField(
            model_name='sanction',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, help_text='每次保存加1；据此拒绝基于旧版本的修改。', verbose_name='版本'),
        ),
    ]
