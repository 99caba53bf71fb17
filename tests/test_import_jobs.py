"""Large Excel imports run as long jobs (core/xlsx/import_job.py): above settings.XLSX_IMPORT_JOB_ROWS the
upload goes to the job's progress page; the job checks every row, saves all or nothing, reports progress,
and its page shows the counts, or the errors with the marked copy to download. Small uploads stay in the
request."""

import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from openpyxl import load_workbook

from core import jobs
from core.models import Job
from core.xlsx import Importer, import_job
from estates.models import Estate
from tests.test_estate_import import ESTATE_HEADERS, estate_row, estates_file, import_url

ROWS = 30


@pytest.fixture(autouse=True)
def small_threshold(settings):
    settings.XLSX_IMPORT_JOB_ROWS = 10  # a 30-row file takes the job's path


def thirty_estates(world, **bad):
    """30 estates of the district; ``bad`` overrides row 17's values (the 16th data row)."""
    rows = []
    for i in range(ROWS):
        values = {"code": f"HSJ{i:03d}", "name": f"批量小区{i}"}
        if i == 15:
            values.update(bad)
        rows.append(estate_row(world, **values))
    return estates_file(world, *rows)


def post_import(client, django_capture_on_commit_callbacks, upload, user):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(import_url("estate"), {"file": upload})
    return response


def test_a_large_upload_goes_to_the_job_page_and_is_imported_there(world, client,
                                                                 django_capture_on_commit_callbacks):
    response = post_import(client, django_capture_on_commit_callbacks, thirty_estates(world), world.district_user)
    job = Job.objects.get(kind=import_job.KIND)
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.state == Job.State.DONE and job.progress == 100, job.message
    assert Estate.objects.filter(code__startswith="HSJ").count() == ROWS
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "导入完成" in html and 'class="created">30<' in html
    assert not Job.objects.filter(kind="xlsx-import-errors").exists()


def test_the_stored_upload_is_deleted_when_the_job_ends(world, client, django_capture_on_commit_callbacks):
    post_import(client, django_capture_on_commit_callbacks, thirty_estates(world), world.district_user)
    job = Job.objects.get(kind=import_job.KIND)
    assert job.params["upload"] == ""
    _dirs, files = default_storage.listdir(import_job.UPLOAD_DIR)
    assert files == []


def test_a_small_upload_stays_in_the_request(world, client, settings, django_capture_on_commit_callbacks):
    settings.XLSX_IMPORT_JOB_ROWS = 100
    response = post_import(client, django_capture_on_commit_callbacks, thirty_estates(world), world.district_user)
    assert response.status_code == 200 and response.context["result"].counts.created == ROWS
    assert not Job.objects.filter(kind=import_job.KIND).exists()


def test_the_job_reports_progress_while_it_reads_and_checks(world, client, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    monkeypatch.setattr(Importer, "progress_every", 5)
    seen = []
    report = jobs.Progress.__call__

    def spy(self, percent, message=None):
        report(self, percent, message)
        seen.append(Job.objects.values_list("progress", "message").get(pk=self.job_id))  # what the page polls

    monkeypatch.setattr(jobs.Progress, "__call__", spy)
    post_import(client, django_capture_on_commit_callbacks, thirty_estates(world), world.district_user)
    percents = [p for p, _m in seen]
    assert percents == sorted(percents) and percents[-1] == 100
    assert len([p for p in percents if 0 < p < 40]) >= 3, seen  # reading, row by row
    assert len([p for p in percents if 40 < p <= 80]) >= 3, seen  # checking, row by row
    assert any("已读取" in m for _p, m in seen) and any("已检查" in m for _p, m in seen)


def test_errors_leave_nothing_saved_and_the_marked_copy_downloads_from_the_job(world, client,
                                                                              django_capture_on_commit_callbacks):
    response = post_import(client, django_capture_on_commit_callbacks, thirty_estates(world, households="很多"),
                           world.district_user)
    job = Job.objects.get(kind=import_job.KIND)
    assert job.state == Job.State.DONE and "没有保存任何数据" in job.message
    assert not Estate.objects.filter(code__startswith="HSJ").exists()  # all or nothing
    html = client.get(response["Location"]).content.decode()
    assert "发现 1 处错误" in html and "不是整数" in html and "<td>17</td>" in html
    download = client.get(reverse("jobs:download", args=[job.pk]))
    assert download.status_code == 200
    marked = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    cell = marked.cell(row=17, column=ESTATE_HEADERS.index("户数") + 1)
    assert cell.value == "很多" and "不是整数" in cell.comment.text


def test_another_organisation_gets_404_for_the_import_job(world, client, django_capture_on_commit_callbacks):
    response = post_import(client, django_capture_on_commit_callbacks, thirty_estates(world, households="x"),
                           world.district_user)
    job = Job.objects.get(kind=import_job.KIND)
    client.force_login(world.other_district_user)
    for name in ("jobs:detail", "jobs:status", "jobs:download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404, name
    client.force_login(world.firm_user)
    assert client.get(response["Location"]).status_code == 404


def test_a_refused_file_is_refused_in_the_request_before_any_job(world, client, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = post_import(client, django_capture_on_commit_callbacks,
                           SimpleUploadedFile("小区.xlsx", b"not a zip"), world.district_user)
    assert response.status_code == 200 and "损坏" in response.content.decode()
    assert not Job.objects.exists()


def test_a_large_roster_upload_of_a_firm_runs_as_a_job(world, client, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    from campaigns.importers import ROSTER_SPEC
    from estates.models import Coordinator

    values = {"estate_code": world.estate.code, "estate_name": world.estate.name, "name": "李强",
              "phone": "13900000000", "appointed_on": "2011-08-01"}
    wb = Workbook()
    ws = wb.active
    ws.append([c.label for c in ROSTER_SPEC.columns])
    ws.append([values.get(c.key) for c in ROSTER_SPEC.columns])
    # One estate per row of a firm's roster: a blank cell far down makes the sheet 40 rows long (above the
    # threshold); blank rows are skipped by the import.
    ws.cell(row=40, column=1, value=" ")
    out = io.BytesIO()
    wb.save(out)
    client.force_login(world.firm_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("campaigns:roster_upload"),
                               {"file": SimpleUploadedFile("名册.xlsx", out.getvalue())})
    job = Job.objects.get(kind=import_job.KIND)
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.state == Job.State.DONE, job.message
    assert Coordinator.objects.filter(estate=world.estate, name="李强", is_current=True).exists()
    assert "导入完成" in client.get(response["Location"]).content.decode()


def test_a_job_naming_something_else_than_an_importer_fails_cleanly(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_start(kind=import_job.KIND, user=world.city_user,
                             params={"importer": "os.system", "upload": "imports/none.xlsx", "name": "x.xlsx"})
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and job.message == "导入类型无效。"
