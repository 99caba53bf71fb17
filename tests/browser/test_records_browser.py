"""In a real browser: the demo firm corrects a training and withdraws an activity from the portal, and the
lists and the obligation it counted towards follow on the next page (issue 14, section 5)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from campaigns import services
from campaigns.models import Activity, Obligation, PartyKind, RecordKind, Recurrence, Training
from estates.models import Agency, Estate
from tests.campaign_factories import ActionFactory, CampaignFactory, TaskFactory, publish

pytestmark = pytest.mark.browser


@pytest.fixture
def records(demo_city):
    """A running campaign whose firm tasks count trainings (2 a month) and convenience activities (1 a
    quarter); the demo firm has filed two trainings and one activity today."""
    user = User.objects.get(username="demo-firm")
    today = timezone.localdate()
    city = Agency.objects.filter(level=Agency.Level.CITY).order_by("pk").first()
    campaign = CampaignFactory(issuing_agency=city, name="记录测试创建活动", year=today.year,
                               start_date=today.replace(month=1, day=1), end_date=today.replace(month=12, day=31))
    action = ActionFactory(campaign=campaign)
    training_task = TaskFactory(action=action, title="企业内部培训", party_kind=PartyKind.FIRM,
                                recurrence=Recurrence.MONTHLY, window_start=campaign.start_date,
                                deadline=campaign.end_date, record_kind=RecordKind.TRAINING,
                                evidence_kinds=["training"], min_count=2)
    activity_task = TaskFactory(action=action, title="便民服务活动", party_kind=PartyKind.FIRM,
                                recurrence=Recurrence.QUARTERLY, window_start=campaign.start_date,
                                deadline=campaign.end_date, record_kind=RecordKind.CONVENIENCE,
                                evidence_kinds=["activity"], min_count=1)
    publish(campaign)
    estate = Estate.objects.filter(firm=user.firm, is_active=True).order_by("code").first()
    training = services.training_record(user=user, date=today, topic="消防安全培训", attendee_count=20)
    services.training_record(user=user, date=today, topic="客户服务礼仪培训", attendee_count=15)
    activity = services.activity_record(user=user, kind=Activity.Kind.CONVENIENCE, date=today, title="义务理发",
                                        estate=estate, participant_count=40)

    def current(task):
        return Obligation.objects.get(task=task, firm=user.firm, period_start__lte=today, period_end__gte=today)

    return type("Records", (), {"user": user, "password": demo_city, "training": training, "activity": activity,
                                "training_ob": current(training_task), "activity_ob": current(activity_task)})


def _login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}/portal/")


def test_a_firm_corrects_a_training_and_withdraws_an_activity(page, live_server, records, assert_accessible):
    _login(page, live_server, "demo-firm", records.password)
    assert records.activity_ob.state == Obligation.State.SUBMITTED  # the activity submitted it

    # Correct the attendee count of a training.
    page.goto(f"{live_server.url}/portal/campaigns/trainings/")
    row = page.locator(f'tr[data-record="{records.training.pk}"]')
    expect(row).to_contain_text("20")
    assert_accessible(page)
    row.get_by_role("link", name="更正“消防安全培训”").click()
    expect(page).to_have_url(f"{live_server.url}/portal/campaigns/trainings/{records.training.pk}/edit/")
    count = page.get_by_label("参训人数")
    expect(count).to_have_value("20")
    assert_accessible(page)
    count.fill("-5")  # a negative count: the browser refuses it (min=0) and nothing is sent
    page.get_by_role("button", name="保存更正").click()
    assert count.evaluate("el => el.validity.rangeUnderflow")
    assert Training.objects.get(pk=records.training.pk).attendee_count == 20
    count.fill("35")
    page.get_by_role("button", name="保存更正").click()
    expect(page).to_have_url(f"{live_server.url}/portal/campaigns/trainings/")
    expect(page.get_by_role("alert")).to_contain_text("培训记录已更正")
    expect(page.locator(f'tr[data-record="{records.training.pk}"] td.text-end')).to_have_text("35")
    assert Training.objects.get(pk=records.training.pk).attendee_count == 35

    # Withdraw the activity: a confirmation page, then the list and the obligation follow.
    page.goto(f"{live_server.url}/portal/campaigns/activities/")
    page.locator(f'tr[data-record="{records.activity.pk}"]').get_by_role("link", name="撤回“义务理发”").click()
    expect(page).to_have_url(f"{live_server.url}/portal/campaigns/activities/{records.activity.pk}/withdraw/")
    assert_accessible(page)
    page.get_by_role("button", name="确认撤回").click()
    expect(page).to_have_url(f"{live_server.url}/portal/campaigns/activities/")
    expect(page.get_by_role("alert")).to_contain_text("已撤回")
    expect(page.locator(f'tr[data-record="{records.activity.pk}"]')).to_have_count(0)
    assert_accessible(page)
    assert not Activity.objects.filter(pk=records.activity.pk).exists()

    page.goto(f"{live_server.url}/portal/campaigns/obligations/{records.activity_ob.pk}/")
    expect(page.get_by_text(re.compile(r"0 / 至少 1 次"))).to_be_visible()
    expect(page.locator("body")).to_contain_text("待完成")
    records.activity_ob.refresh_from_db()
    assert (records.activity_ob.count_achieved, records.activity_ob.state) == (0, Obligation.State.OPEN)
