"""Run the reminder sweep once: `manage.py send_reminders [--today YYYY-MM-DD] [--dry-run]`.

Without REDIS_URL the batches are sent in this process; with it they go to the Celery
workers. Safe to run any number of times, also concurrently: each reminder goes out once.
On the digest weekday (REMINDER_DIGEST_WEEKDAY, Friday by default) the weekly overdue digest
is sent too; --digest forces it, --no-digest skips it.
"""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from campaigns import reminders as services


def _date(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be YYYY-MM-DD, not {value!r}")


class Command(BaseCommand):
    help = "Send today's deadline reminders (and the weekly overdue digest on its weekday), exactly once."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=_date, help="Run as if today were this date (YYYY-MM-DD).")
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be sent.")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--digest", action="store_true", help="Send the overdue digest whatever the weekday.")
        group.add_argument("--no-digest", action="store_true", help="Do not send the overdue digest.")

    def handle(self, *args, today=None, dry_run=False, digest=False, no_digest=False, **options):
        today = today or timezone.localdate()
        result = services.sweep_reminders(today=today, dry_run=dry_run)
        self._report("reminders", result, dry_run)
        weekday = getattr(settings, "REMINDER_DIGEST_WEEKDAY", 4)
        if digest or (not no_digest and today.weekday() == weekday):
            self._report("digest", services.sweep_digest(today=today, dry_run=dry_run), dry_run)

    def _report(self, what, result, dry_run):
        planned = ", ".join(f"{k}={v}" for k, v in sorted(result.planned.items())) or "none"
        if dry_run:
            self.stdout.write(f"{result.today} {what} (dry run): due {planned}; nothing stored or sent.")
            return
        line = (
            f"{result.today} {what}: due {planned}; new rows {result.inserted}, skipped as settled "
            f"{result.skipped_settled}; claimed {result.claimed} in {result.batches} batch(es)"
        )
        if settings.CELERY_TASK_ALWAYS_EAGER:
            line += (f"; sent {result.sent}, failed {result.failed}, no recipient {result.no_recipient}, "
                     f"skipped {result.skipped}")
        else:
            line += " (queued to the Celery workers)"
        self.stdout.write(line)
        if result.dispatch_error:
            self.stderr.write(f"Broker unavailable ({result.dispatch_error}); the next sweep retries.")
