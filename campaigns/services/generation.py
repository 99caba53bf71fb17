"""Who applies to a task, and the obligation rows generated for them (batched INSERTs)."""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from estates.models import Agency, Estate, PropertyFirm

from ..models import (
    Obligation,
    PartyKind,
    Task,
)
from .periods import _periods_of

CHUNK = 2000  # obligation rows per INSERT batch: bounds the rows held in memory at once


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
