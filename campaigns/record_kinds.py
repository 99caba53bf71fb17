"""The open registry of record kinds: records any app keeps that count towards obligations.

A task with ``record_kind = "<key>"`` is done by filing records rather than (only) evidence: each
obligation of it counts the records of its party (estate, firm or agency) dated within its period,
and is submitted automatically once the count reaches the task's ``min_count``
(campaigns/services/records.py). An app plugs a kind in from its ``AppConfig.ready``::

    from campaigns import record_kinds

    record_kinds.register(record_kinds.RecordKindSpec(
        key="cleanup", label=gettext_lazy("清洁记录"),
        **record_kinds.DatedRecords(Cleanup.objects.all, parties={"estate": "estate"}).hooks(),
        file_url=lambda obligation: {"url": reverse("myapp:cleanups"), "label": gettext_lazy("登记清洁")},
    ))

and, whenever its records change (filed, corrected, withdrawn), calls the one public service
``campaigns.services.records_changed(kind=..., estate=/firm=/agency=..., on_date=..., user=..., note=...)``.
Nothing under ``campaigns/`` names the app: ``Task.record_kind`` takes its choices from this registry.

What a kind provides (``RecordKindSpec``):

* ``count()`` → a query expression evaluated on ``Obligation`` rows (``OuterRef`` to the obligation's
  ``estate_id``/``firm_id``/``agency_id``/``period_start``/``period_end``) giving the number of records
  that count towards each row. Being an expression, recounting any number of obligations is one query
  (the locking ``SELECT`` of the recount carries the counts), never one query per obligation.
* ``records(obligation)`` → the records listed on the obligation's page ("计入本期的记录"); rows are
  shown with ``str()``.
* ``file_url(obligation)`` (optional) → ``{"url": ..., "label": ...}``: where the user files one, or None.

``DatedRecords`` builds ``count`` and ``records`` for the usual case: a model with a date and a link
to the party. This module imports no model, so any app may import it at any time.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

# Task.record_kind's max_length (campaigns/models.py): a key must fit in the column.
KEY_MAX_LENGTH = 40
KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# The links an obligation has to its party; exactly one of them is set on each obligation.
PARTY_LINKS = ("estate", "firm", "agency")


@dataclass(frozen=True)
class RecordKindSpec:
    key: str
    label: Any  # a lazy translation: the choice's label and the kind named in messages
    count: Callable[[], Any]
    records: Callable[[Any], Iterable]
    file_url: Callable[[Any], dict | None] | None = None


_registry: dict[str, RecordKindSpec] = {}


def register(spec):
    """Add a record kind. A key is registered once (two apps claiming one key is a configuration error)."""
    if not isinstance(spec, RecordKindSpec):
        raise ImproperlyConfigured(f"record_kinds.register() takes a RecordKindSpec, not {spec!r}")
    if not KEY_RE.match(spec.key or "") or len(spec.key) > KEY_MAX_LENGTH:
        raise ImproperlyConfigured(
            f"record kind key {spec.key!r}: lower-case letters, digits and _, at most {KEY_MAX_LENGTH} characters")
    if spec.key in _registry and _registry[spec.key] != spec:
        raise ImproperlyConfigured(f"record kind {spec.key!r} is already registered")
    _registry[spec.key] = spec
    return spec


def unregister(key):
    """Remove a kind (for tests that register a throwaway kind)."""
    _registry.pop(key, None)


def get(key):
    """The spec of a registered kind, or None (no kind, or one whose app is no longer installed)."""
    return _registry.get(key) if key else None


def keys():
    return list(_registry)


def choices():
    """Task.record_kind's choices, read each time they are used, so kinds registered later are offered too."""
    return [("", _("无")), *((spec.key, spec.label) for spec in _registry.values())]


def label(key):
    spec = get(key)
    return spec.label if spec is not None else key


class DatedRecords:
    """``count`` and ``records`` for records of a model with a date field and links to the party.

    ``queryset``: a callable returning the records that may count (e.g. ``Activity.objects.filter(kind=...)``
    wrapped in a lambda), called at each use. ``parties`` maps an obligation's party link ("estate", "firm",
    "agency") to the lookup of the record's matching foreign key, e.g. ``{"firm": "organiser_firm"}``; an
    obligation whose party is not among them counts nothing. ``date_field=None`` counts records whatever
    their date (e.g. the estate's current coordinator). ``prefetch`` and ``order_by`` shape the list.
    """

    def __init__(self, queryset, *, parties, date_field="date", prefetch=(), order_by=None):
        unknown = set(parties) - set(PARTY_LINKS)
        if unknown or not parties:
            raise ImproperlyConfigured(f"DatedRecords parties must be among {PARTY_LINKS}, not {sorted(unknown)}")
        self.queryset, self.parties, self.date_field = queryset, dict(parties), date_field
        self.prefetch, self.order_by = tuple(prefetch), order_by

    def _in_period(self, start, end):
        if self.date_field is None:
            return Q()
        return Q(**{f"{self.date_field}__gte": start, f"{self.date_field}__lte": end})

    def count(self):
        # One correlated subquery per party link; on a given obligation only its own link is set,
        # the others find nothing (NULL → 0).
        total = None
        for link, lookup in self.parties.items():
            matching = (self.queryset().filter(self._in_period(OuterRef("period_start"), OuterRef("period_end")),
                                               **{lookup: OuterRef(f"{link}_id")})
                        .order_by().values(lookup).annotate(n=Count("pk")).values("n"))
            term = Coalesce(Subquery(matching, output_field=IntegerField()), Value(0))
            total = term if total is None else total + term
        return total

    def records(self, obligation):
        qs = self.queryset()
        for link, lookup in self.parties.items():
            party_id = getattr(obligation, f"{link}_id")
            if party_id:
                qs = qs.filter(self._in_period(obligation.period_start, obligation.period_end), **{lookup: party_id})
                break
        else:
            return qs.none()
        if self.prefetch:
            qs = qs.prefetch_related(*self.prefetch)
        return qs.order_by(*self.order_by) if self.order_by else qs

    def hooks(self):
        """``count`` and ``records`` as RecordKindSpec keyword arguments."""
        return {"count": self.count, "records": self.records}
