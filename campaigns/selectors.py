"""Reads of the campaign engine, for the dashboard, the firm portal, exports and reports.

Every function takes ``user=`` and returns only what the user may see (estates/scoping.py:
obligations through their estate, firm or agency link). Functions that depend on the
date take ``today=`` (default: ``timezone.localdate()``) so tests and reports can fix it.
Query counts do not grow with the rows: lists use ``select_related`` and progress tables
are one ``GROUP BY`` each (plus one query for the firm names of the firm table).

Progress rows are dicts: ``key`` (id of the group), ``label``, ``total``, ``open``,
``submitted``, ``returned``, ``accepted``, ``overdue``, ``late``, ``done_pct`` (accepted
share, 0–100, one decimal) and, for the "task" and "action" tables, ``order``.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.core.cache import cache
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import cache as core_cache
from estates import scoping
from estates.models import Agency, Coordinator, Estate, PropertyFirm

from . import record_kinds
from .models import (
    OPEN_STATES,
    Activity,
    Campaign,
    Evidence,
    Obligation,
    ObligationEvent,
    ObligationQuerySet,
    RecordKind,
    Training,
)

State = Obligation.State
OBLIGATION_LINKS = {"estate": "estate", "firm": "firm", "agency": "agency"}
LIST_RELATED = ("campaign", "task", "task__action", "estate", "estate__firm", "estate__street", "firm", "agency",
                "reviewer", "district", "street")
#: What a row of the firm's obligation list shows (templates/campaigns/portal/obligation_list.html). The twelve
#: tables of LIST_RELATED (exports and the admin need them) cost PostgreSQL more to plan than to run: 6 ms of
#: planning for 5 ms of execution per page at 5,000 estates, and eleven model instances a row.
FIRM_LIST_RELATED = ("task", "task__action", "estate")
#: What the obligation's own page and its services read: the party and its reviewer, not the estate's firm
#: and street or the obligation's district and street (5.8 ms of planning for 0.4 ms of execution with all twelve).
DETAIL_RELATED = ("campaign", "task", "task__action", "estate", "firm", "agency", "reviewer")

# Filters of the firm's obligation list (and any obligation list): name → label.
FILTERS = ("overdue", "due7", "returned", "submitted", "accepted", "open")


def _today(today):
    return today or timezone.localdate()


# --- campaigns ---------------------------------------------------------------------------------

def campaign_list(*, user):
    """Campaigns the user may see: every campaign issued inside their agency's subtree, and
    published or closed campaigns issued above them (a district sees the city's campaign;
    a firm sees the campaigns of its district and city): Campaign.scope_links."""
    return Campaign.objects.visible_to(user).select_related("issuing_agency")


def campaign_get(*, user, pk):
    return scoping.get_or_404(campaign_list(user=user), pk=pk)


def campaign_current(*, user, today=None):
    """The published campaign running today (or the latest published one), or None."""
    today = _today(today)
    live = campaign_list(user=user).filter(status=Campaign.Status.PUBLISHED)
    return (live.filter(start_date__lte=today, end_date__gte=today).order_by("-start_date", "-pk").first()
            or live.order_by("-start_date", "-pk").first())


def campaign_current_of(campaigns, *, today=None):
    """:func:`campaign_current` chosen among campaigns already loaded (the user's visible ones): no query."""
    today = _today(today)
    published = sorted((c for c in campaigns if c.status == Campaign.Status.PUBLISHED),
                       key=lambda c: (c.start_date, c.pk), reverse=True)
    running = [c for c in published if c.start_date <= today <= c.end_date]
    return (running or published or [None])[0]


# --- obligations -------------------------------------------------------------------------------

def obligation_list(*, user, campaign=None, today=None):
    """All obligations the user may see (of one campaign if given), with ``is_overdue``."""
    qs = scoping.restrict(Obligation.objects.all(), user, **OBLIGATION_LINKS)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs.select_related(*LIST_RELATED).with_flags(_today(today))


def apply_filter(qs, name, *, today=None):
    """Narrow an obligation queryset by one of FILTERS (or "late": submitted after the deadline; unknown names
    change nothing)."""
    today = _today(today)
    if name == "overdue":
        return qs.overdue(today)
    if name == "due7":
        return qs.due_within(today, 7)
    if name in ("returned", "submitted", "accepted", "open"):
        return qs.filter(state=name)
    if name == "late":
        return qs.filter(late=True)
    return qs


def _narrow(qs, *, action=None, task=None, district=None, street=None, firm=None, estate=None):
    if action is not None:
        qs = qs.filter(task__action=action)
    if task is not None:
        qs = qs.filter(task=task)
    if district is not None:
        qs = qs.filter(district=district)
    if street is not None:
        qs = qs.filter(street=street)
    if firm is not None:
        qs = qs.for_firm(firm)
    if estate is not None:
        qs = qs.filter(estate=estate)
    return qs


def _in_area(qs, user):
    """For agency staff, keep the obligations located in their area (by the obligation's
    district, street or own agency). The scoping rule also shows a district the firms from
    elsewhere that manage estates in it; their firm-level work belongs to the progress and
    overdue figures of the firm's own district, not to this one's (scoping.in_area_q)."""
    return scoping.in_area(qs, user)


def _scoped_in_area(campaign, user):
    return _in_area(scoping.restrict(Obligation.objects.filter(campaign=campaign), user, **OBLIGATION_LINKS), user)


#: What the obligation search's ``q`` looks in (the admin list's search box is the same search).
OBLIGATION_SEARCH_FIELDS = ("estate__code", "estate__name", "firm__name", "estate__firm__name", "agency__name",
                            "task__title")
#: The orders of obligation_search: "deadline" (drill-downs, documents), "estate" (a firm's list), None (the
#: model's own, for the admin changelist which orders by its columns).
OBLIGATION_ORDERS = {
    "deadline": ("due_date", "district__path", "estate__code", "pk"),
    "estate": (F("estate__code").asc(nulls_first=True), "due_date", "task__action__order", "task__order", "pk"),
}
#: The arguments of obligation_search a long job may carry (ids or plain values: JSON-serialisable).
OBLIGATION_SEARCH_ARGS = ("campaign", "filter", "state", "action", "task", "district", "street", "firm", "estate",
                          "grade", "q", "area", "order")


def search_obligations(qs, q):
    """Django admin's search semantics: every word of ``q`` must appear (icontains) in one of the
    OBLIGATION_SEARCH_FIELDS."""
    from django.utils.text import smart_split, unescape_string_literal

    for word in smart_split(q or ""):
        if word.startswith(('"', "'")) and word[0] == word[-1]:
            word = unescape_string_literal(word)
        match = Q()
        for field in OBLIGATION_SEARCH_FIELDS:
            match |= Q(**{f"{field}__icontains": word})
        qs = qs.filter(match)
    return qs


def narrow_obligations(qs, *, today=None, campaign=None, filter=None, state=None, action=None, task=None,
                       district=None, street=None, firm=None, estate=None, grade=None, q=None):
    """Every narrowing an obligation list offers, on an already scoped queryset. The admin's list filters
    and search box call it with one argument each, obligation_search with all of them: the admin list,
    the portal, the exports and the documents narrow the same way. Objects or ids are accepted."""
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if state:
        qs = qs.filter(state=state)
    if grade:
        qs = qs.filter(Q(firm__grade=grade) | Q(estate__firm__grade=grade))
    qs = _narrow(qs, action=action, task=task, district=district, street=street, firm=firm, estate=estate)
    if filter:
        qs = apply_filter(qs, filter, today=today)
    if q:
        qs = search_obligations(qs, q)
    return qs


def obligation_search(*, user, campaign=None, today=None, filter=None, state=None, action=None, task=None,
                      district=None, street=None, firm=None, estate=None, grade=None, q=None, area=True,
                      order="deadline"):
    """The one obligation search: scoped to the user, annotated (``is_overdue``), related rows joined,
    narrowed (see narrow_obligations) and ordered (OBLIGATION_ORDERS). It serves the drill-down lists behind
    the progress cells, the firm's list (firm_obligations), the admin changelist's filters and search, every
    obligation export and its long job (campaigns.obligations_export) and the documents' export.

    ``area`` (default) limits agency staff to the obligations located in their area, like the progress
    figures; the admin list and the firm's list show everything the scope shows (``area=False``)."""
    today = _today(today)
    qs = obligation_list(user=user, today=today)
    if area:
        qs = _in_area(qs, user)
    qs = narrow_obligations(qs, today=today, campaign=campaign, filter=filter, state=state, action=action, task=task,
                            district=district, street=street, firm=firm, estate=estate, grade=grade, q=q)
    return qs.order_by(*OBLIGATION_ORDERS[order]) if order else qs


def overdue_list(*, user, campaign=None, today=None, **narrow):
    """Open or returned obligations past their due date, oldest first."""
    return obligation_search(user=user, campaign=campaign, today=today, filter="overdue", **narrow)


def firm_obligations(*, user, firm=None, campaign=None, today=None, filter=None, estate=None, related=None):
    """A firm's obligations (its own and its estates'), by estate then deadline.

    For a firm user ``firm`` defaults to their firm; bureau users pass the firm they look
    at (still scoped). ``related``: the relations to load with each row (default LIST_RELATED, what exports
    write; the portal's list page asks for FIRM_LIST_RELATED)."""
    firm = firm if firm is not None else user.firm
    if firm is None:
        return Obligation.objects.none()
    qs = obligation_search(user=user, firm=firm, campaign=campaign, today=today, filter=filter, estate=estate,
                           area=False, order="estate")
    return qs.select_related(None).select_related(*related) if related is not None else qs


def firm_list_key(*, user, campaigns, campaign, today=None):
    """What the firm's obligation list caches its counts and rows under: the firm, the day (overdue moves with
    it) and the figures tokens of the campaigns shown (``campaign``, or every one of ``campaigns`` for "all"),
    which every write that can change a row or a count renews (services/figures.py)."""
    shown = [campaign] if campaign is not None else sorted(campaigns, key=lambda c: c.pk)
    return _figures_key("firm-list", _today(today), user, *(f"{c.pk}.{c.figures_token}" for c in shown))


def firm_filter_counts(*, user, campaigns, campaign, today=None):
    """:func:`filter_counts`, cached under :func:`firm_list_key` (one query when a campaign changed)."""
    today = _today(today)
    key = firm_list_key(user=user, campaigns=campaigns, campaign=campaign, today=today)
    return _cached(f"{key}:counts", lambda: filter_counts(user=user, campaign=campaign, today=today))


def filter_counts(*, user, firm=None, campaign=None, today=None):
    """How many obligations each filter of the firm list would show, in one query."""
    today = _today(today)
    firm = firm if firm is not None else user.firm
    qs = scoping.restrict(Obligation.objects.all(), user, **OBLIGATION_LINKS)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    qs = qs.for_firm(firm) if firm is not None else qs.none()
    return qs.aggregate(
        all=Count("pk"),
        overdue=Count("pk", filter=ObligationQuerySet.OVERDUE_Q & Q(due_date__lt=today)),
        due7=Count("pk", filter=Q(state__in=OPEN_STATES, due_date__gte=today, due_date__lte=today + timedelta(days=7))),
        returned=Count("pk", filter=Q(state=State.RETURNED)),
        submitted=Count("pk", filter=Q(state=State.SUBMITTED)),
        accepted=Count("pk", filter=Q(state=State.ACCEPTED)),
        open=Count("pk", filter=Q(state=State.OPEN)),
    )


def _firm_counts(*, today):
    return {
        "all": Count("pk"),
        # The same "overdue" as the list it links to (voluntary work is never overdue).
        "overdue": Count("pk", filter=ObligationQuerySet.OVERDUE_Q & Q(due_date__lt=today)),
        "due7": Count("pk", filter=Q(state__in=OPEN_STATES, due_date__gte=today,
                                     due_date__lte=today + timedelta(days=7))),
        "returned": Count("pk", filter=Q(state=State.RETURNED)),
    }


def firm_campaign_panels(*, user, today=None):
    """The portal home's panel of every running (published) campaign the firm has work in,
    each with its overdue / due-this-week / returned counts; overdue work first.

    Every campaign, not only the newest: a campaign published later must not hide the overdue
    work of one still running. One query for the running campaigns (with their figures tokens);
    the counts, one GROUP BY campaign over the firm's obligations, come from the cache keyed on
    those tokens, the firm and the day (see :func:`progress_figures`): a second query only when
    one of the campaigns changed."""
    today = _today(today)
    firm_id = user.firm_id if user and user.is_authenticated else None
    if not firm_id:
        return []
    running = list(campaign_list(user=user).filter(status=Campaign.Status.PUBLISHED))
    if not running:
        return []

    def compute():
        qs = scoping.restrict(Obligation.objects.filter(campaign__in=[c.pk for c in running]), user,
                              **OBLIGATION_LINKS).for_firm(firm_id)
        return {row.pop("campaign"): row for row in
                qs.order_by().values("campaign").annotate(**_firm_counts(today=today))}

    tokens = [f"{c.pk}.{c.figures_token}" for c in sorted(running, key=lambda c: c.pk)]
    counts = _cached(_figures_key("firm-panels", today, user, *tokens), compute)
    panels = [{"campaign": c, "counts": counts[c.pk]} for c in running if c.pk in counts]
    panels.sort(key=lambda p: (-p["counts"]["overdue"], -p["counts"]["returned"], -p["counts"]["due7"],
                               -p["campaign"].start_date.toordinal(), -p["campaign"].pk))
    return panels


def obligation_get(*, user, pk, today=None):
    """One obligation with its evidence (and files) and its history, or 404."""
    qs = obligation_list(user=user, today=today).select_related(None).select_related(*DETAIL_RELATED).prefetch_related(
        Prefetch("evidence", queryset=Evidence.objects.select_related("created_by").prefetch_related("files")),
        Prefetch("events", queryset=ObligationEvent.objects.select_related("actor")),
    )
    return scoping.get_or_404(qs, pk=pk)


#: What the obligation's portal page joins to it. PostgreSQL plans the seven tables of DETAIL_RELATED in 5 ms (for
#: 0.5 ms of execution) at 5,000 estates, these three in 0.7 ms; the party and the reviewer are registry rows, read
#: from the cache under the registry version (:func:`registry_row`).
PAGE_RELATED = ("campaign", "task", "task__action")


def registry_row_key(model, pk):
    from estates.selectors import registry_cache_key

    return registry_cache_key("row", model._meta.label_lower, pk)


def registry_row(model, pk):
    """An estate, firm or agency by pk, kept in the cache under the registry version (estates/selectors.py: every
    save, delete or import of one renews it)."""
    from estates.selectors import REGISTRY_TTL

    return core_cache.cached(registry_row_key(model, pk), lambda: model.objects.get(pk=pk), REGISTRY_TTL)


def obligation_page(*, user, pk, today=None, read_ahead=None):
    """One obligation as its portal page shows it, or 404: with ``is_overdue``, its campaign, task and action, and
    its party and reviewer (:func:`registry_row`). Its evidence and history are read apart
    (:func:`obligation_history`), only when their cached rendering is missing. The four registry rows are read in
    one round trip, with the keys ``read_ahead(obligation)`` names (the page's kept fragments), into the request's
    ``core.cache.snapshot`` when there is one."""
    qs = obligation_list(user=user, today=today).select_related(None).select_related(*PAGE_RELATED)
    obligation = scoping.get_or_404(qs, pk=pk)
    links = [(link, model, getattr(obligation, f"{link}_id"))
             for link, model in (("estate", Estate), ("firm", PropertyFirm), ("agency", Agency), ("reviewer", Agency))]
    links = [(link, model, row_pk, registry_row_key(model, row_pk)) for link, model, row_pk in links if row_pk]
    found = core_cache.get_many([key for *_rest, key in links] + list(read_ahead(obligation) if read_ahead else []))
    for link, model, row_pk, key in links:
        row = found.get(key)
        setattr(obligation, link, row if row is not None else registry_row(model, row_pk))
    return obligation


def obligation_history(*, obligation):
    """The evidence (with its files) and the events of an obligation already read through the user's scope
    (:func:`obligation_page`): ``(evidence, events)``, lists in the order :func:`obligation_get` prefetches them."""
    evidence = list(Evidence.objects.filter(obligation=obligation).select_related("created_by")
                    .prefetch_related("files"))
    events = list(ObligationEvent.objects.filter(obligation=obligation).select_related("actor"))
    return evidence, events


PEOPLE_VERSION_KEY = "campaigns:people-version"


def people_version():
    """A random token renewed by every save or delete of a user but a login (campaigns/receivers.py): what the
    parts naming users (an obligation's submitters and actors) are cached under."""
    return core_cache.cached(PEOPLE_VERSION_KEY, lambda: secrets.token_hex(8), FIGURES_TTL * 2)


def obligation_history_key(*, obligation):
    """What an obligation page's evidence and history are cached under (rendered, per language): the obligation,
    its campaign's figures token (every write adding evidence or an event renews it in the same transaction:
    submit, review, a recount, a moved deadline; services/figures.py), the people version (the users named) and
    the time zone (the times shown)."""
    return ":".join(map(str, ("obligation-history", obligation.pk, obligation.campaign.figures_token,
                              people_version(), timezone.get_current_timezone_name())))


def review_queue(*, user, campaign=None):
    """Submitted obligations this user may review: those whose reviewing agency is the
    user's agency or below it (scoping.reviewable_by_q), minus their own submissions. Oldest
    submission first."""
    qs = Obligation.objects.filter(state=State.SUBMITTED)
    if not (scoping.sees_everything(user) or (user and user.is_active and user.agency_id)):
        return qs.none()
    qs = qs.filter(scoping.reviewable_by_q(user))
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs.exclude(submitted_by=user).select_related(*LIST_RELATED, "submitted_by").order_by("submitted_at", "pk")


def reviewed_elsewhere(*, user, campaign=None):
    """Submitted work of the user's area that another agency reviews, per reviewer:
    ``[{"reviewer": Agency, "count": n}]`` (a street office sees its estates' work but the
    district reviews it). Empty for those who see everything. Two queries."""
    if scoping.sees_everything(user) or not (user and user.is_active and user.agency_id):
        return []
    qs = _in_area(scoping.restrict(Obligation.objects.filter(state=State.SUBMITTED), user, **OBLIGATION_LINKS), user)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    rows = list(qs.exclude(scoping.reviewable_by_q(user)).values("reviewer_id")
                .annotate(count=Count("pk")).order_by("reviewer__path"))
    agencies = Agency.objects.in_bulk([row["reviewer_id"] for row in rows])
    return [{"reviewer": agencies[row["reviewer_id"]], "count": row["count"]} for row in rows]


def reviewed_elsewhere_kept(*, user, version, campaign=None, today=None):
    """:func:`reviewed_elsewhere` kept under ``version`` (:func:`obligations_version`: every write that changes an
    obligation renews its campaign's token), the user's scope and the campaign chosen: the review queue shows it on
    every request, and at 50,000 estates it reads every submitted obligation of the area (35 ms)."""
    return _cached(_figures_key("reviewed-elsewhere", _today(today), user, getattr(campaign, "pk", "all"), version),
                   lambda: reviewed_elsewhere(user=user, campaign=campaign))


def can_review(*, user, obligation):
    """Whether the user may accept or return this (submitted) obligation now."""
    from django.core.exceptions import ValidationError

    from .services import _check_review_state, _check_reviewer

    try:
        _check_review_state(obligation)
        _check_reviewer(user, obligation)
    except ValidationError:
        return False
    return True


def can_submit(*, user, obligation):
    from .services import _can_submit

    return obligation.state in OPEN_STATES and _can_submit(user, obligation)


# --- progress ----------------------------------------------------------------------------------

def _counts(today, state="state", late=None):
    """The progress counts; ``state`` names the field holding each obligation's state (the
    current one, or ``state_then`` from :func:`with_states_at`)."""
    def is_(value):
        return Q(**{state: value})

    return {
        "total": Count("pk"),
        "open": Count("pk", filter=is_(State.OPEN)),
        "submitted": Count("pk", filter=is_(State.SUBMITTED)),
        "returned": Count("pk", filter=is_(State.RETURNED)),
        "accepted": Count("pk", filter=is_(State.ACCEPTED)),
        "overdue": Count("pk", filter=Q(**{f"{state}__in": OPEN_STATES}, task__is_voluntary=False, due_date__lt=today)),
        "late": Count("pk", filter=late if late is not None else Q(late=True)),
    }


def with_states_at(qs, moment):
    """Annotate ``state_then`` (the state an obligation was in at ``moment``: the target state
    of its last ObligationEvent up to then, open if none) and ``late_then`` (a late submission
    already made by then). ObligationEvent records every transition, so this is the history."""
    events = ObligationEvent.objects.filter(obligation=OuterRef("pk"), at__lte=moment)
    last = events.exclude(kind=ObligationEvent.Kind.DEADLINE).order_by("-at", "-pk").values("to_state")[:1]
    submitted = events.filter(kind__in=[ObligationEvent.Kind.SUBMIT, ObligationEvent.Kind.RESUBMIT,
                                        ObligationEvent.Kind.AUTO_SUBMIT])
    return qs.annotate(state_then=Coalesce(Subquery(last), Value(State.OPEN)),
                       late_then=ExpressionWrapper(Q(late=True) & Exists(submitted), output_field=BooleanField()))


def _counted(qs, *, history_at=None):
    """The obligations that count in progress figures, with the state field to count by.

    Voluntary work nobody took up (still open) is not owed, so it is left out; once the party
    opts in (submits), it counts like any other obligation."""
    if history_at is None:
        return qs.exclude(task__is_voluntary=True, state=State.OPEN), {"state": "state"}
    qs = with_states_at(qs, history_at).exclude(task__is_voluntary=True, state_then=State.OPEN)
    return qs, {"state": "state_then", "late": Q(late_then=True)}


def _finish(row):
    row["done_pct"] = round(100.0 * row["accepted"] / row["total"], 1) if row["total"] else 0.0
    return row


_DIMENSIONS = {
    # by: (group key, label fields, order)
    "action": ("task__action_id", ("task__action__name", "task__action__order")),
    "task": ("task_id", ("task__title", "task__order", "task__action__order", "task__action__name",
                         "task__deadline", "task__party_kind", "task__recurrence")),
    "district": ("district_id", ("district__short_name", "district__name", "district__path")),
    "street": ("street_id", ("street__short_name", "street__name", "street__path", "district__short_name")),
}
DIMENSIONS = ("action", "task", "district", "street", "firm")


def progress(*, user, campaign, by, today=None, history_at=None, **narrow):
    """Progress of a campaign grouped by action, task, district, street or firm.

    ``narrow`` (action=, task=, district=, street=, firm=) restricts the obligations first, so
    a district's page can show its streets and a street's page its firms. ``history_at`` (a
    datetime) counts the states obligations were in at that moment instead of today's.
    """
    if by not in DIMENSIONS:
        raise ValueError(f"unknown progress dimension {by!r}")
    today = _today(today)
    qs, fields = _counted(_narrow(_scoped_in_area(campaign, user), **narrow), history_at=history_at)
    counts = _counts(today, **fields)
    if by == "firm":
        rows = list(qs.annotate(key=Coalesce("firm_id", "estate__firm_id")).exclude(key=None)
                    .values("key").annotate(**counts).order_by())
        firms = PropertyFirm.objects.only("name", "grade").in_bulk([r["key"] for r in rows])
        for row in rows:
            firm = firms.get(row["key"])
            row["label"] = firm.name if firm else ""
            row["grade"] = firm.grade if firm else None
        return [_finish(r) for r in sorted(rows, key=lambda r: (r["label"], r["key"]))]
    key, labels = _DIMENSIONS[by]
    rows = list(qs.exclude(**{key: None}).values(key, *labels).annotate(**counts).order_by())
    out = []
    for row in rows:
        item = {"key": row.pop(key)}
        if by == "action":
            item.update(label=row.pop("task__action__name"), order=row.pop("task__action__order"))
        elif by == "task":
            item.update(label=row.pop("task__title"), order=(row.pop("task__action__order"), row.pop("task__order")),
                        action=row.pop("task__action__name"), deadline=row.pop("task__deadline"),
                        party_kind=row.pop("task__party_kind"), recurrence=row.pop("task__recurrence"))
        elif by == "district":
            short, name = row.pop("district__short_name"), row.pop("district__name")
            item.update(label=short or name, order=row.pop("district__path"))
        else:
            short, name = row.pop("street__short_name"), row.pop("street__name")
            item.update(label=short or name, order=row.pop("street__path"),
                        district=row.pop("district__short_name"))
        item.update(row)
        out.append(_finish(item))
    return sorted(out, key=lambda r: (r["order"], r["key"]))


#: How long cached figures live at most. They are keyed on the campaign's figures token, which every write that
#: can change them renews (campaigns/services/figures.py), so this only bounds what a missed path could show.
FIGURES_TTL = 300

logger = logging.getLogger(__name__)


def _scope_key(user):
    """Who the figures are for: what decides the user's scope and area (estates/scoping.py)."""
    if scoping.sees_everything(user):
        return "all"
    if user and user.is_active and user.firm_id:
        return f"firm{user.firm_id}"
    if user and user.is_active and user.agency_id:
        return f"agency{user.agency_id}"
    return "none"


def _figures_key(kind, today, user, *parts):
    tail = ":".join(map(str, parts))
    if len(tail) > 120:  # many campaigns' tokens: keep the key short (memcached takes 250 characters)
        tail = hashlib.sha256(tail.encode()).hexdigest()
    return ":".join(["campaigns", kind, today.isoformat(), _scope_key(user), tail])


#: How long a request computing figures holds their lock (longer than any computation: 50,000 estates take ~2 s).
COMPUTE_LOCK_TTL = 60


def _cached(key, compute, *, latest=None):
    """The cached value, or compute() stored for FIGURES_TTL. A cache that fails is a miss, never an error page.

    ``latest``: a key naming the same figures whatever their token (the campaign, the day, the scope and the
    narrowing, without the token). When ``key`` is missing and another request is computing it already (its lock
    is in the cache), this request is served the figures of the latest token instead of computing them a second
    time: after a write renews a large city's token, one request computes (about 2 s at 50,000 estates) while
    the others, a moment behind, show the figures as they were just before the write. The request that
    computes stores both keys. Without ``latest``, or with nothing stored under it yet, every miss computes."""
    keys = [key, latest] if latest else [key]
    try:
        found = cache.get_many(keys)
    except Exception:  # noqa: BLE001 - an unreachable Redis must not take the dashboard down
        logger.warning("figures cache unavailable (get %s)", key, exc_info=True)
        return compute()
    if found.get(key) is not None:
        return found[key]
    lock = f"{key}:computing"
    locked = False
    if latest:
        try:
            locked = cache.add(lock, 1, COMPUTE_LOCK_TTL)
        except Exception:  # noqa: BLE001
            logger.warning("figures cache unavailable (lock %s)", key, exc_info=True)
            locked = True  # nobody can be told apart: compute as without a cache
        if not locked and found.get(latest) is not None:
            return found[latest]
    try:
        value = compute()
        try:
            cache.set_many(dict.fromkeys(keys, value), FIGURES_TTL)
        except Exception:  # noqa: BLE001
            logger.warning("figures cache unavailable (set %s)", key, exc_info=True)
    finally:
        if locked:
            try:
                cache.delete(lock)
            except Exception:  # noqa: BLE001
                logger.warning("figures cache unavailable (unlock %s)", key, exc_info=True)
    return value


def progress_figures(*, user, campaign, today=None, **narrow):
    """Everything the progress dashboard counts, for the user's area (and ``narrow``): the five tables
    (:func:`progress` by each of DIMENSIONS), the totals (:func:`campaign_totals`) and who else reviews the
    area's submitted work (:func:`reviewed_elsewhere`): ``{"tables": {by: rows}, "totals": {...},
    "reviewed_elsewhere": [...]}``.

    Cached, keyed on the campaign's ``figures_token``, the day (overdue counts depend on it), the user's scope
    (superuser, agency or firm) and the narrowing. Every write that can change the figures gives the campaign
    a new token in its own transaction (campaigns/services/figures.py), so a change shows on the next request;
    the token is read with the campaign the page loads anyway, so a cached page costs no query for its figures
    and the seven GROUP BY scans of the campaign's obligations run once per change, not once per request.

    Why a cache and not a materialised summary table refreshed on writes: the figures are per area *and* per
    scope (a district's table is not the city's rows filtered: the area rule drops firm-level work of firms
    supervised elsewhere), per day (overdue), and by five dimensions with labels; a summary table would need
    all those keys and a refresh inside every write, under a row lock per group, where renewing one token is
    one UPDATE. The cost of the cache is one recomputation per change, which at a city's pace of review
    (a few changes a minute) leaves almost every request a hit."""
    today = _today(today)
    narrowed = [f"{name}{obj.pk}" for name, obj in sorted(narrow.items())]

    def compute():
        return {
            "tables": {by: progress(user=user, campaign=campaign, by=by, today=today, **narrow) for by in DIMENSIONS},
            "totals": campaign_totals(user=user, campaign=campaign, today=today, **narrow),
            "reviewed_elsewhere": reviewed_elsewhere(user=user, campaign=campaign),
        }

    return _cached(_figures_key("progress", today, user, campaign.pk, campaign.figures_token, *narrowed), compute,
                   latest=_figures_key("progress-latest", today, user, campaign.pk, *narrowed))


def campaign_totals(*, user, campaign, today=None, history_at=None, **narrow):
    """The headline numbers of a campaign for the user's area, in one query (states at
    ``history_at`` if given, see :func:`progress`)."""
    qs, fields = _counted(_narrow(_scoped_in_area(campaign, user), **narrow), history_at=history_at)
    return _finish(qs.aggregate(**_counts(_today(today), **fields)))


def overdue_at(*, user, campaign, today, history_at, **narrow):
    """Obligations that were open or returned past their due date at ``history_at`` (the
    report's as-of list), with ``state`` set to the state they had then."""
    qs = with_states_at(_narrow(_in_area(obligation_list(user=user, campaign=campaign, today=today), user),
                                **narrow), history_at)
    return qs.filter(state_then__in=OPEN_STATES, task__is_voluntary=False, due_date__lt=today)


# --- records -----------------------------------------------------------------------------------

def training_list(*, user):
    return scoping.restrict(Training.objects.select_related("organiser_agency", "organiser_firm", "created_by")
                            .prefetch_related("photos"), user, agency="organiser_agency", firm="organiser_firm")


def activity_list(*, user):
    return scoping.restrict(Activity.objects.select_related("firm", "estate", "created_by")
                            .prefetch_related("photos"), user, firm="firm", estate="estate")


def record_page(records):
    """``records`` (training_list or activity_list, narrowed) as a record's own pages read one: its own fields
    and ``photo_count``, none of the rows it links to (the services read what they change again, locked)."""
    return records.select_related(None).prefetch_related(None).annotate(photo_count=Count("photos"))


#: How long a firm's record list lives in the cache at most (its keys change with every write that changes it).
RECORDS_TTL = 300


def records_version_key(*, firm_id):
    return f"campaigns:records-version:firm{firm_id}"


def records_version(*, firm_id):
    """A random token renewed by every save or delete of a training or an activity of the firm, or of one of their
    photos (campaigns/receivers.py): what the firm's record lists are cached under."""
    return core_cache.cached(records_version_key(firm_id=firm_id), lambda: secrets.token_hex(8), RECORDS_TTL * 2)


def locks_token():
    """What decides which records are locked (:func:`locked_records`: the accepted obligations counting records)
    as one value: the figures tokens of every campaign, one of which every acceptance, every moved period and
    every task edit renews (services/figures.py). One small query."""
    tokens = Campaign.objects.order_by("pk").values_list("pk", "figures_token")
    return hashlib.sha256(repr(list(tokens)).encode()).hexdigest()[:16]


def record_locked(record):
    """Whether :func:`locked_records` locks this one training or activity (its correction and withdrawal pages),
    kept in the cache under what decides it: the record's kind, date and party as read in this request, and the
    locks token (a small query instead of the obligations' join)."""
    parts = (type(record).__name__, record.pk, record.date, getattr(record, "kind", ""),
             getattr(record, "organiser_firm_id", None), getattr(record, "organiser_agency_id", None),
             getattr(record, "firm_id", None), getattr(record, "estate_id", None), locks_token())
    key = "campaigns:record-locked:" + hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return core_cache.cached(key, lambda: record.pk in locked_records([record]), RECORDS_TTL)


def record_list_key(*, kind, user, page):
    """What a firm's page of trainings or activities (rows, locks, pager) is cached under, with the language:
    the firm's records version, the locks token and the page asked for; the activities' rows name estates, so
    theirs includes the registry version. None (render afresh) for a page number that is not a plain one."""
    if page is not None and not (page.isdigit() and len(page) <= 6):
        return None
    from estates.selectors import registry_cache_key

    parts = (kind, user.firm_id, records_version(firm_id=user.firm_id), locks_token(), page or "1")
    if kind == "activity":
        return registry_cache_key("record-rows", *parts)
    return ":".join(map(str, ("campaigns:record-rows", *parts)))


def locked_records(rows):
    """Pks of the trainings/activities in ``rows`` (one page) that count towards an accepted
    obligation, so they can no longer be corrected or withdrawn (services._check_not_accepted).
    Two queries whatever the page size: the accepted record obligations of the parties on it."""
    rows = list(rows)
    if not rows:
        return set()
    trainings = [r for r in rows if isinstance(r, Training)]
    activities = [r for r in rows if isinstance(r, Activity)]
    accepted = Obligation.objects.filter(state=State.ACCEPTED).exclude(task__record_kind="")
    locked = set()
    if trainings:
        firms = {t.organiser_firm_id for t in trainings if t.organiser_firm_id}
        agencies = {t.organiser_agency_id for t in trainings if t.organiser_agency_id}
        spans = list(accepted.filter(Q(firm_id__in=firms) | Q(agency_id__in=agencies),
                                     task__record_kind=RecordKind.TRAINING)
                     .values_list("firm_id", "agency_id", "period_start", "period_end"))
        for t in trainings:
            if any((f and f == t.organiser_firm_id or a and a == t.organiser_agency_id) and start <= t.date <= end
                   for f, a, start, end in spans):
                locked.add(t.pk)
    if activities:
        firms = {a.firm_id for a in activities}
        estates = {a.estate_id for a in activities if a.estate_id}
        spans = list(accepted.filter(Q(firm_id__in=firms) | Q(estate_id__in=estates),
                                     task__record_kind__in=Activity.Kind.values)
                     .values_list("task__record_kind", "firm_id", "estate_id", "period_start", "period_end"))
        for a in activities:
            if any(kind == a.kind and (f and f == a.firm_id or e and e == a.estate_id) and start <= a.date <= end
                   for kind, f, e, start, end in spans):
                locked.add(a.pk)
    return locked


ALL_RECORDS_VERSION_KEY = "campaigns:records-version:all"
#: The record kinds whose records are trainings or activities (campaigns/builtin_record_kinds.py), listed on an
#: obligation's page under the all-records version.
_VERSIONED_KINDS = frozenset({RecordKind.TRAINING, *Activity.Kind.values})


def all_records_version():
    """A random token renewed by every save or delete of a training or an activity (campaigns/receivers.py) and by
    the seeds' bulk inserts (services.records_inserted_in_bulk)."""
    return core_cache.cached(ALL_RECORDS_VERSION_KEY, lambda: secrets.token_hex(8), RECORDS_TTL * 2)


def records_list_version():
    """What the bureau's lists of trainings and activities (their admin changelists) keep their count and rows
    under: the all-records version (the records' own fields) and the registry version (the estates, firms and
    agencies the rows name). Both are cache-held: exact with Redis (production); a cache private to each
    process lags by at most their TTL in another worker."""
    from estates.selectors import registry_version

    return f"{all_records_version()}.{registry_version()}"


def obligation_records_key(*, obligation):
    """What the records an obligation's page lists are cached under, with the language: the obligation (its party
    and period, fixed), its task's record kind and a version renewed by every save or delete of a training or an
    activity anywhere (campaigns/receivers.py; an estate's activities may be another firm's). None (listed afresh)
    for the kinds of other apps and for coordinators."""
    kind = obligation.task.record_kind
    if kind not in _VERSIONED_KINDS:
        return None
    version = all_records_version()
    return ":".join(map(str, ("obligation-records", obligation.pk, kind, obligation.party_id, obligation.period_start,
                              obligation.period_end, version)))


def obligation_records(*, obligation):
    """The records that count towards an obligation (its party, kind and period), as its record kind
    lists them (campaigns/record_kinds.py); empty for a task without a registered kind."""
    spec = record_kinds.get(obligation.task.record_kind)
    return spec.records(obligation) if spec is not None else []


def coordinator_roster(*, user, district=None, street=None, firm=None):
    """Every active estate the user may see (of one district/street/firm if given) with its
    current coordinator, in one query: ``coordinator_name``, ``coordinator_phone`` and
    ``coordinator_appointed_on`` are None where none is filed. Ordered by district, street,
    estate code — the roster a district reports up to the city."""
    current = Coordinator.objects.filter(estate=OuterRef("pk"), is_current=True)
    qs = scoping.restrict(Estate.objects.filter(is_active=True), user, **scoping.ESTATE_LINKS)
    if district is not None:
        qs = qs.filter(district=district)
    if street is not None:
        qs = qs.filter(street=street)
    if firm is not None:
        qs = qs.filter(firm=firm)
    return qs.select_related("district", "street", "firm").annotate(
        coordinator_name=Subquery(current.values("name")[:1]),
        coordinator_phone=Subquery(current.values("phone")[:1]),
        coordinator_appointed_on=Subquery(current.values("appointed_on")[:1]),
    ).order_by("district__path", "street__path", "code")


def coordinator_roster_summary(*, user, campaign=None):
    """Per district: estates, estates with a current coordinator (one query)."""
    has = Coordinator.objects.filter(estate=OuterRef("pk"), is_current=True)
    qs = scoping.restrict(Estate.objects.filter(is_active=True), user, **scoping.ESTATE_LINKS)
    return list(qs.values("district_id", "district__short_name", "district__name", "district__path")
                .annotate(estates=Count("pk"), with_coordinator=Count("pk", filter=Q(Exists(has))))
                .order_by("district__path"))


def districts_for(*, user):
    """The districts the user may filter by."""
    return scoping.restrict(Agency.objects.filter(level=Agency.Level.DISTRICT), user, **scoping.AGENCY_LINKS) \
        if user.agency_id or scoping.sees_everything(user) else Agency.objects.none()


def record_photo_get(*, user, pk):
    """One photo of a training or activity the user may see (404 otherwise)."""
    from django.db.models import Q

    from .models import RecordPhoto

    visible = (Q(training__in=training_list(user=user).values("pk"))
               | Q(activity__in=activity_list(user=user).values("pk")))
    return scoping.get_or_404(RecordPhoto.objects.filter(visible), pk=pk)


# --- bureau landing page and confirmations ---------------------------------------------------

LANDING_CAMPAIGNS = 12  # campaigns listed on the admin's landing page (the running ones first)


def bureau_landing(*, user, today=None):
    """The admin landing page of bureau staff, in a constant number of queries whatever the
    number of campaigns: their campaigns that are not closed (drafts they issued, published
    ones they follow) with the figures of their own area, the review queue's length and the
    overdue obligations of their area in published campaigns."""
    today = _today(today)
    campaigns = list(campaign_list(user=user).exclude(status=Campaign.Status.CLOSED)
                     .order_by("-year", "-start_date", "-pk")[:LANDING_CAMPAIGNS])
    scoped = _in_area(scoping.restrict(Obligation.objects.all(), user, **OBLIGATION_LINKS), user)

    def compute():
        return {row.pop("campaign_id"): _finish(row) for row in scoped.filter(campaign__in=[c.pk for c in campaigns])
                .values("campaign_id").annotate(**_counts(today)).order_by()}

    # Cached like the progress figures (progress_figures), under the listed campaigns' tokens.
    figures = _cached(_figures_key("landing", today, user, *(f"{c.pk}.{c.figures_token}" for c in campaigns)),
                      compute) if campaigns else {}
    empty = _finish({"total": 0, "open": 0, "submitted": 0, "returned": 0, "accepted": 0, "overdue": 0, "late": 0})

    def compute_counts():  # over every campaign's obligations (a city's: 360,000 at 50,000 estates)
        return (review_queue(user=user).count(),
                scoped.filter(campaign__status=Campaign.Status.PUBLISHED).overdue(today).count())

    # Under every campaign's token (obligations_version: the review queue spans closed and unlisted campaigns too)
    # and the user himself (the queue leaves out his own submissions).
    me = f"user{getattr(user, 'pk', '')}"
    review_count, overdue_count = _cached(
        _figures_key("landing-counts", today, user, me, obligations_version()), compute_counts,
        latest=_figures_key("landing-counts-latest", today, user, me))
    return {
        "campaigns": [{"campaign": c, **figures.get(c.pk, empty)} for c in campaigns],
        "review_count": review_count,
        "overdue_count": overdue_count,
        "today": today,
    }


def obligations_version():
    """A version of every obligation row a list or count shows: the figures tokens of all campaigns (one query of a
    few rows). Every write that changes an obligation, its task, its party or the registry rows it shows gives its
    campaign a new token in the same transaction (campaigns/services/figures.py); a new or deleted campaign
    changes the list of tokens itself. Read from the database, so every worker sees a write at once. The
    obligation changelist (ObligationAdmin.list_cache_version), the review queue and the landing page's counts
    are kept under it."""
    tokens = Campaign.objects.order_by("pk").values_list("pk", "figures_token")
    return hashlib.sha256(repr(list(tokens)).encode()).hexdigest()[:24]


def campaign_publish_preview(*, campaign):
    """What publishing a draft would create, without writing anything: the obligations of each
    task (computed by the publish service's own generator over the same parties) and their
    totals per kind of responsible party."""
    from collections import Counter

    from . import services

    campaign = Campaign.objects.select_related("issuing_agency").get(pk=campaign.pk)
    tasks = services._campaign_tasks(campaign)
    parties = services._parties(campaign, kinds={t.party_kind for t in tasks})
    per_task = Counter(row[1] for row in services._obligations(campaign, tasks, parties))
    rows, per_kind = [], Counter()
    for task in tasks:
        count = per_task.get(task.pk, 0)
        per_kind[task.party_kind] += count
        rows.append({"task": task, "action": task.action, "party_kind": task.get_party_kind_display(),
                     "periods": len(services._periods_of(task)), "count": count})
    from .models import PartyKind

    kinds = [{"label": label, "tasks": sum(1 for t in tasks if t.party_kind == value), "count": per_kind[value]}
             for value, label in PartyKind.choices if any(t.party_kind == value for t in tasks)]
    return {"tasks": rows, "kinds": kinds, "total": sum(per_task.values())}


def campaign_close_preview(*, campaign, today=None):
    """What closing leaves as it is, per task and in total (one query each): work still open
    or returned, submissions still waiting for review, accepted work."""
    today = _today(today)
    qs = Obligation.objects.filter(campaign=campaign)
    rows = [_finish(row) for row in qs.values("task_id", "task__title", "task__action__order", "task__order")
            .annotate(**_counts(today)).order_by("task__action__order", "task__order")]
    return {"tasks": rows, "totals": _finish(qs.aggregate(**_counts(today)))}


def task_obligation_summary(*, task):
    """How many obligations a task has and how many of them hold work (evidence, any state but
    open, records counted, log entries other than deadline moves): a task with work is kept."""
    work = (~Q(state=State.OPEN) | Q(count_achieved__gt=0)
            | Q(Exists(Evidence.objects.filter(obligation=OuterRef("pk"))))
            | Q(Exists(ObligationEvent.objects.filter(obligation=OuterRef("pk"))
                       .exclude(kind=ObligationEvent.Kind.DEADLINE))))
    return Obligation.objects.filter(task=task).aggregate(total=Count("pk"), with_work=Count("pk", filter=work))

