"""Issue 14, section 5: trainings and activities are corrected or withdrawn by the organisation
that filed them, until an obligation they count towards is accepted, and the counts follow
(obligation progress, the record lists, the exports)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from campaigns import services
from campaigns.models import Activity, Obligation, ObligationEvent, PartyKind, RecordKind, Recurrence, Training
from tests.campaign_factories import ActionFactory, CampaignFactory, TaskFactory, publish
from tests.campaign_ui_fixtures import read_xlsx, real_photo

State = Obligation.State


@pytest.fixture
def tasks(world):
    """A running campaign with a firm training task (2 a month) and a firm convenience-activity
    task (1 a quarter), both counting records automatically."""
    from django.utils import timezone

    today = timezone.localdate()
    campaign = CampaignFactory(issuing_agency=world.city, year=today.year, start_date=today.replace(month=1, day=1),
                               end_date=today.replace(month=12, day=31))
    action = ActionFactory(campaign=campaign)
    training = TaskFactory(action=action, title="内部培训", party_kind=PartyKind.FIRM, recurrence=Recurrence.MONTHLY,
                           window_start=campaign.start_date, deadline=campaign.end_date,
                           record_kind=RecordKind.TRAINING, evidence_kinds=["training"], min_count=2)
    activity = TaskFactory(action=action, title="便民服务", party_kind=PartyKind.FIRM,
                           recurrence=Recurrence.QUARTERLY, window_start=campaign.start_date,
                           deadline=campaign.end_date, record_kind=RecordKind.CONVENIENCE,
                           evidence_kinds=["activity"], min_count=1)
    publish(campaign, user=world.city_user)
    return type("Tasks", (), {"today": today, "training": training, "activity": activity, "campaign": campaign})


def current(task, firm, day):
    return Obligation.objects.get(task=task, firm=firm, period_start__lte=day, period_end__gte=day)


def other_month(day):
    """A day of another month of the same year (the campaign runs through the year)."""
    return day.replace(day=1) - datetime.timedelta(days=1) if day.month > 1 else day.replace(month=2, day=1)


def train(world, day, topic="客户服务礼仪", count=20, user=None):
    return services.training_record(user=user or world.firm_user, date=day, topic=topic, attendee_count=count)


def act(world, day, title="便民义务维修", kind=Activity.Kind.CONVENIENCE, estate=None):
    return services.activity_record(user=world.firm_user, kind=kind, date=day, title=title,
                                    estate=estate or world.estate, participant_count=10)


# --- services ------------------------------------------------------------------------------------

def test_correcting_a_training_changes_it_and_logs_the_recount(world, tasks):
    t = train(world, tasks.today)
    services.training_update(user=world.firm_user, training=t, date=tasks.today, topic="消防安全培训",
                             attendee_count=45)
    t.refresh_from_db()
    assert (t.topic, t.attendee_count) == ("消防安全培训", 45)
    assert current(tasks.training, world.firm, tasks.today).count_achieved == 1


def test_moving_a_training_to_another_month_moves_its_count(world, tasks):
    day, other = tasks.today, other_month(tasks.today)
    t = train(world, day)
    services.training_update(user=world.firm_user, training=t, date=other, topic=t.topic, attendee_count=20)
    assert current(tasks.training, world.firm, day).count_achieved == 0
    moved_to = current(tasks.training, world.firm, other)
    assert moved_to.count_achieved == 1
    assert current(tasks.training, world.firm, day).events.get().kind == ObligationEvent.Kind.RECORD


def test_withdrawing_a_training_takes_back_the_automatic_submission(world, tasks):
    first, _second = train(world, tasks.today), train(world, tasks.today, topic="设备维护")
    ob = current(tasks.training, world.firm, tasks.today)
    assert (ob.count_achieved, ob.state) == (2, State.SUBMITTED)
    services.training_withdraw(user=world.firm_user, training=first)
    ob.refresh_from_db()
    assert (ob.count_achieved, ob.state, ob.submitted_at) == (1, State.OPEN, None)
    assert not Training.objects.filter(pk=first.pk).exists()
    last = ob.events.order_by("pk").last()
    assert (last.kind, last.from_state, last.to_state) == (ObligationEvent.Kind.RECORD, State.SUBMITTED, State.OPEN)


def test_a_returned_obligation_goes_back_to_returned_when_its_records_fall_short(world, tasks):
    first, _second = train(world, tasks.today), train(world, tasks.today, topic="设备维护")
    ob = current(tasks.training, world.firm, tasks.today)
    services.obligation_return(obligation=ob, user=world.district_user, reason="照片不清楚")
    train(world, tasks.today, topic="补充培训")  # three: resubmitted automatically
    ob.refresh_from_db()
    assert ob.state == State.SUBMITTED
    services.training_withdraw(user=world.firm_user, training=first)  # three → two: still enough
    ob.refresh_from_db()
    assert (ob.count_achieved, ob.state) == (2, State.SUBMITTED)
    services.training_withdraw(user=world.firm_user, training=_second)
    ob.refresh_from_db()
    assert (ob.count_achieved, ob.state) == (1, State.RETURNED)


def test_once_accepted_the_training_can_be_neither_corrected_nor_withdrawn(world, tasks):
    first, _second = train(world, tasks.today), train(world, tasks.today, topic="设备维护")
    services.obligation_accept(obligation=current(tasks.training, world.firm, tasks.today), user=world.district_user)
    with pytest.raises(ValidationError, match="审核通过的任务“内部培训”"):
        services.training_update(user=world.firm_user, training=first, date=tasks.today, topic="改", attendee_count=1)
    with pytest.raises(ValidationError, match="不能再更正或撤回"):
        services.training_withdraw(user=world.firm_user, training=first)
    first.refresh_from_db()
    assert first.topic == "客户服务礼仪"


def test_a_training_cannot_be_moved_into_an_accepted_period(world, tasks):
    day, other = tasks.today, other_month(tasks.today)
    train(world, other), train(world, other, topic="b")
    services.obligation_accept(obligation=current(tasks.training, world.firm, other), user=world.district_user)
    t = train(world, day)
    with pytest.raises(ValidationError, match="审核通过"):
        services.training_update(user=world.firm_user, training=t, date=other, topic=t.topic, attendee_count=3)


def test_only_the_filing_organisation_corrects_or_withdraws(world, tasks):
    t = train(world, tasks.today)
    for user in (world.other_firm_user, world.district_user):
        with pytest.raises(ValidationError, match="本单位"):
            services.training_withdraw(user=user, training=t)
    assert Training.objects.filter(pk=t.pk).exists()


def test_withdrawing_an_activity_recounts_and_deletes_its_photos(world, tasks, django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage

    a = services.activity_record(user=world.firm_user, kind=Activity.Kind.CONVENIENCE, date=tasks.today,
                                 title="义诊", estate=world.estate, photos=[real_photo()])
    name = a.photos.get().file.name
    ob = current(tasks.activity, world.firm, tasks.today)
    assert (ob.count_achieved, ob.state) == (1, State.SUBMITTED)
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_withdraw(user=world.firm_user, activity=a)
    ob.refresh_from_db()
    assert (ob.count_achieved, ob.state) == (0, State.OPEN)
    assert not Activity.objects.exists()
    assert not default_storage.exists(name)


def test_changing_an_activitys_kind_moves_its_count(world, tasks):
    a = act(world, tasks.today)
    services.activity_update(user=world.firm_user, activity=a, kind=Activity.Kind.FRIENDSHIP, date=a.date,
                             title=a.title, estate=a.estate, participant_count=30)
    ob = current(tasks.activity, world.firm, tasks.today)
    assert (ob.count_achieved, ob.state) == (0, State.OPEN)


def test_an_activity_cannot_move_to_another_firms_estate(world, tasks):
    a = act(world, tasks.today)
    with pytest.raises(ValidationError, match="不由本企业管理"):
        services.activity_update(user=world.firm_user, activity=a, kind=a.kind, date=a.date, title=a.title,
                                 estate=world.other_estate, participant_count=1)


# --- portal views --------------------------------------------------------------------------------

def test_the_training_list_offers_correct_and_withdraw(client, world, tasks):
    t = train(world, tasks.today)
    client.force_login(world.firm_user)
    html = client.get(reverse("campaigns:trainings")).content.decode()
    assert reverse("campaigns:training_edit", args=[t.pk]) in html
    assert reverse("campaigns:training_withdraw", args=[t.pk]) in html


def test_correcting_the_attendee_count_through_the_portal(client, world, tasks):
    t = train(world, tasks.today, count=20)
    client.force_login(world.firm_user)
    url = reverse("campaigns:training_edit", args=[t.pk])
    page = client.get(url).content.decode()
    assert 'value="20"' in page and "客户服务礼仪" in page
    response = client.post(url, {"date": tasks.today.isoformat(), "topic": "客户服务礼仪", "attendee_count": 35})
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.attendee_count == 35
    rows = read_xlsx(client.get(reverse("campaigns:trainings") + "?export=xlsx"))
    assert any(35 in row or "35" in row for row in rows[1:])


def test_bad_input_on_the_correction_form_keeps_the_record(client, world, tasks):
    t = train(world, tasks.today, count=20)
    client.force_login(world.firm_user)
    response = client.post(reverse("campaigns:training_edit", args=[t.pk]),
                           {"date": "not a date", "topic": "新主题", "attendee_count": -3})
    assert response.status_code == 200 and "新主题" in response.content.decode()
    t.refresh_from_db()
    assert (t.topic, t.attendee_count) == ("客户服务礼仪", 20)


def test_withdrawing_through_the_portal_asks_first_then_the_counts_follow(client, world, tasks):
    a = act(world, tasks.today)
    client.force_login(world.firm_user)
    url = reverse("campaigns:activity_withdraw", args=[a.pk])
    assert "确认撤回" in client.get(url).content.decode()
    assert Activity.objects.filter(pk=a.pk).exists()  # a GET changes nothing
    response = client.post(url, follow=True)
    assert "已撤回" in response.content.decode()
    assert not Activity.objects.filter(pk=a.pk).exists()
    assert current(tasks.activity, world.firm, tasks.today).count_achieved == 0
    assert len(read_xlsx(client.get(reverse("campaigns:activities") + "?export=xlsx"))) == 1  # header only


def test_a_locked_record_says_so_and_a_post_is_refused_with_the_reason(client, world, tasks):
    first, _second = train(world, tasks.today), train(world, tasks.today, topic="设备维护")
    services.obligation_accept(obligation=current(tasks.training, world.firm, tasks.today), user=world.district_user)
    client.force_login(world.firm_user)
    listing = client.get(reverse("campaigns:trainings")).content.decode()
    assert reverse("campaigns:training_withdraw", args=[first.pk]) not in listing
    assert "已计入通过的任务" in listing
    response = client.post(reverse("campaigns:training_withdraw", args=[first.pk]), follow=True)
    assert "不能再更正或撤回" in response.content.decode()
    assert Training.objects.filter(pk=first.pk).exists()


@pytest.mark.parametrize("name", ["campaigns:training_edit", "campaigns:training_withdraw"])
def test_another_firms_training_is_404_for_get_and_post(client, world, tasks, name):
    t = train(world, tasks.today)
    client.force_login(world.other_firm_user)
    url = reverse(name, args=[t.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"date": tasks.today.isoformat(), "topic": "x", "attendee_count": 1}).status_code == 404
    t.refresh_from_db()
    assert t.topic == "客户服务礼仪"


@pytest.mark.parametrize("name", ["campaigns:activity_edit", "campaigns:activity_withdraw"])
def test_another_firms_activity_is_404_for_get_and_post(client, world, tasks, name):
    a = act(world, tasks.today)
    client.force_login(world.other_firm_user)
    url = reverse(name, args=[a.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"kind": "convenience", "date": tasks.today.isoformat(), "title": "x",
                             "participant_count": 1}).status_code == 404
    assert Activity.objects.filter(pk=a.pk, title="便民义务维修").exists()


def test_an_agencys_training_is_404_in_the_portal(client, world, tasks):
    t = train(world, tasks.today, user=world.district_user)
    client.force_login(world.firm_user)
    assert client.get(reverse("campaigns:training_edit", args=[t.pk])).status_code == 404


# --- coordinator roster template -----------------------------------------------------------------

def _template_rows(client):
    return [row for row in read_xlsx(client.get(reverse("campaigns:roster_template")))[1:] if any(row)]


def test_the_roster_template_lists_exactly_the_firms_own_active_estates(client, world):
    from tests import factories as f

    f.EstateFactory(code="HS099", name="已撤销小区", street=world.street, firm=world.firm, is_active=False)
    client.force_login(world.firm_user)
    assert [row[:2] for row in _template_rows(client)] == [["HS001", "月湖花园"], ["HS002", "南门小区"]]
    client.force_login(world.other_firm_user)
    assert [row[:2] for row in _template_rows(client)] == [["JB001", "孔浦新村"]]


def test_the_roster_template_carries_the_current_coordinator(client, world):
    services.coordinator_file(user=world.firm_user, estate=world.estate, name="王芳", phone="13800000000",
                              appointed_on=datetime.date(2026, 1, 5))
    client.force_login(world.firm_user)
    first = _template_rows(client)[0]
    assert first[:4] == ["HS001", "月湖花园", "王芳", "13800000000"]


def _as_upload(rows, header):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("名册.xlsx", out.getvalue())


def test_a_template_filled_for_one_estate_uploads_that_one_and_skips_the_rest(client, world):
    from estates.models import Coordinator

    client.force_login(world.firm_user)
    rows = read_xlsx(client.get(reverse("campaigns:roster_template")))
    header, data = rows[0], [list(r) for r in rows[1:] if any(r)]
    data[1][2:5] = ["李强", "13900000000", "2026-01-06"]  # HS002 typed in; HS001 left as downloaded
    response = client.post(reverse("campaigns:roster_upload"), {"file": _as_upload(data, header)})
    assert response.status_code == 302
    assert list(Coordinator.objects.filter(is_current=True).values_list("estate__code", "name")) == [
        ("HS002", "李强")]


def test_a_half_filled_row_of_the_template_is_still_refused(client, world):
    from estates.models import Coordinator

    client.force_login(world.firm_user)
    rows = read_xlsx(client.get(reverse("campaigns:roster_template")))
    header, data = rows[0], [list(r) for r in rows[1:] if any(r)]
    data[0][2] = "王芳"  # a name without phone and date
    response = client.post(reverse("campaigns:roster_upload"), {"file": _as_upload(data, header)})
    assert response.status_code == 200 and "必填" in response.content.decode()
    assert not Coordinator.objects.exists()


# --- the admin: deleting a training is withdrawing it --------------------------------------------

@pytest.fixture
def district_training(world):
    from django.utils import timezone

    today = timezone.localdate()
    campaign = CampaignFactory(issuing_agency=world.city, year=today.year, start_date=today.replace(month=1, day=1),
                               end_date=today.replace(month=12, day=31))
    task = TaskFactory(action=ActionFactory(campaign=campaign), title="区级培训", party_kind=PartyKind.DISTRICT,
                       recurrence=Recurrence.QUARTERLY, window_start=campaign.start_date, deadline=campaign.end_date,
                       record_kind=RecordKind.TRAINING, evidence_kinds=["training"], min_count=1)
    publish(campaign)
    training = services.training_record(user=world.district_user, date=today, topic="专项维修资金管理",
                                        attendee_count=60)
    ob = Obligation.objects.get(task=task, agency=world.district, period_start__lte=today, period_end__gte=today)
    assert (ob.count_achieved, ob.state) == (1, State.SUBMITTED)
    return training, ob


def test_deleting_a_training_in_the_admin_recounts_its_obligation(client, world, district_training):
    training, ob = district_training
    world.district_user.is_staff = True
    world.district_user.save()
    client.force_login(world.district_user)
    response = client.post(reverse("admin:campaigns_training_delete", args=[training.pk]), {"post": "yes"})
    assert response.status_code == 302
    ob.refresh_from_db()
    assert (ob.count_achieved, ob.state) == (0, State.OPEN)


def test_the_admins_bulk_delete_recounts_too(admin_client, world, district_training):
    training, ob = district_training
    admin_client.post(reverse("admin:campaigns_training_changelist"),
                      {"action": "delete_selected", "_selected_action": [training.pk], "post": "yes"})
    assert not Training.objects.filter(pk=training.pk).exists()
    ob.refresh_from_db()
    assert (ob.count_achieved, ob.state) == (0, State.OPEN)


def test_an_officer_cannot_delete_a_firms_training_in_the_admin(client, world, tasks):
    t = train(world, tasks.today)
    world.district_user.is_staff = True
    world.district_user.save()
    client.force_login(world.district_user)
    response = client.post(reverse("admin:campaigns_training_delete", args=[t.pk]), {"post": "yes"})
    assert response.status_code in (403, 404)
    assert Training.objects.filter(pk=t.pk).exists()
