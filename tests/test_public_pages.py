"""The public pages (信息公开): each page in both languages, with published data and with none;
the grades' search, filters and paging; hostile query strings; the CSV downloads."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from supervision.choices import (
    District,
    FacilityKind,
    Grade,
    InspectionStatus,
    SanctionKind,
    TipChannel,
    TypicalCaseStatus,
)
from supervision.models import Hotline, Inspection
from supervision.public import cache as public_cache
from supervision.public import urls as public_urls
from supervision.public import views as public_views
from supervision.services import random_checks
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    GradePublicationFactory,
    InspectorFactory,
    SanctionFactory,
    TypicalCaseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

YEAR = 2024
LANGUAGES = {"public": "zh-Hans", "public_en": "en"}
# Every route of supervision/public/urls.py, with the arguments it takes from the world.
ROUTES = {
    "home": None,
    "hotlines": None,
    "hotlines-csv": None,
    "grades": None,
    "grades-csv": None,
    "d-grade": None,
    "d-grade-csv": None,
    "sanctions": None,
    "sanctions-csv": None,
    "plans": None,
    "plans-csv": None,
    "plan": "plan",
    "plan-csv": "plan",
    "cases": None,
    "cases-csv": None,
    "case": "case",
}
PAGES = [name for name in ROUTES if not name.endswith("-csv")]
DOWNLOADS = [name for name in ROUTES if name.endswith("-csv")]


@pytest.fixture(autouse=True)
def _fresh_public_cache():
    """Every test starts with an empty page cache, rate count and edition memo (the database is
    rolled back between tests, so editions repeat)."""
    cache.clear()
    public_cache.forget_edition()
    yield
    cache.clear()
    public_cache.forget_edition()


def public_url(world: SimpleNamespace | None, name: str, namespace: str = "public") -> str:
    arg = ROUTES[name]
    args = [getattr(world, arg).pk] if arg else []
    return reverse(f"{namespace}:{name}", args=args)


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body_of(response).lstrip("\ufeff"))))


def publish_plan(user, *, districts: list[str], seed: str = "20260301 示例", **changes):
    """A published random-check plan over districts (create, draw, publish)."""
    values = {
        "name": "2026年第一批双随机抽查",
        "starts_on": datetime.date(2026, 3, 1),
        "ends_on": datetime.date(2026, 6, 30),
        "target_count": 2,
        "districts": districts,
    }
    values.update(changes)
    plan = random_checks.create_plan(user=user, **values)
    plan = random_checks.draw(plan, seed=seed, user=user)
    return random_checks.publish(plan, user=user, today=datetime.date(2026, 2, 20))


def build_world(user=None) -> SimpleNamespace:
    """Published data of every kind, and the facilities it is about."""
    user = user or UserFactory(username="publisher")
    today = timezone.localdate()
    w = SimpleNamespace(user=user, today=today)
    w.hospital = FacilityFactory(name="示例公开甲医院", district=District.CHENGGUAN)
    w.clinic = FacilityFactory(name="示例公开乙诊所", clinic=True, district=District.DAGZE)
    w.d_hospital = FacilityFactory(name="示例公开丁医院", district=District.CHENGGUAN)
    CreditRatingFactory(facility=w.hospital, year=YEAR, grade=Grade.A)
    CreditRatingFactory(facility=w.clinic, year=YEAR, grade=Grade.B)
    CreditRatingFactory(facility=w.d_hospital, year=YEAR, grade=Grade.D)
    GradePublicationFactory(year=YEAR, category_id="medical_institution", published_by=user)
    w.in_force = SanctionFactory(
        suspension=True,
        facility=w.d_hospital,
        decided_on=today - datetime.timedelta(days=20),
        starts_on=today - datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=30),
        decision_number="拉医保暂〔2026〕1号",
        legal_basis="《医疗保障基金使用监督管理条例》第三十八条",
        published_on=today,
    )
    w.warning = SanctionFactory(
        facility=w.d_hospital,
        decision_number="拉医保约〔2026〕7号",
        legal_basis="《医疗机构医疗保障定点管理暂行办法》",
        note="",
        published_on=today,
    )
    # The migration wrote the five channels: publish the city's with its number.
    Hotline.objects.filter(channel=TipChannel.CITY_HOTLINE).update(
        contact="0891-6000000", published=True
    )
    inspectors = InspectorFactory.create_batch(3)
    w.inspectors = inspectors
    w.plan = publish_plan(user, districts=[District.CHENGGUAN])
    target = w.plan.targets.order_by("rank").first()
    Inspection.objects.filter(pk=target.inspection_id).update(
        status=InspectionStatus.COMPLETED,
        end_date=datetime.date(2026, 3, 5),
        amount_involved=Decimal("1200.00"),
    )
    w.case = TypicalCaseFactory(
        title="示例医院串换药品骗取医保基金案",
        inspection__facility=w.hospital,
        status=TypicalCaseStatus.PUBLISHED,
        submitted_on=datetime.date(2026, 4, 1),
        published_on=datetime.date(2026, 4, 10),
        reviewed_by=user,
        legal_basis="《医疗保障基金使用监督管理条例》",
        lesson="以案示警。",
    )
    return w


@pytest.fixture
def world(db) -> SimpleNamespace:
    return build_world()


# What each page shows of the world (a text that must be on it).
SHOWS = {
    "home": lambda w: w.case.title,
    "hotlines": lambda w: "0891-6000000",
    "hotlines-csv": lambda w: "0891-6000000",
    "grades": lambda w: w.hospital.name,
    "grades-csv": lambda w: w.hospital.credit_code,
    "d-grade": lambda w: w.in_force.decision_number,
    "d-grade-csv": lambda w: w.d_hospital.name,
    "sanctions": lambda w: w.in_force.decision_number,
    "sanctions-csv": lambda w: w.in_force.legal_basis,
    "plans": lambda w: w.plan.name,
    "plans-csv": lambda w: w.plan.result_digest,
    "plan": lambda w: w.plan.pool_digest,
    "plan-csv": lambda w: w.plan.targets.order_by("rank").first().facility.name,
    "cases": lambda w: w.case.title,
    "cases-csv": lambda w: w.case.facts,
    "case": lambda w: w.case.handling,
}


def test_the_table_of_routes_is_every_route_of_the_public_urls():
    assert sorted(ROUTES) == sorted(p.name for p in public_urls.urlpatterns)
    assert sorted(SHOWS) == sorted(ROUTES)


@pytest.mark.parametrize("namespace", LANGUAGES)
@pytest.mark.parametrize("name", list(ROUTES))
def test_every_page_and_download_shows_what_was_published_in_both_languages(
    client, world, name, namespace
):
    response = client.get(public_url(world, name, namespace))
    assert response.status_code == 200
    assert SHOWS[name](world) in body_of(response)
    language = "en" if namespace == "public_en" else "zh-hans"
    assert response["Content-Language"] == language
    if name.endswith("-csv"):
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith("attachment;")
    else:
        assert f'<html lang="{LANGUAGES[namespace]}">' in body_of(response)


@pytest.mark.parametrize("name", PAGES)
def test_every_page_has_the_layout_landmarks_the_bureau_and_every_section(client, world, name):
    html = body_of(client.get(public_url(world, name)))
    for landmark in ("<header", "<nav", '<main id="main"', "<footer", 'class="skip-link"'):
        assert landmark in html
    assert "拉萨市医疗保障局" in html
    for section in ("home", "grades", "d-grade", "sanctions", "plans", "cases", "hotlines"):
        assert f'href="{reverse(f"public:{section}")}"' in html
    assert "0891-6000000" in html  # the hotlines in the footer


@pytest.mark.parametrize("name", PAGES)
def test_every_link_of_an_english_page_stays_english_but_the_one_to_the_chinese_page(
    client, world, name
):
    url = public_url(world, name, "public_en")
    html = body_of(client.get(url, {"district": District.CHENGGUAN}))
    links = re.findall(r'href="(/public/[^"]*)"', html)
    chinese = sorted({link for link in links if not link.startswith("/public/en/")})
    counterpart = public_url(world, name, "public")
    assert chinese == [counterpart + ("" if name == "home" else f"?district={District.CHENGGUAN}")]
    assert any(link.startswith("/public/en/") for link in links)


@pytest.mark.parametrize("name", PAGES)
def test_a_chinese_page_links_to_its_english_counterpart(client, world, name):
    html = body_of(client.get(public_url(world, name)))
    assert f'href="{public_url(world, name, "public_en")}"' in html
    links = re.findall(r'href="(/public/[^"]*)"', html)
    assert {link for link in links if link.startswith("/public/en/")} == {
        public_url(world, name, "public_en")
    }


# --- Nothing published --------------------------------------------------------------------------


@pytest.mark.parametrize("namespace", LANGUAGES)
@pytest.mark.parametrize("name", [n for n in ROUTES if ROUTES[n] is None])
def test_with_nothing_published_every_page_is_empty_but_answers(client, db, name, namespace):
    """Ratings, sanctions, plans and cases exist, but none is published."""
    Hotline.objects.update(published=False)
    facility = FacilityFactory(name="示例未公开医院")
    CreditRatingFactory(facility=facility, year=YEAR, grade=Grade.D)
    SanctionFactory(suspension=True, facility=facility, decision_number="未公开文号")
    TypicalCaseFactory(title="示例未发布案例", inspection__facility=facility)
    response = client.get(reverse(f"{namespace}:{name}"))
    assert response.status_code == 200
    body = body_of(response)
    for unpublished in ("示例未公开医院", "未公开文号", "示例未发布案例", "12393"):
        assert unpublished not in body
    if name.endswith("-csv"):
        assert body.count("\n") == 1  # the header alone


def test_a_plan_or_case_that_is_not_published_is_not_found(client, world):
    TypicalCase = type(world.case)
    draft = TypicalCaseFactory(title="示例草稿案例")
    withdrawn = TypicalCase.objects.filter(pk=world.case.pk)
    for url in (reverse("public:case", args=[draft.pk]), reverse("public:plan", args=[999_999])):
        response = client.get(url)
        assert response.status_code == 404
        assert "示例草稿案例" not in body_of(response)
    withdrawn.update(
        status=TypicalCaseStatus.WITHDRAWN,
        withdrawn_on=datetime.date(2026, 5, 1),
        withdraw_reason="当事人申请复核",
    )
    public_cache.forget_edition()
    from supervision.services.publication import bump_edition

    bump_edition()
    assert client.get(reverse("public:case", args=[world.case.pk])).status_code == 404


# --- Grades -------------------------------------------------------------------------------------


def _names(response) -> list[str]:
    return [row.facility.name for row in response.context["object_list"]]


def test_grades_list_a_first_then_in_recorded_order_and_count_each_grade(client, world):
    FacilityFactory(name="示例公开丙医院")
    CreditRatingFactory(facility=FacilityFactory(name="示例公开丙医院二"), year=YEAR, grade="A")
    response = client.get(reverse("public:grades"))
    assert _names(response) == [
        "示例公开甲医院",
        "示例公开丙医院二",
        "示例公开乙诊所",
        "示例公开丁医院",
    ]
    counts = {grade: n for grade, _label, n in response.context["counts"]}
    assert counts == {"A": 2, "B": 1, "C": 0, "D": 1}


def test_grades_of_an_unpublished_category_or_year_are_not_listed(client, world):
    pharmacy = FacilityFactory(pharmacy=True, name="示例未公布药店")
    CreditRatingFactory(facility=pharmacy, year=YEAR, grade=Grade.A)
    CreditRatingFactory(facility=FacilityFactory(name="示例往年医院"), year=2023, grade=Grade.A)
    response = client.get(reverse("public:grades"))
    html = body_of(response)
    assert "示例未公布药店" not in html and "示例往年医院" not in html
    assert {grade: n for grade, _l, n in response.context["counts"]}["A"] == 1
    assert 'value="pharmacy"' not in html  # the kind filter offers published kinds only
    assert client.get(reverse("public:grades"), {"year": 2023}).status_code == 404
    assert client.get(reverse("public:grades"), {"kind": "pharmacy"}).context["object_list"]


def test_the_year_is_chosen_among_the_published_years(client, world):
    CreditRatingFactory(facility=world.hospital, year=2022, grade=Grade.C)
    GradePublicationFactory(year=2022, category_id="medical_institution")
    latest = client.get(reverse("public:grades"))
    assert latest.context["year"] == YEAR
    assert latest.context["years"] == [YEAR, 2022]
    older = client.get(reverse("public:grades"), {"year": "2022"})
    assert _names(older) == ["示例公开甲医院"]
    assert older.context["object_list"][0].grade == Grade.C


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "公开甲"}, ["示例公开甲医院"]),
        ({"q": "shiligongkaiyi"}, ["示例公开乙诊所"]),
        ({"q": "示例 丁"}, ["示例公开丁医院"]),
        ({"district": District.DAGZE}, ["示例公开乙诊所"]),
        ({"kind": FacilityKind.CLINIC}, ["示例公开乙诊所"]),
        ({"grade": Grade.D}, ["示例公开丁医院"]),
        ({"grade": Grade.D, "district": District.DAGZE}, []),
        ({"q": "示例", "grade": Grade.A}, ["示例公开甲医院"]),
    ],
)
def test_grades_are_searched_by_name_and_filtered(client, world, query, expected):
    assert _names(client.get(reverse("public:grades"), query)) == expected


def test_grades_are_found_by_the_start_of_the_credit_code(client, world):
    code = world.clinic.credit_code
    assert _names(client.get(reverse("public:grades"), {"q": code[:12]})) != []
    assert _names(client.get(reverse("public:grades"), {"q": code})) == ["示例公开乙诊所"]
    assert _names(client.get(reverse("public:grades"), {"q": code[3:]})) == []


def test_grades_are_paged_and_the_links_keep_the_filters(client, world, monkeypatch):
    monkeypatch.setattr(public_views, "PER_PAGE", 2)
    first = client.get(reverse("public:grades"), {"district": District.CHENGGUAN})
    assert _names(first) == ["示例公开甲医院", "示例公开丁医院"]
    CreditRatingFactory(facility=FacilityFactory(name="示例公开戊医院"), year=YEAR, grade="C")
    cache.clear()
    first = client.get(reverse("public:grades"))
    assert 'href="?page=2"' in body_of(first)
    second = client.get(reverse("public:grades"), {"page": "2"})
    assert _names(second) == ["示例公开戊医院", "示例公开丁医院"]
    filtered = client.get(reverse("public:grades"), {"district": District.CHENGGUAN, "page": 1})
    assert f'href="?district={District.CHENGGUAN}&amp;page=2"' in body_of(filtered)
    assert client.get(reverse("public:grades"), {"page": "3"}).status_code == 404


def test_the_grades_csv_has_the_filtered_rows_in_the_list_order(client, world):
    response = client.get(reverse("public:grades-csv"), {"district": District.CHENGGUAN})
    rows = csv_rows(response)
    assert rows[0] == [
        "评价年度",
        "机构名称",
        "统一社会信用代码",
        "机构类别",
        "所属区县",
        "信用等级",
    ]
    assert [row[1] for row in rows[1:]] == ["示例公开甲医院", "示例公开丁医院"]
    assert rows[1][0] == "2024"


def test_the_grades_page_reads_as_many_queries_for_one_row_as_for_many(
    client, world, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("public:grades"))
    for n in range(30):
        CreditRatingFactory(facility=FacilityFactory(name=f"示例批量{n:02d}"), year=YEAR)
    cache.clear()
    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse("public:grades"))
    assert len(response.context["object_list"]) == 33


# --- D grades, sanctions, plans, cases ----------------------------------------------------------


def test_the_d_grade_page_lists_d_facilities_with_their_published_sanctions(client, world):
    SanctionFactory(
        facility=world.d_hospital, kind=SanctionKind.WARNING, decision_number="未公开号"
    )
    pharmacy = FacilityFactory(pharmacy=True, name="示例D级药店")
    CreditRatingFactory(facility=pharmacy, year=YEAR, grade=Grade.D)
    html = body_of(client.get(reverse("public:d-grade")))
    assert "示例公开丁医院" in html and "示例公开甲医院" not in html
    assert world.in_force.decision_number in html and world.warning.decision_number in html
    assert "未公开号" not in html and "示例D级药店" not in html
    rows = csv_rows(client.get(reverse("public:d-grade-csv")))
    assert len(rows) == 2
    assert world.warning.decision_number in rows[1][-1]


def test_the_sanctions_page_lists_published_suspensions_and_terminations_in_force(client, world):
    today = world.today
    day = datetime.timedelta(days=1)
    SanctionFactory(
        termination=True, starts_on=today - day, published_on=today, decision_number="解1"
    )
    SanctionFactory(
        termination=True, starts_on=today + day, published_on=today, decision_number="解2"
    )
    SanctionFactory(
        suspension=True,
        starts_on=today - 30 * day,
        ends_on=today - day,
        published_on=today,
        decision_number="过期1",
    )
    SanctionFactory(suspension=True, starts_on=today, ends_on=today, decision_number="未公开2")
    SanctionFactory(fine=True, published_on=today, decision_number="罚1")
    response = client.get(reverse("public:sanctions"))
    numbers = {s.decision_number for s in response.context["object_list"]}
    assert numbers == {world.in_force.decision_number, "解1"}
    csv_numbers = {row[6] for row in csv_rows(client.get(reverse("public:sanctions-csv")))[1:]}
    assert csv_numbers == numbers


def test_a_plan_page_shows_its_criteria_draw_and_each_targets_result(client, world):
    response = client.get(reverse("public:plan", args=[world.plan.pk]))
    html = body_of(response)
    for text in (world.plan.seed, world.plan.algorithm, world.plan.pool_digest):
        assert text in html
    assert world.plan.result_digest in html
    criteria = dict(response.context["criteria"])
    assert criteria["所属区县"] == "城关区"
    assert criteria["机构类别"] == "不限"
    assert criteria["抽取数量"] == "2家"
    outcomes = [outcome for _target, outcome in response.context["rows"]]
    assert [o["status"] for o in outcomes] == ["completed", "planned"]
    assert outcomes[0]["problems"] is True and outcomes[0]["ended_on"] == datetime.date(2026, 3, 5)
    rows = csv_rows(client.get(reverse("public:plan-csv", args=[world.plan.pk])))
    assert [row[5] for row in rows[1:]] == ["发现问题", "计划中"]


def test_a_completed_check_without_violation_or_money_found_no_problem(client, world):
    target = world.plan.targets.order_by("rank").first()
    Inspection.objects.filter(pk=target.inspection_id).update(amount_involved=0)
    response = client.get(reverse("public:plan", args=[world.plan.pk]))
    assert response.context["rows"][0][1]["problems"] is False
    target.inspection.violations.add("false_claims")
    cache.clear()
    response = client.get(reverse("public:plan", args=[world.plan.pk]))
    assert response.context["rows"][0][1]["problems"] is True


def test_a_case_page_shows_the_case_and_its_facility(client, world):
    html = body_of(client.get(reverse("public:case", args=[world.case.pk])))
    for text in (world.case.title, world.case.facts, world.case.lesson, "示例公开甲医院", "城关区"):
        assert text in html


# --- Hostile query strings ----------------------------------------------------------------------

HOSTILE = [
    "page=0",
    "page=-1",
    "page=abc",
    "page=%C2%B2",
    "page=" + "9" * 30,
    "page=922337203685477580",
    "year=abc",
    "year=2024.0",
    "year=99999999999999999999",
    "year=1900",
    "district=%27%3B+DROP+TABLE+x%3B+--",
    "district=540102%00",
    "kind=%3Cscript%3E",
    "grade=E",
    "q=%00",
    "q=" + "a" * 5000,
    "q=%25_%5C",
    "q=%3Dcmd%7C%27+%2FC+calc%27%21A0",
    "q=%ED%A0%80",  # a lone surrogate, as UTF-8
    "q=%FF%FE",  # not UTF-8 at all
    "page=1&page=x&year=&district[]=1",
]


@pytest.mark.parametrize("name", list(ROUTES))
def test_hostile_query_strings_are_a_page_or_a_clean_404(client, world, name):
    failed = []
    for query in HOSTILE:
        response = client.get(f"{public_url(world, name)}?{query}")
        if response.status_code == 404:
            ok = "页面不存在" in body_of(response)
        else:
            body_of(response)  # a streamed body is read to its end without an error
            ok = response.status_code == 200
        if not ok:
            failed.append((query[:40], response.status_code))
    assert failed == []


def test_a_bad_page_or_year_is_a_404_and_an_unknown_choice_is_ignored(client, world):
    assert client.get(reverse("public:grades"), {"page": "x"}).status_code == 404
    assert client.get(reverse("public:grades"), {"year": "x"}).status_code == 404
    ignored = client.get(reverse("public:grades"), {"district": "x", "kind": "x", "grade": "x"})
    assert len(ignored.context["object_list"]) == 3


@pytest.mark.parametrize("pk", ["0", "99999999999999999999999", "1.csv"])
def test_a_record_that_does_not_exist_is_a_clean_404(client, world, pk):
    assert client.get(f"/public/random-checks/{pk}/").status_code == 404
    assert client.get(f"/public/en/typical-cases/{pk}/").status_code == 404


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(client, world):
    formula = FacilityFactory(name='=HYPERLINK("http://x","示例")', district=District.DAMXUNG)
    CreditRatingFactory(facility=formula, year=YEAR, grade=Grade.A)
    SanctionFactory(
        termination=True,
        facility=formula,
        starts_on=world.today,
        published_on=world.today,
        decision_number="+1+1",
        legal_basis="@SUM(A1:A2)",
    )
    grades = csv_rows(client.get(reverse("public:grades-csv"), {"district": District.DAMXUNG}))
    assert grades[1][1] == '\'=HYPERLINK("http://x","示例")'
    sanctions = csv_rows(client.get(reverse("public:sanctions-csv")))
    row = next(r for r in sanctions if r[0].startswith("'="))
    assert row[6] == "'+1+1" and row[9] == "'@SUM(A1:A2)"


def test_an_english_csv_has_english_headers_and_labels(client, world, settings):
    response = client.get(reverse("public_en:grades-csv"))
    rows = csv_rows(response)
    assert rows[0][3] == "Facility type"
    assert "示例公开乙诊所" in {row[1] for row in rows}
