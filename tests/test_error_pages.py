"""The error pages: the portal's look, the user's language, mobile first, a way back; the same
"not found" page under DEBUG (make run) as in production; 500 without a request or the database."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory, override_settings
from django.urls import include, path
from django.utils import translation
from django.views import defaults

VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


def _is_portal_page(html):
    return VIEWPORT in html and "public-header" in html and "data-way-back" in html and 'href="/"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_a_stale_estate_code_gets_the_portal_404_in_chinese_in_every_mode(client, settings, debug):
    settings.DEBUG = debug
    response = client.get("/e/NOSUCHCODE/")
    html = response.content.decode()
    assert response.status_code == 404
    assert _is_portal_page(html), html[:500]
    assert "二维码可能已过期" in html and "返回首页" in html


@pytest.mark.django_db
def test_the_404_page_is_in_english_for_an_english_user(client):
    with translation.override("en"):
        client.cookies.load({"django_language": "en"})
        response = client.get("/e/NOSUCHCODE/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 404 and 'lang="en"' in html
    assert _is_portal_page(html)


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_another_firms_object_gets_the_portal_404_in_the_portal_too(client, world, settings, debug):
    from django.urls import reverse

    settings.DEBUG = debug
    client.force_login(world.firm_user)
    response = client.get(reverse("portal:estate_edit", args=[world.other_estate.code]))
    assert response.status_code == 404 and _is_portal_page(response.content.decode())


def _raise_permission_denied(request):
    raise PermissionDenied


def _raise_error(request):
    raise RuntimeError("boom")


urlpatterns = [path("denied/", _raise_permission_denied), path("boom/", _raise_error),
               path("i18n/", include("django.conf.urls.i18n"))]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_403_and_500_are_portal_pages(client):
    denied = client.get("/denied/")
    assert denied.status_code == 403 and _is_portal_page(denied.content.decode())
    client.raise_request_exception = False
    boom = client.get("/boom/")
    assert boom.status_code == 500 and _is_portal_page(boom.content.decode())
    assert "系统暂时出错了" in boom.content.decode()


@pytest.mark.parametrize("view", [defaults.bad_request, defaults.permission_denied, defaults.page_not_found])
@pytest.mark.django_db
def test_400_403_404_render_the_portal_page(view, rf):
    request = rf.get("/somewhere/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = view(request, Exception("x"))
    assert _is_portal_page(response.content.decode())


def test_500_renders_without_a_request_context_or_the_database():
    # Django renders 500.html with no context at all: no request, no context processors. And the
    # database may be what failed, so the page must not query it: this test has no database access
    # (pytest-django raises on any query).
    response = defaults.server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500 and _is_portal_page(html)
    assert "系统暂时出错了" in html


@pytest.mark.django_db
def test_a_csrf_failure_explains_itself_on_a_portal_page(client, world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.firm_user)
    response = strict.post("/portal/firm/", {"name": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert _is_portal_page(html) and "页面已过期" in html
