"""The firm's trainings and activities lists keep their table (rows, locks, pager) as rendered HTML under the firm's
records version, the locks token and the page (campaigns/views.py trainings/activities, selectors.record_list_key):
the same page as drawn afresh but this request's CSRF token, a repeated view reads no record, and every write that
changes a row, a photo count or a lock shows at once."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import services
from campaigns.models import Activity, Obligation, PartyKind, RecordKind, RecordPhoto, Recurrence, Training
from tests.campaign_factories import ActionFactory, CampaignFactory, TaskFactory, publish
from tests.campaign_ui_fixtures import real_photo
from tests.page_html import table_row

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TRAININGS = reverse("campaigns:trainings")
ACTIVITIES = reverse("campaigns:activities")


@pytest.fixture
def firm_client(client, world):
    client.force_login(world.firm_user)
    return client


@pytest.fixture
def today():
    return timezone.localdate()


def train(world, day, topic="客户服务礼仪", photos=()):
    return services.training_record(user=world.firm_user, date=day, topic=topic, attendee_count=20, photos=photos)


def act(world, day, title="便民义务维修", estate=None):
    return services.activity_record(user=world.firm_user, kind=Activity.Kind.CONVENIENCE, date=day, title=title,
                                    estate=estate or world.estate, participant_count=10)


def row(html, record):
    return table_row(html, "data-record", record.pk)


@pytest.mark.parametrize("url", [TRAININGS, ACTIVITIES])
def test_a_cached_list_is_the_fresh_list_with_its_own_token(firm_client, world, today, url):
    train(world, today)
    act(world, today)
    cache.clear()
    fresh = firm_client.get(url).content.decode()
    cached = firm_client.get(url).content.decode()
    assert 'data-record="' in fresh and CSRF.findall(fresh)
    assert CSRF.sub("", fresh) == CSRF.sub("", cached)


@pytest.mark.parametrize("url", [TRAININGS, ACTIVITIES])
def test_a_repeated_view_reads_no_record_and_no_obligation(firm_client, world, today, url):
    train(world, today)
    act(world, today)
    firm_client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert firm_client.get(url).status_code == 200
    read = [q["sql"] for q in ctx.captured_queries]
    assert not [sql for sql in read if any(f'FROM "campaigns_{t}"' in sql
                                           for t in ("training", "activity", "recordphoto", "obligation"))]


def test_a_training_filed_through_the_page_shows_at_once(firm_client, world, today):
    assert "尚无培训记录。" in firm_client.get(TRAININGS).content.decode()
    response = firm_client.post(TRAININGS, {"date": today.isoformat(), "topic": "消防安全培训",
                                            "attendee_count": 30, "photos": [real_photo()]})
    assert response.status_code == 302
    html = firm_client.get(TRAININGS).content.decode()
    training = Training.objects.get()
    assert "消防安全培训" in row(html, training) and "<td>1</td>" in row(html, training)


def test_records_inserted_in_bulk_show_once_the_service_is_told(firm_client, world, today):
    """The demo and the benchmarks' seeds insert past save(): services.records_inserted_in_bulk renews the firm's
    records version (and another firm's kept list stays as it was)."""
    assert "尚无培训记录。" in firm_client.get(TRAININGS).content.decode()
    Training.objects.bulk_create([Training(date=today, topic="批量导入的培训", organiser_firm=world.firm,
                                           attendee_count=12)])
    assert "尚无培训记录。" in firm_client.get(TRAININGS).content.decode()  # kept: no signal for a bulk insert
    services.records_inserted_in_bulk(firm_ids={world.other_firm.pk})
    assert "尚无培训记录。" in firm_client.get(TRAININGS).content.decode()  # another firm's version
    services.records_inserted_in_bulk(firm_ids={world.firm.pk, None})
    assert "批量导入的培训" in row(firm_client.get(TRAININGS).content.decode(), Training.objects.get())


def test_a_corrected_withdrawn_or_admin_saved_training_shows_at_once(firm_client, world, today):
    training = train(world, today)
    firm_client.get(TRAININGS)
    services.training_update(user=world.firm_user, training=training, date=today, topic="设备维护培训",
                             attendee_count=33, photos=[real_photo()])
    html = firm_client.get(TRAININGS).content.decode()
    assert "设备维护培训" in row(html, training) and "33" in row(html, training)
    assert "<td>1</td>" in row(html, training)
    training.refresh_from_db()
    training.audience = "保安保洁人员"
    training.save()  # as the admin saves it
    assert "保安保洁人员" in row(firm_client.get(TRAININGS).content.decode(), training)
    services.training_withdraw(user=world.firm_user, training=training)
    assert "尚无培训记录。" in firm_client.get(TRAININGS).content.decode()


def test_a_photo_added_or_deleted_on_its_own_shows_at_once(firm_client, world, today):
    training = train(world, today, photos=[real_photo()])
    assert "<td>1</td>" in row(firm_client.get(TRAININGS).content.decode(), training)
    RecordPhoto.objects.get().delete()  # the admin's photo inline
    assert "<td>0</td>" in row(firm_client.get(TRAININGS).content.decode(), training)
    RecordPhoto(training_id=training.pk, file=real_photo(), original_name="b.jpg").save()  # no record loaded
    assert "<td>1</td>" in row(firm_client.get(TRAININGS).content.decode(), training)


def test_an_activity_corrected_withdrawn_or_on_a_renamed_estate_shows_at_once(firm_client, world, today):
    activity = act(world, today)
    assert world.estate.name in row(firm_client.get(ACTIVITIES).content.decode(), activity)
    services.activity_update(user=world.firm_user, activity=activity, kind=activity.kind, date=today,
                             title="结对帮困", estate=world.estate2, participant_count=8)
    html = firm_client.get(ACTIVITIES).content.decode()
    assert "结对帮困" in row(html, activity) and world.estate2.name in row(html, activity)
    world.estate2.name = "南门小区（改名）"
    world.estate2.save()
    assert "南门小区（改名）" in row(firm_client.get(ACTIVITIES).content.decode(), activity)
    services.activity_withdraw(user=world.firm_user, activity=activity)
    assert "尚无活动记录。" in firm_client.get(ACTIVITIES).content.decode()


def record_tasks(world, today):
    """A running campaign with a monthly training task and a quarterly convenience task of the firms (one record
    each submits them automatically)."""
    campaign = CampaignFactory(issuing_agency=world.city, year=today.year, start_date=today.replace(month=1, day=1),
                               end_date=today.replace(month=12, day=31))
    action = ActionFactory(campaign=campaign)
    TaskFactory(action=action, title="内部培训", party_kind=PartyKind.FIRM, recurrence=Recurrence.MONTHLY,
                window_start=campaign.start_date, deadline=campaign.end_date, record_kind=RecordKind.TRAINING,
                evidence_kinds=["training"], min_count=1)
    TaskFactory(action=action, title="便民服务", party_kind=PartyKind.FIRM, recurrence=Recurrence.QUARTERLY,
                window_start=campaign.start_date, deadline=campaign.end_date, record_kind=RecordKind.CONVENIENCE,
                evidence_kinds=["activity"], min_count=1)
    publish(campaign, user=world.city_user)


def test_an_acceptance_locks_the_records_at_once(firm_client, world, today):
    record_tasks(world, today)
    training, activity = train(world, today), act(world, today)
    assert "已计入通过的任务" not in firm_client.get(TRAININGS).content.decode()
    assert "已计入通过的任务" not in firm_client.get(ACTIVITIES).content.decode()
    submitted = Obligation.objects.filter(firm=world.firm, state=Obligation.State.SUBMITTED)
    assert submitted.count() == 2  # both submitted automatically
    services.obligation_accept_many(obligations=submitted, user=world.district_user)
    assert "已计入通过的任务" in row(firm_client.get(TRAININGS).content.decode(), training)
    assert "已计入通过的任务" in row(firm_client.get(ACTIVITIES).content.decode(), activity)


def test_another_firm_never_gets_the_first_firms_rows(client, world, today):
    train(world, today, topic="只属于月湖物业")
    act(world, today, title="只属于月湖物业")
    client.force_login(world.firm_user)
    client.get(TRAININGS)
    client.get(ACTIVITIES)
    client.force_login(world.other_firm_user)
    assert "只属于月湖物业" not in client.get(TRAININGS).content.decode()
    assert "只属于月湖物业" not in client.get(ACTIVITIES).content.decode()


def test_each_page_and_each_language_has_its_own_table(firm_client, world, today):
    Training.objects.bulk_create([Training(date=today - datetime.timedelta(days=i), topic=f"培训{i:02d}",
                                           organiser_firm=world.firm, attendee_count=5) for i in range(55)])
    first = firm_client.get(TRAININGS).content.decode()
    second = firm_client.get(TRAININGS, {"page": 2}).content.decode()
    assert "第 1 / 2 页" in first and "第 2 / 2 页" in second
    assert ("培训00" in first) != ("培训00" in second)
    assert firm_client.get(TRAININGS, {"page": "x"}).content.decode().count("data-record=") == 50
    firm_client.cookies["django_language"] = "en"
    english = firm_client.get(TRAININGS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "更正" not in english and "培训00" in english


def test_a_refused_filing_shows_its_errors_and_the_table(firm_client, world, today):
    training = train(world, today)
    firm_client.get(TRAININGS)
    html = firm_client.post(TRAININGS, {"date": "", "topic": "未填日期", "attendee_count": ""}).content.decode()
    assert "is-invalid" in html and "未填日期" in html and f'data-record="{training.pk}"' in html


def test_a_records_own_pages_say_locked_as_the_list_does(firm_client, world, today):
    record_tasks(world, today)
    locked_training, locked_activity = train(world, today), act(world, today)
    services.obligation_accept_many(obligations=Obligation.objects.filter(firm=world.firm), user=world.district_user)
    other_month = today.replace(day=1) - datetime.timedelta(days=1) if today.month > 1 else today.replace(month=2)
    free_training = train(world, other_month, topic="另一个月的培训")
    free_activity = services.activity_record(user=world.firm_user, kind=Activity.Kind.FRIENDSHIP, date=today,
                                             title="联谊会", estate=world.estate, participant_count=5)
    for record, locked in ((locked_training, True), (locked_activity, True), (free_training, False),
                           (free_activity, False)):
        kind = "training" if isinstance(record, Training) else "activity"
        for name in ("edit", "withdraw"):
            html = firm_client.get(reverse(f"campaigns:{kind}_{name}", args=[record.pk])).content.decode()
            assert ("不能再更正或撤回" in html) is locked
        listed = firm_client.get(reverse(f"campaigns:{'trainings' if kind == 'training' else 'activities'}"))
        assert ("已计入通过的任务" in row(listed.content.decode(), record)) is locked


def test_an_acceptance_locks_the_records_own_pages_at_once(firm_client, world, today):
    record_tasks(world, today)
    training = train(world, today)
    page = reverse("campaigns:training_withdraw", args=[training.pk])
    assert "确认撤回" in firm_client.get(page).content.decode()
    services.obligation_accept_many(obligations=Obligation.objects.filter(firm=world.firm), user=world.district_user)
    assert "不能再更正或撤回" in firm_client.get(page).content.decode()
