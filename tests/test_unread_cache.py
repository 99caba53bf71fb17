"""The navigation's unread count is cached per user (notifications/selectors.py unread_count) and forgotten by
every writer of notifications: a single save, the outbox's bulk insert, notify(), reading one, reading all."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications import services
from notifications.models import Notification
from notifications.selectors import unread_count

pytestmark = pytest.mark.django_db
URL = reverse("notifications:list")


def _badge(client):
    html = client.get(reverse("portal:dashboard")).content.decode()
    marker = 'unread-count">'
    return int(html[html.index(marker) + len(marker):].split("<", 1)[0]) if marker in html else 0


def test_a_repeated_page_does_not_count_again(client, world):
    Notification.objects.create(user=world.firm_user, title="提醒", body="正文")
    client.force_login(world.firm_user)
    client.get(URL)
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("portal:dashboard"))
    assert not [q for q in ctx.captured_queries if "COUNT" in q["sql"] and "notifications_notification" in q["sql"]]


def test_every_writer_moves_the_badge_at_once(client, world):
    client.force_login(world.firm_user)
    assert _badge(client) == 0
    first = Notification.objects.create(user=world.firm_user, title="提醒", body="正文")
    assert _badge(client) == 1
    from notifications.channels import Message

    services.notify(users=[world.firm_user], message=Message(category="reminder", subject="到期提醒", text="正文",
                                                             summary="正文", link="/portal/"))
    assert _badge(client) == 2
    services.notification_mark_read(notification=first)
    assert _badge(client) == 1
    services.notification_mark_all_read(user=world.firm_user)
    assert _badge(client) == 0


def test_the_outboxs_bulk_insert_forgets_the_count(world):
    from notifications.outbox import unread_changed

    assert unread_count(user=world.firm_user) == 0
    Notification.objects.bulk_create([Notification(user=world.firm_user, title="批量", body="正文")])
    assert unread_count(user=world.firm_user) == 0  # cached, and a bulk insert sends no signal…
    unread_changed({world.firm_user.pk})  # …so the bulk writers call this (outbox.py, notify)
    assert unread_count(user=world.firm_user) == 1


def test_each_user_has_their_own_count(world):
    Notification.objects.create(user=world.firm_user, title="提醒", body="正文")
    assert unread_count(user=world.firm_user) == 1
    assert unread_count(user=world.other_firm_user) == 0
