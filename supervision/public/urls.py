"""The public pages (信息公开), included twice by supervision/urls.py: namespace "public" in
Chinese under /public/, "public_en" in English under /public/en/. Each list has a .csv twin."""

from __future__ import annotations

from django.urls import path

from supervision.public import views

urlpatterns = [
    path("", views.home, name="home"),
    path("hotlines/", views.hotlines, name="hotlines"),
    path("hotlines.csv", views.hotlines_csv, name="hotlines-csv"),
    path("grades/", views.grades, name="grades"),
    path("grades.csv", views.grades_csv, name="grades-csv"),
    path("d-grade/", views.d_grade, name="d-grade"),
    path("d-grade.csv", views.d_grade_csv, name="d-grade-csv"),
    path("sanctions/", views.sanctions, name="sanctions"),
    path("sanctions.csv", views.sanctions_csv, name="sanctions-csv"),
    path("random-checks/", views.plans, name="plans"),
    path("random-checks.csv", views.plans_csv, name="plans-csv"),
    path("random-checks/<int:pk>/", views.plan, name="plan"),
    path("random-checks/<int:pk>.csv", views.plan_csv, name="plan-csv"),
    path("typical-cases/", views.cases, name="cases"),
    path("typical-cases.csv", views.cases_csv, name="cases-csv"),
    path("typical-cases/<int:pk>/", views.case, name="case"),
]
