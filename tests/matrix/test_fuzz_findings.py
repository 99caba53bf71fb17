"""What the fuzz of tests/matrix/test_form_fuzz.py found, one behaviour each."""

import pytest
from django.test import Client

from tests import factories as f


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["delete", "change", "history"])
def test_an_empty_to_field_on_a_technical_admin_is_a_400_not_a_500(view):
    from django_celery_beat.models import CrontabSchedule

    crontab = CrontabSchedule.objects.create(minute="0", hour="3")
    client = Client(raise_request_exception=False)
    client.force_login(f.UserFactory(username="root", is_superuser=True, is_staff=True))
    response = client.get(f"/admin/django_celery_beat/crontabschedule/{crontab.pk}/{view}/", {"_to_field": ""})
    assert response.status_code in (200, 400), response.status_code
