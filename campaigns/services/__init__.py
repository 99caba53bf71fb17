"""Writes of the campaign engine, a package by concern (periods, generation, publishing, templates,
review, records, tasks); import from ``campaigns.services``, which re-exports each module's API.

The campaign engine's writes: Every function takes keyword-only arguments, validates,
and runs in one transaction; invalid requests raise ``ValidationError`` with a Chinese
message and change nothing.

Decisions worth knowing:

* **Periods.** ``once`` → one period, window start to deadline. ``monthly``/``quarterly`` →
  one period per calendar month/quarter that meets the window, clipped to it; each period
  is due on its last day (the deadline for the last one).
* **Who applies.** Only active registry rows under the issuing agency. Estate tasks need
  an estate with a firm (the firm files the evidence); firm grades of an estate task are the
  grades of the estate's firm. ``districts`` filters by the party's district.
* **Publishing** builds every obligation in Python from three constant queries (estates,
  firms, agencies as value tuples) and writes them as batched INSERTs (``_bulk_insert``:
  bulk_create without a model instance per row), all in one transaction; memory stays at
  one batch of rows.
* **Later parties.** An estate or firm that appears (or starts to apply) after publishing
  gets the obligations of published campaigns whose periods have not ended yet
  (``period_end >= today``): nobody is put in arrears for work due before they existed.
  Nothing is deleted when a party stops applying.
* **Tasks of a running campaign.** ``task_add`` on a published campaign generates the new
  task's obligations in the same transaction, for the periods ending today or later (as for
  a later party); ``task_delete`` removes a task and its obligations only while none of them
  holds work (evidence, any state but open, counted records), and is refused otherwise.
* **Deadline moves** change the task and every *pending* (open/returned) obligation of it;
  submitted and accepted ones keep the due date they were judged against. A recurring
  task's last period is re-clipped, new periods get obligations, and vanished periods are
  removed only if they are still open without evidence or history (otherwise refused).
* **Late** is set when a submission (manual or automatic) arrives after the due date and is
  never cleared, so a late first submission stays late after a return and resubmission.
* **Review.** The reviewing agency (``Obligation.reviewer``) or an agency above it may
  accept or return; firms never review; nobody reviews their own submission.
* **Records** of any registered kind (campaigns/record_kinds.py: trainings, activities and
  coordinators are campaigns' own; later apps register theirs) recount the matching obligations
  of published campaigns — same party, same record kind, the period containing the record's
  date — through ``records_changed``, the one service an app calls, and set ``count_achieved``
  (one query for any number of obligations); when it reaches the task's ``min_count`` an open or
  returned obligation is submitted automatically (event ``auto_submit``) for the reviewer.
  Filing a record never takes back a submission.
* **Correcting or withdrawing a record** (trainings, activities) is for the organisation that
  filed it, and only while no obligation it counts (or would count) towards is accepted:
  accepted work was judged on those records. The record is updated or deleted (a withdrawn
  record is gone from every list, count and export at once); the obligations of the old and
  the new date/kind/estate are recounted, each changed count is logged (event ``record``),
  and a submitted obligation that falls below its ``min_count`` goes back to the state it
  was submitted from — the reviewer must not accept work whose records are gone.
"""


from .figures import (
    figures_changed,
    figures_changed_everywhere,
    figures_changed_for_action,
    figures_changed_for_obligations,
)
from .generation import CHUNK, ROW_COLUMNS, Party, _bulk_insert, _campaign_tasks, _obligations, _parties
from .periods import _periods_of, task_periods
from .publishing import (
    campaign_close,
    campaign_publish,
    obligations_follow_estate,
    obligations_follow_firm,
    obligations_sync,
    task_move_deadline,
)
from .records import (
    _check_not_accepted,
    _recount,
    activity_record,
    activity_update,
    activity_withdraw,
    coordinator_file,
    records_changed,
    records_inserted_in_bulk,
    records_locked,
    training_record,
    training_update,
    training_withdraw,
)
from .review import (
    _can_submit,
    _check_review_state,
    _check_reviewer,
    obligation_accept,
    obligation_accept_many,
    obligation_return,
    obligation_return_many,
    obligation_submit,
)
from .tasks import TASK_INPUT_FIELDS, task_add, task_delete
from .templates import (
    TASK_FIELDS,
    campaign_copy,
    campaign_load_template,
    campaign_to_template,
    read_template,
    shift_to_middle,
)

__all__ = [
    "CHUNK", "ROW_COLUMNS", "TASK_FIELDS", "TASK_INPUT_FIELDS", "Party",
    "figures_changed", "figures_changed_everywhere", "figures_changed_for_action", "figures_changed_for_obligations",
    "activity_record", "activity_update", "activity_withdraw", "campaign_close", "campaign_copy",
    "campaign_load_template", "campaign_publish", "campaign_to_template", "coordinator_file", "obligation_accept",
    "obligation_accept_many", "obligation_return", "obligation_return_many", "obligation_submit",
    "obligations_follow_estate", "obligations_follow_firm", "obligations_sync", "read_template", "records_changed",
    "records_inserted_in_bulk", "records_locked", "shift_to_middle",
    "task_add", "task_delete", "task_move_deadline", "task_periods", "training_record", "training_update",
    "training_withdraw",
    # reached by the selectors (permission checks shared with the writes), benchmarks and tests
    "_bulk_insert", "_campaign_tasks", "_can_submit", "_check_not_accepted", "_check_review_state",
    "_check_reviewer", "_obligations", "_parties", "_periods_of", "_recount",
]
