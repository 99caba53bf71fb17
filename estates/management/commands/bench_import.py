"""Benchmark: import a workbook of N estates through the real importer.

    manage.py bench_import --estates 5000

Builds a small city (estates.demo.build_city: districts, streets, communities, firms),
writes an N-estate workbook with the import template's columns, imports it as a city
officer, then imports the same file again (every row unchanged). Prints, for each run,
elapsed time, peak RSS over that import and query count (core/bench.py), next to the openpyxl floor
from ../shared/FLOORS.md. It runs in a throwaway database (a fresh SQLite file, or a
new PostgreSQL database when DATABASE_URL points at PostgreSQL), migrated at the start
and dropped at the end, so real data is never touched. Peak RSS is the whole process's
(Django, migrations and the import).
"""

import os
import random
import tempfile
import time
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand
from django.db import connection

from core.bench import current_rss_mb, measure
from core.xlsx import write_xlsx_path
from estates.demo import build_city, landline
from estates.importers import CATEGORY_LABELS, ESTATE_SPEC, EstateImporter

# ../shared/FLOORS.md, measured on this kind of machine (2 cores).
FLOOR = "openpyxl read 5,000 rows × 12 columns, read_only, values_only: 0.51 s, 28 MB"
FLOOR_SECONDS_PER_5000 = 0.51
TARGET = "under 20 s and under 300 MB"


class Command(BaseCommand):
    help = "Benchmark the estate Excel import (time, peak memory, queries)."

    def add_arguments(self, parser):
        parser.add_argument("--estates", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, estates, seed, **options):
        from accounts.models import User

        old_name = self._create_throwaway_database()
        try:
            city = build_city(estates=0, seed=seed, city_name=f"基准测试市{seed}", city_short=f"基准{seed}")
            user = User.objects.create(username="bench-import", agency=city.city)  # a city officer
            path = Path(tempfile.mkstemp(suffix=".xlsx", prefix="bench-import-")[1])
            try:
                t0 = time.perf_counter()
                write_xlsx_path([c.label for c in ESTATE_SPEC.columns], self._rows(city, estates, seed), path)
                self.stdout.write(
                    f"workbook: {estates} estates × {len(ESTATE_SPEC.columns)} columns, "
                    f"{path.stat().st_size / 1024:.0f} KB, written in {time.perf_counter() - t0:.2f} s"
                )
                self.stdout.write(f"floor: {FLOOR}; target: {TARGET}")
                self.stdout.write(f"RSS before importing: {current_rss_mb():.0f} MB (Django, migrations, city)")
                self._read_floor(path)
                first = self._import(user, path, "first import (all new)")
                second = self._import(user, path, "re-import (all unchanged)")
                write_xlsx_path([c.label for c in ESTATE_SPEC.columns],
                                self._rows(city, estates, seed, households_delta=1), path)
                third = self._import(user, path, "import with every row changed (all updated)")
                write_xlsx_path([c.label for c in ESTATE_SPEC.columns],
                                self._rows(city, estates, seed, bad_area=True), path)
                fourth = self._import(user, path, "import with an error in every row (marked copy)")
                self.stdout.write(f"  marked copy: {len(fourth.marked_copy or b'') / 1024:.0f} KB")
            finally:
                path.unlink(missing_ok=True)
            for result in (first, second, third):  # the fourth is meant to fail
                for error in result.errors[:20]:
                    self.stderr.write(f"row {error.row} {error.column}: {error.message}")
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)

    def _create_throwaway_database(self):
        """A fresh database next to the configured one (file-backed SQLite, or a new PostgreSQL
        database), migrated, dropped afterwards: the benchmark never touches real data."""
        test_settings = connection.settings_dict.setdefault("TEST", {})
        if connection.vendor == "sqlite":
            directory = Path(tempfile.mkdtemp(prefix="bench-import-"))
            test_settings["NAME"] = str(directory / "bench.sqlite3")
        else:
            test_settings["NAME"] = f"bench_import_{os.getpid()}"
        old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        self.stdout.write(f"database: {connection.vendor} {connection.settings_dict['NAME']} (throwaway)")
        return old_name

    def _read_floor(self, path):
        """openpyxl alone on this very workbook, measured now: the floor under today's load."""
        from openpyxl import load_workbook

        t0, c0 = time.perf_counter(), time.process_time()
        workbook = load_workbook(path, read_only=True, data_only=True)
        rows = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
        workbook.close()
        self.stdout.write(
            f"openpyxl read of this workbook alone: {rows} rows in {time.perf_counter() - t0:.2f} s "
            f"(CPU {time.process_time() - c0:.2f} s)"
        )

    def _import(self, user, path, label):
        with path.open("rb") as fh:
            upload = File(fh, name="bench.xlsx")
            with measure() as m:
                result = EstateImporter(user=user).run(upload, store_marked_copy=False)
        elapsed, cpu = m.seconds, m.cpu
        counts = result.counts
        ratio = elapsed / (FLOOR_SECONDS_PER_5000 * max(1, result.rows) / 5000)
        self.stdout.write(
            f"{label}: {result.rows} rows in {elapsed:.2f} s (CPU {cpu:.2f} s; {ratio:.1f}× the read floor), "
            f"peak RSS {m.peak_mb:.0f} MB, {m.queries} queries; "
            f"created {counts.created}, updated {counts.updated}, unchanged {counts.unchanged}, "
            f"errors {len(result.errors)}"
        )
        return result

    def _rows(self, city, n, seed, households_delta=0, bad_area=False):
        """Rows like a bureau's real sheet: every estate in some street of some district."""
        rng = random.Random(seed)
        from estates.models import Agency

        communities = {}
        for community in Agency.objects.filter(parent__in=city.streets, level=Agency.Level.COMMUNITY):
            communities.setdefault(community.parent_id, []).append(community)
        districts = {d.pk: d for d in city.districts}
        for i in range(n):
            street = city.streets[i % len(city.streets)]
            district = districts[street.parent_id]
            firm = rng.choice(city.firms)
            year = rng.randint(1982, 2011)
            households = rng.randint(80, 3000) + households_delta
            yield (
                f"BM{i + 1:06d}", f"基准{i + 1}号小区", f"{district.short_name}测试路 {rng.randint(1, 999)} 号",
                district.short_name, street.short_name, rng.choice(communities[street.pk]).short_name,
                firm.credit_code, str(CATEGORY_LABELS[rng.randint(0, 2)]), year, households,
                "很多" if bad_area else households * rng.randint(70, 120), rng.choice(("是", "否")),
                landline(rng) if rng.random() < 0.6 else None, None, "是",
            )
