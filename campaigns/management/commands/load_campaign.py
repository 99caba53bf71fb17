from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from campaigns import services

from ._common import issuing_agency


class Command(BaseCommand):
    help = "Load a campaign template (JSON, e.g. fixtures/campaigns/ningbo-2011.json) as a draft campaign."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--agency", type=int, help="id of the issuing agency (default: the only city bureau)")
        parser.add_argument("--shift-to-today", action="store_true",
                            help="move every date so that today falls in the middle of the campaign")
        parser.add_argument("--year-shift", type=int, default=0, help="move every date by whole years")
        parser.add_argument("--publish", action="store_true", help="publish it right away")

    def handle(self, *args, file, agency, shift_to_today, year_shift, publish, **options):
        try:
            data = services.read_template(file)
            days = services.shift_to_middle(data, timezone.localdate()) if shift_to_today else 0
            campaign = services.campaign_load_template(data=data, issuing_agency=issuing_agency(agency),
                                                       year_shift=year_shift, date_shift=days)
            self.stdout.write(f"Loaded campaign #{campaign.pk} {campaign.name} "
                              f"({campaign.start_date} – {campaign.end_date}), status draft.")
            if publish:
                count = services.campaign_publish(campaign=campaign)
                self.stdout.write(f"Published: {count} obligations.")
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages))
