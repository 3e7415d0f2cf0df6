"""The Django admin: every model, fast lists, bulk actions that call the services."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from supervision.admin import (  # noqa: F401  (registers)
    accounts,
    audit,
    cases,
    credit,
    documents,
    facility,
    lookups,
    practitioners,
    publication,
    random_checks,
    rating,
    rectifications,
    reference,
    tips,
)

admin.site.site_header = _("拉萨市医疗保障局 · 医保基金监管")
admin.site.site_title = _("拉萨市医疗保障局 · 医保基金监管")
admin.site.index_title = _("案件管理")
