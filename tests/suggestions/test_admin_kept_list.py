"""The bureau's list of entries keeps its count and rendered rows (ScopedChangeList) under the entries' version and
the registry's (SuggestionAdmin.list_cache_version): a repeated view reads no entry, and every write that changes what
the list shows is shown at once — a new entry, a step of the firm, a moderation, the retention job's erasure (a bulk
UPDATE, no post_save), a renamed estate — and the overdue marks turn with the day; a user never sees what was kept
for a user of another scope."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from suggestions import services
from suggestions.models import Suggestion
from tests.suggestions.conftest import at

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:suggestions_suggestion_changelist"
ENTRY_TABLE = 'FROM "suggestions_suggestion"'


def _get(client, user, params=None):
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(CHANGELIST), params or {})
    assert response.status_code == 200
    return response, [q["sql"] for q in ctx.captured_queries]


def _results(response):
    html = response.content.decode()
    if '<div class="results">' not in html:
        return ""
    start = html.index('<div class="results">')
    return html[start:html.index("</table>", start)]


def _kept(client, user, params=None):
    """The list viewed twice: the second reads no entry and shows the same rows. Returns its rows' HTML."""
    first, first_queries = _get(client, user, params)
    assert any(ENTRY_TABLE in q for q in first_queries)
    again, queries = _get(client, user, params)
    assert [q for q in queries if ENTRY_TABLE in q] == []
    assert _results(again) == _results(first)
    assert again.context["cl"].result_count == first.context["cl"].result_count
    return _results(again)


@pytest.mark.parametrize("params", [{}, {"state__exact": "new"}, {"o": "-2"}, {"q": "月湖"}])
def test_a_repeated_list_reads_no_entry_and_shows_what_a_fresh_render_shows(client, world, submit, params):
    submit()
    submit(estate=world.estate2, anonymous=True, name="")
    kept = _kept(client, world.city_user, params)
    cache.clear()
    fresh, _queries = _get(client, world.city_user, params)
    assert _results(fresh) == kept


def test_every_write_of_an_entry_is_shown_at_once(client, world, submit):
    entry = submit()
    before = _kept(client, world.district_user)
    assert before.count("_selected_action") == 1

    second = submit(estate=world.estate2)  # a new entry
    rows = _kept(client, world.district_user)
    assert rows.count("_selected_action") == 2 and second.number in rows

    services.suggestion_acknowledge(suggestion=entry, user=world.firm_user)  # a step of the firm
    acknowledged = _kept(client, world.district_user)
    assert acknowledged != rows and str(Suggestion.State.ACKNOWLEDGED.label) in acknowledged

    services.suggestion_hide(suggestion=second, user=world.district_user, reason="广告")  # moderation
    hidden = _kept(client, world.district_user)
    assert hidden != acknowledged


def test_the_retention_jobs_bulk_erasure_is_shown_at_once(client, world, submit):
    entry = submit()
    services.suggestion_resolve(suggestion=entry, user=world.firm_user, text="路灯已修好，谢谢反映。")
    Suggestion.private_objects.filter(pk=entry.pk).update(finished_at=timezone.now() - datetime.timedelta(days=800))
    cache.clear()  # the update above is the test's own; the list is drawn after it
    rows = _kept(client, world.district_user)
    assert "138****8000" in rows
    assert services.erase_personal_data() == 1
    erased = _kept(client, world.district_user)
    assert "138****8000" not in erased


def test_a_renamed_estate_is_shown_at_once(client, world, submit):
    submit()
    assert "月湖花园" in _kept(client, world.district_user)
    world.estate.name = "月湖新苑"
    world.estate.save()
    rows = _kept(client, world.district_user)
    assert "月湖新苑" in rows and "月湖花园" not in rows


def test_the_overdue_marks_turn_with_the_day(client, world, submit, monkeypatch):
    submit(received=at(datetime.date(2026, 3, 2)))  # a Monday: acknowledge by 03-03
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 3, 3))
    on_time = _kept(client, world.district_user)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 3, 4))
    late = _kept(client, world.district_user)
    assert on_time.count('alt="True"') == 0
    assert late.count('alt="True"') == 1


def test_another_scope_never_sees_what_was_kept(client, world, submit):
    submit()
    submit(estate=world.other_estate)
    mine = _kept(client, world.district_user)
    theirs = _kept(client, world.other_district_user)
    assert "月湖花园" in mine and "孔浦新村" not in mine
    assert "孔浦新村" in theirs and "月湖花园" not in theirs
