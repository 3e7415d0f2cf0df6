"""Personas and shared fixtures."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.test.client import ClientMixin
from django.utils import timezone, translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from supervision.choices import (
    Agency,
    District,
    FacilityKind,
    Grade,
    InspectionKind,
    InspectionStatus,
    Ownership,
    ReferralStatus,
    Violation,
    Zone,
)
from supervision.roles import AUDITOR, CREDIT_EVALUATOR, INSPECTOR, SUPERVISOR, TIP_DESK
from supervision.twofactor import second_factor_required
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    RatingChangeFactory,
    ReferralFactory,
    SanctionFactory,
    UserFactory,
    make_credit_code,
)

D = datetime.date


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Personas have passwords; the production hasher would spend a quarter second on each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request in English leaves English active in the thread (LocaleMiddleware activates the
    language and nothing switches it back): every test starts in the default language, whatever
    ran before it."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture
def inspector(db):
    return UserFactory(username="inspector", role=INSPECTOR)


@pytest.fixture
def supervisor(db):
    return UserFactory(username="supervisor", role=SUPERVISOR)


@pytest.fixture
def tip_desk(db):
    """The tip desk (举报受理): registers tips and reads who reported them."""
    return UserFactory(username="tipdesk", role=TIP_DESK)


@pytest.fixture
def evaluator(db):
    """The credit evaluator (信用评价员): scores manual indicators, records self-assessments and
    objections; decides nothing."""
    return UserFactory(username="evaluator", role=CREDIT_EVALUATOR)


@pytest.fixture
def auditor(db):
    return UserFactory(username="auditor", role=AUDITOR)


@pytest.fixture
def outsider(db):
    """A staff account with no group: may sign in, may see nothing."""
    return UserFactory(username="outsider")


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_superuser=True)


@pytest.fixture(autouse=True)
def _force_login_includes_the_second_factor(monkeypatch):
    """client.force_login(user) stands for a completed sign-in: the password and, for an account
    that must use one, the second factor (a confirmed authenticator, verified in the session).

    Tests of the sign-in itself post the login form instead and go through every step.
    """
    original = ClientMixin.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if second_factor_required(user):
            verify_second_factor(self, user)

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


def verify_second_factor(client, user) -> TOTPDevice:
    """Mark client's session as having passed the second factor with user's authenticator."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


@pytest.fixture(autouse=True, scope="session")
def _media_root_outside_the_repository(tmp_path_factory):
    """Evidence files written by any test go to a temporary folder, never into var/media.

    Tests that look at the stored files use `media`, a folder of their own.
    """
    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        yield


@pytest.fixture
def media(tmp_path, settings) -> Path:
    """MEDIA_ROOT in the test's own temporary folder: what a test stores, and only that."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def world(db):
    """One of each record, enough for every endpoint and action to have something to act on."""
    hospital = FacilityFactory(name="示例测试医院甲", deposit=Decimal("200000.00"))
    pharmacy = FacilityFactory(pharmacy=True, name="示例测试药店乙")
    rating = CreditRatingFactory(facility=hospital, year=2024, grade=Grade.B)
    inspectors = InspectorFactory.create_batch(2)
    inspection = InspectionFactory(
        facility=hospital, status=InspectionStatus.IN_PROGRESS, inspectors=inspectors
    )
    completed = InspectionFactory(facility=pharmacy, completed=True)
    referral = ReferralFactory(inspection=completed)
    sanction = SanctionFactory(facility=pharmacy)
    return SimpleNamespace(
        hospital=hospital,
        pharmacy=pharmacy,
        rating=rating,
        inspectors=inspectors,
        inspection=inspection,
        completed=completed,
        referral=referral,
        sanction=sanction,
    )


@pytest.fixture
def data(db):
    """Four facilities and their records, each filter of the API splitting them differently
    (test_api_filters, test_api_pagination)."""
    today = timezone.localdate()
    a = FacilityFactory(
        name="示例甲医院",
        kind=FacilityKind.HOSPITAL,
        ownership=Ownership.PUBLIC,
        district=District.CHENGGUAN,
        zone=Zone.HIGH_TECH,
        credit_code=make_credit_code(900_000_000 + 501),
        insurance_code="H54010277001",
        deposit=Decimal("300000.00"),
    )
    b = FacilityFactory(
        pharmacy=True,
        name="示例乙药店",
        district=District.DOILUNGDEQEN,
        insurance_code="P54010388001",
        deposit=Decimal("20000.00"),
    )
    c = FacilityFactory(
        clinic=True, name="示例丙诊所", district=District.DAGZE, insurance_code="H54010499001"
    )
    d = FacilityFactory(insurer=True, name="示例丁保险", district=District.CHENGGUAN)
    ratings = SimpleNamespace(
        a24=CreditRatingFactory(facility=a, year=2024, grade=Grade.A),
        a23=CreditRatingFactory(facility=a, year=2023, grade=Grade.C),
        b24=CreditRatingFactory(facility=b, year=2024, grade=Grade.D),
        d23=CreditRatingFactory(facility=d, year=2023, grade=Grade.B),
    )
    clerk = UserFactory(username="clerk")
    changes = SimpleNamespace(
        a24=RatingChangeFactory(
            rating=ratings.a24,
            to_grade=Grade.A,
            changed_by=clerk,
            changed_at=timezone.make_aware(datetime.datetime(2025, 1, 10, 9)),
        ),
        b24=RatingChangeFactory(
            rating=ratings.b24,
            to_grade=Grade.D,
            changed_at=timezone.make_aware(datetime.datetime(2025, 2, 10, 9)),
        ),
    )
    inspections = SimpleNamespace(
        a=InspectionFactory(
            facility=a, kind=InspectionKind.JOINT, completed=True, start_date=D(2025, 3, 1)
        ),
        b=InspectionFactory(
            facility=b,
            kind=InspectionKind.UNANNOUNCED,
            status=InspectionStatus.IN_PROGRESS,
            start_date=D(2025, 5, 1),
        ),
    )
    inspections.a.partner_agencies.set([Agency.POLICE])
    inspections.a.violations.set([Violation.FORGED_DELIVERY_NOTES])
    inspections.b.violations.set([Violation.OVERCHARGING])
    referrals = SimpleNamespace(
        police=ReferralFactory(
            inspection=inspections.a, agency=Agency.POLICE, referred_on=D(2025, 3, 5)
        ),
        market=ReferralFactory(
            inspection=inspections.a,
            agency=Agency.MARKET,
            referred_on=D(2025, 4, 5),
            status=ReferralStatus.ACCEPTED,
            decided_on=D(2025, 4, 20),
            case_number="SJ-1",
        ),
    )
    sanctions = SimpleNamespace(
        b_suspension=SanctionFactory(
            facility=b,
            suspension=True,
            rating=ratings.b24,  # decided on the 2024 D grade
            decided_on=today - datetime.timedelta(days=10),
            starts_on=today - datetime.timedelta(days=5),
            ends_on=today + datetime.timedelta(days=30),
        ),
        c_termination=SanctionFactory(
            facility=c,
            termination=True,
            decided_on=D(2025, 1, 2),
            starts_on=D(2025, 1, 3),
        ),
        a_fine=SanctionFactory(facility=a, fine=True, decided_on=D(2025, 3, 20)),
    )
    return SimpleNamespace(
        facilities=SimpleNamespace(a=a, b=b, c=c, d=d),
        ratings=ratings,
        changes=changes,
        inspections=inspections,
        referrals=referrals,
        sanctions=sanctions,
        clerk=clerk,
    )
