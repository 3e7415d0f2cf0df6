"""Every admin page loads, and each persona sees what its group allows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.authtoken.models import Token

from supervision.admin.filters import GradeByYearFilter
from supervision.choices import Grade
from supervision.models import Facility
from supervision.twofactor import new_recovery_codes
from tests.admin_support import (
    admin_url,
    make_case_file,
    make_credit_file,
    registered_admins,
    task_result,
)
from tests.factories import CreditRatingFactory, FacilityFactory, SanctionFactory
from tests.test_admin_practitioners import make_practitioner_file

pytestmark = pytest.mark.django_db

ADMINS = registered_admins()
ADMIN_IDS = [model._meta.label for model, _ in ADMINS]


@pytest.fixture
def case_file(superuser):
    case_file = make_case_file()
    case_file.credit = make_credit_file(case_file.facility)
    case_file.practitioners = make_practitioner_file(case_file.facility)
    from tests.factories import (
        GradePublicationFactory,
        RectificationFactory,
        TypicalCaseFactory,
    )
    from tests.test_form_round_trip import _drawn_plan

    case_file.plan = _drawn_plan()
    case_file.typical_case = TypicalCaseFactory()
    case_file.grade_publication = GradePublicationFactory()
    case_file.rectification = RectificationFactory(not_done=True)
    from tests.factories import IssuedDocumentFactory

    case_file.issued_document = IssuedDocumentFactory(inspection=case_file.inspection)
    return case_file


def some_object(model, superuser):
    if model._meta.label == "auth.User":
        return superuser
    if model._meta.label == "auth.Group":
        return Group.objects.order_by("pk").first()
    if model._meta.label == "authtoken.TokenProxy":  # API tokens, issued in the admin
        Token.objects.get_or_create(user=superuser)
    if model._meta.label == "otp_static.StaticDevice":  # recovery codes
        new_recovery_codes(superuser)
    if model._meta.label == "django_tasks_database.DBTaskResult":  # the task worker's jobs
        task_result()
    if model._meta.app_label == "axes" and not model._default_manager.exists():
        # Sign-in failures and lockouts, as django-axes records them.
        extra = {"failures_since_start": 1} if model._meta.model_name == "accessattempt" else {}
        model._default_manager.create(
            username="inspector", ip_address="192.0.2.1", user_agent="test", path_info="/", **extra
        )
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"no {model._meta.label} to open"
    return obj


def test_the_index_shows_the_bureau_header(client, superuser):
    client.force_login(superuser)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "拉萨市医疗保障局 · 医保基金监管" in response.content.decode()


@pytest.mark.parametrize(("model", "model_admin"), ADMINS, ids=ADMIN_IDS)
def test_every_page_of_every_model_loads_for_the_superuser(
    client, superuser, case_file, model, model_admin
):
    client.force_login(superuser)
    request = RequestFactory().get("/")
    request.user = superuser
    obj = some_object(model, superuser)

    assert client.get(admin_url(model, "changelist")).status_code == 200
    add_status = 200 if model_admin.has_add_permission(request) else 403
    assert client.get(admin_url(model, "add")).status_code == add_status
    assert client.get(admin_url(obj, "change")).status_code == 200
    assert client.get(admin_url(obj, "history")).status_code == 200


@pytest.mark.parametrize(("model", "model_admin"), ADMINS, ids=ADMIN_IDS)
def test_every_filter_option_of_every_changelist_loads(
    client, superuser, case_file, model, model_admin
):
    client.force_login(superuser)
    url = admin_url(model, "changelist")
    response = client.get(url)
    changelist = response.context["cl"]
    query_strings = [
        choice["query_string"]
        for spec in changelist.filter_specs
        for choice in spec.choices(changelist)
    ]
    assert len(query_strings) >= len(changelist.filter_specs)
    for query_string in query_strings:
        filtered = client.get(url + query_string)
        # An unknown or broken lookup redirects to ?e=1; a working filter answers 200.
        assert filtered.status_code == 200, query_string


def test_the_grade_by_year_filter_offers_each_rated_year_and_finds_the_grade(client, superuser):
    a_2023 = CreditRatingFactory(year=2023, grade=Grade.A).facility
    CreditRatingFactory(year=2024, grade=Grade.A)
    CreditRatingFactory(facility=a_2023, year=2024, grade=Grade.C)
    client.force_login(superuser)
    url = admin_url(Facility, "changelist")

    specs = client.get(url).context["cl"].filter_specs
    spec = next(s for s in specs if isinstance(s, GradeByYearFilter))
    labels = [str(label) for _value, label in spec.lookup_choices]
    assert labels[:4] == ["2024 · A级", "2024 · B级", "2024 · C级", "2024 · D级"]
    assert "2023 · A级" in labels and len(labels) == 8

    found = client.get(url, {"grade_in_year": "2023-A"}).context["cl"].result_list
    assert list(found) == [a_2023]


def test_the_agreement_status_filter_finds_the_suspended_facility(client, superuser):
    today = timezone.localdate()
    suspended = SanctionFactory(
        suspension=True, starts_on=today - timedelta(days=3), ends_on=today + timedelta(days=3)
    ).facility
    SanctionFactory(suspension=True)  # over long ago
    active = FacilityFactory()
    client.force_login(superuser)
    url = admin_url(Facility, "changelist")

    found = client.get(url, {"agreement": "suspended"}).context["cl"].result_list
    assert list(found) == [suspended]
    assert suspended not in client.get(url, {"agreement": "active"}).context["cl"].result_list
    assert active in client.get(url, {"agreement": "active"}).context["cl"].result_list


# ------------------------------------------------------------------ permissions

# What each persona may open, per model: L changelist, A add, C change (or view), H history,
# D delete. One row per registered model of the app; a model missing here fails the test.
PERSONAS = ("superuser", "supervisor", "inspector", "auditor", "outsider")
ALLOWED = {
    "facility": ("LACHD", "LACH", "LC", "LCH", ""),
    "creditrating": ("LACH", "LACH", "LC", "LCH", ""),
    "ratingchange": ("LCH", "LCH", "LC", "LCH", ""),
    "inspector": ("LACH", "LACH", "LC", "LCH", ""),
    "inspection": ("LACH", "LACH", "LAC", "LCH", ""),
    "referral": ("LACH", "LACH", "LC", "LCH", ""),
    "sanction": ("LACH", "LACH", "LC", "LCH", ""),
    "partneragency": ("LCH", "LCH", "LCH", "LCH", ""),
    "violationcategory": ("LCH", "LCH", "LCH", "LCH", ""),
    # Tips: registered and corrected by the tip desk and supervisors; the workflow runs on the
    # pages and the API. Rewards are read here (decided and paid there).
    "tip": ("LACH", "LACH", "LC", "LCH", ""),
    "tipreward": ("LCH", "LCH", "LC", "LCH", ""),
    # Kept by administrators, read by every role (the auditor with the history).
    "calendaryear": ("LACH", "LC", "LC", "LCH", ""),
    "calendarday": ("LACHD", "LC", "LC", "LCH", ""),
    "hotline": ("LACH", "LC", "LC", "LCH", ""),
    # Case number patterns: kept by administrators only (no role is granted them).
    "casenumberpattern": ("LACH", "", "", "", ""),
    # Read-only for superusers; the others read the events at /audit/.
    "auditevent": ("LCH", "", "", "", ""),
    # Credit management: the 8 categories are fixed (a superuser words their description); the
    # measures are seeded, one per category and grade; the indicator system opened is frozen.
    "creditcategory": ("LCH", "LCH", "LC", "LCH", ""),
    "supervisionmeasure": ("LCH", "LCH", "LC", "LCH", ""),
    "indicatorsystem": ("LACH", "LACH", "LC", "LCH", ""),
    "creditinstitution": ("LACH", "LACH", "LC", "LCH", ""),
    "insuredperson": ("LACH", "LACH", "LC", "LCH", ""),
    # The evaluation moves on the staff pages: read here.
    "evaluationcycle": ("LCH", "LCH", "LC", "LCH", ""),
    "assessment": ("LCH", "LCH", "LC", "LCH", ""),
    "assessmentitem": ("LCH", "LCH", "LC", "LCH", ""),
    "objection": ("LCH", "LCH", "LC", "LCH", ""),
    "creditrepair": ("LCH", "LCH", "LC", "LCH", ""),
    "plannedcheck": ("LCH", "LCH", "LC", "LCH", ""),
    # Practitioners: registered (and corrected) through the service, never deleted; a
    # registration is only ended; points and measures are written by the service, read here;
    # the rules are kept by supervisors.
    "practitioner": ("LACH", "LACH", "LC", "LCH", ""),
    "registration": ("LCH", "LCH", "LC", "LCH", ""),
    "pointsrecord": ("LCH", "LCH", "LC", "LCH", ""),
    "qualificationmeasure": ("LCH", "LCH", "LC", "LCH", ""),
    "pointspolicy": ("LACH", "LACH", "LC", "LCH", ""),
    # Random checks: drafts through the service; drawn plans, targets and inspectors read-only.
    "randomcheckplan": ("LACH", "LACH", "LC", "LCH", ""),
    "randomchecktarget": ("LCH", "LCH", "LCH", "LCH", ""),
    "randomcheckassignment": ("LCH", "LCH", "LC", "LCH", ""),
    "typicalcase": ("LCH", "LCH", "LC", "LCH", ""),
    "gradepublication": ("LCH", "LCH", "LC", "LCH", ""),
    # Rectification orders: made and followed up on the pages and the API; here read, and their
    # wording corrected (inspectors may, without the history).
    "rectification": ("LCH", "LCH", "LC", "LCH", ""),
    # Documents: templates worded by supervisors (never deleted: issued documents name them);
    # issued documents read only (issued on the records' pages).
    "documenttemplate": ("LACH", "LACH", "LC", "LCH", ""),
    "issueddocument": ("LCH", "LCH", "LC", "LCH", ""),
}
VIEWS = {"L": "changelist", "A": "add", "C": "change", "H": "history", "D": "delete"}
APP_ADMINS = [(m, a) for m, a in ADMINS if m._meta.app_label == "supervision"]


def test_the_permission_table_covers_every_registered_model():
    assert {m._meta.model_name for m, _ in APP_ADMINS} == set(ALLOWED)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("model", "model_admin"), APP_ADMINS, ids=[m._meta.label for m, _ in APP_ADMINS]
)
def test_each_persona_opens_exactly_the_pages_its_role_allows(
    client, request, case_file, persona, model, model_admin
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    allowed = ALLOWED[model._meta.model_name][PERSONAS.index(persona)]
    obj = model._default_manager.order_by("pk").first()
    for letter, view in VIEWS.items():
        url = admin_url(model, view) if view in ("changelist", "add") else admin_url(obj, view)
        expected = 200 if letter in allowed else 403
        assert client.get(url).status_code == expected, f"{persona} {view} {model.__name__}"


def test_an_auditor_sees_a_facility_but_cannot_save_it(client, auditor, case_file):
    client.force_login(auditor)
    url = admin_url(case_file.facility, "change")
    page = client.get(url).content.decode()
    assert 'name="_save"' not in page
    assert client.post(url, {"name": "改名"}).status_code == 403
    case_file.facility.refresh_from_db()
    assert case_file.facility.name != "改名"


def test_a_supervisor_gets_a_save_button_on_a_facility(client, supervisor, case_file):
    client.force_login(supervisor)
    assert 'name="_save"' in client.get(admin_url(case_file.facility, "change")).content.decode()


@pytest.mark.parametrize(
    ("persona", "actions"),
    [
        ("superuser", {"delete_selected", "set_grade_for_year", "suspend_agreements"}),
        ("supervisor", {"set_grade_for_year", "suspend_agreements"}),
        ("inspector", set()),
        ("auditor", set()),
    ],
)
def test_the_bulk_actions_are_offered_only_with_their_permission(client, request, persona, actions):
    FacilityFactory()
    client.force_login(request.getfixturevalue(persona))
    response = client.get(admin_url(Facility, "changelist"))
    action_form = response.context["action_form"]
    offered = (
        {name for name, _ in action_form.fields["action"].choices if name} if action_form else set()
    )
    assert offered == actions


@pytest.mark.parametrize(
    ("model", "model_admin"), APP_ADMINS, ids=[m._meta.label for m, _ in APP_ADMINS]
)
def test_every_column_of_every_changelist_sorts(client, superuser, case_file, model, model_admin):
    client.force_login(superuser)
    url = admin_url(model, "changelist")
    for index in range(len(model_admin.list_display)):
        for order in (f"{index}", f"-{index}"):
            assert client.get(url, {"o": order}).status_code == 200, (index, order)
