import os

from django.core.management.base import BaseCommand

from accounts.demo import DEFAULT_DEMO_PASSWORD, ensure_demo_accounts
from estates.demo import build_city
from estates.models import Agency


class Command(BaseCommand):
    help = "Load the demo city and demo accounts (once) and print the logins. Used by `make run`."

    def add_arguments(self, parser):
        parser.add_argument("--estates", type=int, default=300)
        parser.add_argument("--seed", type=int, default=2011)

    def handle(self, *args, estates, seed, **options):
        if not Agency.objects.exists():
            city = build_city(estates=estates, seed=seed)
            self.stdout.write(f"Demo city: {len(city.districts)} districts, {city.estates_created} estates.")
        else:
            self.stdout.write("Registry already has data; demo city not rebuilt.")
        for step in self.extra_steps():
            step(self)
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        accounts = ensure_demo_accounts(password=password)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password: {password})"))
        for username, description in accounts:
            self.stdout.write(f"  {username:<14} {description}")
        port = os.environ.get("PORT", "8000")
        self.stdout.write(f"Admin (bureau staff): http://127.0.0.1:{port}/admin/   Portal (firms): /portal/")

    def extra_steps(self):
        """Further demo data from other apps (the demo campaign), in order."""
        from campaigns.demo import demo_campaign_step
        from notifications.demo import demo_reminders_step

        return [demo_campaign_step, demo_reminders_step]
