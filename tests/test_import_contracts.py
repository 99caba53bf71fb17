"""The layers of .importlinter hold on the real tree, and each contract breaks on a deliberate violation.

import-linter runs as CI runs it (.ci/run step "lint-imports"): the command line, in a subprocess. The
violations are written into a copy of our packages in a temporary directory, never into the tree.
"""

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _contracts():
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter", encoding="utf-8")
    return parser


def _root_packages():
    return _contracts()["importlinter"]["root_packages"].split()


def lint_imports(cwd):
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", ".importlinter"],
        cwd=cwd, env={**os.environ, "PYTHONPATH": str(cwd)}, capture_output=True, text=True, timeout=120,
    )


def test_the_tree_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout
    assert f"Contracts: {len(_contracts().sections()) - 1} kept, 0 broken." in result.stdout


def test_every_app_of_ours_is_a_root_package():
    """A new app (volunteers…) that is not listed would escape every contract as a source."""
    ours = {config.name.split(".")[0] for config in apps.get_app_configs() if Path(config.path).parent == ROOT}
    assert ours | {"config"} == set(_root_packages())


@pytest.fixture(scope="module")
def copy_of_the_tree(tmp_path_factory):
    """Our packages and the contract file, copied once; each case adds and removes its own probe module."""
    target = tmp_path_factory.mktemp("layers")
    for package in _root_packages():
        shutil.copytree(ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / ".importlinter", target / ".importlinter")
    return target


VIOLATIONS = [
    # (module written, its import, the contract that must break, the chain import-linter names)
    ("core/_probe.py", "from campaigns import models\n", "core knows no domain app",
     "core._probe -> campaigns.models"),
    ("core/_probe.py", "from django.conf import settings\nimport accounts.models\n", "core knows no domain app",
     "core._probe -> accounts.models"),
    ("estates/_probe.py", "from campaigns.services import obligations_sync\n", "the registry knows no campaign",
     "estates._probe -> campaigns.services"),
    ("campaigns/_probe.py", "import volunteers.models\n", "campaigns know no later app",
     "campaigns._probe -> volunteers"),
    ("notifications/_probe.py", "from campaigns.models import Obligation\n", "notifications know no campaign",
     "notifications._probe -> campaigns.models"),
    ("documents/_probe.py", "from estates import admin\n", "no app imports another app's views or admin",
     "documents._probe -> estates.admin"),
    ("campaigns/_probe.py", "from accounts.views import settings_view\n",
     "no app imports another app's views or admin", "campaigns._probe -> accounts.views"),
    ("notifications/_probe.py", "from config.celery import app\n", "the layers of docs/layers.svg: imports point down",
     "notifications._probe -> config.celery"),
    ("estates/_probe.py", "from notifications import outbox\n", "the layers of docs/layers.svg: imports point down",
     "estates._probe -> notifications.outbox"),
]


@pytest.mark.parametrize("path, source, contract, chain", VIOLATIONS, ids=[v[3] for v in VIOLATIONS])
def test_a_violation_breaks_its_contract(copy_of_the_tree, path, source, contract, chain):
    probe = copy_of_the_tree / path
    probe.write_text(source, encoding="utf-8")
    try:
        result = lint_imports(copy_of_the_tree)
    finally:
        probe.unlink()
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{contract} BROKEN" in result.stdout
    assert chain in result.stdout


def test_an_apps_own_views_and_admin_are_no_violation(copy_of_the_tree):
    """The views/admin contract skips an app's own modules (and config.urls wires everybody's views)."""
    probe = copy_of_the_tree / "campaigns" / "_probe.py"
    probe.write_text("from campaigns import admin, views\n", encoding="utf-8")
    try:
        result = lint_imports(copy_of_the_tree)
    finally:
        probe.unlink()
    assert "campaigns._probe" not in result.stdout
