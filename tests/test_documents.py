"""Per-estate notices: data filled in, staff-edited texts, batches as one PDF, scoping."""

import io
import re
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from pypdf import PdfReader

from core.models import Job
from documents import selectors, services
from documents.models import NoticeKind, NoticeTemplate
from documents.placeholders import PlaceholderError, compile_text, render_text, text_to_html
from tests import factories as f
from tests.campaign_factories import load_ningbo, publish


def text_of(data):
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return re.sub(r"\s+", "", out)


def pages(data):
    return len(PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def estates(world):
    world.estate.hotline = "0574-88886666"
    world.estate.save()
    return selectors.print_estates(user=world.district_user, codes=["HS001"])


@pytest.fixture
def campaign(world):
    campaign = load_ningbo(world.city)
    publish(campaign)
    return campaign


def test_open_letter_carries_estate_name_hotline_and_complaint_phone(world, estates):
    text = text_of(services.notices_pdf(kinds=[NoticeKind.OPEN_LETTER], campaign=None, estates=estates))
    assert "月湖花园" in text
    assert "0574-88886666" in text  # the estate's own service-centre number
    assert "0574-87000002" in text  # no own complaint phone: the firm's
    assert "月湖花园物业服务中心" in text


def test_open_letter_qr_code_points_to_the_public_estate_page(world, settings):
    settings.SITE_URL = "https://wm.example.cn"
    estates = selectors.print_estates(user=world.district_user, codes=["HS001"])
    document = next(services.notice_documents(kinds=[NoticeKind.OPEN_LETTER], campaign=None, estates=estates))
    assert document["estate"]["public_url"] == "https://wm.example.cn/e/HS001/"
    assert document["qr_svg"].startswith("<svg")


def test_service_list_has_the_five_items(world, estates):
    text = text_of(services.notices_pdf(kinds=[NoticeKind.SERVICE_LIST], campaign=None, estates=estates))
    for heading in ("综合管理服务", "公共区域清洁卫生", "公共区域秩序维护", "绿化养护管理", "共用设施设备"):
        assert heading in text


def test_campaign_notice_lists_the_estates_tasks(world, campaign):
    estates = selectors.print_estates(user=world.district_user, codes=["HS001"])
    text = text_of(services.notices_pdf(kinds=[NoticeKind.CAMPAIGN_NOTICE], campaign=campaign, estates=estates))
    assert campaign.name in text
    assert "协调员" in text  # "hire one coordinator per estate" concerns every estate
    assert "2011-07-31" in text


def test_batch_for_n_estates_has_n_letters(world):
    for i in range(4):
        f.EstateFactory(code=f"HSX{i}", street=world.street, firm=world.firm)
    estates = selectors.print_estates(user=world.district_user, firm_id=world.firm.pk)
    data = services.notices_pdf(kinds=[NoticeKind.OPEN_LETTER], campaign=None, estates=estates)
    assert estates.count() == 6
    assert pages(data) == 6
    assert text_of(data).count("全体业主（使用人）的一封信") == 6


def test_staff_edited_text_is_printed(world, campaign, estates):
    user = world.city_user
    services.notice_template_save(user=user, campaign=campaign, kind=NoticeKind.OPEN_LETTER,
                                  title="{{ estate.name }}业主公开信", body="请{{ estate.name }}业主于本月参加议事会。")
    estates = selectors.print_estates(user=world.district_user, codes=["HS001"])
    text = text_of(services.notices_pdf(kinds=[NoticeKind.OPEN_LETTER], campaign=campaign, estates=estates))
    assert "月湖花园业主公开信" in text
    assert "请月湖花园业主于本月参加议事会。" in text


def test_generic_text_applies_when_the_campaign_has_none(world, campaign):
    NoticeTemplate.objects.create(kind=NoticeKind.SERVICE_LIST, title="通用清单", body="通用正文")
    assert selectors.notice_template_for(campaign=campaign, kind=NoticeKind.SERVICE_LIST) == ("通用清单", "通用正文")


def test_copy_defaults_gives_a_campaign_its_own_texts(world, campaign):
    created = services.notice_templates_copy_defaults(user=world.city_user, campaign=campaign)
    assert {t.kind for t in created} == set(NoticeKind.values)
    assert services.notice_templates_copy_defaults(user=world.city_user, campaign=campaign) == []


@pytest.mark.parametrize("source", [
    "{% include 'base.html' %}",
    "{% load static %}",
    "{% debug %}",
    "{{ estate.firm }}",
    "{{ settings.SECRET_KEY }}",
    "{{ estate.name|safe }}",
    "{{ estate }}",
    "{% if estate.name.upper %}x{% endif %}",
])
def test_texts_refuse_anything_but_listed_placeholders(source):
    with pytest.raises(PlaceholderError):
        compile_text(source)


def test_model_validation_reports_a_bad_placeholder_in_chinese(world):
    template = NoticeTemplate(kind=NoticeKind.OPEN_LETTER, title="标题", body="{{ estate.owner_list }}")
    with pytest.raises(ValidationError) as exc:
        template.full_clean()
    assert "不支持的占位符" in str(exc.value)


def test_text_typed_as_html_is_printed_literally():
    html = str(text_to_html(render_text('<img src="http://x/">{{ estate.name }}', {"estate": {"name": "<b>"}})))
    assert "<img" not in html and "&lt;img" in html and "&lt;b&gt;" in html


def test_if_and_default_are_allowed():
    out = render_text('{% if campaign.document_number %}（{{ campaign.document_number }}）{% endif %}'
                      '{{ estate.address|default:"待补" }}', {"campaign": {"document_number": ""},
                                                              "estate": {"address": ""}})
    assert out == "待补"


def test_district_cannot_select_another_districts_estates(world):
    with pytest.raises(Http404):
        selectors.print_estates(user=world.district_user, district_id=world.other_district.pk)
    with pytest.raises(Http404):
        selectors.print_estates(user=world.district_user, street_id=world.far_street.pk)
    with pytest.raises(Http404):
        selectors.print_estates(user=world.district_user, firm_id=world.other_firm.pk)
    with pytest.raises(Http404):
        selectors.print_estates(user=world.district_user, codes=["HS001", "JB001"])


def test_street_selection_stays_inside_the_street(world):
    estates = selectors.print_estates(user=world.street_user, street_id=world.street.pk)
    codes = set(estates.values_list("code", flat=True))
    assert codes == {"HS001"}


def test_single_notice_of_another_districts_estate_is_404(world, client):
    client.force_login(world.district_user)
    url = reverse("documents:notice_pdf", args=["JB001", NoticeKind.OPEN_LETTER])
    assert client.get(url).status_code == 404


def test_single_notice_downloads_as_pdf(world, client):
    client.force_login(world.firm_user)
    response = client.get(reverse("documents:notice_pdf", args=["HS001", NoticeKind.OPEN_LETTER]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "月湖花园" in text_of(response.content)


def test_batch_job_prints_the_district(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.notices_batch_start(user=world.district_user, kinds=[NoticeKind.OPEN_LETTER],
                                           scope={"district_id": world.district.pk})
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.message
    data = job.result.read()
    assert pages(data) == 2
    assert "孔浦新村" not in text_of(data)


def test_batch_job_refuses_another_district_before_queueing(world):
    with pytest.raises(Http404):
        services.notices_batch_start(user=world.district_user, kinds=[NoticeKind.OPEN_LETTER],
                                     scope={"district_id": world.other_district.pk})
    assert not Job.objects.exists()


def test_worker_reapplies_the_owners_scope(world, django_capture_on_commit_callbacks):
    # A job whose scope the owner lost meanwhile (e.g. moved to another district) fails cleanly.
    job = Job.objects.create(kind="documents.letters_batch", owner=world.other_district_user,
                             organisation=world.other_district_user.organisation_key,
                             params={"kinds": ["open_letter"], "campaign_id": None,
                                     "scope": {"district_id": world.district.pk}})
    from core.jobs import job_run

    job = job_run(job.pk)
    assert job.state == Job.State.FAILED
    assert "管辖范围" in job.message


def test_firm_portal_lists_only_its_estates(world, client):
    client.force_login(world.firm_user)
    page = client.get(reverse("documents:portal")).content.decode()
    assert "月湖花园" in page and "孔浦新村" not in page


def test_firm_portal_batch_prints_own_estates_whatever_is_posted(world, client):
    client.force_login(world.firm_user)
    response = client.post(reverse("documents:portal"), {"kinds": ["open_letter"],
                                                         "district": world.other_district.pk})
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    assert job.params["scope"] == {"firm_id": world.firm.pk}
    assert job.organisation == f"estates.propertyfirm:{world.firm.pk}"


def test_firm_portal_query_count_does_not_grow_with_estates(world, client):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.firm_user)
    cache.clear()  # cold both times: cached badges would hide a query that grows
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("documents:portal"))
    for i in range(10):
        f.EstateFactory(code=f"HSQ{i}", street=world.street, firm=world.firm)
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("documents:portal"))
    assert len(small) == len(large)


def test_admin_add_form_offers_the_default_text_and_placeholder_help(world, client):
    client.force_login(world.city_user)
    page = client.get(reverse("admin:documents_noticetemplate_add") + "?kind=service_list").content.decode()
    assert "物业服务内容清单" in page and "{{ estate.hotline }}" in page


def test_admin_saves_a_campaign_text_and_previews_it(world, campaign, client):
    client.force_login(world.city_user)
    response = client.post(reverse("admin:documents_noticetemplate_add"), {
        "campaign": campaign.pk, "kind": "open_letter", "title": "{{ estate.name }}倡议书",
        "body": "各位业主：请支持{{ campaign.name }}。"})
    assert response.status_code == 302, response.content.decode()[:2000]
    template = NoticeTemplate.objects.get()
    assert template.updated_by == world.city_user
    preview = client.get(reverse("admin:documents_noticetemplate_preview", args=[template.pk]))
    assert preview.status_code == 200 and "倡议书" in text_of(preview.content)


def test_admin_refuses_a_text_with_a_forbidden_tag(world, campaign, client):
    client.force_login(world.city_user)
    response = client.post(reverse("admin:documents_noticetemplate_add"), {
        "campaign": campaign.pk, "kind": "open_letter", "title": "标题", "body": "{% include 'x.html' %}"})
    assert response.status_code == 200 and not NoticeTemplate.objects.exists()
    assert "不能使用其他模板标签" in response.content.decode()


def test_district_cannot_edit_the_generic_texts(world, client):
    template = NoticeTemplate.objects.create(kind=NoticeKind.OPEN_LETTER, title="通用", body="正文")
    client.force_login(world.district_user)
    response = client.post(reverse("admin:documents_noticetemplate_change", args=[template.pk]),
                           {"kind": "open_letter", "title": "改过", "body": "正文"})
    template.refresh_from_db()
    assert template.title == "通用" and response.status_code in (200, 403)
