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


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "field"), [("/admin/accounts/user/add/", "agency"),
                                            ("/admin/estates/estate/add/", "district"),
                                            ("/admin/estates/propertyfirm/add/", "district"),
                                            ("/admin/campaigns/campaign/add/", "issuing_agency")])
def test_text_in_an_autocomplete_field_is_a_form_error_not_a_500(world, url, field):
    client = Client(raise_request_exception=False)
    client.force_login(world.city_user)
    response = client.post(url, {"username": "newbie", "email": "newbie@example.com", "role": "staff",
                                 "name": "新小区", field: "abc"})
    assert response.status_code == 200, response.status_code
    assert response.context["adminform"].form.errors[field]
