"""The firm portal: dashboard, contact data, estate service phones, base template and login."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from estates.models import Estate
from tests import factories as f

DASHBOARD = reverse("portal:dashboard")
FIRM_EDIT = reverse("portal:firm_edit")


def _estate_edit(code):
    return reverse("portal:estate_edit", args=[code])


@pytest.fixture
def firm_client(client, world):
    client.force_login(world.firm_user)
    return client


# --- dashboard ------------------------------------------------------------------------------------------------

def test_dashboard_shows_the_firm_and_its_figures(firm_client, world):
    response = firm_client.get(DASHBOARD)
    assert response.context["firm"] == world.firm
    assert response.context["stats"] == {"estates": 2, "households": 1000, "old": 1, "with_committee": 0}
    html = response.content.decode()
    assert "月湖物业" in html and "一级资质" in html and world.firm.credit_code in html


def test_dashboard_lists_each_estate_with_a_link_to_edit_its_phones(firm_client, world):
    html = firm_client.get(DASHBOARD).content.decode()
    for code in ("HS001", "HS002"):
        assert f'href="{_estate_edit(code)}"' in html


def test_dashboard_links_each_estate_to_its_public_page(firm_client, world):
    html = firm_client.get(DASHBOARD).content.decode()
    assert f'href="{reverse("public:estate", args=["HS001"])}"' in html


def test_dashboard_marks_phones_that_fall_back_to_the_firms(firm_client, world):
    Estate.objects.filter(pk=world.estate.pk).update(hotline="0574-87650000")
    response = firm_client.get(DASHBOARD)
    rows = response.content.decode().split('data-estate="')
    own = next(r for r in rows if r.startswith("HS001"))
    fallback = next(r for r in rows if r.startswith("HS002"))
    assert "0574-87650000" in own
    hotline_cell = own.split('data-field="hotline">')[1].split("</td>")[0]
    assert "企业" not in hotline_cell
    assert "0574-87000001" in fallback and "企业" in fallback.split('data-field="hotline">')[1].split("</td>")[0]


def test_dashboard_leaves_out_inactive_estates(firm_client, world):
    Estate.objects.filter(pk=world.estate2.pk).update(is_active=False)
    response = firm_client.get(DASHBOARD)
    assert [e.code for e in response.context["estates"]] == ["HS001"]


def test_dashboard_search_finds_an_estate_by_name(firm_client, world):
    response = firm_client.get(DASHBOARD, {"q": "南门"})
    assert [e.code for e in response.context["estates"]] == ["HS002"]


def test_dashboard_search_cannot_reach_another_firms_estate(firm_client, world):
    response = firm_client.get(DASHBOARD, {"q": "孔浦"})
    assert list(response.context["estates"]) == []
    assert "没有符合条件的小区。" in response.content.decode()


def _add_estates(world, n, start):
    Estate.objects.bulk_create(
        Estate(code=f"PQ{start + i:05d}", name=f"批量花园{start + i}", district=world.district,
               street=world.street if i % 2 else world.other_street, firm=world.firm,
               category=1 + i % 3, year_built=1980 + i % 40, households=200 + i,
               hotline="0574-87111111" if i % 3 == 0 else "")
        for i in range(n)
    )


def test_dashboard_pages_long_estate_lists(firm_client, world):
    _add_estates(world, 60, 0)
    first = firm_client.get(DASHBOARD)
    second = firm_client.get(DASHBOARD, {"page": 2})
    assert len(first.context["estates"]) == 50
    assert len(second.context["estates"]) == 62 - 50
    assert "第 1 / 2 页" in first.content.decode()


def _count(client, url, **params):
    cache.clear()  # a cold request each time: cached badges and figures would hide a query that grows
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx)


def test_dashboard_runs_the_same_queries_for_10_and_200_estates(firm_client, world):
    _add_estates(world, 8, 0)  # with the world's two: 10
    small = _count(firm_client, DASHBOARD)
    _add_estates(world, 190, 8)
    assert Estate.objects.filter(firm=world.firm).count() == 200
    assert _count(firm_client, DASHBOARD) == small


def test_dashboard_search_runs_the_same_queries_for_10_and_200_estates(firm_client, world):
    _add_estates(world, 8, 0)
    small = _count(firm_client, DASHBOARD, q="批量")
    _add_estates(world, 190, 8)
    assert _count(firm_client, DASHBOARD, q="批量") == small


# --- estate service phones ------------------------------------------------------------------------------------

def test_estate_phone_form_shows_the_firms_numbers_as_the_fallback(firm_client, world):
    html = firm_client.get(_estate_edit("HS001")).content.decode()
    assert 'placeholder="0574-87000001"' in html
    assert "留空则使用企业的号码 0574-87000001。" in html


def test_estate_phone_inputs_open_the_phone_keyboard(firm_client, world):
    html = firm_client.get(_estate_edit("HS001")).content.decode()
    assert 'type="tel"' in html and 'type="text" name="hotline"' not in html


def test_bad_estate_phone_gets_a_chinese_error_and_saves_nothing(firm_client, world):
    response = firm_client.post(_estate_edit("HS001"), {"hotline": "服务热线", "complaint_phone": "0574-87222222"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "电话号码“服务热线”含有数字以外的字符，请只填写数字和“-”。" in html
    assert "有 1 处需要更正" in html
    world.estate.refresh_from_db()
    assert (world.estate.hotline, world.estate.complaint_phone) == ("", "")


def test_bad_estate_phone_keeps_what_the_user_typed(firm_client, world):
    response = firm_client.post(_estate_edit("HS001"), {"hotline": "8765-abc", "complaint_phone": "0574-87222222"})
    html = response.content.decode()
    assert 'value="8765-abc"' in html and 'value="0574-87222222"' in html


@pytest.mark.parametrize("typed", ["8765-abc", "1380013800O", "0574—87654321"])
def test_estate_phone_with_letters_or_odd_dashes_gets_a_chinese_error(firm_client, world, typed):
    response = firm_client.post(_estate_edit("HS001"), {"hotline": typed, "complaint_phone": ""})
    assert f"电话号码“{typed}”含有数字以外的字符，请只填写数字和“-”。" in response.content.decode()
    world.estate.refresh_from_db()
    assert world.estate.hotline == ""


def test_firm_phone_with_letters_gets_a_chinese_error(firm_client, world):
    response = firm_client.post(FIRM_EDIT, _firm_data(contact_phone="1391234567O"))
    assert "电话号码“1391234567O”含有数字以外的字符" in response.content.decode()


def test_overlong_estate_phone_gets_a_chinese_error(firm_client, world):
    response = firm_client.post(_estate_edit("HS001"), {"hotline": "0574-8765432112345", "complaint_phone": ""})
    assert "电话号码“0574-8765432112345”位数不正确。" in response.content.decode()


def test_good_estate_phone_is_saved_and_confirmed(firm_client, world):
    response = firm_client.post(
        _estate_edit("HS001"), {"hotline": "0574-87654321", "complaint_phone": "13812345678"}, follow=True
    )
    assert response.redirect_chain[-1][0] == DASHBOARD
    assert "月湖花园 的服务电话已保存。" in response.content.decode()
    world.estate.refresh_from_db()
    assert (world.estate.hotline, world.estate.complaint_phone) == ("0574-87654321", "13812345678")


def test_full_width_estate_phone_is_stored_in_ascii(firm_client, world):
    firm_client.post(_estate_edit("HS001"), {"hotline": "０５７４－８７６５４３２１", "complaint_phone": ""})
    world.estate.refresh_from_db()
    assert world.estate.hotline == "0574-87654321"


def test_clearing_an_estate_phone_falls_back_to_the_firms(firm_client, world):
    Estate.objects.filter(pk=world.estate.pk).update(hotline="0574-87650000")
    firm_client.post(_estate_edit("HS001"), {"hotline": "", "complaint_phone": ""})
    world.estate.refresh_from_db()
    assert world.estate.effective_hotline == "0574-87000001"


def test_estate_phone_form_cannot_change_other_estate_fields(firm_client, world):
    firm_client.post(_estate_edit("HS001"), {"hotline": "0574-87654321", "name": "改名", "households": 1,
                                             "firm": world.other_firm.pk})
    world.estate.refresh_from_db()
    assert (world.estate.name, world.estate.households, world.estate.firm) == ("月湖花园", 500, world.firm)


def test_portal_edit_of_an_estate_is_recorded_with_the_firm_user(firm_client, world):
    firm_client.post(_estate_edit("HS001"), {"hotline": "0574-87654321", "complaint_phone": ""})
    record = world.estate.history.latest()
    assert record.history_user == world.firm_user
    delta = record.diff_against(record.prev_record)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("hotline", "", "0574-87654321")]


# --- firm contact data ----------------------------------------------------------------------------------------

def _firm_data(**overrides):
    data = {"address": "宁波市海曙区月湖路 1 号", "contact_person": "李经理", "contact_phone": "13912345678",
            "email": "office@yuehu.example.com", "hotline": "0574-87000001", "complaint_phone": "0574-87000002"}
    data.update(overrides)
    return data


def test_firm_contact_data_is_saved(firm_client, world):
    response = firm_client.post(FIRM_EDIT, _firm_data(), follow=True)
    assert "企业联系方式已保存。" in response.content.decode()
    world.firm.refresh_from_db()
    assert (world.firm.contact_person, world.firm.contact_phone) == ("李经理", "13912345678")


def test_bad_firm_phone_and_email_get_chinese_errors_and_save_nothing(firm_client, world):
    response = firm_client.post(FIRM_EDIT, _firm_data(hotline="热线", email="not-an-email"))
    html = response.content.decode()
    assert "电话号码“热线”含有数字以外的字符" in html
    assert "输入一个有效的 Email 地址。" in html or "输入一个有效的电子邮件地址。" in html
    assert "有 2 处需要更正" in html
    world.firm.refresh_from_db()
    assert world.firm.hotline == "0574-87000001" and world.firm.contact_person == ""


def test_firm_form_cannot_change_what_the_bureau_registers(firm_client, world):
    code = world.firm.credit_code
    firm_client.post(FIRM_EDIT, _firm_data(name="改名物业", credit_code="914403001922038216", grade=3,
                                           district=world.other_district.pk))
    world.firm.refresh_from_db()
    assert (world.firm.name, world.firm.credit_code, world.firm.grade, world.firm.district) == (
        "月湖物业", code, 1, world.district)


def test_portal_edit_of_the_firm_is_recorded_with_the_firm_user(firm_client, world):
    firm_client.post(FIRM_EDIT, _firm_data())
    assert world.firm.history.latest().history_user == world.firm_user


# --- base template --------------------------------------------------------------------------------------------

def test_portal_pages_are_responsive_and_carry_the_language_switch(firm_client, world):
    html = firm_client.get(DASHBOARD).content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert f'action="{reverse("set_language")}"' in html
    assert 'class="navbar navbar-expand-lg' in html


def test_portal_navigation_marks_the_current_page(firm_client, world):
    html = firm_client.get(FIRM_EDIT).content.decode()
    assert f'class="nav-link active" aria-current="page" href="{FIRM_EDIT}"' in html


def test_portal_nav_items_from_the_context_appear_in_the_menu(rf, world):
    request = RequestFactory().get(DASHBOARD)
    request.user = world.firm_user
    html = Template('{% extends "portal/base.html" %}').render(
        Context({"request": request, "portal_nav": [{"url": "/campaigns/", "label": "创建任务"}]})
    )
    assert '<a class="nav-link" href="/campaigns/">创建任务</a>' in html


def test_dashboard_panels_block_lets_later_pages_add_panels(world):
    request = RequestFactory().get(DASHBOARD)
    request.user = world.firm_user
    html = Template(
        '{% extends "portal/dashboard.html" %}{% block dashboard_panels %}<div id="tasks">本周任务</div>{% endblock %}'
    ).render(Context({"request": request, "firm": world.firm, "stats": {}, "estates": [], "cache_ttl": 60,
                      "card_key": "test-card", "estates_key": "test-estates"}))
    assert '<div id="tasks">本周任务</div>' in html


def test_portal_switches_to_english(firm_client, world):
    firm_client.post(reverse("set_language"), {"language": "en", "next": DASHBOARD})
    assert '<html lang="en"' in firm_client.get(DASHBOARD).content.decode()


# --- login ----------------------------------------------------------------------------------------------------

LOGIN = reverse("accounts:login")


def test_firm_user_logs_in_to_the_portal(client, world):
    response = client.post(LOGIN, {"username": "firm", "password": "pw-for-tests-1"}, follow=True)
    assert response.redirect_chain[-1][0] == DASHBOARD


def test_bureau_user_logs_in_to_the_admin(client, world):
    response = client.post(LOGIN, {"username": "district", "password": "pw-for-tests-1"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:index")


def test_wrong_password_gets_a_chinese_error(client, world):
    response = client.post(LOGIN, {"username": "firm", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_login_page_is_in_chinese_with_the_language_switch(client, world):
    html = client.get(LOGIN).content.decode()
    assert "主管部门与物业服务企业登录" in html and 'value="登录"' in html
    assert f'action="{reverse("set_language")}"' in html


def test_login_honours_next(client, world):
    response = client.post(f"{LOGIN}?next={FIRM_EDIT}", {"username": "firm", "password": "pw-for-tests-1"})
    assert response["Location"] == FIRM_EDIT


def test_firm_user_without_estates_sees_an_explanation(client, world):
    lonely = f.UserFactory(username="lonely", firm=f.FirmFactory(district=world.district))
    client.force_login(lonely)
    assert "贵企业名下暂无在管小区" in client.get(DASHBOARD).content.decode()
