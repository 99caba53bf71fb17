"""The suggestion changelist reads only the columns it shows (ScopedAdmin.list_only): the same cells as the whole
rows, no query per row, and the residents' texts and names not read for the list."""

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import items_for_result
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from suggestions import services
from suggestions.models import Suggestion
from tests.suggestions.conftest import at

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:suggestions_suggestion_changelist"


def _entries(world, submit):
    import datetime

    submit()
    submit(estate=world.estate2, anonymous=True, name="")
    submit(received=at(datetime.date(2026, 1, 5)))  # overdue long since
    hidden = submit(estate=world.estate2)
    services.suggestion_hide(suggestion=hidden, user=world.district_user, reason="广告")


def test_the_list_shows_the_cells_of_the_whole_rows(world, submit):
    _entries(world, submit)
    request = RequestFactory().get(reverse(CHANGELIST))
    request.user = world.district_user
    model_admin = admin.site.get_model_admin(Suggestion)
    changelist = model_admin.get_changelist_instance(request)
    rows = list(changelist.result_list)
    assert len(rows) == 4
    assert all("text" in row.get_deferred_fields() and "name" in row.get_deferred_fields() for row in rows)
    whole = {s.pk: s for s in model_admin.get_queryset(request).select_related("estate", "firm")}
    with CaptureQueriesContext(connection) as ctx:
        cells = [list(items_for_result(changelist, row, None)) for row in rows]
    assert len(ctx.captured_queries) == 0
    assert cells == [list(items_for_result(changelist, whole[row.pk], None)) for row in rows]
