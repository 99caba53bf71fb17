""""逾期提交" (handed in after the deadline) is marked on late work only: on-time work shows nothing there, never
Django's red ✖ boolean icon, in the admin list, the admin change page, the portal list and detail, and the export."""

import re

import pytest
from django.urls import reverse

from campaigns import exports
from campaigns.models import Obligation
from tests.campaign_ui_fixtures import make_live, obligation

pytestmark = pytest.mark.django_db

BOOLEAN_ICONS = re.compile(r"icon-(yes|no)\.svg")


@pytest.fixture
def two(world):
    """Two submitted obligations of the same task: one handed in late, one on time."""
    live = make_live(world)
    late = obligation(live.box, estate=world.estate)
    on_time = obligation(live.box, estate=world.estate2)
    Obligation.objects.filter(pk__in=[late.pk, on_time.pk]).update(state=Obligation.State.SUBMITTED)
    Obligation.objects.filter(pk=late.pk).update(late=True)
    return late, on_time


def _row(html, pk):
    """The changelist row of one obligation (its checkbox carries the pk)."""
    rows = re.findall(r"<tr>.*?</tr>", html, re.S)
    return next(row for row in rows if f'value="{pk}"' in row)


def test_admin_list_marks_late_work_and_shows_nothing_for_on_time_work(client, world, two):
    late, on_time = two
    client.force_login(world.city_user)
    html = client.get(reverse("admin:campaigns_obligation_changelist")).content.decode()
    assert "逾期提交" in _row(html, late.pk)
    assert "逾期提交" not in _row(html, on_time.pk)
    assert not BOOLEAN_ICONS.search(_row(html, on_time.pk)) and not BOOLEAN_ICONS.search(_row(html, late.pk))


@pytest.mark.parametrize("which, shown", [(0, "是"), (1, "否")])
def test_admin_change_page_says_late_in_words(client, world, two, which, shown):
    client.force_login(world.city_user)
    html = client.get(reverse("admin:campaigns_obligation_change", args=[two[which].pk])).content.decode()
    field = re.search(r'<div class="[^"]*field-late_display[^"]*">.*?<div class="readonly">(.*?)</div>', html, re.S)
    assert field and field.group(1).strip() == shown
    assert not BOOLEAN_ICONS.search(html)


def test_portal_list_and_detail_mark_late_work_only(client, world, two):
    late, on_time = two
    client.force_login(world.firm_user)
    html = client.get(reverse("campaigns:obligations"), {"campaign": "all"}).content.decode()
    rows = {int(pk): row for pk, row in re.findall(r'<tr data-obligation="(\d+)">(.*?)</tr>', html, re.S)}
    assert "逾期提交" in rows[late.pk] and "逾期提交" not in rows[on_time.pk]
    assert "✖" not in html and "bi-x" not in rows[on_time.pk]
    detail = client.get(reverse("campaigns:obligation_detail", args=[on_time.pk])).content.decode()
    assert "逾期提交" not in detail
    assert "逾期提交" in client.get(reverse("campaigns:obligation_detail", args=[late.pk])).content.decode()


def test_export_says_late_in_words(world, two):
    from openpyxl import load_workbook

    late, on_time = two
    sheet = load_workbook(exports.export_obligations(Obligation.objects.filter(pk__in=[late.pk, on_time.pk]))).active
    rows = list(sheet.iter_rows(values_only=True))
    late_column, code_column = rows[0].index("逾期提交"), rows[0].index("小区编码")
    marks = {row[code_column]: row[late_column] for row in rows[1:]}
    assert marks == {world.estate.code: "是", world.estate2.code: "否"}  # words, not a ✖
