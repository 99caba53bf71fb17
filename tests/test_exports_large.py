"""Large Excel exports as jobs: scoped rows, Chinese headers, dates as dates, streamed."""

import datetime

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from campaigns.exports import obligation_columns, obligations_export
from campaigns.models import Obligation
from core.jobs import temporary_path
from core.models import Job
from documents import services
from tests import factories as f
from tests.campaign_factories import load_ningbo, publish


@pytest.fixture
def campaign(world):
    campaign = load_ningbo(world.city)
    publish(campaign)
    return campaign


def export(user, **kwargs):
    path = temporary_path(".xlsx")
    try:
        count = obligations_export(user=user, path=path, **kwargs)
        sheet = load_workbook(path).active
        return count, sheet
    finally:
        path.unlink(missing_ok=True)


def test_export_has_chinese_headers_and_a_frozen_header_row(world, campaign):
    _count, sheet = export(world.city_user, campaign=campaign)
    assert [c.value for c in sheet[1]] == [str(c.header) for c in obligation_columns()]
    assert sheet.freeze_panes == "A2"


def test_export_writes_deadlines_as_dates(world, campaign):
    _count, sheet = export(world.city_user, campaign=campaign)
    assert isinstance(sheet["L2"].value, datetime.datetime) and sheet["L2"].is_date


def test_export_contains_only_the_users_obligations(world, campaign):
    count, sheet = export(world.district_user, campaign=campaign)
    districts = {row[7] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert count == sheet.max_row - 1 > 0
    assert "江北区住建局" not in districts


def test_export_applies_the_list_filter(world, campaign):
    Obligation.objects.filter(estate=world.estate).update(state=Obligation.State.ACCEPTED)
    count, sheet = export(world.city_user, campaign=campaign, filter="accepted")
    assert count == Obligation.objects.filter(state=Obligation.State.ACCEPTED).count()
    assert {row[12] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"已通过"}


def test_export_query_count_does_not_grow_with_rows(world, campaign):
    def queries():
        path = temporary_path(".xlsx")
        with CaptureQueriesContext(connection) as ctx:
            obligations_export(user=world.city_user, path=path, campaign=campaign)
        path.unlink()
        return len(ctx)

    small = queries()
    for i in range(10):
        from campaigns import services as campaign_services

        campaign_services.obligations_sync(estate=f.EstateFactory(code=f"HSE{i}", street=world.street,
                                                                  firm=world.firm))
    assert queries() == small


def test_export_job_stores_an_xlsx_for_the_organisation(world, campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.obligations_export_start(user=world.district_user, campaign=campaign, filter="overdue")
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.message
    assert job.result_name.endswith(".xlsx") and job.organisation == f"estates.agency:{world.district.pk}"


def test_export_refuses_another_districts_narrowing(world, campaign):
    with pytest.raises(Http404):
        services.obligations_export_start(user=world.district_user, campaign=campaign,
                                          district_id=world.other_district.pk)
    with pytest.raises(Http404):
        services.obligations_export_start(user=world.firm_user, campaign=campaign, firm_id=world.other_firm.pk)


def test_export_page_counts_then_starts_the_job(world, campaign, client):
    client.force_login(world.firm_user)
    url = reverse("documents:obligations_export")
    page = client.get(url, {"campaign": campaign.pk, "filter": "overdue"})
    assert page.status_code == 200 and "已逾期" in page.content.decode()
    response = client.post(url, {"campaign": campaign.pk, "filter": "overdue"})
    job = Job.objects.get()
    assert response.url == reverse("jobs:detail", args=[job.pk])
    assert job.params["filter"] == "overdue" and job.organisation == f"estates.propertyfirm:{world.firm.pk}"
