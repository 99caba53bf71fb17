"""The residents' estate search (e/find/) reads through indexes on PostgreSQL (issue 16, docs/PERFORMANCE.md):
a word of three characters or more is looked up in name, address, code and street one index scan each (pg_trgm GIN
indexes on ``UPPER(col)``, a btree on ``UPPER(code)``, estates/migrations/0003; the foreign key's index of
``street_id``), never a sequential scan of the estates; and it lists the same estates in the same order as the
plain join form it replaced, for short words (one pass over the table) and long ones alike."""

import json

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from estates.models import Estate
from suggestions.selectors import public as selectors
from tests import factories as f

pytestmark = pytest.mark.django_db

FIND = reverse("suggestions:find")
SEARCH_INDEXES = {"estate_name_trgm", "estate_address_trgm", "estate_code_upper"}


def _add_estates(world, n):
    other_street = f.StreetFactory(name="孔浦街道办事处", short_name="孔浦街道", parent=world.district)
    Estate.objects.bulk_create([
        Estate(code=f"BULK{i:05d}", name=f"{('月湖', '孔浦', '新城')[i % 3]}小区{i}",
               address=f"海曙区{('镇明', '中山', '解放')[i % 3]}路 {i} 号", district=world.district,
               street=(world.street, other_street)[i % 2], firm=world.firm, category=2, year_built=2005,
               households=100, is_active=i % 17 != 0)
        for i in range(n)
    ])


def _plain(query):
    """The search as it was written before: the street through its join."""
    condition = Q()
    for word in query.split(" "):
        condition &= (Q(name__icontains=word) | Q(address__icontains=word) | Q(street__name__icontains=word)
                      | Q(street__short_name__icontains=word) | Q(code__iexact=word))
    return list(Estate.objects.filter(condition, is_active=True).order_by("name", "code").values_list("pk", flat=True))


@pytest.mark.parametrize("query", ["月湖", "小区1", "镇明路", "孔浦街道", "月湖街道 小区", "bulk00003", "中山 新城",
                                   "无此", "1", "区1", "bu", "Bu 月湖", "b", "k0"])
def test_the_search_lists_the_estates_of_the_plain_join_form_in_its_order(world, query):
    _add_estates(world, 60)
    expected = _plain(query)
    _shown, page = selectors.estate_search(query=query)
    found = []
    for number in page.paginator.page_range:
        found += [estate.pk for estate in page.paginator.page(number).object_list]
    assert found == expected
    assert page.paginator.count == len(expected)


def _plan(sql):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        raw = cursor.fetchone()[0]
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def _estate_scans(node, found=None):
    """(node type, index name) of every scan of estates_estate in the plan."""
    found = [] if found is None else found
    if node.get("Relation Name") == "estates_estate" or node["Node Type"] == "Bitmap Index Scan":
        found.append((node["Node Type"], node.get("Index Name")))
    for child in node.get("Plans", ()):
        _estate_scans(child, found)
    return found


@pytest.fixture
def many(world):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN plans are PostgreSQL's; .ci/run runs this suite on PostgreSQL too")
    _add_estates(world, 600)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE estates_estate")
        # With a test's few rows a sequential scan is always cheapest; the check is that an index can serve it.
        cursor.execute("SET LOCAL enable_seqscan = off")


@pytest.mark.parametrize("query", ["月湖小区", "镇明路 小区1", "孔浦街道"])
def test_the_search_reads_the_estates_through_the_trigram_indexes(client, world, many, query):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(FIND, {"q": query})
    assert response.status_code == 200
    searches = [q["sql"] for q in ctx.captured_queries if "LIKE" in q["sql"] and "estates_estate" in q["sql"]]
    assert len(searches) == 2, searches  # the count and the page's ids
    for sql in searches:
        scans = _estate_scans(_plan(sql))
        assert ("Seq Scan", None) not in scans, (sql, scans)
        used = {name for _kind, name in scans if name}
        assert SEARCH_INDEXES <= used, (sql, scans)
        assert any("street_id" in name for name in used), (sql, scans)
