from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from supervision.api.health import healthz
from supervision.views import account, errors

urlpatterns = [
    path("", include("supervision.views.dashboard")),
    path("my-work/", include("supervision.views.my_work")),
    path("notifications/", include("supervision.views.notifications")),
    path("facilities/", include("supervision.views.facilities")),
    path("inspections/", include("supervision.views.inspections")),
    path("rectifications/", include("supervision.views.rectifications")),
    path("referrals/", include("supervision.views.referrals")),
    path("sanctions/", include("supervision.views.sanctions")),
    path("tips/rewards/", include("supervision.views.tip_rewards")),
    path("tips/", include("supervision.views.tips")),
    path("credit/repairs/", include("supervision.views.credit_repairs")),
    path("credit/plan/", include("supervision.views.check_plans")),
    path("credit/subjects/", include("supervision.views.credit_subjects")),
    path("credit/", include("supervision.views.credit")),
    path("practitioners/", include("supervision.views.practitioners")),
    path("random-checks/", include("supervision.views.random_checks")),
    path("typical-cases/", include("supervision.views.typical_cases")),
    path("publication/", include("supervision.views.publication")),
    path("reports/", include("supervision.views.reports")),
    path("imports/", include("supervision.views.imports")),
    # The bureau's public pages (信息公开): no sign-in, their own layout (supervision.public).
    path("public/en/", include(("supervision.public.urls", "public"), namespace="public_en")),
    path("public/", include(("supervision.public.urls", "public"), namespace="public")),
    path("audit/", include("supervision.views.audit")),
    # Type-ahead answers for the forms (JSON).
    path("lookup/", include("supervision.views.lookup")),
    # Evidence files: upload to a record, download (never a URL to the stored file itself).
    path("", include("supervision.views.evidence")),
    # Official documents: preview and issue a record's, the templates (supervision.views.documents).
    path("", include("supervision.views.documents")),
    path("accounts/login/", account.SignInView.as_view(), name="login"),
    path("accounts/keepalive/", account.keep_alive, name="session-keepalive"),
    path("accounts/two-factor/", include("supervision.views.account")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("supervision.api.urls")),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
