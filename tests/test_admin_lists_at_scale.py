"""The bureau lists that slowed down with a city's size (issue 16, 50,000 estates; docs/PERFORMANCE.md): the
activity and outbox logs read no date hierarchy, the outbox's page comes through its date index and its kind
filter from the registry, the activities' count and rows are kept under the records' and the registry's versions,
and a city's street filters wait for a district instead of listing every street of the city."""

import datetime
import json

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns import services
from campaigns.models import Activity
from core.pagination import IdsFirstPaginator
from estates.models import Agency
from notifications import outbox, registry
from notifications.channels import Message
from notifications.models import OutboxMessage
from notifications.registry import Recipient
from suggestions.models import Suggestion
from tests import factories as f
from tests.test_admin_page_reads import _analyze_without_seqscan, _limited_index_scans, _page_query, _plan

pytestmark = pytest.mark.django_db

ACTIVITY_URL = "/admin/campaigns/activity/"
OUTBOX_URL = "/admin/notifications/outboxmessage/"
SUGGESTION_URL = "/admin/suggestions/suggestion/"
OBLIGATION_URL = "/admin/campaigns/obligation/"
ESTATE_URL = "/admin/estates/estate/"
DAY = datetime.date(2026, 11, 20)


@pytest.fixture
def superuser(db):
    return f.UserFactory(username="root", is_superuser=True, is_staff=True)


def _activities(world, n, **extra):
    return [Activity.objects.create(kind="friendship", date=DAY - datetime.timedelta(days=i % 9), title=f"活动{i:03d}",
                                    firm=world.firm, estate=world.estate, **extra) for i in range(n)]


def _activity_reads(queries):
    return [q["sql"] for q in queries if 'FROM "campaigns_activity"' in q["sql"]]


# --- activities ----------------------------------------------------------------------------------------------

def test_the_activity_log_has_no_date_hierarchy_but_a_date_filter():
    model_admin = admin.site.get_model_admin(Activity)
    assert model_admin.date_hierarchy is None
    assert "date" in model_admin.list_filter


def test_a_kept_activity_list_reads_no_activity(client, world):
    _activities(world, 3)
    client.force_login(world.district_user)
    first = client.get(ACTIVITY_URL)
    assert first.status_code == 200 and "活动002" in first.content.decode()
    with CaptureQueriesContext(connection) as ctx:
        second = client.get(ACTIVITY_URL)
    assert second.content.decode().count("活动00") == first.content.decode().count("活动00")
    assert not _activity_reads(ctx.captured_queries)


def test_a_new_activity_a_withdrawn_one_and_a_renamed_firm_show_at_once(client, world):
    _activities(world, 2)
    client.force_login(world.district_user)
    assert "活动001" in client.get(ACTIVITY_URL).content.decode()
    Activity.objects.create(kind="friendship", date=DAY, title="新来的活动", firm=world.firm, estate=world.estate)
    response = client.get(ACTIVITY_URL)
    assert "新来的活动" in response.content.decode() and response.context["cl"].result_count == 3
    Activity.objects.filter(title="活动001").get().delete()
    assert "活动001" not in client.get(ACTIVITY_URL).content.decode()
    world.firm.name = "改名后的物业公司"
    world.firm.save()
    assert "改名后的物业公司" in client.get(ACTIVITY_URL).content.decode()


def test_each_scope_keeps_its_own_activity_rows(client, world):
    Activity.objects.create(kind="friendship", date=DAY, title="本区的活动", firm=world.firm, estate=world.estate)
    Activity.objects.create(kind="friendship", date=DAY, title="外区的活动", firm=world.other_firm,
                            estate=world.other_estate)
    client.force_login(world.city_user)
    city = client.get(ACTIVITY_URL).content.decode()
    assert "本区的活动" in city and "外区的活动" in city
    client.force_login(world.district_user)
    district = client.get(ACTIVITY_URL).content.decode()
    assert "本区的活动" in district and "外区的活动" not in district


def test_activities_inserted_in_bulk_show_once_announced(client, world):
    client.force_login(world.district_user)
    assert "成批的活动" not in client.get(ACTIVITY_URL).content.decode()
    Activity.objects.bulk_create([Activity(kind="friendship", date=DAY, title="成批的活动", firm=world.firm,
                                           estate=world.estate)])
    services.records_inserted_in_bulk(firm_ids=[world.firm.pk])
    assert "成批的活动" in client.get(ACTIVITY_URL).content.decode()


# --- the outbox --------------------------------------------------------------------------------------------------

KIND = "tests.scale-ping"


@pytest.fixture
def kind():
    registry.register_message_kind(KIND, label="规模测试消息", render=lambda m: Message(
        category="general", subject="x", text="x", summary="x", link="/portal/"),
        recipients=lambda payload: [Recipient.user(payload["user"])])
    yield KIND
    registry.unregister_message_kind(KIND)


def _messages(user, n, kind=KIND):
    today = timezone.localdate()
    outbox.enqueue_many(kind, [(f"m{i}", {"user": user.pk}, [Recipient.user(user)],
                                today - datetime.timedelta(days=i % 7)) for i in range(n)])


def test_the_outbox_log_pages_by_ids_and_has_no_date_hierarchy():
    model_admin = admin.site.get_model_admin(OutboxMessage)
    assert model_admin.date_hierarchy is None
    assert model_admin.paginator is IdsFirstPaginator
    assert "date" in model_admin.list_filter


def test_the_outbox_kind_filter_offers_the_registered_kinds_and_reads_no_message(superuser, kind):
    request = RequestFactory().get(OUTBOX_URL)
    request.user = superuser
    with CaptureQueriesContext(connection) as ctx:
        changelist = admin.site.get_model_admin(OutboxMessage).get_changelist_instance(request)
    spec = next(s for s in changelist.filter_specs if getattr(s, "parameter_name", "") == "kind")
    assert (KIND, "规模测试消息") in [(value, str(label)) for value, label in spec.lookup_choices]
    assert set(dict(spec.lookup_choices)) == set(registry.message_kinds())
    assert not [q for q in ctx.captured_queries if "DISTINCT" in q["sql"]]


def test_the_outbox_kind_filter_narrows_the_list(client, superuser, world, kind):
    _messages(world.firm_user, 3)
    other = registry.register_message_kind(KIND + ".other", render=registry.get_message_kind(KIND).render,
                                           recipients=registry.get_message_kind(KIND).recipients)
    try:
        _messages(world.firm_user, 2, kind=other.key)
    finally:
        registry.unregister_message_kind(other.key)
    client.force_login(superuser)
    response = client.get(OUTBOX_URL, {"kind": KIND})
    assert response.status_code == 200
    assert {m.kind for m in response.context["cl"].result_list} == {KIND}
    assert response.context["cl"].result_count == 3


@pytest.mark.parametrize("page", [1, 2])
def test_the_outbox_log_shows_the_rows_of_the_plain_ordered_query(superuser, world, kind, page):
    _messages(world.firm_user, 130)
    request = RequestFactory().get(OUTBOX_URL, {"p": str(page)} if page > 1 else {})
    request.user = superuser
    changelist = admin.site.get_model_admin(OutboxMessage).get_changelist_instance(request)
    changelist.get_results(request)
    per_page = changelist.list_per_page
    plain = list(OutboxMessage.objects.order_by("-date", "-pk").values_list("pk", flat=True))
    assert [m.pk for m in changelist.result_list] == plain[(page - 1) * per_page:page * per_page]


def test_the_outbox_log_reads_its_order_through_the_date_index(client, superuser, world, kind):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN plans are PostgreSQL's; .ci/run runs this suite on PostgreSQL too")
    _messages(world.firm_user, 400)
    _analyze_without_seqscan("notifications_outboxmessage")
    plan = _plan(_page_query(client, superuser, OUTBOX_URL, 'SELECT "notifications_outboxmessage"."id"'))
    assert "outbox_date_id" in _limited_index_scans(plan, "notifications_outboxmessage"), json.dumps(plan)[:4000]


# --- street filters ----------------------------------------------------------------------------------------------

def _choices(user, model, url, params=None, name="street"):
    request = RequestFactory().get(url, params or {})
    request.user = user
    changelist = admin.site.get_model_admin(model).get_changelist_instance(request)
    spec = next((s for s in changelist.filter_specs if getattr(s, "parameter_name", "") == name), None)
    return None if spec is None else {int(value) for value, _label in spec.lookup_choices}


def _streets(district):
    return set(Agency.objects.filter(level=Agency.Level.STREET, parent=district).values_list("pk", flat=True))


@pytest.mark.parametrize("model,url", [("suggestion", SUGGESTION_URL), ("obligation", OBLIGATION_URL),
                                       ("estate", ESTATE_URL)])
def test_a_citys_street_filter_waits_for_a_district(world, superuser, model, url):
    from campaigns.models import Obligation
    from estates.models import Estate

    model = {"suggestion": Suggestion, "obligation": Obligation, "estate": Estate}[model]
    for user in (world.city_user, superuser):
        assert not _choices(user, model, url)  # no district chosen: no street listed (Django hides the filter)
        assert _choices(user, model, url, {"district": str(world.district.pk)}) == _streets(world.district)
    # District staff see their own streets without choosing.
    assert _choices(world.district_user, model, url) == _streets(world.district)


@pytest.mark.parametrize("role", ["city_user", "superuser"])
def test_a_street_chosen_without_its_district_still_filters(client, world, superuser, role):
    from suggestions import services as suggestion_services

    def submit(estate):
        return suggestion_services.suggestion_submit(
            estate=estate, category="facilities", text="小区东门的路灯坏了三天，请尽快修理。", name="王阿姨",
            mobile="13800000000", consent_contact=True, client_address="203.0.113.7")

    here, there = submit(world.estate), submit(world.estate2)
    assert here.street_id == world.street.pk and there.street_id != world.street.pk
    client.force_login(superuser if role == "superuser" else getattr(world, role))
    response = client.get(SUGGESTION_URL, {"street": str(world.street.pk)})
    assert response.status_code == 200
    assert {s.pk for s in response.context["cl"].result_list} == {here.pk}
    # The chosen street is the filter's one choice, shown as chosen.
    assert _choices(superuser if role == "superuser" else world.city_user, Suggestion, SUGGESTION_URL,
                    {"street": str(world.street.pk)}) == {world.street.pk}
