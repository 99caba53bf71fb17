"""Benchmark: publish the Ningbo campaign for a seeded city.

Seeds a city with estates.demo.build_city, loads fixtures/campaigns/ningbo-2011.json and
publishes it, reporting:

* time of the publish (one transaction, bulk inserts) and its query count;
* the floor: the same rows, already adapted, inserted by the raw DB-API cursor the fastest
  plain way (SQLite ``executemany``; PostgreSQL multi-row VALUES) — what the database itself
  costs — and our ratio to it;
* memory: Python allocations at their peak during a second, traced publish (tracemalloc,
  so the timed run is not slowed by tracing), per obligation; and the peak RSS over the timed publish
  (core/bench.py measures every benchmark).

Everything runs inside a transaction that is rolled back at the end (``--keep`` keeps it),
so it needs a database without estates: e.g.
``DATABASE_URL=sqlite:////tmp/bench.sqlite3 manage.py migrate && ... bench_publish``.
Targets (issue 3): under 60 s, under 2 KB of memory per obligation.
"""

import gc
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from campaigns import services
from campaigns.models import Obligation
from core.bench import current_rss_mb, measure, traced_peak
from estates.demo import build_city
from estates.models import Estate

TEMPLATE = Path(settings.BASE_DIR) / "fixtures" / "campaigns" / "ningbo-2011.json"
TARGET_SECONDS = 60
TARGET_BYTES_PER_OBLIGATION = 2048


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Publish Ningbo 2011 for a seeded city of N estates; report time, queries, memory and the floor."
    requires_system_checks = []  # a measurement, not a deployment

    def add_arguments(self, parser):
        parser.add_argument("--estates", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=2011)
        parser.add_argument("--keep", action="store_true", help="commit the city and the campaign")
        parser.add_argument("--no-floor", action="store_true", help="skip the raw-insert floor measurement")

    def handle(self, *args, estates, seed, keep, no_floor, **options):
        if Estate.objects.exists():
            raise CommandError("bench_publish needs a database without estates, e.g. "
                               "DATABASE_URL=sqlite:////tmp/bench.sqlite3 (migrate it first).")
        vendor = connection.vendor
        try:
            with transaction.atomic():
                campaign = self._run(estates, seed, no_floor, vendor)
                if not keep:
                    raise _Rollback
                services.campaign_publish(campaign=campaign)  # the measured runs were rolled back
                self.stdout.write(f"Kept: campaign #{campaign.pk} published.")
        except _Rollback:
            self.stdout.write("(rolled back)")

    def _run(self, estates, seed, no_floor, vendor):
        w = self.stdout.write
        t = time.perf_counter()
        city = build_city(estates=estates, seed=seed)
        w(f"Seeded city: {city.estates_created} estates, {len(city.firms)} firms, {len(city.districts)} districts "
          f"in {time.perf_counter() - t:.1f} s")
        campaign = services.campaign_load_template(path=TEMPLATE, issuing_agency=city.city)
        gc.collect()
        rss_before = current_rss_mb()

        # 1. the timed publish, in a savepoint so it can be repeated under tracing
        with transaction.atomic():
            with measure() as m:
                count = services.campaign_publish(campaign=campaign)
            seconds = m.seconds
            rows = Obligation.objects.filter(campaign=campaign).count()
            floor_rows = None if no_floor else list(
                Obligation.objects.filter(campaign=campaign).values_list(*self._columns()))
            transaction.set_rollback(True)

        # 2. the same publish under tracemalloc: peak Python allocations
        with transaction.atomic():
            with traced_peak() as traced:
                services.campaign_publish(campaign=campaign)
            transaction.set_rollback(True)
        peak = traced.peak_bytes

        # 3. the floor: the same rows through the raw cursor
        floor = None
        if floor_rows:
            floor = self._floor(floor_rows)
        del floor_rows

        per = peak / count if count else 0
        w(f"Database: {vendor}")
        w(f"Publish: {count} obligations ({rows} in the table) in {seconds:.2f} s (CPU {m.cpu:.2f} s), "
          f"{m.queries} queries, one transaction ({count / seconds:,.0f} obligations/s)")
        if floor:
            w(f"Floor (raw insert of the same rows): {floor:.2f} s → ratio {seconds / floor:.2f}×")
        w(f"Memory: peak Python allocations during publish {peak / 1024 / 1024:.1f} MiB "
          f"= {per:.0f} bytes per obligation (traced run)")
        w(f"Peak RSS over the publish: {m.peak_mb:.0f} MiB (before publish {rss_before:.0f} MiB)")
        ok_time, ok_mem = seconds < TARGET_SECONDS, per < TARGET_BYTES_PER_OBLIGATION
        w(f"Targets: time < {TARGET_SECONDS} s {'OK' if ok_time else 'MISSED'}; "
          f"memory < {TARGET_BYTES_PER_OBLIGATION} B/obligation {'OK' if ok_mem else 'MISSED'}")
        return campaign

    @staticmethod
    def _columns():
        return [f.attname for f in Obligation._meta.concrete_fields if not f.primary_key]

    def _floor(self, rows):
        """Insert the same rows, already adapted, the fastest plain way for the backend."""
        ops = connection.ops
        fields = [f for f in Obligation._meta.concrete_fields if not f.primary_key]
        adapted = [[f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)] for row in rows]
        table = ops.quote_name(Obligation._meta.db_table)
        columns = ", ".join(ops.quote_name(f.column) for f in fields)
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sqlite = connection.vendor == "sqlite"
        size = services.CHUNK if sqlite else 65535 // len(fields)
        with transaction.atomic():
            with connection.cursor() as cursor:
                t = time.perf_counter()
                for start in range(0, len(adapted), size):
                    chunk = adapted[start:start + size]
                    if sqlite:
                        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES {one}", chunk)
                    else:
                        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))}",
                                       [value for row in chunk for value in row])
                seconds = time.perf_counter() - t
            transaction.set_rollback(True)
        return seconds
