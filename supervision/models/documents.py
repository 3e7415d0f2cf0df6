"""Official documents (文书) made from the records: the templates supervisors word, and each
version issued from a record (检查笔录, 移送函, 行政处理事先告知书, 处理决定书).

A template is plain text with placeholders in braces, {机构名称}: a placeholder is one of the
named fields its kind allows (PLACEHOLDERS), filled from the record as plain text by
services.documents. Nothing else in a template is interpreted, so a template cannot reach any
data or code beyond those names; an unknown name is refused when the template is saved.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from supervision.choices import DocumentKind
from supervision.formats.punctuation import listed
from supervision.models.base import TimeStamped, Versioned, text_limit
from supervision.models.checks import BatchedChecks
from supervision.scoping import scoped_queryset

TITLE_LENGTH = 100
BODY_LENGTH = 10_000
SIGNATORY_LENGTH = 100
NUMBER_LENGTH = 60

# The named fields of each kind of document. Every kind has the facility's and the case's; the
# rest are its record's own. services.documents fills each of them (a test checks it does).
COMMON = (
    "机构名称",
    "统一社会信用代码",
    "医保定点编码",
    "机构地址",
    "法定代表人",
    "所属区县",
    "案号",
    "违规事实",
    "违规类型",
    "检查日期",
    "涉及金额",
    "涉及金额大写",
    "出具日期",
)
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    DocumentKind.INSPECTION_RECORD: (
        *COMMON,
        "检查类型",
        "开始日期",
        "结束日期",
        "检查人员",
        "协作部门",
        "检查发现",
        "追回金额",
    ),
    DocumentKind.REFERRAL_LETTER: (
        *COMMON,
        "移送部门",
        "移送日期",
        "案情摘要",
        "检查案号",
        "检查发现",
    ),
    DocumentKind.NOTICE: (
        *COMMON,
        "措施类型",
        "处理措施",
        "决定日期",
        "法律依据",
        "处理金额",
        "处理金额大写",
        "检查案号",
    ),
    DocumentKind.DECISION: (
        *COMMON,
        "措施类型",
        "处理措施",
        "决定日期",
        "法律依据",
        "处理金额",
        "处理金额大写",
        "检查案号",
    ),
}
# A placeholder: a name in ASCII braces. Any other brace is an error (an unfinished placeholder).
PLACEHOLDER = re.compile(r"\{([^{}\n]*)\}")


def template_problems(kind: str, text: str) -> list[str]:
    """Why text cannot be a template of kind: each unknown placeholder named, an unpaired brace;
    empty when it can."""
    allowed = PLACEHOLDERS.get(kind, ())
    unknown = []
    for name in PLACEHOLDER.findall(text):
        if name not in allowed and name not in unknown:
            unknown.append(name)
    problems = []
    if unknown:
        problems.append(
            str(_("未知的占位符：%(names)s。可用的占位符见下方说明。"))
            % {"names": listed(f"{{{name}}}" for name in unknown)}
        )
    if "{" in PLACEHOLDER.sub("", text) or "}" in PLACEHOLDER.sub("", text):
        problems.append(str(_("有未配对的花括号：占位符须写成 {名称}，且在同一行内。")))
    return problems


class DocumentTemplate(Versioned, TimeStamped):
    """The wording of one kind of document (文书模板), kept by supervisors; the active one of its
    kind is the one documents are made with."""

    kind = models.CharField(_("文书类型"), max_length=24, choices=DocumentKind.choices)
    name = models.CharField(
        _("模板名称"), max_length=100, help_text=_("便于区分同类文书的多个模板，不出现在文书中。")
    )
    title = models.CharField(
        _("文书标题"), max_length=TITLE_LENGTH, help_text=_("居中显示在文书顶部，可含占位符。")
    )
    body = models.TextField(
        _("正文"),
        max_length=BODY_LENGTH,
        help_text=_("每行一段，段首自动缩进两字；用 {机构名称} 这样的占位符引用记录中的内容。"),
    )
    signatory = models.CharField(
        _("落款单位"),
        max_length=SIGNATORY_LENGTH,
        default="拉萨市医疗保障局",
        help_text=_("文末右对齐，其下为日期。"),
    )
    is_active = models.BooleanField(
        _("启用"), default=True, help_text=_("每类文书只能有一个启用的模板，生成文书时使用它。")
    )

    history = HistoricalRecords(verbose_name=_("文书模板变更记录"))
    district_path = None  # the bureau's wording, shared by every district

    class Meta:
        verbose_name = _("文书模板")
        verbose_name_plural = pgettext_lazy("plural", "文书模板")
        ordering = ["kind", "-is_active", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DocumentKind.values),
                name="documenttemplate_kind_valid",
                violation_error_message=_("文书类型无效。"),
            ),
            # The active template of a kind is looked up by this partial index.
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(is_active=True),
                name="documenttemplate_one_active_per_kind",
                violation_error_message=_("该类文书已有一个启用的模板，请先停用它。"),
            ),
            models.CheckConstraint(
                condition=~Q(title=""),
                name="documenttemplate_has_title",
                violation_error_message=_("请填写文书标题。"),
            ),
            models.CheckConstraint(
                condition=~Q(body=""),
                name="documenttemplate_has_body",
                violation_error_message=_("请填写正文。"),
            ),
            text_limit("documenttemplate", "body", BODY_LENGTH, _("正文")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("documenttemplate-edit", args=[self.pk])

    def clean(self) -> None:
        """Every placeholder of the title and the body must be one its kind allows."""
        if self.kind not in DocumentKind.values:
            return  # the field's own message says so
        errors = {}
        for field in ("title", "body"):
            problems = template_problems(self.kind, getattr(self, field) or "")
            if problems:
                errors[field] = problems
        if errors:
            raise ValidationError(errors)


class IssuedDocumentQuerySet(models.QuerySet):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> IssuedDocumentQuerySet:
        """The documents user may see (supervision.scoping: the permission, the districts of the
        record it was issued from)."""
        return scoped_queryset(user, self)


class IssuedDocument(BatchedChecks):
    """One version of a document issued from a record: the file, kept as the record's evidence,
    with the template text it was made from. Issued again, a document gets the next version;
    nothing issued is changed or removed."""

    kind = models.CharField(_("文书类型"), max_length=24, choices=DocumentKind.choices)
    inspection = models.ForeignKey(
        "supervision.Inspection",
        verbose_name=_("检查"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    referral = models.ForeignKey(
        "supervision.Referral",
        verbose_name=_("案件移送"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    sanction = models.ForeignKey(
        "supervision.Sanction",
        verbose_name=_("处理措施"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    version = models.PositiveIntegerField(_("版次"))
    number = models.CharField(_("文号"), max_length=NUMBER_LENGTH, blank=True, default="")
    title = models.CharField(_("标题"), max_length=TITLE_LENGTH * 3)
    template = models.ForeignKey(
        DocumentTemplate,
        verbose_name=_("模板"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued",
    )
    template_version = models.PositiveIntegerField(_("模板版本"), null=True, blank=True)
    template_title = models.CharField(_("模板标题"), max_length=TITLE_LENGTH)
    template_body = models.TextField(_("模板正文"), max_length=BODY_LENGTH)
    template_signatory = models.CharField(_("落款单位"), max_length=SIGNATORY_LENGTH)
    evidence = models.OneToOneField(
        "supervision.Evidence",
        verbose_name=_("文件"),
        on_delete=models.PROTECT,
        related_name="issued_document",
    )
    sha256 = models.CharField(_("SHA-256 校验值"), max_length=64)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("出具人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("出具时间"), default=timezone.now)

    history = HistoricalRecords(verbose_name=_("出具文书记录"))
    objects = IssuedDocumentQuerySet.as_manager()
    district_path = (
        "inspection__facility__district",
        "referral__inspection__facility__district",
        "sanction__facility__district",
    )

    class Meta:
        verbose_name = _("出具的文书")
        verbose_name_plural = pgettext_lazy("plural", "出具的文书")
        # A record's documents are read through the unique (record, kind, version) indexes.
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DocumentKind.values),
                name="issueddocument_kind_valid",
                violation_error_message=_("文书类型无效。"),
            ),
            models.CheckConstraint(
                condition=Q(inspection__isnull=False, referral__isnull=True, sanction__isnull=True)
                | Q(inspection__isnull=True, referral__isnull=False, sanction__isnull=True)
                | Q(inspection__isnull=True, referral__isnull=True, sanction__isnull=False),
                name="issueddocument_exactly_one_record",
                violation_error_message=_("文书须且只能出自一条检查、移送或处理措施。"),
            ),
            models.CheckConstraint(
                condition=Q(kind=DocumentKind.INSPECTION_RECORD, inspection__isnull=False)
                | Q(kind=DocumentKind.REFERRAL_LETTER, referral__isnull=False)
                | Q(kind__in=[DocumentKind.NOTICE, DocumentKind.DECISION], sanction__isnull=False),
                name="issueddocument_kind_fits_record",
                violation_error_message=_(
                    "检查笔录出自检查，移送函出自移送，告知书和处理决定书出自处理措施。"
                ),
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1),
                name="issueddocument_version_positive",
                violation_error_message=_("版次从1开始。"),
            ),
            *(
                models.UniqueConstraint(
                    fields=[field, "kind", "version"],
                    condition=Q(**{f"{field}__isnull": False}),
                    name=f"issueddocument_{field}_version_unique",
                    violation_error_message=_("该记录的这一版文书已出具，请刷新页面后再试。"),
                )
                for field in ("inspection", "referral", "sanction")
            ),
            text_limit("issueddocument", "template_body", BODY_LENGTH, _("模板正文")),
        ]

    def __str__(self) -> str:
        text = _("%(kind)s 第%(version)s版") % {
            "kind": self.get_kind_display(),
            "version": self.version,
        }
        return f"{text} · {self.number}" if self.number else str(text)

    def get_absolute_url(self) -> str:
        """The download of its file (the evidence download checks who may have it)."""
        return reverse("evidence-download", args=[self.evidence_id])

    @property
    def record(self) -> models.Model:
        """The inspection, referral or sanction it was issued from (may query)."""
        return getattr(self, DocumentKind(self.kind).record_field)
