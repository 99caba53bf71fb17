"""A large Excel import in the admin, in a real browser: the upload goes to the job's progress page at once
(the request no longer runs the import), the bar moves while the rows are checked, then the same page shows
the import's result — the counts, or the errors and the marked copy to download."""

import re
import time

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from core.models import Job
from core.xlsx import import_job
from estates.importers import ESTATE_SPEC, EstateImporter
from estates.models import Estate

pytestmark = pytest.mark.browser
ROWS = 30


def _login(page, live_server, username, password, path="/admin/"):
    page.goto(f"{live_server.url}/admin/login/?next={path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}{path}")


def _workbook(path, *, bad_row=None):
    """ROWS new estates in the streets of an existing demo estate; ``bad_row`` (0-based) gets a bad 户数."""
    model = Estate.objects.select_related("district", "street", "community", "firm").filter(firm__isnull=False).first()
    wb = Workbook()
    ws = wb.active
    ws.append([c.label for c in ESTATE_SPEC.columns])
    for i in range(ROWS):
        values = {"code": f"BJ{i:04d}", "name": f"浏览器导入小区{i}", "address": f"测试路 {i} 号",
                  "district": model.district.name, "street": model.street.name,
                  "community": model.community.name if model.community_id else "",
                  "firm": model.firm.credit_code, "category": "二类", "year_built": 2001,
                  "households": "很多" if i == bad_row else 300 + i, "floor_area": 20000,
                  "has_owners_committee": "是", "hotline": "", "complaint_phone": "", "is_active": "是"}
        ws.append([values.get(c.key, "") for c in ESTATE_SPEC.columns])
    wb.save(path)
    return path


@pytest.fixture
def slow_checks(monkeypatch, settings):
    """A 30-row file takes the job's path, and each row's check takes a little while, so the progress page is
    seen before the job ends (the job runs in a thread of the live server, as in the embedded set-up)."""
    settings.JOBS_IN_THREADS = True
    settings.XLSX_IMPORT_JOB_ROWS = 10
    monkeypatch.setattr(EstateImporter, "progress_every", 3)
    validate = EstateImporter.validate

    def slowly(self, row):
        time.sleep(0.08)
        return validate(self, row)

    monkeypatch.setattr(EstateImporter, "validate", slowly)


def _upload(page, live_server, path):
    page.goto(f"{live_server.url}/admin/estates/estate/xlsx/import/")
    page.set_input_files("#xlsx-import-form input[type=file]", str(path))
    with page.expect_response(re.compile(r"/jobs/[0-9a-f-]+/$")) as first_view:
        page.get_by_role("button", name="上传并导入").click()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
    # The progress page was served while the job was still running.
    assert "progress-bar-animated" in first_view.value.text()
    expect(page.locator("#job-progress")).to_be_visible()


def test_a_large_import_shows_its_progress_then_its_counts(page, live_server, demo_city, slow_checks, tmp_path,
                                                           assert_accessible):
    _login(page, live_server, "demo-city", demo_city)
    _upload(page, live_server, _workbook(tmp_path / "小区导入.xlsx"))
    assert_accessible(page)  # the job page is a portal-styled page, not an admin one
    expect(page.locator("#job-progress")).not_to_have_attribute("aria-valuenow", "0", timeout=30_000)
    expect(page.locator("#import-summary")).to_be_visible(timeout=60_000)
    expect(page.locator("#import-summary .created")).to_have_text(str(ROWS))
    expect(page.locator("#job-state")).to_have_text("已完成")
    assert_accessible(page)
    assert Estate.objects.filter(code__startswith="BJ").count() == ROWS
    assert Job.objects.get(kind=import_job.KIND).state == Job.State.DONE


def test_a_large_import_with_an_error_saves_nothing_and_offers_the_marked_copy(page, live_server, demo_city,
                                                                              slow_checks, tmp_path,
                                                                              assert_accessible):
    _login(page, live_server, "demo-city", demo_city)
    _upload(page, live_server, _workbook(tmp_path / "小区导入.xlsx", bad_row=20))
    expect(page.locator("#import-errors")).to_be_visible(timeout=60_000)
    expect(page.locator("#import-errors")).to_contain_text("不是整数")
    expect(page.locator("#import-errors tbody tr")).to_have_count(1)
    assert_accessible(page)
    with page.expect_download() as download:
        page.locator("#job-download-link").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert not Estate.objects.filter(code__startswith="BJ").exists()
