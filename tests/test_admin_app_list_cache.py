"""The admin's navigation and index list of apps, kept per kind of user (core/admin_site.py app_list_key).

The list is what the admins' module and model permissions allow: a function of the user's flags, agency level,
firm and role, and of the language. Kept in the process under exactly those, it must equal the list built afresh
for every kind of user, and a user whose role or agency changes gets the other list at once.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import translation

from accounts.models import User
from core import admin_site
from tests import factories as f

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _fresh(user):
    """The list as Django builds it, without the process's copy."""
    saved = dict(admin_site._APP_LISTS)
    admin_site._APP_LISTS.clear()
    try:
        return admin.site.get_app_list(_request(user))
    finally:
        admin_site._APP_LISTS.clear()
        admin_site._APP_LISTS.update(saved)


def _shape(apps):
    return [(app["app_label"], app["name"], [(m["object_name"], m["name"], m["admin_url"], m["add_url"],
                                              m["view_only"], dict(m["perms"])) for m in app["models"]])
            for app in apps]


@pytest.fixture
def users(db):
    city = f.CityFactory()
    district = f.DistrictFactory(parent=city)
    street = f.StreetFactory(parent=district)
    firm = f.FirmFactory(district=district)
    staff = User.Role.STAFF
    manager = User.Role.MANAGER
    return {
        "superuser": f.UserFactory(is_superuser=True, is_staff=True),
        "city": f.UserFactory(is_staff=True, agency=city, role=staff),
        "city_manager": f.UserFactory(is_staff=True, agency=city, role=manager),
        "district": f.UserFactory(is_staff=True, agency=district, role=staff),
        "district_manager": f.UserFactory(is_staff=True, agency=district, role=manager),
        "street": f.UserFactory(is_staff=True, agency=street, role=staff),
        "firm": f.UserFactory(firm=firm),
        "staff_of_nothing": f.UserFactory(is_staff=True),
        "inactive": f.UserFactory(is_staff=True, agency=city, is_active=False),
    }


def test_every_kind_of_user_gets_the_list_built_afresh(users):
    admin_site._APP_LISTS.clear()
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for name, user in users.items():
                fresh = _shape(_fresh(user))
                assert _shape(admin.site.get_app_list(_request(user))) == fresh, (language, name)  # stored
                assert _shape(admin.site.get_app_list(_request(user))) == fresh, (language, name)  # kept
    shapes = {name: _shape(_fresh(user)) for name, user in users.items()}
    # Not vacuous: the kinds of user see different lists, and the system apps stay off them.
    assert shapes["superuser"] != shapes["city"] != shapes["street"]
    assert shapes["city"] != shapes["city_manager"] or shapes["district"] != shapes["district_manager"]
    assert not any(app[0] in admin_site.SYSTEM_APPS for app in shapes["superuser"])


def test_a_change_of_role_or_agency_shows_at_once(users):
    admin_site._APP_LISTS.clear()
    user = users["street"]
    before = _shape(admin.site.get_app_list(_request(user)))
    user.agency = users["city"].agency
    user.role = User.Role.MANAGER
    user.save()
    user = User.objects.select_related("agency").get(pk=user.pk)
    after = _shape(admin.site.get_app_list(_request(user)))
    assert after == _shape(_fresh(users["city_manager"])) != before


def test_a_page_cannot_change_what_the_next_one_gets(users):
    admin_site._APP_LISTS.clear()
    user = users["city"]
    first = admin.site.get_app_list(_request(user))
    expected = _shape(first)
    first[0]["models"].clear()
    first[0]["name"] = "changed"
    first.clear()
    assert _shape(admin.site.get_app_list(_request(user))) == expected


def test_nobody_logged_in_is_not_kept(db):
    admin_site._APP_LISTS.clear()
    assert admin_site.app_list_key(_request(AnonymousUser())) is None
    admin.site.get_app_list(_request(AnonymousUser()))
    assert not admin_site._APP_LISTS
