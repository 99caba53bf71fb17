"""Benchmark: the estate Excel import beside its floor, measured in the same run.

    manage.py bench_import --estates 5000            # SQLite, or PostgreSQL when DATABASE_URL says so
    manage.py bench_import --estates 20000 --rounds 3

Builds a small city (estates.demo.build_city: districts, streets, communities, firms) in a
throwaway database (a fresh SQLite file, or a new PostgreSQL database when DATABASE_URL points
at PostgreSQL; migrated at the start, dropped at the end, so real data is never touched), writes
an N-estate workbook with the import template's columns, and a copy of it with an error in every
10th row (``--bad-every N``; 1: in every row). Then, ``--rounds`` times, alternating the floor with our code (A B A B):

* **floor** — what a developer would write without our framework: openpyxl ``read_only`` /
  ``values_only`` over the same file, the agencies and firms resolved by dict lookups, and
  ``Estate.objects.bulk_create`` of the same rows in batches of 500 inside one transaction
  (no validation, no history rows, no signal);
* **first import** — ``EstateImporter`` of the same file into the empty table (all new);
* **re-import** — the same file again (every row unchanged);
* **update** — a copy with every row's households changed (every row updated);
* **error path** — the copy with an error in every 10th row: every row checked, nothing saved,
  the marked copy written.

The table is emptied after the floor and after each round. Every phase runs in a subprocess of
its own (``--phase``), so its peak resident set (Linux VmHWM, core/bench.py ``measure``) is its
own — never hidden by an earlier phase's, nor inflated by memory an earlier phase left in the
allocator — and it includes the baseline of a Django process (printed beside it). Each phase
prints time (wall and this process's CPU), peak RSS and queries, and its ratios to the floor of the
same round (wall and CPU: on a loaded machine the CPU ratio is the steadier; on PostgreSQL the CPU
leaves out the server's work); the summary gives each phase's median over the rounds.
``--profile FILE`` writes a cProfile of the first import of round 1 (``python -m pstats FILE``).
"""

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from core.xlsx import write_xlsx_path
from estates.demo import build_city, landline
from estates.importers import CATEGORY_LABELS, ESTATE_SPEC

PHASES = ("floor", "first", "reimport", "update", "errors")
LABELS = {
    "floor": "floor (openpyxl read + bulk_create)",
    "first": "first import (all new)",
    "reimport": "re-import (all unchanged)",
    "update": "import, every row changed",
    "errors": "error path (1 row in {bad_every} bad)",
}
APPEARS_INTERNAL = "internal: used by the benchmark's own subprocesses"


class Command(BaseCommand):
    help = "Benchmark the estate Excel import beside its openpyxl + bulk_create floor (time, peak memory, queries)."

    def add_arguments(self, parser):
        parser.add_argument("--estates", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--rounds", type=int, default=3)
        parser.add_argument("--bad-every", type=int, default=10, help="the error path: every Nth row bad (1: all)")
        parser.add_argument("--profile", default="", help="write a cProfile of round 1's first import here")
        # internal: one phase in this process, against an existing throwaway database
        parser.add_argument("--phase", choices=PHASES, help=APPEARS_INTERNAL)
        parser.add_argument("--database-name", default="", help=APPEARS_INTERNAL)
        parser.add_argument("--file", default="", help=APPEARS_INTERNAL)
        parser.add_argument("--user", type=int, default=0, help=APPEARS_INTERNAL)

    def handle(self, *args, phase=None, **options):
        if phase:
            return self._child(phase, **options)
        return self._parent(**options)

    # --- the parent: database, workbooks, rounds ---------------------------------------------------

    def _parent(self, *, estates, seed, rounds, profile, bad_every, **options):
        from accounts.models import User

        self._bad_every = bad_every
        old_name = self._create_throwaway_database()
        directory = Path(tempfile.mkdtemp(prefix="bench-import-files-"))
        try:
            city = build_city(estates=0, seed=seed, city_name=f"基准测试市{seed}", city_short=f"基准{seed}")
            user = User.objects.create(username="bench-import", agency=city.city)  # a city officer
            headers = [c.label for c in ESTATE_SPEC.columns]
            files = {"good": directory / "estates.xlsx", "changed": directory / "changed.xlsx",
                     "bad": directory / "bad.xlsx"}
            t0 = time.perf_counter()
            write_xlsx_path(headers, self._rows(city, estates, seed), files["good"])
            write_xlsx_path(headers, self._rows(city, estates, seed, households_delta=1), files["changed"])
            write_xlsx_path(headers, self._rows(city, estates, seed, bad_every=bad_every), files["bad"])
            self.stdout.write(
                f"workbooks: {estates:,} estates × {len(headers)} columns, "
                f"{files['good'].stat().st_size / 1024:.0f} KB each, written in {time.perf_counter() - t0:.1f} s"
            )
            db_name = connection.settings_dict["NAME"]
            connection.close()  # the phases connect themselves
            results = {name: [] for name in PHASES}
            for number in range(1, rounds + 1):
                self.stdout.write(f"round {number}:")
                plan = [("floor", "good"), ("first", "good"), ("reimport", "good"), ("update", "changed"),
                        ("errors", "bad")]
                floor = None
                for name, file_key in plan:
                    extra = ["--profile", profile] if profile and number == 1 and name == "first" else []
                    figures = self._spawn(name, db_name, files[file_key], user.pk, extra)
                    if name == "floor":
                        floor = figures
                        self._empty()
                    results[name].append({**figures, "ratio": figures["seconds"] / floor["seconds"],
                                          "cpu_ratio": figures["cpu"] / floor["cpu"]})
                    self._print(name, figures, floor)
                self._empty()
            self._summary(results, estates)
        finally:
            connection.close()
            for path in directory.iterdir():
                path.unlink()
            directory.rmdir()
            connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
            if getattr(self, "_sqlite_dir", None):
                for path in self._sqlite_dir.iterdir():  # the database's -wal/-shm files, if any
                    path.unlink()
                self._sqlite_dir.rmdir()

    def _create_throwaway_database(self):
        """A fresh database next to the configured one (file-backed SQLite, or a new PostgreSQL
        database), migrated, dropped afterwards: the benchmark never touches real data."""
        test_settings = connection.settings_dict.setdefault("TEST", {})
        if connection.vendor == "sqlite":
            self._sqlite_dir = Path(tempfile.mkdtemp(prefix="bench-import-"))
            test_settings["NAME"] = str(self._sqlite_dir / "bench.sqlite3")
        else:
            test_settings["NAME"] = f"bench_import_{os.getpid()}"
        old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        self.stdout.write(f"database: {connection.vendor} {connection.settings_dict['NAME']} (throwaway)")
        return old_name

    def _spawn(self, phase, db_name, path, user_pk, extra):
        command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench_import", "--phase", phase,
                   "--database-name", str(db_name), "--file", str(path), "--user", str(user_pk), *extra]
        done = subprocess.run(command, capture_output=True, text=True, check=False, env=os.environ.copy())
        if done.returncode != 0:
            raise RuntimeError(f"phase {phase} failed:\n{done.stderr}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def _empty(self):
        from estates.models import Estate

        with transaction.atomic():
            Estate.history.model.objects.all()._raw_delete(connection.alias)
            Estate.objects.all()._raw_delete(connection.alias)
        connection.close()

    def _label(self, name):
        return LABELS[name].format(bad_every=self._bad_every)

    def _print(self, name, figures, floor):
        ratio = "" if name == "floor" else (
            f"; {figures['seconds'] / floor['seconds']:.2f}× the floor, CPU {figures['cpu'] / floor['cpu']:.2f}×")
        self.stdout.write(
            f"  {self._label(name)}: {figures['rows']:,} rows in {figures['seconds']:.2f} s (CPU {figures['cpu']:.2f} s"
            f"{ratio}), peak RSS {figures['peak_mb']:.0f} MB (process before it: {figures['base_mb']:.0f} MB), "
            f"{figures['queries']} queries; {figures['outcome']}"
        )

    def _summary(self, results, estates):
        self.stdout.write(f"median of {len(results['floor'])} rounds, {estates:,} estates, {connection.vendor}:")
        for name in PHASES:
            runs = results[name]
            seconds = statistics.median(r["seconds"] for r in runs)
            peak = max(r["peak_mb"] for r in runs)
            cpu = statistics.median(r["cpu"] for r in runs)
            ratio = "" if name == "floor" else (
                f", {statistics.median(r['ratio'] for r in runs):.2f}× the floor "
                f"({min(r['ratio'] for r in runs):.2f}–{max(r['ratio'] for r in runs):.2f}), "
                f"CPU {statistics.median(r['cpu_ratio'] for r in runs):.2f}×")
            self.stdout.write(f"  {self._label(name)}: {seconds:.2f} s (CPU {cpu:.2f} s){ratio}, "
                              f"peak RSS up to {peak:.0f} MB")

    # --- one phase, in its own process -------------------------------------------------------------

    def _child(self, phase, *, database_name, file, user, profile="", **options):
        from django.core.files import File

        from accounts.models import User
        from core.bench import current_rss_mb, measure
        from estates.importers import EstateImporter

        connection.close()
        connection.settings_dict["NAME"] = database_name
        path = Path(file)
        importer_user = User.objects.get(pk=user)
        figures = {}
        with path.open("rb") as fh:
            upload = File(fh, name="bench.xlsx")
            import openpyxl  # noqa: F401  (loaded before the block, like the importer's own imports)

            base = current_rss_mb()
            profiler = None
            if profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            with measure() as m:
                if phase == "floor":
                    rows = self._floor(path)
                    outcome = f"created {rows:,}"
                else:
                    result = EstateImporter(user=importer_user).run(upload, store_marked_copy=False)
                    rows, counts = result.rows, result.counts
                    outcome = (f"created {counts.created:,}, updated {counts.updated:,}, "
                               f"unchanged {counts.unchanged:,}, errors {len(result.errors):,}")
                    if result.marked_copy:
                        outcome += f", marked copy {len(result.marked_copy) / 1024:.0f} KB"
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(profile)
        figures.update(rows=rows, seconds=m.seconds, cpu=m.cpu, peak_mb=m.peak_mb, base_mb=base,
                       queries=m.queries, outcome=outcome)
        self.stdout.write(json.dumps(figures))

    @staticmethod
    def _floor(path):
        """openpyxl read_only/values_only + bulk_create: the simplest correct code for the same rows."""
        from openpyxl import load_workbook

        from estates.models import Agency, Estate, PropertyFirm

        districts, children = {}, {}
        for pk, level, parent, short_name in Agency.objects.values_list("pk", "level", "parent_id", "short_name"):
            if level == Agency.Level.DISTRICT:
                districts[short_name] = pk
            else:
                children[(parent, short_name)] = pk
        firms = dict(PropertyFirm.objects.values_list("credit_code", "pk"))
        categories = {str(label): number for number, label in enumerate(CATEGORY_LABELS, start=1)}
        workbook = load_workbook(path, read_only=True, data_only=True)
        lines = workbook.worksheets[0].iter_rows(values_only=True)
        next(lines)  # the header
        count, batch = 0, []
        with transaction.atomic():
            for (code, name, address, district, street, community, firm, category, year, households, area,
                 committee, hotline, complaint, active) in lines:
                district_id = districts[district]
                street_id = children[(district_id, street)]
                batch.append(Estate(
                    code=code, name=name, address=address or "", district_id=district_id, street_id=street_id,
                    community_id=children[(street_id, community)] if community else None,
                    firm_id=firms[firm] if firm else None, category=categories[category], year_built=year,
                    households=households, floor_area=area, has_owners_committee=committee == "是",
                    hotline=hotline or "", complaint_phone=complaint or "", is_active=active == "是",
                ))
                if len(batch) == 500:
                    Estate.objects.bulk_create(batch)
                    count, batch = count + len(batch), []
            Estate.objects.bulk_create(batch)
            count += len(batch)
        workbook.close()
        return count

    def _rows(self, city, n, seed, households_delta=0, bad_every=0):
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
            area = households * rng.randint(70, 120)
            yield (
                f"BM{i + 1:06d}", f"基准{i + 1}号小区", f"{district.short_name}测试路 {rng.randint(1, 999)} 号",
                district.short_name, street.short_name, rng.choice(communities[street.pk]).short_name,
                firm.credit_code, str(CATEGORY_LABELS[rng.randint(0, 2)]), year,
                "很多" if bad_every and i % bad_every == bad_every - 1 else households, area,
                rng.choice(("是", "否")), landline(rng) if rng.random() < 0.6 else None, None, "是",
            )

