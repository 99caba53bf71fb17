"""The scoping rule for every role on every registry page.

Roles: a superuser, city / district / other-district / street staff, a firm user, the other firm's user and an
anonymous visitor. Pages: the admin changelists (which rows appear), change / history / delete views of in-scope and
out-of-scope objects (out of scope answers 404, never the page), add views, the autocomplete endpoint, foreign-key
choices of the estate form, and the firm portal.

A second city ("far") exists so that city staff, too, have something outside their scope.
"""

import pytest
from django.urls import reverse

from accounts.models import User
from estates.models import Agency, Coordinator, Estate, PropertyFirm
from tests import factories as f

ROLES = ["superuser", "city", "district", "other_district", "street", "firm", "other_firm", "anonymous"]
BUREAU_ROLES = ["superuser", "city", "district", "other_district", "street"]
NON_ADMIN_ROLES = ["firm", "other_firm", "anonymous"]


@pytest.fixture
def cast(world):
    """The `world` plus a superuser, a second city, and one coordinator per estate."""
    w = world
    w.far_city = f.CityFactory(name="绍兴市住建局")
    w.far_district = f.DistrictFactory(name="越城区住建局", parent=w.far_city)
    w.far_city_street = f.StreetFactory(name="府山街道", parent=w.far_district)
    w.far_firm = f.FirmFactory(name="府山物业", district=w.far_district)
    w.far_estate = f.EstateFactory(code="YC001", name="府山新村", street=w.far_city_street, firm=w.far_firm)
    w.far_user = f.UserFactory(username="far-district", agency=w.far_district)
    w.superuser = f.UserFactory(username="root", is_superuser=True)
    for attr in ("estate", "estate2", "other_estate", "far_estate"):
        setattr(w, f"coord_{attr}", f.CoordinatorFactory(estate=getattr(w, attr), name=f"协调员{attr}"))
    w.users = {
        "superuser": w.superuser, "city": w.city_user, "district": w.district_user,
        "other_district": w.other_district_user, "street": w.street_user, "firm": w.firm_user,
        "other_firm": w.other_firm_user, "anonymous": None,
    }
    return w


def _login(client, cast, role):
    user = cast.users[role]
    if user is not None:
        client.force_login(user)
    return user


def _admin_url(model, view, *args):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def _is_admin_login_redirect(response):
    return response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


# --- changelists: which rows appear --------------------------------------------------------------------------

ALL_AGENCIES = {"city", "district", "other_district", "street", "other_street", "far_street", "community"}
ALL_FAR_AGENCIES = {"far_city", "far_district", "far_city_street"}
CHANGELIST_ROWS = {
    Agency: {
        "superuser": ALL_AGENCIES | ALL_FAR_AGENCIES,
        "city": ALL_AGENCIES,
        "district": {"district", "street", "other_street", "community"},
        "other_district": {"other_district", "far_street"},
        "street": {"street", "community"},
    },
    PropertyFirm: {
        "superuser": {"firm", "other_firm", "far_firm"},
        "city": {"firm", "other_firm"},
        "district": {"firm"},  # it supervises it
        "other_district": {"other_firm"},
        "street": {"firm"},  # it manages an estate in the street
    },
    Estate: {
        "superuser": {"estate", "estate2", "other_estate", "far_estate"},
        "city": {"estate", "estate2", "other_estate"},
        "district": {"estate", "estate2"},
        "other_district": {"other_estate"},
        "street": {"estate"},
    },
    Coordinator: {
        "superuser": {"coord_estate", "coord_estate2", "coord_other_estate", "coord_far_estate"},
        "city": {"coord_estate", "coord_estate2", "coord_other_estate"},
        "district": {"coord_estate", "coord_estate2"},
        "other_district": {"coord_other_estate"},
        "street": {"coord_estate"},
    },
    User: {
        "superuser": {"superuser", "city_user", "district_user", "other_district_user", "street_user", "firm_user",
                      "other_firm_user", "far_user"},
        "city": {"city_user", "district_user", "other_district_user", "street_user", "firm_user", "other_firm_user"},
        "district": {"district_user", "street_user", "firm_user"},
        "other_district": {"other_district_user", "other_firm_user"},
        # A firm's users follow the firm's supervising district (estates/scoping.py), not its estates' streets.
        "street": {"street_user"},
    },
}
CHANGELIST_CASES = [
    pytest.param(model, role, rows, id=f"{model.__name__}-{role}")
    for model, by_role in CHANGELIST_ROWS.items()
    for role, rows in by_role.items()
]


@pytest.mark.parametrize(("model", "role", "expected"), CHANGELIST_CASES)
def test_changelist_shows_exactly_the_rows_in_scope(client, cast, model, role, expected):
    _login(client, cast, role)
    response = client.get(_admin_url(model, "changelist"))
    assert response.status_code == 200
    shown = {obj.pk for obj in response.context["cl"].result_list}
    assert shown == {getattr(cast, attr).pk for attr in expected}


@pytest.mark.parametrize("model", list(CHANGELIST_ROWS), ids=lambda m: m.__name__)
@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_changelist_sends_firm_users_and_visitors_to_the_admin_login(client, cast, model, role):
    _login(client, cast, role)
    assert _is_admin_login_redirect(client.get(_admin_url(model, "changelist")))


def test_estate_changelist_html_never_names_another_districts_estate(client, cast):
    client.force_login(cast.district_user)
    html = client.get(_admin_url(Estate, "changelist")).content.decode()
    assert "月湖花园" in html
    assert "孔浦新村" not in html
    assert "府山新村" not in html


def test_district_filter_offers_only_the_officers_own_district(client, cast):
    client.force_login(cast.district_user)
    response = client.get(_admin_url(Estate, "changelist"))
    district_filter = next(spec for spec in response.context["cl"].filter_specs if spec.parameter_name == "district")
    assert [label for _, label in district_filter.lookup_choices] == ["海曙区住建局"]


def test_searching_the_changelist_cannot_reach_outside_the_scope(client, cast):
    client.force_login(cast.district_user)
    response = client.get(_admin_url(Estate, "changelist"), {"q": "孔浦"})
    assert list(response.context["cl"].result_list) == []


# --- change / history / delete views of single objects ------------------------------------------------------

# (model, role, an object inside the role's scope, an object outside it)
OBJECT_SCOPES = {
    Agency: {
        "city": ("district", "far_district"),
        "district": ("street", "far_street"),
        "other_district": ("far_street", "street"),
        "street": ("community", "other_street"),
    },
    PropertyFirm: {
        "city": ("other_firm", "far_firm"),
        "district": ("firm", "other_firm"),
        "other_district": ("other_firm", "firm"),
        "street": ("firm", "other_firm"),
    },
    Estate: {
        "city": ("other_estate", "far_estate"),
        "district": ("estate2", "other_estate"),
        "other_district": ("other_estate", "estate"),
        "street": ("estate", "estate2"),  # same district, other street
    },
    Coordinator: {
        "city": ("coord_other_estate", "coord_far_estate"),
        "district": ("coord_estate2", "coord_other_estate"),
        "other_district": ("coord_other_estate", "coord_estate"),
        "street": ("coord_estate", "coord_estate2"),
    },
    User: {
        "city": ("street_user", "far_user"),
        "district": ("street_user", "other_district_user"),
        "other_district": ("other_firm_user", "firm_user"),
        "street": ("street_user", "district_user"),  # the officer's superiors are outside the street
    },
}
OBJECT_VIEWS = ["change", "history", "delete"]
OUT_OF_SCOPE_CASES = [
    pytest.param(model, role, out_attr, view, id=f"{model.__name__}-{role}-{view}")
    for model, by_role in OBJECT_SCOPES.items()
    for role, (_, out_attr) in by_role.items()
    for view in OBJECT_VIEWS
]
IN_SCOPE_CASES = [
    pytest.param(model, role, in_attr, view, id=f"{model.__name__}-{role}-{view}")
    for model, by_role in OBJECT_SCOPES.items()
    for role, (in_attr, _) in by_role.items()
    for view in ("change", "history")
]


@pytest.mark.parametrize(("model", "role", "attr", "view"), OUT_OF_SCOPE_CASES)
def test_object_outside_the_scope_answers_404(client, cast, model, role, attr, view):
    _login(client, cast, role)
    response = client.get(_admin_url(model, view, getattr(cast, attr).pk))
    assert response.status_code == 404


@pytest.mark.parametrize(("model", "role", "attr", "view"), OUT_OF_SCOPE_CASES)
def test_posting_to_an_object_outside_the_scope_answers_404_and_changes_nothing(
    client, cast, model, role, attr, view
):
    _login(client, cast, role)
    obj = getattr(cast, attr)
    before = model.objects.filter(pk=obj.pk).count()
    response = client.post(_admin_url(model, view, obj.pk), {"post": "yes"})
    assert response.status_code == 404
    assert model.objects.filter(pk=obj.pk).count() == before


@pytest.mark.parametrize(("model", "role", "attr", "view"), IN_SCOPE_CASES)
def test_object_inside_the_scope_opens(client, cast, model, role, attr, view):
    _login(client, cast, role)
    obj = getattr(cast, attr)
    response = client.get(_admin_url(model, view, obj.pk))
    assert response.status_code == 200
    assert str(obj) in response.content.decode()


@pytest.mark.parametrize("model", list(OBJECT_SCOPES), ids=lambda m: m.__name__)
def test_superuser_opens_objects_of_every_city(client, cast, model):
    client.force_login(cast.superuser)
    far = {Agency: cast.far_district, PropertyFirm: cast.far_firm, Estate: cast.far_estate,
           Coordinator: cast.coord_far_estate, User: cast.far_user}[model]
    for view in OBJECT_VIEWS:
        assert client.get(_admin_url(model, view, far.pk)).status_code == 200


@pytest.mark.parametrize("model", list(OBJECT_SCOPES), ids=lambda m: m.__name__)
@pytest.mark.parametrize("role", ["city", "district", "street"])
def test_bureau_staff_may_not_delete_registry_records_even_in_scope(client, cast, model, role):
    _login(client, cast, role)
    in_attr, _ = OBJECT_SCOPES[model][role]
    obj = getattr(cast, in_attr)
    response = client.post(_admin_url(model, "delete", obj.pk), {"post": "yes"})
    assert response.status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", list(OBJECT_SCOPES), ids=lambda m: m.__name__)
@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
@pytest.mark.parametrize("view", OBJECT_VIEWS)
def test_object_views_send_firm_users_and_visitors_to_the_admin_login(client, cast, model, role, view):
    _login(client, cast, role)
    # Even their own firm's estate: firm users work in the portal, never in the admin.
    obj = {Agency: cast.district, PropertyFirm: cast.firm, Estate: cast.estate, Coordinator: cast.coord_estate,
           User: cast.firm_user}[model]
    assert _is_admin_login_redirect(client.get(_admin_url(model, view, obj.pk)))


def test_historical_version_of_an_object_outside_the_scope_answers_404(client, cast):
    record = cast.other_estate.history.latest()
    client.force_login(cast.district_user)
    url = reverse("admin:estates_estate_simple_history", args=[cast.other_estate.pk, record.history_id])
    assert client.get(url).status_code == 404


def test_historical_version_of_an_object_outside_the_scope_cannot_be_reverted(client, cast):
    record = cast.other_estate.history.latest()
    client.force_login(cast.district_user)
    url = reverse("admin:estates_estate_simple_history", args=[cast.other_estate.pk, record.history_id])
    response = client.post(url, {"code": "JB001", "name": "被篡改", "district": cast.district.pk,
                                 "street": cast.street.pk, "category": 2, "households": 1})
    assert response.status_code == 404
    cast.other_estate.refresh_from_db()
    assert cast.other_estate.name == "孔浦新村"


def test_deleted_object_history_stays_hidden_from_other_districts(client, cast):
    pk = cast.coord_other_estate.pk
    cast.coord_other_estate.delete()
    client.force_login(cast.district_user)
    assert client.get(_admin_url(Coordinator, "history", pk)).status_code == 404


def test_unknown_object_answers_404_not_a_redirect(client, cast):
    client.force_login(cast.district_user)
    assert client.get(_admin_url(Estate, "change", 999999)).status_code == 404


# --- add views -----------------------------------------------------------------------------------------------

ADD_STATUS = {
    # city-level write only
    Agency: {"superuser": 200, "city": 200, "district": 403, "other_district": 403, "street": 403},
    PropertyFirm: dict.fromkeys(BUREAU_ROLES, 200),
    Estate: dict.fromkeys(BUREAU_ROLES, 200),
    Coordinator: dict.fromkeys(BUREAU_ROLES, 200),
    # managers administer users; other_district and street users are plain staff
    User: {"superuser": 200, "city": 200, "district": 200, "other_district": 403, "street": 403},
}
ADD_CASES = [
    pytest.param(model, role, status, id=f"{model.__name__}-{role}")
    for model, by_role in ADD_STATUS.items()
    for role, status in by_role.items()
]


@pytest.mark.parametrize(("model", "role", "status"), ADD_CASES)
def test_add_view_is_open_to_the_roles_that_may_add(client, cast, model, role, status):
    _login(client, cast, role)
    assert client.get(_admin_url(model, "add")).status_code == status


@pytest.mark.parametrize("model", list(ADD_STATUS), ids=lambda m: m.__name__)
@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_add_view_sends_firm_users_and_visitors_to_the_admin_login(client, cast, model, role):
    _login(client, cast, role)
    assert _is_admin_login_redirect(client.get(_admin_url(model, "add")))


# --- autocomplete --------------------------------------------------------------------------------------------

def _autocomplete(client, model, field, term=""):
    opts = model._meta
    return client.get(
        reverse("admin:autocomplete"),
        {"app_label": opts.app_label, "model_name": opts.model_name, "field_name": field, "term": term},
    )


# (source model, field, role) -> the attributes of the objects offered
AUTOCOMPLETE_RESULTS = [
    (Estate, "firm", "superuser", {"firm", "other_firm", "far_firm"}),
    (Estate, "firm", "city", {"firm", "other_firm"}),
    (Estate, "firm", "district", {"firm"}),
    (Estate, "firm", "other_district", {"other_firm"}),
    (Estate, "firm", "street", {"firm"}),
    (Estate, "district", "city", {"district", "other_district"}),
    (Estate, "district", "district", {"district"}),
    (Estate, "district", "other_district", {"other_district"}),
    # a street officer picks their own district (an ancestor), nothing else
    (Estate, "district", "street", {"district"}),
    (Estate, "street", "city", {"street", "other_street", "far_street"}),
    (Estate, "street", "district", {"street", "other_street"}),
    (Estate, "street", "other_district", {"far_street"}),
    (Estate, "street", "street", {"street"}),
    (Estate, "community", "street", {"community"}),
    (Estate, "community", "other_district", set()),
    (Coordinator, "estate", "superuser", {"estate", "estate2", "other_estate", "far_estate"}),
    (Coordinator, "estate", "district", {"estate", "estate2"}),
    (Coordinator, "estate", "other_district", {"other_estate"}),
    (Coordinator, "estate", "street", {"estate"}),
    (PropertyFirm, "district", "district", {"district"}),
    (PropertyFirm, "district", "street", {"district"}),
    (User, "firm", "district", {"firm"}),
    (User, "firm", "other_district", {"other_firm"}),
    (User, "agency", "district", {"district", "street", "other_street", "community"}),
    # a user's agency grants rights: never an agency above the officer's own
    (User, "agency", "street", {"street", "community"}),
]


@pytest.mark.parametrize(
    ("model", "field", "role", "expected"),
    [pytest.param(*case, id=f"{case[0].__name__}.{case[1]}-{case[2]}") for case in AUTOCOMPLETE_RESULTS],
)
def test_autocomplete_offers_only_objects_in_scope(client, cast, model, field, role, expected):
    _login(client, cast, role)
    response = _autocomplete(client, model, field)
    assert response.status_code == 200
    offered = {int(item["id"]) for item in response.json()["results"]}
    assert offered == {getattr(cast, attr).pk for attr in expected}


def test_autocomplete_search_term_cannot_find_another_districts_firm(client, cast):
    client.force_login(cast.district_user)
    assert _autocomplete(client, Estate, "firm", term="孔浦").json()["results"] == []


@pytest.mark.parametrize("role", ["firm", "other_firm", "anonymous"])
def test_autocomplete_is_closed_to_firm_users_and_visitors(client, cast, role):
    _login(client, cast, role)
    assert _is_admin_login_redirect(_autocomplete(client, Estate, "firm"))


# --- foreign-key choices of the estate form ------------------------------------------------------------------

ESTATE_FORM_CHOICES = {
    "district": {
        "firm": {"firm"},
        "district": {"district"},
        "street": {"street", "other_street"},
        "community": {"community"},
    },
    "street": {
        "firm": {"firm"},
        "district": {"district"},
        "street": {"street"},
        "community": {"community"},
    },
    "other_district": {
        "firm": {"other_firm"},
        "district": {"other_district"},
        "street": {"far_street"},
        "community": set(),
    },
    "city": {
        "firm": {"firm", "other_firm"},
        "district": {"district", "other_district"},
        "street": {"street", "other_street", "far_street"},
        "community": {"community"},
    },
}
ESTATE_FORM_CASES = [
    pytest.param(role, field, expected, id=f"{role}-{field}")
    for role, fields in ESTATE_FORM_CHOICES.items()
    for field, expected in fields.items()
]


@pytest.mark.parametrize(("role", "field", "expected"), ESTATE_FORM_CASES)
def test_estate_form_offers_only_choices_in_scope(client, cast, role, field, expected):
    _login(client, cast, role)
    in_attr, _ = OBJECT_SCOPES[Estate][role]
    response = client.get(_admin_url(Estate, "change", getattr(cast, in_attr).pk))
    queryset = response.context["adminform"].form.fields[field].queryset
    assert set(queryset.values_list("pk", flat=True)) == {getattr(cast, attr).pk for attr in expected}


def _estate_post_data(estate, **overrides):
    data = {
        "code": estate.code, "name": estate.name, "address": estate.address, "is_active": "on",
        "district": estate.district_id, "street": estate.street_id, "community": estate.community_id or "",
        "firm": estate.firm_id or "", "hotline": estate.hotline, "complaint_phone": estate.complaint_phone,
        "category": estate.category, "year_built": estate.year_built or "", "households": estate.households,
        "floor_area": "",
        "coordinators-TOTAL_FORMS": "0", "coordinators-INITIAL_FORMS": "0",
        "coordinators-MIN_NUM_FORMS": "0", "coordinators-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_estate_form_refuses_a_firm_outside_the_scope(client, cast):
    client.force_login(cast.district_user)
    response = client.post(
        _admin_url(Estate, "change", cast.estate.pk), _estate_post_data(cast.estate, firm=cast.other_firm.pk)
    )
    assert response.status_code == 200
    assert "firm" in response.context["adminform"].form.errors
    cast.estate.refresh_from_db()
    assert cast.estate.firm == cast.firm


def test_estate_form_refuses_a_street_of_another_district(client, cast):
    client.force_login(cast.district_user)
    response = client.post(
        _admin_url(Estate, "change", cast.estate.pk), _estate_post_data(cast.estate, street=cast.far_street.pk)
    )
    assert "street" in response.context["adminform"].form.errors
    cast.estate.refresh_from_db()
    assert cast.estate.street == cast.street


def test_street_officer_can_save_an_estate_of_their_street(client, cast):
    client.force_login(cast.street_user)
    response = client.post(
        _admin_url(Estate, "change", cast.estate.pk), _estate_post_data(cast.estate, households=612)
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    cast.estate.refresh_from_db()
    assert cast.estate.households == 612


def test_district_officer_adds_an_estate_in_their_district(client, cast):
    client.force_login(cast.district_user)
    new = Estate(code="HS900", name="新建小区", district=cast.district, street=cast.other_street, firm=cast.firm,
                 category=1, households=100)
    response = client.post(_admin_url(Estate, "add"), _estate_post_data(new))
    assert response.status_code == 302
    assert Estate.objects.get(code="HS900").street == cast.other_street


def test_district_officer_cannot_add_an_estate_in_another_district(client, cast):
    client.force_login(cast.district_user)
    new = Estate(code="JB900", name="越界小区", district=cast.other_district, street=cast.far_street,
                 firm=cast.other_firm, category=1, households=100)
    response = client.post(_admin_url(Estate, "add"), _estate_post_data(new))
    assert response.status_code == 200
    assert {"district", "street", "firm"} <= set(response.context["adminform"].form.errors)
    assert not Estate.objects.filter(code="JB900").exists()


# --- the firm portal -----------------------------------------------------------------------------------------

PORTAL_PAGES = ["portal:dashboard", "portal:firm_edit"]


@pytest.mark.parametrize("page", PORTAL_PAGES)
@pytest.mark.parametrize("role", ["firm", "other_firm"])
def test_portal_pages_open_for_firm_users(client, cast, page, role):
    _login(client, cast, role)
    assert client.get(reverse(page)).status_code == 200


@pytest.mark.parametrize("page", PORTAL_PAGES + ["estate_edit"])
@pytest.mark.parametrize("role", BUREAU_ROLES)
def test_portal_sends_bureau_users_to_the_admin(client, cast, page, role):
    _login(client, cast, role)
    url = reverse("portal:estate_edit", args=["HS001"]) if page == "estate_edit" else reverse(page)
    response = client.get(url, follow=True)
    assert response.redirect_chain
    assert response.redirect_chain[-1][0] == reverse("admin:index")


@pytest.mark.parametrize("page", PORTAL_PAGES + ["estate_edit"])
def test_portal_sends_visitors_to_the_login_page(client, cast, page):
    url = reverse("portal:estate_edit", args=["HS001"]) if page == "estate_edit" else reverse(page)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("role", "expected"), [("firm", {"HS001", "HS002"}), ("other_firm", {"JB001"})])
def test_portal_dashboard_lists_only_the_firms_own_estates(client, cast, role, expected):
    _login(client, cast, role)
    response = client.get(reverse("portal:dashboard"))
    assert {e.code for e in response.context["estates"]} == expected


def test_portal_dashboard_never_names_another_firms_estate(client, cast):
    client.force_login(cast.firm_user)
    html = client.get(reverse("portal:dashboard")).content.decode()
    assert "月湖花园" in html
    assert "孔浦新村" not in html


@pytest.mark.parametrize(("role", "own", "foreign"), [("firm", "HS001", "JB001"), ("other_firm", "JB001", "HS002")])
def test_portal_estate_edit_opens_own_estates_and_404s_others(client, cast, role, own, foreign):
    _login(client, cast, role)
    assert client.get(reverse("portal:estate_edit", args=[own])).status_code == 200
    assert client.get(reverse("portal:estate_edit", args=[foreign])).status_code == 404


def test_portal_estate_edit_post_to_another_firms_estate_is_404_and_saves_nothing(client, cast):
    client.force_login(cast.firm_user)
    response = client.post(reverse("portal:estate_edit", args=["JB001"]), {"hotline": "0574-88888888"})
    assert response.status_code == 404
    cast.other_estate.refresh_from_db()
    assert cast.other_estate.hotline != "0574-88888888"


def test_portal_firm_edit_changes_only_the_users_own_firm(client, cast):
    client.force_login(cast.firm_user)
    client.post(reverse("portal:firm_edit"), {"contact_person": "李经理", "hotline": "0574-87111111"})
    cast.firm.refresh_from_db()
    cast.other_firm.refresh_from_db()
    assert cast.firm.contact_person == "李经理"
    assert cast.other_firm.contact_person != "李经理"


# --- firm users and the admin --------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["firm", "other_firm"])
def test_firm_users_cannot_enter_the_admin(client, cast, role):
    _login(client, cast, role)
    assert _is_admin_login_redirect(client.get(reverse("admin:index")))


def test_firm_user_cannot_log_into_the_admin_with_their_password(client, cast):
    response = client.post(reverse("admin:login"), {"username": "firm", "password": "pw-for-tests-1"})
    assert response.status_code == 200  # the form again, with an error
    assert not response.wsgi_request.user.is_authenticated or not response.wsgi_request.user.is_staff
    assert _is_admin_login_redirect(client.get(reverse("admin:index")))


@pytest.mark.parametrize("role", BUREAU_ROLES)
def test_bureau_users_enter_the_admin(client, cast, role):
    _login(client, cast, role)
    assert client.get(reverse("admin:index")).status_code == 200


def test_inactive_bureau_user_sees_nothing(client, cast):
    cast.district_user.is_active = False
    cast.district_user.save()
    client.force_login(cast.district_user)
    assert _is_admin_login_redirect(client.get(_admin_url(Estate, "changelist")))
