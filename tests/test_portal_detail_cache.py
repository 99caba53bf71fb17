"""An obligation's portal page keeps its evidence and history as rendered HTML under the campaign's figures token,
the people version and the time zone (campaigns/views.py obligation_detail, selectors.obligation_history_key),
and its unbound evidence form through ``{% crispy_cached %}``: the same page as drawn afresh but this request's
CSRF token, a repeated view reads no evidence and no event, and every write adding to them shows at once."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns import services
from campaigns.models import Obligation, RecordKind
from tests.campaign_factories import TaskFactory
from tests.campaign_ui_fixtures import make_live, obligation, png_bytes

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
State = Obligation.State


@pytest.fixture
def live(world, client):
    live = make_live(world)
    client.force_login(world.firm_user)
    return live


def url(o):
    return reverse("campaigns:obligation_detail", args=[o.pk])


def history(html):
    """The evidence and history column of the page."""
    return html[html.index('<div class="col-lg-5">'):]


def test_a_cached_page_is_the_fresh_page_with_its_own_token(client, world, live):
    returned = obligation(live.firm_task, firm=world.firm)
    services.obligation_submit(obligation=returned, user=world.firm_user, text="第一次提交")
    services.obligation_return(obligation=returned, user=world.district_user, reason="请补充")
    for o in (obligation(live.box, estate=world.estate), returned):
        cache.clear()
        fresh = client.get(url(o)).content.decode()
        cached = client.get(url(o)).content.decode()
        assert CSRF.findall(fresh) and CSRF.sub("", fresh) == CSRF.sub("", cached)
        assert "第 1 次提交" in cached or o.task == live.box


def test_a_repeated_view_reads_no_evidence_and_no_event(client, world, live):
    o = obligation(live.firm_task, firm=world.firm)
    services.obligation_submit(obligation=o, user=world.firm_user, text="已完成自查")
    cache.clear()
    with CaptureQueriesContext(connection) as first:
        client.get(url(o))
    with CaptureQueriesContext(connection) as again:
        assert "已完成自查" in client.get(url(o)).content.decode()
    assert not [q for q in again.captured_queries
                if 'FROM "campaigns_evidence' in q["sql"] or 'FROM "campaigns_obligationevent"' in q["sql"]]
    assert len(again.captured_queries) <= len(first.captured_queries) - 3  # evidence, its files, the events


def test_a_submission_through_the_page_shows_its_evidence_and_event_at_once(client, world, live):
    o = obligation(live.box, estate=world.estate)
    assert "尚未提交。" in history(client.get(url(o)).content.decode())
    photo = SimpleUploadedFile("box.png", png_bytes(), content_type="image/png")
    assert client.post(url(o), {"text": "意见箱已装好", "photos": [photo]}).status_code == 302
    html = history(client.get(url(o)).content.decode())
    assert "意见箱已装好" in html and "box.png" in html and 'data-event="submit"' in html
    assert "尚未提交。" not in html


def test_a_return_and_an_acceptance_show_at_once(client, world, live):
    o = obligation(live.firm_task, firm=world.firm)
    services.obligation_submit(obligation=o, user=world.firm_user, text="第一次提交")
    assert 'data-event="return"' not in client.get(url(o)).content.decode()
    services.obligation_return(obligation=o, user=world.district_user, reason="请补充整改清单")
    assert 'data-event="return"' in history(client.get(url(o)).content.decode())
    services.obligation_submit(obligation=o, user=world.firm_user, text="补充了整改清单")
    html = history(client.get(url(o)).content.decode())
    assert 'data-evidence-round="2"' in html and 'data-event="resubmit"' in html
    services.obligation_accept_many(obligations=Obligation.objects.filter(pk=o.pk), user=world.district_user,
                                    note="同意")
    assert 'data-event="accept"' in history(client.get(url(o)).content.decode())


def test_a_moved_deadline_shows_its_event_at_once(client, world, live):
    o = obligation(live.firm_task, firm=world.firm)
    assert 'data-event="deadline"' not in client.get(url(o)).content.decode()
    services.task_move_deadline(task=live.firm_task, deadline=live.firm_task.deadline + datetime.timedelta(days=5),
                                user=world.city_user)
    assert 'data-event="deadline"' in history(client.get(url(o)).content.decode())


def test_a_filed_training_shows_its_automatic_submission_at_once(client, world, live):
    task = TaskFactory(action=live.action, title="内部培训", party_kind="firm", record_kind=RecordKind.TRAINING,
                       window_start=live.today - datetime.timedelta(days=30),
                       deadline=live.today + datetime.timedelta(days=30), evidence_kinds=["training"], min_count=1)
    services.obligations_sync(firm=world.firm)
    o = obligation(task, firm=world.firm)
    assert 'data-event="auto_submit"' not in client.get(url(o)).content.decode()
    services.training_record(user=world.firm_user, date=live.today, topic="消防安全培训", attendee_count=12)
    html = client.get(url(o)).content.decode()
    assert 'data-event="auto_submit"' in history(html) and "消防安全培训" in html


def test_a_renamed_user_shows_at_once(client, world, live):
    o = obligation(live.firm_task, firm=world.firm)
    services.obligation_submit(obligation=o, user=world.firm_user, text="已完成自查")
    assert "firm-renamed" not in client.get(url(o)).content.decode()
    world.firm_user.username = "firm-renamed"
    world.firm_user.save()
    assert history(client.get(url(o)).content.decode()).count("firm-renamed") == 2  # the submitter, the actor


def test_a_login_keeps_the_people_version(world):
    from django.contrib.auth.models import update_last_login

    from campaigns.selectors import people_version

    version = people_version()
    update_last_login(None, world.firm_user)  # what a login saves: last_login alone
    assert people_version() == version
    world.firm_user.email = "firm@example.org"
    world.firm_user.save()
    assert people_version() != version


def test_each_obligation_and_each_language_has_its_own_history(client, world, live):
    mine = obligation(live.firm_task, firm=world.firm)
    services.obligation_submit(obligation=mine, user=world.firm_user, text="只属于自查报告")
    client.get(url(mine))
    other = obligation(live.letter, estate=world.estate)
    assert "只属于自查报告" not in client.get(url(other)).content.decode()
    client.cookies["django_language"] = "en"
    english = history(client.get(url(mine), HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "只属于自查报告" in english and "第 1 次提交" not in english


def test_another_firms_user_gets_404_even_with_the_history_cached(client, world, live):
    o = obligation(live.firm_task, firm=world.firm)
    services.obligation_submit(obligation=o, user=world.firm_user, text="已完成自查")
    client.get(url(o))
    client.force_login(world.other_firm_user)
    assert client.get(url(o)).status_code == 404


def test_a_refused_submission_shows_its_errors_and_keeps_the_text(client, world, live):
    o = obligation(live.box, estate=world.estate)
    client.get(url(o))  # the unbound form cached
    html = client.post(url(o), {"text": "忘了拍照"}).content.decode()
    assert "忘了拍照" in html and "alert-danger" in html
    o.refresh_from_db()
    assert o.state == State.OPEN


def test_a_renamed_party_or_reviewer_shows_at_once(client, world, live):
    o = obligation(live.letter, estate=world.estate)
    client.get(url(o))
    world.estate.name = "月湖花园（改名）"
    world.estate.save()
    world.district.short_name = "海曙区（改名）"
    world.district.save()
    html = client.get(url(o)).content.decode()
    assert "月湖花园（改名）" in html and "海曙区（改名）" in html


def test_a_corrected_or_withdrawn_record_shows_in_the_records_list_at_once(client, world, live):
    task = TaskFactory(action=live.action, title="内部培训", party_kind="firm", record_kind=RecordKind.TRAINING,
                       window_start=live.today - datetime.timedelta(days=30),
                       deadline=live.today + datetime.timedelta(days=30), evidence_kinds=["training"], min_count=3)
    services.obligations_sync(firm=world.firm)
    o = obligation(task, firm=world.firm)
    training = services.training_record(user=world.firm_user, date=live.today, topic="消防安全培训",
                                        attendee_count=12)
    assert "消防安全培训" in records(client.get(url(o)).content.decode())
    services.training_update(user=world.firm_user, training=training, date=live.today, topic="设备维护培训",
                             attendee_count=12)  # the count stays 1: no event, the figures token unchanged
    listed = records(client.get(url(o)).content.decode())
    assert "设备维护培训" in listed and "消防安全培训" not in listed
    services.training_withdraw(user=world.firm_user, training=training)
    assert "计入本期的记录" not in client.get(url(o)).content.decode()


def records(html):
    """The page's list of the records counted."""
    start = html.index("计入本期的记录")
    return html[start:html.index("</ul>", start)]


def test_a_warm_page_reads_the_cache_in_two_round_trips(client, world, live, cache_reads):
    """The version tokens with the shell's badge and unread count, then the obligation's registry rows with its
    kept fragments (campaigns/views.py obligation_detail); a renamed estate still shows at once."""
    o = obligation(live.box, estate=world.estate)
    client.get(url(o))
    client.get(url(o))
    cache_reads.clear()
    client.get(url(o))
    # (an obligation still to submit also reads its kept evidence form: {% crispy_cached %})
    assert [name for name, _keys in cache_reads] == ["get_many", "get_many", "get"], cache_reads
    assert cache_reads[2][1].startswith("crispy:campaigns.forms.EvidenceForm:")
    assert "estates:registry-version" in cache_reads[0][1]
    second = cache_reads[1][1]
    assert any(k.startswith("estates:row:") for k in second) and any(k.startswith("fragment:") for k in second)
    assert "改名后的小区" not in client.get(url(o)).content.decode()
    world.estate.name = "改名后的小区"
    world.estate.save()
    assert "改名后的小区" in client.get(url(o)).content.decode()


def test_the_page_with_its_kept_parts_is_the_page_drawn_afresh_and_follows_the_day(client, world, live, settings):
    """The same HTML as drawn without a cache, and the overdue mark appears after the deadline passes (the mark is
    read with the obligation each request, not kept)."""
    import datetime

    from django.utils import timezone

    o = obligation(live.letter, estate=world.estate)
    Obligation.objects.filter(pk=o.pk).update(due_date=timezone.localdate())
    cache.clear()
    kept = CSRF.sub("", client.get(url(o)).content.decode())
    assert CSRF.sub("", client.get(url(o)).content.decode()) == kept and "已逾期" not in kept
    later = timezone.now() + datetime.timedelta(days=2)
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=later):
        assert "已逾期" in client.get(url(o)).content.decode()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert CSRF.sub("", client.get(url(o)).content.decode()) == kept
