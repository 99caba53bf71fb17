"""The firm's inbox in the portal: the list, one entry, its steps, photos and the reply templates."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboxMessage
from suggestions import messaging, services
from suggestions.models import ReplyTemplate, Suggestion, SuggestionEvent
from tests.campaign_ui_fixtures import jpeg_bytes
from tests.suggestions.conftest import at

pytestmark = pytest.mark.django_db
State = Suggestion.State


def photo(name="lamp.jpg"):
    return SimpleUploadedFile(name, jpeg_bytes(), content_type="image/jpeg")


def detail(entry):
    return reverse("suggestions:inbox_detail", args=[entry.number])


def step(name, entry):
    return reverse(f"suggestions:inbox_{name}", args=[entry.number])


@pytest.fixture
def firm(client, world):
    client.force_login(world.firm_user)
    return client


# --- who reaches it --------------------------------------------------------------------------------

def test_the_list_shows_the_firms_entries_and_not_another_firms(firm, world, submit):
    mine = submit()
    theirs = submit(estate=world.other_estate)
    page = firm.get(reverse("suggestions:inbox")).content.decode()
    assert f'data-entry="{mine.number}"' in page
    assert theirs.number not in page


def test_bureau_staff_are_sent_home_and_anonymous_users_to_the_login(client, world, entry):
    for url in (reverse("suggestions:inbox"), detail(entry), reverse("suggestions:reply_templates")):
        client.force_login(world.district_user)
        assert client.get(url).url == reverse("home")
        client.logout()
        assert reverse("accounts:login") in client.get(url).url


def test_the_handler_reads_the_full_mobile_and_the_original_text(firm, world, entry):
    services.suggestion_redact(suggestion=entry, user=world.district_user, text="小区东门的路灯坏了（已隐去）。")
    page = firm.get(detail(entry)).content.decode()
    assert "13800138000" in page and "138****8000" not in page
    assert "小区东门的路灯坏了三天" in page and "已隐去" not in page
    assert "王阿姨" in page


def test_another_firms_user_gets_404_for_the_entry_its_photos_and_every_step(client, world, submit):
    entry = submit(photos=[_prepared()])
    client.force_login(world.other_firm_user)
    assert client.get(detail(entry)).status_code == 404
    photo_id = entry.photos.get().pk
    assert client.get(reverse("suggestions:inbox_photo", args=[entry.number, photo_id])).status_code == 404
    for name, data in [("acknowledge", {}), ("start", {}), ("reply", {"text": "我们马上处理。"}),
                       ("resolve", {"resolve-text": "已修好。"}), ("close", {"close-reason": "不属于范围。"}),
                       ("refer", {"refer-reason": "属于供电部门。"})]:
        assert client.post(step(name, entry), data).status_code == 404, name
    entry.refresh_from_db()
    assert entry.state == State.NEW and entry.events.count() == 1


def test_an_unknown_number_is_404(firm):
    assert firm.get(reverse("suggestions:inbox_detail", args=["YJ00000000000"])).status_code == 404


# --- the list: filters, order, deadlines, query count -----------------------------------------------

def test_filters_by_estate_state_category_overdue_date_and_number(firm, world, submit):
    old = submit(received=at(datetime.date(2026, 11, 2)))
    other_estate = submit(estate=world.estate2, category="environment", text="垃圾桶满了没有人来清理，很臭。")
    acknowledged = services.suggestion_acknowledge(suggestion=submit(), user=world.firm_user)

    def rows(**params):
        page = firm.get(reverse("suggestions:inbox"), params).content.decode()
        return {n for n in (old.number, other_estate.number, acknowledged.number) if f'data-entry="{n}"' in page}

    assert rows() == {old.number, other_estate.number, acknowledged.number}
    assert rows(estate="HS002") == {other_estate.number}
    assert rows(state="acknowledged") == {acknowledged.number}
    assert rows(category="environment") == {other_estate.number}
    assert rows(overdue="on") == {old.number}
    assert rows(date_to="2026-11-30") == {old.number}
    assert rows(date_from="2026-11-30") == {other_estate.number, acknowledged.number}
    assert rows(q=old.number.lower()) == {old.number}
    assert rows(q="垃圾桶") == {other_estate.number}


def test_bad_filter_values_are_errors_of_their_field_and_the_rest_still_applies(firm, submit):
    entry = submit()
    response = firm.get(reverse("suggestions:inbox"), {"state": "<script>", "estate": "JB001", "date_from": "x",
                                                       "date_to": "2026-01-01", "order": "nope"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="error-state"' in page and 'id="error-estate"' in page and 'id="error-date_from"' in page
    assert f'data-entry="{entry.number}"' not in page  # date_to still applies


def test_newest_first_or_by_deadline(firm, submit):
    first = submit(received=at(datetime.date(2026, 11, 30)))
    later = submit(received=at(datetime.date(2026, 12, 1)))
    recent = firm.get(reverse("suggestions:inbox")).content.decode()
    assert recent.index(later.number) < recent.index(first.number)
    due = firm.get(reverse("suggestions:inbox"), {"order": "due"}).content.decode()
    assert due.index(first.number) < due.index(later.number)


def test_deadlines_show_working_days_left_or_overdue(firm, submit, settings):
    today = timezone.localdate()
    fresh = submit()
    late = submit(received=at(today - datetime.timedelta(days=20)))
    page = firm.get(reverse("suggestions:inbox")).content.decode()
    fresh_row = page[page.index(f'data-entry="{fresh.number}"'):]
    assert "data-days-left=" in fresh_row[:fresh_row.index("</tr>")]
    late_row = page[page.index(f'data-entry="{late.number}"'):]
    assert "data-overdue=" in late_row[:late_row.index("</tr>")] and "data-late" in late_row[:80]


def _list_queries(client):
    client.get(reverse("suggestions:inbox"))  # warm the session and content types
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("suggestions:inbox"), {"order": "due"})
    assert response.status_code == 200
    return len(ctx), response.content.decode().count("data-entry=")


def test_the_list_runs_the_same_queries_for_2_and_40_entries(firm, world, submit):
    for _i in range(2):
        submit()
    small, rows_small = _list_queries(firm)
    for i in range(38):
        submit(estate=world.estate2 if i % 2 else world.estate, received=at(datetime.date(2026, 11, 1 + i % 28)))
    large, rows_large = _list_queries(firm)
    assert (rows_small, rows_large) == (2, 30)  # a full page
    assert small == large


def test_the_detail_runs_the_same_queries_for_a_short_and_a_long_history(firm, world, submit):
    entry = submit(photos=[_prepared()])
    firm.get(detail(entry))
    with CaptureQueriesContext(connection) as short:
        firm.get(detail(entry))
    for i in range(5):  # the entry stays unanswered: its deadline is still shown (one calendar query)
        services.suggestion_follow_up(suggestion=entry, text=f"第 {i} 次补充：还是没有修。", photos=[_prepared()])
    ReplyTemplate.objects.create(firm=world.firm, title="路灯", text="已安排电工维修。")
    firm.get(detail(entry))  # the firm's templates are read once after a change, then kept (reply_template_list)
    with CaptureQueriesContext(connection) as long:
        page = firm.get(detail(entry)).content.decode()
    assert page.count('data-event="follow_up"') == 5 and page.count("suggestion-thumb") == 6
    assert len(long) == len(short), [q["sql"] for q in long.captured_queries]


def test_the_navigation_shows_the_entries_waiting(firm, world, submit):
    submit()
    submit()
    services.suggestion_acknowledge(suggestion=submit(), user=world.firm_user)
    page = firm.get(reverse("portal:dashboard")).content.decode()
    nav = page[page.index('href="/portal/suggestions/"'):]
    assert "data-nav-badge" in nav[:300] and ">2</span>" in nav[:300]


# --- the steps ------------------------------------------------------------------------------------

def _prepared():
    from suggestions import photos

    return photos.prepare(photo())


def test_acknowledge_start_reply_with_photo_and_resolve(firm, world, entry):
    response = firm.post(step("acknowledge", entry), follow=True)
    assert response.redirect_chain[-1][0] == detail(entry)
    assert "已受理" in response.content.decode()
    response = firm.post(step("start", entry), follow=True)
    assert "已开始办理" in response.content.decode()
    response = firm.post(step("reply", entry), {"text": "已安排电工今天下午维修。", "photos": [photo()]}, follow=True)
    page = response.content.decode()
    assert "答复已发送" in page and "已安排电工今天下午维修。" in page
    reply = entry.events.get(kind=SuggestionEvent.Kind.REPLY)
    assert reply.photos.count() == 1 and reply.by_user == world.firm_user
    assert reverse("suggestions:inbox_photo_thumb", args=[entry.number, reply.photos.get().pk]) in page
    response = firm.post(step("resolve", entry), {"resolve-text": "路灯已修好。"}, follow=True)
    assert "已办结" in response.content.decode()
    entry.refresh_from_db()
    assert entry.state == State.RESOLVED and entry.answered_on_time
    assert 'data-action-form' not in response.content.decode()  # nothing left to do


def test_a_reply_without_text_shows_the_error_next_to_the_field(firm, entry):
    response = firm.post(step("reply", entry), {"text": " "})
    page = response.content.decode()
    assert response.status_code == 200
    assert "请填写答复内容" in page
    assert entry.events.count() == 1


def test_a_refused_reply_keeps_the_typed_text(firm, entry):
    response = firm.post(step("reply", entry), {"text": "好", "photos": [photo(), photo(), photo(), photo()]})
    page = response.content.decode()
    assert "最多上传 3 张照片" in page and "好</textarea>" in page


def test_closing_or_referring_needs_a_reason(firm, world, entry):
    page = firm.post(step("close", entry), {"close-reason": ""}).content.decode()
    assert "请填写原因" in page and "<details open" in page
    response = firm.post(step("refer", entry), {"refer-reason": "属于供电部门管理的路灯。"}, follow=True)
    assert "已转区主管部门" in response.content.decode()
    entry.refresh_from_db()
    assert entry.state == State.REFERRED and entry.close_reason == "属于供电部门管理的路灯。"
    assert OutboxMessage.objects.filter(kind=messaging.REFERRED, agency=world.district).exists()


def test_a_step_the_state_does_not_allow_says_so(firm, world, entry):
    services.suggestion_acknowledge(suggestion=entry, user=world.firm_user)
    response = firm.post(step("acknowledge", entry), follow=True)
    assert "不能进行此操作" in response.content.decode()


def test_a_get_of_a_step_goes_back_to_the_entry(firm, entry):
    assert firm.get(step("resolve", entry)).url == detail(entry)


def test_the_reply_form_offers_the_templates_and_fills_one_without_javascript(firm, world, entry):
    template = ReplyTemplate.objects.create(firm=world.firm, title="路灯维修", text="已通知电工，今天内修好。")
    ReplyTemplate.objects.create(firm=world.other_firm, title="别家的模板", text="别家")
    page = firm.get(detail(entry)).content.decode()
    assert 'data-template-text="已通知电工，今天内修好。"' in page and "别家的模板" not in page
    response = firm.post(step("reply", entry), {"template": template.pk, "text": "", "fill": "1"})
    assert "已通知电工，今天内修好。</textarea>" in response.content.decode()
    assert entry.events.count() == 1  # nothing sent


# --- photos ---------------------------------------------------------------------------------------

def test_the_handler_opens_the_photo_and_its_thumbnail_never_a_media_url(firm, submit, settings):
    entry = submit(photos=[_prepared()])
    page = firm.get(detail(entry)).content.decode()
    assert settings.MEDIA_URL not in page
    pk = entry.photos.get().pk
    for name in ("inbox_photo", "inbox_photo_thumb"):
        response = firm.get(reverse(f"suggestions:{name}", args=[entry.number, pk]))
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_a_photo_of_another_entry_is_404_under_this_one(firm, submit):
    entry, other = submit(), submit(photos=[_prepared()])
    assert firm.get(reverse("suggestions:inbox_photo", args=[entry.number, other.photos.get().pk])).status_code == 404


# --- reply templates ------------------------------------------------------------------------------

def test_reply_templates_are_added_changed_and_deleted(firm, world):
    url = reverse("suggestions:reply_templates")
    response = firm.post(url, {"title": "路灯维修", "text": "已通知电工维修。"}, follow=True)
    assert "答复模板已添加" in response.content.decode()
    template = ReplyTemplate.objects.get(firm=world.firm)
    page = firm.post(url, {"title": "路灯维修", "text": "另一段。"}).content.decode()
    assert "已有同名的答复模板" in page and "另一段。" in page
    edit = reverse("suggestions:reply_template_edit", args=[template.pk])
    firm.post(edit, {"title": "路灯", "text": "电工今天到。"})
    template.refresh_from_db()
    assert (template.title, template.text) == ("路灯", "电工今天到。")
    delete = reverse("suggestions:reply_template_delete", args=[template.pk])
    assert "确定删除" in firm.get(delete).content.decode()
    firm.post(delete)
    assert not ReplyTemplate.objects.exists()


def test_another_firms_template_is_404(firm, world):
    theirs = ReplyTemplate.objects.create(firm=world.other_firm, title="别家", text="别家的答复。")
    for name in ("reply_template_edit", "reply_template_delete"):
        assert firm.get(reverse(f"suggestions:{name}", args=[theirs.pk])).status_code == 404
        assert firm.post(reverse(f"suggestions:{name}", args=[theirs.pk]),
                         {"title": "x", "text": "改掉别家的"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.title == "别家"


# --- notifications --------------------------------------------------------------------------------

def test_the_resident_update_without_an_sms_channel_is_logged_no_recipient_not_failed(world, entry, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from notifications import outbox

    outbox.dispatch(OutboxMessage)
    row = OutboxMessage.objects.get(kind=messaging.RESIDENT_UPDATE)
    assert row.state == OutboxMessage.State.NO_RECIPIENT
    assert "sms" in row.last_error and row.get_state_display() == "无接收人"


def test_the_firm_hears_of_a_new_entry_with_its_deadlines_and_a_link(world, entry, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail

    from notifications import outbox
    from notifications.models import Notification

    outbox.dispatch(OutboxMessage)
    note = Notification.objects.get(user=world.firm_user)
    assert entry.number in note.title and "月湖花园" in note.title
    assert note.link.endswith(detail(entry))
    assert any(entry.number in m.subject and detail(entry) in m.body for m in mail.outbox)
