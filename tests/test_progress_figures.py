"""The progress dashboard and the firm's home: summary first, tables a page at a time, figures cached until the
campaign's work changes (issue 16; selectors.progress_figures, campaigns/services/figures.py).

Every change of the work shows on the very next request: a submission, an acceptance, a return, a publication,
a deadline move, a recount of records, a task made voluntary, an estate moved to another district. A cached page
reads no obligation; its number of queries does not grow with the rows, computed or cached; and the cache never
hands one scope's figures to another.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns import services
from campaigns.admin_views import PROGRESS_PAGE_SIZE
from campaigns.models import Campaign, Obligation, PartyKind
from estates.models import Estate
from tests import factories as f
from tests.campaign_factories import ActionFactory, CampaignFactory, TaskFactory, publish
from tests.campaign_ui_fixtures import make_live, obligation

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(world):
    return make_live(world)


def progress_url(campaign):
    return reverse("admin:campaigns_campaign_progress", args=[campaign.pk])


def _get(client, user, url, params=None):
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return response, ctx.captured_queries


def _obligation_reads(queries):
    return [q["sql"] for q in queries if 'FROM "campaigns_obligation"' in q["sql"]]


def _totals(client, user, campaign, **params):
    return _get(client, user, progress_url(campaign), params)[0].context["totals"]


def _table(response, by):
    return next(t for t in response.context["tables"] if t["by"] == by)


def _many_firms(world, n):
    """n more firms of the world's district, each managing one estate of its street (before publishing)."""
    firms = [f.FirmFactory(name=f"分页物业{i:03d}", district=world.district) for i in range(n)]
    Estate.objects.bulk_create([
        Estate(code=f"PG{i:04d}", name=f"分页小区{i}", district=world.district, street=world.street, firm=firm,
               category=2, year_built=2005, households=100) for i, firm in enumerate(firms)])
    return firms


# --- the page: summary first, tables a page at a time ------------------------------------------------------------

def test_the_summary_comes_before_the_tables(client, world, live):
    response, _queries = _get(client, world.city_user, progress_url(live.campaign))
    page = response.content.decode()
    assert page.index("data-totals") < page.index('id="progress-chart"') < page.index('id="by-action"')
    for by in ("action", "task", "district", "street", "firm"):
        assert f'href="#by-{by}"' in page


def test_a_long_table_shows_one_page_and_links_to_the_next(client, world):
    _many_firms(world, PROGRESS_PAGE_SIZE + 10)
    live = make_live(world)
    response, _queries = _get(client, world.city_user, progress_url(live.campaign))
    firms = _table(response, "firm")
    assert firms["count"] == PROGRESS_PAGE_SIZE + 12  # with the world's two firms
    assert len(firms["rows"]) == PROGRESS_PAGE_SIZE
    page = response.content.decode()
    assert f'{progress_url(live.campaign)}?by=firm&amp;page=2#by-firm' in page
    assert page.count('<tr data-key=') < 2 * PROGRESS_PAGE_SIZE  # not every row of every table


def test_the_next_page_of_one_table_keeps_the_first_page_of_the_others(client, world):
    _many_firms(world, PROGRESS_PAGE_SIZE + 10)
    live = make_live(world)
    first, _q = _get(client, world.city_user, progress_url(live.campaign))
    second, _q = _get(client, world.city_user, progress_url(live.campaign), {"by": "firm", "page": "2"})
    everything = first.context["tables"]
    rows = _table(second, "firm")["rows"]
    assert len(rows) == 12
    assert {r["key"] for r in rows}.isdisjoint({r["key"] for r in _table(first, "firm")["rows"]})
    for by in ("action", "task", "district", "street"):
        assert [r["key"] for r in _table(second, by)["rows"]] == [r["key"] for r in next(
            t for t in everything if t["by"] == by)["rows"]]
    # The rows of page 2 keep their drill-down links, the page its exports and its way back.
    changelist = reverse("admin:campaigns_obligation_changelist")
    assert all(r["url_all"].startswith(f"{changelist}?campaign={live.campaign.pk}&firm=") for r in rows)
    page = second.content.decode()
    assert reverse("admin:campaigns_campaign_progress_export", args=[live.campaign.pk, "firm"]) in page
    assert '?by=firm&amp;page=1#by-firm' in page


def test_a_page_past_the_end_shows_the_last_one_and_a_bad_page_the_first(client, world):
    _many_firms(world, PROGRESS_PAGE_SIZE + 10)
    live = make_live(world)
    last, _q = _get(client, world.city_user, progress_url(live.campaign), {"by": "firm", "page": "99"})
    assert len(_table(last, "firm")["rows"]) == 12
    bad, _q = _get(client, world.city_user, progress_url(live.campaign), {"by": "firm", "page": "x"})
    assert len(_table(bad, "firm")["rows"]) == PROGRESS_PAGE_SIZE


def test_the_pages_of_a_narrowed_dashboard_stay_narrowed(client, world):
    _many_firms(world, PROGRESS_PAGE_SIZE + 10)
    live = make_live(world)
    response, _q = _get(client, world.city_user, progress_url(live.campaign), {"district": world.district.pk})
    assert response.context["narrow"]["district"] == world.district
    page = response.content.decode()
    assert f'?district={world.district.pk}&amp;by=firm&amp;page=2#by-firm' in page
    second, _q = _get(client, world.city_user, progress_url(live.campaign),
                      {"district": world.district.pk, "by": "firm", "page": "2"})
    assert second.context["narrow"]["district"] == world.district
    assert all(f"district={world.district.pk}" in r["url_all"] for r in _table(second, "firm")["rows"])


def test_the_chart_counts_every_row_not_the_tables_page(client, world):
    _many_firms(world, 3)
    live = make_live(world)
    response, _q = _get(client, world.city_user, progress_url(live.campaign))
    districts = _table(response, "district")["rows"]
    assert response.context["chart"]["labels"] == [r["label"] for r in districts]


# --- cached, and fresh after every change --------------------------------------------------------------------------

def test_a_second_request_reads_no_obligation(client, world, live):
    _response, computed = _get(client, world.city_user, progress_url(live.campaign))
    assert len(_obligation_reads(computed)) >= 7  # five tables, the totals, who else reviews
    _response, cached = _get(client, world.city_user, progress_url(live.campaign))
    assert _obligation_reads(cached) == []


def test_the_query_count_does_not_grow_with_the_rows_computed_or_cached(client, world):
    live = make_live(world)
    url = progress_url(live.campaign)
    _get(client, world.city_user, url)
    small_cached = len(_get(client, world.city_user, url)[1])
    services.figures_changed(campaigns=[live.campaign])
    small_computed = len(_get(client, world.city_user, url)[1])
    _many_firms(world, PROGRESS_PAGE_SIZE + 10)
    services.obligations_sync(campaign=live.campaign)
    large_computed = len(_get(client, world.city_user, url)[1])
    large_cached = len(_get(client, world.city_user, url)[1])
    assert (small_computed, small_cached) == (large_computed, large_cached)
    assert small_cached < small_computed


def test_a_submission_shows_at_once(client, world, live):
    before = _totals(client, world.city_user, live.campaign)
    services.obligation_submit(obligation=obligation(live.letter, estate=world.estate), user=world.firm_user,
                               text="已张贴")
    after = _totals(client, world.city_user, live.campaign)
    assert after["submitted"] == before["submitted"] + 1
    assert after["overdue"] == before["overdue"] - 1


def test_an_acceptance_and_a_return_show_at_once(client, world, live):
    letter = obligation(live.letter, estate=world.estate)
    box = obligation(live.letter, estate=world.estate2)
    for o in (letter, box):
        services.obligation_submit(obligation=o, user=world.firm_user, text="已张贴")
    before = _totals(client, world.city_user, live.campaign)
    services.obligation_accept(obligation=letter, user=world.district_user)
    accepted = _totals(client, world.city_user, live.campaign)
    assert (accepted["accepted"], accepted["submitted"]) == (before["accepted"] + 1, before["submitted"] - 1)
    services.obligation_return(obligation=box, user=world.district_user, reason="照片不清楚")
    returned = _totals(client, world.city_user, live.campaign)
    assert (returned["returned"], returned["submitted"]) == (before["returned"] + 1, before["submitted"] - 2)


def test_a_bulk_review_shows_at_once(client, world, live):
    ids = [obligation(live.letter, estate=e).pk for e in (world.estate, world.estate2)]
    for pk in ids:
        services.obligation_submit(obligation=Obligation.objects.get(pk=pk), user=world.firm_user, text="已张贴")
    before = _totals(client, world.city_user, live.campaign)
    count, _refused = services.obligation_accept_many(obligations=ids, user=world.district_user)
    assert count == 2
    assert _totals(client, world.city_user, live.campaign)["accepted"] == before["accepted"] + 2


def test_a_publication_shows_at_once(client, world):
    today = datetime.date.today()
    draft = CampaignFactory(issuing_agency=world.city, name="草稿活动", year=today.year,
                            start_date=today - datetime.timedelta(days=10),
                            end_date=today + datetime.timedelta(days=90))
    action = ActionFactory(campaign=draft)
    TaskFactory(action=action, party_kind=PartyKind.ESTATE, window_start=today - datetime.timedelta(days=5),
                deadline=today + datetime.timedelta(days=20), evidence_kinds=["text"])
    assert _totals(client, world.city_user, draft)["total"] == 0
    publish(draft, user=world.city_user)
    assert _totals(client, world.city_user, draft)["total"] == 3  # the world's three estates


def test_a_deadline_move_shows_at_once(client, world, live):
    before = _totals(client, world.city_user, live.campaign)
    assert before["overdue"] >= 3  # the letter, two days late at each estate
    services.task_move_deadline(task=live.letter, deadline=live.today + datetime.timedelta(days=10),
                                user=world.city_user)
    assert _totals(client, world.city_user, live.campaign)["overdue"] == before["overdue"] - 3


def test_a_task_made_voluntary_shows_at_once(client, world, live):
    before = _totals(client, world.city_user, live.campaign)
    live.letter.is_voluntary = True
    live.letter.save()
    after = _totals(client, world.city_user, live.campaign)
    assert after["total"] == before["total"] - 3  # voluntary work nobody took up is not counted


def test_a_recount_of_records_shows_at_once(client, world, live):
    """An automatic submission (records_changed) renews the token too."""
    from campaigns.models import RecordKind

    today = live.today
    task = TaskFactory(action=live.action, title="开展培训", party_kind=PartyKind.FIRM,
                       window_start=today - datetime.timedelta(days=10), deadline=today + datetime.timedelta(days=20),
                       evidence_kinds=[], record_kind=RecordKind.TRAINING, min_count=1)
    services.obligations_sync(campaign=live.campaign)
    assert Obligation.objects.filter(task=task, firm=world.firm).exists()
    before = _totals(client, world.city_user, live.campaign)
    services.training_record(user=world.firm_user, date=today, topic="内部培训", organiser_firm=world.firm,
                             attendee_count=12)
    assert _totals(client, world.city_user, live.campaign)["submitted"] == before["submitted"] + 1


def test_an_estate_moved_to_another_district_shows_at_once(client, world, live):
    response, _q = _get(client, world.city_user, progress_url(live.campaign))
    before = {r["key"]: r["total"] for r in _table(response, "district")["rows"]}
    moved = Obligation.objects.filter(estate=world.estate2, campaign=live.campaign).count()
    estate = Estate.objects.get(pk=world.estate2.pk)
    estate.street = world.far_street
    estate.district = world.other_district
    estate.save()
    response, _q = _get(client, world.city_user, progress_url(live.campaign))
    after = {r["key"]: r["total"] for r in _table(response, "district")["rows"]}
    assert after[world.other_district.pk] == before[world.other_district.pk] + moved
    assert after[world.district.pk] == before[world.district.pk] - moved


def test_a_renamed_district_shows_its_new_name_at_once(client, world, live):
    _get(client, world.city_user, progress_url(live.campaign))
    world.district.short_name = "新海曙"
    world.district.save()
    response, _q = _get(client, world.city_user, progress_url(live.campaign))
    assert "新海曙" in [r["label"] for r in _table(response, "district")["rows"]]


def test_the_days_overdue_work_is_counted_on_the_day(world, live):
    """The day is part of the key: tomorrow's figures are not today's."""
    from campaigns import selectors

    today = selectors.progress_figures(user=world.city_user, campaign=live.campaign, today=live.today)
    later = selectors.progress_figures(user=world.city_user, campaign=live.campaign,
                                       today=live.today + datetime.timedelta(days=4))
    assert later["totals"]["overdue"] > today["totals"]["overdue"]  # the box, due in three days


# --- the cache never crosses scopes -----------------------------------------------------------------------------

def test_each_scope_gets_its_own_figures(client, world, live):
    city = _totals(client, world.city_user, live.campaign)
    district = _totals(client, world.district_user, live.campaign)
    other = _totals(client, world.other_district_user, live.campaign)
    street = _totals(client, world.street_user, live.campaign)
    assert city["total"] > district["total"] > street["total"] > 0
    assert other["total"] > 0 and other["total"] != district["total"]
    # Again, from the cache: the same figures per scope.
    assert _totals(client, world.district_user, live.campaign) == district
    assert _totals(client, world.other_district_user, live.campaign) == other
    assert _totals(client, world.city_user, live.campaign) == city


def test_another_districts_narrowing_is_still_404_with_a_warm_cache(client, world, live):
    _totals(client, world.city_user, live.campaign, district=world.other_district.pk)
    client.force_login(world.district_user)
    assert client.get(progress_url(live.campaign), {"district": world.other_district.pk}).status_code == 404


def test_a_campaign_of_another_city_is_still_404(client, world, live):
    far_city = f.CityFactory(name="远方市")
    far = CampaignFactory(issuing_agency=far_city, name="远方活动")
    client.force_login(world.city_user)
    assert client.get(progress_url(far)).status_code == 404


def test_a_cache_that_fails_is_a_miss_not_an_error(client, world, live, monkeypatch):
    from campaigns import selectors

    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    from django.core.cache import caches

    backend = caches["default"]  # the backend object itself (selectors.cache is a proxy to it)
    for method in ("get", "set", "get_many", "set_many", "add", "delete"):
        monkeypatch.setattr(backend, method, broken)
    assert selectors.cache.get_many is broken
    assert _totals(client, world.city_user, live.campaign)["total"] > 0


# --- the firm's home ---------------------------------------------------------------------------------------------

def _panel_counts(client, user):
    response, queries = _get(client, user, reverse("portal:dashboard"))
    page = response.content.decode()
    return page, queries


def _overdue_link_count(page, campaign):
    match = re.search(rf'data-campaign="{campaign.pk}".*?</section>', page, re.S)
    assert match, page
    return match.group(0)


def test_the_firms_home_counts_come_from_the_cache_until_the_work_changes(client, world, live):
    from campaigns import selectors

    first = selectors.firm_campaign_panels(user=world.firm_user, today=live.today)
    with CaptureQueriesContext(connection) as cached:
        again = selectors.firm_campaign_panels(user=world.firm_user, today=live.today)
    assert again == first
    assert _obligation_reads(cached.captured_queries) == []
    services.obligation_submit(obligation=obligation(live.letter, estate=world.estate), user=world.firm_user,
                               text="已张贴")
    after = selectors.firm_campaign_panels(user=world.firm_user, today=live.today)
    (panel,) = after
    (before,) = first
    assert panel["counts"]["overdue"] == before["counts"]["overdue"] - 1


def test_the_firms_home_page_shows_the_change_at_once(client, world, live):
    page, _q = _panel_counts(client, world.firm_user)
    before = _overdue_link_count(page, live.campaign)
    services.obligation_submit(obligation=obligation(live.letter, estate=world.estate), user=world.firm_user,
                               text="已张贴")
    page, _q = _panel_counts(client, world.firm_user)
    assert _overdue_link_count(page, live.campaign) != before


def test_each_firm_gets_its_own_panel(world, live):
    from campaigns import selectors

    mine = selectors.firm_campaign_panels(user=world.firm_user, today=live.today)
    theirs = selectors.firm_campaign_panels(user=world.other_firm_user, today=live.today)
    assert mine[0]["counts"]["all"] != theirs[0]["counts"]["all"]
    assert selectors.firm_campaign_panels(user=world.firm_user, today=live.today) == mine


def test_a_closed_campaign_leaves_the_firms_home_at_once(world, live):
    from campaigns import selectors

    assert selectors.firm_campaign_panels(user=world.firm_user, today=live.today)
    services.campaign_close(campaign=Campaign.objects.get(pk=live.campaign.pk))
    assert selectors.firm_campaign_panels(user=world.firm_user, today=live.today) == []


# --- the bureau's landing page -----------------------------------------------------------------------------------

def _landing_row(client, user, campaign):
    response, queries = _get(client, user, reverse("admin:index"))
    return next(r for r in response.context["landing"]["campaigns"] if r["campaign"] == campaign), queries


def test_the_landing_pages_campaign_figures_are_cached_and_change_at_once(client, world, live):
    before, computed = _landing_row(client, world.district_user, live.campaign)
    again, cached = _landing_row(client, world.district_user, live.campaign)
    assert again == before
    def grouped(queries):  # the campaigns' GROUP BY
        return [q for q in queries if "GROUP BY" in q["sql"] and "campaigns_obligation" in q["sql"]]

    assert grouped(computed) and not grouped(cached) and len(cached) < len(computed)
    services.obligation_submit(obligation=obligation(live.letter, estate=world.estate), user=world.firm_user,
                               text="已张贴")
    after, _q = _landing_row(client, world.district_user, live.campaign)
    assert (after["submitted"], after["overdue"]) == (before["submitted"] + 1, before["overdue"] - 1)


# --- one computation after a write, not one per waiting request --------------------------------------------------

def _lock_of(selectors, kind, user, campaign, *parts):
    return selectors._figures_key(kind, selectors._today(None), user, campaign.pk, *parts) + ":computing"


def test_while_one_request_computes_new_figures_the_others_get_the_latest_ones(world, live):
    from django.core.cache import cache

    from campaigns import selectors

    before = selectors.progress_figures(user=world.city_user, campaign=live.campaign)["totals"]
    services.obligation_submit(obligation=obligation(live.letter, estate=world.estate), user=world.firm_user,
                               text="已张贴")
    live.campaign.refresh_from_db()
    lock = _lock_of(selectors, "progress", world.city_user, live.campaign, live.campaign.figures_token)
    assert cache.add(lock, 1, 60)  # another request is computing the new token's figures
    with CaptureQueriesContext(connection) as ctx:
        served = selectors.progress_figures(user=world.city_user, campaign=live.campaign)["totals"]
    assert served == before  # the figures as they were just before the write, not computed a second time
    assert not _obligation_reads(ctx.captured_queries)
    cache.delete(lock)  # that request has stored its figures (or given up): the next request has the new ones
    after = selectors.progress_figures(user=world.city_user, campaign=live.campaign)["totals"]
    assert after["submitted"] == before["submitted"] + 1
    assert cache.get(lock) is None  # the computing request let go of its lock


def test_with_no_earlier_figures_a_waiting_request_computes_them(world, live):
    from django.core.cache import cache

    from campaigns import selectors

    lock = _lock_of(selectors, "progress", world.city_user, live.campaign, live.campaign.figures_token)
    assert cache.add(lock, 1, 60)
    totals = selectors.progress_figures(user=world.city_user, campaign=live.campaign)["totals"]
    assert totals["total"] == Obligation.objects.filter(campaign=live.campaign).count()


def test_the_lock_is_let_go_when_the_computation_fails(world, live, monkeypatch):
    from django.core.cache import cache

    from campaigns import selectors

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(selectors, "campaign_totals", broken)
    with pytest.raises(RuntimeError):
        selectors.progress_figures(user=world.city_user, campaign=live.campaign)
    lock = _lock_of(selectors, "progress", world.city_user, live.campaign, live.campaign.figures_token)
    assert cache.get(lock) is None
    monkeypatch.undo()
    assert selectors.progress_figures(user=world.city_user, campaign=live.campaign)["totals"]["total"] > 0


def test_each_scope_and_day_has_its_own_latest_figures(world, live):
    from django.core.cache import cache

    from campaigns import selectors

    city = selectors.progress_figures(user=world.city_user, campaign=live.campaign)["totals"]
    lock = _lock_of(selectors, "progress", world.district_user, live.campaign, live.campaign.figures_token)
    assert cache.add(lock, 1, 60)
    district = selectors.progress_figures(user=world.district_user, campaign=live.campaign)["totals"]
    # The district has no latest figures of its own yet: computed for its area, never the city's.
    assert district == selectors.campaign_totals(user=world.district_user, campaign=live.campaign)
    assert district["total"] < city["total"]


def test_the_landing_pages_counts_while_another_request_computes_them(client, world, live):
    from django.core.cache import cache

    from campaigns import selectors

    before = selectors.bureau_landing(user=world.city_user)
    services.obligation_submit(obligation=obligation(live.letter, estate=world.estate), user=world.firm_user,
                               text="已张贴")
    key = selectors._figures_key("landing-counts", selectors._today(None), world.city_user,
                                 f"user{world.city_user.pk}", selectors.obligations_version())
    assert cache.add(key + ":computing", 1, 60)
    assert selectors.bureau_landing(user=world.city_user)["review_count"] == before["review_count"]
    cache.delete(key + ":computing")
    assert selectors.bureau_landing(user=world.city_user)["review_count"] == before["review_count"] + 1
