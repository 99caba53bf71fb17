"""Helpers shared by the campaign management commands."""

from django.core.management.base import CommandError

from estates.models import Agency


def issuing_agency(agency_id):
    """The agency given by id, or the only city bureau of the registry."""
    if agency_id:
        try:
            return Agency.objects.get(pk=agency_id)
        except Agency.DoesNotExist:
            raise CommandError(f"No agency with id {agency_id}.")
    cities = list(Agency.objects.filter(level=Agency.Level.CITY).order_by("pk")[:2])
    if len(cities) != 1:
        raise CommandError(f"Give the issuing agency with --agency ID (the registry has {len(cities)} city bureaus).")
    return cities[0]
