"""/api/: the endpoints (a DefaultRouter), the OpenAPI schema and its docs (Swagger UI, served
from our static files without inline script or style; Redoc is left out, its page loads web fonts
from the internet)."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from supervision.api import (
    credit_views,
    docs,
    practitioner_views,
    publication_views,
    random_check_views,
    rectification_views,
    tip_views,
    views,
)
from supervision.api import schema as _schema  # noqa: F401  (registers the schema extensions)

router = DefaultRouter()
router.register("facilities", views.FacilityViewSet, basename="facility")
router.register("ratings", views.CreditRatingViewSet, basename="rating")
router.register("rating-changes", views.RatingChangeViewSet, basename="ratingchange")
router.register("inspections", views.InspectionViewSet, basename="inspection")
router.register("referrals", views.ReferralViewSet, basename="referral")
router.register("sanctions", views.SanctionViewSet, basename="sanction")
router.register(
    "rectifications", rectification_views.RectificationViewSet, basename="rectification"
)
router.register("tips", tip_views.TipViewSet, basename="tip")
router.register("tip-rewards", tip_views.TipRewardViewSet, basename="tipreward")
router.register("hotlines", tip_views.HotlineViewSet, basename="hotline")
router.register("credit-categories", credit_views.CreditCategoryViewSet, basename="creditcategory")
router.register(
    "indicator-systems", credit_views.IndicatorSystemViewSet, basename="indicatorsystem"
)
router.register(
    "supervision-measures", credit_views.SupervisionMeasureViewSet, basename="supervisionmeasure"
)
router.register(
    "evaluation-cycles", credit_views.EvaluationCycleViewSet, basename="evaluationcycle"
)
router.register("assessments", credit_views.AssessmentViewSet, basename="assessment")
router.register("objections", credit_views.ObjectionViewSet, basename="objection")
router.register("credit-repairs", credit_views.CreditRepairViewSet, basename="creditrepair")
router.register("planned-checks", credit_views.PlannedCheckViewSet, basename="plannedcheck")
router.register(
    "credit-institutions", credit_views.CreditInstitutionViewSet, basename="creditinstitution"
)
router.register("insured-persons", credit_views.InsuredPersonViewSet, basename="insuredperson")
router.register("practitioners", practitioner_views.PractitionerViewSet, basename="practitioner")
router.register("registrations", practitioner_views.RegistrationViewSet, basename="registration")
router.register("points-records", practitioner_views.PointsRecordViewSet, basename="pointsrecord")
router.register(
    "qualification-measures",
    practitioner_views.QualificationMeasureViewSet,
    basename="qualificationmeasure",
)
router.register("points-policies", practitioner_views.PointsPolicyViewSet, basename="pointspolicy")
router.register(
    "random-check-plans", random_check_views.RandomCheckPlanViewSet, basename="randomcheckplan"
)
router.register(
    "random-check-targets",
    random_check_views.RandomCheckTargetViewSet,
    basename="randomchecktarget",
)
router.register(
    "random-check-assignments",
    random_check_views.RandomCheckAssignmentViewSet,
    basename="randomcheckassignment",
)
router.register("typical-cases", publication_views.TypicalCaseViewSet, basename="typicalcase")
router.register(
    "grade-publications", publication_views.GradePublicationViewSet, basename="gradepublication"
)
router.register("evidence", views.EvidenceViewSet, basename="evidence")

app_name = "api"
urlpatterns = [
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file of its own (docs/?script),
    # so the page needs no inline script under the Content-Security-Policy.
    path("docs/", docs.DocsView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]
