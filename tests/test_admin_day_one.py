"""A bureau officer's first day in the admin (issue 14, part D), below the browser: the landing page, technical
apps kept for superusers, the task form's widgets, tasks added to and removed from a running campaign, publish and
close through a confirmation page, the copy's new document number and required counts."""

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import selectors, services
from campaigns.models import Campaign, Obligation, PartyKind, Recurrence, Task, Training
from tests.campaign_factories import ActionFactory, CampaignFactory, TaskFactory
from tests.campaign_ui_fixtures import make_live, obligation

CHANGELIST = "admin:campaigns_campaign_changelist"


@pytest.fixture
def live(world):
    return make_live(world)


@pytest.fixture
def superuser(world):
    from accounts.models import User

    return User.objects.create_superuser("root", "root@example.com", "x", agency=world.city)


def _captions(response):
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<caption>(.*?)</caption>", response.content.decode(), re.S)]


def _draft(world, **kwargs):
    today = timezone.localdate()
    campaign = CampaignFactory(issuing_agency=world.city, year=today.year, start_date=today,
                               end_date=today + datetime.timedelta(days=90), **kwargs)
    action = ActionFactory(campaign=campaign)
    estate_task = TaskFactory(action=action, party_kind=PartyKind.ESTATE, window_start=today,
                              deadline=today + datetime.timedelta(days=30))
    firm_task = TaskFactory(action=action, party_kind=PartyKind.FIRM, window_start=today,
                            deadline=today + datetime.timedelta(days=30))
    return campaign, estate_task, firm_task


# --- landing page ------------------------------------------------------------------------------

def test_landing_page_shows_the_district_officers_campaigns_and_counts(client, world, live):
    services.obligation_submit(obligation=obligation(live.firm_task, firm=world.firm), user=world.firm_user,
                               text="自查完成")
    client.force_login(world.district_user)
    response = client.get(reverse("admin:index"))
    landing = response.context["landing"]
    assert [row["campaign"] for row in landing["campaigns"]] == [live.campaign]
    mine = Obligation.objects.filter(district=world.district)
    row = landing["campaigns"][0]
    assert row["total"] == mine.count()
    assert landing["review_count"] == 1
    assert landing["overdue_count"] == mine.filter(task=live.letter).count() == row["overdue"]
    html = response.content.decode()
    assert 'id="landing-review"' in html and live.campaign.name in html


def test_landing_page_has_no_technical_apps_for_bureau_staff_nor_superusers(client, world, superuser):
    for user in (world.district_user, superuser):
        client.force_login(user)
        captions = _captions(client.get(reverse("admin:index")))
        assert "创建活动管理" in captions
        assert not {"Axes", "登录安全", "周期任务", "认证和授权"} & set(captions), captions


def test_superuser_reaches_the_technical_apps_translated_from_the_system_page(client, world, superuser):
    client.force_login(superuser)
    assert reverse("admin:system") in client.get(reverse("admin:index")).content.decode()
    response = client.get(reverse("admin:system"))
    captions = _captions(response)
    assert {"登录安全", "周期任务"} <= set(captions)
    html = response.content.decode()
    assert "access attempts" not in html and "登录尝试" in html
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200


def test_bureau_staff_never_reach_the_technical_apps(client, world):
    from django.contrib.auth.models import Permission

    # Even with the model permissions granted, the technical apps are the superuser's.
    world.city_user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=[
        "axes", "django_celery_beat"]))
    client.force_login(world.city_user)
    assert client.get(reverse("admin:system")).status_code == 404
    assert client.get(reverse("admin:app_list", args=["axes"])).status_code == 404
    assert client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code == 403


def test_app_and_campaign_model_have_distinct_names():
    from django.apps import apps

    assert str(apps.get_app_config("campaigns").verbose_name) != str(Campaign._meta.verbose_name)


def test_landing_page_runs_the_same_queries_with_more_campaigns(client, world, live):
    client.force_login(world.district_user)
    url = reverse("admin:index")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _i in range(4):
        campaign, *_tasks = _draft(world)
        services.campaign_publish(campaign=campaign, user=world.city_user)
        services.training_record(user=world.district_user, date=timezone.localdate(), topic="培训")
    with CaptureQueriesContext(connection) as many_computed:  # the new campaigns' figures: not cached yet
        response = client.get(url)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["landing"]["campaigns"]) == 5
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    # Computed, the figures are one GROUP BY for all five campaigns (selectors.bureau_landing), and the review
    # queue's and the overdue work's counts one query each (kept, like the figures, under every campaign's token).
    assert len(many_computed) == len(few) + 3, [q["sql"] for q in many_computed.captured_queries]


def test_landing_page_counts_are_kept_and_change_at_once(client, world, live):
    """The review queue's and the overdue counts count every campaign's obligations of the area (360,000 for a city
    of 50,000 estates): kept under every campaign's token, they change with the first request after a submission,
    an acceptance, a new campaign or another day, and are the user's own (his submissions are not in his queue)."""
    from django.core.cache import cache

    cache.clear()
    client.force_login(world.district_user)
    url = reverse("admin:index")

    def counts():
        landing = client.get(url).context["landing"]
        return landing["review_count"], landing["overdue_count"]

    review, overdue = counts()
    assert review == 0 and overdue == Obligation.objects.filter(district=world.district, task=live.letter).count() > 0
    with CaptureQueriesContext(connection) as warm:
        assert counts() == (0, overdue)
    assert not [q for q in warm.captured_queries if "COUNT(" in q["sql"].upper()], "kept: no count runs"
    late = obligation(live.letter, estate=world.estate)
    services.obligation_submit(obligation=late, user=world.firm_user, text="已张贴")
    assert counts() == (1, overdue - 1)  # submitted: in the queue, no longer overdue
    services.obligation_accept(obligation=late, user=world.district_user)
    assert counts() == (0, overdue - 1)
    services.obligation_submit(obligation=obligation(live.firm_task, firm=world.firm), user=world.firm_user,
                               text="自查完成")
    assert counts()[0] == 1
    client.force_login(world.other_district_user)
    assert client.get(url).context["landing"]["review_count"] == 0  # another district: its own counts


# --- the district picker's texts ---------------------------------------------------------------

def test_admin_javascript_catalog_has_the_district_pickers_chinese(client, world):
    client.force_login(world.city_user)
    js = client.get(reverse("admin:jsi18n"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});", js, re.S).group(1))
    for msgid in ('Choose %s by selecting them and then select the "Choose" arrow button.', "Choose all %s",
                  "Remove all %s", 'Remove %s by selecting them and then select the "Remove" arrow button.'):
        assert re.search(r"[\u4e00-\u9fff]", catalog.get(msgid, "")), msgid


# --- task form ---------------------------------------------------------------------------------

def test_task_form_offers_checkboxes_of_the_valid_values(client, world, live):
    client.force_login(world.city_user)
    response = client.get(reverse("admin:campaigns_task_add") + f"?action={live.action.pk}")
    form = response.context["adminform"].form
    assert [v for v, _label in form.fields["evidence_kinds"].choices][:3] == ["text", "photos", "documents"]
    assert [v for v, _label in form.fields["firm_grades"].choices] == [1, 2, 3]
    last = max(live.letter.order, live.box.order, live.firm_task.order)
    assert form["order"].value() == last + 1  # the next free number of the action
    html = response.content.decode()
    assert 'type="checkbox" name="estate_categories" value="1"' in html
    assert 'type="date" name="deadline"' in html and "<textarea name=\"firm_grades\"" not in html


def _task_post(action, today, **extra):
    data = {
        "action": action.pk, "order": 9, "code": "", "title": "补充任务：消防通道检查", "requirement": "检查并拍照。",
        "window_start": today.isoformat(), "deadline": (today + datetime.timedelta(days=20)).isoformat(),
        "recurrence": Recurrence.ONCE, "min_count": 1, "party_kind": PartyKind.ESTATE, "firm_grades": ["1"],
        "estate_categories": [], "evidence_kinds": ["text", "photos"], "record_kind": "", "lead_unit": "",
        "co_lead_unit": "", "participating_units": "",
    }
    data.update(extra)
    return data


def test_task_added_to_a_published_campaign_in_the_admin_gets_its_obligations(client, world, live):
    client.force_login(world.city_user)
    response = client.post(reverse("admin:campaigns_task_add"), _task_post(live.action, live.today))
    assert response.status_code == 302, response.context["adminform"].form.errors
    task = Task.objects.get(title="补充任务：消防通道检查")
    assert task.firm_grades == [1] and task.evidence_kinds == ["text", "photos"] and task.code
    # grade-1 firm: world.firm's two estates; world.other_firm is grade 3.
    assert set(Obligation.objects.filter(task=task).values_list("estate", flat=True)) == {
        world.estate.pk, world.estate2.pk}


def test_task_with_a_past_deadline_is_refused_on_a_published_campaign(client, world, live):
    client.force_login(world.city_user)
    response = client.post(reverse("admin:campaigns_task_add"), _task_post(
        live.action, live.today, window_start=(live.today - datetime.timedelta(days=9)).isoformat(),
        deadline=(live.today - datetime.timedelta(days=1)).isoformat()))
    assert response.status_code == 200
    assert "不能早于今天" in str(response.context["adminform"].form.errors["deadline"])
    assert not Task.objects.filter(title="补充任务：消防通道检查").exists()


def test_task_delete_page_refuses_a_task_with_evidence(client, world, live):
    services.obligation_submit(obligation=obligation(live.letter, estate=world.estate), user=world.firm_user,
                               text="已张贴")
    client.force_login(world.city_user)
    url = reverse("admin:campaigns_task_delete", args=[live.letter.pk])
    page = client.get(url).content.decode()
    assert "不能删除" in page and "1 条任务责任已有提交" in page and 'name="post"' not in page
    client.post(url, {"post": "yes"})
    assert Task.objects.filter(pk=live.letter.pk).exists()


def test_task_delete_page_removes_a_task_without_work(client, world, live):
    client.force_login(world.city_user)
    url = reverse("admin:campaigns_task_delete", args=[live.firm_task.pk])
    assert "条任务责任（尚无任何提交）" in client.get(url).content.decode()
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Task.objects.filter(pk=live.firm_task.pk).exists()
    assert not Obligation.objects.filter(task_id=live.firm_task.pk).exists()


# --- services: tasks of a running campaign -------------------------------------------------------

def test_task_add_to_a_published_campaign_creates_its_obligations_at_once(world, live):
    task, created = services.task_add(
        action=live.action, user=world.city_user, order=10, code="visit", title="走访企业",
        window_start=live.today, deadline=live.today + datetime.timedelta(days=10), party_kind=PartyKind.FIRM)
    assert created == 2 and set(task.obligations.values_list("firm", flat=True)) == {world.firm.pk,
                                                                                   world.other_firm.pk}


def test_task_add_to_a_published_campaign_skips_periods_already_over(world, live):
    start = live.today.replace(day=1) - datetime.timedelta(days=40)
    task, created = services.task_add(
        action=live.action, order=11, code="monthly", title="每月巡查", window_start=start,
        deadline=live.today + datetime.timedelta(days=5), party_kind=PartyKind.FIRM, recurrence=Recurrence.MONTHLY)
    assert created and not task.obligations.filter(period_end__lt=live.today).exists()


def test_task_add_to_a_draft_creates_no_obligation_and_to_a_closed_campaign_is_refused(world, live):
    from django.core.exceptions import ValidationError

    campaign, estate_task, _firm_task = _draft(world)
    free_order = max(estate_task.action.tasks.values_list("order", flat=True)) + 1
    _task, created = services.task_add(action=estate_task.action, order=free_order, code="x", title="草稿任务",
                                       window_start=live.today, deadline=live.today, party_kind=PartyKind.CITY)
    assert created == 0 and not Obligation.objects.filter(campaign=campaign).exists()
    services.campaign_close(campaign=live.campaign)
    with pytest.raises(ValidationError):
        services.task_add(action=live.action, order=12, code="y", title="已结束", window_start=live.today,
                          deadline=live.today, party_kind=PartyKind.CITY)


def test_task_delete_is_refused_when_an_obligation_has_evidence(world, live):
    from django.core.exceptions import ValidationError

    services.obligation_submit(obligation=obligation(live.letter, estate=world.estate), user=world.firm_user,
                               text="已张贴")
    with pytest.raises(ValidationError, match="1 条任务责任"):
        services.task_delete(task=live.letter, user=world.city_user)
    assert Obligation.objects.filter(task=live.letter).count() == 3


def test_task_delete_is_refused_when_records_count_towards_it(world, live):
    from django.core.exceptions import ValidationError

    Obligation.objects.filter(task=live.firm_task, firm=world.firm).update(count_achieved=1)
    with pytest.raises(ValidationError):
        services.task_delete(task=live.firm_task, user=world.city_user)


def test_task_delete_removes_open_obligations_their_reminders_and_deadline_log(world, live):
    services.task_move_deadline(task=live.box, deadline=live.box.deadline + datetime.timedelta(days=3),
                                user=world.city_user)
    removed = services.task_delete(task=live.box, user=world.city_user)
    assert removed == 3 and not Task.objects.filter(pk=live.box.pk).exists()


# --- publish and close through a confirmation page ---------------------------------------------

def test_publish_asks_for_confirmation_with_the_counts_then_publishes(client, world):
    campaign, estate_task, firm_task = _draft(world)
    client.force_login(world.city_user)
    data = {"action": "publish", "_selected_action": [campaign.pk]}
    page = client.post(reverse(CHANGELIST), data)
    assert page.status_code == 200 and Obligation.objects.count() == 0
    preview = page.context["previews"][0]
    assert {r["task"].pk: r["count"] for r in preview["tasks"]} == {estate_task.pk: 3, firm_task.pk: 2}
    assert [(k["label"], k["count"]) for k in preview["kinds"]] == [("各住宅小区", 3), ("各物业服务企业", 2)]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    client.post(reverse(CHANGELIST), {**data, "post": "yes"})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PUBLISHED and campaign.obligations.count() == preview["total"] == 5


def test_publish_preview_counts_what_the_service_creates(world):
    from tests.campaign_factories import load_ningbo

    campaign = load_ningbo(world.city, year_shift=timezone.localdate().year - 2011)
    preview = selectors.campaign_publish_preview(campaign=campaign)
    created = services.campaign_publish(campaign=campaign)
    assert preview["total"] == created
    actual = dict(Obligation.objects.filter(campaign=campaign).values_list("task").annotate(
        n=__import__("django.db.models", fromlist=["Count"]).Count("pk")))
    assert {r["task"].pk: r["count"] for r in preview["tasks"] if r["count"]} == actual


def test_close_asks_for_confirmation_with_what_is_left_then_closes(client, world, live):
    client.force_login(world.city_user)
    data = {"action": "close", "_selected_action": [live.campaign.pk]}
    page = client.post(reverse(CHANGELIST), data)
    assert page.status_code == 200
    totals = page.context["previews"][0]["totals"]
    assert totals["total"] == Obligation.objects.filter(campaign=live.campaign).count() and totals["open"] > 0
    live.campaign.refresh_from_db()
    assert live.campaign.status == Campaign.Status.PUBLISHED
    client.post(reverse(CHANGELIST), {**data, "post": "yes"})
    live.campaign.refresh_from_db()
    assert live.campaign.status == Campaign.Status.CLOSED


# --- copy and required numbers -------------------------------------------------------------------

def test_copy_to_a_new_year_takes_the_new_document_number_or_none(client, world, live):
    live.campaign.document_number = "甬建〔2011〕8号"
    live.campaign.save()
    client.force_login(world.city_user)
    data = {"action": "copy_to_year", "_selected_action": [live.campaign.pk], "new_year": live.campaign.year + 1,
            "document_number": "甬建〔2012〕3号"}
    page = client.post(reverse(CHANGELIST), {"action": "copy_to_year", "_selected_action": [live.campaign.pk]})
    assert "甬建〔2011〕8号" in page.content.decode() and page.context["form"]["document_number"].value() in (None, "")
    client.post(reverse(CHANGELIST), data)
    assert Campaign.objects.get(copied_from=live.campaign).document_number == "甬建〔2012〕3号"
    copy = services.campaign_copy(campaign=live.campaign, new_year=live.campaign.year + 2)
    assert copy.document_number == ""


def test_admin_training_without_attendee_count_is_an_error(client, world, live):
    client.force_login(world.district_user)
    add = reverse("admin:campaigns_training_add")
    assert 'name="attendee_count" value="0"' not in client.get(add).content.decode()
    response = client.post(add, {"date": live.today.isoformat(), "topic": "街道培训", "attendee_count": "",
                                 "photos-TOTAL_FORMS": 0, "photos-INITIAL_FORMS": 0})
    assert response.status_code == 200 and "attendee_count" in response.context["adminform"].form.errors
    assert not Training.objects.exists()


@pytest.mark.parametrize("url, data", [
    ("campaigns:trainings", {"topic": "消防培训"}),
    ("campaigns:activities", {"kind": "friendship", "title": "中秋联谊"}),
])
def test_portal_record_without_its_count_is_an_error(client, world, live, url, data):
    client.force_login(world.firm_user)
    page = client.get(reverse(url)).content.decode()
    assert not re.search(r'name="(attendee|participant)_count" value="0"', page)
    response = client.post(reverse(url), {"date": live.today.isoformat(), **data})
    assert response.status_code == 200
    form = response.context["form"]
    assert {"attendee_count", "participant_count"} & set(form.errors)


def test_admin_estate_without_households_is_an_error(client, world):
    from estates.models import Estate

    client.force_login(world.district_user)
    add = reverse("admin:estates_estate_add")
    assert 'name="households" value="0"' not in client.get(add).content.decode()
    response = client.post(add, {"code": "HS900", "name": "新建小区", "address": "", "is_active": "on",
                                 "district": world.district.pk, "street": world.street.pk, "category": 2,
                                 "households": "", "coordinators-TOTAL_FORMS": 0, "coordinators-INITIAL_FORMS": 0})
    assert response.status_code == 200 and "households" in response.context["adminform"].form.errors
    assert not Estate.objects.filter(code="HS900").exists()


def test_district_officer_cannot_add_a_task_to_the_citys_campaign(client, world, live):
    client.force_login(world.district_user)
    response = client.get(reverse("admin:campaigns_task_add") + f"?action={live.action.pk}")
    assert live.action not in response.context["adminform"].form.fields["action"].queryset
    response = client.post(reverse("admin:campaigns_task_add"), _task_post(live.action, live.today))
    assert response.status_code == 200 and "action" in response.context["adminform"].form.errors
    assert not Task.objects.filter(title="补充任务：消防通道检查").exists()
    page = client.get(reverse("admin:campaigns_campaign_change", args=[live.campaign.pk]))
    assert "添加任务" not in page.content.decode()


def test_task_of_a_running_campaign_offers_delete_to_its_issuer_only(client, world, live):
    url = reverse("admin:campaigns_task_change", args=[live.box.pk])
    delete = reverse("admin:campaigns_task_delete", args=[live.box.pk])
    client.force_login(world.city_user)
    assert delete in client.get(url).content.decode()
    client.force_login(world.district_user)
    assert delete not in client.get(url).content.decode()
    client.post(delete, {"post": "yes"})
    assert Task.objects.filter(pk=live.box.pk).exists()
