"""Issue 14, fidelity to the real campaign: the shipped templates against the 2011 Ningbo plan
and the 2013 Chengdu notice (../shared/domain/sources/), loaded through the real loader
(``campaigns.services.campaign_load_template``, which ``manage.py load_campaign`` calls), and
what "voluntary" means for overdue, progress and reminders."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from campaigns import reminders as reminder_services
from campaigns import selectors, services
from campaigns.models import Campaign, EvidenceFile, Obligation, PartyKind, Recurrence, Task
from notifications.models import Reminder
from tests import factories as f
from tests.campaign_factories import CHENGDU, NINGBO, load_ningbo, photo, publish

D = datetime.date
ADDED = "【平台补充】"
DOCUMENT = EvidenceFile.Kind.DOCUMENT


@pytest.fixture(autouse=True)
def _eager_celery():
    from config.celery import app

    old = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = old


def load_chengdu(city):
    return services.campaign_load_template(path=CHENGDU, issuing_agency=city)


def tasks_of(campaign):
    return {t.code: t for t in Task.objects.filter(action__campaign=campaign)}


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


# --- sources ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [NINGBO, CHENGDU], ids=["ningbo", "chengdu"])
def test_every_task_of_the_shipped_templates_says_where_it_comes_from(world, path):
    campaign = services.campaign_load_template(path=path, issuing_agency=world.city)
    tasks = Task.objects.filter(action__campaign=campaign)
    assert tasks.exists()
    assert [t.code for t in tasks if len(t.source.strip()) < 20] == []


def test_tasks_the_plan_does_not_contain_are_marked_as_ours(world):
    tasks = tasks_of(load_ningbo(world.city))
    ours = {code for code, t in tasks.items() if t.source.startswith(ADDED)}
    assert ours == {"old-estate-self-score", "idea-contest-publicity", "district-summary"}
    # A task of the plan quotes it: the bureau can find the sentence.
    assert "每个街道组织一次参观活动" in tasks["district-street-visits"].source
    # Where the plan's body and its breakdown table disagree, the note says which one we use.
    assert "7月31日前" in tasks["coordinator"].source and "正文" in tasks["coordinator"].source


def test_the_source_note_survives_a_copy_to_a_new_year(world):
    original = load_ningbo(world.city)
    copy = services.campaign_copy(campaign=original, new_year=2012)
    old, new = tasks_of(original), tasks_of(copy)
    assert {c: t.source for c, t in new.items()} == {c: t.source for c, t in old.items()}
    assert new["model-estate-application"].is_voluntary


# --- Ningbo 2011: the dated tasks of the plan ------------------------------------------------------


def test_ningbo_has_the_plans_dated_city_tasks(world):
    tasks = tasks_of(load_ningbo(world.city))
    expected = {
        "launch-ceremony-plan": D(2011, 7, 31),  # table: 7月31日前确定方案
        "idea-contest-plan": D(2011, 8, 12),  # table: 8月12日前确定方案并发出活动公告
        "service-star-plan": D(2011, 8, 12),  # table: 8月12日前确定方案并发出活动通知
        "model-estate-city-inspection": D(2011, 7, 31),  # table: 7月中下旬
        "old-estate-city-inspection": D(2011, 10, 31),  # body and table: 10月
    }
    assert {code: tasks[code].deadline for code in expected} == expected
    assert {tasks[code].party_kind for code in expected} == {PartyKind.CITY}
    assert tasks["old-estate-city-inspection"].window_start == D(2011, 10, 1)
    # Mid–late July, after the districts' pre-check.
    inspection, precheck = tasks["model-estate-city-inspection"], tasks["model-estate-precheck"]
    assert inspection.window_start == D(2011, 7, 11)
    assert precheck.party_kind == PartyKind.DISTRICT and precheck.deadline < inspection.window_start


def test_model_estates_start_with_the_estates_voluntary_application(world):
    tasks = tasks_of(load_ningbo(world.city))
    application, review = tasks["model-estate-application"], tasks["model-estate-district-review"]
    assert (application.party_kind, application.is_voluntary) == (PartyKind.ESTATE, True)
    assert application.deadline < review.window_start
    assert not review.is_voluntary  # the district's review itself is owed
    assert [code for code, t in tasks.items() if t.is_voluntary] == ["model-estate-application"]


def test_district_bureaus_owe_a_visit_in_every_street(world):
    third = f.StreetFactory(name="鼓楼街道", parent=world.district)  # world.district now has 3 streets
    publish(load_ningbo(world.city))
    visits = Obligation.objects.filter(task__code="district-street-visits")
    by_district = {}
    for ob in visits:
        by_district.setdefault(ob.district_id, set()).add(ob.agency_id)
    assert by_district == {
        world.district.pk: {world.street.pk, world.other_street.pk, third.pk},
        world.other_district.pk: {world.far_street.pk},
    }
    assert {ob.reviewer_id for ob in visits.filter(district=world.district)} == {world.district.pk}
    assert visits.get(agency=third).due_date == D(2011, 8, 31)


def test_district_volunteer_detachments_owe_one_activity_a_quarter(world):
    campaign = load_ningbo(world.city)
    task = tasks_of(campaign)["detachment-quarterly-activity"]
    assert (task.party_kind, task.recurrence, task.min_count) == (PartyKind.DISTRICT, Recurrence.QUARTERLY, 1)
    publish(campaign)
    periods = list(Obligation.objects.filter(task=task, agency=world.district).order_by("period_start")
                   .values_list("period_start", "due_date"))
    assert periods == [(D(2011, 8, 1), D(2011, 9, 30)), (D(2011, 10, 1), D(2011, 12, 31))]
    assert Obligation.objects.filter(task=task).count() == 4  # two districts × two quarters


def test_the_load_campaign_command_loads_the_new_fields(world, capsys):
    call_command("load_campaign", str(NINGBO))
    campaign = Campaign.objects.get()
    assert Task.objects.filter(action__campaign=campaign).exclude(source="").count() == 44


# --- Chengdu 2013 -----------------------------------------------------------------------------------


def test_chengdu_has_its_document_number(world):
    assert load_chengdu(world.city).document_number == "成物协〔2013〕9号"


def test_chengdu_states_no_monthly_recurrence(world):
    campaign = load_chengdu(world.city)
    tasks = tasks_of(campaign)
    assert {t.recurrence for t in tasks.values()} == {Recurrence.ONCE}
    service = tasks["window-volunteer-service"]
    assert (service.window_start, service.deadline) == (D(2013, 3, 12), D(2013, 9, 30))
    publish(campaign)
    assert Obligation.objects.filter(task=service, firm=world.firm).count() == 1


def test_chengdu_application_is_voluntary_and_the_rest_is_owed(world):
    tasks = tasks_of(load_chengdu(world.city))
    assert {code for code, t in tasks.items() if t.is_voluntary} == {"window-application"}
    assert "可推荐" in tasks["window-application"].source


# --- what voluntary means ----------------------------------------------------------------------------


@pytest.fixture
def chengdu(world):
    campaign = load_chengdu(world.city)
    publish(campaign)
    return campaign


def test_a_voluntary_obligation_not_taken_up_is_never_overdue(world, chengdu):
    after = D(2013, 7, 15)
    application = Obligation.objects.get(task__code="window-application", firm=world.firm)
    self_check = Obligation.objects.get(task__code="window-self-assessment", firm=world.firm)
    assert not application.is_overdue(after) and self_check.is_overdue(after)
    overdue = Obligation.objects.overdue(after)
    assert self_check in overdue and application not in overdue
    flagged = dict(Obligation.objects.with_flags(after).values_list("pk", "is_overdue"))
    assert (flagged[application.pk], flagged[self_check.pk]) == (False, True)
    listed = selectors.overdue_list(user=world.city_user, campaign=chengdu, today=after)
    assert not listed.filter(task__code="window-application").exists()
    counts = selectors.filter_counts(user=world.firm_user, campaign=chengdu, today=after)
    firm_overdue = Obligation.objects.filter(firm=world.firm).overdue(after).count()
    assert counts["overdue"] == firm_overdue and firm_overdue > 0


def test_progress_counts_voluntary_work_only_once_it_is_taken_up(world, chengdu):
    after = D(2013, 7, 15)

    def application_row():
        rows = selectors.progress(user=world.city_user, campaign=chengdu, by="task", today=after)
        return next((r for r in rows if r["label"] == "自愿申报优质服务窗口"), None)

    assert application_row() is None  # nobody applied: nothing owed, nothing behind
    ob = Obligation.objects.get(task__code="window-application", firm=world.firm)
    services.obligation_submit(obligation=ob, user=world.firm_user, files=[(DOCUMENT, photo("form.pdf"))],
                               now=at(D(2013, 6, 20)))
    row = application_row()
    assert (row["total"], row["submitted"], row["overdue"]) == (1, 1, 0)
    totals = selectors.campaign_totals(user=world.city_user, campaign=chengdu, today=after)
    owed = Obligation.objects.filter(campaign=chengdu).exclude(task__is_voluntary=True, state="open").count()
    assert totals["total"] == owed


def test_voluntary_obligations_get_no_automatic_reminders(world, chengdu):
    reminder_services.sweep_reminders(today=D(2013, 6, 30))  # the deadline of both June tasks
    reminded = set(Reminder.objects.values_list("obligation__task__code", flat=True))
    assert "window-self-assessment" in reminded and "window-application" not in reminded
    reminder_services.sweep_reminders(today=D(2013, 7, 1))  # the first overdue day
    reminded = set(Reminder.objects.filter(kind="overdue").values_list("obligation__task__code", flat=True))
    assert "window-self-assessment" in reminded and "window-application" not in reminded


def test_the_firm_sees_that_an_obligation_is_voluntary_and_where_the_task_comes_from(client, world, chengdu,
                                                                                    monkeypatch):
    from django.urls import reverse

    monkeypatch.setattr(timezone, "localdate", lambda *a: D(2013, 7, 15))  # after the June deadline
    client.force_login(world.firm_user)
    ob = Obligation.objects.get(task__code="window-application", firm=world.firm)
    html = client.get(reverse("campaigns:obligation_detail", args=[ob.pk])).content.decode()
    assert "自愿参加：不参加的无需办理" in html and "已逾期" not in html
    assert "成物协〔2013〕9号" in html  # the source note quotes the notice
    listing = client.get(reverse("campaigns:obligations") + f"?campaign={chengdu.pk}").content.decode()
    row = listing[listing.index(f'data-obligation="{ob.pk}"'):]
    row = row[:row.index("</tr>")]
    assert "自愿参加" in row and "已逾期" not in row


def test_the_admin_shows_a_tasks_source_and_whether_it_is_voluntary(client, world):
    from django.urls import reverse

    task = tasks_of(load_ningbo(world.city))["model-estate-application"]
    client.force_login(world.city_user)
    html = client.get(reverse("admin:campaigns_task_change", args=[task.pk])).content.decode()
    assert 'name="source"' in html and "根据自愿报名的原则" in html
    assert 'name="is_voluntary"' in html and "checked" in html[html.index('name="is_voluntary"') - 200:][:400]
