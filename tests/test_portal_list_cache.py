"""The firm's obligation list caches its counts and its rendered rows under the figures tokens of the campaigns
it shows (campaigns/views.py obligation_list, selectors.firm_list_key): a repeated view reads no row, and any
write that changes a row or a count shows on the next view, in each language."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns import services
from campaigns.models import Obligation
from tests.campaign_ui_fixtures import make_live
from tests.page_html import table_row

pytestmark = pytest.mark.django_db
URL = "/portal/campaigns/"


@pytest.fixture
def live(world, client):
    live = make_live(world)
    client.force_login(world.firm_user)
    return live


def _row(html, obligation):
    return table_row(html, "data-obligation", obligation.pk)


def _count(html, key):
    marker = f'data-count="{key}">'
    start = html.index(marker) + len(marker)
    return int(html[start:html.index("<", start)])


def test_a_repeated_view_reads_no_obligation_row(client, live):
    client.get(URL)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL).status_code == 200
    assert not [q for q in ctx.captured_queries if 'FROM "campaigns_obligation"' in q["sql"]]


def test_a_submission_shows_at_once_in_the_row_and_the_counts(client, world, live):
    obligation = Obligation.objects.filter(task=live.letter, estate=world.estate).get()
    before = client.get(URL).content.decode()
    assert "待审核" not in _row(before, obligation)
    submitted = _count(before, "submitted")
    services.obligation_submit(obligation=obligation, user=world.firm_user, text="已张贴公开信。")
    after = client.get(URL).content.decode()
    assert "待审核" in _row(after, obligation)
    assert _count(after, "submitted") == submitted + 1


def test_a_renamed_task_shows_at_once(client, world, live):
    obligation = Obligation.objects.filter(task=live.box, estate=world.estate).get()
    client.get(URL)
    live.box.title = "设置线上意见箱"
    live.box.save()
    assert "设置线上意见箱" in _row(client.get(URL).content.decode(), obligation)


def test_each_language_gets_its_own_rows(client, world, live):
    chinese = client.get(URL).content.decode()
    assert "查看" in chinese or "提交材料" in chinese
    client.cookies["django_language"] = "en"
    english = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "提交材料" not in english and "查看" not in english


def test_another_firm_never_gets_the_first_firms_rows(client, world, live):
    client.get(URL)
    client.force_login(world.other_firm_user)
    html = client.get(URL).content.decode()
    assert world.estate.name not in html
