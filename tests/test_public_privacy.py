"""The privacy table of the public pages: a world where every private field and every
unpublished record holds a sentinel string, then every public page and download, in both
languages, must show none of them. The list of pages is checked against supervision/public/urls.py,
so a new public page cannot be left out of the table."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from supervision.choices import (
    District,
    Grade,
    InspectionStatus,
    TipChannel,
    TypicalCaseStatus,
)
from supervision.models import CreditRating, GradePublication, Hotline, Inspection, Inspector
from supervision.public import cache as public_cache
from supervision.public import urls as public_urls
from supervision.services import random_checks
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InsuredIdentityFactory,
    InsuredPersonFactory,
    PractitionerFactory,
    PractitionerIdentityFactory,
    RegistrationFactory,
    SanctionFactory,
    TipFactory,
    TipReporterFactory,
    TypicalCaseFactory,
    UserFactory,
)
from tests.test_public_pages import body_of, build_world

pytestmark = pytest.mark.django_db

# Every public route, with the record it is opened for. Checked against the URL patterns below.
PUBLIC_URLS = {
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
NAMESPACES = ["public", "public_en"]
UNPUBLISHED_YEAR = 2019


@pytest.fixture(autouse=True)
def _fresh_public_cache():
    cache.clear()
    public_cache.forget_edition()
    yield
    cache.clear()
    public_cache.forget_edition()


def build_private_world() -> tuple[object, dict[str, str]]:
    """The published world of tests.test_public_pages, plus a sentinel in every private field
    and every unpublished record; returns (world, {what: sentinel})."""
    user = UserFactory(
        username="sentinel_user_publisher", first_name="哨兵用户名", last_name="哨兵姓氏"
    )
    reviewer = UserFactory(username="sentinel_user_reviewer", first_name="哨兵审核人")
    w = build_world(user)
    s: dict[str, str] = {}

    # Inspectors of the published plan and of the case: names and badge numbers.
    for n, inspector in enumerate(Inspector.objects.order_by("pk")):
        Inspector.objects.filter(pk=inspector.pk).update(
            name=f"哨兵执法人员{n}", badge_number=f"ZF-SENTINEL-{n:03d}"
        )
        s[f"inspector name {n}"] = f"哨兵执法人员{n}"
        s[f"inspector badge {n}"] = f"ZF-SENTINEL-{n:03d}"
    s["user name"] = "sentinel_user_publisher"
    s["user first name"] = "哨兵用户名"
    s["user last name"] = "哨兵姓氏"
    s["reviewer"] = "sentinel_user_reviewer"
    s["reviewer name"] = "哨兵审核人"

    # The public facilities' private fields.
    type(w.hospital).objects.filter(pk__in=[w.hospital.pk, w.d_hospital.pk]).update(
        legal_representative="哨兵法定代表人",
        contact_phone="0891-7777777",
        address="哨兵路1号",
        note="哨兵机构备注",
    )
    s |= {
        "legal representative": "哨兵法定代表人",
        "facility phone": "0891-7777777",
        "facility address": "哨兵路1号",
        "facility note": "哨兵机构备注",
    }
    CreditRating.objects.filter(facility=w.hospital).update(basis="哨兵评价依据")
    s["rating basis"] = "哨兵评价依据"

    # People: a practitioner of a public facility, a tip's reporter, an insured person.
    practitioner = PractitionerFactory(name="哨兵医师")
    RegistrationFactory(practitioner=practitioner, facility=w.hospital)
    other = PractitionerIdentityFactory(practitioner__name="哨兵药师")
    RegistrationFactory(practitioner=other.practitioner, facility=w.d_hospital)
    s["practitioner name"] = "哨兵医师"
    s["practitioner 2 name"] = "哨兵药师"
    s["practitioner id"] = practitioner.identity.id_number
    s["practitioner 2 id"] = other.id_number
    s["practitioner masked id"] = practitioner.id_masked
    reporter = TipReporterFactory(
        tip=TipFactory(facility=w.d_hospital), name="哨兵举报人", phone="13999990001"
    )
    s["reporter name"] = "哨兵举报人"
    s["reporter phone"] = "13999990001"
    s["reporter id"] = reporter.id_number
    insured = InsuredPersonFactory(name="哨兵参保人")
    identity = InsuredIdentityFactory(person__name="哨兵参保人二")
    s["insured name"] = "哨兵参保人"
    s["insured 2 name"] = "哨兵参保人二"
    s["insured id"] = insured.identity.id_number
    s["insured 2 id"] = identity.id_number

    # Private text of published records.
    type(w.in_force).objects.filter(pk=w.in_force.pk).update(note="哨兵处理措施备注")
    s["sanction note"] = "哨兵处理措施备注"
    Inspection.objects.filter(pk=w.case.inspection_id).update(findings="哨兵检查发现")
    Inspection.objects.filter(pk__in=w.plan.targets.values("inspection_id")).update(
        findings="哨兵抽查发现"
    )
    s["case findings"] = "哨兵检查发现"
    s["random check findings"] = "哨兵抽查发现"
    type(w.case).objects.filter(pk=w.case.pk).update(review_comment="哨兵审核意见")
    s["case review comment"] = "哨兵审核意见"
    type(w.plan).objects.filter(pk=w.plan.pk).update(note="哨兵计划说明")
    s["plan note"] = "哨兵计划说明"

    # Unpublished records.
    SanctionFactory(
        suspension=True,
        facility=w.hospital,
        starts_on=w.today - datetime.timedelta(days=1),
        ends_on=w.today + datetime.timedelta(days=10),
        decision_number="哨兵未公开文号",
        legal_basis="哨兵未公开依据",
    )
    s["unpublished sanction number"] = "哨兵未公开文号"
    s["unpublished sanction basis"] = "哨兵未公开依据"
    for status, title in (
        (TypicalCaseStatus.DRAFT, "哨兵草稿案例"),
        (TypicalCaseStatus.SUBMITTED, "哨兵待审案例"),
        (TypicalCaseStatus.WITHDRAWN, "哨兵撤回案例"),
    ):
        extra = {}
        if status != TypicalCaseStatus.DRAFT:
            extra["submitted_on"] = datetime.date(2026, 4, 1)
        if status == TypicalCaseStatus.WITHDRAWN:
            extra |= {
                "published_on": datetime.date(2026, 4, 2),
                "reviewed_by": reviewer,
                "withdrawn_on": datetime.date(2026, 4, 3),
                "withdraw_reason": "哨兵撤回原因",
            }
        TypicalCaseFactory(
            title=title,
            status=status,
            inspection__facility=w.hospital,
            facts=f"{title}的案情",
            **extra,
        )
        s[f"{status} case"] = title
    s["withdraw reason"] = "哨兵撤回原因"

    # Plans not published: their pool is a district whose only facility is on no public page.
    FacilityFactory(name="哨兵未公布抽查机构", district=District.DAMXUNG)
    s["facility only in unpublished plans"] = "哨兵未公布抽查机构"
    plan_values = {
        "starts_on": datetime.date(2026, 9, 1),
        "ends_on": datetime.date(2026, 10, 31),
        "target_count": 1,
        "districts": [District.DAMXUNG],
    }
    random_checks.create_plan(user=user, name="哨兵草稿计划", **plan_values)
    drawn = random_checks.create_plan(user=user, name="哨兵已抽取计划", **plan_values)
    random_checks.draw(drawn, seed="哨兵种子甲", user=user)
    cancelled = random_checks.create_plan(user=user, name="哨兵撤销计划", **plan_values)
    cancelled = random_checks.draw(cancelled, seed="哨兵种子乙", user=user)
    random_checks.cancel(cancelled, reason="哨兵撤销原因", user=user)
    s |= {
        "draft plan": "哨兵草稿计划",
        "drawn plan": "哨兵已抽取计划",
        "drawn seed": "哨兵种子甲",
        "cancelled plan": "哨兵撤销计划",
        "cancelled seed": "哨兵种子乙",
        "cancel reason": "哨兵撤销原因",
    }

    # Grades of a year and of a category that are not published.
    CreditRatingFactory(
        facility=FacilityFactory(name="哨兵往年机构"), year=UNPUBLISHED_YEAR, grade=Grade.D
    )
    CreditRatingFactory(facility=w.hospital, year=UNPUBLISHED_YEAR, grade=Grade.C)
    s["facility of an unpublished year"] = "哨兵往年机构"
    s["unpublished year in a link"] = f"year={UNPUBLISHED_YEAR}"
    s["unpublished year in a list"] = f">{UNPUBLISHED_YEAR}<"
    pharmacy = FacilityFactory(pharmacy=True, name="哨兵未公布类别药店")
    CreditRatingFactory(facility=pharmacy, year=2024, grade=Grade.D)
    s["facility of an unpublished category"] = "哨兵未公布类别药店"
    GradePublication.objects.update(note="哨兵公布说明")
    s["publication note"] = "哨兵公布说明"

    # A channel that is not published.
    Hotline.objects.filter(channel=TipChannel.REGION_HOTLINE).update(
        contact="0891-8888888", published=False
    )
    s["unpublished hotline"] = "0891-8888888"

    # A completed check's money and the plan's inspectors' home districts are not shown either.
    Inspection.objects.filter(pk__in=w.plan.targets.values("inspection_id")).update(
        status=InspectionStatus.COMPLETED,
        end_date=datetime.date(2026, 3, 6),
        amount_involved=Decimal("987654.32"),
    )
    s["amount involved"] = "987654.32"
    s["amount involved, grouped"] = "987,654.32"
    return w, s


def test_the_table_covers_every_public_url_pattern():
    assert sorted(PUBLIC_URLS) == sorted(pattern.name for pattern in public_urls.urlpatterns)


def test_the_sentinels_are_really_in_the_database_and_the_published_world_is_on_the_pages(
    client,
):
    """The table cannot pass by accident: the private values exist where a page could read
    them, and the pages do show the public side of the same records."""
    world, sentinels = build_private_world()
    assert Inspection.objects.filter(findings="哨兵检查发现").exists()
    assert Inspector.objects.filter(name="哨兵执法人员0").exists()
    html = body_of(client.get(reverse("public:plan", args=[world.plan.pk])))
    assert world.plan.name in html and "发现问题" in html
    html = body_of(client.get(reverse("public:case", args=[world.case.pk])))
    assert world.case.title in html
    assert len(sentinels) > 40


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("name", list(PUBLIC_URLS))
def test_no_private_or_unpublished_value_is_on_any_public_page(client, name, namespace):
    world, sentinels = build_private_world()
    record = PUBLIC_URLS[name]
    args = [getattr(world, record).pk] if record else []
    url = reverse(f"{namespace}:{name}", args=args)
    # The page as it is, with a search that matches everything, and every filter at once.
    queries = [{}, {"q": "示例"}, {"grade": "D", "district": District.CHENGGUAN}]
    leaks = []
    for query in queries:
        response = client.get(url, query)
        assert response.status_code == 200, (url, query)
        body = body_of(response)
        leaks += [(what, str(query)) for what, value in sentinels.items() if value in body]
    assert leaks == []
