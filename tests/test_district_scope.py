"""District scope: an account limited to 城关区 sees, exports and changes only 城关区's records, on
every page, endpoint and admin page; an unlimited account sees every district.

The cases are generated from the URL patterns (pages, the API router, the admin): a new page or
endpoint on a district-bound record is checked without anyone adding it here, and one whose model
the test cannot tell fails until it is named in EXPLICIT_MODELS.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.contrib.admin import site
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.viewsets import ViewSetMixin

from supervision import services
from supervision.choices import District, Grade, IndicatorMethod, InspectionStatus
from supervision.models import (
    Assessment,
    AssessmentItem,
    CreditInstitution,
    CreditRating,
    CreditRepair,
    Dimension,
    EvaluationCycle,
    Evidence,
    Facility,
    GradePublication,
    Indicator,
    Inspection,
    InsuredPerson,
    IssuedDocument,
    Objection,
    PlannedCheck,
    RandomCheckAssignment,
    RandomCheckPlan,
    RandomCheckTarget,
    RatingChange,
    Rectification,
    Referral,
    Sanction,
    Tip,
    TipReward,
    TypicalCase,
    UserDistrict,
)
from supervision.roles import SUPERVISOR
from supervision.scoping import check_in_scope, district_path, scoped_queryset
from supervision.views.base import RecordListView
from tests.api import client_for, if_match_for
from tests.factories import (
    AssessmentFactory,
    CreditInstitutionFactory,
    CreditRatingFactory,
    EvidenceFactory,
    FacilityFactory,
    GradePublicationFactory,
    InspectionFactory,
    InspectorFactory,
    InsuredPersonFactory,
    IssuedDocumentFactory,
    ObjectionFactory,
    RandomCheckPlanFactory,
    RatingChangeFactory,
    RectificationFactory,
    ReferralFactory,
    SanctionFactory,
    TipFactory,
    TipReporterFactory,
    TipRewardFactory,
    TypicalCaseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MINE = District.CHENGGUAN  # 540102
OTHER = District.DAGZE  # 540104
MISSING_ID = 987654321

# Views whose model the test cannot read from the view itself.
# The cycle's page lists its assessments but is the page of the cycle (bureau-wide, no district).
EXPLICIT_MODELS: dict[str, type[Model]] = {
    "evidence-download": Evidence,
    "evaluationcycle-detail": EvaluationCycle,
}
RECORD_KWARGS = {"pk", "object_id"}
# Other parts of a record's URL: the document a record's page previews and issues.
OTHER_KWARGS = {
    "inspection-document-preview": {"kind": "inspection_record"},
    "inspection-document-issue": {"kind": "inspection_record"},
    "referral-document-preview": {"kind": "referral_letter"},
    "referral-document-issue": {"kind": "referral_letter"},
    "sanction-document-preview": {"kind": "decision"},
    "sanction-document-issue": {"kind": "decision"},
}
# The public site (信息公开) has no accounts: it shows what the bureau published to anyone, the
# same whoever asks, so no district scope applies to it (tests/test_public_*.py check that it
# shows nothing unpublished).
PUBLIC_NAMESPACES = ("public:", "public_en:")


# --- the URL patterns ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One named URL pattern: where it lives, its model, how it is reached."""

    name: str  # with namespaces, for reverse()
    # Positional groups (simple_history's version page) count as "pk", "version_id".
    kwargs: frozenset[str]
    kind: str  # page, api, admin
    model: type[Model] | None
    methods: tuple[str, ...]
    callback: object

    @property
    def id(self) -> str:
        return self.name


def _model_of(name: str, callback) -> tuple[str, type[Model] | None, tuple[str, ...]]:
    if name.split(":")[-1] in EXPLICIT_MODELS:
        return "page", EXPLICIT_MODELS[name.split(":")[-1]], ("get",)
    admin = getattr(callback, "model_admin", None)
    if admin is not None:
        return "admin", admin.model, ("get", "post")
    if name.startswith("admin:"):
        # A view a ModelAdmin adds itself (simple_history's version page): named after its model.
        for model in site._registry:
            if name.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_"):
                return "admin", model, ("get", "post")
    cls = getattr(callback, "cls", None)
    if cls is not None and issubclass(cls, ViewSetMixin):
        queryset = getattr(cls, "queryset", None)
        methods = tuple(getattr(callback, "actions", {}) or ())
        return "api", (queryset.model if queryset is not None else None), methods
    view = getattr(callback, "view_class", None)
    if view is not None:
        model = (
            getattr(view, "object_model", None)
            or getattr(view, "model", None)
            # One view class serving several models: as_view(model=...).
            or getattr(callback, "view_initkwargs", {}).get("model")
        )
        return "page", model, ("get", "post")
    return "other", None, ("get",)


def _walk(patterns, namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name, pattern


def routes() -> list[Route]:
    found: dict[str, Route] = {}
    for name, pattern in _walk(get_resolver().url_patterns):
        if name.startswith(PUBLIC_NAMESPACES):
            continue
        regex = pattern.pattern.regex
        kwargs = frozenset(regex.groupindex) - {"format"}
        if regex.groups and not regex.groupindex:
            kwargs = frozenset(["pk", "version_id"][: regex.groups])
        kind, model, methods = _model_of(name, pattern.callback)
        if name.endswith("-list") and kind == "api" and name in found:
            continue
        found.setdefault(name, Route(name, kwargs, kind, model, methods, pattern.callback))
    return list(found.values())


def district_bound(model: type[Model] | None) -> bool:
    return (
        model is not None and model._meta.app_label == "supervision" and bool(district_path(model))
    )


ROUTES = routes()
# The admin's own record pages of district-bound models (not those of other apps' models, nor
# the site-wide "view on site" redirect to a staff page, which is checked as that page).
# Records of the bureau as a whole (a year's evaluation cycle, an indicator system, a category)
# have no district: every account that may read them reads them all.
RECORD_ROUTES = [
    r
    for r in ROUTES
    if r.kwargs & RECORD_KWARGS
    and (
        district_bound(r.model)
        if r.name.startswith("admin:")
        else r.model is None or district_bound(r.model)
    )
]
ADMIN_LISTS = [r for r in ROUTES if r.name.endswith("_changelist") and district_bound(r.model)]
API_LISTS = [
    r
    for r in ROUTES
    if r.kind == "api" and "get" in r.methods and not r.kwargs and district_bound(r.model)
]


def _is_list_view(callback) -> bool:
    view = getattr(callback, "view_class", None)
    return view is not None and issubclass(view, RecordListView)


_PAGE_LISTS = [r for r in ROUTES if r.kind == "page" and _is_list_view(r.callback) and not r.kwargs]
PAGE_LISTS = [r for r in _PAGE_LISTS if district_bound(r.model)]
# Lists of records the whole bureau shares (a random-check plan covers several districts, grade
# publications are per category): every account that may read them reads them all.
SHARED_LISTS = [r for r in _PAGE_LISTS if not district_bound(r.model)]


def test_the_generated_cases_cover_pages_api_and_admin():
    kinds = {r.kind for r in RECORD_ROUTES}
    assert {"page", "api", "admin"} <= kinds
    assert {r.model for r in PAGE_LISTS} >= {Facility, Inspection, Referral, Sanction}
    assert {r.model for r in PAGE_LISTS} >= {TypicalCase}
    assert {r.model for r in SHARED_LISTS} >= {RandomCheckPlan, GradePublication}
    assert {r.model for r in ADMIN_LISTS} >= {Facility, CreditRating, RatingChange, Inspection}
    assert len(API_LISTS) >= 6
    unknown = [r.name for r in RECORD_ROUTES if r.model is None]
    assert not unknown, f"name the model of {unknown} in EXPLICIT_MODELS"


# --- two districts of records -----------------------------------------------------------------


def case_file(district: str, tag: str) -> SimpleNamespace:
    """A facility of district with one record of every kind, each named with tag."""
    facility = FacilityFactory(name=f"示例{tag}医院", district=district)
    rating = CreditRatingFactory(facility=facility, year=2024, grade=Grade.B)
    change = RatingChangeFactory(rating=rating, reason=f"{tag}评级")
    inspection = InspectionFactory(
        facility=facility,
        status=InspectionStatus.IN_PROGRESS,
        inspectors=InspectorFactory.create_batch(2),
        findings=f"{tag}检查发现",
    )
    completed = InspectionFactory(facility=facility, completed=True)
    referral = ReferralFactory(inspection=completed, summary=f"{tag}移送")
    sanction = SanctionFactory(facility=facility, note=f"{tag}约谈")
    evidence = EvidenceFactory(inspection=inspection, description=f"{tag}证据")
    tip = TipFactory(facility=facility, concluded=True, allegation=f"{tag}举报")
    TipReporterFactory(tip=tip)
    reward = TipRewardFactory(tip=tip, note=f"{tag}奖励")
    # Credit management: the facility's assessment and an objection against it, a repair of an
    # older D grade, a planned check, and the registries' subjects of the same district.
    assessment = AssessmentFactory(facility=facility, subject_name=f"{tag}评价对象")
    objection = ObjectionFactory(assessment=assessment, grounds=f"{tag}异议")
    system = assessment.cycle.system
    dimension, _ = Dimension.objects.get_or_create(
        system=system, name="基础管理", defaults={"full_points": 1000}
    )
    indicator, _ = Indicator.objects.get_or_create(
        system=system,
        code="1.1",
        defaults={
            "dimension": dimension,
            "name": "内部管理制度",
            "method": IndicatorMethod.MANUAL,
            "full_points": 1000,
        },
    )
    item = AssessmentItem.objects.create(
        assessment=assessment, indicator=indicator, points=10, note=f"{tag}评分"
    )
    old_d = CreditRatingFactory(
        facility=facility, year=2023, grade=Grade.D, rated_on=datetime.date(2024, 1, 10)
    )
    repair = CreditRepair.objects.create(
        rating=old_d,
        applied_on=datetime.date(2025, 1, 10),
        eligible_from=datetime.date(2024, 7, 10),
        rectification=f"{tag}整改",
        from_grade=Grade.D,
    )
    planned = PlannedCheck.objects.create(
        year=2025,
        facility=facility,
        grade=Grade.B,
        grade_year=2024,
        sequence=1,
        due_on=datetime.date(2025, 12, 31),
    )
    institution = CreditInstitutionFactory(name=f"示例{tag}企业", district=district)
    person = InsuredPersonFactory(name=f"{tag}参保人", district=district)
    # Practitioners: a person registered with the facility, points scored on its inspection.
    from supervision.models import PointsRecord, Practitioner, QualificationMeasure, Registration
    from supervision.services import practitioners as practitioner_service
    from tests.factories import PractitionerFactory, RegistrationFactory

    practitioner = PractitionerFactory(name=f"{tag}医师", district=district)
    registration = RegistrationFactory(
        practitioner=practitioner, facility=facility, department=f"{tag}科室"
    )
    completed.violations.set(["ghost_admission"])
    points = practitioner_service.score_points(
        user=None,
        inspection=completed,
        practitioner=practitioner,
        violation="ghost_admission",
        responsibility="main",
        points=9,  # a suspension: a QualificationMeasure of the district too
        basis=f"{tag}记分依据",
        decision_number=f"{tag}记分决定",
        decided_on=datetime.date(2025, 3, 20),
    )
    # Publication: a typical case written from the completed inspection; a random-check plan of
    # the district drawn (its targets and their inspectors are the district's), and a grade
    # publication (the bureau's, of no district).
    from supervision.services import random_checks

    case = TypicalCaseFactory(inspection=completed, title=f"{tag}典型案例")
    # A rectification order on the completed inspection's findings (责令整改).
    rectification = RectificationFactory(inspection=completed, requirement=f"{tag}整改要求")
    plan = random_checks.draw(
        RandomCheckPlanFactory(
            name=f"{district}批次抽查", districts=[district], target_count=None, target_share=100
        ),
        seed=f"{district}-8 15 23 42",
        user=None,
    )
    target = RandomCheckTarget.objects.get(plan=plan, facility=facility)
    GradePublicationFactory(year=2024 if district == MINE else 2023)
    return SimpleNamespace(
        facility=facility,
        rating=rating,
        plan=plan,
        change=change,
        inspection=inspection,
        referral=referral,
        sanction=sanction,
        evidence=evidence,
        records={
            Facility: facility,
            CreditRating: rating,
            RatingChange: change,
            Inspection: inspection,
            Referral: referral,
            Sanction: sanction,
            Evidence: evidence,
            Tip: tip,
            TipReward: reward,
            Assessment: assessment,
            AssessmentItem: item,
            Objection: objection,
            CreditRepair: repair,
            PlannedCheck: planned,
            CreditInstitution: institution,
            InsuredPerson: person,
            Practitioner: practitioner,
            Registration: registration,
            PointsRecord: points,
            QualificationMeasure: QualificationMeasure.objects.get(points_record=points),
            TypicalCase: case,
            Rectification: rectification,
            RandomCheckTarget: target,
            RandomCheckAssignment: target.assignments.first(),
            IssuedDocument: IssuedDocumentFactory(inspection=inspection),
        },
    )


# What the records of each district are named with: a record of the other district shows
# wherever this text does.
MINE_TAG = "甲记录"
OTHER_TAG = "乙记录"


@pytest.fixture
def mine(db):
    return case_file(MINE, MINE_TAG)


@pytest.fixture
def other(db):
    return case_file(OTHER, OTHER_TAG)


def text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.fixture
def limited(db):
    """A supervisor (every case permission) limited to 城关区."""
    user = UserFactory(username="chengguan", role=SUPERVISOR)
    UserDistrict.objects.create(user=user, district=MINE)
    return user


@pytest.fixture
def unlimited(db):
    return UserFactory(username="citywide", role=SUPERVISOR)


def url_for(route: Route, record: Model | int) -> str:
    pk = record if isinstance(record, int) else record.pk
    kwargs = {name: pk for name in route.kwargs & RECORD_KWARGS}
    if "version_id" in route.kwargs:
        version = MISSING_ID
        if not isinstance(record, int):
            version = record.history.values_list("history_id", flat=True).first()
        # positional: the record's id, then one of its versions
        return reverse(route.name, args=[pk, version])
    return reverse(route.name, kwargs={**kwargs, **OTHER_KWARGS.get(route.name, {})})


def ask(client, method: str, url: str):
    if method == "get":
        return client.get(url, follow=True)
    if method in ("put", "patch"):
        return getattr(client, method)(url, {}, format="json")
    if method == "delete":
        return client.delete(url)
    return (
        client.post(url, {}, follow=True)
        if not url.startswith("/api/")
        else client.post(url, {}, format="json")
    )


def client_of(route: Route, client, user):
    if route.kind == "api":
        return client_for(user)
    client.force_login(user)
    return client


# --- every record URL: a record of another district is a 404, like one that does not exist ----


@pytest.mark.parametrize("route", RECORD_ROUTES, ids=lambda r: r.id)
def test_a_limited_account_cannot_open_or_change_a_record_of_another_district(
    client, limited, mine, other, route
):
    client = client_of(route, client, limited)
    record = other.records[route.model]
    before = {model: model._base_manager.count() for model in other.records}
    for method in route.methods:
        guessed = ask(client, method, url_for(route, record))
        missing = ask(client, method, url_for(route, MISSING_ID))
        assert guessed.status_code == missing.status_code, (method, guessed.status_code)
        assert guessed.status_code in (403, 404, 405), (method, guessed.status_code)
        assert OTHER_TAG not in text(guessed), method
    assert {model: model._base_manager.count() for model in other.records} == before


@pytest.mark.parametrize(
    "route", [r for r in RECORD_ROUTES if "get" in r.methods], ids=lambda r: r.id
)
def test_the_same_url_works_for_a_record_of_the_accounts_own_district(
    client, limited, mine, other, route
):
    client = client_of(route, client, limited)
    response = ask(client, "get", url_for(route, mine.records[route.model]))
    # 200, or what the page does for anyone (an action page of a done step, a POST-only URL)
    assert response.status_code in (200, 403, 405), response.status_code
    assert OTHER_TAG not in text(response)


@pytest.mark.parametrize(
    "route",
    [r for r in RECORD_ROUTES if "get" in r.methods and r.kind != "other"],
    ids=lambda r: r.id,
)
def test_an_unlimited_account_opens_records_of_every_district(
    client, unlimited, mine, other, route
):
    client = client_of(route, client, unlimited)
    response = ask(client, "get", url_for(route, other.records[route.model]))
    assert response.status_code in (200, 403, 405), response.status_code


# --- lists, exports, the API's lists, the admin's changelists --------------------------------


@pytest.mark.parametrize("route", PAGE_LISTS, ids=lambda r: r.id)
def test_a_limited_accounts_lists_and_exports_show_its_district_only(
    client, limited, mine, other, route
):
    client.force_login(limited)
    url = reverse(route.name)
    page = client.get(url).content.decode()
    assert OTHER_TAG not in page
    assert MINE_TAG in page
    exported = client.get(url, {"export": "csv"})
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(text(exported).removeprefix("\ufeff"))))
    assert len(rows) > 1
    assert not any(OTHER_TAG in cell for row in rows for cell in row)
    assert any(MINE_TAG in cell for row in rows for cell in row)
    assert client.get(url, {"export": "xlsx"}).status_code == 200


@pytest.mark.parametrize("route", PAGE_LISTS, ids=lambda r: r.id)
def test_an_unlimited_accounts_lists_show_every_district(client, unlimited, mine, other, route):
    client.force_login(unlimited)
    page = client.get(reverse(route.name)).content.decode()
    assert OTHER_TAG in page and MINE_TAG in page


@pytest.mark.parametrize("route", SHARED_LISTS, ids=lambda r: r.id)
def test_a_limited_account_lists_and_exports_the_shared_records_of_every_district(
    client, limited, unlimited, mine, other, route
):
    url = reverse(route.name)
    seen, exports = [], []
    for user in (limited, unlimited):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        seen.append(list(response.context["object_list"]))
        exported = client.get(url, {"export": "csv"})
        assert exported.status_code == 200
        exports.append(text(exported))
    assert len(seen[0]) >= 2
    assert seen[0] == seen[1]
    assert exports[0] == exports[1]
    if route.model is RandomCheckPlan:
        assert {mine.plan, other.plan} <= set(seen[0])


def test_a_shared_plan_shows_a_limited_account_the_targets_of_its_district_only(
    client, limited, unlimited, mine, other
):
    client.force_login(limited)
    assert OTHER_TAG not in text(client.get(other.plan.get_absolute_url()))
    page = text(client.get(mine.plan.get_absolute_url()))
    assert MINE_TAG in page and OTHER_TAG not in page
    client.force_login(unlimited)
    assert OTHER_TAG in text(client.get(other.plan.get_absolute_url()))


def _api_ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("route", API_LISTS, ids=lambda r: r.id)
def test_a_limited_accounts_api_lists_hold_its_district_only(
    limited, unlimited, mine, other, route
):
    model = route.model
    url = reverse(route.name)
    seen = _api_ids(client_for(limited).get(url))
    assert mine.records[model].pk in seen
    assert other.records[model].pk not in seen
    everything = _api_ids(client_for(unlimited).get(url))
    assert {mine.records[model].pk, other.records[model].pk} <= everything


@pytest.mark.parametrize("route", ADMIN_LISTS, ids=lambda r: r.id)
def test_a_limited_accounts_admin_changelists_hold_its_district_only(
    client, limited, unlimited, mine, other, route
):
    client.force_login(limited)
    shown = set(client.get(reverse(route.name)).context["cl"].result_list)
    assert mine.records[route.model] in shown
    assert other.records[route.model] not in shown
    client.force_login(unlimited)
    shown = set(client.get(reverse(route.name)).context["cl"].result_list)
    assert {mine.records[route.model], other.records[route.model]} <= shown


@pytest.mark.parametrize(
    ("model_name", "field_name"),
    [
        ("sanction", "facility"),
        ("sanction", "inspection"),
        ("sanction", "rating"),
        ("referral", "inspection"),
        ("creditrating", "facility"),
    ],
)
def test_the_admin_autocomplete_offers_records_of_the_accounts_districts_only(
    client, limited, mine, other, model_name, field_name
):
    client.force_login(limited)
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "supervision", "model_name": model_name, "field_name": field_name},
    )
    assert response.status_code == 200
    ids = {int(row["id"]) for row in response.json()["results"]}
    target = {"facility": Facility, "inspection": Inspection, "rating": CreditRating}[field_name]
    assert other.records[target].pk not in ids
    assert mine.records[target].pk in ids


def test_the_dashboard_counts_the_accounts_districts_only(client, limited, unlimited, mine, other):
    client.force_login(limited)
    grades = client.get(reverse("dashboard"), {"year": 2024}).context["grade_total"]
    client.force_login(unlimited)
    assert client.get(reverse("dashboard"), {"year": 2024}).context["grade_total"] == 2
    assert grades == 1


def test_a_limited_accounts_filters_refuse_a_record_of_another_district(
    client, limited, mine, other
):
    client.force_login(limited)
    response = client.get(reverse("inspection-list"), {"facility": other.facility.pk})
    assert OTHER_TAG not in response.content.decode()
    assert list(response.context["object_list"]) == []


# --- writes are re-checked ----------------------------------------------------------------


def test_a_limited_account_cannot_record_an_inspection_of_a_facility_in_another_district(
    client, limited, mine, other
):
    client.force_login(limited)
    inspectors = InspectorFactory.create_batch(2)
    before = Inspection.objects.count()
    response = client.post(
        reverse("inspection-create"),
        {
            "facility": other.facility.insurance_code,
            "kind": "routine",
            "status": "in_progress",
            "start_date": "2025-03-10",
            "inspectors": [i.pk for i in inspectors],
        },
    )
    assert response.status_code == 200
    assert "未找到该机构" in response.content.decode()
    assert Inspection.objects.count() == before


def test_a_limited_account_cannot_record_a_sanction_through_the_api_for_another_district(
    limited, mine, other
):
    before = Sanction.objects.count()
    response = client_for(limited).post(
        "/api/sanctions/",
        {
            "facility": other.facility.pk,
            "kind": "warning",
            "decided_on": "2025-03-25",
            "note": "约谈",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "facility" in response.json()
    assert Sanction.objects.count() == before


def test_a_limited_account_cannot_register_a_facility_in_another_district(client, limited, mine):
    client.force_login(limited)
    form = client.get(reverse("facility-create")).context["form"]
    assert [v for v, _ in form.fields["district"].choices if v] == [MINE]
    before = Facility.objects.count()
    response = client_for(limited).post(
        "/api/facilities/",
        {
            "name": "示例达孜新药店",
            "kind": "pharmacy",
            "ownership": "private",
            "district": OTHER,
            "credit_code": "91540104000000001" + "X",
        },
        format="json",
    )
    assert response.status_code in (400, 403)
    assert Facility.objects.count() == before


def test_a_limited_account_cannot_move_its_facility_to_another_district(limited, mine):
    url = f"/api/facilities/{mine.facility.pk}/"
    response = client_for(limited).patch(
        url, {"district": OTHER}, format="json", **if_match_for(url)
    )
    assert response.status_code == 403
    mine.facility.refresh_from_db()
    assert mine.facility.district == MINE


def test_a_limited_account_cannot_add_a_sanction_for_another_district_in_the_admin(
    client, limited, mine, other
):
    client.force_login(limited)
    before = Sanction.objects.count()
    response = client.post(
        reverse("admin:supervision_sanction_add"),
        {"facility": other.facility.pk, "kind": "warning", "decided_on": "2025-03-25", "note": "x"},
    )
    assert response.status_code == 200
    assert "facility" in response.context["adminform"].form.errors
    assert Sanction.objects.count() == before


def test_the_services_refuse_a_limited_account_a_record_of_another_district(limited, other):
    with pytest.raises(PermissionDenied):
        services.set_grade(
            facility=other.facility, year=2024, grade=Grade.C, reason="越权调整", user=limited
        )
    with pytest.raises(PermissionDenied):
        check_in_scope(limited, other.sanction)
    assert CreditRating.objects.get(pk=other.rating.pk).grade == Grade.B


# --- the scope itself ----------------------------------------------------------------------


def test_an_account_limited_to_two_districts_sees_both(limited, mine, other):
    UserDistrict.objects.create(user=limited, district=OTHER)
    limited = type(limited).objects.get(pk=limited.pk)  # a fresh request's user
    seen = set(scoped_queryset(limited, Facility.objects.all()))
    assert {mine.facility, other.facility} <= seen


def test_a_model_that_does_not_say_how_to_reach_its_district_is_hidden_from_limited_accounts(
    limited, unlimited
):
    group = Group.objects.get(name=SUPERVISOR)  # auth.Group declares no district_path
    assert not hasattr(Group, "district_path")
    limited.is_superuser = True
    unlimited.is_superuser = True
    assert list(scoped_queryset(limited, Group.objects.all())) == []
    assert group in scoped_queryset(unlimited, Group.objects.all())


def test_a_superuser_edits_an_accounts_districts_in_the_user_admin(client, superuser, limited):
    client.force_login(superuser)
    page = client.get(reverse("admin:auth_user_change", args=[limited.pk]))
    assert page.status_code == 200
    assert "可见区县" in page.content.decode()


def test_every_district_path_reaches_the_records_district(limited, mine):
    for model, record in mine.records.items():
        assert district_path(model), model
        assert scoped_queryset(limited, model._base_manager.filter(pk=record.pk)).exists(), model
