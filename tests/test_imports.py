"""Imports of facilities and ratings (supervision.imports): the dry run writes nothing and lists
every row's outcome, the write is all or nothing through the services (history, scope), a file
imported again changes nothing, and hostile files get a clear report."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from supervision.choices import District, Grade, ImportKind, ImportStatus, RowOutcome
from supervision.imports import engine, reading
from supervision.models import (
    CreditRating,
    Facility,
    ImportJob,
    Inspection,
    Practitioner,
    RatingChange,
    Registration,
)
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectorFactory,
    UserDistrictFactory,
    _resident_id,
    make_credit_code,
)

HEADER = [
    "名称",
    "统一社会信用代码",
    "机构类别",
    "经济类型",
    "所属区县",
    "医保定点编码",
    "医保保证金（元）",
    "定点日期",
]


def facility_row(n: int, **changes: str) -> list[str]:
    row = {
        "名称": f"示例导入医院{n}",
        "统一社会信用代码": make_credit_code(9000 + n),
        "机构类别": "医院",
        "经济类型": "公立",
        "所属区县": "城关区",
        "医保定点编码": f"H540102{9000 + n:05d}",
        "医保保证金（元）": "100,000.00",
        "定点日期": "2020-03-05",
    }
    row.update(changes)
    return [row[column] for column in HEADER]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]], header: list[str] = HEADER, merge: str = "") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def checked(
    user, data: bytes, name: str = "机构.csv", kind: str = ImportKind.FACILITY
) -> ImportJob:
    job = engine.start(user, kind, SimpleUploadedFile(name, data))
    engine.check(job)
    job.refresh_from_db()
    return job


def imported(
    user, data: bytes, name: str = "机构.csv", kind: str = ImportKind.FACILITY
) -> ImportJob:
    job = checked(user, data, name, kind)
    engine.confirm(job, user)
    engine.apply(job)
    job.refresh_from_db()
    return job


def outcomes(job: ImportJob) -> dict[int, str]:
    return dict(job.rows.values_list("number", "outcome"))


def problems(job: ImportJob, number: int) -> list[list[str]]:
    return job.rows.get(number=number).problems


# --- the dry run and the write ------------------------------------------------------------------


def test_the_dry_run_lists_every_row_and_writes_nothing(supervisor, media):
    data = csv_bytes([facility_row(1), facility_row(2), facility_row(3, 统一社会信用代码="123")])

    job = checked(supervisor, data)

    assert job.status == ImportStatus.CHECKED
    assert (job.rows_total, job.new, job.refused) == (3, 2, 1)
    assert outcomes(job) == {2: RowOutcome.NEW, 3: RowOutcome.NEW, 4: RowOutcome.REFUSED}
    assert problems(job, 4)[0][0] == "统一社会信用代码"
    assert not Facility.objects.exists()
    assert not Facility.history.exists()


def test_a_file_with_a_refused_row_cannot_be_confirmed(supervisor, media):
    job = checked(supervisor, csv_bytes([facility_row(1), facility_row(2, 机构类别="医馆")]))

    with pytest.raises(engine.ImportRefused):
        engine.confirm(job, supervisor)

    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    assert "应为以下之一" in problems(job, 3)[0][1]


def test_confirming_writes_every_row_with_history_naming_the_file(supervisor, media):
    job = imported(supervisor, csv_bytes([facility_row(1), facility_row(2)]), name="省平台机构.csv")

    assert job.status == ImportStatus.DONE
    assert job.new == 2
    facility = Facility.objects.get(credit_code=make_credit_code(9001))
    assert facility.name == "示例导入医院1"
    assert facility.deposit == Decimal("100000.00")
    assert str(facility.designated_on) == "2020-03-05"
    record = facility.history.get()
    assert record.history_user == supervisor
    assert "省平台机构.csv" in record.history_change_reason


def test_importing_the_same_file_again_changes_nothing(supervisor, media):
    data = xlsx_bytes([facility_row(1), facility_row(2)])
    imported(supervisor, data, name="机构.xlsx")
    history_rows = Facility.history.count()

    again = checked(supervisor, data, name="机构.xlsx")

    assert (again.new, again.changed, again.unchanged, again.refused) == (0, 0, 2, 0)
    with pytest.raises(engine.ImportRefused):
        engine.confirm(again, supervisor)
    assert Facility.history.count() == history_rows


def test_a_corrected_file_updates_by_credit_code_and_shows_old_and_new(supervisor, media):
    imported(supervisor, csv_bytes([facility_row(1), facility_row(2)]))

    job = checked(
        supervisor, csv_bytes([facility_row(1, 名称="示例导入医院一号"), facility_row(2)])
    )

    assert outcomes(job) == {2: RowOutcome.CHANGED, 3: RowOutcome.UNCHANGED}
    assert job.rows.get(number=2).changes == [["名称", "示例导入医院1", "示例导入医院一号"]]
    engine.confirm(job, supervisor)
    engine.apply(job)
    assert Facility.objects.get(credit_code=make_credit_code(9001)).name == "示例导入医院一号"
    assert Facility.objects.count() == 2


def test_a_row_that_became_wrong_after_the_dry_run_undoes_the_whole_import(supervisor, media):
    job = checked(supervisor, csv_bytes([facility_row(1), facility_row(2)]))
    engine.confirm(job, supervisor)
    # Meanwhile somebody registers another facility under row 3's insurance code.
    FacilityFactory(insurance_code=f"H540102{9002:05d}")

    engine.apply(job)

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "第 3 行" in job.message
    assert not Facility.objects.filter(credit_code=make_credit_code(9001)).exists()


def test_the_same_key_twice_in_a_file_refuses_the_second_row(supervisor, media):
    job = checked(supervisor, csv_bytes([facility_row(1), facility_row(1, 名称="示例另一个")]))

    assert outcomes(job) == {2: RowOutcome.NEW, 3: RowOutcome.REFUSED}
    assert "第 2 行" in problems(job, 3)[0][1]


def test_an_insurance_code_of_another_facility_is_refused_in_the_dry_run(supervisor, media):
    FacilityFactory(insurance_code=f"H540102{9001:05d}")

    job = checked(supervisor, csv_bytes([facility_row(1)]))

    assert outcomes(job) == {2: RowOutcome.REFUSED}


def test_rows_outside_the_users_districts_are_refused(supervisor, media):
    UserDistrictFactory(user=supervisor, district=District.DOILUNGDEQEN)

    job = checked(supervisor, csv_bytes([facility_row(1)]))

    assert outcomes(job) == {2: RowOutcome.REFUSED}
    assert problems(job, 2)[0][1] == "不在您负责的区县"


def test_a_confirmation_is_taken_once_and_only_from_the_uploader(supervisor, auditor, media):
    job = checked(supervisor, csv_bytes([facility_row(1)]))

    with pytest.raises(engine.PermissionDenied):
        engine.confirm(job, auditor)
    engine.confirm(job, supervisor)
    with pytest.raises(engine.ImportRefused):
        engine.confirm(job, supervisor)


# --- hostile files -----------------------------------------------------------------------------


def test_a_gbk_csv_from_excel_is_read(supervisor, media):
    job = checked(supervisor, csv_bytes([facility_row(1)], encoding="gbk"))

    assert outcomes(job) == {2: RowOutcome.NEW}
    assert job.rows.get().label == "示例导入医院1"


def test_a_formula_cell_is_refused_with_its_column(supervisor, media):
    data = xlsx_bytes([facility_row(1, 名称='=HYPERLINK("http://x","点")')], merge="")

    job = checked(supervisor, data, name="机构.xlsx")

    assert outcomes(job) == {2: RowOutcome.REFUSED}
    assert problems(job, 2)[0][0] == "名称"
    assert "公式" in problems(job, 2)[0][1]


def test_a_merged_cell_refuses_its_rows(supervisor, media):
    data = xlsx_bytes([facility_row(1), facility_row(2)], merge="D2:D3")

    job = checked(supervisor, data, name="机构.xlsx")

    assert outcomes(job) == {2: RowOutcome.REFUSED, 3: RowOutcome.REFUSED}
    assert any("合并单元格" in message for _column, message in problems(job, 3))


def test_dates_given_as_excel_serial_numbers_are_read(supervisor, media):
    job = checked(supervisor, xlsx_bytes([facility_row(1, 定点日期=43895)]), name="机构.xlsx")  # type: ignore[arg-type]

    engine.confirm(job, supervisor)
    engine.apply(job)
    assert str(Facility.objects.get().designated_on) == "2020-03-05"


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (b"", "empty.csv", "空的"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "picture.csv", "不是文本表格"),
        (b"PK\x03\x04broken", "broken.xlsx", "XLSX"),
        (b"\xd0\xcf\x11\xe0old excel", "old.xls", "XLSX"),
        ("名称,地址\n示例,拉萨\n".encode(), "wrong.csv", "缺少必需的列"),
        (",".join(HEADER).encode(), "header-only.csv", "没有数据行"),
    ],
)
def test_a_file_that_is_not_a_table_of_this_kind_is_refused_as_a_whole(
    supervisor, media, data, name, says
):
    if not data:
        with pytest.raises(engine.ImportRefused, match=says):
            engine.start(supervisor, ImportKind.FACILITY, SimpleUploadedFile(name, data))
        return
    job = checked(supervisor, data, name=name)

    assert job.status == ImportStatus.UNREADABLE
    assert says in job.message
    assert not job.rows.exists()


def test_a_sheet_past_the_row_limit_is_refused(supervisor, media, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 3)

    job = checked(supervisor, csv_bytes([facility_row(n) for n in range(5)]))

    assert job.status == ImportStatus.UNREADABLE
    assert "拆分" in job.message


def test_hostile_text_is_kept_as_text(supervisor, media):
    name = "示例<script>alert(1)</script>'; DROP TABLE supervision_facility;--"
    imported(supervisor, csv_bytes([facility_row(1, 名称=name)]))

    assert Facility.objects.get().name == name


def test_control_characters_in_a_cell_are_left_out(supervisor, media):
    """NUL after the first 4 KB (PostgreSQL's text cannot hold it) and the other controls."""
    rows = [facility_row(n) for n in range(60)]
    rows.append(facility_row(60, 名称="示例\x00控制\x07字符\x1b医院"))

    job = imported(supervisor, csv_bytes(rows))

    assert job.status == ImportStatus.DONE, job.message
    assert Facility.objects.filter(name="示例控制字符医院").exists()


def test_an_over_long_cell_is_refused_with_the_fields_limit(supervisor, media):
    job = checked(supervisor, csv_bytes([facility_row(1, 名称="示" * 300)]))

    assert outcomes(job) == {2: RowOutcome.REFUSED}
    assert problems(job, 2)[0][0] == "名称"


# --- ratings -----------------------------------------------------------------------------------

RATING_HEADER = ["统一社会信用代码", "评价年度", "信用等级", "得分", "调整原因"]


def rating_csv(rows: list[list[str]]) -> bytes:
    return csv_bytes(rows, header=RATING_HEADER)


def test_ratings_are_set_through_the_grade_service_with_their_reason(supervisor, media):
    facility = FacilityFactory()
    CreditRatingFactory(facility=facility, year=2023, grade=Grade.B, score=None)
    data = rating_csv(
        [
            [facility.credit_code, "2024", "A", "", "2024年度信用评价结果"],
            [facility.credit_code, "2023", "C级", "", "2023年度复核结果"],
        ]
    )

    job = imported(supervisor, data, name="评级.csv", kind=ImportKind.RATING)

    assert job.status == ImportStatus.DONE, job.message
    assert (job.new, job.changed) == (1, 1)
    assert CreditRating.objects.get(facility=facility, year=2024).grade == Grade.A
    change = RatingChange.objects.get(rating__year=2023)
    assert (change.from_grade, change.to_grade, change.reason) == ("B", "C", "2023年度复核结果")
    assert change.changed_by == supervisor


def test_a_rating_of_an_unknown_facility_is_refused(supervisor, media):
    job = checked(
        supervisor,
        rating_csv([[make_credit_code(77), "2024", "A", "", ""]]),
        kind=ImportKind.RATING,
    )

    assert outcomes(job) == {2: RowOutcome.REFUSED}
    assert "请先导入机构" in problems(job, 2)[0][1]


def test_a_rating_import_repeated_changes_nothing(supervisor, media):
    facility = FacilityFactory()
    data = rating_csv([[facility.credit_code, "2024", "B", "", "年度评价"]])
    imported(supervisor, data, kind=ImportKind.RATING)

    again = checked(supervisor, data, kind=ImportKind.RATING)

    assert outcomes(again) == {2: RowOutcome.UNCHANGED}
    assert RatingChange.objects.count() == 1


def test_a_score_outside_the_grades_band_is_refused(supervisor, media):
    facility = FacilityFactory()

    job = checked(
        supervisor,
        rating_csv([[facility.credit_code, "2024", "A", "10", "年度评价"]]),
        kind=ImportKind.RATING,
    )

    assert outcomes(job) == {2: RowOutcome.REFUSED}
    assert problems(job, 2)[0][0] == "得分"


# --- who may -----------------------------------------------------------------------------------


def test_only_those_who_may_change_what_a_kind_writes_may_import_it(inspector, auditor, media):
    for user in (inspector, auditor):
        with pytest.raises(engine.PermissionDenied):
            engine.start(user, ImportKind.FACILITY, SimpleUploadedFile("a.csv", b"x"))


# --- inspections -------------------------------------------------------------------------------

INSPECTION_HEADER = [
    "统一社会信用代码",
    "检查类型",
    "开始日期",
    "状态",
    "结束日期",
    "检查人员执法证号",
    "违规类型",
    "涉及金额（元）",
]


def inspection_csv(rows: list[list[str]]) -> bytes:
    return csv_bytes(rows, header=INSPECTION_HEADER)


@pytest.fixture
def officers(db):
    return InspectorFactory(badge_number="ZF0001"), InspectorFactory(badge_number="ZF0002")


def test_inspections_are_recorded_with_their_inspectors_violations_and_case_numbers(
    supervisor, media, officers
):
    facility = FacilityFactory()
    row = [facility.credit_code, "日常检查", "2024-05-06", "已完成", "2024-05-08"]
    data = inspection_csv([[*row, "ZF0001、ZF0002", "伪造变造随货同行单", "1,200.50"]])

    job = imported(supervisor, data, name="2024检查.csv", kind=ImportKind.INSPECTION)

    assert job.status == ImportStatus.DONE, job.message
    inspection = Inspection.objects.get()
    assert inspection.docket_year == 2024 and inspection.docket
    assert sorted(i.badge_number for i in inspection.inspectors.all()) == ["ZF0001", "ZF0002"]
    assert [v.pk for v in inspection.violations.all()] == ["forged_delivery_notes"]
    assert inspection.amount_involved == Decimal("1200.50")
    assert "2024检查.csv" in inspection.history.earliest().history_change_reason
    again = checked(supervisor, data, kind=ImportKind.INSPECTION)
    assert outcomes(again) == {2: RowOutcome.UNCHANGED}


def test_a_corrected_inspection_is_edited_with_old_and_new(supervisor, media, officers):
    facility = FacilityFactory()
    row = [facility.credit_code, "日常检查", "2024-05-06", "已完成", "2024-05-08", "ZF0001,ZF0002"]
    imported(supervisor, inspection_csv([[*row, "", "100"]]), kind=ImportKind.INSPECTION)

    job = checked(supervisor, inspection_csv([[*row, "", "150"]]), kind=ImportKind.INSPECTION)

    assert job.rows.get().changes == [["涉及金额（元）", "100.00", "150"]]
    engine.confirm(job, supervisor)
    engine.apply(job)
    assert Inspection.objects.get().amount_involved == Decimal("150")


@pytest.mark.parametrize(
    ("badges", "says"),
    [("ZF0001", "至少需要2名检查人员"), ("ZF0001、ZF9999", "ZF9999")],
)
def test_an_inspection_without_its_two_known_inspectors_is_refused(
    supervisor, media, officers, badges, says
):
    facility = FacilityFactory()
    row = [facility.credit_code, "日常检查", "2024-05-06", "已完成", "2024-05-08", badges, "", ""]

    job = checked(supervisor, inspection_csv([row]), kind=ImportKind.INSPECTION)

    assert outcomes(job) == {2: RowOutcome.REFUSED}
    assert says in " ".join(message for _column, message in problems(job, 2))


# --- practitioners' registrations ----------------------------------------------------------------

REGISTRATION_HEADER = [
    "身份证号码",
    "姓名",
    "人员类别",
    "统一社会信用代码",
    "科室或岗位",
    "登记备案日期",
]


def resident_id(n: int) -> str:
    return _resident_id(f"5401021980{n:07d}")


def test_practitioners_are_registered_and_the_report_shows_no_id_number(supervisor, media):
    facility = FacilityFactory()
    number = resident_id(1)
    data = csv_bytes(
        [[number, "示例医师甲", "医师", facility.credit_code, "内科", "2024-02-01"]],
        header=REGISTRATION_HEADER,
    )

    dry = checked(supervisor, data, kind=ImportKind.REGISTRATION)

    assert outcomes(dry) == {2: RowOutcome.NEW}
    assert not Practitioner.objects.exists()  # the trial registration was undone
    row = dry.rows.get()
    assert number not in row.key and number[-4:] in row.key
    engine.confirm(dry, supervisor)
    engine.apply(dry)
    registration = Registration.objects.get()
    assert registration.practitioner.name == "示例医师甲"
    assert registration.department == "内科"
    again = checked(supervisor, data, kind=ImportKind.REGISTRATION)
    assert outcomes(again) == {2: RowOutcome.UNCHANGED}


def test_a_known_id_number_under_another_name_is_refused(supervisor, media):
    facility = FacilityFactory()
    number = resident_id(2)
    rows = [[number, "示例医师乙", "医师", facility.credit_code, "", "2024-02-01"]]
    imported(supervisor, csv_bytes(rows, header=REGISTRATION_HEADER), kind=ImportKind.REGISTRATION)
    other = FacilityFactory()

    job = checked(
        supervisor,
        csv_bytes(
            [[number, "示例医师丙", "医师", other.credit_code, "", ""]], header=REGISTRATION_HEADER
        ),
        kind=ImportKind.REGISTRATION,
    )

    assert outcomes(job) == {2: RowOutcome.REFUSED}
    assert "姓名" in " ".join(message for _column, message in problems(job, 2))
