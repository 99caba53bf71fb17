"""Services of the campaign engine: publishing, syncing, deadlines, lifecycle, records."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.utils import timezone

from campaigns import services
from campaigns.models import (
    Activity,
    Campaign,
    Evidence,
    Obligation,
    ObligationEvent,
    PartyKind,
    RecordKind,
    Recurrence,
)
from estates.models import Coordinator
from tests import factories as f
from tests.campaign_factories import DOCUMENT, PHOTO, CampaignFactory, TaskFactory, pdf, photo, publish

D = datetime.date
State = Obligation.State


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def campaign(world):
    return CampaignFactory(issuing_agency=world.city)


def task(campaign, **kwargs):
    from tests.campaign_factories import ActionFactory

    action = campaign.actions.first() or ActionFactory(campaign=campaign)
    return TaskFactory(action=action, **kwargs)


def obligation_of(task, party):
    field = {"Estate": "estate", "PropertyFirm": "firm", "Agency": "agency"}[type(party).__name__]
    return Obligation.objects.get(task=task, **{field: party})


# --- publishing ----------------------------------------------------------------------------------

def test_publish_creates_one_obligation_per_estate_with_a_firm(world, campaign):
    t = task(campaign, party_kind=PartyKind.ESTATE)
    f.EstateFactory(street=world.street, firm=None)  # no firm: nobody to do the work
    assert publish(campaign) == 3
    assert set(Obligation.objects.filter(task=t).values_list("estate__code", flat=True)) == {"HS001", "HS002", "JB001"}


def test_publish_marks_the_campaign_published(world, campaign):
    task(campaign)
    publish(campaign, user=world.city_user)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PUBLISHED and campaign.published_by == world.city_user


def test_publish_twice_is_refused(world, campaign):
    task(campaign)
    publish(campaign)
    with pytest.raises(ValidationError, match="只有草稿"):
        publish(campaign)


def test_publish_without_tasks_is_refused(world, campaign):
    with pytest.raises(ValidationError, match="没有任何工作任务"):
        publish(campaign)


def test_publish_ignores_estates_of_another_city(world, campaign):
    task(campaign)
    f.EstateFactory()  # a street of a district of a different city
    assert publish(campaign) == 3


def test_publish_uses_constant_queries(world, campaign, django_assert_max_num_queries):
    for kind in PartyKind.values:
        task(campaign, party_kind=kind, recurrence=Recurrence.MONTHLY, deadline=D(2011, 12, 31))
    for _ in range(20):
        f.EstateFactory(street=world.street, firm=world.firm)
    with django_assert_max_num_queries(14):
        publish(campaign)


def test_each_party_kind_gets_its_reviewer(world, campaign):
    tasks = {kind: task(campaign, party_kind=kind) for kind in PartyKind.values}
    publish(campaign)
    assert obligation_of(tasks["estate"], world.other_estate).reviewer == world.other_district
    assert obligation_of(tasks["firm"], world.firm).reviewer == world.district
    assert obligation_of(tasks["street"], world.street).reviewer == world.district
    assert obligation_of(tasks["district"], world.district).reviewer == world.city
    assert obligation_of(tasks["city"], world.city).reviewer == world.city


def test_applicability_filters(world, campaign):
    grade = task(campaign, party_kind=PartyKind.FIRM, firm_grades=[1, 2])
    old = task(campaign, party_kind=PartyKind.ESTATE, old_estates_only=True)
    category = task(campaign, party_kind=PartyKind.ESTATE, estate_categories=[1])
    district = task(campaign, party_kind=PartyKind.ESTATE, districts=[world.other_district])
    f.EstateFactory(street=world.street, firm=world.firm, category=1)
    publish(campaign)
    assert list(Obligation.objects.filter(task=grade).values_list("firm", flat=True)) == [world.firm.pk]
    assert list(Obligation.objects.filter(task=old).values_list("estate", flat=True)) == [world.estate2.pk]
    assert Obligation.objects.filter(task=category).count() == 1
    assert list(Obligation.objects.filter(task=district).values_list("estate", flat=True)) == [world.other_estate.pk]


def test_monthly_task_has_one_obligation_per_month_clipped_to_the_window(world, campaign):
    t = task(campaign, party_kind=PartyKind.FIRM, recurrence=Recurrence.MONTHLY,
             window_start=D(2011, 7, 22), deadline=D(2011, 9, 15))
    publish(campaign)
    periods = list(Obligation.objects.filter(task=t, firm=world.firm).values_list("period_start", "period_end",
                                                                                   "due_date"))
    assert periods == [(D(2011, 7, 22), D(2011, 7, 31), D(2011, 7, 31)),
                       (D(2011, 8, 1), D(2011, 8, 31), D(2011, 8, 31)),
                       (D(2011, 9, 1), D(2011, 9, 15), D(2011, 9, 15))]


def test_quarterly_periods():
    periods = services.task_periods(recurrence=Recurrence.QUARTERLY, window_start=D(2011, 7, 22),
                                    deadline=D(2011, 12, 31))
    assert periods == [(D(2011, 7, 22), D(2011, 9, 30), D(2011, 9, 30)),
                       (D(2011, 10, 1), D(2011, 12, 31), D(2011, 12, 31))]


# --- registry changes after publishing ----------------------------------------------------------

def test_new_estate_gets_obligations_of_published_campaigns(world, campaign):
    t = task(campaign, deadline=timezone.localdate() + datetime.timedelta(days=30))
    publish(campaign)
    estate = f.EstateFactory(street=world.street, firm=world.firm)
    ob = Obligation.objects.get(task=t, estate=estate)
    assert (ob.state, ob.reviewer, ob.district, ob.street) == (State.OPEN, world.district, world.district,
                                                               world.street)


def test_new_estate_gets_no_obligation_for_periods_already_over(world, campaign):
    t = task(campaign, window_start=D(2011, 7, 1), deadline=D(2011, 7, 31))
    publish(campaign)
    estate = f.EstateFactory(street=world.street, firm=world.firm)
    assert not Obligation.objects.filter(task=t, estate=estate).exists()


def test_new_firm_gets_obligations(world, campaign):
    t = task(campaign, party_kind=PartyKind.FIRM, deadline=timezone.localdate() + datetime.timedelta(days=3))
    publish(campaign)
    firm = f.FirmFactory(district=world.district, grade=2)
    assert Obligation.objects.filter(task=t, firm=firm).count() == 1


def test_estate_getting_a_firm_later_gets_obligations(world, campaign):
    t = task(campaign, deadline=timezone.localdate() + datetime.timedelta(days=3))
    estate = f.EstateFactory(street=world.street, firm=None)
    publish(campaign)
    assert not Obligation.objects.filter(task=t, estate=estate).exists()
    estate.firm = world.firm
    estate.save()
    assert Obligation.objects.filter(task=t, estate=estate).count() == 1


def test_resaving_an_estate_creates_no_duplicates(world, campaign):
    task(campaign, deadline=timezone.localdate() + datetime.timedelta(days=3))
    publish(campaign)
    world.estate.save()
    assert Obligation.objects.filter(estate=world.estate).count() == 1


def test_estate_moving_district_moves_pending_obligations_to_the_new_reviewer(world, campaign):
    t = task(campaign)
    publish(campaign)
    world.estate.street = world.far_street
    world.estate.district = world.other_district
    world.estate.save()
    ob = obligation_of(t, world.estate)
    assert (ob.district, ob.street, ob.reviewer) == (world.other_district, world.far_street, world.other_district)


def test_sync_after_bulk_import(world, campaign):
    from estates.models import Estate

    t = task(campaign, deadline=timezone.localdate() + datetime.timedelta(days=3))
    publish(campaign)
    Estate.objects.bulk_create([Estate(code="HS900", name="导入小区", district=world.district, street=world.street,
                                       firm=world.firm)])
    assert services.obligations_sync() == 1
    assert Obligation.objects.filter(task=t, estate__code="HS900").exists()


# --- deadlines ----------------------------------------------------------------------------------

def test_moving_a_deadline_moves_pending_obligations_only(world, campaign):
    t = task(campaign, evidence_kinds=["text"])
    publish(campaign)
    submitted = obligation_of(t, world.estate)
    services.obligation_submit(obligation=submitted, user=world.firm_user, text="已完成", now=at(D(2011, 7, 25)))
    moved, created, removed = services.task_move_deadline(task=t, deadline=D(2011, 8, 10), user=world.city_user)
    assert (moved, created, removed) == (2, 0, 0)
    assert obligation_of(t, world.estate2).due_date == D(2011, 8, 10)
    assert obligation_of(t, world.estate).due_date == D(2011, 7, 31)
    assert ObligationEvent.objects.filter(kind=ObligationEvent.Kind.DEADLINE).count() == 2


def test_extending_a_monthly_task_adds_the_new_months(world, campaign):
    t = task(campaign, party_kind=PartyKind.FIRM, recurrence=Recurrence.MONTHLY, window_start=D(2011, 8, 1),
             deadline=D(2011, 8, 31))
    publish(campaign)
    services.task_move_deadline(task=t, deadline=D(2011, 9, 30))
    assert list(Obligation.objects.filter(task=t, firm=world.firm).values_list("due_date", flat=True)) == [
        D(2011, 8, 31), D(2011, 9, 30)]


def test_shortening_a_monthly_task_removes_untouched_periods(world, campaign):
    t = task(campaign, party_kind=PartyKind.FIRM, recurrence=Recurrence.MONTHLY, window_start=D(2011, 8, 1),
             deadline=D(2011, 9, 30))
    publish(campaign)
    assert services.task_move_deadline(task=t, deadline=D(2011, 8, 20))[2] == 2
    assert list(Obligation.objects.filter(task=t, firm=world.firm).values_list("due_date", flat=True)) == [
        D(2011, 8, 20)]


def test_shortening_is_refused_when_a_vanishing_period_has_work(world, campaign):
    t = task(campaign, party_kind=PartyKind.FIRM, recurrence=Recurrence.MONTHLY, window_start=D(2011, 8, 1),
             deadline=D(2011, 9, 30), evidence_kinds=["text"])
    publish(campaign)
    september = Obligation.objects.get(task=t, firm=world.firm, period_start=D(2011, 9, 1))
    services.obligation_submit(obligation=september, user=world.firm_user, text="九月培训")
    with pytest.raises(ValidationError, match="已有提交"):
        services.task_move_deadline(task=t, deadline=D(2011, 8, 20))
    assert Obligation.objects.filter(task=t, firm=world.firm).count() == 2


# --- lifecycle ----------------------------------------------------------------------------------

@pytest.fixture
def letter(world, campaign):
    t = task(campaign, evidence_kinds=["text", "photos"])
    publish(campaign)
    return obligation_of(t, world.estate)


BEFORE_DEADLINE = D(2011, 7, 30)


def submit(ob, user, day=BEFORE_DEADLINE, **kwargs):
    kwargs.setdefault("text", "已在公告栏张贴")
    kwargs.setdefault("files", [(PHOTO, photo())])
    return services.obligation_submit(obligation=ob, user=user, now=at(day), **kwargs)


def test_submit_records_evidence_files_and_an_event(world, letter):
    evidence = submit(letter, world.firm_user)
    letter.refresh_from_db()
    assert letter.state == State.SUBMITTED and not letter.late
    assert evidence.files.get().kind == PHOTO
    event = letter.events.get()
    assert (event.kind, event.actor, event.from_state, event.to_state) == ("submit", world.firm_user, "open",
                                                                           "submitted")


def test_submit_without_required_photo_is_refused(world, letter):
    with pytest.raises(ValidationError, match="照片"):
        submit(letter, world.firm_user, files=[])
    letter.refresh_from_db()
    assert letter.state == State.OPEN and not Evidence.objects.exists()


def test_another_firm_cannot_submit(world, letter):
    with pytest.raises(ValidationError, match="责任单位"):
        submit(letter, world.other_firm_user)


def test_late_submission_is_marked_late(world, letter):
    submit(letter, world.firm_user, day=D(2011, 8, 2))
    letter.refresh_from_db()
    assert letter.late


def test_late_mark_stays_after_return_and_resubmission(world, letter):
    submit(letter, world.firm_user, day=D(2011, 8, 2))
    services.obligation_return(obligation=letter, user=world.district_user, reason="照片不清楚")
    submit(letter, world.firm_user, day=D(2011, 8, 3))
    services.obligation_accept(obligation=letter, user=world.district_user)
    letter.refresh_from_db()
    assert letter.state == State.ACCEPTED and letter.late


def test_full_cycle_records_every_transition(world, letter):
    submit(letter, world.firm_user)
    services.obligation_return(obligation=letter, user=world.district_user, reason="缺少楼道张贴照片",
                               now=at(D(2011, 7, 30), 15))
    submit(letter, world.firm_user, day=D(2011, 7, 31), files=[(PHOTO, photo("stairs.jpg"))])
    services.obligation_accept(obligation=letter, user=world.district_user, note="符合要求", now=at(D(2011, 8, 1)))
    kinds = list(letter.events.values_list("kind", "from_state", "to_state"))
    assert kinds == [("submit", "open", "submitted"), ("return", "submitted", "returned"),
                     ("resubmit", "returned", "submitted"), ("accept", "submitted", "accepted")]
    assert list(letter.evidence.values_list("round", flat=True)) == [1, 2]


def test_return_needs_a_reason(world, letter):
    submit(letter, world.firm_user)
    with pytest.raises(ValidationError, match="退回原因"):
        services.obligation_return(obligation=letter, user=world.district_user, reason="  ")


def test_accepting_an_open_obligation_is_refused(world, letter):
    with pytest.raises(ValidationError, match="尚未提交"):
        services.obligation_accept(obligation=letter, user=world.district_user)


def test_accepted_obligation_cannot_be_submitted_again(world, letter):
    submit(letter, world.firm_user)
    services.obligation_accept(obligation=letter, user=world.district_user)
    with pytest.raises(ValidationError, match="已审核通过"):
        submit(letter, world.firm_user)


def test_a_firm_cannot_review(world, letter):
    submit(letter, world.firm_user)
    with pytest.raises(ValidationError, match="物业服务企业不能审核"):
        services.obligation_accept(obligation=letter, user=world.firm_user)


def test_a_district_cannot_review_another_districts_obligation(world, letter):
    submit(letter, world.firm_user)
    with pytest.raises(ValidationError, match="只有审核单位"):
        services.obligation_accept(obligation=letter, user=world.other_district_user)
    letter.refresh_from_db()
    assert letter.state == State.SUBMITTED


def test_a_street_cannot_review(world, letter):
    submit(letter, world.firm_user)
    with pytest.raises(ValidationError, match="只有审核单位"):
        services.obligation_return(obligation=letter, user=world.street_user, reason="不行")


def test_the_city_may_review_a_districts_work(world, letter):
    submit(letter, world.firm_user)
    services.obligation_accept(obligation=letter, user=world.city_user)
    letter.refresh_from_db()
    assert letter.state == State.ACCEPTED


def test_nobody_reviews_their_own_submission(world, campaign):
    t = task(campaign, party_kind=PartyKind.CITY)
    publish(campaign)
    ob = obligation_of(t, world.city)
    services.obligation_submit(obligation=ob, user=world.city_user, text="方案已印发")
    with pytest.raises(ValidationError, match="本人提交"):
        services.obligation_accept(obligation=ob, user=world.city_user)
    colleague = f.UserFactory(agency=world.city)
    services.obligation_accept(obligation=ob, user=colleague)


def test_bulk_accept_accepts_what_the_user_may_and_reports_the_rest(world, campaign):
    t = task(campaign, evidence_kinds=["text"])
    publish(campaign)
    mine, other = obligation_of(t, world.estate), obligation_of(t, world.other_estate)
    services.obligation_submit(obligation=mine, user=world.firm_user, text="好")
    services.obligation_submit(obligation=other, user=world.other_firm_user, text="好")
    accepted, refused = services.obligation_accept_many(obligations=[mine, other, obligation_of(t, world.estate2)],
                                                        user=world.district_user)
    assert accepted == 1
    assert {ob.pk for ob, _msg in refused} == {other.pk, obligation_of(t, world.estate2).pk}
    mine.refresh_from_db()
    assert mine.state == State.ACCEPTED and mine.events.filter(kind="accept").exists()


def test_evidence_protects_the_obligation_from_deletion(world, letter):
    submit(letter, world.firm_user)
    with pytest.raises(ProtectedError):
        letter.delete()


def test_document_evidence_required(world, campaign):
    t = task(campaign, party_kind=PartyKind.FIRM, evidence_kinds=["documents"])
    publish(campaign)
    ob = obligation_of(t, world.firm)
    with pytest.raises(ValidationError, match="上传相关文件"):
        services.obligation_submit(obligation=ob, user=world.firm_user, files=[(PHOTO, photo())])
    services.obligation_submit(obligation=ob, user=world.firm_user, files=[(DOCUMENT, pdf())])


# --- records -------------------------------------------------------------------------------------

@pytest.fixture
def monthly_training(world, campaign):
    t = task(campaign, party_kind=PartyKind.FIRM, firm_grades=[1, 2], recurrence=Recurrence.MONTHLY,
             window_start=D(2011, 8, 1), deadline=D(2011, 12, 31), record_kind=RecordKind.TRAINING,
             evidence_kinds=["training"], min_count=2)
    publish(campaign)
    return t


def test_training_counts_towards_the_months_obligation(world, monthly_training):
    services.training_record(user=world.firm_user, date=D(2011, 8, 5), topic="客户服务礼仪", attendee_count=30)
    august = Obligation.objects.get(task=monthly_training, firm=world.firm, period_start=D(2011, 8, 1))
    september = Obligation.objects.get(task=monthly_training, firm=world.firm, period_start=D(2011, 9, 1))
    assert (august.count_achieved, august.state) == (1, State.OPEN)
    assert september.count_achieved == 0


def test_reaching_the_minimum_submits_automatically(world, monthly_training):
    for day in (5, 19):
        services.training_record(user=world.firm_user, date=D(2011, 8, day), topic="设备维护", attendee_count=20)
    august = Obligation.objects.get(task=monthly_training, firm=world.firm, period_start=D(2011, 8, 1))
    assert (august.count_achieved, august.state) == (2, State.SUBMITTED)
    assert august.events.get().kind == ObligationEvent.Kind.AUTO_SUBMIT


def test_manual_submission_needs_the_records(world, monthly_training):
    august = Obligation.objects.get(task=monthly_training, firm=world.firm, period_start=D(2011, 8, 1))
    with pytest.raises(ValidationError, match="至少需要 2 次"):
        services.obligation_submit(obligation=august, user=world.firm_user, text="已培训")


def test_a_firm_cannot_record_another_firms_training(world, monthly_training):
    with pytest.raises(ValidationError, match="本单位"):
        services.training_record(user=world.firm_user, organiser_firm=world.other_firm, date=D(2011, 8, 5),
                                 topic="冒名培训")


def test_district_training_counts_for_the_districts_quarter(world, campaign):
    t = task(campaign, party_kind=PartyKind.DISTRICT, recurrence=Recurrence.QUARTERLY, window_start=D(2011, 7, 22),
             deadline=D(2011, 12, 31), record_kind=RecordKind.TRAINING, evidence_kinds=["training"])
    publish(campaign)
    services.training_record(user=world.district_user, date=D(2011, 11, 3), topic="专项维修资金管理",
                             audience="街道、社区、业委会", attendee_count=80)
    q4 = Obligation.objects.get(task=t, agency=world.district, period_start=D(2011, 10, 1))
    assert (q4.count_achieved, q4.state) == (1, State.SUBMITTED)
    assert Obligation.objects.get(task=t, agency=world.other_district, period_start=D(2011, 10, 1)).state == "open"


def test_activity_counts_only_for_its_kind(world, campaign):
    friendship = task(campaign, party_kind=PartyKind.FIRM, recurrence=Recurrence.QUARTERLY,
                      window_start=D(2011, 7, 22), deadline=D(2011, 12, 31), record_kind=RecordKind.FRIENDSHIP,
                      evidence_kinds=["activity"])
    pairing = task(campaign, party_kind=PartyKind.FIRM, recurrence=Recurrence.QUARTERLY,
                   window_start=D(2011, 7, 22), deadline=D(2011, 12, 31), record_kind=RecordKind.PAIRING,
                   evidence_kinds=["activity"])
    publish(campaign)
    services.activity_record(user=world.firm_user, kind=Activity.Kind.FRIENDSHIP, date=D(2011, 8, 20),
                             title="中秋联谊会", partners="月湖社区", estate=world.estate, photos=[photo()])
    q3 = {"period_start": D(2011, 7, 22), "firm": world.firm}
    assert Obligation.objects.get(task=friendship, **q3).state == State.SUBMITTED
    assert Obligation.objects.get(task=pairing, **q3).state == State.OPEN


def test_activity_in_an_estate_of_another_firm_is_refused(world, campaign):
    with pytest.raises(ValidationError, match="不由本企业管理"):
        services.activity_record(user=world.firm_user, kind=Activity.Kind.CONVENIENCE, date=D(2011, 8, 20),
                                 title="义诊", estate=world.other_estate)


def test_filing_a_coordinator_replaces_the_current_one_and_submits(world, campaign):
    t = task(campaign, deadline=D(2011, 8, 10), record_kind=RecordKind.COORDINATOR, evidence_kinds=[])
    publish(campaign)
    services.coordinator_file(user=world.firm_user, estate=world.estate, name="王明", phone="13800000001",
                              appointed_on=D(2011, 7, 25))
    services.coordinator_file(user=world.firm_user, estate=world.estate, name="李华", phone="13800000002",
                              appointed_on=D(2011, 8, 1))
    assert list(Coordinator.objects.filter(estate=world.estate, is_current=True).values_list("name", flat=True)) \
        == ["李华"]
    assert Coordinator.objects.filter(estate=world.estate).count() == 2
    ob = obligation_of(t, world.estate)
    assert (ob.state, ob.count_achieved) == (State.SUBMITTED, 1)


def test_a_firm_cannot_file_a_coordinator_for_an_estate_it_does_not_manage(world):
    with pytest.raises(ValidationError, match="本单位管理"):
        services.coordinator_file(user=world.firm_user, estate=world.other_estate, name="王明",
                                  phone="13800000001", appointed_on=D(2011, 7, 25))


def test_bad_coordinator_phone_is_refused(world):
    with pytest.raises(ValidationError):
        services.coordinator_file(user=world.firm_user, estate=world.estate, name="王明", phone="12",
                                  appointed_on=D(2011, 7, 25))
    assert not Coordinator.objects.exists()


def test_closing_a_campaign_stops_submissions(world, letter):
    services.campaign_close(campaign=letter.campaign)
    with pytest.raises(ValidationError, match="未发布或已结束"):
        submit(letter, world.firm_user)


def test_new_street_gets_obligations_once_its_path_is_saved(world, campaign, django_capture_on_commit_callbacks):
    t = task(campaign, party_kind=PartyKind.STREET, deadline=timezone.localdate() + datetime.timedelta(days=3))
    publish(campaign)
    with django_capture_on_commit_callbacks(execute=True):
        street = f.StreetFactory(name="新设街道", parent=world.district)
    ob = Obligation.objects.get(task=t, agency=street)
    assert (ob.reviewer, ob.district, ob.street) == (world.district, world.district, street)


def test_firm_moving_district_moves_its_pending_obligations(world, campaign):
    t = task(campaign, party_kind=PartyKind.FIRM)
    publish(campaign)
    world.firm.district = world.other_district
    world.firm.save()
    ob = obligation_of(t, world.firm)
    assert (ob.district, ob.reviewer) == (world.other_district, world.other_district)


def test_accepted_work_keeps_its_reviewer_when_the_estate_moves(world, campaign):
    t = task(campaign, evidence_kinds=["text"])
    publish(campaign)
    ob = obligation_of(t, world.estate)
    services.obligation_submit(obligation=ob, user=world.firm_user, text="好")
    services.obligation_accept(obligation=ob, user=world.district_user)
    world.estate.street, world.estate.district = world.far_street, world.other_district
    world.estate.save()
    ob.refresh_from_db()
    assert (ob.reviewer, ob.district) == (world.district, world.other_district)


def test_firm_upgraded_to_grade_2_gets_the_grade_tasks_of_its_estates(world, campaign):
    deadline = timezone.localdate() + datetime.timedelta(days=5)
    visits = task(campaign, party_kind=PartyKind.ESTATE, firm_grades=[1, 2], deadline=deadline)
    training = task(campaign, party_kind=PartyKind.FIRM, firm_grades=[1, 2], deadline=deadline)
    publish(campaign)
    assert not Obligation.objects.filter(task=visits, estate=world.other_estate).exists()
    world.other_firm.grade = 2
    world.other_firm.save()
    assert Obligation.objects.filter(task=visits, estate=world.other_estate).count() == 1
    assert Obligation.objects.filter(task=training, firm=world.other_firm).count() == 1
