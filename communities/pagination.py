"""Pages whose total is known without Paginator's COUNT over the list's own query.

CountedPaginator takes the total from a cheaper query (a count of units in scope, of confirmed reports).
get_page counts a short list on the page's own rows: one query instead of Paginator's two. It is only for lists
that stay short whatever the city's size (one community's report queue): the window makes the database join and
count every matching row before LIMIT, where Paginator's page query stops after one page. On the org department's
report queue (the whole city's pending reports) it took 1.2 s instead of 0.15 s; wider lists keep Paginator."""

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.db.models.query import ModelIterable
from django.utils.functional import cached_property

TOTAL = "page_total"


class CountedPaginator(Paginator):
    """A paginator told its count, when a cheaper query than the list's own count() knows it."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def with_total(queryset):
    """The queryset with every row carrying the total (COUNT(*) OVER (), before LIMIT) as `page_total`."""
    return queryset.annotate(**{TOTAL: Window(Count("*"))})


def get_page(queryset, number, per_page: int, *, page_rows=None) -> Page:
    """What `Paginator(queryset, per_page).get_page(number)` returns, with the total counted on the page's own
    rows (COUNT(*) OVER (), computed before LIMIT). On the needs board the separate COUNT cost as much Python to
    build as the page itself. An empty page, a page past the end or an odd number (get_page turns those into
    the last or first page) falls back to the Paginator's own two queries, and so does a list, a queryset of
    values (no attribute to carry the total) or one with DISTINCT or UNION (counted before those apply).
    `page_rows(bottom, per_page)`, if given, reads the page's rows of `with_total(queryset)` (compiled once, say),
    or answers None to leave it to the queryset."""
    try:
        index = int(number or 1)
    except (TypeError, ValueError):
        index = 0
    if index >= 1 and _countable_by_window(queryset):
        bottom = (index - 1) * per_page
        rows = page_rows(bottom, per_page) if page_rows is not None else None
        if rows is None:
            rows = list(with_total(queryset)[bottom : bottom + per_page])
        if rows:
            return Page(rows, index, CountedPaginator(queryset, per_page, count=getattr(rows[0], TOTAL)))
    return Paginator(queryset, per_page).get_page(number)


def _countable_by_window(queryset) -> bool:
    if not isinstance(queryset, QuerySet) or queryset._iterable_class is not ModelIterable:
        return False
    query = queryset.query
    return not (query.distinct or query.combinator or query.is_sliced)
