"""The product's settings with the bench's URLconf: the product's pages plus the stock admin
(bench/stock_admin.py) at /stock-admin/. Only the bench's server runs with these settings."""

from supervision.settings import *  # noqa: F403

ROOT_URLCONF = "bench.stock_urls"
