"""The bureau changelists join what their columns show and no more, and render the same page as before.

* The obligation changelist joins the task, the party (estate, firm or agency), the estate's firm, district and
  street (not selectors.LIST_RELATED's twelve tables): every column shows the value the full join shows, for
  estate, firm and agency parties, in a number of queries that does not grow with the rows.
* The reminder log is scoped once, by Reminder.scope_links (ScopedAdmin), not a second time by the selector's own
  filter: the rows of services.reminder_log, and one scope condition in its count.
* ScopedAdmin's checkbox column writes the markup Django's CheckboxInput renders.
"""

import datetime

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import items_for_result
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, override

from campaigns import reminders, selectors, services
from campaigns.models import Obligation, PartyKind
from notifications.models import Reminder
from tests.campaign_factories import TaskFactory
from tests.campaign_ui_fixtures import add_estates, make_live

pytestmark = pytest.mark.django_db

OBLIGATIONS = "admin:campaigns_obligation_changelist"
REMINDERS = "admin:notifications_reminder_changelist"


def _cells(model_admin, changelist, rows):
    """The rendered cells of each row, as the changelist template shows them."""
    return [list(items_for_result(changelist, row, None)) for row in rows]


def _changelist(model, user, url):
    request = RequestFactory().get(url)
    request.user = user
    model_admin = admin.site.get_model_admin(model)
    changelist = model_admin.get_changelist_instance(request)
    changelist.get_results(request)
    return model_admin, changelist


@pytest.fixture
def live(world):
    live = make_live(world)
    # Agency parties (a street's and a district's own tasks) beside the estate and firm ones.
    for kind in (PartyKind.STREET, PartyKind.DISTRICT):
        TaskFactory(action=live.action, title=f"机构任务 {kind}", party_kind=kind,
                    window_start=live.today - datetime.timedelta(days=30),
                    deadline=live.today + datetime.timedelta(days=10), evidence_kinds=["text"])
    services.obligations_sync(campaign=live.campaign)
    return live


def test_the_obligation_changelist_joins_only_what_its_columns_show():
    model_admin = admin.site.get_model_admin(Obligation)
    related = set(model_admin.list_select_related)
    assert related < set(selectors.LIST_RELATED)
    assert not related & {"campaign", "task__action", "reviewer", "estate__street"}


@pytest.mark.parametrize("role", ["city_user", "district_user", "street_user"])
def test_the_obligation_changelist_shows_every_value_of_the_full_join(world, live, role):
    Obligation.objects.filter(pk__in=Obligation.objects.filter(task=live.box).values("pk")[:2]).update(late=True)
    user = getattr(world, role)
    url = reverse(OBLIGATIONS)
    model_admin, changelist = _changelist(Obligation, user, url)
    rows = list(changelist.result_list)
    kinds = {("estate" if o.estate_id else "firm" if o.firm_id else "agency") for o in rows}
    assert {"estate", "agency"} | ({"firm"} if role != "street_user" else set()) <= kinds
    full = {o.pk: o for o in Obligation.objects.select_related(*selectors.LIST_RELATED).filter(
        pk__in=[o.pk for o in rows])}
    assert _cells(model_admin, changelist, rows) == _cells(model_admin, changelist, [full[o.pk] for o in rows])


def test_the_obligation_changelist_reads_no_more_queries_with_more_rows_of_every_party(client, world, live):
    url = reverse(OBLIGATIONS)
    client.force_login(world.city_user)

    def count():
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), response

    few, _ = count()
    add_estates(world, 60)
    services.obligations_sync(campaign=live.campaign)
    many, response = count()
    assert many == few
    assert len(response.context["cl"].result_list) == response.context["cl"].list_per_page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_state_cell_is_the_label_with_its_overdue_and_late_marks(world, live, language):
    model_admin = admin.site.get_model_admin(Obligation)
    overdue = Obligation.objects.filter(task=live.letter).first()
    assert overdue.is_overdue()
    Obligation.objects.filter(pk=overdue.pk).update(late=True)
    on_time = Obligation.objects.filter(task=live.box).first()
    with override(language):
        for o in (Obligation.objects.get(pk=overdue.pk), on_time):
            label = o.get_state_display()
            if o.is_overdue():
                label = format_html('{} <span style="color:#c00;font-weight:bold">{}</span>', label, gettext("逾期"))
            if o.late:
                label = format_html('{} <span class="obligation-late">{}</span>', label, gettext("逾期提交"))
            assert model_admin.state_display(o) == label
            assert type(model_admin.state_display(o)) is type(label)


# --- the reminder log -------------------------------------------------------------------------------------------

def _remind_everything(live):
    Reminder.objects.bulk_create([
        Reminder(obligation=o, campaign=o.campaign, kind=Reminder.Kind.BEFORE, due_date=o.due_date,
                 date=live.today - datetime.timedelta(days=i % 4))
        for i, o in enumerate(Obligation.objects.order_by("pk"))])


@pytest.mark.parametrize("role", ["city_user", "district_user", "other_district_user", "street_user", "firm_user"])
def test_the_reminder_log_shows_the_rows_of_the_reminder_selector(world, live, role):
    _remind_everything(live)
    user = getattr(world, role)
    request = RequestFactory().get(reverse(REMINDERS))
    request.user = user
    model_admin = admin.site.get_model_admin(Reminder)
    assert sorted(model_admin.get_queryset(request).values_list("pk", flat=True)) == sorted(
        reminders.reminder_log(user=user).values_list("pk", flat=True))


def test_the_reminder_log_states_its_scope_once(client, world, live):
    _remind_everything(live)
    client.force_login(world.district_user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(REMINDERS))
    assert response.status_code == 200
    count = next(q["sql"] for q in ctx.captured_queries
                 if q["sql"].startswith("SELECT COUNT(*)") and "notifications_reminder" in q["sql"])
    assert count.count('"estates_estate"') == 1  # one subquery of the visible estates, not two


# --- the checkbox column ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_checkbox_column_is_the_markup_of_djangos_checkbox_input(world, live, language):
    model_admin = admin.site.get_model_admin(Obligation)
    row = Obligation.objects.select_related(*selectors.LIST_RELATED).first()
    row.task.title = 'A <b>"quoted"</b> & task'
    with override(language):
        assert model_admin.action_checkbox(row) == admin.ModelAdmin.action_checkbox(model_admin, row)


# --- the review queue -------------------------------------------------------------------------------------------

def test_the_review_queue_shows_every_party_and_joins_only_its_columns(client, world, live):
    from django.utils import timezone

    Obligation.objects.update(state=Obligation.State.SUBMITTED, submitted_by=world.firm_user,
                              submitted_at=timezone.now())
    late = Obligation.objects.filter(task=live.letter).first()
    Obligation.objects.filter(pk=late.pk).update(late=True)
    client.force_login(world.city_user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("admin:campaigns_obligation_review_queue"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert {("estate" if o.estate_id else "firm" if o.firm_id else "agency") for o in rows} == {
        "estate", "firm", "agency"}
    html = response.content.decode()
    for o in rows:
        assert o.task.title in html
        assert (f"{o.estate.code} {o.estate.name}" if o.estate_id else str(o.party)) in html
    assert f'{late.due_date:%Y-%m-%d} <span style="color:#c00">逾期提交</span>' in html
    assert html.count("逾期提交") == 1 and html.count('aria-label="选择"') == len(rows)
    assert html.count(">查看材料</a>") == len(rows)
    page = next(q["sql"] for q in ctx.captured_queries if '"campaigns_task"' in q["sql"])
    assert '"campaigns_campaign"' not in page and '"accounts_user"' not in page


# --- the delivery logs ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "短", "x" * 60, "x" * 61, "接收人" * 30, "e\u0301" * 40, "cafe\u0301", None])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_shortened_cell_is_what_truncator_shows(text, language):
    from django.utils.text import Truncator

    from notifications.admin_mixins import shortened

    with override(language):
        assert shortened(text) == Truncator(text).chars(60)


def test_the_remind_again_link_is_the_manual_reminder_page_of_the_obligation(world, live):
    _remind_everything(live)
    reminder = Reminder.objects.first()
    model_admin = admin.site.get_model_admin(Reminder)
    for language in ("zh-hans", "en", "zh-hans"):
        with override(language):
            assert model_admin.remind_again(reminder) == format_html(
                '<a href="{}">{}</a>', reverse("admin:notifications_reminder_remind")
                + f"?obligation={reminder.obligation_id}", gettext("催办"))


def test_the_task_filter_offers_tasks_once_a_campaign_action_or_task_is_chosen(client, world, live):
    client.force_login(world.district_user)
    url = reverse(OBLIGATIONS)

    def offered(**params):
        specs = client.get(url, params).context["cl"].filter_specs
        spec = next((s for s in specs if getattr(s, "parameter_name", None) == "task"), None)
        return {int(pk) for pk, _ in spec.lookup_choices} if spec else set()  # no choices: no filter shown

    tasks = set(live.action.tasks.values_list("pk", flat=True))
    assert offered() == set()
    assert offered(campaign=live.campaign.pk) == tasks
    assert offered(action=live.action.pk) == tasks
    assert offered(task=live.box.pk) == {live.box.pk}
