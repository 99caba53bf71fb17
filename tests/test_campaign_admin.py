"""Bureau side in the admin: campaigns, tasks, obligations, review (scoped to the district)."""

import datetime

import pytest
from django.urls import reverse

from campaigns import services
from campaigns.models import Campaign, Obligation, Training
from tests.campaign_ui_fixtures import make_live, obligation


@pytest.fixture
def live(world):
    return make_live(world)


State = Obligation.State
CHANGELIST = "admin:campaigns_obligation_changelist"


def submit(o, user, text="已完成"):
    services.obligation_submit(obligation=o, user=user, text=text)
    o.refresh_from_db()
    return o


def test_obligation_changelist_of_a_district_officer_shows_only_their_district(client, world, live):
    client.force_login(world.district_user)
    response = client.get(reverse(CHANGELIST))
    districts = {o.district_id for o in response.context["cl"].result_list}
    assert districts == {world.district.pk}


def test_obligation_changelist_filters_overdue_and_grade(client, world, live):
    client.force_login(world.city_user)
    response = client.get(reverse(CHANGELIST), {"overdue": "1", "grade": "3"})
    rows = list(response.context["cl"].result_list)
    assert [(o.task_id, o.estate_id) for o in rows] == [(live.letter.pk, world.other_estate.pk)]


def test_obligation_changelist_filters_campaign_action_district_street(client, world, live):
    client.force_login(world.city_user)
    response = client.get(reverse(CHANGELIST), {"campaign": live.campaign.pk, "action": live.action.pk,
                                                "district": world.district.pk, "street": world.street.pk})
    assert {o.estate_id for o in response.context["cl"].result_list} == {world.estate.pk}


def test_other_districts_obligation_change_page_is_404(client, world, live):
    o = obligation(live.letter, estate=world.other_estate)
    client.force_login(world.district_user)
    assert client.get(reverse("admin:campaigns_obligation_change", args=[o.pk])).status_code == 404


def test_district_officer_cannot_review_another_districts_obligation(client, world, live):
    o = submit(obligation(live.letter, estate=world.other_estate), world.other_firm_user)
    client.force_login(world.district_user)
    response = client.post(reverse("admin:campaigns_obligation_review", args=[o.pk]), {"decision": "accept"})
    assert response.status_code == 404
    o.refresh_from_db()
    assert o.state == State.SUBMITTED


def test_change_page_offers_the_review_form_to_the_reviewer(client, world, live):
    o = submit(obligation(live.letter, estate=world.estate), world.firm_user, text="张贴照片见附件")
    client.force_login(world.district_user)
    page = client.get(reverse("admin:campaigns_obligation_change", args=[o.pk])).content.decode()
    assert 'id="review"' in page and "张贴照片见附件" in page


def test_return_without_reason_is_refused(client, world, live):
    o = submit(obligation(live.letter, estate=world.estate), world.firm_user)
    client.force_login(world.district_user)
    client.post(reverse("admin:campaigns_obligation_review", args=[o.pk]), {"decision": "return", "note": ""})
    o.refresh_from_db()
    assert o.state == State.SUBMITTED


def test_bulk_accept_action_accepts_the_submitted_ones_and_reports_the_others(client, world, live):
    a = submit(obligation(live.letter, estate=world.estate), world.firm_user)
    b = submit(obligation(live.letter, estate=world.estate2), world.firm_user)
    still_open = obligation(live.box, estate=world.estate)
    client.force_login(world.district_user)
    response = client.post(reverse(CHANGELIST), {"action": "accept_selected",
                                                 "_selected_action": [a.pk, b.pk, still_open.pk]}, follow=True)
    assert Obligation.objects.filter(pk__in=[a.pk, b.pk], state=State.ACCEPTED).count() == 2
    still_open.refresh_from_db()
    assert still_open.state == State.OPEN
    assert "尚未提交" in response.content.decode()


def test_bulk_return_action_asks_for_a_reason_then_returns(client, world, live):
    a = submit(obligation(live.letter, estate=world.estate), world.firm_user)
    client.force_login(world.district_user)
    url = reverse(CHANGELIST)
    page = client.post(url, {"action": "return_selected", "_selected_action": [a.pk]})
    assert page.status_code == 200 and "退回原因" in page.content.decode()
    client.post(url, {"action": "return_selected", "_selected_action": [a.pk], "reason": "照片不清晰"})
    a.refresh_from_db()
    assert a.state == State.RETURNED and a.review_note == "照片不清晰"


def test_review_queue_lists_only_the_officers_district(client, world, live):
    mine = submit(obligation(live.letter, estate=world.estate), world.firm_user)
    submit(obligation(live.letter, estate=world.other_estate), world.other_firm_user)
    client.force_login(world.district_user)
    response = client.get(reverse("admin:campaigns_obligation_review_queue"))
    assert [o.pk for o in response.context["rows"]] == [mine.pk]


def test_review_queue_bulk_accept(client, world, live):
    a = submit(obligation(live.letter, estate=world.estate), world.firm_user)
    b = submit(obligation(live.letter, estate=world.estate2), world.firm_user)
    client.force_login(world.district_user)
    client.post(reverse("admin:campaigns_obligation_review_queue"), {"ids": [a.pk, b.pk], "do": "accept"})
    assert Obligation.objects.filter(pk__in=[a.pk, b.pk], state=State.ACCEPTED).count() == 2


def test_review_queue_ignores_ids_of_another_district(client, world, live):
    theirs = submit(obligation(live.letter, estate=world.other_estate), world.other_firm_user)
    client.force_login(world.district_user)
    client.post(reverse("admin:campaigns_obligation_review_queue"), {"ids": [theirs.pk], "do": "accept"})
    theirs.refresh_from_db()
    assert theirs.state == State.SUBMITTED


def test_review_queue_bulk_return_needs_a_reason(client, world, live):
    a = submit(obligation(live.letter, estate=world.estate), world.firm_user)
    client.force_login(world.district_user)
    url = reverse("admin:campaigns_obligation_review_queue")
    client.post(url, {"ids": [a.pk], "do": "return", "reason": ""})
    a.refresh_from_db()
    assert a.state == State.SUBMITTED
    client.post(url, {"ids": [a.pk], "do": "return", "reason": "请补充照片"})
    a.refresh_from_db()
    assert a.state == State.RETURNED


# --- campaigns and tasks -----------------------------------------------------------------------

def test_publish_action_publishes_a_draft(client, world):
    from tests.campaign_factories import ActionFactory, CampaignFactory, TaskFactory

    campaign = CampaignFactory(issuing_agency=world.city)
    TaskFactory(action=ActionFactory(campaign=campaign))
    client.force_login(world.city_user)
    client.post(reverse("admin:campaigns_campaign_changelist"), {"action": "publish", "post": "yes",
                                                                 "_selected_action": [campaign.pk]})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PUBLISHED and campaign.obligations.count() == 3


def test_district_officer_cannot_publish_the_citys_campaign(client, world):
    from tests.campaign_factories import ActionFactory, CampaignFactory, TaskFactory

    campaign = CampaignFactory(issuing_agency=world.city, status=Campaign.Status.DRAFT)
    TaskFactory(action=ActionFactory(campaign=campaign))
    client.force_login(world.district_user)
    client.post(reverse("admin:campaigns_campaign_changelist"), {"action": "publish", "post": "yes",
                                                                 "_selected_action": [campaign.pk]})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_close_action_closes(client, world, live):
    client.force_login(world.city_user)
    client.post(reverse("admin:campaigns_campaign_changelist"), {"action": "close", "post": "yes",
                                                                 "_selected_action": [live.campaign.pk]})
    live.campaign.refresh_from_db()
    assert live.campaign.status == Campaign.Status.CLOSED


def test_copy_to_new_year_asks_for_the_year_and_copies(client, world, live):
    client.force_login(world.city_user)
    url = reverse("admin:campaigns_campaign_changelist")
    page = client.post(url, {"action": "copy_to_year", "_selected_action": [live.campaign.pk]})
    assert "新年度" in page.content.decode()
    response = client.post(url, {"action": "copy_to_year", "_selected_action": [live.campaign.pk],
                                 "new_year": live.campaign.year + 1})
    copy = Campaign.objects.get(copied_from=live.campaign)
    assert response.status_code == 302 and copy.year == live.campaign.year + 1
    assert copy.status == Campaign.Status.DRAFT and copy.actions.get().tasks.count() == 3


def test_district_officer_sees_the_citys_published_campaign(client, world, live):
    client.force_login(world.district_user)
    response = client.get(reverse("admin:campaigns_campaign_changelist"))
    assert list(response.context["cl"].result_list) == [live.campaign]


def test_move_deadline_page_moves_the_pending_obligations(client, world, live):
    new = live.box.deadline + datetime.timedelta(days=10)
    client.force_login(world.city_user)
    url = reverse("admin:campaigns_task_move_deadline", args=[live.box.pk])
    response = client.post(url, {"deadline": new.isoformat(), "note": "因台风顺延"})
    assert response.status_code == 302
    assert set(Obligation.objects.filter(task=live.box).values_list("due_date", flat=True)) == {new}


def test_move_deadline_before_the_window_shows_the_service_message(client, world, live):
    client.force_login(world.city_user)
    url = reverse("admin:campaigns_task_move_deadline", args=[live.box.pk])
    response = client.post(url, {"deadline": (live.box.window_start - datetime.timedelta(days=1)).isoformat()})
    assert response.status_code == 200 and "不能早于开始日期" in response.content.decode()


def test_task_deadline_is_read_only_in_the_change_form(client, world, live):
    client.force_login(world.city_user)
    response = client.get(reverse("admin:campaigns_task_change", args=[live.box.pk]))
    assert "deadline" not in response.context["adminform"].form.fields


def test_district_officer_cannot_move_the_citys_deadline(client, world, live):
    client.force_login(world.district_user)
    url = reverse("admin:campaigns_task_move_deadline", args=[live.box.pk])
    response = client.post(url, {"deadline": (live.box.deadline + datetime.timedelta(days=3)).isoformat()})
    assert response.status_code == 403


# --- records -----------------------------------------------------------------------------------

def test_district_files_a_training_through_the_service(client, world, live):
    client.force_login(world.district_user)
    response = client.post(reverse("admin:campaigns_training_add"), {
        "date": live.today.isoformat(), "topic": "街道社区业务培训", "audience": "街道工作人员",
        "attendee_count": 40, "place": "", "notes": "",
        "photos-TOTAL_FORMS": 0, "photos-INITIAL_FORMS": 0})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Training.objects.get().organiser_agency == world.district


def test_training_list_of_a_district_hides_another_districts_firm(client, world, live):
    services.training_record(user=world.other_firm_user, date=live.today, topic="外区培训")
    services.training_record(user=world.firm_user, date=live.today, topic="本区培训")
    client.force_login(world.district_user)
    response = client.get(reverse("admin:campaigns_training_changelist"))
    assert [t.topic for t in response.context["cl"].result_list] == ["本区培训"]


@pytest.mark.parametrize("name", ["campaign", "task", "action", "obligation", "obligationevent", "training",
                                  "activity"])
def test_every_changelist_renders_for_a_district_officer(client, world, live, name):
    client.force_login(world.district_user)
    assert client.get(reverse(f"admin:campaigns_{name}_changelist")).status_code == 200


def test_evidence_file_in_the_admin_is_scoped_to_the_district(client, world, live):
    from campaigns.models import EvidenceFile
    from tests.campaign_ui_fixtures import real_pdf

    o = obligation(live.letter, estate=world.estate)
    services.obligation_submit(obligation=o, user=world.firm_user, text="见附件",
                               files=[(EvidenceFile.Kind.DOCUMENT, real_pdf())])
    url = reverse("admin:campaigns_obligation_file", args=[o.pk, EvidenceFile.objects.get().pk])
    client.force_login(world.district_user)
    assert client.get(url).status_code == 200
    client.force_login(world.other_district_user)
    assert client.get(url).status_code == 404


def test_obligation_changelist_runs_the_same_queries_for_few_and_many_rows(client, world, live):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.campaign_ui_fixtures import add_estates

    def count():
        client.force_login(world.city_user)
        client.get(reverse(CHANGELIST))
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse(CHANGELIST))
        return len(ctx.captured_queries)

    few = count()
    add_estates(world, 60)
    services.obligations_sync(campaign=live.campaign)
    assert count() == few


def test_review_queue_runs_the_same_queries_for_few_and_many_submissions(client, world, live):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.campaign_ui_fixtures import add_estates

    def count():
        client.force_login(world.district_user)
        url = reverse("admin:campaigns_obligation_review_queue")
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        return len(ctx.captured_queries), len(response.context["rows"])

    submit(obligation(live.letter, estate=world.estate), world.firm_user)
    few, rows_few = count()
    add_estates(world, 40)
    services.obligations_sync(campaign=live.campaign)
    from tests.campaign_ui_fixtures import real_photo

    for o in Obligation.objects.filter(task=live.box, estate__code__startswith="BULK"):
        services.obligation_submit(obligation=o, user=world.firm_user, files=[("photo", real_photo())])
    many, rows_many = count()
    assert (rows_few, rows_many) == (1, 41)
    assert many == few


def test_campaign_links_to_its_tasks_and_actions_to_theirs(client, world, live):
    client.force_login(world.city_user)
    by_campaign = client.get(reverse("admin:campaigns_task_changelist"), {"campaign": live.campaign.pk})
    assert {t.pk for t in by_campaign.context["cl"].result_list} == {live.letter.pk, live.box.pk, live.firm_task.pk}
    by_action = client.get(reverse("admin:campaigns_task_changelist"), {"action__id__exact": live.action.pk})
    assert by_action.status_code == 200 and len(by_action.context["cl"].result_list) == 3


def test_task_campaign_filter_offers_only_visible_campaigns(client, world, live):
    from tests.campaign_factories import CampaignFactory

    CampaignFactory(name="外市的活动")  # another city's draft
    client.force_login(world.district_user)
    page = client.get(reverse("admin:campaigns_task_changelist")).content.decode()
    assert "外市的活动" not in page and live.campaign.name in page

