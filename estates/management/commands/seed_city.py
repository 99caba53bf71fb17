from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from estates.demo import CITY_NAME, build_city
from estates.models import Agency


class Command(BaseCommand):
    help = "Build a realistic, deterministic demo city (city bureau, districts, streets, communities, firms, estates)."

    def add_arguments(self, parser):
        parser.add_argument("--estates", type=int, default=300)
        parser.add_argument("--seed", type=int, default=2011)
        parser.add_argument("--city-name", default=CITY_NAME)

    def handle(self, *args, estates, seed, city_name, **options):
        if estates < 1:
            raise CommandError(_("--estates 至少为 1。"))
        if Agency.objects.filter(level=Agency.Level.CITY, name=city_name).exists():
            raise CommandError(_("“%(name)s”已存在，未重复创建。") % {"name": city_name})
        city = build_city(estates=estates, seed=seed, city_name=city_name)
        self.stdout.write(self.style.SUCCESS(
            f"{city.city}: {len(city.districts)} districts, {len(city.streets)} streets, "
            f"{len(city.firms)} firms, {city.estates_created} estates (seed {seed})"
        ))
