"""The firm's home caches its card and estate list under the registry version (estates/selectors.py
registry_version, estates/receivers.py): a repeated view reads no estate, and a save or an import of the
registry shows on the next view."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from estates import services
from estates.models import Estate

pytestmark = pytest.mark.django_db
URL = reverse("portal:dashboard")


@pytest.fixture
def firm(client, world):
    client.force_login(world.firm_user)
    return client


def test_a_repeated_view_reads_no_estate(firm):
    firm.get(URL)
    with CaptureQueriesContext(connection) as ctx:
        assert firm.get(URL).status_code == 200
    assert not [q for q in ctx.captured_queries if 'FROM "estates_estate"' in q["sql"]]


def test_a_changed_estate_and_firm_show_at_once(firm, world):
    firm.get(URL)
    world.estate.name = "月湖花园二期"
    world.estate.save()
    world.firm.hotline = "0574-88889999"
    world.firm.save()
    html = firm.get(URL).content.decode()
    assert "月湖花园二期" in html and "0574-88889999" in html


def test_a_bulk_update_announced_as_an_import_shows_at_once(firm, world):
    from estates.signals import registry_imported

    firm.get(URL)
    Estate.objects.filter(pk=world.estate.pk).update(name="月湖花园三期")  # as the importer writes: no post_save
    registry_imported.send(sender=Estate, created=(), updated=(), moved=())
    assert "月湖花园三期" in firm.get(URL).content.decode()


def test_the_firms_phone_form_saves_and_the_home_shows_it(firm, world):
    services.firm_update_contacts(firm=world.firm, data={"hotline": "0574-87771234", "complaint_phone": "",
                                                          "contact_person": "李经理", "contact_phone": "",
                                                          "address": "", "email": ""})
    assert "0574-87771234" in firm.get(URL).content.decode()


def test_each_search_and_language_gets_its_own_list(firm, world):
    assert world.estate2.name not in firm.get(URL, {"q": world.estate.code}).content.decode()
    assert world.estate2.name in firm.get(URL).content.decode()
    firm.cookies["django_language"] = "en"
    assert "在管小区" not in firm.get(URL).content.decode()


def test_another_firm_never_gets_the_first_firms_home(client, world):
    client.force_login(world.firm_user)
    client.get(URL)
    client.force_login(world.other_firm_user)
    html = client.get(URL).content.decode()
    assert world.estate.name not in html and world.other_estate.name in html
