"""Reads of the residents' public pages: the estate a form is for, the estate search, the tracking page.

Nothing here takes a user: these pages have none. What they may show is decided by what is
selected — an estate's public facts only (estates/selectors.py ``PUBLIC_ESTATE_FIELDS``), and an
entry only to whoever holds its token.
"""

import copy
import threading
import time

from django.db.models import Prefetch, Q
from django.http import Http404

from core import cache
from core.pagination import IdsFirstPaginator
from estates import scoping
from estates import selectors as estate_selectors
from estates.models import Agency, Estate
from estates.selectors import PUBLIC_ESTATE_FIELDS

from ..models import Suggestion, SuggestionEvent, SuggestionPhoto

SEARCH_PAGE_SIZE = 20
SEARCH_MAX_LENGTH = 50
# What the form needs of its estate besides the public facts: the ids services.suggestion_submit
# copies onto the entry, and the district's path for the deadline policy.
FORM_ESTATE_FIELDS = (*PUBLIC_ESTATE_FIELDS, "is_active", "district_id", "street_id", "district__path")


_form_estates = {}  # this process's copies: (registry version, code) -> (estate, monotonic time it expires)
_form_estates_lock = threading.Lock()
FORM_ESTATES_MAX = 10_000


def estate_for_form(*, code):
    """An active estate by its code (as on the QR code, any case); 404 for unknown or inactive codes.

    Every form view and submission reads it, so the row is cached under the registry version
    (estates/selectors.py registry_cache_key: renewed by any save or import of the registry), in the shared
    cache and in this process (a copy of the row per request; at most REGISTRY_TTL seconds, as in the shared
    cache): one read of the version, no row to fetch and unpickle. An unknown code is not cached (each 404 reads
    the table, as a hostile scan of codes should)."""
    code = (code or "").strip().upper()
    version = estate_selectors.registry_version()
    now = time.monotonic()
    found = _form_estates.get((version, code))
    if found is not None and found[1] > now:
        return _copy(found[0])
    key = estate_selectors.registry_cache_key("form-estate", code)

    def read():
        queryset = (Estate.objects.filter(is_active=True).select_related("district", "street", "firm")
                    .only(*FORM_ESTATE_FIELDS))
        return scoping.get_or_404(queryset, code=code)

    estate = cache.cached(key, read, estate_selectors.REGISTRY_TTL)
    with _form_estates_lock:
        if len(_form_estates) >= FORM_ESTATES_MAX or any(v != version for v, _code in list(_form_estates)[:1]):
            _form_estates.clear()  # full, or rows of an older version
        _form_estates[(version, code)] = (_copy(estate), now + estate_selectors.REGISTRY_TTL)
    return estate


def _copy(estate):
    """What ``copy.copy`` makes of a model instance (Model.__reduce__: its attributes, its own state and cache of
    related rows, the related rows themselves shared), without pickling's round of calls: each request gets its
    own instance of the kept row."""
    clone = estate.__class__.__new__(estate.__class__)
    clone.__dict__.update(estate.__dict__)
    clone._state = copy.copy(estate._state)
    clone._state.fields_cache = estate._state.fields_cache.copy()
    return clone


def estate_search(*, query="", page=1):
    """Active estates whose name, address or street contains ``query``: a page of public facts.

    Empty query: no results (the page asks for a word; listing the city is no help to a resident).
    Each word is tested on the estate's own columns, the street as ``street_id`` among the agencies whose name
    matches (``scoping.ids_in_q``): no agency is joined before the page, whose rows are read ids first
    (core.pagination), then joined to their district and street. docs/PERFORMANCE.md.
    """
    query = " ".join((query or "").split())[:SEARCH_MAX_LENGTH]
    queryset = Estate.objects.none()
    if query:
        condition = Q()
        for word in query.split(" "):
            condition &= _word_q(word)
        queryset = (Estate.objects.filter(condition, is_active=True)
                    .select_related("district", "street")
                    .only("code", "name", "address", "district__name", "district__short_name",
                          "street__name", "street__short_name")
                    .order_by("name", "code"))
    paginator = IdsFirstPaginator(queryset, SEARCH_PAGE_SIZE)
    return query, paginator.get_page(page)


def _word_q(word):
    """Q of the estates whose name, address or street contains ``word``, or whose code it is.

    A word of three characters or more is looked up column by column, ``pk IN (name matches UNION ALL address
    matches UNION ALL …)``: on PostgreSQL each part reads its own index (the pg_trgm GIN indexes of
    estates/migrations/0003, the btree on ``UPPER(code)``, the foreign key's index of ``street_id``), where the
    planner costs an OR of trigram scans above one sequential scan of the table and takes that. A shorter word
    has no trigram to look up (most Chinese searches are of two characters): one pass over the table is the
    cheapest, and it stays one condition. A word without letters of any case (Chinese, digits) is matched as it
    is: ``contains`` finds exactly what ``icontains`` finds, without ``UPPER()`` of every name and address (at
    50,000 estates the pass takes 21 ms instead of 72)."""
    streets = Agency.objects.filter(Q(name__icontains=word) | Q(short_name__icontains=word))
    if len(word) < 3:
        if all(char.upper() == char == char.lower() for char in word):
            return (Q(name__contains=word) | Q(address__contains=word) | scoping.ids_in_q("street", streets)
                    | Q(code=word))
        return (Q(name__icontains=word) | Q(address__icontains=word) | scoping.ids_in_q("street", streets)
                | Q(code__iexact=word))
    branches = (Q(name__icontains=word), Q(address__icontains=word), scoping.ids_in_q("street", streets),
                Q(code__iexact=word))
    first, *others = (Estate.objects.filter(branch).order_by().values("pk") for branch in branches)
    return scoping.ids_in_q("pk", first.union(*others, all=True))


def suggestion_for_token(*, token):
    """The entry behind a tracking link, hidden or not, with its public history and its photos.

    A hidden entry (moderated as abusive) is kept from every public page, but not from the one
    person holding its token: the resident who wrote it. To them it would otherwise look lost;
    they see it with the note that the bureau has hidden it (PIPL: a person may see what is held
    about them). The token is 256 random bits: guessing one is not a way in; a wrong one is 404.
    """
    token = (token or "").strip()
    if not token or len(token) > 64:
        raise Http404
    queryset = (
        Suggestion.private_objects.select_related("estate", "estate__firm", "firm")
        .prefetch_related(Prefetch("events", queryset=SuggestionEvent.objects.filter(public=True)
                                   .order_by("created_at", "pk"), to_attr="public_events"))
    )
    entry = scoping.get_or_404(queryset, token=token)
    # Every photo of the entry in one query: its own (``entry_photos``) and each public event's (``photo_list``).
    by_event = {}
    for photo in SuggestionPhoto.objects.filter(suggestion=entry).order_by("pk"):
        by_event.setdefault(photo.event_id, []).append(photo)
    entry.entry_photos = by_event.get(None, [])
    for event in entry.public_events:
        event.photo_list = by_event.get(event.pk, [])
    return entry


def photo_for_token(*, token, pk):
    """A photo of the entry behind ``token``: its own, or one of a public event (a reply); else 404."""
    token = (token or "").strip()
    if not token or len(token) > 64:
        raise Http404
    queryset = SuggestionPhoto.objects.filter(suggestion__token=token).filter(
        Q(event__isnull=True) | Q(event__public=True))
    return scoping.get_or_404(queryset, pk=pk)
