"""Benchmark: export N obligations to Excel through the export job's code path.

    manage.py bench_export --rows 100000

Seeds the demo city in a throwaway database and a campaign of 20 once-only estate tasks
(published by the campaign engine: N obligations for N/20 estates), then times
campaigns.exports.obligations_export for a city officer (query streamed with iterator(),
openpyxl write-only into a file on disk). Prints time, peak memory (over the export only)
and file size next to the openpyxl floor of ../shared/FLOORS.md.
"""

import datetime
import math
import os

from django.core.management.base import BaseCommand

from core.bench import current_rss_mb, measure

from ._bench import ratio, seed_city, throwaway_database

FLOOR_SECONDS, FLOOR_MB = 11.4, 28  # openpyxl write_only, 100,000 rows × 12
TARGET = "peak memory under 300 MB"
TASKS = 20


class Command(BaseCommand):
    requires_system_checks = []  # a benchmark measures; admin checks of apps under construction must not stop it
    help = "Benchmark the obligations Excel export (time, peak memory, size)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)

    def handle(self, *args, rows, **options):
        from campaigns import services as campaign_services
        from campaigns.exports import obligations_export
        from campaigns.models import Action, Campaign, Obligation, PartyKind, Task
        from core.jobs import temporary_path

        with throwaway_database(self.stdout, "bench-export"):
            city, user = seed_city(estates=math.ceil(rows / TASKS))
            campaign = Campaign.objects.create(
                name="导出基准测试活动", year=2011, issuing_agency=city.city,
                start_date=datetime.date(2011, 7, 1), end_date=datetime.date(2011, 12, 31),
            )
            action = Action.objects.create(campaign=campaign, order=1, code="bench", name="和谐关系促进行动")
            Task.objects.bulk_create([
                Task(action=action, order=i + 1, code=f"t{i}", title=f"基准任务{i + 1}：张贴公开信和服务内容清单",
                     window_start=datetime.date(2011, 7, 1),
                     deadline=datetime.date(2011, 7, 10) + datetime.timedelta(days=i * 7),
                     party_kind=PartyKind.ESTATE, evidence_kinds=["text"])
                for i in range(TASKS)
            ])
            campaign_services.campaign_publish(campaign=campaign)
            total = Obligation.objects.count()
            self.stdout.write(f"seeded {total} obligations; RSS before the export {current_rss_mb():.0f} MB")
            path = temporary_path(".xlsx")
            try:
                with measure() as m:
                    written = obligations_export(user=user, path=path, campaign=campaign)
                size_mb = os.path.getsize(path) / 1024 / 1024
            finally:
                path.unlink(missing_ok=True)
        from campaigns.exports import obligation_columns

        columns = len(obligation_columns())
        # The floor writes 12 columns; scale it by cells so a wider export is compared fairly.
        scale = written / 100_000 * columns / 12
        self.stdout.write(
            f"export: {written} rows × {columns} columns in {m['seconds']:.1f} s (CPU {m['cpu']:.1f} s), "
            f"peak RSS {m['peak_mb']:.0f} MB, file {size_mb:.1f} MB"
        )
        self.stdout.write(
            f"floor (openpyxl write_only, 100,000 × 12): {FLOOR_SECONDS} s, {FLOOR_MB} MB (openpyxl alone, no Django); "
            f"ratio per cell: time {ratio(m['seconds'], FLOOR_SECONDS * scale)}; target: {TARGET}"
        )
