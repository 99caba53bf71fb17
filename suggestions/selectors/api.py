"""Reads of the hotline API: the hotline entries of a client's district, in one query.

A client reads the entries its district's hotline filed (``source=hotline``), never the residents' own
web entries nor another district's, and nothing hidden by a moderator. Each row carries its last public
change (``updated``) and the text of its latest public answer (``notes``: a reply, or the text of a
resolution, closure or referral) as annotations, so a list of any length is one query.
"""

from django.db.models import Max, OuterRef, Q, Subquery

from ..models import Suggestion, SuggestionEvent

Kind = SuggestionEvent.Kind
ANSWER_KINDS = (Kind.REPLY, Kind.RESOLVED, Kind.CLOSED, Kind.REFERRED)
MAX_IDS = 100
MAX_ROWS = 1000


def api_requests(*, client):
    """The entries ``client`` may read, with ``updated`` and ``notes``, newest first."""
    notes = (SuggestionEvent.objects.filter(suggestion=OuterRef("pk"), public=True, kind__in=ANSWER_KINDS)
             .exclude(text="").order_by("-created_at", "-pk").values("text")[:1])
    return (Suggestion.public_objects
            .filter(district_id=client.district_id, source=Suggestion.Source.HOTLINE)
            .select_related("estate", "firm")
            .annotate(updated=Max("events__created_at", filter=Q(events__public=True)), notes=Subquery(notes))
            .order_by("-submitted_at", "-pk"))


def api_request_list(*, client, numbers=None, status=None, start=None, end=None):
    """The entries of ``numbers`` (at most MAX_IDS), or else those submitted in [start, end) filtered by
    ``status`` ('open' or 'closed'), at most MAX_ROWS."""
    rows = api_requests(client=client)
    if numbers:
        return list(rows.filter(number__in=numbers[:MAX_IDS]))
    if status == "open":
        rows = rows.filter(state__in=Suggestion.OPEN_STATES)
    elif status == "closed":
        rows = rows.filter(state__in=Suggestion.FINISHED_STATES)
    if start is not None:
        rows = rows.filter(submitted_at__gte=start)
    if end is not None:
        rows = rows.filter(submitted_at__lt=end)
    return list(rows[:MAX_ROWS])


def api_request_get(*, client, number):
    return api_requests(client=client).filter(number=number).first()
