"""The public form's cost per request (issue 17's load acceptance, README "Suggestion box load"): a
constant, small number of queries for the form and for a submission, and no claim of the outbox in
the request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications import tasks
from notifications.models import OutboxMessage
from suggestions.models import Suggestion

FORM = {"category": "environment", "text": "三号楼门口的垃圾桶两天没有清运，味道很大。", "name": "李大爷",
        "mobile": "13800138000", "consent_contact": "on"}
CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT")


def statements(ctx):
    """The queries of a request, without the transaction's own statements (SQLite's test savepoints,
    PostgreSQL's BEGIN/COMMIT)."""
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].upper().startswith(CONTROL)]


def url(code="HS001"):
    return reverse("suggestions:suggest", args=[code])


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def handovers(monkeypatch):
    """The tasks queued after the commit (recorded, not run: as with a broker and no worker)."""
    queued = []
    monkeypatch.setitem(tasks.send_queued.app.conf, "task_always_eager", False)
    monkeypatch.setattr(tasks.send_queued, "delay", lambda *a, **k: queued.append("send_queued"))
    monkeypatch.setattr(tasks.send_batch, "delay", lambda *a, **k: queued.append("send_batch"))
    return queued


def test_a_submission_is_four_queries_and_one_task(client, world, handovers, django_capture_on_commit_callbacks):
    client.post(url(), FORM, REMOTE_ADDR="198.51.100.1")  # another sender's entry before
    handovers.clear()
    with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(), {**FORM, "text": FORM["text"] + "又满了"}, REMOTE_ADDR="198.51.100.2")
    assert response.status_code == 302
    queries = statements(ctx)
    # The sender's recent entries (every limit and the burst); the entry, its event, its two outbox rows (one
    # INSERT). The estate's row was cached by the request before (registry version, suggestions/selectors/public.py
    # estate_for_form), and so were the district's deadlines of the day (the policy and the calendar,
    # suggestions/deadlines.py due_dates): the three more queries of a cold submission.
    assert len(queries) == 4, "\n".join(queries)
    assert sum(q.startswith("INSERT") for q in queries) == 3
    assert OutboxMessage.objects.filter(key__startswith=str(Suggestion.private_objects.latest("pk").pk)).count() == 2
    assert handovers == ["send_queued"]  # one task after the commit, the claim is the worker's
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {OutboxMessage.State.PENDING}
    assert Suggestion.private_objects.count() == 2


def test_a_cold_submission_reads_the_estate_too(client, world, handovers, django_capture_on_commit_callbacks):
    with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(execute=True):
        assert client.post(url(), FORM, REMOTE_ADDR="198.51.100.2").status_code == 302
    assert len(statements(ctx)) == 7 and 'FROM "estates_estate"' in statements(ctx)[0]


def test_the_form_is_two_queries_whatever_the_entries_before(client, world, handovers):
    with CaptureQueriesContext(connection) as first:
        assert client.get(url()).status_code == 200
    for n in range(3):
        client.post(url(), {**FORM, "text": FORM["text"] + f"第{n}次"})
    with CaptureQueriesContext(connection) as later:
        assert client.get(url()).status_code == 200
    # At most the estate (cached after the first request) and the sender's recent entries, however many.
    assert len(statements(first)) <= 2 and len(statements(later)) == 1, statements(later)


def test_a_renamed_or_closed_estate_shows_on_the_form_at_once(client, world):
    assert client.get(url()).status_code == 200
    world.estate.name = "月湖花园二期"
    world.estate.save()
    assert "月湖花园二期" in client.get(url()).content.decode()
    world.estate.is_active = False
    world.estate.save()
    assert client.get(url()).status_code == 404


@pytest.mark.parametrize("data", [None, {}, {**FORM, "text": "短", "mobile": "123<b>"}, {**FORM, "text": 'x"<&>' * 5}])
def test_the_forms_controls_are_drawn_as_djangos_widget_templates_would(data):
    """The public forms draw their text, text area and file controls without a template render
    (templatetags/sugg_public.py); the HTML is Django's, escaping included."""
    from suggestions.public_forms import FollowUpForm, RateForm, ReopenForm, SuggestionForm
    from suggestions.templatetags import sugg_public

    for form_class in (SuggestionForm, FollowUpForm, RateForm, ReopenForm):
        form = form_class(data) if data is not None else form_class()
        form.is_valid() if data is not None else None
        for field in form:
            attrs = {"class": "form-control", "aria-describedby": f"{field.auto_id}_help"}
            assert str(sugg_public._render(field, dict(attrs))) == field.as_widget(attrs=dict(attrs)), field.name


def test_the_plain_controls_skip_the_widget_templates(monkeypatch):
    from django.forms.boundfield import BoundField

    from suggestions.public_forms import SuggestionForm
    from suggestions.templatetags import sugg_public

    drawn_by_django = []
    as_widget = BoundField.as_widget
    monkeypatch.setattr(BoundField, "as_widget", lambda self, *a, **k: drawn_by_django.append(self.name)
                        or as_widget(self, *a, **k))
    form = SuggestionForm()
    for field in form:
        sugg_public._render(field, {"class": "form-control"})
    assert drawn_by_django == ["category", "anonymous", "consent_contact"]  # radios and check boxes only


def test_the_form_and_a_submission_read_the_cache_once_each(client, world, cache_reads):
    """The registry's and the deadlines' version tokens in one round trip (core.cache.snapshot), which the estate
    and the deadlines then find in the request's snapshot: not a read per function that needs them."""
    client.get(url())  # the estate's row and the district's deadlines kept in this process
    client.post(url(), FORM, REMOTE_ADDR="198.51.100.1")
    cache_reads.clear()
    assert client.get(url(), REMOTE_ADDR="198.51.100.2").status_code == 200
    assert len(cache_reads) == 1, cache_reads
    cache_reads.clear()
    response = client.post(url(), {**FORM, "text": FORM["text"] + "又满了"}, REMOTE_ADDR="198.51.100.2")
    assert response.status_code == 302
    assert len(cache_reads) == 1, cache_reads
