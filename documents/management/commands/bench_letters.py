"""Benchmark: the open letter for N estates as ONE batch PDF (the job's own code path).

    manage.py bench_letters --estates 300

Seeds the demo city in a throwaway database, then times documents.services.notices_pdf
(selection, texts, QR codes, HTML, WeasyPrint layout and writing) and prints time, peak
memory and PDF size next to the WeasyPrint floor of ../shared/FLOORS.md.
"""

import io

from django.core.management.base import BaseCommand

from core.bench import current_rss_mb, measure

from ._bench import ratio, seed_city, throwaway_database

FLOOR_SECONDS, FLOOR_MB, FLOOR_PDF_MB = 16.1, 443, 1.2  # 300 letters as one document
TARGET = "under 60 s, PDF under 2 MB"


class Command(BaseCommand):
    requires_system_checks = []  # a benchmark measures; admin checks of apps under construction must not stop it
    help = "Benchmark one batch PDF of open letters (time, peak memory, size)."

    def add_arguments(self, parser):
        parser.add_argument("--estates", type=int, default=300)

    def handle(self, *args, estates, **options):
        from pypdf import PdfReader

        from core.pdf import documents_html, html_to_pdf, print_context, render_fragments
        from documents import selectors, services
        from documents.models import NoticeKind

        with throwaway_database(self.stdout, "bench-letters"):
            city, user = seed_city(estates=estates)
            selection = selectors.print_estates(user=user)
            self.stdout.write(f"seeded {selection.count()} estates; RSS before rendering {current_rss_mb():.0f} MB")
            with measure() as m:
                pdf = services.notices_pdf(kinds=[NoticeKind.OPEN_LETTER], campaign=None, estates=selection)
            pages = len(PdfReader(io.BytesIO(pdf)).pages)
            # WeasyPrint alone on the very same HTML, measured now: the floor under today's load.
            documents = list(services.notice_documents(kinds=[NoticeKind.OPEN_LETTER], campaign=None,
                                                       estates=selection))
            bodies = render_fragments("print/notices/notice.html", documents)
            html = documents_html(bodies, [1] * len(bodies), print_context())
            with measure() as alone:
                html_to_pdf(html)
        scale = estates / 300
        size_mb = len(pdf) / 1024 / 1024
        self.stdout.write(
            f"open letters: {estates} estates, {pages} pages, {m['seconds']:.1f} s (CPU {m['cpu']:.1f} s, "
            f"{1000 * m['seconds'] / max(pages, 1):.0f} ms a page), peak RSS {m['peak_mb']:.0f} MB, "
            f"PDF {size_mb:.2f} MB"
        )
        self.stdout.write(
            f"floor (WeasyPrint, 300 letters as one document): {FLOOR_SECONDS} s, {FLOOR_MB} MB, {FLOOR_PDF_MB} MB; "
            f"ratio: time {ratio(m['seconds'], FLOOR_SECONDS * scale)}, memory {ratio(m['peak_mb'], FLOOR_MB)}, "
            f"size {ratio(size_mb, FLOOR_PDF_MB * scale)}; target: {TARGET}"
        )
        self.stdout.write(
            f"WeasyPrint alone on this batch's HTML, now: {alone['seconds']:.1f} s (CPU {alone['cpu']:.1f} s), "
            f"peak RSS {alone['peak_mb']:.0f} MB; ours / WeasyPrint alone: "
            f"time {ratio(m['seconds'], alone['seconds'])}, CPU {ratio(m['cpu'], alone['cpu'])}"
        )
