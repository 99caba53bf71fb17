"""Benchmark: the daily reminder sweep over a seeded city.

Seeds a city (estates.demo.build_city), one user with an email address per firm, a published
campaign of 20 estate tasks and N obligations (default 100,000) of which D (default 1,000) are
due a reminder on the benchmark's "today"; the rest are due on other days or already done.
Then it runs the full sweep — plan, insert, claim, send (Celery eager, in-process; mail to
Django's in-memory backend) — at two table sizes with the same D due reminders:
first with ``--small`` obligations (default 10,000), then with all N. It reports for each:
time, queries (plan + insert, and in all), and for the large one the Python allocation peak
(tracemalloc, in a separate traced run) and the peak RSS over the sweep (core/bench.py).

The floor is the same work done the plainest way, in two parts measured separately:
the database part (the sweep's indexed SELECT of the due obligations and the raw ``executemany``
INSERT of the same reminder and in-app rows) and the mail part (the same number of emails, text +
HTML alternative as the sweep sends them, rendered per message from ONE minimal Django template
pair with the same variables, compiled once, and sent through the same mail backend on one
connection: ``get_connection().send_messages(list)``). The sweep (A) and the floor (B) alternate
A B A B… for ``--rounds`` rounds (default 3) and the medians are compared, wall and CPU.
FLOORS.md has no row for this; the nearest is "Celery 5 + Redis, 2,000 tasks each inserting a row".

Everything runs inside a transaction that is rolled back (``--keep`` keeps it), so run it on a
database without estates, e.g.
``DATABASE_URL=sqlite:////tmp/bench.sqlite3 manage.py migrate && ... bench_reminders``.
Target (issue 4): under 5 s, query count independent of N.
"""

import datetime
import itertools
import math
import os
import random
import statistics
import time

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.template import engines
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import User
from campaigns import reminders as services
from campaigns.models import Action, Campaign, Obligation, Task
from core.bench import QueryCounter, measure, traced_peak
from estates.demo import build_city
from estates.models import Estate
from notifications.models import Notification, Reminder
from notifications.policy import default_rule, due_dates_for

TODAY = datetime.date(2025, 6, 10)
TASKS = 20
TARGET_SECONDS = 5
FLOOR_RATIO = 3  # issue 16: the sweep within 3x its raw floor

# The floor's one minimal template pair: the variables the sweep's mail shows, no tags but {{ }}.
FLOOR_TEXT = """{{ subject }}

{{ party }}
{{ campaign }} / {{ action }} / {{ task }}
{{ due|date:"Y-m-d" }} ({{ days_left }})
{{ url }}
"""
FLOOR_HTML = """<html><body><h1>{{ subject }}</h1><p>{{ party }}</p>
<p>{{ campaign }} / {{ action }} / {{ task }}</p><p>{{ due|date:"Y-m-d" }} ({{ days_left }})</p>
<p><a href="{{ url }}">{{ url }}</a></p></body></html>
"""


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time the reminder sweep over N obligations of which D are due; report queries at two sizes."

    def add_arguments(self, parser):
        parser.add_argument("--obligations", type=int, default=100_000)
        parser.add_argument("--due", type=int, default=1_000)
        parser.add_argument("--small", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=2011)
        parser.add_argument("--rounds", type=int, default=3, help="Rounds of sweep / floor, alternating (medians).")
        parser.add_argument("--keep", action="store_true", help="Keep the seeded data (default: roll back).")

    def handle(self, *args, obligations, due, small, seed, keep, rounds=3, **options):
        if Estate.objects.exists():
            raise CommandError("Run on an empty database (the benchmark seeds its own city).")
        if not 0 < due <= small <= obligations:
            raise CommandError("Need 0 < --due <= --small <= --obligations.")
        if rounds < 1:
            raise CommandError("Need --rounds >= 1.")
        self._rounds = rounds
        # The project's Celery app without importing config (.importlinter: apps sit below config).
        from celery import current_app as app

        old_eager = app.conf.task_always_eager
        app.conf.task_always_eager = True
        try:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                with transaction.atomic():
                    self._run(obligations, due, small, seed)
                    if not keep:
                        raise _Rollback
        except _Rollback:
            self.stdout.write("(seeded data rolled back)")
        finally:
            app.conf.task_always_eager = old_eager

    # --- seeding ---------------------------------------------------------------------------------

    def _seed(self, total, seed):
        rng = random.Random(seed)
        t0 = time.perf_counter()
        city = build_city(estates=math.ceil(total / TASKS), seed=seed)
        User.objects.bulk_create(
            [User(username=f"bench-firm-{f.pk}", email=f"firm{f.pk}@bench.example.com", firm=f, password="!")
             for f in city.firms],
            batch_size=1000,
        )
        campaign = Campaign.objects.create(
            name="基准测试活动", year=TODAY.year, issuing_agency=city.city, start_date=TODAY.replace(month=1, day=1),
            end_date=TODAY.replace(month=12, day=31), status=Campaign.Status.PUBLISHED,
        )
        action = Action.objects.create(campaign=campaign, order=1, code="bench", name="基准测试行动")
        tasks = Task.objects.bulk_create(
            [Task(action=action, order=i + 1, code=f"task-{i + 1}", title=f"基准任务{i + 1}", party_kind="estate",
                  window_start=campaign.start_date, deadline=campaign.end_date) for i in range(TASKS)]
        )
        estates = list(Estate.objects.values_list("pk", "district_id", "street_id").order_by("pk"))
        self.stdout.write(f"seeded {len(estates)} estates, {len(city.firms)} firms/users, {TASKS} tasks "
                          f"in {time.perf_counter() - t0:.1f} s")
        reminded = sorted(due_dates_for(default_rule(), TODAY))
        quiet = [TODAY + datetime.timedelta(days=d) for d in range(-200, 200)]
        quiet = [d for d in quiet if d not in set(reminded)]
        pairs = ((t, e) for e in estates for t in tasks)  # estate-major: the small set spans few estates
        return campaign, rng, reminded, quiet, pairs

    def _add_obligations(self, ctx, count, due):
        campaign, rng, reminded, quiet, pairs = ctx
        rows = []
        for i, (task, (estate, district, street)) in enumerate(itertools.islice(pairs, count)):
            if i < due:
                day, state = reminded[i % len(reminded)], rng.choice(["open", "open", "open", "returned"])
            else:
                day = rng.choice(quiet)
                # Done work is the bulk of a campaign; some open work is due on days nobody is reminded.
                state = rng.choice(["accepted", "accepted", "submitted", "open"])
                if rng.random() < 0.2:
                    day, state = rng.choice(reminded), rng.choice(["accepted", "submitted"])
            rows.append(Obligation(
                campaign=campaign, task=task, estate_id=estate, reviewer_id=district, district_id=district,
                street_id=street, period_start=campaign.start_date, period_end=day, due_date=day, state=state,
            ))
        Obligation.objects.bulk_create(rows, batch_size=5000)
        return len(rows)

    # --- measuring -------------------------------------------------------------------------------

    def _reset(self):
        Notification.objects.all().delete()
        Reminder.objects.all().delete()
        mail.outbox = []

    def _sweep(self, label):
        self._reset()
        with measure() as whole:
            t0 = time.perf_counter()
            with QueryCounter() as plan_counter:
                plan = services.plan_due_reminders(today=TODAY)
                inserted = services.insert_due_reminders(today=TODAY, plan=plan)
            t_insert = time.perf_counter() - t0
            result = services.sweep_reminders(today=TODAY)
        elapsed, cpu = whole.seconds, whole.cpu
        self._peak_rss = whole.peak_mb
        total = Obligation.objects.count()
        self.stdout.write(
            f"{label:>6}: {total:>7,} obligations, {inserted:,} reminders due -> sent {result.sent:,}, "
            f"{len(mail.outbox):,} emails, {Notification.objects.count():,} in-app | "
            f"plan+insert {t_insert:.2f} s / {plan_counter.count} queries | "
            f"whole sweep {elapsed:.2f} s (CPU of this process {cpu:.2f} s) / {whole.queries} queries "
            f"({result.batches} batches)"
        )
        return elapsed, cpu, plan_counter.count, whole.queries

    def _traced(self):
        self._reset()
        with traced_peak() as traced:
            services.sweep_reminders(today=TODAY)
        return traced.peak_bytes

    def _floor(self, due_dates):
        """The same work done the plainest way: (database wall, database CPU, mail wall, mail CPU)."""
        reminders = list(Reminder.objects.values_list("obligation_id", "campaign_id", "due_date", "kind", "offset"))
        users = list(Notification.objects.values_list("user_id", flat=True))
        # The variables of each mail the sweep sent (read before the clock starts, as the sweep's rows are).
        sent = [(m.subject, m.to, m.extra_headers.get("X-Notification-Key", "")) for m in mail.outbox]
        obs = {o["pk"]: o for o in Obligation.objects.filter(pk__in=[r[0] for r in reminders]).values(
            "pk", "due_date", "task__title", "task__action__name", "campaign__name", "estate__name")}
        mails = []
        for subject, to, key in sent:
            ob = obs[int(key.split("/")[1])]
            mails.append((to, key, {
                "subject": subject, "party": ob["estate__name"], "campaign": ob["campaign__name"],
                "action": ob["task__action__name"], "task": ob["task__title"], "due": ob["due_date"],
                "days_left": (ob["due_date"] - TODAY).days, "url": f"{settings.SITE_URL}/obligations/{ob['pk']}/",
            }))
        self._reset()
        now = timezone.now()
        qn = connection.ops.quote_name
        r_table, n_table, o_table = Reminder._meta.db_table, Notification._meta.db_table, Obligation._meta.db_table
        placeholders = ", ".join(["%s"] * len(due_dates))
        t0, c0 = time.perf_counter(), time.process_time()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, task_id, campaign_id, due_date FROM {o_table} "
                f"WHERE state IN ('open', 'returned') AND due_date IN ({placeholders})", list(due_dates),
            )
            cursor.fetchall()
            cursor.executemany(
                f"INSERT INTO {r_table} (obligation_id, campaign_id, due_date, kind, {qn('offset')}, date, seq, state, "
                f"attempts, recipients, channels_done, last_error, created_at) "
                f"VALUES (%s, %s, %s, %s, %s, %s, 0, 'sent', 1, '', '', '', %s)",
                [(*r, TODAY, now) for r in reminders],
            )
            cursor.executemany(
                f"INSERT INTO {n_table} (user_id, category, title, body, link, created_at) "
                f"VALUES (%s, 'reminder', 'x', '', '', %s)",
                [(u, now) for u in users],
            )
        db_wall, db_cpu = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        engine = engines["django"]
        text, html = engine.from_string(FLOOR_TEXT), engine.from_string(FLOOR_HTML)
        messages = []
        for to, key, context in mails:
            message = EmailMultiAlternatives(context["subject"], text.render(context), settings.DEFAULT_FROM_EMAIL, to,
                                             headers={"X-Notification-Key": key})
            message.attach_alternative(html.render(context), "text/html")
            messages.append(message)
        with get_connection() as backend:
            backend.send_messages(messages)
        mail_wall, mail_cpu = time.perf_counter() - t0, time.process_time() - c0
        if len(mail.outbox) != len(sent):
            raise CommandError(f"the floor sent {len(mail.outbox)} mails, the sweep {len(sent)}")
        return db_wall, db_cpu, mail_wall, mail_cpu

    def _run(self, obligations, due, small, seed):
        ctx = self._seed(obligations, seed)
        t0 = time.perf_counter()
        self._add_obligations(ctx, small, due)
        seeding = time.perf_counter() - t0
        _small_time, _small_cpu, small_plan_q, small_q = self._sweep("small")
        t0 = time.perf_counter()
        self._add_obligations(ctx, obligations - small, 0)
        seeding += time.perf_counter() - t0
        self.stdout.write(f"{obligations:,} obligations inserted in {seeding:.1f} s (not part of the sweep)")
        large_time, large_cpu, large_plan_q, large_q = self._sweep("large")
        large_rss = self._peak_rss
        # Alternate A (the sweep) and B (its floor), each floor right after the sweep whose rows it repeats.
        due_dates = sorted(due_dates_for(default_rule(), TODAY))
        sweeps, floors = [(large_time, large_cpu)], [self._floor(due_dates)]
        for i in range(1, self._rounds):
            sweeps.append(self._sweep(f"A{i + 1}")[:2])
            floors.append(self._floor(due_dates))
        peak = self._traced()
        self.stdout.write("")
        self.stdout.write(f"sweep time at {obligations:,} obligations: {large_time:.2f} s wall, {large_cpu:.2f} s CPU "
                          f"of this process (target < {TARGET_SECONDS} s: "
                          f"{'OK' if large_time < TARGET_SECONDS else 'MISSED'}; load average now "
                          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        same = small_q == large_q and small_plan_q == large_plan_q
        self.stdout.write(f"queries: {small_q} at {small:,} and {large_q} at {obligations:,} obligations "
                          f"(plan+insert {small_plan_q} / {large_plan_q}) -> "
                          f"{'independent of the table size' if same else 'DIFFERENT'}")
        self.stdout.write(f"memory: Python allocations peak {peak / 1024 / 1024:.1f} MiB during the sweep "
                          f"({peak / due / 1024:.1f} KiB per reminder); "
                          f"peak RSS over the large sweep {large_rss:.0f} MiB")
        med = statistics.median
        sweep_wall, sweep_cpu = med(w for w, _c in sweeps), med(c for _w, c in sweeps)
        db_wall, db_cpu = med(f[0] for f in floors), med(f[1] for f in floors)
        mail_wall, mail_cpu = med(f[2] for f in floors), med(f[3] for f in floors)
        floor_wall, floor_cpu = med(f[0] + f[2] for f in floors), med(f[1] + f[3] for f in floors)
        wall_ratio, cpu_ratio = sweep_wall / floor_wall, sweep_cpu / floor_cpu
        self.stdout.write(
            f"floor ({len(floors)} rounds alternating with the sweep, medians): database (indexed SELECT + "
            f"executemany INSERT of the same rows) {db_wall:.3f} s wall / {db_cpu:.3f} s CPU + mail "
            f"({len(mail.outbox):,} text + HTML mails from one minimal template pair, one send_messages) "
            f"{mail_wall:.3f} s / {mail_cpu:.3f} s = {floor_wall:.3f} s wall / {floor_cpu:.3f} s CPU")
        self.stdout.write(
            f"sweep (same rounds, medians): {sweep_wall:.2f} s wall / {sweep_cpu:.2f} s CPU "
            f"(rounds: {', '.join(f'{w:.2f}' for w, _c in sweeps)} s) -> ratio {wall_ratio:.1f}x wall, "
            f"{cpu_ratio:.1f}x CPU (target within {FLOOR_RATIO}x: "
            f"{'OK' if wall_ratio <= FLOOR_RATIO and cpu_ratio <= FLOOR_RATIO else 'MISSED'}; load average "
            f"{os.getloadavg()[0]:.1f}). FLOORS.md has no matching row; nearest: "
            f"'Celery 5 + Redis, 2,000 tasks each inserting a row: 2.5 s'.")
        self.stdout.write(f"database: {connection.vendor}")
