"""The firm's inbox list and the menu badge are cached (suggestions/selectors/inbox.py, suggestions/signals.py):
a repeated view reads no entry, and every change of an entry or of an estate shows on the next view."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from suggestions import services
from tests.page_html import table_row

pytestmark = pytest.mark.django_db
URL = reverse("suggestions:inbox")


@pytest.fixture
def firm(client, world):
    client.force_login(world.firm_user)
    return client


def _row(html, entry):
    return table_row(html, "data-entry", entry.number)


def test_a_repeated_view_reads_no_entry(firm, entry):
    firm.get(URL)
    with CaptureQueriesContext(connection) as ctx:
        assert firm.get(URL).status_code == 200
    assert not [q for q in ctx.captured_queries if 'FROM "suggestions_suggestion"' in q["sql"]]


def test_acknowledging_shows_at_once_in_the_row_the_counts_and_the_badge(firm, world, entry):
    before = firm.get(URL).content.decode()
    assert "待受理" in _row(before, entry)
    assert 'data-count="new">1<' in before and "data-nav-badge" in before
    services.suggestion_acknowledge(suggestion=entry, user=world.firm_user)
    after = firm.get(URL).content.decode()
    assert "已受理" in _row(after, entry)
    assert 'data-count="new">0<' in after and "data-nav-badge" not in after


def test_a_new_entry_shows_at_once(firm, entry, submit, world):
    firm.get(URL)
    second = submit(estate=world.estate2)
    html = firm.get(URL).content.decode()
    assert f'data-entry="{second.number}"' in html and f'data-entry="{entry.number}"' in html


def test_a_renamed_estate_shows_at_once(firm, world, entry):
    firm.get(URL)
    world.estate.name = "月湖花园二期"
    world.estate.save()
    assert "月湖花园二期" in _row(firm.get(URL).content.decode(), entry)


def test_each_filter_and_language_gets_its_own_list(firm, world, entry, submit):
    other = submit(estate=world.estate2)
    assert f'data-entry="{other.number}"' not in firm.get(URL, {"estate": world.estate.code}).content.decode()
    assert f'data-entry="{other.number}"' in firm.get(URL).content.decode()
    firm.cookies["django_language"] = "en"
    english = firm.get(URL).content.decode()
    assert "待受理" not in english


def test_another_firm_never_gets_the_first_firms_list(client, world, entry):
    client.force_login(world.firm_user)
    client.get(URL)
    client.force_login(world.other_firm_user)
    assert f'data-entry="{entry.number}"' not in client.get(URL).content.decode()
