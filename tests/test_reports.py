"""Reports for the region (报表): the figures, their files (XLSX read back with openpyxl, PDF
with pypdf), their period rules, their scope and their cost."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader
from pypdf.generic import NameObject

from supervision import pdf
from supervision.choices import (
    Agency,
    District,
    FacilityKind,
    Grade,
    ReferralStatus,
    RewardStatus,
    SanctionKind,
    TipChannel,
    TipConclusion,
    TipStatus,
)
from supervision.models import Facility
from supervision.reports import (
    Period,
    PeriodError,
    Scope,
    build_report,
    may_make_reports,
    parse_period,
    to_pdf,
    to_xlsx,
)
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    ReferralFactory,
    SanctionFactory,
    TipFactory,
    TipRewardFactory,
    UserDistrictFactory,
)

pytestmark = pytest.mark.django_db
fonts = pytest.mark.skipif(not pdf.fonts_available(), reason="no CJK font on this machine")
D = datetime.date
TZ = datetime.timezone(datetime.timedelta(hours=8))
MEDICAL = {str(FacilityKind.HOSPITAL.label), str(FacilityKind.CLINIC.label)}


@pytest.fixture(scope="class")
def lhasa(django_db_setup, django_db_blocker):
    """The 2024 demo fixture, loaded once for the class that uses it, rolled back after it (a
    class, not the module: the other tests here must not see it, in whatever order they run)."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("loaddata", "lhasa_2024", verbosity=0)
        yield
        transaction.set_rollback(True)


def city(period: Period, **kwargs):
    return build_report(Scope(None), period, made_by="测试", **kwargs)


# --- Reading a workbook back ------------------------------------------------------------------


def workbook(report):
    return load_workbook(BytesIO(to_xlsx(report)))


def table(sheet, title: str) -> dict[str, list]:
    """The rows of the table titled title on sheet, by their first cell (header row excluded)."""
    rows = list(sheet.iter_rows())
    for index, row in enumerate(rows):
        if row[0].value == title:
            width = sum(1 for cell in rows[index + 1] if cell.value is not None)
            found = {}
            for data in rows[index + 2 :]:
                if all(cell.value is None for cell in data):
                    break
                found[data[0].value] = data[:width]
            return found
    raise AssertionError(f"no table {title!r} on {sheet.title}")


def values(cells) -> list:
    return [cell.value for cell in cells]


def pdf_text(content: bytes) -> str:
    """The text of every page, without the spaces (and NULs) pypdf puts between CJK glyphs.

    fpdf2 gives each CJK font an /Encoding that is an embedded CMap stream of 2-byte codes;
    pypdf does not read such a stream and takes the codes one byte at a time, which garbles
    every glyph past the 255th of a font (pdfium reads the same file right). The codes are
    Identity-H's 2-byte codes and the fonts' ToUnicode maps are right: told so, pypdf reads
    the text the file holds. Only the reader's copy in memory is changed, never the file."""
    reader = PdfReader(BytesIO(content))
    for page in reader.pages:
        for ref in page["/Resources"].get("/Font", {}).values():
            font = ref.get_object()
            if font.get("/Subtype") == "/Type0" and not isinstance(font["/Encoding"], NameObject):
                font[NameObject("/Encoding")] = NameObject("/Identity-H")
    return re.sub(r"[\s\x00]+", "", "".join(page.extract_text() for page in reader.pages))


# --- The bureau's 2024 figures ------------------------------------------------------------------


@pytest.mark.usefixtures("lhasa")
class TestTheBureaus2024Figures:
    """The demo fixture (the article's figures), loaded once for the class."""

    def test_the_2024_annual_xlsx_reproduces_the_bureaus_grades(self):
        book = workbook(city(Period(2024)))
        grades = table(book["信用评价"], "各信用等级机构数")
        assert {label: row[1].value for label, row in grades.items()} == {
            "A级": 69,
            "B级": 234,
            "C级": 42,
            "D级": 5,
            "合计": 350,
        }
        # Numbers stored as numbers, with a Chinese number format.
        assert grades["A级"][1].data_type == "n"
        assert grades["A级"][1].number_format == '#,##0"家"'
        by_kind = table(book["信用评价"], "按机构类别")
        assert values(by_kind["合计"])[1:] == [69, 234, 42, 5, 350]
        assert by_kind[str(FacilityKind.INSURER.label)][1].value > 0  # insurers are rated too

    def test_the_2024_annual_xlsx_reproduces_the_handling_of_the_d_and_a_grades(self):
        sheet = workbook(city(Period(2024)))["评级结果的处理"]
        suspensions = table(sheet, "暂停医保服务协议：按机构类别和期限")
        pharmacies = suspensions[str(FacilityKind.PHARMACY.label)]
        assert values(pharmacies)[1:] == [2, 61, 4]  # 2 months, 4 pharmacies
        assert pharmacies[1].number_format == '0"个月"'
        medical = [values(row) for label, row in suspensions.items() if label in MEDICAL]
        assert [row[1] for row in medical] == [1] and [row[3] for row in medical] == [1]
        recoveries = table(sheet, "收回保证金：按机构类别和比例")
        medical = [row for label, row in recoveries.items() if label in MEDICAL]
        assert len(medical) == 1
        assert medical[0][1].value == pytest.approx(0.025)
        assert medical[0][1].number_format == "0.00%"
        assert medical[0][2].value == 1 and medical[0][3].value > 0
        plaques = table(sheet, "授牌：按机构类别")
        assert plaques["合计"][1].value == 69
        assert plaques[str(FacilityKind.INSURER.label)][1].value > 0

    def test_the_2024_handling_is_decided_in_2025_and_counted_there_by_decision_date(self):
        # The measures rest on the 2024 grades but were decided on 2025-03-25: the 2024 report shows
        # them under the grades' year, the 2025 report under the measures decided in 2025.
        in_2024 = table(workbook(city(Period(2024)))["处理措施"], "按措施类型")
        in_2025 = table(workbook(city(Period(2025)))["处理措施"], "按措施类型")
        suspension = str(SanctionKind.SUSPENSION.label)
        assert in_2024[suspension][1].value == 0
        assert in_2025[suspension][1].value == 5

    def test_the_two_police_referrals_of_the_article_are_in_the_2025_reports(self):
        # The article (May 2025) reports both cases as handed to the police "so far": the fixture
        # dates them 2025-03-28 and 2025-04-25, after the 2024 grades they did not change.
        by_agency = table(workbook(city(Period(2025)))["案件移送"], "按移送部门")
        police = values(by_agency[str(Agency.POLICE.label)])
        assert police[1:] == [2, 1, 1, 0, 0]  # referred; pending, accepted, declined, closed
        assert table(workbook(city(Period(2024)))["案件移送"], "按移送部门")["合计"][1].value == 0
        march = table(workbook(city(Period(2025, 3)))["案件移送"], "按移送部门")
        assert values(march[str(Agency.POLICE.label)])[1:] == [1, 1, 0, 0, 0]  # decided 2025-04-09
        details = table(workbook(city(Period(2025)))["案件移送"], "移送明细")
        assert len(details) == 2

    def test_the_report_has_a_cover_with_period_bureau_date_and_maker(self):
        report = city(Period(2024), made_at=datetime.datetime(2025, 1, 10, 9, 0, tzinfo=TZ))
        cover = {
            row[0].value: row[1].value for row in workbook(report)["封面"].iter_rows(min_row=3)
        }
        assert cover["报表期间"] == "2024年（2024-01-01至2024-12-31）"
        assert cover["制表单位"] == "拉萨市医疗保障局"
        assert cover["制表日期"] == "2025-01-10 09:00"
        assert cover["制表人"] == "测试"
        assert cover["统计范围"] == "全市（全部区县）"

    def test_each_section_sheet_has_native_bar_charts(self):
        book = workbook(city(Period(2024)))
        for name in ("信用评价", "检查", "处理措施", "案件移送", "举报线索"):
            assert book[name]._charts, name

    def test_the_reports_figures_equal_the_overviews(self, client, auditor):
        client.force_login(auditor)
        for year in (2024, 2025):
            overview = client.get(reverse("dashboard"), {"year": year}).context
            report = city(Period(year))
            grades = report.table("grades")
            assert {row[0]: row[1] for row in grades.rows} == {
                str(Grade(f.key).label): f.value for f in overview["grades"]
            }
            assert grades.total[1] == overview["grade_total"]
            counted = report.table("inspections_by_kind").total
            amounts = overview["amounts"]
            assert counted[1:] == [amounts["count"], amounts["involved"], amounts["recovered"]]
            decided = {row[0]: (row[1], row[2]) for row in report.table("sanctions_by_kind").rows}
            for row in overview["sanctions"]:
                assert decided[row["label"]] == (row["count"], row["amount"])
            assert sum(row["count"] for row in overview["sanctions"]) == sum(
                count for count, _amount in decided.values()
            )
            handled = {row[0]: (row[1], row[2]) for row in report.table("handling_by_kind").rows}
            for row in overview["handling"]["rows"]:
                assert handled[row["label"]] == (row["count"], row["amount"])

    @fonts
    def test_the_pdf_holds_the_2024_figures(self):
        text = pdf_text(to_pdf(city(Period(2024))))
        for shown in ("A级69", "B级234", "C级42", "D级5", "合计350"):
            assert shown in text, shown
        assert "拉萨市医疗保障局医保基金监管年度报表" in text
        assert "零售药店2614" in text  # 2 months, 61 days, 4 pharmacies
        assert "2.50%" in text

    @fonts
    def test_the_pdf_opens_and_names_the_police_referrals(self):
        content = to_pdf(city(Period(2025)))
        assert content.startswith(b"%PDF")
        assert "公安机关21100" in pdf_text(content)


# --- The period --------------------------------------------------------------------------------


TODAY = D(2025, 6, 15)


@pytest.mark.parametrize(
    ("year", "month", "message"),
    [
        ("2025", "13", "月份应为1至12的数字"),
        ("2025", "0", "月份应为1至12的数字"),
        ("2025", "三", "月份应为1至12的数字"),
        ("99999", "", "年度应为四位数字"),
        ("abcd", "", "年度应为四位数字"),
        ("２０２４", "", "年度应为四位数字"),  # full-width digits
        ("", "", "请填写年度"),
        ("2017", "", "年度不能早于2018年"),
        ("2025", "7", "2025年7月尚未开始"),
        ("2026", "", "2026年尚未开始"),
        ("2024'--", "", "年度应为四位数字"),
    ],
)
def test_a_period_that_cannot_be_reported_is_refused_with_a_reason(year, month, message):
    with pytest.raises(PeriodError) as refused:
        parse_period(year, month, today=TODAY)
    assert message in refused.value.message


def test_a_month_or_a_year_that_has_begun_is_a_period():
    assert parse_period("2025", "03", today=TODAY) == Period(2025, 3)
    assert parse_period(" 2024 ", "", today=TODAY) == Period(2024)
    assert parse_period("2025", "6", today=TODAY) == Period(2025, 6)  # under way


def test_a_period_under_way_says_its_figures_run_to_the_time_it_was_made():
    made = datetime.datetime(2025, 6, 15, 10, tzinfo=TZ)
    assert not city(Period(2025, 6), made_at=made).complete
    assert city(Period(2025, 5), made_at=made).complete


# --- Reproducible -----------------------------------------------------------------------------


def snapshot(report) -> list:
    return [
        (table.key, table.rows, table.total)
        for section in report.sections
        for table in section.tables
    ]


def test_a_past_months_report_is_unchanged_by_records_of_later_months():
    facility = FacilityFactory(name="示例月报医院")
    InspectionFactory(
        facility=facility,
        start_date=D(2025, 3, 10),
        amount_involved=Decimal("1000.00"),
        amount_recovered=Decimal("400.00"),
    )
    SanctionFactory(facility=facility, fine=True, decided_on=D(2025, 3, 12))
    referral = ReferralFactory(inspection__facility=facility, referred_on=D(2025, 3, 20))
    tip = TipFactory(facility=facility)  # received 2025-03-03, not decided
    reward = TipRewardFactory(proposed_on=D(2025, 3, 25))
    march = snapshot(city(Period(2025, 3)))

    # What happens afterwards: new records, and the March records moving on.
    InspectionFactory(facility=facility, start_date=D(2025, 4, 2), amount_involved=Decimal("9"))
    SanctionFactory(facility=facility, suspension=True, decided_on=D(2025, 4, 5))
    referral.status, referral.decided_on, referral.case_number = (
        ReferralStatus.ACCEPTED,
        D(2025, 4, 9),
        "拉公经立〔2025〕99号",
    )
    referral.save()
    tip.status, tip.decided_on, tip.clock, tip.due_on = (
        TipStatus.NOT_ACCEPTED,
        D(2025, 4, 1),
        "",
        None,
    )
    tip.save()
    TipFactory(facility=facility, received_at=datetime.datetime(2025, 4, 1, 9, tzinfo=TZ))
    reward.status, reward.decided_on, reward.claim_by = (
        RewardStatus.APPROVED,
        D(2025, 4, 1),
        D(2025, 6, 30),
    )
    reward.save()

    assert snapshot(city(Period(2025, 3))) == march
    april = city(Period(2025, 4))  # the later month does see them
    assert april.table("inspections_by_kind").total[1] == 1
    assert april.table("sanctions_by_kind").row(str(SanctionKind.SUSPENSION.label))[1] == 1
    assert april.table("tips").total[1] == 1
    assert april.table("rewards").row("批准奖励")[1:] == [1, reward.amount]


def test_outcomes_are_counted_as_they_stood_on_the_periods_last_day():
    facility = FacilityFactory()
    ReferralFactory(
        inspection__facility=facility,
        referred_on=D(2025, 3, 20),
        status=ReferralStatus.CLOSED,
        decided_on=D(2025, 3, 25),
        closed_on=D(2025, 5, 1),
        case_number="拉公经立〔2025〕5号",
    )
    ReferralFactory(
        inspection__facility=facility,
        agency=Agency.MARKET,
        referred_on=D(2025, 3, 21),
        status=ReferralStatus.DECLINED,
        decided_on=D(2025, 3, 28),
    )
    march = city(Period(2025, 3)).table("referrals")
    assert march.row(str(Agency.POLICE.label))[1:] == [1, 0, 1, 0, 0]  # accepted, not yet closed
    assert march.row(str(Agency.MARKET.label))[1:] == [1, 0, 0, 1, 0]
    year = city(Period(2025)).table("referrals")
    assert year.row(str(Agency.POLICE.label))[1:] == [1, 0, 1, 0, 1]  # closed by year end


def test_tips_are_counted_by_channel_with_their_outcome_at_the_periods_end():
    TipFactory(channel=TipChannel.CITY_HOTLINE)  # received 2025-03-03, pending
    TipFactory(channel=TipChannel.CITY_HOTLINE, declined=True)  # refused 2025-03-05
    TipFactory(concluded=True)  # accepted 03-05, substantiated 03-20, 50,000 verified
    TipFactory(
        channel=TipChannel.WECHAT,
        concluded=True,
        conclusion=TipConclusion.NOT_SUBSTANTIATED,
        concluded_on=D(2025, 4, 2),
        verified_amount=None,
    )
    march = city(Period(2025, 3)).table("tips")
    names = ["received", "pending", "merged", "refused", "investigating", "yes", "partly", "no"]
    city_line = dict(zip(names, march.row(str(TipChannel.CITY_HOTLINE.label))[1:], strict=False))
    assert city_line == dict.fromkeys(names, 0) | {"received": 2, "pending": 1, "refused": 1}
    national = march.row(str(TipChannel.NATIONAL_HOTLINE.label))
    assert national[1] == 1 and national[6] == 1 and national[9] == Decimal("50000.00")
    wechat = march.row(str(TipChannel.WECHAT.label))
    assert wechat[5] == 1 and wechat[8] == 0  # still under investigation on 31 March
    assert city(Period(2025, 4)).table("tips").total[1] == 0  # all received in March


# --- Scope, roles, hostile text ----------------------------------------------------------------


def test_a_user_limited_to_a_district_gets_a_report_of_that_district_that_says_so(auditor):
    UserDistrictFactory(user=auditor, district=District.DAGZE)
    near = FacilityFactory(district=District.DAGZE, name="示例达孜药店")
    far = FacilityFactory(district=District.CHENGGUAN, name="示例城关医院")
    CreditRatingFactory(facility=near, year=2024, grade=Grade.D)
    CreditRatingFactory(facility=far, year=2024, grade=Grade.A)
    SanctionFactory(facility=far, fine=True, decided_on=D(2024, 5, 1))
    SanctionFactory(facility=near, fine=True, decided_on=D(2024, 5, 2), amount=Decimal("700"))
    report = build_report(Scope(auditor), Period(2024), made_by="auditor")
    assert report.table("grades").total == ["合计", 1]
    assert report.table("grades").row("D级")[1] == 1
    assert [row[0] for row in report.table("grades_by_district").rows] == ["达孜区"]
    assert report.table("sanctions_by_kind").row("罚款")[1:] == [1, Decimal("700.00")]
    assert "达孜区" in report.coverage and "城关区" not in report.coverage
    book = workbook(report)
    cover = " ".join(str(c.value) for row in book["封面"].iter_rows() for c in row if c.value)
    assert "仅限" in cover and "达孜区" in cover
    every_cell = " ".join(
        str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value
    )
    assert "示例达孜药店" in every_cell and "示例城关医院" not in every_cell


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("supervisor", True),
        ("auditor", True),
        ("superuser", True),
        ("inspector", False),
        ("tip_desk", False),
        ("evaluator", False),
        ("outsider", False),
    ],
)
def test_only_supervisors_auditors_and_superusers_may_make_reports(request, persona, allowed):
    assert may_make_reports(request.getfixturevalue(persona)) is allowed


HOSTILE = [
    '=HYPERLINK("http://example.invalid/x","点击")',
    "+cmd|' /C calc'!A0",
    "<script>alert(1)</script><b>粗体</b>",
    "示例'); DROP TABLE supervision_facility; --",
    "@SUM(1+1)",
]


def hostile_records():
    for n, name in enumerate(HOSTILE):
        facility = FacilityFactory(name=name)
        SanctionFactory(facility=facility, fine=True, decided_on=D(2025, 3, 1 + n))
        ReferralFactory(inspection__facility=facility, referred_on=D(2025, 3, 20))
    bell = FacilityFactory(name="示例\x07响铃\u202e药店")  # a control and a bidi override
    SanctionFactory(facility=bell, fine=True, decided_on=D(2025, 3, 9))


def test_hostile_facility_names_are_inert_text_in_the_xlsx():
    hostile_records()
    book = workbook(city(Period(2025, 3)))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@"))]
    for name in HOSTILE:
        assert any(t.lstrip("'") == name for t in texts), name
    assert "示例响铃药店" in texts
    assert Facility.objects.count() == len(HOSTILE) + 1


@fonts
def test_hostile_facility_names_are_inert_text_in_the_pdf():
    hostile_records()
    content = to_pdf(city(Period(2025, 3)))
    text = pdf_text(content)
    reader = PdfReader(BytesIO(content))
    assert "<script>alert(1)</script><b>粗体</b>" in text
    assert '=HYPERLINK("http://example.invalid/x","点击")' in text
    assert not any("/Annots" in page for page in reader.pages)  # no link was made


# --- Cost --------------------------------------------------------------------------------------


def populate(n: int, start: int) -> None:
    for i in range(start, start + n):
        facility = FacilityFactory()
        rating = CreditRatingFactory(facility=facility, year=2024, grade="ABCD"[i % 4])
        InspectionFactory(facility=facility, start_date=D(2024, 1 + i % 12, 5))
        SanctionFactory(facility=facility, fine=True, decided_on=D(2024, 6, 1))
        if rating.grade == Grade.D:
            SanctionFactory(
                facility=facility,
                rating=rating,
                suspension=True,
                decided_on=D(2024, 3, 1),
                starts_on=D(2024, 4, 1),
                ends_on=D(2024, 4, 1 + i % 20),
            )
        ReferralFactory(inspection__facility=facility, referred_on=D(2024, 7, 1))
        reward = TipRewardFactory(tip__facility=facility, proposed_on=D(2024, 8, 1))
        reward.tip.received_at = datetime.datetime(2024, 2, 1, 9, tzinfo=TZ)
        reward.tip.save()


def queries_of_a_report(user_pk: int) -> int:
    user = get_user_model().objects.get(pk=user_pk)  # nothing cached from the last time
    with CaptureQueriesContext(connection) as queries:
        report = build_report(Scope(user), Period(2024), made_by="auditor")
        to_xlsx(report)
    return len(queries)


def test_a_report_issues_the_same_queries_for_few_and_many_facilities(auditor):
    populate(2, 0)
    few = queries_of_a_report(auditor.pk)
    populate(24, 2)
    assert queries_of_a_report(auditor.pk) == few
    assert few <= 25


# --- The scheduled run ---------------------------------------------------------------------------


def test_the_command_writes_the_report_of_the_whole_city(tmp_path):
    CreditRatingFactory(year=2024, grade=Grade.B)
    output = tmp_path / "2024.xlsx"
    call_command("make_report", year="2024", format="xlsx", output=str(output), verbosity=0)
    book = load_workbook(output)
    assert table(book["信用评价"], "各信用等级机构数")["B级"][1].value == 1
    cover = {row[0].value: row[1].value for row in book["封面"].iter_rows(min_row=3)}
    assert cover["制表人"] == "系统（定时任务）" and cover["统计范围"] == "全市（全部区县）"


def test_the_command_makes_a_month_as_a_user_of_some_districts(tmp_path, supervisor):
    UserDistrictFactory(user=supervisor, district=District.DAGZE)
    output = tmp_path / "2025-03.xlsx"
    call_command(
        "make_report",
        year="2025",
        month="3",
        format="xlsx",
        output=str(output),
        user="supervisor",
        verbosity=0,
    )
    cover = {
        row[0].value: row[1].value for row in load_workbook(output)["封面"].iter_rows(min_row=3)
    }
    assert "达孜区" in cover["统计范围"] and cover["报表期间"].startswith("2025年3月")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"year": "2024", "month": "13", "format": "xlsx"}, "月份应为1至12的数字"),
        ({"year": "99999", "format": "xlsx"}, "年度应为四位数字"),
        ({"year": "2024", "format": "docx"}, "报表格式只能是XLSX或PDF"),
        ({"year": "2024", "format": "xlsx", "user": "inspector"}, "无权生成报表"),
        ({"year": "2024", "format": "xlsx", "user": "nobody"}, "无权生成报表"),
    ],
)
def test_the_command_refuses_what_it_cannot_make(tmp_path, inspector, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("make_report", output=str(tmp_path / "x"), verbosity=0, **options)
    assert not (tmp_path / "x").exists()
