"""The manual reminder page (人工催办) names the obligation as the obligation list shows it — task, the estate's code
and name, firm, deadline, state — and never asks for or shows a database id that no list displays."""

import re

import pytest
from django.urls import reverse

from notifications.models import Reminder
from tests.campaign_ui_fixtures import make_live, obligation

pytestmark = pytest.mark.django_db
URL = "admin:notifications_reminder_remind"


@pytest.fixture
def open_obligation(world):
    live = make_live(world)
    return obligation(live.letter, estate=world.estate)  # open and overdue


def _visible_inputs(html):
    return [tag for tag in re.findall(r"<input[^>]*>", html) if 'type="hidden"' not in tag]


def test_page_names_the_obligation_as_the_list_does_and_shows_no_id(client, world, open_obligation):
    ob = open_obligation
    client.force_login(world.district_user)
    html = client.get(reverse(URL), {"obligation": ob.pk}).content.decode()
    block = re.search(r"<fieldset[^>]*data-obligation.*?</fieldset>", html, re.S).group(0)
    assert "张贴致业主公开信" in block and "HS001 月湖花园" in block and "月湖物业" in block
    assert ob.due_date.strftime("%Y-%m-%d") in block
    assert f"#{ob.pk}" not in html and "编号" not in html
    # The obligation travels in a hidden field; the only things to fill in are "send again" and the button.
    assert f'<input type="hidden" name="obligation" value="{ob.pk}"' in html
    assert [re.search(r'name="(\w+)"', tag).group(1) for tag in _visible_inputs(html) if "name=" in tag] == ["force"]


def test_page_without_an_obligation_says_where_to_pick_one(client, world, open_obligation):
    client.force_login(world.district_user)
    html = client.get(reverse(URL)).content.decode()
    assert "data-pick" in html and reverse("admin:campaigns_obligation_changelist") + "?overdue=1" in html
    assert not [tag for tag in _visible_inputs(html) if 'name="obligation"' in tag]
    assert "发送催办" not in html  # nothing to send yet


@pytest.mark.parametrize("value", ["", "abc", "0"])
def test_a_post_without_a_valid_obligation_says_how_to_pick_one_and_sends_nothing(client, world, value):
    client.force_login(world.district_user)
    response = client.post(reverse(URL), {"obligation": value})
    assert response.status_code == 200
    assert "请先在任务责任列表中打开要催办的任务责任" in response.content.decode()
    assert Reminder.objects.count() == 0


def test_the_obligation_page_and_the_reminder_log_link_to_the_page_with_the_obligation(client, world,
                                                                                        open_obligation):
    client.force_login(world.district_user)
    change = client.get(reverse("admin:campaigns_obligation_change", args=[open_obligation.pk])).content.decode()
    assert f'{reverse(URL)}?obligation={open_obligation.pk}"' in change
