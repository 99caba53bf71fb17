"""The doors core opens to the apps (core/demo.py, core/navigation.py) and the registry's import signal
(estates/signals.py): each app registers itself, core lists none of them, a later app plugs in the same way."""

import copy
import re

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from core import navigation
from core.demo import demo_steps
from estates import signals
from estates.models import Estate
from tests.test_estate_import import estate_row, estates_file

PORTAL_MENU = ["首页", "我的任务", "培训与活动", "协调员", "意见箱", "公告打印", "企业信息"]


def _menu(html):
    nav = html[html.index('id="portal-nav"'):]
    nav = nav[:nav.index("</ul>")]
    return re.findall(r'<a class="nav-link( active" aria-current="page)?" href="([^"]+)">([^<]+)</a>', nav)


def test_setup_demo_runs_the_steps_each_app_registered_in_order():
    steps = [(step.order, step.name) for step in demo_steps()]
    assert steps == [
        (10, "estates.demo.demo_city_step"),
        (20, "campaigns.demo.demo_campaign_step"),
        (30, "campaigns.reminders.demo_reminders_step"),
        (40, "suggestions.demo.demo_suggestions_step"),
        (90, "accounts.demo.demo_accounts_step"),
    ]


def test_the_portal_menu_is_the_apps_entries_in_their_order(client, world):
    client.force_login(world.firm_user)
    menu = _menu(client.get(reverse("campaigns:trainings")).content.decode())
    assert [label for _, _, label in menu] == PORTAL_MENU
    assert [label for active, _, label in menu if active] == ["培训与活动"]
    assert menu[0][1] == reverse("portal:dashboard") and menu[-1][1] == reverse("portal:firm_edit")


def test_an_entry_is_current_on_the_views_it_names(client, world):
    client.force_login(world.firm_user)
    menu = _menu(client.get(reverse("campaigns:activities")).content.decode())
    assert [label for active, _, label in menu if active] == ["培训与活动"]


def test_a_later_app_adds_an_entry_without_touching_core_or_the_template(client, world):
    navigation.register_portal_nav(50, "notifications:list", "志愿服务")
    try:
        client.force_login(world.firm_user)
        menu = _menu(client.get(reverse("portal:dashboard")).content.decode())
    finally:
        navigation.unregister_portal_nav("notifications:list")
    assert [label for _, _, label in menu] == PORTAL_MENU[:6] + ["志愿服务"] + PORTAL_MENU[6:]


def test_the_admin_landing_page_shows_each_apps_panel(client, world, tmp_path):
    (tmp_path / "toy_panel.html").write_text('<p id="toy-panel">{{ toy_landing.count }}</p>', encoding="utf-8")
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], str(tmp_path)]
    seen = []

    def build(*, user):
        seen.append(user)
        return {"count": 7}

    navigation.register_landing_panel(20, "toy_landing", "toy_panel.html", build)
    try:
        client.force_login(world.district_user)
        with override_settings(TEMPLATES=templates):
            html = client.get(reverse("admin:index")).content.decode()
    finally:
        navigation.unregister_landing_panel("toy_landing")
    assert seen == [world.district_user]
    # After the campaigns' panel (order 10), inside the 我的工作台 box, before the recent jobs.
    assert html.index('id="landing-campaigns"') < html.index('<p id="toy-panel">7</p>') < html.index("最近的后台任务")


def test_a_firm_user_gets_no_landing_panel(client, world):
    calls = []
    navigation.register_landing_panel(20, "toy_landing", "admin/campaigns/landing_panel.html",
                                      lambda *, user: calls.append(user))
    try:
        from core.admin_site import landing_context

        request = type("Request", (), {"user": world.firm_user})()
        assert landing_context(request) == {}
    finally:
        navigation.unregister_landing_panel("toy_landing")
    assert calls == []


@pytest.fixture
def received():
    calls = []

    def receiver(sender, **kwargs):
        calls.append((sender, kwargs))

    signals.registry_imported.connect(receiver, dispatch_uid="test-registry-imported")
    yield calls
    signals.registry_imported.disconnect(dispatch_uid="test-registry-imported")


def test_an_import_announces_what_it_saved_once(world, received):
    from estates.importers import import_estates

    moved = estate_row(world, code="HS001", street="南门街道", community="")
    new = estate_row(world, code="HS900", name="新建小区")
    assert import_estates(user=world.city_user, upload=estates_file(world, moved, new)).ok
    assert len(received) == 1
    sender, kwargs = received[0]
    assert sender is Estate
    assert [e.code for e in kwargs["created"]] == ["HS900"]
    assert [e.code for e in kwargs["updated"]] == ["HS001"] == [e.code for e in kwargs["moved"]]


def test_an_import_that_saves_nothing_announces_nothing(world, received):
    from estates.importers import import_estates

    assert not import_estates(user=world.city_user, upload=estates_file(world, estate_row(world, households="x"))).ok
    assert received == []
