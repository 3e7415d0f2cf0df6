from __future__ import annotations

import functools
import operator
import uuid

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from supervision.choices import EvidenceType
from supervision.models.checks import BatchedChecks
from supervision.models.evaluation import CreditRepair, Objection
from supervision.models.inspection import Inspection
from supervision.models.referral import Referral
from supervision.models.sanction import Sanction
from supervision.models.tip import Tip
from supervision.scoping import can_view, scoped_queryset

# The records a file can be attached to, by the name of Evidence's field for each.
PARENT_FIELDS = ("inspection", "referral", "sanction", "tip", "objection", "repair")
MAX_NAME_LENGTH = 120
MAX_DESCRIPTION_LENGTH = 200


def evidence_field(model: type[models.Model]) -> str:
    """The field of Evidence that links a file to a record of model (one of PARENT_FIELDS)."""
    for name in PARENT_FIELDS:
        if Evidence._meta.get_field(name).related_model is model:
            return name
    raise LookupError(f"{model.__name__} takes no evidence")


def evidence_path(instance: Evidence, filename: str) -> str:
    """evidence/<year>/<month>/<random hex><extension of the detected type>.

    Never the uploader's file name: it could carry a path, a misleading extension or characters
    the file system or a browser treats specially. The name shown and downloaded is kept apart,
    sanitised, in original_name.
    """
    month = timezone.localdate().strftime("%Y/%m")
    known = instance.content_type in EvidenceType.values  # else the row is refused anyway
    extension = EvidenceType(instance.content_type).extension if known else ""
    return f"evidence/{month}/{uuid.uuid4().hex}{extension}"


def _exactly_one_parent() -> Q:
    """One of PARENT_FIELDS set and the others null."""
    options = [Q(**{f"{f}__isnull": f != name for f in PARENT_FIELDS}) for name in PARENT_FIELDS]
    return functools.reduce(operator.or_, options)


class EvidenceQuerySet(models.QuerySet):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> EvidenceQuerySet:
        """The files user may see: view_evidence, and a record they are attached to that user
        may see (supervision.scoping decides, district limits included)."""
        if not can_view(user, self.model):
            return self.none()
        return self.filter(
            Q(inspection__in=scoped_queryset(user, Inspection.objects.all()))
            | Q(referral__in=scoped_queryset(user, Referral.objects.all()))
            | Q(sanction__in=scoped_queryset(user, Sanction.objects.all()))
            | Q(tip__in=scoped_queryset(user, Tip.objects.all()))
            | Q(objection__in=scoped_queryset(user, Objection.objects.all()))
            | Q(repair__in=scoped_queryset(user, CreditRepair.objects.all()))
        )


class Evidence(BatchedChecks):
    """A file kept as evidence of an inspection, a referral or a sanction (证据材料): a photo of
    a delivery note, a scanned decision, a PDF. Kept for good: never edited, never deleted.

    Its district is that of the record it belongs to, one of three: district_path names all
    three ways (supervision.scoping takes any of them); EvidenceQuerySet.visible_to also asks
    that the record itself be visible.
    """

    inspection = models.ForeignKey(
        "supervision.Inspection",
        verbose_name=_("检查"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
    )
    referral = models.ForeignKey(
        "supervision.Referral",
        verbose_name=_("案件移送"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
    )
    sanction = models.ForeignKey(
        "supervision.Sanction",
        verbose_name=_("处理措施"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
    )
    file = models.FileField(_("文件"), upload_to=evidence_path, max_length=100)
    original_name = models.CharField(_("文件名"), max_length=MAX_NAME_LENGTH)
    content_type = models.CharField(_("文件类型"), max_length=40, choices=EvidenceType.choices)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256 校验值"), max_length=64)
    description = models.CharField(
        _("说明"), max_length=MAX_DESCRIPTION_LENGTH, blank=True, default=""
    )
    tip = models.ForeignKey(
        "supervision.Tip",
        verbose_name=_("举报线索"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
    )
    objection = models.ForeignKey(
        "supervision.Objection",
        verbose_name=_("信用评价异议"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
    )
    repair = models.ForeignKey(
        "supervision.CreditRepair",
        verbose_name=_("信用修复"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now, editable=False)

    history = HistoricalRecords(verbose_name=_("证据材料变更记录"))
    objects = EvidenceQuerySet.as_manager()
    district_path = (
        "inspection__facility__district",
        "referral__inspection__facility__district",
        "sanction__facility__district",
        "tip__district",
        "objection__assessment__district",
        "repair__rating__facility__district",
    )

    class Meta:
        verbose_name = _("证据材料")
        verbose_name_plural = pgettext_lazy("plural", "证据材料")
        # A record's files in the order they were added (the foreign keys' indexes find them).
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=_exactly_one_parent(),
                name="evidence_exactly_one_record",
                violation_error_message=_(
                    "证据材料须且只能属于一条检查、移送、处理措施、举报线索、信用评价异议或信用修复申请。"
                ),
            ),
            models.CheckConstraint(
                condition=Q(content_type__in=EvidenceType.values),
                name="evidence_content_type_valid",
                violation_error_message=_("文件类型无效。"),
            ),
            models.CheckConstraint(
                condition=Q(size__gt=0),
                name="evidence_not_empty",
                violation_error_message=_("文件为空。"),
            ),
            models.CheckConstraint(
                condition=~Q(original_name=""),
                name="evidence_has_name",
                violation_error_message=_("请提供文件名。"),
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        """The download (the file has no page of its own)."""
        return reverse("evidence-download", args=[self.pk])

    @property
    def parent(self) -> models.Model:
        """The inspection, referral or sanction the file belongs to (may query)."""
        return next(getattr(self, name) for name in PARENT_FIELDS if getattr(self, f"{name}_id"))
