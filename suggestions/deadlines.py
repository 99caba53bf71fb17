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
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from core import workdays

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


def due_dates(estate, received):
    """(acknowledge_due, answer_due) for an entry received at ``received`` (an aware datetime).

    Two queries: the policy, and the calendar's overrides of one span (the longer count is taken
    first, so the shorter one falls inside the span already read)."""
    day = timezone.localdate(received)
    policy = policy_for(estate, on=day)
    calendar = workdays.WorkdayCalendar()
    due = {n: calendar.add_workdays(day, n)
           for n in sorted({policy.acknowledge_workdays, policy.answer_workdays}, reverse=True)}
    return due[policy.acknowledge_workdays], due[policy.answer_workdays]


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
