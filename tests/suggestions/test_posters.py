"""Posters of the suggestion box: the PDF, the print records, the batch job, the campaigns' record kind,
and the suggestion section of the campaign summary report."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from pypdf import PdfReader

from campaigns import record_kinds
from campaigns.models import Obligation, PartyKind, Recurrence
from core.models import Job
from suggestions import poster_services, posters
from suggestions.models import PosterPrint
from suggestions.record_kinds import KIND
from tests.campaign_factories import ActionFactory, CampaignFactory, TaskFactory, publish

pytestmark = pytest.mark.django_db


def pdf_text(data):
    reader = PdfReader(io.BytesIO(data))
    return reader, "".join(page.extract_text() for page in reader.pages)


def test_the_poster_has_the_title_the_estate_the_url_and_the_phones(world):
    world.estate.hotline, world.estate.complaint_phone = "0574-87654321", "0574-12345678"
    world.estate.save()
    pdf, estate = poster_services.poster_pdf(user=world.firm_user, code="HS001")
    reader, text = pdf_text(pdf)
    assert len(reader.pages) == 1
    assert "网上意见箱" in text and "月湖花园" in text
    assert posters.form_url("HS001") in text.replace("\n", "")
    assert posters.form_url("HS001").endswith("/e/HS001/suggest/")
    assert "0574-87654321" in text and "0574-12345678" in text
    assert "1 个工作日内受理" in text and "2 个工作日内答复" in text
    row = PosterPrint.objects.get()
    assert (row.estate, row.printed_by, row.printed_on) == (world.estate, world.firm_user, timezone.localdate())


def test_printing_twice_a_day_keeps_one_record(world):
    poster_services.poster_pdf(user=world.firm_user, code="HS001")
    poster_services.poster_pdf(user=world.firm_user, code="HS001")
    assert PosterPrint.objects.count() == 1


def test_another_firms_estate_is_404(world):
    with pytest.raises(Http404):
        poster_services.poster_pdf(user=world.firm_user, code="JB001")
    with pytest.raises(Http404):
        poster_services.posters_batch_start(user=world.street_user, scope={"street_id": world.far_street.pk})


def test_the_batch_of_a_firm_is_one_pdf_with_a_page_per_estate(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = poster_services.posters_batch_start(user=world.firm_user, scope={"firm_id": world.firm.pk})
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.message
    reader, text = pdf_text(job.result.read())
    assert len(reader.pages) == 2 and "月湖花园" in text and "南门小区" in text and "孔浦新村" not in text
    assert set(PosterPrint.objects.values_list("estate__code", flat=True)) == {"HS001", "HS002"}


def test_the_batch_of_a_street_by_its_officer(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = poster_services.posters_batch_start(user=world.street_user, scope={"street_id": world.street.pk})
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    assert list(PosterPrint.objects.values_list("estate__code", flat=True)) == ["HS001"]


def test_an_empty_selection_is_refused_in_words(world):
    world.estate.is_active = world.estate2.is_active = False
    world.estate.save()
    world.estate2.save()
    with pytest.raises(ValidationError, match="没有在册的小区"):
        poster_services.posters_batch_start(user=world.firm_user, scope={"firm_id": world.firm.pk})


# --- the record kind ------------------------------------------------------------------------------

@pytest.fixture
def box_task(world):
    today = timezone.localdate()
    campaign = CampaignFactory(issuing_agency=world.city, year=today.year, start_date=today.replace(month=1, day=1),
                               end_date=today.replace(month=12, day=31))
    task = TaskFactory(action=ActionFactory(campaign=campaign), title="设立网上意见箱", party_kind=PartyKind.ESTATE,
                       recurrence=Recurrence.ONCE, window_start=campaign.start_date, deadline=campaign.end_date,
                       record_kind=KIND, evidence_kinds=[], min_count=1)
    publish(campaign, user=world.city_user)
    return task


def test_the_kind_is_registered():
    assert KIND in record_kinds.keys()
    assert "网上意见箱" in str(record_kinds.label(KIND))


def test_a_printed_poster_satisfies_the_estates_task(world, box_task):
    ob = Obligation.objects.get(task=box_task, estate=world.estate)
    other = Obligation.objects.get(task=box_task, estate=world.estate2)
    assert ob.state == Obligation.State.OPEN
    poster_services.poster_pdf(user=world.firm_user, code="HS001")
    ob.refresh_from_db()
    other.refresh_from_db()
    assert ob.count_achieved == 1 and ob.state == Obligation.State.SUBMITTED
    assert other.count_achieved == 0 and other.state == Obligation.State.OPEN
    assert [str(r) for r in record_kinds.get(KIND).records(ob)] == [str(PosterPrint.objects.get())]


def test_an_inactive_estates_poster_does_not_count(world, box_task):
    PosterPrint.objects.create(estate=world.estate, printed_on=timezone.localdate())
    world.estate.is_active = False
    world.estate.save()
    ob = Obligation.objects.filter(task=box_task, estate=world.estate).first()
    count = Obligation.objects.filter(pk=ob.pk).annotate(n=record_kinds.get(KIND).count()).get().n
    assert count == 0


# --- the campaign summary report ------------------------------------------------------------------

def test_the_summary_report_has_the_suggestion_section(world, submit):
    from core import report_sections
    from documents.selectors import campaign_report_data

    assert "suggestions" in [s.key for s in report_sections.sections()]
    today = timezone.localdate()
    campaign = CampaignFactory(issuing_agency=world.city, year=today.year, start_date=today.replace(month=1, day=1),
                               end_date=today.replace(month=12, day=31))
    TaskFactory(action=ActionFactory(campaign=campaign), party_kind=PartyKind.ESTATE)
    publish(campaign, user=world.city_user)
    submit()
    data = campaign_report_data(user=world.district_user, campaign=campaign, agency=world.district, as_of=today)
    section = next(s for s in data["extra_sections"] if s["key"] == "suggestions")
    assert section["number"] == "七" and section["context"]["totals"]["count"] == 1
    assert [r["label"] for r in section["context"]["rows"]] == ["月湖街道"]


def test_the_summary_report_pdf_prints_the_suggestion_section(world, submit):
    from documents.services import campaign_report_pdf

    today = timezone.localdate()
    campaign = CampaignFactory(issuing_agency=world.city, year=today.year, start_date=today.replace(month=1, day=1),
                               end_date=today.replace(month=12, day=31))
    TaskFactory(action=ActionFactory(campaign=campaign), party_kind=PartyKind.ESTATE)
    publish(campaign, user=world.city_user)
    submit()
    pdf = campaign_report_pdf(user=world.city_user, campaign=campaign, agency=world.city, as_of=today)
    _reader, text = pdf_text(pdf)
    assert "七、网上意见箱办理情况" in text and "海曙区住建局" in text
