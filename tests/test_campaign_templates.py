"""Campaign templates as data: Ningbo 2011 and Chengdu 2013, loading, shifting, copying."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns import selectors, services
from campaigns.models import Campaign, Obligation, PartyKind, Recurrence, Task
from tests import factories as f
from tests.campaign_factories import CHENGDU, NINGBO, PHOTO, load_ningbo, photo, publish

D = datetime.date
AUG_1 = D(2011, 8, 1)


def at(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def test_ningbo_has_the_five_actions_in_order(world):
    campaign = load_ningbo(world.city)
    assert list(campaign.actions.values_list("code", flat=True)) == [
        "harmony", "competence", "rectification", "volunteers", "emulation"]
    assert (campaign.name, campaign.year, campaign.status) == ("宁波市2011年“文明物业”创建活动", 2011, "draft")
    assert campaign.issued_on == D(2011, 7, 22)


def test_ningbo_deadlines_are_the_2011_dates(world):
    load_ningbo(world.city)
    deadlines = dict(Task.objects.values_list("code", "deadline"))
    assert deadlines["open-letter"] == D(2011, 7, 31)
    assert deadlines["suggestion-box"] == D(2011, 7, 31)
    assert deadlines["coordinator-roster-firm"] == D(2011, 8, 10)
    assert deadlines["self-check-report"] == D(2011, 7, 20)
    assert deadlines["demo-visit-plan"] == D(2011, 7, 20)


def test_ningbo_training_rules(world):
    load_ningbo(world.city)
    firm_training = Task.objects.get(code="firm-monthly-training")
    district_training = Task.objects.get(code="district-training")
    assert (firm_training.party_kind, firm_training.firm_grades, firm_training.recurrence) == (
        PartyKind.FIRM, [1, 2], Recurrence.MONTHLY)
    assert (district_training.party_kind, district_training.recurrence) == (PartyKind.DISTRICT, Recurrence.QUARTERLY)


def test_monthly_training_obligations_exist_only_for_grade_1_and_2_firms(world):
    grade2 = f.FirmFactory(district=world.district, grade=2)
    grade3 = f.FirmFactory(district=world.district, grade=3)
    publish(load_ningbo(world.city))
    firms = set(Obligation.objects.filter(task__code="firm-monthly-training").values_list("firm", flat=True))
    assert firms == {world.firm.pk, grade2.pk}
    assert grade3.pk not in firms and world.other_firm.pk not in firms  # world.other_firm is grade 3
    assert Obligation.objects.filter(task__code="firm-monthly-training", firm=world.firm).count() == 5  # Aug–Dec


def test_old_estate_assessment_only_for_old_estates(world):
    publish(load_ningbo(world.city))
    estates = set(Obligation.objects.filter(task__code="old-estate-self-score").values_list("estate", flat=True))
    assert estates == {world.estate2.pk}  # built 1990


def test_open_letter_overdue_on_aug_1_exactly_for_estates_without_accepted_evidence(world):
    campaign = load_ningbo(world.city)
    publish(campaign)
    letters = {ob.estate_id: ob for ob in Obligation.objects.filter(task__code="open-letter")}
    accepted, returned, untouched = (letters[world.estate.pk], letters[world.other_estate.pk],
                                     letters[world.estate2.pk])
    services.obligation_submit(obligation=accepted, user=world.firm_user, text="已张贴", files=[(PHOTO, photo())],
                               now=at(D(2011, 7, 28)))
    services.obligation_accept(obligation=accepted, user=world.district_user, now=at(D(2011, 7, 29)))
    services.obligation_submit(obligation=returned, user=world.other_firm_user, text="已张贴",
                               files=[(PHOTO, photo())], now=at(D(2011, 7, 28)))
    services.obligation_return(obligation=returned, user=world.other_district_user, reason="照片不是本小区",
                               now=at(D(2011, 7, 30)))

    overdue = selectors.overdue_list(user=world.city_user, campaign=campaign, today=AUG_1).filter(
        task__code="open-letter")
    assert set(overdue.values_list("estate", flat=True)) == {world.other_estate.pk, world.estate2.pk}
    assert untouched.pk in set(overdue.values_list("pk", flat=True))
    on_deadline = selectors.overdue_list(user=world.city_user, campaign=campaign, today=D(2011, 7, 31))
    assert not on_deadline.filter(task__code="open-letter").exists()


def test_submitted_on_time_and_awaiting_review_is_not_overdue(world):
    campaign = load_ningbo(world.city)
    publish(campaign)
    letter = Obligation.objects.get(task__code="open-letter", estate=world.estate)
    services.obligation_submit(obligation=letter, user=world.firm_user, text="已张贴", files=[(PHOTO, photo())],
                               now=at(D(2011, 7, 30)))
    overdue = selectors.overdue_list(user=world.city_user, campaign=campaign, today=AUG_1)
    assert not overdue.filter(pk=letter.pk).exists()
    assert selectors.review_queue(user=world.district_user, campaign=campaign).filter(pk=letter.pk).exists()


def test_publishing_ningbo_creates_the_expected_count(world):
    campaign = load_ningbo(world.city)
    expected = 0
    for task in Task.objects.filter(action__campaign=campaign):
        periods = len(services.task_periods(recurrence=task.recurrence, window_start=task.window_start,
                                            deadline=task.deadline))
        parties = {
            PartyKind.ESTATE: 3 if not task.old_estates_only else 1,
            PartyKind.FIRM: 2 if not task.firm_grades else 1,  # world.firm is grade 1, other_firm grade 3
            PartyKind.DISTRICT: 2, PartyKind.STREET: 3, PartyKind.CITY: 1,
        }[task.party_kind]
        expected += periods * parties
    assert publish(campaign) == expected == Obligation.objects.count()


def test_chengdu_loads_and_publishes(world):
    campaign = services.campaign_load_template(path=CHENGDU, issuing_agency=world.city)
    assert campaign.name == "成都市2013年“学雷锋”物业服务优质窗口创建活动"
    assert Task.objects.get(code="window-application").deadline == D(2013, 6, 30)
    assert publish(campaign) > 0


def test_year_shift_keeps_month_and_day(world):
    campaign = load_ningbo(world.city, year_shift=4)
    assert (campaign.year, campaign.start_date) == (2015, D(2015, 7, 1))
    assert campaign.name == "宁波市2015年“文明物业”创建活动"
    assert Task.objects.get(action__campaign=campaign, code="open-letter").deadline == D(2015, 7, 31)


def test_shift_to_today_puts_today_in_the_middle(world):
    today = D(2026, 11, 23)
    data = json.loads(NINGBO.read_text(encoding="utf-8"))
    days = services.shift_to_middle(data, today)
    campaign = services.campaign_load_template(data=data, issuing_agency=world.city, date_shift=days)
    middle = campaign.start_date + (campaign.end_date - campaign.start_date) / 2
    assert abs((middle - today).days) <= 1
    assert campaign.end_date - campaign.start_date == D(2011, 12, 31) - D(2011, 7, 1)


def test_copy_to_a_new_year_shifts_every_date(world):
    original = load_ningbo(world.city)
    Task.objects.filter(action__campaign=original, code="open-letter").first().districts.set([world.district])
    copy = services.campaign_copy(campaign=original, new_year=2012)
    assert (copy.year, copy.status, copy.copied_from, copy.name) == (2012, Campaign.Status.DRAFT, original,
                                                                      "宁波市2012年“文明物业”创建活动")
    old = {t.code: t for t in Task.objects.filter(action__campaign=original)}
    new = {t.code: t for t in Task.objects.filter(action__campaign=copy).prefetch_related("districts")}
    assert old.keys() == new.keys()
    for code, task in new.items():
        assert task.deadline == old[code].deadline.replace(year=2012)
        assert task.window_start == old[code].window_start.replace(year=2012)
        assert (task.party_kind, task.firm_grades, task.recurrence) == (
            old[code].party_kind, old[code].firm_grades, old[code].recurrence)
    assert list(new["open-letter"].districts.all()) == [world.district]


def test_copy_into_the_same_year_is_refused(world):
    with pytest.raises(ValidationError, match="相同"):
        services.campaign_copy(campaign=load_ningbo(world.city), new_year=2011)


def test_invalid_template_names_the_task_and_saves_nothing(world):
    data = json.loads(NINGBO.read_text(encoding="utf-8"))
    data["actions"][0]["tasks"][0]["deadline"] = "2011-07-99"
    data["actions"][1]["tasks"][0]["party_kind"] = "planet"
    with pytest.raises(ValidationError) as exc:
        services.campaign_load_template(data=data, issuing_agency=world.city)
    text = " ".join(exc.value.messages)
    assert "open-letter" in text and "2011-07-99" in text and "city-training" in text
    assert not Campaign.objects.exists()


def test_template_district_names_must_exist(world):
    data = json.loads(NINGBO.read_text(encoding="utf-8"))
    data["actions"][0]["tasks"][0]["districts"] = ["火星区"]
    with pytest.raises(ValidationError, match="火星区"):
        services.campaign_load_template(data=data, issuing_agency=world.city)


def test_template_districts_by_name(world):
    data = json.loads(NINGBO.read_text(encoding="utf-8"))
    data["actions"][0]["tasks"][0]["districts"] = [world.district.name]
    campaign = services.campaign_load_template(data=data, issuing_agency=world.city)
    publish(campaign)
    assert set(Obligation.objects.filter(task__code="open-letter").values_list("district", flat=True)) == {
        world.district.pk}


def test_missing_template_file(world, tmp_path):
    with pytest.raises(ValidationError, match="找不到模板文件"):
        services.campaign_load_template(path=tmp_path / "nope.json", issuing_agency=world.city)


def test_load_campaign_command(world, capsys):
    from django.core.management import call_command

    call_command("load_campaign", str(NINGBO), "--agency", str(world.city.pk), "--publish")
    campaign = Campaign.objects.get()
    assert campaign.status == Campaign.Status.PUBLISHED
    assert "宁波市2011年" in capsys.readouterr().out


def test_demo_campaign_has_every_state_around_today(db, monkeypatch):
    from campaigns.demo import load_demo_campaign
    from estates import services as estate_services
    from estates.demo import build_city
    from estates.models import Coordinator

    build_city(estates=60)
    today = D(2026, 11, 23)
    from campaigns import services
    from campaigns.models import Activity, Training

    renewed, records = [], []
    monkeypatch.setattr(estate_services, "roster_changed", lambda: renewed.append(Coordinator.objects.count()))
    monkeypatch.setattr(services, "records_inserted_in_bulk",
                        lambda firm_ids: records.append((Training.objects.count() + Activity.objects.count(),
                                                         set(firm_ids))))
    campaign, created = load_demo_campaign(today=today)
    assert created and campaign.start_date < today < campaign.end_date
    # its coordinators, trainings and activities are inserted in bulk, past their save(): the kept roster and
    # record lists are told, after the inserts, for every firm that got one
    assert renewed and renewed[-1] == Coordinator.objects.count() > 0
    firms = set(Training.objects.values_list("organiser_firm_id", flat=True)) | set(
        Activity.objects.values_list("firm_id", flat=True))
    assert records and records[-1] == (Training.objects.count() + Activity.objects.count(), firms)
    obligations = Obligation.objects.filter(campaign=campaign)
    for state in ("accepted", "submitted", "returned", "open"):
        assert obligations.filter(state=state).exists(), state
    assert obligations.overdue(today).exists()
    assert obligations.due_within(today, 7).exists()
    assert load_demo_campaign(today=today) == (campaign, False)


def test_bench_publish_reports_and_rolls_back(db, capsys):
    from django.core.management import call_command

    call_command("bench_publish", "--estates", "20")
    out = capsys.readouterr().out
    assert "obligations" in out and "bytes per obligation" in out and "Floor" in out and "rolled back" in out
    assert not Campaign.objects.exists() and not Obligation.objects.exists()


def test_bench_publish_refuses_a_database_with_estates(world):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="without estates"):
        call_command("bench_publish", "--estates", "20")
