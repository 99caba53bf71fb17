"""The firm's and the district's obligation queries read indexes (issue 16, docs/PERFORMANCE.md).

The scope tests a record's own columns (``estate_id = ANY(ARRAY(ids of the visible estates)) OR firm_id = f``,
estates.scoping.ids_in_q), so PostgreSQL can combine the foreign-key indexes of campaigns_obligation (a BitmapOr)
instead of scanning every obligation to test the joined estate. With a test's thousand rows a sequential scan is
always cheapest, so the plans are read with ``enable_seqscan = off``: a query that *can* use an index then does,
one that cannot (the join form) still scans. tests/matrix/test_scope_rewrite.py proves the rows are the same.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns import selectors
from tests import test_obligation_list_indexes as lists
from tests.test_obligation_list_indexes import ADMIN_URL, PORTAL_URL, _page_query, _plan

big_city = lists.big_city  # the fixture: about 1,000 obligations, ANALYZEd, enable_seqscan off

pytestmark = pytest.mark.django_db


SCOPE_COLUMNS = ("estate_id", "firm_id", "agency_id", "district_id", "street_id")


def _obligation_scans(node, found=None):
    """Every read of campaigns_obligation in the plan (InitPlans and SubPlans included): (node type, index
    condition). A Bitmap Heap Scan is read through the Bitmap Index Scans under it."""
    found = [] if found is None else found
    if node.get("Relation Name") == "campaigns_obligation" and node["Node Type"] != "Bitmap Heap Scan":
        found.append((node["Node Type"], node.get("Index Cond", "")))
    elif node["Node Type"] == "Bitmap Index Scan" and node.get("Index Name", "").startswith("campaigns_obligation") \
            or node.get("Index Name", "").startswith("obligation_"):
        found.append((node["Node Type"], node.get("Index Cond", "")))
    for child in node.get("Plans", ()):
        _obligation_scans(child, found)
    return found


def _no_seq_scan(sql):
    """No read of every obligation (a Seq Scan, or an index walked whole: no Index Cond), and the scope's
    own columns used as an index condition (not a campaign's every row filtered by the scope)."""
    plan = _plan(sql)
    scans = _obligation_scans(plan)
    shown = json.dumps(plan, indent=1)[:6000]
    assert scans, shown
    assert all(kind != "Seq Scan" and cond for kind, cond in scans), (scans, shown)
    assert any(column in cond for _kind, cond in scans for column in SCOPE_COLUMNS), (scans, shown)
    return scans


def _queries(client, user, url, params=None):
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries if '"campaigns_obligation"' in q["sql"]]


def test_the_firms_list_page_reads_its_obligations_through_indexes(client, world, big_city):
    _no_seq_scan(_page_query(client, world.firm_user, PORTAL_URL))


def test_every_obligation_query_of_the_firms_list_uses_an_index(client, world, big_city):
    """The page, its count and the filter counts (selectors.filter_counts)."""
    queries = _queries(client, world.firm_user, PORTAL_URL)
    assert len(queries) >= 3
    for sql in queries:
        _no_seq_scan(sql)


def test_the_firms_home_counts_use_an_index(client, world, big_city):
    """The portal home's campaign panel (selectors.firm_campaign_panels, ObligationQuerySet.for_firm)."""
    queries = _queries(client, world.firm_user, "/portal/")
    assert queries
    for sql in queries:
        _no_seq_scan(sql)


def test_the_districts_changelist_count_uses_an_index(client, world, big_city):
    queries = _queries(client, world.district_user, ADMIN_URL)
    counts = [sql for sql in queries if sql.startswith("SELECT COUNT(*)")]
    assert counts, queries
    for sql in counts:
        _no_seq_scan(sql)


def test_the_districts_progress_figures_use_an_index(world, big_city):
    """The district's headline count (scope and area, selectors.campaign_totals)."""
    with CaptureQueriesContext(connection) as ctx:
        totals = selectors.campaign_totals(user=world.district_user, campaign=big_city.campaign)
    assert totals["total"] > 1000
    (sql,) = [q["sql"] for q in ctx.captured_queries]
    _no_seq_scan(sql)


def test_the_street_officers_count_uses_an_index(client, world, big_city):
    queries = _queries(client, world.street_user, ADMIN_URL)
    for sql in [sql for sql in queries if sql.startswith("SELECT COUNT(*)")]:
        _no_seq_scan(sql)
