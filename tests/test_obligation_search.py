"""One obligation search (campaigns.selectors.obligation_search) behind the admin list, the portal, the
exports and their one long job: the same arguments give the same rows everywhere."""

import ast
from pathlib import Path

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from campaigns import exports, selectors
from campaigns.admin import obligation_search_args
from campaigns.models import Obligation
from core.jobs import _KINDS
from core.models import Job
from tests.campaign_ui_fixtures import make_live, read_xlsx

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def live(world):
    live = make_live(world)
    Obligation.objects.filter(estate=world.estate, task=live.letter).update(state=Obligation.State.RETURNED)
    Obligation.objects.filter(estate=world.estate2).update(late=True)
    return live


def changelist_pks(user, params):
    request = RequestFactory().get("/admin/campaigns/obligation/", params)
    request.user = user
    model_admin = admin.site.get_model_admin(Obligation)
    return set(model_admin.get_changelist_instance(request).queryset.values_list("pk", flat=True))


@pytest.mark.parametrize("params", [
    {},
    {"overdue": "1"},
    {"overdue": "7"},
    {"overdue": "late"},
    {"state__exact": "returned"},
    {"grade": "1"},
    {"q": "HS001"},
    {"q": "公开信 HS00"},
    {"overdue": "1", "state__exact": "open"},
])
def test_the_admin_list_shows_what_the_search_finds_for_its_query_string(world, live, params):
    for user in (world.city_user, world.district_user, world.street_user):
        shown = changelist_pks(user, params)
        found = set(selectors.obligation_search(user=user, area=False, **obligation_search_args(params))
                    .values_list("pk", flat=True))
        assert shown == found, (user, params)
    assert changelist_pks(world.city_user, params) or params.get("q") == "公开信 HS00"


def test_the_admin_list_filters_by_ids_the_same_way(world, live):
    params = {"campaign": str(live.campaign.pk), "district": str(world.district.pk), "street": str(world.street.pk),
              "firm": str(world.firm.pk), "task": str(live.letter.pk), "action": str(live.letter.action_id)}
    args = obligation_search_args(params)
    assert args == {name: int(value) for name, value in params.items()}
    found = set(selectors.obligation_search(user=world.city_user, area=False, **args).values_list("pk", flat=True))
    assert changelist_pks(world.city_user, params) == found != set()


def test_values_the_admin_filters_ignore_are_left_out_of_the_search():
    assert obligation_search_args({"firm": "x", "grade": "9", "overdue": "2", "q": "  ", "state__exact": ""}) == {}


def test_one_job_kind_exports_obligations():
    kinds = [name for name in _KINDS if "obligations_export" in name]
    assert kinds == ["campaigns.obligations_export"]


def test_no_job_rebuilds_a_request_to_run_a_changelist():
    for path in [*ROOT.glob("*/jobs.py"), *ROOT.glob("*/tasks.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {getattr(node, "id", None) or getattr(node, "attr", None) for node in ast.walk(tree)}
        assert "RequestFactory" not in names and "get_changelist_instance" not in names, path


def test_the_large_admin_export_job_carries_the_search_not_a_query_string(client, world, live, monkeypatch,
                                                                          django_capture_on_commit_callbacks):
    monkeypatch.setattr(exports, "OBLIGATION_EXPORT_SYNC_LIMIT", 0)
    client.force_login(world.district_user)
    params = {"overdue": "1", "q": "HS00"}
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("admin:campaigns_obligation_xlsx_export"), params)
    job = Job.objects.get()
    assert job.kind == "campaigns.obligations_export" and job.state == Job.State.DONE, job.message
    assert {k: v for k, v in job.params.items() if k != "count"} == {
        "filter": "overdue", "q": "HS00", "area": False, "order": "deadline"}
    rows = read_xlsx(client.get(reverse("jobs:download", args=[job.pk])))
    expected = selectors.obligation_search(user=world.district_user, area=False, filter="overdue", q="HS00")
    assert sorted(r[4] for r in rows[1:]) == sorted(expected.values_list("estate__code", flat=True))


def test_the_documents_export_runs_the_same_job_kind(world, live, django_capture_on_commit_callbacks):
    from documents import services

    with django_capture_on_commit_callbacks(execute=True):
        job = services.obligations_export_start(user=world.district_user, campaign=live.campaign, filter="overdue",
                                                district_id=world.district.pk)
    job.refresh_from_db()
    assert job.kind == "campaigns.obligations_export" and job.state == Job.State.DONE, job.message
    assert job.params["district"] == world.district.pk and job.params["area"] is True


def test_a_stranger_job_parameter_is_refused_at_start(world):
    from campaigns.jobs import obligations_export_start

    with pytest.raises(TypeError):
        obligations_export_start(user=world.city_user, source="admin")


def test_the_open_states_are_defined_once():
    """campaigns.models.OPEN_STATES is the one list of the states that still expect work: no module spells
    ("open", "returned") or (State.OPEN, State.RETURNED) again."""
    from campaigns.models import OPEN_STATES, ObligationQuerySet

    assert ObligationQuerySet.OPEN_STATES is OPEN_STATES
    found = []
    for app in ("accounts", "campaigns", "core", "documents", "estates", "notifications"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Tuple | ast.List | ast.Set) or len(node.elts) != 2:
                    continue
                words = {getattr(e, "value", None) if isinstance(e, ast.Constant) else getattr(e, "attr", None)
                         for e in node.elts}
                if words in ({"open", "returned"}, {"OPEN", "RETURNED"}):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == ["campaigns/models.py:" + str(_open_states_line())], found


def _open_states_line():
    source = (ROOT / "campaigns" / "models.py").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(source, 1) if line.startswith("OPEN_STATES = "))
