"""Every time shown to a user is local time (Asia/Shanghai), never UTC.

The instant used is 2026-03-01 17:30 UTC = 2026-03-02 01:30 in Shanghai: the date and the hour
both differ, so any place that formats the UTC value (an f-string of an aware datetime, a model's
__str__, the browser's own clock) shows "17:30" and is caught.
"""

import datetime

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from campaigns import services
from campaigns.models import ObligationEvent
from tests.campaign_ui_fixtures import make_live, obligation

INSTANT = datetime.datetime(2026, 3, 1, 17, 30, tzinfo=datetime.UTC)
UTC_TEXT, LOCAL_TEXT = "17:30", "2026-03-02 01:30"


def _models_with_datetimes():
    for model in apps.get_models():
        if model.__module__.split(".")[0] in {"accounts", "campaigns", "core", "documents", "estates",
                                               "notifications"}:
            fields = [f.name for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)]
            if fields:
                yield model, fields


def test_no_model_names_itself_with_a_utc_time():
    # Admin pages print __str__ next to localised columns (inline rows, history, delete pages).
    named = []
    for model, fields in _models_with_datetimes():
        instance = model(**dict.fromkeys(fields, INSTANT))
        try:
            text = str(instance)
        except Exception:  # noqa: BLE001 - a __str__ that needs related rows cannot show a time of its own here
            continue
        assert UTC_TEXT not in text, f"{model.__name__}: {text}"
        named.append(model.__name__)
    assert "ObligationEvent" in named


def test_an_obligation_event_names_itself_in_local_time():
    event = ObligationEvent(kind=ObligationEvent.Kind.SUBMIT, at=INSTANT)
    assert str(event) == f"{event.get_kind_display()} {LOCAL_TEXT}"


@pytest.mark.django_db
def test_the_obligation_admin_page_shows_its_history_rows_in_local_time(client, world):
    live = make_live(world)
    o = obligation(live.letter, estate=world.estate)
    services.obligation_submit(obligation=o, user=world.firm_user, text="完成")
    ObligationEvent.objects.filter(obligation=o).update(at=INSTANT)
    o.__class__.objects.filter(pk=o.pk).update(submitted_at=INSTANT)
    client.force_login(world.district_user)
    page = client.get(reverse("admin:campaigns_obligation_change", args=[o.pk])).content.decode()
    assert LOCAL_TEXT in page
    assert f"2026-03-01 {UTC_TEXT}" not in page


@pytest.mark.django_db
def test_the_portal_obligation_page_shows_its_history_in_local_time(client, world):
    live = make_live(world)
    o = obligation(live.letter, estate=world.estate)
    services.obligation_submit(obligation=o, user=world.firm_user, text="完成")
    ObligationEvent.objects.filter(obligation=o).update(at=INSTANT)
    client.force_login(world.firm_user)
    page = client.get(reverse("campaigns:obligation_detail", args=[o.pk])).content.decode()
    assert LOCAL_TEXT in page and UTC_TEXT not in page


@pytest.mark.django_db
def test_the_job_status_gives_the_expiry_in_local_time(client, world, django_capture_on_commit_callbacks):
    from core.jobs import job_start
    from core.models import Job
    from tests.test_jobs import echo_job  # noqa: F401 - registers the "tests.echo" kind

    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(kind="tests.echo", user=world.firm_user, params={}, title="测试任务")
    Job.objects.filter(pk=job.pk).update(expires_at=INSTANT)
    client.force_login(world.firm_user)
    status = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert status["expires_display"] == LOCAL_TEXT
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert LOCAL_TEXT in page and UTC_TEXT not in page


@pytest.mark.django_db
def test_the_change_history_pages_show_local_time(admin_client, world):
    record = world.estate.history.first()
    type(record).objects.filter(pk=record.pk).update(history_date=INSTANT)
    for url in (reverse("admin:estates_estate_history", args=[world.estate.pk]),
                reverse("admin:estates_estate_simple_history", args=[world.estate.pk, record.pk])):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert UTC_TEXT not in page, url
    record.refresh_from_db()
    assert LOCAL_TEXT in str(record)


@pytest.mark.django_db
def test_excel_exports_write_local_times(world):
    # openpyxl cannot store an aware datetime: the export framework writes local wall-clock time.
    from openpyxl import load_workbook

    from campaigns import exports
    from campaigns.models import Obligation

    live = make_live(world)
    o = obligation(live.letter, estate=world.estate)
    services.obligation_submit(obligation=o, user=world.firm_user, text="完成")
    Obligation.objects.filter(pk=o.pk).update(submitted_at=INSTANT)
    sheet = load_workbook(exports.export_obligations(Obligation.objects.filter(pk=o.pk))).active
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("提交时间") + 1).value
    assert cell == datetime.datetime(2026, 3, 2, 1, 30)
