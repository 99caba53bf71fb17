from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from campaigns import services
from campaigns.models import Campaign


class Command(BaseCommand):
    help = "Publish a draft campaign: generate every obligation in one transaction."

    def add_arguments(self, parser):
        parser.add_argument("campaign_id", type=int)

    def handle(self, *args, campaign_id, **options):
        try:
            campaign = Campaign.objects.get(pk=campaign_id)
        except Campaign.DoesNotExist:
            raise CommandError(f"No campaign with id {campaign_id}.")
        try:
            count = services.campaign_publish(campaign=campaign)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages))
        self.stdout.write(f"Published campaign #{campaign.pk} {campaign.name}: {count} obligations.")
