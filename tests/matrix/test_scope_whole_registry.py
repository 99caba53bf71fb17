"""A city's staff holding the whole registry: the scope's shortcut (estates.scoping.whole_registry_q).

When every agency lies in the city's subtree (one city in the database), the record rule for the city's staff is
"the link is set": the scope tests that first (``NOT EXISTS (an agency outside the city) OR link IN (ids)``), and
PostgreSQL never builds the ids. The cast has two cities, so there the shortcut is off and the usual condition
decides (tests/matrix/test_scope_rewrite.py). Here city 2's subtree is also filed under city 1 (its paths moved
under city 1's, inside the test's savepoint): the shortcut is on for city 1's staff, and every role must still see
exactly what the rule through the joins gives, for every declared model.
"""

import pytest
from django.db.models import F, Value
from django.db.models.functions import Concat

from estates import scoping
from estates.models import Agency
from tests.matrix.roles import CITY, DISTRICT, SUPERUSER
from tests.matrix.test_scope_rewrite import WITH_RECORD_LINKS, _ids, _old_record_link_q, _roles

pytestmark = pytest.mark.django_db


def _whole(user):
    return Agency.objects.filter(scoping.whole_registry_q(user)).exists()


def _fold_city2_into_city1(cast):
    c1, c2 = cast["c1"].obj, cast["c2"].obj
    Agency.objects.filter(path__startswith=c2.path).update(path=Concat(Value(c1.path), F("path")))


def _compare_every_model(cast, monkeypatch):
    seen = {}
    for model in WITH_RECORD_LINKS:
        for role in _roles(cast):
            user = cast.users[role]
            new = _ids(model, scoping.visible_q(model, user))
            with monkeypatch.context() as patched:
                patched.setattr(scoping, "_record_link_q", _old_record_link_q)
                old = _ids(model, scoping.visible_q(model, user))
            assert new == old, (model._meta.label, role, sorted(new ^ old))
            seen[model, role] = new
    return seen


def test_with_two_cities_the_shortcut_is_off(cast):
    assert not _whole(cast.users[CITY])
    assert not _whole(cast.users[DISTRICT])


def test_a_city_holding_the_whole_registry_sees_what_the_rule_gives(cast, monkeypatch):
    from campaigns.models import Obligation

    before = _ids(Obligation, scoping.visible_q(Obligation, cast.users[CITY]))
    _fold_city2_into_city1(cast)
    city = cast.users[CITY]
    assert _whole(city)
    assert not _whole(cast.users[DISTRICT])  # a district never holds the whole registry
    seen = _compare_every_model(cast, monkeypatch)
    # Not vacuous: the city now sees city 2's work as well, as the rule says, and as much as the superuser.
    everything = _ids(Obligation, scoping.visible_q(Obligation, cast.users[SUPERUSER]))
    assert before < seen[Obligation, CITY] == everything
    assert seen[Obligation, DISTRICT] < seen[Obligation, CITY]


def test_the_shortcut_is_in_the_citys_sql_only(cast):
    from campaigns.models import Obligation

    def sql(role):
        return str(Obligation.objects.filter(scoping.visible_q(Obligation, cast.users[role])).query)

    assert "NOT EXISTS" in sql(CITY)
    assert "NOT EXISTS" not in sql(DISTRICT)


def test_an_agency_outside_the_city_turns_the_shortcut_off_at_once(cast, monkeypatch):
    """Tested in SQL, not cached: a city created (or an agency moved out of the city) counts at the next query."""
    from tests import factories as f

    _fold_city2_into_city1(cast)
    city = cast.users[CITY]
    assert _whole(city)
    f.CityFactory(name="MX-city3")
    assert not _whole(city)
    _compare_every_model(cast, monkeypatch)
