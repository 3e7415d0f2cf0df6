"""Audit events: sign-ins, second factor, tokens, exports, evidence files."""

import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("supervision", "0102_text_limits"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "occurred_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False, verbose_name="时间"
                    ),
                ),
                (
                    "username",
                    models.CharField(blank=True, default="", max_length=150, verbose_name="用户名"),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("sign_in", "登录"),
                            ("sign_in_failed", "登录失败"),
                            ("locked_out", "登录被锁定"),
                            ("sign_out", "退出登录"),
                            ("otp_enrolled", "绑定验证器"),
                            ("otp_verified", "第二因素验证通过"),
                            ("otp_refused", "第二因素验证失败"),
                            ("recovery_codes", "重新生成恢复码"),
                            ("otp_reset", "管理员重置第二因素"),
                            ("token_issued", "签发接口令牌"),
                            ("token_revoked", "吊销接口令牌"),
                            ("export", "导出"),
                            ("evidence_uploaded", "上传证据材料"),
                            ("evidence_downloaded", "下载证据材料"),
                        ],
                        max_length=32,
                        verbose_name="操作",
                    ),
                ),
                (
                    "object_id",
                    models.BigIntegerField(blank=True, null=True, verbose_name="记录编号"),
                ),
                (
                    "summary",
                    models.CharField(blank=True, default="", max_length=300, verbose_name="摘要"),
                ),
                (
                    "detail",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        encoder=django.core.serializers.json.DjangoJSONEncoder,
                        verbose_name="详情",
                    ),
                ),
                (
                    "content_type",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="contenttypes.contenttype",
                        verbose_name="记录类型",
                    ),
                ),
                (
                    "facility",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="supervision.facility",
                        verbose_name="机构",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="用户",
                    ),
                ),
            ],
            options={
                "verbose_name": "审计事件",
                "verbose_name_plural": "审计事件",
                "ordering": ["-occurred_at", "-id"],
                "indexes": [
                    models.Index(fields=["-occurred_at", "-id"], name="auditevent_newest"),
                    models.Index(fields=["user", "-occurred_at"], name="auditevent_user"),
                    models.Index(fields=["action", "-occurred_at"], name="auditevent_action"),
                    models.Index(fields=["content_type", "object_id"], name="auditevent_record"),
                    models.Index(fields=["facility", "-occurred_at"], name="auditevent_facility"),
                ],
            },
        ),
    ]
