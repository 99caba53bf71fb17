"""Pagination that reads a page's ids first, then the page's related rows.

A list page joins many tables for its columns (an obligation: campaign, task, action, estate, firm, agencies…).
Sliced as it is, PostgreSQL joins all of them over every row the filters keep and sorts the result before taking
the page (docs/PERFORMANCE.md: 186 ms for 50 rows of 36,000). IdsFirstPaginator keeps the statement one query but
splits its work: an inner ``SELECT id … ORDER BY … LIMIT`` over the narrow query (no select_related), which walks an
index matching the order, and an outer query that joins the related rows for those ids only. The page shows the same
rows, in the same order, in the same number of queries.
"""
import hashlib

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import BooleanField, F, Func, QuerySet
from django.db.models.sql.where import WhereNode


def _single_valued(query):
    """No join of the query can repeat a row (only forward many-to-one or one-to-one links)."""
    for join in query.alias_map.values():
        field = getattr(join, "join_field", None)
        if field is not None and (field.one_to_many or field.many_to_many):
            return False
    return True


def ids_first(queryset, bottom, top):
    """``queryset[bottom:top]`` as one statement whose joins apply to the page's rows only.

    The inner query keeps every filter and the order; the outer one keeps the columns (select_related,
    annotations) and the order but none of the filters: its rows are the inner query's ids, which passed them
    already. Repeating the filters outside lets PostgreSQL join every table over every row again before it
    looks at the 50 ids (docs/PERFORMANCE.md). Queries this cannot split safely (distinct, grouped, combined,
    unordered, or joined to many rows) are sliced as they are."""
    query = getattr(queryset, "query", None)
    if (not isinstance(queryset, QuerySet) or query.distinct or query.combinator or query.group_by is not None
            or not queryset.ordered or not _single_valued(query)):
        return queryset[bottom:top]
    ids = queryset.select_related(None).values("pk")[bottom:top]
    outer = queryset._chain()
    outer.query.where = WhereNode()
    if connections[queryset.db].vendor == "postgresql":
        from django.contrib.postgres.expressions import ArraySubquery

        return outer.filter(_InArray(F("pk"), ArraySubquery(ids)))
    return outer.filter(pk__in=ids)


class _InArray(Func):
    """``pk = ANY(ARRAY(subquery))``. PostgreSQL runs the array as an InitPlan and reads the base table through its
    primary key before any join; an ``IN (subquery)`` is a semi-join, and with more joins than join_collapse_limit
    (8) it is joined last, after every other table was joined over every row."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY("
    output_field = BooleanField()


class IdsFirstPaginator(Paginator):
    """A Paginator whose pages are read through ids_first (the admin's ``paginator``, the portal's lists)."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(ids_first(self.object_list, bottom, top), number, self)


#: How long a kept count lives: its key changes with every write that changes it (the version), the time only
#: bounds the memory it holds.
COUNT_TTL = 600


def query_key(queryset):
    """A digest of the statement the queryset runs: its SQL and parameters, the user's scope among its conditions
    (two users whose scopes differ never share a key), with the database it runs on."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        sql, params = "", ("nothing", queryset.model._meta.label)  # an empty slice, an empty IN: no rows at all
    return hashlib.sha256(f"{queryset.db}\0{sql}\0{params!r}".encode()).hexdigest()[:32]


def kept_count(queryset, version):
    """``queryset.count()`` kept in the cache under ``version`` (a token renewed in the same transaction as every
    write that changes the rows the queryset can select) and the statement itself (core/cache.py)."""
    from core import cache

    return cache.cached(f"pagination:count:{version}:{query_key(queryset)}", queryset.count, COUNT_TTL)


def keep_count(paginator, version):
    """The paginator's ``count`` read through :func:`kept_count` (a list page's COUNT(*) over every row the
    filters keep: the largest part of PostgreSQL's work for a page of a city's 36,000 obligations)."""
    if version is not None and isinstance(paginator.object_list, QuerySet):
        paginator.__dict__["count"] = kept_count(paginator.object_list, version)
    return paginator
