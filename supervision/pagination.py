"""Pagination that never counts a million rows: shared by the admin and the staff pages."""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator

# Counting stops here (or a few pages past the one asked for): enough to page through, cheap
# on a table of a million rows. Filters narrow a list; nobody reads page 5,000.
COUNT_CAP = 10_000
PAGES_AHEAD = 5


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
