"""What the public form keeps between requests (suggestions/pagecache.py, selectors/public.py estate_for_form,
deadlines.py due_dates): the same page and the same deadlines as without it, and every change shown at once."""

import datetime
import re
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from suggestions import deadlines, pagecache
from suggestions.models import DeadlinePolicy

from .conftest import at

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def fresh():
    pagecache.clear()
    yield
    pagecache.clear()


def url(code="HS001"):
    return reverse("suggestions:suggest", args=[code])


def page(response):
    assert response.status_code == 200
    return TOKEN.sub('name="csrfmiddlewaretoken" value="…"', response.content.decode())


@pytest.mark.parametrize("cookies", [{}, {"public_large": "1"}])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_kept_page_is_the_page_the_template_draws(world, monkeypatch, cookies, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies.load(cookies)
    first, kept = client.get(url()), client.get(url())
    monkeypatch.setattr(pagecache, "cacheable", lambda request: False)
    drawn = client.get(url())
    assert page(first) == page(kept) == page(drawn)
    assert 'name="csrfmiddlewaretoken" value="' in kept.content.decode()
    assert kept["Content-Type"] == drawn["Content-Type"]


def test_a_client_submits_the_kept_page_with_its_own_token(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    Client().get(url())  # another client's visit: the page is kept
    client = Client(enforce_csrf_checks=True)
    html = client.get(url()).content.decode()
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    assert len(tokens) == 1 and "csrfplaceholder" not in html and "csrftoken" in client.cookies
    response = client.post(url(), {"csrfmiddlewaretoken": tokens.pop(), "category": "environment",
                                   "text": "三号楼门口的垃圾桶两天没有清运。", "website": ""})
    assert response.status_code == 302
    assert Client(enforce_csrf_checks=True).post(url(), {"csrfmiddlewaretoken": "x" * 64}).status_code == 403


def test_a_renamed_firm_or_a_new_hotline_shows_on_the_form_at_once(client, world):
    assert "月湖物业" in client.get(url()).content.decode()
    world.firm.name = "月湖物业服务有限公司"
    world.firm.hotline = "0574-87654321"
    world.firm.save()
    html = client.get(url()).content.decode()
    assert "月湖物业服务有限公司" in html and "0574-87654321" in html
    world.estate.refresh_from_db()
    world.estate.hotline = "0574-11112222"
    world.estate.save()
    html = client.get(url()).content.decode()
    assert "0574-11112222" in html and "0574-87654321" not in html


def test_a_query_string_or_a_message_is_never_kept(client, world, monkeypatch):
    drawn = []
    empty_form = pagecache.empty_form
    monkeypatch.setattr(pagecache, "empty_form", lambda *a, **k: drawn.append(1) or empty_form(*a, **k))
    client.get(url() + "?utm=poster")
    assert drawn == [] and not len(pagecache._pages)
    client.get(url())
    assert drawn == [1] and len(pagecache._pages) == 1


def test_a_sender_over_the_limit_or_asked_for_the_challenge_gets_the_page_drawn(client, world, settings):
    settings.SUGGESTION_CHALLENGE_AFTER = 1
    html = client.get(url()).content.decode()
    assert "altcha-widget" in html and not len(pagecache._pages)


def test_the_kept_pages_are_bounded(client, world, monkeypatch):
    monkeypatch.setattr(pagecache._pages, "size", 2)
    for code in ("HS001", "HS002", "HS001", "hs001"):
        client.get(url(code))
    assert len(pagecache._pages) == 2


# --- the deadlines of a district and a day --------------------------------------------------------------------

DAY = datetime.date(2025, 11, 3)  # a Monday


def test_the_deadlines_are_read_once_per_district_and_day(world, django_assert_num_queries):
    with django_assert_num_queries(2):  # the policy, the calendar
        first = deadlines.due_dates(world.estate, at(DAY))
    with django_assert_num_queries(0):
        assert deadlines.due_dates(world.estate2, at(DAY, 15)) == first  # the same district
    with django_assert_num_queries(2):
        deadlines.due_dates(world.other_estate, at(DAY))  # another district


def test_a_new_or_changed_policy_sets_the_deadlines_at_once(world):
    assert deadlines.due_dates(world.estate, at(DAY)) == (datetime.date(2025, 11, 4), datetime.date(2025, 11, 5))
    policy = DeadlinePolicy.objects.create(district=world.district, acknowledge_workdays=2, answer_workdays=5)
    assert deadlines.due_dates(world.estate, at(DAY)) == (datetime.date(2025, 11, 5), datetime.date(2025, 11, 10))
    policy.answer_workdays = 3
    policy.save()
    assert deadlines.due_dates(world.estate, at(DAY))[1] == datetime.date(2025, 11, 6)
    policy.delete()
    assert deadlines.due_dates(world.estate, at(DAY))[1] == datetime.date(2025, 11, 5)


def test_a_campaign_published_or_ended_sets_the_deadlines_at_once(world):
    from campaigns.models import Campaign

    campaign = Campaign.objects.create(name="2025 年文明物业创建", year=2025, issuing_agency=world.city,
                                       status="draft", start_date=datetime.date(2025, 1, 1),
                                       end_date=datetime.date(2025, 12, 31))
    DeadlinePolicy.objects.create(campaign=campaign, acknowledge_workdays=3, answer_workdays=3)
    assert deadlines.due_dates(world.estate, at(DAY))[1] == datetime.date(2025, 11, 5)  # the default: 2 days
    campaign.status = "published"
    campaign.save()
    assert deadlines.due_dates(world.estate, at(DAY))[1] == datetime.date(2025, 11, 6)
    campaign.end_date = datetime.date(2025, 10, 31)
    campaign.save()
    assert deadlines.due_dates(world.estate, at(DAY))[1] == datetime.date(2025, 11, 5)


def test_a_calendar_day_sets_the_deadlines_at_once(world):
    from core.models import CalendarDay

    assert deadlines.due_dates(world.estate, at(DAY))[0] == datetime.date(2025, 11, 4)
    day = CalendarDay.objects.create(date=datetime.date(2025, 11, 4), is_workday=False)
    assert deadlines.due_dates(world.estate, at(DAY))[0] == datetime.date(2025, 11, 5)
    day.delete()
    assert deadlines.due_dates(world.estate, at(DAY))[0] == datetime.date(2025, 11, 4)


def test_an_agency_moved_under_another_sets_the_deadlines_at_once(world):
    """A campaign of an agency above the estate's district applies; the district's path decides which are."""
    from campaigns.models import Campaign
    from tests import factories as f

    other_city = f.CityFactory(name="另一市")
    campaign = Campaign.objects.create(name="另一市创建", year=2025, issuing_agency=other_city, status="published",
                                       start_date=datetime.date(2025, 1, 1), end_date=datetime.date(2025, 12, 31))
    DeadlinePolicy.objects.create(campaign=campaign, acknowledge_workdays=3, answer_workdays=3)
    assert deadlines.due_dates(world.estate, at(DAY))[1] == datetime.date(2025, 11, 5)
    deadlines_before = deadlines.version()
    other_city.name = "另一市住建委"
    other_city.save()
    assert deadlines.version() != deadlines_before


# --- the estate search -------------------------------------------------------------------------------------------

def find(query, **params):
    return reverse("suggestions:find") + "?" + urlencode({"q": query, **params})


@pytest.mark.parametrize("params", [{}, {"page": "2"}, {"page": "x"}])
def test_the_kept_search_page_is_the_page_the_template_draws(client, world, monkeypatch, params):
    first, kept = client.get(find("月湖", **params)), client.get(find("月湖", **params))
    assert len(pagecache._search_pages) == 1
    monkeypatch.setattr(pagecache, "cacheable", lambda request, query=False: False)
    assert page(first) == page(kept) == page(client.get(find("月湖", **params)))


def test_a_renamed_new_or_closed_estate_shows_in_the_search_at_once(client, world):
    from tests import factories as f

    assert "月湖花园" in client.get(find("月湖")).content.decode()
    world.estate.name = "月湖雅苑"
    world.estate.save()
    html = client.get(find("月湖")).content.decode()
    assert "月湖雅苑" in html and "月湖花园" not in html
    f.EstateFactory(code="HS010", name="月湖新城", street=world.street, firm=world.firm)
    assert "月湖新城" in client.get(find("月湖")).content.decode()
    world.estate.is_active = False
    world.estate.save()
    assert "月湖雅苑" not in client.get(find("月湖")).content.decode()


def test_each_query_is_its_own_kept_page(client, world):
    assert "南门小区" in client.get(find("南门")).content.decode()
    assert "南门小区" not in client.get(find("月湖")).content.decode()
    assert len(pagecache._search_pages) == 2


@pytest.mark.parametrize("language, default, changed", [
    ("zh-hans", "一般在 1 个工作日内受理、2 个工作日内答复", "一般在 2 个工作日内受理、5 个工作日内答复"),
    ("en", "acknowledges within 1 working day(s) and answers within 2 working days",
     "acknowledges within 2 working day(s) and answers within 5 working days"),
])
def test_the_form_promises_the_estates_own_working_days_and_a_new_policy_at_once(world, language, default,
                                                                                  changed):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert default in client.get(url()).content.decode()
    assert default in client.get(url()).content.decode()  # the kept page
    policy = DeadlinePolicy.objects.create(district=world.district, acknowledge_workdays=2, answer_workdays=5)
    html = client.get(url()).content.decode()
    assert changed in html and default not in html
    assert default in client.get(url("JB001")).content.decode()  # another district keeps the default
    policy.acknowledge_workdays, policy.answer_workdays = 1, 1
    policy.save()
    one = ("1 个工作日内受理、1 个工作日内答复" if language == "zh-hans"
           else "within 1 working day(s) and answers within 1 working day.")
    assert one in client.get(url()).content.decode()
