"""The facility registry pages: list, facility page, create/edit, grade change."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supervision import services
from supervision.choices import District, FacilityKind, Grade, ReferralStatus, SanctionKind
from supervision.models import CreditRating, Facility, RatingChange
from tests.dbstate import snapshot
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    RatingChangeFactory,
    ReferralFactory,
    SanctionFactory,
    make_credit_code,
)
from tests.pages import html_of

# Every test here uses the database, also those that take a persona by name: marked, they
# run with the other database tests, never on a database another test has flushed.
pytestmark = pytest.mark.django_db

PERSONAS = ["inspector", "supervisor", "auditor", "outsider", "superuser"]
READERS = {"inspector", "supervisor", "auditor", "superuser"}
REGISTRARS = {"supervisor", "superuser"}
# page → (needs a facility pk, who gets 200; everyone else signed in gets 403)
PAGES = {
    "facility-list": (False, READERS),
    "facility-detail": (True, READERS),
    "facility-create": (False, REGISTRARS),
    "facility-edit": (True, REGISTRARS),
    "facility-grade": (True, REGISTRARS),
}
CASES = [
    (page, persona, 200 if persona in allowed else 403)
    for page, (_, allowed) in PAGES.items()
    for persona in PERSONAS
]


def today() -> datetime.date:
    return timezone.localdate()


def page_url(name: str, facility: Facility) -> str:
    return reverse(name, args=[facility.pk] if PAGES[name][0] else [])


def signed_in(client, request, persona: str):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    return user


@pytest.fixture
def facility(db):
    return FacilityFactory(name="示例城关医院")


@pytest.mark.parametrize(("page_name", "persona", "status"), CASES)
def test_each_persona_gets_the_expected_status_on_each_page(
    client, request, facility, page_name, persona, status
):
    signed_in(client, request, persona)
    assert client.get(page_url(page_name, facility)).status_code == status


VALID = {
    "name": "示例新建诊所",
    "kind": FacilityKind.CLINIC,
    "ownership": "private",
    "district": District.DAGZE,
    "zone": "",
    "credit_code": make_credit_code(777).lower(),
    "insurance_code": "h54010400077",
    "legal_representative": "",
    "contact_phone": "",
    "address": "",
    "deposit": "20000.00",
    "designated_on": "2023-05-01",
    "note": "",
}


@pytest.mark.parametrize("persona", ["inspector", "auditor", "outsider"])
def test_the_server_refuses_writes_from_roles_without_the_permission(
    client, request, facility, persona
):
    signed_in(client, request, persona)
    before = snapshot()
    posts = [
        (reverse("facility-create"), VALID),
        (reverse("facility-edit", args=[facility.pk]), {**VALID, "name": "改名"}),
        (
            reverse("facility-grade", args=[facility.pk]),
            {"year": 2024, "grade": "A", "reason": "越权"},
        ),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403
    assert snapshot() == before


# The list ---------------------------------------------------------------------------------


def test_the_list_shows_each_facility_with_its_grade_and_agreement_status(client, auditor):
    suspended = FacilityFactory(name="示例暂停药店", pharmacy=True)
    CreditRatingFactory(facility=suspended, year=2024, grade=Grade.D)
    SanctionFactory(
        facility=suspended,
        suspension=True,
        starts_on=today() - datetime.timedelta(days=3),
        ends_on=today() + datetime.timedelta(days=30),
    )
    unrated = FacilityFactory(name="示例未评医院")
    client.force_login(auditor)
    html = html_of(client.get(reverse("facility-list")))
    row = re.search(r"示例暂停药店.*?</tr>", html, re.S).group(0)
    assert 'class="grade grade-D"' in row
    assert 'class="badge status-suspended">暂停<' in row
    row = re.search(r"示例未评医院.*?</tr>", html, re.S).group(0)
    assert "grade-none" in row and "status-active" in row
    assert unrated.get_absolute_url() in html


def field_block(html: str, field: str) -> str:
    """The markup of one form field: its label, input and messages."""
    block = html[html.index(f'id="field-{field}"') :]
    return re.split(r'id="field-|</form>', block[1:], maxsplit=1)[0]


def names_in(response) -> list[str]:
    return [f.name for f in response.context["object_list"]]


def test_the_list_filters_by_kind_district_grade_status_and_search(client, auditor):
    a = FacilityFactory(name="示例甲医院", district=District.CHENGGUAN)
    b = FacilityFactory(name="示例乙药店", pharmacy=True, district=District.DAGZE)
    c = FacilityFactory(name="示例丙保险", insurer=True, district=District.DAGZE)
    CreditRatingFactory(facility=a, year=2023, grade=Grade.A)
    CreditRatingFactory(facility=a, year=2024, grade=Grade.B)
    CreditRatingFactory(facility=b, year=2024, grade=Grade.A)
    SanctionFactory(facility=c, termination=True, starts_on=today())
    client.force_login(auditor)
    url = reverse("facility-list")
    assert names_in(client.get(url, {"kind": "pharmacy"})) == [b.name]
    assert names_in(client.get(url, {"district": District.DAGZE})) == [c.name, b.name]
    assert names_in(client.get(url, {"grade": "A"})) == [b.name]  # latest rated year
    assert names_in(client.get(url, {"year": 2023, "grade": "A"})) == [a.name]
    assert names_in(client.get(url, {"agreement_status": "terminated"})) == [c.name]
    assert names_in(client.get(url, {"q": "乙药"})) == [b.name]
    assert names_in(client.get(url, {"q": a.credit_code.lower()})) == [a.name]
    assert names_in(client.get(url, {"q": b.insurance_code[:6]})) == [b.name]


def test_a_malformed_filter_shows_its_error_and_no_rows(client, auditor, facility):
    client.force_login(auditor)
    response = client.get(reverse("facility-list"), {"year": "二〇二四"})
    assert response.status_code == 200
    assert names_in(response) == []
    assert "筛选条件有误" in html_of(response)


def test_column_headers_sort_and_toggle_the_direction(client, auditor):
    FacilityFactory(name="示例B", deposit=Decimal("1"))
    FacilityFactory(name="示例A", deposit=Decimal("2"))
    client.force_login(auditor)
    url = reverse("facility-list")
    response = client.get(url, {"kind": "hospital"})
    assert names_in(response) == ["示例A", "示例B"]
    assert 'href="?kind=hospital&amp;ordering=deposit"' in html_of(response)
    response = client.get(url, {"kind": "hospital", "ordering": "deposit"})
    assert names_in(response) == ["示例B", "示例A"]
    assert 'href="?kind=hospital&amp;ordering=-deposit" class="sorted"' in html_of(response)
    response = client.get(url, {"ordering": "-deposit"})
    assert names_in(response) == ["示例A", "示例B"]


def test_the_list_is_paginated_by_50(client, auditor):
    FacilityFactory.create_batch(51)
    client.force_login(auditor)
    first = client.get(reverse("facility-list"))
    assert len(first.context["object_list"]) == 50
    assert "共 51 条" in html_of(first)
    second = client.get(reverse("facility-list"), {"page": 2})
    assert len(second.context["object_list"]) == 1


def make_listed_facility() -> Facility:
    facility = FacilityFactory()
    CreditRatingFactory(facility=facility, year=2023)
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.C)
    SanctionFactory(
        facility=facility,
        suspension=True,
        starts_on=today(),
        ends_on=today() + datetime.timedelta(days=10),
    )
    return facility


def count_queries(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


def test_the_list_issues_the_same_queries_for_1_row_and_for_50(
    client, auditor, django_assert_num_queries
):
    client.force_login(auditor)
    make_listed_facility()
    url = reverse("facility-list")
    params = {"grade": ["C"], "agreement_status": ["suspended"], "ordering": "current_grade"}
    one = count_queries(client, url, params)
    for _ in range(49):
        make_listed_facility()
    with django_assert_num_queries(one):
        response = client.get(url, params)
    assert len(response.context["object_list"]) == 50


# The facility page ------------------------------------------------------------------------


def test_the_facility_page_shows_the_profile(client, auditor):
    facility = FacilityFactory(
        name="示例曲水诊所",
        clinic=True,
        district=District.QUXU,
        deposit=Decimal("1234567.8"),
        designated_on=datetime.date(2021, 7, 1),
    )
    client.force_login(auditor)
    html = html_of(client.get(facility.get_absolute_url()))
    for text in [
        "示例曲水诊所",
        "基层医疗机构/诊所",
        "民营",
        "曲水县",
        facility.credit_code,
        facility.insurance_code,
        "¥1,234,567.80",
        "2021-07-01",
    ]:
        assert text in html


def test_the_facility_page_names_the_suspension_behind_the_agreement_status(client, auditor):
    facility = FacilityFactory(pharmacy=True)
    start, end = today() - datetime.timedelta(days=5), today() + datetime.timedelta(days=55)
    SanctionFactory(
        facility=facility,
        suspension=True,
        starts_on=start,
        ends_on=end,
        decision_number="拉医保处〔2025〕7号",
    )
    client.force_login(auditor)
    html = html_of(client.get(facility.get_absolute_url()))
    agreement = html[html.index('id="agreement"') :]
    agreement = agreement[: agreement.index("</section>")]
    assert "status-suspended" in agreement
    assert "暂停医保服务协议" in agreement
    assert f"{start.isoformat()} 至 {end.isoformat()}" in agreement
    assert "拉医保处〔2025〕7号" in agreement


def test_an_expired_suspension_leaves_the_agreement_active(client, auditor):
    facility = FacilityFactory(pharmacy=True)
    SanctionFactory(
        facility=facility,
        suspension=True,
        starts_on=today() - datetime.timedelta(days=60),
        ends_on=today() - datetime.timedelta(days=1),
        decision_number="拉医保处〔2024〕1号",
    )
    client.force_login(auditor)
    html = html_of(client.get(facility.get_absolute_url()))
    agreement = html[html.index('id="agreement"') :]
    agreement = agreement[: agreement.index("</section>")]
    assert "status-active" in agreement
    assert "拉医保处〔2024〕1号" not in agreement


def test_the_facility_page_shows_every_grade_with_every_change(client, auditor, supervisor):
    facility = FacilityFactory()
    rating = CreditRatingFactory(facility=facility, year=2024, grade=Grade.D)
    RatingChangeFactory(rating=rating, from_grade="", to_grade="B", reason="年度评价")
    RatingChangeFactory(
        rating=rating, from_grade="B", to_grade="D", reason="伪造随货同行单", changed_by=supervisor
    )
    CreditRatingFactory(facility=facility, year=2023, grade=Grade.A)
    client.force_login(auditor)
    html = html_of(client.get(facility.get_absolute_url()))
    ratings = html[html.index('id="ratings"') : html.index('id="inspections"')]
    assert 'id="rating-2024"' in ratings and 'id="rating-2023"' in ratings
    assert "伪造随货同行单" in ratings and "年度评价" in ratings
    assert "supervisor" in ratings
    change = ratings[ratings.index("grade-B") : ratings.index("伪造随货同行单")]
    assert "grade-D" in change


def test_the_facility_page_lists_cases_with_links_and_a_merged_timeline(client, auditor):
    facility = FacilityFactory()
    inspection = InspectionFactory(facility=facility, start_date=datetime.date(2025, 3, 10))
    referral = ReferralFactory(
        inspection=InspectionFactory(
            facility=facility, completed=True, start_date=datetime.date(2025, 3, 1)
        ),
        referred_on=datetime.date(2025, 3, 20),
    )
    sanction = SanctionFactory(
        facility=facility, fine=True, decided_on=datetime.date(2025, 4, 2), decision_number="罚1"
    )
    rating = CreditRatingFactory(facility=facility, year=2024, grade=Grade.C)
    change = RatingChangeFactory(rating=rating, reason="评价结果")
    RatingChange.objects.filter(pk=change.pk).update(
        changed_at=datetime.datetime(2025, 1, 15, 10, tzinfo=datetime.UTC)
    )
    client.force_login(auditor)
    html = html_of(client.get(facility.get_absolute_url()))
    for record in (inspection, referral, sanction):
        assert record.get_absolute_url() in html
    for name in ("inspection-list", "referral-list", "sanction-list"):
        assert f"{reverse(name)}?facility={facility.pk}" in html
    timeline = html[html.index('id="timeline"') :]
    days = re.findall(r'<span class="when">(\d{4}-\d{2}-\d{2})</span>', timeline)
    assert days == ["2025-04-02", "2025-03-20", "2025-03-10", "2025-03-01", "2025-01-15"]


def test_the_timeline_stops_where_a_cut_list_stops(client, auditor):
    facility = FacilityFactory()
    for day in range(1, 13):  # 12 inspections: the page shows the latest 10
        InspectionFactory(facility=facility, start_date=datetime.date(2025, 5, day))
    SanctionFactory(facility=facility, decided_on=datetime.date(2025, 5, 2), decision_number="旧")
    SanctionFactory(facility=facility, decided_on=datetime.date(2025, 5, 4), decision_number="新")
    client.force_login(auditor)
    response = client.get(facility.get_absolute_url())
    assert response.context["more_inspections"]
    days = [e.day for e in response.context["timeline"]]
    assert min(days) == datetime.date(2025, 5, 3)
    assert "只显示 2025-05-03 以来的记录" in html_of(response)


def load_facility(n: int) -> Facility:
    facility = FacilityFactory()
    inspectors = InspectorFactory.create_batch(2)
    for i in range(n):
        rating = CreditRatingFactory(facility=facility, year=2018 + i, grade=Grade.B)
        RatingChangeFactory(rating=rating)
        inspection = InspectionFactory(
            facility=facility,
            completed=True,
            start_date=datetime.date(2024, 1, 1) + datetime.timedelta(days=i),
            end_date=datetime.date(2024, 2, 1),
            inspectors=inspectors,
        )
        ReferralFactory(inspection=inspection, referred_on=datetime.date(2024, 2, 1))
        SanctionFactory(facility=facility, fine=True)
    SanctionFactory(
        facility=facility,
        suspension=True,
        starts_on=today(),
        ends_on=today() + datetime.timedelta(days=9),
    )
    return facility


@pytest.mark.parametrize("persona", ["auditor", "supervisor"])
def test_the_facility_page_issues_the_same_queries_for_1_record_and_for_many(
    client, request, persona
):
    signed_in(client, request, persona)
    small = count_queries(client, load_facility(1).get_absolute_url())
    large = count_queries(client, load_facility(15).get_absolute_url())
    assert small == large


def test_hostile_text_comes_back_as_text(client, auditor):
    facility = FacilityFactory(
        name='<script>alert("x")</script>',
        address="'; DROP TABLE supervision_facility; --",
        note='=HYPERLINK("http://evil","点我")',
    )
    client.force_login(auditor)
    for url in (facility.get_absolute_url(), reverse("facility-list")):
        html = html_of(client.get(url))
        assert '<script>alert("x")</script>' not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    html = html_of(client.get(facility.get_absolute_url()))
    assert "&#x27;; DROP TABLE supervision_facility; --" in html
    assert Facility.objects.filter(pk=facility.pk).exists()


# Actions by role --------------------------------------------------------------------------

ACTIONS = {
    "facility-edit": "编辑机构信息",
    "facility-grade": "调整信用等级",
    "inspection-create": "登记检查",
    "sanction-create": "登记处理措施",
}
SHOWN = {
    "inspector": {"inspection-create"},
    "supervisor": set(ACTIONS),
    "auditor": set(),
    "superuser": set(ACTIONS),
}


@pytest.mark.parametrize("persona", SHOWN)
def test_the_facility_page_offers_only_the_actions_the_role_allows(
    client, request, facility, persona
):
    signed_in(client, request, persona)
    html = html_of(client.get(facility.get_absolute_url()))
    for name, label in ACTIONS.items():
        if name.endswith("-create"):
            href = f"{reverse(name)}?facility={facility.pk}"
        else:
            href = reverse(name, args=[facility.pk])
        assert (href in html) == (name in SHOWN[persona]), name
        assert (label in html) == (name in SHOWN[persona]), label


def test_the_list_offers_registration_only_to_registrars(client, inspector, supervisor):
    create = reverse("facility-create")
    client.force_login(inspector)
    assert create not in html_of(client.get(reverse("facility-list")))
    client.force_login(supervisor)
    assert create in html_of(client.get(reverse("facility-list")))


# Create and edit --------------------------------------------------------------------------


def test_a_supervisor_registers_a_facility_with_codes_in_upper_case(client, supervisor):
    client.force_login(supervisor)
    response = client.post(reverse("facility-create"), VALID)
    facility = Facility.objects.get(name="示例新建诊所")
    assert response.url == facility.get_absolute_url()
    assert facility.credit_code == VALID["credit_code"].upper()
    assert facility.insurance_code == "H54010400077"
    assert facility.history.get().history_user == supervisor
    assert "机构已登记" in html_of(client.get(response.url))


REFUSALS = [
    ({"credit_code": make_credit_code(5)[:-1] + "0"}, "credit_code", "校验位不正确"),
    ({"credit_code": "91540102MA6T1234"}, "credit_code", "应为18位"),
    ({"insurance_code": "P54010400077"}, "insurance_code", "应以H开头"),
    ({"insurance_code": "H99999900077"}, "insurance_code", "行政区划代码"),
    ({"kind": "insurer"}, "insurance_code", "商业保险公司没有医保定点编码"),
    ({"insurance_code": ""}, "insurance_code", "必须填写医保定点编码"),
    ({"name": ""}, "name", "该字段是必填项"),
    ({"name": "医" * 201}, "name", "不超过 200 字符"),
    ({"note": "注" * 2001}, "note", "不超过 2000 字符"),
    ({"deposit": "-1"}, "deposit", "大于或等于0"),
    ({"district": "110101"}, "district", "不在可用的选项中"),
    ({"designated_on": "2023-13-01"}, "designated_on", "有效的日期"),
]


@pytest.mark.parametrize(("change", "field", "message"), REFUSALS)
def test_a_refused_registration_saves_nothing_and_says_why_next_to_the_field(
    client, supervisor, change, field, message
):
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(reverse("facility-create"), {**VALID, **change})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]), errors
    assert message in field_block(html_of(response), field)
    assert snapshot() == before


def test_a_credit_code_in_use_is_refused(client, supervisor, facility):
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("facility-create"), {**VALID, "credit_code": facility.credit_code.lower()}
    )
    assert "已存在" in " ".join(response.context["form"].errors["credit_code"])
    assert snapshot() == before


def test_hostile_input_is_stored_as_typed(client, supervisor):
    client.force_login(supervisor)
    name = "<img src=x onerror=alert(1)>'); DELETE FROM auth_user; --"
    client.post(reverse("facility-create"), {**VALID, "name": name})
    facility = Facility.objects.get(name=name)
    html = html_of(client.get(facility.get_absolute_url()))
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_an_edit_is_saved_with_the_editor_and_reason_in_the_history(client, supervisor, facility):
    client.force_login(supervisor)
    form = client.get(reverse("facility-edit", args=[facility.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if k in VALID and v is not None}
    data["version"] = form["version"].value()
    data.update(name="示例城关医院（新址）", address="城关区示例路1号", change_reason="迁址")
    response = client.post(reverse("facility-edit", args=[facility.pk]), data)
    assert response.url == facility.get_absolute_url()
    facility.refresh_from_db()
    assert facility.name == "示例城关医院（新址）"
    latest = facility.history.first()
    assert latest.history_user == supervisor
    assert latest.history_change_reason == "迁址"
    html = html_of(client.get(facility.get_absolute_url()))
    history = html[html.index('id="history"') :]
    assert "迁址" in history and "示例城关医院（新址）" in history


def test_an_edit_that_breaks_the_kind_rule_is_refused(client, supervisor, facility):
    client.force_login(supervisor)
    before = snapshot()
    form = client.get(reverse("facility-edit", args=[facility.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if k in VALID and v is not None}
    data["version"] = form["version"].value()
    data["kind"] = FacilityKind.PHARMACY
    response = client.post(reverse("facility-edit", args=[facility.pk]), data)
    assert "零售药店的医保定点编码应以P开头" in " ".join(
        response.context["form"].errors["insurance_code"]
    )
    assert snapshot() == before


def test_editing_a_facility_that_does_not_exist_is_a_404(client, supervisor):
    client.force_login(supervisor)
    assert client.get(reverse("facility-edit", args=[999999])).status_code == 404
    assert client.get(reverse("facility-detail", args=[999999])).status_code == 404


# The grade --------------------------------------------------------------------------------


def test_the_grade_form_shows_the_current_grade_and_offers_the_latest_rated_year(
    client, supervisor, facility
):
    CreditRatingFactory(facility=facility, year=2023, grade=Grade.C)
    CreditRatingFactory(year=2024)  # another facility: 2024 is the latest rated year
    client.force_login(supervisor)
    response = client.get(reverse("facility-grade", args=[facility.pk]))
    assert response.context["form"].initial["year"] == 2024
    html = html_of(response)
    current = html[html.index('class="current-grade"') :]
    assert "grade-C" in current[: current.index("</p>")]


def test_with_nothing_rated_the_grade_form_offers_last_year(client, supervisor, facility):
    client.force_login(supervisor)
    response = client.get(reverse("facility-grade", args=[facility.pk]))
    assert response.context["form"].initial["year"] == today().year - 1


def test_a_grade_change_writes_one_rating_change_shown_on_the_facility_page(
    client, supervisor, facility
):
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.B)
    client.force_login(supervisor)
    response = client.post(
        reverse("facility-grade", args=[facility.pk]),
        {
            "year": 2024,
            "grade": "D",
            "reason": "飞行检查发现伪造随货同行单",
            "confirm_downgrade": "on",
        },
    )
    assert response.url == facility.get_absolute_url() + "#ratings"
    change = RatingChange.objects.get()
    assert (change.from_grade, change.to_grade) == ("B", "D")
    assert change.changed_by == supervisor
    assert change.reason == "飞行检查发现伪造随货同行单"
    assert CreditRating.objects.get(facility=facility, year=2024).grade == "D"
    page = client.get(facility.get_absolute_url())
    html = html_of(page)
    assert "信用等级已保存" in html
    ratings = html[html.index('id="ratings"') : html.index('id="inspections"')]
    assert "飞行检查发现伪造随货同行单" in ratings
    timeline = html[html.index('id="timeline"') :]
    assert "飞行检查发现伪造随货同行单" in timeline and "supervisor" in timeline
    assert [e.record for e in page.context["timeline"] if e.type == "rating"] == [change]


def test_a_first_grade_creates_the_rating(client, supervisor, facility):
    client.force_login(supervisor)
    client.post(
        reverse("facility-grade", args=[facility.pk]),
        {"year": 2024, "grade": "A", "reason": "年度信用评价"},
    )
    rating = CreditRating.objects.get(facility=facility)
    assert (rating.year, rating.grade) == (2024, "A")
    assert rating.changes.get().from_grade == ""


def seen_on_the_form(client, facility) -> str:
    response = client.get(reverse("facility-grade", args=[facility.pk]))
    return response.context["form"].initial["seen"]


def test_the_grade_form_carries_the_versions_of_the_ratings_it_shows(client, supervisor, facility):
    r2023 = CreditRatingFactory(facility=facility, year=2023, grade=Grade.C)
    r2024 = CreditRatingFactory(facility=facility, year=2024, grade=Grade.B)
    client.force_login(supervisor)
    html = html_of(client.get(reverse("facility-grade", args=[facility.pk])))
    seen = f"seen:2024={r2024.version},2023={r2023.version}"
    assert f'name="seen" value="{seen}"' in html


def test_a_grade_changed_by_someone_else_since_the_form_was_shown_is_not_overwritten(
    client, supervisor, facility
):
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.B)
    client.force_login(supervisor)
    seen = seen_on_the_form(client, facility)
    services.set_grade(
        facility=facility, year=2024, grade=Grade.C, reason="另一位同事复核", user=supervisor
    )
    before = snapshot()
    response = client.post(
        reverse("facility-grade", args=[facility.pk]),
        {"year": 2024, "grade": "D", "reason": "飞行检查", "seen": seen, "confirm_downgrade": "on"},
    )
    assert response.status_code == 409
    html = html_of(response)
    assert "在您打开之后，该记录已被修改" in html and "另一位同事复核" in html
    assert "飞行检查" in html  # the user's input stays on the page
    assert snapshot() == before
    assert CreditRating.objects.get(facility=facility, year=2024).grade == "C"


def test_a_first_grade_set_by_someone_else_since_the_form_was_shown_is_not_overwritten(
    client, supervisor, facility
):
    client.force_login(supervisor)
    seen = seen_on_the_form(client, facility)
    assert seen == "seen:"
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.A)
    response = client.post(
        reverse("facility-grade", args=[facility.pk]),
        {"year": 2024, "grade": "D", "reason": "首次评价", "seen": seen, "confirm_downgrade": "on"},
    )
    assert response.status_code == 409
    assert CreditRating.objects.get(facility=facility, year=2024).grade == "A"
    assert not RatingChange.objects.filter(to_grade="D").exists()


def test_a_grade_change_on_the_versions_seen_is_saved(client, supervisor, facility):
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.B)
    client.force_login(supervisor)
    response = client.post(
        reverse("facility-grade", args=[facility.pk]),
        {
            "year": 2024,
            "grade": "A",
            "reason": "复评后上调",
            "seen": seen_on_the_form(client, facility),
        },
    )
    assert response.status_code == 302
    assert CreditRating.objects.get(facility=facility, year=2024).grade == "A"


@pytest.mark.parametrize(
    "seen",
    ["2024=1", "seen:2024=x", "seen:2024=1;DROP TABLE", "<script>", "seen:" + "2024=1," * 60],
)
def test_a_tampered_seen_field_is_refused_and_saves_nothing(client, supervisor, facility, seen):
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.B)
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(
        reverse("facility-grade", args=[facility.pk]),
        {"year": 2024, "grade": "A", "reason": "复评", "seen": seen},
    )
    assert response.status_code == 200
    assert "页面数据有误" in html_of(response)
    assert snapshot() == before


GRADE_REFUSALS = [
    ({"reason": ""}, "reason", "该字段是必填项"),
    ({"reason": "   "}, "reason", "该字段是必填项"),
    ({"reason": "理" * 1001}, "reason", "不超过 1000 字符"),
    ({"grade": "B"}, "grade", "已是B级，无需调整"),
    ({"grade": "E"}, "grade", "不在可用的选项中"),
    ({"year": "2017"}, "year", "大于或等于2018"),
    ({"year": "next"}, "year", "输入整数"),
]


@pytest.mark.parametrize(("change", "field", "message"), GRADE_REFUSALS)
def test_a_refused_grade_change_saves_nothing_and_says_why(
    client, supervisor, facility, change, field, message
):
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.B)
    client.force_login(supervisor)
    before = snapshot()
    data = {"year": 2024, "grade": "C", "reason": "复评后调整", **change}
    response = client.post(reverse("facility-grade", args=[facility.pk]), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert message in field_block(html_of(response), field)
    assert snapshot() == before


def test_a_grade_for_a_year_that_has_not_begun_is_refused_by_the_service(
    client, supervisor, facility
):
    client.force_login(supervisor)
    before = snapshot()
    next_year = today().year + 1
    response = client.post(
        reverse("facility-grade", args=[facility.pk]),
        {"year": next_year, "grade": "A", "reason": "提前评价"},
    )
    assert f"不能评价尚未开始的年度（{next_year}）" in " ".join(
        response.context["form"].errors["year"]
    )
    assert snapshot() == before


def test_referral_and_sanction_choices_are_not_compared_to_bare_strings():
    # The page compares sanction kinds and referral statuses by value; keep them stable.
    assert SanctionKind.SUSPENSION == "suspension"
    assert ReferralStatus.REFERRED == "referred"


def test_years_and_record_numbers_are_not_digit_grouped_in_english(client, supervisor):
    facility = FacilityFactory(pk=12345, deposit=Decimal("1234567"))
    CreditRatingFactory(facility=facility, year=2024)
    client.force_login(supervisor)
    client.cookies["django_language"] = "en"
    for url in (
        reverse("dashboard"),
        reverse("facility-list"),
        facility.get_absolute_url(),
        reverse("facility-grade", args=[facility.pk]),
    ):
        html = html_of(client.get(url))
        assert "2,024" not in html and "12,345" not in html, url
    assert "¥1,234,567.00" in html_of(client.get(facility.get_absolute_url()))
