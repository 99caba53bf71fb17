"""Deadlines of an entry in Chinese working days (core/workdays.py: statutory holidays, make-up days).

Which policy applies to an estate, most specific first:

1. a :class:`~suggestions.models.DeadlinePolicy` of a published campaign running today whose issuing
   agency's area holds the estate (a campaign may ask for faster answers while it runs);
2. the policy of the estate's district;
3. ``settings.SUGGESTION_ACKNOWLEDGE_WORKDAYS`` / ``SUGGESTION_ANSWER_WORKDAYS`` (1 and 2: the
   service standard "answer within 2 days", BRIEF.md).

An entry received on day D is to be acknowledged by the n-th working day after D and answered by
the m-th (``add_workdays(D, n)``): received on a Friday evening before a three-day holiday, it is
due after the holiday, as the calendar says. It is overdue from the day after its due date.

Every submission asks :func:`due_dates`, and the answer is the same for every estate of a district on a day:
it is kept in this process's memory under a version token (``VERSION_KEY``, core/cache.py) that every save or
delete of a policy, a campaign, an agency or a calendar day renews (suggestions/signals.py), and under the
registry version (an import of agencies); the token lives ``VERSION_TTL`` seconds, which bounds what a write
that sends no signal (a queryset update) can leave behind.
"""

import secrets
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from core import cache, workdays
from estates.selectors import REGISTRY_VERSION_KEY, registry_version

from .models import DeadlinePolicy, Suggestion


@dataclass(frozen=True)
class Policy:
    acknowledge_workdays: int
    answer_workdays: int
    source: str  # "campaign", "district" or "default"


def policy_for(estate, *, on=None):
    """The policy of ``estate`` on day ``on``: one query reads the candidates (a running campaign's of an
    agency above the estate, the district's), most specific first."""
    on = on or timezone.localdate()
    district_path = estate.district.path if estate.district_id else ""
    ancestors = _ancestor_paths(district_path)
    condition = Q()
    if ancestors:
        condition |= Q(campaign__status="published", campaign__start_date__lte=on, campaign__end_date__gte=on,
                       campaign__issuing_agency__path__in=ancestors)
    if estate.district_id:
        condition |= Q(district_id=estate.district_id)
    found = (
        DeadlinePolicy.objects.filter(condition)
        # A campaign's before the district's (whose campaign columns are NULL); the deepest issuing
        # agency first, then the campaign started last.
        .order_by(F("campaign__issuing_agency__path").desc(nulls_last=True),
                  F("campaign__start_date").desc(nulls_last=True))
        .values_list("acknowledge_workdays", "answer_workdays", "campaign_id").first()
        if condition else None
    )
    if found:
        acknowledge, answer, campaign_id = found
        return Policy(acknowledge, answer, "campaign" if campaign_id else "district")
    return Policy(settings.SUGGESTION_ACKNOWLEDGE_WORKDAYS, settings.SUGGESTION_ANSWER_WORKDAYS, "default")


def _ancestor_paths(path):
    """'0001/0003/' -> ['0001/', '0001/0003/']: the agency paths from the city down to this one."""
    parts = [p for p in path.split("/") if p]
    return ["".join(f"{p}/" for p in parts[: i + 1]) for i in range(len(parts))]


VERSION_KEY = "suggestions:deadlines-version"
VERSION_TTL = 300
MEMO_SIZE = 2000
_memo = {}
_memo_lock = threading.Lock()


def version():
    """The tokens the deadlines are kept under, read in one round trip: this module's (renewed by the writes that
    change a policy, a campaign, an agency or the calendar: suggestions/signals.py) and the registry's (renewed by
    every save and import of the registry, agencies' paths among them: estates/selectors.py)."""
    found = cache.get_many([VERSION_KEY, REGISTRY_VERSION_KEY])  # an unreachable cache is a miss (core/cache.py)
    mine = found.get(VERSION_KEY) or cache.cached(VERSION_KEY, lambda: secrets.token_hex(8), VERSION_TTL)
    return mine, found.get(REGISTRY_VERSION_KEY) or registry_version()


def due_dates(estate, received):
    """(acknowledge_due, answer_due) for an entry received at ``received`` (an aware datetime).

    Computed, two queries: the policy, and the calendar's overrides of one span (the longer count is taken
    first, so the shorter one falls inside the span already read); then kept in this process under the
    version, for the estate's district (and its path, which decides the campaigns) and the day."""
    day = timezone.localdate(received)
    key = (version(), settings.SUGGESTION_ACKNOWLEDGE_WORKDAYS, settings.SUGGESTION_ANSWER_WORKDAYS,
           estate.district_id, estate.district.path if estate.district_id else "", day)
    found = _memo.get(key)
    if found is None:
        found = _compute_due_dates(estate, day)
        with _memo_lock:
            if len(_memo) >= MEMO_SIZE:
                _memo.clear()
            _memo[key] = found
    return found


def current_policy(estate, *, on=None):
    """The policy of ``estate`` on day ``on`` (today), kept in this process under the same version and key as
    :func:`due_dates`: what the public form promises the resident, read without a query when warm."""
    day = on or timezone.localdate()
    key = ("policy", version(), settings.SUGGESTION_ACKNOWLEDGE_WORKDAYS, settings.SUGGESTION_ANSWER_WORKDAYS,
           estate.district_id, estate.district.path if estate.district_id else "", day)
    found = _memo.get(key)
    if found is None:
        found = policy_for(estate, on=day)
        with _memo_lock:
            if len(_memo) >= MEMO_SIZE:
                _memo.clear()
            _memo[key] = found
    return found


def _compute_due_dates(estate, day):
    policy = policy_for(estate, on=day)
    calendar = workdays.WorkdayCalendar()
    due = {n: calendar.add_workdays(day, n)
           for n in sorted({policy.acknowledge_workdays, policy.answer_workdays}, reverse=True)}
    return due[policy.acknowledge_workdays], due[policy.answer_workdays]


def forget():
    """Renew the version (now and after the commit): the next submission computes its deadlines again."""
    cache.forget_now_and_on_commit(VERSION_KEY)


def answer_due_after(estate, when):
    """A new answer deadline counted from ``when`` (a reopened entry)."""
    day = timezone.localdate(when)
    return workdays.add_workdays(day, policy_for(estate, on=day).answer_workdays)


def overdue_q(today=None):
    """Entries late today: not acknowledged after the acknowledgement deadline, or not answered
    (since they arrived, or since they were reopened) after the answer deadline."""
    today = today or timezone.localdate()
    return (Q(state=Suggestion.State.NEW, acknowledge_due__lt=today)
            | Q(state__in=Suggestion.OPEN_STATES, answered_at__isnull=True, answer_due__lt=today))


def is_overdue(suggestion, today=None):
    today = today or timezone.localdate()
    if suggestion.state == Suggestion.State.NEW and suggestion.acknowledge_due < today:
        return True
    return suggestion.is_open and suggestion.answered_at is None and suggestion.answer_due < today
