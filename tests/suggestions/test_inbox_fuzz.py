"""Hostile input on the inbox's filters and forms (tests/matrix/test_form_fuzz.py does it for every page of the
matrix; here with the inbox's own fields): never a 500, never another firm's entry in the list or changed,
and a refused step changes nothing."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from suggestions.models import ReplyTemplate, Suggestion, SuggestionEvent
from tests.test_bad_parameters import HOSTILE

pytestmark = pytest.mark.django_db
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
VALUES = st.one_of(st.sampled_from([*HOSTILE, "", "0", "-1", "2026-13-40", "HS001", "JB001", "new", "due", "on",
                                    "A" * 3000, "\x00", "YJ", "😀" * 30]), st.text(max_size=40))
FILTERS = ("estate", "state", "category", "overdue", "date_from", "date_to", "q", "order", "page")


@pytest.fixture
def cast(client, world, submit):
    mine = submit()
    theirs = submit(estate=world.other_estate, text="MX-theirs 别家小区的意见，不能出现在列表里。")
    template = ReplyTemplate.objects.create(firm=world.firm, title="模板", text="已安排维修。")
    client.force_login(world.firm_user)
    return client, mine, theirs, template


def _row(entry):
    return Suggestion.private_objects.filter(pk=entry.pk).values().get(), entry.events.count()


@FUZZ
@given(params=st.dictionaries(st.sampled_from(FILTERS), VALUES, max_size=6))
def test_hostile_filters_never_fail_and_never_show_another_firms_entry(cast, params):
    client, mine, theirs, _t = cast
    response = client.get(reverse("suggestions:inbox"), params)
    assert response.status_code in (200, 400)  # 400: a NUL byte, refused by core/middleware.py before the view
    page = response.content.decode()
    assert theirs.number not in page and "MX-theirs" not in page


STEPS = {
    "reply": ("template", "text", "fill"), "resolve": ("resolve-text",), "close": ("close-reason",),
    "refer": ("refer-reason",), "acknowledge": (), "start": (),
}


@FUZZ
@given(step=st.sampled_from(sorted(STEPS)), data=st.data())
def test_hostile_steps_never_fail_and_a_refused_one_changes_nothing(cast, step, data):
    client, mine, theirs, _t = cast
    fields = {name: data.draw(VALUES, label=name) for name in STEPS[step]}
    before, foreign = _row(mine), _row(theirs)
    response = client.post(reverse(f"suggestions:inbox_{step}", args=[mine.number]), fields)
    assert response.status_code in (200, 302, 400)
    if response.status_code != 302:  # the form came back with its errors (or a template filled in), or a 400
        assert _row(mine) == before
    assert _row(theirs) == foreign
    assert client.post(reverse(f"suggestions:inbox_{step}", args=[theirs.number]), fields).status_code in (404, 400)
    assert _row(theirs) == foreign
    assert not SuggestionEvent.objects.filter(suggestion=theirs).exclude(kind="submitted").exists()


@FUZZ
@given(title=VALUES, text=VALUES)
def test_hostile_reply_templates_never_fail(cast, title, text):
    client, *_rest, template = cast
    before = ReplyTemplate.objects.count()
    response = client.post(reverse("suggestions:reply_templates"), {"title": title, "text": text})
    assert response.status_code in (200, 302, 400)
    assert ReplyTemplate.objects.count() == before + (response.status_code == 302)
    response = client.post(reverse("suggestions:reply_template_edit", args=[template.pk]),
                           {"title": title, "text": text})
    assert response.status_code in (200, 302, 400)
