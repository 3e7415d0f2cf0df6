"""Pagination that never counts a million rows: shared by the admin and the staff pages.

Counts are exact up to COUNT_CAP; past it a list says "more than 1,000" and, on PostgreSQL, the
planner's estimate of the whole, labelled as an estimate ("about 24,000").
"""

from __future__ import annotations

import json
import logging
from functools import cached_property

from django.core.paginator import Paginator
from django.db import DatabaseError, connections

# Counting stops here (or a few pages past the one asked for, so paging on always works): a
# count of 1,001 matches costs a few milliseconds whatever the filter; 10,001 cost 15–35 ms at a
# million facilities (bench/RESULTS.md).
COUNT_CAP = 1_000
PAGES_AHEAD = 5
# The highest page number a count is stretched for; a larger one (?page=922337203685477580) is
# past the end of any list and shows the last page, instead of a LIMIT no database accepts.
MAX_PAGE = 100_000

logger = logging.getLogger(__name__)


def rounded(n: int) -> int:
    """n to two significant figures: an estimate should not look exact."""
    digits = len(str(n))
    return round(n, -(digits - 2)) if digits > 2 else n


def count_cap(page: object, per_page: int) -> int:
    """How many rows to count for a list asked for page `page` (raw text from the URL): enough to
    reach a few pages past it, at most MAX_PAGE's worth; malformed or below 1 counts as page 1."""
    try:
        number = min(max(int(str(page)), 1), MAX_PAGE)
    except ValueError:
        number = 1
    return max(COUNT_CAP, (number + PAGES_AHEAD) * per_page)


class CappedCountPaginator(Paginator):
    """A paginator whose count reads at most `cap` + 1 rows; `capped` says there are more."""

    def __init__(self, *args, cap: int = COUNT_CAP, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cap = cap
        self.capped = False

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if not hasattr(object_list, "values"):
            return len(object_list)
        if object_list.query.combinator:
            # A UNION (the audit log) takes no values(): count its first cap + 1 rows.
            counted = object_list[: self.cap + 1].count()
        else:
            # No ordering and only the key in the subquery: the count uses an index, and the
            # annotations of the list (current grade, agreement status) are not computed.
            counted = object_list.order_by().values("pk")[: self.cap + 1].count()
        if counted > self.cap:
            self.capped = True
            return self.cap
        return counted

    @cached_property
    def estimate(self) -> int | None:
        """For a capped count on PostgreSQL, the planner's estimate of all the rows (one EXPLAIN,
        no row read), rounded; None when not capped, not known, or not above the cap."""
        object_list = self.object_list
        if not self.capped or not hasattr(object_list, "db"):
            return None
        if object_list.query.combinator or connections[object_list.db].vendor != "postgresql":
            return None
        sampled = getattr(object_list.query, "rows_estimate", None)  # search.filter_by_terms
        if isinstance(sampled, int):
            return rounded(sampled) if sampled > self.cap else None
        try:
            plan = json.loads(object_list.order_by().values("pk").explain(format="json"))
            rows = int(plan[0]["Plan"]["Plan Rows"])
        except (DatabaseError, ValueError, KeyError, IndexError, TypeError):
            logger.warning("No row estimate for a capped list.", exc_info=True)
            return None
        return rounded(rows) if rows > self.cap else None
