"""Benchmark: the city summary report for a city of N estates (the job's own code path).

    manage.py bench_report --estates 5000

Seeds the demo city in a throwaway database, loads the Ningbo 2011 campaign shifted so
that the report date falls in its middle, publishes it (all obligations), moves a share
of them on and files trainings and activities; then times
documents.services.campaign_report_pdf for the city (data and PDF separately).
FLOORS.md has no floor for a report; the nearest is WeasyPrint's 46 ms a page (300
letters as one document), printed as pages × 46 ms. Table pages cost WeasyPrint more
than prose, so the command also times WeasyPrint alone on the very same HTML.
"""

import datetime
import io

from django.core.management.base import BaseCommand
from django.template.loader import render_to_string

from core.bench import current_rss_mb, measure

from ._bench import ratio, seed_campaign, seed_city, throwaway_database

FLOOR_MS_A_PAGE = 46
TARGET = "under 30 s"


class Command(BaseCommand):
    requires_system_checks = []  # a benchmark measures; admin checks of apps under construction must not stop it
    help = "Benchmark the city campaign summary report (time, peak memory, pages, size)."

    def add_arguments(self, parser):
        parser.add_argument("--estates", type=int, default=5000)
        parser.add_argument("--as-of", default="2011-09-15")

    def handle(self, *args, estates, as_of, **options):
        from pypdf import PdfReader

        from campaigns.models import Obligation
        from core.pdf import html_to_pdf, print_context
        from documents import selectors, services

        as_of = datetime.date.fromisoformat(as_of)
        with throwaway_database(self.stdout, "bench-report"):
            city, user = seed_city(estates=estates)
            campaign = seed_campaign(city=city, as_of=as_of)
            obligations = Obligation.objects.filter(campaign=campaign).count()
            self.stdout.write(f"seeded {estates} estates, {len(city.firms)} firms, {obligations} obligations; "
                              f"RSS before the report {current_rss_mb():.0f} MB")
            with measure() as data_m:
                selectors.campaign_report_data(user=user, campaign=campaign, agency=city.city, as_of=as_of)
            with measure() as m:
                pdf = services.campaign_report_pdf(user=user, campaign=campaign, agency=city.city, as_of=as_of)
            pages = len(PdfReader(io.BytesIO(pdf)).pages)
            # WeasyPrint alone on this very report's HTML: what the library costs for it today.
            context, title = services.campaign_report_context(user=user, campaign=campaign, agency=city.city,
                                                              as_of=as_of)
            html = render_to_string("print/campaign_report.html",
                                    print_context(context, issuer=city.city.name, title=title))
            with measure() as alone:
                html_to_pdf(html)
        floor = pages * FLOOR_MS_A_PAGE / 1000
        self.stdout.write(
            f"data alone: {data_m['seconds']:.2f} s, {data_m.queries} queries. "
            f"city report: {pages} pages, {m['seconds']:.1f} s (CPU {m['cpu']:.1f} s), "
            f"peak RSS {m['peak_mb']:.0f} MB, PDF {len(pdf) / 1024:.0f} KB"
        )
        self.stdout.write(
            f"floor (WeasyPrint 46 ms a page × {pages} pages): {floor:.1f} s; ratio {ratio(m['seconds'], floor)}; "
            f"target: {TARGET}"
        )
        self.stdout.write(
            f"WeasyPrint alone on this report's HTML: {alone['seconds']:.1f} s (CPU {alone['cpu']:.1f} s); "
            f"ours / WeasyPrint alone: {ratio(m['seconds'], alone['seconds'])}"
        )
