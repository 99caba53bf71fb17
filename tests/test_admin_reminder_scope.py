"""The reminder log is scoped by the reminder's own column (``obligation_id IN (the visible obligations)``, with the
whole-registry shortcut for a city's staff): the rows of the reminder selector for every role, a second city's
reminders never shown to the first city, and the page's ids and its count read without joining the obligations."""


import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns import reminders
from notifications.models import Reminder
from tests import factories as f
from tests.campaign_ui_fixtures import make_live, obligation, reminder_per_obligation

pytestmark = pytest.mark.django_db

REMINDERS = "admin:notifications_reminder_changelist"


@pytest.fixture
def live(world):
    live = make_live(world)
    reminder_per_obligation(live)
    return live


def _admin_ids(user):
    request = RequestFactory().get(reverse(REMINDERS))
    request.user = user
    return set(admin.site.get_model_admin(Reminder).get_queryset(request).values_list("pk", flat=True))


def _selector_ids(user):
    return set(reminders.reminder_log(user=user).values_list("pk", flat=True))


def test_a_city_never_sees_the_reminders_of_another_citys_estate(world, live):
    far_city = f.CityFactory(name="杭州市住建委")
    far_district = f.DistrictFactory(name="西湖区住建局", parent=far_city)
    far_street = f.StreetFactory(name="北山街道", parent=far_district)
    moved = obligation(live.letter, estate=world.other_estate)
    world.other_estate.district, world.other_estate.street = far_district, far_street
    world.other_estate.save()
    theirs = set(Reminder.objects.filter(obligation__estate=world.other_estate).values_list("pk", flat=True))
    assert theirs and Reminder.objects.filter(obligation=moved).exists()
    for user in (world.city_user, world.district_user, world.other_district_user, world.street_user,
                 world.firm_user):
        assert _admin_ids(user) == _selector_ids(user), user
        assert not _admin_ids(user) & theirs, user
    assert _admin_ids(world.city_user) == set(Reminder.objects.values_list("pk", flat=True)) - theirs


def test_a_city_holding_the_whole_registry_sees_every_reminder(world, live):
    assert _admin_ids(world.city_user) == set(Reminder.objects.values_list("pk", flat=True)) == _selector_ids(
        world.city_user)


def test_an_inactive_city_user_sees_no_reminder(world, live):
    world.city_user.is_active = False
    assert _admin_ids(world.city_user) == set()


@pytest.mark.parametrize("role", ["city_user", "district_user"])
def test_the_page_and_its_count_read_the_reminders_without_joining_the_obligations(client, world, live, role):
    client.force_login(getattr(world, role))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(REMINDERS))
    assert response.status_code == 200
    assert response.context["cl"].result_count == len(_selector_ids(getattr(world, role)))
    count = next(q["sql"] for q in ctx.captured_queries
                 if q["sql"].startswith("SELECT COUNT(*)") and "notifications_reminder" in q["sql"])
    assert 'JOIN "campaigns_obligation"' not in count
    assert 'FROM "notifications_reminder" INNER JOIN' not in count
