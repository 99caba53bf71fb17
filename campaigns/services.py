"""Writes of the campaign engine. Every function takes keyword-only arguments, validates,
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
* **Records** (trainings, activities, coordinators) recount the matching obligations of
  published campaigns — same party, same record kind, the period containing the record's
  date — and set ``count_achieved``; when it reaches the task's ``min_count`` an open or
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

import calendar
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.text import labelled, with_note
from estates.models import Agency, Coordinator, Estate, PropertyFirm

from .models import (
    Action,
    Activity,
    Campaign,
    Evidence,
    EvidenceFile,
    EvidenceKind,
    Obligation,
    ObligationEvent,
    PartyKind,
    RecordKind,
    RecordPhoto,
    Recurrence,
    Task,
    Training,
)

State = Obligation.State
PENDING = (State.OPEN, State.RETURNED)
CHUNK = 2000  # obligation rows per INSERT batch: bounds the rows held in memory at once


# --- periods ----------------------------------------------------------------------------

def _month_end(d):
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _quarter_start(d):
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _quarter_end(d):
    start = _quarter_start(d)
    return _month_end(date(start.year, start.month + 2, 1))


def task_periods(*, recurrence, window_start, deadline):
    """[(period_start, period_end, due_date)] of a task, in order."""
    if recurrence == Recurrence.ONCE:
        return [(window_start, deadline, deadline)]
    begin, end = (date(window_start.year, window_start.month, 1), _month_end) if recurrence == Recurrence.MONTHLY \
        else (_quarter_start(window_start), _quarter_end)
    periods, cursor = [], begin
    while cursor <= deadline:
        last = end(cursor)
        p_start, p_end = max(cursor, window_start), min(last, deadline)
        periods.append((p_start, p_end, p_end))
        cursor = last + timedelta(days=1)
    return periods


def _periods_of(task):
    return task_periods(recurrence=task.recurrence, window_start=task.window_start, deadline=task.deadline)


# --- who applies --------------------------------------------------------------------------

@dataclass(frozen=True)
class Party:
    """One responsible party as plain values: the link to set and the denormalised fields."""

    kind: str
    pk: int
    district_id: int | None
    street_id: int | None
    reviewer_id: int
    firm_grade: int | None = None
    category: int | None = None
    year_built: int | None = None


def _city_of(agency):
    return agency if agency.level == Agency.Level.CITY else agency.ancestor(Agency.Level.CITY)


def _parties(campaign, *, estate_ids=None, firm_ids=None, agency_ids=None, kinds=None):
    """Every party of the campaign's area by kind, from at most three queries.

    The id filters restrict the parties (used when one estate or firm changes); a kind that
    is absent from ``kinds`` is not queried at all.
    """
    kinds = set(kinds or PartyKind.values)
    root = campaign.issuing_agency
    out = {kind: [] for kind in PartyKind.values}
    if PartyKind.ESTATE in kinds:
        qs = Estate.objects.filter(is_active=True, firm__isnull=False, firm__is_active=True,
                                   district__path__startswith=root.path)
        if estate_ids is not None:
            qs = qs.filter(pk__in=estate_ids)
        for pk, district_id, street_id, grade, category, year in qs.order_by("pk").values_list(
                "pk", "district_id", "street_id", "firm__grade", "category", "year_built").iterator(chunk_size=5000):
            out[PartyKind.ESTATE].append(Party(PartyKind.ESTATE, pk, district_id, street_id, district_id,
                                               grade, category, year))
    if PartyKind.FIRM in kinds:
        qs = PropertyFirm.objects.filter(is_active=True, district__path__startswith=root.path)
        if firm_ids is not None:
            qs = qs.filter(pk__in=firm_ids)
        for pk, district_id, grade in qs.order_by("pk").values_list("pk", "district_id", "grade"):
            out[PartyKind.FIRM].append(Party(PartyKind.FIRM, pk, district_id, None, district_id, grade))
    agency_kinds = kinds & {PartyKind.DISTRICT, PartyKind.STREET, PartyKind.CITY}
    if agency_kinds:
        qs = Agency.objects.filter(level__in=[Agency.Level.DISTRICT, Agency.Level.STREET],
                                   path__startswith=root.path)
        if agency_ids is not None:
            qs = qs.filter(pk__in=agency_ids)
        for pk, level, parent_id in qs.order_by("path").values_list("pk", "level", "parent_id"):
            if level == Agency.Level.DISTRICT:
                out[PartyKind.DISTRICT].append(Party(PartyKind.DISTRICT, pk, pk, None, parent_id or pk))
            else:
                out[PartyKind.STREET].append(Party(PartyKind.STREET, pk, parent_id, pk, parent_id))
        city = _city_of(root) if PartyKind.CITY in agency_kinds else None
        if city is not None and (agency_ids is None or city.pk in agency_ids):
            out[PartyKind.CITY].append(Party(PartyKind.CITY, city.pk, None, None, root.pk))
    return out


def _applies(task, party, district_ids):
    if district_ids and party.district_id not in district_ids:
        return False
    if task.firm_grades and party.firm_grade not in task.firm_grades:
        return False
    if task.party_kind == PartyKind.ESTATE:
        if task.estate_categories and party.category not in task.estate_categories:
            return False
        if task.old_estates_only and not (party.year_built and party.year_built < settings.OLD_ESTATE_BEFORE_YEAR):
            return False
    return True


_LINK = {PartyKind.ESTATE: "estate_id", PartyKind.FIRM: "firm_id", PartyKind.DISTRICT: "agency_id",
         PartyKind.STREET: "agency_id", PartyKind.CITY: "agency_id"}


# The columns an obligation row is generated with; every other column gets its model default.
ROW_COLUMNS = ("campaign_id", "task_id", "estate_id", "firm_id", "agency_id", "reviewer_id", "district_id",
               "street_id", "period_start", "period_end", "due_date")


def _obligations(campaign, tasks, parties, *, skip=frozenset(), min_period_end=None, only_starts=None):
    """Yield obligation rows (tuples in ROW_COLUMNS order) of `tasks` for `parties`, skipping
    keys in `skip` ((task_id, link, party_id, period_start)), periods ending before
    `min_period_end` and, if given, periods not starting on a date in `only_starts`."""
    for task in tasks:
        district_ids = {d.pk for d in task.districts.all()}
        periods = [p for p in _periods_of(task) if (min_period_end is None or p[1] >= min_period_end)
                   and (only_starts is None or p[0] in only_starts)]
        link = _LINK[task.party_kind]
        for party in parties[task.party_kind]:
            if not _applies(task, party, district_ids):
                continue
            estate_id = party.pk if link == "estate_id" else None
            firm_id = party.pk if link == "firm_id" else None
            agency_id = party.pk if link == "agency_id" else None
            for p_start, p_end, due in periods:
                if (task.pk, link, party.pk, p_start) in skip:
                    continue
                yield (campaign.pk, task.pk, estate_id, firm_id, agency_id, party.reviewer_id, party.district_id,
                       party.street_id, p_start, p_end, due)


def _bulk_insert(rows):
    """Insert obligation rows in chunks; returns the number inserted.

    This is ``bulk_create`` without building a model instance per row: publishing a city
    makes tens of thousands of rows, and per-field ORM preparation cost about five times the
    database's own insert time. Values are adapted by the backend's own ``connection.ops``
    (each distinct date once), columns not in ROW_COLUMNS get their model default — evaluated
    once per call, so a new column must not need a per-row default such as a UUID — and the
    database still checks every constraint. SQLite takes one prepared statement through
    ``executemany``; other backends a multi-row VALUES per chunk.
    """
    ops = connection.ops
    fields = [f for f in Obligation._meta.concrete_fields if not f.primary_key]
    variable = {name: i for i, name in enumerate(ROW_COLUMNS)}
    now = timezone.now()
    constants = {}
    for f in fields:
        if f.attname not in variable:
            value = now if f.attname == "created_at" else f.get_default()
            constants[f.attname] = f.get_db_prep_save(value, connection)
    dates = {}

    def adapt_date(d):
        if d not in dates:
            dates[d] = ops.adapt_datefield_value(d)
        return dates[d]

    date_positions = {variable[n] for n in ("period_start", "period_end", "due_date")}
    order = [(variable.get(f.attname), constants.get(f.attname)) for f in fields]
    table = ops.quote_name(Obligation._meta.db_table)
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sqlite = connection.vendor == "sqlite"
    max_params = connection.features.max_query_params or 65535
    size = CHUNK if sqlite else max(1, min(CHUNK, max_params // len(fields)))
    created = 0
    with connection.cursor() as cursor:
        chunk = []
        for row in rows:
            chunk.append([constant if i is None else (adapt_date(row[i]) if i in date_positions else row[i])
                          for i, constant in order])
            if len(chunk) >= size:
                created += _flush(cursor, table, columns, one, chunk, sqlite)
                chunk = []
        if chunk:
            created += _flush(cursor, table, columns, one, chunk, sqlite)
    return created


def _flush(cursor, table, columns, one, chunk, sqlite):
    if sqlite:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES {one}", chunk)
    else:
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))}",
                       [value for row in chunk for value in row])
    return len(chunk)


def _campaign_tasks(campaign, **filters):
    return list(Task.objects.filter(action__campaign=campaign, **filters).prefetch_related("districts")
                .order_by("action__order", "order"))


# --- campaigns ------------------------------------------------------------------------------

@transaction.atomic
def campaign_publish(*, campaign, user=None):
    """Publish a draft campaign: generate every obligation in bulk. Returns the count."""
    campaign = Campaign.objects.select_for_update().select_related("issuing_agency").get(pk=campaign.pk)
    if campaign.status != Campaign.Status.DRAFT:
        raise ValidationError(_("只有草稿状态的活动可以发布。"))
    tasks = _campaign_tasks(campaign)
    if not tasks:
        raise ValidationError(_("活动还没有任何工作任务，不能发布。"))
    parties = _parties(campaign, kinds={t.party_kind for t in tasks})
    created = _bulk_insert(_obligations(campaign, tasks, parties))
    if created > CHUNK and connection.vendor == "postgresql":
        # Fresh statistics, or the planner takes the new rows for a handful until autovacuum
        # gets round to it, and the first dashboards after a publish pick nested loops.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Obligation._meta.db_table)}")
    campaign.status = Campaign.Status.PUBLISHED
    campaign.published_at = timezone.now()
    campaign.published_by = user
    campaign.save(update_fields=["status", "published_at", "published_by"])
    return created


@transaction.atomic
def campaign_close(*, campaign, user=None):
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != Campaign.Status.PUBLISHED:
        raise ValidationError(_("只有已发布的活动可以结束。"))
    campaign.status = Campaign.Status.CLOSED
    campaign.closed_at = timezone.now()
    campaign.save(update_fields=["status", "closed_at"])
    return campaign


def _sync(campaign, *, today, estate_ids=None, firm_ids=None, agency_ids=None, kinds=None):
    tasks = _campaign_tasks(campaign, party_kind__in=list(kinds)) if kinds else _campaign_tasks(campaign)
    if not tasks:
        return 0
    parties = _parties(campaign, estate_ids=estate_ids, firm_ids=firm_ids, agency_ids=agency_ids,
                       kinds={t.party_kind for t in tasks})
    existing = Obligation.objects.filter(campaign=campaign)
    if estate_ids is not None:
        existing = existing.filter(estate_id__in=estate_ids)
    if firm_ids is not None:
        existing = existing.filter(firm_id__in=firm_ids)
    if agency_ids is not None:
        existing = existing.filter(agency_id__in=agency_ids)
    skip = set()
    for task_id, e, f, a, start in existing.values_list("task_id", "estate_id", "firm_id", "agency_id",
                                                        "period_start").iterator(chunk_size=5000):
        link, pk = ("estate_id", e) if e else (("firm_id", f) if f else ("agency_id", a))
        skip.add((task_id, link, pk, start))
    return _bulk_insert(_obligations(campaign, tasks, parties, skip=skip, min_period_end=today))


@transaction.atomic
def obligations_sync(*, estate=None, firm=None, agency=None, campaign=None, today=None):
    """Create the missing obligations of published campaigns (all, or one) for one estate,
    firm or agency — or for everybody when none is given (after a bulk import, which sends
    no signals). Only periods ending today or later. Returns the number created."""
    today = today or timezone.localdate()
    campaigns = Campaign.objects.filter(status=Campaign.Status.PUBLISHED).select_related("issuing_agency")
    if campaign is not None:
        campaigns = campaigns.filter(pk=campaign.pk)
    runs = [{}]
    if estate is not None:
        runs = [{"estate_ids": [estate.pk], "kinds": [PartyKind.ESTATE]}]
    elif firm is not None:
        # A firm's grade also decides which estate tasks apply to the estates it manages.
        runs = [{"firm_ids": [firm.pk], "kinds": [PartyKind.FIRM]},
                {"estate_ids": list(Estate.objects.filter(firm=firm).values_list("pk", flat=True)),
                 "kinds": [PartyKind.ESTATE]}]
    elif agency is not None:
        runs = [{"agency_ids": [agency.pk], "kinds": [PartyKind.DISTRICT, PartyKind.STREET, PartyKind.CITY]}]
    return sum(_sync(c, today=today, **kwargs) for c in campaigns for kwargs in runs
               if kwargs.get("estate_ids", True))


@transaction.atomic
def obligations_follow_estate(*, estate):
    """Keep the denormalised district, street and (for pending work) reviewer of an
    estate's obligations in step with the estate."""
    Obligation.objects.filter(estate=estate).exclude(district_id=estate.district_id, street_id=estate.street_id) \
        .update(district_id=estate.district_id, street_id=estate.street_id)
    Obligation.objects.filter(estate=estate, state__in=PENDING + (State.SUBMITTED,)) \
        .exclude(reviewer_id=estate.district_id).update(reviewer_id=estate.district_id)


@transaction.atomic
def obligations_follow_firm(*, firm):
    Obligation.objects.filter(firm=firm).exclude(district_id=firm.district_id).update(district_id=firm.district_id)
    Obligation.objects.filter(firm=firm, state__in=PENDING + (State.SUBMITTED,)) \
        .exclude(reviewer_id=firm.district_id).update(reviewer_id=firm.district_id)


@transaction.atomic
def task_move_deadline(*, task, deadline, user=None, note=""):
    """Move a task's deadline and the due dates of its pending obligations.

    Returns (moved, created, removed) obligation counts.
    """
    task = Task.objects.select_for_update().select_related("action__campaign__issuing_agency").get(pk=task.pk)
    if deadline < task.window_start:
        raise ValidationError(_("完成期限不能早于开始日期（%(d)s）。") % {"d": task.window_start})
    campaign = task.action.campaign
    if campaign.status == Campaign.Status.CLOSED:
        raise ValidationError(_("活动已结束，不能调整期限。"))
    old_periods = {p[0]: p for p in _periods_of(task)}
    task.deadline = deadline
    task.full_clean()
    task.save(update_fields=["deadline"])
    if campaign.status != Campaign.Status.PUBLISHED:
        return 0, 0, 0
    new_periods = {p[0]: p for p in _periods_of(task)}
    removed = 0
    gone = [start for start in old_periods if start not in new_periods]
    if gone:
        doomed = Obligation.objects.filter(task=task, period_start__in=gone)
        if doomed.exclude(state=State.OPEN).exists() or doomed.filter(
                Q(Exists(Evidence.objects.filter(obligation=OuterRef("pk"))))
                | Q(Exists(ObligationEvent.objects.filter(obligation=OuterRef("pk"))))).exists():
            raise ValidationError(_("缩短期限后有些周期将取消，但其中已有提交或办理记录，不能调整。"))
        removed, _detail = doomed.delete()
    moved = 0
    now = timezone.now()
    for start, (_s, p_end, due) in new_periods.items():
        if start in old_periods and old_periods[start][2] == due:
            continue
        pending = Obligation.objects.filter(task=task, period_start=start, state__in=PENDING)
        ids = list(pending.values_list("pk", "state"))
        if not ids:
            continue
        pending.update(period_end=p_end, due_date=due)
        message = _("完成期限调整为 %(d)s。") % {"d": due}
        if note:
            message = f"{message}{note}"
        ObligationEvent.objects.bulk_create(
            [ObligationEvent(obligation_id=pk, kind=ObligationEvent.Kind.DEADLINE, actor=user, at=now,
                             from_state=state, to_state=state, note=message) for pk, state in ids],
            batch_size=CHUNK,
        )
        moved += len(ids)
    created = 0
    new_starts = {s for s in new_periods if s not in old_periods}
    if new_starts:
        # New periods (a recurring task's window grew): everybody the task applies to gets them.
        created = _bulk_insert(_obligations(campaign, [task], _parties(campaign, kinds={task.party_kind}),
                                            only_starts=new_starts))
    return moved, created, removed


# --- templates and copies ----------------------------------------------------------------

TASK_FIELDS = ["title", "requirement", "lead_unit", "co_lead_unit", "participating_units", "party_kind",
               "firm_grades", "estate_categories", "old_estates_only", "recurrence", "min_count",
               "evidence_kinds", "record_kind", "is_voluntary", "source"]


def _shift_years(d, years):
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February into a common year
        return d.replace(year=d.year + years, day=28)


def _parse_date(value, where, errors):
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        errors.append(_("%(where)s：日期“%(value)s”格式不正确，应为 YYYY-MM-DD。") % {"where": where, "value": value})
        return None


def read_template(path):
    """Read a campaign template (JSON) from a file path."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(_("找不到模板文件：%(path)s") % {"path": path})
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(_("模板文件不是有效的 JSON：%(error)s") % {"error": exc})


def shift_to_middle(data, today):
    """Days to add to a template's dates so that `today` falls in the middle of it."""
    start = date.fromisoformat(data["start_date"])
    end = date.fromisoformat(data["end_date"])
    return (today - (start + (end - start) / 2)).days


@transaction.atomic
def campaign_load_template(*, data=None, path=None, issuing_agency, date_shift=0, year_shift=0, user=None):
    """Create a draft campaign from a template (dict or JSON file).

    ``year_shift`` moves every date by whole years (the same month and day); ``date_shift``
    then moves them by a number of days. Every row is validated before anything is saved;
    errors name the action and task. Districts in a template are district names (full or
    short) under the issuing agency.
    """
    if data is None:
        data = read_template(path)
    if not isinstance(data, dict) or not isinstance(data.get("actions"), list):
        raise ValidationError(_("模板格式不正确：缺少 actions 列表。"))
    errors = []

    def when(value, where):
        d = _parse_date(value, where, errors)
        return d and _shift_years(d, year_shift) + timedelta(days=date_shift)

    districts = {}
    for d in Agency.objects.filter(level=Agency.Level.DISTRICT, path__startswith=issuing_agency.path):
        districts[d.name] = districts[d.short_name or d.name] = d
    start = when(data.get("start_date"), _("活动"))
    year = (start.year if start else int(data.get("year", 0)) + year_shift)
    campaign = Campaign(
        name=str(data.get("name", "")).format(year=year), year=year, issuing_agency=issuing_agency,
        document_number=data.get("document_number", ""), description=data.get("description", ""),
        issued_on=when(data["issued_on"], _("发文日期")) if data.get("issued_on") else None,
        start_date=start, end_date=when(data.get("end_date"), _("活动")), template_key=data.get("key", ""),
    )
    _collect(campaign, _("活动"), errors, exclude=["issuing_agency"])
    actions, tasks = [], []
    task_codes = set()
    for a_index, a in enumerate(data["actions"], start=1):
        a_where = _("第 %(n)s 项行动") % {"n": a_index}
        action = Action(order=a_index, code=a.get("code", ""), name=a.get("name", ""),
                        description=a.get("description", ""))
        _collect(action, a_where, errors, exclude=["campaign"])
        actions.append(action)
        for t_index, t in enumerate(a.get("tasks", []), start=1):
            t_where = _("%(action)s第 %(n)s 项任务（%(code)s）") % {"action": a_where, "n": t_index,
                                                                 "code": t.get("code", "")}
            if t.get("code") in task_codes:
                errors.append(_("%(where)s：任务标识重复。") % {"where": t_where})
            task_codes.add(t.get("code"))
            task = Task(order=t_index, code=t.get("code", ""),
                        window_start=when(t.get("window_start"), t_where), deadline=when(t.get("deadline"), t_where),
                        **{f: t[f] for f in TASK_FIELDS if f in t})
            _collect(task, t_where, errors, exclude=["action"])
            task_districts = []
            for name in t.get("districts", []):
                if name not in districts:
                    errors.append(_("%(where)s：找不到区域“%(name)s”。") % {"where": t_where, "name": name})
                else:
                    task_districts.append(districts[name])
            tasks.append((len(actions) - 1, task, task_districts))
    if errors:
        raise ValidationError(errors)
    campaign.save()
    for action in actions:
        action.campaign = campaign
    Action.objects.bulk_create(actions)
    for a_index, task, _d in tasks:
        task.action = actions[a_index]
    Task.objects.bulk_create([t for _a, t, _d in tasks])
    for _a, task, task_districts in tasks:
        if task_districts:
            task.districts.set(task_districts)
    return campaign


def _collect(instance, where, errors, exclude):
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            label = instance._meta.get_field(field).verbose_name if field != "__all__" else ""
            for message in messages:
                errors.append(labelled(with_note(where, label) if label else where, message))


def campaign_to_template(campaign):
    """The campaign as template data (the inverse of campaign_load_template)."""
    data = {
        "key": campaign.template_key, "name": campaign.name, "year": campaign.year,
        "document_number": campaign.document_number, "description": campaign.description,
        "issued_on": campaign.issued_on.isoformat() if campaign.issued_on else None,
        "start_date": campaign.start_date.isoformat(), "end_date": campaign.end_date.isoformat(), "actions": [],
    }
    for action in campaign.actions.prefetch_related("tasks__districts").order_by("order"):
        a = {"code": action.code, "name": action.name, "description": action.description, "tasks": []}
        for task in action.tasks.all().order_by("order"):
            t = {"code": task.code, "window_start": task.window_start.isoformat(),
                 "deadline": task.deadline.isoformat(), **{f: getattr(task, f) for f in TASK_FIELDS},
                 "districts": [d.name for d in task.districts.all()]}
            a["tasks"].append(t)
        data["actions"].append(a)
    return data


@transaction.atomic
def campaign_copy(*, campaign, new_year, document_number="", user=None):
    """Copy a campaign into a new draft for `new_year`, every date moved by whole years.
    The year in the name is replaced too. The document number is the new year's own (blank
    until the bureau issues it): last year's number never belongs to the copy."""
    years = new_year - campaign.year
    if years == 0:
        raise ValidationError(_("新年度与原活动年度相同。"))
    data = campaign_to_template(campaign)
    data["name"] = campaign.name.replace(str(campaign.year), "{year}")
    data["document_number"] = (document_number or "").strip()
    copy = campaign_load_template(data=data, issuing_agency=campaign.issuing_agency, year_shift=years, user=user)
    copy.copied_from = campaign
    copy.save(update_fields=["copied_from"])
    return copy


# --- permissions ------------------------------------------------------------------------------

def _can_submit(user, obligation):
    if user is None or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if obligation.estate_id:
        return bool(user.firm_id) and user.firm_id == obligation.estate.firm_id
    if obligation.firm_id:
        return user.firm_id == obligation.firm_id
    return bool(user.agency_id) and user.agency_id == obligation.agency_id


def _check_reviewer(user, obligation):
    if user is None or not user.is_active:
        raise ValidationError(_("请先登录。"))
    if not user.is_superuser:
        if user.firm_id:
            raise ValidationError(_("物业服务企业不能审核任务。"))
        reviewer = obligation.reviewer
        if not user.agency_id or not reviewer.path.startswith(user.agency.path):
            raise ValidationError(_("只有审核单位（%(agency)s）可以审核该任务。") % {"agency": reviewer})
    if obligation.submitted_by_id and obligation.submitted_by_id == user.pk:
        raise ValidationError(_("不能审核本人提交的任务。"))


def _locked(obligation):
    return Obligation.objects.select_for_update(of=("self",)).select_related(
        "task", "estate", "reviewer", "campaign").get(pk=obligation.pk)


def _event(obligation, kind, user, from_state, note="", at=None):
    return ObligationEvent.objects.create(obligation=obligation, kind=kind, actor=user, at=at or timezone.now(),
                                          from_state=from_state, to_state=obligation.state, note=note)


# --- lifecycle -------------------------------------------------------------------------------

def _check_evidence(obligation, *, text, count, files):
    task = obligation.task
    kinds = set(task.evidence_kinds or [])
    file_kinds = {kind for kind, _f in files}
    errors = []
    if EvidenceKind.TEXT in kinds and not text.strip():
        errors.append(_("请填写情况说明。"))
    if EvidenceKind.PHOTOS in kinds and EvidenceFile.Kind.PHOTO not in file_kinds:
        errors.append(_("请上传至少一张照片。"))
    if EvidenceKind.DOCUMENTS in kinds and EvidenceFile.Kind.DOCUMENT not in file_kinds:
        errors.append(_("请上传相关文件。"))
    if EvidenceKind.ROSTER in kinds and EvidenceFile.Kind.ROSTER not in file_kinds:
        errors.append(_("请上传名单。"))
    if EvidenceKind.COUNT in kinds and count is None:
        errors.append(_("请填写数量。"))
    if task.record_kind and obligation.count_achieved < task.min_count:
        errors.append(_("本期已登记 %(n)s 次%(kind)s，至少需要 %(min)s 次。")
                      % {"n": obligation.count_achieved, "kind": task.get_record_kind_display(),
                         "min": task.min_count})
    if not kinds and not task.record_kind and not text.strip() and not files and count is None:
        errors.append(_("请至少填写情况说明或上传一个文件。"))
    if errors:
        raise ValidationError(errors)


def _mark_submitted(obligation, user, now):
    obligation.state = State.SUBMITTED
    obligation.submitted_at = now
    obligation.submitted_by = user
    obligation.reviewed_at = None
    obligation.reviewed_by = None
    if timezone.localdate(now) > obligation.due_date:
        obligation.late = True


@transaction.atomic
def obligation_submit(*, obligation, user, text="", count=None, files=(), now=None):
    """Submit (or resubmit after a return) with evidence.

    ``files`` is a list of (EvidenceFile.Kind, File) pairs; their type and size are checked
    by the upload form. Returns the Evidence row.
    """
    obligation = _locked(obligation)
    if not _can_submit(user, obligation):
        raise ValidationError(_("只有责任单位可以提交该任务。"))
    if obligation.state == State.SUBMITTED:
        raise ValidationError(_("该任务已提交，正在等待审核。"))
    if obligation.state == State.ACCEPTED:
        raise ValidationError(_("该任务已审核通过，不能再次提交。"))
    if obligation.campaign.status != Campaign.Status.PUBLISHED:
        raise ValidationError(_("活动未发布或已结束，不能提交。"))
    text = (text or "").strip()
    files = list(files)
    _check_evidence(obligation, text=text, count=count, files=files)
    now = now or timezone.now()
    rounds = obligation.evidence.count()
    evidence = Evidence(obligation=obligation, round=rounds + 1, text=text, count=count, created_by=user,
                        created_at=now)
    evidence.full_clean()
    evidence.save()
    for kind, upload in files:
        ef = EvidenceFile(evidence=evidence, kind=kind, file=upload, original_name=getattr(upload, "name", "")[:255],
                          size=getattr(upload, "size", 0) or 0, uploaded_at=now)
        ef.full_clean()
        ef.save()
    from_state = obligation.state
    _mark_submitted(obligation, user, now)
    obligation.save()
    kind = ObligationEvent.Kind.RESUBMIT if from_state == State.RETURNED else ObligationEvent.Kind.SUBMIT
    _event(obligation, kind, user, from_state, note=text[:500], at=now)
    return evidence


@transaction.atomic
def obligation_accept(*, obligation, user, note="", now=None):
    obligation = _locked(obligation)
    _check_review_state(obligation)
    _check_reviewer(user, obligation)
    now = now or timezone.now()
    obligation.state = State.ACCEPTED
    obligation.reviewed_at, obligation.reviewed_by, obligation.review_note = now, user, note.strip()
    obligation.save()
    _event(obligation, ObligationEvent.Kind.ACCEPT, user, State.SUBMITTED, note=note.strip(), at=now)
    return obligation


@transaction.atomic
def obligation_return(*, obligation, user, reason, now=None):
    reason = (reason or "").strip()
    obligation = _locked(obligation)
    _check_review_state(obligation)
    _check_reviewer(user, obligation)
    if not reason:
        raise ValidationError(_("请填写退回原因。"))
    now = now or timezone.now()
    obligation.state = State.RETURNED
    obligation.reviewed_at, obligation.reviewed_by, obligation.review_note = now, user, reason
    obligation.save()
    _event(obligation, ObligationEvent.Kind.RETURN, user, State.SUBMITTED, note=reason, at=now)
    return obligation


def _check_review_state(obligation):
    if obligation.state == State.OPEN:
        raise ValidationError(_("该任务尚未提交，不能审核。"))
    if obligation.state == State.RETURNED:
        raise ValidationError(_("该任务已退回，等待责任单位重新提交。"))
    if obligation.state == State.ACCEPTED:
        raise ValidationError(_("该任务已审核通过。"))


def _review_many(*, obligations, user, to_state, event_kind, note, now):
    """Move several submitted obligations to ``to_state`` in constant queries. Each one is
    checked like a single review; those that fail are left alone and reported."""
    ids = [getattr(o, "pk", o) for o in obligations]
    rows = list(Obligation.objects.select_for_update(of=("self",)).filter(pk__in=ids)
                .select_related("reviewer", "task", "estate", "firm", "agency"))
    now = now or timezone.now()
    ok, refused = [], []
    for obligation in rows:
        try:
            _check_review_state(obligation)
            _check_reviewer(user, obligation)
        except ValidationError as exc:
            refused.append((obligation, " ".join(exc.messages)))
            continue
        ok.append(obligation.pk)
    if ok:
        Obligation.objects.filter(pk__in=ok).update(state=to_state, reviewed_at=now, reviewed_by=user,
                                                    review_note=note)
        ObligationEvent.objects.bulk_create(
            [ObligationEvent(obligation_id=pk, kind=event_kind, actor=user, at=now,
                             from_state=State.SUBMITTED, to_state=to_state, note=note) for pk in ok],
            batch_size=CHUNK,
        )
    return len(ok), refused


@transaction.atomic
def obligation_accept_many(*, obligations, user, note="", now=None):
    """Accept several submitted obligations at once (the review queue's bulk action).

    Returns (accepted_count, [(obligation, message), ...]) for those refused. Constant queries.
    """
    return _review_many(obligations=obligations, user=user, to_state=State.ACCEPTED,
                        event_kind=ObligationEvent.Kind.ACCEPT, note=(note or "").strip(), now=now)


# --- records ----------------------------------------------------------------------------------

def _record_count(task, obligation):
    span = (obligation.period_start, obligation.period_end)
    kind = task.record_kind
    if kind == RecordKind.TRAINING:
        qs = Training.objects.filter(date__range=span)
        if obligation.firm_id:
            return qs.filter(organiser_firm_id=obligation.firm_id).count()
        if obligation.agency_id:
            return qs.filter(organiser_agency_id=obligation.agency_id).count()
        return 0
    if kind in (RecordKind.FRIENDSHIP, RecordKind.CONVENIENCE, RecordKind.PAIRING):
        qs = Activity.objects.filter(kind=kind, date__range=span)
        if obligation.firm_id:
            return qs.filter(firm_id=obligation.firm_id).count()
        if obligation.estate_id:
            return qs.filter(estate_id=obligation.estate_id).count()
        return 0
    if kind == RecordKind.COORDINATOR and obligation.estate_id:
        return Coordinator.objects.filter(estate_id=obligation.estate_id, is_current=True).count()
    return 0


def _submitted_from(obligation):
    """The state an obligation was in before its current submission (open or returned)."""
    submits = (ObligationEvent.Kind.SUBMIT, ObligationEvent.Kind.RESUBMIT, ObligationEvent.Kind.AUTO_SUBMIT)
    last = obligation.events.filter(kind__in=submits).order_by("-at", "-pk").first()
    return last.from_state if last is not None and last.from_state in PENDING else State.OPEN


def _recount(*, kind, party_q, on_date, user, note, log_changes=False):
    """Recount the obligations of published campaigns counting `kind` records for the
    parties in `party_q` whose period contains `on_date`. Returns the obligations touched.

    ``log_changes`` (a record was corrected or withdrawn): every changed count gets a
    ``record`` event, and a submitted obligation now below its minimum is taken back."""
    qs = Obligation.objects.select_for_update(of=("self",)).select_related("task").filter(
        party_q, task__record_kind=kind, campaign__status=Campaign.Status.PUBLISHED,
    )
    if on_date is not None:
        qs = qs.filter(period_start__lte=on_date, period_end__gte=on_date)
    touched = []
    now = timezone.now()
    for obligation in qs:
        count = _record_count(obligation.task, obligation)
        fields = []
        if count != obligation.count_achieved:
            obligation.count_achieved = count
            fields.append("count_achieved")
        if log_changes and fields and obligation.state == State.SUBMITTED and count < obligation.task.min_count:
            obligation.state = _submitted_from(obligation)
            obligation.submitted_at = obligation.submitted_by = None
            obligation.save(update_fields=fields + ["state", "submitted_at", "submitted_by"])
            _event(obligation, ObligationEvent.Kind.RECORD, user, State.SUBMITTED,
                   note=_("%(note)s 已登记 %(n)s 次，少于要求的 %(min)s 次，提交已撤回。")
                   % {"note": note, "n": count, "min": obligation.task.min_count}, at=now)
        elif obligation.state in PENDING and count >= obligation.task.min_count:
            from_state = obligation.state
            _mark_submitted(obligation, user, now)
            fields += ["state", "submitted_at", "submitted_by", "reviewed_at", "reviewed_by", "late"]
            obligation.save(update_fields=fields)
            _event(obligation, ObligationEvent.Kind.AUTO_SUBMIT, user, from_state, note=note, at=now)
        elif fields:
            obligation.save(update_fields=fields)
            if log_changes:
                _event(obligation, ObligationEvent.Kind.RECORD, user, obligation.state,
                       note=_("%(note)s 已登记 %(n)s 次。") % {"note": note, "n": count}, at=now)
        touched.append(obligation)
    return touched


def _check_organisation(user, *, agency=None, firm=None):
    if user is None or not user.is_active:
        raise ValidationError(_("请先登录。"))
    if user.is_superuser:
        return
    if firm is not None and user.firm_id != firm.pk:
        raise ValidationError(_("只能登记本单位的记录。"))
    if agency is not None and user.agency_id != agency.pk:
        raise ValidationError(_("只能登记本单位的记录。"))


def _save_photos(photos, **owner):
    for upload in photos:
        photo = RecordPhoto(file=upload, original_name=getattr(upload, "name", "")[:255], **owner)
        photo.full_clean()
        photo.save()


@transaction.atomic
def training_record(*, user, date, topic, organiser_agency=None, organiser_firm=None, audience="",
                    attendee_count=0, place="", notes="", photos=()):
    """File a training; it counts towards the organiser's training obligations."""
    if organiser_agency is None and organiser_firm is None:
        organiser_agency, organiser_firm = user.agency, user.firm
    if (organiser_agency is None) == (organiser_firm is None):
        raise ValidationError(_("请指定一个主办单位（主管机构或物业企业）。"))
    _check_organisation(user, agency=organiser_agency, firm=organiser_firm)
    training = Training(date=date, topic=topic, organiser_agency=organiser_agency, organiser_firm=organiser_firm,
                        audience=audience, attendee_count=attendee_count, place=place, notes=notes, created_by=user)
    training.full_clean()
    training.save()
    _save_photos(photos, training=training)
    party = Q(firm=organiser_firm) if organiser_firm else Q(agency=organiser_agency)
    _recount(kind=RecordKind.TRAINING, party_q=party, on_date=date, user=user,
             note=_("已登记培训：%(topic)s（%(date)s）") % {"topic": topic, "date": date})
    return training


@transaction.atomic
def activity_record(*, user, kind, date, title, firm=None, estate=None, partners="", participant_count=0,
                    description="", photos=()):
    """File a liaison/community activity; it counts towards the firm's (and, if given,
    the estate's) obligations of the same kind."""
    firm = firm or user.firm
    if firm is None:
        raise ValidationError(_("请指定物业服务企业。"))
    _check_organisation(user, firm=firm)
    if estate is not None and estate.firm_id != firm.pk:
        raise ValidationError(_("所选小区不由本企业管理。"))
    activity = Activity(kind=kind, date=date, title=title, firm=firm, estate=estate, partners=partners,
                        participant_count=participant_count, description=description, created_by=user)
    activity.full_clean()
    activity.save()
    _save_photos(photos, activity=activity)
    party = Q(firm=firm) | (Q(estate=estate) if estate else Q(pk__in=[]))
    _recount(kind=kind, party_q=party, on_date=date, user=user,
             note=_("已登记活动：%(title)s（%(date)s）") % {"title": title, "date": date})
    return activity


# --- correcting and withdrawing records ----------------------------------------------------------

def _training_party(training):
    return Q(firm_id=training.organiser_firm_id) if training.organiser_firm_id \
        else Q(agency_id=training.organiser_agency_id)


def _activity_party(activity):
    return Q(firm_id=activity.firm_id) | (Q(estate_id=activity.estate_id) if activity.estate_id else Q(pk__in=[]))


def _check_record_owner(user, *, agency_id=None, firm_id=None):
    """Only the organisation that filed a record corrects or withdraws it."""
    if user is None or not user.is_active:
        raise ValidationError(_("请先登录。"))
    if user.is_superuser:
        return
    if (firm_id and user.firm_id != firm_id) or (agency_id and user.agency_id != agency_id):
        raise ValidationError(_("只能更正或撤回本单位登记的记录。"))


def _check_not_accepted(*, uses, what):
    """Refuse when an obligation a record counts (or would count) towards is accepted.

    ``uses`` is a list of (record kind, party Q, date): the record as it is and as it will be."""
    for kind, party_q, on_date in uses:
        accepted = Obligation.objects.filter(
            party_q, task__record_kind=kind, state=State.ACCEPTED, period_start__lte=on_date,
            period_end__gte=on_date).select_related("task", "reviewer").order_by("due_date", "pk").first()
        if accepted is not None:
            raise ValidationError(
                _("%(what)s已计入审核通过的任务“%(task)s”（%(start)s 至 %(end)s），不能再更正或撤回；"
                  "如确需更正，请联系%(reviewer)s。")
                % {"what": what, "task": accepted.task.title, "start": accepted.period_start,
                   "end": accepted.period_end, "reviewer": accepted.reviewer})


def _delete_files_on_commit(names):
    from django.core.files.storage import default_storage

    def delete():
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete)


@transaction.atomic
def training_update(*, user, training, date, topic, audience="", attendee_count, place="", notes="", photos=()):
    """Correct a training: its date, topic, audience, attendee count, place, notes; more
    photos may be added. The organiser's obligations of the old and the new date follow."""
    training = Training.objects.select_for_update().get(pk=training.pk)
    _check_record_owner(user, agency_id=training.organiser_agency_id, firm_id=training.organiser_firm_id)
    party = _training_party(training)
    what = _("该培训")
    _check_not_accepted(uses=[(RecordKind.TRAINING, party, training.date), (RecordKind.TRAINING, party, date)],
                        what=what)
    old_date = training.date
    training.date, training.topic, training.audience = date, topic, audience
    training.attendee_count, training.place, training.notes = attendee_count, place, notes
    training.full_clean()
    training.save()
    _save_photos(photos, training=training)
    note = _("已更正培训：%(topic)s（%(date)s）") % {"topic": topic, "date": date}
    for on_date in dict.fromkeys([old_date, date]):
        _recount(kind=RecordKind.TRAINING, party_q=party, on_date=on_date, user=user, note=note, log_changes=True)
    return training


@transaction.atomic
def training_withdraw(*, user, training):
    """Withdraw (delete) a training and its photos; the obligations it counted towards are recounted."""
    training = Training.objects.select_for_update().get(pk=training.pk)
    _check_record_owner(user, agency_id=training.organiser_agency_id, firm_id=training.organiser_firm_id)
    party = _training_party(training)
    _check_not_accepted(uses=[(RecordKind.TRAINING, party, training.date)], what=_("该培训"))
    _delete_files_on_commit([p.file.name for p in training.photos.all()])
    note = _("已撤回培训：%(topic)s（%(date)s）") % {"topic": training.topic, "date": training.date}
    on_date = training.date
    training.delete()
    _recount(kind=RecordKind.TRAINING, party_q=party, on_date=on_date, user=user, note=note, log_changes=True)


@transaction.atomic
def activity_update(*, user, activity, kind, date, title, estate=None, partners="", participant_count,
                    description="", photos=()):
    """Correct an activity (kind, date, title, estate, partners, participants, description;
    more photos may be added). Obligations of the old and the new kind, estate and date follow."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _check_record_owner(user, firm_id=activity.firm_id)
    if estate is not None and estate.firm_id != activity.firm_id:
        raise ValidationError(_("所选小区不由本企业管理。"))
    before = (activity.kind, _activity_party(activity), activity.date)
    activity.kind, activity.date, activity.title, activity.estate = kind, date, title, estate
    activity.partners, activity.participant_count, activity.description = partners, participant_count, description
    after = (kind, _activity_party(activity), date)
    _check_not_accepted(uses=[before, after], what=_("该活动"))
    activity.full_clean()
    activity.save()
    _save_photos(photos, activity=activity)
    note = _("已更正活动：%(title)s（%(date)s）") % {"title": title, "date": date}
    for record_kind, party, on_date in (before, after):
        _recount(kind=record_kind, party_q=party, on_date=on_date, user=user, note=note, log_changes=True)
    return activity


@transaction.atomic
def activity_withdraw(*, user, activity):
    """Withdraw (delete) an activity and its photos; the obligations it counted towards are recounted."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _check_record_owner(user, firm_id=activity.firm_id)
    kind, party, on_date = activity.kind, _activity_party(activity), activity.date
    _check_not_accepted(uses=[(kind, party, on_date)], what=_("该活动"))
    _delete_files_on_commit([p.file.name for p in activity.photos.all()])
    note = _("已撤回活动：%(title)s（%(date)s）") % {"title": activity.title, "date": activity.date}
    activity.delete()
    _recount(kind=kind, party_q=party, on_date=on_date, user=user, note=note, log_changes=True)


@transaction.atomic
def coordinator_file(*, user, estate, name, phone, appointed_on):
    """File the estate's coordinator, replacing the current one (who is kept as history).
    Counts towards the estate's coordinator obligations."""
    if user is None or not user.is_active:
        raise ValidationError(_("请先登录。"))
    if not user.is_superuser:
        from estates import scoping

        visible = Estate.objects.filter(scoping.estate_q(user), pk=estate.pk).exists()
        if not visible or (user.agency_id is None and user.firm_id != estate.firm_id):
            raise ValidationError(_("只能为本单位管理的小区备案协调员。"))
    coordinator = Coordinator(estate=estate, name=(name or "").strip(), phone=phone, appointed_on=appointed_on,
                              is_current=True)
    coordinator.full_clean(validate_constraints=False)
    for old in Coordinator.objects.select_for_update().filter(estate=estate, is_current=True):
        old.is_current = False
        old.save(update_fields=["is_current"])
    coordinator.save()
    _recount(kind=RecordKind.COORDINATOR, party_q=Q(estate=estate), on_date=None, user=user,
             note=_("已备案协调员：%(name)s") % {"name": coordinator.name})
    return coordinator


@transaction.atomic
def obligation_return_many(*, obligations, user, reason, now=None):
    """Return several submitted obligations with one reason (the review queue's bulk return).

    Returns (returned_count, [(obligation, message), ...]) for those refused. Constant queries.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写退回原因。"))
    return _review_many(obligations=obligations, user=user, to_state=State.RETURNED,
                        event_kind=ObligationEvent.Kind.RETURN, note=reason, now=now)


# --- tasks of a running campaign ---------------------------------------------------------------

# The fields of a task a bureau fills in (the admin's task form); see task_add.
TASK_INPUT_FIELDS = ["order", "code", "title", "requirement", "window_start", "deadline", *TASK_FIELDS[2:]]


@transaction.atomic
def task_add(*, action, user=None, districts=(), today=None, **fields):
    """Add a task to a draft or published campaign. Returns (task, obligations created).

    On a published campaign the task's obligations are generated in the same transaction,
    like a party registered after publishing: every party it applies to, for the periods
    ending today or later (nobody is put in arrears for a period that was over before the
    task existed). A deadline already past would create nothing, so it is refused.
    """
    today = today or timezone.localdate()
    campaign = Campaign.objects.select_for_update().select_related("issuing_agency").get(pk=action.campaign_id)
    if campaign.status == Campaign.Status.CLOSED:
        raise ValidationError(_("活动已结束，不能再添加工作任务。"))
    task = Task(action=action, **fields)
    task.full_clean()
    if campaign.status == Campaign.Status.PUBLISHED and task.deadline < today:
        raise ValidationError({"deadline": _("活动已发布，新任务的完成期限不能早于今天（%(d)s）。") % {"d": today}})
    task.save()
    if districts:
        task.districts.set(districts)
    created = 0
    if campaign.status == Campaign.Status.PUBLISHED:
        created = _bulk_insert(_obligations(campaign, [task], _parties(campaign, kinds={task.party_kind}),
                                            min_period_end=today))
    return task, created


@transaction.atomic
def task_delete(*, task, user=None):
    """Remove a task and its obligations while none of them has work in it.

    Work is evidence, a submission or review (any state but open), or records counted
    towards it; an obligation with any of these is kept, and the task with it (refused with
    the count). Reminders of the obligations go with them; deadline-move entries of the log
    too, as they only describe the removed obligations. Returns the obligations removed.
    """
    from .selectors import task_obligation_summary

    task = Task.objects.select_for_update().select_related("action__campaign").get(pk=task.pk)
    if task.action.campaign.status == Campaign.Status.CLOSED:
        raise ValidationError(_("活动已结束，不能删除工作任务。"))
    summary = task_obligation_summary(task=task)
    if summary["with_work"]:
        raise ValidationError(
            _("“%(task)s”已有 %(n)s 条任务责任提交了材料、经过审核或计入了记录，不能删除。"
              "可调整其完成期限，或联系责任单位。") % {"task": task.title, "n": summary["with_work"]})
    obligations = Obligation.objects.filter(task=task)
    ObligationEvent.objects.filter(obligation__task=task).delete()
    removed = obligations.count()
    obligations.delete()
    task.delete()
    return removed
