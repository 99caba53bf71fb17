"""The firm's reply templates kept in the cache (suggestions/selectors/inbox.py ``reply_template_list``): the entry's
page reads no query for them when warm, and every save or delete of a template shows at once, firms apart."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from suggestions import services
from suggestions.models import ReplyTemplate
from suggestions.selectors import inbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm(client, world):
    client.force_login(world.firm_user)
    return client


def choices(client, entry):
    response = client.get(reverse("suggestions:inbox_detail", args=[entry.number]))
    assert response.status_code == 200
    field = response.context["forms"]["reply"].fields.get("template")  # no templates: no choice at all
    return field.choices[1:] if field is not None else []


def test_the_kept_list_is_the_querysets(world):
    services.reply_template_save(user=world.firm_user, title="乙", text="第二段。")
    services.reply_template_save(user=world.firm_user, title="甲", text="第一段。")
    ReplyTemplate.objects.create(firm=world.other_firm, title="别家", text="别家的模板。")
    expected = [(t.pk, t.firm_id, t.title, t.text) for t in inbox.reply_templates(user=world.firm_user)]
    for _ in range(2):
        kept = inbox.reply_template_list(user=world.firm_user)
        assert [(t.pk, t.firm_id, t.title, t.text) for t in kept] == expected and len(expected) == 2
        assert all(not t._state.adding for t in kept)
    assert [t.title for t in inbox.reply_template_list(user=world.other_firm_user)] == ["别家"]


def test_a_warm_entry_page_reads_no_template(firm, world, entry):
    services.reply_template_save(user=world.firm_user, title="已报修", text="已通知维修班组。")
    choices(firm, entry)
    with CaptureQueriesContext(connection) as ctx:
        assert [title for _pk, title in choices(firm, entry)] == ["已报修"]
    assert not any("suggestions_replytemplate" in q["sql"] for q in ctx.captured_queries)


def test_a_new_renamed_or_deleted_template_shows_at_once(firm, world, entry):
    assert choices(firm, entry) == []
    template = services.reply_template_save(user=world.firm_user, title="已报修", text="已通知维修班组。")
    assert choices(firm, entry) == [(str(template.pk), "已报修")]
    services.reply_template_save(user=world.firm_user, template=template, title="已维修", text="路灯已修好。")
    assert choices(firm, entry) == [(str(template.pk), "已维修")]
    assert 'data-template-text="路灯已修好。"' in firm.get(
        reverse("suggestions:inbox_detail", args=[entry.number])).content.decode()
    template.title = "管理后台改名"
    template.save()  # the admin's save, not the service's
    assert choices(firm, entry) == [(str(template.pk), "管理后台改名")]
    services.reply_template_delete(user=world.firm_user, template=template)
    assert choices(firm, entry) == []


def test_another_firms_template_changes_nothing_here(firm, world, entry):
    services.reply_template_save(user=world.firm_user, title="已报修", text="已通知维修班组。")
    before = choices(firm, entry)
    ReplyTemplate.objects.create(firm=world.other_firm, title="别家", text="别家的模板。")
    assert choices(firm, entry) == before


def test_the_fill_button_takes_the_kept_templates_text(firm, world, entry):
    template = services.reply_template_save(user=world.firm_user, title="已报修", text="已通知维修班组。")
    choices(firm, entry)
    response = firm.post(reverse("suggestions:inbox_reply", args=[entry.number]),
                         {"template": str(template.pk), "text": "", "fill": "1"})
    assert response.status_code == 200
    assert response.context["forms"]["reply"].initial["text"] == "已通知维修班组。"
