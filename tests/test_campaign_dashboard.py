"""The progress dashboard of a campaign (admin) and the district's coordinator roster."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns import services
from tests.campaign_ui_fixtures import add_estates, make_live, obligation, read_xlsx


@pytest.fixture
def live(world):
    return make_live(world)


def progress_url(campaign):
    return reverse("admin:campaigns_campaign_progress", args=[campaign.pk])


def test_progress_page_shows_every_table(client, world, live):
    client.force_login(world.city_user)
    response = client.get(progress_url(live.campaign))
    assert response.status_code == 200
    assert [t["by"] for t in response.context["tables"]] == ["action", "task", "district", "street", "firm"]
    assert response.context["totals"]["total"] == 2 * 3 + 2  # two estate tasks x three estates, one firm task x two
    assert "vendor/chart.js/chart.umd.min.js" in response.content.decode()


def test_progress_counts_overdue_and_links_to_the_overdue_list(client, world, live):
    client.force_login(world.city_user)
    response = client.get(progress_url(live.campaign))
    by_task = {r["key"]: r for r in next(t for t in response.context["tables"] if t["by"] == "task")["rows"]}
    assert by_task[live.letter.pk]["overdue"] == 3
    url = by_task[live.letter.pk]["url_overdue"]
    listed = client.get(url).context["cl"].result_list
    assert {o.task_id for o in listed} == {live.letter.pk} and len(listed) == 3


def test_district_officer_sees_only_their_district_in_the_progress(client, world, live):
    client.force_login(world.district_user)
    response = client.get(progress_url(live.campaign))
    districts = next(t for t in response.context["tables"] if t["by"] == "district")["rows"]
    assert [r["key"] for r in districts] == [world.district.pk]


def test_progress_of_another_district_narrowing_is_404(client, world, live):
    client.force_login(world.district_user)
    response = client.get(progress_url(live.campaign), {"district": world.other_district.pk})
    assert response.status_code == 404


def test_progress_counts_done_percent_after_acceptance(client, world, live):
    o = obligation(live.firm_task, firm=world.firm)
    services.obligation_submit(obligation=o, user=world.firm_user, text="完成")
    services.obligation_accept(obligation=o, user=world.district_user)
    client.force_login(world.district_user)
    response = client.get(progress_url(live.campaign))
    firms = next(t for t in response.context["tables"] if t["by"] == "firm")["rows"]
    row = next(r for r in firms if r["key"] == world.firm.pk)
    assert row["accepted"] == 1 and row["done_pct"] == round(100 / row["total"], 1)


def _progress_queries(client, world, campaign):
    client.force_login(world.city_user)
    client.get(progress_url(campaign))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(progress_url(campaign))
    assert response.status_code == 200
    return len(ctx.captured_queries), response.context["totals"]["total"]


def test_progress_dashboard_runs_the_same_queries_for_10_and_500_estates(client, world):
    add_estates(world, 7)  # with the world's three: 10 estates
    live = make_live(world)
    small, total_small = _progress_queries(client, world, live.campaign)
    from estates.models import Estate

    Estate.objects.bulk_create([
        Estate(code=f"X{i:05d}", name=f"扩充{i}", district=world.other_district, street=world.far_street,
               firm=world.other_firm, category=2, year_built=1990, households=10) for i in range(490)])
    services.obligations_sync(campaign=live.campaign)
    large, total_large = _progress_queries(client, world, live.campaign)
    assert total_large == total_small + 490  # sync creates only periods not yet ended (the box task)
    assert small == large


def test_roster_export_is_the_districts_estates_with_their_coordinators(client, world, live):
    services.coordinator_file(user=world.firm_user, estate=world.estate, name="王芳", phone="13800000000",
                              appointed_on=live.today)
    client.force_login(world.district_user)
    rows = read_xlsx(client.get(reverse("admin:campaigns_campaign_roster")))
    assert rows[0] == ["所属区", "所属街道", "小区编码", "小区名称", "物业服务企业", "协调员姓名", "联系电话",
                       "聘任日期"]
    assert [r[2] for r in rows[1:]] == ["HS001", "HS002"]
    assert rows[1][5] == "王芳" and rows[2][5] == "（未备案）"


def test_progress_table_export_has_chinese_headers_and_the_rows(client, world, live):
    client.force_login(world.city_user)
    url = reverse("admin:campaigns_campaign_progress_export", args=[live.campaign.pk, "district"])
    rows = read_xlsx(client.get(url))
    assert rows[0][:4] == ["区", "总数", "已通过", "完成率（%）"]
    assert len(rows) == 3


def test_every_progress_table_exports(client, world, live):
    client.force_login(world.city_user)
    for by in ("action", "task", "district", "street", "firm"):
        url = reverse("admin:campaigns_campaign_progress_export", args=[live.campaign.pk, by])
        assert len(read_xlsx(client.get(url))) > 1


def test_district_row_drills_into_its_streets(client, world, live):
    client.force_login(world.city_user)
    response = client.get(progress_url(live.campaign))
    district = next(t for t in response.context["tables"] if t["by"] == "district")["rows"]
    row = next(r for r in district if r["key"] == world.district.pk)
    inner = client.get(row["url_drill"])
    streets = next(t for t in inner.context["tables"] if t["by"] == "street")["rows"]
    assert {r["key"] for r in streets} == {world.street.pk, world.other_street.pk}


def test_chart_data_is_embedded_as_an_object_for_chart_js(client, world, live):
    import json
    import re

    client.force_login(world.city_user)
    page = client.get(progress_url(live.campaign)).content.decode()
    raw = re.search(r'<script id="progress-chart-data" type="application/json">(.*?)</script>', page, re.S).group(1)
    data = json.loads(raw)
    assert isinstance(data, dict) and len(data["labels"]) == len(data["done"]) == 2


def test_campaign_list_offers_the_roster_in_one_click(client, world, live):
    client.force_login(world.district_user)
    page = client.get(reverse("admin:campaigns_campaign_changelist")).content.decode()
    assert reverse("admin:campaigns_campaign_roster") in page
