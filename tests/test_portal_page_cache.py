"""The firm portal's pages whose forms or tables are cached as rendered HTML (core/templatetags/portal_forms.py
``crispy_cached`` and ``cached_fragment``): the same HTML as a fresh rendering but this request's CSRF token, any
change of what they show at once, a submitted form with its errors rendered afresh, nothing of one firm shown to
another."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import Campaign
from estates.models import Estate, PropertyFirm
from tests import factories as f
from tests.campaign_factories import CampaignFactory
from tests.page_html import table_row

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DOCUMENTS = reverse("documents:portal")
FIRM_EDIT = reverse("portal:firm_edit")


def _estate_edit(code):
    return reverse("portal:estate_edit", args=[code])


@pytest.fixture
def firm_client(client, world):
    client.force_login(world.firm_user)
    return client


def _without_tokens(html):
    return CSRF.sub("", html)


def _fresh_and_cached(client, url):
    cache.clear()
    fresh = client.get(url).content.decode()
    cached = client.get(url).content.decode()
    return fresh, cached


@pytest.mark.parametrize("url", [DOCUMENTS, FIRM_EDIT, _estate_edit("HS001")])
def test_a_cached_page_is_the_fresh_page_with_its_own_token(firm_client, world, url):
    fresh, cached = _fresh_and_cached(firm_client, url)
    assert _without_tokens(fresh) == _without_tokens(cached)
    other = type(firm_client)()
    other.force_login(world.firm_user)
    again = other.get(url).content.decode()
    token = other.cookies["csrftoken"].value
    assert _without_tokens(again) == _without_tokens(fresh)
    assert CSRF.findall(again) and all(t == token or len(t) == 64 for t in CSRF.findall(again))
    assert CSRF.findall(again) != CSRF.findall(cached)


# --- documents (the print page) -----------------------------------------------------------------------------

def test_print_page_reads_no_estate_when_cached(firm_client, world):
    firm_client.get(DOCUMENTS)
    with CaptureQueriesContext(connection) as ctx:
        assert firm_client.get(DOCUMENTS).status_code == 200
    assert not [q for q in ctx.captured_queries if 'FROM "estates_estate"' in q["sql"]]


def test_print_page_shows_a_new_or_renamed_estate_and_a_new_phone_at_once(firm_client, world):
    assert "新建小区" not in firm_client.get(DOCUMENTS).content.decode()
    f.EstateFactory(code="HS099", name="新建小区", street=world.street, firm=world.firm)
    world.estate.name = "月湖花园（改名）"
    world.estate.save()
    world.firm.hotline = "0574-80001111"
    world.firm.save()
    html = firm_client.get(DOCUMENTS).content.decode()
    assert "新建小区" in html and "月湖花园（改名）" in html
    assert "0574-80001111" in html  # HS002 has no own hotline: the firm's


def test_print_page_shows_a_new_renamed_or_closed_campaign_at_once(firm_client, world):
    assert "新的创建活动" not in firm_client.get(DOCUMENTS).content.decode()
    campaign = CampaignFactory(issuing_agency=world.city, name="新的创建活动", status=Campaign.Status.PUBLISHED)
    html = firm_client.get(DOCUMENTS).content.decode()
    assert "新的创建活动" in html and f"?campaign={campaign.pk}" in html
    Campaign.objects.filter(pk=campaign.pk).update(name="改名的创建活动", status=Campaign.Status.CLOSED)
    html = firm_client.get(DOCUMENTS).content.decode()
    assert "改名的创建活动" in html and "新的创建活动" not in html
    assert "改名的创建活动（已结束）" in html


def test_print_page_of_another_firm_never_shows_the_first_firms_estates(client, world):
    client.force_login(world.firm_user)
    assert "月湖花园" in client.get(DOCUMENTS).content.decode()
    client.force_login(world.other_firm_user)
    html = client.get(DOCUMENTS).content.decode()
    assert "月湖花园" not in html and "孔浦新村" in html


def test_print_page_shows_the_errors_of_a_submitted_form(firm_client, world):
    firm_client.get(DOCUMENTS)
    html = firm_client.post(DOCUMENTS, {"kinds": []}).content.decode()
    assert 'class="text-danger small"' in html


def test_print_page_in_another_language_is_rendered_on_its_own(firm_client, world):
    chinese = firm_client.get(DOCUMENTS).content.decode()
    assert "逐个小区打印" in chinese
    firm_client.cookies["django_language"] = "en"
    english = firm_client.get(DOCUMENTS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "逐个小区打印" not in english


# --- the firm's contacts and an estate's phones ---------------------------------------------------------------

def test_firm_form_shows_saved_contacts_at_once(firm_client, world):
    assert "0574-80002222" not in firm_client.get(FIRM_EDIT).content.decode()
    world.firm.contact_phone = "0574-80002222"
    world.firm.save()
    assert 'value="0574-80002222"' in firm_client.get(FIRM_EDIT).content.decode()
    # Even a write that renews no version (a queryset update): the form's values are part of its key.
    PropertyFirm.objects.filter(pk=world.firm.pk).update(contact_person="新联系人")
    assert 'value="新联系人"' in firm_client.get(FIRM_EDIT).content.decode()


def test_estate_form_shows_its_phones_and_the_firms_fallback_at_once(firm_client, world):
    url = _estate_edit("HS001")
    firm_client.get(url)
    Estate.objects.filter(pk=world.estate.pk).update(hotline="0574-80003333")
    assert 'value="0574-80003333"' in firm_client.get(url).content.decode()
    PropertyFirm.objects.filter(pk=world.firm.pk).update(complaint_phone="0574-80004444")
    html = firm_client.get(url).content.decode()
    assert 'placeholder="0574-80004444"' in html and "0574-80004444" in html.split("complaint_phone")[-1]


def test_estate_form_of_another_estate_is_its_own(firm_client, world):
    Estate.objects.filter(pk=world.estate2.pk).update(hotline="0574-80005555")
    assert "0574-80005555" not in firm_client.get(_estate_edit("HS001")).content.decode()
    assert 'value="0574-80005555"' in firm_client.get(_estate_edit("HS002")).content.decode()


def test_contact_forms_with_errors_are_rendered_afresh(firm_client, world):
    firm_client.get(FIRM_EDIT)
    firm_client.get(_estate_edit("HS001"))
    html = firm_client.post(FIRM_EDIT, {"hotline": "热线", "complaint_phone": "", "contact_person": "张三",
                                        "contact_phone": "", "email": "x", "address": ""}).content.decode()
    assert "is-invalid" in html and 'value="热线"' in html
    html = firm_client.post(_estate_edit("HS001"), {"hotline": "8765-abc", "complaint_phone": ""}).content.decode()
    assert "is-invalid" in html and 'value="8765-abc"' in html


# --- a record's correction and withdrawal pages ---------------------------------------------------------------

def test_record_edit_forms_show_the_records_values_at_once(firm_client, world):
    import datetime

    from campaigns import services
    from campaigns.models import Activity, Training
    from tests.campaign_ui_fixtures import real_photo

    day = datetime.date(2011, 9, 1)
    training = services.training_record(user=world.firm_user, date=day, topic="客户服务礼仪", attendee_count=20,
                                        photos=[real_photo()])
    activity = services.activity_record(user=world.firm_user, kind=Activity.Kind.CONVENIENCE, date=day,
                                        title="便民义务维修", estate=world.estate, participant_count=10)
    url = reverse("campaigns:training_edit", args=[training.pk])
    html = firm_client.get(url).content.decode()
    assert 'value="客户服务礼仪"' in html and "已有 1 张照片" in html and "保存更正" in html
    # The list's registration form (same class and key, another button) is not the correction form.
    assert "保存更正" not in firm_client.get(reverse("campaigns:trainings")).content.decode()
    Training.objects.filter(pk=training.pk).update(topic="消防安全培训")
    assert 'value="消防安全培训"' in firm_client.get(url).content.decode()
    url = reverse("campaigns:activity_edit", args=[activity.pk])
    assert re.search(rf'<option value="{world.estate.pk}" selected', firm_client.get(url).content.decode())
    Activity.objects.filter(pk=activity.pk).update(estate=world.estate2, title="结对帮困")
    html = firm_client.get(url).content.decode()
    assert re.search(rf'<option value="{world.estate2.pk}" selected', html) and 'value="结对帮困"' in html
    withdraw = firm_client.get(reverse("campaigns:training_withdraw", args=[training.pk])).content.decode()
    assert "1 张照片" in withdraw and "消防安全培训" in withdraw


# --- coordinators -----------------------------------------------------------------------------------------------

COORDINATORS = reverse("campaigns:coordinators")


def _roster_row(html, code):
    return table_row(html, "data-estate", code)


def test_roster_reads_no_estate_and_no_coordinator_when_cached(firm_client, world):
    firm_client.get(COORDINATORS)
    with CaptureQueriesContext(connection) as ctx:
        assert firm_client.get(COORDINATORS).status_code == 200
    assert not [q for q in ctx.captured_queries
                if 'FROM "estates_estate"' in q["sql"] or 'FROM "estates_coordinator"' in q["sql"]]


def test_roster_shows_a_filed_edited_or_deleted_coordinator_at_once(firm_client, world):
    import datetime

    from campaigns import services

    assert "未备案" in _roster_row(firm_client.get(COORDINATORS).content.decode(), "HS001")
    coordinator = services.coordinator_file(user=world.firm_user, estate=world.estate, name="李协调",
                                            phone="13800000001", appointed_on=datetime.date(2011, 8, 1))
    assert "李协调" in _roster_row(firm_client.get(COORDINATORS).content.decode(), "HS001")
    coordinator.phone = "13800000002"
    coordinator.save()  # as the admin saves it
    assert "13800000002" in _roster_row(firm_client.get(COORDINATORS).content.decode(), "HS001")
    coordinator.delete()
    assert "未备案" in _roster_row(firm_client.get(COORDINATORS).content.decode(), "HS001")


def test_roster_shows_coordinators_inserted_in_bulk_once_roster_changed_is_called(firm_client, world):
    """The demo inserts coordinators past their save(): estates.services.roster_changed() renews the version."""
    import datetime

    from estates import services as estate_services
    from estates.models import Coordinator

    assert "未备案" in _roster_row(firm_client.get(COORDINATORS).content.decode(), "HS001")
    Coordinator.objects.bulk_create([Coordinator(estate=world.estate, name="王批量", phone="13800000009",
                                                 appointed_on=datetime.date(2011, 8, 1))])
    assert "未备案" in _roster_row(firm_client.get(COORDINATORS).content.decode(), "HS001")  # kept: no signal
    estate_services.roster_changed()
    assert "王批量" in _roster_row(firm_client.get(COORDINATORS).content.decode(), "HS001")


def test_roster_shows_a_new_or_renamed_estate_at_once(firm_client, world):
    firm_client.get(COORDINATORS)
    f.EstateFactory(code="HS099", name="新建小区", street=world.street, firm=world.firm)
    world.estate2.name = "南门小区（改名）"
    world.estate2.save()
    html = firm_client.get(COORDINATORS).content.decode()
    assert "新建小区" in _roster_row(html, "HS099") and "南门小区（改名）" in _roster_row(html, "HS002")


def test_roster_of_another_firm_and_another_page_are_their_own(client, world):
    for i in range(55):
        f.EstateFactory(code=f"HSP{i:02d}", street=world.street, firm=world.firm)
    client.force_login(world.firm_user)
    first = client.get(COORDINATORS).content.decode()
    second = client.get(COORDINATORS, {"page": 2}).content.decode()
    assert 'data-estate="HS001"' in first and 'data-estate="HS001"' not in second
    assert "第 2 / 2 页" in second
    client.force_login(world.other_firm_user)
    html = client.get(COORDINATORS).content.decode()
    assert 'data-estate="HS001"' not in html and 'data-estate="JB001"' in html


def test_roster_page_with_a_refused_filing_shows_its_errors_and_the_roster(firm_client, world):
    firm_client.get(COORDINATORS)
    html = firm_client.post(COORDINATORS, {"estate": world.estate.pk, "name": "", "phone": "x",
                                           "appointed_on": ""}).content.decode()
    assert "is-invalid" in html and 'data-estate="HS001"' in html


# --- notifications --------------------------------------------------------------------------------------------

NOTIFICATIONS = reverse("notifications:list")


def test_notification_list_reads_no_notification_when_cached(firm_client, world):
    from notifications.models import Notification

    Notification.objects.create(user=world.firm_user, title="提醒一", body="正文")
    firm_client.get(NOTIFICATIONS)
    with CaptureQueriesContext(connection) as ctx:
        assert "提醒一" in firm_client.get(NOTIFICATIONS).content.decode()
    assert not [q for q in ctx.captured_queries if "notifications_notification" in q["sql"]]


def test_notification_list_follows_every_writer_at_once(firm_client, world):
    from notifications import services
    from notifications.channels import Message
    from notifications.models import Notification

    assert "暂无通知。" in firm_client.get(NOTIFICATIONS).content.decode()
    first = Notification.objects.create(user=world.firm_user, title="提醒一", body="正文")
    html = firm_client.get(NOTIFICATIONS).content.decode()
    assert "提醒一" in html and "(1)" in html
    services.notify(users=[world.firm_user], message=Message(category="reminder", subject="到期提醒二", text="正文",
                                                             summary="正文", link="/portal/"))
    assert "到期提醒二" in firm_client.get(NOTIFICATIONS).content.decode()
    services.notification_mark_read(notification=first)
    assert "提醒一" not in firm_client.get(NOTIFICATIONS, {"unread": "1"}).content.decode()
    services.notification_mark_all_read(user=world.firm_user)
    html = firm_client.get(NOTIFICATIONS).content.decode()
    assert "list-group-item-warning" not in html and "全部标为已读" not in html
    first.delete()
    assert "提醒一" not in firm_client.get(NOTIFICATIONS).content.decode()


def test_notification_list_of_another_user_or_address_is_its_own(client, world):
    from notifications.models import Notification

    Notification.objects.create(user=world.firm_user, title="只给月湖", body="正文")
    client.force_login(world.firm_user)
    html = client.get(NOTIFICATIONS, {"page": "1"}).content.decode()
    assert 'name="next" value="/notifications/?page=1"' in html
    assert 'name="next" value="/notifications/?unread=1"' in client.get(NOTIFICATIONS, {"unread": "1"}).content.decode()
    client.force_login(world.other_firm_user)
    assert "只给月湖" not in client.get(NOTIFICATIONS, {"page": "1"}).content.decode()


# --- accounts: settings and the firm's accounts -----------------------------------------------------------------

def test_settings_form_shows_the_users_values_at_once_and_errors_afresh(firm_client, world):
    from accounts.models import User

    url = reverse("accounts:settings")
    firm_client.get(url)
    User.objects.filter(pk=world.firm_user.pk).update(phone="13800000009", email_notifications=False)
    html = firm_client.get(url).content.decode()
    assert 'value="13800000009"' in html and not re.search(r'name="email_notifications"[^>]*checked', html)
    other = type(firm_client)()
    other.force_login(world.other_firm_user)
    assert "13800000009" not in other.get(url).content.decode()
    html = firm_client.post(url, {"last_name": "", "first_name": "", "email": "not-an-address",
                                  "phone": ""}).content.decode()
    assert "is-invalid" in html and 'value="not-an-address"' in html


def test_firm_users_invite_form_with_errors_is_rendered_afresh(client, world):
    from accounts.models import User

    User.objects.filter(pk=world.firm_user.pk).update(role=User.Role.MANAGER)
    client.force_login(world.firm_user)
    url = reverse("accounts:firm_users")
    fresh, cached = _fresh_and_cached(client, url)
    assert _without_tokens(fresh) == _without_tokens(cached)
    html = client.post(url, {"username": "", "email": "x"}).content.decode()
    assert "is-invalid" in html and 'value="x"' in html
