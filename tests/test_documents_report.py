"""The campaign summary report: city and district versions, charts, trainings, the job, scoping."""

import datetime
import re
import subprocess
from unittest import mock

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from campaigns import services as campaign_services
from campaigns.models import Activity, Obligation
from core.models import Job
from documents import charts, services
from suggestions.poster_services import posters_printed
from tests.campaign_factories import load_ningbo, photo, publish

AS_OF = datetime.date(2011, 8, 15)


def text_of(data):
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return re.sub(r"\s+", "", out)


@pytest.fixture
def campaign(world):
    campaign = load_ningbo(world.city)
    publish(campaign)
    return campaign


def test_city_report_covers_every_district(world, campaign):
    text = text_of(services.campaign_report_pdf(user=world.city_user, campaign=campaign, agency=world.city,
                                                as_of=AS_OF))
    assert "海曙区住建局" in text and "江北区住建局" in text
    assert campaign.name in text


def test_district_report_covers_its_own_area_only(world, campaign):
    text = text_of(services.campaign_report_pdf(user=world.district_user, campaign=campaign, agency=world.district,
                                                as_of=AS_OF))
    assert "月湖花园" in text or "月湖街道" in text
    assert "江北区住建局" not in text and "孔浦" not in text


def test_report_lists_overdue_obligations(world, campaign):
    text = text_of(services.campaign_report_pdf(user=world.city_user, campaign=campaign, agency=world.city,
                                                as_of=AS_OF))
    assert "逾期清单" in text and "孔浦新村" in text  # its 07-31 open letter is overdue on 08-15


def test_report_counts_trainings_and_activities_held(world, campaign):
    campaign_services.training_record(user=world.district_user, date=datetime.date(2011, 8, 2),
                                      topic="文明物业专题培训", audience="街道、社区", attendee_count=80)
    campaign_services.activity_record(user=world.firm_user, kind=Activity.Kind.FRIENDSHIP,
                                      date=datetime.date(2011, 8, 3), title="邻里联谊会", participant_count=40)
    text = text_of(services.campaign_report_pdf(user=world.city_user, campaign=campaign, agency=world.city,
                                                as_of=AS_OF))
    assert "共举办培训1场" in text and "累计参训80人次" in text
    assert "文明物业专题培训" in text


def _submit_and_accept(world, obligation, *, submitted, accepted):
    if obligation.task.record_kind == "suggestion_box":
        # The demo's suggestion-box task is met by the estate's poster printed within its period
        # (suggestions/record_kinds.py): the print submits it, at the time the print happened.
        with mock.patch("django.utils.timezone.now", return_value=at(submitted)):
            posters_printed(estate_ids=[obligation.estate_id], user=world.firm_user, on=submitted)
        obligation.refresh_from_db()
        assert obligation.state == Obligation.State.SUBMITTED
    else:
        campaign_services.obligation_submit(obligation=obligation, user=world.firm_user, text="已完成",
                                            files=[(kind, photo()) for kind in ("photo", "document", "roster")],
                                            now=at(submitted))
    campaign_services.obligation_accept(obligation=obligation, user=world.district_user, now=at(accepted))


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_report_shows_accepted_work_as_done(world, campaign):
    letter = Obligation.objects.get(task__code="open-letter", estate=world.estate)
    box = Obligation.objects.get(task__code="suggestion-box", estate=world.estate)
    for ob in (letter, box):
        _submit_and_accept(world, ob, submitted=datetime.date(2011, 7, 28), accepted=datetime.date(2011, 7, 30))
    data = services.selectors.campaign_report_data(user=world.city_user, campaign=campaign, agency=world.city,
                                                   as_of=AS_OF)
    assert data["totals"]["accepted"] == 2


def test_report_as_of_a_past_date_uses_the_states_of_that_date(world, campaign):
    """Accepted on 08-20: the report as of 08-15 shows it submitted (its poster printed 07-30) and the open letter,
    accepted only on 08-20 after a late submission on 08-16, as open and overdue on 08-15."""
    box = Obligation.objects.get(task__code="suggestion-box", estate=world.estate)
    letter = Obligation.objects.get(task__code="open-letter", estate=world.estate)
    _submit_and_accept(world, box, submitted=datetime.date(2011, 7, 30), accepted=datetime.date(2011, 8, 20))
    _submit_and_accept(world, letter, submitted=datetime.date(2011, 8, 16), accepted=datetime.date(2011, 8, 20))

    then = services.selectors.campaign_report_data(user=world.city_user, campaign=campaign, agency=world.city,
                                                   as_of=AS_OF)
    rows = {r["label"]: r for r in then["by_task"]}
    assert then["totals"]["accepted"] == 0
    assert rows[box.task.title]["submitted"] == 1 and rows[box.task.title]["accepted"] == 0
    assert letter.pk in {o.pk for o in then["overdue_rows"]}
    assert [o.get_state_display() for o in then["overdue_rows"] if o.pk == letter.pk] == ["待完成"]
    assert rows[letter.task.title]["late"] == 0  # the late submission came after the report date

    later = services.selectors.campaign_report_data(user=world.city_user, campaign=campaign, agency=world.city,
                                                    as_of=datetime.date(2011, 8, 21))
    assert later["totals"]["accepted"] == 2
    assert letter.pk not in {o.pk for o in later["overdue_rows"]}


def test_report_job_runs_for_the_city(world, campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.campaign_report_start(user=world.city_user, campaign=campaign, agency=world.city,
                                             as_of=AS_OF)
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.message
    assert job.result_name.endswith(".pdf")


def test_district_cannot_report_on_the_city_or_another_district(world, campaign):
    with pytest.raises(Http404):
        services.campaign_report_start(user=world.district_user, campaign=campaign, agency=world.city, as_of=AS_OF)
    with pytest.raises(Http404):
        services.campaign_report_start(user=world.district_user, campaign=campaign, agency=world.other_district,
                                       as_of=AS_OF)


def test_report_queries_do_not_grow_with_the_city(world, campaign):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories as f

    def count():
        with CaptureQueriesContext(connection) as ctx:
            services.selectors.campaign_report_data(user=world.city_user, campaign=campaign, agency=world.city,
                                                    as_of=AS_OF)
        return len(ctx)

    small = count()
    for i in range(8):
        estate = f.EstateFactory(code=f"HSN{i}", street=world.street, firm=world.firm)
        campaign_services.obligations_sync(estate=estate)
    assert count() == small


def test_bar_chart_draws_one_bar_per_row_and_escapes_labels():
    rows = [{"label": "<海曙区>", "total": 10, "accepted": 5, "submitted": 2, "overdue": 1, "done_pct": 50.0},
            {"label": "江北区", "total": 0, "accepted": 0, "submitted": 0, "overdue": 0, "done_pct": 0.0}]
    svg = str(charts.completion_bars(rows))
    assert svg.startswith("<svg") and "&lt;海曙区&gt;" in svg and "<海曙区>" not in svg
    assert svg.count('fill="#2e7d32"') == 2 + 1  # two bars and the legend swatch


def test_timeline_marks_overdue_deadlines_in_red():
    tasks = [{"label": "张贴公开信", "window_start": datetime.date(2011, 7, 22), "deadline": datetime.date(2011, 7, 31),
              "done_pct": 40.0},
             {"label": "总结表彰", "window_start": datetime.date(2011, 12, 1), "deadline": datetime.date(2011, 12, 31),
              "done_pct": 0.0}]
    svg = str(charts.deadline_timeline(tasks, start=datetime.date(2011, 7, 1), end=datetime.date(2011, 12, 31),
                                       as_of=AS_OF))
    assert svg.count('fill="#c62828"/>') == 1  # only the past deadline
    assert "统计日" in svg


def test_admin_report_page_starts_a_job(world, campaign, client):
    client.force_login(world.district_user)
    url = reverse("admin:documents_noticetemplate_report")
    assert client.get(url).status_code == 200
    response = client.post(url, {"campaign": campaign.pk, "agency": world.district.pk, "as_of": "2011-08-15"})
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])


def test_admin_print_page_offers_only_the_users_districts(world, client):
    client.force_login(world.district_user)
    url = reverse("admin:documents_noticetemplate_print")
    page = client.get(url).content.decode()
    assert "海曙区住建局" in page and "江北区住建局" not in page
    response = client.post(url, {"kinds": ["open_letter"], "district": world.other_district.pk})
    assert response.status_code == 200 and not Job.objects.exists()


def test_admin_print_page_starts_a_batch(world, client):
    client.force_login(world.district_user)
    response = client.post(reverse("admin:documents_noticetemplate_print"),
                           {"kinds": ["open_letter", "service_list"], "street": world.street.pk})
    job = Job.objects.get()
    assert response.status_code == 302
    assert job.params["scope"] == {"street_id": world.street.pk}
