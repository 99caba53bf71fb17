"""When a campaign's figures may have changed: a new ``Campaign.figures_token``.

The progress dashboard and the firm's home read their counts from a cache keyed on the campaign's token
(selectors.progress_figures, selectors.firm_campaign_panels; docs/PERFORMANCE.md). Every write that can change
a count, a share or a label of those figures gives the campaign a new token in the same transaction, so the next
request after the commit computes them again — at once, not when a timer runs out:

* the obligation lifecycle (review.py: submit, resubmit, accept, return, one or many; records.py: a recount,
  an automatic submission, a submission taken back),
* publishing and closing (publishing.py), obligations created for a later party (``_sync``),
* tasks and actions: added, edited (a deadline moved, a task made voluntary), deleted (campaigns/signals.py,
  on every save and delete of either),
* the registry: an estate, firm or agency saved or imported moves obligations between districts and streets and
  renames the rows of the tables (campaigns/signals.py: every published or closed campaign).

The same tokens key more than counts: the portal's obligation page keeps its evidence and history column, the
admin's obligation changelist and review queue keep their counts and rendered rows, and the records' locks
(campaigns/selectors.py, campaigns/admin*.py) under them. So any new code that writes an obligation's state,
its evidence or its events (``ObligationEvent``) must call :func:`figures_changed` in the same transaction, or
those pages go on showing the old rows until the token changes for another reason.

A random token, not a counter: a database restored from a backup, or a test whose rows were rolled back, would
meet figures cached under the numbers it hands out again. Why a cache and not a summary table: see
selectors.progress_figures.
"""

from django.db.models import Subquery

from ..models import Action, Campaign, new_figures_token


def figures_changed(*, campaigns):
    """A new figures token for the given campaigns (objects or ids; one UPDATE whatever their number)."""
    ids = {getattr(c, "pk", c) for c in campaigns if c is not None}
    if ids:
        Campaign.objects.filter(pk__in=ids).update(figures_token=new_figures_token())


def figures_changed_for_obligations(obligations):
    """figures_changed for the campaigns of these obligations (a queryset, or loaded rows)."""
    if hasattr(obligations, "values_list"):
        Campaign.objects.filter(pk__in=Subquery(obligations.order_by().values("campaign_id"))) \
            .update(figures_token=new_figures_token())
        return
    figures_changed(campaigns=[o.campaign_id for o in obligations])


def figures_changed_for_action(action_id):
    Campaign.objects.filter(pk__in=Subquery(Action.objects.filter(pk=action_id).values("campaign_id"))) \
        .update(figures_token=new_figures_token())


def figures_changed_everywhere():
    """Every campaign with obligations (published or closed): after a change of the registry."""
    Campaign.objects.exclude(status=Campaign.Status.DRAFT).update(figures_token=new_figures_token())
