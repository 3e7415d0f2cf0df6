"""What each kind of import reads and how one row is checked and written.

A row is checked by the model's own validation (field types, lengths, choices, validators,
clean()) and the service's rules (a grade change's reason, the year, the score's band), never by
rules of its own; written through the same services as a page (save_with_history, set_grade), so
the history says who, when and why. Columns are named by the fields' Chinese names (the export's
headers); English field names and the names without the unit in brackets are taken too.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supervision.choices import Grade, ImportKind, RowOutcome, Violation
from supervision.formats.punctuation import listed
from supervision.imports.reading import Cell, Formula
from supervision.models import (
    CreditRating,
    Facility,
    Inspection,
    Inspector,
    Practitioner,
    PractitionerIdentity,
    Registration,
)
from supervision.models.credit import mask_resident_id
from supervision.models.inspection import check_inspectors
from supervision.scoping import check_in_scope
from supervision.search import search_keys
from supervision.services import facilities, inspections, practitioners, ratings
from supervision.services._common import User, save_with_history, write_history

EXCEL_EPOCH = datetime.date(1899, 12, 30)
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
# Thousands separators and the yuan sign, half- and full-width, left out of numbers.
NUMBER_NOISE = str.maketrans("", "", "," + chr(0xFF0C) + chr(0xA5) + chr(0xFFE5) + " ")
LOOKUP_BATCH = 900  # keys looked up per query (SQLite's limit of variables is 999)


class RowProblem(Exception):
    """A cell that cannot be taken: column label and message."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column, self.message = column, message


def plain(label: object) -> str:
    """A header compared loosely: no spaces, no unit in brackets, lower case."""
    text = re.sub(r"\s+", "", str(label))
    text = re.sub(r"[\uff08(][^\uff09)]*[\uff09)]$", "", text)
    return text.lower()


@dataclass(frozen=True)
class Column:
    """One column of the file, read into the model field `name` (or used as `name` by the kind:
    a key or the reason)."""

    name: str
    label: Any  # lazy: the field's verbose_name, read in the language of the request
    required: bool = False
    aliases: tuple[str, ...] = ()

    def names(self) -> set[str]:
        """The headers taken for this column: its label in Chinese and in English, the field's
        name, the aliases."""
        labels = set()
        for language in ("zh-hans", "en"):
            with translation.override(language):
                labels.add(plain(str(self.label)))
        return {*labels, plain(self.name), *(plain(a) for a in self.aliases)}


def parse_date(text: str) -> datetime.date:
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # a date cell saved as its Excel serial number
        return EXCEL_EPOCH + datetime.timedelta(days=int(float(text)))
    text = text.split(" ")[0]
    for pattern in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def convert(model_field: models.Field, text: str) -> Any:
    """The value of the field for the cell's text (already stripped, not empty)."""
    if model_field.choices:
        for value, label in model_field.flatchoices:
            if text in (str(value), str(label)) or text.upper() == str(value).upper():
                return value
        raise ValueError(
            _("应为以下之一：%(choices)s")
            % {"choices": listed(label for _value, label in model_field.flatchoices)}
        )
    if isinstance(model_field, models.DateField):
        try:
            return parse_date(text)
        except (ValueError, OverflowError) as exc:
            raise ValueError(_("不是有效日期（例如 2024-03-05）")) from exc
    if isinstance(model_field, models.DecimalField):
        cleaned = text.translate(NUMBER_NOISE)
        try:
            value = Decimal(cleaned)
        except InvalidOperation as exc:
            raise ValueError(_("不是有效数字")) from exc
        if not value.is_finite():
            raise ValueError(_("不是有效数字"))
        return value
    if isinstance(model_field, models.IntegerField):
        if not re.fullmatch(r"-?\d{1,9}(\.0+)?", text):
            raise ValueError(_("应为整数"))
        return int(float(text))
    return text


def shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


@dataclass
class Checked:
    """A row's outcome: the instance to write (new or changed) and what changes."""

    outcome: str
    key: str = ""
    label: str = ""
    changes: list[list[str]] = field(default_factory=list)
    problems: list[list[str]] = field(default_factory=list)
    write: Any = None  # what the kind's write() takes


class Kind:
    """A kind of import: its columns, how its rows are keyed, checked and written."""

    kind: ClassVar[str]
    model: ClassVar[type[models.Model]]
    columns: ClassVar[list[Column]]
    # Model permissions needed to import this kind.
    permissions: ClassVar[list[str]]

    def __init__(self, user: User, source: str) -> None:
        self.user, self.source = user, source

    @classmethod
    def required(cls) -> list[Column]:
        return [column for column in cls.columns if column.required]

    def field(self, name: str) -> models.Field:
        return self.model._meta.get_field(name)  # type: ignore[return-value]

    def values(self, cells: Mapping[str, Cell]) -> tuple[dict[str, Any], list[list[str]]]:
        """The row's values by column name (present and not empty) and its problems."""
        values: dict[str, Any] = {}
        problems: list[list[str]] = []
        for column in self.columns:
            if column.name not in cells:
                continue
            cell = cells[column.name]
            if isinstance(cell, Formula):
                problems.append(
                    [
                        str(column.label),
                        _("是公式（%(text)s），请粘贴为数值后再导入") % {"text": cell.text[:40]},
                    ]
                )
                continue
            text = cell.strip()
            if not text:
                if column.required:
                    problems.append([str(column.label), _("不能为空")])
                continue
            try:
                values[column.name] = self.convert(column, text)
            except ValueError as exc:
                problems.append([str(column.label), str(exc)])
        return values, problems

    def convert(self, column: Column, text: str) -> Any:
        return convert(self.field(column.name), text)

    def prefetch(self, rows: Iterable[dict[str, Any]]) -> None:
        """Load what the rows' keys name, set-wise (a query per LOOKUP_BATCH keys)."""

    def check(self, values: dict[str, Any]) -> Checked:
        raise NotImplementedError

    def write(self, checked: Checked) -> None:
        raise NotImplementedError

    def write_batch(self, rows: list[tuple[int, Checked]]) -> None:
        """Write checked rows (new or changed), in file order; a failure names its row
        (RowFailed). A kind may write its new rows set-wise (FacilityKind)."""
        for number, checked in rows:
            try:
                with transaction.atomic():
                    self.write(checked)
            except (ValidationError, IntegrityError, PermissionDenied) as exc:
                raise RowFailed(number, number, exc) from exc


class RowFailed(Exception):
    """Rows first..last could not be written: exc says why."""

    def __init__(self, first: int, last: int, exc: Exception) -> None:
        super().__init__(str(exc))
        self.first, self.last, self.exc = first, last, exc


def model_problems(exc: ValidationError, labels: Mapping[str, str]) -> list[list[str]]:
    if hasattr(exc, "error_dict"):
        return [
            [labels.get(name, "" if name == "__all__" else name), " ".join(messages)]
            for name, messages in exc.message_dict.items()
        ]
    return [["", " ".join(exc.messages)]]


def changes_of(
    before: models.Model, after: models.Model, names: Iterable[str], labels: Mapping[str, str]
) -> list[list[str]]:
    return [
        [labels[name], shown(getattr(before, name)), shown(getattr(after, name))]
        for name in names
        if getattr(before, name) != getattr(after, name)
    ]


_FACILITY_REQUIRED = ("name", "credit_code", "kind", "ownership", "district")


class FacilityKind(Kind):
    """The registry: a facility per 统一社会信用代码; a known code updates that facility."""

    kind = ImportKind.FACILITY
    model = Facility
    permissions: ClassVar[list[str]] = ["supervision.add_facility", "supervision.change_facility"]
    FIELDS = (
        "name",
        "credit_code",
        "kind",
        "ownership",
        "district",
        "zone",
        "insurance_code",
        "address",
        "legal_representative",
        "contact_phone",
        "deposit",
        "designated_on",
        "note",
    )
    columns: ClassVar[list[Column]] = [
        Column(name, Facility._meta.get_field(name).verbose_name, name in _FACILITY_REQUIRED)
        for name in FIELDS
    ]

    def __init__(self, user: User, source: str) -> None:
        super().__init__(user, source)
        self.known: dict[str, Facility] = {}
        # Insurance codes in use: by the registry (prefetched) and by the file's earlier rows.
        self.insurance_codes: dict[str, str] = {}
        self.labels = {column.name: str(column.label) for column in self.columns}

    def prefetch(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        codes = sorted({str(row["credit_code"]).upper() for row in rows if row.get("credit_code")})
        for start in range(0, len(codes), LOOKUP_BATCH):
            for facility in Facility.objects.filter(
                credit_code__in=codes[start : start + LOOKUP_BATCH]
            ):
                self.known[facility.credit_code] = facility
        insurance = sorted(
            {str(row["insurance_code"]).upper() for row in rows if row.get("insurance_code")}
        )
        for start in range(0, len(insurance), LOOKUP_BATCH):
            self.insurance_codes.update(
                Facility.objects.filter(
                    insurance_code__in=insurance[start : start + LOOKUP_BATCH]
                ).values_list("insurance_code", "credit_code")
            )

    def check(self, values: dict[str, Any]) -> Checked:
        code = str(values["credit_code"]).strip().upper()
        values["credit_code"] = code
        existing = self.known.get(code)
        facility = (
            Facility()
            if existing is None
            else Facility.objects.model.from_db(
                "default",
                [f.attname for f in Facility._meta.concrete_fields],
                [getattr(existing, f.attname) for f in Facility._meta.concrete_fields],
            )
        )
        for name, value in values.items():
            setattr(facility, name, value)
        label = str(values.get("name") or (existing.name if existing else ""))
        try:
            if existing is not None:
                check_in_scope(self.user, existing)
            check_in_scope(self.user, facility)
        except PermissionDenied:
            return Checked(
                RowOutcome.REFUSED,
                code,
                label,
                problems=[[self.labels["district"], _("不在您负责的区县")]],
            )
        try:
            facility.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            return Checked(
                RowOutcome.REFUSED, code, label, problems=model_problems(exc, self.labels)
            )
        holder = self.insurance_codes.get(facility.insurance_code)
        if facility.insurance_code and holder not in (None, code):
            return Checked(
                RowOutcome.REFUSED,
                code,
                label,
                problems=[[self.labels["insurance_code"], _("该医保定点编码已被其他机构使用")]],
            )
        if facility.insurance_code:
            self.insurance_codes[facility.insurance_code] = code
        if existing is None:
            return Checked(RowOutcome.NEW, code, label, write=facility)
        changes = changes_of(existing, facility, self.FIELDS, self.labels)
        if not changes:
            return Checked(RowOutcome.UNCHANGED, code, label)
        return Checked(RowOutcome.CHANGED, code, label, changes=changes, write=facility)

    def write(self, checked: Checked) -> None:
        """A changed facility, through the registry's service: validated by the check already
        (the database holds the constraints), saved on the version read, with history."""
        facility: Facility = checked.write
        facilities.edit_facility(facility, user=self.user, reason=self.source, validated=True)

    def write_batch(self, rows: list[tuple[int, Checked]]) -> None:
        """New facilities set-wise: one INSERT per batch and their history rows in one
        INSERT…SELECT (services.write_history), as checked (district scope included); changed
        ones one by one."""
        new = [(number, checked) for number, checked in rows if checked.outcome == RowOutcome.NEW]
        super().write_batch([row for row in rows if row[1].outcome != RowOutcome.NEW])
        if not new:
            return
        made: list[Facility] = []
        for _number, checked in new:
            facility: Facility = checked.write
            facility.search_keys = search_keys(facility.name)
            made.append(facility)
        try:
            with transaction.atomic():
                Facility.objects.bulk_create(made)
                write_history(
                    Facility.objects.filter(credit_code__in=[f.credit_code for f in made]),
                    kind="+",
                    user=self.user,
                    reason=self.source,
                )
        except IntegrityError as exc:
            raise RowFailed(new[0][0], new[-1][0], exc) from exc


class RatingKind(Kind):
    """Annual credit ratings: a grade per facility (by 统一社会信用代码) and year; a new grade
    goes through set_grade (its change record and reason), like a grade set on the page."""

    kind = ImportKind.RATING
    model = CreditRating
    permissions: ClassVar[list[str]] = [
        "supervision.add_creditrating",
        "supervision.change_creditrating",
    ]
    FIELDS = ("grade", "score", "rated_on", "basis")
    columns: ClassVar[list[Column]] = [
        Column("credit_code", Facility._meta.get_field("credit_code").verbose_name, True),
        Column("year", CreditRating._meta.get_field("year").verbose_name, True, ("年度",)),
        Column("grade", CreditRating._meta.get_field("grade").verbose_name, True, ("等级",)),
        Column("score", CreditRating._meta.get_field("score").verbose_name, False, ("分数",)),
        Column("rated_on", CreditRating._meta.get_field("rated_on").verbose_name),
        Column("basis", CreditRating._meta.get_field("basis").verbose_name),
        Column("reason", gettext_lazy("调整原因"), False, ("原因",)),
    ]

    def __init__(self, user: User, source: str) -> None:
        super().__init__(user, source)
        self.facilities: dict[str, Facility] = {}
        self.ratings: dict[tuple[int, int], CreditRating] = {}
        self.labels = {column.name: str(column.label) for column in self.columns}

    def convert(self, column: Column, text: str) -> Any:
        if column.name in ("credit_code", "reason"):
            return text
        if column.name == "grade":
            grade = text.upper().removesuffix("级")
            if grade not in Grade.values:
                raise ValueError(_("信用等级只能是A、B、C或D"))
            return grade
        return super().convert(column, text)

    def prefetch(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        codes = sorted({str(row["credit_code"]).upper() for row in rows if row.get("credit_code")})
        for start in range(0, len(codes), LOOKUP_BATCH):
            for facility in Facility.objects.filter(
                credit_code__in=codes[start : start + LOOKUP_BATCH]
            ):
                self.facilities[facility.credit_code] = facility
        ids = sorted(facility.pk for facility in self.facilities.values())
        years = sorted({row["year"] for row in rows if isinstance(row.get("year"), int)})
        for start in range(0, len(ids), LOOKUP_BATCH):
            for rating in CreditRating.objects.filter(
                facility_id__in=ids[start : start + LOOKUP_BATCH], year__in=years
            ):
                self.ratings[(rating.facility_id, rating.year)] = rating

    def check(self, values: dict[str, Any]) -> Checked:
        code = str(values["credit_code"]).strip().upper()
        year = values["year"]
        key = f"{code}/{year}"
        facility = self.facilities.get(code)
        if facility is None:
            return Checked(
                RowOutcome.REFUSED,
                key,
                problems=[
                    [
                        self.labels["credit_code"],
                        _("系统中没有该统一社会信用代码的机构，请先导入机构"),
                    ]
                ],
            )
        label = facility.name
        try:
            check_in_scope(self.user, facility)
        except PermissionDenied:
            return Checked(
                RowOutcome.REFUSED,
                key,
                label,
                problems=[[self.labels["credit_code"], _("不在您负责的区县")]],
            )
        current = self.ratings.get((facility.pk, year))
        rating = CreditRating(facility=facility, year=year, grade=values["grade"])
        if current is not None:
            rating = CreditRating.objects.model.from_db(
                "default",
                [f.attname for f in CreditRating._meta.concrete_fields],
                [getattr(current, f.attname) for f in CreditRating._meta.concrete_fields],
            )
        for name in self.FIELDS:
            if name in values:
                setattr(rating, name, values[name])
        grade_changes = current is None or current.grade != rating.grade
        reason = values.get("reason") or _("导入：%(source)s") % {"source": self.source}
        problems = ratings.grade_problems(
            year=year,
            grade=rating.grade,
            reason=reason,
            current=current,
            score=rating.score,
            confirm_downgrade=True,
        )
        if problems:
            return Checked(
                RowOutcome.REFUSED,
                key,
                label,
                problems=[
                    [self.labels.get(name, ""), str(message)] for name, message in problems.items()
                ],
            )
        try:
            rating.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            return Checked(
                RowOutcome.REFUSED, key, label, problems=model_problems(exc, self.labels)
            )
        plan = (facility, rating, reason, grade_changes)
        if current is None:
            return Checked(RowOutcome.NEW, key, label, write=plan)
        changes = changes_of(current, rating, self.FIELDS, self.labels)
        if not changes:
            return Checked(RowOutcome.UNCHANGED, key, label)
        return Checked(RowOutcome.CHANGED, key, label, changes=changes, write=plan)

    def write(self, checked: Checked) -> None:
        facility, rating, reason, grade_changes = checked.write
        if grade_changes:
            ratings.set_grade(
                facility=facility,
                year=rating.year,
                grade=rating.grade,
                reason=reason,
                user=self.user,
                score=rating.score,
                rated_on=rating.rated_on,
                basis=rating.basis,
                confirm_downgrade=True,
            )
        else:
            save_with_history(rating, self.user, reason)
        self.ratings[(facility.pk, rating.year)] = rating


KINDS: dict[str, type[Kind]] = {ImportKind.FACILITY: FacilityKind, ImportKind.RATING: RatingKind}


# Several values in one cell: 张三、李四 / a, b / a;b.
SEPARATORS = re.compile("[,;\\s" + chr(0x3001) + chr(0xFF0C) + chr(0xFF1B) + "]+")


class InspectionImport(Kind):
    """Inspections (last year's, kept in Excel): one per facility (统一社会信用代码), start date
    and kind; new ones through record_inspection (a case number of their start year, the
    inspectors and violations linked), changed ones through edit_inspection."""

    kind = ImportKind.INSPECTION
    model = Inspection
    permissions: ClassVar[list[str]] = [
        "supervision.add_inspection",
        "supervision.change_inspection",
    ]
    FIELDS = (
        "kind",
        "status",
        "start_date",
        "end_date",
        "findings",
        "amount_involved",
        "amount_recovered",
    )
    columns: ClassVar[list[Column]] = [
        Column("credit_code", Facility._meta.get_field("credit_code").verbose_name, True),
        Column("kind", Inspection._meta.get_field("kind").verbose_name, True),
        Column("start_date", Inspection._meta.get_field("start_date").verbose_name, True),
        Column("status", Inspection._meta.get_field("status").verbose_name),
        Column("end_date", Inspection._meta.get_field("end_date").verbose_name),
        Column("inspectors", gettext_lazy("检查人员执法证号"), False, ("执法证号",)),
        Column(
            "violations",
            Inspection._meta.get_field("violations").verbose_name,
            False,
            ("违规类别",),
        ),
        Column("findings", Inspection._meta.get_field("findings").verbose_name),
        Column("amount_involved", Inspection._meta.get_field("amount_involved").verbose_name),
        Column("amount_recovered", Inspection._meta.get_field("amount_recovered").verbose_name),
    ]

    def __init__(self, user: User, source: str) -> None:
        super().__init__(user, source)
        self.facilities: dict[str, Facility] = {}
        self.known: dict[tuple[int, datetime.date, str], Inspection] = {}
        self.inspectors: dict[str, Inspector] = {}
        self.violations: dict[str, str] = {}
        self.labels = {column.name: str(column.label) for column in self.columns}

    def convert(self, column: Column, text: str) -> Any:
        if column.name == "credit_code":
            return text.upper()
        if column.name in ("inspectors", "violations"):
            return [part for part in SEPARATORS.split(text) if part]
        return super().convert(column, text)

    def prefetch(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        codes = sorted({row["credit_code"] for row in rows if row.get("credit_code")})
        for start in range(0, len(codes), LOOKUP_BATCH):
            for facility in Facility.objects.filter(
                credit_code__in=codes[start : start + LOOKUP_BATCH]
            ):
                self.facilities[facility.credit_code] = facility
        ids = sorted(facility.pk for facility in self.facilities.values())
        days = sorted({row["start_date"] for row in rows if row.get("start_date")})
        for start in range(0, len(ids), LOOKUP_BATCH):
            for inspection in Inspection.objects.filter(
                facility_id__in=ids[start : start + LOOKUP_BATCH], start_date__in=days
            ).prefetch_related("inspectors", "violations"):
                key = (inspection.facility_id, inspection.start_date, inspection.kind)
                self.known.setdefault(key, inspection)
        badges = sorted({badge for row in rows for badge in row.get("inspectors", [])})
        for start in range(0, len(badges), LOOKUP_BATCH):
            for inspector in Inspector.objects.filter(
                badge_number__in=badges[start : start + LOOKUP_BATCH]
            ):
                self.inspectors[inspector.badge_number] = inspector
        for code, label in Violation.choices:
            self.violations[code] = self.violations[str(label)] = code

    def check(self, values: dict[str, Any]) -> Checked:
        code = values["credit_code"]
        facility = self.facilities.get(code)
        key = f"{code}/{shown(values['start_date'])}/{values['kind']}"
        if facility is None:
            return Checked(
                RowOutcome.REFUSED,
                key,
                problems=[
                    [
                        self.labels["credit_code"],
                        _("系统中没有该统一社会信用代码的机构，请先导入机构"),
                    ]
                ],
            )
        label = facility.name
        problems: list[list[str]] = []
        inspectors = []
        for badge in values.get("inspectors", []):
            if badge in self.inspectors:
                inspectors.append(self.inspectors[badge])
            else:
                problems.append(
                    [
                        self.labels["inspectors"],
                        _("没有执法证号为 %(badge)s 的检查人员") % {"badge": badge},
                    ]
                )
        violations = []
        for name in values.get("violations", []):
            if name in self.violations:
                violations.append(self.violations[name])
            else:
                problems.append(
                    [self.labels["violations"], _("未知的违规类别：%(name)s") % {"name": name}]
                )
        if problems:
            return Checked(RowOutcome.REFUSED, key, label, problems=problems)
        existing = self.known.get((facility.pk, values["start_date"], values["kind"]))
        if existing is None:
            inspection = Inspection(facility=facility, created_by=self.user)
        else:
            inspection = Inspection.objects.model.from_db(
                "default",
                [f.attname for f in Inspection._meta.concrete_fields],
                [getattr(existing, f.attname) for f in Inspection._meta.concrete_fields],
            )
        for name in self.FIELDS:
            if name in values:
                setattr(inspection, name, values[name])
        if existing is not None and "inspectors" not in values:
            inspectors = list(existing.inspectors.all())
        try:
            check_in_scope(self.user, facility)
        except PermissionDenied:
            return Checked(
                RowOutcome.REFUSED,
                key,
                label,
                problems=[[self.labels["credit_code"], _("不在您负责的区县")]],
            )
        try:
            inspection.full_clean(validate_unique=False, validate_constraints=False)
            check_inspectors(inspection.kind, len(set(inspectors)))
        except ValidationError as exc:
            return Checked(
                RowOutcome.REFUSED, key, label, problems=model_problems(exc, self.labels)
            )
        links = {"inspectors": inspectors, "violations": violations}
        if existing is None:
            return Checked(RowOutcome.NEW, key, label, write=(inspection, links))
        changes = changes_of(existing, inspection, self.FIELDS, self.labels)
        before = {
            "inspectors": sorted(i.badge_number for i in existing.inspectors.all()),
            "violations": sorted(v.pk for v in existing.violations.all()),
        }
        after = {
            "inspectors": sorted(i.badge_number for i in inspectors),
            "violations": sorted(violations) if "violations" in values else before["violations"],
        }
        if "violations" not in values:
            links.pop("violations")
        for name in ("inspectors", "violations"):
            if before[name] != after[name]:
                changes.append([self.labels[name], listed(before[name]), listed(after[name])])
        if not changes:
            return Checked(RowOutcome.UNCHANGED, key, label)
        return Checked(RowOutcome.CHANGED, key, label, changes=changes, write=(inspection, links))

    def write(self, checked: Checked) -> None:
        inspection, links = checked.write
        if inspection.pk is None:
            inspections.record_inspection(
                facility=inspection.facility,
                kind=inspection.kind,
                status=inspection.status,
                start_date=inspection.start_date,
                end_date=inspection.end_date,
                inspectors=links["inspectors"],
                violations=links["violations"],
                findings=inspection.findings,
                amount_involved=inspection.amount_involved,
                amount_recovered=inspection.amount_recovered,
                user=self.user,
                reason=self.source,
            )
            return
        inspection._change_reason = self.source  # type: ignore[attr-defined]
        inspections.edit_inspection(inspection, user=self.user, changes=links, validated=True)


KINDS[ImportKind.INSPECTION] = InspectionImport


class _DryRun(Exception):
    """Undoes a trial write (the dry run of a registration)."""


class RegistrationImport(Kind):
    """Practitioners' registrations with facilities (登记备案): a person by 身份证号码 at a facility
    by 统一社会信用代码, through practitioners.register, which links a known ID number to its
    person (the name must match) or adds the person. The dry run tries the registration and
    undoes it, so that every rule of the service is checked. ID numbers never reach the report:
    a row is named by the masked number."""

    kind = ImportKind.REGISTRATION
    model = Registration
    permissions: ClassVar[list[str]] = [
        "supervision.add_registration",
        "supervision.add_practitioner",
        "supervision.add_practitioneridentity",
    ]
    columns: ClassVar[list[Column]] = [
        Column("id_number", PractitionerIdentity._meta.get_field("id_number").verbose_name, True),
        Column("name", Practitioner._meta.get_field("name").verbose_name, True),
        Column("profession", Practitioner._meta.get_field("profession").verbose_name, True),
        Column(
            "certificate_number", Practitioner._meta.get_field("certificate_number").verbose_name
        ),
        Column("credit_code", Facility._meta.get_field("credit_code").verbose_name, True),
        Column("department", Registration._meta.get_field("department").verbose_name),
        Column("registered_on", Registration._meta.get_field("registered_on").verbose_name),
    ]

    def __init__(self, user: User, source: str) -> None:
        super().__init__(user, source)
        self.facilities: dict[str, Facility] = {}
        self.open: set[tuple[str, int]] = set()
        self.labels = {column.name: str(column.label) for column in self.columns}

    def convert(self, column: Column, text: str) -> Any:
        if column.name in ("id_number", "credit_code"):
            return text.upper()
        if column.name == "profession":
            return convert(Practitioner._meta.get_field("profession"), text)
        return super().convert(column, text) if column.name == "registered_on" else text

    def field(self, name: str) -> models.Field:
        return Registration._meta.get_field(name)  # type: ignore[return-value]

    def prefetch(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        codes = sorted({row["credit_code"] for row in rows if row.get("credit_code")})
        for start in range(0, len(codes), LOOKUP_BATCH):
            for facility in Facility.objects.filter(
                credit_code__in=codes[start : start + LOOKUP_BATCH]
            ):
                self.facilities[facility.credit_code] = facility
        numbers = sorted({row["id_number"] for row in rows if row.get("id_number")})
        for start in range(0, len(numbers), LOOKUP_BATCH):
            self.open.update(
                Registration.objects.filter(
                    practitioner__identity__id_number__in=numbers[start : start + LOOKUP_BATCH],
                    ended_on__isnull=True,
                ).values_list("practitioner__identity__id_number", "facility_id")
            )

    def _register(self, values: dict[str, Any], facility: Facility) -> None:
        practitioners.register(
            user=self.user,
            facility=facility,
            id_number=values["id_number"],
            name=values["name"],
            profession=values["profession"],
            certificate_number=values.get("certificate_number", ""),
            department=values.get("department", ""),
            registered_on=values.get("registered_on"),
        )

    def check(self, values: dict[str, Any]) -> Checked:
        masked = mask_resident_id(values["id_number"])
        code = values["credit_code"]
        key = f"{masked}/{code}"
        label = str(values["name"])
        facility = self.facilities.get(code)
        if facility is None:
            return Checked(
                RowOutcome.REFUSED,
                key,
                label,
                problems=[
                    [
                        self.labels["credit_code"],
                        _("系统中没有该统一社会信用代码的机构，请先导入机构"),
                    ]
                ],
            )
        if (values["id_number"], facility.pk) in self.open:
            return Checked(RowOutcome.UNCHANGED, key, label)
        try:
            with transaction.atomic():
                self._register(values, facility)
                raise _DryRun
        except _DryRun:
            pass
        except ValidationError as exc:
            return Checked(
                RowOutcome.REFUSED, key, label, problems=model_problems(exc, self.labels)
            )
        except PermissionDenied as exc:
            message = str(exc) or _("不在您负责的区县")
            return Checked(RowOutcome.REFUSED, key, label, problems=[["", message]])
        return Checked(RowOutcome.NEW, key, label, write=(values, facility))

    def write(self, checked: Checked) -> None:
        values, facility = checked.write
        self._register(values, facility)
        self.open.add((values["id_number"], facility.pk))


KINDS[ImportKind.REGISTRATION] = RegistrationImport
