"""The inbox's empty action forms and the reply templates' form, drawn once per process and kept
(suggestions/templatetags/sugg_portal.py): the same HTML as drawn afresh, every change shown at once."""

import re

import pytest
from django.urls import reverse

from suggestions import services
from suggestions.models import ReplyTemplate
from suggestions.templatetags import sugg_portal

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def fresh():
    sugg_portal._kept_html.clear()
    yield
    sugg_portal._kept_html.clear()


@pytest.fixture
def firm(client, world):
    client.force_login(world.firm_user)
    return client


def html(response):
    assert response.status_code == 200
    return TOKEN.sub("", response.content.decode())


def drawn_afresh(client, url, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(sugg_portal, "_kept", lambda form, name: sugg_portal.render_to_string(name, {"form": form}))
        return html(client.get(url))


@pytest.mark.parametrize("with_templates", [False, True])
def test_the_kept_action_forms_are_the_forms_drawn_afresh(firm, world, entry, monkeypatch, with_templates):
    if with_templates:
        services.reply_template_save(user=world.firm_user, title="已报修", text="已通知维修班组，今天下午修好。")
    url = reverse("suggestions:inbox_detail", args=[entry.number])
    first, kept = html(firm.get(url)), html(firm.get(url))
    assert sugg_portal._kept_html
    assert first == kept == drawn_afresh(firm, url, monkeypatch)
    assert ('data-template-text="已通知维修班组，今天下午修好。"' in kept) is with_templates


def test_a_new_or_renamed_reply_template_shows_in_the_reply_form_at_once(firm, world, entry):
    url = reverse("suggestions:inbox_detail", args=[entry.number])
    assert "已报修" not in firm.get(url).content.decode()
    template = services.reply_template_save(user=world.firm_user, title="已报修", text="已通知维修班组。")
    assert "已报修" in firm.get(url).content.decode()
    services.reply_template_save(user=world.firm_user, template=template, title="已维修", text="路灯已修好。")
    page = firm.get(url).content.decode()
    assert "已维修" in page and "路灯已修好。" in page and "已报修" not in page


def test_a_refused_step_draws_its_form_with_the_errors_and_the_text(firm, world, entry):
    firm.get(reverse("suggestions:inbox_detail", args=[entry.number]))  # the empty forms kept
    response = firm.post(reverse("suggestions:inbox_close", args=[entry.number]), {"close-reason": " "})
    page = response.content.decode()
    assert "is-invalid" in page and "请填写原因。" in page


def test_the_reply_templates_form_is_the_form_drawn_afresh(firm, world, monkeypatch):
    url = reverse("suggestions:reply_templates")
    first, kept = html(firm.get(url)), html(firm.get(url))
    assert first == kept == drawn_afresh(firm, url, monkeypatch)
    response = firm.post(url, {"title": "", "text": "x"})
    assert "is-invalid" in response.content.decode() and not ReplyTemplate.objects.exists()


# --- the posters page's table of the firm's estates (a cached fragment under the registry version) ---------------

def test_the_posters_table_is_kept_and_shows_a_renamed_or_new_estate_at_once(firm, world):
    from tests import factories as f

    url = reverse("suggestions:posters")
    first = html(firm.get(url))
    assert "月湖花园" in first and "南门小区" in first and "孔浦新村" not in first  # another firm's estate
    assert html(firm.get(url)) == first
    world.estate.name = "月湖花园二期"
    world.estate.save()
    assert "月湖花园二期" in firm.get(url).content.decode()
    f.EstateFactory(code="HS009", name="新建小区", street=world.street, firm=world.firm)
    assert "新建小区" in firm.get(url).content.decode()
    token = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', firm.get(url).content.decode())
    assert token and "placeholder" not in token[0]
