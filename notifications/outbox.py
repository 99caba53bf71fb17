"""The generic outbox: store every outgoing message under a unique key, then claim, send and
retry it exactly once, whatever app queued it and whoever receives it.

The exactly-once protocol (healthchecks' sendalerts, extended with a lease; see STYLE.md,
"Periodic jobs: claim, then work"):

1. **insert**: a message is stored under its unique key before anything is sent, with
   ``bulk_create(ignore_conflicts=True)``: queuing it twice, or in two processes at once,
   stores it once. :func:`enqueue` does this for :class:`~notifications.models.OutboxMessage`
   (kind, natural key, date, recipient); the campaigns' reminder log (``Reminder``, ``Digest``)
   has its own keys and the same columns (``Delivery``).
2. **claim**: a batch of claimable rows (pending; failed or without recipient before this
   sweep started; sending with a lease older than ``REMINDER_LEASE_SECONDS``) is taken with one
   conditional UPDATE that stamps a fresh token. A row can be won by one claimer only: the UPDATE
   re-checks the state under the row lock (PostgreSQL) or the database write lock (SQLite).
   New rows are claimed by the ``send_queued`` task queued once after the commit of the
   transaction that stored them (however many it stored), in the worker: the request that wrote
   them makes no claim; a broker that is down leaves them pending for the hourly flush.
3. **send**: a Celery task per batch sends what its token owns through one connection per
   channel; at the end of the batch its rows are finished by one conditional UPDATE per final
   state on (pks, token, state=sending), in the transaction that writes their in-app
   notifications (one INSERT), so a worker that lost its lease writes nothing and a batch costs
   the same number of queries whatever its size.
4. **retry**: an SMTP failure marks the rows failed; the task retries its own failed rows with
   backoff, and the next sweep or hourly :func:`flush` claims whatever is still failed. A crashed
   worker's rows stay "sending" until the lease runs out and are then taken again.

Each table of deliveries is a **sender** (:func:`register_sender`: a name, its model and the
function that sends a claimed batch): ``"outbox"`` is registered here; the campaigns register
their reminder log. Message kinds are registered in notifications/registry.py.

The one window left open is the one no SMTP client can close: the server accepted a message
and the worker died before recording it; that message is sent again after the lease. Since the
rows are recorded per batch, a worker killed mid-batch sends again what that batch had sent
(at most ``REMINDER_BATCH_SIZE`` messages); an exception in the sender still records them.
"""

import datetime
import logging
import smtplib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache as cache_backend
from django.db import connection, transaction
from django.db.models import F, Q, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from core import cache
from core.text import join_list

from . import registry
from .channels import external_channels
from .models import Delivery, ListVersion, Notification, OutboxMessage

log = logging.getLogger(__name__)
State = Delivery.State
# Errors that mean "the server is unreachable": the rest of the batch would fail the same way.
CONNECTION_ERRORS = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, TimeoutError, OSError)
INAPP = "inapp"


def _conf(name, default):
    return getattr(settings, name, default)


def lease():
    return datetime.timedelta(seconds=_conf("REMINDER_LEASE_SECONDS", 600))


def batch_size():
    return _conf("REMINDER_BATCH_SIZE", 100)


def max_attempts():
    return _conf("REMINDER_MAX_ATTEMPTS", 8)


@dataclass
class SweepResult:
    today: datetime.date
    inserted: int = 0
    skipped_settled: int = 0
    batches: int = 0
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    no_recipient: int = 0
    skipped: int = 0
    planned: dict = field(default_factory=dict)
    dispatch_error: str = ""
    missed_days: list = field(default_factory=list)  # days without a sweep, caught up now
    not_caught_up: int = 0  # missed days older than REMINDER_CATCH_UP_DAYS (logged)
    superseded: int = 0  # caught-up reminders stored as skipped: a newer one goes out instead

    def add(self, batch):
        self.sent += batch.sent
        self.failed += batch.failed
        self.no_recipient += batch.no_recipient
        self.skipped += batch.skipped


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    no_recipient: int = 0
    skipped: int = 0
    retry: bool = False


# --- 2. claim -----------------------------------------------------------------------------------


# Rows a later sweep tries again: a failed send, and a party that had nobody to receive it (users
# may have been added since).
RETRIED = (State.FAILED, State.NO_RECIPIENT)


def _claimable(*, now, started):
    """Rows a sweep may take: new ones, ones that failed before this sweep began, and
    ones whose sender's lease ran out (a crashed worker)."""
    return (
        Q(state=State.PENDING)
        | Q(state__in=RETRIED, claimed_at__lt=started, attempts__lt=max_attempts())
        | Q(state=State.SENDING, claimed_at__lt=now - lease(), attempts__lt=max_attempts())
    )


def claim_batch(model, *, now=None, started=None, limit=None, pks=None):
    """Take up to ``limit`` claimable rows with one conditional UPDATE.

    Returns ``(token, count)``: the rows won carry ``claim_token=token``. Two claimers
    racing for the same rows each get the rows the other did not update first.
    """
    now = now or timezone.now()
    started = started or now
    claimable = _claimable(now=now, started=started)
    candidates = model.objects.filter(claimable)
    if pks is not None:
        candidates = candidates.filter(pk__in=pks)
    candidate_pks = list(candidates.order_by("pk").values_list("pk", flat=True)[: limit or batch_size()])
    if not candidate_pks:
        return None, 0
    token = uuid.uuid4()
    count = (
        model.objects.filter(pk__in=candidate_pks)
        .filter(claimable)
        .update(state=State.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1)
    )
    ListVersion.renew_for(model, count)  # the log shows the state and attempts: after the write
    return (token, count) if count else (None, 0)


def reclaim_failed(model, *, token):
    """A Celery retry takes back its own failed rows (unless a sweep took them meanwhile)."""
    count = model.objects.filter(claim_token=token, state=State.FAILED, attempts__lt=max_attempts()).update(
        state=State.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    ListVersion.renew_for(model, count)
    return count


def release(model, *, token, error):
    """Give a claimed batch back (e.g. the broker is down): the next sweep takes it."""
    count = model.objects.filter(claim_token=token, state=State.SENDING).update(
        state=State.FAILED, last_error=error[:2000]
    )
    ListVersion.renew_for(model, count)
    return count


def dispatch(model, *, today=None, started=None, limit=None):
    """Claim batches until nothing is claimable and hand each to a Celery task.

    Without a broker the tasks run in-process (eager) and their results are summed up.
    """
    from . import tasks

    started = started or timezone.now()
    today = today or timezone.localdate()
    result = SweepResult(today=today)
    kind = sender_name(model)
    while True:
        token, count = claim_batch(model, started=started, limit=limit)
        if not token:
            break
        result.batches += 1
        result.claimed += count
        try:
            outcome = tasks.send_batch.delay(kind, str(token), today.isoformat())
        except Exception as exc:  # broker unreachable: give the rows back, the next sweep retries
            release(model, token=token, error=f"{exc.__class__.__name__}: {exc}")
            if tasks.send_batch.app.conf.task_always_eager:
                raise  # in-process, this is a bug in the sender, not an outage: show it
            log.warning("could not queue %s batch %s: %s", kind, token, exc)
            result.dispatch_error = str(exc)
            break
        if getattr(outcome, "result", None) and isinstance(outcome.result, dict):  # eager run
            result.add(BatchResult(**{k: v for k, v in outcome.result.items() if k in BatchResult.__annotations__}))
    return result


# --- 3. send ------------------------------------------------------------------------------------


def _per_row(values, output_field, pk_column):
    """One column's value for each row of an UPDATE: a constant when all rows agree, else a
    ``CASE pk WHEN … THEN … ELSE column END``, written as SQL with parameters (the ORM's Case(When(...))
    of a hundred rows cost more to build than the statement to run, issue 16)."""
    distinct = set(values.values())
    if len(distinct) == 1:
        return Value(distinct.pop(), output_field=output_field)
    qn = connection.ops.quote_name
    params = []
    for pk, value in values.items():
        params += [pk, output_field.get_db_prep_value(value, connection)]
    sql = f"CASE {qn(pk_column)} {' '.join(['WHEN %s THEN %s'] * len(values))} ELSE {qn(output_field.column)} END"
    return RawSQL(sql, params, output_field=output_field)


def _finish_many(model, token, state, rows):
    """Record the end of many rows in one conditional UPDATE, only those this sender still holds.

    ``rows`` is ``{pk: {column: value}}`` (the same columns for every row). Returns the number of
    rows updated."""
    if not rows:
        return 0
    columns = next(iter(rows.values())).keys()
    values = {"state": state}
    for name in columns:
        values[name] = _per_row({pk: row[name] for pk, row in rows.items()}, model._meta.get_field(name),
                                model._meta.pk.column)
    return model.objects.filter(pk__in=list(rows), claim_token=token, state=State.SENDING).update(**values)


class _Outcomes:
    """What a batch did to its rows, written at its end with one UPDATE per final state (and one
    INSERT of the in-app notifications), not with statements per row: the sweep's queries are a
    constant per batch."""

    def __init__(self, model, token):
        self.model, self.token = model, token
        self.sent = {}  # pk: (columns, message, users)
        self.ended = defaultdict(dict)  # state: {pk: columns}

    def end(self, row, state, *, error="", channels=None):
        columns = {"last_error": error[:2000]}
        if channels is not None:
            columns["channels_done"] = channels
        self.ended[state][row.pk] = columns

    def complete(self, row, message, users, reached, channels_done):
        names = [u.get_full_name() or u.username for u in users]
        recipients = "; ".join(filter(None, [join_list(names), ", ".join(reached)]))
        columns = {"recipients": recipients, "channels_done": channels_done, "last_error": ""}
        # Columns of one table only (e.g. the outbox's rendered subject), set by the sender's prepare().
        columns.update(getattr(row, "extra_columns", None) or {})
        self.sent[row.pk] = (columns, message, users)

    def write(self, result):
        """Mark the sent rows and write their in-app notifications in one transaction: exactly
        once, since a row this sender no longer holds (its lease ran out and another sender has it)
        is not updated and gets no notification."""
        model, token = self.model, self.token
        with transaction.atomic():
            ended = 0
            for state in (State.SKIPPED, State.NO_RECIPIENT, State.FAILED):
                count = _finish_many(model, token, state, self.ended.pop(state, {}))
                ended += count
                if state == State.SKIPPED:
                    result.skipped += count
                elif state == State.NO_RECIPIENT:
                    result.no_recipient += count
            if not self.sent:
                ListVersion.renew_for(model, ended)  # one UPDATE for the batch, in its transaction
                return
            now = timezone.now()
            marked = _finish_many(model, token, State.SENT,
                                  {pk: {**columns, "sent_at": now} for pk, (columns, _m, _u) in self.sent.items()})
            ListVersion.renew_for(model, ended + marked)
            won = self.sent
            if marked != len(self.sent):  # some leases ran out: keep the rows this sender marked
                ours = set(model.objects.filter(pk__in=list(self.sent), claim_token=token, state=State.SENT)
                           .values_list("pk", flat=True))
                won = {pk: item for pk, item in self.sent.items() if pk in ours}
            self.sent = {}
            result.sent += len(won)
            created = _db_value(Notification, "created_at", now)
            notifications = [
                (u.pk, message.category, message.subject[:200], message.summary, message.link[:300], created)
                for _columns, message, users in won.values() for u in users
            ]
            if notifications:
                # One executemany: the ORM's bulk_create would split it into SQLite's parameter limit.
                qn = connection.ops.quote_name
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"INSERT INTO {qn(Notification._meta.db_table)} "
                        f"(user_id, category, title, body, link, read_at, created_at) "
                        f"VALUES (%s, %s, %s, %s, %s, NULL, %s)",
                        notifications,
                    )
                unread_changed({row[0] for row in notifications})


def unread_changed(user_ids):
    """The cached unread counts of these users are stale (notifications/selectors.py unread_count), and so are
    their cached lists (list_version): forget them now and after the commit. Bulk writes send no signal, so every
    writer of Notification rows calls this."""
    from . import selectors

    keys = [key for pk in user_ids for key in (selectors.unread_key(pk), selectors.list_version_key(pk))]
    if keys:
        cache.forget_now_and_on_commit(*keys)


def _db_value(model, field, value):
    return model._meta.get_field(field).get_db_prep_value(value, connection)


def _renew_if_needed(model, token, claimed_at):
    """Keep a long batch's claim alive so that nobody re-takes rows still being worked on."""
    now = timezone.now()
    if now - claimed_at > lease() / 2:
        model.objects.filter(claim_token=token, state=State.SENDING).update(claimed_at=now)
        return now
    return claimed_at


class Undeliverable(str):
    """A reason not to send now that may pass (nobody to send to yet): the row is logged as
    "no recipient" (its own state, not a failure: nothing went wrong in the sending) and is tried
    again by the next sweep, unlike a skip, which is final."""


@dataclass
class Targets:
    """Who one message reaches: accounts (in-app, and each external channel that can reach
    them), bare addresses as ``(channel name, address)``, and the channels allowed (None: all)."""

    users: list = field(default_factory=list)
    addresses: list = field(default_factory=list)
    channels: tuple | None = None

    def allows(self, name):
        return self.channels is None or name in self.channels


def send_rows(model, token, rows, prepare):
    """Send every claimed row through all channels. ``prepare(row)`` returns
    ``(message, users)`` or ``(message, Targets(...))``, ``(None, reason)`` to skip the row, or
    ``(None, Undeliverable(reason))``."""
    result = BatchResult(claimed=len(rows))
    if not rows:
        return result
    channels = external_channels()
    claimed_at = rows[0].claimed_at or timezone.now()
    outcomes = _Outcomes(model, token)
    try:
        for ch in channels:
            ch.open()
        for index, row in enumerate(rows):
            claimed_at = _renew_if_needed(model, token, claimed_at)
            message, users = prepare(row)
            if message is None:
                state = State.NO_RECIPIENT if isinstance(users, Undeliverable) else State.SKIPPED
                outcomes.end(row, state, error=str(users))
                continue
            targets = users if isinstance(users, Targets) else Targets(users=users)
            done = [c for c in row.channels_done.split(",") if c]
            reached = []
            try:
                for ch in channels:
                    if ch.name in done or not targets.allows(ch.name):
                        continue
                    reached += ch.send(message, ch.reachable(targets.users))
                    addresses = [a for c, a in targets.addresses if c == ch.name]
                    if addresses:
                        reached += ch.send_to_addresses(message, addresses)
                    done.append(ch.name)
            except Exception as exc:
                error = f"{exc.__class__.__name__}: {exc}"
                log.warning("%s %s failed: %s", model.__name__, row.pk, error)
                outcomes.end(row, State.FAILED, error=error, channels=",".join(done))
                result.failed += 1
                result.retry = True
                if isinstance(exc, CONNECTION_ERRORS):
                    # The server is gone: the rest of the batch would wait for the same timeout.
                    for rest in rows[index + 1:]:
                        outcomes.end(rest, State.FAILED, error=error, channels=rest.channels_done)
                        result.failed += 1
                    break
                continue
            inapp = targets.users if targets.allows(INAPP) else []
            outcomes.complete(row, message, inapp, reached, ",".join(done))
    finally:
        for ch in channels:
            ch.close()
        # Also after an unexpected error: what went out is recorded, the rest waits for the lease.
        outcomes.write(result)
    return result


def merge(result, other):
    result.batches += other.batches
    result.claimed += other.claimed
    result.sent += other.sent
    result.failed += other.failed
    result.no_recipient += other.no_recipient
    result.skipped += other.skipped
    result.dispatch_error = other.dispatch_error



def resend(model, *, pks):
    """Send the given failed (or never sent) rows now, e.g. from an admin action."""
    started = timezone.now() + datetime.timedelta(microseconds=1)
    token, count = claim_batch(model, started=started, pks=pks, limit=len(pks) or 1)
    if token:
        from . import tasks

        kind = sender_name(model)
        transaction.on_commit(lambda: tasks.send_batch.delay(kind, str(token), None))
    return count


# --- senders: the tables of deliveries ----------------------------------------------------------


@dataclass(frozen=True)
class Sender:
    name: str
    model: type
    send: object  # send(*, token, today) -> BatchResult
    before_flush: object = None  # optional: called by flush() before claiming (e.g. skip settled rows)


_senders: dict[str, Sender] = {}


def register_sender(name, *, model, send, before_flush=None):
    """A table of deliveries (a ``Delivery`` subclass) and how to send a claimed batch of it."""
    _senders[name] = Sender(name=name, model=model, send=send, before_flush=before_flush)


def sender(name):
    try:
        return _senders[name]
    except KeyError:
        raise LookupError(f"no sender {name!r} is registered (register_sender)") from None


def sender_name(model):
    for entry in _senders.values():
        if entry.model is model:
            return entry.name
    raise LookupError(f"{model.__name__} has no registered sender")


def send_batch(*, kind, token, today=None):
    """Send the rows of sender ``kind`` that claim ``token`` owns (the Celery task's one call)."""
    return sender(kind).send(token=uuid.UUID(str(token)), today=today)


def digest_hour():
    """The hourly flush folds the daily digests from this hour on (local time), so that they
    arrive in the morning rather than just after midnight."""
    return _conf("OUTBOX_DIGEST_HOUR", 8)


def flush(*, today=None, started=None):
    """Send whatever is claimable (hourly): new messages, failed rows and crashed workers' rows;
    first fold the held events of digest kinds into their daily digests (from
    ``OUTBOX_DIGEST_HOUR`` on, or whenever ``today`` is given, as by a catch-up run)."""
    if today is not None or timezone.localtime().hour >= digest_hour():
        fold_digests(today=today)
    today = today or timezone.localdate()
    result = SweepResult(today=today)
    for entry in list(_senders.values()):
        if entry.before_flush:
            entry.before_flush()
        merge(result, dispatch(entry.model, today=today, started=started or timezone.now()))
    return result


# --- the generic outbox: any kind, any recipient --------------------------------------------------

DIGEST_KEY = "digest"


def _recipient_fields(recipient):
    fields = {"recipient": recipient.key, "recipient_kind": recipient.kind}
    if recipient.kind == "user":
        fields["user_id"] = recipient.id
    elif recipient.kind == "agency":
        fields["agency_id"] = recipient.id
    elif recipient.kind == "firm":
        fields["firm_id"] = recipient.id
    elif recipient.kind == "address":
        fields["address"], fields["address_channel"] = recipient.address[:255], recipient.channel[:20]
    else:
        raise ValueError(f"unknown recipient kind {recipient.kind!r}")
    return fields


def enqueue(kind, *, key, payload=None, recipients=None, date=None):
    """Queue one message of a registered kind; see :func:`enqueue_many`."""
    enqueue_many(kind, [(key, payload or {}, recipients)], date=date)


def enqueue_many(kind, messages, *, date=None):
    """Store messages of kind ``kind`` — ``(natural key, payload, recipients or None)`` each, or
    ``(natural key, payload, recipients, date)`` for a message dated otherwise than ``date`` — one
    row per recipient under the unique key (kind, key, date, recipient), in one INSERT; a key
    queued before is left alone, so emitting an event twice stores it once.

    Call it inside the transaction of the change it reports: the rows commit (or roll back) with
    it. Sending is queued after commit, one ``send_queued`` task per transaction (its worker makes
    the claim); events of a digest kind are held for the daily digest.
    ``recipients`` None means the kind's own ``recipients(payload)``.
    """
    registry.get_message_kind(kind)  # an unregistered kind is refused, even with nothing to queue
    enqueue_each([(kind, *message) for message in messages], date=date)


def enqueue_each(messages, *, date=None):
    """Store messages of several kinds in one INSERT: ``(kind, natural key, payload, recipients or
    None)`` each, or with a fifth item, the message's own date; otherwise as :func:`enqueue_many`
    (e.g. a new entry's message to its firm and its receipt to the resident: one statement)."""
    date = date or timezone.localdate()
    now = timezone.now()
    rows, send = [], False
    for kind, key, payload, recipients, *own_date in messages:
        spec = registry.get_message_kind(kind)
        state = OutboxMessage.State.HELD if spec.digest else State.PENDING
        payload = payload or {}
        day = own_date[0] if own_date else date
        if recipients is None:
            if spec.recipients is None:
                raise ValueError(f"message kind {kind!r} has no recipients(payload): pass recipients=")
            recipients = spec.recipients(payload)
        for recipient in dict.fromkeys(recipients):  # a recipient named twice gets one row
            rows.append(OutboxMessage(kind=kind, key=str(key)[:200], date=day, payload=payload, state=state,
                                      created_at=now, **_recipient_fields(recipient)))
            send = send or not spec.digest
    if not rows:
        return
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    if send:
        _queue_sending_on_commit()


class _HandOver:
    """The hand-over of one transaction's messages: registered on commit by each
    :func:`enqueue_many` of the transaction (a savepoint rolled back takes only its own
    registrations with it), it queues the sending once, at the first call after the commit."""

    def __init__(self):
        self.done = False

    def __call__(self):
        if not self.done:
            self.done = True
            _queue_sending()


def _queue_sending_on_commit():
    """One hand-over per transaction, however many messages (or kinds) it queued: a submission's
    two rows cost one task, not two dispatches."""
    connection_ = transaction.get_connection()
    pending = (func for _sids, func, _robust in connection_.run_on_commit if connection_.in_atomic_block)
    handover = next((func for func in pending if isinstance(func, _HandOver) and not func.done), None)
    transaction.on_commit(handover or _HandOver(), robust=True)


#: While a ``send_queued`` task waits in the broker (queued, not started), commits add no second one: it will
#: claim their rows too. The mark is taken with an atomic cache ``add`` and dropped when the task starts, so rows
#: committed after that get a task of their own; it also expires after this many seconds (a worker that is down
#: or busy): at most one task queued per this long, not one per submission, and a lost mark costs one extra task,
#: never a message (the claim keeps every row sent once). A cache that fails queues a task as before.
SENDING_MARK_KEY = "notifications:outbox:sending-queued"
SENDING_MARK_SECONDS = 30


def _queue_sending():
    """After commit: one ``send_queued`` task, unless one is already waiting (SENDING_MARK_KEY); the claim
    (step 2) is made by the worker, not in the request. Without a broker the task runs here (eager), each
    time. A broker that is down loses nothing: the rows stay pending and the hourly :func:`flush` claims them."""
    from . import tasks

    eager = tasks.send_queued.app.conf.task_always_eager
    if not eager:
        try:
            if not cache_backend.add(SENDING_MARK_KEY, 1, SENDING_MARK_SECONDS):
                return  # a task is waiting: it will send this commit's rows
        except Exception:  # noqa: BLE001 - no cache: a task for every commit, as before
            log.warning("outbox: the sending mark is unavailable; queuing a task", exc_info=True)
    try:
        tasks.send_queued.delay()
    except Exception as exc:
        if eager:
            raise  # in-process, this is a bug in a sender, not an outage: show it (logged by on_commit)
        log.warning("could not queue the outbox's sending: %s; the hourly flush sends the rows", exc)
        cache.forget(SENDING_MARK_KEY)


def send_queued():
    """Claim the outbox's claimable rows in batches and hand each to ``send_batch`` (the task
    queued after a commit that stored messages). The sending mark is dropped first: what commits from
    now on queues a task of its own."""
    cache.forget(SENDING_MARK_KEY)
    return dispatch(OutboxMessage)


def fold_digests(*, today=None):
    """Fold the held events of every digest kind from before ``today`` into one digest message
    per recipient, dated ``today`` (unique key: kind, "digest", today, recipient). Safe to run
    any number of times: an event is folded by the one UPDATE that still finds it held, and only
    into a digest not yet claimed (the digest rows are locked while events are attached)."""
    today = today or timezone.localdate()
    kinds = [k for k, spec in registry.message_kinds().items() if spec.digest]
    if not kinds:
        return 0
    held = list(
        OutboxMessage.objects.filter(kind__in=kinds, state=OutboxMessage.State.HELD, date__lt=today)
        .values("pk", "kind", "recipient", "recipient_kind", "user_id", "agency_id", "firm_id", "address",
                "address_channel")
        .order_by("pk")
    )
    if not held:
        return 0
    groups = defaultdict(list)
    first = {}
    for item in held:
        groups[(item["kind"], item["recipient"])].append(item["pk"])
        first.setdefault((item["kind"], item["recipient"]), item)
    folded = 0
    now = timezone.now()
    with transaction.atomic():
        OutboxMessage.objects.bulk_create(
            [OutboxMessage(kind=k, key=DIGEST_KEY, date=today, created_at=now,
                           **{f: v for f, v in item.items() if f not in ("pk", "kind")})
             for (k, _r), item in first.items()],
            ignore_conflicts=True,
        )
        digests = OutboxMessage.objects.select_for_update().filter(
            kind__in=kinds, key=DIGEST_KEY, date=today, state=State.PENDING,
            recipient__in={r for _k, r in groups},
        )
        for kind, recipient, pk in digests.values_list("kind", "recipient", "pk"):
            items = OutboxMessage.objects.filter(pk__in=groups.get((kind, recipient), []),
                                                 state=OutboxMessage.State.HELD)
            folded += items.update(state=OutboxMessage.State.DIGESTED, digest_id=pk)
    return folded


def _org_users(rows):
    """{("firm"|"agency", id): [active users]} for the organisation recipients of ``rows``, one query."""
    from django.contrib.auth import get_user_model

    firm_ids = {r.firm_id for r in rows if r.recipient_kind == "firm"}
    agency_ids = {r.agency_id for r in rows if r.recipient_kind == "agency"}
    users = defaultdict(list)
    if not firm_ids and not agency_ids:
        return users
    for user in get_user_model().objects.filter(is_active=True).filter(
        Q(firm_id__in=firm_ids) | Q(agency_id__in=agency_ids)
    ).order_by("pk"):
        users[("firm", user.firm_id) if user.firm_id else ("agency", user.agency_id)].append(user)
    return users


def _targets(row, spec, org_users, channels):
    """``(Targets, None)`` or ``(None, reason)`` for one outbox row (see registry.Recipient)."""
    kind = row.recipient_kind
    if kind == "user":
        if not row.user.is_active:
            return None, _("接收用户已停用。")
        return Targets(users=[row.user], channels=spec.channels), None
    if kind in ("firm", "agency"):
        users = org_users.get((kind, row.firm_id if kind == "firm" else row.agency_id), [])
        if not users:
            org = row.firm if kind == "firm" else row.agency
            return None, Undeliverable(_("“%(org)s”还没有在用的账号，无人接收：请为该单位添加用户。") % {"org": org})
        return Targets(users=users, channels=spec.channels), None
    channel = row.address_channel
    if channel == "none" or (spec.channels is not None and channel not in spec.channels):
        return None, _("该地址暂无可用的发送渠道，已记录，未发送。")
    if channel not in channels:
        return None, Undeliverable(_("发送渠道“%(channel)s”尚未开通，无法发送到 %(address)s。")
                                   % {"channel": channel, "address": row.address})
    refused = channels[channel].refuse_address(row.address)
    if refused:
        return None, _("地址无效，不发送：%(reason)s") % {"reason": refused}
    return Targets(addresses=[(channel, row.address)], channels=spec.channels), None


def send_outbox_batch(*, token, today=None):
    """Send the outbox rows ``token`` owns: render each through its registered kind, expand
    organisations to their active users (one query for the batch), honour each user's email
    choice (the email channel), and send bare addresses through the channel they name."""
    rows = list(
        OutboxMessage.objects.filter(claim_token=token, state=State.SENDING)
        .select_related("user", "agency", "firm")
        .order_by("pk")
    )
    org_users = _org_users(rows)
    channels = {ch.name: ch for ch in external_channels()}
    items = defaultdict(list)
    digest_pks = [r.pk for r in rows if r.key == DIGEST_KEY]
    if digest_pks:
        for digest_id, payload in OutboxMessage.objects.filter(digest_id__in=digest_pks).order_by("pk").values_list(
            "digest_id", "payload"
        ):
            items[digest_id].append(payload)

    def prepare(row):
        try:
            spec = registry.get_message_kind(row.kind)
        except LookupError:
            return None, Undeliverable(_("消息类型“%(kind)s”未注册，暂无法发送。") % {"kind": row.kind})
        if spec.digest:
            row.digest_items = items.get(row.pk, [])
            if not row.digest_items:
                return None, _("没有需要汇总的事项。")
        targets, reason = _targets(row, spec, org_users, channels)
        if reason is not None:
            return None, reason
        message = spec.render(row)
        if message is None or isinstance(message, (registry.Skip, str)):
            return None, str(message or _("无需发送。"))
        message.headers = {"X-Notification-Key": f"{row.kind}/{row.key}/{row.date}/{row.recipient}",
                           **message.headers}
        row.extra_columns = {"subject": message.subject[:200]}
        return message, targets

    return send_rows(OutboxMessage, token, rows, prepare)


register_sender("outbox", model=OutboxMessage, send=send_outbox_batch)


# --- immediate in-app notifications (no log) ------------------------------------------------------


def notify(*, users, message):
    """Immediate notification outside the outbox: in-app rows now, email after commit through the
    channels (best effort, no log). Prefer :func:`enqueue`: it is exactly once and retried."""
    users = list(users)
    Notification.objects.bulk_create(
        Notification(user=u, category=message.category, title=message.subject[:200], body=message.summary,
                     link=message.link)
        for u in users
    )
    unread_changed({u.pk for u in users})

    def send():
        for ch in external_channels():
            try:
                ch.open()
                ch.send(message, ch.reachable(users))
            except Exception as exc:
                log.warning("notify via %s failed: %s", ch.name, exc)
            finally:
                ch.close()

    transaction.on_commit(send)
