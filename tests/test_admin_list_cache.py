"""The obligation changelist and the review queue keep their count and their page of rows (ScopedChangeList,
admin_views._queue_rows) under the campaigns' figures tokens and the statements themselves: a repeated view
reads neither again, every write that changes what they show is shown at once (a submission, an acceptance, a
return, a publication, an estate moved to another district, a task renamed), and a user never sees what was kept
for a user of another scope."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import override

from campaigns import services
from campaigns.models import Obligation, PartyKind
from tests.campaign_factories import ActionFactory, CampaignFactory, TaskFactory, publish
from tests.campaign_ui_fixtures import make_live, obligation
from tests.page_html import table_row

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:campaigns_obligation_changelist"
QUEUE = "admin:campaigns_obligation_review_queue"
CHECKBOX = 'name="_selected_action" value'


@pytest.fixture
def live(world):
    return make_live(world)


def _get(client, user, name, params=None, language="zh-hans"):
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(name), params or {}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response, [q["sql"] for q in ctx.captured_queries]


def _obligation_reads(queries):
    return [q for q in queries if 'FROM "campaigns_obligation"' in q]


def _row(response, o):
    return table_row(response.content.decode(), CHECKBOX, o.pk)


def _results(response):
    html = response.content.decode()
    return html[html.index('<div class="results">'):html.index("</table>", html.index('<div class="results">'))]


def _submit(o, user):
    services.obligation_submit(obligation=o, user=user, text="已完成")
    o.refresh_from_db()
    return o


@pytest.mark.parametrize("params", [{}, {"state__exact": "open"}, {"o": "-5"}])
def test_a_repeated_changelist_reads_no_obligation_and_shows_the_same_page(client, world, live, params):
    first, first_queries = _get(client, world.city_user, CHANGELIST, params)
    assert _obligation_reads(first_queries)
    again, queries = _get(client, world.city_user, CHANGELIST, params)
    assert _obligation_reads(queries) == []
    assert _results(again) == _results(first)
    assert again.context["cl"].result_count == first.context["cl"].result_count
    assert len(again.context["cl"].result_list) == len(first.context["cl"].result_list)
    cache.clear()
    fresh, _queries = _get(client, world.city_user, CHANGELIST, params)
    assert _results(fresh) == _results(again)


def test_the_kept_page_is_the_page_drawn_in_each_language(client, world, live):
    _get(client, world.city_user, CHANGELIST)
    english, _queries = _get(client, world.city_user, CHANGELIST, language="en")
    with override("en"):
        label = str(Obligation.State.OPEN.label)
    assert label != "待完成" and label in _results(english) and "待完成" not in _results(english)
    chinese, _queries = _get(client, world.city_user, CHANGELIST)
    assert "待完成" in _results(chinese)


def test_a_submission_acceptance_and_return_show_at_once(client, world, live):
    mine = obligation(live.letter, estate=world.estate)
    other = obligation(live.letter, estate=world.estate2)
    submitted = {"state__exact": "submitted"}
    for params in ({}, submitted):
        _get(client, world.district_user, CHANGELIST, params)
    _get(client, world.district_user, QUEUE)
    before, _queries = _get(client, world.district_user, CHANGELIST, submitted)
    assert before.context["cl"].result_count == 0

    _submit(mine, world.firm_user)
    _submit(other, world.firm_user)
    response, _queries = _get(client, world.district_user, CHANGELIST)
    assert "待审核" in _row(response, mine)
    response, _queries = _get(client, world.district_user, CHANGELIST, submitted)
    assert response.context["cl"].result_count == 2
    queue, _queries = _get(client, world.district_user, QUEUE)
    assert queue.context["page"].paginator.count == 2
    assert f'data-obligation="{mine.pk}"' in queue.content.decode()

    services.obligation_accept(obligation=mine, user=world.district_user)
    services.obligation_return(obligation=other, user=world.district_user, reason="照片不清晰")
    response, _queries = _get(client, world.district_user, CHANGELIST)
    assert "已通过" in _row(response, mine)
    assert "已退回" in _row(response, other)
    response, _queries = _get(client, world.district_user, CHANGELIST, submitted)
    assert response.context["cl"].result_count == 0
    queue, _queries = _get(client, world.district_user, QUEUE)
    assert queue.context["page"].paginator.count == 0
    assert f'data-obligation="{mine.pk}"' not in queue.content.decode()


def test_a_published_campaign_shows_at_once(client, world, live):
    before, _queries = _get(client, world.city_user, CHANGELIST)
    campaign = CampaignFactory(issuing_agency=world.city, name="第二个活动", year=live.today.year,
                               start_date=live.today - datetime.timedelta(days=10),
                               end_date=live.today + datetime.timedelta(days=100))
    task = TaskFactory(action=ActionFactory(campaign=campaign), title="新增任务", party_kind=PartyKind.ESTATE,
                       window_start=live.today - datetime.timedelta(days=5),
                       deadline=live.today - datetime.timedelta(days=1), evidence_kinds=["text"])
    publish(campaign, user=world.city_user)
    after, _queries = _get(client, world.city_user, CHANGELIST)
    added = Obligation.objects.filter(task=task).count()
    assert added
    assert after.context["cl"].result_count == before.context["cl"].result_count + added
    assert "新增任务" in _results(after)


def test_a_renamed_task_shows_at_once(client, world, live):
    _get(client, world.city_user, CHANGELIST)
    _get(client, world.city_user, CHANGELIST)
    live.letter.title = "张贴致业主公开信（修订）"
    live.letter.save()
    response, _queries = _get(client, world.city_user, CHANGELIST)
    assert "张贴致业主公开信（修订）" in _row(response, obligation(live.letter, estate=world.estate))


def test_an_estate_moved_to_another_district_leaves_the_first_districts_list_at_once(client, world, live):
    moved = obligation(live.letter, estate=world.estate2)
    for user in (world.district_user, world.other_district_user):
        for params in ({}, {"state__exact": "open"}):
            _get(client, user, CHANGELIST, params)
    mine, _queries = _get(client, world.district_user, CHANGELIST)
    theirs, _queries = _get(client, world.other_district_user, CHANGELIST)
    assert f'{CHECKBOX}="{moved.pk}"' in _results(mine)
    assert f'{CHECKBOX}="{moved.pk}"' not in _results(theirs)

    world.estate2.district, world.estate2.street = world.other_district, world.far_street
    world.estate2.save()
    mine_after, _queries = _get(client, world.district_user, CHANGELIST)
    theirs_after, _queries = _get(client, world.other_district_user, CHANGELIST)
    assert f'{CHECKBOX}="{moved.pk}"' not in _results(mine_after)
    assert f'{CHECKBOX}="{moved.pk}"' in _results(theirs_after)
    tasks = Obligation.objects.filter(estate=world.estate2).count()
    assert mine_after.context["cl"].result_count == mine.context["cl"].result_count - tasks
    assert theirs_after.context["cl"].result_count == theirs.context["cl"].result_count + tasks


def test_another_districts_user_never_sees_the_first_districts_kept_rows_or_counts(client, world, live):
    _submit(obligation(live.letter, estate=world.estate), world.firm_user)
    _submit(obligation(live.letter, estate=world.other_estate), world.other_firm_user)
    for name in (CHANGELIST, QUEUE):
        _get(client, world.district_user, name)
        _get(client, world.district_user, name)
    theirs, _queries = _get(client, world.other_district_user, CHANGELIST)
    shown = {o.pk for o in theirs.context["cl"].result_list}
    assert shown == set(Obligation.objects.filter(district=world.other_district).values_list("pk", flat=True))
    assert theirs.context["cl"].result_count == len(shown)
    html = _results(theirs)
    for pk in Obligation.objects.filter(district=world.district).values_list("pk", flat=True):
        assert f'{CHECKBOX}="{pk}"' not in html
    queue, _queries = _get(client, world.other_district_user, QUEUE)
    assert [o.pk for o in queue.context["rows"]] == [obligation(live.letter, estate=world.other_estate).pk]
    assert queue.context["page"].paginator.count == 1
    assert f'data-obligation="{obligation(live.letter, estate=world.estate).pk}"' not in queue.content.decode()


def test_a_repeated_review_queue_reads_no_obligation_row_and_shows_the_same_rows(client, world, live):
    _submit(obligation(live.letter, estate=world.estate), world.firm_user)
    first, first_queries = _get(client, world.district_user, QUEUE)
    again, queries = _get(client, world.district_user, QUEUE)
    assert len(queries) < len(first_queries)
    assert not [q for q in queries if "LIMIT" in q and 'FROM "campaigns_obligation"' in q]
    assert again.content.decode().count('data-obligation="') == 1
    cache.clear()
    fresh, _queries = _get(client, world.district_user, QUEUE)
    body = fresh.content.decode()
    assert body[body.index("<tbody>"):body.index("</tbody>")] == again.content.decode()[
        again.content.decode().index("<tbody>"):again.content.decode().index("</tbody>")]
