"""The bureau admin of the registry: query counts that do not grow with rows, change history (who, what, when),
Chinese labels, and the language switch."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from estates.models import Estate, PropertyFirm
from tests import factories as f

ESTATE_LIST = reverse("admin:estates_estate_changelist")
FIRM_LIST = reverse("admin:estates_propertyfirm_changelist")


def _queries(client, url, **params):
    cache.clear()  # a cold request each time: cached parts would hide a query that grows
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx)


def _add_estates(world, n, start):
    """n estates spread over the district's two streets and over several firms, inserted in one statement."""
    firms = [f.FirmFactory(district=world.district) for _ in range(5)] + [world.firm]
    streets = [world.street, world.other_street]
    Estate.objects.bulk_create(
        Estate(
            code=f"QC{start + i:05d}", name=f"测试花园{start + i}", district=world.district,
            street=streets[i % 2], community=world.community if i % 2 == 0 else None,
            firm=firms[i % len(firms)], category=1 + i % 3, year_built=1985 + i % 30, households=100 + i,
        )
        for i in range(n)
    )


# --- query counts ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["district_user", "city_user"])
def test_estate_changelist_runs_the_same_queries_for_10_and_200_estates(client, world, role):
    client.force_login(getattr(world, role))
    _add_estates(world, 10, 0)
    small = _queries(client, ESTATE_LIST)
    _add_estates(world, 190, 10)
    assert Estate.objects.count() > 200
    assert _queries(client, ESTATE_LIST) == small


def test_estate_changelist_with_filters_and_search_runs_the_same_queries_for_10_and_200(client, world):
    client.force_login(world.district_user)
    params = {"district": world.district.pk, "old": "1", "q": "测试"}
    _add_estates(world, 10, 0)
    small = _queries(client, ESTATE_LIST, **params)
    _add_estates(world, 190, 10)
    assert _queries(client, ESTATE_LIST, **params) == small


def test_firm_changelist_runs_the_same_queries_for_10_and_200_firms(client, world):
    client.force_login(world.city_user)
    f.FirmFactory.create_batch(10, district=world.district)
    small = _queries(client, FIRM_LIST)
    PropertyFirm.objects.bulk_create(
        PropertyFirm(name=f"批量物业{i}", credit_code=f.valid_credit_code(5000 + i), grade=1 + i % 3,
                     district=world.other_district)
        for i in range(190)
    )
    assert _queries(client, FIRM_LIST) == small


# --- change history -------------------------------------------------------------------------------------------

def _estate_form(estate, **overrides):
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


def _firm_form(firm, **overrides):
    data = {
        "name": firm.name, "credit_code": firm.credit_code, "grade": firm.grade, "district": firm.district_id,
        "is_active": "on", "address": firm.address, "contact_person": firm.contact_person,
        "contact_phone": firm.contact_phone, "email": firm.email, "hotline": firm.hotline,
        "complaint_phone": firm.complaint_phone,
    }
    data.update(overrides)
    return data


def _changed_fields(record):
    delta = record.diff_against(record.prev_record)
    return {change.field: (change.old, change.new) for change in delta.changes}


def test_admin_edit_of_an_estate_records_who_changed_what_and_when(client, world):
    client.force_login(world.district_user)
    before = timezone.now()
    response = client.post(
        reverse("admin:estates_estate_change", args=[world.estate.pk]),
        _estate_form(world.estate, households=612, hotline="0574-87654321"),
    )
    assert response.status_code == 302
    record = world.estate.history.latest()
    assert record.history_user == world.district_user
    assert record.history_type == "~"
    assert before <= record.history_date <= timezone.now()
    assert _changed_fields(record) == {"households": (500, 612), "hotline": ("", "0574-87654321")}


def test_admin_edit_of_a_firm_records_who_changed_what_and_when(client, world):
    client.force_login(world.district_user)
    response = client.post(
        reverse("admin:estates_propertyfirm_change", args=[world.firm.pk]),
        _firm_form(world.firm, contact_person="陈主任", grade=2),
    )
    assert response.status_code == 302
    record = world.firm.history.latest()
    assert record.history_user == world.district_user
    assert _changed_fields(record) == {"contact_person": ("", "陈主任"), "grade": (1, 2)}


def test_admin_add_of_an_estate_records_its_creator(client, world):
    client.force_login(world.district_user)
    new = Estate(code="HS777", name="新登记小区", district=world.district, street=world.street, firm=world.firm,
                 category=1, households=80)
    client.post(reverse("admin:estates_estate_add"), _estate_form(new))
    record = Estate.objects.get(code="HS777").history.get()
    assert (record.history_type, record.history_user) == ("+", world.district_user)


def test_saving_an_unchanged_estate_keeps_the_history_readable(client, world):
    client.force_login(world.district_user)
    client.post(reverse("admin:estates_estate_change", args=[world.estate.pk]), _estate_form(world.estate))
    assert _changed_fields(world.estate.history.latest()) == {}


def test_admin_history_page_shows_the_editor_the_field_and_both_values(client, world):
    client.force_login(world.district_user)
    client.post(
        reverse("admin:estates_estate_change", args=[world.estate.pk]),
        _estate_form(world.estate, households=612),
    )
    html = client.get(reverse("admin:estates_estate_history", args=[world.estate.pk])).content.decode()
    assert "district" in html  # the editor's username
    assert "户数" in html  # the field, by its Chinese label
    assert "500" in html and "612" in html


def test_history_page_of_a_firm_lists_every_version(client, world):
    client.force_login(world.district_user)
    for person in ("甲", "乙"):
        client.post(reverse("admin:estates_propertyfirm_change", args=[world.firm.pk]),
                    _firm_form(world.firm, contact_person=person))
        world.firm.refresh_from_db()
    response = client.get(reverse("admin:estates_propertyfirm_history", args=[world.firm.pk]))
    assert response.context["page_obj"].paginator.count == 3  # created + two edits


def test_history_dates_are_shown_in_china_time(client, world):
    client.force_login(world.district_user)
    record = world.estate.history.latest()
    record.history_date = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)
    record.save()
    html = client.get(reverse("admin:estates_estate_history", args=[world.estate.pk])).content.decode()
    assert "00:30" in html or "0:30" in html  # 16:30 UTC is 00:30 the next day in Asia/Shanghai
    assert settings.TIME_ZONE == "Asia/Shanghai"


# --- Chinese labels -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "label",
    ["住宅小区", "小区编码", "小区名称", "所属区", "所属街道", "物业服务企业", "小区类别", "建成年份", "老小区",
     "户数"],
)
def test_estate_changelist_shows_chinese_column_labels(client, world, label):
    client.force_login(world.district_user)
    assert f">{label}<" in client.get(ESTATE_LIST).content.decode().replace("\n", "").replace(" ", "")


def test_estate_changelist_shows_chinese_filter_titles(client, world):
    client.force_login(world.district_user)
    response = client.get(ESTATE_LIST)
    titles = [str(spec.title) for spec in response.context["cl"].filter_specs]
    assert titles == ["所属区", "所属街道", "资质等级", "小区类别", "老小区", "已成立业主委员会"]


def test_old_estate_filter_explains_the_cut_off_year_in_chinese(client, world):
    client.force_login(world.district_user)
    html = client.get(ESTATE_LIST).content.decode()
    assert f"是（{settings.OLD_ESTATE_BEFORE_YEAR} 年前建成）" in html


def test_old_estate_filter_selects_estates_built_before_1999(client, world):
    client.force_login(world.district_user)
    response = client.get(ESTATE_LIST, {"old": "1"})
    assert [e.code for e in response.context["cl"].result_list] == ["HS002"]


def test_admin_chrome_is_in_chinese_by_default(client, world):
    client.force_login(world.district_user)
    html = client.get(ESTATE_LIST).content.decode()
    assert '<html lang="zh-hans"' in html
    for text in ("选择 住宅小区 来修改", "过滤器", "搜索", "文明物业创建活动管理平台"):
        assert text in html


def test_estate_change_form_groups_fields_under_chinese_headings(client, world):
    client.force_login(world.district_user)
    html = client.get(reverse("admin:estates_estate_change", args=[world.estate.pk])).content.decode()
    for text in ("属地", "物业", "概况", "服务中心电话", "留空则使用企业的服务热线。"):
        assert text in html


def test_firm_changelist_shows_chinese_labels(client, world):
    client.force_login(world.district_user)
    html = client.get(FIRM_LIST).content.decode()
    for text in ("统一社会信用代码", "资质等级", "在管小区", "一级资质"):
        assert text in html


def test_firm_admin_rejects_a_bad_credit_code_in_chinese(client, world):
    client.force_login(world.district_user)
    response = client.post(
        reverse("admin:estates_propertyfirm_change", args=[world.firm.pk]),
        _firm_form(world.firm, credit_code="914403001922038217"),
    )
    assert response.status_code == 200
    assert "统一社会信用代码校验位错误，请核对。" in response.content.decode()
    world.firm.refresh_from_db()
    assert world.firm.credit_code != "914403001922038217"


# --- language switch ------------------------------------------------------------------------------------------

def _switch(client, language, next_url=ESTATE_LIST):
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


def test_admin_pages_carry_the_language_switch(client, world):
    client.force_login(world.district_user)
    html = client.get(ESTATE_LIST).content.decode()
    assert f'action="{reverse("set_language")}"' in html
    assert 'value="en"' in html and 'value="zh-hans"' in html


def test_language_switch_returns_to_the_page(client, world):
    client.force_login(world.district_user)
    response = _switch(client, "en")
    assert response.status_code == 302
    assert response["Location"] == ESTATE_LIST


def test_language_switch_turns_the_admin_english(client, world):
    client.force_login(world.district_user)
    _switch(client, "en")
    html = client.get(ESTATE_LIST).content.decode()
    assert '<html lang="en"' in html
    assert "Filter" in html and "过滤器" not in html
    assert "Select " in html and "to change" in html


def test_language_switch_back_to_chinese(client, world):
    client.force_login(world.district_user)
    _switch(client, "en")
    _switch(client, "zh-hans")
    assert "过滤器" in client.get(ESTATE_LIST).content.decode()


def test_language_choice_survives_the_next_login(client, world):
    _switch(client, "en", next_url="/")
    client.force_login(world.district_user)
    assert '<html lang="en"' in client.get(ESTATE_LIST).content.decode()


def test_unknown_language_keeps_chinese(client, world):
    client.force_login(world.district_user)
    _switch(client, "xx")
    assert "过滤器" in client.get(ESTATE_LIST).content.decode()


ENGLISH_CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.mo"


@pytest.mark.skipif(not ENGLISH_CATALOGUE.exists(), reason="the English catalogue of our strings is not compiled yet")
def test_language_switch_turns_our_own_labels_english(client, world):
    client.force_login(world.district_user)
    _switch(client, "en")
    response = client.get(ESTATE_LIST)
    titles = [str(spec.title) for spec in response.context["cl"].filter_specs]
    assert "所属区" not in titles and "老小区" not in titles

