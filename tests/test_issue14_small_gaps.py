"""Issue 14, section 5, smaller gaps: a street officer's review queue says who reviews; the
admin's display name reads "演示 · 宁波市"; the favicon exists on every kind of page."""

import pytest
from django.urls import reverse

from campaigns import services
from tests.campaign_ui_fixtures import make_live, obligation


@pytest.fixture
def live(world):
    return make_live(world)


def submit(o, user):
    services.obligation_submit(obligation=o, user=user, text="已完成")
    return o


# --- who reviews -----------------------------------------------------------------------------------

def test_a_street_officers_queue_names_the_reviewing_district_instead_of_zero(client, world, live):
    submit(obligation(live.letter, estate=world.estate), world.firm_user)  # an estate of the street
    client.force_login(world.street_user)
    response = client.get(reverse("admin:campaigns_obligation_review_queue"))
    html = response.content.decode()
    assert list(response.context["rows"]) == []
    assert "1 条待审核 · 由海曙区住建局审核" in html
    assert "共 0 条待审核" not in html


def test_the_district_reviews_it_itself_and_is_told_nothing_else(client, world, live):
    submit(obligation(live.letter, estate=world.estate), world.firm_user)
    client.force_login(world.district_user)
    response = client.get(reverse("admin:campaigns_obligation_review_queue"))
    assert "共 1 条待审核" in response.content.decode()
    assert response.context["reviewed_elsewhere"] == []


def test_work_of_another_street_is_not_counted_for_the_street(client, world, live):
    submit(obligation(live.letter, estate=world.estate2), world.firm_user)  # 南门街道, not 月湖街道
    client.force_login(world.street_user)
    response = client.get(reverse("admin:campaigns_obligation_review_queue"))
    assert response.context["reviewed_elsewhere"] == []


def test_the_progress_page_says_who_reviews_the_streets_submitted_work(client, world, live):
    submit(obligation(live.letter, estate=world.estate), world.firm_user)
    client.force_login(world.street_user)
    response = client.get(reverse("admin:campaigns_campaign_progress", args=[live.campaign.pk]))
    assert "其中 1 条由海曙区住建局审核" in response.content.decode()


# --- the admin's display name --------------------------------------------------------------------

def test_the_admin_greets_name_then_agency_with_a_middle_dot(client, world):
    world.district_user.first_name, world.district_user.last_name = "演示", ""
    world.district_user.save()
    client.force_login(world.district_user)
    html = client.get(reverse("admin:index")).content.decode()
    assert "演示</strong> · <span class=\"agency-badge\">海曙区住建局</span>" in html
    assert "</strong>." not in html


# --- favicon -----------------------------------------------------------------------------------------

def test_favicon_ico_answers(client):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.lstrip().startswith(b"<svg") or body[:4] == b"\x00\x00\x01\x00"


@pytest.mark.parametrize("url_name", ["portal:dashboard", "admin:index", "accounts:login"])
def test_every_kind_of_page_links_the_icon(client, world, url_name):
    client.force_login(world.district_user if url_name == "admin:index" else world.firm_user)
    if url_name == "accounts:login":
        client.logout()
    html = client.get(reverse(url_name)).content.decode()
    assert 'rel="icon"' in html


def test_a_public_estate_page_links_the_icon(client, world):
    html = client.get(reverse("public:estate", args=[world.estate.code])).content.decode()
    assert 'rel="icon"' in html


def test_the_kept_who_reviews_line_follows_each_submission_and_review(client, world, live):
    """The line is kept under the obligations' version (selectors.reviewed_elsewhere_kept): a repeated view reads no
    submitted obligation for it, and a new submission or the district's review shows on the next view."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.street_user)
    url = reverse("admin:campaigns_obligation_review_queue")
    assert "由海曙区住建局审核" not in client.get(url).content.decode()
    first = submit(obligation(live.letter, estate=world.estate), world.firm_user)
    assert "1 条待审核 · 由海曙区住建局审核" in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    assert not any("GROUP BY" in q["sql"] and "reviewer_id" in q["sql"] for q in ctx.captured_queries)
    services.obligation_accept(obligation=first, user=world.district_user)
    assert "由海曙区住建局审核" not in client.get(url).content.decode()
