from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from campaigns import services
from campaigns.models import Campaign


class Command(BaseCommand):
    help = "Copy a campaign into a new draft for another year, every date moved by whole years."

    def add_arguments(self, parser):
        parser.add_argument("campaign_id", type=int)
        parser.add_argument("new_year", type=int)

    def handle(self, *args, campaign_id, new_year, **options):
        try:
            campaign = Campaign.objects.get(pk=campaign_id)
        except Campaign.DoesNotExist:
            raise CommandError(f"No campaign with id {campaign_id}.")
        try:
            copy = services.campaign_copy(campaign=campaign, new_year=new_year)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages))
        self.stdout.write(f"Copied to campaign #{copy.pk} {copy.name} ({copy.start_date} – {copy.end_date}), draft.")
