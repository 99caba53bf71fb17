"""The portal's navigation bar kept per process (``{% kept_shell %}``, core/templatetags/portal_forms.py): the same
HTML as drawn afresh with this request's CSRF token, and each value it shows (the user's name, the page it returns
to, the language, the unread count, the badge) part of its key, so nothing stale is ever shown."""

import re

import pytest
from django.urls import reverse

from core.templatetags import portal_forms
from notifications.models import Notification
from suggestions import services as suggestion_services
from suggestions.models import Category

pytestmark = pytest.mark.django_db
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setattr(portal_forms, "_shell_html", {})  # this test's bars only


def bar(response):
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('<nav class="navbar'):html.index("</nav>")]


@pytest.fixture
def firm(client, world):
    client.force_login(world.firm_user)
    return client


def test_the_kept_bar_is_the_bar_drawn_afresh_with_its_own_tokens(firm, monkeypatch):
    url = reverse("accounts:settings")
    first = firm.get(url)
    kept = firm.get(url)
    assert portal_forms._shell_html
    tokens = CSRF.findall(bar(kept))
    assert len(tokens) == 2 and tokens != CSRF.findall(bar(first))  # this request's (masked anew each time)
    assert CSRF.sub("", bar(first)) == CSRF.sub("", bar(kept))
    monkeypatch.setattr(portal_forms, "_shell_html", type("Never", (dict,), {"get": lambda self, key: None})())
    assert CSRF.sub("", bar(firm.get(url))) == CSRF.sub("", bar(kept))


def test_each_page_user_language_and_count_has_its_own_bar(firm, client, world):
    settings_page, notices = reverse("accounts:settings"), reverse("notifications:list")
    assert f'value="{settings_page}"' in bar(firm.get(settings_page))
    assert f'value="{notices}"' in bar(firm.get(notices))  # the language switch returns to this page
    assert "unread-count" not in bar(firm.get(settings_page))
    Notification.objects.create(user=world.firm_user, title="提醒", body="正文")
    assert 'unread-count">1<' in bar(firm.get(settings_page))
    world.firm_user.first_name, world.firm_user.last_name = "五", "王"
    world.firm_user.save()
    assert world.firm_user.get_full_name() in bar(firm.get(settings_page))
    assert "退出" in bar(firm.get(settings_page))
    firm.cookies.load({"django_language": "en"})
    english = bar(firm.get(settings_page))
    assert "退出" not in english and 'selected>English' in english.replace('"en" ', '"en"')


def test_a_new_entry_shows_in_the_suggestion_box_badge_at_once(firm, world, django_capture_on_commit_callbacks):
    url = reverse("accounts:settings")
    before = bar(firm.get(url))
    with django_capture_on_commit_callbacks(execute=True):
        suggestion_services.suggestion_submit(estate=world.estate, category=Category.FACILITIES,
                                              text="小区东门的路灯坏了三天，晚上回家很不安全。")
    after = bar(firm.get(url))
    assert "data-nav-badge" not in before and "data-nav-badge" in after


def test_the_bar_is_kept_within_its_bound(firm, monkeypatch):
    monkeypatch.setattr(portal_forms, "SHELL_KEPT", 2)
    for path in ("accounts:settings", "notifications:list", "portal:dashboard"):
        firm.get(reverse(path))
    assert len(portal_forms._shell_html) <= 2
