"""Issue 15, section 3: record kinds are an open registry (campaigns/record_kinds.py).

An app registers a kind (how its records are counted per obligation, how they are listed, where a
user files one) and calls ``campaigns.services.records_changed`` when its records change. The toy app
(tests/toyapp, installed by tests/settings.py) is such an app: its cleanups count towards estate and
firm obligations without a line under campaigns/ naming it."""

import ast
import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import record_kinds, selectors, services
from campaigns.forms import TaskAdminForm
from campaigns.models import Obligation, ObligationEvent, PartyKind, RecordKind, Recurrence, Task
from tests import factories as f
from tests.campaign_factories import ActionFactory, CampaignFactory, TaskFactory, publish
from tests.toyapp.apps import KIND, MESSAGE_KIND
from tests.toyapp.models import Cleanup
from tests.toyapp.services import cleanup_record, cleanup_withdraw

State = Obligation.State
BASE = Path(settings.BASE_DIR)
TOYAPP = BASE / "tests" / "toyapp"


@pytest.fixture
def cleanups(world):
    """A running campaign with an estate task (2 cleanups a month) and a firm task (3 a quarter), both
    counted from the toy app's cleanups."""
    today = timezone.localdate()
    campaign = CampaignFactory(issuing_agency=world.city, year=today.year, start_date=today.replace(month=1, day=1),
                               end_date=today.replace(month=12, day=31))
    action = ActionFactory(campaign=campaign)
    estate_task = TaskFactory(action=action, title="小区环境清洁", party_kind=PartyKind.ESTATE,
                              recurrence=Recurrence.MONTHLY, window_start=campaign.start_date,
                              deadline=campaign.end_date, record_kind=KIND, evidence_kinds=[], min_count=2)
    firm_task = TaskFactory(action=action, title="企业清洁行动", party_kind=PartyKind.FIRM,
                            recurrence=Recurrence.QUARTERLY, window_start=campaign.start_date,
                            deadline=campaign.end_date, record_kind=KIND, evidence_kinds=[], min_count=3)
    publish(campaign, user=world.city_user)
    return type("Cleanups", (), {"today": today, "estate_task": estate_task, "firm_task": firm_task,
                                 "campaign": campaign})


def current(task, day, **party):
    return Obligation.objects.get(task=task, period_start__lte=day, period_end__gte=day, **party)


def other_month(day):
    return day.replace(day=1) - datetime.timedelta(days=1) if day.month > 1 else day.replace(month=2, day=1)


def clean(world, day, estate=None, note="清理楼道杂物"):
    return cleanup_record(user=world.firm_user, estate=estate or world.estate, date=day, note=note)


# --- the registry --------------------------------------------------------------------------------

def test_campaigns_own_kinds_and_the_toy_kind_are_registered():
    assert record_kinds.keys()[:5] == ["training", "friendship", "convenience", "pairing", "coordinator"]
    assert KIND in record_kinds.keys()
    assert record_kinds.choices()[0][0] == ""
    assert str(record_kinds.label(KIND)) == "小区清洁"


def test_a_task_takes_a_registered_kind_and_refuses_any_other(world):
    task = TaskFactory.build(action=ActionFactory(), record_kind=KIND)
    task.full_clean()
    task.record_kind = "no_such_kind"
    with pytest.raises(ValidationError) as exc:
        task.full_clean()
    assert "record_kind" in exc.value.message_dict


def test_registering_a_kind_needs_no_migration_of_campaigns(db):
    # Task.record_kind's choices are the registry's callable, not its current list: the toy kind is
    # registered here, and campaigns' migrations still describe the model.
    from django.core.management import call_command

    call_command("makemigrations", "campaigns", "toyapp", check=True, dry_run=True, verbosity=0)


def test_the_admins_task_form_offers_kinds_registered_by_any_app():
    values = [value for value, _label in TaskAdminForm().fields["record_kind"].choices]
    assert values[0] == "" and {"training", "coordinator", KIND} <= set(values)


def test_the_task_admin_filters_by_any_registered_kind(admin_client, cleanups):
    page = admin_client.get(reverse("admin:campaigns_task_changelist"), {"record_kind": KIND})
    assert page.status_code == 200
    assert [t.pk for t in page.context["cl"].result_list] == [cleanups.estate_task.pk, cleanups.firm_task.pk]
    assert "小区清洁" in page.content.decode()


def test_a_key_is_registered_once_and_must_be_a_lower_case_identifier():
    spec = record_kinds.get(KIND)
    assert record_kinds.register(spec) is spec  # the same spec again (an app's ready() run twice) is harmless
    with pytest.raises(ImproperlyConfigured):
        record_kinds.register(record_kinds.RecordKindSpec(key=KIND, label="另一个", count=spec.count,
                                                          records=spec.records))
    for bad in ("", "Cleanup", "toy-cleanup", "x" * (record_kinds.KEY_MAX_LENGTH + 1)):
        with pytest.raises(ImproperlyConfigured):
            record_kinds.register(record_kinds.RecordKindSpec(key=bad, label="坏", count=spec.count,
                                                              records=spec.records))
    assert record_kinds.get(KIND) is spec
    with pytest.raises(ImproperlyConfigured):
        record_kinds.DatedRecords(Cleanup.objects.all, parties={"street": "estate__street"})


def test_the_service_refuses_an_unregistered_kind(world):
    with pytest.raises(ValueError):
        services.records_changed(kind="no_such_kind", estate=world.estate, on_date=timezone.localdate(),
                                 user=world.firm_user, note="")


# --- the toy app's records satisfy obligations ------------------------------------------------------

def test_publishing_a_toy_task_makes_obligations_for_each_estate_and_firm(world, cleanups):
    assert Obligation.objects.filter(task=cleanups.estate_task, period_start__lte=cleanups.today,
                                     period_end__gte=cleanups.today).count() == 3  # HS001, HS002, JB001
    assert current(cleanups.firm_task, cleanups.today, firm=world.firm).count_achieved == 0


def test_filing_cleanups_counts_them_and_submits_at_the_minimum(world, cleanups):
    today = cleanups.today
    clean(world, today)
    ob = current(cleanups.estate_task, today, estate=world.estate)
    assert (ob.count_achieved, ob.state) == (1, State.OPEN)

    clean(world, today, note="清洗垃圾桶")
    ob.refresh_from_db()
    assert (ob.count_achieved, ob.state, ob.submitted_by) == (2, State.SUBMITTED, world.firm_user)
    event = ob.events.get(kind=ObligationEvent.Kind.AUTO_SUBMIT)
    assert "已登记清洁：清洗垃圾桶" in event.note
    # The other estate of the firm and the other firm's estate counted nothing.
    assert current(cleanups.estate_task, today, estate=world.estate2).count_achieved == 0
    assert current(cleanups.estate_task, today, estate=world.other_estate).count_achieved == 0


def test_the_firm_counts_the_cleanups_of_all_its_estates(world, cleanups):
    today = cleanups.today
    clean(world, today)
    clean(world, today, estate=world.estate2)
    firm_ob = current(cleanups.firm_task, today, firm=world.firm)
    assert (firm_ob.count_achieved, firm_ob.state) == (2, State.OPEN)
    clean(world, today, estate=world.estate2)
    firm_ob.refresh_from_db()
    assert (firm_ob.count_achieved, firm_ob.state) == (3, State.SUBMITTED)
    assert current(cleanups.firm_task, today, firm=world.other_firm).count_achieved == 0


def test_a_cleanup_of_another_month_counts_in_its_own_period_only(world, cleanups):
    today, before = cleanups.today, other_month(cleanups.today)
    clean(world, before)
    assert current(cleanups.estate_task, before, estate=world.estate).count_achieved == 1
    assert current(cleanups.estate_task, today, estate=world.estate).count_achieved == 0


def test_withdrawing_a_cleanup_recounts_and_takes_back_the_submission(world, cleanups):
    today = cleanups.today
    first, _second = clean(world, today), clean(world, today)
    ob = current(cleanups.estate_task, today, estate=world.estate)
    assert ob.state == State.SUBMITTED

    cleanup_withdraw(user=world.firm_user, cleanup=first)
    ob.refresh_from_db()
    assert (ob.count_achieved, ob.state, ob.submitted_at) == (1, State.OPEN, None)
    logged = ob.events.filter(kind=ObligationEvent.Kind.RECORD).latest("pk")
    assert "已撤回清洁" in logged.note and "少于要求的 2 次" in logged.note


def test_a_cleanup_counted_in_accepted_work_cannot_be_withdrawn(world, cleanups):
    today = cleanups.today
    first, _second = clean(world, today), clean(world, today)
    services.obligation_accept(obligation=current(cleanups.estate_task, today, estate=world.estate),
                               user=world.district_user)
    with pytest.raises(ValidationError):
        cleanup_withdraw(user=world.firm_user, cleanup=first)
    assert Cleanup.objects.filter(pk=first.pk).exists()


def test_a_draft_campaigns_obligations_are_not_counted(world):
    today = timezone.localdate()
    draft = CampaignFactory(issuing_agency=world.city, year=today.year, start_date=today.replace(month=1, day=1),
                            end_date=today.replace(month=12, day=31))
    TaskFactory(action=ActionFactory(campaign=draft), party_kind=PartyKind.ESTATE, record_kind=KIND,
                window_start=draft.start_date, deadline=draft.end_date)
    clean(world, today)
    assert not Obligation.objects.exists()  # a draft has no obligations; filing a cleanup changes nothing


def test_the_obligation_page_lists_the_cleanups_that_count(client, world, cleanups):
    today = cleanups.today
    clean(world, today, note="清理楼道杂物")
    clean(world, other_month(today), note="上个月的清洁")
    clean(world, today, estate=world.estate2, note="另一个小区的清洁")
    ob = current(cleanups.estate_task, today, estate=world.estate)
    assert [c.note for c in selectors.obligation_records(obligation=ob)] == ["清理楼道杂物"]

    client.force_login(world.firm_user)
    page = client.get(reverse("campaigns:obligation_detail", args=[ob.pk])).content.decode()
    assert "计入本期的记录" in page and "清理楼道杂物" in page
    assert "上个月的清洁" not in page and "另一个小区的清洁" not in page
    assert "1 / 至少 2 次" in page


def test_the_obligation_page_links_to_where_a_record_of_its_kind_is_filed(client, world):
    today = timezone.localdate()
    campaign = CampaignFactory(issuing_agency=world.city, year=today.year, start_date=today.replace(month=1, day=1),
                               end_date=today.replace(month=12, day=31))
    action = ActionFactory(campaign=campaign)
    for kind in (RecordKind.TRAINING, RecordKind.PAIRING):
        TaskFactory(action=action, party_kind=PartyKind.FIRM, record_kind=kind, evidence_kinds=[],
                    window_start=campaign.start_date, deadline=campaign.end_date)
    publish(campaign, user=world.city_user)
    client.force_login(world.firm_user)

    def page(kind):
        ob = Obligation.objects.get(task__record_kind=kind, firm=world.firm)
        return client.get(reverse("campaigns:obligation_detail", args=[ob.pk])).content.decode()

    assert f'href="{reverse("campaigns:trainings")}"' in page(RecordKind.TRAINING)
    assert f'href="{reverse("campaigns:activities")}?kind=pairing"' in page(RecordKind.PAIRING)


def test_an_obligation_of_a_kind_no_longer_registered_still_opens(client, world, cleanups):
    ob = current(cleanups.estate_task, cleanups.today, estate=world.estate)
    Task.objects.filter(pk=cleanups.estate_task.pk).update(record_kind="gone_app_kind")
    client.force_login(world.firm_user)
    response = client.get(reverse("campaigns:obligation_detail", args=[ob.pk]))
    assert response.status_code == 200 and response.context["records"] is None
    assert services.records_changed(kind=KIND, estate=world.estate, on_date=cleanups.today, user=world.firm_user,
                                    note="") == []


# --- the toy app's message kind -------------------------------------------------------------------

def test_a_filed_cleanup_tells_the_street_office_once(world, cleanups, django_capture_on_commit_callbacks):
    from notifications import outbox
    from notifications.models import Notification, OutboxMessage
    from notifications.registry import get_message_kind

    assert get_message_kind(MESSAGE_KIND).render is not None
    with django_capture_on_commit_callbacks(execute=True):
        cleanup = clean(world, cleanups.today, note="清理楼道杂物")
    row = OutboxMessage.objects.get(kind=MESSAGE_KIND)
    assert (row.key, row.recipient_kind, row.agency_id) == (f"cleanup/{cleanup.pk}", "agency", world.street.pk)
    note = Notification.objects.get(title__startswith="【小区清洁】")  # the street office's one user
    assert note.user == world.street_user and "月湖花园" in note.title and "清理楼道杂物" in note.body
    outbox.flush()  # the hourly flush finds nothing left to send
    assert Notification.objects.filter(title__startswith="【小区清洁】").count() == 1


# --- the toy app's scope links ---------------------------------------------------------------------

def test_cleanups_are_seen_by_whoever_sees_their_estate(world):
    today = timezone.localdate()
    mine, next_street = clean(world, today), clean(world, today, estate=world.estate2)
    theirs = cleanup_record(user=world.other_firm_user, estate=world.other_estate, date=today)

    def seen(user):
        return set(Cleanup.objects.visible_to(user).values_list("pk", flat=True))

    assert seen(world.firm_user) == {mine.pk, next_street.pk}
    assert seen(world.other_firm_user) == {theirs.pk}
    assert seen(world.street_user) == {mine.pk}  # HS002 lies in another street of the district
    assert seen(world.district_user) == {mine.pk, next_street.pk}
    assert seen(world.other_district_user) == {theirs.pk}
    assert seen(world.city_user) == {mine.pk, next_street.pk, theirs.pk}


# --- batch counting --------------------------------------------------------------------------------

def _recount_queries(world, cleanups, estates):
    with CaptureQueriesContext(connection) as ctx:
        touched = services.records_changed(kind=KIND, estate=estates, firm=world.firm, on_date=cleanups.today,
                                           user=world.firm_user, note="")
    return len(ctx.captured_queries), len(touched)


def test_a_recount_is_one_query_whatever_the_number_of_obligations(world, cleanups):
    few = _recount_queries(world, cleanups, [world.estate])
    more_estates = [f.EstateFactory(street=world.street, firm=world.firm) for _ in range(8)]
    services.obligations_sync(campaign=cleanups.campaign)
    many = _recount_queries(world, cleanups, [world.estate, *more_estates])
    assert few == (1, 2) and many == (1, 10)  # nothing changed: one locking SELECT that carries the counts


def test_counts_of_many_obligations_are_each_their_own(world, cleanups):
    today = cleanups.today
    for _ in range(3):
        clean(world, today)
    clean(world, today, estate=world.estate2)
    # Reset the stored counts, then recount all three estates' obligations in one call.
    Obligation.objects.filter(task=cleanups.estate_task).update(count_achieved=0)
    services.records_changed(kind=KIND, estate=[world.estate, world.estate2, world.other_estate], on_date=today,
                             user=world.firm_user, note="")
    counts = {o.estate_id: o.count_achieved for o in Obligation.objects.filter(
        task=cleanups.estate_task, period_start__lte=today, period_end__gte=today)}
    assert counts == {world.estate.pk: 3, world.estate2.pk: 1, world.other_estate.pk: 0}


# --- the toy app plugs in from outside -------------------------------------------------------------

# What a later app may import from the platform's apps: their public registries and service APIs.
PUBLIC_API = {
    "campaigns": {"campaigns.record_kinds", "campaigns.services"},
    "notifications": {"notifications.registry", "notifications.outbox", "notifications.channels"},
    "core": set(),
}


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module
            for alias in node.names:  # "from campaigns import record_kinds" imports campaigns.record_kinds
                yield f"{node.module}.{alias.name}"


def _internal_imports(path):
    for name in _imports(path):
        app = name.split(".")[0]
        if app in PUBLIC_API and name != app and not any(
                name == allowed or name.startswith(f"{allowed}.") for allowed in PUBLIC_API[app]):
            yield name


def test_the_toy_app_imports_only_the_platforms_public_api():
    files = sorted(TOYAPP.rglob("*.py"))
    assert len(files) >= 5
    assert not [f"{path.relative_to(BASE)}: {name}" for path in files for name in _internal_imports(path)]


def test_the_import_check_sees_internals(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from campaigns import record_kinds, selectors\nfrom campaigns.models import Task\n"
                   "import notifications.services\nfrom core.admin import ScopedAdmin\n"
                   "from campaigns.services import records_changed\n", encoding="utf-8")
    assert list(_internal_imports(bad)) == ["campaigns.selectors", "campaigns.models", "campaigns.models.Task",
                                            "notifications.services", "core.admin", "core.admin.ScopedAdmin"]


def test_no_platform_file_names_the_toy_app():
    named = []
    for app in PUBLIC_API:
        for path in (BASE / app).rglob("*"):
            if path.is_file() and path.suffix in {".py", ".html", ".txt", ".json"} and "toyapp" in path.read_text(
                    encoding="utf-8", errors="ignore"):
                named.append(str(path.relative_to(BASE)))
    assert not named
