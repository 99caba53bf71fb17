"""``{% crispy_cached form key %}`` (core/templatetags/portal_forms.py): the record pages' forms rendered once per
firm, registry version, initial values and language, each request with its own CSRF token; a submitted form with
errors is rendered afresh."""

import re

import pytest
from django.template import Context, Template
from django.urls import reverse

from campaigns.forms import ActivityForm
from tests import factories as f

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _render(tag, form, key="k", token="token-of-this-request"):
    template = Template("{% load crispy_forms_tags portal_forms %}" + tag)
    return template.render(Context({"form": form, "form_key": key, "csrf_token": token}))


def test_the_cached_form_is_the_crispy_form_with_this_requests_token(world):
    estates = world.firm.estates.all()
    plain = _render("{% crispy form %}", ActivityForm(estates=estates))
    first = _render("{% crispy_cached form form_key %}", ActivityForm(estates=estates), token="first")
    second = _render("{% crispy_cached form form_key %}", ActivityForm(estates=estates), token="second")
    assert CSRF.sub("", first) == CSRF.sub("", plain) == CSRF.sub("", second)
    assert CSRF.findall(first) == ["first"] and CSRF.findall(second) == ["second"]


def test_another_key_or_initial_value_is_rendered_on_its_own(world):
    estates = world.firm.estates.all()
    _render("{% crispy_cached form form_key %}", ActivityForm(estates=estates), key="a")
    other = _render("{% crispy_cached form form_key %}", ActivityForm(estates=estates.filter(pk=world.estate.pk)),
                    key="b")
    assert world.estate2.name not in other
    chosen = _render("{% crispy_cached form form_key %}",
                     ActivityForm(estates=estates, initial={"kind": "pairing"}), key="a")
    assert re.search(r'<option value="pairing" selected', chosen)


def test_a_bound_form_with_errors_is_never_cached(world):
    estates = world.firm.estates.all()
    _render("{% crispy_cached form form_key %}", ActivityForm(estates=estates))
    bound = ActivityForm({"title": ""}, estates=estates)
    assert not bound.is_valid()
    html = _render("{% crispy_cached form form_key %}", bound)
    assert "is-invalid" in html


def test_a_new_estate_shows_in_the_activity_form_at_once(client, world):
    client.force_login(world.firm_user)
    url = reverse("campaigns:activities")
    assert "新建小区" not in client.get(url).content.decode()
    f.EstateFactory(code="HS099", name="新建小区", street=world.street, firm=world.firm)
    assert "新建小区" in client.get(url).content.decode()


def test_the_page_posts_with_its_own_token(client, world):
    client = type(client)(enforce_csrf_checks=True)
    client.force_login(world.firm_user)
    url = reverse("campaigns:activities")
    client.get(url)
    html = client.get(url).content.decode()  # the second view comes from the cache
    token = CSRF.search(html).group(1)
    response = client.post(url, {"csrfmiddlewaretoken": token, "kind": "pairing", "title": ""})
    assert response.status_code == 200  # the form's own errors, not a CSRF 403


@pytest.mark.parametrize("role", ["firm_user", "district_user"])
def test_the_password_change_form_is_kept_and_its_errors_are_not(client, world, settings, role, cache_reads):
    """accounts/password_change.html: the empty form is the kept one (the same page as drawn afresh, the rules of
    the new password included); a refused change shows its errors, and the next page is empty again."""
    client.force_login(getattr(world, role))
    url = reverse("accounts:password_change")
    kept = CSRF.sub("", client.get(url).content.decode())
    assert CSRF.sub("", client.get(url).content.decode()) == kept
    assert any(isinstance(key, str) and key.startswith("crispy:accounts.forms.PortalPasswordChangeForm:")
               for _name, key in cache_reads)
    refused = client.post(url, {"old_password": "wrong", "new_password1": "a", "new_password2": "b"})
    assert refused.status_code == 200 and "is-invalid" in refused.content.decode()
    assert CSRF.sub("", client.get(url).content.decode()) == kept
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert CSRF.sub("", client.get(url).content.decode()) == kept
    assert 'name="new_password1"' in kept
