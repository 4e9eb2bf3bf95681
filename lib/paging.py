"""Pages of long lists: count and slice on the primary keys alone, then load the page's rows with their joins.

On SQLite a list that joins its rows' related tables (``select_related``) lets the planner drive the query
from a small joined table and sort every row; without the joins the page comes straight off the index of
its order. ``page_by_keys`` keeps the order of the keys.
"""

from collections.abc import Callable

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


def page_by_keys(queryset: QuerySet, number, size: int, load: Callable[[QuerySet], QuerySet]) -> Page:
    """The page ``number`` of ``queryset``; its rows fetched by ``load(<model>.objects.filter(pk__in=keys))``."""
    page = Paginator(queryset.values_list("pk", flat=True), size).get_page(number)
    keys = list(page.object_list)
    rows = {row.pk: row for row in load(queryset.model._base_manager.filter(pk__in=keys))}
    page.object_list = [rows[key] for key in keys if key in rows]
    return page
