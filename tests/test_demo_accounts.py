"""`make run` a second time: the demo accounts stay where they are and nobody is logged out."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.demo import ensure_demo_accounts
from accounts.models import User


@pytest.fixture
def demo_city(db):
    from estates.demo import build_city

    return build_city(estates=40, seed=7)


def _orgs():
    return {u.username: (u.agency_id, u.firm_id, u.password)
            for u in User.objects.filter(username__startswith="demo-").order_by("username")}


def test_a_second_run_keeps_every_demo_account_its_organisation_and_password(demo_city):
    ensure_demo_accounts(password="first")
    before = _orgs()
    # Data changes between runs (a firm's grade, new estates) change what a fresh pick would choose.
    firm = User.objects.get(username="demo-firm").firm
    firm.grade = 3
    firm.save()
    ensure_demo_accounts(password="second")
    assert _orgs() == before
    assert User.objects.get(username="demo-firm").check_password("first")


def test_a_second_run_logs_nobody_out(demo_city, client):
    ensure_demo_accounts(password="wenming2011")
    client.force_login(User.objects.get(username="demo-firm"))
    assert client.get(reverse("portal:dashboard")).status_code == 200
    ensure_demo_accounts(password="wenming2011")
    assert client.get(reverse("portal:dashboard")).status_code == 200  # not a redirect to the login


def test_a_demo_account_whose_firm_is_gone_is_attached_again(demo_city):
    ensure_demo_accounts(password="x")
    user = User.objects.get(username="demo-firm")
    user.firm = None
    user.save()
    ensure_demo_accounts(password="x")
    user.refresh_from_db()
    assert user.firm_id is not None and user.firm.estates.exists()


def test_setup_demo_twice_keeps_the_accounts(db, tmp_path):
    call_command("setup_demo", estates=30, seed=5, stdout=open(tmp_path / "out1", "w"))
    before = _orgs()
    call_command("setup_demo", estates=30, seed=5, stdout=open(tmp_path / "out2", "w"))
    assert _orgs() == before and len(before) == 4
