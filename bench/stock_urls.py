"""Every URL of the product, and the stock admin at /stock-admin/ (bench only)."""

from django.urls import path

from bench.stock_admin import site
from supervision.urls import handler403, handler404, handler500, urlpatterns

urlpatterns = [path("stock-admin/", site.urls), *urlpatterns]

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
