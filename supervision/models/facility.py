from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Upper
from django.db.models.lookups import Exact
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from supervision.choices import AgreementStatus, District, FacilityKind, Grade, Ownership, Zone
from supervision.codes import (
    CREDIT_CODE_LENGTH,
    INSURANCE_CODE_LENGTH,
    insurance_code_letter_error,
    validate_credit_code,
    validate_insurance_code_format,
)
from supervision.models.base import MONEY, NOTE_LENGTH, TimeStamped, Versioned, text_limit
from supervision.querysets import FacilityQuerySet
from supervision.search import search_keys

_MEDICAL = [FacilityKind.HOSPITAL, FacilityKind.CLINIC]


class Facility(Versioned, TimeStamped):
    """A designated facility (定点医药机构) or commercial insurer: a subject of credit rating."""

    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("机构类别"), max_length=16, choices=FacilityKind.choices)
    ownership = models.CharField(_("经济类型"), max_length=16, choices=Ownership.choices)
    district = models.CharField(_("所属区县"), max_length=6, choices=District.choices)
    zone = models.CharField(_("园区"), max_length=6, choices=Zone.choices, blank=True, default="")
    credit_code = models.CharField(
        _("统一社会信用代码"),
        max_length=CREDIT_CODE_LENGTH,
        unique=True,
        validators=[validate_credit_code],
        help_text=_("18位，按GB 32100-2015校验，字母大写。"),
    )
    insurance_code = models.CharField(
        _("医保定点编码"),
        max_length=INSURANCE_CODE_LENGTH,
        blank=True,
        default="",
        validators=[validate_insurance_code_format],
        help_text=_("医疗机构以H、零售药店以P开头，后接区划代码和5位序号；商业保险公司留空。"),
    )
    address = models.CharField(_("地址"), max_length=300, blank=True, default="")
    legal_representative = models.CharField(_("法定代表人"), max_length=100, blank=True, default="")
    contact_phone = models.CharField(_("联系电话"), max_length=40, blank=True, default="")
    deposit = models.DecimalField(_("医保保证金（元）"), default=Decimal("0.00"), **MONEY)
    designated_on = models.DateField(_("定点日期"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True, default="", max_length=NOTE_LENGTH)
    # Name, pinyin and initials (supervision.search), kept by save() and, for fixtures, by
    # fill_search_keys below; trigram-indexed on PostgreSQL (migration 0101). Not history:
    # it follows from the name.
    search_keys = models.TextField(_("检索词"), blank=True, default="", editable=False)
    # The grade and year of the latest rated year, kept on the row by database triggers
    # (migration 0128, supervision/migrations/_current_grades_0128.py) in the same transaction as
    # every rating written, whatever wrote it, so that the registry sorts and filters by it from
    # an index. Whatever a save writes here, the database puts its ratings' value. Not history:
    # the ratings and their changes are.
    # NULL: never rated. (A default of "" would also make SQLite copy the table to add it.)
    current_grade = models.CharField(  # noqa: DJ001
        _("当前信用等级"), max_length=1, choices=Grade.choices, null=True, editable=False
    )
    current_grade_year = models.PositiveSmallIntegerField(_("评价年度"), null=True, editable=False)

    history = HistoricalRecords(
        verbose_name=_("机构变更记录"),
        excluded_fields=["search_keys", "current_grade", "current_grade_year"],
    )
    objects = FacilityQuerySet.as_manager()
    # How district scoping (supervision.scoping) reaches the district from this model.
    district_path = "district"

    class Meta:
        verbose_name = _("定点医药机构")
        verbose_name_plural = pgettext_lazy("plural", "定点医药机构")
        ordering = ["name", "id"]
        indexes = [
            # Name sort and prefix search on the registry.
            models.Index(fields=["name", "id"], name="facility_name_idx"),
            # The registry's filters: district, then kind or ownership.
            models.Index(
                fields=["district", "kind", "ownership"], name="facility_district_kind_idx"
            ),
            models.Index(fields=["kind", "ownership"], name="facility_kind_idx"),
            models.Index(fields=["zone"], name="facility_zone_idx", condition=~Q(zone="")),
            # The registry sorted by deposit or by creation (pages, API cursor, admin).
            models.Index(fields=["deposit", "id"], name="facility_deposit_idx"),
            models.Index(fields=["created_at", "id"], name="facility_created_idx"),
            # The registry sorted by current grade, by kind (migration 0129; by district: the
            # PostgreSQL index facility_district_id_idx of migration 0010).
            models.Index(fields=["current_grade", "id"], name="facility_current_grade_idx"),
            models.Index(fields=["kind", "id"], name="facility_kind_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=FacilityKind.values),
                name="facility_kind_valid",
                violation_error_message=_("机构类别无效。"),
            ),
            models.CheckConstraint(
                condition=Q(ownership__in=Ownership.values),
                name="facility_ownership_valid",
                violation_error_message=_("经济类型无效。"),
            ),
            models.CheckConstraint(
                condition=Q(district__in=District.values),
                name="facility_district_valid",
                violation_error_message=_("所属区县无效。"),
            ),
            models.CheckConstraint(
                condition=Q(zone="") | Q(zone__in=Zone.values),
                name="facility_zone_valid",
                violation_error_message=_("园区无效。"),
            ),
            models.CheckConstraint(
                condition=Q(Exact(Length("credit_code"), CREDIT_CODE_LENGTH))
                & Q(credit_code=Upper("credit_code")),
                name="facility_credit_code_shape",
                violation_error_message=_("统一社会信用代码应为18位大写字符。"),
            ),
            models.CheckConstraint(
                condition=(Q(kind=FacilityKind.INSURER) & Q(insurance_code=""))
                | (
                    Q(kind__in=_MEDICAL)
                    & Q(insurance_code__startswith="H")
                    & Q(Exact(Length("insurance_code"), INSURANCE_CODE_LENGTH))
                )
                | (
                    Q(kind=FacilityKind.PHARMACY)
                    & Q(insurance_code__startswith="P")
                    & Q(Exact(Length("insurance_code"), INSURANCE_CODE_LENGTH))
                ),
                name="facility_insurance_code_fits_kind",
                violation_error_message=_(
                    "医保定点编码与机构类别不符：医疗机构以H开头，零售药店以P开头，"
                    "商业保险公司没有编码。"
                ),
            ),
            models.UniqueConstraint(
                fields=["insurance_code"],
                condition=~Q(insurance_code=""),
                name="facility_insurance_code_unique",
                violation_error_message=_("该医保定点编码已被其他机构使用。"),
            ),
            models.CheckConstraint(
                condition=Q(deposit__gte=0),
                name="facility_deposit_not_negative",
                violation_error_message=_("医保保证金不能为负数。"),
            ),
            text_limit("facility", "note", NOTE_LENGTH, _("备注")),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.credit_code = (self.credit_code or "").strip().upper()
        self.insurance_code = (self.insurance_code or "").strip().upper()
        self.name = (self.name or "").strip()
        if self.kind in FacilityKind.values:
            problem = insurance_code_letter_error(self.kind, self.insurance_code)
            if problem:
                raise ValidationError({"insurance_code": problem})

    def save(self, *args, **kwargs) -> None:
        self.credit_code = (self.credit_code or "").strip().upper()
        self.insurance_code = (self.insurance_code or "").strip().upper()
        self.search_keys = search_keys(self.name or "")
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_keys"}
        adding = self._state.adding
        super().save(*args, **kwargs)
        if not adding:  # a new facility is named by no tip yet
            self.refresh_tip_search_keys()

    def refresh_tip_search_keys(self) -> None:
        """Queries: one (its tips, by index), and an update of those whose keys changed (its name
        or codes did): the search keys of the tips that name it follow it."""
        from supervision.models.tip import Tip, facility_search_part, tip_search_keys

        part = facility_search_part(self)
        stale = []
        for tip in Tip.objects.filter(facility_id=self.pk).only(
            "pk", "subject_name", "search_keys"
        ):
            keys = tip_search_keys(part, tip.subject_name)
            if tip.search_keys != keys:
                tip.search_keys = keys
                stale.append(tip)
        if stale:
            Tip.objects.bulk_update(stale, ["search_keys"], batch_size=1000)

    def agreement_status_on(self, day: datetime.date | None = None) -> AgreementStatus:
        """Queries: the agreement status on a day (today by default), from the sanctions."""
        annotated = Facility.objects.with_agreement_status(day).filter(pk=self.pk)
        return AgreementStatus(annotated.values_list("agreement_status", flat=True).get())

    @property
    def agreement_status_label(self) -> str:
        """Label of an annotated agreement_status (see FacilityQuerySet.with_agreement_status)."""
        return AgreementStatus(self.agreement_status).label  # type: ignore[attr-defined]


@receiver(pre_save, sender=Facility, dispatch_uid="facility_search_keys_on_load")
def fill_search_keys(sender, instance: Facility, raw: bool = False, **kwargs) -> None:
    """loaddata saves raw, without save(): the keys of a loaded facility follow its name all the
    same, whatever the fixture holds (an old dump without them, or keys of an older version)."""
    if raw:
        instance.search_keys = search_keys(instance.name or "")
