"""The reminder log, the review queue and the firm changelist read their page without working over every row
(issue 16, docs/PERFORMANCE.md): the reminder log and the review queue take the page's ids in index order
(core.pagination.IdsFirstPaginator, reminder_date_id, obligation_state_submitted_id) and the reminder log has no
date hierarchy; the firm changelist counts estates for the page's firms only (a correlated subquery, no GROUP BY).
The pages show the same rows in the same order as the plain queries."""

import datetime
import json

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import selectors
from campaigns.models import Obligation
from core.pagination import IdsFirstPaginator
from estates.models import PropertyFirm
from notifications.models import Reminder
from tests import factories as f
from tests.campaign_ui_fixtures import add_estates, make_live

pytestmark = pytest.mark.django_db

REMINDER_URL = "/admin/notifications/reminder/"
FIRM_URL = "/admin/estates/propertyfirm/"


@pytest.fixture
def superuser(db):
    return f.UserFactory(username="root", is_superuser=True, is_staff=True)


def _reminders(live, days=5, obligations=None):
    """Reminders of every obligation on a few days (several per day, so the id decides the order within one)."""
    rows = []
    for i, ob in enumerate(obligations if obligations is not None else Obligation.objects.order_by("pk")):
        rows.append(Reminder(obligation=ob, campaign=ob.campaign, kind=Reminder.Kind.BEFORE, due_date=ob.due_date,
                             date=live.today - datetime.timedelta(days=i % days)))
    Reminder.objects.bulk_create(rows)
    return len(rows)


def _changelist(model, user, url, params=None):
    request = RequestFactory().get(url, params or {})
    request.user = user
    changelist = admin.site.get_model_admin(model).get_changelist_instance(request)
    changelist.get_results(request)
    return changelist


def _submit(live, world):
    """Submit every obligation, at times with ties (the id breaks them)."""
    now = timezone.now()
    for i, pk in enumerate(Obligation.objects.order_by("pk").values_list("pk", flat=True)):
        Obligation.objects.filter(pk=pk).update(state=Obligation.State.SUBMITTED, submitted_by=world.firm_user,
                                                submitted_at=now - datetime.timedelta(minutes=(i * 7) % 13))


# --- the reminder log -------------------------------------------------------------------------------------------

def test_the_reminder_log_has_no_date_hierarchy_but_keeps_its_date_filter():
    model_admin = admin.site.get_model_admin(Reminder)
    assert model_admin.date_hierarchy is None
    assert "date" in model_admin.list_filter
    assert model_admin.paginator is IdsFirstPaginator


@pytest.mark.parametrize("role", ["superuser", "city_user", "district_user"])
@pytest.mark.parametrize("page", [1, 2])
def test_the_reminder_log_shows_the_rows_of_the_plain_ordered_query(world, superuser, role, page):
    add_estates(world, 60)
    live = make_live(world)
    _reminders(live)
    user = superuser if role == "superuser" else getattr(world, role)
    changelist = _changelist(Reminder, user, REMINDER_URL, {"p": str(page)} if page > 1 else None)
    per_page = changelist.list_per_page
    plain = list(changelist.queryset.values_list("pk", flat=True))[(page - 1) * per_page:page * per_page]
    assert plain, role
    assert [r.pk for r in changelist.result_list] == plain, role
    # The default order is the model's: newest date first, then newest id.
    rows = list(Reminder.objects.filter(pk__in=plain).values_list("date", "pk"))
    assert [pk for _, pk in sorted(rows, reverse=True)] == plain


def test_the_reminder_log_page_takes_a_constant_number_of_queries(client, world, superuser):
    add_estates(world, 60)
    live = make_live(world)
    obligations = list(Obligation.objects.order_by("pk"))
    _reminders(live, obligations=obligations[:3])
    client.force_login(superuser)
    cache.clear()  # cold both times: cached parts (the unread count) would hide a query that grows
    with CaptureQueriesContext(connection) as few:
        assert client.get(REMINDER_URL).status_code == 200
    _reminders(live, obligations=obligations[3:])
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        response = client.get(REMINDER_URL)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == response.context["cl"].list_per_page
    assert len(many.captured_queries) == len(few.captured_queries)
    # No DISTINCT DATE_TRUNC over the log (the date hierarchy is gone).
    assert not [q for q in many.captured_queries if "DISTINCT" in q["sql"] and "reminder" in q["sql"]]


# --- the review queue -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", ["1", "2"])
def test_the_review_queue_shows_the_rows_of_the_plain_ordered_query(client, world, superuser, page):
    add_estates(world, 60)
    live = make_live(world)
    _submit(live, world)
    client.force_login(superuser)
    response = client.get(reverse("admin:campaigns_obligation_review_queue"), {"page": page})
    assert response.status_code == 200
    paginator = response.context["page"].paginator
    assert isinstance(paginator, IdsFirstPaginator)
    queue = selectors.review_queue(user=superuser)
    start = (int(page) - 1) * paginator.per_page
    plain = list(queue.values_list("pk", flat=True))[start:start + paginator.per_page]
    assert plain
    assert [o.pk for o in response.context["rows"]] == plain
    # The related rows the columns show come with the page (admin/campaigns/obligation/review_queue.html: the
    # task's title, the party, the district and the street): no further query.
    with CaptureQueriesContext(connection) as ctx:
        [(o.task.title, o.estate and (o.estate.code, o.estate.name), str(o.party), o.district, o.street)
         for o in response.context["rows"]]
    assert len(ctx.captured_queries) == 0


# --- the firm changelist ----------------------------------------------------------------------------------------

def _firms(world):
    other = f.FirmFactory(name="另一物业公司", district=world.district)
    f.FirmFactory(name="无小区物业公司", district=world.district)
    add_estates(world, 7)
    for _ in range(3):
        f.EstateFactory(firm=other, district=world.district, street=world.street)


def test_the_firm_changelist_counts_the_same_estates(world, superuser):
    _firms(world)
    changelist = _changelist(PropertyFirm, superuser, FIRM_URL)
    expected = dict(PropertyFirm.objects.annotate(n=Count("estates")).values_list("pk", "n"))
    shown = {firm.pk: firm.estate_count for firm in changelist.result_list}
    assert shown == expected
    assert 0 in shown.values()
    assert [firm.pk for firm in changelist.result_list] == list(
        PropertyFirm.objects.order_by("name", "pk").values_list("pk", flat=True))


def test_the_firm_changelist_still_sorts_by_the_count(world, superuser):
    _firms(world)
    column = list(_changelist(PropertyFirm, superuser, FIRM_URL).list_display).index("estate_count")
    changelist = _changelist(PropertyFirm, superuser, FIRM_URL, {"o": f"-{column}"})
    counts = [firm.estate_count for firm in changelist.result_list]
    assert counts == sorted(counts, reverse=True)
    assert len(set(counts)) > 1


def test_the_firm_page_query_has_no_group_by(client, world, superuser):
    _firms(world)
    client.force_login(superuser)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(FIRM_URL).status_code == 200
    # A single page (no LIMIT): the firms' query is the one with the count.
    pages = [q["sql"] for q in ctx.captured_queries
             if q["sql"].startswith('SELECT "estates_propertyfirm"."id"') and "estate_count" in q["sql"]]
    assert len(pages) == 1
    assert "GROUP BY" not in pages[0].split("(SELECT", 1)[0]


# --- EXPLAIN on PostgreSQL --------------------------------------------------------------------------------------

def _plan(sql):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        raw = cursor.fetchone()[0]
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def _limited_index_scans(node, table, under_limit=False, found=None):
    """Index scans of the table reached from a Limit node without a Sort in between."""
    found = [] if found is None else found
    kind = node["Node Type"]
    if kind == "Limit":
        under_limit = True
    elif kind in ("Sort", "Incremental Sort"):
        under_limit = False
    if kind in ("Index Scan", "Index Only Scan") and node.get("Relation Name") == table and under_limit:
        found.append(node["Index Name"])
    for child in node.get("Plans", ()):
        _limited_index_scans(child, table, under_limit, found)
    return found


def _page_query(client, user, url, prefix, params=None, must="LIMIT"):
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    pages = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith(prefix) and must in q["sql"]]
    assert len(pages) == 1, [q["sql"][:200] for q in ctx.captured_queries]
    return pages[0]


@pytest.fixture
def pg(world):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN plans are PostgreSQL's; .ci/run runs this suite on PostgreSQL too")
    add_estates(world, 300)
    return make_live(world)


def _analyze_without_seqscan(*tables):
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")
        # With a test's few rows a sequential scan is always cheapest; the check is which index the order uses.
        cursor.execute("SET LOCAL enable_seqscan = off")


def test_the_reminder_log_reads_its_order_through_the_date_index(client, superuser, pg):
    assert _reminders(pg) > 600
    _analyze_without_seqscan("notifications_reminder")
    plan = _plan(_page_query(client, superuser, REMINDER_URL, 'SELECT "notifications_reminder"."id"'))
    assert "reminder_date_id" in _limited_index_scans(plan, "notifications_reminder"), json.dumps(plan)[:4000]


def test_the_review_queue_reads_its_order_through_the_submitted_index(client, world, superuser, pg):
    _submit(pg, world)
    _analyze_without_seqscan("campaigns_obligation")
    plan = _plan(_page_query(client, superuser, reverse("admin:campaigns_obligation_review_queue"),
                             'SELECT "campaigns_obligation"."id"'))
    used = _limited_index_scans(plan, "campaigns_obligation")
    assert "obligation_state_submitted_id" in used, json.dumps(plan)[:4000]


def test_the_firm_changelist_counts_in_a_subplan(client, world, superuser, pg):
    _analyze_without_seqscan("estates_estate", "estates_propertyfirm")
    plan = _plan(_page_query(client, superuser, FIRM_URL, 'SELECT "estates_propertyfirm"."id"',
                             must="estate_count"))

    def aggregates_outside_subplans(n, inside=False):
        inside = inside or n.get("Parent Relationship") == "SubPlan" or bool(n.get("Subplan Name"))
        found = [n["Node Type"]] if n["Node Type"] == "Aggregate" and not inside else []
        for c in n.get("Plans", ()):
            found += aggregates_outside_subplans(c, inside)
        return found
    assert not aggregates_outside_subplans(plan), json.dumps(plan)[:4000]
