"""No exported text is ever a formula (OWASP "CSV injection"), in any exporter.

Every text column of every model is seeded with values that start with a formula trigger
("=", tab or carriage return then "=", "+", "-", "@"), then every Excel export is run: every
admin list with the Excel buttons, every portal and admin export page, the long-job exports.
No cell of any file may have the formula type. A last test proves the list is complete:
every function of the project that calls the export framework ran during the sweep.
"""

import ast
import datetime
import inspect
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.urls import reverse
from openpyxl import load_workbook

import core.xlsx
import core.xlsx.export
from campaigns import exports as campaign_exports
from campaigns import services
from campaigns.models import Obligation
from core.models import CalendarDay
from core.xlsx_admin import XlsxAdminMixin
from tests import factories as f
from tests.campaign_ui_fixtures import make_live
from tests.test_admin_exports import Side

ROOT = Path(__file__).resolve().parents[1]
PROJECT_APPS = ("accounts", "campaigns", "core", "documents", "estates", "notifications", "suggestions")
TRIGGERS = ("=", "\t=", "\r=", "+", "-", "@")
FRAMEWORK = {"write_xlsx", "write_xlsx_path", "xlsx_response"}


def poison_every_text(*, skip=("password",)):
    """Prefix every stored text of every project model with a formula trigger, e.g. "=HYPERLINK(...)".

    Non-editable fields (the agency tree's path) and choice fields (exported as their labels) keep their values.
    """
    n = 0
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS or model._meta.proxy:
            continue
        fields = [fl for fl in model._meta.concrete_fields
                  if isinstance(fl, (models.CharField, models.TextField)) and fl.editable and not fl.choices
                  and fl.name not in skip]
        if not fields:
            continue
        for pk, *values in model._default_manager.values_list("pk", *[fl.attname for fl in fields]):
            changes = {}
            for field, value in zip(fields, values, strict=True):
                trigger = TRIGGERS[n % len(TRIGGERS)]
                n += 1
                text = f"{trigger}1+1 {value or ''}"  # "=1+1 …" would run as a formula in a spreadsheet
                changes[field.attname] = text[: field.max_length] if field.max_length else text
            model._default_manager.filter(pk=pk).update(**changes)


@pytest.fixture
def seeded(world):
    world.mine = Side(tag="海曙", district=world.district, estate=world.estate, officer=world.district_user)
    world.foreign = Side(tag="江北", district=world.other_district, estate=world.other_estate,
                         officer=world.other_district_user)
    world.live = make_live(world)
    today = world.live.today
    services.training_record(user=world.firm_user, date=today, topic="培训", attendee_count=12, place="会议室",
                             audience="保安", notes="摘要")
    services.activity_record(user=world.firm_user, kind="pairing", date=today, title="结对帮困走访",
                             partners="社区", description="情况")
    services.coordinator_file(user=world.firm_user, estate=world.estate2, name="李强", phone="13900000000",
                              appointed_on=today)
    CalendarDay.objects.create(date=datetime.date(today.year, 10, 1), is_workday=False, note="国庆节")
    world.root = f.UserFactory(username="root", agency=world.city, is_superuser=True, is_staff=True)
    _suggestion_rows(world)
    poison_every_text()
    return world


def _suggestion_rows(world):
    """An entry, a poster print, a deadline policy and a hotline client of the suggestion box."""
    from suggestions import services as suggestion_services
    from suggestions.models import ApiClient, Category, DeadlinePolicy, PosterPrint

    entry = suggestion_services.suggestion_submit(estate=world.estate, category=Category.OTHER, name="王阿姨",
                                                  text="小区东门的路灯坏了三天。", mobile="13800138000")
    PosterPrint.objects.create(estate=world.estate, printed_on=entry.submitted_at.date(), printed_by=world.firm_user)
    DeadlinePolicy.objects.create(district=world.district, acknowledge_workdays=1, answer_workdays=2)
    ApiClient.objects.create(district=world.district, name="12345 热线平台", token_hash="0" * 64, token_prefix="abcd")


def assert_no_formula(data, what):
    """``data``: the .xlsx bytes. No cell is a formula, and the seeded triggers did reach the file as text."""
    workbook = load_workbook(io.BytesIO(data))
    texts = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{what}: {cell.coordinate} is the formula {cell.value!r}"
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert any(t.startswith(TRIGGERS) for t in texts), f"{what}: no seeded text reached the file"


def body(response, what):
    assert response.status_code == 200, f"{what}: {response.status_code}"
    assert response["Content-Type"] == core.xlsx.XLSX_CONTENT_TYPE, what
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def callers(monkeypatch):
    """Every (file, function) of the project on the stack of each workbook written."""
    seen = set()
    write = core.xlsx.export._write

    def spy(*args, **kwargs):
        for frame in inspect.stack()[1:]:
            path = Path(frame.filename)
            if path.is_relative_to(ROOT) and ".venv" not in path.parts:
                seen.add((path.relative_to(ROOT).as_posix(), frame.function))
        return write(*args, **kwargs)

    monkeypatch.setattr(core.xlsx.export, "_write", spy)  # where write_xlsx looks it up
    return seen


def every_exporter_call_site():
    """(file, function) of every function in the project that calls the export framework directly."""
    sites = set()
    for app in PROJECT_APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts or "commands" in relative.parts:  # benchmarks write import input
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name in FRAMEWORK:
                    continue
                for call in ast.walk(node):
                    if isinstance(call, ast.Call):
                        name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
                        if name in FRAMEWORK:
                            sites.add((relative.as_posix(), node.name))
    return sites


def run_every_export(client, world, tmp_path):
    """Yield (what, xlsx bytes) for every export of the project."""
    client.force_login(world.root)
    xlsx_admins = [ma for ma in admin.site._registry.values() if isinstance(ma, XlsxAdminMixin)]
    assert len(xlsx_admins) >= 14
    for model_admin in xlsx_admins:
        what = f"admin {model_admin.opts.label}"
        url = reverse(f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_xlsx_export")
        yield what, body(client.get(url), what)
    campaign = world.live.campaign
    for by in campaign_exports.PROGRESS_TITLES:
        url = reverse("admin:campaigns_campaign_progress_export", args=[campaign.pk, by])
        yield f"progress by {by}", body(client.get(url), f"progress by {by}")
    yield "admin roster", body(client.get(reverse("admin:campaigns_campaign_roster")), "admin roster")
    for by in ("estate", "firm", "street", "district"):
        url = reverse("admin:suggestions_suggestion_stats_export")
        yield f"suggestion stats by {by}", body(client.get(url, {"by": by}), f"suggestion stats by {by}")
    Obligation.objects.filter(task=world.live.letter).update(state=Obligation.State.SUBMITTED)
    url = reverse("admin:campaigns_obligation_review_queue")
    yield "review queue", body(client.get(url, {"export": "xlsx"}), "review queue")

    client.force_login(world.firm_user)
    for name in ("campaigns:obligations", "campaigns:trainings", "campaigns:activities", "campaigns:coordinators"):
        yield name, body(client.get(reverse(name), {"export": "xlsx"}), name)
    yield "portal:estate_export", body(client.get(reverse("portal:estate_export")), "portal:estate_export")

    # The long-job exports (what the job runner calls), straight to a file.
    path = tmp_path / "documents.xlsx"
    campaign_exports.obligations_export(user=world.root, path=path, campaign=campaign)
    yield "obligations export job (the search of a list)", path.read_bytes()
    path = tmp_path / "campaigns.xlsx"
    campaign_exports.export_obligations_path(Obligation.objects.all(), path)
    yield "campaigns obligations export job", path.read_bytes()


def test_no_export_writes_a_formula(client, seeded, tmp_path, callers):
    done = []
    for what, data in run_every_export(client, seeded, tmp_path):
        assert_no_formula(data, what)
        done.append(what)
    missing = every_exporter_call_site() - callers
    assert not missing, f"exports this test does not run (add them to run_every_export): {sorted(missing)}"
    assert len(done) >= 25


def test_a_risky_text_is_exported_exactly_as_typed_and_shown_as_text():
    import django.utils.translation

    with django.utils.translation.override("zh-hans"):
        fh = core.xlsx.write_xlsx(["名称"], [["=HYPERLINK(\"http://x\",\"点击\")"], ["\t=1+1"], ["#N/A"], ["普通"]])
    sheet = load_workbook(fh).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == ["=HYPERLINK(\"http://x\",\"点击\")", "\t=1+1", "#N/A", "普通"]
    assert [c.data_type for c in cells] == ["s", "s", "s", "s"]
    # Excel's own "typed with a leading apostrophe" flag: the cell stays text when a user edits it.
    assert [c.quotePrefix for c in cells] == [True, True, True, False]


def test_characters_a_workbook_cannot_hold_are_dropped_instead_of_failing_the_export():
    fh = core.xlsx.write_xlsx(["名称"], [["甲\x00乙\x07"]])
    assert load_workbook(fh).active["A2"].value == "甲乙"


def test_the_marked_copy_of_an_upload_keeps_risky_texts_as_text():
    """The error copy of an import echoes the user's own cells: a text such as "=cmd|..." stays text there too."""
    from core.xlsx import Column, ImportSpec, RowError, mark_errors

    spec = ImportSpec(title="名册", columns=[Column("姓名", "name"), Column("电话", "phone")])
    upload = core.xlsx.write_xlsx(["姓名", "电话"], [["=cmd|' /C calc'!A0", "@SUM(1)"], ["+1+1", "-2"]])
    marked = mark_errors(upload, spec, [RowError(row=2, column="电话", message="电话号码有误")])
    sheet = load_workbook(io.BytesIO(marked)).active
    cells = {c: sheet[c] for c in ("A2", "B2", "A3", "B3")}
    assert {c: cell.value for c, cell in cells.items()} == {
        "A2": "=cmd|' /C calc'!A0", "B2": "@SUM(1)", "A3": "+1+1", "B3": "-2"}
    assert {cell.data_type for cell in cells.values()} == {"s"}
