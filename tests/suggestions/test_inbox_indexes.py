"""The inbox reads its page through an index matching its order (PostgreSQL EXPLAIN; skipped on SQLite): newest
first walks (firm, -submitted_at, -id), by deadline (firm, answer_due, acknowledge_due, id); no sort of the table."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from suggestions.models import Suggestion
from tests.test_obligation_list_indexes import _plan

pytestmark = pytest.mark.django_db
INDEXES = {"recent": "suggestion_firm_recent", "due": "suggestion_firm_due"}


def _scans(node, under_limit=False, found=None):
    """Index scans of the entries reached from a Limit without a Sort in between."""
    found = [] if found is None else found
    kind = node["Node Type"]
    if kind == "Limit":
        under_limit = True
    elif kind in ("Sort", "Incremental Sort"):
        under_limit = False
    if kind in ("Index Scan", "Index Only Scan") and node.get("Relation Name") == "suggestions_suggestion" \
            and under_limit:
        found.append(node["Index Name"])
    for child in node.get("Plans", ()):
        _scans(child, under_limit, found)
    return found


@pytest.fixture
def many(world):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN plans are PostgreSQL's; .ci/run runs this suite on PostgreSQL too")
    now = timezone.now()
    rows = []
    for i in range(3000):
        estate = (world.estate, world.estate2, world.other_estate)[i % 3]
        day = timezone.localdate(now) - datetime.timedelta(days=i % 200)
        rows.append(Suggestion(number=f"YJ{i:011d}", token=f"t{i:042d}", estate=estate, firm_id=estate.firm_id,
                               district_id=estate.district_id, street_id=estate.street_id, category="other",
                               text="楼道里的灯坏了很久了。", submitted_at=now - datetime.timedelta(days=i % 200),
                               acknowledge_due=day + datetime.timedelta(days=1),
                               answer_due=day + datetime.timedelta(days=2),
                               state=("new", "in_progress", "resolved")[i % 3]))
    Suggestion.private_objects.bulk_create(rows, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE suggestions_suggestion")
        cursor.execute("SET LOCAL enable_seqscan = off")  # with a test's rows a scan is cheapest: check the order


def _page_sql(client, params):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("suggestions:inbox"), params).status_code == 200
    pages = [q["sql"] for q in ctx.captured_queries
             if q["sql"].startswith('SELECT "suggestions_suggestion"."id"') and "LIMIT" in q["sql"]]
    assert len(pages) == 1, [q["sql"][:200] for q in ctx.captured_queries]
    return pages[0]


@pytest.mark.parametrize("order", ["recent", "due"])
def test_the_inbox_page_walks_the_index_of_its_order(client, world, many, order):
    client.force_login(world.firm_user)
    plan = _plan(_page_sql(client, {"order": order}))
    assert INDEXES[order] in _scans(plan), json.dumps(plan, indent=1)[:4000]
