"""How values read on pages, in history entries and in exports: money, dates, who did it.

Plain functions, so that the history, the audit log and the exports format as the templates do;
the template filters of the same names (supervision.templatetags.supervision_tags) are these.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

DASH = "—"


def cny(value: object) -> str:
    """Money in yuan: ¥ sign, thousands separators, two decimals."""
    if value is None or value == "":
        return DASH
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return DASH
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def ymd(value: object) -> str:
    """A date as YYYY-MM-DD (a datetime as its local date)."""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return DASH


def ymdhm(value: object) -> str:
    """A datetime as local YYYY-MM-DD HH:MM."""
    if isinstance(value, datetime.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.strftime("%Y-%m-%d %H:%M")
    return ymd(value)


def who(user: object) -> str:
    """Who did it: full name, else username; None (a system load or import) is 系统."""
    if user is None or not hasattr(user, "get_username"):
        return _("系统")
    return user.get_full_name() or user.get_username() or _("系统")
