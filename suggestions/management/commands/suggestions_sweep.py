"""Run the suggestion box's daily sweeps once: `manage.py suggestions_sweep [--today YYYY-MM-DD] [--retention]`.

Late entries are reminded to their firm and escalated to the street and the district, each step once
(suggestions/sweeps.py): safe to run any number of times, also at the same time as the beat task.
--retention also erases the personal data of entries finished longer than SUGGESTION_RETENTION_DAYS ago.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from suggestions import sweeps


def _date(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = "Remind and escalate late suggestion-box entries (exactly once each); optionally erase old personal data."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=_date, help="Run as if today were this date (YYYY-MM-DD).")
        parser.add_argument("--retention", action="store_true", help="Also run the retention job.")

    def handle(self, *args, today=None, retention=False, **options):
        result = sweeps.sweep_overdue(today=today)
        levels = ", ".join(f"{k}={v}" for k, v in sorted(result.levels.items())) or "none"
        self.stdout.write(
            f"{result.today} overdue: {result.late} late entr{'y' if result.late == 1 else 'ies'}; new steps {levels}; "
            f"reminders {result.reminded}, to streets {result.to_street}, to districts {result.to_district}.")
        if retention:
            self.stdout.write(f"retention: personal data erased from {sweeps.erase_expired()} entries.")
