"""The public league table (e/league/…) and the poster pages."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from core.models import Job
from suggestions.models import PosterPrint, Suggestion
from suggestions.selectors import stats
from tests import factories as f
from tests.suggestions.conftest import TEXT

pytestmark = pytest.mark.django_db
State = Suggestion.State


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def answered(entry, *, on_time=True, rating=None):
    now = timezone.now()
    Suggestion.private_objects.filter(pk=entry.pk).update(
        state=State.RESOLVED, acknowledged_at=now, acknowledged_on_time=True, answered_at=now,
        answered_on_time=on_time, finished_at=now, rating=rating)


@pytest.fixture
def league_world(world, submit):
    """Three firms of the district: A (5 entries, all on time), B (5, 2 on time), C (2 entries: unranked)."""
    firm_b = f.FirmFactory(name="南门物业", district=world.district)
    firm_c = f.FirmFactory(name="小小物业", district=world.district)
    estate_b = f.EstateFactory(code="HS010", name="乙小区", street=world.street, firm=firm_b)
    estate_c = f.EstateFactory(code="HS011", name="丙小区", street=world.street, firm=firm_c)
    for _ in range(5):
        answered(submit(), rating=5)
    for i in range(5):
        answered(submit(estate=estate_b), on_time=i < 2, rating=3)
    for _ in range(2):
        submit(estate=estate_c)
    return world


def test_firms_are_ranked_and_those_under_the_minimum_listed_unranked(client, league_world):
    world = league_world
    response = client.get(reverse("suggestions:league", args=[world.district.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    table = html[html.index('id="league-table"'):html.index("</ol>")]
    assert table.index("月湖物业") < table.index("南门物业") and "小小物业" not in table
    assert "小小物业" in html  # listed, unranked
    assert "至少 5 条" in html and "排名方法" in html and "最近 12 个月" in html and "分钟" in html


def test_the_league_shows_no_entry_text_and_no_mobile(client, league_world):
    html = client.get(reverse("suggestions:league", args=[league_world.district.pk])).content.decode()
    assert TEXT not in html and "路灯" not in html
    assert "13800138000" not in html and "138****" not in html and "王阿姨" not in html


def test_ties_share_a_rank(league_world):
    ranked, _unranked = stats.league(district=league_world.district, date_range=stats.default_range(), minimum=2)
    ranks = {r["label"]: r["rank"] for r in ranked}
    assert ranks == {"月湖物业": 1, "南门物业": 2, "小小物业": 3}
    ranked, _ = stats.league(district=league_world.district, date_range=stats.default_range(), minimum=1)
    assert [r["rank"] for r in ranked] == [1, 2, 3]


def test_hidden_entries_do_not_count(league_world, submit):
    world = league_world
    for entry in Suggestion.private_objects.filter(estate=world.estate):
        Suggestion.private_objects.filter(pk=entry.pk).update(hidden=True)
    ranked, unranked = stats.league(district=world.district, date_range=stats.default_range(), minimum=5)
    assert [r["label"] for r in ranked] == ["南门物业"]


def test_another_districts_firms_are_not_in_its_table(client, league_world, submit):
    submit(estate=league_world.other_estate)
    html = client.get(reverse("suggestions:league", args=[league_world.district.pk])).content.decode()
    assert "孔浦物业" not in html


def test_a_street_is_not_a_district(client, world):
    assert client.get(reverse("suggestions:league", args=[world.street.pk])).status_code == 404
    assert client.get(reverse("suggestions:league", args=[999999])).status_code == 404


def test_the_index_lists_the_districts(client, world):
    html = client.get(reverse("suggestions:league_index")).content.decode()
    assert reverse("suggestions:league", args=[world.district.pk]) in html


def test_the_date_range_changes_the_figures_and_bad_dates_are_explained(client, league_world):
    url = reverse("suggestions:league", args=[league_world.district.pk])
    html = client.get(url, {"start": "2020-01-01", "end": "2020-12-31"}).content.decode()
    assert "2020-01-01" in html and "暂无排名" in html
    response = client.get(url, {"start": "2026-05-01", "end": "2026-01-01"})
    assert response.status_code == 200 and "结束日期不能早于开始日期" in response.content.decode()


def test_the_league_is_cached_and_its_queries_do_not_grow(client, league_world, submit):
    url = reverse("suggestions:league", args=[league_world.district.pk])
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    with CaptureQueriesContext(connection) as cached:
        client.get(url)
    assert len(cached) < len(first)
    cache.clear()
    for _ in range(3):
        submit(estate=league_world.estate2)
    with CaptureQueriesContext(connection) as again:
        client.get(url)
    assert len(again) == len(first)


class LeagueFuzz(HypothesisTestCase):
    """No query string makes the league page fail."""

    @classmethod
    def setUpTestData(cls):
        city = f.CityFactory()
        cls.district = f.DistrictFactory(parent=city)

    @hsettings(max_examples=60, deadline=None)
    @given(start=st.text(max_size=30), end=st.text(max_size=30), extra=st.text(max_size=10))
    def test_any_query_string(self, start, end, extra):
        response = self.client.get(reverse("suggestions:league", args=[self.district.pk]),
                                   {"start": start, "end": end, "page": extra})
        assert response.status_code in (200, 400)

    @hsettings(max_examples=40, deadline=None)
    @given(start=st.dates(), end=st.dates())
    def test_any_dates(self, start, end):
        response = self.client.get(reverse("suggestions:league", args=[self.district.pk]),
                                   {"start": start.isoformat(), "end": end.isoformat()})
        assert response.status_code == 200


# --- poster pages --------------------------------------------------------------------------------

def test_a_firm_user_downloads_its_estates_poster(client, world):
    client.force_login(world.firm_user)
    page = client.get(reverse("suggestions:posters")).content.decode()
    assert "月湖花园" in page and "孔浦新村" not in page
    response = client.get(reverse("suggestions:poster_pdf", args=["HS001"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert PosterPrint.objects.filter(estate=world.estate, printed_by=world.firm_user).exists()
    assert client.get(reverse("suggestions:poster_pdf", args=["JB001"])).status_code == 404


def test_the_firms_batch_and_a_staff_batch_by_street(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.firm_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("suggestions:poster_batch"), {"street": world.far_street.pk})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.params == {"scope": {"firm_id": world.firm.pk}}  # a firm prints its own estates only
    client.force_login(world.district_user)
    assert client.post(reverse("suggestions:poster_batch"), {"street": world.far_street.pk}).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("suggestions:poster_batch"), {"street": world.street.pk})
    assert response.status_code == 302 and Job.objects.count() == 2


def test_staff_page_and_single_estate_by_code(client, world):
    client.force_login(world.street_user)
    page = client.get(reverse("suggestions:posters")).content.decode()
    assert "月湖街道" in page and "孔浦街道" not in page
    response = client.post(reverse("suggestions:poster_batch"), {"code": "hs001"})
    assert response["Location"] == reverse("suggestions:poster_pdf", args=["HS001"])
    assert client.post(reverse("suggestions:poster_batch"), {"code": "JB001"}).status_code == 404
    assert client.post(reverse("suggestions:poster_batch"), {}).status_code == 302


def test_anonymous_users_log_in_for_posters(client, world):
    assert client.get(reverse("suggestions:posters")).status_code == 302
    assert client.get(reverse("suggestions:poster_pdf", args=["HS001"])).status_code == 302


def test_default_range_days():
    today = datetime.date(2026, 3, 31)
    r = stats.default_range(today)
    assert r.end == today and r.start == datetime.date(2025, 4, 1)
    assert stats.default_range(datetime.date(2028, 2, 29)).start == datetime.date(2027, 3, 1)
