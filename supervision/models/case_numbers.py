"""The bureau's case numbers (案号/文号, e.g. 拉医保稽〔2025〕12号): a pattern per kind of record as
data, a counter per kind and year, and the fields a numbered record carries (Numbered).

A number is given once, when the record is created (services.case_numbers), from the counter of
its kind and the year of its date, in the transaction that saves the record: the counter row is
locked until that transaction ends, so numbers are consecutive with no gaps and no duplicates
however many people create records at once, and a creation that fails gives its number back.
The number's text is stored as issued: changing a pattern changes only the numbers given after.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from supervision.choices import CaseKind
from supervision.formats.punctuation import labelled
from supervision.models.checks import BatchedChecks

YEAR, SEQUENCE = "{year}", "{n}"
PATTERN_LENGTH = 40
NUMBER_LENGTH = 60

# The patterns the bureau starts with (稽: inspection, 移: referral, 罚: decision, 举: tip).
DEFAULT_PATTERNS: dict[str, str] = {
    CaseKind.INSPECTION: "拉医保稽〔{year}〕{n}号",
    CaseKind.REFERRAL: "拉医保移〔{year}〕{n}号",
    CaseKind.SANCTION: "拉医保罚〔{year}〕{n}号",
    CaseKind.TIP: "拉医保举〔{year}〕{n}号",
}


def format_number(pattern: str, year: int, sequence: int) -> str:
    return pattern.replace(YEAR, str(year)).replace(SEQUENCE, str(sequence))


class CaseNumberPattern(BatchedChecks):
    """How a kind's numbers read: {year} and {n} (the sequence of the year) in the bureau's text."""

    kind = models.CharField(_("类别"), max_length=16, choices=CaseKind.choices, unique=True)
    pattern = models.CharField(
        _("编号格式"),
        max_length=PATTERN_LENGTH,
        help_text=_("用 {year} 表示年度、{n} 表示当年序号，如 拉医保稽〔{year}〕{n}号。"),
    )

    history = HistoricalRecords(verbose_name=_("编号格式变更记录"))
    district_path = None

    class Meta:
        verbose_name = _("案号格式")
        verbose_name_plural = pgettext_lazy("plural", "案号格式")
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CaseKind.values),
                name="casenumberpattern_kind_valid",
                violation_error_message=_("类别无效。"),
            ),
            models.CheckConstraint(
                condition=Q(pattern__contains=YEAR) & Q(pattern__contains=SEQUENCE),
                name="casenumberpattern_has_year_and_sequence",
                violation_error_message=_("编号格式须包含 {year} 和 {n}。"),
            ),
        ]

    def __str__(self) -> str:
        return labelled(self.get_kind_display(), self.pattern)

    @property
    def example(self) -> str:
        return format_number(self.pattern, datetime.date.today().year, 1)


class CaseNumberCounter(models.Model):
    """The last number given of a kind in a year (written only by services.case_numbers)."""

    kind = models.CharField(_("类别"), max_length=16, choices=CaseKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    last = models.PositiveIntegerField(_("已用到的序号"), default=0)

    district_path = None

    class Meta:
        verbose_name = _("案号计数")
        verbose_name_plural = pgettext_lazy("plural", "案号计数")
        ordering = ["kind", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "year"],
                name="casenumbercounter_one_per_year",
                violation_error_message=_("每类记录每年只有一个计数。"),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=CaseKind.values),
                name="casenumbercounter_kind_valid",
                violation_error_message=_("类别无效。"),
            ),
        ]

    def __str__(self) -> str:
        return labelled(f"{self.get_kind_display()} {self.year}", self.last)


class Numbered(models.Model):
    """A record that carries a case number: its year, its sequence in that year's series of its
    kind, and the number as issued. Empty on a record nobody has numbered yet (a row written
    around the services, e.g. by a bulk load: `manage.py number_cases` numbers those)."""

    DOCKET_KIND: str
    # The field docket_date() reads: records are numbered in its order.
    DOCKET_DATE_FIELD: str

    docket_year = models.PositiveSmallIntegerField(
        _("编号年度"), null=True, blank=True, editable=False
    )
    docket_sequence = models.PositiveIntegerField(
        _("编号序号"), null=True, blank=True, editable=False
    )
    # NULL, not "", until given: unique among the numbered rows only. noqa: no empty string.
    docket = models.CharField(  # noqa: DJ001
        _("案号"),
        max_length=NUMBER_LENGTH,
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "本局编号，登记时按该类记录当年的顺序自动编排，如 拉医保稽〔2025〕12号；"
            "尚未编号时为空。"
        ),
    )

    class Meta:
        abstract = True

    def docket_date(self) -> datetime.date:
        """The date whose year numbers the record."""
        raise NotImplementedError

    @property
    def docket_label(self) -> str:
        """The case number, or "#id" for a record not numbered yet."""
        return self.docket or f"#{self.pk}"


def numbered_constraints(table: str) -> list[models.UniqueConstraint]:
    """One number per record of a kind: unique (year, sequence) and unique text, among the
    numbered rows (partial: a plain unique constraint would make SQLite copy the table)."""
    return [
        models.UniqueConstraint(
            fields=["docket_year", "docket_sequence"],
            condition=Q(docket_sequence__isnull=False),
            name=f"{table}_docket_sequence_unique",
            violation_error_message=_("该年度的这个序号已被使用。"),
        ),
        models.UniqueConstraint(
            fields=["docket"],
            condition=Q(docket__isnull=False),
            name=f"{table}_docket_unique",
            violation_error_message=_("该案号已被使用。"),
        ),
    ]
