"""The admin's navigation sidebar and simple list filters, kept in the process (core/templatetags/admin_nav.py).

Both are a function of what they show (the language, the apps and models with their links and current marks; a
filter's title, offered lookups, chosen value and the list's query string), so kept HTML equals what Django renders
afresh: the pages are compared, for several users, addresses, query strings and both languages, with the pages
rendered by Django's own filters block and sidebar with nothing kept. A renamed street shows in the filter at once.
"""

import re

import pytest
from django.urls import reverse

from core.templatetags import admin_nav
from tests.campaign_ui_fixtures import make_live

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _page(client, url, params=None, language="zh-hans"):
    response = client.get(url, params or {}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, (url, response.status_code)
    return CSRF.sub("csrf", response.content.decode())


def _clear():
    admin_nav._SIDEBARS.clear()
    admin_nav._FILTERS.clear()
    admin_nav._BLOCKS.clear()


@pytest.fixture
def django_rendering(monkeypatch):
    """Pages as Django renders them: its own filters block (admin_list_filter) and sidebar, nothing kept."""

    def render():
        with monkeypatch.context() as patched:
            original = admin_nav._filters_block().replace("{% cached_list_filter cl spec %}",
                                                          admin_nav._DJANGO_FILTER_TAG)
            patched.setattr(admin_nav, "_filters_block", lambda: original)
            patched.setattr(admin_nav, "_SIDEBARS_MAX", 0)
            patched.setattr(admin_nav, "list_filter_key", lambda cl, spec: None)
            _clear()
            yield
        _clear()

    return render


def _cases(world, live):
    obligations = reverse("admin:campaigns_obligation_changelist")
    return [
        (obligations, None),
        (obligations, {"street": world.street.pk}),
        (obligations, {"district": world.district.pk, "q": "花园", "o": "2"}),
        (obligations, {"campaign": live.campaign.pk, "state__exact": "open"}),
        (reverse("admin:notifications_reminder_changelist"), None),
        (reverse("admin:estates_estate_changelist"), {"street": world.other_street.pk}),
        (reverse("admin:campaigns_activity_changelist"), None),
        (reverse("admin:index"), None),
    ]


@pytest.mark.parametrize("role", ["city_user", "district_user", "street_user"])
def test_kept_html_is_what_django_renders(client, world, role, django_rendering):
    live = make_live(world)
    client.force_login(getattr(world, role))
    for language in ("zh-hans", "en"):
        for url, params in _cases(world, live):
            _clear()
            cold = _page(client, url, params, language)
            warm = _page(client, url, params, language)  # the kept sidebar and filters
            for _ in django_rendering():
                django = _page(client, url, params, language)
            assert warm == cold == django, (role, language, url, params)
    assert admin_nav._FILTERS is not None


def test_the_filters_are_kept_and_read_back(client, world):
    make_live(world)
    client.force_login(world.city_user)
    _clear()
    url = reverse("admin:campaigns_obligation_changelist")
    _page(client, url)
    kept = len(admin_nav._FILTERS)
    assert kept >= 2 and admin_nav._SIDEBARS  # the district and street filters at least, the sidebar
    _page(client, url)
    assert len(admin_nav._FILTERS) == kept  # read back, not stored again
    _page(client, url, {"street": world.street.pk})
    assert len(admin_nav._FILTERS) > kept  # another query string: every filter's links change


def test_a_renamed_street_shows_in_the_filter_at_once(client, world):
    make_live(world)
    client.force_login(world.city_user)
    url = reverse("admin:campaigns_obligation_changelist")
    assert world.street.name in _page(client, url)
    world.street.name, world.street.short_name = "改名后的街道", ""
    world.street.save()
    page = _page(client, url)
    assert "改名后的街道" in page


def test_the_sidebar_marks_the_page_it_is_on(client, world):
    make_live(world)
    client.force_login(world.city_user)
    reminders = reverse("admin:notifications_reminder_changelist")
    obligations = reverse("admin:campaigns_obligation_changelist")
    marked = 'class="model-{}{} current-model"'
    on_reminders = _page(client, reminders)
    on_obligations = _page(client, obligations)
    assert marked.format("reminder", "") in on_reminders and marked.format("obligation", "") not in on_reminders
    assert marked.format("obligation", "") in on_obligations and marked.format("reminder", "") not in on_obligations
