"""`manage.py bench_pages`: every page of the portal under load, each beside its bare-Django floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres SECRET_KEY=… \\
        python manage.py bench_pages --estates 5000 [--pages a,b] [--clients 20] [--duration 10] [--rounds 2]
        [--workers 2] [--json out.json] [--markdown out.md]
    python manage.py bench_pages --list

What it does and how it measures: core/benchpages/run.py; the pages: each app's ``bench_pages.py``
(core/benchpages/registry.py); results and the EXPLAIN findings: docs/PERFORMANCE.md. PostgreSQL only: the
benchmark is of the production shape (gunicorn, persistent connections); on SQLite it refuses to run.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from core.benchpages import registry
from core.benchpages.run import HEADER, bench, markdown_table, select_pages
from core.benchpages.servers import workdir


class Command(BaseCommand):
    help = "Load every registered page on gunicorn + PostgreSQL beside a bare Django floor (A B A B); print ratios."

    def add_arguments(self, parser):
        parser.add_argument("--estates", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=2011)
        parser.add_argument("--pages", default="", help="names or patterns (admin.*), see --list")
        parser.add_argument("--list", action="store_true", help="list the pages and exemptions, run nothing")
        parser.add_argument("--clients", type=int, default=20)
        parser.add_argument("--duration", type=float, default=10.0, help="seconds of each slice")
        parser.add_argument("--rounds", type=int, default=2, help="A B pairs per page")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers of each server")
        parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a request is a timeout")
        parser.add_argument("--json", dest="json_path", default="", help="write the results to this file")
        parser.add_argument("--markdown", dest="markdown_path", default="", help="write the README table here")
        parser.add_argument("--explain", action="store_true",
                            help="EXPLAIN ANALYZE the slowest queries of each failing page (printed and in --json)")
        parser.add_argument("--keep", action="store_true", help="keep the temporary folder (server logs)")

    def handle(self, *args, **o):
        if o["list"]:
            return self._list()
        if connection.vendor != "postgresql":
            raise CommandError(
                f"bench_pages measures the production shape (gunicorn + PostgreSQL); this database is "
                f"{connection.vendor}. Run it with DATABASE_URL=postgres://…: a throwaway database is created "
                f"next to it and dropped at the end.")
        if o["estates"] < 1 or o["clients"] < 1 or o["duration"] <= 0 or o["rounds"] < 1 or o["workers"] < 1:
            raise CommandError("--estates, --clients, --rounds and --workers must be at least 1, --duration above 0")
        try:
            pages = select_pages([n.strip() for n in o["pages"].split(",") if n.strip()])
        except KeyError as exc:
            raise CommandError(exc.args[0])
        minutes = len(pages) * o["rounds"] * 2 * o["duration"] / 60
        self.stdout.write(f"bench_pages: {len(pages)} pages, {o['estates']:,} estates; the load alone takes about "
                          f"{minutes:.0f} min (pages × rounds × 2 × duration), the seed comes first")
        with workdir(keep=o["keep"]) as folder:
            if o["keep"]:
                self.stdout.write(f"temporary folder kept: {folder}")
            result = bench(pages, stdout=self.stdout, estates=o["estates"], seed_value=o["seed"],
                           clients=o["clients"], duration=o["duration"], rounds=o["rounds"], workers=o["workers"],
                           timeout=o["timeout"], workdir=folder, header=HEADER, explain=o["explain"])
        self.stdout.write("")
        self.stdout.write(markdown_table(result))
        failed = [e["name"] for e in result["pages"] if not e["passed"]]
        self.stdout.write(f"\n{len(result['pages']) - len(failed)} of {len(result['pages'])} pages pass"
                          + (f"; failing: {', '.join(failed)}" if failed else "") + f" ({result['seconds']:.0f} s)")
        if o["json_path"]:
            Path(o["json_path"]).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        if o["markdown_path"]:
            Path(o["markdown_path"]).write_text(markdown_table(result) + "\n", encoding="utf-8")

    def _list(self):
        for page in sorted(registry.pages().values(), key=lambda p: p.name):
            self.stdout.write(f"{page.name:<38} {page.role:<10} {page.kind:<10} {page.pattern}")
        self.stdout.write("\nnot benchmarked:")
        for pattern, reason in sorted(registry.exemptions().items()):
            self.stdout.write(f"  {pattern:<40} {reason}")
