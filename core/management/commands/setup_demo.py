from django.conf import settings
from django.core.management.base import BaseCommand

from core.demo import demo_steps


class Command(BaseCommand):
    help = "Load the demo city and demo accounts (once) and print the logins. Used by `make run`."

    def add_arguments(self, parser):
        parser.add_argument("--estates", type=int, default=300)
        parser.add_argument("--seed", type=int, default=2011)

    def handle(self, *args, estates, seed, **options):
        # The steps belong to the apps (core/demo.py): the registry, the demo campaign, reminders, the accounts.
        for step in demo_steps():
            step.run(self, estates=estates, seed=seed)
        # SITE_URL follows PORT in the embedded default (or is set explicitly): the links to click.
        site = settings.SITE_URL
        self.stdout.write(f"Admin (bureau staff): {site}/admin/   Portal (firms): {site}/portal/")
