"""The hotline API clients in the admin: a district's officers add one (its token shown once), issue a new
token, deactivate; other districts' clients answer 404; streets and firms manage none."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from suggestions import api_services
from suggestions.models import ApiClient

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:suggestions_apiclient_changelist")
ADD = reverse("admin:suggestions_apiclient_add")


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def shown_token(response):
    match = re.search(r'id="api-token"[^>]*value="([^"]+)"', response.content.decode())
    assert match, response.content.decode()[:500]
    return match.group(1)


def test_adding_a_client_shows_its_token_once_and_stores_only_its_hash(world):
    officer = logged_in(world.district_user)
    response = officer.post(ADD, {"district": world.district.pk, "name": "海曙区 12345 热线"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    token = shown_token(response)
    client = ApiClient.objects.get()
    assert (client.district, client.name, client.is_active) == (world.district, "海曙区 12345 热线", True)
    assert client.token_hash == api_services.token_hash(token) and token not in client.token_hash
    assert api_services.api_client_authenticate(token) == client
    page = officer.get(reverse("admin:suggestions_apiclient_change", args=[client.pk])).content.decode()
    assert token not in page and f"{token[:8]}…" in page
    assert token not in officer.get(CHANGELIST).content.decode()


def test_a_district_officer_cannot_add_a_client_for_another_district(world):
    officer = logged_in(world.district_user)
    response = officer.post(ADD, {"district": world.other_district.pk, "name": "江北"})
    assert response.status_code == 200 and "api-token" not in response.content.decode()
    assert not ApiClient.objects.exists()


def test_the_city_adds_for_any_of_its_districts_but_never_for_a_street(world):
    city = logged_in(world.city_user)
    assert "api-token" in city.post(ADD, {"district": world.other_district.pk, "name": "江北"}).content.decode()
    response = city.post(ADD, {"district": world.street.pk, "name": "街道"})
    assert "api-token" not in response.content.decode()
    assert list(ApiClient.objects.values_list("district", flat=True)) == [world.other_district.pk]


def test_a_new_token_replaces_the_old_one(world):
    client, old = api_services.api_client_issue(district=world.district, name="海曙区 12345 热线")
    officer = logged_in(world.district_user)
    url = reverse("admin:suggestions_apiclient_token", args=[client.pk])
    confirm = officer.get(url)
    assert confirm.status_code == 200 and "api-token" not in confirm.content.decode()
    new = shown_token(officer.post(url))
    assert new != old
    assert api_services.api_client_authenticate(new) == client
    with pytest.raises(api_services.NotAuthenticated):
        api_services.api_client_authenticate(old)


def test_deactivating_stops_the_token(world):
    client, token = api_services.api_client_issue(district=world.district, name="海曙区 12345 热线")
    officer = logged_in(world.district_user)
    response = officer.post(CHANGELIST, {"action": "deactivate", "_selected_action": [client.pk]}, follow=True)
    assert response.status_code == 200
    client.refresh_from_db()
    assert client.is_active is False
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(reverse("suggestions:api_services")).status_code == 403


def test_another_districts_client_answers_404_and_a_street_manages_none(world):
    theirs, _token = api_services.api_client_issue(district=world.other_district, name="MX-江北热线")
    officer = logged_in(world.district_user)
    for name in ("change", "token", "delete", "history"):
        assert officer.get(reverse(f"admin:suggestions_apiclient_{name}", args=[theirs.pk])).status_code == 404
    assert officer.post(reverse("admin:suggestions_apiclient_token", args=[theirs.pk])).status_code == 404
    assert "MX-江北热线" not in officer.get(CHANGELIST).content.decode()
    street = logged_in(world.street_user)
    assert street.get(ADD).status_code == 403
    assert "MX-江北热线" not in street.get(CHANGELIST).content.decode()
    firm = logged_in(world.firm_user)
    assert firm.get(CHANGELIST).status_code == 302  # to the admin's login: firms never work in the admin


def test_the_district_of_a_client_cannot_be_changed(world):
    client, _token = api_services.api_client_issue(district=world.district, name="海曙区 12345 热线")
    officer = logged_in(world.district_user)
    url = reverse("admin:suggestions_apiclient_change", args=[client.pk])
    officer.post(url, {"district": world.other_district.pk, "name": "新名称", "is_active": "on"})
    client.refresh_from_db()
    assert (client.district, client.name) == (world.district, "新名称")
