import pytest

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "factory",
    [
        factories.FacilityFactory,
        factories.CreditRatingFactory,
        factories.RatingChangeFactory,
        factories.InspectorFactory,
        factories.InspectionFactory,
        factories.ReferralFactory,
        factories.SanctionFactory,
        factories.EvidenceFactory,
        factories.IndicatorSystemFactory,
        factories.EvaluationCycleFactory,
        factories.AssessmentFactory,
        factories.ObjectionFactory,
        factories.CreditInstitutionFactory,
        factories.InsuredPersonFactory,
        factories.InsuredIdentityFactory,
        factories.RectificationFactory,
        lambda: factories.RectificationFactory(reported=True),
        lambda: factories.RectificationFactory(confirmed=True),
        lambda: factories.RectificationFactory(not_done=True),
        factories.NotificationFactory,
        lambda: factories.NotificationFactory(read=True),
        factories.ReminderPreferenceFactory,
        factories.DigestDeliveryFactory,
        lambda: factories.DigestDeliveryFactory(sent=True),
        lambda: factories.DigestDeliveryFactory(empty=True),
        factories.ScheduledRunFactory,
    ],
)
def test_every_factory_builds_a_valid_saved_row(factory):
    obj = factory()
    obj.full_clean()
    assert obj.pk
