"""`manage.py bench_suggestions`: the residents' public form under load, beside a bare Django form.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres SECRET_KEY=… \\
        python manage.py bench_suggestions [--total 2000] [--clients 50] [--rounds 2] [--workers 5]
        [--estates 50] [--json out.json] [--keep]

2,000 submissions (form GET + POST, each client its own cookies) from 50 concurrent clients against
gunicorn + PostgreSQL on loopback; every accepted one counted in the database and in gunicorn's access
log; submissions/s, GET and POST p50/p95/p99 beside the floor measured in the same run. How, and what
is raised for the run: suggestions/benchload/run.py. PostgreSQL only.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from core.benchpages.servers import workdir
from suggestions.benchload.run import bench, report


class Command(BaseCommand):
    help = "Load the public suggestion form on gunicorn + PostgreSQL beside a bare Django form; count every entry."

    def add_arguments(self, parser):
        parser.add_argument("--total", type=int, default=2000, help="submissions to the portal (and to the floor)")
        parser.add_argument("--clients", type=int, default=50)
        parser.add_argument("--rounds", type=int, default=2, help="portal/floor pairs (A B A B)")
        parser.add_argument("--workers", type=int, default=0, help="gunicorn sync workers (default: 2 × CPUs + 1)")
        parser.add_argument("--estates", type=int, default=50)
        parser.add_argument("--timeout", type=float, default=30.0)
        parser.add_argument("--json", dest="json_path", default="")
        parser.add_argument("--keep", action="store_true", help="keep the temporary folder (server logs)")

    def handle(self, *args, **o):
        if connection.vendor != "postgresql":
            raise CommandError(f"bench_suggestions measures gunicorn + PostgreSQL; this database is "
                               f"{connection.vendor}. Run it with DATABASE_URL=postgres://… (a throwaway database "
                               "is created next to it).")
        if min(o["total"], o["clients"], o["rounds"], o["estates"]) < 1 or o["workers"] < 0:
            raise CommandError("--total, --clients, --rounds and --estates must be at least 1")
        with workdir(keep=o["keep"]) as folder:
            if o["keep"]:
                self.stdout.write(f"temporary folder kept: {folder}")
            result = bench(stdout=self.stdout, total=o["total"], clients=o["clients"], rounds=o["rounds"],
                           workers=o["workers"] or None, estates=o["estates"], timeout=o["timeout"], workdir=folder)
        self.stdout.write("")
        for line in report(result):
            self.stdout.write(line)
        if o["json_path"]:
            Path(o["json_path"]).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
