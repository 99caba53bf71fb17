"""The scope written against the record's own columns selects the same rows as the scope through the joins.

Issue 16: the record rule used to test the linked registry row through its join (``estate.firm_id = f OR firm_id
= f``; for agency staff ``estate.district.path LIKE 'P%' OR firm.district.path LIKE ... OR agency.path LIKE ...``),
which no index of the record's table can serve. It is now written ``estate_id IN (ids of the visible estates) OR
firm_id IN (...)`` (estates.scoping.ids_in_q; on PostgreSQL ``= ANY(ARRAY(...))``). The old form is kept here,
exactly as it was, and both are run over the matrix's world (two cities, firms managing estates across districts,
every kind of record) for every role and every declared model, then the area figures (scoping.in_area_q) and the
firm narrowing (ObligationQuerySet.for_firm) the same way.
"""

import pytest
from django.apps import apps
from django.db.models import Q

from estates import scoping
from tests.matrix.roles import ANONYMOUS

pytestmark = pytest.mark.django_db


def _old_record_link_q(user, kind, full):
    """The record link as it was written before issue 16: the registry rule through the join."""
    return scoping._RECORD_BUILDERS[kind](user, f"{full}__")


def _old_in_area_q(user, *, district="district", street="street", agency="agency"):
    if scoping.sees_everything(user) or not (scoping._active(user) and user.agency_id):
        return scoping.EVERYTHING
    path = user.agency.path
    return (Q(**{f"{district}__path__startswith": path}) | Q(**{f"{street}__path__startswith": path})
            | Q(**{f"{agency}__path__startswith": path}))


DECLARED = sorted((m for m in apps.get_models() if scoping.is_declared(m)), key=lambda m: m._meta.label)
WITH_RECORD_LINKS = [m for m in DECLARED if "rule" not in scoping.declaration(m)]


def _ids(model, q):
    return set(model._default_manager.filter(q).values_list("pk", flat=True))


def _roles(cast):
    return [role for role in cast.users if role != ANONYMOUS]


@pytest.mark.parametrize("model", WITH_RECORD_LINKS, ids=lambda m: m._meta.label)
def test_every_role_sees_the_rows_it_saw_through_the_joins(cast, model, monkeypatch):
    rows = {}
    for role in _roles(cast):
        user = cast.users[role]
        new = _ids(model, scoping.visible_q(model, user))
        with monkeypatch.context() as patched:
            patched.setattr(scoping, "_record_link_q", _old_record_link_q)
            old = _ids(model, scoping.visible_q(model, user))
        assert new == old, (model._meta.label, role, sorted(new ^ old))
        rows[role] = new
    assert rows, model


def test_the_comparison_has_rows_to_compare(cast):
    """Not vacuous: obligations differ between roles in the world above."""
    from campaigns.models import Obligation

    seen = {role: _ids(Obligation, scoping.visible_q(Obligation, cast.users[role])) for role in _roles(cast)}
    assert len({frozenset(ids) for ids in seen.values()}) >= 5, seen
    assert all(seen.values()), seen


def test_the_area_of_each_role_holds_the_rows_it_held(cast):
    from campaigns.models import Obligation

    for role in _roles(cast):
        user = cast.users[role]
        scope = scoping.visible_q(Obligation, user)
        new = _ids(Obligation, scope & scoping.in_area_q(user))
        old = _ids(Obligation, scope & _old_in_area_q(user))
        assert new == old, (role, sorted(new ^ old))
        # Unscoped too: the area alone, over every obligation of both cities.
        assert _ids(Obligation, scoping.in_area_q(user)) == _ids(Obligation, _old_in_area_q(user)), role


def test_a_firms_work_is_what_it_was(cast):
    from campaigns.models import Obligation
    from estates.models import PropertyFirm

    firms = list(PropertyFirm.objects.all())
    assert len(firms) >= 4
    for firm in firms:
        new = set(Obligation.objects.for_firm(firm).values_list("pk", flat=True))
        old = _ids(Obligation, Q(firm_id=firm.pk) | Q(estate__firm_id=firm.pk))
        assert new == old, (firm, sorted(new ^ old))
        assert set(Obligation.objects.for_firm(firm.pk).values_list("pk", flat=True)) == new
    assert any(set(Obligation.objects.for_firm(firm).values_list("pk", flat=True)) for firm in firms)
