"""Reads of the handling firm's inbox (the portal): its entries, one entry with its history, its
reply templates, and the counts of the navigation's badge.

A firm user's inbox holds the entries its firm handles (``firm`` = the user's firm, the firm the
estate had when the entry arrived) among those its scope shows (``visible_to``): an entry of
another firm, or of an estate the firm took over later, answers 404 like anything else not theirs.
Every list reads a constant number of queries whatever its length; the orders match the indexes
``suggestion_firm_recent`` and ``suggestion_firm_due`` (migration 0002 of this app).
"""

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Case, Count, Q, Value, When
from django.http import Http404
from django.utils import timezone

from core import cache, workdays

from .. import deadlines
from ..models import ReplyTemplate, Suggestion, SuggestionEvent, SuggestionPhoto

State = Suggestion.State
ORDERS = {
    "recent": ("-submitted_at", "-pk"),
    # The earliest deadline first: the entries still to acknowledge, then those to answer.
    "due": ("answer_due", "acknowledge_due", "pk"),
}


@dataclass(frozen=True)
class InboxFilter:
    """What the list page asks for (already parsed by the form: valid values or None)."""

    estate: object = None  # an Estate of the firm
    state: str = ""
    category: str = ""
    overdue: bool = False
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    q: str = ""
    order: str = "recent"


def firm_entries(*, user):
    """Every entry the user's firm handles (scoped; nothing for users without a firm)."""
    if not user.firm_id:
        return Suggestion.private_objects.none()
    return Suggestion.private_objects.visible_to(user).filter(firm_id=user.firm_id)


def with_overdue(queryset, today=None):
    """Annotate ``late``: overdue today (deadlines.overdue_q), computed by the database."""
    return queryset.annotate(late=Case(When(deadlines.overdue_q(today), then=Value(True)), default=Value(False),
                                       output_field=BooleanField()))


def inbox_list(*, user, filters=None, today=None):
    """The list page's entries, filtered and ordered, with what each row shows (one query per page)."""
    filters = filters or InboxFilter()
    today = today or timezone.localdate()
    qs = firm_entries(user=user)
    if filters.estate is not None:
        qs = qs.filter(estate_id=filters.estate.pk)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.overdue:
        qs = qs.filter(deadlines.overdue_q(today))
    if filters.date_from:
        qs = qs.filter(submitted_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        qs = qs.filter(submitted_at__lt=_start_of(filters.date_to + datetime.timedelta(days=1)))
    if filters.q:
        term = filters.q.strip()
        # The number as printed on the receipt (case-insensitive), or words of the resident's text.
        qs = qs.filter(Q(number__iexact=term) | Q(text__icontains=term) | Q(external_id=term))
    qs = with_overdue(qs, today).select_related("estate")
    return qs.order_by(*ORDERS.get(filters.order, ORDERS["recent"]))


def _start_of(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def inbox_counts(*, user, today=None):
    """``{"new": n, "overdue": m, "open": k}`` of the firm's entries, in one query (the navigation's
    badge and the list's summary)."""
    if not user.firm_id:
        return {"new": 0, "overdue": 0, "open": 0}
    today = today or timezone.localdate()
    return firm_entries(user=user).aggregate(
        new=Count("pk", filter=Q(state=State.NEW)),
        overdue=Count("pk", filter=deadlines.overdue_q(today)),
        open=Count("pk", filter=Q(state__in=Suggestion.OPEN_STATES)),
    )


def inbox_get(*, user, number):
    """One entry of the firm, by its number, or 404 (another firm's, or none); with its estate and firm (what the
    entry's page shows: its deadline is said by ``deadline_status``, not by the list's ``late``)."""
    try:
        return firm_entries(user=user).select_related("estate", "firm").get(number=number)
    except Suggestion.DoesNotExist:
        raise Http404 from None


def entry_history(*, suggestion):
    """Every event of the entry (the firm sees its own overdue marks too, not the moderators' ones),
    with its author and photos (``photo_list``), oldest first."""
    return entry_photos_and_history(suggestion=suggestion)[1]


def entry_photos(*, suggestion):
    """The resident's own photos (those of the entry, not of a reply)."""
    return entry_photos_and_history(suggestion=suggestion)[0]


def entry_photos_and_history(*, suggestion):
    """(the resident's own photos, the history as :func:`entry_history`): two queries, the events with their
    authors and every photo of the entry, each event's photos (``photo_list``) taken from the latter."""
    events = list(
        SuggestionEvent.objects.filter(suggestion=suggestion)
        .exclude(kind__in=[k for k in SuggestionEvent.PRIVATE_KINDS if k != SuggestionEvent.Kind.OVERDUE])
        .select_related("by_user").order_by("created_at", "pk")
    )
    by_event = {}
    for photo in SuggestionPhoto.objects.filter(suggestion=suggestion).order_by("pk"):
        by_event.setdefault(photo.event_id, []).append(photo)
    for event in events:
        event.photo_list = by_event.get(event.pk, [])
    return by_event.get(None, []), events


#: How long the entry page's rendered history and photos are kept at most (their key changes with every change).
HISTORY_TTL = 300
AUTHORS_VERSION_KEY = "suggestions:history-authors-version"


def _history_stamp(suggestion):
    """How many events and photos the entry has and the newest of each, in one plain query (no ORM query built):
    every event or photo added (a step, a follow-up, an overdue mark of the sweep, by ``bulk_create`` alike) or
    removed changes it."""
    events, photos = SuggestionEvent._meta.db_table, SuggestionPhoto._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {events} WHERE suggestion_id = %s),"  # noqa: S608 - table names
            f" (SELECT COALESCE(MAX(id), 0) FROM {events} WHERE suggestion_id = %s),"
            f" (SELECT COUNT(*) FROM {photos} WHERE suggestion_id = %s),"
            f" (SELECT COALESCE(MAX(id), 0) FROM {photos} WHERE suggestion_id = %s)",
            [suggestion.pk] * 4)
        return "-".join(str(v) for v in cursor.fetchone())


def authors_version():
    """A random token renewed by every change of a user other than a login (suggestions/signals.py): the history
    shows its authors' names."""
    return cache.cached(AUTHORS_VERSION_KEY, lambda: secrets.token_hex(8), HISTORY_TTL * 2)


def history_cache_key(*, user, suggestion):
    """The key of the entry page's rendered history and resident's photos (``{% cached_fragment %}``, which adds the
    language): the firm, the entry (its number is in the photos' addresses), the events and photos it has
    (``_history_stamp``), its erasure (which blanks the events' texts in place) and the authors' version. Texts of
    events are never changed in place otherwise."""
    erased = suggestion.erased_at.isoformat() if suggestion.erased_at else ""
    return (f"suggestions:history:{user.firm_id}:{suggestion.pk}:{suggestion.number}:"
            f"{_history_stamp(suggestion)}:{erased}:{authors_version()}")


def photo_get(*, suggestion, pk):
    try:
        return SuggestionPhoto.objects.get(suggestion=suggestion, pk=pk)
    except (SuggestionPhoto.DoesNotExist, ValueError):
        raise Http404 from None


def reply_templates(*, user):
    if not user.firm_id:
        return ReplyTemplate.objects.none()
    return ReplyTemplate.objects.visible_to(user).filter(firm_id=user.firm_id).order_by("title", "pk")


#: How long a firm's reply templates are kept at most (every save or delete of one renews the firm's version).
TEMPLATES_TTL = 300


def templates_version_key(firm_id):
    return f"suggestions:reply-templates-version:{firm_id}"


def templates_version(firm_id):
    """The firm's templates version (see :func:`reply_template_list`): the entry page keeps its rendered reply
    form, whose choices are the templates, under it."""
    return cache.cached(templates_version_key(firm_id), lambda: secrets.token_hex(8), TEMPLATES_TTL * 2)


def reply_template_list(*, user):
    """:func:`reply_templates` as a list, kept in the cache under the firm's templates version (a random token
    renewed by every save or delete of one of its templates: suggestions/signals.py) and the user (whose own scope
    read them): the entry's page and the reply form read no query for them when warm. The rows are rebuilt from
    their columns (id, firm, title, text)."""
    if not user.firm_id:
        return []
    rows = cache.cached(f"suggestions:reply-templates:{user.firm_id}:{templates_version(user.firm_id)}:{user.pk}",
                        lambda: list(reply_templates(user=user).values_list("pk", "firm_id", "title", "text")),
                        TEMPLATES_TTL)
    templates = []
    for pk, firm_id, title, text in rows:
        template = ReplyTemplate(pk=pk, firm_id=firm_id, title=title, text=text)
        template._state.adding, template._state.db = False, ReplyTemplate.objects.db
        templates.append(template)
    return templates


def reply_template_get(*, user, pk):
    try:
        return reply_templates(user=user).get(pk=pk)
    except (ReplyTemplate.DoesNotExist, ValueError):
        raise Http404 from None


@dataclass(frozen=True)
class Deadline:
    """The entry's next deadline as the page says it: to ``acknowledge`` or to ``answer`` by ``due``;
    ``days_left`` working days from today (0: due today), or overdue (from the day after ``due``)
    by ``days_late`` working days (0 on a weekend right after the due day)."""

    kind: str
    due: datetime.date
    overdue: bool
    days_left: int = 0
    days_late: int = 0


def deadline_status(suggestion, *, today=None, calendar=None):
    """The entry's :class:`Deadline`, or None when nothing is due (answered, finished)."""
    today = today or timezone.localdate()
    if suggestion.state == State.NEW:
        kind, due = "acknowledge", suggestion.acknowledge_due
    elif suggestion.is_open and suggestion.answered_at is None:
        kind, due = "answer", suggestion.answer_due
    else:
        return None
    calendar = calendar or workdays.WorkdayCalendar(min(today, due), max(today, due))
    if due < today:
        return Deadline(kind, due, True, days_late=calendar.workdays_between(due, today))
    return Deadline(kind, due, False, days_left=calendar.workdays_between(today, due))


def with_deadlines(rows, *, today=None):
    """Attach ``deadline`` (deadline_status) to each row, over one calendar (one query for the page)."""
    rows = list(rows)
    today = today or timezone.localdate()
    dues = [d for r in rows for d in (r.acknowledge_due, r.answer_due)]
    calendar = workdays.WorkdayCalendar(min([today, *dues]), max([today, *dues])) if rows else None
    for row in rows:
        row.deadline = deadline_status(row, today=today, calendar=calendar)
    return rows


#: How long the navigation's badge is cached at most: every write of an entry forgets it (suggestions/signals.py).
WAITING_TTL = 60


def waiting_key(firm_id, today):
    return f"suggestions:waiting:{firm_id}:{today.isoformat()}"


#: How long the inbox's rendered list is cached at most (its key carries the firm's inbox version).
LIST_TTL = 300


def version_key(firm_id):
    return f"suggestions:inbox-version:{firm_id}"


def inbox_version(firm_id):
    """A random token renewed by every save or delete of the firm's entries and of its estates
    (suggestions/signals.py): what the inbox's cached list is keyed on."""
    return cache.cached(version_key(firm_id), lambda: secrets.token_hex(8), LIST_TTL * 2)


#: The bureau's list of every entry (the admin changelist: ScopedAdmin.list_cache_version) is kept under this token,
#: renewed by every save or delete of an entry (suggestions/signals.py) and by the retention job's bulk erasure.
LIST_VERSION_KEY = "suggestions:list-version"


def entries_version():
    """A random token renewed by every write of any entry: with the registry's version, what the admin's list of
    entries keeps its count and rendered rows under (their overdue marks turn with the day, which the kept rows'
    key carries)."""
    return cache.cached(LIST_VERSION_KEY, lambda: secrets.token_hex(8), LIST_TTL * 2)


def list_cache_key(*, user, query, language, today=None):
    """The key of the inbox list's rendered content: the firm, its inbox version, the day (deadlines move with
    it), the query string (filters and page, as given) and the language. A hash keeps hostile query strings
    from making long keys."""
    today = today or timezone.localdate()
    digest = hashlib.sha256(query.encode()).hexdigest()[:32]
    return f"suggestions:inbox:{user.firm_id}:{inbox_version(user.firm_id)}:{today.isoformat()}:{language}:{digest}"


def inbox_waiting(*, user, today=None):
    """The navigation's badge: the firm's entries new or overdue. Every portal page shows it, so it is cached
    per firm and day (core/cache.py); a new entry or a change of one forgets it after its commit."""
    today = today or timezone.localdate()
    if not user.firm_id:
        return 0
    return cache.cached(waiting_key(user.firm_id, today), lambda: firm_entries(user=user).filter(
        Q(state=State.NEW) | deadlines.overdue_q(today)).count(), WAITING_TTL)
