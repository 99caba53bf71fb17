"""The suggestion box's demo entries (`make run`): deterministic, every state the pages show, once."""

import pytest

from accounts.models import User
from estates.demo import build_city
from suggestions.demo import load_demo_suggestions
from suggestions.models import ReplyTemplate, Suggestion, SuggestionEvent
from suggestions.selectors import inbox

pytestmark = pytest.mark.django_db


def _snapshot():
    rows = Suggestion.private_objects.values_list("estate__code", "category", "state", "rating", "text")
    return sorted((code, category, state, rating or 0, text) for code, category, state, rating, text in rows)


def test_the_demo_seeds_entries_in_every_state_for_the_demo_firm_and_others_once():
    build_city(estates=120, seed=2011)
    created = load_demo_suggestions()
    assert 30 <= created <= 60
    states = set(Suggestion.private_objects.values_list("state", flat=True))
    assert {"new", "acknowledged", "in_progress", "resolved", "closed", "referred"} <= states
    assert Suggestion.private_objects.filter(rating__isnull=False).exists()
    assert Suggestion.private_objects.filter(reopen_count=1).exists()
    assert SuggestionEvent.objects.filter(kind=SuggestionEvent.Kind.OVERDUE).exists()  # the sweep ran
    user = User.objects.get(username="demo-firm")
    counts = inbox.inbox_counts(user=user)
    assert counts["open"] and Suggestion.private_objects.filter(firm=user.firm).count() >= 10
    assert ReplyTemplate.objects.filter(firm=user.firm).count() == 2
    assert Suggestion.private_objects.values("firm").distinct().count() >= 4  # the league table has firms
    assert load_demo_suggestions() == 0


def test_the_demo_is_the_same_every_time():
    build_city(estates=120, seed=2011)
    load_demo_suggestions()
    first = _snapshot()
    Suggestion.private_objects.all().delete()
    load_demo_suggestions()
    assert _snapshot() == first
