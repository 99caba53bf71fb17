"""Every role, the superuser included, on every scoped choice list.

The class of bug (issue 14): "everything" was an empty ``Q()``, and Django drops an empty ``Q`` from
``Q() | X``, so a superuser's "everything or X" narrowed to X: an empty list of notice texts, 404 on
their own text, no districts to choose when editing an estate. The tests below enumerate, so that a
new admin, a new foreign key, a new list filter or a new page form is covered without being named:

* every registered ModelAdmin × every bureau role: each choice field of the add and change forms (and
  of their inlines), each autocomplete field, each list filter, and the changelist itself;
* every URL without arguments × every role: each model choice field of the forms on the page.

What is checked for each list: it offers nothing outside the role's scope (the registry by a table
written out by hand, other models by what their own admin lists for the role); the registry lists of
the admin offer exactly the role's scope; and a wider role never sees less (superuser ⊇ city ⊇
district ⊇ street ⊇ community) — which is what failed for the superuser.
"""

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin import RelatedFieldListFilter, SimpleListFilter
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from accounts.models import User
from campaigns import admin as campaign_admin
from campaigns.models import Campaign
from documents.models import NoticeKind, NoticeTemplate
from estates import admin as estate_admin
from estates import scoping
from estates.models import Agency, Estate, PropertyFirm
from estates.scoped_admin import ScopedAdmin
from suggestions import admin as suggestion_admin
from tests import campaign_factories as cf
from tests import factories as f

REGISTRY = (Agency, Estate, PropertyFirm)
BUREAU_ROLES = ["superuser", "superuser_city", "city", "city_staff", "district", "other_district", "street",
                "community"]
ALL_ROLES = [*BUREAU_ROLES, "firm", "other_firm"]
# (wider, narrower): the wider role's list contains the narrower one's.
LADDER = [("superuser", "city"), ("superuser_city", "city"), ("superuser", "city_staff"), ("city", "district"),
          ("city", "other_district"), ("city_staff", "district"), ("district", "street"), ("street", "community")]

WORLD_AGENCIES = {"city", "district", "other_district", "street", "other_street", "far_street", "community"}
FAR_AGENCIES = {"far_city", "far_district", "far_city_street"}
# The registry each role may see, written out (never computed by the code under test).
VISIBLE = {
    Agency: {
        "superuser": WORLD_AGENCIES | FAR_AGENCIES,
        "superuser_city": WORLD_AGENCIES | FAR_AGENCIES,
        "city": WORLD_AGENCIES,
        "city_staff": WORLD_AGENCIES,
        "district": {"district", "street", "other_street", "community"},
        "other_district": {"other_district", "far_street"},
        "street": {"street", "community"},
        "community": {"community"},
        "firm": set(), "other_firm": set(),
    },
    Estate: {
        "superuser": {"estate", "estate2", "other_estate", "far_estate"},
        "superuser_city": {"estate", "estate2", "other_estate", "far_estate"},
        "city": {"estate", "estate2", "other_estate"},
        "city_staff": {"estate", "estate2", "other_estate"},
        "district": {"estate", "estate2"},
        "other_district": {"other_estate"},
        "street": {"estate"},
        "community": {"estate"},
        "firm": {"estate", "estate2"}, "other_firm": {"other_estate"},
    },
    PropertyFirm: {
        "superuser": {"firm", "other_firm", "far_firm"},
        "superuser_city": {"firm", "other_firm", "far_firm"},
        "city": {"firm", "other_firm"},
        "city_staff": {"firm", "other_firm"},
        "district": {"firm"},
        "other_district": {"other_firm"},
        "street": {"firm"},
        "community": {"firm"},
        "firm": {"firm"}, "other_firm": {"other_firm"},
    },
}
# Agencies above one's own that a role may pick in ``ancestor_choice_fields`` (an estate's district).
ANCESTORS = {"street": {"district", "city"}, "community": {"district", "street", "city"},
             "district": {"city"}, "other_district": {"city"}}


@pytest.fixture
def roles(world):
    w = world
    w.far_city = f.CityFactory(name="绍兴市住建局")
    w.far_district = f.DistrictFactory(name="越城区住建局", parent=w.far_city)
    w.far_city_street = f.StreetFactory(name="府山街道", parent=w.far_district)
    w.far_firm = f.FirmFactory(name="府山物业", district=w.far_district)
    w.far_estate = f.EstateFactory(code="YC001", name="府山新村", street=w.far_city_street, firm=w.far_firm)
    w.far_user = f.UserFactory(username="far-district", agency=w.far_district, role=User.Role.MANAGER)
    users = {
        # demo-city is both: city staff and superuser (the account that met the bug)
        "superuser_city": f.UserFactory(username="root-city", agency=w.city, is_superuser=True,
                                        role=User.Role.MANAGER),
        "superuser": f.UserFactory(username="root", is_superuser=True),
        "city": w.city_user,
        "city_staff": f.UserFactory(username="city-staff", agency=w.city),
        "district": w.district_user,
        "other_district": w.other_district_user,
        "street": w.street_user,
        "community": f.UserFactory(username="community", agency=w.community),
        "firm": w.firm_user,
        "other_firm": w.other_firm_user,
    }
    w.users = users
    # Campaign data, so that campaign, action and notice-text lists have something in and out of scope.
    w.city_campaign = cf.CampaignFactory(name="宁波市活动", issuing_agency=w.city)
    w.district_campaign = cf.CampaignFactory(name="海曙区活动", issuing_agency=w.district)
    w.far_campaign = cf.CampaignFactory(name="绍兴市活动", issuing_agency=w.far_city)
    for campaign in (w.city_campaign, w.district_campaign, w.far_campaign):
        cf.TaskFactory(action=cf.ActionFactory(campaign=campaign))
    w.texts = [NoticeTemplate.objects.create(campaign=w.city_campaign, kind=kind, title=str(kind), body="正文")
               for kind in list(NoticeKind)[:3]]
    return w


def _objects(w, model, names):
    return {getattr(w, name).pk for name in names}


def _request(user, path="/admin/"):
    request = RequestFactory().get(path)
    request.user = user
    request.resolver_match = resolve(path)
    request.session = {}
    return request


def _scoped_admins():
    return [(model, model_admin) for model, model_admin in admin.site._registry.items()
            if isinstance(model_admin, ScopedAdmin)]


def _expected_registry(w, model, role, *, ancestors=False):
    ids = _objects(w, model, VISIBLE[model][role])
    if ancestors and model is Agency:
        ids |= _objects(w, Agency, ANCESTORS.get(role, set()))
    return ids


def _visible_through_admin(model, user):
    """What the model's own admin lists for the user (None: the model has no admin)."""
    model_admin = admin.site._registry.get(model)
    if model_admin is None:
        return None
    return set(model_admin.get_queryset(_request(user)).values_list("pk", flat=True))


def _choice_ids(field):
    return set(field.queryset.values_list("pk", flat=True))


def _limited(db_field, queryset):
    limit = db_field.get_limit_choices_to() if db_field is not None else None
    return queryset.complex_filter(limit) if limit else queryset


# --- admin forms: every ModelAdmin, every choice field ------------------------------------------------------

def _admin_form_lists(w, user):
    """{(admin, form, field name): (model field, ids offered)} of every add/change form and inline form."""
    out = {}
    for model, model_admin in _scoped_admins():
        request = _request(user, reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add"))
        if not model_admin.has_view_permission(request):
            continue
        targets = []
        if model_admin.has_add_permission(request):
            targets.append(("add", None))
        obj = model_admin.get_queryset(request).order_by("pk").first()
        if obj is not None and model_admin.has_change_permission(request, obj):
            targets.append(("change", obj))
        for label, obj in targets:
            form_classes = [(model, model_admin.get_form(request, obj))]
            for inline in model_admin.get_inline_instances(request, obj):
                form_classes.append((inline.model, inline.get_formset(request, obj).form))
            for form_model, form_class in form_classes:
                # Instantiated: ModelForm applies limit_choices_to in __init__.
                for name, field in form_class().fields.items():
                    if isinstance(field, forms.ModelChoiceField):
                        try:
                            db_field = form_model._meta.get_field(name)
                        except Exception:  # noqa: BLE001 - a form-only field
                            db_field = None
                        key = (model.__name__, label, form_model.__name__, name)
                        out[key] = (db_field, field.queryset.model, _choice_ids(field), model_admin)
    return out


@pytest.mark.parametrize("role", BUREAU_ROLES)
def test_admin_form_choices_offer_exactly_the_registry_in_scope(roles, role):
    w, user = roles, roles.users[role]
    lists = _admin_form_lists(w, user)
    assert lists, "no admin form was checked"
    for key, (db_field, related, offered, model_admin) in lists.items():
        if related in REGISTRY:
            if key[-1] == "firm" and key[0] == "User" and not model_admin._manages_firm_users(_request(user)):
                assert offered == set(), key  # only city staff attach an account to a firm
                continue
            ancestors = db_field is not None and db_field.name in model_admin.ancestor_choice_fields
            expected = _expected_registry(w, related, role, ancestors=ancestors)
            expected &= set(_limited(db_field, related.objects.all()).values_list("pk", flat=True))
            assert offered == expected, key
        else:
            visible = _visible_through_admin(related, user)
            if visible is not None:
                assert offered <= visible, key
            if user.is_superuser:
                # every row (the fixture's campaigns are all drafts, so even "draft campaigns only" is every row)
                assert offered == set(_limited(db_field, related.objects.all()).values_list("pk", flat=True)), key


def test_superuser_is_offered_every_district_when_editing_an_estate(roles, client):
    client.force_login(roles.users["superuser_city"])
    response = client.get(reverse("admin:estates_estate_change", args=[roles.estate.pk]))
    assert response.status_code == 200
    offered = _choice_ids(response.context["adminform"].form.fields["district"])
    assert offered == set(Agency.objects.filter(level=Agency.Level.DISTRICT).values_list("pk", flat=True))
    assert len(offered) == 3


@pytest.mark.parametrize(("wider", "narrower"), LADDER)
def test_a_wider_role_is_never_offered_less_in_admin_forms(roles, wider, narrower):
    wide = _admin_form_lists(roles, roles.users[wider])
    for key, (_db_field, _related, offered, _admin) in _admin_form_lists(roles, roles.users[narrower]).items():
        if key in wide and not (key[0] == "User" and key[-1] == "firm"):
            assert offered <= wide[key][2], key


# --- autocomplete: every autocomplete field of every admin --------------------------------------------------

def _autocomplete_fields():
    for model, model_admin in _scoped_admins():
        for name in model_admin.autocomplete_fields:
            yield pytest.param(model, name, id=f"{model.__name__}.{name}")


def _autocomplete(client, model, field):
    response = client.get(reverse("admin:autocomplete"), {
        "app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": field})
    return response


@pytest.mark.parametrize(("model", "field_name"), list(_autocomplete_fields()))
@pytest.mark.parametrize("role", BUREAU_ROLES)
def test_autocomplete_offers_exactly_the_scope(roles, client, model, field_name, role):
    user = roles.users[role]
    client.force_login(user)
    response = _autocomplete(client, model, field_name)
    assert response.status_code == 200
    offered = {int(item["id"]) for item in response.json()["results"]}
    db_field = model._meta.get_field(field_name)
    related = db_field.related_model
    base = set(_limited(db_field, related.objects.all()).values_list("pk", flat=True))
    if related in REGISTRY:
        model_admin = admin.site._registry[model]
        expected = _expected_registry(roles, related, role, ancestors=field_name in model_admin.ancestor_choice_fields)
        assert offered == expected & base
    else:
        assert offered <= (_visible_through_admin(related, user) or set())
        if user.is_superuser:
            assert offered == base


# --- list filters: every filter of every changelist ---------------------------------------------------------

# Filters of our own whose values are primary keys, and of which model. A new SimpleListFilter offering
# primary keys fails test_every_list_filter_offers_only_the_scope until it is added here.
PK_FILTERS = {
    estate_admin.LevelAgencyFilter: Agency,
    campaign_admin.OrganiserAgencyFilter: Agency,
    campaign_admin.CampaignFilter: Campaign,
    campaign_admin.FirmFilter: PropertyFirm,
    campaign_admin.ActionFilter: None,  # by campaign: checked through the campaigns
    campaign_admin.TaskFilter: None,
    # digits that are not primary keys
    estate_admin.OldEstateFilter: None,
    campaign_admin.FirmGradeFilter: None,
    campaign_admin.OverdueFilter: None,
    suggestion_admin.DistrictFilter: Agency,
    suggestion_admin.StreetFilter: Agency,
    suggestion_admin.OverdueFilter: None,
}


def _filter_lists(client, user):
    out = {}
    client.force_login(user)
    for model, _model_admin in _scoped_admins():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        if response.status_code != 200:
            continue
        changelist = response.context["cl"]
        for spec in changelist.filter_specs:
            key = (model.__name__, getattr(spec, "field_path", None) or spec.parameter_name)
            if isinstance(spec, RelatedFieldListFilter):
                out[key] = (spec.field.related_model, {pk for pk, _label in spec.lookup_choices})
            elif isinstance(spec, SimpleListFilter):
                kind = next((m for cls, m in PK_FILTERS.items() if isinstance(spec, cls)), False)
                values = [str(value) for value, _label in spec.lookup_choices]
                if kind is False:
                    assert not (values and all(v.isdigit() for v in values)), (
                        f"{key}: a filter by primary key: declare its model in PK_FILTERS")
                    continue
                if kind is not None:
                    out[key] = (kind, {int(v) for v in values})
    return out


@pytest.mark.parametrize("role", BUREAU_ROLES)
def test_every_list_filter_offers_only_the_scope(roles, client, role):
    user = roles.users[role]
    lists = _filter_lists(client, user)
    assert lists or role == "community"  # Django hides filters without choices
    for key, (related, offered) in lists.items():
        if related in REGISTRY:
            assert offered <= _expected_registry(roles, related, role), key
        else:
            visible = _visible_through_admin(related, user)
            if visible is not None:
                assert offered <= visible, key


@pytest.mark.parametrize(("wider", "narrower"), LADDER)
def test_a_wider_role_is_never_offered_less_in_list_filters(roles, client, wider, narrower):
    wide = _filter_lists(client, roles.users[wider])
    narrow = _filter_lists(client, roles.users[narrower])
    for key, (_related, offered) in narrow.items():
        if key in wide:
            assert offered <= wide[key][1], key


# --- changelists: a superuser sees every row -----------------------------------------------------------------

@pytest.mark.parametrize("role", ["superuser", "superuser_city"])
def test_superuser_changelists_show_every_row(roles, client, role):
    client.force_login(roles.users[role])
    for model, _model_admin in _scoped_admins():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.context["cl"].result_count == model._default_manager.count(), url


def test_superuser_lists_opens_and_edits_their_notice_texts(roles, client):
    client.force_login(roles.users["superuser_city"])
    response = client.get(reverse("admin:documents_noticetemplate_changelist"))
    assert {obj.pk for obj in response.context["cl"].result_list} == {t.pk for t in roles.texts}
    for text in roles.texts:
        assert client.get(reverse("admin:documents_noticetemplate_change", args=[text.pk])).status_code == 200


# --- every page form: model choice fields of the forms on every URL without arguments ---------------------

def _plain_urls(resolver=None, prefix=""):
    """Every URL pattern that takes no argument (the admin's and the portal's pages and forms)."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if "<" in route or "(?P" in route or "^" in route.lstrip("^"):
            continue
        if isinstance(pattern, URLResolver):
            yield from _plain_urls(pattern, route)
        elif isinstance(pattern, URLPattern):
            path = "/" + route.replace("^", "").replace("$", "").replace("\\Z", "")
            if "logout" in path or "i18n" in path or path.endswith(".xlsx") or "export" in path:
                continue
            yield path


def _page_form_lists(client, user):
    client.force_login(user)
    out = {}
    for path in sorted(set(_plain_urls())):
        response = client.get(path)
        if response.status_code != 200 or not getattr(response, "context", None):
            continue
        contexts = response.context if isinstance(response.context, list) else [response.context]
        values = {name: value for context in contexts for name, value in context.flatten().items()}
        for name, value in values.items():
            if isinstance(value, forms.BaseForm):
                for field_name, field in value.fields.items():
                    if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
                        out[(path, name, field_name)] = (field.queryset.model, _choice_ids(field))
    return out


@pytest.mark.parametrize("role", ALL_ROLES)
def test_page_forms_offer_only_the_scope(roles, client, role):
    user = roles.users[role]
    lists = _page_form_lists(client, user)
    for key, (related, offered) in lists.items():
        if related in REGISTRY:
            assert offered <= _expected_registry(roles, related, role, ancestors=True), key
        else:
            visible = _visible_through_admin(related, user)
            if visible is not None:
                assert offered <= visible, key


@pytest.mark.parametrize(("wider", "narrower"), LADDER)
def test_a_wider_role_is_never_offered_less_in_page_forms(roles, client, wider, narrower):
    wide = _page_form_lists(client, roles.users[wider])
    narrow = _page_form_lists(client, roles.users[narrower])
    assert narrow or narrower in ("street", "community")
    for key, (_related, offered) in narrow.items():
        if key in wide:
            assert offered <= wide[key][1], key


# --- the scoping module itself ------------------------------------------------------------------------------

@pytest.mark.parametrize("role", BUREAU_ROLES)
def test_everything_survives_or_and_and(roles, role):
    """Whatever a role's scope is, OR-ing another condition never narrows it, AND-ing never widens it."""
    user = roles.users[role]
    for model, links in ((Estate, scoping.ESTATE_LINKS), (PropertyFirm, scoping.FIRM_LINKS),
                         (Agency, scoping.AGENCY_LINKS)):
        scope = set(model.objects.filter(scoping.scope_q(user, **links)).values_list("pk", flat=True))
        for extra in (scoping.NOTHING, scoping.agency_ancestors_q(user), scoping.EVERYTHING):
            widened = set(model.objects.filter(scoping.scope_q(user, **links) | extra).values_list("pk", flat=True))
            narrowed = set(model.objects.filter(scoping.scope_q(user, **links) & extra).values_list("pk", flat=True))
            assert scope <= widened
            assert narrowed <= scope
    assert not Estate.objects.filter(~scoping.EVERYTHING).exists()
    assert Estate.objects.filter(scoping.EVERYTHING | scoping.NOTHING).count() == Estate.objects.count()
